"""Turning what users pass into numbers the engine can use, or a clear ``TypeError``.

The engine accepts int, float, bool, ``fractions.Fraction`` and numpy scalars wherever a
number may stand, and turns them into Python floats at once. Anything else is refused
with a message naming the op, the type and the value. numpy is never imported.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["NEVER_NUMBERS", "as_float", "is_number", "is_real", "refuse"]


def _is_numpy_bool(x: Any) -> bool:
    # numpy.bool_ is the one numpy scalar that is not a numbers.Real; numpy is not imported.
    kind = type(x)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")


def is_real(x: Any) -> bool:
    """int, float, bool, Fraction, numpy scalars (not complex, not Decimal, not Value).

    >>> is_real(2), is_real(0.5), is_real(1j), is_real("2")
    (True, True, False, False)
    """
    return isinstance(x, numbers.Real) or _is_numpy_bool(x)


def is_number(x: Any) -> bool:
    """:func:`is_real`, with the two common types answered first (this is on hot paths)."""
    return type(x) is float or type(x) is int or is_real(x)


def as_float(x: Any, where: str) -> float:
    """``x`` as a Python float, or a ``TypeError``/``OverflowError`` naming ``where``.

    >>> as_float(3, "Value"), as_float(True, "Value")
    (3.0, 1.0)
    >>> as_float("3", "Value")
    Traceback (most recent call last):
    ...
    TypeError: Value: expected a real number (int, float, bool or a numpy scalar) or a Value, got str '3'
    """
    if type(x) is float:
        return x
    if is_real(x):
        try:
            return float(x)  # also turns a float subclass (numpy.float64) into a float
        except OverflowError:
            raise OverflowError(
                f"{where}: {type(x).__name__} {x!r:.60} is too large for a float"
            ) from None
    if hasattr(x, "parents") and hasattr(x, "data"):  # a Value, without importing the engine
        raise TypeError(
            f"{where}: expected a real number, got a Value ({x!r}); use its .data for the"
            " number, or the Value itself in an operation"
        )
    raise TypeError(
        f"{where}: expected a real number (int, float, bool or a numpy scalar) or a Value,"
        f" got {type(x).__name__} {x!r:.60}"
    )


NEVER_NUMBERS = (str, bytes, bytearray, type(None), complex, list, tuple, dict, set, frozenset)
"""Types that never take part in arithmetic with a Value (an operator raises at once)."""


def refuse(op_name: str, x: Any, reflected: bool) -> Any:
    """An operator's answer to an operand that is not a number: raise, or NotImplemented.

    A type that can never be a number, or a reflected call (``__radd__``: no one else will
    handle it), raises a ``TypeError`` naming the op; any other unknown type gets
    ``NotImplemented``, so that it (a numpy array, say) may still handle the operation,
    as Python's protocol intends.
    """
    if reflected or isinstance(x, NEVER_NUMBERS):
        raise TypeError(
            f"{op_name}: cannot combine a Value with {type(x).__name__} {x!r:.60}; use a"
            " real number (int, float, bool, numpy scalar) or a Value"
        )
    return NotImplemented
