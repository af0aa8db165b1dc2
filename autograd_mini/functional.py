"""``grad`` and ``value_and_grad``: derivatives as functions, nestable to any order.

``grad(f)`` is the function x -> f'(x). It never reads or writes ``.grad`` of any Value:
it asks :func:`autograd_mini.engine.gradients` for the derivatives directly. Called with
floats it returns floats; called with Values (as happens when ``grad`` is nested inside
another ``grad``) it returns Values that record how they were computed, so the outer
``grad`` can differentiate them again.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from autograd_mini.engine import Value, gradients

__all__ = ["grad", "value_and_grad"]

# How many grad calls are running f right now (per thread and async task). Inside one,
# an inner grad must return Values even when called with floats: its result may depend on
# a Value the outer grad is differentiating, captured by a closure.
_active: contextvars.ContextVar[int] = contextvars.ContextVar("autograd_mini_grad_depth", default=0)


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Return a function giving ``(f(*args), df/d args[argnums])``.

    ``argnums`` is an int (one derivative comes back) or a tuple of ints (a tuple of
    derivatives comes back, in that order).

    >>> from autograd_mini import tanh
    >>> value, slope = value_and_grad(lambda x: tanh(x))(0.0)
    >>> value, slope
    (0.0, 1.0)
    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    positions = _positions(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> tuple[Any, Any]:
        for i in positions:
            if not -len(args) <= i < len(args):
                raise TypeError(
                    f"grad: argnums {argnums!r} names argument {i}, but the function was"
                    f" called with {len(args)} argument(s)"
                )
        nested = _active.get() > 0 or any(isinstance(args[i], Value) for i in positions)
        inputs = list(args)
        wrt: list[Value] = []
        for i in positions:
            x = _input(args[i], i, nested)
            if any(x is w for w in wrt):
                x = x + 0.0  # the same Value twice: give each position its own node
            wrt.append(x)
            inputs[i] = x
        token = _active.set(_active.get() + 1)
        try:
            out = f(*inputs)
        finally:
            _active.reset(token)
        if isinstance(out, Value):
            grads = gradients(out, create_graph=nested)
            derivatives = [grads.get(x, 0.0) for x in wrt]
            value: Any = out if nested else out.data
        elif isinstance(out, (int, float)):
            derivatives, value = [0.0] * len(wrt), float(out)  # constant in its inputs
        else:
            raise TypeError(
                f"grad: {getattr(f, '__name__', 'f')} must return a scalar Value or number,"
                f" got {type(out).__name__}"
            )
        if isinstance(argnums, int):
            return value, derivatives[0]
        return value, tuple(derivatives)

    return wrapped


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Return the function ``df/d args[argnums]``; nest it for higher derivatives.

    >>> from autograd_mini import sin
    >>> grad(lambda x: x**3)(2.0)
    12.0
    >>> grad(grad(grad(lambda x: x**3)))(2.0)
    6.0
    >>> grad(sin)(0.0)
    1.0
    """
    value_and_gradient = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return value_and_gradient(*args)[1]

    return wrapped


def _positions(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple)):
        raise TypeError(f"grad: argnums must be an int or a tuple of ints, got {argnums!r}")
    positions = (argnums,) if isinstance(argnums, int) else argnums
    if not positions or not all(isinstance(i, int) and not isinstance(i, bool) for i in positions):
        raise TypeError(f"grad: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return positions


def _input(x: Any, position: int, nested: bool) -> Value:
    if isinstance(x, Value):
        return x
    try:
        return Value(x)
    except TypeError:
        raise TypeError(
            f"grad: argument {position} is {type(x).__name__} {x!r}; differentiate with"
            " respect to real numbers or Values"
        ) from None
