"""A training run as ``autograd-mini demo`` and ``train`` record it, and micrograd's demo.

A :class:`Run` holds what is trained on what (data, an optional validation set, model,
loss, optimizer, steps), trains it with :func:`autograd_mini.training.fit`, measures it
after the last update, and says what each of its numbers is. That last part matters: the
loss recorded for a step is measured during the step, on the weights before its update
(and with any L2 penalty), while the final loss is measured after the last update
(without it), and the validation loss after each step's updates, so they differ, and
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
    ``lr_schedule``, ``batch_size``, ``validation`` (``(X_val, y_val)``) and
    ``early_stopping`` are passed to ``fit`` (``l2`` as ``regularization``); ``image_shape``
    says the examples are images of that many (rows, columns) of pixels; ``settings`` go
    into the summary as they are. :meth:`train` fills in ``history``, ``seconds``,
    ``final_loss`` and ``final_accuracy`` (and, with validation, ``final_val_loss`` and
    ``final_val_accuracy``).

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
    validation: tuple[list[Any], list[Any]] | None = None
    early_stopping: int | None = None
    image_shape: tuple[int, int] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    history: Any = None
    seconds: float = 0.0
    final_loss: float | None = None
    final_accuracy: float | None = None
    final_val_loss: float | None = None
    final_val_accuracy: float | None = None

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
            regularization=self.l2, lr_schedule=self.lr_schedule, compiled=self.compiled,
            validation=self.validation, early_stopping=self.early_stopping)
        self.seconds = time.perf_counter() - started - spent_in_callback
        self.final_loss, self.final_accuracy = training.evaluate(
            self.model, self.features, self.targets, loss, compiled=self.compiled)
        if self.validation is not None:
            self.final_val_loss, self.final_val_accuracy = training.evaluate(
                self.model, *self.validation, loss, compiled=self.compiled)

    # ---------------------------------------------------------- what the numbers are

    @property
    def loss_during(self) -> str:
        """The loss recorded for each step, as a legend says it."""
        penalty = f" + {self.l2:g}·L2" if self.l2 else ""
        return f"mean {self.loss} loss{penalty}, during each step (before its update)"

    @property
    def loss_after(self) -> str:
        """The final loss, as a legend says it."""
        return f"mean {self.loss} loss {self._after}{' (no L2)' if self.l2 else ''}"

    @property
    def restored(self) -> bool:
        """Whether early stopping gave the model an earlier step's weights than its last."""
        history = self.history
        return (self.early_stopping is not None and history is not None
                and history.best_epoch is not None and history.best_epoch + 1 < history.epochs)

    @property
    def _after(self) -> str:
        if self.restored:
            return f"with the weights of step {self.history.best_epoch + 1} (restored)"
        return "after the last update"

    def meaning(self) -> dict[str, str | None]:
        """What each number of :meth:`summary` is; the losses are measured differently."""
        penalty = f" plus {self.l2:g} times the L2 penalty" if self.l2 else ""
        when = ("on the weights before that step's update" if self.batch_size is None else
                "each batch's on the weights before that batch's update, averaged over the step")
        final = ("evaluated with the weights early stopping restored, those of best_step"
                 if self.restored else "evaluated after the last update")
        training_ = " training" if self.validation is not None else ""
        behind = ("one update behind final_loss" if not self.restored else
                  "measured on other weights than final_loss (see best_step)")
        meaning: dict[str, str | None] = {
            "final_loss": f"mean {self.loss} loss over all {len(self.features)}{training_}"
                          f" examples, {final}" + (" (without the L2 penalty)" if self.l2 else ""),
            "final_accuracy": None if self.final_accuracy is None else
            f"fraction of the{training_} examples the model classifies right, {final}",
            "loss_history": f"one number per step: the mean {self.loss} loss{penalty}"
                            f" measured during the step, {when}; the last entry is therefore"
                            f" {behind}",
            "accuracy_history": "one number per step: the fraction classified right during the"
                                " step, before its update (null for regression)",
        }
        if self.validation is not None:
            examples = f"{len(self.validation[0])} validation examples (held out of training)"
            meaning.update({
                "final_val_loss": f"mean {self.loss} loss over the {examples}, {final}",
                "final_val_accuracy": None if self.final_val_accuracy is None else
                f"fraction of the {examples} classified right, {final}",
                "val_loss_history": f"one number per step: the mean {self.loss} loss over the"
                                    f" {examples}, measured after the step's updates"
                                    " (without L2, in evaluation mode)",
                "val_accuracy_history": "one number per step: the fraction of the validation"
                                        " examples classified right after the step's updates",
                "best_step": "the step (from 1) with the lowest validation loss"
                             + ("; early stopping restored its weights" if self.early_stopping
                                else "; the weights are still the last step's"),
            })
        return meaning

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
            **self._validation_summary(),
            "engine": "compiled" if self.compiled else "eager",
            "seconds": round(self.seconds, 3),
            "meaning": self.meaning(),
        }

    def _validation_summary(self) -> dict[str, Any]:
        if self.validation is None:
            return {}
        history = self.history
        return {
            "validation_examples": len(self.validation[0]),
            "final_val_loss": self.final_val_loss,
            "final_val_accuracy": self.final_val_accuracy,
            "val_loss_history": history.val_loss,
            "val_accuracy_history": history.val_accuracy,
            "best_step": None if history.best_epoch is None else history.best_epoch + 1,
            "early_stopping": self.early_stopping,
            "stopped_early": history.stopped_early,
        }

    # ------------------------------------------------------------------- pictures

    @property
    def picture_kind(self) -> str | None:
        """What :meth:`picture` draws: ``"images"``, ``"predictions"``, ``"boundary"`` or None.

        Images need a validation set to show (the examples the model has not trained on);
        a decision boundary needs two features.
        """
        if self.image_shape is not None:
            return "images" if self.validation is not None else None
        if self.kind == "regression":
            return "predictions"
        return "boundary" if self.features and len(self.features[0]) == 2 else None

    def picture(self) -> Any:
        """The decision boundary (for regression, the predictions; for images, a grid of
        validation images with their predicted and true labels) of the trained model."""
        from autograd_mini import plots

        after = self._after_steps
        if self.picture_kind is None:
            raise ValueError(f"Run.picture: no picture for the {self.dataset} run: a decision"
                             " boundary needs two features, and images a validation set")
        if self.picture_kind == "images":
            assert self.validation is not None and self.image_shape is not None
            shown_x, shown_y = (part[:50] for part in self.validation)
            predicted = self.predicted_classes(shown_x)
            return plots.image_grid(shown_x, shown_y, predicted, shape=self.image_shape,
                                    class_names=self.class_names,
                                    title=f"{self.dataset}: {len(shown_x)} validation images,"
                                          f" predicted and true labels {after}")
        if self.kind == "regression":
            mse = "" if self.final_loss is None else f", MSE {self.final_loss:.4g}"
            return plots.predictions(self.model, self.features, self.targets,
                                     title=f"{self.dataset}: predictions {after}{mse}")
        accuracy = ("" if self.final_accuracy is None else
                    f", training accuracy {self.final_accuracy:.0%}")
        return plots.decision_boundary(
            self.model, self.features, self.targets, class_names=self.class_names,
            margin=self._margin, title=f"{self.dataset}: the decision boundary {after}{accuracy}")

    @property
    def _after_steps(self) -> str:
        if self.restored:
            return f"(weights of step {self.history.best_epoch + 1}, restored)"
        return f"after {self.history.epochs} steps"

    def predicted_classes(self, features: list[Any]) -> list[int]:
        """The class the trained model gives each example (as ``fit`` counts accuracy)."""
        signed = -1 in self.targets
        outputs = training.Outputs(self.model, features, compiled=self.compiled)()
        return [training.predict_class(o, signed=signed) for o in outputs]

    @property
    def has_confusion(self) -> bool:
        """Whether :meth:`confusion` can draw: classes 0, 1, ... and a validation set."""
        return (self.kind != "regression" and self.validation is not None
                and all(t >= 0 for t in self.targets))

    def confusion(self) -> Any:
        """The confusion matrix of the validation set: true classes against predicted ones."""
        from autograd_mini import plots

        if not self.has_confusion or self.validation is None:
            raise ValueError(f"Run.confusion: the {self.dataset} run has no validation set of"
                             " classes 0, 1, ... to count")
        features, targets = self.validation
        classes = max(max(self.targets), max(targets)) + 1
        predicted = self.predicted_classes(features)
        right = sum(1 for p, t in zip(predicted, targets) if p == t)
        return plots.confusion_matrix(
            targets, predicted, classes=classes,
            class_names=self.class_names,
            title=f"{self.dataset}: confusion matrix of the {len(targets)} validation examples\n"
                  f"{right} right ({right / len(targets):.1%}) {self._after_steps}")

    def curves(self) -> Any:
        """The loss (and accuracy) of each step, and the final loss, told apart."""
        from autograd_mini import plots

        accuracy = "" if self.final_accuracy is None else " and accuracy"
        validation = ", training and validation" if self.validation is not None else ""
        best = None
        if self.history.best_epoch is not None:
            best = (f"lowest validation loss (step {self.history.best_epoch + 1})"
                    + ("; its weights restored" if self.restored else ""))
        return plots.training_curves(
            self.history, unit="step", loss_label=self.loss_during, final_loss=self.final_loss,
            final_label=self.loss_after, best_label=best,
            title=f"training on {self.dataset}: {self.loss} loss{accuracy} per step{validation}")

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

    A name that is its label already (the digits' ``"7"``) is not repeated.

    >>> from autograd_mini.datasets import PRESETS
    >>> class_names(PRESETS["moons"], [-1, 1, 1])
    {-1: 'upper moon, label -1', 1: 'lower moon, label 1'}
    >>> class_names(PRESETS["digits"], [0, 7])[7]
    '7'
    """
    signed = -1 in targets
    labels = [2 * k - 1 if signed else k for k in range(len(preset.class_names))]
    return {label: name if name == str(label) else f"{name}, label {label}"
            for label, name in zip(labels, preset.class_names)}


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
