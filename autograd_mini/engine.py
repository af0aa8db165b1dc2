"""``Value``: a number that remembers how it was computed, and backpropagation.

Forward: an operation on Values (``a * b``, ``x.tanh()``) looks its op up in the op table
(:mod:`autograd_mini.ops`), computes the result on floats, and returns a new ``Value``
that remembers the op and its inputs. That is the graph.

Backward: ``out.backward()`` orders the graph so that every node comes after its inputs,
then walks it from ``out`` back to the leaves, applying the chain rule once per node::

    input.grad += node.grad * local_derivative

where ``local_derivative`` is the op's rule from its row of the table. By the time a node
is reached, every node that uses it has added its share, so ``node.grad`` is complete.

This file is that story, in that order: ``Value``, recording an op, the chain rule. A
node holds its data, gradient, label, op and inputs, and no closure, so a graph is freed
by reference counting the moment it is unreachable. Elsewhere: number coercion
(coercion.py), error wording (errors.py), ``no_grad`` (grad_mode.py), user ops
(primitives.py), hand-written micrograd-style ops (custom_ops.py), pickling (copying.py).
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from autograd_mini import custom_ops, fastpath, ops
from autograd_mini.coercion import NumberProtocol, as_float, is_number, is_real, refuse
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
    "Value", "apply", "contributions", "created", "detach", "enable_grad", "gradients",
    "is_grad_enabled", "no_grad", "value_rules", "weighted_sum",
]


def _operator(op: Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    def method(self: Value, other: Any) -> Value:
        return _binary(op, other, self) if reflected else _binary(op, self, other)
    return method


def _unary_operator(op: Op) -> Callable[[Value], Value]:
    def method(self: Value) -> Value:
        return _node(_forward(op, self.data), op, self)
    return method


class Value(NumberProtocol):
    """A scalar in a computation graph: its data, its gradient, and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's signature; with
    ``_children`` it makes a node of a hand-written op (see custom_ops.py).

    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    # Inputs sit in two slots (a tuple in ``_a`` for three or more; ``_b`` is set for a
    # two-input op only) rather than a tuple of their own: one object per node instead of
    # two halves the work of Python's cyclic garbage collector. ``__dict__`` (made only when used) takes attributes such as an
    # optimizer's ``p.m``, and the label: most nodes have none and read the class's "".
    __slots__ = ("data", "grad", "_opdef", "_a", "_b", "__dict__", "__weakref__")
    label: str = ""

    def __init__(self, data: Any, _children: Iterable[Value] = (), _op: str = "",
                 label: str = "") -> None:
        self.data: float = as_float(data, "Value")
        self.grad: Any = 0.0
        if label:
            self.label = label
        self._opdef: Op | None = None
        self._a: Any = None
        self._b: Value | None = None
        if created is not None:
            created.append(self)
        if _children:
            custom_ops.make_node(self, _children, _op, recording=is_grad_enabled())
        elif _op:  # a leaf micrograd's way, Value(3.0, (), 'const'): its _op says so
            self._op_name = str(_op)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this Value, in order (``()`` for a leaf)."""
        arity = 0 if self._opdef is None else self._opdef.arity
        return () if arity == 0 else (self._a,) if arity == 1 else (
            (self._a, self._b) if arity == 2 else self._a)  # type: ignore[return-value]

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

    # ------------------------------------------------------------------ operators
    # Each records its op from the table; + and * are most of a forward pass, so their
    # common case is written out (a test holds them to their rows).
    def __add__(self, other: Any) -> Value:
        if type(other) is Value:
            return _node(self.data + other.data, ADD, self, other)
        return _binary(ADD, self, other)

    def __mul__(self, other: Any) -> Value:
        if type(other) is Value:
            return _node(self.data * other.data, MUL, self, other)
        return _binary(MUL, self, other)

    def __pow__(self, other: Any) -> Value:
        # x ** 2 (a plain number) is the op "**2", as in micrograd: no derivative in the
        # exponent; x ** y (a Value exponent) is the op "**", differentiated in both.
        if isinstance(other, Value) or not is_number(other):
            return _binary(ops.POW, self, other)
        op = ops.power(int(other) if isinstance(other, numbers.Integral) else float(other))
        return _node(_forward(op, self.data), op, self)

    # 1 + x and 2 * x: micrograd's are self + other and self * other, so code that has
    # replaced Value.__add__ or __mul__ (an exercise extending Value) sees them here too.
    def __radd__(self, other: Any) -> Value:
        if type(self).__add__ is not _WRITTEN_ADD:  # replaced, or a subclass's own
            return self + other  # type: ignore[no-any-return]
        return _binary(ADD, other, self)

    def __rmul__(self, other: Any) -> Value:
        if type(self).__mul__ is not _WRITTEN_MUL:
            return self * other  # type: ignore[no-any-return]
        return _binary(MUL, other, self)

    __sub__, __rsub__ = _operator(ops.SUB), _operator(ops.SUB, reflected=True)
    __truediv__, __rtruediv__ = _operator(ops.DIV), _operator(ops.DIV, reflected=True)
    __rpow__ = _operator(ops.POW, reflected=True)
    __neg__, __abs__ = _unary_operator(ops.NEG), _unary_operator(ops.ABS)

    def __pos__(self) -> Value:
        return self

    # ------------------------------------------------------------------- backward
    def backward(self, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this Value depends on with d self / d node.

        Leaves accumulate across calls (``+=``, as in PyTorch); every other node gets
        exactly this pass's gradient. If the pass fails (an infinite derivative, such as
        sqrt's at 0), it raises and every ``.grad`` is left as it was before the call.

        ``create_graph`` is keyword-only: PyTorch's first positional argument is the
        output's gradient, which a scalar root does not need (it is 1).

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
        fastpath.backward(self)  # the chain rule of contributions(), written for speed

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut from this graph."""
        return Value(self.data, label=self.label)

    def zero_grad(self) -> None:
        self.grad = 0.0

    # micrograd's names: _prev (the inputs), _op (micrograd's spelling: "ReLU"), and
    # _backward, one node's step of the chain rule, as the lecture calls it by hand.
    # Assigning _prev, as code building a node by hand does, makes the node hand-written
    # (custom_ops.py), its step kept: micrograd's closure keeps the operands it was made
    # with. Assigning _op only renames it (its _op, and its label in a drawing).
    @property
    def _prev(self) -> tuple[Value, ...]:
        return self.parents

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:
        parents = custom_ops.checked_children(children, "_prev")
        if not parents and self._opdef is None:
            return  # a leaf stays a leaf (and keeps accumulating)
        _hand_written(self)
        custom_ops.make_node(self, parents, self._op or "custom", recording=True)

    _op_name = ""  # a class default, as label's: set only on a node given an _op by hand

    @property
    def _op(self) -> str:
        return self._op_name or ("" if self._opdef is None else self._opdef.micrograd_name)

    @_op.setter
    def _op(self, name: str) -> None:
        if str(name) != self._op:
            self._op_name = str(name)

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's step: add ``local derivative × self.grad`` to each input's ``.grad``.

        Assigning a closure, as micrograd's code does (``out._backward = _backward``), makes
        the node hand-written (custom_ops.py): ``backward()`` calls the closure in the
        node's turn, also on the result of a built-in op, so an override works as there.
        """
        op = self._opdef
        if op is not None and op.custom:
            return self.__dict__.get("_backward", _no_step)  # type: ignore[no-any-return]
        return partial(_table_step, self)

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        self.__dict__["_backward"] = closure
        op = self._opdef
        if op is not None and not op.custom:  # the table's rule gives way to the closure
            self._opdef = ops.custom(op.micrograd_name, op.arity)

    if TYPE_CHECKING:  # a method per op written as a call (x.exp(), ...): functions.py
        def __getattr__(self, name: str) -> Callable[..., Value]: ...


def _table_step(node: Value) -> None:
    if node._opdef is not None:  # a leaf passes nothing on
        for parent, _, contribution in contributions(node, node.grad):
            parent.grad += contribution


def _no_step() -> None:
    """A hand-written node given no closure: micrograd's default ``_backward``, a no-op."""


def _hand_written(node: Value) -> None:
    """Make a node of a table op hand-written, its closure the op's step on its inputs."""
    op = node._opdef
    if op is None or op.custom:
        return
    if "_backward" not in node.__dict__:
        made = _new_value(Value)  # the node as the table made it, to take its step
        made.data, made.grad, made._opdef, made._a, made._b = node.data, 0.0, op, node._a, node._b

        def step() -> None:
            made.grad = node.grad
            _table_step(made)

        node.__dict__["_backward"] = step
    node._opdef = ops.custom(op.micrograd_name, op.arity)


# ---------------------------------------------------------------- recording an op

_new_value = object.__new__  # makes a Value without __init__'s input checks

created: list[Value] | None = None
"""While the compiled mode traces a function, the list of every Value made (to tell them
from those made before); ``None`` otherwise."""


def _node(data: float, op: Op, a: Any, b: Value | None = None) -> Value:
    """Record one op: a new Value holding its result, its op and its inputs.

    Inside ``no_grad`` the result is a leaf. ``_a`` holds a tuple for ops of three or
    more inputs; ``Value.parents`` gives them back as a tuple.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    if created is not None:
        created.append(out)
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
    # A number is wrapped as a leaf; anything else is refused (coercion.refuse). If ``a``
    # is the foreign one, this is a reflected call (__radd__ ...).
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
    if op.arity == 1:  # relu(x) in every neuron: no lists for one input
        x = inputs[0]
        if isinstance(x, Value):
            return _node(_forward(op, x.data), op, x)
        return _forward(op, as_float(x, op.name))
    if not any(isinstance(x, Value) for x in inputs):
        return _forward(op, *(as_float(x, op.name) for x in inputs))
    parents = [x if isinstance(x, Value) else _operand(x, op) for x in inputs]
    data = _forward(op, *(p.data for p in parents))
    return _node(data, op, *parents) if op.arity <= 2 else _node(data, op, tuple(parents))


def _operand(x: Any, op: Op) -> Value:
    if is_real(x):
        return Value(x)
    raise TypeError(f"{op.name}: cannot apply to {type(x).__name__} {x!r:.60}; use a number or a Value")


def weighted_sum(weights: Iterable[Any], inputs: Iterable[Any], bias: Any) -> Any:
    """``bias + w0 * x0 + w1 * x1 + ...``: a neuron's sum, the same nodes in the same order
    as ``sum(map(operator.mul, weights, inputs), bias)``.

    While recording, with Values, the nodes are made by ``fastpath.weighted_sum``, without
    an operator call per node; otherwise (``no_grad``, a trace, floats, or ``Value.__mul__``
    or ``__add__`` replaced, as a lecture exercise may do) by the operators.

    >>> weighted_sum([Value(2.0), Value(3.0)], [Value(1.0), 0.5], Value(0.25)).data
    3.75
    """
    if (created is None and not _disabled_modes and type(bias) is Value
            and Value.__mul__ is _WRITTEN_MUL and Value.__add__ is _WRITTEN_ADD):
        return fastpath.weighted_sum(weights, inputs, bias)
    return sum(map(operator.mul, weights, inputs), bias)


_WRITTEN_MUL, _WRITTEN_ADD = Value.__mul__, Value.__add__  # the operators written above


# ------------------------------------------------------------------ the chain rule


def contributions(node: Value, upstream: Any, on_values: bool = False) -> list[tuple[Value, Any, Any]]:
    """One node's step of the chain rule: ``(input, local derivative, upstream × local)``.

    The general form of backward's loop, shared by :func:`gradients` (so ``grad`` and
    ``create_graph``) and ``backward_steps``. With ``on_values`` the rules are called on
    the nodes themselves and build graph.
    """
    op = node._opdef
    assert op is not None
    parents = node.parents
    out: Any
    args: tuple[Any, ...]
    try:
        if op.custom:
            if on_values:
                return custom_ops.contributions_on_values(node, upstream, Value)
            return custom_ops.contributions(node, upstream)
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


def gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node ``root`` depends on. No ``.grad`` is read or written.

    The chain rule with the sums in a dict instead of in ``.grad``, so it is safe to
    call from several threads on a shared graph (except through hand-written nodes,
    whose closures use ``.grad``). :func:`autograd_mini.grad` is built on it. With
    ``create_graph=True`` the rules are called on the nodes themselves, so the derivatives
    are Values (or floats where they are constants) that can be differentiated again.

    >>> x = Value(2.0)
    >>> y = x * x + x
    >>> gradients(y)[x], x.grad
    (5.0, 0.0)
    """
    grads: dict[Value, Any] = {root: 1.0}
    # On floats, 0.0 + share, exactly as backward() adds to a zeroed .grad (same bits); on
    # Values, the first share is taken as it is, so no "0.0 + ..." nodes are built.
    add = _accumulate if create_graph else operator.add
    for node in reversed(topological_order(root, _parents_of)):
        if node._opdef is not None:
            for parent, _, share in contributions(node, grads.get(node, 0.0), create_graph):
                grads[parent] = add(grads.get(parent, 0.0), share)
    return grads


_parents_of = operator.attrgetter("parents")


def _accumulate(total: Any, g: Any) -> Any:
    # 0.0 + g is g exactly; skipping the add keeps create_graph graphs free of "+ 0" nodes.
    return g if type(total) is float and total == 0.0 else total + g


def value_rules(op: Op) -> tuple[ops.Rule, ...]:
    """``op``'s derivative rules on Values: the same formulas, building graph when called."""
    if op.value_rules is None:
        functions: dict[str, Any] = {o.function_name: partial(apply, o) for o in ops.OPS.values()
                                     if o.function_name}
        functions["number"] = lambda x: x.data if isinstance(x, Value) else x
        op.value_rules = op.compile_rules(functions, compare_numbers=True)
    return op.value_rules


def detach(x: Any) -> Any:
    """``x.detach()`` for a Value; a float stays as it is."""
    return x.detach() if isinstance(x, Value) else x
