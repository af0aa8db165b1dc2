"""Run the benchmark suite: ``python -m benchmarks [--quick]`` or ``python benchmarks/run.py``.

Every measurement runs in a fresh interpreter (:mod:`benchmarks.worker`); the engines take
turns within each repeat, and the order flips from one repeat to the next, so that drifting
load on the machine falls on all of them alike. Figures are medians over the repeats, and
every ratio compares numbers measured in this one run. The report is printed and written
to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.workloads.engines import available

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.md"

GC_MODES = ("default", "off")
T = TypeVar("T")
TRAINERS = ("autograd_mini", "micrograd", "floor")


@dataclass(frozen=True)
class Config:
    """How much to measure. ``full`` is the published run; ``quick`` checks that all runs."""

    steps: int  # training steps per process, the same for every engine (workload A, C)
    repeats: int  # fresh processes per engine and GC mode
    chain_sizes: tuple[int, ...]  # workload B
    chain_repeats: int
    # tracemalloc takes minutes on micrograd's 10^6 chain; its bytes per node are flat anyway.
    memory_sizes_micrograd: tuple[int, ...]
    profile_steps: int


FULL = Config(steps=20, repeats=5, chain_sizes=(10**4, 10**5, 10**6), chain_repeats=3,
              memory_sizes_micrograd=(10**4, 10**5), profile_steps=5)
QUICK = Config(steps=3, repeats=1, chain_sizes=(10**4, 10**5), chain_repeats=1,
               memory_sizes_micrograd=(10**4,), profile_steps=1)


# ---------------------------------------------------------------------------- running


def run_worker(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task in a fresh interpreter and return its JSON result."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", json.dumps(task)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark task {task} failed (exit {completed.returncode}):\n{completed.stderr}"
        )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def chain_key(name: str, gc_mode: str) -> str:
    """How a chain timing is labelled: the engine, plus "(GC off)" when the GC was off."""
    return name if gc_mode == "default" else f"{name} (GC off)"


def alternate(names: Sequence[T], repeat: int) -> list[T]:
    """The engines in turn, in reverse order on every other repeat.

    >>> alternate(["a", "b", "c"], 0), alternate(["a", "b", "c"], 1)
    (['a', 'b', 'c'], ['c', 'b', 'a'])
    """
    return list(names) if repeat % 2 == 0 else list(reversed(names))


def measure(config: Config, log: Callable[[str], None]) -> dict[str, Any]:
    """Run every workload; the raw results, grouped by workload."""
    trainers = [name for name in TRAINERS if name == "floor" or available(name)]
    graph_engines = [name for name in trainers if name != "floor"]
    started = time.perf_counter()
    load_before = os.getloadavg()

    training: dict[str, dict[str, list[dict[str, Any]]]] = {
        mode: {name: [] for name in trainers} for mode in GC_MODES
    }
    for repeat in range(config.repeats):
        for mode in GC_MODES:
            for name in alternate(trainers, repeat):
                log(f"A/C: {name}, gc {mode}, repeat {repeat + 1}/{config.repeats}")
                task = {"task": "train", "engine": name, "steps": config.steps, "gc": mode}
                training[mode][name].append(run_worker(task))

    # autograd_mini's chain is timed with the GC off too, to show the collector's share.
    chain_runs = [(name, "default") for name in graph_engines] + [("autograd_mini", "off")]
    chain_time: dict[str, dict[int, list[dict[str, Any]]]] = {
        chain_key(name, mode): {n: [] for n in config.chain_sizes} for name, mode in chain_runs
    }
    for repeat in range(config.chain_repeats):
        for n in config.chain_sizes:
            for name, mode in alternate(chain_runs, repeat):
                log(f"B time: {name}, gc {mode}, n={n}, repeat {repeat + 1}/{config.chain_repeats}")
                task = {"task": "chain_time", "engine": name, "n": n, "gc": mode}
                chain_time[chain_key(name, mode)][n].append(run_worker(task))

    chain_memory: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in graph_engines}
    for n in config.chain_sizes:
        for name in graph_engines:
            if name == "micrograd" and n not in config.memory_sizes_micrograd:
                continue
            log(f"B memory: {name}, n={n}")
            chain_memory[name][n] = run_worker({"task": "chain_memory", "engine": name, "n": n})

    log("profile: autograd_mini training steps")
    profile = run_worker({"task": "profile", "steps": config.profile_steps, "top": 14})
    return {
        "config": config, "training": training, "chain_time": chain_time,
        "chain_memory": chain_memory, "profile": profile,
        "load": (load_before, os.getloadavg()), "seconds": time.perf_counter() - started,
    }


# ---------------------------------------------------------------------------- summaries


def per_step(run: dict[str, Any]) -> float:
    """Mean seconds per training step over one process's steps (all phases)."""
    steps = len(run["forward"])
    return float(sum(run["forward"]) + sum(run["backward"]) + sum(run["update"])) / steps


def phase_mean(run: dict[str, Any], phase: str) -> float:
    return float(sum(run[phase])) / len(run[phase])


def median_of(runs: list[dict[str, Any]], metric: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(metric(run) for run in runs)


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    """Medians and ratios from the raw results (pure computation, no measuring).

    Returns ``step`` (median seconds per step by GC mode and engine), ``phase`` (forward
    and backward seconds per node, for workload C), ``chain`` (seconds and bytes per node),
    the agreement of the engines' losses, and ``targets``: (description, value, goal, met).
    """
    training = raw["training"]
    nodes = training["default"]["autograd_mini"][0]["nodes"]  # the same for every engine
    step = {mode: {name: median_of(runs, per_step) for name, runs in by_name.items()}
            for mode, by_name in training.items()}
    phase = {
        mode: {
            name: {p: median_of(runs, functools.partial(phase_mean, phase=p)) / max(nodes, 1)
                   for p in ("forward", "backward")}
            for name, runs in by_name.items()
        }
        for mode, by_name in training.items()
    }
    final_losses = [runs[0]["losses"][-1] for by_name in training.values()
                    for runs in by_name.values()]
    loss_spread = max(final_losses) - min(final_losses)

    chain: dict[str, dict[int, dict[str, float]]] = {}
    for name, by_n in raw["chain_time"].items():
        chain[name] = {}
        for n, runs in by_n.items():
            chain[name][n] = {
                "forward": median_of(runs, lambda run: run["forward"]),
                "backward": median_of(runs, lambda run: run["backward"]),
            }
            memory = raw["chain_memory"].get(name, {}).get(n)
            if memory is not None:
                chain[name][n]["graph"] = memory["graph"]
                chain[name][n]["peak"] = memory["peak"]

    targets: list[tuple[str, float, str, bool]] = []
    if "micrograd" in step["default"]:
        for mode, goal in (("default", 10.0), ("off", 1.5)):
            ratio = step[mode]["micrograd"] / step[mode]["autograd_mini"]
            targets.append((f"A: micrograd / autograd_mini per step, GC {mode}", ratio,
                            f">= {goal}", ratio >= goal))
    ours = chain.get("autograd_mini", {})
    sizes = sorted(ours)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        for p in ("forward + backward", "forward", "backward"):
            growth = sum(ours[large][q] for q in p.split(" + ")) / sum(
                ours[small][q] for q in p.split(" + "))
            targets.append((f"B: {p} s/node at n={large:.0e} / at n={small:.0e}", growth,
                            "<= 1.5", growth <= 1.5))
    theirs = chain.get("micrograd", {})
    common = [n for n in sizes if "graph" in ours[n] and "graph" in theirs.get(n, {})]
    if common:
        n = common[-1]
        for kind in ("graph", "peak"):
            share = ours[n][kind] / theirs[n][kind]
            targets.append((f"B: memory/node ({kind}) autograd_mini / micrograd, n={n:.0e}",
                            share, "<= 0.333", share <= 1 / 3))
    return {"nodes": nodes, "step": step, "phase": phase, "loss_spread": loss_spread,
            "final_losses": final_losses, "chain": chain, "targets": targets}


# ---------------------------------------------------------------------------- report


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.3f}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table.

    >>> table(["a", "b"], [["1", "2"]])
    ['| a | b |', '|---|---|', '| 1 | 2 |']
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def report(raw: dict[str, Any], summary: dict[str, Any]) -> str:
    """The results as Markdown: machine, workloads A, B, C, targets, profile."""
    config: Config = raw["config"]
    step, phase, chain = summary["step"], summary["phase"], summary["chain"]
    (before, after) = raw["load"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks`" + (" --quick" if config == QUICK else "")
        + "; every ratio below was measured in this one run. Regenerate rather than edit.",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in before)};"
        f" after: {', '.join(f'{x:.2f}' for x in after)} (a shared machine: timings are noisy)",
        f"- Run: {config.steps} training steps per process; fresh processes per engine and"
        f" GC mode: {config.repeats}, engines alternating; per chain size and engine:"
        f" {config.chain_repeats}; medians. Took {raw['seconds']:.0f} s.",
        "",
        "## Workload A: micrograd's demo, seconds per training step",
        "",
        f"Two moons (100 points, noise 0.1), `MLP(2, [16, 16, 1])`, hinge loss + 1e-4 L2, full"
        f" batch, SGD; {summary['nodes']} graph nodes per step. \"GC off\": the cyclic garbage"
        " collector disabled, with `gc.collect()` between steps outside the timers.",
        "",
    ]
    names = list(step["default"])
    rows = []
    for mode in GC_MODES:
        row = [f"GC {mode}"] + [_ms(step[mode][name]) for name in names]
        if "micrograd" in names:
            row.append(f"{step[mode]['micrograd'] / step[mode]['autograd_mini']:.1f}x")
        row.append(f"{step[mode]['autograd_mini'] / step[mode]['floor']:.1f}x")
        rows.append(row)
    header = [""] + [f"{name} (ms/step)" for name in names]
    if "micrograd" in names:
        header.append("micrograd / autograd_mini")
    header.append("autograd_mini / floor")
    lines += table(header, rows)
    lines += [
        "",
        f"All engines train the same network on the same data: final losses "
        f"{min(summary['final_losses']):.12f} to {max(summary['final_losses']):.12f}"
        f" (spread {summary['loss_spread']:.1e}, rounding from summation order).",
        "",
        "## Workload C: the MLP step per graph node",
        "",
        "Microseconds per graph node; for the floor, per node of the graph it does not build"
        " (the same arithmetic). Backward includes `zero_grad()`.",
        "",
    ]
    rows = []
    for mode in GC_MODES:
        for p in ("forward", "backward"):
            rows.append([f"{p}, GC {mode}"] + [_us(phase[mode][name][p]) for name in names])
    lines += table([""] + names, rows)

    lines += ["", "## Workload B: a chain of N nodes", "",
              "Microseconds per node (default GC unless marked); memory in bytes per node"
              " (tracemalloc):"
              " `graph` is the chain after building it, `peak` the most held during"
              " `backward()`. micrograd's recursive topological sort runs under a raised"
              " recursion limit (Python 3.11 needs no C stack for it); its memory is measured"
              " only where tracemalloc takes seconds, not minutes (bytes per node do not"
              " depend on N), and the memory ratio is taken at the largest N measured for"
              " both.", ""]
    rows = []
    for name, by_n in chain.items():
        for n, figures in sorted(by_n.items()):
            memory = [f"{figures[k]:.0f}" if k in figures else "not measured"
                      for k in ("graph", "peak")]
            rows.append([name, f"{n:,}", _us(figures["forward"]), _us(figures["backward"]),
                         *memory])
    lines += table(["engine", "N", "forward us/node", "backward us/node", "graph B/node",
                    "peak B/node"], rows)

    lines += ["", "## Targets (issue 8)", ""]
    lines += table(["target", "measured", "goal", "met"],
                   [[what, f"{value:.3g}", goal, "yes" if met else "**no**"]
                    for what, value, goal, met in summary["targets"]])

    profile = raw["profile"]
    floor_gap = step["default"]["autograd_mini"] / step["default"]["floor"]
    lines += [
        "",
        "## Where autograd_mini's time goes",
        "",
        f"cProfile of {profile['steps']} training step(s) (default GC), by own time. The"
        " profiler adds a cost per call, so it overstates small functions: read the shares.",
        "",
    ]
    total = profile["total"]
    lines += table(["function", "calls", "own s", "own %", "cumulative s"],
                   [[f"`{where}`", str(calls), f"{own:.3f}", f"{100 * own / total:.1f}",
                     f"{cumulative:.3f}"] for where, calls, own, cumulative in profile["rows"]])
    lines += [
        "",
        f"Distance from the floor: autograd_mini takes {floor_gap:.1f}x the time of the"
        " hand-written float code per step with the default GC, "
        f"{step['off']['autograd_mini'] / step['off']['floor']:.1f}x with the GC off.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print the report and write it to ``benchmarks/results.md``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a short run to check that everything works (about a minute)")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="where to write the Markdown report (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not available("micrograd"):
        print('micrograd is not installed: comparing with the floor only; for the comparison'
              ' install the bench extra: pip install "autograd-mini[bench]"', file=sys.stderr)
    raw = measure(QUICK if args.quick else FULL, lambda text: print(text, file=sys.stderr))
    text = report(raw, summarize(raw))
    print(text)
    if not args.no_write:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
