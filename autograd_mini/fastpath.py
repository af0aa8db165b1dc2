"""``backward()``'s float pass, written for speed.

:func:`backward` prepares the pass (:func:`start_backward`), runs it, and on a failure
puts every gradient back (:func:`restore_gradients`). Two functions do what their general
forms do, faster, on the nodes of a graph:

* :func:`topological_order` is :func:`autograd_mini.graph.topological_order` (the same
  list), marking each visited node with a token of this pass instead of keeping a set,
  and reading a node's input slots directly: about twice as fast;
* :func:`backpropagate` is :func:`autograd_mini.engine.contributions` applied to every
  node from the last to the first, ``input.grad += node.grad * local_derivative``, with
  ``*`` and ``+`` (nine nodes in ten of a neural network) written out.

Tests check each against its general form, bit for bit. Nothing here imports the engine:
a node is read through its slots (``_opdef``, ``_a``, ``_b``, ``_mark``, ``data``, ``grad``).
"""

from __future__ import annotations

from typing import Any

from autograd_mini.errors import backward_error
from autograd_mini.ops import ADD, MUL

__all__ = ["backpropagate", "backward", "restore_gradients", "start_backward", "topological_order"]


def backward(root: Any) -> None:
    """``root.backward()``: fill every ``.grad``, or, if the pass fails, change none."""
    order, before = start_backward(root)
    try:
        backpropagate(order)
    except BaseException:
        restore_gradients(order, before)
        raise


def start_backward(root: Any) -> tuple[list[Any], list[Any]]:
    """Prepare the float pass from ``root``: its nodes in order, and their ``.grad`` before.

    Interior gradients are reset to 0.0 (they hold this pass's gradient only), leaves keep
    theirs (they accumulate), and the root is seeded with d root / d root = 1.
    ``backward_steps`` starts the same way.
    """
    order = topological_order(root)
    before = [node.grad for node in order]
    for node in order:
        if node._opdef is not None:
            node.grad = 0.0
    root.grad = 1.0 if root._opdef is not None else root.grad + 1.0
    return order, before


def restore_gradients(order: list[Any], before: list[Any]) -> None:
    """Put back the gradients :func:`start_backward` saved (after a failed pass)."""
    for node, g in zip(order, before):
        node.grad = g

_EMIT = object()  # a stack marker: the node under it is finished


def topological_order(root: Any) -> list[Any]:
    """Every node ``root`` depends on, each after its inputs; ``root`` comes last."""
    token = object()
    order: list[Any] = []
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
            if op.arity == 2:  # inputs last to first, so the first is visited first
                if node._b._mark is not token:
                    push(node._b)
                if node._a._mark is not token:
                    push(node._a)
            elif op.arity == 1:
                if node._a._mark is not token:
                    push(node._a)
            else:
                for parent in reversed(node._a):
                    if parent._mark is not token:
                        push(parent)
    return order


def backpropagate(order: list[Any]) -> None:
    """The chain rule on floats over ``order`` (as ``engine.start_backward`` prepares it)."""
    node = None
    try:
        for node in reversed(order):
            op = node._opdef
            if op is None:
                continue  # a leaf: nothing to pass on
            g = node.grad
            if op is MUL:  # d(a * b)/da = b, d(a * b)/db = a
                a, b = node._a, node._b
                a.grad += g * b.data
                b.grad += g * a.data
            elif op is ADD:  # both local derivatives are 1, and g * 1 is g exactly
                node._a.grad += g
                node._b.grad += g
            elif op.custom:
                node._backward()  # a hand-written node: its own closure
            elif op.arity == 1:
                a = node._a
                a.grad += g * op.rules[0](node.data, a.data)
            else:
                parents = node.parents
                args = [p.data for p in parents]
                for parent, rule in zip(parents, op.rules):
                    parent.grad += g * rule(node.data, *args)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise backward_error(node, exc) from exc
