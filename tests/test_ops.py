"""Per-op unit tests: the value and the derivative of every built-in op at several points.

Each op is checked three ways against facts written here, independently of the op table:
its value against the ``math`` module, its first derivative (from ``backward``) against a
closed form and against central differences, and its second derivative (from
``backward(create_graph=True)``) against central differences of the closed form.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from autograd_mini import Value, grad, ops
from autograd_mini.engine import apply

# name -> (the function on floats, its partial derivatives on floats)
Function = Callable[..., float]
REFERENCE: dict[str, tuple[Function, tuple[Function, ...]]] = {
    "+": (lambda a, b: a + b, (lambda a, b: 1.0, lambda a, b: 1.0)),
    "-": (lambda a, b: a - b, (lambda a, b: 1.0, lambda a, b: -1.0)),
    "*": (lambda a, b: a * b, (lambda a, b: b, lambda a, b: a)),
    "/": (lambda a, b: a / b, (lambda a, b: 1.0 / b, lambda a, b: -a / (b * b))),
    "**": (math.pow, (lambda a, b: b * math.pow(a, b - 1.0),
                      lambda a, b: math.pow(a, b) * math.log(a))),
    "neg": (lambda x: -x, (lambda x: -1.0,)),
    "abs": (math.fabs, (lambda x: math.copysign(1.0, x),)),
    "sign": (lambda x: math.copysign(1.0, x) if x else 0.0, (lambda x: 0.0,)),
    "exp": (math.exp, (math.exp,)),
    "log": (math.log, (lambda x: 1.0 / x,)),
    "tanh": (math.tanh, (lambda x: 1.0 / math.cosh(x) ** 2,)),
    "sigmoid": (lambda x: 1.0 / (1.0 + math.exp(-x)),
                (lambda x: math.exp(-x) / (1.0 + math.exp(-x)) ** 2,)),
    "relu": (lambda x: max(x, 0.0), (lambda x: 1.0 if x > 0 else 0.0,)),
    "sqrt": (math.sqrt, (lambda x: 0.5 / math.sqrt(x),)),
    "sin": (math.sin, (math.cos,)),
    "cos": (math.cos, (lambda x: -math.sin(x),)),
}

# Fractions of each input's sampling interval; none is the midpoint, where relu and abs
# have their kink when the interval is symmetric.
FRACTIONS = (0.05, 0.27, 0.43, 0.61, 0.88)
H = 1e-6


def builtin_ops() -> list[str]:
    return [name for name, op in ops.OPS.items() if op.builtin]


def sample_points(op: ops.Op) -> list[tuple[float, ...]]:
    """Five points inside the op's domain, input i at fraction (j + i) % 5 of its interval."""
    points = []
    for j in range(len(FRACTIONS)):
        point = []
        for i, (low, high) in enumerate(op.sample):
            t = FRACTIONS[(j + 2 * i) % len(FRACTIONS)]
            point.append(low + (high - low) * t)
        points.append(tuple(point))
    return points


def central_difference(f: Function, point: tuple[float, ...], i: int, h: float = H) -> float:
    up = list(point)
    down = list(point)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def close(actual: float, expected: float, rel: float, abs_: float = 0.0) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)


def test_reference_covers_every_builtin_op() -> None:
    # A new built-in op must come with its own reference row here.
    assert sorted(builtin_ops()) == sorted(REFERENCE)


CASES = [(name, point) for name in REFERENCE for point in sample_points(ops.OPS[name])]


@pytest.mark.parametrize(("name", "point"), CASES, ids=[f"{n}@{p}" for n, p in CASES])
def test_value_and_first_derivative(name: str, point: tuple[float, ...]) -> None:
    op = ops.OPS[name]
    function, partials = REFERENCE[name]
    leaves = [Value(x) for x in point]
    out = apply(op, *leaves)
    assert out.op == name
    assert out.parents == tuple(leaves)
    assert close(out.data, function(*point), rel=1e-15, abs_=1e-300)
    assert apply(op, *point) == out.data  # floats in: the same number, as a float
    out.backward()
    for i, leaf in enumerate(leaves):
        exact = partials[i](*point)
        assert close(leaf.grad, exact, rel=1e-12, abs_=1e-15), (name, i, leaf.grad, exact)
        numeric = central_difference(function, point, i)
        assert close(leaf.grad, numeric, rel=1e-6, abs_=1e-8), (name, i, leaf.grad, numeric)


@pytest.mark.parametrize(("name", "point"), CASES, ids=[f"{n}@{p}" for n, p in CASES])
def test_second_derivatives(name: str, point: tuple[float, ...]) -> None:
    """Every entry of the Hessian, by create_graph, against differences of the partials."""
    op = ops.OPS[name]
    _, partials = REFERENCE[name]
    for i in range(op.arity):
        leaves = [Value(x) for x in point]
        out = apply(op, *leaves)
        out.backward(create_graph=True)
        first = leaves[i].grad
        assert isinstance(first, Value)
        for j in range(op.arity):
            expected = central_difference(partials[i], point, j)
            mixed = leaves[j]
            second = grad_of(first, mixed)
            assert close(second, expected, rel=1e-6, abs_=1e-7), (name, i, j, second, expected)


def grad_of(output: Value, wrt: Value) -> float:
    from autograd_mini import gradients

    g = gradients(output).get(wrt, 0.0)
    assert isinstance(g, float)
    return g


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_kinks_have_derivative_zero_at_zero(name: str) -> None:
    x = Value(0.0)
    apply(ops.OPS[name], x).backward()
    assert x.grad == 0.0
    assert ops.OPS[name].kinks == (0.0,)


@pytest.mark.parametrize(("x", "slope"), [(-2.0, 0.0), (-1e-300, 0.0), (1e-300, 1.0), (5.0, 1.0)])
def test_relu_slope_either_side_of_the_kink(x: float, slope: float) -> None:
    v = Value(x)
    v.relu().backward()
    assert v.grad == slope


@pytest.mark.parametrize(("x", "slope"), [(-2.0, -1.0), (-1e-300, -1.0), (1e-300, 1.0), (5.0, 1.0)])
def test_abs_slope_either_side_of_the_kink(x: float, slope: float) -> None:
    v = Value(x)
    abs(v).backward()
    assert v.grad == slope


@pytest.mark.parametrize("x", [20.0, 40.0, 100.0, 700.0, -40.0, -700.0])
def test_sigmoid_derivative_keeps_its_precision_far_from_zero(x: float) -> None:
    # out * (1 - out) gives exactly 0 for x > 37: every digit lost.
    exact = math.exp(-abs(x)) / (1.0 + math.exp(-abs(x))) ** 2
    v = Value(x)
    v.sigmoid().backward()
    assert close(v.grad, exact, rel=1e-13)


def test_sigmoid_does_not_overflow() -> None:
    for x in (-1000.0, 1000.0):
        v = Value(x)
        out = v.sigmoid()
        out.backward()
        assert out.data == (0.0 if x < 0 else 1.0)
        assert v.grad == 0.0


def test_tanh_derivative_is_micrograds_digit_for_digit() -> None:
    # 1 - t**2, exactly as micrograd (and PyTorch) compute it, so digits agree with them.
    for x in (-2.5, -0.3, 0.1, 0.7, 1.9):
        v = Value(x)
        v.tanh().backward()
        assert v.grad == 1 - math.tanh(x) ** 2


POWERS = [2, 3, -1, -2, 0, 1, 0.5, 1.5, -0.5, 2.0, 7]


@pytest.mark.parametrize("k", POWERS, ids=[repr(k) for k in POWERS])
def test_power_by_a_number(k: float) -> None:
    op = ops.power(k)
    assert op.name == f"**{k!r}"
    low, high = op.sample[0]
    for t in FRACTIONS:
        x = low + (high - low) * t
        v = Value(x)
        out = v**k
        assert out.op == op.name
        assert out.opdef is op
        assert close(out.data, x**k, rel=1e-15)
        out.backward()
        exact = 0.0 if k == 0 else k * x ** (k - 1)
        assert close(v.grad, exact, rel=1e-12, abs_=1e-15)
        numeric = central_difference(lambda y: y**k, (x,), 0)
        assert close(v.grad, numeric, rel=1e-6, abs_=1e-8)
        # and the second derivative
        second = grad(grad(lambda y: y**k))(x)
        assert close(second, k * (k - 1) * x ** (k - 2) if k not in (0, 1) else 0.0,
                     rel=1e-12, abs_=1e-12)


def test_integer_powers_of_negative_numbers() -> None:
    v = Value(-2.0)
    out = v**3
    out.backward()
    assert (out.data, v.grad) == (-8.0, 12.0)
    w = Value(-2.0)
    (w**-1).backward()
    assert w.grad == -0.25


def test_x_to_the_zero_at_zero() -> None:
    v = Value(0.0)
    out = v**0
    out.backward()
    assert (out.data, v.grad) == (1.0, 0.0)


def test_power_ops_are_cached_per_exponent_and_type() -> None:
    assert ops.power(2) is ops.power(2)
    assert ops.power(2.0) is ops.power(2.0)
    assert ops.power(2) is not ops.power(2.0)
    assert (ops.power(2).name, ops.power(2.0).name) == ("**2", "**2.0")
    assert ops.power(-0.0) is ops.power(0.0)
    np = pytest.importorskip("numpy")
    assert ops.power(np.int64(2)) is ops.power(2)
    assert ops.power(np.float64(2.0)) is ops.power(2.0)


@pytest.mark.parametrize("k", [math.inf, -math.inf, math.nan])
def test_power_by_a_non_finite_number_is_refused(k: float) -> None:
    with pytest.raises(ValueError, match=r"\*\*: exponent .* not finite"):
        ops.power(k)


def test_power_by_a_non_number_is_refused() -> None:
    with pytest.raises(TypeError, match="str"):
        ops.power("2")  # type: ignore[arg-type]


def test_value_exponent_at_zero_base() -> None:
    # 0 ** b with a Value exponent b > 0: value 0, d/db = 0 (PyTorch's convention), and
    # d/da = b * 0**(b-1), finite for b >= 1.
    a, b = Value(0.0), Value(2.0)
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (0.0, 0.0, 0.0)
    a, b = Value(0.0), Value(1.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)
    a, b = Value(0.0), Value(0.0)
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (1.0, 0.0, 0.0)


def test_value_exponent_mixed_second_derivative() -> None:
    # d2(a**b)/da db = a**(b-1) * (1 + b log a); at b = 0 that is 1/a, not 0.
    a, b = 2.0, 0.0
    mixed = grad(grad(lambda x, y: x**y, argnums=1), argnums=0)(a, b)
    assert close(mixed, 1 / a, rel=1e-12)
    mixed = grad(grad(lambda x, y: x**y, argnums=0), argnums=1)(1.5, 2.5)
    assert close(mixed, 1.5**1.5 * (1 + 2.5 * math.log(1.5)), rel=1e-12)


def test_every_op_formula_and_notation_are_text_for_each_input() -> None:
    for op in ops.OPS.values():
        assert len(op.formulas) == len(op.inputs) == op.arity == len(op.rules)
        text = op.format(*op.inputs)
        for name in op.inputs:
            assert name in text
        for i in range(op.arity):
            assert op.derivative_text(i) == f"d({text})/d{op.inputs[i]} = {op.formulas[i]}"


def test_op_table_rejects_inconsistent_entries() -> None:
    with pytest.raises(ValueError, match="at least one input"):
        ops.Op("bad", "bad()", {}, forward=lambda: 0.0)
    with pytest.raises(ValueError, match="uses the name 'c'"):
        ops.Op("bad", "a + b", {"a": "1", "b": "c"})
    with pytest.raises(ValueError, match="Attribute"):
        ops.Op("bad", "bad(x)", {"x": "x.real"}, forward=abs)
    with pytest.raises(ValueError, match="give its float forward"):
        ops.Op("bad", "bad(x)", {"x": "1"})
    with pytest.raises(ValueError, match="sample names"):
        ops.Op("bad", "-x", {"x": "-1"}, sample={"y": (0.0, 1.0)})
    with pytest.raises(ValueError, match="one per input"):
        ops.Op("bad", "bad(x)", {"x": lambda x: 1.0}, forward=abs, formula_texts=("1", "2"))


def test_a_formula_calling_an_unknown_function_is_refused_when_registered() -> None:
    op = ops.Op("calls_nothing_test", "calls_nothing_test(x)", {"x": "no_such_function(x)"},
                forward=math.exp, builtin=False)
    with pytest.raises(ValueError, match="calls no_such_function"):
        ops.register(op)
    assert "calls_nothing_test" not in ops.OPS  # nothing half-registered


def test_register_and_unregister_rules() -> None:
    with pytest.raises(ValueError, match="already in the op table"):
        ops.register(ops.OPS["exp"])
    with pytest.raises(ValueError, match="built in"):
        ops.unregister("exp")
    with pytest.raises(KeyError, match="no_such_op"):
        ops.unregister("no_such_op")
    assert "exp" in ops.OPS
