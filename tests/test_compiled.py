"""The compiled mode: a replay equals the eager engine bit for bit, or it is not used.

Equality is checked with ``repr`` (which tells -0.0 from 0.0 and keeps every digit), on
random programs drawn from the op table, on MLPs trained step by step, and on functions
that branch, change shape, fail, or hide things from the trace.
"""

from __future__ import annotations

import keyword
import math
import random
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_mini import (
    Value,
    erf,
    exp,
    log,
    nn,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
    value_and_grad,
)
from autograd_mini import ops as op_table
from autograd_mini.compiled import (
    CompileError,
    CompileMismatchError,
    compile,  # noqa: A004 - the API is named after what it does
)
from autograd_mini.testing import expressions, points


def bits(x: Any) -> str:
    """Every digit and the sign of zero: what 'bit for bit' compares."""
    if isinstance(x, tuple | list):
        return "(" + ", ".join(bits(item) for item in x) + ")"
    return repr(float(x))


# ------------------------------------------------------------ the functional form


@settings(max_examples=60, deadline=None)
@given(expressions(max_depth=4))
def test_random_programs_replay_value_and_grad_bit_for_bit(expr: Any) -> None:
    argnums = tuple(range(expr.n_inputs))
    eager = value_and_grad(expr, argnums=argnums)
    compiled = compile(expr, argnums=argnums)
    assert bits(compiled(*expr.point)) == bits(eager(*expr.point))
    # A replay at another point (the trace is reused unless a guard says otherwise).
    moved = tuple(x * 0.9 + 0.01 for x in expr.point)
    try:
        expected = eager(*moved)
    except (ArithmeticError, ValueError):
        with pytest.raises((ArithmeticError, ValueError)):
            compiled(*moved)
        return
    assert bits(compiled(*moved)) == bits(expected)


def test_argnums_int_gives_one_derivative_and_names_the_inputs() -> None:
    f = compile(lambda x, y: x * y + tanh(y), argnums=1)
    assert f(2.0, 0.5) == value_and_grad(lambda x, y: x * y + tanh(y), argnums=1)(2.0, 0.5)
    assert "x, y = inputs" in f.source


def test_a_function_of_no_differentiated_input_gives_zero() -> None:
    f = compile(lambda x: 3.0)
    assert f(1.0) == (3.0, 0.0)
    g = compile(lambda x: x)
    assert g(2.5) == (2.5, 1.0)


# ------------------------------------------------------------- the training form


def _demo(n: int, seed: int = 1337, activation: str = "relu",
          with_scores: bool = False) -> tuple[Any, Any, list[Any]]:
    """micrograd's demo on ``n`` points: the model, its loss (and scores, as the notebook's
    accuracy needs them, ``with_scores``) and the data."""
    random.seed(seed)
    model = nn.MLP(2, [8, 8, 1], activation=activation)
    rng = random.Random(0)
    data = [([rng.uniform(-2, 2), rng.uniform(-2, 2)], rng.choice([-1.0, 1.0])) for _ in range(n)]

    def loss() -> Any:
        inputs = [list(map(Value, x)) for x, _ in data]
        scores = list(map(model, inputs))
        losses = [(1 + -t * s).relu() for (_, t), s in zip(data, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        return (total, scores) if with_scores else total

    return model, loss, data


def _steps_agree(eager: tuple[Any, Any], compiled: tuple[Any, Any], steps: int,
                 lr: Callable[[int], float]) -> list[tuple[Any, Any]]:
    """Train ``(model, loss)`` eagerly and ``(model, step)`` compiled side by side, asserting
    every step that the losses and all gradients are equal bit for bit; then SGD with
    ``lr(k)``. Returns each step's aux (compiled, eager) for a loss that returns one."""
    (eager_model, eager_loss), (model, step) = eager, compiled
    auxes = []
    for k in range(steps):
        eager_model.zero_grad()
        expected, eager_aux = _with_aux(eager_loss())
        expected.backward()
        model.zero_grad()
        got, aux = _with_aux(step())
        assert bits(got) == bits(expected.data)
        assert [bits(p.grad) for p in model.parameters()] == [
            bits(p.grad) for p in eager_model.parameters()]
        auxes.append((aux, eager_aux))
        for m in (eager_model, model):
            for p in m.parameters():
                p.data -= lr(k) * p.grad
    return auxes


def _with_aux(result: Any) -> tuple[Any, Any]:
    return result if isinstance(result, tuple) else (result, None)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_training_steps_equal_eager_steps_bit_for_bit(activation: str) -> None:
    eager_model, eager_loss, _ = _demo(12, activation=activation)
    model, loss, _ = _demo(12, activation=activation)
    step = compile(loss, params=model.parameters())
    _steps_agree((eager_model, eager_loss), (model, step), 6, lambda k: 0.5 - 0.01 * k)
    assert len(step.traces) == 1  # the same structure every step: one trace, replayed


def test_gradients_add_into_grad_as_backward_does() -> None:
    w = Value(0.5, label="w")
    w.grad = 0.25  # leaves accumulate: the compiled step adds to what is there
    step = compile(lambda x: w * x * x, params=[w])
    assert step(3.0) == 4.5
    assert w.grad == 0.25 + 9.0
    other = Value(2.0)  # a leaf made before the call but not in params: read live too
    step2 = compile(lambda: w * other, params=[w])
    step2()
    assert other.grad == 0.5 and w.grad == 0.25 + 9.0 + 2.0
    other.data = 3.0
    assert step2() == 1.5  # its current data, not the data when traced


def test_call_with_seed_scales_the_backward_as_a_weighted_sum_would() -> None:
    w = Value(0.7)
    step = compile(lambda x: tanh(w * x), params=[w])
    step.call_with_seed(0.25, 2.0)
    compiled = w.grad
    w.grad = 0.0
    (tanh(w * 2.0) * 0.25).backward()
    assert bits(compiled) == bits(w.grad)


def test_has_aux_returns_the_extra_values_as_numbers() -> None:
    w = Value(2.0)
    step = compile(lambda x: (w * x, [w * 2, 3]), params=[w], has_aux=True)
    assert step(1.5) == (3.0, [4.0, 3])
    f = compile(lambda x: (x * x, x + 1), has_aux=True)
    assert f(3.0) == ((9.0, 4.0), 6.0)


# ------------------------------------------------------ never silently wrong


def test_a_branch_on_a_comparison_traces_again_when_it_would_change() -> None:
    def f(x: Any) -> Any:
        return x * x if x > 0 else -x * 3.0

    compiled = compile(f)
    assert compiled(2.0) == (4.0, 4.0)
    assert compiled(-1.0) == (3.0, -3.0)  # the other branch: traced again, not replayed
    assert compiled(5.0) == (25.0, 10.0)  # and back: the first trace still serves
    assert len(compiled.traces) == 2


def test_max_over_values_is_guarded() -> None:
    def f(a: Any, b: Any) -> Any:
        return max(a, b) * 2.0

    compiled = compile(f, argnums=(0, 1))
    assert compiled(1.0, 3.0) == (6.0, (0.0, 2.0))
    assert compiled(4.0, 3.0) == (8.0, (2.0, 0.0))


def test_float_of_a_value_is_guarded_on_its_number() -> None:
    def f(x: Any) -> Any:
        return x * math.exp(x)  # math.exp reads float(x): a constant of the trace

    compiled = compile(f)
    first = compiled(1.0)
    assert compiled(2.0)[0] == 2.0 * math.exp(2.0)  # traced again, not replayed stale
    assert first == compiled(1.0)


def test_another_structure_traces_again_and_ints_are_structure() -> None:
    w = Value(1.5)

    def f(xs: Any, k: int) -> Any:
        return sum((x * w for x in xs), Value(0.0)) * k

    step = compile(f, params=[w])
    assert step([1.0, 2.0], 2) == 9.0
    assert step([1.0, 2.0, 3.0], 2) == 18.0  # another length
    assert step([1.0, 2.0], 3) == 13.5  # another int
    assert step([4.0, 2.0], 2) == 18.0  # same structure, other numbers: replayed
    assert len(step.traces) == 3


def test_domain_errors_are_the_eager_engines_word_for_word() -> None:
    compiled = compile(lambda x, y: log(x) / y, argnums=(0, 1))
    assert compiled(2.0, 4.0) == value_and_grad(lambda x, y: log(x) / y, argnums=(0, 1))(2.0, 4.0)
    for point in [(-1.0, 2.0), (2.0, 0.0)]:
        with pytest.raises((ValueError, ZeroDivisionError)) as eager:
            value_and_grad(lambda x, y: log(x) / y, argnums=(0, 1))(*point)
        with pytest.raises(type(eager.value)) as replayed:
            compiled(*point)
        assert str(replayed.value) == str(eager.value)
    backward = compile(lambda x: sqrt(x))
    backward(4.0)
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt at input 0\.0"):
        backward(0.0)


def test_a_failed_training_step_changes_no_gradient() -> None:
    w = Value(1.0)
    step = compile(lambda x: log(w * x), params=[w])
    step(2.0)
    before = w.grad
    with pytest.raises(ValueError, match="log"):
        step(-2.0)
    assert w.grad == before


def test_check_catches_what_the_trace_cannot_see() -> None:
    def branches_on_data(x: Any) -> Any:
        return x * 2.0 if x.data > 0 else x * -2.0  # .data: invisible to the trace

    quiet = compile(branches_on_data)
    assert quiet(1.0) == (2.0, 2.0)
    checked = compile(branches_on_data, check=True)
    checked(1.0)
    with pytest.raises(CompileMismatchError, match=r"branches on \.data"):
        checked(-1.0)
    w = Value(1.0)
    rng = random.Random(0)
    noisy = compile(lambda: w * rng.random(), params=[w], check=True)
    with pytest.raises(CompileMismatchError):
        noisy()
        noisy()


def test_values_computed_outside_and_hand_written_nodes_are_refused() -> None:
    w = Value(2.0)
    h = w * 3.0  # computed before the call
    with pytest.raises(CompileError, match="computed before the call"):
        compile(lambda x: h * x, params=[w])(1.0)
    constant = h.detach()
    assert compile(lambda x: constant * x)(2.0) == (12.0, 6.0)

    def exp(v: Value) -> Value:
        out = Value(math.exp(v.data), (v,), "exp")

        def _backward() -> None:
            v.grad += out.data * out.grad

        out._backward = _backward  # type: ignore[method-assign]
        return out

    with pytest.raises(CompileError, match="written by hand"):
        compile(lambda x: exp(x))(1.0)


def test_bad_arguments_are_refused_clearly() -> None:
    f = compile(lambda x: x * x)
    with pytest.raises(TypeError, match="argument 0 is a Value"):
        f(Value(1.0))
    with pytest.raises(TypeError, match="respect to numbers"):
        f([1.0, 2.0])
    with pytest.raises(TypeError, match="compile: argnums 3 names argument 3"):
        compile(lambda x: x, argnums=3)(1.0)
    with pytest.raises(TypeError, match="argument 0 is MLP"):
        compile(lambda m: m([1.0])[0], params=[])(nn.MLP(1, [1], seed=0))
    with pytest.raises(TypeError, match="expected a function"):
        compile(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"params\[0\]"):
        compile(lambda: 1.0, params=[1.0])  # type: ignore[list-item]


# ------------------------------------------------------------------ user ops


def test_user_primitives_replay_whether_their_rules_are_functions_or_formulas() -> None:
    as_function = primitive("softplus_fn_test", lambda x: math.log1p(math.exp(x)), sigmoid)
    as_formula = primitive("softplus_text_test", lambda x: math.log1p(math.exp(x)), "sigmoid(x)")
    try:
        for op in (as_function, as_formula):
            f = lambda x, op=op: op(x * x) * relu(x)
            assert bits(compile(f)(0.7)) == bits(value_and_grad(f)(0.7))
        inlined = compile(lambda x: as_formula(x))
        inlined(0.3)
        assert "x_bar += 1.0 * sigmoid(x)" in inlined.source  # the formula, inlined
        called = compile(lambda x: as_function(x))
        called(0.3)
        assert "d_softplus_fn_test_dx(" in called.source  # a Python rule is called
    finally:
        op_table.unregister("softplus_fn_test")
        op_table.unregister("softplus_text_test")


# -------------------------------------------------------------- readable code


def test_the_source_reads_as_the_backward_pass() -> None:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    b = Value(6.88, label="b")

    def neuron() -> Value:
        n = x1 * w1 + b
        n.label = "n"
        o = tanh(n)
        o.label = "o"
        return o

    step = compile(neuron, params=[w1, b])
    step()
    source = step.source
    assert "o = tanh(x1 * w1 + b)" in source  # a node used once merges into its consumer
    assert "n_bar = seed * (1 - o ** 2)  # d(tanh(x))/dx = 1 - out ** 2" in source
    assert "w1_bar += n_bar * x1  # d(a * b)/db = a" in source
    assert "b_bar += n_bar  # d(a + b)/db = 1" in source  # + passes its gradient on
    names = compile(lambda x: x * x, params=[("weight", w1)])
    names(1.0)
    assert "traced" in names.source
    assert repr(names).startswith("<compiled <lambda> (training step), 1 trace")
    fresh = compile(lambda x: x)
    with pytest.raises(ValueError, match="not been traced yet"):
        fresh.source  # noqa: B018


@settings(max_examples=20, deadline=None)
@given(points(2, 0.2, 3.0))
def test_the_replay_matches_at_random_points(point: tuple[float, float]) -> None:
    f = compile(lambda x, y: sigmoid(x * y) / (1.0 + y * y) - x ** 3, argnums=(0, 1))
    g = value_and_grad(lambda x, y: sigmoid(x * y) / (1.0 + y * y) - x ** 3, argnums=(0, 1))
    assert bits(f(*point)) == bits(g(*point))


# ----------------------------------------------------- fit(compiled=True), Batched


def _train(compiled: bool, **options: Any) -> tuple[Any, list[float]]:
    from autograd_mini import datasets, losses, optim
    from autograd_mini.training import fit

    points, y = datasets.moons(40, noise=0.1, seed=3)
    loss = options.pop("loss", losses.hinge)
    if loss is losses.hinge:
        y = datasets.signed_labels(y)
    model = nn.MLP(2, [6, 6, 1], seed=5)
    optimizer = (optim.Adam(model.parameters(), lr=0.05) if options.pop("adam", False)
                 else optim.SGD(model.parameters(), lr=0.5, momentum=0.5))
    history = fit(model, points, y, loss, optimizer, epochs=8, progress=False, compiled=compiled,
                  **options)
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize("options", [
    {}, {"batch_size": 7}, {"regularization": 1e-3}, {"batch_size": 10, "regularization": 1e-2},
])
def test_fit_compiled_gives_the_same_history_and_weights_digit_for_digit(options: dict[str, Any]) -> None:
    eager, eager_weights = _train(False, **dict(options))
    compiled, compiled_weights = _train(True, **dict(options))
    assert bits(compiled.loss) == bits(eager.loss)
    assert compiled.accuracy == eager.accuracy
    assert bits(compiled.grad_norm) == bits(eager.grad_norm)
    assert bits(compiled_weights) == bits(eager_weights)


def test_fit_compiled_learns_a_variant_for_each_branch_of_a_loss() -> None:
    from autograd_mini import losses

    eager, eager_weights = _train(False, loss=losses.binary_cross_entropy, adam=True)
    compiled, compiled_weights = _train(True, loss=losses.binary_cross_entropy, adam=True)
    assert bits(compiled.loss) == bits(eager.loss) and bits(compiled_weights) == bits(eager_weights)


def test_fit_compiled_refuses_a_model_that_draws_random_numbers() -> None:
    from autograd_mini import losses, optim
    from autograd_mini.training import fit

    model = nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    with pytest.raises(ValueError, match=r"draws random numbers.*dropout"):
        fit(model, [[0.0, 1.0]], [1.0], losses.mse, optim.SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False, compiled=True)
    model.eval()  # no dropout: compiles
    fit(model, [[0.0, 1.0]], [1.0], losses.mse, optim.SGD(model.parameters(), lr=0.1),
        epochs=1, progress=False, compiled=True)


def test_fit_compiled_diverges_as_eager_does() -> None:
    from autograd_mini import losses, optim
    from autograd_mini.training import DivergedError, fit

    for compiled in (False, True):
        w = Value(1.0)
        with pytest.raises(DivergedError, match=r"\*\*2: result overflows") as caught:
            fit(lambda x, w=w: w * x[0], [[1e200]], [0.0], losses.mse, optim.SGD([w], lr=1.0),
                epochs=1, progress=False, compiled=compiled)
        assert w.grad == 0.0 and caught.value.epoch == 0


def test_batched_replays_a_sum_of_example_losses_as_backward_would() -> None:
    from autograd_mini import losses
    from autograd_mini.compiled import Batched

    w, b = Value(0.5), Value(-0.25)
    batch = Batched(lambda x, t: (losses.mse(w * x + b, t), w * x + b), params=[w, b])
    examples = [(1.0, 2.0), (3.0, 1.0), (-2.0, 0.5)]
    prepared = batch.prepare(examples)
    results = batch.run(prepared, seed=1.0 / 3)
    assert results is not None
    replayed = (w.grad, b.grad)
    w.grad = b.grad = 0.0
    total = sum(losses.mse(w * x + b, t) for x, t in examples) * (1.0 / 3)
    total.backward()
    assert bits(replayed) == bits((w.grad, b.grad))
    assert [value for value, _ in results] == [losses.mse(w * x + b, t).data for x, t in examples]
    assert "for record in reversed(records):" in batch.source


def test_batched_keeps_no_structure_whose_trace_failed() -> None:
    from autograd_mini import log
    from autograd_mini.compiled import Batched

    w = Value(1.0)
    batch = Batched(lambda x: (log(w * x), None), params=[w])
    with pytest.raises(ValueError, match="log"):
        batch.prepare([(-1.0,)])  # the trace itself fails: log of a negative number
    prepared = batch.prepare([(2.0,)])  # the same structure, traced afresh this time
    results = batch.run(prepared)
    assert results is not None and results[0][0] == math.log(2.0)


# ------------------------------------------------------------ rolled sums


def test_a_sum_over_a_batch_is_replayed_as_a_loop_bit_for_bit() -> None:
    eager_model, eager_loss, _ = _demo(30)
    model, loss, _ = _demo(30)
    step = compile(loss, params=model.parameters())
    _steps_agree((eager_model, eager_loss), (model, step), 4, lambda k: 0.3)
    source = step.source
    assert "in _rows[0]:" in source and "in reversed(_records):" in source
    assert source.count("\n") < step.traces[0].nodes / 10  # one example's code, not thirty


@pytest.mark.parametrize("returned", ["scores", "tuple", "first score"])
def test_a_rolled_sum_collects_what_each_addend_returns(returned: str) -> None:
    # micrograd's notebook computes its accuracy from the scores: returning them (has_aux)
    # must not turn the loop back into straight-line code, nor change a digit.
    def pick(scores: list[Any]) -> Any:
        return {"scores": scores, "tuple": tuple(scores), "first score": scores[0]}[returned]

    eager_model, eager_loss, _ = _demo(30, with_scores=True)
    model, loss, _ = _demo(30, with_scores=True)
    step = compile(lambda: (lambda r: (r[0], pick(r[1])))(loss()), params=model.parameters(),
                   has_aux=True)
    for aux, scores in _steps_agree((eager_model, eager_loss), (model, step), 3, lambda k: 0.3):
        want = pick([s.data for s in scores])
        assert type(aux) is type(want) and bits(aux) == bits(want)
    source = step.source
    if returned == "first score":  # one addend returns a node, the others none: no loop
        assert "_rows" not in source
    else:
        assert "in _rows[0]:" in source and "_returned0.append(" in source
        assert source.count("\n") < step.traces[0].nodes / 10


@pytest.mark.parametrize("returned", ["a slice", "two halves", "twice"])
def test_what_a_rolled_sum_returns_in_part_or_twice_is_what_eager_returns(returned: str) -> None:
    def pick(scores: list[Any]) -> Any:
        return {"a slice": lambda: (scores[:2],), "two halves": lambda: (scores[:3], scores[3:]),
                "twice": lambda: (scores, scores)}[returned]()

    _, eager_loss, _ = _demo(30, with_scores=True)
    model, loss, _ = _demo(30, with_scores=True)
    step = compile(lambda: (lambda r: (r[0], pick(r[1])))(loss()), params=model.parameters(),
                   has_aux=True)
    got, aux = step()
    expected, scores = eager_loss()
    want = pick([s.data for s in scores])
    assert bits(got) == bits(expected.data)
    assert [len(part) for part in aux] == [len(part) for part in want]
    assert bits([x for part in aux for x in part]) == bits([x for part in want for x in part])
    assert aux[0] is not aux[-1] or len(aux) == 1  # two lists, as eager gives
    # Every addend returned (in one list or two): a loop; only some: straight-line code.
    assert ("_rows" in step.source) == (returned != "a slice")


def test_a_partial_sum_compared_or_returned_keeps_its_guard_and_its_value() -> None:
    def make(returns_partial: bool) -> tuple[Any, Any]:
        model, loss, data = _demo(30)
        del loss

        def f() -> Any:
            scores = [model(list(map(Value, x))) for x, _ in data]
            total = Value(0.0)
            partials = []
            for (_, t), s in zip(data, scores):
                total = total + (1 + -t * s).relu()
                partials.append(total)
            if returns_partial:
                return total * (1.0 / 30), partials[15]
            scale = 1.0 if partials[15] > 14.0 else 3.0  # a branch on a running total
            return total * (scale / 30), scores[0]

        return model, f

    for returns_partial in (False, True):
        eager_model, eager_f = make(returns_partial)
        model, f = make(returns_partial)
        step = compile(f, params=model.parameters(), has_aux=True)
        step()
        for m in (eager_model, model):  # every score 0: each loss 1, the total at 15 is 16
            for p in m.parameters():
                p.data = 0.0
            m.zero_grad()
        expected, aux = eager_f()
        expected.backward()
        assert bits(step()) == bits((expected.data, aux.data))
        assert [bits(p.grad) for p in model.parameters()] == [
            bits(p.grad) for p in eager_model.parameters()]


def test_batched_structures_that_each_roll_read_their_own_tables() -> None:
    from autograd_mini.compiled import Batched

    rng = random.Random(0)
    table = {k: [rng.uniform(-1, 1) for _ in range(300)] for k in (0, 1)}

    def make() -> tuple[Value, Any]:
        w, b = Value(0.3), Value(-0.2)

        def f(x: Any, k: int) -> tuple[Value, None]:  # k, an int, is structure
            return sum((w * c + b * x) ** 2 for c in table[k]) * (1.0 / 300), None

        return w, f

    examples = [(0.5, 0), (0.25, 1), (-0.5, 0)]
    w, f = make()
    outputs = [f(*example)[0] for example in examples]
    sum(outputs).backward()
    w2, f2 = make()
    batch = Batched(f2, params=[w2])
    results = batch.run(batch.prepare(examples))
    assert results is not None
    assert bits([loss for loss, _ in results]) == bits([o.data for o in outputs])
    assert bits(w2.grad) == bits(w.grad)
    assert "_rows[1]" in batch.source  # the second structure's table, not the first's


def test_rolled_sums_in_the_functional_form() -> None:
    rng = random.Random(1)
    data = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(400)]

    def f(w: Any, b: Any) -> Any:
        return sum(((w * x + b - t) ** 2 for x, t in data), Value(0.0)) * (1.0 / len(data))

    compiled = compile(f, argnums=(0, 1))
    assert bits(compiled(0.3, -0.1)) == bits(value_and_grad(f, argnums=(0, 1))(0.3, -0.1))
    assert "_rows" in compiled.source
    assert bits(compiled(-0.7, 0.2)) == bits(value_and_grad(f, argnums=(0, 1))(-0.7, 0.2))


def test_aux_may_be_a_dict_of_values_lists_and_numbers() -> None:
    w = Value(2.0)

    def f(x: Any) -> tuple[Value, dict[str, Any]]:
        y = w * x
        return y * y, {"y": y, "classes": 3, "pair": [y, 1.5]}

    step = compile(f, params=[w], has_aux=True, check=True)
    for x in (3.0, 4.0):
        w.zero_grad()
        assert step(x) == (x * x * 4.0, {"y": 2.0 * x, "classes": 3, "pair": [2.0 * x, 1.5]})
        assert w.grad == 2.0 * 2.0 * x * x
    with pytest.raises(CompileError, match=r"key \(1, 2\) is a tuple; use str or int keys"):
        compile(lambda x: (x * x, {(1, 2): x}), has_aux=True)(1.0)


# ------------------------------------------- names: collision-free by construction

# Names a user may give that the generated code also uses, or that Python reads its own
# way: node and adjoint names (v1, x_bar), the template's words, the loops' variables, the
# namespace's globals, builtins, op functions and formula constants, keywords, labels that
# are not identifiers (or are the same identifier once made one), and the empty label.
_CLASHING = ["v1", "v2", "v3", "v4", "x", "x_bar", "x_bar_bar", "v1_bar", "y", "x_2", "x_2_bar",
             "inputs", "leaves", "seed", "leaf", "g", "traced", "batch", "examples", "records",
             "keep", "key", "record", "MISS", "inf", "nan", "pi", "e", "tanh", "sin", "cos",
             "exp", "sqrt", "erf", "log", "zip", "reversed", "list", "tuple", "ArithmeticError",
             "float", "constant", "aux_object", "_sum", "_records", "_rows", "_t_bar", "_c0",
             "_e1", "_returned0", "_", "p0", "if", "lambda", "None", "class", "x.bar", "x bar",
             "1x", "", "θ", "ﬁ", "fi", "x²", "x2", 'say "hi"\n']
_ARGUMENT_NAMES = sorted({n for n in _CLASHING if n.isidentifier() and not keyword.iskeyword(n)})


def _replayed(compiled: Any, *args: Any) -> Any:
    """Call ``compiled``, failing if it fell back on the eager engine: the replay itself
    must give the answer (a fallback hides a broken replay behind the right numbers)."""
    def refuse(*_: Any) -> Any:
        raise AssertionError(f"the replay failed; the generated code was\n{compiled.source}")

    compiled._eager = refuse
    try:
        return compiled(*args)
    finally:
        del compiled._eager


def _labelled(a: Any, b: Any, c: Any, labels: list[str]) -> Any:
    """A function of three inputs with labelled intermediates, nodes used twice (adjoints
    that accumulate), a domain check, and rules that call other functions (sin's cos,
    erf's sqrt, exp and pi)."""
    t = a * b
    t.label = labels[0]
    u = tanh(t) * a + sin(b)
    u.label = labels[1]
    w = erf(u) * c + sqrt(c * c + 1.0)
    w.label = labels[2]
    return w * t + log(1.0 + u * u) * a


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(_ARGUMENT_NAMES), min_size=3, max_size=3,
                unique_by=lambda name: unicodedata.normalize("NFKC", name)),  # ﬁ is fi to Python
       st.lists(st.sampled_from(_CLASHING), min_size=3, max_size=3),
       points(3, 0.1, 2.0))
def test_any_argument_names_and_labels_replay_bit_for_bit(args: list[str], labels: list[str],
                                                          point: tuple[float, ...]) -> None:
    f = eval(f"lambda {', '.join(args)}: body({', '.join(args)}, labels)",
             {"body": _labelled, "labels": labels})
    eager = value_and_grad(f, argnums=(0, 1, 2))(*point)
    compiled = compile(f, argnums=(0, 1, 2))
    assert bits(_replayed(compiled, *point)) == bits(eager)
    assert bits(_replayed(compiled, *(x * 0.5 for x in point))) == bits(
        value_and_grad(f, argnums=(0, 1, 2))(*(x * 0.5 for x in point)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_CLASHING), min_size=3, max_size=3),
       st.lists(st.sampled_from(_CLASHING), min_size=3, max_size=3),
       st.sampled_from(_ARGUMENT_NAMES), points(3, 0.1, 2.0))
def test_any_parameter_labels_and_names_train_bit_for_bit(labels: list[str], names: list[str],
                                                           arg: str, point: tuple[float, ...]) -> None:
    from autograd_mini.compiled import Batched

    def make() -> tuple[list[Value], Any]:
        ps = [Value(x, label=label) for x, label in zip(point, labels)]
        loss = eval(f"lambda {arg}: body(ps[0] * {arg}, ps[1], ps[2], labels)",
                    {"body": _labelled, "ps": ps, "labels": labels})
        return ps, loss

    eager_ps, eager_loss = make()
    (eager_loss(0.7) * 0.5).backward()
    ps, loss = make()
    step = compile(loss, params=list(zip(names, ps)))
    assert bits(_replayed(step, 0.7)) == bits(eager_loss(0.7).data)
    for p in ps:
        p.grad *= 0.5
    assert bits([p.grad for p in ps]) == bits([p.grad for p in eager_ps])
    # The same loss over a batch of two examples, as fit(compiled=True) runs it.
    eager_ps, eager_loss = make()
    (eager_loss(0.7) + eager_loss(-0.3)).backward()
    ps, loss = make()
    batch = Batched(lambda x: (loss(x), None), params=list(zip(names, ps)))
    results = batch.run(batch.prepare([(0.7,), (-0.3,)]))
    assert results is not None, batch.source
    assert bits([p.grad for p in ps]) == bits([p.grad for p in eager_ps])


def test_names_that_clash_are_renamed_and_free_ones_kept() -> None:
    # The reviewer's cases: inputs named like nodes and like another input's adjoint.
    def g(v1: Any, v2: Any) -> Any:
        return tanh(v1 * v2) * v1

    assert bits(_replayed(compile(g, argnums=(0, 1)), 3.0, 0.5)) == bits(
        value_and_grad(g, argnums=(0, 1))(3.0, 0.5))
    assert _replayed(compile(lambda x_bar, x: x_bar * x, argnums=(0, 1)), 3.0, 5.0) == (15.0, (5.0, 3.0))

    def h(x: Any) -> Any:
        y = x * x
        y.label = "x_bar"  # an intermediate named like the input's adjoint
        return y * x

    compiled = compile(h)
    assert _replayed(compiled, 3.0) == value_and_grad(h)(3.0) == (27.0, 27.0)
    # A label is the name where it is free, and renamed where it is not.
    source = compiled.source
    assert "x_bar = 0.0" in source and "x_bar_2 = x * x" in source
    def odd(x: Any) -> Any:
        return x * x

    odd.__name__ = 'odd """\n name'  # it goes into the docstring: no code gets out
    assert _replayed(compile(odd), 2.0) == (4.0, 4.0)
    hidden = compile(lambda x: (lambda t: (setattr(t, "label", "hidden"), t * t)[1])(tanh(x)))
    hidden(0.5)
    assert "hidden = tanh(x)" in hidden.source


def test_a_batch_keeps_every_variable_its_backward_reads_whatever_its_name() -> None:
    from autograd_mini.compiled import Batched

    def make() -> tuple[Value, Any]:
        theta = Value(0.8, label="θ")

        def f(x: Any) -> tuple[Value, None]:
            h = theta * x
            h.label = "θ"  # a name that is not ASCII, read by the backward pass
            return tanh(h) * h, None

        return theta, f

    theta, f = make()
    (f(0.5)[0] + f(-1.5)[0]).backward()
    replayed, g = make()
    batch = Batched(g, params=[replayed])
    assert batch.run(batch.prepare([(0.5,), (-1.5,)])) is not None
    assert bits(replayed.grad) == bits(theta.grad)
    assert "θ_2 = θ * x" in batch.source


def test_formula_constants_and_functions_are_the_op_tables() -> None:
    # erf's rule reads pi, sqrt and exp: an input named pi is not the constant, and the
    # functions a rule calls (cos in sin's) are in the replay's namespace.
    def f(pi: Any) -> Any:
        return exp(pi) + sqrt(pi) + erf(pi)

    assert bits(_replayed(compile(f), 0.3)) == bits(value_and_grad(f)(0.3))
    g = compile(lambda x: sin(x))
    assert bits(_replayed(g, 0.3)) == bits(value_and_grad(lambda x: sin(x))(0.3))
    assert "cos(x)" in g.source


def test_op_functions_named_like_the_templates_words() -> None:
    # User ops may be called MISS, zip or keep: the generated code's own words move aside.
    miss = primitive("MISS", lambda x: 2.0 * x, "2")
    zipped = primitive("zip", lambda x: 3.0 * x, "3")
    keep = primitive("keep", lambda x: 5.0 * x, "5")
    try:
        f = compile(lambda x: miss(x) if x > 0 else zipped(-x))
        assert (f(2.0), f(-1.0), f(3.0), len(f.traces)) == ((4.0, 2.0), (3.0, -3.0), (6.0, 2.0), 2)
        w = Value(1.5)
        step = compile(lambda x: zipped(w * x) + miss(w), params=[w])
        assert _replayed(step, 2.0) == 12.0 and w.grad == 8.0
        from autograd_mini.compiled import Batched

        w.grad = 0.0
        batch = Batched(lambda x: (keep(w * x), miss(w)), params=[w])
        assert batch.run(batch.prepare([(1.0,), (2.0,)])) == [(7.5, 3.0), (15.0, 3.0)]
        assert w.grad == 15.0
    finally:
        for name in ("MISS", "zip", "keep"):
            op_table.unregister(name)


def test_a_rolled_loop_takes_names_its_inputs_left_free() -> None:
    rng = random.Random(2)
    data = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(300)]

    def f(_sum: Any, _t_bar: Any, _records: Any) -> Any:
        return sum(((_sum * x + _t_bar - t) ** 2 * _records for x, t in data), Value(0.0))

    compiled = compile(f, argnums=(0, 1, 2))
    assert bits(_replayed(compiled, 0.3, -0.1, 0.5)) == bits(
        value_and_grad(f, argnums=(0, 1, 2))(0.3, -0.1, 0.5))
    assert "_rows[0]" in compiled.source and "_sum_2 = " in compiled.source


# ------------------------------------------------------------ aux, as JAX returns it


def test_an_aux_of_none_is_returned() -> None:
    assert compile(lambda x: (x * x, None), has_aux=True)(2.0) == ((4.0, None), 4.0)
    assert compile(lambda x: (x * x, None), argnums=(0,), has_aux=True)(2.0) == ((4.0, None), (4.0,))
    w = Value(2.0)
    assert compile(lambda x: (w * x, None), params=[w], has_aux=True)(2.0) == (4.0, None)
    assert compile(lambda x: (w * x, [None, (None,)]), params=[w], has_aux=True)(2.0) == (
        4.0, [None, (None,)])


def test_aux_objects_come_back_as_themselves_never_as_their_repr_run() -> None:
    class Sneaky:
        def __repr__(self) -> str:
            return "(1+1)"

    from fractions import Fraction

    sneaky, marker = Sneaky(), object()
    aux = [sneaky, marker, Fraction(1, 3), "text", 2**70, True, -0.0, math.inf, {"k": sneaky}]
    f = compile(lambda x: (x * x, aux), has_aux=True)
    for _ in range(2):  # the trace's own call, then a replay
        (value, got), grad = f(2.0)
        assert (value, grad) == (4.0, 4.0)
        assert got[0] is sneaky and got[1] is marker and got[-1]["k"] is sneaky
        assert type(got[2]) is Fraction and got[2] == Fraction(1, 3)
        assert got[3:8] == ["text", 2**70, True, -0.0, math.inf] and type(got[5]) is bool
        assert math.copysign(1.0, got[6]) == -1.0
    assert got == aux  # what the eager engine returns: the objects themselves


def test_aux_subclasses_are_rebuilt_as_eager_rebuilds_them() -> None:
    class Scores(list):  # type: ignore[type-arg]
        pass

    f = compile(lambda x: (x * x, Scores([x, x + 1])), has_aux=True)
    for _ in range(2):
        (_, scores), _ = f(2.0)
        assert type(scores) is Scores and scores == [2.0, 3.0]
    with pytest.raises(CompileError, match="a set of Values"):
        compile(lambda x: (x * x, {x}), has_aux=True)(2.0)


def test_a_constant_whose_repr_loses_bits_is_passed_as_itself() -> None:
    import struct

    negative_nan = -math.nan

    def f(x: Any) -> Any:
        return x * Value(negative_nan)  # a constant made while tracing

    eager = value_and_grad(f)(2.0)
    compiled = _replayed(compile(f), 2.0)
    assert [struct.pack("<d", v) for v in (compiled[0], compiled[1])] == [
        struct.pack("<d", v) for v in (eager[0], eager[1])]


# ------------------------------------------------------- empty batches, argnums


def test_an_empty_batch_replays_to_nothing() -> None:
    from autograd_mini.compiled import Batched
    from autograd_mini.training import Outputs

    model = nn.MLP(2, [3, 1], seed=0)
    assert Outputs(model, [])() == [] == Outputs(model, [], compiled=False)()
    w = Value(1.0)
    batch = Batched(lambda x: (w * x, None), params=[w])
    assert batch.run(batch.prepare([])) == [] and w.grad == 0.0
    outputs = Batched(lambda x: w * x, gradients=False)
    assert outputs.run(outputs.prepare([])) == []


def test_repeated_argnums_are_refused_in_grads_words() -> None:
    from autograd_mini import grad

    for argnums in [(0, 0), (1, -1)]:
        with pytest.raises(ValueError) as in_grad:
            grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
        with pytest.raises(ValueError) as in_compile:
            compile(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
        assert str(in_compile.value) == str(in_grad.value).replace("grad:", "compile:", 1)
        assert "names the same argument twice" in str(in_compile.value)
