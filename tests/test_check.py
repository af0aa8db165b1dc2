"""gradcheck and gradgradcheck: they pass what is right, and catch and explain what is wrong."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import autograd_mini
from autograd_mini import (
    Value,
    check,
    cos,
    exp,
    log,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd_mini.check import GradcheckError, gradcheck, gradgradcheck

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


@pytest.mark.parametrize("result", ["x", {1.0}, None, 1j, [1.0, "x"]])
def test_function_returning_a_non_number_is_rejected(result: Any) -> None:
    with pytest.raises(TypeError, match="must return a scalar Value or a real number, or a list"):
        gradcheck(lambda x: result, 1.0)


def test_report_is_identical_on_every_run(make_primitive: Callable[..., Any]) -> None:
    bad = make_primitive("gc_bad_twice", lambda x: 2 * x, lambda x: 3.0)
    messages = set()
    for _ in range(3):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(lambda t: bad(t) + relu(t), 0.5)
        messages.add(str(caught.value))
    assert len(messages) == 1


# ------------------------------------------------------ orders, modes and outputs


BOTH = ("fwd", "rev")


def test_header_names_the_order_and_the_mode(make_primitive: Callable[..., Any]) -> None:
    bad = make_primitive("gc_bad_header", lambda x: 2 * x, lambda x: 3.0)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda t: bad(t) * 1.5, 0.5)
    assert caught.value.args[0].splitlines()[0] == (
        "gradcheck failed for input x0 of <lambda> at (0.5): order 1 (rev)")
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda t: bad(t) * 1.5, 0.5, modes=BOTH)
    first = str(caught.value).splitlines()[0]
    assert first.endswith("at (0.5): order 1 (fwd, rev)")
    assert [(row.mode, row.ok) for row in caught.value.rows] == [("fwd", False), ("rev", False)]


@pytest.mark.parametrize("modes", [("rev",), ("fwd",), BOTH])
def test_every_derivative_up_to_order_three_is_compared(modes: tuple[str, ...]) -> None:
    f = lambda x, y: sin(x) * exp(y) + x * x * y
    rows = check.gradient_rows(f, 0.4, -0.3, order=3, modes=modes)
    # n + n**2 + n**3 entries per mode, in order, each mode's own
    assert [row.order for row in rows] == [1] * 2 * len(modes) + [2] * 4 * len(modes) + [3] * 8 * len(modes)
    assert {row.mode for row in rows} == set(modes)
    assert all(row.ok for row in rows)
    third = {row.wrt: row.analytic for row in rows if row.order == 3 and row.mode == modes[0]}
    x, y = 0.4, -0.3
    assert third[(0, 0, 0)] == pytest.approx(-math.cos(x) * math.exp(y), rel=1e-12)
    assert third[(0, 0, 1)] == pytest.approx(-math.sin(x) * math.exp(y) + 2.0, rel=1e-12)
    assert third[(1, 0, 0)] == third[(0, 1, 0)] == third[(0, 0, 1)]  # one symmetric tensor
    assert third[(1, 1, 1)] == pytest.approx(math.sin(x) * math.exp(y), rel=1e-12)
    names = [row.name for row in rows if row.mode == modes[0]]
    assert names[:3] == ["d/dx0", "d/dx1", "d2/dx0dx0"] and names[-1] == "d3/dx1dx1dx1"
    assert gradcheck(f, 0.4, -0.3, order=4, modes=modes)


def test_a_rule_wrong_only_at_third_order_is_caught_there(make_primitive: Callable[..., Any]) -> None:
    # sq's rule is computed on float(x): right as a number, its own derivative lost. cube's
    # rule 3 * sq(x) is then right, and so is its derivative 3 * sq'(x); its second is not.
    sq = make_primitive("gc_float_square", lambda x: x * x, lambda x: 2.0 * float(x))
    cube = make_primitive("gc_cube_of_sq", lambda x: x**3, lambda x: 3 * sq(x))
    f = lambda a, b: cube(a) * b
    assert gradcheck(f, 0.8, 1.5, order=2, modes=BOTH)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, 0.8, 1.5, order=3, modes=BOTH)
    error = caught.value
    assert str(error).splitlines()[0].endswith(": order 3 (fwd, rev)")
    failing = [row for row in error.rows if not row.ok]
    assert {(row.wrt, row.mode) for row in failing} == {((0, 0, 0), "fwd"), ((0, 0, 0), "rev")}
    assert all(row.analytic == 0.0 for row in failing)
    assert failing[0].numeric == pytest.approx(6.0 * 1.5, rel=1e-5)
    assert error.failed_inputs == (0,)
    assert len(error.suspects) == 1
    assert error.suspects[0].startswith(
        "op gc_cube_of_sq: the rule for input x differentiated by x and then x at x=0.8")
    assert "finite differences of its derivative of order 1" in error.suspects[0]


def test_a_wrong_forward_mode_is_caught_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both modes read the same rules, so a bug in one mode is a bug in its pass: plant one
    # in forward mode's sweep (tangents come out 10% too large) and only "fwd" fails.
    from autograd_mini import functional

    honest = functional.sweep

    def inflated(order: Any, seeds: Any, create_graph: bool = False) -> dict[Any, Any]:
        return {node: 1.1 * dot for node, dot in honest(order, seeds, create_graph).items()}

    monkeypatch.setattr(functional, "sweep", inflated)
    f = lambda x, y: tanh(x) * y
    assert gradcheck(f, 0.3, 0.9)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, 0.3, 0.9, modes=BOTH)
    error = caught.value
    assert str(error).splitlines()[0] == (
        "gradcheck failed for inputs x0, x1 of <lambda> at (0.3, 0.9): order 1 (fwd)")
    assert [(row.mode, row.ok) for row in error.rows] == [
        ("fwd", False), ("fwd", False), ("rev", True), ("rev", True)]
    assert "mode" in str(error).splitlines()[3]  # the table has a mode column
    # Every op's rule is right, and the report says so.
    assert not error.suspects
    assert "every op's own rule agrees" in str(error)


def test_functions_returning_a_sequence_are_checked_output_by_output(
    make_primitive: Callable[..., Any],
) -> None:
    f = lambda x, y: [x * y, (sin(x), 2.0)]  # nested, with a constant output
    rows = check.gradient_rows(f, 0.5, 2.0, order=2)
    assert [row.name for row in rows][:6] == ["dy0/dx0", "dy0/dx1", "dy1/dx0", "dy1/dx1",
                                              "dy2/dx0", "dy2/dx1"]
    assert [row.analytic for row in rows][:6] == pytest.approx(
        [2.0, 0.5, math.cos(0.5), 0.0, 0.0, 0.0], rel=1e-15)
    assert all(row.ok for row in rows) and len(rows) == 3 * 2 + 3 * 4
    bad = make_primitive("gc_bad_second_output", lambda x: x * x, lambda x: 3 * x)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: [x + y, bad(y)], 0.5, 2.0, modes=BOTH)
    failing = [row for row in caught.value.rows if not row.ok]
    assert [(row.name, row.mode) for row in failing] == [("dy1/dx1", "fwd"), ("dy1/dx1", "rev")]
    assert caught.value.failed_inputs == (1,)
    assert "op gc_bad_second_output" in caught.value.suspects[0]


def test_the_number_of_outputs_must_not_change_near_the_point() -> None:
    def ragged(x: Any) -> list[Any]:
        return [x] if x.data <= 1.0 else [x, x]

    with pytest.raises(ValueError, match=r"f gave 2 outputs at x0 \+ eps = 1\.000001 but 1 at"):
        gradcheck(ragged, 1.0)


def test_gradgradcheck_in_forward_mode_catches_a_rule_computed_on_floats(
    make_primitive: Callable[..., Any],
) -> None:
    cube = make_primitive("gc_float_cube_fwd", lambda x: x**3, lambda x: 3.0 * float(x) ** 2)
    assert gradgradcheck(lambda a: sin(a) * a, 0.3, modes=BOTH)
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(cube, 2.0, modes=("fwd",))
    assert [(row.wrt, row.mode, row.analytic) for row in caught.value.rows] == [((0, 0), "fwd", 0.0)]
    assert str(caught.value).splitlines()[0].endswith(": order 2 (fwd)")
    assert "differentiated by x" in caught.value.suspects[0]


# ---------------------------------------------------------------------- fast mode


def test_fast_mode_passes_what_the_full_check_passes() -> None:
    f = lambda x, y, z: [tanh(x * y) * exp(z), x / y + z * z * z]
    assert gradcheck(f, 0.3, 1.2, -0.4, order=3, modes=BOTH, fast=True)
    rows = check.gradient_rows(f, 0.3, 1.2, -0.4, order=3, modes=BOTH, fast=True)
    # One comparison per order and mode, along u1..uk, of the outputs weighted by v.
    assert [(row.order, row.mode) for row in rows] == [(k, m) for k in (1, 2, 3) for m in BOTH]
    assert [row.name for row in rows[::2]] == ["d(v.y)/du1", "d2(v.y)/du1du2", "d3(v.y)/du1du2du3"]
    for row in rows:
        assert row.wrt == () and len(row.directions) == row.order and len(row.weights) == 2
        assert all(math.isclose(sum(x * x for x in u), 1.0) for u in (*row.directions, row.weights))
    # The two modes compute the same projection, so they agree with each other too.
    for fwd, rev in zip(rows[::2], rows[1::2]):
        assert fwd.analytic == pytest.approx(rev.analytic, rel=1e-12)
    # v^T J u from the full Jacobian: the projection is the one claimed.
    full = [r for r in check.gradient_rows(f, 0.3, 1.2, -0.4) if r.mode == "rev"]
    (u,), v = rows[0].directions, rows[0].weights
    expected = sum(v[r.output] * u[r.wrt[0]] * r.analytic for r in full if r.output is not None)
    assert rows[0].analytic == pytest.approx(expected, rel=1e-12)


def test_fast_mode_is_seeded() -> None:
    f = lambda x, y: sin(x) * y
    first = check.gradient_rows(f, 0.1, 0.2, fast=True, seed=3)
    again = check.gradient_rows(f, 0.1, 0.2, fast=True, seed=3)
    assert [(r.analytic, r.numeric, r.directions) for r in first] == [
        (r.analytic, r.numeric, r.directions) for r in again]
    assert first[0].directions != check.gradient_rows(f, 0.1, 0.2, fast=True, seed=4)[0].directions
    assert first[0].name == "d/du1" and first[0].weights == ()  # one output: v is 1


def test_fast_mode_failure_says_so_and_names_the_input(make_primitive: Callable[..., Any]) -> None:
    bad = make_primitive("gc_fast_bad", lambda x, y: x * y, lambda x, y: y, lambda x, y: 2 * x)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b, c: bad(a, b) + c, 0.5, 1.3, 0.2, fast=True, seed=7)
    error = caught.value
    message = str(error)
    assert message.splitlines()[0] == (
        "gradcheck failed for input x1 of <lambda> at (0.5, 1.3, 0.2): order 1 (rev)")
    assert "fast mode: each order compared once as v^T J u" in message
    assert "seed=7" in message and "u1 = (" in message
    assert "the full comparison, entry by entry, of what failed:" in message
    assert error.failed_inputs == (1,)
    assert [row.ok for row in error.rows] == [False, True, False, True]  # fast row, then entries
    assert "op gc_fast_bad: the rule for input x1" in error.suspects[0]


def test_fast_mode_failure_of_the_projection_alone_is_explained() -> None:
    # x + y at points and a step that floats hold exactly: every entry's difference is exact,
    # while a step along a random direction rounds. With no tolerance, only the projection fails.
    eps = 2.0**-20
    assert gradcheck(lambda x, y: x + y, 0.5, 0.25, eps=eps, atol=0.0, rtol=0.0)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: x + y, 0.5, 0.25, eps=eps, atol=0.0, rtol=0.0, fast=True)
    error = caught.value
    assert error.failed_inputs == ()
    assert str(error).splitlines()[0].startswith("gradcheck failed in fast mode for <lambda>")
    assert "every entry of the full comparison passes on its own" in str(error)
    assert all(row.ok for row in error.rows if not row.directions)


# ------------------------------------------------------------- bad new arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"order": 0}, ValueError, r"order=0 must be an int >= 1"),
        ({"order": 1.0}, TypeError, r"order=1\.0 must be an int >= 1"),
        ({"order": True}, TypeError, r"order=True must be an int"),
        ({"modes": "fwd"}, TypeError, r"modes='fwd' must be a tuple of modes, such as \('rev',\)"),
        ({"modes": ("forward",)}, ValueError, r"modes=\('forward',\) must name 'fwd' and/or 'rev'"),
        ({"modes": ("rev", "rev")}, ValueError, r"modes=\(.rev., .rev.\) must name .*, each once"),
        ({"modes": ()}, ValueError, r"modes=\(\) must name .fwd. and/or .rev."),
        ({"fast": 1}, TypeError, r"fast=1 must be True or False"),
        ({"seed": 0.5}, TypeError, r"seed=0\.5 must be an int"),
    ],
)
def test_bad_orders_modes_and_seeds(kwargs: dict[str, Any], error: type, pattern: str) -> None:
    with pytest.raises(error, match=f"gradcheck: {pattern}"):
        gradcheck(sin, 1.0, **kwargs)
    if "order" not in kwargs:
        with pytest.raises(error, match=f"gradgradcheck: {pattern}"):
            gradgradcheck(sin, 1.0, **kwargs)


# ------------------------------------------------- the step taken, and points beyond it
# The central difference divides by the step x ± eps actually takes in floats; a point
# where rounding could still move the difference by more than rtol is refused with a
# ValueError that names the input and an eps that fits, never checked with a false alarm.


def _following_the_fix(f: Callable[..., Any], point: tuple[float, ...], **options: Any) -> bool:
    """gradcheck at ``point``; where it refuses the point, again with the eps it names."""
    import re

    for _ in range(4):
        try:
            return gradcheck(f, *point, **options)
        except ValueError as refused:
            assert not isinstance(refused, GradcheckError)
            message = str(refused)
            assert "is beyond finite differences with eps=" in message, message
            fix = re.search(r"pass eps=(\S+) or larger", message)
            assert fix is not None, message
            assert float(fix.group(1)) > options.get("eps", 1e-6)
            options["eps"] = float(fix.group(1))
    raise AssertionError(f"still refused after following the fix: {message}")


def test_a_large_point_is_refused_not_a_false_alarm_and_the_fix_works() -> None:
    # 3 * x at 5e7: x ± 1e-6 rounds to a step 0.66% short, which once failed as
    # "analytic 3 vs numeric 2.98" and blamed the rule of *.
    with pytest.raises(ValueError, match=r"input 0 = 50000000\.0 is beyond finite differences"
                       r" with eps=1e-06 \(floats there are 7\.45e-09 apart, so rounding can"
                       r" move a difference over x ± eps by 1\.49% of its size, more than"
                       r" rtol=0\.001 allows\).*pass eps=2e-05 or larger$") as caught:
        gradcheck(lambda x: 3 * x, 5e7)
    assert not isinstance(caught.value, GradcheckError)
    assert gradcheck(lambda x: 3 * x, 5e7, eps=2e-5)
    assert gradcheck(lambda x: 3 * x, 4e6)  # within reach of eps=1e-6: checked
    with pytest.raises(ValueError, match=r"gradgradcheck: input 1 = -200000000\.0 is beyond"):
        gradgradcheck(lambda x, y: x * y, 1.0, -2e8)


@pytest.mark.parametrize(
    ("kwargs", "x", "pattern"),
    [
        ({"rtol": 0.0}, 100.0, r"rtol=0\.0 counts as 1e-08 here"),  # zero rtol: 1e-8 still
        ({"rtol": 0.5}, 2.0**40, r"x ± eps is lost to rounding: floats there are 0\.000244 apart"),
        ({}, 1.7976931348623157e308, r"no step fits this close to the largest float"),
        ({}, -1e308, r"pass eps=4e\+295 or larger"),
    ],
)
def test_the_refusal_says_why_and_what_fits(kwargs: dict[str, Any], x: float, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern) as caught:
        gradcheck(lambda v: v * 2, x, **kwargs)
    assert "beyond finite differences" in str(caught.value)


def test_the_difference_divides_by_the_step_taken_in_every_mode() -> None:
    # At 0.1 and 0.3, x ± 1e-6 are not 2e-6 apart in floats. Dividing by what they are
    # apart makes linear layers exact: every mode, order and fast mode share the one
    # difference, so even zero tolerance passes (it failed by ~1e-12 when divided by 2 eps).
    zero = {"atol": 0.0, "rtol": 0.0, "modes": ("fwd", "rev")}
    assert gradcheck(lambda x, y: x + y, 0.1, 0.3, **zero)
    assert gradgradcheck(lambda x, y: x * y * 0.5, 0.1, 0.3, **zero)
    assert gradcheck(lambda x, y: x, 0.1, 0.3, order=2, fast=True, **zero)


def test_an_op_with_large_inputs_is_checked_with_a_step_that_fits(
    make_primitive: Callable[..., Any],
) -> None:
    # Only bad_square is wrong. The * after it multiplies 6e7, where a step of 1e-6 rounds
    # by 0.66%: checked with that step, * itself looked wrong too.
    bad_square = make_primitive("gc_bad_square_big", lambda x: x * x, lambda x: 3 * x)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: bad_square(x) * 6e7, 1.5)
    assert [s.split(":")[0] for s in caught.value.suspects] == ["op gc_bad_square_big"]


def test_rounding_inside_f_is_refused_as_beyond_finite_differences() -> None:
    # x * y + 3 * x at y = -2.998: d/dx = y + 3 = 0.002 is the difference of two values
    # near 3.8e5, whose rounding swamps a step of 1e-6 although x alone is fine.
    f = lambda x, y: x * y + 3 * x
    point = (128002.06645807873, -2.997892871070893)
    with pytest.raises(ValueError, match=r"gradcheck: input 0 = 128002\.06645807873 is beyond"
                       r" finite differences with eps=1e-06 \(rounding in f's own arithmetic can"
                       r" move the difference for d/dx0 by up to 0\.00017, more than the 1\.2e-05"
                       r" its comparison allows\).*pass eps=3e-05 or larger$") as caught:
        gradcheck(f, *point)
    assert not isinstance(caught.value, GradcheckError)
    assert gradcheck(f, *point, eps=3e-5)


def test_a_wrong_rule_is_still_caught_where_rounding_is_large(
    make_primitive: Callable[..., Any],
) -> None:
    bad_square = make_primitive("gc_bad_square_noisy", lambda x: x * x, lambda x: 3 * x)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: bad_square(x) * y + 3 * x * y, 1e5, -2.99)
    assert caught.value.failed_inputs == (0,)
    assert [s.split(":")[0] for s in caught.value.suspects] == ["op gc_bad_square_noisy"]


_LARGE = [
    ("x*y + 3*x", lambda x, y: x * y + 3 * x),
    ("tanh(x)*x", lambda x, y: tanh(x) * x),
    ("x**3", lambda x, y: x**3),
]


@pytest.mark.parametrize(("name", "f"), _LARGE, ids=[name for name, _ in _LARGE])
def test_points_of_any_magnitude_pass_or_are_refused_with_a_fix_that_works(
    name: str, f: Callable[..., Any]
) -> None:
    # The README's property-test recipe at magnitudes up to 1e8 (it once failed 151 of 300
    # examples of x*y + 3*x with false alarms beyond |x| ~ 1.7e7).
    from hypothesis import given
    from hypothesis import strategies as st

    from autograd_mini.testing import points

    @given(points(2, -1e8, 1e8), st.sampled_from([
        {}, {"order": 2, "modes": ("fwd", "rev")}, {"fast": True, "modes": ("fwd", "rev")},
    ]))
    def check_at(point: tuple[float, ...], options: dict[str, Any]) -> None:
        assert _following_the_fix(f, point, **options)

    check_at()
