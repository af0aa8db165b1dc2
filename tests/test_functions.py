"""The functions made from the op table: families called like PyTorch, and the softmax family.

* ``leaky_relu``, ``elu``, ``gelu`` and ``clamp`` take PyTorch's parameters, positionally
  or by name, as functions and as Value methods, and each parameter is its own op;
* ``softmax``, ``log_softmax`` and ``logsumexp`` take a sequence, give floats for numbers
  and Values for Values, stay finite for logits of ±1000 with exact gradients, and are
  built from ops only: the max-shift is part of the graph, so replaying the graph on new
  inputs (what a compiled trace does) recomputes it;
* ``losses.cross_entropy``, built on ``logsumexp``, keeps every digit it had.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import pytest

from autograd_mini import Value, backward_steps, grad, gradcheck, gradgradcheck, losses, ops
from autograd_mini import functions as fn
from autograd_mini.graph import topological_order

# ------------------------------------------------------------------ families


@pytest.mark.parametrize(("call", "op_name"), [
    (lambda x: fn.leaky_relu(x, negative_slope=0.2), "leaky_relu(negative_slope=0.2)"),
    (lambda x: fn.leaky_relu(x, 0.2), "leaky_relu(negative_slope=0.2)"),
    (lambda x: x.leaky_relu(0.2), "leaky_relu(negative_slope=0.2)"),
    (lambda x: x.leaky_relu(), "leaky_relu"),
    (lambda x: fn.elu(x, alpha=2), "elu(alpha=2.0)"),
    (lambda x: x.elu(0.5), "elu(alpha=0.5)"),
    (lambda x: fn.gelu(x, approximate="tanh"), "gelu(approximate='tanh')"),
    (lambda x: x.gelu(), "gelu"),
    (lambda x: fn.clamp(x, 0, 1), "clamp(min=0.0, max=1.0)"),
    (lambda x: x.clamp(max=1.0), "clamp(max=1.0)"),
    (lambda x: x.clamp(min=-1.0), "clamp(min=-1.0)"),
])
def test_family_functions_and_methods_apply_the_op_of_their_parameters(
    call: Callable[[Any], Any], op_name: str
) -> None:
    x = Value(-0.3)
    y = call(x)
    assert isinstance(y, Value) and y.op == op_name and y.parents == (x,)
    assert y.opdef is ops.lookup(op_name) and y.data == y.opdef.forward(-0.3)


def test_family_functions_take_floats_and_give_floats() -> None:
    assert fn.leaky_relu(-2.0, 0.2) == -0.4 and fn.elu(0.0) == 0.0 and fn.clamp(3, max=1) == 1.0
    assert type(fn.gelu(1.0, approximate="tanh")) is float


def test_family_functions_have_pytorchs_signatures() -> None:
    assert str(inspect.signature(fn.leaky_relu)) == "(x, /, negative_slope=0.01)"
    assert str(inspect.signature(fn.elu)) == "(x, /, alpha=1.0)"
    assert str(inspect.signature(fn.gelu)) == "(x, /, *, approximate='none')"
    assert str(inspect.signature(fn.clamp)) == "(x, /, min=None, max=None)"


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: fn.leaky_relu(1.0, 0.1, 0.2), TypeError, r"leaky_relu: too many positional arguments; call it as leaky_relu\(x, /, negative_slope=0.01\)"),
    (lambda: fn.gelu(1.0, "tanh"), TypeError, "gelu: too many positional arguments"),
    (lambda: fn.leaky_relu(), TypeError, "missing a required argument: 'x'"),
    (lambda: Value(1.0).clamp(), ValueError, "clamp: min and max are both None"),
    (lambda: fn.leaky_relu(Value(1.0), Value(0.2)), TypeError, "negative_slope must be a real number, got Value"),
    (lambda: fn.elu("1.0"), TypeError, "elu: expected a real number .* got str '1.0'"),
    # a call seen before is not bound again; True is still no number once 1 has been seen
    (lambda: (fn.leaky_relu(1.0, 1), fn.leaky_relu(1.0, True)), TypeError, "got bool True"),
    (lambda: (fn.clamp(1.0, max=2), fn.clamp(1.0, max=[2])), TypeError, "max must be a real number or None, got list"),
])
def test_bad_family_calls_say_what_to_write(call: Callable[[], Any], error: type[Exception],
                                           words: str) -> None:
    with pytest.raises(error, match=words):
        call()


# ------------------------------------------------------------- the softmax family


def reference_softmax(z: list[float]) -> list[float]:
    m = max(z)
    exps = [math.exp(v - m) for v in z]
    return [e / math.fsum(exps) for e in exps]


def reference_logsumexp(z: list[float]) -> float:
    m = max(z)
    return m + math.log(math.fsum(math.exp(v - m) for v in z))


LOGITS = [[0.5, -1.25, 2.0], [3.0], [1.0, 1.0, 1.0, 1.0], [-4.0, 7.5, 0.0, 2.25, -0.5]]


@pytest.mark.parametrize("z", LOGITS)
def test_values_agree_with_the_math_definitions(z: list[float]) -> None:
    assert fn.logsumexp(z) == pytest.approx(reference_logsumexp(z), rel=1e-15)
    assert fn.softmax(z) == pytest.approx(reference_softmax(z), rel=1e-15)
    assert fn.log_softmax(z) == pytest.approx([math.log(p) for p in reference_softmax(z)],
                                             rel=1e-14, abs=1e-15)
    assert math.fsum(fn.softmax(z)) == pytest.approx(1.0, rel=1e-15)


def test_floats_in_floats_out_values_in_values_out() -> None:
    assert all(type(p) is float for p in fn.softmax([1.0, 2]))
    assert type(fn.logsumexp((1, 2, 3))) is float
    z = [Value(1.0), 2.0]  # one Value makes the result Values
    assert all(isinstance(p, Value) for p in fn.softmax(z) + fn.log_softmax(z))
    assert isinstance(fn.logsumexp(iter(z)), Value)


@pytest.mark.parametrize("z", LOGITS)
def test_gradients_are_exact_closed_forms(z: list[float]) -> None:
    p = reference_softmax(z)
    n = len(z)
    # d logsumexp / dz = softmax(z)
    leaves = [Value(v) for v in z]
    fn.logsumexp(leaves).backward()
    assert [v.grad for v in leaves] == pytest.approx(p, rel=1e-14)
    for i in range(n):
        # d softmax_i / dz_j = p_i (delta_ij - p_j); d log_softmax_i / dz_j = delta_ij - p_j
        leaves = [Value(v) for v in z]
        fn.softmax(leaves)[i].backward()
        assert [v.grad for v in leaves] == pytest.approx(
            [p[i] * ((i == j) - p[j]) for j in range(n)], rel=1e-13, abs=1e-16)
        leaves = [Value(v) for v in z]
        fn.log_softmax(leaves)[i].backward()
        assert [v.grad for v in leaves] == pytest.approx(
            [(i == j) - p[j] for j in range(n)], rel=1e-13, abs=1e-16)


def test_second_derivatives_of_logsumexp_are_the_softmax_covariance() -> None:
    z = [0.5, -1.25, 2.0]
    p = reference_softmax(z)
    for i in range(3):
        for j in range(3):
            hessian = grad(grad(lambda a, b, c: fn.logsumexp([a, b, c]), argnums=i), argnums=j)(*z)
            assert hessian == pytest.approx(p[i] * (i == j) - p[i] * p[j], rel=1e-12, abs=1e-16)
    assert gradcheck(lambda a, b, c: fn.log_softmax([a, b, c])[1], *z)
    assert gradgradcheck(lambda a, b, c: fn.softmax([a, b, c])[2], *z)


def test_logits_of_a_thousand_stay_finite_with_exact_gradients() -> None:
    z = [Value(1000.0), Value(-1000.0), Value(0.0)]
    out = fn.logsumexp(z)
    out.backward()
    assert out.data == 1000.0 and [v.grad for v in z] == [1.0, 0.0, 0.0]
    assert fn.softmax([1000.0, -1000.0, 1000.0]) == [0.5, 0.0, 0.5]
    assert fn.log_softmax([1000.0, -1000.0]) == [0.0, -2000.0]
    z = [Value(-1000.0), Value(-1000.0)]
    first = fn.log_softmax(z)[0]
    first.backward()
    assert first.data == -math.log(2.0) and [v.grad for v in z] == [0.5, -0.5]


def test_a_minus_infinity_logit_gets_probability_zero() -> None:
    assert fn.softmax([0.0, -math.inf]) == [1.0, 0.0]
    assert fn.logsumexp([-math.inf, 2.0]) == 2.0


@pytest.mark.parametrize(("xs", "error", "words"), [
    ([], ValueError, "softmax: the sequence is empty"),
    (Value(1.0), TypeError, "softmax: expected a sequence of numbers or Values"),
    (2.0, TypeError, "softmax: expected a sequence"),
    ("abc", TypeError, "softmax: expected a sequence"),
    ([1.0, "2"], TypeError, "softmax: item 1 is str"),
    ([1.0, math.nan], ValueError, "softmax: the largest input is nan"),
    ([1.0, math.inf], ValueError, "softmax: the largest input is inf"),
    ([-math.inf, -math.inf], ValueError, "softmax: the largest input is -inf"),
])
def test_bad_sequences_are_refused_by_name(xs: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        fn.softmax(xs)


# ------------------------------------------------ built from ops, visible to a tracer


def graph_of(out: Value) -> list[Value]:
    return topological_order(out, attrgetter("parents"))


def test_the_shift_is_part_of_the_graph_not_a_constant() -> None:
    # Every leaf of the graph is an input: no number was read from .data and frozen in.
    z = [Value(0.5, label="a"), Value(2.0, label="b"), Value(-1.0, label="c")]
    nodes = graph_of(fn.logsumexp(z))
    assert {node for node in nodes if node.is_leaf} == set(z)
    assert [node.op for node in nodes].count("stop_gradient") == 1
    assert [node.op for node in nodes].count("maximum") == 2
    for p in fn.softmax(z) + fn.log_softmax(z):
        assert {node for node in graph_of(p) if node.is_leaf} == set(z)


def replay(out: Value, data: dict[Value, float]) -> float:
    """Recompute ``out`` from new leaf data by running every op's forward again, in order."""
    values: dict[Value, float] = {}
    for node in graph_of(out):
        values[node] = data[node] if node.is_leaf else node.opdef.forward(  # type: ignore[union-attr]
            *(values[p] for p in node.parents))
    return values[out]


def test_replaying_the_graph_on_new_inputs_recomputes_the_shift() -> None:
    # A trace recorded at small logits, replayed at logits where a frozen shift of 2.0
    # would make exp overflow (exp(998)) and a frozen argmax would give a wrong answer.
    z = [Value(0.5), Value(2.0), Value(-1.0)]
    out = fn.logsumexp(z)
    new = [1000.0, -5.0, 3.0]
    assert replay(out, dict(zip(z, new))) == fn.logsumexp(new) == 1000.0
    probability = fn.softmax(z)[0]
    assert replay(probability, dict(zip(z, new))) == fn.softmax(new)[0] == 1.0


def test_the_backward_pass_steps_through_and_draws() -> None:
    z = [Value(1.0, label="z0"), Value(2.0, label="z1")]
    out = fn.log_softmax(z)[0]
    steps = {step.expression: step for step in backward_steps(out)}
    assert {"#2 = maximum(z0, z1)", "#3 = stop_gradient(#2)", "#9 = log(#8)"} <= set(steps)
    # The shift receives a rounding error (1 - p0 - p1) from the two subtractions and
    # passes on exactly 0: the reason for the stop.
    shift = steps["#3 = stop_gradient(#2)"]
    assert shift.upstream != 0.0 and [u.contribution for u in shift.updates] == [0.0]
    pytest.importorskip("graphviz")
    from autograd_mini import draw_dot

    source = draw_dot(out).source
    assert 'label=stop_gradient' in source and 'label=maximum' in source


# ------------------------------------------------------------- cross_entropy's digits


def cross_entropy_before(logits: list[Value], target: int, smoothing: float = 0.0) -> Value:
    """losses.cross_entropy as written before it used logsumexp (a float max-shift)."""
    shift = max(v.data for v in logits)
    exps = [(v - shift).exp() for v in logits]
    total = sum(exps[1:], exps[0])
    if smoothing == 0.0:
        return total.log() + shift - logits[target]
    lse = total.log() + shift
    log_probabilities = [v - lse for v in logits]
    smooth = -sum(log_probabilities[1:], log_probabilities[0])
    return (1.0 - smoothing) * -log_probabilities[target] + smooth * (smoothing / len(logits))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_keeps_every_digit(smoothing: float) -> None:
    rng = random.Random(17)
    for _ in range(200):
        n = rng.randint(2, 6)
        scale = rng.choice([1.0, 30.0, 1000.0])
        z = [rng.uniform(-scale, scale) for _ in range(n)]
        target = rng.randrange(n)
        new, old = [Value(v) for v in z], [Value(v) for v in z]
        loss_new = losses.cross_entropy(new, target, label_smoothing=smoothing)
        loss_old = cross_entropy_before(old, target, smoothing)
        loss_new.backward()
        loss_old.backward()
        assert loss_new.data == loss_old.data
        assert [v.grad for v in new] == [v.grad for v in old]


def test_a_family_op_is_drawn_and_explained_under_its_own_name() -> None:
    x = Value(-2.0, label="x")
    h = fn.leaky_relu(x, 0.2)
    h.label = "h"
    (step,) = backward_steps(h)
    assert step.expression == "h = leaky_relu(x, negative_slope=0.2)"
    assert str(step.updates[0]).startswith(
        "x.grad += (d(leaky_relu(x, negative_slope=0.2))/dx = 1 if x > 0 else 0.2 = 0.2)")
    pytest.importorskip("graphviz")
    from autograd_mini import draw_dot

    assert 'label="leaky_relu(negative_slope=0.2)"' in draw_dot(h).source
