"""Workload D: image classification at compiled speed, on handwritten-style digits.

The data is :func:`autograd_mini.datasets.digits` (1,500 grey 8×8 images, made by the
package), split 80/20 with the classes kept in proportion: 1,200 images to train on, 300
held out. Two models, both trained with :func:`autograd_mini.training.fit` as the CLI's
``train --dataset digits`` trains them: cross-entropy, Adam (lr 0.01), batches of 32,
He's initialisation, 15 epochs, the validation loss and accuracy measured after every
epoch:

* ``softmax``: softmax regression, ``MLP(64, [10])`` (650 parameters);
* ``mlp``: ``MLP(64, [32, 10])`` with relu (2,410 parameters).

Each run is timed in phases: ``data`` (drawing the images), ``training`` (``fit``,
tracing and validation included), ``evaluation`` (the held-out accuracy after training).
``compiled=False`` trains with the eager graph engine instead, for the ratio of the two;
give it few epochs, it is many times slower.

Run on its own, one JSON line per model::

    python -m benchmarks.workloads.digits                  # both models, compiled
    python -m benchmarks.workloads.digits --eager-epochs 1 # and one eager epoch of each
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import Any

from autograd_mini import datasets, losses, nn, optim
from autograd_mini.training import evaluate, fit

MODELS = {"softmax": (10,), "mlp": (32, 10)}
"""The layer sizes after the 64 inputs of each model."""
SAMPLES = 1500
EPOCHS = 15
BATCH_SIZE = 32
LEARNING_RATE = 0.01
SEED = 0


def train(model: str, epochs: int = EPOCHS, samples: int = SAMPLES, compiled: bool = True,
          seed: int = SEED) -> dict[str, Any]:
    """Train one of :data:`MODELS` on the digits; seconds per phase and the accuracies.

    >>> result = train("softmax", epochs=1, samples=100)
    >>> result["model"], result["parameters"], result["epochs"], result["train_examples"]
    ('softmax', 650, 1, 80)
    >>> sorted(result["seconds"]), 0.0 <= result["held_out_accuracy"] <= 1.0
    (['data', 'evaluation', 'training'], True)
    """
    if model not in MODELS:
        raise ValueError(f"digits workload: unknown model {model!r}; use {', '.join(MODELS)}")
    clock = time.perf_counter
    started = clock()
    images, labels = datasets.digits(samples, seed=seed)
    train_x, test_x, train_y, test_y = datasets.train_test_split(
        images, labels, test_fraction=0.2, seed=seed, stratify=True)
    made = clock()
    network = nn.MLP(64, list(MODELS[model]), init="he", seed=seed)
    history = fit(network, train_x, train_y, losses.cross_entropy,
                  optim.Adam(network.parameters(), lr=LEARNING_RATE), epochs=epochs,
                  batch_size=BATCH_SIZE, progress=False, compiled=compiled,
                  validation=(test_x, test_y))
    trained = clock()
    _, accuracy = evaluate(network, test_x, test_y, compiled=compiled)
    evaluated = clock()
    return {
        "model": model,
        "engine": "compiled" if compiled else "eager",
        "parameters": len(network.parameters()),
        "epochs": history.epochs,
        "train_examples": len(train_x),
        "held_out_examples": len(test_x),
        "seconds": {"data": made - started, "training": trained - made,
                    "evaluation": evaluated - trained},
        "seconds_per_epoch": (trained - made) / max(1, history.epochs),
        "train_accuracy_last_epoch": history.accuracy[-1] if history.accuracy else None,
        "held_out_accuracy": accuracy,
        "val_accuracy_history": history.val_accuracy,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure both models and print one JSON line per run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.workloads.digits",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--eager-epochs", type=int, default=0,
                        help="also train each model eagerly for this many epochs (slow)")
    args = parser.parse_args(argv)
    for model in MODELS:
        print(json.dumps(train(model, epochs=args.epochs)), flush=True)
        if args.eager_epochs:
            print(json.dumps(train(model, epochs=args.eager_epochs, compiled=False)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
