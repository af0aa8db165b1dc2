"""Check derivatives against finite differences: :func:`gradcheck` and :func:`gradgradcheck`.

Both compare what the engine computes with a central difference::

    numeric = (f(x + eps) - f(x - eps)) / (2 * eps)
    passes when |analytic - numeric| <= atol + rtol * |numeric|

and either return ``True`` or raise :class:`GradcheckError`, whose message is a table with
one row per derivative (input, point, analytic, numeric, absolute and relative error) and
the names of the inputs that failed. A failure is explained where it can be:

* a point so close to a kink (relu or abs at 0, or a user op's ``kinks``) that the two
  probes fall on different sides of it is reported as such, not as a wrong derivative;
* otherwise every op in the graph of ``f`` has its own rules checked against finite
  differences of its forward, so a wrong rule in the op table or in a user
  :func:`~autograd_mini.primitive` is named.

The analytic derivatives come from :func:`autograd_mini.grad`, which never reads or writes
``.grad`` of any Value, so checking a model leaves its gradients as they were.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from autograd_mini.engine import Value, apply, gradients, no_grad, value_rules
from autograd_mini.functional import grad, value_and_grad
from autograd_mini.graph import topological_order
from autograd_mini.ops import Op

__all__ = ["GradcheckError", "GradcheckRow", "gradcheck", "gradgradcheck", "gradient_rows", "table"]

_parents_of = attrgetter("parents")


@dataclass(frozen=True)
class GradcheckRow:
    """One compared derivative: d f / d x_i (``wrt == (i,)``) or d²f / dx_i dx_j."""

    wrt: tuple[int, ...]
    point: float  # the value of the input that the finite difference perturbs
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool
    note: str = ""

    @property
    def name(self) -> str:
        """``d/dx0`` for a first derivative, ``d2/dx0dx1`` for a second."""
        return self.named([f"x{i}" for i in range(max(self.wrt) + 1)])

    def named(self, names: Sequence[str]) -> str:
        """The derivative's name with the inputs called ``names``: ``d/dw``, ``d2/dxdw``."""
        if len(self.wrt) == 1:
            return f"d/d{names[self.wrt[0]]}"
        return "d2/" + "".join(f"d{names[i]}" for i in self.wrt)


class GradcheckError(AssertionError):
    """A derivative disagreed with finite differences; the message is the full report.

    ``rows`` holds every compared derivative, ``failed_inputs`` the indices of the inputs
    whose derivatives failed, ``kinks`` the kinks found within reach of the probes, and
    ``suspects`` the op rules that disagree with finite differences of their forward.
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


# ----------------------------------------------------------------------- public API


def gradcheck(
    f: Callable[..., Any],
    *args: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check every first derivative of ``f`` at ``args`` against central differences.

    ``f`` takes scalars and returns a Value (or a number). ``args`` are numbers or Values
    (only their ``.data`` is used; no ``.grad`` is touched). Returns ``True`` or raises
    :class:`GradcheckError` with a table of the derivatives and the failing inputs.

    >>> from autograd_mini import tanh, relu, primitive
    >>> gradcheck(lambda x, y: tanh(x * y) + x / y, 0.3, 2.0)
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
    autograd_mini.check.GradcheckError: gradcheck failed for input x0 ...
    ...op bad_square_doc: the rule for input x at x=1.5 gives 4.5, finite differences give 3...
    >>> from autograd_mini import ops; ops.unregister("bad_square_doc")
    """
    point = _validate(args, eps, atol, rtol, "gradcheck")
    rows = _gradient_rows(f, point, eps, atol, rtol)
    return _verdict("gradcheck", f, point, rows, eps, atol, rtol, order=1)


def gradient_rows(
    f: Callable[..., Any],
    *args: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> tuple[GradcheckRow, ...]:
    """The comparison :func:`gradcheck` makes, one row per input, whether it passes or not.

    >>> from autograd_mini import sin
    >>> [(row.name, row.ok) for row in gradient_rows(lambda x, y: sin(x) * y, 0.5, 2.0)]
    [('d/dx0', True), ('d/dx1', True)]
    >>> print(table(gradient_rows(lambda x: x * x, 3.0), names=["x"]))  # doctest: +ELLIPSIS
        input  point  analytic  numeric...
    ok  d/dx   3      6         6.0...
    """
    point = _validate(args, eps, atol, rtol, "gradient_rows")
    return tuple(_gradient_rows(f, point, eps, atol, rtol))


def _gradient_rows(
    f: Callable[..., Any], point: list[float], eps: float, atol: float, rtol: float
) -> list[GradcheckRow]:
    n = len(point)
    _, analytic = value_and_grad(f, argnums=tuple(range(n)))(*point)
    analytic = tuple(_as_float(a) for a in analytic)

    def value_at(x: list[float]) -> float:
        return _value_of(f, x)

    rows = []
    for i in range(n):
        numeric, note = _central_difference(value_at, point, i, eps)
        rows.append(_row((i,), point[i], analytic[i], numeric, atol, rtol, note))
    return rows


def gradgradcheck(
    f: Callable[..., Any],
    *args: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check every second derivative of ``f`` at ``args`` (the Hessian).

    The Hessian from nested :func:`~autograd_mini.grad` is compared with central
    differences of the engine's gradient: entry (i, j) against
    ``(df/dx_i (x + eps e_j) - df/dx_i (x - eps e_j)) / (2 eps)``. This catches derivative
    rules that are right as numbers but not differentiable again (a rule computed on
    ``float(x)`` instead of with the package's functions). Returns ``True`` or raises
    :class:`GradcheckError`.

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
    point = _validate(args, eps, atol, rtol, "gradgradcheck")
    n = len(point)
    everything = tuple(range(n))
    gradient = grad(f, argnums=everything)

    def gradient_at(x: list[float]) -> tuple[float, ...]:
        return tuple(_as_float(g) for g in gradient(*x))

    rows = []
    for i in range(n):
        # Row i of the Hessian: the gradient of d f / d x_i, by nesting grad.
        def partial_i(*xs: Any, i: int = i) -> Any:
            return gradient(*xs)[i]

        hessian_row = tuple(_as_float(h) for h in grad(partial_i, argnums=everything)(*point))
        for j in range(n):
            numeric, note = _central_difference(
                lambda x, i=i: gradient_at(x)[i], point, j, eps  # type: ignore[misc]
            )
            rows.append(_row((i, j), point[j], hessian_row[j], numeric, atol, rtol, note))
    return _verdict("gradgradcheck", f, point, rows, eps, atol, rtol, order=2)


# ---------------------------------------------------------------------- comparison


def _validate(
    args: tuple[Any, ...], eps: float, atol: float, rtol: float, where: str
) -> list[float]:
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
    if not (isinstance(eps, (int, float)) and 0.0 < eps < math.inf):
        raise ValueError(f"{where}: eps={eps!r} must be a positive finite step, e.g. 1e-6")
    for i, x in enumerate(point):
        _check_step(where, i, x, float(eps))
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(tolerance, (int, float)) and 0.0 <= tolerance < math.inf):
            raise ValueError(f"{where}: {name}={tolerance!r} must be a finite number >= 0")
    return point


def _check_step(where: str, i: int, x: float, eps: float) -> None:
    """Refuse a point where a step of eps is lost to rounding: no difference means anything."""
    up, down = x + eps, x - eps
    if math.isfinite(up) and math.isfinite(down) and abs((up - x) - eps) <= 0.01 * eps \
            and abs((x - down) - eps) <= 0.01 * eps:
        return
    what = "overflows" if not (math.isfinite(up) and math.isfinite(down)) else (
        f"rounds to a step of {up - x!r}")
    step = max(1e-6, abs(x) * 1e-6)  # relative: a step rounding cannot swallow
    fix = (f"pass eps={float(f'{step:.0e}')!r} or larger" if math.isfinite(abs(x) + 2 * step)
           else "no step fits this close to the largest float: check at a smaller point")
    raise ValueError(
        f"{where}: input {i} = {x!r} is beyond finite differences with eps={eps!r} (x {chr(177)}"
        f" eps {what}), so no derivative can be checked there; {fix}"
    )


def _value_of(f: Callable[..., Any], point: list[float]) -> float:
    """f at ``point``, as a number: called on Values (so micrograd-style f works), no graph."""
    with no_grad():
        return _as_float(f(*[Value(x) for x in point]))


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
    value_at: Callable[[list[float]], float], point: list[float], i: int, eps: float
) -> tuple[float, str]:
    """(f(x + eps e_i) - f(x - eps e_i)) / 2 eps, or nan and why it could not be taken."""
    results = []
    for sign, label in ((1.0, "+"), (-1.0, "-")):
        probe = list(point)
        probe[i] += sign * eps
        try:
            results.append(value_at(probe))
        except (ArithmeticError, ValueError) as exc:
            return math.nan, (
                f"f raised at x{i} {label} eps = {probe[i]!r} ({type(exc).__name__}: {exc});"
                f" x{i} is within eps of the edge of f's domain, check further inside it"
            )
    if not all(math.isfinite(r) for r in results):
        return math.nan, (
            f"f is not finite at x{i} {chr(177)} eps ({results[0]!r}, {results[1]!r}): the"
            " point is beyond finite differences; check where f is finite"
        )
    return (results[0] - results[1]) / (2.0 * eps), ""


def _row(
    wrt: tuple[int, ...],
    at: float,
    analytic: float,
    numeric: float,
    atol: float,
    rtol: float,
    note: str,
) -> GradcheckRow:
    abs_error = abs(analytic - numeric)
    if abs_error == 0.0:
        rel_error = 0.0
    elif numeric != 0.0:
        rel_error = abs_error / abs(numeric)
    else:
        rel_error = math.inf
    ok = abs_error <= atol + rtol * abs(numeric)  # False for nan and inf, as it must be
    if not ok and not note and not math.isfinite(analytic):
        note = "the analytic derivative is not finite"
    return GradcheckRow(wrt, at, analytic, numeric, abs_error, rel_error, ok, note)


def _verdict(
    where: str,
    f: Callable[..., Any],
    point: list[float],
    rows: list[GradcheckRow],
    eps: float,
    atol: float,
    rtol: float,
    order: int,
) -> bool:
    failed = [row for row in rows if not row.ok]
    if not failed:
        return True
    # The finite difference perturbs the last index of wrt: that input is the one whose
    # probes misbehave, and the one to name.
    failed_inputs = tuple(sorted({row.wrt[-1] for row in failed}))
    kinks = _kinks_within_reach(f, point, failed_inputs, eps)
    kinked_inputs = {i for i, _ in kinks}
    # Failures that neither a kink nor a note (a probe outside f's domain) explains.
    unexplained = [row for row in failed if not row.note and row.wrt[-1] not in kinked_inputs]
    suspects = _suspect_rules(f, point, eps, atol, rtol, order) if unexplained else []
    names = ", ".join(f"x{i}" for i in failed_inputs)
    lines = [
        f"{where} failed for input{'s' if len(failed_inputs) > 1 else ''} {names} of"
        f" {getattr(f, '__name__', repr(f))} at ({', '.join(map(repr, point))})",
        f"(central differences with eps={eps!r}; pass when |analytic - numeric| <="
        f" {atol!r} + {rtol!r} * |numeric|)",
        "",
        *table(rows).splitlines(),
    ]
    notes = [f"  {row.name}: {row.note}" for row in failed if row.note]
    if notes:
        lines += ["", "notes:", *notes]
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
    raise GradcheckError("\n".join(lines), rows, failed_inputs, [t for _, t in kinks], suspects)


def table(rows: Sequence[GradcheckRow], names: Sequence[str] | None = None) -> str:
    """The rows as the aligned text table of :class:`GradcheckError` messages.

    ``names`` calls the inputs by name (``d/dw``) instead of by position (``d/dx1``).
    """
    header = ("", "input", "point", "analytic", "numeric", "abs error", "rel error")
    cells = [header] + [
        ("FAIL" if not row.ok else "ok", row.name if names is None else row.named(names),
         _num(row.point), _num(row.analytic), _num(row.numeric), _num(row.abs_error),
         _num(row.rel_error))
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
    out = f(*leaves)
    if not isinstance(out, Value):
        return leaves, []
    return leaves, topological_order(out, _parents_of)


def _kinks_within_reach(
    f: Callable[..., Any], point: list[float], inputs: tuple[int, ...], eps: float
) -> list[tuple[int, str]]:
    """Kinks that a probe x_i ± eps can cross, for each failing input i.

    A kink's input u moves by about eps * |du/dx_i| when x_i moves by eps, so the kink at
    k is within reach when |u - k| <= 2 * eps * max(1, |du/dx_i|) (the factor 2 covers the
    curvature of u). Only inputs that u depends on are named.
    """
    try:
        leaves, order = _trace(f, point)
    except Exception:  # f fails on Values: no graph to explain with, the table stands
        return []
    found = []
    for node in order:
        op = node.opdef
        if op is None or not op.kinks:
            continue
        u = node.parents[0]
        slopes = gradients(u)
        for k in op.kinks:
            distance = abs(u.data - k)
            for i in inputs:
                slope = _as_float(slopes.get(leaves[i], 0.0))
                if slope != 0.0 and distance <= 2.0 * eps * max(1.0, abs(slope)):
                    what = f"x{i}" if u is leaves[i] else f"the input of {op.name}"
                    found.append((i, (
                        f"x{i} is within eps of the kink of {op.name} at {k!r} ({what} is"
                        f" {u.data!r}, a step of eps in x{i} moves it by {eps * abs(slope):.3g})"
                    )))
    return found


def _suspect_rules(
    f: Callable[..., Any],
    point: list[float],
    eps: float,
    atol: float,
    rtol: float,
    order: int,
) -> list[str]:
    """Check each op's own rules where f uses them; describe the first mismatch per rule."""
    try:
        _, nodes = _trace(f, point)
    except Exception:
        return []
    found: dict[tuple[str, int, int], str] = {}
    for node in nodes:
        op = node.opdef
        if op is None:
            continue
        if op.custom:  # its rule is the node's own closure: it cannot be checked alone
            found.setdefault((op.name, -1, -1), (
                f"op {op.name}: a node built micrograd's way, Value(data, children, {op.name!r}),"
                " whose hand-written _backward is not in the op table; check that closure"
                " (does it add local derivative * out.grad into each child's .grad?)"))
            continue
        at = [p.data for p in node.parents]
        for i in range(op.arity):
            for j in range(op.arity) if order == 2 else (None,):
                key = (op.name, i, -1 if j is None else j)
                if key in found:
                    continue
                text = _check_rule(op, at, i, j, eps, atol, rtol)
                if text:
                    found[key] = text
    return list(found.values())


def _check_rule(
    op: Op, at: list[float], i: int, j: int | None, eps: float, atol: float, rtol: float
) -> str:
    """'' if rule i of op agrees with finite differences at ``at``, else a description.

    First order (``j is None``): the rule on floats against differences of ``forward``.
    Second order: the derivative of the rule (computed on Values) with respect to input j
    against differences of the rule on floats.
    """
    k = i if j is None else j
    if op.kinks and k == 0 and any(abs(at[0] - kink) <= 2.0 * eps for kink in op.kinks):
        return ""  # straddling the op's own kink proves nothing about its rule
    rule = op.rules[i]

    def forward_at(x: list[float]) -> float:
        return float(apply(op, *x))

    def rule_at(x: list[float]) -> float:
        return _as_float(rule(forward_at(x), *x))

    try:
        if j is None:
            analytic = rule_at(at)
            numeric, note = _central_difference(forward_at, at, i, eps)
        else:
            leaves = [Value(x) for x in at]
            derivative = value_rules(op)[i](apply(op, *leaves), *leaves)
            analytic = 0.0
            if isinstance(derivative, Value):
                analytic = _as_float(gradients(derivative).get(leaves[j], 0.0))
            numeric, note = _central_difference(rule_at, at, j, eps)
    except (ArithmeticError, ValueError, TypeError):
        return ""
    if note or abs(analytic - numeric) <= atol + rtol * abs(numeric):
        return ""
    where = ", ".join(f"{name}={x!r}" for name, x in zip(op.inputs, at))
    if j is None:
        return (f"op {op.name}: the rule for input {op.inputs[i]} at {where} gives"
                f" {_num(analytic)}, finite differences give {_num(numeric)}"
                f" (rule: {op.derivative_text(i)})")
    return (f"op {op.name}: the rule for input {op.inputs[i]} differentiated by"
            f" {op.inputs[j]} at {where} gives {_num(analytic)}, finite differences of the"
            f" rule give {_num(numeric)}; write the rule with autograd_mini's functions so it"
            f" can be differentiated again (rule: {op.derivative_text(i)})")
