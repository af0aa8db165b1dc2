"""Workload B: a chain of N nodes, each the only input of the next; time and memory per node.

The chain alternates ``y = y * a`` and ``y = y + b`` with two shared leaves, so every step
adds exactly one node and the depth equals the number of nodes: the hardest shape for a
recursive topological sort, and the one where any non-linear cost would show.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from typing import Any

from benchmarks.workloads.engines import Engine


def build(engine: Engine, n: int) -> Any:
    """A chain of ``n`` interior nodes above three leaves; returns its last node.

    >>> from benchmarks.workloads.engines import count_nodes, load
    >>> count_nodes(build(load("autograd_mini"), 10))
    13
    """
    x, a, b = engine.Value(1.0), engine.Value(0.999999), engine.Value(1e-6)
    y = x
    for _ in range(n // 2):
        y = y * a
        y = y + b
    if n % 2:
        y = y * a
    return y


def _allow_recursion(engine: Engine, n: int) -> None:
    # micrograd's topological sort recurses once per node of the chain. Python 3.11 runs
    # Python-to-Python calls without growing the C stack, so a high limit is enough.
    if engine.name == "micrograd":
        sys.setrecursionlimit(max(sys.getrecursionlimit(), n + 1_000))


def time_chain(engine: Engine, n: int, collect: bool = True) -> dict[str, Any]:
    """Seconds per node to build the chain (forward) and to run ``backward`` on it.

    ``collect=False`` disables the garbage collector for the measurement, to tell its
    share of the cost from the engine's own.

    >>> from benchmarks.workloads.engines import load
    >>> result = time_chain(load("autograd_mini"), 100)
    >>> result["nodes"], result["forward"] > 0, result["backward"] > 0
    (100, True, True)
    """
    _allow_recursion(engine, n)
    if not collect:
        gc.disable()
    clock = time.perf_counter
    t0 = clock()
    y = build(engine, n)
    t1 = clock()
    y.backward()
    t2 = clock()
    del y
    t3 = clock()
    gc.enable()
    return {"nodes": n, "forward": (t1 - t0) / n, "backward": (t2 - t1) / n,
            "free": (t3 - t2) / n}


def memory_chain(engine: Engine, n: int) -> dict[str, Any]:
    """Bytes per node (tracemalloc): the graph after building it, and the peak during backward.

    >>> from benchmarks.workloads.engines import load
    >>> result = memory_chain(load("autograd_mini"), 1000)
    >>> 50 < result["graph"] < result["peak"] < 2000
    True
    """
    _allow_recursion(engine, n)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        y = build(engine, n)
        graph = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        y.backward()
        peak = tracemalloc.get_traced_memory()[1] - base
        del y
    finally:
        tracemalloc.stop()
    return {"nodes": n, "graph": graph / n, "peak": peak / n}
