"""Hypothesis strategies for property-testing derivatives (``pip install "autograd-mini[testing]"``).

* :func:`expressions` draws an :class:`Expression`: a random differentiable program built
  from the op table, together with a point where every op is inside its domain and away
  from its kinks, so that ``gradcheck(expr, *expr.point)`` must hold. It is the same
  :class:`~autograd_mini.expr.Expression` the parser makes; ops you add with
  :func:`autograd_mini.primitive` are drawn when you ask (``user_ops=True``, or ``ops=``).
* :func:`points` and :func:`reals` draw floats suited to finite differences: bounded,
  finite, no subnormals.
* :func:`in_domain` says whether an op may be applied and differentiated at given inputs.

A five-line property test of your own function::

    from hypothesis import given
    from autograd_mini import gradcheck, tanh
    from autograd_mini.testing import points

    @given(points(2))
    def test_my_function(point):
        assert gradcheck(lambda x, y: tanh(x) * y + x / (1 + y * y), *point)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "autograd_mini.testing needs Hypothesis, which is an optional extra: "
        'pip install "autograd-mini[testing]"'
    ) from exc

from autograd_mini import ops as op_table  # expressions() has a parameter named ops
from autograd_mini.engine import apply
from autograd_mini.expr import Call, Constant, Expression, Input, Node, resolve_op
from autograd_mini.ops import Op

__all__ = [
    "DEFAULT_EXPONENTS",
    "Expression",
    "expressions",
    "family_ops",
    "in_domain",
    "points",
    "reals",
]

DEFAULT_EXPONENTS: tuple[float, ...] = tuple(p["k"] for p in op_table.POWERS.examples)
"""Constant exponents drawn as ``x ** k`` ops (``autograd_mini.ops.power(k)``) besides the
table's ops: the power family's examples, (2, 3, -1, 0.5)."""


def family_ops() -> list[Op]:
    """The ops of every family but ``x ** k`` at the parameters it names as ``examples``:
    what :func:`expressions` draws besides the table's rows and the powers.

    >>> [op.name for op in family_ops()][:3]
    ['leaky_relu', 'leaky_relu(negative_slope=0.2)', 'elu']
    """
    return [family(**params) for family in op_table.FAMILIES if family is not op_table.POWERS
            for params in family.examples]

_CONSTANTS = (0.5, 1.0, 2.0, 3.0)  # positive, so the printed source needs no sign parentheses


# ------------------------------------------------------------------------- floats


def reals(low: float = -3.0, high: float = 3.0) -> st.SearchStrategy[float]:
    """Floats in ``[low, high]`` that finite differences handle well: no nan, no
    infinity, no subnormals (a step of 1e-6 from a subnormal is all rounding).

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(reals(-1.0, 1.0))
    ... def test_bounded(x):
    ...     assert -1.0 <= x <= 1.0
    >>> test_bounded()
    """
    _check_bounds(low, high, "reals")
    return st.floats(
        min_value=low, max_value=high, allow_nan=False, allow_infinity=False,
        allow_subnormal=False,
    )


def points(
    n_inputs: int, low: float = -3.0, high: float = 3.0
) -> st.SearchStrategy[tuple[float, ...]]:
    """Tuples of ``n_inputs`` floats from :func:`reals`: a point to check a function at.

    >>> from hypothesis import given, settings
    >>> from autograd_mini import sin
    >>> from autograd_mini.check import gradcheck
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(points(2))
    ... def test_sin_product(point):
    ...     assert gradcheck(lambda x, y: sin(x * y), *point)
    >>> test_sin_product()
    """
    _check_n_inputs(n_inputs, "points")
    return st.tuples(*[reals(low, high)] * n_inputs)


def _check_bounds(low: float, high: float, where: str) -> None:
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(
            f"{where}: bounds low={low!r}, high={high!r} must be finite with low <= high"
        )


def _check_n_inputs(n_inputs: Any, where: str) -> None:
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"{where}: n_inputs={n_inputs!r} must be an int >= 1")


# --------------------------------------------------------------------- op domains


def in_domain(
    op: Op, *args: float, kink_margin: float = 1e-2, max_magnitude: float = 100.0
) -> bool:
    """Whether ``op`` may be applied at ``args`` and trusted to finite differences there.

    True when every input lies in the op's sampling ``domain``, the inputs are at least
    ``kink_margin`` from its kinks (:meth:`~autograd_mini.ops.Op.distance_to_kink`: relu
    at 0, maximum where a == b, floor at whole numbers), the domain ``check`` passes, and
    the result and every local derivative are finite and at most ``max_magnitude`` in size
    (so that derivatives chained through many ops stay well conditioned). An op whose
    rule is 0 by decree (``stop_gradient``) is never in the domain: finite differences
    of its forward are not its derivative.

    >>> from autograd_mini import ops
    >>> in_domain(ops.LOG, 1.0), in_domain(ops.LOG, -1.0), in_domain(ops.RELU, 0.001)
    (True, False, False)
    >>> in_domain(ops.MAXIMUM, 1.0, 1.001), in_domain(ops.MAXIMUM, 1.0, 1.5)
    (False, True)
    """
    if len(args) != op.arity:
        raise TypeError(f"in_domain: op {op.name} takes {op.arity} input(s), got {len(args)}")
    if op.stops_gradient:
        return False
    for (low, high), x in zip(op.sample, args):
        if not low <= x <= high:
            return False
    try:
        if op.distance_to_kink(*args) < kink_margin:
            return False
    except (ArithmeticError, ValueError, TypeError):
        return False
    try:
        out = float(apply(op, *args))
        slopes = [float(rule(out, *args)) for rule in op.rules]
    except (ArithmeticError, ValueError, TypeError):
        return False
    return all(math.isfinite(y) and abs(y) <= max_magnitude for y in [out, *slopes])


# ---------------------------------------------------------------------- expressions
# Drawn programs are the parser's expression tree (autograd_mini.expr): Call nodes of
# op-table ops over Input and Constant nodes, shared subexpressions allowed.


def expressions(
    n_inputs: int | None = None,
    ops: Iterable[Any] | None = None,
    max_depth: int = 3,
    exponents: Iterable[float] = DEFAULT_EXPONENTS,
    low: float = -3.0,
    high: float = 3.0,
    constants: bool = True,
    kink_margin: float = 1e-2,
    max_magnitude: float = 100.0,
    user_ops: bool = False,
) -> st.SearchStrategy[Expression]:
    """Draw :class:`Expression` s: random programs over the op table, with a point.

    ``n_inputs`` fixes the number of inputs (drawn from 1 to 3 when None). ``ops`` limits
    the ops used (Op objects, op names or primitives); None means every built-in op
    of :data:`autograd_mini.ops.OPS`, the ops of :func:`family_ops` (``leaky_relu`` with
    slopes 0.01 and 0.2, ``clamp(x, -1, 1)``, ...), ``x ** k`` for each ``k`` in ``exponents``,
    and with ``user_ops=True`` also the primitives defined when the example is drawn (a
    primitive defined elsewhere, say in an earlier notebook cell, changes nothing unless
    you ask). ``max_depth`` bounds the nesting of
    ops (an op whose operands no op accepts is left out, so a program may be shallower);
    ``constants`` allows positive constants such as ``2.0`` as operands.

    The point is drawn first (each coordinate from :func:`reals` ``(low, high)``), then the
    program is built bottom up choosing, at each node, only ops that are :func:`in_domain`
    at the values of their operands there: every op is inside its domain, at least
    ``kink_margin`` from its kinks, with values and local derivatives at most
    ``max_magnitude``. Nothing is filtered away, so no health check trips; shrinking
    leads to shorter programs.

    >>> from hypothesis import given, settings
    >>> from autograd_mini.check import gradcheck
    >>> @settings(max_examples=25, derandomize=True)
    ... @given(expressions(n_inputs=2))
    ... def test_engine_agrees_with_finite_differences(expr):
    ...     assert gradcheck(expr, *expr.point)
    >>> test_engine_agrees_with_finite_differences()
    """
    if n_inputs is not None:
        _check_n_inputs(n_inputs, "expressions")
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0:
        raise ValueError(f"expressions: max_depth={max_depth!r} must be an int >= 0")
    _check_bounds(low, high, "expressions")
    # Named ops are looked up now, so a typo fails here rather than inside Hypothesis.
    chosen = None if ops is None else tuple(resolve_op(spec) for spec in ops)
    if chosen is not None and not chosen:
        raise ValueError("expressions: ops is empty; give at least one op, or None for all")
    powers = tuple(exponents)
    for k in powers:
        op_table.power(k)  # a non-finite exponent raises here, naming it
    settings = _Settings(low, high, constants, kink_margin, max_magnitude)
    sizes = st.integers(1, 3) if n_inputs is None else st.just(n_inputs)
    return _expressions(sizes, chosen, powers, max_depth, settings, user_ops)


@dataclass(frozen=True)
class _Settings:
    low: float
    high: float
    constants: bool
    kink_margin: float
    max_magnitude: float


def _op_pool(chosen: tuple[Op, ...] | None, powers: tuple[float, ...], user_ops: bool) -> list[Op]:
    if chosen is None:
        table = [op for op in op_table.OPS.values() if op.builtin or user_ops]
    else:
        table = list(chosen)
    if chosen is None:
        table += family_ops() + [op_table.power(k) for k in powers]
    unique: dict[str, Op] = {}
    for op in table:
        unique.setdefault(op.name, op)
    return list(unique.values())


@st.composite
def _expressions(
    draw: st.DrawFn,
    sizes: st.SearchStrategy[int],
    chosen: tuple[Op, ...] | None,
    powers: tuple[float, ...],
    max_depth: int,
    settings: _Settings,
    user_ops: bool,
) -> Expression:
    n_inputs = draw(sizes)
    point = draw(points(n_inputs, settings.low, settings.high))
    table = _op_pool(chosen, powers, user_ops)  # read at draw time: primitives made since count
    arities = sorted({op.arity for op in table})
    built: list[tuple[Node, float, int]] = []  # subexpressions so far (and depth), to share

    def admissible(op: Op, values: list[float]) -> bool:
        return in_domain(
            op, *values, kink_margin=settings.kink_margin, max_magnitude=settings.max_magnitude
        )

    inputs = [Input(i) for i in range(n_inputs)]
    heights: dict[int, int] = {}  # ops on the longest path below each built node

    def build(depth: int) -> tuple[Node, float]:
        # Integers shrink toward 0: toward a bare input, no sharing, no constant.
        # The root is an op whenever depth allows: a bare input tests nothing.
        if depth == 0 or (depth < max_depth and draw(st.integers(0, 3)) == 0):
            index = draw(st.integers(0, n_inputs - 1))
            return inputs[index], point[index]
        shareable = [(node, value) for node, value, height in built if height <= depth]
        if shareable and draw(st.integers(0, 4)) == 4:
            return draw(st.sampled_from(shareable))
        arity = draw(st.sampled_from(arities))
        operands = [build(depth - 1)]  # the first operand always depends on an input
        for _ in range(arity - 1):
            if settings.constants and draw(st.integers(0, 3)) == 3:
                constant = draw(st.sampled_from(_CONSTANTS))
                operands.append((Constant(constant), constant))
            else:
                operands.append(build(depth - 1))
        if arity > 1:  # the input-dependent operand may stand anywhere
            position = draw(st.integers(0, arity - 1))
            operands.insert(position, operands.pop(0))
        values = [value for _, value in operands]
        candidates = [op for op in table if op.arity == arity and admissible(op, values)]
        if not candidates:
            # No op accepts these operands: apply a one-input op to the operand that
            # depends on an input instead, or, if none accepts it either, keep it as is.
            operands = [next(o for o in operands if not isinstance(o[0], Constant))]
            values = [operands[0][1]]
            candidates = [op for op in table if op.arity == 1 and admissible(op, values)]
            if not candidates:
                return operands[0]
        op = draw(st.sampled_from(candidates))
        node = Call(op, tuple(operand for operand, _ in operands))
        value = float(apply(op, *values))
        height = 1 + max(heights.get(id(arg), 0) for arg in node.args)
        heights[id(node)] = height
        built.append((node, value, height))
        return node, value

    root, _ = build(max_depth)
    return Expression(root, [f"x{i}" for i in range(n_inputs)], point=point)

