"""One measurement in a fresh interpreter: ``python -m benchmarks.worker '<json task>'``.

The runner starts a new process for every measurement, so that no engine inherits another
run's heap, garbage or warm caches, and micrograd's growing cyclic garbage is measured from
the same starting point every time. The result is one line of JSON on stdout.

Tasks (``"task"`` key):

* ``train``: workload A/C; ``engine`` (``autograd_mini``, ``micrograd`` or ``floor``),
  ``steps``, ``gc`` (``"default"`` or ``"off"``: disabled, collected between steps
  outside the timers);
* ``chain_time`` / ``chain_memory``: workload B; ``engine``, ``n`` (and ``gc`` for
  ``chain_time``);
* ``profile``: cProfile of ``steps`` autograd_mini training steps; ``top`` rows.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import pstats
import sys
from typing import Any

from benchmarks.workloads import chain, floor, moons
from benchmarks.workloads.engines import load


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task description and return its result (a JSON-ready dict).

    >>> run_task({"task": "chain_time", "engine": "autograd_mini", "n": 10})["nodes"]
    10
    """
    kind = task["task"]
    if kind == "train":
        collect = task.get("gc", "default") == "off"
        if collect:
            gc.disable()
        if task["engine"] == "floor":
            return floor.train(task["steps"], collect_between_steps=collect)
        return moons.train(load(task["engine"]), task["steps"], collect_between_steps=collect)
    if kind == "chain_time":
        return chain.time_chain(load(task["engine"]), task["n"], task.get("gc", "default") != "off")
    if kind == "chain_memory":
        return chain.memory_chain(load(task["engine"]), task["n"])
    if kind == "profile":
        return profile_training(task["steps"], task.get("top", 12))
    raise ValueError(f"benchmarks.worker: unknown task {kind!r}; use train, chain_time, "
                     "chain_memory or profile")


def profile_training(steps: int, top: int) -> dict[str, Any]:
    """The functions where autograd_mini's training steps spend their time (cProfile).

    Returns ``rows`` of ``(function, calls, own seconds, cumulative seconds)`` sorted by
    own time, and the profiled total. cProfile slows every call, so read shares, not times.
    """
    engine = load("autograd_mini")
    moons.train(engine, 1, measure_graph=False)  # import and warm up outside the profile
    profiler = cProfile.Profile()
    profiler.enable()
    moons.train(engine, steps, measure_graph=False)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        # Built-ins are named with their address ("... at 0x7f..."), which varies per run.
        where = f"{filename.rsplit('/', 1)[-1]}:{line}({name})" if line else name.split(" at 0x")[0]
        rows.append((where, calls, own, cumulative))
    rows.sort(key=lambda row: row[2], reverse=True)
    return {"rows": rows[:top], "total": stats.total_tt, "steps": steps}  # type: ignore[attr-defined]


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m benchmarks.worker '<json task>'")
    print(json.dumps(run_task(json.loads(argv[0]))))


if __name__ == "__main__":
    main(sys.argv[1:])
