"""``fit``: the training loop, with a progress bar and a history of loss, accuracy and gradients.

The choices, once:

* ``loss(prediction, target) -> Value`` is called per example (any function of
  :mod:`autograd_mini.losses`, or your own); a batch's loss is the mean,
  ``sum(losses) * (1.0 / len(batch))``, as micrograd's demo computes it.
* L2 regularisation: either ``weight_decay`` on the optimizer (adds ``wd * p`` to the
  gradient, not shown in the loss) or ``regularization=alpha`` here, which adds
  ``alpha * sum(p * p)`` to every batch loss (shown in the loss, as in micrograd's demo; it
  equals ``weight_decay = 2 * alpha``). ``regularization`` may also be a function
  ``model -> Value``.
* Accuracy is counted from the predictions made during the epoch (before each update,
  as micrograd logs it), and depends on the targets:

  - int targets in {0, 1} and one output: the output is a logit or score, predicted
    class 1 when it is > 0 (sigmoid > 0.5);
  - int targets in {-1, 1} and one output: the sign of the output (micrograd's hinge);
  - int targets and a list of outputs: argmax equals the target;
  - float targets: regression, accuracy ``None``.

  Pass ``accuracy=function(prediction, target) -> bool`` to decide yourself.
* ``lr_schedule(epoch) -> float`` sets ``optimizer.lr`` before each epoch (epochs count
  from 0). micrograd's demo: ``lambda k: 1.0 - 0.9 * k / 100``. A schedule of
  :mod:`autograd_mini.schedules` (made from the same optimizer) is stepped after each
  epoch instead, as in PyTorch's loop, so a second ``fit`` continues where it stopped.
  Either way the rate is checked as the optimizer's constructor checks ``lr``: one that is
  not a finite number >= 0 raises ``ValueError`` naming the schedule and the epoch, before
  it is set.
* ``batch_size=None`` is full batch: one step per epoch. Otherwise each epoch shuffles the
  data with ``random.Random(seed)`` and makes one step per batch.
* ``validation=(X_val, y_val)`` measures the model on held-out examples after each epoch
  (after its updates, in evaluation mode, recording no graph): ``History.val_loss``
  (the mean loss, without ``regularization``) and ``History.val_accuracy``. With
  ``early_stopping=patience``, training stops once the validation loss has not improved
  (fallen below its best) for ``patience`` epochs in a row, and the model gets back the
  weights of its best epoch (``History.best_epoch``), as Keras's ``EarlyStopping(patience,
  restore_best_weights=True)`` does; only the parameters are restored, not the optimizer's
  state. With ``compiled=True`` the validation forward pass is compiled too
  (:class:`Outputs`), and costs a fraction of a training epoch.
* Divergence stops training at once with :class:`DivergedError` (an ``ArithmeticError``):
  a model output or a batch loss that is inf or nan, an overflow while computing them,
  or a non-finite gradient. It is raised before the optimizer steps, so the model keeps
  the weights of the last good step. In the first step no update has been made, so the
  learning rate played no part: the message says so and points to the inputs, the targets
  and the starting weights instead.
* The progress bar is tqdm's (the ``progress`` extra), written to stderr and shown only
  when stderr is a terminal; tqdm is imported only then.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd_mini.engine import Value, no_grad
from autograd_mini.losses import l2_penalty
from autograd_mini.optim import NonFiniteGradientError, Optimizer, grad_norm
from autograd_mini.schedules import Schedule

__all__ = ["DivergedError", "History", "Outputs", "confusion_matrix", "evaluate", "fit",
           "predict_class"]

Loss = Callable[[Any, Any], Value]
Accuracy = Callable[[Any, Any], bool]


class DivergedError(ArithmeticError):
    """Training diverged: a model output, a batch loss or a gradient became inf or nan.

    Raised by :func:`fit` before the optimizer steps, so the model keeps the weights of
    the last good step, and by :func:`evaluate` for a model whose outputs or loss are not
    finite (as after a last step that diverged). ``reason`` says what was not finite;
    ``epoch`` is the epoch it happened in (counting from 0, as the ``callback`` does), or
    ``None`` when :func:`evaluate` raised it. ``updates`` is how many optimizer steps
    ``fit`` had made (``None`` from :func:`evaluate`): at 0 the learning rate played no
    part, and the message blames the data or the starting weights instead.

    >>> from autograd_mini import losses, optim
    >>> w = Value(1.0)
    >>> fit(lambda x: w * x[0], [[1e200]], [0.0], losses.mse, optim.SGD([w], lr=1.0),
    ...     epochs=1, progress=False)
    Traceback (most recent call last):
    ...
    autograd_mini.training.DivergedError: fit: training diverged in epoch 1 of 1, before any \
update: **2: result overflows a float at input 1e+200; no update has been made yet, so the \
learning rate played no part: the inputs, the targets or the starting weights give a \
non-finite result. Check them (scale the inputs and targets to moderate numbers)
    """

    def __init__(self, message: str, reason: str, epoch: int | None = None,
                 updates: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.epoch = epoch
        self.updates = updates


def _diverged(epoch: int, epochs: int, updates: int, reason: str) -> DivergedError:
    if updates:
        where = f"after {updates} update{'s' if updates != 1 else ''}"
        advice = "lower the learning rate (or clip gradients)"
    else:  # nothing was learned yet: the data or the initialisation is to blame
        where = "before any update"
        advice = ("no update has been made yet, so the learning rate played no part: the"
                  " inputs, the targets or the starting weights give a non-finite result."
                  " Check them (scale the inputs and targets to moderate numbers)")
    return DivergedError(
        f"fit: training diverged in epoch {epoch + 1} of {epochs}, {where}: {reason}; {advice}",
        reason, epoch, updates,
    )


def _name(function: Any) -> str:
    """How an error names a function the user passed: its qualified name, else its repr."""
    name = getattr(function, "__qualname__", None)
    return name if isinstance(name, str) else repr(function)


def _non_finite_output(prediction: Any) -> float | None:
    """The first inf or nan in a model output (a Value, a number or a list of them), if any."""
    outputs = prediction if isinstance(prediction, (list, tuple)) else [prediction]
    for output in outputs:
        number = output.data if isinstance(output, Value) else output
        if isinstance(number, (int, float)) and not math.isfinite(number):
            return float(number)
    return None


@dataclass
class History:
    """What happened in each epoch of :func:`fit` (one entry per epoch in every list).

    ``loss``: mean batch loss (including ``regularization``); ``accuracy``: fraction of
    examples classified right during the epoch (``None`` for regression); ``grad_norm``:
    the L2 norm of all parameter gradients, averaged over the epoch's steps; ``lr``: the
    learning rate used.

    With ``fit(validation=...)``: ``val_loss`` and ``val_accuracy``, measured on the
    validation set after the epoch's updates (empty lists without validation);
    ``best_epoch``, the epoch (from 0, an index into these lists) of the lowest
    validation loss, the first if several tie; ``stopped_early``, whether
    ``early_stopping`` ended training. With ``early_stopping`` the model ends with the
    weights of ``best_epoch``; without it, with those of the last epoch.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.loss)


def predict_class(prediction: Any, signed: bool = False) -> int:
    """The class a model output stands for: argmax of a list, else the sign of one score.

    One score gives 1 if it is > 0, else 0 (or -1 with ``signed=True``).

    >>> predict_class([Value(0.1), Value(2.0), Value(-1.0)]), predict_class(Value(-0.3))
    (1, 0)
    """
    if isinstance(prediction, (list, tuple)):
        scores = [float(p) for p in prediction]
        return max(range(len(scores)), key=scores.__getitem__)
    positive = float(prediction) > 0.0
    return 1 if positive else (-1 if signed else 0)


def _is_int_label(t: Any) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _accuracy_rule(y: Sequence[Any]) -> Accuracy | None:
    """Choose how to count a right answer from the targets (see the module docstring)."""
    if not all(_is_int_label(t) for t in y):
        return None  # float targets: regression
    labels = {int(t) for t in y}
    if labels <= {-1, 1} and -1 in labels:
        return lambda p, t: not isinstance(p, list) and predict_class(p, signed=True) == t
    return lambda p, t: predict_class(p) == t


def _regularizer(regularization: Any) -> Callable[[Any], Value] | None:
    if regularization is None:
        return None
    if callable(regularization):
        return regularization  # type: ignore[no-any-return]
    if isinstance(regularization, (int, float)) and not isinstance(regularization, bool):
        alpha = float(regularization)
        if not (math.isfinite(alpha) and alpha >= 0.0):
            raise ValueError(f"fit: regularization must be >= 0, got {regularization!r}")
        # alpha * sum(p*p) as micrograd's demo writes it (its sum starts from 0, and
        # 0 + x == x exactly), so its logged losses reproduce bit for bit.
        return lambda model: alpha * l2_penalty(model.parameters())
    raise TypeError(
        "fit: regularization must be a number alpha (adds alpha * sum(p*p)) or a function"
        f" model -> Value, got {type(regularization).__name__}"
    )


def _progress_bar(epochs: int) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError(
            "fit(progress=True) shows a tqdm progress bar on a terminal; install it with"
            ' pip install "autograd-mini[progress]", or pass progress=False'
        ) from None
    return tqdm(total=epochs, file=sys.stderr, unit="epoch", leave=True)


def fit(
    model: Any,
    X: Sequence[Any],  # noqa: N803 - X and y, as the issue, scikit-learn and micrograd name them
    y: Sequence[Any],
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    progress: bool = True,
    callback: Callable[[int, History], bool | None] | None = None,
    *,
    regularization: float | Callable[[Any], Value] | None = None,
    lr_schedule: Callable[[int], float] | Schedule | None = None,
    accuracy: Accuracy | None = None,
    seed: int = 0,
    compiled: bool = False,
    validation: tuple[Sequence[Any], Sequence[Any]] | None = None,
    early_stopping: int | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs and return the :class:`History`.

    ``model(x)`` gives a prediction (a Value, or a list of Values), ``loss(prediction,
    target)`` a Value per example; each step zeroes the optimizer's gradients, backpropagates
    the batch's mean loss (plus ``regularization``) and calls ``optimizer.step()``.
    ``callback(epoch, history)`` runs after each epoch; returning True stops training.
    See the module docstring for how accuracy, regularization and schedules work.

    ``compiled=True`` traces the per-example loss once (per structure of example: a class
    label is structure) and replays it over each batch as generated Python
    (:class:`autograd_mini.compiled.Batched`): the same History, digit for digit, many
    times faster. Predictions reach ``accuracy`` and ``callback`` as leaf Values then. A
    model that draws random numbers (Dropout in training mode) is refused: a trace would
    replay one draw.

    ``validation=(X_val, y_val)`` records the validation loss and accuracy of each epoch;
    ``early_stopping=patience`` stops after ``patience`` epochs without a lower validation
    loss and restores the best epoch's weights (see the module docstring).

    >>> from autograd_mini import datasets, losses, nn, optim
    >>> X, y = datasets.xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", init="xavier", seed=1)
    >>> history = fit(model, X, y, losses.binary_cross_entropy,
    ...               optim.Adam(model.parameters(), lr=0.1), epochs=150, progress=False)
    >>> history.accuracy[-1], history.loss[-1] < 0.05
    (1.0, True)
    >>> X, y = datasets.moons(60, noise=0.3, seed=0)
    >>> model = nn.MLP(2, [32, 32, 1], seed=0)
    >>> history = fit(model, X[:40], y[:40], losses.binary_cross_entropy,
    ...               optim.Adam(model.parameters(), lr=0.05), epochs=300, progress=False,
    ...               validation=(X[40:], y[40:]), early_stopping=10, compiled=True)
    >>> history.stopped_early, history.epochs == history.best_epoch + 11
    (True, True)
    >>> evaluate(model, X[40:], y[40:], losses.binary_cross_entropy)[0] == min(history.val_loss)
    True
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} examples but y has {len(y)} targets")
    if not X:
        raise ValueError("fit: no training examples")
    _check_widths(model, X, "fit")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"fit: batch_size must be a positive int or None, got {batch_size!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an autograd_mini.optim optimizer, got {optimizer!r}")
    if isinstance(lr_schedule, Schedule) and lr_schedule.optimizer is not optimizer:
        raise ValueError("fit: lr_schedule was made for another optimizer; make it from this one")
    # The optimizer's own check, as its step() makes it: an lr set to nan since it was made
    # is refused here, before anything (a gradient included) changes.
    optimizer.check_hyperparameters(f"fit: the optimizer {type(optimizer).__name__}")
    correct = accuracy if accuracy is not None else _accuracy_rule(y)
    X_val, y_val = _validation_set(validation, y)  # noqa: N806
    _check_widths(model, X_val, "fit: the validation set")
    if early_stopping is not None and (
        isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1
    ):
        raise ValueError(f"fit: early_stopping is the patience, an int >= 1 (epochs without a"
                         f" lower validation loss), got {early_stopping!r}")
    if early_stopping is not None and validation is None:
        raise ValueError("fit: early_stopping watches the validation loss; pass"
                         " validation=(X_val, y_val) too")
    penalty = _regularizer(regularization)
    steps = _Steps(model, X, y, loss, optimizer, penalty, compiled)
    held_out = Outputs(model, X_val, compiled=compiled) if X_val else None
    best_weights: list[float] | None = None
    order = list(range(len(X)))
    shuffler = random.Random(seed)
    history = History()
    bar = _progress_bar(epochs) if progress and sys.stderr.isatty() else None
    updates = 0  # optimizer steps taken, for the divergence message
    try:
        for epoch in range(epochs):
            if lr_schedule is not None and not isinstance(lr_schedule, Schedule):
                optimizer.lr = optimizer.checked_lr(
                    lr_schedule(epoch), f"fit: lr_schedule {_name(lr_schedule)}, epoch {epoch}")
            if batch_size is None:
                batches = [order]
            else:
                shuffler.shuffle(order)
                batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
            batch_losses: list[float] = []
            hits = 0
            norms = []
            for batch in batches:
                batch_loss, predictions = steps.run(batch, epoch, epochs, updates)
                norms.append(steps.norm)
                updates += 1
                batch_losses.append(batch_loss)
                if correct is not None:
                    hits += sum(1 for p, i in zip(predictions, batch) if correct(p, y[i]))
            if len(batches) == 1:  # full batch: exactly the loss that was backpropagated
                history.loss.append(batch_losses[0])
            else:  # weighted by batch size, so a short last batch counts less
                history.loss.append(
                    math.fsum(v * len(b) for v, b in zip(batch_losses, batches)) / len(X)
                )
            history.accuracy.append(hits / len(X) if correct is not None else None)
            history.grad_norm.append(math.fsum(norms) / len(norms))
            history.lr.append(optimizer.lr)
            if isinstance(lr_schedule, Schedule):
                lr_schedule.step()
            if held_out is not None:
                try:
                    val_loss, val_accuracy = _score(held_out, model, y_val, loss, correct)
                except DivergedError as error:
                    raise _diverged(epoch, epochs, updates,
                                    f"on the validation set, {error.reason}") from error
                assert val_loss is not None
                history.val_loss.append(val_loss)
                history.val_accuracy.append(val_accuracy)
                if history.best_epoch is None or val_loss < history.val_loss[history.best_epoch]:
                    history.best_epoch = epoch
                    if early_stopping is not None:
                        best_weights = [p.data for p in optimizer.params]
                elif early_stopping is not None and epoch - history.best_epoch >= early_stopping:
                    history.stopped_early = True
            if bar is not None:
                shown = {"loss": f"{history.loss[-1]:.4f}"}
                if correct is not None:
                    shown["acc"] = f"{history.accuracy[-1]:.1%}"
                if history.val_loss:
                    shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
                    if correct is not None:
                        shown["val_acc"] = f"{history.val_accuracy[-1]:.1%}"
                bar.set_postfix(shown, refresh=False)
                bar.update(1)
            if callback is not None and callback(epoch, history):
                break
            if history.stopped_early:
                break
    finally:
        if bar is not None:
            bar.close()
    if best_weights is not None:  # early stopping: the best epoch's weights, however it ended
        for p, data in zip(optimizer.params, best_weights):
            p.data = data
    return history


def _check_widths(model: Any, X: Sequence[Any], where: str) -> None:  # noqa: N803
    """Every example as wide as the model's ``nin``, when the model records one.

    A neuron, as micrograd's, sums only as many pairs as it has weights and inputs (and
    warns); training on examples of another width is surely a mistake, so ``fit`` refuses.
    A model of the user's own records nothing, and takes whatever it takes.
    """
    try:
        nin = model.architecture().get("nin")
    except (AttributeError, TypeError):  # no architecture record to compare with
        return
    if not isinstance(nin, int):
        return
    for i, x in enumerate(X):
        if isinstance(x, (list, tuple)) and len(x) != nin:
            raise ValueError(f"{where}: example {i} has {len(x)} features but the model takes"
                             f" {nin} (nin={nin}); give it {nin} numbers per example")


def _validation_set(validation: Any, y: Sequence[Any]) -> tuple[Sequence[Any], Sequence[Any]]:
    """``(X_val, y_val)`` checked against the training targets; empty without validation."""
    if validation is None:
        return [], []
    if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
        raise TypeError(f"fit: validation must be a pair (X_val, y_val), got {type(validation).__name__}")
    X_val, y_val = validation  # noqa: N806
    if len(X_val) != len(y_val):
        raise ValueError(f"fit: the validation set has {len(X_val)} examples but {len(y_val)} targets")
    if not X_val:
        raise ValueError("fit: the validation set is empty; pass validation=None to train without one")
    def kind(targets: Sequence[Any]) -> str:
        return "class labels (ints)" if all(_is_int_label(t) for t in targets) else "numbers (floats)"

    if kind(y) != kind(y_val):
        raise ValueError(f"fit: the training targets are {kind(y)} but the validation targets are"
                         f" {kind(y_val)}; give both the same kind")
    return X_val, y_val


class _Steps:
    """One optimizer step per batch: the eager engine's, or the compiled replay of it.

    Both make the same checks in the same order (outputs, then the batch loss; on
    divergence nothing has been stepped) and give the same numbers, bit for bit.
    """

    def __init__(self, model: Any, X: Sequence[Any], y: Sequence[Any], loss: Loss,  # noqa: N803
                 optimizer: Optimizer, penalty: Callable[[Any], Value] | None,
                 compiled: bool) -> None:
        self.model, self.X, self.y, self.loss = model, X, y, loss
        self.optimizer, self.penalty = optimizer, penalty
        self.norm = 0.0  # the gradient norm of the last step
        self.batched: Any = None
        if compiled:
            from autograd_mini import compiled as compiled_mode
            from autograd_mini import nn

            random_parts = nn.stochastic_modules(model) if isinstance(model, nn.Module) else []
            if random_parts:
                names = ", ".join(name or type(m).__name__ for name, m in random_parts)
                raise ValueError(
                    f"fit(compiled=True): the model draws random numbers in training mode"
                    f" ({names}); a trace would replay one draw forever. Train it with"
                    " compiled=False, or call model.eval() if it should not drop out"
                )

            def example(x: Any, target: Any) -> tuple[Value, Any]:
                prediction = model(x)
                return loss(prediction, target), prediction

            self.batched = compiled_mode.Batched(example, params=optimizer.params)
            self.prepared: list[Any] | None = None  # traced at the first step
            self.compiled_penalty = (
                None if penalty is None else
                compiled_mode.compile(lambda: penalty(model), params=optimizer.params))

    def run(self, batch: list[int], epoch: int, epochs: int, updates: int) -> tuple[float, list[Any]]:
        """Step on ``batch``; the batch loss and the model's outputs, or DivergedError."""
        try:
            if self.batched is not None:
                done = self._compiled(batch, epoch, epochs, updates)
                if done is not None:
                    return done
            return self._eager(batch, epoch, epochs, updates)
        except OverflowError as error:  # an op overflowed in the forward or backward pass
            raise _diverged(epoch, epochs, updates, str(error)) from error
        except NonFiniteGradientError as error:
            # The optimizer refused an inf/nan gradient, before moving any parameter; its
            # reason without its advice (a smaller lr), which _diverged gives when it fits.
            raise _diverged(epoch, epochs, updates, error.reason) from error

    def _eager(self, batch: list[int], epoch: int, epochs: int, updates: int) -> tuple[float, list[Any]]:
        X, y, optimizer = self.X, self.y, self.optimizer  # noqa: N806
        predictions = [self.model(X[i]) for i in batch]
        # Checked before the loss sees them: a loss may reject or hide a nan.
        self._check_outputs(predictions, batch, epoch, epochs, updates)
        losses = [self.loss(p, y[i]) for p, i in zip(predictions, batch)]
        for value, i in zip(losses, batch):
            if not isinstance(value, Value):
                raise TypeError(
                    f"fit: the loss function {_name(self.loss)} returned"
                    f" {type(value).__name__} {value!r} for example {i}, not a Value, so"
                    " there is nothing to backpropagate. Compute it from the prediction"
                    " with Value operations (as losses.mse does), without float() or .data"
                )
        batch_loss: Value = sum(losses) * (1.0 / len(losses))  # type: ignore[assignment]
        if self.penalty is not None:
            batch_loss = batch_loss + self.penalty(self.model)
        if not math.isfinite(batch_loss.data):
            raise _diverged(epoch, epochs, updates, f"the batch loss is {batch_loss.data!r}")
        optimizer.zero_grad()
        batch_loss.backward()
        self.norm = grad_norm(optimizer.params)
        optimizer.step()
        return batch_loss.data, predictions

    def _compiled(self, batch: list[int], epoch: int, epochs: int,
                  updates: int) -> tuple[float, list[Any]] | None:
        """The eager step's numbers from the replay; None if this batch needs the eager engine."""
        optimizer = self.optimizer
        if self.prepared is None:
            try:
                self.prepared = self.batched.prepare(zip(self.X, self.y))
            except Exception:
                # Tracing runs the model once: if that fails (an overflow, a domain error),
                # the eager step fails the same way and says so.
                self.batched = None
                return None
        leaves = list(dict.fromkeys([*optimizer.params, *self.batched._leaves]))
        saved = [v.grad for v in leaves]
        optimizer.zero_grad()
        # backward() reaches the penalty first (it is added last), then the examples, last
        # first, each seeded with 1/n: what Batched.run replays.
        penalty = 0.0
        try:
            if self.compiled_penalty is not None:
                penalty = self.compiled_penalty()
            results = self.batched.run([self.prepared[i] for i in batch], 1.0 / len(batch))
        except Exception:
            results = None
        if results is None:
            for v, g in zip(leaves, saved):
                v.grad = g
            # A guard no variant meets (a logit of another sign), or an error: this batch
            # runs eagerly; the next finds a variant for each of these examples. Learning is
            # tracing, which may fail where the eager step does (a nan output): that step
            # then says why.
            with contextlib.suppress(Exception):
                self.batched.learn((self.X[i], self.y[i]) for i in batch)
            return None
        predictions = [_as_values(p) for _, p in results]
        try:
            self._check_outputs(predictions, batch, epoch, epochs, updates)
            total = 0.0  # as sum() adds the losses: 0 + l1 + l2 + ...
            for value, _ in results:
                total = total + value
            batch_loss = total * (1.0 / len(batch))
            if self.compiled_penalty is not None:
                batch_loss = batch_loss + penalty
            if not math.isfinite(batch_loss):
                raise _diverged(epoch, epochs, updates, f"the batch loss is {batch_loss!r}")
        except DivergedError:
            for v, g in zip(leaves, saved):
                v.grad = g  # as the eager step, which raises before backward()
            raise
        self.norm = grad_norm(optimizer.params)
        optimizer.step()
        return batch_loss, predictions

    @staticmethod
    def _check_outputs(predictions: list[Any], batch: list[int], epoch: int, epochs: int,
                       updates: int) -> None:
        for p, i in zip(predictions, batch):
            bad = _non_finite_output(p)
            if bad is not None:
                raise _diverged(epoch, epochs, updates, f"the model's output for example {i} is {bad!r}")


def _as_values(prediction: Any) -> Any:
    """A replayed output (numbers) as leaf Values, as accuracy functions and callbacks get them."""
    if isinstance(prediction, list | tuple):
        return [Value(p) for p in prediction]
    return Value(prediction)


def evaluate(
    model: Any,
    X: Sequence[Any],  # noqa: N803 - named as in fit
    y: Sequence[Any],
    loss: Loss | None = None,
    accuracy: Accuracy | None = None,
    *,
    compiled: bool = False,
) -> tuple[float | None, float | None]:
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)``, recording no graph.

    The loss is ``None`` without a ``loss``; the accuracy follows the rules of :func:`fit`
    (``None`` for float targets). The model is measured in evaluation mode (a Dropout
    passes its input through), as ``fit`` measures a validation set, and its modes are
    restored afterwards. ``compiled=True`` computes the outputs with :class:`Outputs`:
    the same numbers, faster on many examples. A model output or a loss that is inf or
    nan (or overflows) raises :class:`DivergedError`: such a model has no meaningful score.

    >>> from autograd_mini import losses, nn
    >>> model = nn.MLP(1, [1], seed=0)
    >>> evaluate(model, [[1.0], [-1.0]], [1, 0])  # a linear model: right when w > 0
    (None, 1.0)
    """
    if len(X) != len(y) or not X:
        raise ValueError(f"evaluate: need as many targets as examples (>0): {len(X)} vs {len(y)}")
    correct = accuracy if accuracy is not None else _accuracy_rule(y)
    return _score(Outputs(model, X, compiled=compiled), model, y, loss, correct)


def _score(outputs: Outputs, model: Any, y: Sequence[Any], loss: Loss | None,
           correct: Accuracy | None) -> tuple[float | None, float | None]:
    """evaluate's numbers, from ``outputs`` (kept by fit for its validation set from epoch to epoch)."""
    mean_loss = None
    try:
        with _evaluation_mode(model):
            numbers = outputs()
        predictions = [_as_values(p) for p in numbers]
        for i, p in enumerate(predictions):
            bad = _non_finite_output(p)
            if bad is not None:
                reason = f"the model's output for example {i} is {bad!r}"
                raise DivergedError(f"evaluate: {reason}; the model has diverged", reason)
        if loss is not None:
            with no_grad():
                values = [float(loss(p, t)) for p, t in zip(predictions, y)]
            mean_loss = math.fsum(values) / len(y)
            if not math.isfinite(mean_loss):
                reason = f"the mean loss is {mean_loss!r}"
                raise DivergedError(f"evaluate: {reason}; the model has diverged", reason)
    except OverflowError as error:  # in the model, the loss, or fsum's running total
        raise DivergedError(f"evaluate: {error}; the model has diverged", str(error)) from error
    hits = None if correct is None else sum(1 for p, t in zip(predictions, y) if correct(p, t))
    return mean_loss, None if hits is None else hits / len(y)


@contextlib.contextmanager
def _evaluation_mode(model: Any) -> Iterator[None]:
    """``model.eval()`` for the block, then every module's own mode back."""
    from autograd_mini import nn

    if not isinstance(model, nn.Module):
        yield
        return
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


class Outputs:
    """A model's outputs on a fixed set of inputs, as numbers, recording no graph.

    ``Outputs(model, X)()`` gives ``model(x)`` for every ``x`` of ``X`` with the model's
    current weights: a float for a model with one output, a list of floats for a list of
    outputs. Call it again after training on, and it gives the new outputs. With
    ``compiled=True`` the forward pass is traced once per structure of input and replayed
    over all of them (:class:`autograd_mini.compiled.Batched` with ``gradients=False``);
    the inputs are read into the replay once, at the first call, so give it inputs that
    stay as they are. This is how :func:`fit` scores its validation set every epoch and
    :mod:`autograd_mini.plots` evaluates a grid of thousands of points, frame after frame.

    Where a replay cannot serve, the eager engine computes the outputs under ``no_grad``:
    a model that draws random numbers now (Dropout in training mode), one that cannot be
    traced, or a branch the traces have not seen (that branch is traced for the next
    call). The numbers are the same either way, and so are the errors (an overflow raises
    the eager engine's own ``OverflowError``).

    >>> from autograd_mini import nn
    >>> model = nn.MLP(2, [3, 2], seed=0)
    >>> outputs = Outputs(model, [[0.5, -1.0], [2.0, 0.25]])
    >>> outputs() == [[v.data for v in model(x)] for x in ([0.5, -1.0], [2.0, 0.25])]
    True
    >>> model.layers[-1].neurons[0].b.data += 1.0  # the next call sees the new weight
    >>> outputs()[0][0] == model([0.5, -1.0])[0].data
    True
    """

    def __init__(self, model: Any, X: Sequence[Any], compiled: bool = True) -> None:  # noqa: N803
        self.model = model
        self.inputs = list(X)
        self._batched: Any = None
        self._prepared: list[Any] | None = None
        if compiled:
            from autograd_mini.compiled import Batched

            self._batched = Batched(model, gradients=False)

    def __call__(self) -> list[Any]:
        if self._batched is not None and not _draws_random_numbers(self.model):
            examples = [(x,) for x in self.inputs]
            if self._prepared is None:
                try:
                    self._prepared = self._batched.prepare(examples)
                except Exception:
                    # Tracing runs the model eagerly: it failed there (or the model cannot
                    # be traced), so the eager pass below raises the same error, or serves.
                    self._batched = None
            if self._prepared is not None and self._batched is not None:
                replayed = self._batched.run(self._prepared)
                if replayed is not None:
                    return list(replayed)
                with contextlib.suppress(Exception):  # a branch not seen yet: trace it
                    self._batched.learn(examples)
        with no_grad():
            return [_numbers(self.model(x)) for x in self.inputs]


def _draws_random_numbers(model: Any) -> bool:
    from autograd_mini import nn

    return isinstance(model, nn.Module) and bool(nn.stochastic_modules(model))


def _numbers(output: Any) -> Any:
    """An eager output (a Value, a number, or a list of them) as the replay gives it."""
    if isinstance(output, list | tuple):
        return [_numbers(o) for o in output]
    return output.data if isinstance(output, Value) else output


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int],
                     classes: int | None = None) -> list[list[int]]:
    """``counts[t][p]``: how many examples of class ``t`` were predicted as class ``p``.

    scikit-learn's layout: one row per true class, one column per predicted class, so the
    diagonal counts the right answers. Classes are 0 to ``classes - 1`` (default: up to
    the largest label seen).

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"confusion_matrix: {len(y_true)} true classes but {len(y_pred)} predictions")
    labels = [*y_true, *y_pred]
    if any(not _is_int_label(t) or t < 0 for t in labels):
        bad = next(t for t in labels if not _is_int_label(t) or t < 0)
        raise ValueError(f"confusion_matrix: classes are ints from 0, got {bad!r}")
    size = classes if classes is not None else max(labels, default=-1) + 1
    if labels and max(labels) >= size:
        raise ValueError(f"confusion_matrix: class {max(labels)} is beyond classes={size}")
    counts = [[0] * size for _ in range(size)]
    for t, p in zip(y_true, y_pred):
        counts[t][p] += 1
    return counts
