"""gradcheck and gradgradcheck: they pass what is right, and catch and explain what is wrong."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import autograd_mini
from autograd_mini import Value, cos, exp, log, ops, primitive, relu, sigmoid, sin, sqrt, tanh
from autograd_mini.check import GradcheckError, gradcheck, gradgradcheck


@pytest.fixture
def make_primitive() -> Iterator[Callable[..., Any]]:
    """primitive(...) whose ops leave the table after the test, so no other test draws them."""
    made: list[str] = []

    def make(name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(name)
        return primitive(name, *args, **kwargs)

    yield make
    for name in made:
        if name in ops.OPS:
            ops.unregister(name)


# ------------------------------------------------------------------------- passing


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x: x * x * x, (1.7,)),
        (lambda x: sin(x) * cos(x) + exp(-x * x), (0.3,)),
        (lambda x, y: tanh(x * y) + log(y) / (1 + x * x), (0.5, 2.0)),
        (lambda x, y, z: sigmoid(x - y) * sqrt(z) + x ** y, (1.2, -0.4, 3.0)),
        (lambda x, y: autograd_mini.abs(x) * relu(y), (-1.5, 0.7)),  # kinked ops, far from their kinks
        (lambda x: 3.0, (1.0,)),  # a constant function: both derivatives are 0
        (lambda x, y: x, (1.0, 2.0)),  # an unused input: derivative 0
    ],
)
def test_correct_functions_pass(f: Callable[..., Any], point: tuple[float, ...]) -> None:
    assert gradcheck(f, *point) is True
    assert gradgradcheck(f, *point) is True


def test_values_as_arguments_and_grads_left_alone() -> None:
    weight = Value(2.0)
    weight.grad = 5.0
    x = Value(0.5)
    x.grad = 7.0
    assert gradcheck(lambda t: weight * tanh(t), x)
    assert gradgradcheck(lambda t: weight * tanh(t), x)
    assert (weight.grad, x.grad) == (5.0, 7.0)


# ----------------------------------------------------------------- wrong derivatives


def test_wrong_partial_fails_and_names_the_input(make_primitive: Callable[..., Any]) -> None:
    # d(x*y)/dy should be x; this rule says 2x. Input x1 is wrong, x0 is right.
    bad_product = make_primitive(
        "gc_bad_product", lambda x, y: x * y, lambda x, y: y, lambda x, y: 2 * x
    )
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: tanh(bad_product(a, b)), 0.5, 1.3)
    error = caught.value
    message = str(error)
    assert error.failed_inputs == (1,)
    assert "failed for input x1" in message
    assert "x0," not in message.splitlines()[0]
    for column in ("input", "point", "analytic", "numeric", "abs error", "rel error"):
        assert column in message
    assert [row.ok for row in error.rows] == [True, False]
    failing = error.rows[1]
    assert failing.name == "d/dx1"
    assert failing.analytic == pytest.approx(2 * failing.numeric, rel=1e-6)
    assert failing.abs_error == pytest.approx(abs(failing.analytic - failing.numeric))
    assert failing.rel_error == pytest.approx(1.0, rel=1e-6)
    # The op whose rule is wrong is named, with the input and the point.
    assert len(error.suspects) == 1
    assert "op gc_bad_product" in error.suspects[0]
    assert "input x1 at x0=0.5, x1=1.3" in error.suspects[0]
    assert not error.kinks
    assert isinstance(error, AssertionError)


def test_wrong_partial_is_caught_inside_a_larger_program(make_primitive: Callable[..., Any]) -> None:
    # A wrong op buried among correct ones: the report still names only the wrong rule.
    bad_square = make_primitive("gc_bad_square", lambda x: x * x, lambda x: 3 * x)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b, c: sin(a) * exp(b) + bad_square(c) / (1 + a * a), 0.2, 0.1, 1.5)
    assert caught.value.failed_inputs == (2,)
    assert [s.split(":")[0] for s in caught.value.suspects] == ["op gc_bad_square"]


def test_small_errors_pass_with_defaults_but_not_with_tight_tolerances(
    make_primitive: Callable[..., Any],
) -> None:
    nearly = make_primitive("gc_nearly_sin", math.sin, lambda x: cos(x) + 1e-7)
    assert gradcheck(nearly, 0.4)
    with pytest.raises(GradcheckError):
        gradcheck(nearly, 0.4, atol=0.0, rtol=1e-9)


def test_non_finite_analytic_derivative_fails(make_primitive: Callable[..., Any]) -> None:
    infinite = make_primitive("gc_infinite_slope", lambda x: x, lambda x: math.inf)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(infinite, 1.0)
    assert "the analytic derivative is not finite" in str(caught.value)


# ---------------------------------------------------------------------------- kinks


@pytest.mark.parametrize(
    ("f", "x", "op_name"),
    [
        (relu, 0.0, "relu"),
        (relu, 3e-7, "relu"),
        (autograd_mini.abs, -4e-7, "abs"),
        (autograd_mini.abs, 3e-7, "abs"),
    ],
)
def test_point_at_a_kink_is_reported_as_a_kink(
    f: Callable[..., Any], x: float, op_name: str
) -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, x)
    error = caught.value
    assert error.failed_inputs == (0,)
    assert len(error.kinks) == 1
    assert error.kinks[0].startswith(f"x0 is within eps of the kink of {op_name} at 0.0")
    assert "straddle a point where the derivative jumps" in str(error)
    assert not error.suspects  # a kink is not a wrong rule


def test_kink_of_an_inner_expression_names_each_input_it_depends_on() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b, c: relu(a * b - 0.65) + c, 0.5, 1.3, 2.0)
    error = caught.value
    assert error.failed_inputs == (0, 1)  # c passes: it does not move relu's input
    assert [k.split(" ")[0] for k in error.kinks] == ["x0", "x1"]
    assert "the input of relu is" in error.kinks[0]


def test_points_clear_of_the_kink_pass() -> None:
    assert gradcheck(relu, 1e-3)
    assert gradcheck(relu, -1e-3)
    assert gradcheck(autograd_mini.abs, 2e-5)
    assert gradcheck(autograd_mini.abs, 0.0)  # abs'(0) = 0, and so is the central difference


def test_kinks_of_user_primitives_are_read_from_the_op_table(
    make_primitive: Callable[..., Any],
) -> None:
    def sign_of_shift(x: Any) -> float:
        return 1.0 if x > 1.0 else -1.0

    vee = make_primitive(
        "gc_vee", lambda x: math.fabs(x - 1.0), sign_of_shift, kinks=(1.0,),
    )
    with pytest.raises(GradcheckError) as caught:
        gradcheck(vee, 1.0)
    assert caught.value.kinks[0].startswith("x0 is within eps of the kink of gc_vee at 1.0")
    assert gradcheck(vee, 1.1)


def test_second_order_kink_is_reported() -> None:
    # f'(x) = 2 relu(x) is continuous, but f'' jumps from 0 to 2 at 0.
    f = lambda x: relu(x) * x
    assert gradcheck(f, 0.0)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(f, 0.0)
    assert caught.value.kinks and "kink of relu" in caught.value.kinks[0]


# --------------------------------------------------------------- second derivatives


def test_gradgradcheck_catches_a_rule_computed_on_floats(make_primitive: Callable[..., Any]) -> None:
    # Right as a number, so gradcheck passes; but float(x) cuts the graph, so the second
    # derivative the engine computes is 0.
    cube = make_primitive("gc_float_cube", lambda x: x**3, lambda x: 3.0 * float(x) ** 2)
    assert gradcheck(cube, 2.0)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda a, b: cube(a) * b, 2.0, 0.5)
    error = caught.value
    assert error.failed_inputs == (0,)
    failing = [row for row in error.rows if not row.ok]
    assert [row.wrt for row in failing] == [(0, 0)]
    assert failing[0].name == "d2/dx0dx0"
    assert failing[0].analytic == 0.0
    assert failing[0].numeric == pytest.approx(6.0 * 2.0 * 0.5, rel=1e-6)
    assert "op gc_float_cube" in error.suspects[0]
    assert "differentiated" in error.suspects[0]


def test_gradgradcheck_names_the_input_of_a_wrong_mixed_derivative(
    make_primitive: Callable[..., Any],
) -> None:
    # x * y whose rule for y reads x.data: right as a number, but d/dx of that rule is lost.
    product = make_primitive(
        "gc_data_product", lambda x, y: x * y, lambda x, y: y, lambda x, y: getattr(x, "data", x)
    )
    assert gradcheck(product, 0.8, -1.2)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(product, 0.8, -1.2)
    error = caught.value
    failing = [row for row in error.rows if not row.ok]
    assert [(row.wrt, row.analytic) for row in failing] == [((1, 0), 0.0)]
    assert failing[0].numeric == pytest.approx(1.0)
    assert error.failed_inputs == (0,)  # the entry d/dx0 (df/dx1) perturbs x0
    assert "op gc_data_product: the rule for input x1 differentiated by x0" in error.suspects[0]


def test_hessian_of_a_known_function() -> None:
    # f = x² y + sin(y): H = [[2y, 2x], [2x, -sin(y)]]; the table rows are every entry.
    f = lambda x, y: x * x * y + sin(y)
    assert gradgradcheck(f, 0.7, 1.1)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(f, 0.7, 1.1, atol=0.0, rtol=0.0)  # nothing survives zero tolerance
    rows = {row.wrt: row.analytic for row in caught.value.rows}
    assert rows[(0, 0)] == pytest.approx(2 * 1.1)
    assert rows[(0, 1)] == pytest.approx(2 * 0.7)
    assert rows[(1, 0)] == pytest.approx(2 * 0.7)
    assert rows[(1, 1)] == pytest.approx(-math.sin(1.1))


# ------------------------------------------------------------------- domain edges


def test_probe_outside_the_domain_is_explained() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(log, 5e-7)
    message = str(caught.value)
    assert "f raised at x0 - eps" in message
    assert "within eps of the edge of f's domain" in message
    assert "log: input" in message


def test_error_at_the_point_itself_propagates() -> None:
    with pytest.raises(ValueError, match=r"sqrt: input -1\.0"):
        gradcheck(sqrt, -1.0)


# -------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_bad_arguments(check: Callable[..., Any]) -> None:
    name = check.__name__
    with pytest.raises(TypeError, match=f"{name}: give the point"):
        check(sin)
    with pytest.raises(TypeError, match=f"{name}: input 0 is str"):
        check(sin, "1.0")
    with pytest.raises(TypeError, match=f"{name}: input 1 is bool"):
        check(lambda x, y: x * y, 1.0, True)
    with pytest.raises(ValueError, match=f"{name}: input 0 is nan"):
        check(sin, math.nan)
    with pytest.raises(ValueError, match=r"eps=0\.0 must be a positive"):
        check(sin, 1.0, eps=0.0)
    with pytest.raises(ValueError, match=r"atol=-1\.0 must be a finite number >= 0"):
        check(sin, 1.0, atol=-1.0)
    with pytest.raises(ValueError, match="rtol=nan"):
        check(sin, 1.0, rtol=math.nan)


def test_function_returning_a_non_scalar_is_rejected() -> None:
    with pytest.raises(TypeError, match="must return a scalar Value"):
        gradcheck(lambda x: [x, x], 1.0)


def test_report_is_identical_on_every_run(make_primitive: Callable[..., Any]) -> None:
    bad = make_primitive("gc_bad_twice", lambda x: 2 * x, lambda x: 3.0)
    messages = set()
    for _ in range(3):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda t: bad(t) + relu(t), 0.5)
        messages.add(str(caught.value))
    assert len(messages) == 1
