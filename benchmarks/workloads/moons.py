"""Workloads A and C: micrograd's demo, an MLP trained on two moons, as its notebook runs it.

The training code below is micrograd's demo notebook (``demo.ipynb``), unchanged apart from
taking the engine as an argument, so both graph engines run the same code text:
``MLP(2, [16, 16, 1])``, hinge loss plus 1e-4 L2, full batch of 100 points, SGD with
learning rate ``1.0 - 0.9 * k / 100``. As in the notebook, ``loss()`` returns the loss and
the accuracy computed from the scores, and ``total_loss, acc = loss()`` rebinds the
previous step's loss only once the next graph exists: two graphs are alive while the next
one is built, and the cyclic collector walks both. (An earlier version of this benchmark
deleted the previous loss first, which flattered every engine that leaves cycles behind.)

Every step is split in three timed phases: ``forward`` (``loss()``: building the graph of
the loss, and the accuracy: workload C's graph construction), ``backward``
(``model.zero_grad()`` and ``loss.backward()``: workload C's backward), and ``update`` (the
SGD step). ``seconds`` is their sum, per step.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Sequence
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


def make_model(engine: Engine) -> Any:
    """The demo's ``MLP(2, [16, 16, 1])``, its weights drawn after ``random.seed(1337)``.

    >>> from benchmarks.workloads.engines import load
    >>> len(make_model(load("autograd_mini")).parameters())
    337
    """
    random.seed(MODEL_SEED)
    return engine.MLP(SIZES[0], list(SIZES[1:]))


def loss_and_scores(engine: Engine, model: Any, points: Sequence[Sequence[float]],
                    y: Sequence[float]) -> tuple[Any, list[Any]]:
    """The notebook's ``loss()`` up to ``total_loss``: the loss, and the scores it came from."""
    inputs = [list(map(engine.Value, xrow)) for xrow in points]
    # forward the model to get scores
    scores = list(map(model, inputs))
    # svm "max-margin" loss
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    return total_loss, scores


def accuracy(y: Sequence[float], scores: Sequence[float]) -> float:
    """The notebook's accuracy: the fraction of points whose score has the label's sign.

    >>> accuracy([1.0, -1.0, 1.0, -1.0], [0.3, -2.0, -0.1, 0.5])
    0.5
    """
    hits = [(yi > 0) == (scorei > 0) for yi, scorei in zip(y, scores)]
    return sum(hits) / len(hits)


def notebook_loss(engine: Engine, model: Any, points: Sequence[Sequence[float]],
                  y: Sequence[float]) -> tuple[Any, float]:
    """micrograd's demo ``loss()``: ``(total_loss, accuracy)``, the accuracy from ``.data``.

    >>> from benchmarks.workloads.engines import load
    >>> engine = load("autograd_mini")
    >>> points, y = make_moons(8)
    >>> total_loss, acc = notebook_loss(engine, make_model(engine), points, y)
    >>> round(total_loss.data, 6), acc
    (0.901081, 0.5)
    """
    total_loss, scores = loss_and_scores(engine, model, points, y)
    return total_loss, accuracy(y, [scorei.data for scorei in scores])


def train(
    engine: Engine, steps: int, *, points: int = POINTS, collect_between_steps: bool = False,
    measure_graph: bool = True,
) -> dict[str, Any]:
    """Run the notebook's training loop for ``steps`` steps; times per phase, losses, graph size.

    ``measure_graph`` counts the nodes of the first step's graph (outside the timers).
    With ``collect_between_steps`` (used with the garbage collector disabled),
    ``gc.collect()`` runs between steps outside the timed phases, so that memory leaked
    through reference cycles is given back without its cost landing in any measurement.

    >>> from benchmarks.workloads.engines import load
    >>> result = train(load("autograd_mini"), 2)
    >>> len(result["seconds"]), result["nodes"], result["accuracies"]
    (2, 65818, [0.5, 0.81])
    """
    inputs, y = make_moons(points)
    model = make_model(engine)

    def loss() -> tuple[Any, float]:
        return notebook_loss(engine, model, inputs, y)

    phases: dict[str, list[float]] = {"forward": [], "backward": [], "update": []}
    losses: list[float] = []
    accuracies: list[float] = []
    nodes = 0
    clock = time.perf_counter
    for k in range(steps):
        t0 = clock()
        # forward (the previous step's total_loss stays bound until this returns)
        total_loss, acc = loss()
        t1 = clock()
        # backward
        model.zero_grad()
        total_loss.backward()
        t2 = clock()
        # update (sgd)
        rate = learning_rate(k)
        for p in model.parameters():
            p.data -= rate * p.grad
        t3 = clock()
        phases["forward"].append(t1 - t0)
        phases["backward"].append(t2 - t1)
        phases["update"].append(t3 - t2)
        losses.append(float(total_loss.data))
        accuracies.append(acc)
        if k == 0 and measure_graph:
            nodes = count_nodes(total_loss)  # outside the timed phases
        if collect_between_steps:
            gc.collect()
    seconds = [sum(parts) for parts in zip(*phases.values())]
    return {"nodes": nodes, "losses": losses, "accuracies": accuracies, "seconds": seconds,
            **phases}
