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

Reading order: ``Value`` and its operators; recording an op (``_node``, ``_forward``);
the float-or-Value functions; user primitives; the chain rule (``_backpropagate``,
``gradients``). ``no_grad``, the switch that turns recording off, is in grad_mode.py.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable
from typing import Any

from autograd_mini import ops
from autograd_mini.grad_mode import (
    _disabled_modes,
    _grad_mode,
    enable_grad,
    is_grad_enabled,
    no_grad,
)
from autograd_mini.graph import topological_order
from autograd_mini.ops import Op

__all__ = [
    "Primitive", "Value", "abs", "apply", "cos", "detach", "enable_grad", "exp", "gradients",
    "is_grad_enabled", "log", "no_grad", "primitive", "relu", "sigmoid", "sin", "sqrt", "tanh",
]


# ------------------------------------------------------------------------------ Value


def _is_numpy_bool(x: Any) -> bool:
    # numpy.bool_ is the one numpy scalar that is not a numbers.Real; numpy is not imported.
    kind = type(x)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")


def _is_real(x: Any) -> bool:
    """int, float, bool, Fraction, numpy scalars (not complex, not Decimal, not Value)."""
    return isinstance(x, numbers.Real) or _is_numpy_bool(x)


def _as_float(x: Any, where: str) -> float:
    if type(x) is float:
        return x
    if _is_real(x):
        try:
            return float(x)  # also turns a float subclass (numpy.float64) into a float
        except OverflowError:
            raise OverflowError(
                f"{where}: {type(x).__name__} {x!r:.60} is too large for a float"
            ) from None
    if isinstance(x, Value):
        raise TypeError(
            f"{where}: expected a real number, got a Value ({x!r}); use its .data for the"
            " number, or the Value itself in an operation"
        )
    raise TypeError(
        f"{where}: expected a real number (int, float, bool or a numpy scalar) or a Value,"
        f" got {type(x).__name__} {x!r:.60}"
    )


# Types that can never take part in arithmetic with a Value. For them an operator raises a
# clear TypeError at once; any other unknown type gets NotImplemented, so that it (a numpy
# array, say) may still handle the operation, as Python's protocol intends.
_NEVER_NUMBERS = (str, bytes, bytearray, type(None), complex, list, tuple, dict, set, frozenset)


def _not_a_number(op_name: str, x: Any, reflected: bool) -> Any:
    if reflected or isinstance(x, _NEVER_NUMBERS):
        raise TypeError(
            f"{op_name}: cannot combine a Value with {type(x).__name__} {x!r:.60}; use a"
            " real number (int, float, bool, numpy scalar) or a Value"
        )
    return NotImplemented


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
        if type(other) is Value:  # the common case: nothing to convert, and + cannot fail
            return _node(ops.ADD.forward(self.data, other.data), ops.ADD, self, other)
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Any) -> Value:
        return _binary(ops.ADD, other, self)

    def __sub__(self, other: Any) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Any) -> Value:
        return _binary(ops.SUB, other, self)

    def __mul__(self, other: Any) -> Value:
        if type(other) is Value:  # the common case: nothing to convert, and * cannot fail
            return _node(ops.MUL.forward(self.data, other.data), ops.MUL, self, other)
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
            exponent: float = int(other) if isinstance(other, numbers.Integral) else float(other)
            return _unary(ops.power(exponent), self)
        return _not_a_number("**", other, reflected=False)  # type: ignore[no-any-return]

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
        o = _compared(other, "<")
        return o if o is NotImplemented else self.data < o

    def __le__(self, other: Any) -> bool:
        o = _compared(other, "<=")
        return o if o is NotImplemented else self.data <= o

    def __gt__(self, other: Any) -> bool:
        o = _compared(other, ">")
        return o if o is NotImplemented else self.data > o

    def __ge__(self, other: Any) -> bool:
        o = _compared(other, ">=")
        return o if o is NotImplemented else self.data >= o

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # ---------------------------------------------------------------- conversions
    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        # f"{v:.3f}" formats the data; a bare f"{v}" is str(v), as Python's protocol says.
        return format(self.data, spec) if spec else str(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ------------------------------------------------------------------- backward
    def backward(self, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this Value depends on with d self / d node.

        Leaves accumulate across calls (``+=``, as in PyTorch); every other node gets
        exactly this pass's gradient. If the pass fails (an infinite derivative, such as
        sqrt's at 0), it raises and every ``.grad`` is left as it was before the call.

        With ``create_graph=True`` every ``.grad`` becomes a Value whose graph can be
        differentiated again. Like PyTorch, that graph refers back to the node it belongs
        to, a reference cycle; prefer :func:`autograd_mini.grad` for higher derivatives,
        or set ``.grad = 0.0`` when done.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad, y.grad
        (12.0, 1.0)
        """
        if not create_graph:
            order, before = start_backward(self)
            try:
                _backpropagate(order)
            except BaseException:
                restore_gradients(order, before)  # a failed pass changes nothing
                raise
            return
        # create_graph: the Value-mode chain rule lives in gradients(); its results are
        # written to .grad with the same semantics (leaves accumulate, interior nodes not).
        for node, g in gradients(self, create_graph=True).items():
            g = g if isinstance(g, Value) else Value(g)  # constants become Values too
            node.grad = _accumulate(node.grad, g) if node._opdef is None else g

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut from this graph."""
        return Value(self.data, self.label)

    def zero_grad(self) -> None:
        self.grad = 0.0


def _compared(other: Any, where: str) -> Any:
    # The number to compare with, or NotImplemented for an unknown type (numpy arrays).
    if isinstance(other, Value):
        return other.data
    if _is_real(other):
        return _as_float(other, where)
    return _not_a_number(where, other, reflected=False)


def _accumulate(total: Any, g: Any) -> Any:
    # 0.0 + g is g exactly; skipping the add keeps create_graph graphs free of "+ 0" nodes.
    if type(total) is float and total == 0.0:
        return g
    return total + g


# ---------------------------------------------------------------- recording an op


_new_value = object.__new__  # makes a Value without running __init__'s input checks


def _node(data: float, op: Op, a: Any, b: Value | None = None) -> Value:
    """Record one op: a new Value holding its result, its op and its inputs.

    Two shortcuts for speed (see the README, Architecture): the node is made without
    ``__init__`` (its data is already a checked float), and its inputs go into the slots
    ``_a`` and ``_b`` rather than a tuple (``_a`` holds the tuple for ops of three or more
    inputs); ``Value.parents`` gives them back as a tuple.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    # Inside no_grad (see grad_mode.py) the result is recorded as a leaf.
    if _disabled_modes and not _grad_mode.get().enabled:
        out._opdef = out._a = out._b = None  # no graph: the result is a leaf
    else:
        out._opdef = op
        out._a = a
        out._b = b
    return out


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
        raise _same_kind(
            exc, f"{op.name}: undefined at input {', '.join(map(repr, args))} ({exc})"
        ) from None


def _same_kind(exc: Exception, message: str) -> Exception:
    # The same exception type with a better message; a subclass (a user's) that cannot be
    # built from a message alone falls back to its nearest built-in base.
    try:
        return type(exc)(message)
    except Exception:
        for base in (ZeroDivisionError, OverflowError, ArithmeticError, ValueError, TypeError):
            if isinstance(exc, base):
                return base(message)
        return RuntimeError(message)


def _operand(x: Any, op: Op) -> Value:
    if isinstance(x, Value):
        return x
    if _is_real(x):
        return Value(x)
    raise TypeError(
        f"{op.name}: cannot apply to {type(x).__name__} {x!r:.60}; use a number or a Value"
    )


def _is_number(x: Any) -> bool:
    return type(x) is float or type(x) is int or _is_real(x)


def _unary(op: Op, x: Value) -> Value:
    return _node(_forward(op, x.data), op, x)


def _binary(op: Op, a: Any, b: Any) -> Value:
    # An operand that is not a Value is a number to wrap, or else (rarely) something else:
    # see _not_a_number. If ``a`` is the foreign one, this is a reflected call (__radd__ ...)
    # and no one else will handle it, so the error is raised here.
    if not isinstance(a, Value):
        if not _is_number(a):
            return _not_a_number(op.name, a, reflected=True)  # type: ignore[no-any-return]
        a = Value(a)
    if not isinstance(b, Value):
        if not _is_number(b):
            return _not_a_number(op.name, b, reflected=False)  # type: ignore[no-any-return]
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


def _math(op: Op, point: float) -> Callable[[Any], Any]:
    def function(x: Any) -> Any:
        if isinstance(x, Value):
            return _unary(op, x)
        return _forward(op, _as_float(x, op.name))

    at = op.forward(point)
    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (
        f"{op.doc[:1].upper()}{op.doc[1:]}.\n\n"
        f"Float in, float out; Value in, Value out (recorded as the op {op.name!r}).\n\n"
        f">>> {op.name}({point!r})\n{at!r}\n"
        f">>> {op.name}(Value({point!r}))\nValue(data={at!r}, grad=0.0)\n"
    )
    return function


exp = _math(ops.EXP, 0.0)
log = _math(ops.LOG, 1.0)
tanh = _math(ops.TANH, 0.0)
sigmoid = _math(ops.SIGMOID, 0.0)
relu = _math(ops.RELU, -2.0)
sqrt = _math(ops.SQRT, 4.0)
sin = _math(ops.SIN, 0.0)
cos = _math(ops.COS, 0.0)
abs = _math(ops.ABS, -2.0)  # the float-or-Value abs, like the functions above


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

_parents_of = operator.attrgetter("parents")


def start_backward(root: Value) -> tuple[list[Value], list[Any]]:
    """Prepare the float backward pass from ``root``, as ``backward()`` does.

    Returns the nodes in topological order and every node's ``.grad`` before the pass
    (for :func:`restore_gradients`). Interior gradients are reset to 0.0, since they hold
    this pass's gradient only; leaves keep theirs, since they accumulate; the root is seeded
    with d root / d root = 1. :func:`autograd_mini.backward_steps` starts the same way.
    """
    order = topological_order(root, _parents_of)
    before = [node.grad for node in order]
    for node in order:
        if node._opdef is not None:
            node.grad = 0.0
    root.grad = 1.0 if root._opdef is not None else _accumulate(root.grad, 1.0)
    return order, before


def restore_gradients(order: list[Value], before: list[Any]) -> None:
    """Put back the gradients :func:`start_backward` saved (after a failed pass)."""
    for node, g in zip(order, before):
        node.grad = g


def _backpropagate(order: list[Value]) -> None:
    """The chain rule, node by node: the heart of ``backward()``.

    For every node from the last to the first, and for each of its inputs::

        input.grad += node.grad * local_derivative

    where the local derivative is the op's rule from the table, evaluated on floats. By
    the time a node is reached, every node that uses it has already added its share, so
    ``node.grad`` is complete. Expects :func:`start_backward`'s preparation.
    """
    node = None
    try:
        for node in reversed(order):
            op = node._opdef
            if op is None:
                continue  # a leaf: nothing to pass on
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
    except (ArithmeticError, ValueError, TypeError) as exc:
        assert node is not None
        raise backward_error(node, exc) from exc


def gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node ``root`` depends on. No ``.grad`` is read or written.

    The same chain rule as ``backward``, with the sums kept in a dict instead of in
    ``.grad``: so it is safe to call from several threads on a shared graph, or inside a
    backward pass. :func:`autograd_mini.grad` is built on it. With ``create_graph=True``
    the rules are called on the nodes themselves, so the derivatives are Values (or plain
    floats where they are constants) that can be differentiated again.

    >>> x = Value(2.0)
    >>> y = x * x + x
    >>> gradients(y)[x], x.grad
    (5.0, 0.0)
    """
    order = topological_order(root, _parents_of)
    grads: dict[Value, Any] = {root: 1.0}
    # On floats, 0.0 + share, exactly as backward() adds to a zeroed .grad (same bits); on
    # Values, the first share is taken as it is, so no "0.0 + ..." nodes are built.
    add = _accumulate if create_graph else operator.add
    node = None
    try:
        for node in reversed(order):
            op = node._opdef
            if op is None:
                continue
            g = grads[node]  # complete: every node that uses this one came later in order
            parents = node.parents
            out: Any
            args: tuple[Any, ...]
            if create_graph:
                out, args = node, parents
            else:
                out, args = node.data, tuple([p.data for p in parents])
            for parent, rule in zip(parents, op.partials):
                grads[parent] = add(grads.get(parent, 0.0), g * rule(out, *args))
    except (ArithmeticError, ValueError, TypeError) as exc:
        assert node is not None
        raise backward_error(node, exc) from exc
    return grads


def backward_error(node: Value, exc: Exception) -> Exception:
    """The error a failed derivative rule becomes: the op, the input and the rule named."""
    op = node._opdef
    assert op is not None
    at = ", ".join(repr(p.data) for p in node.parents)
    formulas = "; ".join(op.derivative_text(i) for i in range(op.arity))
    if isinstance(exc, TypeError):
        problem = "a local-derivative rule failed"
        advice = "check that every partial returns a number (or a Value) for these inputs"
    else:
        problem = "the local derivative is not finite there"
        advice = "keep the input away from that point"
    return _same_kind(
        exc, f"backward through {op.name} at input {at}: {problem} ({formulas}): {exc};"
        f" {advice}"
    )
