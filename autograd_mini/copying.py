"""Pickling and copying graphs (``pickle``, ``copy.copy``, ``copy.deepcopy``).

A Value is written with its op by name (the rules are code, and the op table holds them),
its data, label, inputs, gradient and attributes. Pickle and deepcopy recurse into what an
object is built from, so the first node of a graph to be written also lists every node it
depends on, inputs first: each of those is then built when its own inputs already are,
and the depth of a graph (a chain of a million nodes) never becomes recursion depth.
Registered with :mod:`copyreg`, the standard library's way for a type's pickling.
"""

from __future__ import annotations

import copyreg
import operator
from typing import Any

from autograd_mini.engine import Value
from autograd_mini.graph import topological_order
from autograd_mini.ops import Op

__all__: list[str] = []

# The ids of nodes an ancestor list is about to write. An entry left behind by a pickling
# that failed midway only makes that node be written the plain (recursive) way.
_listed: set[int] = set()
_parents_of = operator.attrgetter("parents")


def _reduce(node: Value) -> tuple[Any, ...]:
    op = node._opdef
    if op is not None and op.custom and "_backward" in node.__dict__:
        raise TypeError(
            f"cannot pickle or copy a node whose _backward was written by hand (op {op.name!r}):"
            " its closure refers to the original nodes. Rebuild the graph from copied leaves"
        )
    ancestors: list[Any] | None = None
    if op is not None and id(node) not in _listed:
        found = topological_order(node, _parents_of)[:-1]
        _listed.update(map(id, found))
        ancestors = [*found, _ListEnd(found)]
    _listed.discard(id(node))
    # The gradient and attributes go in the state, set after the node exists: a gradient
    # from create_graph may refer back to the node itself.
    state = (node.__dict__ or None, {"grad": node.grad})
    return _rebuild, (ancestors, node.data, node.label, op, node.parents), state


def _rebuild(ancestors: Any, data: float, label: str, op: Op | None,
             parents: tuple[Value, ...]) -> Value:
    node = Value(data, label=label)  # the ancestors were built first, since they came first
    if op is not None:
        node._opdef = op
        if op.arity <= 2:
            node._a, node._b = parents[0], (parents[1] if op.arity == 2 else None)
        else:
            node._a = parents
    return node


class _ListEnd:
    """Written after an ancestor list: the nodes it listed are no longer pending."""

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes

    def __reduce__(self) -> tuple[Any, ...]:
        _listed.difference_update(map(id, self.nodes))
        return type(None), ()


copyreg.pickle(Value, _reduce)
