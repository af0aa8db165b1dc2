"""Learning-rate schedules: PyTorch's ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``,
``LinearLR`` (warm-up) and ``SequentialLR`` (one after another).

Used as in PyTorch: make the schedule from the optimizer (which sets ``optimizer.lr`` for
epoch 0), train an epoch, call ``schedule.step()``, repeat; or hand it to
:func:`autograd_mini.training.fit` as ``lr_schedule``, which steps it after every epoch::

    optimizer = optim.SGD(model.parameters(), lr=0.1)
    warmup = schedules.LinearLR(optimizer, start_factor=0.1, total_iters=5)
    decay = schedules.CosineAnnealingLR(optimizer, T_max=45)
    fit(model, X, y, loss, optimizer, epochs=50,
        lr_schedule=schedules.SequentialLR(optimizer, [warmup, decay], milestones=[5]))

Every schedule scales the optimizer's ``initial_lr`` (its ``lr`` when the first schedule was
attached) by a closed formula of the epoch, :meth:`Schedule.lr_at`. PyTorch computes the
same sequence step by step from the previous learning rate; tests compare the two over 50
epochs in float64.

A rate is checked before it is set, by the optimizer's own test of ``lr``
(:meth:`~autograd_mini.optim.Optimizer.checked_lr`): one that is not a finite number >= 0
(a ``gamma > 1`` grown past the float range, a base ``lr`` set to nan) raises ``ValueError``
naming the schedule and the epoch, and leaves the optimizer and the schedule as they were.
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

from autograd_mini.optim import Optimizer

__all__ = [
    "CosineAnnealingLR", "ExponentialLR", "LinearLR", "Schedule", "SequentialLR", "StepLR",
]


def _positive_int(where: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return value


def _number(where: str, name: str, value: Any, low: float, high: float = math.inf,
            low_open: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    above = number > low if low_open else number >= low
    if not (math.isfinite(number) and above and number <= high):
        interval = f"{'(' if low_open else '['}{low}, {high}{']' if high != math.inf else ')'}"
        raise ValueError(f"{where}: {name} must be a number in {interval}, got {value!r}")
    return number


class Schedule:
    """Base class: a learning-rate schedule attached to one optimizer.

    ``lr_at(epoch)`` is the learning rate of an epoch (epochs count from 0); ``step()``
    moves to the next epoch and sets ``optimizer.lr``; ``last_epoch`` is the current one.
    Making a schedule sets ``optimizer.lr = lr_at(0)``, as PyTorch's initial step does.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an autograd_mini.optim optimizer, got"
                f" {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr if optimizer.initial_lr is None else optimizer.initial_lr
        self.last_epoch = 0
        lr = self._checked_lr(0)  # before the optimizer is touched
        if optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        optimizer.lr = lr

    def lr_at(self, epoch: int) -> float:
        """The learning rate of ``epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch: ``last_epoch += 1`` and ``optimizer.lr = lr_at(last_epoch)``.

        A rate the optimizer refuses raises ``ValueError`` and changes neither.
        """
        epoch = self.last_epoch + 1
        self.optimizer.lr = self._checked_lr(epoch)
        self.last_epoch = epoch

    def _checked_lr(self, epoch: int) -> float:
        """``lr_at(epoch)``, checked by the optimizer as its own ``lr`` is."""
        where = f"{type(self).__name__}, epoch {epoch}"
        try:
            lr = self.lr_at(epoch)
        except OverflowError:  # gamma ** epoch past the float range
            raise ValueError(
                f"{where}: lr is beyond the largest float ({self!r} from base lr"
                f" {self.base_lr!r}); stop before this epoch or choose a smaller gamma"
            ) from None
        return self.optimizer.checked_lr(lr, where)

    def get_last_lr(self) -> list[float]:
        """The current learning rate, in a list as PyTorch's (one parameter group here)."""
        return [self.lr_at(self.last_epoch)]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if k not in ("optimizer", "base_lr", "last_epoch", "schedules"))
        return f"{type(self).__name__}({fields})"


class StepLR(Schedule):
    """``lr = initial_lr * gamma ** (epoch // step_size)``: multiply by ``gamma`` every ``step_size`` epochs.

    >>> from autograd_mini import Value, optim
    >>> opt = optim.SGD([Value(0.0)], lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> [schedule.lr_at(e) for e in range(6)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        self.gamma = _number("StepLR", "gamma", gamma, 0.0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Schedule):
    """``lr = initial_lr * gamma ** epoch``.

    >>> from autograd_mini import Value, optim
    >>> opt = optim.SGD([Value(0.0)], lr=1.0)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> schedule.step(); schedule.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _number("ExponentialLR", "gamma", gamma, 0.0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(Schedule):
    """``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

    Half a cosine from ``initial_lr`` down to ``eta_min`` over ``T_max`` epochs, then back
    up (the formula is periodic, as PyTorch's schedule is without restarts).

    >>> from autograd_mini import Value, optim
    >>> schedule = CosineAnnealingLR(optim.SGD([Value(0.0)], lr=1.0), T_max=4)
    >>> [round(schedule.lr_at(e), 4) for e in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 - PyTorch's name
        self.T_max = _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _number("CosineAnnealingLR", "eta_min", eta_min, 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        cosine = 1.0 + math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * cosine / 2.0


class LinearLR(Schedule):
    """Warm-up: the factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    ``lr = initial_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)``;
    PyTorch's defaults (``start_factor=1/3``, ``end_factor=1``, ``total_iters=5``).

    >>> from autograd_mini import Value, optim
    >>> schedule = LinearLR(optim.SGD([Value(0.0)], lr=1.0), start_factor=0.25, total_iters=3)
    >>> [schedule.lr_at(e) for e in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = _number("LinearLR", "start_factor", start_factor, 0.0, 1.0, low_open=True)
        self.end_factor = _number("LinearLR", "end_factor", end_factor, 0.0, 1.0)
        self.total_iters = _positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class SequentialLR(Schedule):
    """One schedule after another: ``schedules[i]`` runs from ``milestones[i - 1]`` on, from its epoch 0.

    PyTorch's ``SequentialLR``; the usual use is a warm-up, then a decay. Every schedule
    must belong to the same optimizer.

    >>> from autograd_mini import Value, optim
    >>> opt = optim.SGD([Value(0.0)], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> schedule = SequentialLR(opt, [warmup, decay], milestones=[2])
    >>> [schedule.lr_at(e) for e in range(5)]
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, schedules: Sequence[Schedule], milestones: Sequence[int]
    ) -> None:
        self.schedules = list(schedules)
        if not self.schedules:
            raise ValueError("SequentialLR: needs at least one schedule")
        for i, schedule in enumerate(self.schedules):
            if not isinstance(schedule, Schedule) or schedule.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR: schedule {i} ({schedule!r}) does not belong to this optimizer;"
                    " make every schedule from the same optimizer"
                )
        self.milestones = [_positive_int("SequentialLR", "every milestone", m) for m in milestones]
        if len(self.milestones) != len(self.schedules) - 1:
            raise ValueError(
                f"SequentialLR: {len(self.schedules)} schedules need {len(self.schedules) - 1}"
                f" milestones, got {len(self.milestones)}"
            )
        if any(a >= b for a, b in itertools.pairwise(self.milestones)):
            raise ValueError(f"SequentialLR: milestones must increase, got {self.milestones}")
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        index = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[index - 1] if index else 0
        return self.schedules[index].lr_at(epoch - start)
