"""Forward mode: tangents through the recorded graph, jvp, and composition with grad.

jvp agrees with grad (J v is the gradient dotted with v), returns floats for floats and
Values for Values, nests with grad both ways to any order without perturbation confusion,
works through user primitives and micrograd-style nodes, and refuses bad input clearly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

from autograd_mini import (
    Value,
    cos,
    exp,
    grad,
    gradients,
    log,
    no_grad,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd_mini.forward import evaluation_order, sweep, tangents
from autograd_mini.functional import jvp


def f3(x: Any, y: Any, z: Any) -> Any:
    return tanh(x * y) + exp(z) / (1 + x * x) + sqrt(y) * sin(z) - relu(x - z) * y ** 3


POINT = (0.4, 1.7, -0.6)


# ---------------------------------------------------------------- tangents()


def test_tangents_along_each_axis_are_the_gradient() -> None:
    leaves = [Value(x) for x in POINT]
    out = f3(*leaves)
    backward = gradients(out)
    for leaf in leaves:
        assert tangents(out, {leaf: 1.0})[out] == pytest.approx(backward[leaf], rel=1e-14)
    assert all(leaf.grad == 0.0 for leaf in leaves)  # no .grad read or written
    order = evaluation_order([out])
    assert order[-1] is out and set(order) == set(gradients(out))


def test_a_sweep_visits_only_what_moves() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * 3.0
    d = b * 5.0
    out = c + d
    dots = sweep(evaluation_order([out]), {a: 1.0})
    # d does not depend on a: it gets no tangent at all, not a computed zero.
    assert set(dots) == {a, c, out}
    assert dots[out] == 3.0


def test_evaluation_order_of_several_roots_shares_nodes() -> None:
    x = Value(0.5)
    shared = sin(x)
    order = evaluation_order([shared * 2.0, shared + 1.0, shared])
    assert order.count(shared) == 1
    assert order.index(x) < order.index(shared)


# -------------------------------------------------------------------- jvp


def test_jvp_is_the_gradient_dotted_with_the_direction() -> None:
    v = (0.3, -1.1, 2.0)
    value, derivative = jvp(f3, POINT, v)
    gradient = grad(f3, argnums=(0, 1, 2))(*POINT)
    assert value == float(f3(*POINT))
    assert derivative == pytest.approx(sum(g * t for g, t in zip(gradient, v)), rel=1e-13)
    assert type(value) is float and type(derivative) is float


def test_jvp_keeps_the_shape_of_the_output() -> None:
    value, derivative = jvp(lambda x, y: [x * y, (sin(x), 2.0), [y]], [0.0, 3.0], [1.0, 0.5])
    assert value == [0.0, (0.0, 2.0), [3.0]]
    assert derivative == [3.0, (1.0, 0.0), [0.5]]
    assert jvp(lambda x: x, (2.0,), (5.0,)) == (2.0, 5.0)  # the input itself
    assert jvp(lambda x: 7, (2.0,), (5.0,)) == (7.0, 0.0)  # a constant
    w = Value(4.0)
    assert jvp(lambda x: w, (2.0,), (5.0,)) == (4.0, 0.0)  # a Value x does not reach


def test_jvp_derivative_is_partial_to_its_position() -> None:
    x = Value(3.0)
    # d/da (a * x) at a = x, along 1: x, not 2x, although a and x are the same Value.
    value, derivative = jvp(lambda a: a * x, (x,), (1.0,))
    assert isinstance(value, Value) and isinstance(derivative, Value)
    assert (value.data, derivative.data) == (9.0, 3.0)
    assert jvp(lambda a, b: a * b, (x, x), (1.0, 0.0))[1].data == 3.0
    assert jvp(lambda a, b: a * b, (x, x), (1.0, 1.0))[1].data == 6.0


def test_jvp_records_inside_no_grad_and_leaves_grads_alone() -> None:
    w = Value(2.0)
    w.grad = 5.0
    with no_grad():
        assert jvp(lambda x: x * w * x, (3.0,), (1.0,)) == (18.0, 12.0)
    assert w.grad == 5.0


def test_tangents_given_as_values_are_differentiated() -> None:
    # jvp is linear in the tangent: d/dt jvp(f, (x,), (t,)) = f'(x).
    assert grad(lambda t: jvp(sin, (0.5,), (t,))[1])(2.0) == pytest.approx(math.cos(0.5), rel=1e-15)
    slopes = grad(lambda s, t: jvp(f3, POINT, (s, t, 0.0))[1], argnums=(0, 1))(1.0, 1.0)
    assert slopes == pytest.approx(grad(f3, argnums=(0, 1))(*POINT), rel=1e-14)


def test_a_deep_chain_needs_no_recursion() -> None:
    def chain(x: Any) -> Any:
        for _ in range(30_000):
            x = x * 0.9999 + 0.0001
        return x

    value, derivative = jvp(chain, (1.0,), (1.0,))
    assert value == pytest.approx(1.0, rel=1e-9)
    assert derivative == pytest.approx(0.9999 ** 30_000, rel=1e-9)


# ------------------------------------------------------- composing with grad


def _derivative(mode: str, f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    if mode == "rev":
        return grad(f)
    return lambda x: jvp(f, (x,), (1.0,))[1]


# sin's derivatives of order 0..4
SIN = [math.sin, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), math.sin]


@pytest.mark.parametrize("modes", list(itertools.product(("fwd", "rev"), repeat=3)),
                         ids=lambda m: "-over-".join(m))
def test_every_mix_of_modes_to_third_order(modes: tuple[str, ...]) -> None:
    f: Callable[[Any], Any] = lambda x: sin(x) * exp(x)
    # (sin x e^x)''' = 2 e^x (cos x - sin x)
    for mode in modes:
        f = _derivative(mode, f)
    x = 0.7
    got = f(x)
    assert type(got) is float
    assert got == pytest.approx(2 * math.exp(x) * (math.cos(x) - math.sin(x)), rel=1e-13)


def test_forward_mode_to_fourth_order() -> None:
    f: Callable[[Any], Any] = sin
    for order in range(1, 5):
        f = _derivative("fwd", f)
        assert f(0.3) == pytest.approx(SIN[order](0.3), rel=1e-14, abs=1e-15)


def test_forward_over_reverse_gives_the_hessian_times_a_vector() -> None:
    gradient = grad(f3, argnums=(0, 1, 2))
    v = (1.0, -0.5, 0.25)
    _, hv = jvp(gradient, POINT, v)
    for i in range(3):
        row = grad(lambda *xs, i=i: gradient(*xs)[i], argnums=(0, 1, 2))(*POINT)
        assert hv[i] == pytest.approx(sum(h * t for h, t in zip(row, v)), rel=1e-12)


def test_perturbation_confusion_is_avoided_in_every_nesting() -> None:
    # Siskind & Pearlmutter: d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, at any point.
    # Dual numbers that do not tell the two perturbations apart give 2.
    inner_fwd = lambda x: jvp(lambda y: x + y, (1.0,), (1.0,))[1]
    inner_rev = lambda x: grad(lambda y: x + y)(1.0)
    for inner in (inner_fwd, inner_rev):
        outer = lambda x, inner=inner: x * inner(x)  # type: ignore[misc]
        assert jvp(outer, (1.0,), (1.0,))[1] == 1.0
        assert grad(outer)(1.0) == 1.0


def test_nested_tangents_with_different_directions_do_not_mix() -> None:
    # Outer tangent 3 on x, inner tangent 2 on y: d/dy (x * y) along 2 is 2x, so
    # f(x) = x * 2x = 2x², and its derivative along 3 is 12x.
    f = lambda x: x * jvp(lambda y: x * y, (1.0,), (2.0,))[1]
    assert jvp(f, (1.5,), (3.0,)) == (4.5, 18.0)
    # The inner jvp differentiates with respect to its own argument even when that is the
    # outer variable itself: d/dy (x * y) at y = x is x, so the outer derivative is 1.
    assert jvp(lambda x: jvp(lambda y: x * y, (x,), (1.0,))[1], (2.0,), (1.0,)) == (2.0, 1.0)


# ------------------------------------------------------ primitives and nodes


def test_user_primitives_work_from_the_partials_they_give(make_primitive: Callable[..., Any]) -> None:
    softplus = make_primitive("fw_softplus", lambda x: math.log1p(math.exp(x)), sigmoid)
    text = make_primitive("fw_softplus_text", "log(1 + exp(x))", "sigmoid(x)")
    pair = make_primitive("fw_pair", lambda a, b: a * math.sin(b), lambda a, b: sin(b),
                          lambda a, b: a * cos(b))
    for op in (softplus, text):
        assert jvp(op, (0.3,), (2.0,))[1] == pytest.approx(2 * grad(op)(0.3), rel=1e-15)
        second = jvp(lambda x, op=op: jvp(op, (x,), (1.0,))[1], (0.3,), (1.0,))[1]
        assert second == pytest.approx(grad(grad(op))(0.3), rel=1e-14)
    assert jvp(pair, (2.0, 0.5), (1.0, 1.0))[1] == pytest.approx(
        math.sin(0.5) + 2.0 * math.cos(0.5), rel=1e-15)


def test_micrograd_style_nodes_give_first_derivatives() -> None:
    def square(v: Value) -> Value:
        out = Value(v.data ** 2, (v,), "square")

        def _backward() -> None:
            v.grad += 2 * v.data * out.grad

        out._backward = _backward  # type: ignore[method-assign]
        return out

    assert jvp(lambda x: square(x) * x, (3.0,), (1.0,)) == (27.0, 27.0)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("primals", "tangents_", "error", "pattern"),
    [
        (2.0, (1.0,), TypeError, r"jvp: primals must be a tuple \(or list\) with one entry per argument of f, e\.g\. jvp\(f, \(x, y\), \(1\.0, 0\.0\)\); got float 2\.0"),
        ((2.0,), 1.0, TypeError, r"jvp: tangents must be a tuple"),
        ((), (), ValueError, r"jvp: primals is empty"),
        ((2.0, 3.0), (1.0,), ValueError, r"jvp: 2 primal\(s\) but 1 tangent\(s\); give one tangent per primal"),
        ((2.0,), ("1",), TypeError, r"jvp: tangent 0 is str '1'; each tangent is a real number or a Value"),
        ((2.0,), ([1.0],), TypeError, r"jvp: tangent 0 is list"),
        (("2",), (1.0,), TypeError, r"jvp: primal 0 is str '2'; differentiate with respect to real numbers or Values"),
    ],
)
def test_bad_primals_and_tangents(primals: Any, tangents_: Any, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        jvp(lambda x, y=0.0: x * y, primals, tangents_)


@pytest.mark.parametrize("result", ["1.0", None, {1.0}, [1.0, "x"], 1j])
def test_a_non_number_output_is_refused(result: Any) -> None:
    def named(x: Any) -> Any:
        return result

    with pytest.raises(TypeError, match=r"jvp: named must return a scalar Value or a real number, or a list or tuple of them, got"):
        jvp(named, (1.0,), (1.0,))


def test_an_infinite_local_derivative_is_reported_for_forward_mode() -> None:
    with pytest.raises(ZeroDivisionError, match=r"forward mode through sqrt at input 0\.0: the local derivative is not finite there"):
        jvp(sqrt, (0.0,), (1.0,))
    with pytest.raises(ValueError, match=r"log: input -1\.0"):  # the forward's own error
        jvp(log, (-1.0,), (1.0,))
    # Errors leave no nesting state behind: a float call still returns floats.
    assert type(jvp(lambda x: x * x, (1.0,), (1.0,))[1]) is float


def test_a_failing_micrograd_style_node_is_reported_for_forward_mode() -> None:
    def reciprocal(v: Value) -> Value:
        out = Value(1.0 / v.data if v.data else math.inf, (v,), "reciprocal")

        def _backward() -> None:
            v.grad += -1.0 / v.data**2 * out.grad

        out._backward = _backward  # type: ignore[method-assign]
        return out

    assert jvp(reciprocal, (2.0,), (1.0,)) == (0.5, -0.25)
    with pytest.raises(ZeroDivisionError) as caught:
        jvp(reciprocal, (0.0,), (1.0,))
    message = str(caught.value)
    assert message.startswith("forward mode through reciprocal at input 0.0")
    assert "backward through" not in message
