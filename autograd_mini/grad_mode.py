"""Grad mode: whether operations on Values record graph (``no_grad``, ``enable_grad``).

The engine asks this module one question for every node it records: is recording switched
off here? Since that runs once per node, the engine reads the answer directly, as
``_disabled_modes and not _grad_mode.get().enabled`` (explained below), instead of calling
:func:`is_grad_enabled`.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Generator
from typing import Any, ClassVar

__all__ = ["enable_grad", "is_grad_enabled", "no_grad"]


# Whether operations record graph. The current mode lives in a ContextVar, which makes it
# per thread and per async task (a task starts with a copy of its creator's context, so a
# task created inside no_grad runs without grad, like decimal.localcontext).
#
# Reading a ContextVar on every operation costs time, so the hot path first asks a cheaper
# question: does a "grad disabled" mode exist anywhere at all? Each no_grad block stores a
# fresh _GradMode object in the ContextVar; the object is alive exactly as long as some
# context (this one, or a copy an asyncio task or callback took) still holds it, and it
# keeps its id in _disabled_modes while alive. An empty set therefore proves that every
# context records, with no counting that a leaked context copy could get wrong.

_disabled_modes: set[int] = set()


class _GradMode:
    """A grad mode: on or off, and the mode it replaced (restored when its block ends)."""

    __slots__ = ("enabled", "outer")

    def __init__(self, enabled: bool, outer: _GradMode | None) -> None:
        self.enabled = enabled
        self.outer = outer
        if not enabled:
            _disabled_modes.add(id(self))  # set.add is atomic: safe from any thread

    def __del__(self, _modes: set[int] = _disabled_modes) -> None:
        # The set is bound as a default: this may run while the interpreter shuts down.
        if not self.enabled:
            _modes.discard(id(self))


_RECORDING = _GradMode(True, None)
_grad_mode: contextvars.ContextVar[_GradMode] = contextvars.ContextVar(
    "autograd_mini_grad_mode", default=_RECORDING
)


def is_grad_enabled() -> bool:
    """Whether operations on Values currently record graph (False inside ``no_grad``).

    >>> is_grad_enabled()
    True
    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """
    return _grad_mode.get().enabled


class _GradModeBlock:
    """A block (``with``) or a decorated function that runs in one grad mode.

    Any instance may be entered any number of times, nested, and from several threads or
    tasks at once: the mode to restore is kept in the context itself, not in the instance.
    """

    enabled: ClassVar[bool]

    def __enter__(self) -> None:
        _grad_mode.set(_GradMode(self.enabled, _grad_mode.get()))

    def __exit__(self, *exc: object) -> None:
        mode = _grad_mode.get()
        if mode.outer is not None:
            _grad_mode.set(mode.outer)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        block = type(self)
        name = block.__name__
        if inspect.isasyncgenfunction(function):
            raise TypeError(
                f"{name}() cannot decorate the async generator {function.__name__!r}:"
                f" it would switch modes in whichever task resumes it; use"
                f" `with {name}():` inside its body instead"
            )
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
                with block():  # the mode stays inside this coroutine's task
                    return await function(*args, **kwargs)

            return coroutine_wrapper
        if inspect.isgeneratorfunction(function):
            return _generator_in_mode(block, function)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with block():
                return function(*args, **kwargs)

        return wrapper


def _generator_in_mode(
    block: type[_GradModeBlock], function: Callable[..., Generator[Any, Any, Any]]
) -> Callable[..., Generator[Any, Any, Any]]:
    # A `with` around a whole generator would leave the mode switched in the caller while
    # the generator is paused at a yield; instead each resumption runs inside the block.
    @functools.wraps(function)
    def generator_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        generator = function(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                with block():
                    item = generator.send(sent) if thrown is None else generator.throw(thrown)
            except StopIteration as stop:
                return stop.value
            thrown = None
            try:
                sent = yield item
            except GeneratorExit:
                with block():
                    generator.close()
                raise
            except BaseException as exc:  # passed on into the wrapped generator
                thrown = exc

    return generator_wrapper


class no_grad(_GradModeBlock):  # noqa: N801 - named like torch.no_grad
    """Record no graph inside this block (or this decorated function).

    Results are leaves: they have data but no parents, so nothing is kept alive and
    ``backward`` does not reach through them. The mode is per thread and per async task;
    a task or a decorated coroutine or generator keeps it only for its own code.

    >>> from autograd_mini import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.data, y.parents
    (6.0, ())
    >>> @no_grad()
    ... def evaluate(v):
    ...     return v * v
    >>> evaluate(x).is_leaf
    True
    """

    enabled = False


class enable_grad(_GradModeBlock):  # noqa: N801 - named like torch.enable_grad
    """Record graph again inside a ``no_grad`` block (or in this decorated function).

    >>> from autograd_mini import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     with enable_grad():
    ...         y = x * 3
    >>> y.parents == (x, y.parents[1])
    True
    """

    enabled = True
