"""The engine's hot loops, written for speed: a neuron's sum, and ``backward()``'s float pass.

Each does what its general form does, faster, and a test holds it to that form bit for bit:

* :func:`weighted_sum` is ``sum(map(operator.mul, weights, inputs), bias)``, the sum in
  every neuron, making each node itself instead of through an operator call;
* :func:`start_backward` orders the nodes as :func:`autograd_mini.graph.topological_order`
  does (the same list), but marks each visited node in its ``.grad`` instead of keeping a
  set, reads a node's input slots directly, and goes from a node straight on to its first
  input without the stack: two to three times as fast. The gradients it overwrites are the
  ones it must save anyway, to restore them on a failure, and its final mark is a 0.0,
  where an interior node's gradient starts;
* :func:`backpropagate` is :func:`autograd_mini.engine.contributions` applied to every
  node from the last to the first, ``input.grad += node.grad * local_derivative``, with
  ``*`` and ``+`` (nine nodes in ten of a neural network) written out.

:func:`backward` prepares the pass, runs it, and on a failure puts every gradient back
(:func:`restore_gradients`). Nothing here imports the engine: a node is read and made
through its slots (``_opdef``, ``_a``, ``_b``, ``data``, ``grad``).
"""

from __future__ import annotations

from itertools import starmap
from operator import mul
from typing import Any

from autograd_mini.errors import backward_error
from autograd_mini.ops import ADD, MUL

__all__ = ["Saved", "backpropagate", "backward", "restore_gradients", "start_backward",
           "weighted_sum"]

Saved = tuple[list[Any], list[Any]]
"""The gradients a pass began from: the nodes, and their ``.grad`` before it."""


def weighted_sum(weights: Any, inputs: Any, bias: Any) -> Any:
    """``sum(map(operator.mul, weights, inputs), bias)``, recording, ``bias`` a node.

    Node by node as ``engine._node`` makes them: ``w * x``, then ``total + (w * x)``. A
    pair that is not two nodes of ``bias``'s class goes through the operators instead, as
    does the rest of the sum if that makes the total something other than such a node.
    """
    node = type(bias)
    new = object.__new__
    total = bias
    pairs = zip(weights, inputs)
    for w, x in pairs:
        if type(w) is node and type(x) is node:
            product = new(node)
            product.data = w.data * x.data
            product.grad = 0.0
            product._opdef, product._a, product._b = MUL, w, x
        else:
            product = w * x
            if type(product) is not node:
                total = total + product
                if type(total) is not node:  # the rest, as sum() would do it
                    return sum(starmap(mul, pairs), total)
                continue
        out = new(node)
        out.data = total.data + product.data
        out.grad = 0.0
        out._opdef, out._a, out._b = ADD, total, product
        total = out
    return total


def backward(root: Any) -> None:
    """``root.backward()``: fill every ``.grad``, or, if the pass fails, change none."""
    order, saved = start_backward(root)
    try:
        backpropagate(order)
    except BaseException:
        restore_gradients(saved)
        raise


def start_backward(root: Any) -> tuple[list[Any], Saved]:
    """Prepare the float pass from ``root``: its nodes in order, and what to restore.

    Every node ``root`` depends on comes after its inputs, ``root`` last (the order of
    ``graph.topological_order``). Interior gradients start at 0.0 (they hold this pass's
    gradient only), leaves keep theirs (they accumulate), and the root is seeded with
    d root / d root = 1. ``backward_steps`` starts the same way.
    """
    # A node's .grad is its mark: ``entered`` while its inputs are being visited, then
    # ``done``. ``done`` is a new float 0.0, so it is also where an interior node's
    # gradient starts, and nothing has to be reset after the walk; no other object is it.
    done = float("0")
    entered = object()
    order: list[Any] = []
    visited: list[Any] = []  # every node marked, and its gradient before (to restore)
    grads_before: list[Any] = []
    leaves: list[Any] = []
    leaf_grads: list[Any] = []
    stack: list[Any] = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    save_node, save_grad = visited.append, grads_before.append
    try:
        while stack:
            node = pop()
            g = node.grad
            if g is done:
                continue  # reached again by another path
            if g is entered:  # back on top: all its inputs are in order, so it goes next
                node.grad = done
                emit(node)
                continue
            # A first visit. The stack would hold the node's inputs last to first above
            # it, so the first input is popped next: the loop goes straight on to it (down
            # a chain such as a neuron's sum, node after node), and a node whose inputs
            # are all in order already goes next without waiting on the stack.
            while True:
                save_node(node)
                save_grad(g)
                b = node._b
                if b is not None:  # two inputs (only a two-input op sets _b)
                    a = node._a
                    if b.grad is not done:
                        node.grad = entered
                        push(node)
                        push(b)
                    elif a.grad is not done:
                        node.grad = entered
                        push(node)
                    else:
                        node.grad = done
                        emit(node)
                        break
                else:
                    op = node._opdef
                    if op is None:  # a leaf has no inputs to visit first
                        leaves.append(node)
                        leaf_grads.append(g)
                        node.grad = done
                        emit(node)
                        break
                    if op.arity != 1:  # three or more inputs, in a tuple: on the stack
                        node.grad = entered
                        push(node)
                        for parent in reversed(node._a):
                            if parent.grad is not done:
                                push(parent)
                        break
                    a = node._a
                    if a.grad is done:
                        node.grad = done
                        emit(node)
                        break
                    node.grad = entered
                    push(node)
                g = a.grad  # the first input, as the stack would give it
                if g is done:
                    break
                if g is entered:
                    a.grad = done
                    emit(a)
                    break
                node = a
        for node, g in zip(leaves, leaf_grads):  # leaves accumulate: they start as they were
            node.grad = g
        root.grad = 1.0 if root._opdef is not None else root.grad + 1.0
    except BaseException:  # KeyboardInterrupt too: no mark may stay behind
        restore_gradients((visited, grads_before))
        raise
    return order, (visited, grads_before)


def restore_gradients(saved: Saved) -> None:
    """Put back the gradients :func:`start_backward` saved (after a failed pass)."""
    for node, g in zip(*saved):
        node.grad = g


def backpropagate(order: list[Any]) -> None:
    """The chain rule on floats over ``order`` (as :func:`start_backward` prepares it)."""
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
