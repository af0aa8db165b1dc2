"""backward_steps: the same pass as backward(), bit for bit, explained step by step."""

from __future__ import annotations

import math
import random

import pytest

from autograd_mini import (
    Value,
    cos,
    exp,
    log,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd_mini import abs as value_abs
from autograd_mini import ops as op_table
from autograd_mini.steps import Step, backward_steps

# ---------------------------------------------------------------- graphs to compare

_UNARY = [tanh, sigmoid, sin, cos, value_abs, relu, exp, lambda v: -v, lambda v: v ** 2,
          lambda v: v ** -1.5 if v.data > 0 else v ** 3]
_SAFE = {  # ops that need a domain: applied to a positive transform of the input
    "log": lambda v: log(v * v + 0.5),
    "sqrt": lambda v: sqrt(value_abs(v) + 0.25),
}


def random_graph(seed: int, size: int = 25) -> tuple[Value, list[Value]]:
    """A random expression over every op, with shared subexpressions and repeated inputs."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-2.0, 2.0), label=f"x{i}") for i in range(4)]
    pool: list[Value] = list(leaves)
    for _ in range(size):
        kind = rng.random()
        a = rng.choice(pool)
        if kind < 0.35:
            value = rng.choice(_UNARY)(a)
        elif kind < 0.45:
            value = rng.choice(list(_SAFE.values()))(a)
        else:
            b = rng.choice(pool)  # may be a itself: x * x, x - x
            which = rng.randrange(5)
            if which == 0:
                value = a + b
            elif which == 1:
                value = a - b
            elif which == 2:
                value = a * b
            elif which == 3:
                value = a / (b * b + 1.0)
            else:
                value = (a * a + 0.5) ** tanh(b)
        if math.isfinite(value.data) and -1e6 < value.data < 1e6:
            pool.append(value)
    root = pool[-1]
    for node in pool[len(leaves):-1:3]:  # tie in more of the pool: shared subexpressions
        root = root + node * 0.5
    return root, leaves


def _bits(x: float) -> str:
    return float(x).hex()


@pytest.mark.parametrize("seed", range(25))
def test_after_the_last_step_every_grad_equals_backward_bit_for_bit(seed: int) -> None:
    root_b, leaves_b = random_graph(seed)
    root_s, leaves_s = random_graph(seed)
    root_b.backward()
    steps = list(backward_steps(root_s))

    interior = sum(1 for v in _nodes(root_s) if v.opdef is not None)
    assert len(steps) == interior and steps[-1].total == interior
    assert [_bits(v.grad) for v in _nodes(root_s)] == [_bits(v.grad) for v in _nodes(root_b)]
    assert [_bits(x.grad) for x in leaves_s] == [_bits(x.grad) for x in leaves_b]


def _nodes(root: Value) -> list[Value]:
    from autograd_mini.graph import topological_order

    return topological_order(root, lambda v: v.parents)


def test_leaves_accumulate_and_interior_grads_reset_like_backward() -> None:
    results = []
    for use_steps in (False, True):
        root, _ = random_graph(7)
        for node in _nodes(root):
            node.grad = 3.25  # stale values from some earlier pass
        for _ in range(2):  # two passes: leaves accumulate twice, interior nodes do not
            if use_steps:
                for _step in backward_steps(root):
                    pass
            else:
                root.backward()
        results.append([_bits(v.grad) for v in _nodes(root)])
    assert results[0] == results[1]
    assert results[0][-1] == _bits(1.0)


def test_a_leaf_root_has_no_steps_and_is_seeded_like_backward() -> None:
    x = Value(2.0)
    x.grad = 0.5
    assert list(backward_steps(x)) == []
    assert x.grad == 1.5
    y = Value(2.0)
    y.grad = 0.5
    y.backward()
    assert y.grad == x.grad


def test_a_step_explains_itself_with_the_op_tables_formulas() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    (step,) = list(backward_steps(c))

    assert (step.index, step.total, step.node, step.op) == (0, 1, c, op_table.MUL)
    assert step.upstream == 1.0
    assert step.expression == "c = a * b"
    ua, ub = step.updates
    assert (ua.parent, ua.input_index, ua.input_name) == (a, 0, "a")
    assert ua.formula == "d(a * b)/da = b" == op_table.MUL.derivative_text(0)
    assert ua.derivative_text == "d(a * b)/da = b = -3.0"
    assert (ua.local_derivative, ua.contribution, ua.grad_before, ua.grad_after) == (
        -3.0, -3.0, 0.0, -3.0)
    assert ub.derivative_text == "d(a * b)/db = a = 2.0"
    assert (ub.contribution, ub.grad_after) == (2.0, 2.0)

    lines = str(step).splitlines()
    assert lines == [
        "step 1/1: c = a * b = -6.0, upstream grad 1.0",
        "  a.grad += (d(a * b)/da = b = -3.0) × 1.0 = -3.0 → -3.0;"
        " b.grad += (d(a * b)/db = a = 2.0) × 1.0 = 2.0 → 2.0",
    ]
    page = step._repr_html_()
    assert "<table>" in page and "d(a * b)/da = b" in page and "-3.0 → -3.0" not in page
    assert "0.0 → -3.0" in page  # grad before → after
    assert repr(step) == "<Step 1/1 c = a * b>"


def test_html_escapes_labels() -> None:
    x = Value(1.0, label="<b>x</b>")
    y = tanh(x)
    (step,) = list(backward_steps(y))
    assert "<b>x</b>" not in step._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in step._repr_html_()


def test_repeated_input_gets_two_contributions_in_order() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    (step,) = list(backward_steps(y))
    first, second = step.updates
    assert (first.grad_before, first.grad_after) == (0.0, 3.0)
    assert (second.grad_before, second.grad_after) == (3.0, 6.0)
    assert x.grad == 6.0


def test_steps_follow_reverse_topological_order_and_name_unlabelled_nodes() -> None:
    x = Value(0.5, label="x")
    h = x * 2.0  # #2 (x is #0, the constant 2.0 is #1)
    o = tanh(h)
    o.label = "o"
    steps = list(backward_steps(o))
    assert [s.node for s in steps] == [o, h]
    assert steps[0].expression == "o = tanh(#2)"
    assert steps[1].expression == "#2 = x * #1"
    # The upstream of a step is its node's complete gradient when its turn comes.
    assert steps[1].upstream == steps[0].updates[0].grad_after == 1.0 - math.tanh(1.0) ** 2


def test_user_primitives_are_explained_with_their_own_formula() -> None:
    cube = primitive("cube_for_steps", lambda t: t ** 3, lambda t: 3 * t ** 2,
                     formulas=("3 * x**2",))
    try:
        x = Value(2.0, label="x")
        y = cube(x)
        (step,) = list(backward_steps(y))
        assert step.updates[0].derivative_text == "d(cube_for_steps(x))/dx = 3 * x**2 = 12.0"
        assert x.grad == 12.0
    finally:
        op_table.unregister("cube_for_steps")


def test_gradients_snapshot_and_reached_describe_each_moment() -> None:
    x, w = Value(2.0, label="x"), Value(-1.0, label="w")
    h = x * w
    h.label = "h"
    o = tanh(h)
    o.label = "o"
    s1, s2 = list(backward_steps(o))
    # After step 1 only h has its gradient; x and w are not reached yet.
    assert s1.gradients() == {x: 0.0, w: 0.0, h: 1.0 - math.tanh(-2.0) ** 2, o: 1.0}
    assert s1.reached() == {o, h}
    assert s2.reached() == {o, h, x, w}
    assert s2.gradients() == {x: x.grad, w: w.grad, h: h.grad, o: 1.0}


def test_nothing_happens_until_the_first_step_is_asked_for() -> None:
    x = Value(2.0)
    y = x * x
    y.grad = 7.0
    steps = backward_steps(y)
    assert (x.grad, y.grad) == (0.0, 7.0)
    next(steps)
    assert (x.grad, y.grad) == (4.0, 1.0)


def test_abandoning_midway_leaves_the_documented_partial_state() -> None:
    x = Value(0.3, label="x")
    h = tanh(x)
    o = h * h
    steps = backward_steps(o)
    first = next(steps)
    assert first.node is o
    steps.close()  # the user stops here
    assert h.grad == 2 * h.data  # interior: the partial sum so far (complete for h here)
    assert x.grad == 0.0  # not reached: nothing from this pass
    o.backward()  # a full pass afterwards gives backward's result
    assert x.grad == pytest.approx(2 * h.data * (1 - h.data ** 2))


def test_a_failing_rule_restores_every_grad_and_raises_like_backward() -> None:
    def build() -> tuple[Value, Value]:
        x = Value(0.0, label="x")
        return sqrt(x) + x, x  # sqrt'(0) = 0.5 / 0 divides by zero

    root_b, x_b = build()
    x_b.grad = 0.25
    with pytest.raises(ZeroDivisionError) as from_backward:
        root_b.backward()
    root_s, x_s = build()
    x_s.grad = 0.25
    with pytest.raises(ZeroDivisionError) as from_steps:
        list(backward_steps(root_s))
    assert str(from_steps.value) == str(from_backward.value)
    assert "backward through sqrt" in str(from_steps.value)
    assert [v.grad for v in _nodes(root_s)] == [v.grad for v in _nodes(root_b)]
    assert x_s.grad == 0.25


def test_rejects_a_non_value() -> None:
    with pytest.raises(TypeError, match=r"backward_steps: expected a Value, got float 2\.0"):
        list(backward_steps(2.0))  # type: ignore[arg-type]


def test_step_is_exported_type() -> None:
    x = Value(1.0)
    assert all(isinstance(s, Step) for s in backward_steps(exp(x) + cos(x)))


def test_a_rule_that_fails_with_any_error_restores_every_grad() -> None:
    # A user rule returning a string fails with TypeError: backward_steps, like backward(),
    # must put every .grad back and name the op in the error.
    broken = primitive("broken_rule_steps", lambda x: 2.0 * x, lambda x: "oops")
    try:
        x = Value(1.5)
        x.grad = 0.25
        y = broken(x) * 3.0
        y.grad = 7.0
        with pytest.raises(TypeError, match="broken_rule_steps"):
            for _ in backward_steps(y):
                pass
        assert (x.grad, y.grad) == (0.25, 7.0)
        with pytest.raises(TypeError, match="broken_rule_steps"):
            y.backward()
        assert (x.grad, y.grad) == (0.25, 7.0)
    finally:
        op_table.unregister("broken_rule_steps")
