"""The benchmark suite runs, its workloads agree with each other, and its report is well formed.

No timing is asserted here (a shared machine's timings are noise); the benchmarks themselves
live in ``benchmarks/`` and are run with ``python -m benchmarks``.
"""

from __future__ import annotations

import copy
import gc
import math
import weakref
from typing import Any

import pytest

from benchmarks import interpreters, report, run
from benchmarks.workloads import chain, compiled, floor, moons
from benchmarks.workloads.engines import available, count_nodes, load

TINY = run.Config(steps=2, fast_rounds=2, repeats=1, points=10, agree_steps=2, compile_runs=((2, 1), (4, 1)),
                  traced_seconds=5.0, chain_sizes=(100, 1_000),
                  chain_sizes_micrograd=(100,), chain_repeats=1, memory_sizes=(1_000,), memory_sizes_micrograd=(1_000,),
                  profile_steps=1)


def test_floor_and_engine_train_the_same_network() -> None:
    # The floor's forward pass adds and multiplies in the engine's order: the first loss is
    # the same bits. Its gradients sum in another order, so later steps agree to rounding.
    ours = moons.train(load("autograd_mini"), 3, points=20)
    by_hand = floor.train(3, points=20)
    assert repr(ours["losses"][0]) == repr(by_hand["losses"][0])
    for a, b in zip(ours["losses"], by_hand["losses"]):
        assert math.isclose(a, b, rel_tol=1e-13)
    assert ours["accuracies"] == by_hand["accuracies"]
    assert ours["losses"][0] != ours["losses"][1]  # the parameters did move


@pytest.mark.skipif(not available("micrograd"), reason="micrograd comes with the bench extra")
def test_micrograd_trains_the_same_network() -> None:
    # The same forward pass, bit for bit; micrograd sums gradients in the order its sort
    # walks sets of parents, so later steps agree to rounding.
    ours = moons.train(load("autograd_mini"), 3, points=20)
    theirs = moons.train(load("micrograd"), 3, points=20)
    assert ours["nodes"] == theirs["nodes"]
    assert repr(ours["losses"][0]) == repr(theirs["losses"][0])
    for a, b in zip(ours["losses"], theirs["losses"]):
        assert math.isclose(a, b, rel_tol=1e-13)
    assert ours["accuracies"] == theirs["accuracies"]


def test_the_notebook_loop_keeps_the_previous_loss_alive_while_building_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The notebook rebinds total_loss only once loss() has returned: while the next graph
    # is built, the previous one is still referenced (with `del total_loss` it would not be).
    # autograd_mini's graphs hold no cycles, so with the collector off, reference counts
    # alone decide what is alive.
    built: list[weakref.ref[Any]] = []
    alive_at_call: list[int] = []
    original = moons.notebook_loss

    def watched(*args: Any) -> Any:
        alive_at_call.append(sum(ref() is not None for ref in built))
        result = original(*args)
        built.append(weakref.ref(result[0]))
        return result

    monkeypatch.setattr(moons, "notebook_loss", watched)
    gc.disable()
    try:
        moons.train(load("autograd_mini"), 3, points=4, measure_graph=False)
    finally:
        gc.enable()
    assert alive_at_call == [0, 1, 1]


def test_compiled_steps_equal_eager_steps_and_compute_the_accuracy_each_step() -> None:
    agreement = compiled.agree(3, points=10)
    assert agreement["mismatch"] is None and agreement["equal_steps"] == 3
    assert agreement["traces"] == 1 and agreement["params"] == 337
    eager = moons.train(load("autograd_mini"), 4, points=10)
    for variant in compiled.VARIANTS:
        replayed = compiled.train(variant, 4, points=10)
        assert [repr(x) for x in replayed["losses"]] == [repr(x) for x in eager["losses"]]
        assert replayed["nodes"] == eager["nodes"] and replayed["traces"] == 1
    notebook = compiled.train("notebook", 4, points=10)
    assert notebook["accuracies"] == eager["accuracies"]
    assert len(set(eager["accuracies"])) > 1  # the accuracy moves: a frozen one would show


def test_compile_cost_and_memory_are_measured_per_traced_node() -> None:
    timed = compiled.compile_time("loss_only", points=3)
    assert timed["first"] > timed["steady"] > 0 and timed["once"] == timed["first"] - timed["steady"]
    assert timed["nodes"] == compiled.compile_memory("loss_only", points=3)["nodes"] > 1000
    with pytest.raises(ValueError, match="unknown compiled variant 'fast'"):
        compiled.Demo("fast")


def test_chain_has_one_node_per_step_and_outgrows_the_recursion_limit() -> None:
    engine = load("autograd_mini")
    for n in (2, 7, 10):
        assert count_nodes(chain.build(engine, n)) == n + 3  # n interior nodes, 3 leaves
    top = chain.build(engine, 5_000)
    top.backward()  # deeper than the default recursion limit
    assert top.grad == 1.0


# --------------------------------------------------------------- summary and report


def _training_run(per_step: float, nodes: int = 10, losses: tuple[float, ...] = (1.0, 0.5),
                  first: float | None = None) -> dict[str, Any]:
    seconds = [per_step if first is None else first] + [per_step] * (len(losses) - 1)
    return {"nodes": nodes, "losses": list(losses), "accuracies": [0.5] * len(losses),
            "seconds": seconds, "forward": [s / 2 for s in seconds],
            "backward": [s / 2 for s in seconds], "update": [0.0] * len(losses)}


def _python_results(micrograd_default: float, micrograd_off: float) -> dict[str, Any]:
    default = {"autograd_mini": 1.0, "micrograd": micrograd_default, "floor": 0.01}
    off = {"autograd_mini": 1.0, "micrograd": micrograd_off, "floor": 0.01}
    training: dict[str, Any] = {
        mode: {name: [_training_run(s)] for name, s in steps.items()}
        for mode, steps in (("default", default), ("off", off))
    }
    for mode in ("default", "off"):
        training[mode]["compiled"] = [
            {**_training_run(0.008, first=2.008), "lines": 100, "traces": 1}]
        training[mode]["compiled_loss_only"] = [
            {**_training_run(0.004, first=0.504), "lines": 10, "traces": 1}]
    compile_time = {
        "notebook": {10: [{"nodes": 100, "lines": 100, "first": 1.0, "steady": 0.0, "once": 1.0,
                           "rss_growth": 300_000}],
                     1000: [{"nodes": 10_000, "lines": 10_000, "first": 200.0, "steady": 0.0,
                             "once": 200.0, "rss_growth": 30_000_000}]},
        "loss_only": {10: [{"nodes": 100, "lines": 10, "first": 1.0, "steady": 0.0, "once": 1.0,
                            "rss_growth": 50_000}],
                      1000: [{"nodes": 10_000, "lines": 10, "first": 120.0, "steady": 0.0,
                              "once": 120.0, "rss_growth": 5_000_000}]},
    }
    return {
        "training": training,
        "agree": {"steps": 2, "equal_steps": 2, "mismatch": None, "params": 337, "traces": 1,
                  "eager_losses": ["1.0", "0.5"]},
        "compile_time": compile_time,
        "compile_memory": {"notebook": {10: {"nodes": 100, "peak": 400_000, "retained": 1,
                                             "seconds": 1.0},
                                        1000: {"timeout": 30.0}},
                           "loss_only": {}},
        "chain_time": {
            "autograd_mini": {100: [{"forward": 1.0, "backward": 2.0}],
                              1000: [{"forward": 1.2, "backward": 4.0}]},
            "micrograd": {100: [{"forward": 3.0, "backward": 1.0}],
                          1000: [{"forward": 3.0, "backward": 1.0}]},
        },
        "chain_memory": {
            "autograd_mini": {1000: {"graph": 100.0, "peak": 300.0}},
            "micrograd": {1000: {"graph": 600.0, "peak": 600.0}},
        },
    }


def _raw() -> dict[str, Any]:
    return {"config": TINY, "pythons": ["3.11.7", "3.13.0"], "primary": "3.11.7",
            "results": {"3.11.7": _python_results(13.0, 2.5), "3.13.0": _python_results(11.0, 1.5)},
            "profiles": {}, "load": ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0)), "seconds": 60.0,
            "previous": {"losses": {"3.11.7": ["1.0", "0.5"], "3.13.0": ["1.0", "0.25"]}}}


def test_summary_ratios_and_targets_come_from_the_measurements() -> None:
    summary = report.summarize(_raw())
    s = summary["by_python"]["3.11.7"]
    assert s["step"]["default"]["micrograd"] == 13.0
    assert s["step"]["default"]["compiled"] == pytest.approx(0.008)  # the first step left out
    assert s["once"]["default"]["compiled"] == pytest.approx(2.0)
    assert s["phase"]["default"]["autograd_mini"]["forward"] == pytest.approx(0.05)
    met = {(t.what, v): cell for t in summary["targets"] for v, cell in t.cells.items()}
    assert met[("A: micrograd / eager, per step, GC default", "3.11.7")] == ("13", True)
    assert met[("A: micrograd / eager, per step, GC default", "3.13.0")] == ("11", False)
    assert met[("A: micrograd / eager, per step, GC off", "3.11.7")][1] is True
    assert met[("A: micrograd / eager, per step, GC off", "3.13.0")][1] is False
    assert met[("B: forward + backward per node, n=1e+03 / n=1e+02, GC default", "3.11.7")] == (
        "1.73", False)
    assert met[("B: memory per node (graph), eager / micrograd, n=1e+03", "3.11.7")] == (
        "0.167", True)
    assert not any("backward()" in what for what, _ in met)  # the peak: a table, not a target
    assert met[("Digits: eager losses equal the previous run's (results.md)", "3.11.7")] == (
        "yes (2 steps)", True)
    assert met[("Digits: eager losses equal the previous run's (results.md)", "3.13.0")] == (
        "no (2 steps)", False)
    notebook = "(notebook step (loss and scores))"
    assert met[(f"A: micrograd / compiled, per step, GC default {notebook}", "3.11.7")] == (
        "1625", True)
    assert met[(f"A: compiled / floor, per step, GC default {notebook}", "3.11.7")] == (
        "0.8", True)
    assert met[(f"Compile: one-time cost / one micrograd step, GC default {notebook}",
                "3.11.7")] == ("0.154", True)
    assert met[(f"Compile: per-node cost, 1000 points / 10 points {notebook}", "3.11.7")] == (
        "2", False)
    assert met[("Compile: per-node cost, 1000 points / 10 points (loss only)", "3.11.7")] == (
        "1.2", True)
    assert met[(f"Compile: peak memory per node, 1000 points, resident {notebook}", "3.11.7")] == (
        "3000 B", False)
    assert met[(f"Compile: peak memory per node, largest batch under tracemalloc {notebook}",
                "3.11.7")] == ("4000 B (10 points)", False)
    assert met[("Bit for bit: eager and compiled, 2 steps (loss, accuracy, scores, 337"
                " gradients; repr)", "3.11.7")] == ("yes (2 of 2 steps)", True)


def test_a_mismatch_fails_its_target_and_is_named() -> None:
    raw = _raw()
    results = copy.deepcopy(raw["results"]["3.11.7"])
    results["agree"].update(equal_steps=0, mismatch="step 1: the loss is 1.0 eagerly, 2.0 compiled")
    results["training"]["default"]["micrograd"][0]["losses"] = [1.0, 0.75]
    raw["results"]["3.11.7"] = results
    summary = report.summarize(raw)
    met = {(t.what, v): cell for t in summary["targets"] for v, cell in t.cells.items()}
    bit = next(cell for (what, v), cell in met.items() if what.startswith("Bit") and v == "3.11.7")
    assert bit == ("no: step 1: the loss is 1.0 eagerly, 2.0 compiled", False)
    assert "| micrograd | to 5.0e-01 | equal (2 steps) |" in report.report(raw, summary)
    assert "first difference: step 1" in report.report(raw, summary)


def test_previous_digits_reads_back_what_the_report_writes() -> None:
    raw = _raw()
    text = report.report(raw, report.summarize(raw))
    assert "| notebook step (loss and scores) | 1000 | 3000 | over 30 s |" in text
    assert report.previous_digits(text) == {"losses": {"3.11.7": ["1.0", "0.5"],
                                                       "3.13.0": ["1.0", "0.5"]}}
    # The report written before per-step digits: the run's last loss, to 12 decimals.
    old = report.previous_digits("- Run: 2 training steps per process; ... final losses"
                                 " 0.500000000000 to 0.500000000000 (spread 0.0e+00)")
    assert old is not None
    assert report._previous_comparison(old, "3.11.7", ["1.0", "0.5"]) == (
        "yes (step 2, 0.500000000000, 12 decimals as printed)", True)
    assert report._previous_comparison(old, "3.11.7", ["1.0"])[1] is None
    assert report._previous_comparison(None, "3.11.7", ["1.0"]) == ("no previous run", None)


def _check_tables(text: str) -> int:
    lines = text.splitlines()
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            tables += 1
            columns = lines[i - 1].count("|")
            end = next((j for j, row in enumerate(lines[i + 1:]) if not row.startswith("|")),
                       len(lines) - i - 1)
            body = lines[i + 1:i + 1 + end]
            assert body, f"empty table under {lines[i - 1]}"
            assert all(row.count("|") == columns for row in body), lines[i - 1]
    return tables


def test_a_tiny_run_writes_a_well_formed_report() -> None:
    raw = run.measure(TINY, log=lambda text: None)
    raw["previous"] = None
    summary = report.summarize(raw)
    text = report.report(raw, summary)
    for section in ("## Workload A", "## Workload B", "## Workload C", "one-time cost",
                    "## Targets (issue 13", "## Targets (issue 12",
                    "## Where the eager engine's time goes", "## Where the compile's time goes",
                    "## Digits", "Load average"):
        assert section in text
    assert _check_tables(text) == 13
    assert "nan" not in text
    version = raw["pythons"][0]
    agreement = summary["by_python"][version]["agree"]
    assert agreement["mismatch"] is None
    for profile in raw["profiles"].values():
        assert any(ours for *_, ours in profile["rows"])  # the package's functions show up
    assert report.previous_digits(text)["losses"][version] == agreement["eager_losses"]


def _other_python() -> interpreters.Interpreter | None:
    return next((p for p in interpreters.find() if not p.current), None)


@pytest.mark.skipif(_other_python() is None, reason="no other CPython among 3.11-3.13 here")
def test_a_worker_runs_under_another_python_with_both_engines() -> None:
    python = _other_python()
    assert python is not None
    workers = run.Workers()
    try:
        ours = workers.run(python, {"task": "train", "engine": "autograd_mini", "steps": 2,
                                    "points": 4})
        by_hand = workers.run(python, {"task": "train", "engine": "floor", "steps": 2,
                                       "points": 4})
        assert ours["losses"] == by_hand["losses"]
        if available("micrograd"):
            result = workers.run(python, {"task": "chain_time", "engine": "micrograd", "n": 50})
            assert result["nodes"] == 50
        with pytest.raises(RuntimeError, match=f"under Python {python.version}"):
            workers.run(python, {"task": "nothing"})
    finally:
        workers.close()
