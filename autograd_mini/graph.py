"""Walking a computation graph: iterative topological order, nodes and edges.

Nothing here knows what a node is: every walk takes ``parents_of``, a function from a node
to the ordered tuple of its inputs (for :class:`~autograd_mini.Value` that is
``operator.attrgetter("parents")``). All walks are iterative, so a chain of a million nodes
needs no recursion and raises no ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

Node = TypeVar("Node", bound=Hashable)

_EMIT = object()  # stack marker of topological_order: the node under it is finished


def topological_order(root: Node, parents_of: Callable[[Node], Sequence[Node]]) -> list[Node]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` comes last.

    The order is that of a depth-first walk visiting parents in their stored order, the
    same as micrograd's recursive ``build_topo``, so it is identical on every run.

    >>> parents = {"out": ("a", "b"), "b": ("a",), "a": ()}
    >>> topological_order("out", parents.__getitem__)
    ['a', 'b', 'out']
    """
    order: list[Node] = []
    visited: set[Node] = set()
    # The stack holds plain references: nodes still to visit and, under an _EMIT marker,
    # each node whose parents are being visited. When the marker is back on top, every
    # parent pushed above it is in ``order``, so the node goes next. No tuple or iterator
    # per node: a chain of a million nodes costs a few pointers per node, and creates no
    # objects for the cyclic garbage collector to scan again and again.
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is _EMIT:
            order.append(stack.pop())
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(_EMIT)
            # Pushed last to first, so the first parent is visited first, as recursion would.
            for parent in reversed(parents_of(node)):
                if parent not in visited:
                    stack.append(parent)
    return order


def edges(
    order: Sequence[Node], parents_of: Callable[[Node], Sequence[Node]]
) -> Iterator[tuple[Node, Node, int]]:
    """``(parent, child, i)`` for every edge, where ``parent`` is input ``i`` of ``child``.

    >>> parents = {"out": ("a", "a"), "a": ()}
    >>> list(edges(["a", "out"], parents.__getitem__))
    [('a', 'out', 0), ('a', 'out', 1)]
    """
    for child in order:
        for i, parent in enumerate(parents_of(child)):
            yield parent, child, i


def consumers(
    order: Sequence[Node], parents_of: Callable[[Node], Sequence[Node]]
) -> dict[Node, list[Node]]:
    """For each node of ``order``, the nodes that use it as an input (with repeats).

    >>> parents = {"out": ("a", "b"), "b": ("a",), "a": ()}
    >>> consumers(["a", "b", "out"], parents.__getitem__)
    {'a': ['b', 'out'], 'b': ['out'], 'out': []}
    """
    users: dict[Node, list[Node]] = {node: [] for node in order}
    for parent, child, _ in edges(order, parents_of):
        users[parent].append(child)
    return users


def depths(root: Node, parents_of: Callable[[Node], Sequence[Node]]) -> dict[Node, int]:
    """Fewest edges from each node to ``root`` (breadth-first, ``root`` at 0).

    >>> parents = {"out": ("a", "b"), "b": ("a",), "a": ()}
    >>> depths("out", parents.__getitem__)
    {'out': 0, 'a': 1, 'b': 1}
    """
    depth = {root: 0}
    frontier = [root]
    while frontier:
        following: list[Node] = []
        for node in frontier:
            for parent in parents_of(node):
                if parent not in depth:
                    depth[parent] = depth[node] + 1
                    following.append(parent)
        frontier = following
    return depth
