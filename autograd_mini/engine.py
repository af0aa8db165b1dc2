"""``Value``: a scalar that records the operations applied to it, and backpropagation.

Forward: every operation on a ``Value`` looks its op up in the op table
(:mod:`autograd_mini.ops`), computes the result on floats, and returns a new ``Value``
that remembers its op and its inputs (``parents``, an ordered tuple). That is the graph.

Backward: ``out.backward()`` orders the graph so that every node comes after its inputs
(:func:`autograd_mini.graph.topological_order`), then walks it from ``out`` back to the
leaves applying the chain rule once per node::

    parent_grad += local_derivative(parent) * grad_of_node

where ``local_derivative`` is the op's rule from the table. Called with floats, a rule gives
a number; with ``create_graph=True`` it is called with the ``Value`` nodes themselves and
builds new graph, so gradients can be differentiated again.

A node holds its data, its gradient, a label, its parents and its op, nothing else: no
closure per node, so no node refers back to itself and a graph is freed by reference
counting alone the moment it is no longer reachable.
"""

from __future__ import annotations

import contextvars
import functools
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

from autograd_mini import ops
from autograd_mini.graph import topological_order
from autograd_mini.ops import Op

__all__ = [
    "Value", "abs", "cos", "detach", "exp", "is_grad_enabled", "log", "no_grad", "primitive",
    "relu", "sigmoid", "sin", "sqrt", "tanh",
]


# ---------------------------------------------------------------------------- no_grad
# Whether operations record graph. A ContextVar makes it per thread and per async task.
# Reading a ContextVar on every operation costs time, so a plain counter says whether any
# no_grad block is open anywhere; only then is the ContextVar consulted.

_grad_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_mini_grad_enabled", default=True
)
_open_no_grad_blocks = 0


def is_grad_enabled() -> bool:
    """Whether operations on Values currently record graph (False inside ``no_grad``)."""
    return _grad_enabled.get()


class no_grad:  # noqa: N801 - named like torch.no_grad, used as a context manager
    """Record no graph inside this block (or this decorated function).

    Results are leaves: they have data but no parents, so nothing is kept alive and
    ``backward`` does not reach through them. Per thread and per async task.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.data, y.parents
    (6.0, ())
    """

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        global _open_no_grad_blocks
        self._tokens.append(_grad_enabled.set(False))
        _open_no_grad_blocks += 1

    def __exit__(self, *exc: object) -> None:
        global _open_no_grad_blocks
        _open_no_grad_blocks -= 1
        _grad_enabled.reset(self._tokens.pop())

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return function(*args, **kwargs)

        return wrapper


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record graph again inside a ``no_grad`` block."""
    token = _grad_enabled.set(True)
    try:
        yield
    finally:
        _grad_enabled.reset(token)


# ------------------------------------------------------------------------------ Value


def _as_float(x: Any, where: str) -> float:
    if isinstance(x, float):
        return x
    if isinstance(x, numbers.Real):  # int, bool, Fraction, numpy scalars
        return float(x)
    raise TypeError(
        f"{where}: expected a real number or a Value, got {type(x).__name__} {x!r}"
    )


class Value:
    """A scalar in a computation graph: its data, its gradient, and how it was made.

    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    # The inputs are stored inline (``_a``, ``_b``) instead of in a tuple: one object per
    # node instead of two halves the work of Python's cyclic garbage collector, which
    # otherwise dominates the time of building a large graph. An op with three or more
    # inputs keeps them as a tuple in ``_a``. Read them through ``parents``.
    __slots__ = ("data", "grad", "label", "_opdef", "_a", "_b", "__weakref__")

    data: float
    grad: Any
    label: str

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._opdef: Op | None = None
        self._a: Any = None
        self._b: Value | None = None

    # ------------------------------------------------------------------ structure
    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this Value, in order (``()`` for a leaf)."""
        op = self._opdef
        if op is None:
            return ()
        if op.arity == 1:
            return (self._a,)
        if op.arity == 2:
            return (self._a, self._b)  # type: ignore[return-value]
        return self._a  # type: ignore[no-any-return]

    @property
    def op(self) -> str:
        """The name of the op that made this Value (``""`` for a leaf)."""
        return "" if self._opdef is None else self._opdef.name

    @property
    def opdef(self) -> Op | None:
        """The op-table entry that made this Value (``None`` for a leaf)."""
        return self._opdef

    @property
    def is_leaf(self) -> bool:
        return self._opdef is None

    # micrograd's names, read-only, so micrograd-era drawing code runs unchanged.
    @property
    def _prev(self) -> tuple[Value, ...]:
        return self.parents

    @property
    def _op(self) -> str:
        return self.op

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Any) -> Value:
        return _binary(ops.ADD, other, self)

    def __sub__(self, other: Any) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Any) -> Value:
        return _binary(ops.SUB, other, self)

    def __mul__(self, other: Any) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Any) -> Value:
        return _binary(ops.MUL, other, self)

    def __truediv__(self, other: Any) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Any) -> Value:
        return _binary(ops.DIV, other, self)

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _binary(ops.POW, self, other)
        if _is_number(other):
            # An int exponent keeps its spelling in the op name: "**2", as in micrograd.
            exponent: float = other if type(other) is int else float(other)
            return _unary(ops.power(exponent), self)
        return NotImplemented

    def __rpow__(self, other: Any) -> Value:
        return _binary(ops.POW, other, self)

    def __neg__(self) -> Value:
        return _unary(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ops.ABS, self)

    # Methods for the float-or-Value functions; numpy calls these on object arrays
    # (np.exp(array) calls x.exp() for every element).
    def exp(self) -> Value:
        return _unary(ops.EXP, self)

    def log(self) -> Value:
        return _unary(ops.LOG, self)

    def tanh(self) -> Value:
        return _unary(ops.TANH, self)

    def sigmoid(self) -> Value:
        return _unary(ops.SIGMOID, self)

    def relu(self) -> Value:
        return _unary(ops.RELU, self)

    def sqrt(self) -> Value:
        return _unary(ops.SQRT, self)

    def sin(self) -> Value:
        return _unary(ops.SIN, self)

    def cos(self) -> Value:
        return _unary(ops.COS, self)

    # ---------------------------------------------------------------- comparisons
    # Ordering compares data; == and hash stay identity so Values can live in sets/dicts.
    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other, "<")

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other, "<=")

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other, ">")

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other, ">=")

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # ---------------------------------------------------------------- conversions
    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ------------------------------------------------------------------- backward
    def backward(self, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this Value depends on with d self / d node.

        Leaves accumulate across calls (``+=``, as in PyTorch); every other node gets
        exactly this pass's gradient. With ``create_graph=True`` the gradients are Values
        whose graphs can be differentiated again.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad, y.grad
        (12.0, 1.0)
        """
        order = topological_order(self, _parents_of)
        saved = [node.grad for node in order]
        for node in order:
            if node._opdef is not None:
                node.grad = 0.0  # interior nodes hold this pass's gradient only
        self.grad = 1.0 if self._opdef is not None else _accumulate(self.grad, 1.0)
        try:
            _backpropagate(order, create_graph)
        except BaseException:
            for node, g in zip(order, saved):  # a failed pass changes nothing
                node.grad = g
            raise

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut from this graph."""
        return Value(self.data, self.label)

    def zero_grad(self) -> None:
        self.grad = 0.0


def _data(other: Any, where: str) -> float:
    return other.data if isinstance(other, Value) else _as_float(other, where)


def _accumulate(total: Any, g: Any) -> Any:
    # 0.0 + g is g exactly; skipping the add keeps create_graph graphs free of "+ 0" nodes.
    if type(total) is float and total == 0.0:
        return g
    return total + g


# ---------------------------------------------------------------- recording an op


def _node(data: float, op: Op, a: Any, b: Value | None = None) -> Value:
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _open_no_grad_blocks and not _grad_enabled.get():
        out._opdef = out._a = out._b = None  # no graph: the result is a leaf
    else:
        out._opdef = op
        out._a = a
        out._b = b
    return out


_new_value = object.__new__


def _forward(op: Op, *args: float) -> float:
    if op.check is not None:
        op.check(*args)
    try:
        return op.forward(*args)
    except OverflowError:
        raise OverflowError(
            f"{op.name}: result overflows a float at input {', '.join(map(repr, args))}"
        ) from None
    except (ValueError, ZeroDivisionError) as exc:
        raise type(exc)(
            f"{op.name}: undefined at input {', '.join(map(repr, args))} ({exc})"
        ) from None


def _operand(x: Any, op: Op) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(
        f"{op.name}: cannot apply to {type(x).__name__} {x!r}; use a number or a Value"
    )


def _is_number(x: Any) -> bool:
    return type(x) is float or type(x) is int or isinstance(x, numbers.Real)


def _unary(op: Op, x: Value) -> Value:
    return _node(_forward(op, x.data), op, x)


def _binary(op: Op, a: Any, b: Any) -> Value:
    # Returns NotImplemented for operands that are not numbers, so that the other operand
    # (a numpy array, say) may handle the operation, as Python's protocol intends.
    if not isinstance(a, Value):
        if not _is_number(a):
            return NotImplemented  # type: ignore[no-any-return]
        a = Value(a)
    if not isinstance(b, Value):
        if not _is_number(b):
            return NotImplemented  # type: ignore[no-any-return]
        b = Value(b)
    return _node(_forward(op, a.data, b.data), op, a, b)


def apply(op: Op, *inputs: Any) -> Any:
    """Apply ``op`` to floats (giving a float) or to Values (giving a recorded Value).

    >>> apply(ops.MUL, 2.0, 3.0)
    6.0
    >>> apply(ops.MUL, Value(2.0), 3.0)
    Value(data=6.0, grad=0.0)
    """
    if len(inputs) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(inputs)}")
    if not any(isinstance(x, Value) for x in inputs):
        return _forward(op, *(_as_float(x, op.name) for x in inputs))
    parents = tuple(_operand(x, op) for x in inputs)
    data = _forward(op, *(p.data for p in parents))
    if op.arity == 1:
        return _node(data, op, parents[0])
    if op.arity == 2:
        return _node(data, op, parents[0], parents[1])
    return _node(data, op, parents)


# ----------------------------------------------------- float-or-Value math functions
# Float in, float out; Value in, Value out. The op table's derivative rules use these, so
# a rule works in both the ordinary and the create_graph backward pass.


def _math(op: Op) -> Callable[[Any], Any]:
    def function(x: Any) -> Any:
        if isinstance(x, Value):
            return _unary(op, x)
        return _forward(op, _as_float(x, op.name))

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"{op.doc[:1].upper()}{op.doc[1:]}: float in, float out; Value in, Value out."
    return function


exp = _math(ops.EXP)
log = _math(ops.LOG)
tanh = _math(ops.TANH)
sigmoid = _math(ops.SIGMOID)
relu = _math(ops.RELU)
sqrt = _math(ops.SQRT)
sin = _math(ops.SIN)
cos = _math(ops.COS)
abs = _math(ops.ABS)  # the float-or-Value abs, like the functions above


def detach(x: Any) -> Any:
    """``x.detach()`` for a Value; a float stays as it is."""
    return x.detach() if isinstance(x, Value) else x


# ------------------------------------------------------------------- user primitives


class Primitive:
    """A user-defined op, callable like the built-in functions (floats or Values)."""

    def __init__(self, op: Op) -> None:
        self.op = op
        self.__name__ = op.name
        self.__doc__ = op.doc

    def __call__(self, *inputs: Any) -> Any:
        return apply(self.op, *inputs)

    def __repr__(self) -> str:
        return f"primitive({self.op.name!r})"


def primitive(
    name: str,
    forward: Callable[..., float],
    *partials: Callable[..., Any],
    formulas: tuple[str, ...] | None = None,
    inputs: tuple[str, ...] | None = None,
    domain: tuple[tuple[float, float], ...] | None = None,
    kinks: tuple[float, ...] = (),
    check: Callable[..., None] | None = None,
) -> Primitive:
    """Define a new op and add it to the op table.

    ``forward(*floats) -> float``; ``partials[i](*inputs)`` is the derivative with respect
    to input ``i``. Write partials with autograd_mini's functions (``exp``, ``cos``, ...)
    and operators, and they work on floats and on Values, so higher-order derivatives of
    the new op work too. ``domain`` gives a sampling interval per input for tests.

    >>> import math
    >>> softplus = primitive("softplus_doc", lambda x: math.log1p(math.exp(x)), sigmoid)
    >>> x = Value(0.0)
    >>> y = softplus(x)
    >>> y.backward()
    >>> round(y.data, 6), x.grad
    (0.693147, 0.5)
    >>> ops.unregister("softplus_doc")
    """
    op = ops.primitive_op(
        name, forward, *partials, formulas=formulas, inputs=inputs, domain=domain,
        kinks=kinks, check=check,
    )
    ops.register(op)
    return Primitive(op)


# ------------------------------------------------------------------ the chain rule

_parents_of = attrgetter("parents")


def _backpropagate(order: list[Value], create_graph: bool) -> None:
    """Apply the chain rule to every node of ``order``, last to first.

    Expects ``.grad`` of the last node seeded and of every interior node at 0.0; adds
    ``local derivative * node.grad`` to each parent's ``.grad``.
    """
    if create_graph:
        return _backpropagate_values(order)
    node = None
    try:
        for node in reversed(order):
            op = node._opdef
            if op is None:
                continue
            g = node.grad
            if op.arity == 2:  # most nodes: unpacked by hand, as this loop is the hot path
                a: Any = node._a
                b: Any = node._b
                da, db = op.partials
                x, y = a.data, b.data
                a.grad += g * da(node.data, x, y)
                b.grad += g * db(node.data, x, y)
            elif op.arity == 1:
                a = node._a
                a.grad += g * op.partials[0](node.data, a.data)
            else:
                args = [p.data for p in node._a]
                for parent, rule in zip(node._a, op.partials):
                    parent.grad += g * rule(node.data, *args)
    except (ArithmeticError, ValueError) as exc:
        assert node is not None
        raise _backward_error(node, exc) from exc
    return None


def _backpropagate_values(order: list[Value]) -> None:
    # The same chain rule with the rules called on the nodes themselves, so every
    # gradient is a Value with a graph of its own (higher-order derivatives).
    node = None
    try:
        for node in reversed(order):
            op = node._opdef
            if op is None:
                continue
            g = node.grad
            parents = node.parents
            for parent, rule in zip(parents, op.partials):
                parent.grad = _accumulate(parent.grad, g * rule(node, *parents))
    except (ArithmeticError, ValueError) as exc:
        assert node is not None
        raise _backward_error(node, exc) from exc


def gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node ``root`` depends on; every ``.grad`` is left as it was.

    :func:`autograd_mini.grad` is built on this. It runs the same chain rule as
    ``backward``, then puts back the gradients the nodes held before.

    >>> x = Value(2.0)
    >>> y = x * x + x
    >>> gradients(y)[x], x.grad
    (5.0, 0.0)
    """
    order = topological_order(root, _parents_of)
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        _backpropagate(order, create_graph)
        return {node: node.grad for node in order}
    finally:
        for node, g in zip(order, saved):
            node.grad = g


def _backward_error(node: Value, exc: Exception) -> Exception:
    op = node._opdef
    assert op is not None
    at = ", ".join(repr(p.data) for p in node.parents)
    formulas = "; ".join(op.derivative_text(i) for i in range(op.arity))
    return type(exc)(
        f"backward through {op.name} at input {at}: the local derivative is not finite"
        f" there ({formulas}): {exc}"
    )
