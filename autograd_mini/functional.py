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
import numbers
from collections.abc import Callable
from typing import Any

from autograd_mini.engine import Value, enable_grad, gradients

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
    derivatives comes back, in that order). Each derivative is the partial derivative with
    respect to that argument alone: a Value passed twice, or also captured by ``f``, counts
    only where it is passed at that position. ``f`` is run with graph recording on, even
    inside :class:`~autograd_mini.no_grad`.

    >>> from autograd_mini import tanh
    >>> value, slope = value_and_grad(lambda x: tanh(x))(0.0)
    >>> value, slope
    (0.0, 1.0)
    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    _positions(argnums)  # a bad argnums is reported when grad is made, not when called

    @functools.wraps(f)
    def wrapped(*args: Any) -> tuple[Any, Any]:
        positions = _positions(argnums, len(args))
        nested = _active.get() > 0 or any(isinstance(args[i], Value) for i in positions)
        inputs = list(args)
        wrt: list[Value] = []
        token = _active.set(_active.get() + 1)
        try:
            with enable_grad():
                for i in positions:
                    x = _input(args[i], i)
                    wrt.append(x)
                    inputs[i] = x
                out = f(*inputs)
                if isinstance(out, Value):
                    grads = gradients(out, create_graph=nested)
                    derivatives = [grads.get(x, 0.0) for x in wrt]
                    value: Any = out if nested else out.data
                elif isinstance(out, numbers.Real):
                    derivatives, value = [0.0] * len(wrt), float(out)  # constant in its inputs
                else:
                    raise TypeError(
                        f"grad: {getattr(f, '__name__', 'f')} must return a scalar Value or"
                        f" a real number, got {type(out).__name__} {out!r:.60}"
                    )
        finally:
            _active.reset(token)
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


def _positions(argnums: int | tuple[int, ...], count: int | None = None) -> tuple[int, ...]:
    # The argument positions named by argnums, checked; with ``count`` (the number of
    # arguments of a call) made non-negative and checked against it.
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple)):
        raise TypeError(f"grad: argnums must be an int or a tuple of ints, got {argnums!r}")
    positions = (argnums,) if isinstance(argnums, int) else argnums
    if not positions or not all(isinstance(i, int) and not isinstance(i, bool) for i in positions):
        raise TypeError(f"grad: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    if count is None:
        return positions
    for i in positions:
        if not -count <= i < count:
            raise TypeError(
                f"grad: argnums {argnums!r} names argument {i}, but the function was"
                f" called with {count} argument(s)"
            )
    normalized = tuple(i % count for i in positions)
    if len(set(normalized)) != len(normalized):
        raise ValueError(
            f"grad: argnums {argnums!r} names the same argument twice; name each once"
        )
    return normalized


def _input(x: Any, position: int) -> Value:
    # Differentiation needs a node of its own for each position. A caller's Value gets a
    # fresh identity node (x - 0.0, exact for every float, -0.0 included): the derivative
    # then counts only this position's uses, not other uses of x (another argument, or a
    # closure in f), while an outer grad still reaches x through it.
    if isinstance(x, Value):
        own = x - 0.0
        own.label = x.label
        return own
    try:
        return Value(x)
    except TypeError:
        raise TypeError(
            f"grad: argument {position} is {type(x).__name__} {x!r:.60}; differentiate with"
            " respect to real numbers or Values"
        ) from None
