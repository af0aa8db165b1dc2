"""The benchmark suite runs, its workloads agree with each other, and its report is well formed.

No timing is asserted here (a shared machine's timings are noise); the benchmarks themselves
live in ``benchmarks/`` and are run with ``python -m benchmarks``.
"""

from __future__ import annotations

import math

import pytest

from benchmarks import run
from benchmarks.workloads import chain, floor, moons
from benchmarks.workloads.engines import available, count_nodes, load

TINY = run.Config(steps=1, repeats=1, chain_sizes=(100, 1_000), chain_repeats=1,
                  memory_sizes_micrograd=(1_000,), profile_steps=1)


def test_floor_and_engine_train_the_same_network() -> None:
    # The floor's hand-written derivatives must give the engine's training run, step by step.
    engine_losses = moons.train(load("autograd_mini"), 3)["losses"]
    floor_losses = floor.train(3)["losses"]
    assert len(engine_losses) == len(floor_losses) == 3
    for ours, by_hand in zip(engine_losses, floor_losses):
        assert math.isclose(ours, by_hand, rel_tol=1e-12)
    assert engine_losses[0] != engine_losses[1]  # the parameters did move


@pytest.mark.skipif(not available("micrograd"), reason="micrograd comes with the bench extra")
def test_micrograd_trains_the_same_network() -> None:
    ours = moons.train(load("autograd_mini"), 2)
    theirs = moons.train(load("micrograd"), 2)
    assert ours["nodes"] == theirs["nodes"]
    for a, b in zip(ours["losses"], theirs["losses"]):
        assert math.isclose(a, b, rel_tol=1e-12)


def test_chain_has_one_node_per_step_and_outgrows_the_recursion_limit() -> None:
    engine = load("autograd_mini")
    for n in (2, 7, 10):
        assert count_nodes(chain.build(engine, n)) == n + 3  # n interior nodes, 3 leaves
    top = chain.build(engine, 5_000)
    top.backward()  # deeper than the default recursion limit
    assert top.grad == 1.0


def test_summary_ratios_and_targets_come_from_the_measurements() -> None:
    def training_run(per_step: float) -> dict[str, object]:
        return {"nodes": 10, "losses": [1.0], "forward": [per_step / 2],
                "backward": [per_step / 2], "update": [0.0]}

    step = {"autograd_mini": 1.0, "micrograd": 12.0, "floor": 0.1}
    step_off = {"autograd_mini": 1.0, "micrograd": 1.2, "floor": 0.1}
    raw = {
        "training": {
            "default": {name: [training_run(s)] for name, s in step.items()},
            "off": {name: [training_run(s)] for name, s in step_off.items()},
        },
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
    summary = run.summarize(raw)
    assert summary["step"]["default"]["micrograd"] == 12.0
    assert summary["phase"]["default"]["autograd_mini"]["forward"] == pytest.approx(0.05)
    met = {what: (value, ok) for what, value, _, ok in summary["targets"]}
    assert met["A: micrograd / autograd_mini per step, GC default"] == (12.0, True)
    assert met["A: micrograd / autograd_mini per step, GC off"][1] is False
    assert met["B: forward + backward s/node at n=1e+03 / at n=1e+02"] == (
        pytest.approx(5.2 / 3.0), False)
    assert met["B: forward s/node at n=1e+03 / at n=1e+02"] == (pytest.approx(1.2), True)
    assert met["B: backward s/node at n=1e+03 / at n=1e+02"] == (2.0, False)
    assert met["B: memory/node (graph) autograd_mini / micrograd, n=1e+03"][1] is True
    assert met["B: memory/node (peak) autograd_mini / micrograd, n=1e+03"] == (0.5, False)


def test_a_tiny_run_writes_a_well_formed_report() -> None:
    raw = run.measure(TINY, log=lambda text: None)
    summary = run.summarize(raw)
    text = run.report(raw, summary)
    assert summary["loss_spread"] < 1e-9  # every engine trained the same network
    for section in ("## Workload A", "## Workload B", "## Workload C", "## Targets",
                    "## Where autograd_mini's time goes", "Load average"):
        assert section in text
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
    assert tables == 5
    assert "nan" not in text
    profiled = [row[0] for row in raw["profile"]["rows"]]
    assert any("topological_order" in name or "backprop" in name for name in profiled)
