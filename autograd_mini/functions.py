"""The float-or-Value function and the ``Value`` method of every op written as a call.

``exp(2.0)`` is a float; ``exp(Value(2.0))`` is a Value recording the op ``exp``; so is
``Value(2.0).exp()`` (numpy calls that method for every element of an object array). All
of them are made here from the op table's rows: a new row written as a call, such as
``tanh(x)``, is a new function and method, with no other file to touch. So is a family of
ops with a parameter (:class:`autograd_mini.ops.Family`): ``leaky_relu(x, 0.2)``,
``x.leaky_relu(0.2)``; and a row Python's protocols call (``round(v)``,
``math.floor(v)``) gets its protocol method too.

Below them, three functions over a sequence, built from the table's ops: :func:`softmax`,
:func:`log_softmax` and :func:`logsumexp`.

>>> from autograd_mini.engine import Value
>>> tanh(0.5) == Value(0.5).tanh().data
True
>>> import math
>>> math.floor(Value(2.7)), math.trunc(Value(-2.7)).op
(Value(data=2.0, grad=0.0), 'trunc')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial, reduce
from typing import TYPE_CHECKING, Any

from autograd_mini import ops
from autograd_mini.coercion import as_float, is_real
from autograd_mini.engine import Value, _forward, _node, apply

__all__: list[str] = ["log_softmax", "logsumexp", "softmax"]


def function(op: ops.Op) -> Callable[..., Any]:
    """The float-or-Value function of ``op``: floats in, float out; Values in, Value out."""

    def call(*inputs: Any) -> Any:
        return apply(op, *inputs)

    call.__name__ = call.__qualname__ = op.function_name or op.name
    call.__doc__ = f"{op.doc[:1].upper()}{op.doc[1:]} (the op {op.name!r}): float or Value."
    return call


def method(op: ops.Op) -> Callable[..., Value]:
    """``op`` as a method of Value: ``x.tanh()``; ``y.atan2(x)`` for two inputs."""
    def unary(self: Value) -> Value:
        return _node(_forward(op, self.data), op, self)

    def several(self: Value, *others: Any) -> Value:
        return apply(op, self, *others)  # type: ignore[no-any-return]

    call = unary if op.arity == 1 else several
    call.__name__ = call.__qualname__ = op.function_name
    call.__doc__ = f"{op.doc[:1].upper()}{op.doc[1:]} (the op {op.name!r})."
    return call


def protocol_method(op: ops.Op, dunder: str) -> Callable[..., Value]:
    """``op`` as the method a Python protocol calls: ``round(v)`` is ``v.__round__()``.

    ``round(v, 2)`` passes a digit count the op does not take (it rounds to a whole
    number, as ``torch.round`` does): that is refused, naming the way to a plain number.
    """
    unary = method(op)
    builtin = dunder.strip("_")

    def call(self: Value, *extra: Any) -> Value:
        if extra and extra != (None,):
            raise TypeError(
                f"{op.name}: {builtin}(value, {', '.join(map(repr, extra))}) is not an op of the"
                f" table: the op {op.name!r} gives a whole number; use {builtin}(value.data,"
                f" {', '.join(map(repr, extra))}) for a plain number"
            )
        return unary(self)

    call.__name__ = call.__qualname__ = dunder
    call.__doc__ = f"{builtin}(value): the op {op.name!r}."
    return call


def family_function(family: ops.Family) -> Callable[..., Any]:
    """The float-or-Value function of a family, with PyTorch's signature and defaults.

    >>> leaky_relu(-2.0), leaky_relu(-2.0, negative_slope=0.2), leaky_relu(-2.0, 0.2)
    (-0.02, -0.4, -0.4)
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        inputs, op = family.bind(args, kwargs)
        return apply(op, *inputs)

    call.__name__ = call.__qualname__ = family.function
    call.__doc__ = f"{family.doc[:1].upper()}{family.doc[1:]}: float or Value, one op per parameter."
    call.__signature__ = family.signature  # type: ignore[attr-defined]
    return call


def family_method(family: ops.Family) -> Callable[..., Value]:
    """A family as a method of Value: ``x.leaky_relu(0.2)``, ``x.clamp(min=0.0)``."""

    def call(self: Value, *args: Any, **kwargs: Any) -> Value:
        _, op = family.bind((self, *args), kwargs)
        return _node(_forward(op, self.data), op, self)

    call.__name__ = call.__qualname__ = family.function
    call.__doc__ = f"{family.doc[:1].upper()}{family.doc[1:]} (one op per parameter)."
    return call


for _op in ops.OPS.values():
    if _op.builtin and _op.function_name:
        globals()[_op.function_name] = function(_op)
        __all__.append(_op.function_name)
        if _op.function_name not in Value.__dict__:  # abs(x) is Value.__abs__ as well
            setattr(Value, _op.function_name, method(_op))
        for _dunder, _ in _op.dunders:
            if _dunder not in Value.__dict__:  # engine.py writes the operators itself
                setattr(Value, _dunder, protocol_method(_op, _dunder))
for _family in ops.FAMILIES:
    if _family.function:
        globals()[_family.function] = family_function(_family)
        __all__.append(_family.function)
        if _family.function not in Value.__dict__:
            setattr(Value, _family.function, family_method(_family))
__all__.sort()


# ------------------------------------------------------------------ over a sequence
# Each subtracts the largest input first, so every exp sees a number <= 0 and logits of
# ±1000 stay finite. The shift is stop_gradient(maximum(...)): ops of the graph, not a
# number read from .data, so a traced and replayed graph recomputes it for new inputs,
# and its derivative is exactly 0 (the result does not depend on it), which makes the
# gradients exact rather than off by the rounding of 1 - sum(softmax).


def _items(xs: Any, where: str) -> list[Any]:
    if isinstance(xs, Value | str | bytes) or is_real(xs) or not isinstance(xs, Iterable):
        raise TypeError(
            f"{where}: expected a sequence of numbers or Values (one score per class), got"
            f" {type(xs).__name__} {xs!r:.60}"
        )
    items = list(xs)
    if not items:
        raise ValueError(f"{where}: the sequence is empty; give at least one score")
    for i, x in enumerate(items):
        if not isinstance(x, Value):
            try:
                items[i] = as_float(x, f"{where}: item {i}")
            except TypeError:
                raise TypeError(f"{where}: item {i} is {type(x).__name__} {x!r:.60}; the"
                                " scores must be numbers or Values") from None
    return items


def _shifted(xs: Any, where: str) -> tuple[list[Any], Any]:
    """Each input minus the largest, the shift held constant: ``(x_i - m, m)``."""
    items = _items(xs, where)
    largest = reduce(partial(apply, ops.MAXIMUM), items)
    value = largest.data if isinstance(largest, Value) else largest
    if not math.isfinite(value):
        raise ValueError(
            f"{where}: the largest input is {value!r}; it must be finite (an input of -inf"
            " is fine, it gets probability 0; nan or +inf usually means a model diverged)"
        )
    shift = apply(ops.STOP_GRADIENT, largest)
    return [x - shift for x in items], shift


def _exps(shifted: list[Any]) -> list[Any]:
    return [apply(ops.EXP, s) for s in shifted]


def _total(terms: list[Any]) -> Any:
    return sum(terms[1:], terms[0])  # starting from the first: no "0.0 +" node


def logsumexp(xs: Iterable[Any]) -> Any:
    """``log(sum(exp(x) for x in xs))``, computed without overflow (PyTorch's logsumexp).

    A float for numbers, a Value recording the graph if any input is a Value.

    >>> logsumexp([1000.0, 1000.0]) == 1000.0 + math.log(2.0)
    True
    >>> z = [Value(1000.0), Value(-1000.0)]
    >>> out = logsumexp(z)
    >>> out.backward()
    >>> out.data, z[0].grad, z[1].grad
    (1000.0, 1.0, 0.0)
    """
    shifted, shift = _shifted(xs, "logsumexp")
    return apply(ops.LOG, _total(_exps(shifted))) + shift


def softmax(xs: Iterable[Any]) -> list[Any]:
    """``exp(x_i) / sum_j exp(x_j)`` for each input: probabilities that sum to 1.

    Floats in, a list of floats out; Values in, a list of Values out.

    >>> [f"{p:.4f}" for p in softmax([1.0, 2.0, 3.0])]
    ['0.0900', '0.2447', '0.6652']
    >>> softmax([1000.0, -1000.0])
    [1.0, 0.0]
    """
    shifted, _ = _shifted(xs, "softmax")
    exps = _exps(shifted)
    total = _total(exps)
    return [e / total for e in exps]


def log_softmax(xs: Iterable[Any]) -> list[Any]:
    """``x_i - logsumexp(xs)`` for each input, as PyTorch arranges it: ``(x_i - m) - log(S)``.

    >>> log_softmax([1000.0, -1000.0])
    [0.0, -2000.0]
    >>> z = [Value(0.5), Value(-1.0)]
    >>> first = log_softmax(z)[0]
    >>> first.backward()
    >>> f"{z[0].grad:.6f} {z[1].grad:.6f}"
    '0.182426 -0.182426'
    """
    shifted, _ = _shifted(xs, "log_softmax")
    log_total = apply(ops.LOG, _total(_exps(shifted)))
    return [s - log_total for s in shifted]


if TYPE_CHECKING:
    def __getattr__(name: str) -> Callable[..., Any]: ...
