"""Run the benchmark suite: ``python -m benchmarks [--quick] [--python 3.12 ...]``.

Every measurement runs in a fresh interpreter (:mod:`benchmarks.worker`), under each
CPython the machine has among 3.11, 3.12 and 3.13 (:mod:`benchmarks.interpreters`). The
engines take turns within each repeat, as do the Pythons, and the order flips from one
repeat to the next, so that drifting load on the machine falls on all of them alike.
Figures are medians over the repeats, and every ratio compares numbers measured in this
one run, under one Python. The report (:mod:`benchmarks.report`) is printed and written to
``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import interpreters, report
from benchmarks.interpreters import Environments, Interpreter
from benchmarks.worker import TRAINERS
from benchmarks.workloads.compiled import VARIANTS
from benchmarks.workloads.engines import available

ROOT = interpreters.ROOT
RESULTS = ROOT / "benchmarks" / "results.md"

GC_MODES = ("default", "off")
FAST = ("compiled", "compiled_loss_only", "floor")
"""Trainers whose steps take milliseconds (run in rounds: see :class:`Config`)."""
T = TypeVar("T")


@dataclass(frozen=True)
class Config:
    """How much to measure. ``FULL`` is the published run; ``QUICK`` checks that all runs."""

    steps: int  # training steps per process, the same for every engine (workloads A, C)
    # The floor and the compiled steps take milliseconds: each process runs its steps this
    # many times from the same initial weights, so that a scheduler hiccup weighs little.
    fast_rounds: int
    repeats: int  # fresh processes per engine, GC mode and Python
    points: int  # workload A's batch: 100 is micrograd's demo
    agree_steps: int  # eager against compiled, bit for bit
    # The one-time cost's scaling: (points in the batch, processes), smallest first. Few
    # processes at the largest: its first call alone takes tens of seconds.
    compile_runs: tuple[tuple[int, int], ...]
    # tracemalloc slows the compile 20-40x, and more as the graph grows; a batch is measured
    # under it only if, scaled from the batch before, it should take at most this many
    # seconds, and a run that takes longer is stopped.
    traced_seconds: float
    chain_sizes: tuple[int, ...]  # workload B, autograd_mini
    chain_sizes_micrograd: tuple[int, ...]  # micrograd takes seconds per run at 10^6
    chain_repeats: int  # a chain of 10^4 nodes takes milliseconds: more runs for its median
    memory_sizes: tuple[int, ...]  # workload B's tracemalloc runs, autograd_mini
    memory_sizes_micrograd: tuple[int, ...]  # and micrograd (minutes under tracemalloc at 10^6)
    profile_steps: int

    @property
    def compile_points(self) -> tuple[int, ...]:
        return tuple(points for points, _ in self.compile_runs)

    @property
    def name(self) -> str:
        return "full" if self == FULL else "quick" if self == QUICK else "custom"


# Sized to take about 15 minutes for three Pythons on a loaded 2-core machine; micrograd's
# steps with the default collector (about 2 s each) are most of workload A.
FULL = Config(steps=8, fast_rounds=20, repeats=3, points=100, agree_steps=100,
              compile_runs=((10, 3), (100, 2), (1000, 1)), traced_seconds=30.0, chain_sizes=(10**4, 10**5, 10**6),
              chain_sizes_micrograd=(10**4, 10**5), chain_repeats=9, memory_sizes=(10**4, 10**5),
              memory_sizes_micrograd=(10**4, 10**5), profile_steps=5)
QUICK = Config(steps=2, fast_rounds=2, repeats=1, points=20, agree_steps=3, compile_runs=((5, 1), (10, 1)),
               traced_seconds=5.0, chain_sizes=(10**3, 10**4),
               chain_sizes_micrograd=(10**3, 10**4), chain_repeats=1, memory_sizes=(10**3,),
               memory_sizes_micrograd=(10**3,), profile_steps=1)


# ---------------------------------------------------------------------------- running


class Workers:
    """Starts workers: one fresh process per task, under the interpreter asked for."""

    def __init__(self) -> None:
        self.environments = Environments()

    def run(self, interpreter: Interpreter, task: dict[str, Any],
            timeout: float | None = None) -> dict[str, Any]:
        """Run one task in a fresh ``interpreter`` and return its JSON result.

        Past ``timeout`` seconds the worker is killed and ``subprocess.TimeoutExpired``
        raised.
        """
        completed = subprocess.run(
            [interpreter.executable, "-m", "benchmarks.worker", json.dumps(task)],
            cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout,
            env=self.environments.for_interpreter(interpreter),
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"benchmark task {task} failed under Python {interpreter.version}"
                f" ({interpreter.executable}, exit {completed.returncode}):\n{completed.stderr}"
            )
        result: dict[str, Any] = json.loads(completed.stdout)
        return result

    def close(self) -> None:
        self.environments.close()


def chain_key(name: str, gc_mode: str) -> str:
    """How a chain timing is labelled: the engine, plus "(GC off)" when the GC was off."""
    return name if gc_mode == "default" else f"{name} (GC off)"


def alternate(names: Sequence[T], repeat: int) -> list[T]:
    """The engines in turn, in reverse order on every other repeat.

    >>> alternate(["a", "b", "c"], 0), alternate(["a", "b", "c"], 1)
    (['a', 'b', 'c'], ['c', 'b', 'a'])
    """
    return list(names) if repeat % 2 == 0 else list(reversed(names))


def _trainers() -> list[str]:
    return [name for name in TRAINERS if name != "micrograd" or available("micrograd")]


def measure(config: Config, log: Callable[[str], None],
            pythons: Sequence[Interpreter] | None = None) -> dict[str, Any]:
    """Run every workload under every interpreter; the raw results, by Python and workload."""
    pythons = list(pythons) if pythons else [interpreters.current()]
    trainers = _trainers()
    graph_engines = [name for name in ("autograd_mini", "micrograd") if name in trainers]
    workers = Workers()
    started = time.perf_counter()
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {
        p.version: {
            "training": {mode: {name: [] for name in trainers} for mode in GC_MODES},
            "compile_time": {v: {n: [] for n in config.compile_points} for v in VARIANTS},
            "compile_memory": {v: {} for v in VARIANTS},
            "chain_time": {}, "chain_memory": {name: {} for name in graph_engines},
        }
        for p in pythons
    }
    try:
        for repeat in range(config.repeats):
            for python in alternate(pythons, repeat):
                for mode in GC_MODES:
                    for name in alternate(trainers, repeat):
                        log(f"A: Python {python.version}, {name}, GC {mode},"
                            f" repeat {repeat + 1}/{config.repeats}")
                        task = {"task": "train", "engine": name, "steps": config.steps,
                                "gc": mode, "points": config.points,
                                "rounds": config.fast_rounds if name in FAST else 1}
                        results[python.version]["training"][mode][name].append(
                            workers.run(python, task))

        for python in pythons:
            log(f"agreement: Python {python.version}, {config.agree_steps} steps eager and compiled")
            results[python.version]["agree"] = workers.run(
                python, {"task": "agree", "steps": config.agree_steps, "points": config.points})

        for repeat in range(max(processes for _, processes in config.compile_runs)):
            for points, processes in config.compile_runs:
                if repeat >= processes:
                    continue
                for python in alternate(pythons, repeat):
                    for variant in alternate(VARIANTS, repeat):
                        log(f"compile time: Python {python.version}, {variant}, {points} points,"
                            f" repeat {repeat + 1}/{processes}")
                        task = {"task": "compile_time", "variant": variant, "points": points}
                        results[python.version]["compile_time"][variant][points].append(
                            workers.run(python, task))

        for python in pythons:
            for variant in VARIANTS:
                took = None
                previous = 0
                for points in config.compile_points:
                    if took is not None and took * points / previous > config.traced_seconds:
                        break
                    log(f"compile memory: Python {python.version}, {variant}, {points} points")
                    task = {"task": "compile_memory", "variant": variant, "points": points}
                    try:
                        result = workers.run(python, task, timeout=config.traced_seconds)
                    except subprocess.TimeoutExpired:
                        results[python.version]["compile_memory"][variant][points] = {
                            "timeout": config.traced_seconds}
                        break
                    results[python.version]["compile_memory"][variant][points] = result
                    took, previous = result["seconds"], points

        # autograd_mini's chain is timed with the GC off too, to show the collector's share.
        chain_runs = [(name, "default") for name in graph_engines] + [("autograd_mini", "off")]
        def sizes(name: str) -> tuple[int, ...]:
            return config.chain_sizes_micrograd if name == "micrograd" else config.chain_sizes

        for python in pythons:
            results[python.version]["chain_time"] = {
                chain_key(name, mode): {n: [] for n in sizes(name)} for name, mode in chain_runs}
        for repeat in range(config.chain_repeats):
            for n in sorted(set(config.chain_sizes) | set(config.chain_sizes_micrograd)):
                for python in alternate(pythons, repeat):
                    for name, mode in alternate(chain_runs, repeat):
                        if n not in sizes(name):
                            continue
                        log(f"B time: Python {python.version}, {name}, GC {mode}, n={n},"
                            f" repeat {repeat + 1}/{config.chain_repeats}")
                        task = {"task": "chain_time", "engine": name, "n": n, "gc": mode}
                        results[python.version]["chain_time"][chain_key(name, mode)][n].append(
                            workers.run(python, task))

        for python in pythons:
            for name in graph_engines:
                sizes = config.memory_sizes_micrograd if name == "micrograd" else config.memory_sizes
                for n in sizes:
                    log(f"B memory: Python {python.version}, {name}, n={n}")
                    results[python.version]["chain_memory"][name][n] = workers.run(
                        python, {"task": "chain_memory", "engine": name, "n": n})

        primary = pythons[0]
        log(f"profile: Python {primary.version}, eager training steps and the first compiled call")
        profiles = {
            "eager": workers.run(primary, {"task": "profile", "of": "eager", "top": 14,
                                           "steps": config.profile_steps, "points": config.points}),
            "compile": workers.run(primary, {"task": "profile", "of": "compile", "top": 12,
                                             "points": config.points}),
        }
    finally:
        workers.close()
    return {
        "config": config, "pythons": [p.version for p in pythons], "results": results,
        "profiles": profiles, "primary": primary.version,
        "load": (load_before, os.getloadavg()), "seconds": time.perf_counter() - started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print the report and write it to ``benchmarks/results.md``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a short run to check that everything works (about a minute per Python)")
    parser.add_argument("--python", action="append", metavar="VERSION",
                        help="measure under this CPython only (3.11, 3.12, 3.13; repeat the"
                             " option for several); default: every one the machine has")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="where to write the Markdown report (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    try:
        pythons = interpreters.select(args.python, interpreters.find())
    except ValueError as exc:
        parser.error(str(exc))
    if not available("micrograd"):
        print('micrograd is not installed: comparing with the floor only; for the comparison'
              ' install the bench extra: pip install "autograd-mini[bench]"', file=sys.stderr)
    previous = report.previous_digits(args.output.read_text()) if args.output.exists() else None
    started = time.perf_counter()

    def log(text: str) -> None:
        elapsed = int(time.perf_counter() - started)
        print(f"[{elapsed // 60:3d}:{elapsed % 60:02d}] {text}", file=sys.stderr)

    raw = measure(QUICK if args.quick else FULL, log, pythons)
    raw["previous"] = previous
    text = report.report(raw, report.summarize(raw))
    print(text)
    if not args.no_write:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
