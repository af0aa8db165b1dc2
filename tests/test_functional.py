"""grad and value_and_grad: argnums, floats in and out, nesting to high order, closures."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import pytest

from autograd_mini import (
    Value,
    cos,
    exp,
    grad,
    log,
    no_grad,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
    value_and_grad,
)


def nth(f: Callable[..., Any], n: int) -> Callable[..., Any]:
    for _ in range(n):
        f = grad(f)
    return f


def test_floats_in_floats_out() -> None:
    value, slope = value_and_grad(lambda x: x * x + 3 * x)(2.0)
    assert (value, slope) == (10.0, 7.0)
    assert type(value) is float and type(slope) is float
    assert grad(lambda x: x * x)(3) == 6.0  # an int is a number too
    assert type(grad(lambda x: x * x)(3)) is float


def test_argnums_int_and_tuple() -> None:
    def f(x: Any, y: Any, z: Any) -> Any:
        return x * y + sin(z) * y

    assert grad(f)(1.0, 2.0, 0.0) == 2.0
    assert grad(f, argnums=1)(1.0, 2.0, 0.0) == 1.0
    assert grad(f, argnums=-1)(1.0, 2.0, 0.0) == 2.0
    assert grad(f, argnums=(0, 2))(1.0, 2.0, 0.0) == (2.0, 2.0)
    assert grad(f, argnums=(2, 0, 1))(1.0, 2.0, 0.0) == (2.0, 2.0, 1.0)
    value, slopes = value_and_grad(f, argnums=(0, 1))(1.0, 2.0, 0.0)
    assert value == 2.0 and slopes == (2.0, 1.0)
    assert isinstance(slopes, tuple)


def test_non_differentiated_arguments_may_be_anything() -> None:
    def f(x: Any, name: str, scale: list[float]) -> Any:
        assert name == "label"
        return x * scale[0]

    assert grad(f)(2.0, "label", [3.0]) == 3.0


@pytest.mark.parametrize(
    ("argnums", "error", "pattern"),
    [
        ("0", TypeError, "argnums must be an int or a tuple"),
        (True, TypeError, "argnums must be an int or a tuple"),
        ((), TypeError, "non-empty tuple"),
        ((0, 1.0), TypeError, "non-empty tuple of ints"),
        ([0], TypeError, "argnums must be an int or a tuple"),
    ],
)
def test_bad_argnums_are_refused_when_grad_is_made(argnums: Any, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        grad(lambda x: x, argnums=argnums)


def test_argnums_out_of_range_or_repeated_are_refused_when_called() -> None:
    with pytest.raises(TypeError, match=r"names argument 1, but the function was called with 1"):
        grad(lambda x: x, argnums=1)(1.0)
    with pytest.raises(TypeError, match=r"names argument -3"):
        grad(lambda x, y: x, argnums=-3)(1.0, 2.0)
    with pytest.raises(ValueError, match="same argument twice"):
        grad(lambda x: x * x, argnums=(0, 0))(3.0)
    with pytest.raises(ValueError, match="same argument twice"):
        grad(lambda x, y: x * y, argnums=(1, -1))(3.0, 2.0)


def test_non_numeric_argument_is_refused() -> None:
    with pytest.raises(TypeError, match=r"grad: argument 0 is str"):
        grad(lambda x: x)("1.0")


@pytest.mark.parametrize("result", [[1.0], (1.0,), "1.0", None, 1j])
def test_non_scalar_return_is_refused(result: Any) -> None:
    with pytest.raises(TypeError, match=rf"must return a scalar Value or a real number, got {type(result).__name__}"):
        grad(lambda x: result)(1.0)


def test_a_constant_function_has_derivative_zero() -> None:
    assert value_and_grad(lambda x: 5)(1.0) == (5.0, 0.0)
    assert value_and_grad(lambda x: Value(5.0))(1.0) == (5.0, 0.0)
    assert grad(lambda x, y: x * 2, argnums=(0, 1))(1.0, 1.0) == (2.0, 0.0)


# Derivatives of order 0..4 at a point, from their closed forms.
S, C = math.sin, math.cos
HIGHER: dict[str, tuple[Callable[[Any], Any], list[Callable[[float], float]]]] = {
    "sin": (sin, [S, C, lambda x: -S(x), lambda x: -C(x), S]),
    "cos": (cos, [C, lambda x: -S(x), lambda x: -C(x), S, C]),
    "exp": (exp, [math.exp] * 5),
    "x**3": (lambda x: x**3, [lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x,
                              lambda x: 6.0, lambda x: 0.0]),
    "log": (log, [math.log, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3,
                  lambda x: -6 / x**4]),
    "tanh": (tanh, [
        math.tanh,
        lambda x: 1 - math.tanh(x) ** 2,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
        lambda x: -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2),
        lambda x: 8 * math.tanh(x) * (1 - math.tanh(x) ** 2) * (2 - 3 * math.tanh(x) ** 2),
    ]),
    "sigmoid": (sigmoid, [
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s),
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 6 * s + 6 * s * s),
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s) * (1 - 12 * s + 12 * s * s),
    ]),
    "sqrt": (sqrt, [math.sqrt, lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5,
                    lambda x: 0.375 * x**-2.5, lambda x: -0.9375 * x**-3.5]),
    "1/x": (lambda x: 1 / x, [lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3,
                              lambda x: -6 / x**4, lambda x: 24 / x**5]),
    "x**y at y=2.5": (lambda x: x ** Value(2.5), [
        lambda x: x**2.5, lambda x: 2.5 * x**1.5, lambda x: 3.75 * x**0.5,
        lambda x: 1.875 * x**-0.5, lambda x: -0.9375 * x**-1.5]),
}


@pytest.mark.parametrize("name", list(HIGHER))
@pytest.mark.parametrize("x", [0.3, 1.7])
def test_nested_grad_to_fourth_order(name: str, x: float) -> None:
    f, derivatives = HIGHER[name]
    for order, exact in enumerate(derivatives):
        got = nth(f, order)(x) if order else float(f(x))
        assert type(got) is float
        assert math.isclose(got, exact(x), rel_tol=1e-12, abs_tol=1e-12), (name, order, got)


def test_x_squared_at_zero() -> None:
    f = lambda x: x**2
    assert [nth(f, n)(0.0) for n in (1, 2, 3, 4)] == [0.0, 2.0, 0.0, 0.0]
    g = lambda x: x * x
    assert [nth(g, n)(0.0) for n in (1, 2, 3, 4)] == [0.0, 2.0, 0.0, 0.0]


def test_x_cubed_at_zero() -> None:
    f = lambda x: x**3
    assert [nth(f, n)(0.0) for n in (1, 2, 3, 4, 5)] == [0.0, 0.0, 6.0, 0.0, 0.0]


def test_relu_derivatives() -> None:
    assert [grad(relu)(x) for x in (-1.0, 0.0, 2.0)] == [0.0, 0.0, 1.0]
    assert grad(grad(relu))(2.0) == 0.0


def test_closures_over_outer_variables() -> None:
    assert grad(lambda x: grad(lambda y: x * y)(1.0))(3.0) == 1.0
    # d/dx [x * d/dy (x*y + y**2)] at y = 2: d/dx [x * (x + 4)] = 2x + 4
    assert grad(lambda x: x * grad(lambda y: x * y + y**2)(2.0))(3.0) == 10.0
    # mixed second derivative through a closure: d/dx d/dy sin(x*y) = cos(xy) - xy sin(xy)
    x0, y0 = 0.7, 1.3
    mixed = grad(lambda x: grad(lambda y: sin(x * y))(y0))(x0)
    assert math.isclose(mixed, math.cos(x0 * y0) - x0 * y0 * math.sin(x0 * y0), rel_tol=1e-13)


def test_derivative_is_partial_when_a_value_is_also_captured() -> None:
    # d/da (a * x) with a = x: the derivative with respect to the argument alone is x.
    x = Value(3.0)
    assert grad(lambda a: a * x)(x).data == 3.0
    assert grad(lambda a, b: a * b, argnums=(0, 1))(x, x)[0].data == 3.0
    derivatives = grad(lambda a, b: a * b * b, argnums=(0, 1))(x, x)
    assert [d.data for d in derivatives] == [9.0, 18.0]


def test_perturbation_confusion_is_avoided() -> None:
    # Siskind & Pearlmutter's example: d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1.
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(1.0) == 1.0


def test_value_arguments_give_values_that_differentiate_further() -> None:
    x = Value(0.5)
    first = grad(lambda v: v**3)(x)
    assert isinstance(first, Value) and first.data == 0.75
    assert grad(lambda v: grad(lambda w: w**3)(v))(0.5) == 3.0
    value, slope = value_and_grad(lambda v: v * v)(x)
    assert isinstance(value, Value) and isinstance(slope, Value)


def test_callers_grads_are_never_touched() -> None:
    w = Value(2.0)
    w.grad = 5.0
    x = Value(3.0)
    inner = w * x  # the caller's own graph, with its own grads
    inner.backward()
    before = (w.grad, x.grad, inner.grad)
    slope = grad(lambda v: v * w + inner)(x)
    assert slope.data == 2.0
    assert grad(lambda v: grad(lambda u: u * w * v)(1.0))(x).data == 2.0
    assert (w.grad, x.grad, inner.grad) == before


def test_grad_records_even_inside_no_grad() -> None:
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0


def test_grad_from_several_threads_on_a_shared_value() -> None:
    # gradients() keeps its sums in a dict, never in .grad, so threads differentiating
    # graphs that share w do not disturb each other.
    from autograd_mini import gradients

    w = Value(1.5)
    errors: list[str] = []

    def work(k: int) -> None:
        for _ in range(300):
            got = grad(lambda x: (x * w).tanh() * k)(0.2 * k)
            expected = k * 1.5 * (1 - math.tanh(0.3 * k) ** 2)
            if not math.isclose(got, expected, rel_tol=1e-14):
                errors.append(f"d/dx {k}: {got} != {expected}")
            out = sum(((w * (0.1 * k)).tanh() for _ in range(20)), Value(0.0))
            got = gradients(out)[w]
            expected = 20 * 0.1 * k * (1 - math.tanh(0.15 * k) ** 2)
            if not math.isclose(got, expected, rel_tol=1e-12):
                errors.append(f"d/dw {k}: {got} != {expected}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert w.grad == 0.0


def test_wraps_the_function() -> None:
    def loss(x: Any) -> Any:
        """The loss."""
        return x * x

    assert grad(loss).__name__ == "loss" and grad(loss).__doc__ == "The loss."
    assert value_and_grad(loss).__name__ == "loss"


def test_errors_inside_f_propagate_and_leave_no_nesting_state() -> None:
    def broken(x: Any) -> Any:
        raise KeyError("inside")

    with pytest.raises(KeyError):
        grad(broken)(1.0)
    # Had the nesting depth leaked, this would come back as a Value instead of a float.
    assert type(grad(lambda x: x * x)(1.0)) is float
    with pytest.raises(ValueError, match=r"log: input -1\.0"):
        grad(log)(-1.0)
    assert type(grad(lambda x: x * x)(1.0)) is float


def test_an_infinite_derivative_is_reported_clearly() -> None:
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt at input 0\.0"):
        grad(sqrt)(0.0)


# ------------------------------------------------------ Jacobians, Hessians, hvp


def flat(nested: Any) -> list[float]:
    """The numbers of nested lists and tuples, in order (pytest.approx takes flat ones)."""
    if isinstance(nested, list | tuple):
        return [x for item in nested for x in flat(item)]
    return [nested]


def g3(x: Any, y: Any, z: Any) -> list[Any]:
    return [x * y * z, sin(x) + exp(y), (tanh(z * x), 2.0)]


G_POINT = (0.3, -0.8, 1.4)


def test_jacobian_in_both_modes_is_every_partial_derivative() -> None:
    from autograd_mini.functional import jacfwd, jacobian, jacrev

    everything = (0, 1, 2)
    rev = jacobian(g3, argnums=everything)(*G_POINT)
    fwd = jacobian(g3, argnums=everything, mode="fwd")(*G_POINT)
    assert isinstance(rev, list) and isinstance(rev[2], tuple)  # the output's own shape
    flat_rev = [rev[0], rev[1], rev[2][0], rev[2][1]]
    flat_fwd = [fwd[0], fwd[1], fwd[2][0], fwd[2][1]]
    for row_rev, row_fwd, i in zip(flat_rev, flat_fwd, range(4)):
        assert isinstance(row_rev, tuple) and len(row_rev) == 3
        assert row_rev == pytest.approx(row_fwd, rel=1e-15, abs=1e-300)
        for j in range(3):  # each entry is grad of output i by argument j
            output = lambda *xs, i=i: [*g3(*xs)[:2], *g3(*xs)[2]][i]
            assert row_rev[j] == pytest.approx(grad(output, argnums=j)(*G_POINT), rel=1e-15)
    assert flat_rev[3] == (0.0, 0.0, 0.0)  # a constant output
    assert all(type(d) is float for row in flat_rev for d in row)
    # An int argnums gives one derivative per output; jacrev and jacfwd are the two modes.
    assert jacrev(g3, argnums=1)(*G_POINT) == [rev[0][1], rev[1][1], (rev[2][0][1], 0.0)]
    assert flat(jacfwd(g3, argnums=1)(*G_POINT)) == pytest.approx(
        [fwd[0][1], fwd[1][1], fwd[2][0][1], 0.0], rel=1e-15)
    # A scalar output: the gradient, as grad gives it.
    f = lambda x, y: x * sin(y)
    assert jacobian(f, argnums=(0, 1))(2.0, 0.5) == grad(f, argnums=(0, 1))(2.0, 0.5)


def test_jacobian_spends_one_pass_per_output_or_per_input(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd_mini.functional as functional

    calls = {"gradients": 0, "sweep": 0}

    def counted(name: str) -> Any:
        real = getattr(functional, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(functional, "gradients", counted("gradients"))
    monkeypatch.setattr(functional, "sweep", counted("sweep"))
    many_inputs = lambda *xs: [sum(x * x for x in xs), xs[0] * xs[1]]  # R^6 -> R^2
    functional.jacobian(many_inputs, argnums=tuple(range(6)))(*range(6))
    assert calls == {"gradients": 2, "sweep": 0}  # one reverse pass per output
    functional.jacobian(many_inputs, argnums=tuple(range(6)), mode="fwd")(*range(6))
    assert calls == {"gradients": 2, "sweep": 6}  # one forward pass per input


def test_hessian_is_forward_over_reverse_and_symmetric() -> None:
    from autograd_mini.functional import hessian, jacobian

    f = lambda x, y: x * x * y + sin(x * y)
    x, y = 0.6, 1.3
    h = hessian(f, argnums=(0, 1))(x, y)
    s, c = math.sin(x * y), math.cos(x * y)
    expected = ((2 * y - y * y * s, 2 * x + c - x * y * s), (2 * x + c - x * y * s, -x * x * s))
    for row, exact in zip(h, expected):
        assert row == pytest.approx(exact, rel=1e-14)
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-15)
    assert hessian(f)(x, y) == pytest.approx(expected[0][0], rel=1e-14)  # argnums=0
    every = (0, 1)
    for inner, outer in [("rev", "rev"), ("fwd", "fwd"), ("fwd", "rev")]:
        other = jacobian(jacobian(f, every, mode=inner), every, mode=outer)(x, y)
        assert flat(other) == pytest.approx(flat(h), rel=1e-14)
    # A function with several outputs has one Hessian per output.
    both = hessian(lambda x, y: [x * y, y**3], argnums=(0, 1))(x, y)
    assert both == [((0.0, 1.0), (1.0, 0.0)), ((0.0, 0.0), (0.0, 6 * y))]


def test_hvp_is_the_hessian_times_the_vector() -> None:
    from autograd_mini.functional import hessian, hvp

    f = lambda x, y, z: tanh(x * y) * exp(z) + x**3 * z
    point, v = (0.2, -0.9, 0.5), (1.0, 0.5, -2.0)
    value, product = hvp(f, point, v)
    assert value == float(f(*point)) and isinstance(product, tuple) and len(product) == 3
    h = hessian(f, argnums=(0, 1, 2))(*point)
    for i in range(3):
        assert product[i] == pytest.approx(sum(h[i][j] * v[j] for j in range(3)), rel=1e-13)
    assert hvp(lambda x: x**4, [2.0], [1.0]) == (16.0, (48.0,))
    # Values in: Values out, differentiable again (d/dx of x**4's hvp along 1 is 24x).
    assert grad(lambda x: hvp(lambda t: t**4, (x,), (1.0,))[1][0])(2.0) == 48.0


def test_the_toolbox_nests_inside_grad() -> None:
    from autograd_mini.functional import hessian, jacobian

    # d/dx of the Jacobian entry d(x*y)/dy = x is 1; d/dx of hessian(t**3) = 6 x is 6.
    assert grad(lambda x: jacobian(lambda y: [x * y], mode="fwd")(1.0)[0])(2.0) == 1.0
    assert grad(lambda x: hessian(lambda t: t**3)(x))(2.0) == 6.0


@pytest.mark.parametrize("name", ["jacobian", "jacrev", "jacfwd", "hessian"])
def test_bad_input_to_the_jacobians(name: str) -> None:
    import autograd_mini.functional as functional

    make = getattr(functional, name)
    with pytest.raises(TypeError, match=f"{name}: argnums must be an int or a tuple"):
        make(lambda x: x, argnums=[0])
    with pytest.raises(TypeError, match=rf"{name}: argnums 2 names argument 2, but the function was called with 1"):
        make(lambda x: x, argnums=2)(1.0)
    with pytest.raises(ValueError, match=f"{name}: argnums .* names the same argument twice"):
        make(lambda x, y: x, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(TypeError, match=rf"{name}: argument 0 is str '1'"):
        make(lambda x: x)("1")
    with pytest.raises(TypeError, match=rf"{name}: <lambda> must return a scalar Value or a real number, or a list or tuple of them, got dict"):
        make(lambda x: {"y": x})(1.0)


def test_bad_mode_and_bad_hvp_input() -> None:
    from autograd_mini.functional import hvp, jacobian

    with pytest.raises(ValueError, match=r"jacobian: mode must be 'rev' or 'fwd', got 'forward'"):
        jacobian(lambda x: x, mode="forward")
    with pytest.raises(TypeError, match=r"hvp: <lambda> must return a scalar Value or a real number, got list"):
        hvp(lambda x: [x, x], (1.0,), (1.0,))
    with pytest.raises(ValueError, match=r"hvp: 1 primal\(s\) but 2 tangent\(s\)"):
        hvp(lambda x: x, (1.0,), (1.0, 2.0))
    with pytest.raises(TypeError, match=r"hvp: primals must be a tuple"):
        hvp(lambda x: x, 1.0, (1.0,))


def test_a_comparison_returned_as_the_output_is_refused_not_differentiated_to_zero() -> None:
    # bool is a real number to Python; grad(lambda x: x > 1) used to return 0.0.
    from autograd_mini import hessian, jacobian

    for transform in (grad, jacobian, hessian):
        with pytest.raises(TypeError, match=r"returned the bool True: a comparison has no derivative"):
            transform(lambda x: x > 1)(2.0)
