"""Per-op unit tests: the value and the derivative of every built-in op at several points.

Each op is checked three ways against facts written here, independently of the op table:
its value against the ``math`` module, its first derivative (from ``backward``) against a
closed form and against central differences, and its second derivative (from
``backward(create_graph=True)``) against central differences of the closed form. The ops
of families with a parameter (``leaky_relu`` with slope 0.2, ...) are checked at the
parameters the families name as examples, and a few more.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from statistics import NormalDist

import pytest

from autograd_mini import Value, grad, ops
from autograd_mini import functions as fn
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
    "tan": (math.tan, (lambda x: 1.0 / math.cos(x) ** 2,)),
    "asin": (math.asin, (lambda x: 1.0 / math.sqrt(1.0 - x * x),)),
    "acos": (math.acos, (lambda x: -1.0 / math.sqrt(1.0 - x * x),)),
    "atan": (math.atan, (lambda x: 1.0 / (1.0 + x * x),)),
    "atan2": (math.atan2, (lambda y, x: x / (x * x + y * y), lambda y, x: -y / (x * x + y * y))),
    "sinh": (math.sinh, (math.cosh,)),
    "cosh": (math.cosh, (math.sinh,)),
    "asinh": (math.asinh, (lambda x: 1.0 / math.sqrt(x * x + 1.0),)),
    "acosh": (math.acosh, (lambda x: 1.0 / math.sqrt(x * x - 1.0),)),
    "atanh": (math.atanh, (lambda x: 1.0 / (1.0 - x * x),)),
    "hypot": (lambda x, y: math.sqrt(x * x + y * y),
              (lambda x, y: x / math.sqrt(x * x + y * y), lambda x, y: y / math.sqrt(x * x + y * y))),
    "exp2": (lambda x: 2.0**x, (lambda x: 2.0**x * math.log(2.0),)),
    "expm1": (math.expm1, (math.exp,)),
    "log2": (math.log2, (lambda x: 1.0 / (x * math.log(2.0)),)),
    "log10": (math.log10, (lambda x: 1.0 / (x * math.log(10.0)),)),
    "log1p": (math.log1p, (lambda x: 1.0 / (1.0 + x),)),
    "erf": (math.erf, (lambda x: 2.0 / math.sqrt(math.pi) * math.exp(-x * x),)),
    "erfc": (math.erfc, (lambda x: -2.0 / math.sqrt(math.pi) * math.exp(-x * x),)),
    "softplus": (lambda x: math.log(1.0 + math.exp(x)), (lambda x: 1.0 / (1.0 + math.exp(-x)),)),
    "silu": (lambda x: x / (1.0 + math.exp(-x)),
             (lambda x: (1.0 + math.exp(-x) + x * math.exp(-x)) / (1.0 + math.exp(-x)) ** 2,)),
    "selu": (lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * (math.exp(x) - 1.0)),
             (lambda x: SELU_SCALE * (1.0 if x > 0 else SELU_ALPHA * math.exp(x)),)),
    "softsign": (lambda x: x / (1.0 + abs(x)), (lambda x: 1.0 / (1.0 + abs(x)) ** 2,)),
    "logsigmoid": (lambda x: -math.log(1.0 + math.exp(-x)), (lambda x: 1.0 / (1.0 + math.exp(x)),)),
    "maximum": (max, (lambda a, b: 1.0 if a > b else 0.0, lambda a, b: 1.0 if b > a else 0.0)),
    "minimum": (min, (lambda a, b: 1.0 if a < b else 0.0, lambda a, b: 1.0 if b < a else 0.0)),
    "floor": (math.floor, (lambda x: 0.0,)),
    "ceil": (math.ceil, (lambda x: 0.0,)),
    "round": (round, (lambda x: 0.0,)),
    "trunc": (math.trunc, (lambda x: 0.0,)),
    "stop_gradient": (lambda x: x, (lambda x: 0.0,)),  # its rule is 0 by decree
    # Families, at their examples (every parameter at its default, then others) and more.
    "leaky_relu": (lambda x: x if x > 0 else 0.01 * x, (lambda x: 1.0 if x > 0 else 0.01,)),
    "leaky_relu(negative_slope=0.2)": (lambda x: x if x > 0 else 0.2 * x,
                                       (lambda x: 1.0 if x > 0 else 0.2,)),
    "leaky_relu(negative_slope=-0.5)": (lambda x: x if x > 0 else -0.5 * x,
                                        (lambda x: 1.0 if x > 0 else -0.5,)),
    "elu": (lambda x: x if x > 0 else math.exp(x) - 1.0, (lambda x: 1.0 if x > 0 else math.exp(x),)),
    "elu(alpha=0.5)": (lambda x: x if x > 0 else 0.5 * (math.exp(x) - 1.0),
                       (lambda x: 1.0 if x > 0 else 0.5 * math.exp(x),)),
    "elu(alpha=2.0)": (lambda x: x if x > 0 else 2.0 * (math.exp(x) - 1.0),
                       (lambda x: 1.0 if x > 0 else 2.0 * math.exp(x),)),
    "gelu": (lambda x: x * NORMAL.cdf(x), (lambda x: NORMAL.cdf(x) + x * NORMAL.pdf(x),)),
    "gelu(approximate='tanh')": (
        lambda x: x / (1.0 + math.exp(-2.0 * GELU_C * (x + 0.044715 * x**3))),
        (lambda x: 0.5 * (1.0 + math.tanh(GELU_C * (x + 0.044715 * x**3)))
         + 0.5 * x * (1.0 - math.tanh(GELU_C * (x + 0.044715 * x**3)) ** 2)
         * GELU_C * (1.0 + 3 * 0.044715 * x * x),)),
    "clamp(min=-1.0, max=1.0)": (lambda x: min(max(x, -1.0), 1.0),
                                 (lambda x: 1.0 if -1.0 <= x <= 1.0 else 0.0,)),
    "clamp(min=0.0)": (lambda x: max(x, 0.0), (lambda x: 1.0 if x >= 0.0 else 0.0,)),
    "clamp(max=0.5)": (lambda x: min(x, 0.5), (lambda x: 1.0 if x <= 0.5 else 0.0,)),
    "clamp(min=1.0, max=-1.0)": (lambda x: -1.0, (lambda x: 0.0,)),  # crossed: max, as PyTorch
}

SELU_SCALE, SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
GELU_C = math.sqrt(2.0 / math.pi)
NORMAL = NormalDist()
# References less exact than the op: NormalDist.cdf is off by ~10 ulp where Phi is small
# (the op's 0.5 * erfc(-x / sqrt(2)) agrees with 40-digit arithmetic to 1 ulp there).
VALUE_REL = {"gelu": 1e-14}
# Parameters of family ops checked besides the examples the families name.
MORE_FAMILY_OPS = ["leaky_relu(negative_slope=-0.5)", "elu(alpha=2.0)", "clamp(min=1.0, max=-1.0)"]

# Fractions of each input's sampling interval; none is the midpoint, where relu and abs
# have their kink when the interval is symmetric.
FRACTIONS = (0.05, 0.27, 0.43, 0.61, 0.88)
H = 1e-6


def builtin_ops() -> list[str]:
    """Every row of the table and every example op of a family (powers have their own tests)."""
    rows = [name for name, op in ops.OPS.items() if op.builtin]
    examples = [family(**params).name for family in ops.FAMILIES if family is not ops.POWERS
                for params in family.examples]
    return rows + examples


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
    # A new built-in op (or family example) must come with its own reference row here.
    assert sorted(builtin_ops() + MORE_FAMILY_OPS) == sorted(REFERENCE)


CASES = [(name, point) for name in REFERENCE for point in sample_points(ops.lookup(name))]


@pytest.mark.parametrize(("name", "point"), CASES, ids=[f"{n}@{p}" for n, p in CASES])
def test_value_and_first_derivative(name: str, point: tuple[float, ...]) -> None:
    op = ops.lookup(name)
    function, partials = REFERENCE[name]
    leaves = [Value(x) for x in point]
    out = apply(op, *leaves)
    assert out.op == name
    assert out.parents == tuple(leaves)
    assert close(out.data, function(*point), rel=VALUE_REL.get(name, 1e-15), abs_=1e-300)
    assert apply(op, *point) == out.data  # floats in: the same number, as a float
    out.backward()
    for i, leaf in enumerate(leaves):
        exact = partials[i](*point)
        assert close(leaf.grad, exact, rel=1e-12, abs_=1e-15), (name, i, leaf.grad, exact)
        if op.stops_gradient:  # 0 by decree; its forward's slope is 1
            continue
        numeric = central_difference(function, point, i)
        assert close(leaf.grad, numeric, rel=1e-6, abs_=1e-8), (name, i, leaf.grad, numeric)


@pytest.mark.parametrize(("name", "point"), CASES, ids=[f"{n}@{p}" for n, p in CASES])
def test_second_derivatives(name: str, point: tuple[float, ...]) -> None:
    """Every entry of the Hessian, by create_graph, against differences of the partials."""
    op = ops.lookup(name)
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


# ------------------------------------------------------- kinks, ties and conventions
# Where PyTorch and plain math could disagree, the op table follows PyTorch (each choice is
# stated in the op's doc); a derivative taken exactly at the point shows which side is used.


def slope_at(function: Callable[..., object], *point: float) -> list[float]:
    leaves = [Value(x) for x in point]
    out = function(*leaves)
    assert isinstance(out, Value)
    out.backward()
    return [leaf.grad for leaf in leaves]


@pytest.mark.parametrize(("function", "point", "slopes"), [
    (lambda x: fn.leaky_relu(x, 0.2), (0.0,), [0.2]),  # the x <= 0 side, as relu'(0) = 0
    (fn.leaky_relu, (0.0,), [0.01]),
    (lambda x: fn.elu(x, alpha=2.0), (0.0,), [2.0]),  # alpha * exp(0): the x <= 0 side
    (fn.selu, (0.0,), [SELU_SCALE * SELU_ALPHA]),
    (fn.softsign, (0.0,), [1.0]),
    (lambda x: fn.clamp(x, 0.0, 1.0), (0.0,), [1.0]),  # the ends of [min, max] pass gradient
    (lambda x: fn.clamp(x, 0.0, 1.0), (1.0,), [1.0]),
    (lambda x: fn.clamp(x, 0.0, 1.0), (1.5,), [0.0]),
    (lambda x: fn.clamp(x, min=0.0), (0.0,), [1.0]),
    (lambda x: fn.clamp(x, max=0.0), (0.0,), [1.0]),
    (lambda x: fn.clamp(x, 2.0, 1.0), (1.5,), [0.0]),  # crossed: max everywhere, as PyTorch
    (fn.maximum, (1.5, 1.5), [0.5, 0.5]),  # a tie splits the gradient
    (fn.minimum, (1.5, 1.5), [0.5, 0.5]),
    (fn.maximum, (2.0, 1.0), [1.0, 0.0]),
    (fn.minimum, (2.0, 1.0), [0.0, 1.0]),
    (fn.hypot, (0.0, 0.0), [0.0, 0.0]),  # as abs'(0) = 0
    (fn.atan2, (0.0, 0.0), [0.0, 0.0]),  # PyTorch masks the 0 / 0
    (fn.floor, (2.0,), [0.0]),
    (fn.round, (2.5,), [0.0]),
    (fn.sign, (0.0,), [0.0]),
])
def test_derivatives_at_kinks_and_ties_are_pytorchs(
    function: Callable[..., object], point: tuple[float, ...], slopes: list[float]
) -> None:
    assert slope_at(function, *point) == slopes


def test_maximum_of_a_value_with_itself_sends_it_the_whole_gradient() -> None:
    # maximum(a, a) gives each input 0.5, so a, used twice, gets 1: the slope of a itself.
    assert slope_at(lambda a: fn.maximum(a, a), 3.0) == [1.0]
    assert grad(grad(lambda a: fn.maximum(a, a) * a))(3.0) == 2.0


def test_maximum_and_minimum_propagate_nan() -> None:
    for function in (fn.maximum, fn.minimum):
        assert math.isnan(function(math.nan, 1.0)) and math.isnan(function(1.0, math.nan))


@pytest.mark.parametrize("name", sorted(name for name, op in ops.OPS.items() if op.domain and op.builtin))
def test_a_nan_input_passes_through_a_domain_check_as_in_math_and_pytorch(name: str) -> None:
    # The check "x > 0" fails for a nan, which used to be reported as outside the domain.
    op = ops.OPS[name]
    for i in range(op.arity):
        args = [1.0 if op.params else 0.5] * op.arity
        args[i] = math.nan
        assert math.isnan(apply(op, *args))


@pytest.mark.parametrize("x", [1e-16, 1e-12, 1e-8, -1e-5, 0.3, 0.7, -0.99])
def test_second_derivatives_of_asin_acos_atanh_keep_their_digits_near_zero(x: float) -> None:
    # The derivative of (1 - x) * (1 + x), -(1 + x) + (1 - x), cancels near 0: asin'' at
    # 1e-12 had lost 5 digits. Exact forms: asin'' = x / (1 - x^2)^1.5, atanh'' = 2x / (1 - x^2)^2.
    one_minus = 1 - x * x if abs(x) < 0.5 else (1 - x) * (1 + x)
    expected = {"asin": x / one_minus ** 1.5, "acos": -x / one_minus ** 1.5,
                "atanh": 2 * x / one_minus ** 2}
    for name, value in expected.items():
        f = getattr(fn, name)
        assert grad(grad(f))(x) == pytest.approx(value, rel=1e-15, abs=0.0), name


def test_relu_keeps_nan_and_negative_zero_as_pytorch_and_micrograd_do() -> None:
    # "x if x > 0 else 0.0" would turn a nan into 0.0 and hide it from every later check.
    from autograd_mini import compile as compile_step
    from autograd_mini import jvp

    compiled = compile_step(lambda x: x.relu())  # (value, derivative), as value_and_grad
    for relu in (fn.relu, lambda x: Value(x).relu().data, lambda x: compiled(x)[0],
                 lambda x: jvp(fn.relu, (x,), (1.0,))[0]):
        assert math.isnan(relu(math.nan))
        assert math.copysign(1.0, relu(-0.0)) == -1.0 and relu(-2.0) == 0.0 and relu(3.0) == 3.0


@pytest.mark.parametrize(("x", "expected"), [(2.5, 2.0), (3.5, 4.0), (-0.5, -0.0), (-2.7, -3.0)])
def test_round_is_half_to_even_like_python_and_pytorch(x: float, expected: float) -> None:
    out = fn.round(x)
    assert out == expected and math.copysign(1.0, out) == math.copysign(1.0, expected)


def test_rounding_keeps_infinities_and_nan() -> None:
    for function in (fn.floor, fn.ceil, fn.round, fn.trunc):
        assert function(math.inf) == math.inf and function(-math.inf) == -math.inf
        assert math.isnan(function(math.nan))
        assert isinstance(function(2.5), float)


def test_pythons_protocols_give_the_ops_value() -> None:
    x = Value(-2.5)
    for result, name in [(round(x), "round"), (math.floor(x), "floor"), (math.ceil(x), "ceil"),
                         (math.trunc(x), "trunc"), (abs(x), "abs")]:
        assert isinstance(result, Value) and result.op == name and result.parents == (x,)
    assert [round(x).data, math.floor(x).data, math.ceil(x).data, math.trunc(x).data] == [
        -2.0, -3.0, -2.0, -2.0]
    assert round(x, None).op == "round"  # round(v, None) is round(v), as for floats


def test_round_with_digits_is_refused_with_the_way_to_a_number() -> None:
    with pytest.raises(TypeError, match=r"round\(value\.data, 2\)"):
        round(Value(2.567), 2)


def test_code_that_rounds_still_differentiates() -> None:
    # The zero-gradient ops stop no backward pass: the other path's slope comes through.
    assert slope_at(lambda x: x * 3 + fn.floor(x) + math.ceil(x) + round(x), 1.3) == [3.0]
    assert grad(grad(lambda x: fn.trunc(x) * x + x * x))(1.3) == 2.0


def test_stop_gradient_keeps_the_value_and_blocks_the_gradient() -> None:
    x = Value(1.5)
    y = fn.stop_gradient(x)
    assert (y.data, y.op, y.parents) == (1.5, "stop_gradient", (x,))  # recorded, not a leaf
    (y * x).backward()
    assert x.grad == 1.5  # d/dx of (constant 1.5) * x
    assert grad(grad(lambda v: fn.stop_gradient(v) * v * v))(2.0) == 4.0


# ---------------------------------------------------------------- stable forms
# Where a textbook formula overflows or cancels, the row's form keeps its digits (and
# never where PyTorch's own does worse).


def test_softplus_and_logsigmoid_do_not_overflow() -> None:
    assert fn.softplus(1000.0) == 1000.0 and fn.softplus(-1000.0) == 0.0
    assert fn.logsigmoid(-1000.0) == -1000.0 and fn.logsigmoid(1000.0) == 0.0
    assert slope_at(fn.softplus, 1000.0) == [1.0] and slope_at(fn.softplus, -1000.0) == [0.0]
    assert slope_at(fn.logsigmoid, -1000.0) == [1.0] and slope_at(fn.logsigmoid, 1000.0) == [0.0]
    # full relative precision for very negative x, where log(1 + exp(x)) is about exp(x)
    assert close(fn.softplus(-40.0), math.exp(-40.0), rel=1e-15)
    assert close(fn.logsigmoid(40.0), -math.exp(-40.0), rel=1e-15)


def test_log1p_and_expm1_keep_tiny_inputs_and_their_slopes() -> None:
    assert fn.log1p(1e-17) == 1e-17 and fn.expm1(1e-17) == 1e-17
    assert slope_at(fn.log1p, 1e-17) == [1.0]
    # expm1' = exp(x): out + 1 would round to 0 here and lose every digit
    assert close(slope_at(fn.expm1, -40.0)[0], math.exp(-40.0), rel=1e-15)


def test_gelu_keeps_its_digits_far_into_the_negative_side() -> None:
    # Phi(-10) = 7.6198530241605e-24 (the standard normal tail); 1 + erf(-10 / sqrt 2) is 0.0.
    assert close(fn.gelu(-10.0), -7.6198530241605e-23, rel=1e-12)
    assert fn.gelu(-10.0, approximate="tanh") < 0.0  # not rounded to zero either


def test_inverse_functions_keep_their_slopes_at_the_edges() -> None:
    assert close(slope_at(fn.asinh, 1e200)[0], 1e-200, rel=1e-15)  # no overflow in x * x
    for x in (1.0 + 2.0**-40, 1.5):  # (x - 1) * (x + 1) does not cancel near 1
        assert close(slope_at(fn.acosh, x)[0], 1.0 / math.sqrt((x - 1.0) * (x + 1.0)), rel=1e-15)
    assert close(slope_at(fn.atanh, 1 - 2.0**-40)[0], 1.0 / (2.0**-40 * (2 - 2.0**-40)), rel=1e-12)


@pytest.mark.parametrize(("function", "x"), [(fn.asin, 1.0), (fn.acos, -1.0), (fn.acosh, 1.0)])
def test_an_infinite_slope_fails_backward_by_name(function: Callable[..., Value], x: float) -> None:
    v = Value(x)
    out = function(v)
    with pytest.raises(ZeroDivisionError, match=f"backward through {out.op} at input {x!r}"):
        out.backward()
    assert v.grad == 0.0


# -------------------------------------------------------------- families of ops


def test_a_parameter_makes_its_own_op_named_as_the_call() -> None:
    op = ops.LEAKY_RELU(negative_slope=0.2)
    assert op is ops.LEAKY_RELU(negative_slope=0.2) is fn.leaky_relu(Value(1.0), 0.2).opdef
    assert (op.name, op.family, op.family_params) == (
        "leaky_relu(negative_slope=0.2)", ops.LEAKY_RELU, {"negative_slope": 0.2})
    assert op.format("h") == "leaky_relu(h, negative_slope=0.2)"
    assert op.derivative_text(0) == "d(leaky_relu(x, negative_slope=0.2))/dx = 1 if x > 0 else 0.2"
    assert ops.LEAKY_RELU(negative_slope=1) is ops.LEAKY_RELU(negative_slope=1.0)
    assert ops.LEAKY_RELU().name == "leaky_relu" and ops.ELU(alpha=1).name == "elu"
    assert ops.CLAMP(max=1).name == "clamp(max=1.0)"
    assert ops.GELU(approximate="tanh").format("x") == "gelu(x, approximate='tanh')"
    assert ops.CLAMP(min=-0.0).name == "clamp(min=0.0)"


@pytest.mark.parametrize("name", [*MORE_FAMILY_OPS, "gelu(approximate='tanh')", "clamp(max=0.5)",
                                  "leaky_relu", "**2.0", "tanh"])
def test_ops_are_found_and_pickled_by_name(name: str) -> None:
    op = ops.lookup(name)
    assert op.name == name
    assert pickle.loads(pickle.dumps(op)) is op
    x = Value(0.3)
    y = apply(op, x)
    copy = pickle.loads(pickle.dumps(y))
    assert (copy.data, copy.opdef) == (y.data, op)


@pytest.mark.parametrize(("make", "error", "words"), [
    (lambda: ops.LEAKY_RELU(negative_slope="0.2"), TypeError, "leaky_relu: negative_slope must be a real number, got str"),
    (lambda: ops.LEAKY_RELU(negative_slope=True), TypeError, "negative_slope must be a real number, got bool"),
    (lambda: ops.ELU(alpha=math.inf), ValueError, r"elu: alpha=inf is not finite"),
    (lambda: ops.ELU(beta=1.0), TypeError, "elu: no parameter 'beta'"),
    (lambda: ops.GELU(approximate="erf"), ValueError, "gelu: approximate must be 'none' or 'tanh'"),
    (lambda: ops.CLAMP(), ValueError, "clamp: min and max are both None"),
    (lambda: ops.CLAMP(min=Value(0.0)), TypeError, r"use maximum\(x, low\)"),
    (lambda: ops.CLAMP(max=math.nan), ValueError, r"None for no bound"),
    (lambda: ops.lookup("leaky_relu(slope=0.2)"), TypeError, "no parameter 'slope'"),
    (lambda: ops.lookup("no_such_op"), KeyError, "no op named 'no_such_op'"),
])
def test_bad_parameters_are_refused_by_name(make: Callable[[], object], error: type[Exception],
                                            words: str) -> None:
    with pytest.raises(error, match=words):
        make()


def test_a_family_op_made_in_a_race_is_one_op() -> None:
    # The cache hands every caller the op stored first.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: ops.ELU(alpha=0.125), range(16)))
    assert all(op is made[0] for op in made)
