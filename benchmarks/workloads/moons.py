"""Workloads A and C: micrograd's demo, an MLP trained on two moons, timed step by step.

The training code below is micrograd's demo notebook, unchanged apart from taking the
engine as an argument, so both engines run the same code text: ``MLP(2, [16, 16, 1])``,
hinge loss plus 1e-4 L2, full batch of 100 points, SGD with learning rate
``1.0 - 0.9 * k / 100``.

Every step is split in three timed phases: ``forward`` (building the graph of the loss:
workload C's graph construction), ``backward`` (``model.zero_grad()`` and
``loss.backward()``: workload C's backward), and ``update`` (the SGD step).
"""

from __future__ import annotations

import gc
import random
import time
from typing import Any

from autograd_mini.datasets import moons
from benchmarks.workloads.engines import Engine, count_nodes

SIZES = (2, 16, 16, 1)
"""Inputs, then the width of every layer: micrograd's ``MLP(2, [16, 16, 1])``."""
POINTS = 100
NOISE = 0.1
DATA_SEED = 0
MODEL_SEED = 1337  # micrograd's demo seeds Python's random with 1337 before building the MLP
ALPHA = 1e-4  # L2 strength


def learning_rate(k: int) -> float:
    """micrograd's demo schedule: 1.0 at step 0, down by 0.009 per step."""
    return 1.0 - 0.9 * k / 100


def make_moons(n: int = POINTS, noise: float = NOISE, seed: int = DATA_SEED) -> tuple[
    list[list[float]], list[float]
]:
    """The demo's data: :func:`autograd_mini.datasets.moons` with labels -1.0 and 1.0.

    The points come from their own ``random.Random(seed)``, so nothing is drawn from the
    global generator that the MLPs use for their weights: every engine trains on the same
    points from the same initial weights. The labels become -1 and 1 for the hinge loss,
    as in micrograd's demo (``y = y * 2 - 1``).

    >>> points, y = make_moons(6, noise=0.0)
    >>> len(points), sorted(y)
    (6, [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0])
    """
    points, labels = moons(n, noise=noise, seed=seed)
    return points, [2.0 * label - 1.0 for label in labels]


def loss(engine: Engine, model: Any, points: list[list[float]], y: list[float]) -> Any:
    """micrograd's demo loss: mean hinge loss over the batch plus ``ALPHA`` times L2."""
    inputs = [list(map(engine.Value, xrow)) for xrow in points]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def train(
    engine: Engine, steps: int, *, collect_between_steps: bool = False, measure_graph: bool = True
) -> dict[str, Any]:
    """Train for ``steps`` steps; per-step times of each phase, the losses, the graph size.

    ``measure_graph`` counts the nodes of the first step's graph (outside the timers).
    With ``collect_between_steps`` (used with the garbage collector disabled),
    ``gc.collect()`` runs between steps outside the timed phases, so that memory leaked
    through reference cycles is given back without its cost landing in any measurement.

    >>> from benchmarks.workloads.engines import load
    >>> result = train(load("autograd_mini"), 2)
    >>> len(result["forward"]), result["nodes"] > 60_000
    (2, True)
    """
    points, y = make_moons()
    random.seed(MODEL_SEED)
    model = engine.MLP(SIZES[0], list(SIZES[1:]))
    phases: dict[str, list[float]] = {"forward": [], "backward": [], "update": []}
    losses: list[float] = []
    nodes = 0
    clock = time.perf_counter
    for k in range(steps):
        t0 = clock()
        total_loss = loss(engine, model, points, y)
        t1 = clock()
        model.zero_grad()
        total_loss.backward()
        t2 = clock()
        rate = learning_rate(k)
        for p in model.parameters():
            p.data -= rate * p.grad
        t3 = clock()
        phases["forward"].append(t1 - t0)
        phases["backward"].append(t2 - t1)
        phases["update"].append(t3 - t2)
        losses.append(float(total_loss.data))
        if k == 0 and measure_graph:
            nodes = count_nodes(total_loss)  # outside the timed phases
        del total_loss
        if collect_between_steps:
            gc.collect()
    return {"nodes": nodes, "losses": losses, **phases}
