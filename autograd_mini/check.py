"""Check derivatives against finite differences: :func:`gradcheck` and :func:`gradgradcheck`.

Both compare what the engine computes with a central difference::

    numeric = (f(x + eps) - f(x - eps)) / ((x + eps) - (x - eps))
    passes when |analytic - numeric| <= atol + rtol * |numeric|

(divided by the step actually taken: ``x + eps`` and ``x - eps`` as floats hold them, which
at large ``|x|`` are not ``2 * eps`` apart) and either return ``True`` or raise
:class:`GradcheckError`, whose message is a table with one row per derivative (input,
point, analytic, numeric, absolute and relative error) and the names of the inputs that
failed. Derivatives of order k are checked against central
differences of the engine's derivatives of order k - 1, in reverse mode
(:func:`~autograd_mini.grad`), forward mode (:func:`~autograd_mini.functional.jvp`) or both
(``modes``); ``fast=True`` compares one random projection ``v^T J u`` per order and mode
instead of every entry, as PyTorch's ``fast_mode`` does. ``f`` may return a list or tuple
of numbers: every output is checked. A failure is explained where it can be:

* a point so close to a kink (relu or abs at 0, or a user op's ``kinks``) that the two
  probes fall on different sides of it is reported as such, not as a wrong derivative;
* otherwise every op in the graph of ``f`` has its own rules checked against finite
  differences of its forward (and, for higher orders, its rules' derivatives against
  differences of the rules), so a wrong rule in the op table or in a user
  :func:`~autograd_mini.primitive` is named.

A point where rounding alone could make a right derivative fail is refused instead, with a
``ValueError`` that names the input and an ``eps`` that fits ("beyond finite differences"):
before comparing, where floats near an input are further apart than ``rtol * eps / 2``
(rtol counted as at least 1e-8 and at most 0.01 here);
after a failure, where the rounding of f's own intermediate values (each off by up to an
ulp, carried to the result by its derivative) can explain every disagreement.

The analytic derivatives never read or write ``.grad`` of any Value, so checking a model
leaves its gradients as they were.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from autograd_mini.engine import Value, apply, gradients, no_grad
from autograd_mini.forward import evaluation_order
from autograd_mini.functional import MODES, flatten_output, grad, jacobian, jvp
from autograd_mini.ops import Op

__all__ = ["GradcheckError", "GradcheckRow", "gradcheck", "gradgradcheck", "gradient_rows", "table"]


@dataclass(frozen=True)
class GradcheckRow:
    """One compared derivative: d f / d x_i (``wrt == (i,)``), d²f / dx_i dx_j, and so on.

    ``mode`` says how the analytic side was computed (``"rev"`` or ``"fwd"``), ``output``
    which output of ``f`` it belongs to (``None`` when ``f`` returns one number). A row of
    fast mode compares a derivative along random unit ``directions`` u1, u2, ... (one per
    order; ``wrt`` is then empty), of the outputs weighted by ``weights`` (``v``; empty when
    ``f`` returns one number).
    """

    wrt: tuple[int, ...]
    point: float  # the value of the input that the finite difference perturbs
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool
    note: str = ""
    mode: str = "rev"
    output: int | None = None
    directions: tuple[tuple[float, ...], ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def order(self) -> int:
        """1 for a first derivative, 2 for a second, ..."""
        return len(self.directions) or len(self.wrt)

    @property
    def name(self) -> str:
        """``d/dx0`` for a first derivative, ``d2/dx0dx1`` for a second, ``dy1/dx0`` for output 1."""
        return self.named([f"x{i}" for i in range(max(self.wrt, default=0) + 1)])

    def named(self, names: Sequence[str]) -> str:
        """The derivative's name with the inputs called ``names``: ``d/dw``, ``d2/dxdw``."""
        power = "" if self.order == 1 else str(self.order)
        if self.directions:
            of = "(v.y)" if self.weights else ""
            return f"d{power}{of}/" + "".join(f"du{k + 1}" for k in range(self.order))
        of = "" if self.output is None else f"y{self.output}"
        return f"d{power}{of}/" + "".join(f"d{names[i]}" for i in self.wrt)


class GradcheckError(AssertionError):
    """A derivative disagreed with finite differences; the message is the full report.

    ``rows`` holds every compared derivative (in fast mode, the random projections and then
    the full comparison made to find the culprit), ``failed_inputs`` the indices of the
    inputs whose derivatives failed, ``kinks`` the kinks found within reach of the probes,
    and ``suspects`` the op rules that disagree with finite differences of their forward.
    """

    def __init__(
        self,
        message: str,
        rows: Sequence[GradcheckRow],
        failed_inputs: tuple[int, ...],
        kinks: Sequence[str],
        suspects: Sequence[str],
    ) -> None:
        super().__init__(message)
        self.rows = tuple(rows)
        self.failed_inputs = failed_inputs
        self.kinks = tuple(kinks)
        self.suspects = tuple(suspects)


@dataclass(frozen=True)
class _Options:
    where: str
    eps: float
    atol: float
    rtol: float
    modes: tuple[str, ...]
    fast: bool
    seed: int


# ----------------------------------------------------------------------- public API


def gradcheck(
    f: Callable[..., Any],
    *args: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    modes: Sequence[str] = ("rev",),
    fast: bool = False,
    seed: int = 0,
) -> bool:
    """Check every derivative of ``f`` at ``args`` up to ``order`` against central differences.

    ``f`` takes scalars and returns a Value or a number, or a list or tuple of them (every
    output is checked). ``args`` are numbers or Values (only their ``.data`` is used; no
    ``.grad`` is touched). Order 1 compares the first derivatives with differences of
    ``f``; order k those of order k with differences of the engine's derivatives of order
    k - 1. ``modes`` names how the engine differentiates: ``"rev"`` (nested
    :func:`~autograd_mini.grad`) and ``"fwd"`` (nested :func:`~autograd_mini.functional.jvp`), each
    checked on its own. With ``fast=True`` each order and mode is compared once, as
    ``v^T J u`` for random unit vectors u, v drawn from ``seed`` (PyTorch's fast mode); if
    that fails, the full comparison is made to name the input. Returns ``True`` or raises
    :class:`GradcheckError` with a table of the derivatives and the failing inputs, orders
    and modes. A point where rounding could make a right derivative fail (``3 * x`` at
    x = 5e7 with eps=1e-6) raises ``ValueError``: it is beyond finite differences, and the
    message names an eps that fits.

    >>> from autograd_mini import tanh, relu, primitive
    >>> gradcheck(lambda x, y: tanh(x * y) + x / y, 0.3, 2.0)
    True
    >>> gradcheck(lambda x, y: [tanh(x * y), x / y], 0.3, 2.0, order=3, modes=("fwd", "rev"))
    True
    >>> gradcheck(relu, 0.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd_mini.check.GradcheckError: gradcheck failed for input x0 ...
    ...x0 is within eps of the kink of relu at 0.0 (x0 is 0.0, ...
    >>> bad_square = primitive("bad_square_doc", lambda x: x * x, lambda x: 3 * x)
    >>> gradcheck(bad_square, 1.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd_mini.check.GradcheckError: gradcheck failed for input x0 of bad_square_doc at (1.5): order 1 (rev)
    ...op bad_square_doc: the rule for input x at x=1.5 gives 4.5, finite differences give 3...
    >>> from autograd_mini import ops; ops.unregister("bad_square_doc")
    """
    options = _options("gradcheck", eps, atol, rtol, modes, fast, seed)
    point = _validate(args, options)
    rows = _compare(f, point, _orders(order, "gradcheck"), options)
    return _verdict(f, point, rows, options)


def gradient_rows(
    f: Callable[..., Any],
    *args: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    modes: Sequence[str] = ("rev",),
    fast: bool = False,
    seed: int = 0,
) -> tuple[GradcheckRow, ...]:
    """The comparison :func:`gradcheck` makes, one row per derivative, whether it passes or not.

    >>> from autograd_mini import sin
    >>> [(row.name, row.ok) for row in gradient_rows(lambda x, y: sin(x) * y, 0.5, 2.0)]
    [('d/dx0', True), ('d/dx1', True)]
    >>> print(table(gradient_rows(lambda x: x * x, 3.0), names=["x"]))
        input  point  analytic  numeric  abs error  rel error
    ok  d/dx   3      6         6        0          0
    >>> [row.name for row in gradient_rows(lambda x: [x, x * x], 3.0, order=2, modes=("fwd",))]
    ['dy0/dx0', 'dy1/dx0', 'd2y0/dx0dx0', 'd2y1/dx0dx0']
    """
    options = _options("gradient_rows", eps, atol, rtol, modes, fast, seed)
    point = _validate(args, options)
    return tuple(_compare(f, point, _orders(order, "gradient_rows"), options))


def gradgradcheck(
    f: Callable[..., Any],
    *args: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    modes: Sequence[str] = ("rev",),
    fast: bool = False,
    seed: int = 0,
) -> bool:
    """Check every second derivative of ``f`` at ``args`` (the Hessian).

    The Hessian from nested :func:`~autograd_mini.grad` (or nested
    :func:`~autograd_mini.functional.jvp`, with ``"fwd"`` in ``modes``) is compared with central
    differences of the engine's gradient: entry (i, j) against
    ``(df/dx_i (x + eps e_j) - df/dx_i (x - eps e_j)) / (2 eps)``. This catches derivative
    rules that are right as numbers but not differentiable again (a rule computed on
    ``float(x)`` instead of with the package's functions). ``fast`` and ``seed`` are as
    for :func:`gradcheck`. Returns ``True`` or raises :class:`GradcheckError`.

    >>> from autograd_mini import sin, primitive
    >>> gradgradcheck(lambda x, y: sin(x) * y ** 3, 0.5, 1.5)
    True
    >>> cube = primitive("cube_doc", lambda x: x ** 3, lambda x: 3.0 * float(x) ** 2)
    >>> gradcheck(cube, 2.0)
    True
    >>> gradgradcheck(cube, 2.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd_mini.check.GradcheckError: gradgradcheck failed for input x0 ...
    >>> from autograd_mini import ops; ops.unregister("cube_doc")
    """
    options = _options("gradgradcheck", eps, atol, rtol, modes, fast, seed)
    point = _validate(args, options)
    rows = _compare(f, point, (2,), options)
    return _verdict(f, point, rows, options)


# ------------------------------------------------------------------------ checking input


def _options(where: str, eps: Any, atol: Any, rtol: Any, modes: Any, fast: Any,
             seed: Any) -> _Options:
    if not (isinstance(eps, (int, float)) and 0.0 < eps < math.inf):
        raise ValueError(f"{where}: eps={eps!r} must be a positive finite step, e.g. 1e-6")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(tolerance, (int, float)) and 0.0 <= tolerance < math.inf):
            raise ValueError(f"{where}: {name}={tolerance!r} must be a finite number >= 0")
    if isinstance(modes, str) or not isinstance(modes, tuple | list):
        raise TypeError(
            f"{where}: modes={modes!r} must be a tuple of modes, such as ('rev',) or"
            " ('fwd', 'rev')"
        )
    if not modes or any(m not in MODES for m in modes) or len(set(modes)) != len(modes):
        raise ValueError(
            f"{where}: modes={tuple(modes)!r} must name 'fwd' and/or 'rev', each once,"
            " e.g. ('fwd', 'rev')"
        )
    if not isinstance(fast, bool):
        raise TypeError(f"{where}: fast={fast!r} must be True or False")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: seed={seed!r} must be an int")
    return _Options(where, float(eps), float(atol), float(rtol), tuple(modes), fast, seed)


def _orders(order: Any, where: str) -> range:
    if isinstance(order, bool) or not isinstance(order, int):
        raise TypeError(f"{where}: order={order!r} must be an int >= 1")
    if order < 1:
        raise ValueError(f"{where}: order={order!r} must be an int >= 1 (1 checks first derivatives)")
    return range(1, order + 1)


def _validate(args: tuple[Any, ...], options: _Options) -> list[float]:
    where = options.where
    if not args:
        raise TypeError(f"{where}: give the point to check at, e.g. {where}(f, 0.5, 2.0)")
    point = []
    for i, x in enumerate(args):
        if isinstance(x, Value):
            x = x.data
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(
                f"{where}: input {i} is {type(x).__name__} {x!r}; pass real numbers or Values"
            )
        if not math.isfinite(x):
            raise ValueError(f"{where}: input {i} is {x!r}; check at a finite point")
        point.append(float(x))
    _check_step(where, point, options.eps, options.rtol)
    return point


# The resolution a step must have, relative to the difference it makes: rtol, but never
# finer than _FINEST (rtol=0 asks for exact agreement, which the table then judges) nor
# coarser than _COARSEST (a step of a few floats says nothing, whatever rtol allows).
_FINEST = 1e-8
_COARSEST = 0.01


def _resolution(x: float, eps: float) -> float:
    """How much rounding can move a central difference over x ± eps, relative to its size.

    f's values near x are rounded to about ``|f| * 2**-52``; for f of the size of
    ``x * f'(x)`` (a product, a power, a sum of such), each of the two values can then be off
    by up to ``ulp(x) * |f'(x)|``, so the difference over ``2 * eps`` by ``2 * ulp(x) / eps``
    of the derivative. (The rounding of the step itself costs nothing: the difference is
    divided by the step actually taken.)
    """
    return 2.0 * math.ulp(abs(x) + eps) / eps


def _limit(rtol: float) -> float:
    return min(max(rtol, _FINEST), _COARSEST)


def _fitting_eps(point: Sequence[float], eps: float, rtol: float) -> float:
    """The smallest round eps >= ``eps`` (1e-5, 2e-5, ...) at which every input of ``point``
    is within finite differences; inf if none is (next to the largest float)."""
    limit = _limit(rtol)
    needed = max([eps, *(2.0 * math.ulp(abs(x)) / limit for x in point)])
    candidate = eps if needed == eps else _round_up(needed)
    while math.isfinite(candidate):
        if all(math.isfinite(abs(x) + candidate) and _resolution(x, candidate) <= limit
               for x in point):
            return candidate
        candidate = float(f"{2 * candidate:.1g}")
    return math.inf


def _round_up(x: float) -> float:
    """The first number of one significant digit >= x: 1.3e-05 -> 2e-05 (inf stays inf)."""
    if not math.isfinite(x):
        return math.inf
    power = 10.0 ** math.floor(math.log10(x))
    return float(f"{math.ceil(x / power * (1 - 1e-12)) * power:.1g}")  # 2e-05, not 2.0...02e-05


def _refusal(where: str, subject: str, eps: float, why: str, step: float,
             fix: str | None = None) -> ValueError:
    """The one error for a point beyond finite differences, with the eps that fits;
    ``subject`` is ``input 0 = 5e7`` or ``the point (...)``."""
    if fix is None:
        fix = (f"pass eps={step!r} or larger" if math.isfinite(step)
               else "no step fits this close to the largest float: check at a smaller point")
    return ValueError(
        f"{where}: {subject} is beyond finite differences with eps={eps!r} ({why}),"
        f" so no derivative can be checked there; {fix}"
    )


def _step_refusal(point: Sequence[float], eps: float, rtol: float) -> tuple[int, str] | None:
    """The first input at which x ± eps cannot be differenced, and why; None if none."""
    limit = _limit(rtol)
    for i, x in enumerate(point):
        if not (math.isfinite(x + eps) and math.isfinite(x - eps)):
            return i, f"x {chr(177)} eps overflows"
        resolution = _resolution(x, eps)
        if resolution > limit:
            allowed = (f"rtol={rtol!r}" if limit == rtol else
                       f"this check (rtol={rtol!r} counts as {limit:g} here)")
            apart = f"floats there are {math.ulp(abs(x) + eps):.3g} apart"
            if resolution >= 1.0:
                return i, f"x {chr(177)} eps is lost to rounding: {apart}"
            return i, (f"{apart}, so rounding can move a difference over x {chr(177)} eps by"
                       f" {resolution:.2%} of its size, more than {allowed} allows")
    return None


def _check_step(where: str, point: Sequence[float], eps: float, rtol: float) -> None:
    """Refuse a point where rounding could make the central difference disagree with a right
    derivative by more than rtol: no verdict there would mean anything."""
    refusal = _step_refusal(point, eps, rtol)
    if refusal is None:
        return
    i, why = refusal
    raise _refusal(where, f"input {i} = {point[i]!r}", eps, why, _fitting_eps(point, eps, rtol))


# ---------------------------------------------------------------------- comparison
# Order k is checked one layer at a time: the function L_{k-1}, every derivative of order
# k - 1 of every output of f as one flat list (L_0 is f's outputs), is differentiated once
# more by the engine and by central differences. In full mode that is L_{k-1}'s Jacobian,
# entry by entry; in fast mode its projection v^T J u, with L_{k-1} itself projected.


def _compare(f: Callable[..., Any], point: list[float], orders: Sequence[int],
             options: _Options) -> list[GradcheckRow]:
    outputs, several = _outputs_at(f, point, options.where)  # f's own errors at the point propagate
    us, v = _directions(options.seed, len(point), len(outputs), max(orders), several)
    # The probes step along u as rounded; the engine differentiates along that same line.
    directions = (us, [_taken(point, u, options.eps) for u in us], v)
    rows = []
    for k in orders:
        for mode in options.modes:
            if options.fast:
                rows.append(_fast_row(f, point, k, mode, directions, several, options))
            else:
                rows += _full_rows(f, point, k, mode, several, options)
    return rows


def _outputs_at(f: Callable[..., Any], point: list[float], where: str) -> tuple[list[float], bool]:
    """f's outputs at ``point`` as floats (called on Values, so micrograd-style f works, no
    graph), and whether f returns a list or tuple rather than one number."""
    with no_grad():
        out = f(*[Value(x) for x in point])
    leaves, _ = flatten_output(out, where, f)
    return [_as_float(leaf) for leaf in leaves], isinstance(out, list | tuple)


def _layer(f: Callable[..., Any], k: int, mode: str, n: int, where: str) -> Callable[..., list[Any]]:
    """L_k: every derivative of order k of every output of f, flattened (output-major)."""
    if k == 0:
        return lambda *xs: flatten_output(f(*xs), where, f)[0]
    derivatives = jacobian(_layer(f, k - 1, mode, n, where), argnums=tuple(range(n)), mode=mode)
    return lambda *xs: [d for row in derivatives(*xs) for d in row]


def _layer_at(f: Callable[..., Any], k: int, mode: str, x: list[float], where: str) -> list[float]:
    if k == 0:
        return _outputs_at(f, x, where)[0]
    return [_as_float(d) for d in _layer(f, k, mode, len(x), where)(*x)]


def _full_rows(f: Callable[..., Any], point: list[float], k: int, mode: str, several: bool,
               options: _Options) -> list[GradcheckRow]:
    n = len(point)
    lower = _layer(f, k - 1, mode, n, options.where)
    analytic = jacobian(lower, argnums=tuple(range(n)), mode=mode)(*point)
    subject = "f" if k == 1 else f"f's derivatives of order {k - 1}"
    numeric = [
        _central_difference(
            lambda x: _layer_at(f, k - 1, mode, x, options.where), point,
            j, options.eps, f"x{j}", subject, len(analytic))
        for j in range(n)
    ]
    rows = []
    for c, derivatives in enumerate(analytic):
        output, prefix = _decode(c, n, k - 1)
        for j in range(n):
            value, note = numeric[j][c]
            rows.append(_row(prefix + (j,), point[j], _as_float(derivatives[j]), value, options,
                             note, mode=mode, output=output if several else None))
    return rows


def _decode(c: int, n: int, depth: int) -> tuple[int, tuple[int, ...]]:
    """Entry ``c`` of L_depth as (output, the inputs differentiated by, in order)."""
    digits = []
    for _ in range(depth):
        c, digit = divmod(c, n)
        digits.append(digit)
    return c, tuple(reversed(digits))


def _directions(seed: int, n: int, m: int, k: int, several: bool) -> tuple[list[list[float]], list[float]]:
    """u1..uk (unit vectors over the inputs) and v (over the outputs) for fast mode."""
    rng = random.Random(seed)

    def unit(size: int) -> list[float]:
        while True:
            vector = [rng.uniform(-1.0, 1.0) for _ in range(size)]
            norm = math.sqrt(sum(x * x for x in vector))
            if norm > 1e-3:
                return [x / norm for x in vector]

    us = [unit(n) for _ in range(k)]
    return us, unit(m) if several else [1.0]


def _projected(f: Callable[..., Any], k: int, mode: str, us: list[list[float]],
               v: list[float], several: bool, where: str) -> Callable[..., Any]:
    """g_k: the derivative of order k of v.f along u1, ..., uk (g_0 is v.f itself)."""
    if k == 0:
        def weighted(*xs: Any) -> Any:
            leaves = flatten_output(f(*xs), where, f)[0]
            return leaves[0] if not several else _dot(v, leaves)
        return weighted
    lower = _projected(f, k - 1, mode, us, v, several, where)
    u = us[k - 1]
    if mode == "fwd":
        return lambda *xs: jvp(lower, xs, tuple(u))[1]
    gradient = grad(lower, argnums=tuple(range(len(u))))
    return lambda *xs: _dot(u, gradient(*xs))


def _dot(weights: Sequence[float], items: Sequence[Any]) -> Any:
    total: Any = None
    for w, item in zip(weights, items):
        total = w * item if total is None else total + w * item
    return total


def _fast_row(f: Callable[..., Any], point: list[float], k: int, mode: str,
              directions: tuple[list[list[float]], list[list[float]], list[float]],
              several: bool, options: _Options) -> GradcheckRow:
    """v^T J u_k of L_{k-1}: the probes step along u_k, the engine along the line they take."""
    us, taken, v = directions
    analytic = _as_float(_projected(f, k, mode, taken, v, several, options.where)(*point))
    lower = _projected(f, k - 1, mode, taken, v, several, options.where)

    def lower_at(x: list[float]) -> list[float]:
        if k == 1:  # on Values without a graph, as f's own values are taken
            with no_grad():
                return [_as_float(lower(*[Value(xi) for xi in x]))]
        return [_as_float(lower(*x))]

    subject = "v.f" if k == 1 else f"v.f's derivative of order {k - 1} along u1..u{k - 1}"
    [(numeric, note)] = _central_difference(lower_at, point, us[k - 1], options.eps,
                                            f"x along u{k}", subject, 1)
    return _row((), math.nan, analytic, numeric, options, note, mode=mode,
                directions=tuple(tuple(u) for u in taken[:k]),
                weights=tuple(v) if several else ())


def _as_float(x: Any) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(
        f"gradcheck: the function must return a scalar Value or a number, got"
        f" {type(x).__name__} {x!r}"
    )


def _central_difference(
    value_at: Callable[[list[float]], list[float]], point: list[float],
    direction: int | list[float], eps: float, along: str, subject: str, count: int,
) -> list[tuple[float, str]]:
    """The central difference of each of L's ``count`` values, each with a note; nan and why,
    where a difference could not be taken.

    ``direction`` is the index j of an input: the partial derivative along x_j,
    ``(L(x + eps e_j) - L(x - eps e_j)) / ((x_j + eps) - (x_j - eps))``, divided by the step
    the probes actually take. Or it is a vector d: ``(L(x + eps d) - L(x - eps d)) / 2 eps``
    is then the derivative along the direction the probes take, :func:`_taken` (d up to
    rounding), which the analytic side must use too.
    """
    probes = _probes(point, direction, eps)
    results = []
    for probe, label in zip(probes, "+-"):
        if isinstance(direction, int):
            at = f"{along} {label} eps = {probe[direction]!r}"
        else:
            at = f"{along} {label} eps"
        try:
            values = value_at(probe)
        except (ArithmeticError, ValueError) as exc:
            note = (f"{subject} raised at {at} ({type(exc).__name__}: {exc}); {along.split()[0]}"
                    f" is within eps of the edge of f's domain, check further inside it")
            return [(math.nan, note)] * count
        if len(values) != count:
            raise ValueError(
                f"gradcheck: f gave {len(values)} outputs at {at} but {count} at the point;"
                " the number of outputs must not change near the point"
            )
        results.append(values)
    # For e_j, the step x_j took (exact: the probes are near); along d, that of _taken.
    step = probes[0][direction] - probes[1][direction] if isinstance(direction, int) else 2 * eps
    differences = []
    for up, down in zip(*results):
        if math.isfinite(up) and math.isfinite(down):
            differences.append(((up - down) / step, ""))
        else:
            differences.append((math.nan, (
                f"{subject} is not finite at {along} {chr(177)} eps ({up!r}, {down!r}): the"
                " point is beyond finite differences; check where f is finite")))
    return differences


def _probes(point: list[float], direction: int | list[float],
            eps: float) -> tuple[list[float], list[float]]:
    """x + eps d and x - eps d as floats hold them; for an int j, only x_j moves (d = e_j).

    Every central difference of this module probes here, so the step it divides by is the
    one these probes take."""
    if isinstance(direction, int):
        up, down = list(point), list(point)
        up[direction] += eps
        down[direction] -= eps
        return up, down
    return ([x + eps * d for x, d in zip(point, direction)],
            [x - eps * d for x, d in zip(point, direction)])


def _taken(point: list[float], direction: list[float], eps: float) -> list[float]:
    """The direction the probes along ``direction`` actually step along, (up - down) / 2 eps.

    At large inputs it differs from ``direction`` by rounding: fast mode's analytic side uses
    it, so both sides differentiate along the same line."""
    up, down = _probes(point, direction, eps)
    return [(u - w) / (2.0 * eps) for u, w in zip(up, down)]


def _row(
    wrt: tuple[int, ...],
    at: float,
    analytic: float,
    numeric: float,
    options: _Options,
    note: str,
    **kind: Any,
) -> GradcheckRow:
    abs_error = abs(analytic - numeric)
    if abs_error == 0.0:
        rel_error = 0.0
    elif numeric != 0.0:
        rel_error = abs_error / abs(numeric)
    else:
        rel_error = math.inf
    ok = abs_error <= options.atol + options.rtol * abs(numeric)  # False for nan and inf
    if not ok and not note and not math.isfinite(analytic):
        note = "the analytic derivative is not finite"
    return GradcheckRow(wrt, at, analytic, numeric, abs_error, rel_error, ok, note, **kind)


# ------------------------------------------------------------------------- the verdict


def _verdict(f: Callable[..., Any], point: list[float], rows: list[GradcheckRow],
             options: _Options) -> bool:
    failed = [row for row in rows if not row.ok]
    if not failed:
        return True
    where = options.where
    # Fast mode found a disagreement: compare entry by entry to find where it is.
    located: list[GradcheckRow] = []
    several = any(row.weights for row in rows)
    for k, mode in dict.fromkeys((row.order, row.mode) for row in failed if row.directions):
        located += _full_rows(f, point, k, mode, several, options)
    entries = [row for row in rows + located if not row.directions]
    failed_entries = [row for row in entries if not row.ok]
    # The finite difference perturbs the last index of wrt: that input is the one whose
    # probes misbehave, and the one to name.
    failed_inputs = tuple(sorted({row.wrt[-1] for row in failed_entries}))
    kinks = _kinks_within_reach(f, point, failed_inputs, options.eps)
    kinked_inputs = {i for i, _ in kinks}
    # Failures that neither a kink nor a note (a probe outside f's domain) explains.
    unexplained = [row for row in failed_entries
                   if not row.note and row.wrt[-1] not in kinked_inputs]
    # Failures that the rounding of f's own arithmetic can explain are no evidence either
    # way: if that is every failure, the point is beyond finite differences.
    # (In fast mode, v^T J u can cancel far more than any entry: its rows count too.)
    fast_failed = [row for row in failed if row.directions]
    noisy = _within_rounding(f, point, unexplained + fast_failed, options)
    if all(id(row) in noisy for row in failed_entries or fast_failed):
        raise _rounding_refusal(point, noisy, options)
    unexplained = [row for row in unexplained if id(row) not in noisy]
    suspects: list[str] = []
    for k in sorted({row.order for row in unexplained}):
        suspects += _suspect_rules(f, point, k, options)
    at = f"at ({', '.join(map(repr, point))})"
    what = _orders_and_modes(failed, options.modes)
    if failed_inputs:
        names = ", ".join(f"x{i}" for i in failed_inputs)
        first = (f"{where} failed for input{'s' if len(failed_inputs) > 1 else ''} {names} of"
                 f" {_name(f)} {at}: {what}")
    else:
        first = (f"{where} failed in fast mode for {_name(f)} {at}: {what}; v^T J u disagrees"
                 " with finite differences, yet every entry of the full comparison passes on"
                 " its own: loosen atol or rtol, or check with fast=False")
    lines = [
        first,
        f"(central differences with eps={options.eps!r}; pass when |analytic - numeric| <="
        f" {options.atol!r} + {options.rtol!r} * |numeric|)",
        "",
        *table(rows).splitlines(),
    ]
    if options.fast:
        widest = max(rows, key=lambda row: row.order)
        us, weights = widest.directions, widest.weights
        lines += ["", f"fast mode: each order compared once as v^T J u, along random unit"
                  f" directions drawn with seed={options.seed} (fast=False compares every entry):",
                  *(f"  u{k + 1} = ({', '.join(_num(x) for x in u)})" for k, u in enumerate(us))]
        if weights:
            lines.append(f"  v = ({', '.join(_num(x) for x in weights)}), over f's outputs")
        if located:
            lines += ["", "the full comparison, entry by entry, of what failed:",
                      *table(located).splitlines()]
    notes = [f"  {row.name}: {row.note}" for row in failed + [r for r in located if not r.ok]
             if row.note]
    notes += [f"  {row.name}: within what rounding in f's own arithmetic can move the"
              f" difference (up to {_num(bound)}): no evidence against a rule"
              for row, bound, _ in noisy.values()]
    if notes:
        lines += ["", "notes:", *dict.fromkeys(notes)]
    if kinks:
        lines += ["", "kinks (not wrong derivatives: the probes straddle a point where the"
                  " derivative jumps; check away from it):",
                  *(f"  {text}" for _, text in kinks)]
    if suspects:
        lines += ["", "op rules that disagree with finite differences of their forward:",
                  *(f"  {text}" for text in suspects)]
    elif unexplained:
        lines += ["", "every op's own rule agrees with finite differences at this point; look"
                  " at f itself (is it smooth here? does it use .data or float() inside?)"]
    raise GradcheckError("\n".join(lines), rows + located, failed_inputs,
                         [t for _, t in kinks], suspects)


# What one op's result may be off by, relative to it: an ulp (a correctly rounded op is
# within half of one; math library functions within about one).
_ROUNDING = 2.0**-52


def _rounding_noise(values: Callable[..., list[Any]], point: list[float]) -> list[float]:
    """How far rounding in the arithmetic of ``values`` (L_{k-1}, or fast mode's projection of
    it) can move each of its values at ``point``.

    The first-order bound: every intermediate value v of the graph is off by up to
    ``_ROUNDING * |v|``, which reaches the value L by ``dL/dv``. This counts what the
    inputs alone do not show: ``x * y + 3 * x`` at y = -2.99 adds two values 300 times
    larger than the sum.
    """
    leaves = [Value(x) for x in point]
    noise = []
    for value in values(*leaves):
        total = 0.0
        if isinstance(value, Value):
            for node, adjoint in gradients(value).items():
                if node.opdef is not None:
                    total += abs(_as_float(adjoint)) * abs(node.data)
        noise.append(_ROUNDING * total)
    return noise


def _within_rounding(f: Callable[..., Any], point: list[float], failed: Sequence[GradcheckRow],
                     options: _Options) -> dict[int, tuple[GradcheckRow, float, float]]:
    """The failed rows whose error the rounding of f's arithmetic can explain, by id:
    (row, how far rounding can move its difference, what the comparison allows)."""
    found = {}
    noise: dict[tuple[int, str, bool], list[float] | None] = {}
    n, where = len(point), options.where
    for row in failed:
        k, fast = row.order, bool(row.directions)
        if (k, row.mode, fast) not in noise:
            if fast:  # the projection differenced: g_{k-1} along the row's own directions
                lower = _projected(f, k - 1, row.mode, [list(u) for u in row.directions],
                                   list(row.weights) or [1.0], bool(row.weights), where)
                values: Callable[..., list[Any]] = lambda *xs, g=lower: [g(*xs)]
            else:
                values = _layer(f, k - 1, row.mode, n, where)
            try:
                noise[k, row.mode, fast] = _rounding_noise(values, point)
            except Exception:  # f or a rule misbehaves on Values: no estimate, the failure stands
                noise[k, row.mode, fast] = None
        estimate = noise[k, row.mode, fast]
        if estimate is None or not (math.isfinite(row.numeric) and math.isfinite(row.analytic)):
            continue
        if fast:
            bound = estimate[0] / options.eps  # both probes' values may be off, over 2 eps
        else:
            c = row.output or 0
            for i in row.wrt[:-1]:  # the entry of L_{k-1} that was differenced (see _decode)
                c = c * n + i
            j = row.wrt[-1]
            up, down = _probes(point, j, options.eps)
            bound = 2.0 * estimate[c] / (up[j] - down[j])  # both probes' values may be off
        # As in _check_step, a tolerance finer than _FINEST is the caller's to judge.
        allowed = options.atol + _limit(options.rtol) * abs(row.numeric)
        if bound > allowed and row.abs_error <= allowed + bound:
            found[id(row)] = (row, bound, allowed)
    return found


def _rounding_refusal(point: list[float], noisy: dict[int, tuple[GradcheckRow, float, float]],
                      options: _Options) -> ValueError:
    """Every failure is within rounding: refuse the point as _check_step does, with an eps
    at which the rounding shrinks (as 1 / eps) to half of what the comparisons allow."""
    row, bound, allowed = max(noisy.values(), key=lambda item: item[1] / max(item[2], 1e-300))
    needed = max(2.0 * options.eps * b / a if a > 0.0 else math.inf for _, b, a in noisy.values())
    step = max(_round_up(needed), _fitting_eps(point, options.eps, options.rtol))
    if row.directions:
        subject = f"the point ({', '.join(map(repr, point))})"
        what = f"{row.name} (fast mode, along random directions)"
    else:
        subject, what = f"input {row.wrt[-1]} = {point[row.wrt[-1]]!r}", row.name
    why = (f"rounding in f's own arithmetic can move the difference for {what} by up to"
           f" {bound:.2g}, more than the {allowed:.2g} its comparison allows")
    fix = None if math.isfinite(step) else (
        "the derivative is 0 and atol=0: allow some atol" if allowed == 0.0 else None)
    return _refusal(options.where, subject, options.eps, why, step, fix)


def _orders_and_modes(failed: Sequence[GradcheckRow], modes: Sequence[str]) -> str:
    """``order 1 (rev)``, ``order 2 (fwd, rev)``, ``order 1 (fwd); order 3 (rev)``..."""
    by_order: dict[int, set[str]] = {}
    for row in failed:
        by_order.setdefault(row.order, set()).add(row.mode)
    return "; ".join(f"order {k} ({', '.join(m for m in modes if m in by_order[k])})"
                     for k in sorted(by_order))


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", repr(f))


def table(rows: Sequence[GradcheckRow], names: Sequence[str] | None = None) -> str:
    """The rows as the aligned text table of :class:`GradcheckError` messages.

    ``names`` calls the inputs by name (``d/dw``) instead of by position (``d/dx1``). A
    ``mode`` column appears when forward mode was checked.
    """
    with_mode = any(row.mode != "rev" for row in rows)
    header = ("", "input", *(("mode",) if with_mode else ()), "point", "analytic", "numeric",
              "abs error", "rel error")
    cells = [header] + [
        ("FAIL" if not row.ok else "ok", row.name if names is None else row.named(names),
         *((row.mode,) if with_mode else ()),
         "-" if row.directions else _num(row.point), _num(row.analytic), _num(row.numeric),
         _num(row.abs_error), _num(row.rel_error))
        for row in rows
    ]
    widths = [max(len(cell[k]) for cell in cells) for k in range(len(header))]
    return "\n".join("  ".join(cell[k].ljust(widths[k]) for k in range(len(header))).rstrip()
                     for cell in cells)


def _num(x: float) -> str:
    return f"{x:.10g}"


# ------------------------------------------------------------------- explanations


def _trace(f: Callable[..., Any], point: list[float]) -> tuple[list[Value], list[Value]]:
    """f's graph at ``point``: the input leaves and every node in topological order."""
    leaves = [Value(x) for x in point]
    outputs, _ = flatten_output(f(*leaves), "gradcheck", f)
    return leaves, evaluation_order([out for out in outputs if isinstance(out, Value)])


def _kinks_within_reach(
    f: Callable[..., Any], point: list[float], inputs: tuple[int, ...], eps: float
) -> list[tuple[int, str]]:
    """Kinks that a probe x_i ± eps can cross, for each failing input i.

    A kink's input u moves by about eps * |du/dx_i| when x_i moves by eps, so the kink at
    k is within reach when |u - k| <= 2 * eps * max(1, |du/dx_i|) (the factor 2 covers the
    curvature of u). Only inputs that u depends on are named.
    """
    if not inputs:
        return []
    try:
        leaves, order = _trace(f, point)
    except Exception:  # f fails on Values: no graph to explain with, the table stands
        return []
    found = []
    for node in order:
        op = node.opdef
        if op is None:
            continue
        at = [p.data for p in node.parents]
        distance = op.distance_to_kink(*at)
        if not math.isfinite(distance):
            continue  # no kink anywhere (exp, tanh, ...)
        slopes = [gradients(p) for p in node.parents]
        for i in inputs:
            # How far a step of eps in x_i moves the op's inputs (so, at most, its kink).
            moves = [abs(_as_float(s.get(leaves[i], 0.0))) for s in slopes]
            slope = sum(moves)
            if slope == 0.0 or distance > 2.0 * eps * max(1.0, slope):
                continue
            u = node.parents[0]
            kink = next((k for k in op.kinks if abs(u.data - k) == distance), None)
            if kink is not None:
                what = f"x{i}" if u is leaves[i] else f"the input of {op.name}"
                text = (f"x{i} is within eps of the kink of {op.name} at {kink!r} ({what} is"
                        f" {u.data!r}, a step of eps in x{i} moves it by {eps * moves[0]:.3g})")
            else:
                text = (f"x{i} is within eps of a kink of {op.name} (its inputs"
                        f" {', '.join(map(repr, at))} are {distance:.3g} from where its"
                        f" derivative jumps, a step of eps in x{i} moves them by {eps * slope:.3g})")
            found.append((i, text))
    return found


def _suspect_rules(f: Callable[..., Any], point: list[float], order: int,
                   options: _Options) -> list[str]:
    """Check each op's own rules where f uses them; describe the first mismatch per rule.

    For order k that is the same comparison gradcheck makes, on the op alone: its
    derivatives of order k (rule i differentiated k - 1 times) against differences of
    those of order k - 1 (for k = 1, of its forward).
    """
    try:
        _, nodes = _trace(f, point)
    except Exception:
        return []
    found: dict[tuple[Any, ...], str] = {}
    for node in nodes:
        op = node.opdef
        if op is None:
            continue
        if op.custom:  # its rule is the node's own closure: it cannot be checked alone
            found.setdefault((op.name, -1), (
                f"op {op.name}: a node built micrograd's way, Value(data, children, {op.name!r}),"
                " whose hand-written _backward is not in the op table; check that closure"
                " (does it add local derivative * out.grad into each child's .grad?)"))
            continue
        if op.stops_gradient:  # its rule is 0 on purpose (a shift for stability)
            continue
        at = [p.data for p in node.parents]
        for row in _rule_rows(op, at, order, options):
            found.setdefault((op.name, *row.wrt), _describe(op, at, row))
    return list(found.values())


def _rule_rows(op: Op, at: list[float], order: int, options: _Options) -> list[GradcheckRow]:
    """The failing comparisons of order ``order`` of ``op`` alone at ``at``.

    An op's inputs inside f can be far larger than f's own (``exp(x) * y`` at x = 20
    multiplies 4.9e8), where a step of eps is beyond finite differences: the op is then
    checked with the smallest step that fits its inputs, so rounding does not make a right
    rule look wrong.
    """
    def forward(*xs: Any) -> Any:
        return apply(op, *xs)

    eps = _fitting_eps(at, options.eps, options.rtol)
    if not math.isfinite(eps):  # next to the largest float: nothing to tell by differences
        return []
    options = replace(options, eps=eps)
    try:
        rows = _full_rows(forward, at, order, "rev", False, options)
    except (ArithmeticError, ValueError, TypeError):
        return []
    # Straddling the op's own kink (a tie of maximum, relu at 0) proves nothing about its rule.
    if op.distance_to_kink(*at) <= 2.0 * options.eps * max(1, op.arity):
        return []
    return [row for row in rows if not row.ok and not row.note]


def _describe(op: Op, at: list[float], row: GradcheckRow) -> str:
    i, by = row.wrt[0], row.wrt[1:]
    where = ", ".join(f"{name}={x!r}" for name, x in zip(op.inputs, at))
    if not by:
        return (f"op {op.name}: the rule for input {op.inputs[i]} at {where} gives"
                f" {_num(row.analytic)}, finite differences give {_num(row.numeric)}"
                f" (rule: {op.derivative_text(i)})")
    of = "the rule" if len(by) == 1 else f"its derivative of order {len(by) - 1}"
    return (f"op {op.name}: the rule for input {op.inputs[i]} differentiated by"
            f" {' and then '.join(op.inputs[j] for j in by)} at {where} gives"
            f" {_num(row.analytic)}, finite differences of {of} give {_num(row.numeric)};"
            f" write the rule with autograd_mini's functions so it can be differentiated"
            f" again (rule: {op.derivative_text(i)})")
