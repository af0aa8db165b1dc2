"""Walking a computation graph: iterative topological order, nodes and edges.

Nothing here knows what a node is: every walk takes ``parents_of``, a function from a node
to the ordered tuple of its inputs (for :class:`~autograd_mini.Value` that is
``operator.attrgetter("parents")``). All walks are iterative, so a chain of a million nodes
needs no recursion and raises no ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def topological_order(root: Node, parents_of: Callable[[Node], Sequence[Node]]) -> list[Node]:
    """Every node ``root`` depends on, each after all of its parents; ``root`` comes last.

    The order is that of a depth-first walk visiting parents in their stored order, the
    same as micrograd's recursive ``build_topo``, so it is identical on every run.

    >>> parents = {"out": ("a", "b"), "b": ("a",), "a": ()}
    >>> topological_order("out", parents.__getitem__)
    ['a', 'b', 'out']
    """
    order: list[Node] = []
    visited = {root}
    # Each stack entry is a node and an iterator over the parents still to visit.
    stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(parents_of(root)))]
    while stack:
        node, pending = stack[-1]
        for parent in pending:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parents_of(parent))))
                break
        else:
            stack.pop()
            order.append(node)
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
