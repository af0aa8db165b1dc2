"""The benchmark report: medians and ratios from the raw results, the targets, and Markdown.

:func:`summarize` is pure computation on what :func:`benchmarks.run.measure` returned;
:func:`report` writes it as Markdown, one column per Python wherever figures are compared
across interpreters; :func:`previous_digits` reads the eager engine's losses back from a
previous report, so that a run can tell whether the engine still gives the same digits.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

GC_MODES = ("default", "off")
LABELS = {
    "autograd_mini": "autograd_mini eager",
    "compiled": "autograd_mini compiled",
    "compiled_loss_only": "autograd_mini compiled, loss only",
    "micrograd": "micrograd",
    "floor": "floor (hand-written floats)",
}
VARIANT_OF = {"compiled": "notebook", "compiled_loss_only": "loss_only"}
VARIANT_LABELS = {"notebook": "notebook step (loss and scores)", "loss_only": "loss only"}
ISSUES = {
    13: "issue 13: the eager engine",
    12: "issue 12: the compiled mode",
}


@dataclass
class Target:
    """One target of an issue, measured under each Python: ``cells[version] = (text, met)``."""

    issue: int
    what: str
    goal: str
    cells: dict[str, tuple[str, bool | None]] = field(default_factory=dict)


# ---------------------------------------------------------------------------- summaries


def _after_first(run: dict[str, Any], times: list[float]) -> list[float]:
    """Each round's times after its first step (a process may run its steps in rounds)."""
    steps = run.get("steps", len(times))
    later = [t for i, t in enumerate(times) if i % steps != 0]
    return later or times


def steady(run: dict[str, Any]) -> float:
    """Mean seconds per step after the first (the first is warm-up, or the compile).

    >>> steady({"seconds": [9.0, 1.0, 2.0]})
    1.5
    >>> steady({"seconds": [9.0, 1.0, 2.0, 5.0, 3.0, 4.0], "steps": 3, "rounds": 2})
    2.5
    """
    later = _after_first(run, run["seconds"])
    return float(sum(later)) / len(later)


def phase_mean(run: dict[str, Any], phase: str) -> float:
    """Mean seconds of one phase per step, after the first step of each round."""
    later = _after_first(run, run[phase])
    return float(sum(later)) / len(later)


def median_of(runs: Sequence[dict[str, Any]], metric: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(metric(run) for run in runs)


def ratio_text(value: float) -> str:
    """A ratio with three significant digits, or whole above 100.

    >>> ratio_text(14.08), ratio_text(0.16349), ratio_text(417.6)
    ('14.1', '0.163', '418')
    """
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def summarize_python(results: dict[str, Any]) -> dict[str, Any]:
    """Medians and per-node figures for one Python's results (no targets)."""
    training = results["training"]
    nodes = training["default"]["autograd_mini"][0]["nodes"]
    step = {mode: {name: median_of(runs, steady) for name, runs in by_name.items() if runs}
            for mode, by_name in training.items()}
    once = {mode: {name: median_of(runs, lambda run: run["seconds"][0] - steady(run))
                   for name, runs in by_name.items() if name in VARIANT_OF and runs}
            for mode, by_name in training.items()}
    phase = {
        mode: {
            name: {p: median_of(runs, lambda run, p=p: phase_mean(run, p)) / max(nodes, 1)
                   for p in ("forward", "backward")}
            for name, runs in by_name.items() if runs and "forward" in runs[0]
        }
        for mode, by_name in training.items()
    }
    losses = {name: [repr(x) for x in runs[0]["losses"]]
              for name, runs in training["default"].items() if runs}

    compile_time: dict[str, dict[int, dict[str, Any]]] = {}
    for variant, by_points in results["compile_time"].items():
        compile_time[variant] = {}
        for points, runs in by_points.items():
            if not runs:
                continue
            growth = [run["rss_growth"] for run in runs if run["rss_growth"] is not None]
            compile_time[variant][points] = {
                "nodes": runs[0]["nodes"], "lines": runs[0]["lines"],
                "once": median_of(runs, lambda run: run["once"]),
                "per_node": median_of(runs, lambda run: run["once"] / run["nodes"]),
                "rss_per_node": max(growth) / runs[0]["nodes"] if growth else None,
            }
    compile_memory = {
        variant: {points: {"peak": r["peak"] / r["nodes"], "retained": r["retained"] / r["nodes"],
                           "nodes": r["nodes"]} if "timeout" not in r else {"timeout": r["timeout"]}
                  for points, r in by_points.items()}
        for variant, by_points in results["compile_memory"].items()
    }

    chain: dict[str, dict[int, dict[str, float]]] = {}
    for name, by_n in results["chain_time"].items():
        chain[name] = {}
        for n, runs in by_n.items():
            chain[name][n] = {
                "forward": median_of(runs, lambda run: run["forward"]),
                "backward": median_of(runs, lambda run: run["backward"]),
            }
    memory = {name: {n: {"graph": r["graph"], "peak": r["peak"]} for n, r in by_n.items()}
              for name, by_n in results["chain_memory"].items()}
    return {"nodes": nodes, "step": step, "once": once, "phase": phase, "losses": losses,
            "agree": results.get("agree"), "compile_time": compile_time,
            "compile_memory": compile_memory, "chain": chain, "memory": memory}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    """Per-Python summaries (``by_python``) and the targets of issues 13 and 12."""
    by_python = {version: summarize_python(raw["results"][version]) for version in raw["pythons"]}
    return {"by_python": by_python, "targets": targets(by_python, raw.get("previous"))}


def _ratio_target(target: Target, version: str, value: float | None, met: Callable[[float], bool]
                  ) -> None:
    target.cells[version] = ("not measured", None) if value is None else (
        ratio_text(value), met(value))


def targets(by_python: dict[str, dict[str, Any]], previous: dict[str, Any] | None) -> list[Target]:
    """The targets of issues 13 and 12, each measured under every Python."""
    made: dict[str, Target] = {}

    def target(issue: int, what: str, goal: str) -> Target:
        return made.setdefault(what, Target(issue, what, goal))

    for version, s in by_python.items():
        step, chain, memory = s["step"], s["chain"], s["memory"]
        has_micrograd = "micrograd" in step["default"]
        # ---- issue 13: the eager engine
        for mode, goal in (("default", 12.0), ("off", 2.0)):
            value = step[mode]["micrograd"] / step[mode]["autograd_mini"] if has_micrograd else None
            _ratio_target(target(13, f"A: micrograd / eager, per step, GC {mode}",
                                 f">= {goal:g}"), version, value, lambda v, g=goal: v >= g)
        digits = _previous_comparison(previous, version, s["agree"]["eager_losses"])
        target(13, "Digits: eager losses equal the previous run's (results.md)",
               "equal").cells[version] = digits
        sizes = sorted(chain.get("autograd_mini", {}))
        if len(sizes) >= 2:
            small, large = sizes[0], sizes[-1]
            a, b = chain["autograd_mini"][large], chain["autograd_mini"][small]
            growth = (a["forward"] + a["backward"]) / (b["forward"] + b["backward"])
            _ratio_target(target(13, f"B: forward + backward per node, n={large:.0e} /"
                                     f" n={small:.0e}, GC default", "<= 1.5"),
                          version, growth, lambda v: v <= 1.5)
        common = sorted(set(memory.get("autograd_mini", {})) & set(memory.get("micrograd", {})))
        if common:
            n = common[-1]
            # The issue's target is the built graph; the peak during backward() (the graph
            # plus a float gradient, the order and the saved gradients per node) is in the
            # memory table.
            share = memory["autograd_mini"][n]["graph"] / memory["micrograd"][n]["graph"]
            _ratio_target(target(13, f"B: memory per node (graph), eager / micrograd, n={n:.0e}",
                                 "<= 0.2"), version, share, lambda v: v <= 0.2)
        # ---- issue 12: the compiled mode
        for name in ("compiled", "compiled_loss_only"):
            if name not in step["default"]:
                continue
            label = VARIANT_LABELS[VARIANT_OF[name]]
            value = (step["default"]["micrograd"] / step["default"][name]) if has_micrograd else None
            _ratio_target(target(12, f"A: micrograd / compiled, per step, GC default ({label})",
                                 ">= 250"), version, value, lambda v: v >= 250)
            _ratio_target(target(12, f"A: compiled / floor, per step, GC default ({label})",
                                 "<= 1"), version, step["default"][name] / step["default"]["floor"],
                          lambda v: v <= 1)
        agree = s["agree"]
        equal = agree["mismatch"] is None
        target(12, f"Bit for bit: eager and compiled, {agree['steps']} steps (loss, accuracy,"
                   f" scores, {agree['params']} gradients; repr)", "equal").cells[version] = (
            f"yes ({agree['equal_steps']} of {agree['steps']} steps)" if equal
            else f"no: {agree['mismatch']}", equal)
        for name in ("compiled", "compiled_loss_only"):
            if name not in s["once"]["default"]:
                continue
            label = VARIANT_LABELS[VARIANT_OF[name]]
            value = s["once"]["default"][name] / step["default"]["micrograd"] if has_micrograd else None
            _ratio_target(target(12, f"Compile: one-time cost / one micrograd step, GC default"
                                     f" ({label})", "<= 1"), version, value, lambda v: v <= 1)
        for variant, by_points in s["compile_time"].items():
            label = VARIANT_LABELS[variant]
            points = sorted(by_points)
            if len(points) >= 2:
                small, large = by_points[points[0]], by_points[points[-1]]
                _ratio_target(target(12, f"Compile: per-node cost, {points[-1]} points /"
                                         f" {points[0]} points ({label})", "<= 1.5"),
                              version, large["per_node"] / small["per_node"], lambda v: v <= 1.5)
            if points and by_points[points[-1]]["rss_per_node"] is not None:
                largest = by_points[points[-1]]
                value = largest["rss_per_node"]
                target(12, f"Compile: peak memory per node, {points[-1]} points, resident"
                           f" ({label})", "< 1000 B").cells[version] = (
                    f"{value:.0f} B", value < 1000)
        for variant, by_points in s["compile_memory"].items():
            measured = {p: figures for p, figures in by_points.items() if "peak" in figures}
            if measured:
                points = max(measured)
                value = by_points[points]["peak"]
                target(12, f"Compile: peak memory per node, largest batch under tracemalloc"
                           f" ({VARIANT_LABELS[variant]})", "< 1000 B").cells[version] = (
                    f"{value:.0f} B ({points} points)", value < 1000)
    return list(made.values())


# ------------------------------------------------------------------ previous digits

_DIGITS_LINE = re.compile(r"^- Python ([0-9.]+), steps 1-(\d+): `([^`]*)`$", re.MULTILINE)
_OLD_FINAL = re.compile(r"final losses ([0-9.]+) to ([0-9.]+)")
_OLD_STEPS = re.compile(r"Run: (\d+) training steps per process")


def previous_digits(text: str) -> dict[str, Any] | None:
    """The eager engine's losses as a previous report printed them, or ``None``.

    This report lists every step's loss (``repr``) per Python; reports written before it
    gave the final loss of the run to 12 decimals.

    >>> previous_digits("- Python 3.11.7, steps 1-2: `0.5 0.25`")
    {'losses': {'3.11.7': ['0.5', '0.25']}}
    >>> previous_digits("- Run: 20 training steps per process ... final losses 0.2774 to 0.2774")
    {'final': {'step': 20, 'text': ['0.2774', '0.2774']}}
    >>> previous_digits("nothing") is None
    True
    """
    found = {version: losses.split() for version, _, losses in _DIGITS_LINE.findall(text)}
    if found:
        return {"losses": found}
    final, steps = _OLD_FINAL.search(text), _OLD_STEPS.search(text)
    if final and steps:
        return {"final": {"step": int(steps.group(1)), "text": [final.group(1), final.group(2)]}}
    return None


def _previous_comparison(previous: dict[str, Any] | None, version: str,
                         losses: list[str]) -> tuple[str, bool | None]:
    """Whether ``losses`` (``repr``) agree with a previous report's, as a target cell."""
    if previous is None:
        return "no previous run", None
    if "losses" in previous:
        theirs = previous["losses"].get(version) or next(iter(previous["losses"].values()))
        n = min(len(theirs), len(losses))
        same = theirs[:n] == losses[:n]
        return f"{'yes' if same else 'no'} ({n} steps)", same
    final = previous["final"]
    step = final["step"]
    if step > len(losses):
        return f"not comparable (the previous run printed step {step})", None
    printed = f"{float(losses[step - 1]):.12f}"
    same = all(text == printed for text in final["text"])
    return f"{'yes' if same else 'no'} (step {step}, {printed}, 12 decimals as printed)", same


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


def _agreement(losses: dict[str, list[str]], name: str) -> str:
    """How an engine's losses compare with the eager engine's: ``equal``, or how far off.

    >>> _agreement({"autograd_mini": ["1.0", "0.5"], "floor": ["1.0", "0.5000000000000001"]}, "floor")
    'to 2.2e-16'
    """
    ours, theirs = losses["autograd_mini"], losses.get(name, [])
    if ours == theirs:
        return f"equal ({len(ours)} steps)"
    if len(ours) != len(theirs):
        return f"{len(theirs)} steps, not {len(ours)}"
    worst = max(abs(float(a) - float(b)) / max(abs(float(a)), 1e-300) for a, b in zip(ours, theirs))
    return f"to {worst:.1e}"


def _python_header(versions: Sequence[str]) -> list[str]:
    return [f"Python {version}" for version in versions]


def _cell(s: dict[str, Any], *keys: Any, fmt: Callable[[float], str]) -> str:
    value: Any = s
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return "-"
        value = value[key]
    return "-" if value is None else fmt(value)


def report(raw: dict[str, Any], summary: dict[str, Any]) -> str:
    """The results as Markdown: machine, workloads, compile cost, targets, profiles, digits."""
    config = raw["config"]
    versions: list[str] = raw["pythons"]
    by_python = summary["by_python"]
    first = by_python[versions[0]]
    (before, after) = raw["load"]
    trainers = [name for name in LABELS if name in first["step"]["default"]]
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks`" + (" --quick" if config.name == "quick" else "")
        + "; every ratio below compares figures measured in this one run, under one Python."
        " Regenerate rather than edit.",
        "",
        f"- Date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs,"
        " shared with other work: timings are noisy, read the ratios rather than the times",
        f"- Pythons: {', '.join('CPython ' + v for v in versions)} (the same workers under each)",
        f"- Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in before)};"
        f" after: {', '.join(f'{x:.2f}' for x in after)}",
        f"- Run: {config.steps} training steps per process (the floor and the compiled steps,"
        f" which take milliseconds, run them {config.fast_rounds} times over from the same"
        " initial weights); fresh processes per engine, GC mode"
        f" and Python: {config.repeats}, engines and Pythons alternating; per chain size:"
        f" {config.chain_repeats}; per compile batch: "
        + ", ".join(f"{n} at {points} points" for points, n in config.compile_runs) + "; medians."
        f" Took {raw['seconds'] / 60:.1f} min.",
        "",
        "## Workload A: micrograd's demo as its notebook runs it, milliseconds per step",
        "",
        f"Two moons ({config.points} points, noise 0.1), `MLP(2, [16, 16, 1])`, hinge loss +"
        f" 1e-4 L2, full batch, SGD; {first['nodes']} graph nodes per step. As in the notebook,"
        " `total_loss, acc = loss()` computes the accuracy from the scores and rebinds the"
        " previous step's loss only once the next graph is built. Per step: the mean of a"
        " process's steps after its first (the compiled step's first call is its compile,"
        " reported below; later rounds replay the same trace). \"GC off\": the cyclic garbage"
        " collector disabled, with"
        " `gc.collect()` between steps outside the timers.",
        "",
        "The compiled rows run `step = compile(loss, params=model.parameters(), ...)` once per"
        " process and then `model.zero_grad(); total_loss, scores = step()`, with the"
        " accuracy computed from the scores returned. They compile the notebook's loss"
        " returning its scores (`has_aux=True`), not its `loss()` as written: that reads"
        " `scorei.data` for the accuracy, which a trace cannot see, so a compiled step would"
        " return the traced step's accuracy every step (`check=True` reports it). The"
        " \"loss only\" row compiles the loss without scores or accuracy.",
        "",
    ]
    rows = [[LABELS[name], f"GC {mode}"] + [_cell(by_python[v], "step", mode, name, fmt=_ms)
                                           for v in versions]
            for name in trainers for mode in GC_MODES]
    lines += table(["engine", "", *_python_header(versions)], rows)

    def ratio(a: str, b: str, mode: str) -> list[str]:
        cells = []
        for v in versions:
            step = by_python[v]["step"][mode]
            cells.append(f"{ratio_text(step[a] / step[b])}x" if a in step and b in step else "-")
        return cells

    pairs = [("micrograd", "autograd_mini"), ("micrograd", "compiled"),
             ("micrograd", "compiled_loss_only"), ("autograd_mini", "floor"),
             ("compiled", "floor"), ("compiled_loss_only", "floor")]
    rows = [[f"{LABELS[a]} / {LABELS[b]}", f"GC {mode}", *ratio(a, b, mode)]
            for a, b in pairs if a in trainers and b in trainers for mode in GC_MODES]
    lines += ["", "Ratios of time per step (above 1: the second is faster):", ""]
    lines += table(["ratio", "", *_python_header(versions)], rows)

    lines += ["", "### The same numbers from every engine", ""]
    lines += [f"The losses of workload A's first process per engine against the eager"
              f" engine's, every step (`equal`: the same `repr()`; else the largest relative"
              f" difference); and the eager and compiled steps side by side for"
              f" {config.agree_steps} steps, comparing by `repr()` the loss, the accuracy, the"
              f" {config.points} scores and every parameter's gradient. micrograd sums each"
              " gradient in the order of its topological sort, which walks sets of parents, and"
              " the floor in the order of its loops: both agree with the eager engine to"
              " rounding, not bit for bit.", ""]
    rows = [[LABELS[name]] + [_agreement(by_python[v]["losses"], name) for v in versions]
            for name in trainers if name != "autograd_mini"]
    cells = []
    for v in versions:
        agree = by_python[v]["agree"]
        cells.append(f"{agree['equal_steps']} of {agree['steps']} steps equal, {agree['traces']}"
                     " trace" + ("" if agree["mismatch"] is None
                                 else f"; first difference: {agree['mismatch']}"))
    rows.append(["eager and compiled side by side", *cells])
    lines += table(["losses against the eager engine's", *_python_header(versions)], rows)

    lines += _compile_section(config, versions, by_python)

    lines += ["", "## Workload C: the MLP step per graph node", "",
              "Microseconds per graph node of workload A; for the floor, per node of the graph"
              " it does not build (the same arithmetic). Forward includes the accuracy;"
              " backward includes `zero_grad()`.", ""]
    rows = []
    for name in ("autograd_mini", "micrograd", "floor"):
        if name not in trainers:
            continue
        for mode in GC_MODES:
            for p in ("forward", "backward"):
                rows.append([LABELS[name], f"{p}, GC {mode}"]
                            + [_cell(by_python[v], "phase", mode, name, p, fmt=_us) for v in versions])
    lines += table(["engine", "phase", *_python_header(versions)], rows)

    lines += _chain_section(versions, by_python)

    for issue, title in ISSUES.items():
        lines += ["", f"## Targets ({title})", ""]
        rows = []
        for t in summary["targets"]:
            if t.issue != issue:
                continue
            cells = []
            for v in versions:
                text, met = t.cells.get(v, ("-", None))
                cells.append(text if met is None else f"{text}: {'yes' if met else '**no**'}")
            rows.append([t.what, t.goal, *cells])
        lines += table(["target", "goal", *_python_header(versions)], rows)

    lines += _profile_section(raw)

    lines += ["", "## Digits: the eager engine's losses", "",
              f"The eager engine's loss after each of the first {config.agree_steps} steps of"
              " the notebook's loop (`repr`), from the bit-for-bit check. The next run compares"
              " its own with these.", ""]
    for v in versions:
        losses = by_python[v]["agree"]["eager_losses"]
        lines.append(f"- Python {v}, steps 1-{len(losses)}: `{' '.join(losses)}`")
    lines.append("")
    return "\n".join(lines)


def _compile_section(config: Any, versions: list[str], by_python: dict[str, Any]) -> list[str]:
    """The one-time cost of the compiled step, its scaling with the batch, and its memory."""
    header = _python_header(versions)
    lines = ["", "## The compiled step's one-time cost", "",
             "The first call of a compiled step traces the loss on Values (the eager engine"
             " builds its graph once), generates Python from the graph and compiles it with"
             " `compile()`, then replays it once. One-time cost: the first step's time minus a"
             f" steady step's, from workload A's processes ({config.points} points), against"
             " one micrograd step measured in the same run.", ""]
    rows = []
    for name in ("compiled", "compiled_loss_only"):
        label = VARIANT_LABELS[VARIANT_OF[name]]
        for mode in GC_MODES:
            rows.append([f"one-time cost, {label}", f"GC {mode}"]
                        + [_cell(by_python[v], "once", mode, name, fmt=lambda x: f"{x:.2f} s")
                           for v in versions])
    for mode in GC_MODES:
        rows.append(["one micrograd step", f"GC {mode}"]
                    + [_cell(by_python[v], "step", mode, "micrograd", fmt=lambda x: f"{x:.2f} s")
                       for v in versions])
    lines += table(["", "", *header], rows)

    lines += ["", "Scaling with the graph: the same demo on batches of"
              f" {', '.join(map(str, config.compile_points))} points, each first call in its own"
              " process, default GC. Microseconds of one-time cost per traced node; lines of"
              " generated Python.", ""]
    rows = []
    for variant in VARIANT_LABELS:
        points = sorted({p for v in versions for p in by_python[v]["compile_time"].get(variant, {})})
        for p in points:
            s0 = by_python[versions[0]]["compile_time"][variant].get(p, {})
            rows.append([VARIANT_LABELS[variant], str(p), f"{s0.get('nodes', '-'):,}",
                         str(s0.get("lines", "-"))]
                        + [_cell(by_python[v], "compile_time", variant, p, "per_node", fmt=_us)
                           for v in versions])
    lines += table(["step", "points", "nodes", "lines", *header], rows)

    lines += ["", "Memory per traced node during the first call, in bytes: `resident`, how far"
              " the process's peak resident memory rose (the timing runs); `traced`, the peak"
              " that tracemalloc saw (runs of their own: tracemalloc slows the compile 20-40x, and"
              f" more on larger graphs, so a batch is measured under it only where that takes"
              f" {config.traced_seconds:.0f} s or less; `over N s`: stopped).",
              ""]
    rows = []
    for variant in VARIANT_LABELS:
        points = sorted({p for v in versions for p in by_python[v]["compile_time"].get(variant, {})})
        for p in points:
            cells = []
            for v in versions:
                cells.append(_cell(by_python[v], "compile_time", variant, p, "rss_per_node",
                                   fmt=lambda x: f"{x:.0f}"))
                figures = by_python[v]["compile_memory"].get(variant, {}).get(p, {})
                cells.append(f"{figures['peak']:.0f}" if "peak" in figures else
                             f"over {figures['timeout']:.0f} s" if "timeout" in figures else "-")
            rows.append([VARIANT_LABELS[variant], str(p), *cells])
    lines += table(["step", "points", *[f"{h} {kind}" for h in header
                                        for kind in ("resident", "traced")]], rows)
    return lines


def _chain_section(versions: list[str], by_python: dict[str, Any]) -> list[str]:
    header = _python_header(versions)
    lines = ["", "## Workload B: a chain of N nodes", "",
             "Microseconds per node, forward (building the chain) / backward (default GC unless"
             " marked). micrograd's recursive topological sort runs under a raised recursion"
             " limit (CPython 3.11+ needs no C stack for Python-to-Python calls).", ""]
    rows = _rows_per_size(by_python, versions, "chain",
                          lambda figures: f"{_us(figures['forward'])} / {_us(figures['backward'])}")
    lines += table(["engine", "N", *header], rows)
    lines += ["", "Bytes per node (tracemalloc): `graph` is the chain once built, `peak` the most"
              " held during `backward()`. micrograd's memory is measured only where tracemalloc"
              " takes seconds, not minutes (bytes per node do not depend on N); the memory"
              " ratio is taken at the largest N measured for both.", ""]
    rows = _rows_per_size(by_python, versions, "memory",
                          lambda figures: f"{figures['graph']:.0f} / {figures['peak']:.0f}")
    lines += table(["engine", "N", *[f"{h} graph / peak" for h in header]], rows)
    return lines


def _rows_per_size(by_python: dict[str, Any], versions: list[str], key: str,
                   cell: Callable[[dict[str, float]], str]) -> list[list[str]]:
    """A row per engine and chain size of ``by_python[v][key]``, a cell per Python."""
    rows = []
    for name, sizes in by_python[versions[0]][key].items():
        for n in sorted(sizes):
            figures = [by_python[v][key].get(name, {}).get(n) for v in versions]
            rows.append([name, f"{n:,}", *("-" if f is None else cell(f) for f in figures)])
    return rows


def _profile_section(raw: dict[str, Any]) -> list[str]:
    profiles = raw.get("profiles") or {}
    lines: list[str] = []
    titles = {
        "eager": "Where the eager engine's time goes",
        "compile": "Where the compile's time goes",
    }
    for of, profile in profiles.items():
        what = (f"{profile['steps']} training step(s) of workload A" if of == "eager"
                else "the first call of workload A's compiled notebook step (trace, codegen,"
                     " `compile()`, one replay)")
        lines += ["", f"## {titles[of]}", "",
                  f"cProfile of {what}, under Python {raw['primary']}, default GC, by own time."
                  " The profiler adds a cost per call, so it overstates small functions: read"
                  " the shares.", ""]
        total = profile["total"]
        lines += table(["function", "calls", "own s", "own %", "cumulative s"],
                       [[f"`{where}`", str(calls), f"{own:.3f}", f"{100 * own / total:.1f}",
                         f"{cumulative:.3f}"]
                        for where, calls, own, cumulative, _ in profile["rows"]])
    return lines
