"""Property tests over random programs from ``autograd_mini.testing.expressions``.

The engine's first and second derivatives of every drawn program agree with central
differences; the strategy keeps its promises (domains, kinks, readable source, sharing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import autograd_mini
from autograd_mini import Value, functions, grad, ops, primitive, sigmoid
from autograd_mini.check import gradcheck, gradgradcheck
from autograd_mini.graph import topological_order
from autograd_mini.testing import Expression, expressions, family_ops, in_domain, points, reals

# The table's rows and every family's example ops (leaky_relu with slope 0.2, clamp(x, -1,
# 1), gelu(x, approximate='tanh'), ...).
BUILTIN_NAMES = [op.name for op in ops.OPS.values() if op.builtin] + [op.name for op in family_ops()]
# Built-in ops and constant powers: what every test here draws unless it says otherwise.
builtin_expressions = expressions(ops=[*BUILTIN_NAMES, "**2", "**3", "**-1", "**0.5"])


def _package_namespace(expr: Expression) -> dict[str, Any]:
    # The functions of the package itself, by the names str(expr) uses. (The families'
    # functions, leaky_relu and the others, are made in autograd_mini.functions.)
    return {**vars(autograd_mini), **{name: getattr(functions, name) for name in functions.__all__},
            **{f"x{i}": x for i, x in enumerate(expr.point)}}


# ------------------------------------------------------------------- the engine


@given(builtin_expressions)
def test_first_derivatives_agree_with_finite_differences(expr: Expression) -> None:
    assert gradcheck(expr, *expr.point)


@settings(max_examples=100)
@given(expressions(max_depth=3, ops=[*BUILTIN_NAMES, "**2", "**3", "**-1", "**0.5"]))
def test_second_derivatives_agree_with_finite_differences(expr: Expression) -> None:
    assert gradgradcheck(expr, *expr.point)


@given(builtin_expressions)
def test_backward_agrees_with_grad_and_leaves_accumulate(expr: Expression) -> None:
    leaves = [Value(x) for x in expr.point]
    out = expr(*leaves)
    expected = grad(expr, argnums=tuple(range(expr.n_inputs)))(*expr.point)
    if not isinstance(out, Value):  # pragma: no cover - every expression uses an input
        pytest.fail(f"{expr!r} returned {out!r}, not a Value")
    out.backward()
    first = [leaf.grad for leaf in leaves]
    assert first == pytest.approx(list(expected), rel=1e-12, abs=1e-12)
    out.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx([2 * g for g in first], rel=1e-12)


# ---------------------------------------------------------------- the strategy


@given(builtin_expressions)
def test_every_op_is_inside_its_domain_and_away_from_kinks(expr: Expression) -> None:
    out = expr(*(Value(x) for x in expr.point))
    for node in topological_order(out, attrgetter("parents")):
        if node.opdef is not None:
            inputs = [p.data for p in node.parents]
            assert in_domain(node.opdef, *inputs), f"{node.op} at {inputs} in {expr!r}"


@given(builtin_expressions)
def test_source_evaluates_to_the_same_value(expr: Expression) -> None:
    # str(expr) is Python source over the package's own functions, parenthesized right.
    source = str(expr)
    assert eval(source, _package_namespace(expr)) == expr(*expr.point), source


@given(builtin_expressions)
def test_floats_and_values_give_the_same_value(expr: Expression) -> None:
    on_values = expr(*(Value(x) for x in expr.point))
    assert isinstance(on_values, Value)
    assert on_values.data == expr(*expr.point)


@given(expressions(n_inputs=2, max_depth=2))
def test_shape_parameters_are_respected(expr: Expression) -> None:
    assert expr.n_inputs == 2
    assert len(expr.point) == 2
    assert all(-3.0 <= x <= 3.0 for x in expr.point)
    assert 1 <= expr.depth <= 2
    assert f"{expr!r}".startswith(f"Expression({str(expr)!r}, point=")


@given(expressions(ops=["sin", "*"], max_depth=3))
def test_only_the_chosen_ops_are_drawn(expr: Expression) -> None:
    assert {op.name for op in expr.ops} <= {"sin", "*"}


def test_shared_subexpressions_are_shared_nodes() -> None:
    # A subexpression drawn twice is one node of the graph, used by two others, so the
    # engine's accumulation over several paths is exercised.
    found = find(
        expressions(max_depth=4, constants=False),
        lambda e: _has_shared_interior_node(e),
        settings=settings(max_examples=2000, derandomize=True, database=None),
    )
    assert _has_shared_interior_node(found)
    assert gradcheck(found, *found.point)


def _has_shared_interior_node(expr: Expression) -> bool:
    out = expr(*(Value(x) for x in expr.point))
    order = topological_order(out, attrgetter("parents"))
    uses: dict[int, int] = {}
    for node in order:
        for parent in node.parents:
            uses[id(parent)] = uses.get(id(parent), 0) + 1
    return any(node.opdef is not None and uses.get(id(node), 0) > 1 for node in order)


# ------------------------------------------------------- source and parentheses


@pytest.mark.parametrize(
    ("tree", "source"),
    [
        (("-", ("-", 0, 1), 2), "x0 - x1 - x2"),
        (("-", 0, ("-", 1, 2)), "x0 - (x1 - x2)"),
        (("+", 0, ("+", 1, 2)), "x0 + (x1 + x2)"),  # float + is not associative
        (("*", ("+", 0, 1), 2), "(x0 + x1) * x2"),
        (("/", 0, ("*", 1, 2)), "x0 / (x1 * x2)"),
        (("**2", ("**3", 0)), "(x0 ** 3) ** 2"),
        (("**", 0, ("**", 1, 2)), "x0 ** (x1 ** x2)"),
        (("neg", ("**2", 0)), "-x0 ** 2"),  # Python's -x ** 2 is -(x ** 2)
        (("**2", ("neg", 0)), "(-x0) ** 2"),
        (("neg", ("neg", 0)), "-(-x0)"),
        (("*", 0, ("neg", 1)), "x0 * -x1"),
        (("**", 0, ("neg", 1)), "x0 ** (-x1)"),
        (("tanh", ("+", 0, 1)), "tanh(x0 + x1)"),
        (("+", ("exp", 0), 2.0), "exp(x0) + 2"),  # whole numbers print as the parser's do
        (("**-1", ("-", 0, 1)), "(x0 - x1) ** -1"),
    ],
)
def test_source_is_parenthesized_exactly_where_needed(tree: Any, source: str) -> None:
    point = (0.7, 1.3, 0.9)
    expr = Expression.parse_tree(tree, point)
    assert str(expr) == source
    scope = {**vars(autograd_mini), "x0": 0.7, "x1": 1.3, "x2": 0.9}
    assert eval(source, scope) == expr(*point)


# --------------------------------------------------------------- user primitives


@pytest.fixture
def softplus() -> Iterator[Any]:
    op = primitive(
        "prop_softplus", lambda x: math.log1p(math.exp(x)), sigmoid, domain=((-3.0, 3.0),)
    )
    yield op
    ops.unregister("prop_softplus")


def test_user_primitives_are_drawn_when_asked_for(softplus: Any) -> None:
    # user_ops=True reads the table when drawing, so a primitive made after the strategy
    # was built is drawn too, and its derivatives are checked like a built-in's.
    strategy = expressions(n_inputs=1, user_ops=True)
    found = find(
        strategy,
        lambda e: any(op.name == "prop_softplus" for op in e.ops),
        settings=settings(max_examples=2000, derandomize=True, database=None),
    )
    assert "prop_softplus(" in str(found)
    assert gradcheck(found, *found.point)
    assert eval(str(found), {**found.namespace(), "x0": found.point[0]}) == found(*found.point)


def test_user_primitives_are_not_drawn_unless_asked_for(softplus: Any) -> None:
    # A primitive made elsewhere (notebook 06 defines a wrong one on purpose) must not
    # change what an unrelated expressions() draws.
    @settings(max_examples=300, derandomize=True, database=None)
    @given(expressions(n_inputs=1))
    def never_draws_the_primitive(expr: Any) -> None:
        assert all(op.builtin for op in expr.ops), str(expr)

    never_draws_the_primitive()


def test_a_primitive_can_be_the_only_op(softplus: Any) -> None:
    @settings(max_examples=30, database=None)
    @given(expressions(ops=[softplus], max_depth=3))
    def check(expr: Expression) -> None:
        assert {op.name for op in expr.ops} == {"prop_softplus"}
        assert gradgradcheck(expr, *expr.point)

    check()


# ------------------------------------------------------------ floats and points


@given(reals(-1e-3, 2.0))
def test_reals_are_bounded_and_normal(x: float) -> None:
    assert -1e-3 <= x <= 2.0
    assert x == 0.0 or abs(x) >= 2.2250738585072014e-308  # no subnormals


@given(points(3, low=0.5, high=1.5))
def test_points_have_the_asked_shape(point: tuple[float, ...]) -> None:
    assert len(point) == 3
    assert all(0.5 <= x <= 1.5 and math.isfinite(x) for x in point)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: expressions(n_inputs=0), ValueError, "n_inputs=0"),
        (lambda: expressions(max_depth=-1), ValueError, "max_depth=-1"),
        (lambda: expressions(ops=[]), ValueError, "ops is empty"),
        (lambda: expressions(ops=["no_such_op"]), KeyError, "no_such_op"),
        (lambda: expressions(ops=[42]), TypeError, "42"),
        (lambda: expressions(exponents=[math.inf]), ValueError, "inf"),
        (lambda: reals(2.0, 1.0), ValueError, "low=2.0"),
        (lambda: reals(0.0, math.nan), ValueError, "nan"),
        (lambda: points(0), ValueError, "n_inputs=0"),
    ],
)
def test_bad_strategy_arguments_fail_at_once(
    make: Callable[[], Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        make()


def test_in_domain_rejects_wrong_arity() -> None:
    with pytest.raises(TypeError, match="takes 1 input"):
        in_domain(ops.LOG, 1.0, 2.0)


@given(st.sampled_from([op for op in ops.OPS.values() if op.builtin] + family_ops()), st.data())
def test_in_domain_agrees_with_the_op_table(op: Any, data: st.DataObject) -> None:
    args = tuple(data.draw(reals(low, high)) for low, high in op.sample)
    clear_of_kinks = op.distance_to_kink(*args) >= 1e-2
    assert in_domain(op, *args, max_magnitude=math.inf) == (clear_of_kinks and not op.stops_gradient)


@pytest.mark.parametrize(("op", "args"), [
    (ops.MAXIMUM, (0.5, 0.505)), (ops.MINIMUM, (-1.0, -1.0)), (ops.ATAN2, (0.001, -2.0)),
    (ops.HYPOT, (0.003, -0.004)), (ops.FLOOR, (1.999,)), (ops.ROUND, (0.5,)),
    (ops.CLAMP(min=-1.0, max=1.0), (-1.005,)), (ops.STOP_GRADIENT, (1.0,)),
])
def test_in_domain_keeps_off_kinks_that_are_not_points_and_off_stop_gradient(
    op: Any, args: tuple[float, ...]
) -> None:
    assert not in_domain(op, *args)
    if not op.stops_gradient:
        moved = (args[0] + 0.2, *args[1:])
        assert in_domain(op, *moved), moved


@settings(max_examples=300, derandomize=True, database=None)
@given(expressions(n_inputs=2, max_depth=3))
def test_the_default_strategy_draws_the_new_rows_and_families(expr: Expression) -> None:
    # The property of the others, over the strategy everyone uses by default.
    assert gradcheck(expr, *expr.point)


def test_the_default_strategy_reaches_every_op_it_can() -> None:
    drawn: set[str] = set()

    @settings(max_examples=1500, derandomize=True, database=None)
    @given(expressions(max_depth=2))
    def collect(expr: Expression) -> None:
        drawn.update(op.name for op in expr.ops)

    collect()
    expected = set(BUILTIN_NAMES) - {"stop_gradient"} | {"**2", "**3", "**-1", "**0.5"}
    assert expected - drawn == set()
    assert "stop_gradient" not in drawn


# ------------------------------------------------- the expression parser reads it


@given(expressions(ops=[name for name in BUILTIN_NAMES if name != "**"]))
def test_the_parser_reads_the_source_back(expr: Expression) -> None:
    # str(expr) is the formula people see in a falsifying example; autograd_mini.expr
    # must read it back as the same function. (Programs without ** : the parser refuses
    # a power inside an exponent.)
    from autograd_mini.expr import parse

    parsed = parse(str(expr))
    values = {f"x{i}": x for i, x in enumerate(expr.point)}
    assert parsed.evaluate({name: values[name] for name in parsed.variables}) == expr(*expr.point)
