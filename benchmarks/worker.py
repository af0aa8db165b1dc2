"""One measurement in a fresh interpreter: ``python -m benchmarks.worker '<json task>'``.

The runner starts a new process for every measurement, so that no engine inherits another
run's heap, garbage or warm caches, and micrograd's growing cyclic garbage is measured from
the same starting point every time. The result is one line of JSON on stdout. The runner
may start the worker under another CPython than its own (:mod:`benchmarks.interpreters`).

Tasks (``"task"`` key):

* ``train``: workloads A and C; ``engine`` (one of :data:`TRAINERS`), ``steps``, ``gc``
  (``"default"`` or ``"off"``: disabled, collected between steps outside the timers),
  ``points`` (the batch), ``rounds`` (for the floor and compiled steps: see :func:`train`);
* ``agree``: the eager and compiled steps side by side for ``steps`` steps, bit for bit;
* ``compile_time`` / ``compile_memory``: the first compiled call on ``points`` points,
  timed, or under tracemalloc; ``variant`` (``notebook`` or ``loss_only``);
* ``chain_time`` / ``chain_memory``: workload B; ``engine``, ``n`` (and ``gc`` for
  ``chain_time``);
* ``profile``: cProfile, by own time, of ``steps`` eager training steps (``of``:
  ``"eager"``) or of the first compiled call (``of``: ``"compile"``); ``top`` rows.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import pstats
import sys
from pathlib import Path
from typing import Any

import autograd_mini
from benchmarks.workloads import chain, compiled, floor, moons
from benchmarks.workloads.engines import load

TRAINERS = ("autograd_mini", "compiled", "compiled_loss_only", "micrograd", "floor")
"""What trains in workload A: the eager engine, its compiled step (the notebook's, and the
loss alone), micrograd, and the hand-written float floor."""

_PACKAGE = str(Path(autograd_mini.__file__).parent)  # to tell the package's own functions apart


def train(engine: str, steps: int, points: int, collect: bool, rounds: int = 1) -> dict[str, Any]:
    """Workload A for one trainer of :data:`TRAINERS`.

    ``rounds`` applies to the trainers whose steps take milliseconds (the floor and the
    compiled steps): they run their steps that many times, from the same initial weights.
    """
    if engine == "floor":
        return floor.train(steps, points=points, collect_between_steps=collect, rounds=rounds)
    if engine in ("compiled", "compiled_loss_only"):
        variant = "notebook" if engine == "compiled" else "loss_only"
        return compiled.train(variant, steps, points=points, collect_between_steps=collect,
                              rounds=rounds)
    return moons.train(load(engine), steps, points=points, collect_between_steps=collect)


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task description and return its result (a JSON-ready dict).

    >>> run_task({"task": "chain_time", "engine": "autograd_mini", "n": 10})["nodes"]
    10
    >>> run_task({"task": "train", "engine": "floor", "steps": 2, "points": 4})["losses"][0]
    0.9477934327998787
    """
    kind = task["task"]
    points = task.get("points", moons.POINTS)
    if kind == "train":
        if task["engine"] not in TRAINERS:
            raise ValueError(f"benchmarks.worker: unknown engine {task['engine']!r}; use one"
                             f" of {', '.join(TRAINERS)}")
        collect = task.get("gc", "default") == "off"
        if collect:
            gc.disable()
        return train(task["engine"], task["steps"], points, collect, task.get("rounds", 1))
    if kind == "agree":
        return compiled.agree(task["steps"], points)
    if kind == "compile_time":
        return compiled.compile_time(task["variant"], points)
    if kind == "compile_memory":
        return compiled.compile_memory(task["variant"], points)
    if kind == "chain_time":
        return chain.time_chain(load(task["engine"]), task["n"], task.get("gc", "default") != "off")
    if kind == "chain_memory":
        return chain.memory_chain(load(task["engine"]), task["n"])
    if kind == "profile":
        return profile(task.get("of", "eager"), task.get("steps", 1), task.get("top", 12), points)
    raise ValueError(f"benchmarks.worker: unknown task {kind!r}; use train, agree, compile_time,"
                     " compile_memory, chain_time, chain_memory or profile")


def profile(of: str, steps: int, top: int, points: int = moons.POINTS) -> dict[str, Any]:
    """The functions where eager training steps, or the first compiled call, spend their time.

    Returns ``rows`` of ``(function, calls, own seconds, cumulative seconds, in
    autograd_mini)`` sorted by own time, and the profiled total. cProfile slows every
    call, so read shares, not times.
    """
    profiler = cProfile.Profile()
    if of == "eager":
        engine = load("autograd_mini")
        moons.train(engine, 1, points=points, measure_graph=False)  # warm up outside the profile
        profiler.enable()
        moons.train(engine, steps, points=points, measure_graph=False)
        profiler.disable()
    elif of == "compile":
        demo = compiled.Demo("notebook", points)
        profiler.enable()
        demo.run()
        profiler.disable()
    else:
        raise ValueError(f"benchmarks.worker: profile of {of!r}; use 'eager' or 'compile'")
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        # Built-ins are named with their address ("... at 0x7f..."), which varies per run.
        where = f"{filename.rsplit('/', 1)[-1]}:{line}({name})" if line else name.split(" at 0x")[0]
        rows.append((where, calls, own, cumulative, filename.startswith(_PACKAGE)))
    rows.sort(key=lambda row: row[2], reverse=True)
    return {"rows": rows[:top], "total": stats.total_tt, "steps": steps, "of": of}  # type: ignore[attr-defined]


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m benchmarks.worker '<json task>'")
    print(json.dumps(run_task(json.loads(argv[0]))))


if __name__ == "__main__":
    main(sys.argv[1:])
