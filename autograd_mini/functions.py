"""The float-or-Value function and the ``Value`` method of every op written as a call.

``exp(2.0)`` is a float; ``exp(Value(2.0))`` is a Value recording the op ``exp``; so is
``Value(2.0).exp()`` (numpy calls that method for every element of an object array). All
of them are made here from the op table's rows: a new row written as a call, such as
``tanh(x)``, is a new function and method, with no other file to touch.

>>> from autograd_mini.engine import Value
>>> tanh(0.5) == Value(0.5).tanh().data
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autograd_mini import ops
from autograd_mini.engine import Value, _forward, _node, apply

__all__: list[str] = []


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


for _op in ops.OPS.values():
    if _op.builtin and _op.function_name:
        globals()[_op.function_name] = function(_op)
        __all__.append(_op.function_name)
        if _op.function_name not in Value.__dict__:  # abs(x) is Value.__abs__ as well
            setattr(Value, _op.function_name, method(_op))

if TYPE_CHECKING:
    def __getattr__(name: str) -> Callable[..., Any]: ...
