"""Your own ops: :func:`primitive` adds a row to the op table, used like the built-ins.

A primitive is declared the way a built-in row is: a forward on floats and one partial
derivative per input. A partial may be formula text (``"sigmoid(x)"``), which serves
every mode as the built-ins' formulas do (including the compiled mode, which inlines
it), or a Python function of the inputs written with autograd_mini's float-or-Value
functions (``exp``, ``cos``, ...), so that it works on floats and on Values and
higher-order derivatives of the new op work too.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd_mini import ops
from autograd_mini.engine import apply

__all__ = ["Primitive", "primitive"]


class Primitive:
    """A user-defined op, callable like the built-in functions (floats or Values)."""

    def __init__(self, op: ops.Op) -> None:
        self.op = op
        self.__name__ = op.name
        self.__doc__ = op.doc

    def __call__(self, *inputs: Any) -> Any:
        return apply(self.op, *inputs)

    def __repr__(self) -> str:
        return f"primitive({self.op.name!r})"


def primitive(
    name: str,
    forward: str | Callable[..., float],
    *partials: str | Callable[..., Any],
    formulas: Sequence[str] | None = None,
    inputs: Sequence[str] | None = None,
    domain: Sequence[tuple[float, float]] | None = None,
    kinks: tuple[float, ...] = (),
    check: Callable[..., None] | None = None,
) -> Primitive:
    """Define a new op and add it to the op table (replacing a user op of that name).

    ``forward(*floats) -> float`` (or formula text over the inputs); ``partials[i]`` is
    the derivative with respect to input ``i``: a function of the inputs, or formula text
    over them and ``out``. ``formulas`` gives the text shown for function partials;
    ``inputs`` names the inputs (``x``, or ``x0, x1, ...``); ``domain`` a sampling interval
    per input for tests and strategies; ``kinks`` where the derivative jumps; ``check``
    a function raising a clear error for inputs outside the op's domain.

    Defining a primitive again under the same name (running a notebook cell twice)
    replaces it; Values made before keep the op they were made with.

    >>> import math
    >>> from autograd_mini import Value, sigmoid
    >>> softplus = primitive("softplus_doc", lambda x: math.log1p(math.exp(x)), sigmoid)
    >>> x = Value(0.0)
    >>> y = softplus(x)
    >>> y.backward()
    >>> round(y.data, 6), x.grad
    (0.693147, 0.5)
    >>> ops.unregister("softplus_doc")
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"primitive: name {name!r} must be a Python identifier")
    if not (callable(forward) or isinstance(forward, str)) or not all(
        callable(p) or isinstance(p, str) for p in partials
    ):
        raise TypeError(
            f"primitive {name!r}: forward and every partial must be callable or formula text"
        )
    if not partials:
        raise ValueError(f"primitive {name!r}: give one partial-derivative function per input")
    n = len(partials)
    names = tuple(inputs) if inputs else (("x",) if n == 1 else tuple(f"x{i}" for i in range(n)))
    if len(names) != n:
        raise ValueError(f"primitive {name!r}: {len(names)} input names for {n} partials")
    if domain is not None and len(domain) != n:
        raise ValueError(f"primitive {name!r}: domain needs one (low, high) per input")
    for what, function in [("forward", forward), *((f"partial {i}", p) for i, p in enumerate(partials))]:
        _check_takes(name, what, function, n)
    op = ops.Op(
        name, f"{name}({', '.join(names)})", dict(zip(names, partials)),
        forward=forward if isinstance(forward, str) else _real_forward(name, forward),
        sample=dict(zip(names, domain)) if domain is not None else {x: (-2.0, 2.0) for x in names},
        kinks=kinks, check=check, formula_texts=formulas, doc="user-defined primitive",
        builtin=False,
    )
    ops.register(op)
    return Primitive(op)


def _check_takes(name: str, what: str, function: Any, n: int) -> None:
    # One partial per input is how the inputs are counted: a forward of two inputs given
    # one partial would otherwise fail only when called, as "takes 1 input(s), got 2".
    if not callable(function):
        return
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some built-in functions do not say
        return
    try:
        signature.bind(*range(n))
    except TypeError:
        raise TypeError(
            f"primitive {name!r}: {what} takes {signature} but {n} partial"
            f"{'s were' if n != 1 else ' was'} given, so it will be called with {n} input"
            f"{'s' if n != 1 else ''}; give one partial derivative per input of forward"
        ) from None


def _real_forward(name: str, forward: Callable[..., Any]) -> Callable[..., float]:
    # A user forward may return an int, a numpy scalar or (by mistake) something else; the
    # graph stores Python floats only, and a wrong type is reported at once by name.
    def real_forward(*args: float) -> float:
        result = forward(*args)
        if type(result) is float:
            return result
        if isinstance(result, numbers.Real):
            return float(result)
        raise TypeError(
            f"primitive {name!r}: forward returned {type(result).__name__} {result!r} at"
            f" input {', '.join(map(repr, args))}; it must return a real number"
        )

    real_forward.__name__ = getattr(forward, "__name__", "forward")
    real_forward.__wrapped__ = forward  # type: ignore[attr-defined]
    return real_forward
