"""The wording of the engine's errors: what failed, at which input, and what to do.

Every error keeps the type the failure had (``ValueError``, ``ZeroDivisionError``,
``OverflowError``, ``TypeError``), so ``except ValueError`` works as it would on plain
floats, and says which op and which input values were involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["backward_error", "forward_error", "same_kind"]


def same_kind(exc: BaseException, message: str) -> Exception:
    """An exception of ``exc``'s type carrying ``message``.

    A subclass (a user's) that cannot be built from a message alone falls back to its
    nearest built-in base.
    """
    try:
        return type(exc)(message)  # type: ignore[return-value]
    except Exception:
        for base in (ZeroDivisionError, OverflowError, ArithmeticError, ValueError, TypeError):
            if isinstance(exc, base):
                return base(message)
        return RuntimeError(message)


def forward_error(op: Any, args: Sequence[float], exc: Exception) -> Exception:
    """What a failing float forward becomes: ``exp: result overflows a float at input 1000.0``."""
    at = ", ".join(map(repr, args))
    if isinstance(exc, OverflowError):
        return OverflowError(f"{op.name}: result overflows a float at input {at}")
    return same_kind(exc, f"{op.name}: undefined at input {at} ({exc})")


def backward_error(node: Any, exc: BaseException) -> Exception:
    """What a failing derivative rule becomes: the op, the input and the rule, named."""
    op = node.opdef
    at = ", ".join(repr(p.data) for p in node.parents)
    formulas = "; ".join(op.derivative_text(i) for i in range(op.arity))
    if isinstance(exc, TypeError):
        problem = "a local-derivative rule failed"
        advice = "check that every partial returns a number (or a Value) for these inputs"
    else:
        problem = "the local derivative is not finite there"
        advice = "keep the input away from that point"
    return same_kind(
        exc, f"backward through {op.name} at input {at}: {problem} ({formulas}): {exc};"
        f" {advice}"
    )
