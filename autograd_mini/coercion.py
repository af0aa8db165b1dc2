"""Values and Python's numbers: what may stand for a number, and how a Value acts as one.

The engine accepts int, float, bool, ``fractions.Fraction`` and numpy scalars wherever a
number may stand, and turns them into Python floats at once. Anything else is refused
with a message naming the op, the type and the value. numpy is never imported.
:class:`NumberProtocol` gives a Value the rest of a number's manners: ordering compares
data, ``float(v)``, ``format(v, ".3f")``, ``repr``.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable
from typing import Any

__all__ = [
    "NEVER_NUMBERS", "NumberProtocol", "as_float", "comparison_observers",
    "conversion_observers", "is_number", "is_real", "refuse",
]


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
    if isinstance(x, NumberProtocol):  # a Value
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


comparison_observers: list[Callable[[Any, Any, str, bool], None]] = []
"""Functions told of every comparison of a Value (the compiled mode records them as guards)."""

conversion_observers: list[Callable[[Any], None]] = []
"""Functions told of every ``float(v)`` of a Value (the compiled mode guards on the number)."""


class NumberProtocol:
    """How a Value acts as a Python number (a base of :class:`~autograd_mini.Value`).

    ``<``, ``<=``, ``>``, ``>=`` compare data; ``==`` and ``hash`` stay identity, so
    Values can live in sets and dicts, as micrograd's do.
    """

    __slots__ = ()
    data: float
    grad: Any
    label: str

    def __lt__(self, other: Any) -> bool:
        return _compare(self, other, "<", operator.lt)

    def __le__(self, other: Any) -> bool:
        return _compare(self, other, "<=", operator.le)

    def __gt__(self, other: Any) -> bool:
        return _compare(self, other, ">", operator.gt)

    def __ge__(self, other: Any) -> bool:
        return _compare(self, other, ">=", operator.ge)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __float__(self) -> float:
        for observe in conversion_observers:
            observe(self)
        return self.data

    def __int__(self) -> int:  # int(v) truncates the data, as int(torch.tensor(2.7)) does
        return int(self.__float__())

    def __format__(self, spec: str) -> str:  # f"{v:.3f}" formats the data, as floats do
        return format(self.data, spec) if spec else str(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_shown(self.data)}, grad={_shown(self.grad)}{label})"


def _shown(x: Any) -> str:
    # A numpy scalar assigned to .data by hand (p.data -= lr * np.float64(g)) shows as its
    # number, as micrograd's f-string shows it, not as numpy 2's np.float64(...).
    if type(x) not in (float, int, bool) and isinstance(x, numbers.Real):
        return repr(float(x))
    return repr(x)


def _compare(a: NumberProtocol, other: Any, symbol: str, test: Callable[[float, float], bool]) -> bool:
    if isinstance(other, NumberProtocol):
        number = other.data
    elif is_real(other):
        number = as_float(other, symbol)
    else:
        return refuse(symbol, other, reflected=False)  # type: ignore[no-any-return]
    result = test(a.data, number)
    for observe in comparison_observers:
        observe(a, other, symbol, result)
    return result
