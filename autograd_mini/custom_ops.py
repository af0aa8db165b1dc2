"""Ops written by hand, micrograd's way: a node with its own ``_backward`` closure.

The lecture that introduces micrograd teaches new ops like this::

    def exp(self):
        out = Value(math.exp(self.data), (self,), 'exp')
        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

Such a node is not in the op table: its op (:func:`autograd_mini.ops.custom`) names it and
counts its inputs, and ``backward()`` calls the closure in its turn, as micrograd does.
The closure refers back to its own node, so these nodes keep micrograd's reference cycle
(the cyclic garbage collector frees them, later than reference counting would).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd_mini import ops

__all__ = ["checked_children", "contributions", "contributions_on_values", "input_slots",
           "make_node"]


def checked_children(children: Iterable[Any], where: str) -> tuple[Any, ...]:
    """The inputs of a hand-written node as a tuple, or a TypeError naming ``where``."""
    given: Any = children  # typed loosely: text is a mistake to catch at run time
    if isinstance(given, str | bytes):
        hint = ("the second argument is _children (micrograd's signature)" if where == "Value"
                else "_prev takes the node's inputs")
        raise TypeError(f"{where}: {hint}, got the text {given!r}"
                        + (f"; pass a label by name: Value(data, label={given!r})" if where == "Value" else ""))
    try:
        parents = tuple(given)
    except TypeError:
        raise TypeError(f"{where}: the inputs must be an iterable of Values, got"
                        f" {type(given).__name__} {given!r:.60}") from None
    for child in parents:
        if not (hasattr(child, "parents") and hasattr(child, "grad")):
            raise TypeError(f"{where}: _children must be Values, got {type(child).__name__} {child!r:.60}")
    return parents


def make_node(node: Any, children: Iterable[Any], name: str, recording: bool) -> None:
    """Make ``node`` (a new Value) a node of the hand-written op ``name`` over ``children``."""
    parents = checked_children(children, "Value")
    if not recording:
        return  # inside no_grad: a leaf, as every result is
    node._opdef = ops.custom(str(name) or "custom", len(parents))
    node._a, node._b = input_slots(parents)


def input_slots(parents: tuple[Any, ...]) -> tuple[Any, Any]:
    """What a node's ``_a`` and ``_b`` hold for these inputs: the first and the second (or
    None) for one or two, the tuple itself for none (micrograd's ``_prev = set()``: backward
    stops there, a closure still runs) or three and more."""
    if len(parents) in (1, 2):
        return parents[0], (parents[1] if len(parents) == 2 else None)
    return parents, None


def contributions(node: Any, upstream: Any) -> list[tuple[Any, Any, Any]]:
    """What a hand-written node's closure adds to each input, run on scratch gradients.

    The inputs' ``.grad`` (and the node's) are put back afterwards, so callers that keep
    their sums elsewhere (``gradients()``) see the contributions without side effects.
    """
    closure = node.__dict__.get("_backward")
    unique = list(dict.fromkeys(node.parents))
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


def contributions_on_values(node: Any, upstream: Any, value: Any) -> list[tuple[Any, Any, Any]]:
    """:func:`contributions` for a pass that builds graph (``create_graph``, nested ``grad``).

    The closure works on floats, so what it adds carries no derivative of its own. Each
    share is a node (made by ``value``, the Value class) over what it truly depends on,
    the upstream gradient and the node's inputs, whose own step refuses, as PyTorch's
    does for a backward that is not differentiable: a derivative that reaches it raises,
    one that does not is unaffected. Only a silent 0.0 is ruled out.
    """
    name = node.opdef.name
    floats = contributions(node, upstream.data if isinstance(upstream, value) else upstream)
    depends_on = tuple(dict.fromkeys(
        [*node.parents, *([upstream] if isinstance(upstream, value) else [])]))
    message = (f"a derivative of a derivative reached the hand-written node {name!r}: its"
               " _backward closure works on floats, so no derivative flows through what it"
               " adds; define the op with autograd_mini.primitive (its partials are"
               " differentiated again), or stop at first order")

    def refuse() -> None:
        raise RuntimeError(message)

    result = []
    for parent, local, share in floats:
        barrier = value(share, depends_on, f"{name}'s _backward")
        barrier._backward = refuse
        result.append((parent, local, barrier))
    return result
