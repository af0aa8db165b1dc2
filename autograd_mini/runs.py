"""A training run as ``autograd-mini demo`` and ``train`` record it, and micrograd's demo.

A :class:`Run` holds what is trained on what (data, model, loss, optimizer, steps), trains
it with :func:`autograd_mini.training.fit`, measures it after the last update, and says what
each of its numbers is. That last part matters: the loss recorded for a step is measured
during the step, on the weights before its update (and with any L2 penalty), while the
final loss is measured after the last update (without it), so the two differ, and
:meth:`Run.summary` (the CLI's ``summary.json``) says which is which. Its pictures come
from :mod:`autograd_mini.plots` (the ``plot`` extra), imported only when drawn.

:func:`micrograd_demo` is micrograd's ``demo.ipynb`` as a run, and :func:`micrograd_neuron`
the neuron of micrograd's README, whose graph the demo draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograd_mini import datasets, losses, nn, optim, training
from autograd_mini.datasets import Preset
from autograd_mini.engine import Value

__all__ = ["LOSSES", "Run", "class_names", "micrograd_demo", "micrograd_neuron"]

LOSSES: dict[str, Callable[[Any, Any], Value]] = {
    "hinge": losses.hinge,
    "bce": losses.binary_cross_entropy,
    "cross_entropy": losses.cross_entropy,
    "mse": losses.mse,
}
"""The losses by the short names :data:`~autograd_mini.datasets.PRESETS` and the CLI use."""


@dataclass
class Run:
    """One training run: what is trained on what and how, then how it went.

    ``kind`` is a :class:`~autograd_mini.datasets.Preset`'s (``"binary"``,
    ``"multiclass"``, ``"regression"``); ``loss`` a name of :data:`LOSSES`; ``l2``,
    ``lr_schedule`` and ``batch_size`` are passed to ``fit`` (as ``regularization``,
    ``lr_schedule``, ``batch_size``); ``settings`` go into the summary as they are.
    :meth:`train` fills in ``history``, ``seconds``, ``final_loss`` and ``final_accuracy``.

    >>> from autograd_mini import datasets, nn, optim
    >>> X, y = datasets.xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", init="xavier", seed=1)
    >>> run = Run("xor", "binary", X, y, model, "bce", optim.Adam(model.parameters(), lr=0.1),
    ...           steps=150)
    >>> run.train()
    >>> run.final_accuracy, run.history.epochs, run.final_loss < run.history.loss[0]
    (1.0, 150, True)
    >>> print(run.summary()["meaning"]["final_loss"])
    mean bce loss over all 4 examples, evaluated after the last update
    """

    dataset: str
    kind: str
    features: list[list[float]]
    targets: list[Any]
    model: Any
    loss: str
    optimizer: Any
    steps: int
    class_names: dict[int, str] = field(default_factory=dict)
    l2: float | None = None
    lr_schedule: Callable[[int], float] | None = None
    batch_size: int | None = None
    seed: int = 0
    compiled: bool = True  # fit(compiled=True): the same numbers, many times faster
    settings: dict[str, Any] = field(default_factory=dict)
    history: Any = None
    seconds: float = 0.0
    final_loss: float | None = None
    final_accuracy: float | None = None

    def train(self, progress: bool = False, callback: Callable[[int, Any], Any] | None = None) -> None:
        """Train (``fit``), then measure the model after its last update (``evaluate``).

        ``seconds`` is the training time alone: the time ``callback`` takes (drawing an
        animation's frames, say) is left out. Divergence raises
        :class:`~autograd_mini.training.DivergedError`, as ``fit`` and ``evaluate`` do.
        """
        spent_in_callback = 0.0
        timed = None
        if callback is not None:

            def timed(epoch: int, history: Any) -> Any:
                nonlocal spent_in_callback
                started = time.perf_counter()
                try:
                    return callback(epoch, history)
                finally:
                    spent_in_callback += time.perf_counter() - started

        loss = LOSSES[self.loss]
        started = time.perf_counter()
        self.history = training.fit(
            self.model, self.features, self.targets, loss, self.optimizer, epochs=self.steps,
            batch_size=self.batch_size, progress=progress, callback=timed, seed=self.seed,
            regularization=self.l2, lr_schedule=self.lr_schedule, compiled=self.compiled)
        self.seconds = time.perf_counter() - started - spent_in_callback
        self.final_loss, self.final_accuracy = training.evaluate(
            self.model, self.features, self.targets, loss)

    # ---------------------------------------------------------- what the numbers are

    @property
    def loss_during(self) -> str:
        """The loss recorded for each step, as a legend says it."""
        penalty = f" + {self.l2:g}·L2" if self.l2 else ""
        return f"mean {self.loss} loss{penalty}, during each step (before its update)"

    @property
    def loss_after(self) -> str:
        """The final loss, as a legend says it."""
        return f"mean {self.loss} loss after the last update{' (no L2)' if self.l2 else ''}"

    def meaning(self) -> dict[str, str | None]:
        """What each number of :meth:`summary` is; the two losses are measured differently."""
        penalty = f" plus {self.l2:g} times the L2 penalty" if self.l2 else ""
        when = ("on the weights before that step's update" if self.batch_size is None else
                "each batch's on the weights before that batch's update, averaged over the step")
        return {
            "final_loss": f"mean {self.loss} loss over all {len(self.features)} examples,"
                          " evaluated after the last update"
                          + (" (without the L2 penalty)" if self.l2 else ""),
            "final_accuracy": None if self.final_accuracy is None else
            "fraction of the examples the model classifies right after the last update",
            "loss_history": f"one number per step: the mean {self.loss} loss{penalty}"
                            f" measured during the step, {when}; the last entry is therefore"
                            " one update behind final_loss",
            "accuracy_history": "one number per step: the fraction classified right during the"
                                " step, before its update (null for regression)",
        }

    def summary(self) -> dict[str, Any]:
        """The run as plain JSON data: what was trained, how, the results and their meaning."""
        if self.history is None:
            raise ValueError(f"Run.summary: the {self.dataset} run has not been trained yet;"
                             " call train() first")
        return {
            "dataset": self.dataset,
            "model": self.model.architecture(),
            "loss_function": self.loss,
            **self.settings,
            "steps": self.history.epochs,
            "final_loss": self.final_loss,
            "final_accuracy": self.final_accuracy,
            "loss_history": self.history.loss,
            "accuracy_history": self.history.accuracy,
            "engine": "compiled" if self.compiled else "eager",
            "seconds": round(self.seconds, 3),
            "meaning": self.meaning(),
        }

    # ------------------------------------------------------------------- pictures

    def picture(self) -> Any:
        """The decision boundary (or, for regression, the predictions) of the trained model."""
        from autograd_mini import plots

        after = f"after {self.history.epochs} steps"
        if self.kind == "regression":
            mse = "" if self.final_loss is None else f", MSE {self.final_loss:.4g}"
            return plots.predictions(self.model, self.features, self.targets,
                                     title=f"{self.dataset}: predictions {after}{mse}")
        accuracy = ("" if self.final_accuracy is None else
                    f", training accuracy {self.final_accuracy:.0%}")
        return plots.decision_boundary(
            self.model, self.features, self.targets, class_names=self.class_names,
            margin=self._margin, title=f"{self.dataset}: the decision boundary {after}{accuracy}")

    def curves(self) -> Any:
        """The loss (and accuracy) of each step, and the final loss, told apart."""
        from autograd_mini import plots

        accuracy = "" if self.final_accuracy is None else " and accuracy"
        return plots.training_curves(
            self.history, unit="step", loss_label=self.loss_during, final_loss=self.final_loss,
            final_label=self.loss_after,
            title=f"training on {self.dataset}: {self.loss} loss{accuracy} per step")

    def animation(self, frames: int = 10, resolution: int = 30) -> Any:
        """A :class:`~autograd_mini.plots.BoundaryAnimation` of this run: pass it to :meth:`train`."""
        from autograd_mini import plots

        return plots.BoundaryAnimation(
            self.model, self.features, self.targets, self.steps, frames=frames,
            resolution=resolution, margin=self._margin, unit="step",
            title=f"{self.dataset}: the decision boundary while training",
            class_names=self.class_names)

    @property
    def _margin(self) -> float | None:
        return 1.0 if self.loss == "hinge" else None  # past it, an example adds no hinge loss


def class_names(preset: Preset, targets: list[Any]) -> dict[int, str]:
    """The preset's class names, keyed by the labels in use (0/1, or -1/+1 once signed).

    >>> from autograd_mini.datasets import PRESETS
    >>> class_names(PRESETS["moons"], [-1, 1, 1])
    {-1: 'upper moon, label -1', 1: 'lower moon, label 1'}
    """
    signed = -1 in targets
    labels = [2 * k - 1 if signed else k for k in range(len(preset.class_names))]
    return {label: f"{name}, label {label}" for label, name in zip(labels, preset.class_names)}


def micrograd_demo(steps: int = 100, seed: int = 1337) -> Run:
    """micrograd's ``demo.ipynb`` as a run, ready to :meth:`~Run.train`.

    ``make_moons(n_samples=100, noise=0.1)`` with labels -1/+1, ``MLP(2, [16, 16, 1])``
    (relu), mean hinge loss + 1e-4 · sum(p²), SGD with the learning rate falling as
    ``1.0 - 0.9 * step / steps``.

    >>> run = micrograd_demo(steps=2)
    >>> run.model.architecture()["nouts"], run.loss, run.l2, sorted(set(run.targets))
    ([16, 16, 1], 'hinge', 0.0001, [-1, 1])
    """
    features, labels = datasets.moons(100, noise=0.1, seed=seed)
    targets = datasets.signed_labels(labels)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    return Run(
        "moons", "binary", features, targets, model, "hinge",
        optim.SGD(model.parameters(), lr=1.0), steps,
        class_names=class_names(datasets.PRESETS["moons"], targets), l2=1e-4,
        lr_schedule=lambda k: 1.0 - 0.9 * k / steps, seed=seed,
        settings={"optimizer": "sgd", "lr": "1.0 - 0.9 * step / steps", "l2": 1e-4},
    )


def micrograd_neuron() -> tuple[Value, list[Value]]:
    """micrograd's README neuron ``o = tanh(x1*w1 + x2*w2 + b)`` after ``o.backward()``.

    Returns ``o`` and its parameters ``[w1, w2, b]`` (for ``draw_dot(o, params=...)``).

    >>> o, (w1, w2, b) = micrograd_neuron()
    >>> round(o.data, 4), round(w1.grad, 4), round(b.grad, 4)
    (0.7071, 1.0, 0.5)
    """
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    total = x1w1 + x2w2
    total.label = "x1*w1 + x2*w2"
    n = total + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, [w1, w2, b]
