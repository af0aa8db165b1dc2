"""The floor: micrograd's demo training step written by hand on plain Python floats.

The same network, weights, data, loss, accuracy and SGD as :mod:`benchmarks.workloads.moons`,
with the derivatives worked out on paper instead of recorded in a graph. No graph engine
in pure Python can beat this by much: it does the arithmetic and nothing else. Its forward
pass adds and multiplies in the engines' order (the first loss is the same bits); its
gradients are summed in another order, so later losses agree with the engines' to rounding,
which checks that all of them do the same work.
"""

from __future__ import annotations

import gc
import itertools
import random
import time
from typing import Any

from benchmarks.workloads.moons import (
    ALPHA,
    MODEL_SEED,
    POINTS,
    SIZES,
    accuracy,
    learning_rate,
    make_moons,
)

Layer = tuple[list[list[float]], list[float]]
"""A layer's weights (one row per neuron) and biases."""


def init_layers(sizes: tuple[int, ...] = SIZES, seed: int = MODEL_SEED) -> list[Layer]:
    """Weights drawn exactly as micrograd's ``MLP`` draws them (global ``random``, same order).

    >>> [len(w) for w, b in init_layers()]
    [16, 16, 1]
    """
    random.seed(seed)
    layers: list[Layer] = []
    for nin, nout in itertools.pairwise(sizes):
        weights = [[random.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        layers.append((weights, [0.0] * nout))
    return layers


def train_step(
    layers: list[Layer], points: list[list[float]], y: list[float], rate: float
) -> tuple[float, float, float, float]:
    """One full-batch step in place; returns (loss, accuracy, forward s, backward s).

    Forward keeps every layer's activations and computes the notebook's accuracy from the
    scores; backward runs the chain rule by hand: hinge loss, then each layer's relu,
    weights and inputs, then the L2 term.
    """
    clock = time.perf_counter
    t0 = clock()
    last = len(layers) - 1
    batch: list[list[list[float]]] = []  # per sample: the input, then each layer's output
    data_loss = 0.0
    for xrow in points:
        activations = [xrow]
        a = xrow
        for index, (weights, biases) in enumerate(layers):
            out = []
            for row, bias in zip(weights, biases):
                z = bias  # summed from the bias, in micrograd's order
                for w, ai in zip(row, a):
                    z += w * ai
                out.append(z if index == last or z > 0.0 else 0.0)
            activations.append(out)
            a = out
        batch.append(activations)
    scale = 1.0 / len(points)
    for activations, yi in zip(batch, y):
        margin = 1.0 + activations[-1][0] * -yi
        if margin > 0.0:
            data_loss += margin
    reg = 0.0
    for weights, biases in layers:
        for row in weights:
            for w in row:
                reg += w * w
        for bias in biases:
            reg += bias * bias
    total = data_loss * scale + ALPHA * reg
    acc = accuracy(y, [activations[-1][0] for activations in batch])
    t1 = clock()

    grad_w = [[[0.0] * len(row) for row in weights] for weights, _ in layers]
    grad_b = [[0.0] * len(biases) for _, biases in layers]
    for activations, yi in zip(batch, y):
        score = activations[-1][0]
        if 1.0 + score * -yi <= 0.0:
            continue  # hinge inactive: no gradient from this sample
        upstream = [scale * -yi]  # d loss / d output of the current layer
        for index in range(last, -1, -1):
            weights = layers[index][0]
            inputs = activations[index]
            outputs = activations[index + 1]
            below = [0.0] * len(inputs)
            for j, (row, g) in enumerate(zip(weights, upstream)):
                if index != last and outputs[j] <= 0.0:
                    continue  # relu'(z) = 0 for z <= 0
                grad_b[index][j] += g
                row_grad = grad_w[index][j]
                for i, (w, ai) in enumerate(zip(row, inputs)):
                    row_grad[i] += g * ai
                    below[i] += g * w
            upstream = below
    for index, (weights, biases) in enumerate(layers):
        for j, row in enumerate(weights):
            row_grad = grad_w[index][j]
            for i, w in enumerate(row):
                row[i] = w - rate * (row_grad[i] + 2.0 * ALPHA * w)
            biases[j] -= rate * (grad_b[index][j] + 2.0 * ALPHA * biases[j])
    t2 = clock()
    return total, acc, t1 - t0, t2 - t1


def train(steps: int, *, points: int = POINTS, collect_between_steps: bool = False,
          rounds: int = 1) -> dict[str, Any]:
    """The floor's counterpart of :func:`benchmarks.workloads.moons.train` (same result keys).

    ``update`` is folded into ``backward`` here (the SGD step is fused with the gradient
    write-out), so it is reported as 0. A step takes milliseconds, so one process may run
    the same ``steps`` again from the same initial weights, ``rounds`` times: the times
    of every round follow each other in the phase lists; the losses are the first round's.

    >>> result = train(5, rounds=2)
    >>> len(result["losses"]), len(result["seconds"]), result["losses"][4] < result["losses"][0]
    (5, 10, True)
    """
    inputs, y = make_moons(points)
    phases: dict[str, list[float]] = {"forward": [], "backward": [], "update": []}
    losses: list[float] = []
    accuracies: list[float] = []
    for round_ in range(rounds):
        layers = init_layers()
        for k in range(steps):
            total, acc, forward, backward = train_step(layers, inputs, y, learning_rate(k))
            phases["forward"].append(forward)
            phases["backward"].append(backward)
            phases["update"].append(0.0)
            if round_ == 0:
                losses.append(total)
                accuracies.append(acc)
            if collect_between_steps:
                gc.collect()
    seconds = [forward + backward for forward, backward in zip(phases["forward"], phases["backward"])]
    return {"nodes": 0, "losses": losses, "accuracies": accuracies, "seconds": seconds,
            "steps": steps, "rounds": rounds, **phases}
