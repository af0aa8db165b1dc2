"""``Value``: a number that remembers how it was computed, and backpropagation.

Forward: an operation on Values (``a * b``, ``x.tanh()``) looks its op up in the op table
(:mod:`autograd_mini.ops`), computes the result on floats, and returns a new ``Value``
that remembers the op and its inputs. That is the graph.

Backward: ``out.backward()`` orders the graph so that every node comes after its inputs,
then walks it from ``out`` back to the leaves, applying the chain rule once per node::

    input.grad += node.grad * local_derivative

where ``local_derivative`` is the op's rule from its row of the table. By the time a node
is reached, every node that uses it has added its share, so ``node.grad`` is complete.

Read it in this order: ``Value``; recording an op; the chain rule. A node holds its data,
gradient, label, op and inputs, and no closure, so no node refers back to itself and a
graph is freed by reference counting the moment it is unreachable. Number coercion lives
in coercion.py, error wording in errors.py, ``no_grad`` in grad_mode.py, user ops in
primitives.py.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from autograd_mini import ops
from autograd_mini.coercion import as_float, is_number, is_real, refuse
from autograd_mini.errors import backward_error, forward_error
from autograd_mini.grad_mode import (
    _disabled_modes,
    _grad_mode,
    enable_grad,
    is_grad_enabled,
    no_grad,
)
from autograd_mini.graph import topological_order
from autograd_mini.ops import ADD, MUL, Op

__all__ = [
    "Value", "apply", "comparison_observers", "contributions", "detach", "enable_grad",
    "function", "gradients", "is_grad_enabled", "no_grad", "value_rules",
]


class Value:
    """A scalar in a computation graph: its data, its gradient, and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's signature: with
    ``_children`` it makes a node of a user-written op, whose ``_backward`` closure the
    caller assigns (see the README's micrograd section).

    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    # Inputs sit in two slots (``_a``, ``_b``; a tuple in ``_a`` for three or more) rather
    # than a tuple of their own: one object per node instead of two halves the work of
    # Python's cyclic garbage collector. ``_mark`` lets backward() visit each node once
    # without a set; ``__dict__`` (made only when used) takes attributes such as an
    # optimizer's ``p.m``.
    __slots__ = ("data", "grad", "label", "_opdef", "_a", "_b", "_mark", "__dict__", "__weakref__")

    data: float
    grad: Any
    label: str

    def __init__(self, data: Any, _children: Iterable[Value] = (), _op: str = "",
                 label: str = "") -> None:
        self.data = as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._mark = None
        self._opdef: Op | None = None
        self._a: Any = None
        self._b: Value | None = None
        if _children:
            _record_custom(self, _children, _op)

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

    # micrograd's names: _prev (the inputs), _op (its spelling: "ReLU"), _backward.
    @property
    def _prev(self) -> tuple[Value, ...]:
        return self.parents

    @property
    def _op(self) -> str:
        return "" if self._opdef is None else self._opdef.micrograd_name

    def _backward(self) -> None:
        """micrograd's step at this node: add ``local derivative × self.grad`` to each input.

        ``backward()`` does this for every node, last to first; calling it by hand, node by
        node, is how micrograd's lecture runs backpropagation. A leaf does nothing.
        """
        if self._opdef is not None and not self._opdef.custom:
            for parent, _, contribution in contributions(self, self.grad):
                parent.grad += contribution

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Value:
        if type(other) is Value:  # most of a forward pass: no conversion, and + cannot fail
            return _node(self.data + other.data, ADD, self, other)
        return _binary(ADD, self, other)

    def __mul__(self, other: Any) -> Value:
        if type(other) is Value:
            return _node(self.data * other.data, MUL, self, other)
        return _binary(MUL, self, other)

    def __radd__(self, other: Any) -> Value:
        return _binary(ADD, other, self)

    def __rmul__(self, other: Any) -> Value:
        return _binary(MUL, other, self)

    def __sub__(self, other: Any) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Any) -> Value:
        return _binary(ops.SUB, other, self)

    def __truediv__(self, other: Any) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Any) -> Value:
        return _binary(ops.DIV, other, self)

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _binary(ops.POW, self, other)
        if is_number(other):  # a plain exponent is part of the op: "**2", as in micrograd
            op = ops.power(int(other) if isinstance(other, numbers.Integral) else float(other))
            return _node(_forward(op, self.data), op, self)
        return refuse("**", other, reflected=False)  # type: ignore[no-any-return]

    def __rpow__(self, other: Any) -> Value:
        return _binary(ops.POW, other, self)

    def __neg__(self) -> Value:
        return _node(_forward(ops.NEG, self.data), ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _node(_forward(ops.ABS, self.data), ops.ABS, self)

    # ---------------------------------------------------------------- comparisons
    # Ordering compares data; == and hash stay identity so Values can live in sets/dicts.
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
        to, a reference cycle; prefer :func:`autograd_mini.grad` for higher derivatives.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad, y.grad
        (12.0, 1.0)
        """
        if create_graph:  # the Value-mode chain rule of gradients(), written into .grad
            for node, g in gradients(self, create_graph=True).items():
                g = g if isinstance(g, Value) else Value(g)  # constants become Values too
                node.grad = _accumulate(node.grad, g) if node._opdef is None else g
            return
        order, before = start_backward(self)
        try:
            _backpropagate(order)
        except BaseException:
            restore_gradients(order, before)  # a failed pass changes nothing
            raise

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut from this graph."""
        return Value(self.data, label=self.label)

    def zero_grad(self) -> None:
        self.grad = 0.0

    if TYPE_CHECKING:  # every op written as a call is a method (set below, from the table)
        def __getattr__(self, name: str) -> Callable[..., Value]: ...


# ---------------------------------------------------------------- recording an op

_new_value = object.__new__  # makes a Value without __init__'s input checks


def _node(data: float, op: Op, a: Any, b: Value | None = None) -> Value:
    """Record one op: a new Value holding its result, its op and its inputs.

    Inside ``no_grad`` (grad_mode.py) the result is a leaf. ``_a`` holds a tuple for
    ops of three or more inputs; ``Value.parents`` gives them back as a tuple.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._mark = None
    if _disabled_modes and not _grad_mode.get().enabled:
        out._opdef = out._a = out._b = None
    else:
        out._opdef = op
        out._a = a
        out._b = b
    return out


def _forward(op: Op, *args: float) -> float:
    """The op on floats, after its domain check; a failure names the op and the input."""
    if op.check is not None:
        op.check(*args)
    try:
        return op.forward(*args)
    except (OverflowError, ValueError, ZeroDivisionError) as exc:
        raise forward_error(op, args, exc) from None


def _binary(op: Op, a: Any, b: Any) -> Value:
    # A number is wrapped as a leaf; anything else is refused (see coercion.refuse). If
    # ``a`` is the foreign one, this is a reflected call (__radd__ ...).
    if not isinstance(a, Value):
        if not is_number(a):
            return refuse(op.name, a, reflected=True)  # type: ignore[no-any-return]
        a = Value(a)
    if not isinstance(b, Value):
        if not is_number(b):
            return refuse(op.name, b, reflected=False)  # type: ignore[no-any-return]
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
        return _forward(op, *(as_float(x, op.name) for x in inputs))
    parents = [x if isinstance(x, Value) else _operand(x, op) for x in inputs]
    data = _forward(op, *(p.data for p in parents))
    if op.arity <= 2:
        return _node(data, op, *parents)
    return _node(data, op, tuple(parents))


def _operand(x: Any, op: Op) -> Value:
    if is_real(x):
        return Value(x)
    raise TypeError(f"{op.name}: cannot apply to {type(x).__name__} {x!r:.60}; use a number or a Value")


def _record_custom(node: Value, children: Iterable[Value], name: str) -> None:
    """Make ``node`` a node of a user-written op, micrograd's ``Value(data, children, op)``."""
    given: Any = children  # typed loosely: text is a mistake to catch at run time
    if isinstance(given, str | bytes):
        raise TypeError(
            f"Value: the second argument is _children (micrograd's signature), got the text"
            f" {children!r}; pass a label by name: Value(data, label={children!r})"
        )
    parents = tuple(children)
    for child in parents:
        if not isinstance(child, Value):
            raise TypeError(f"Value: _children must be Values, got {type(child).__name__} {child!r:.60}")
    if _disabled_modes and not _grad_mode.get().enabled:
        return  # no_grad: a leaf, as every result is
    node._opdef = op = ops.custom(str(name) or "custom", len(parents))
    node._a, node._b = (parents[0], parents[1] if op.arity == 2 else None) if op.arity <= 2 else (parents, None)


def _compare(a: Value, other: Any, symbol: str, test: Callable[[float, float], bool]) -> bool:
    if isinstance(other, Value):
        number = other.data
    elif is_real(other):
        number = as_float(other, symbol)
    else:
        return refuse(symbol, other, reflected=False)  # type: ignore[no-any-return]
    result = test(a.data, number)
    for observe in comparison_observers:  # the compiled mode records comparisons as guards
        observe(a, other, symbol, result)
    return result


comparison_observers: list[Callable[[Value, Any, str, bool], None]] = []
"""Functions told of every comparison of a Value (the compiled mode's tracer uses this)."""


# ------------------------------------------------------------------ the chain rule


def start_backward(root: Value) -> tuple[list[Value], list[Any]]:
    """Prepare the float backward pass from ``root``, as ``backward()`` does.

    Returns the nodes in topological order and every node's ``.grad`` before the pass
    (for :func:`restore_gradients`). Interior gradients are reset to 0.0, since they hold
    this pass's gradient only; leaves keep theirs, since they accumulate; the root is
    seeded with d root / d root = 1. ``backward_steps`` starts the same way.
    """
    order = _nodes_in_order(root)
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


_EMIT = object()  # a stack marker of _nodes_in_order: the node under it is finished


def _nodes_in_order(root: Value) -> list[Value]:
    """``graph.topological_order(root)`` specialised to Values: the same order, faster.

    It marks visited nodes with a token of its own instead of keeping a set, and reads
    the input slots directly. A test checks the two give the same list.
    """
    token = object()
    order: list[Value] = []
    stack: list[Any] = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is _EMIT:
            emit(pop())
        elif node._mark is not token:
            node._mark = token
            op = node._opdef
            if op is None:
                emit(node)  # a leaf has no inputs to visit first
                continue
            push(node)
            push(_EMIT)
            # Inputs are pushed last to first, so the first is visited first.
            if op.arity == 2:
                b, a = node._b, node._a
                if b._mark is not token:
                    push(b)
                if a._mark is not token:
                    push(a)
            elif op.arity == 1:
                if node._a._mark is not token:
                    push(node._a)
            else:
                for parent in reversed(node._a):
                    if parent._mark is not token:
                        push(parent)
    return order


def _backpropagate(order: list[Value]) -> None:
    """The chain rule on floats, node by node: the loop of ``backward()``.

    For each node from the last to the first, and each of its inputs::

        input.grad += node.grad * local_derivative

    It is :func:`contributions` applied to every node, with ``*`` and ``+`` (nine
    nodes in ten of a neural network) written out; a test checks the two agree bit for
    bit. Expects :func:`start_backward`'s preparation.
    """
    node = None
    try:
        for node in reversed(order):
            op = node._opdef
            if op is None:
                continue  # a leaf: nothing to pass on
            g = node.grad
            if op is MUL:  # d(a * b)/da = b, d(a * b)/db = a
                a, b = node._a, node._b
                assert b is not None
                a.grad += g * b.data
                b.grad += g * a.data
            elif op is ADD:  # both local derivatives are 1, and g * 1 is g exactly
                node._a.grad += g
                node._b.grad += g  # type: ignore[union-attr]
            elif op.custom:
                node._backward()  # a micrograd-style node: its own closure
            elif op.arity == 1:
                a = node._a
                a.grad += g * op.rules[0](node.data, a.data)
            else:
                parents = node.parents
                args = [p.data for p in parents]
                for parent, rule in zip(parents, op.rules):
                    parent.grad += g * rule(node.data, *args)
    except (ArithmeticError, ValueError, TypeError) as exc:
        assert node is not None
        raise backward_error(node, exc) from exc


def contributions(node: Value, upstream: Any, on_values: bool = False) -> list[tuple[Value, Any, Any]]:
    """One node's step of the chain rule: ``(input, local derivative, upstream × local)``.

    The general form of backward's loop, shared by :func:`gradients` (and so ``grad``
    and ``create_graph``) and ``backward_steps``. With ``on_values`` the rules are called
    on the nodes themselves and build graph. A micrograd-style node runs its own
    ``_backward`` (on a scratch ``.grad``, put back after), giving one entry per input.
    """
    op = node._opdef
    assert op is not None
    parents = node.parents
    out: Any
    args: tuple[Any, ...]
    try:
        if op.custom:
            return _custom_contributions(node, parents, upstream)
        if on_values:
            rules, out, args = value_rules(op), node, parents
        else:
            rules, out, args = op.rules, node.data, tuple([p.data for p in parents])
        result = []
        for parent, rule in zip(parents, rules):
            local = rule(out, *args)
            result.append((parent, local, upstream * local))
        return result
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise backward_error(node, exc) from exc


def _custom_contributions(node: Value, parents: tuple[Value, ...], upstream: Any) -> list[tuple[Value, Any, Any]]:
    closure = node.__dict__.get("_backward")
    unique = list(dict.fromkeys(parents))
    if closure is None:
        return [(p, 0.0, 0.0) for p in unique]  # no closure was assigned: micrograd's no-op
    saved = [p.grad for p in unique], node.grad
    try:
        for p in unique:
            p.grad = 0.0
        node.grad = upstream
        closure()
        return [(p, p.grad / upstream if upstream else 0.0, p.grad) for p in unique]
    finally:
        for p, g in zip(unique, saved[0]):
            p.grad = g
        node.grad = saved[1]


def gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node ``root`` depends on. No ``.grad`` is read or written.

    The chain rule with the sums kept in a dict instead of in ``.grad``, so it is safe to
    call from several threads on a shared graph (except through micrograd-style nodes,
    whose closures write ``.grad``). :func:`autograd_mini.grad` is built on it. With
    ``create_graph=True`` the rules are called on the nodes themselves, so the derivatives
    are Values (or plain floats where they are constants) that can be differentiated again.

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
    for node in reversed(order):
        if node._opdef is not None:
            for parent, _, share in contributions(node, grads.get(node, 0.0), create_graph):
                grads[parent] = add(grads.get(parent, 0.0), share)
    return grads


_parents_of = operator.attrgetter("parents")


def _accumulate(total: Any, g: Any) -> Any:
    # 0.0 + g is g exactly; skipping the add keeps create_graph graphs free of "+ 0" nodes.
    if type(total) is float and total == 0.0:
        return g
    return total + g


# ------------------------------------------------- one function and method per op


def function(op: Op) -> Callable[..., Any]:
    """The float-or-Value function of ``op``: floats in, float out; Values in, Value out."""

    def call(*inputs: Any) -> Any:
        return apply(op, *inputs)

    call.__name__ = call.__qualname__ = op.function_name or op.name
    call.__doc__ = f"{op.doc[:1].upper()}{op.doc[1:]}.\n\nFloat in, float out; Value in, Value out (the op {op.name!r})."
    return call


def _method(op: Op) -> Callable[..., Value]:
    def unary(self: Value) -> Value:
        return _node(_forward(op, self.data), op, self)

    def several(self: Value, *others: Any) -> Value:
        return apply(op, self, *others)  # type: ignore[no-any-return]

    method = unary if op.arity == 1 else several
    method.__name__ = method.__qualname__ = op.function_name
    method.__doc__ = f"{op.doc[:1].upper()}{op.doc[1:]} (the op {op.name!r})."
    return method


def value_rules(op: Op) -> tuple[ops.Rule, ...]:
    """``op``'s derivative rules on Values: the same formulas, building graph when called."""
    rules = op.value_rules
    if rules is None:
        functions: dict[str, Any] = {o.function_name: function(o) for o in ops.OPS.values()
                                     if o.function_name}
        functions["number"] = lambda x: x.data if isinstance(x, Value) else x
        rules = op.value_rules = op.compile_rules(functions, compare_numbers=True)
    return rules


def detach(x: Any) -> Any:
    """``x.detach()`` for a Value; a float stays as it is."""
    return x.detach() if isinstance(x, Value) else x


# Every built-in op written as a call (exp, tanh, ...) is a function of this module and a
# method of Value, made from its row: a new row is a new function and method.
for _op in ops.OPS.values():
    if _op.function_name:
        globals()[_op.function_name] = function(_op)
        setattr(Value, _op.function_name, _method(_op))
        __all__.append(_op.function_name)

if TYPE_CHECKING:
    def __getattr__(name: str) -> Callable[..., Any]: ...


# ------------------------------------------------------------- copying and pickling
# A graph pickles and copies with its ops by name. Pickle and deepcopy recurse into an
# object's state, so a node's state names its inputs, but the first node of a graph to be
# written also lists all the nodes it depends on, inputs first: each is then written when
# its own inputs already are, and the depth of the graph never becomes recursion depth.

# The ids of nodes an ancestor list is about to write. An entry left behind by a pickling
# that failed midway only makes that node be written the plain (recursive) way.
_listed: set[int] = set()


def _reduce(node: Value, protocol: int) -> tuple[Any, ...]:
    op = node._opdef
    if op is not None and op.custom and "_backward" in node.__dict__:
        raise TypeError(
            f"cannot pickle or copy a node whose _backward was written by hand (op {op.name!r}):"
            " its closure refers to the original nodes. Rebuild the graph from copied leaves"
        )
    state = (node.data, node.grad, node.label, op, node.parents, node.__dict__ or None)
    if op is None or id(node) in _listed:
        _listed.discard(id(node))
        return _new_value, (Value,), (None, state)
    ancestors = topological_order(node, _parents_of)[:-1]
    _listed.update(map(id, ancestors))
    # The list goes first: by the time this node's own inputs are written, they are.
    return _new_value, (Value,), ([*ancestors, _ListEnd(ancestors)], state)


def _set_state(node: Value, state: tuple[Any, Any]) -> None:
    _, (node.data, node.grad, node.label, op, parents, attributes) = state
    node._mark = None
    node._opdef = op
    node._a, node._b = (None, None) if op is None else (
        (parents[0], parents[1] if op.arity == 2 else None) if op.arity <= 2 else (parents, None))
    if attributes:
        node.__dict__.update(attributes)


class _ListEnd:
    """Written after an ancestor list: the nodes it listed are no longer pending."""

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes

    def __reduce__(self) -> tuple[Any, ...]:
        _listed.difference_update(map(id, self.nodes))
        return type(None), ()


Value.__reduce_ex__ = _reduce  # type: ignore[assignment]
Value.__setstate__ = _set_state  # type: ignore[attr-defined]
