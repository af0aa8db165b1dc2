"""Pickling and copying graphs (``pickle``, ``copy.copy``, ``copy.deepcopy``).

A Value is written with its op by name (the rules are code, and the op table holds them),
its data, label, inputs, gradient and attributes. Pickle and deepcopy recurse into what an
object is built from, so the first node of a graph to be written also lists every node it
depends on, inputs first: each of those is then built when its own inputs already are,
and the depth of a graph (a chain of a million nodes) never becomes recursion depth.
Registered with :mod:`copyreg`, the standard library's way for a type's pickling.

``copy.deepcopy`` has its own path, ``Value.__deepcopy__``: one loop over the graph in
topological order, each node built from its already-copied inputs, which is about ten times
faster than the generic reduce-and-rebuild that pickling needs (a model's snapshot, a
graph of 10^5 nodes).
"""

from __future__ import annotations

import copy
import copyreg
import operator
from typing import Any

from autograd_mini.custom_ops import input_slots
from autograd_mini.engine import Value
from autograd_mini.graph import topological_order
from autograd_mini.ops import Op

__all__: list[str] = []

# The ids of nodes an ancestor list is about to write. An entry left behind by a pickling
# that failed midway only makes that node be written the plain (recursive) way.
_listed: set[int] = set()
_parents_of = operator.attrgetter("parents")


def _attributes(node: Value) -> dict[str, Any] | None:
    """The node's own attributes, or None: reading ``node.__dict__`` would give every node
    read an empty dict for good (object.__getstate__ only looks)."""
    state: Any = object.__getstate__(node)
    return state[0]  # type: ignore[no-any-return]


def _refuse_hand_written(node: Value) -> None:
    op = node._opdef
    if op is not None and op.custom and "_backward" in node.__dict__:
        raise TypeError(
            f"cannot pickle or copy a node whose _backward was written by hand (op {op.name!r}):"
            " its closure refers to the original nodes. Rebuild the graph from copied leaves"
        )


def _reduce(node: Value) -> tuple[Any, ...]:
    _refuse_hand_written(node)
    op = node._opdef
    ancestors: list[Any] | None = None
    if op is not None and id(node) not in _listed:
        found = topological_order(node, _parents_of)[:-1]
        _listed.update(map(id, found))
        ancestors = [*found, _ListEnd(found)]
    _listed.discard(id(node))
    # The gradient and attributes go in the state, set after the node exists: a gradient
    # from create_graph may refer back to the node itself.
    state = (_attributes(node), {"grad": node.grad})
    return _rebuild, (ancestors, node.data, node.label, op, node.parents), state


def _rebuild(ancestors: Any, data: float, label: str, op: Op | None,
             parents: tuple[Value, ...]) -> Value:
    node = Value(data, label=label)  # the ancestors were built first, since they came first
    if op is not None:
        node._opdef = op
        node._a, node._b = input_slots(parents)
    return node


def _deepcopy(root: Value, memo: dict[int, Any]) -> Value:
    """``copy.deepcopy(root)``: the nodes first, inputs before their consumers, then what
    may refer back into the graph (gradients from create_graph, attributes)."""
    order = topological_order(root, lambda n: () if id(n) in memo else n.parents)
    fresh = [node for node in order if id(node) not in memo]
    for node in fresh:
        _refuse_hand_written(node)
    keep_alive = memo.setdefault(id(memo), [])  # ids in memo must not be reused meanwhile
    for node in fresh:
        parents = tuple(memo[id(p)] for p in node.parents)
        memo[id(node)] = _rebuild(None, node.data, node.label, node._opdef, parents)
        keep_alive.append(node)
    for node in fresh:
        clone = memo[id(node)]
        grad = node.grad
        clone.grad = grad if type(grad) is float else copy.deepcopy(grad, memo)
        attributes = _attributes(node)
        if attributes:
            clone.__dict__.update(copy.deepcopy(attributes, memo))
    return memo[id(root)]  # type: ignore[no-any-return]


class _ListEnd:
    """Written after an ancestor list: the nodes it listed are no longer pending."""

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes

    def __reduce__(self) -> tuple[Any, ...]:
        _listed.difference_update(map(id, self.nodes))
        return type(None), ()


copyreg.pickle(Value, _reduce)
Value.__deepcopy__ = _deepcopy  # type: ignore[attr-defined]
