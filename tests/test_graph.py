"""Graph walks: iterative topological order, edges, consumers, depths."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Sequence

import pytest

from autograd_mini import Value
from autograd_mini.graph import consumers, depths, edges, topological_order


def recursive_order(root: str, parents_of: Callable[[str], Sequence[str]]) -> list[str]:
    # micrograd's build_topo, with parents in their stored order: the reference.
    order: list[str] = []
    seen: set[str] = set()

    def build(v: str) -> None:
        if v not in seen:
            seen.add(v)
            for p in parents_of(v):
                build(p)
            order.append(v)

    build(root)
    return order


def random_dag(seed: int, size: int) -> dict[str, tuple[str, ...]]:
    rng = random.Random(seed)
    graph: dict[str, tuple[str, ...]] = {}
    for i in range(size):
        earlier = [f"n{j}" for j in range(i)]
        k = rng.randrange(0, min(3, i) + 1)
        graph[f"n{i}"] = tuple(rng.choice(earlier) for _ in range(k)) if earlier else ()
    return graph


def test_small_graph() -> None:
    parents = {"out": ("a", "b"), "b": ("a",), "a": ()}
    assert topological_order("out", parents.__getitem__) == ["a", "b", "out"]


def test_diamond_with_repeated_parent() -> None:
    parents = {"y": ("m", "m", "n"), "m": ("x",), "n": ("x", "c"), "x": (), "c": ()}
    order = topological_order("y", parents.__getitem__)
    assert order == ["x", "m", "c", "n", "y"]
    assert sorted(order) == sorted(set(order))


@pytest.mark.parametrize("seed", range(8))
def test_random_dags_match_the_recursive_walk(seed: int) -> None:
    graph = random_dag(seed, 60)
    root = "n59"
    order = topological_order(root, graph.__getitem__)
    assert order == recursive_order(root, graph.__getitem__)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] == root
    assert len(position) == len(order)  # every node once
    for node in order:
        for parent in graph[node]:
            assert position[parent] < position[node]
    # exactly the ancestors of root
    ancestors, stack = {root}, [root]
    while stack:
        for p in graph[stack.pop()]:
            if p not in ancestors:
                ancestors.add(p)
                stack.append(p)
    assert set(order) == ancestors


def test_deep_chain_needs_no_recursion() -> None:
    n = 50_000
    assert n > sys.getrecursionlimit()
    order = topological_order(n, lambda i: (i - 1,) if i > 0 else ())
    assert order == list(range(n + 1))


def test_order_of_a_value_graph_follows_parent_order() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = b * a
    d = c + a
    order = topological_order(d, lambda v: v.parents)
    assert order == [b, a, c, d]


def test_edges_consumers_depths() -> None:
    parents = {"y": ("m", "m", "n"), "m": ("x",), "n": ("x", "c"), "x": (), "c": ()}
    order = topological_order("y", parents.__getitem__)
    assert list(edges(order, parents.__getitem__)) == [
        ("x", "m", 0), ("x", "n", 0), ("c", "n", 1), ("m", "y", 0), ("m", "y", 1), ("n", "y", 2)
    ]
    assert consumers(order, parents.__getitem__) == {
        "x": ["m", "n"], "m": ["y", "y"], "c": ["n"], "n": ["y"], "y": []
    }
    assert depths("y", parents.__getitem__) == {"y": 0, "m": 1, "n": 1, "x": 2, "c": 2}


def test_depths_is_the_shortest_distance() -> None:
    parents = {"r": ("long", "x"), "long": ("mid",), "mid": ("x",), "x": ()}
    assert depths("r", parents.__getitem__)["x"] == 1
