"""Hypothesis strategies for property-testing derivatives (``pip install "autograd-mini[testing]"``).

* :func:`expressions` draws an :class:`Expression`: a random differentiable program built
  from the op table, together with a point where every op is inside its domain and away
  from its kinks, so that ``gradcheck(expr, *expr.point)`` must hold. Ops are read from the
  table when drawing, so ops you add with :func:`autograd_mini.primitive` are drawn too.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
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
from autograd_mini.ops import ATOM, Op

__all__ = [
    "DEFAULT_EXPONENTS",
    "Expression",
    "expressions",
    "in_domain",
    "points",
    "reals",
]

DEFAULT_EXPONENTS: tuple[float, ...] = (2, 3, -1, 0.5)
"""Constant exponents drawn as ``x ** k`` ops (``autograd_mini.ops.power(k)``) besides the table's ops."""

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

    True when every input lies in the op's sampling ``domain``, the first input is at
    least ``kink_margin`` from each of its ``kinks``, the domain ``check`` passes, and the
    result and every local derivative are finite and at most ``max_magnitude`` in size
    (so that derivatives chained through many ops stay well conditioned).

    >>> from autograd_mini import ops
    >>> in_domain(ops.LOG, 1.0), in_domain(ops.LOG, -1.0), in_domain(ops.RELU, 0.001)
    (True, False, False)
    """
    if len(args) != op.arity:
        raise TypeError(f"in_domain: op {op.name} takes {op.arity} input(s), got {len(args)}")
    for (low, high), x in zip(op.domain, args):
        if not low <= x <= high:
            return False
    if op.kinks and any(abs(args[0] - kink) < kink_margin for kink in op.kinks):
        return False
    try:
        out = float(apply(op, *args))
        slopes = [float(rule(out, *args)) for rule in op.partials]
    except (ArithmeticError, ValueError, TypeError):
        return False
    return all(math.isfinite(y) and abs(y) <= max_magnitude for y in [out, *slopes])


# ---------------------------------------------------------------------- expressions


@dataclass(frozen=True, eq=False)
class _Input:
    index: int


@dataclass(frozen=True, eq=False)
class _Constant:
    value: float


@dataclass(frozen=True, eq=False)
class _Apply:
    op: Op
    args: tuple[_Node, ...]


_Node = _Input | _Constant | _Apply


class Expression:
    """A differentiable program over inputs ``x0 .. x{n-1}``, and a point to check it at.

    Call it on floats (a float comes back) or on Values (a Value with its graph comes back;
    a subexpression used twice is one shared node of that graph). ``str(expr)`` is Python
    source using autograd_mini's function names, e.g. ``tanh(x0 * x1) + log(x1)``.

    >>> expr = Expression.parse_tree(("+", ("tanh", ("*", 0, 1)), ("log", 1)), (0.5, 2.0))
    >>> str(expr)
    'tanh(x0 * x1) + log(x1)'
    >>> round(expr(*expr.point), 6)
    1.454741
    >>> from autograd_mini.check import gradcheck
    >>> gradcheck(expr, *expr.point)
    True
    """

    __slots__ = ("_root", "n_inputs", "point")

    def __init__(self, root: _Node, n_inputs: int, point: Sequence[float]) -> None:
        _check_n_inputs(n_inputs, "Expression")
        if len(point) != n_inputs:
            raise ValueError(f"Expression: point {point!r} needs {n_inputs} coordinates")
        self._root = root
        self.n_inputs = n_inputs
        self.point: tuple[float, ...] = tuple(float(x) for x in point)

    @classmethod
    def parse_tree(cls, tree: Any, point: Sequence[float]) -> Expression:
        """Build an Expression from nested tuples ``(op_name, *args)``.

        An int ``i`` is the input ``x{i}``, a float is a constant; op names are those of
        :data:`autograd_mini.ops.OPS` or ``"**k"`` for ``autograd_mini.ops.power(k)``.
        """
        def build(item: Any) -> _Node:
            if isinstance(item, bool):
                raise TypeError(f"Expression.parse_tree: {item!r} is neither an input nor an op")
            if isinstance(item, int):
                return _Input(item)
            if isinstance(item, float):
                return _Constant(item)
            name, *args = item
            return _Apply(_resolve_op(name), tuple(build(a) for a in args))

        root = build(tree)
        n_inputs = len(point)
        for node in _walk(root):
            if isinstance(node, _Input) and not 0 <= node.index < n_inputs:
                raise ValueError(f"Expression.parse_tree: input x{node.index} has no coordinate")
        return cls(root, n_inputs, point)

    # ---------------------------------------------------------------- evaluation
    def __call__(self, *inputs: Any) -> Any:
        if len(inputs) != self.n_inputs:
            raise TypeError(
                f"Expression {self}: takes {self.n_inputs} input(s), got {len(inputs)}"
            )
        values: dict[int, Any] = {}  # by node id: a shared subexpression is evaluated once

        def evaluate(node: _Node) -> Any:
            key = id(node)
            if key in values:
                return values[key]
            if isinstance(node, _Input):
                result = inputs[node.index]
            elif isinstance(node, _Constant):
                result = node.value
            else:
                result = apply(node.op, *(evaluate(arg) for arg in node.args))
            values[key] = result
            return result

        return evaluate(self._root)

    # ------------------------------------------------------------------- reading
    @property
    def ops(self) -> tuple[Op, ...]:
        """The distinct ops used, in the order first met."""
        seen: dict[str, Op] = {}
        for node in _walk(self._root):
            if isinstance(node, _Apply):
                seen.setdefault(node.op.name, node.op)
        return tuple(seen.values())

    @property
    def depth(self) -> int:
        """Ops on the longest path from an input to the result (0 for a bare input)."""
        return _depth(self._root)

    def namespace(self) -> dict[str, Callable[..., Any]]:
        """The functions ``str(self)`` calls, by name, for ``eval`` (user ops included).

        >>> import math
        >>> expr = Expression.parse_tree(("exp", ("neg", 0)), (1.0,))
        >>> eval(str(expr), {**expr.namespace(), "x0": 1.0}) == math.exp(-1.0)
        True
        """
        functions: dict[str, Callable[..., Any]] = {}
        for op in self.ops:
            if op.function_name:
                functions[op.function_name] = partial(apply, op)
        return functions

    def __str__(self) -> str:
        return _source(self._root)[0]

    def __repr__(self) -> str:
        return f"Expression({str(self)!r}, point={self.point!r})"


def _depth(node: _Node) -> int:
    if isinstance(node, _Apply):
        return 1 + max(_depth(arg) for arg in node.args)
    return 0


def _walk(root: _Node) -> list[_Node]:
    nodes: list[_Node] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        if isinstance(node, _Apply):
            stack.extend(reversed(node.args))
    return nodes


def _source(node: _Node) -> tuple[str, int]:
    """Python source of ``node`` and the precedence of its outermost operation."""
    if isinstance(node, _Input):
        return f"x{node.index}", ATOM
    if isinstance(node, _Constant):
        return repr(node.value), ATOM
    return node.op.format_source(*(_source(arg) for arg in node.args))


def _resolve_op(spec: Any) -> Op:
    if isinstance(spec, Op):
        return spec
    inner = getattr(spec, "op", None)  # a Primitive made by autograd_mini.primitive
    if isinstance(inner, Op):
        return inner
    if isinstance(spec, str):
        if spec in op_table.OPS:
            return op_table.OPS[spec]
        if spec.startswith("**"):
            try:
                exponent = float(spec[2:])
            except ValueError:
                pass
            else:
                return op_table.power(int(exponent) if exponent.is_integer() else exponent)
        raise KeyError(
            f"expressions: no op named {spec!r} in the op table; known: {', '.join(op_table.OPS)}"
        )
    raise TypeError(f"expressions: {spec!r} is not an op, an op name or a primitive")


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
) -> st.SearchStrategy[Expression]:
    """Draw :class:`Expression` s: random programs over the op table, with a point.

    ``n_inputs`` fixes the number of inputs (drawn from 1 to 3 when None). ``ops`` limits
    the ops used (Op objects, op names or primitives); None means every op in
    :data:`autograd_mini.ops.OPS` when the example is drawn, user primitives included,
    plus ``x ** k`` for each ``k`` in ``exponents``. ``max_depth`` bounds the nesting of
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
    chosen = None if ops is None else tuple(_resolve_op(spec) for spec in ops)
    if chosen is not None and not chosen:
        raise ValueError("expressions: ops is empty; give at least one op, or None for all")
    powers = tuple(exponents)
    for k in powers:
        op_table.power(k)  # a non-finite exponent raises here, naming it
    settings = _Settings(low, high, constants, kink_margin, max_magnitude)
    sizes = st.integers(1, 3) if n_inputs is None else st.just(n_inputs)
    return _expressions(sizes, chosen, powers, max_depth, settings)


@dataclass(frozen=True)
class _Settings:
    low: float
    high: float
    constants: bool
    kink_margin: float
    max_magnitude: float


def _op_pool(chosen: tuple[Op, ...] | None, powers: tuple[float, ...]) -> list[Op]:
    table = list(op_table.OPS.values()) if chosen is None else list(chosen)
    if chosen is None:
        table += [op_table.power(k) for k in powers]
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
) -> Expression:
    n_inputs = draw(sizes)
    point = draw(points(n_inputs, settings.low, settings.high))
    table = _op_pool(chosen, powers)  # read at draw time: primitives made since count
    arities = sorted({op.arity for op in table})
    built: list[tuple[_Node, float, int]] = []  # subexpressions so far (and depth), to share

    def admissible(op: Op, values: list[float]) -> bool:
        return in_domain(
            op, *values, kink_margin=settings.kink_margin, max_magnitude=settings.max_magnitude
        )

    def build(depth: int) -> tuple[_Node, float]:
        # Integers shrink toward 0: toward a bare input, no sharing, no constant.
        # The root is an op whenever depth allows: a bare input tests nothing.
        if depth == 0 or (depth < max_depth and draw(st.integers(0, 3)) == 0):
            index = draw(st.integers(0, n_inputs - 1))
            return _Input(index), point[index]
        shareable = [(node, value) for node, value, height in built if height <= depth]
        if shareable and draw(st.integers(0, 4)) == 4:
            return draw(st.sampled_from(shareable))
        arity = draw(st.sampled_from(arities))
        operands = [build(depth - 1)]  # the first operand always depends on an input
        for _ in range(arity - 1):
            if settings.constants and draw(st.integers(0, 3)) == 3:
                constant = draw(st.sampled_from(_CONSTANTS))
                operands.append((_Constant(constant), constant))
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
            operands = [next(o for o in operands if not isinstance(o[0], _Constant))]
            values = [operands[0][1]]
            candidates = [op for op in table if op.arity == 1 and admissible(op, values)]
            if not candidates:
                return operands[0]
        op = draw(st.sampled_from(candidates))
        node = _Apply(op, tuple(operand for operand, _ in operands))
        value = float(apply(op, *values))
        built.append((node, value, _depth(node)))
        return node, value

    root, _ = build(max_depth)
    return Expression(root, n_inputs, point)

