"""Optimizers: SGD, Adam, AdamW, RMSprop and Adagrad, plus gradient clipping.

The update rules and defaults are PyTorch's, as documented for ``torch.optim.SGD``,
``Adam``, ``AdamW``, ``RMSprop`` and ``Adagrad`` (with ``dampening=0``, ``amsgrad=False``,
``maximize=False``), applied to each parameter's float ``.data`` using its float ``.grad``;
tests compare 50 steps of each with PyTorch in float64.

Gradients must be plain numbers. A parameter whose ``.grad`` is a ``Value`` (left by
``backward(create_graph=True)``) is refused with a ``TypeError`` rather than silently
converted: stepping on it would keep the whole higher-order graph alive and usually means
the wrong ``backward`` was called. A non-finite gradient raises ``ValueError``. Every
gradient is checked before any parameter moves, so a refused ``step()`` changes nothing.

``lr`` is a plain attribute: set ``optimizer.lr`` between steps, or let a schedule of
:mod:`autograd_mini.schedules` set it (``fit(..., lr_schedule=...)`` takes either). The
hyperparameters are plain attributes too, and one check,
:meth:`Optimizer.check_hyperparameters`, holds them to their ranges: the constructor runs
it, and so does every ``step()`` before it reads a gradient, so an ``lr`` set to nan, inf
or a negative number between steps is refused with a ``ValueError`` and no weight moves.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable
from typing import Any

from autograd_mini.engine import Value

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "NonFiniteGradientError", "Optimizer", "RMSprop",
    "clip_grad_norm", "grad_norm", "l2_norm",
]


class NonFiniteGradientError(ValueError):
    """A parameter's gradient is inf or nan: training diverged, so no parameter moves.

    ``reason`` is what was found (``"SGD.step: parameter 1 has gradient inf"``), without the
    advice of the message, for a caller that knows better what caused it (``fit`` does).
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason


def _checked_params(params: Iterable[Value], where: str) -> list[Value]:
    if isinstance(params, Value):
        raise TypeError(f"{where}: expected an iterable of Values (model.parameters()), got a Value")
    result = list(params)
    if not result:
        raise ValueError(f"{where}: got an empty parameter list; pass model.parameters()")
    seen: set[int] = set()
    for i, p in enumerate(result):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: parameter {i} is {type(p).__name__}, not a Value")
        if id(p) in seen:
            raise ValueError(f"{where}: parameter {i} appears twice; it would be updated twice")
        seen.add(id(p))
    return result


def _hyper(where: str, name: str, value: Any, low: float = 0.0, below: float | None = None) -> float:
    if type(value) is float:  # the usual case, without the ABC check: step() runs this
        number = value
    else:
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        number = float(value) if ok else math.nan
    if not (math.isfinite(number) and number >= low and (below is None or number < below)):
        bound = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"{where}: {name} must be a number {bound}, got {value!r}")
    return number


def _number_grads(params: Iterable[Value], where: str) -> list[float]:
    """Every parameter's ``.grad`` as a float; a Value there (create_graph) is refused."""
    grads = []
    for i, p in enumerate(params):
        if isinstance(p.grad, Value):
            raise TypeError(
                f"{where}: parameter {i} has a Value as .grad (left by"
                " backward(create_graph=True)); optimizers and gradient norms take numbers."
                " Call backward() without create_graph, or set p.grad = float(p.grad) first"
            )
        grads.append(float(p.grad))
    return grads


def _float_grads(params: list[Value], where: str) -> list[float]:
    grads = _number_grads(params, where)
    for i, g in enumerate(grads):
        if not math.isfinite(g):
            reason = f"{where}: parameter {i} has gradient {g!r}"
            raise NonFiniteGradientError(
                f"{reason}; refusing to step (it would make the weights non-finite)."
                " Lower the learning rate or clip gradients", reason,
            )
    return grads


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr``.

    ``initial_lr`` is ``None`` until a schedule is attached; the first schedule records
    ``lr`` there as the base every schedule of this optimizer scales (PyTorch's
    ``param_group["initial_lr"]``).

    A subclass sets its hyperparameters as attributes, then calls
    :meth:`check_hyperparameters` at the end of its constructor and first thing in
    ``step()``; it extends that method for the hyperparameters it adds.
    """

    HYPERPARAMETERS: tuple[str, ...] = ()
    """The attributes besides ``lr`` that must be finite numbers >= 0 (``momentum``, ...)."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = _checked_params(params, type(self).__name__)
        self.lr = self.checked_lr(lr, type(self).__name__)
        self.initial_lr: float | None = None

    def checked_lr(self, lr: Any, where: str) -> float:
        """``lr`` as a float if it is a learning rate (a finite number >= 0), else ``ValueError``.

        The one test of a learning rate: :meth:`check_hyperparameters` applies it to
        ``self.lr``, and a schedule to the rate it is about to set (``where`` names the
        schedule and the epoch). It changes nothing.
        """
        return _hyper(where, "lr", lr)

    def check_hyperparameters(self, where: str | None = None) -> None:
        """Hold every hyperparameter to its range, or raise ``ValueError`` naming it.

        The constructor runs it (``where`` is the class name) and so does every ``step()``
        (``"SGD.step"``), before it reads a gradient or moves a weight, so a value set
        between steps (``optimizer.lr = float("nan")``) is refused with nothing changed. A
        valid value is stored back as a float.
        """
        where = type(self).__name__ if where is None else where
        self.lr = self.checked_lr(self.lr, where)
        for name in self.HYPERPARAMETERS:
            setattr(self, name, _hyper(where, name, getattr(self, name)))

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (dampening 0)::

        g = grad + weight_decay * p
        b = g                      (first step)      b = momentum * b + g   (later)
        g = g + momentum * b       (nesterov)        g = b                  (otherwise)
        p = p - lr * g

    With ``momentum=0`` this is micrograd's ``p.data -= lr * p.grad`` exactly.

    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = 2.0; opt.step(); w.data
    0.8
    >>> opt.step(); round(w.data, 12)  # b = 0.9 * 2 + 2 = 3.8
    0.42
    """

    HYPERPARAMETERS = ("momentum", "weight_decay")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.nesterov = bool(nesterov)
        self.check_hyperparameters()
        self.buffers: list[float] | None = None  # momentum buffers, made at the first step

    def check_hyperparameters(self, where: str | None = None) -> None:
        where = "SGD" if where is None else where
        super().check_hyperparameters(where)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError(f"{where}: nesterov=True needs a momentum > 0")

    def step(self) -> None:
        """Move every parameter one step against its gradient."""
        self.check_hyperparameters("SGD.step")
        grads = _float_grads(self.params, "SGD.step")
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        first = self.buffers is None
        if mu != 0.0 and first:
            self.buffers = [0.0] * len(self.params)
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if wd != 0.0:
                g = g + wd * p.data
            if mu != 0.0:
                assert self.buffers is not None
                b = g if first else mu * self.buffers[i] + g
                self.buffers[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's rule with L2 ``weight_decay`` (not AdamW)::

        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t);  v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 5.0; opt.step(); round(w.data, 9)  # the first step moves by ~lr
    0.9
    """

    # AdamW's difference: weight decay shrinks p directly instead of entering g.
    _decoupled_weight_decay: bool = False

    HYPERPARAMETERS = ("eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.check_hyperparameters()
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def check_hyperparameters(self, where: str | None = None) -> None:
        where = type(self).__name__ if where is None else where
        super().check_hyperparameters(where)
        betas = self.betas
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _hyper(where, "beta1", betas[0], below=1.0),
            _hyper(where, "beta2", betas[1], below=1.0),
        )

    def step(self) -> None:
        """Move every parameter one Adam step."""
        where = f"{type(self).__name__}.step"
        self.check_hyperparameters(where)
        grads = _float_grads(self.params, where)
        self.t += 1
        beta1, beta2 = self.betas
        correction1 = 1.0 - beta1**self.t
        correction2 = 1.0 - beta2**self.t
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        decoupled = self._decoupled_weight_decay
        m, v = self.m, self.v
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if wd != 0.0:
                if decoupled:
                    p.data *= 1.0 - lr * wd
                else:
                    g = g + wd * p.data
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            m_hat = m[i] / correction1
            v_hat = v[i] / correction2
            p.data -= lr * m_hat / (math.sqrt(v_hat) + eps)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch's rule::

        p = p * (1 - lr * weight_decay)           (first, on the weights themselves)
        then Adam's update with g = grad

    PyTorch's defaults: ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=1e-2``. Unlike Adam's L2 term, the decay does not pass through the
    moment estimates, so it shrinks every weight at the same relative rate.

    >>> w = Value(1.0)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = 0.0; opt.step(); w.data  # no gradient: only the decay, 1 * (1 - 0.1 * 0.5)
    0.95
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's rule and defaults (``lr=1e-2``, ``alpha=0.99``, ``eps=1e-8``)::

        g = grad + weight_decay * p
        s = alpha * s + (1 - alpha) * g * g
        centered:  a = a + (1 - alpha) * (g - a);  d = sqrt(s - a * a) + eps
        otherwise: d = sqrt(s) + eps
        b = momentum * b + g / d;  p = p - lr * b     (momentum > 0)
        p = p - lr * g / d                            (otherwise)

    ``centered`` divides by an estimate of the gradient's variance instead of its second
    moment. (Rounding can make ``s - a * a`` a hair below 0; it is taken as 0 there,
    where PyTorch would give NaN.)

    >>> w = Value(1.0)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
    >>> w.grad = 2.0; opt.step(); w.data  # s = 0.25 * 4 = 1; 1 - 0.01 * 2 / 1
    0.98
    """

    HYPERPARAMETERS = ("alpha", "eps", "weight_decay", "momentum")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = bool(centered)
        self.check_hyperparameters()
        self.square_avg = [0.0] * len(self.params)
        self.grad_avg = [0.0] * len(self.params)
        self.buffers = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter one RMSprop step."""
        self.check_hyperparameters("RMSprop.step")
        grads = _float_grads(self.params, "RMSprop.step")
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if wd != 0.0:
                g = g + wd * p.data
            self.square_avg[i] = alpha * self.square_avg[i] + (1.0 - alpha) * g * g
            if self.centered:
                self.grad_avg[i] = self.grad_avg[i] + (1.0 - alpha) * (g - self.grad_avg[i])
                variance = self.square_avg[i] - self.grad_avg[i] * self.grad_avg[i]
                denominator = math.sqrt(max(variance, 0.0)) + eps
            else:
                denominator = math.sqrt(self.square_avg[i]) + eps
            if mu > 0.0:
                self.buffers[i] = mu * self.buffers[i] + g / denominator
                p.data -= lr * self.buffers[i]
            else:
                p.data -= lr * (g / denominator)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), PyTorch's rule and defaults (``lr=1e-2``, ``eps=1e-10``)::

        g = grad + weight_decay * p
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                       (s starts at initial_accumulator_value)
        p = p - lr_t * g / (sqrt(s) + eps)

    Each parameter's step shrinks with the sum of its squared gradients so far.

    >>> w = Value(1.0)
    >>> opt = Adagrad([w], lr=0.5, eps=0.0)
    >>> w.grad = 4.0; opt.step(); w.data  # s = 16: 1 - 0.5 * 4 / 4
    0.5
    """

    HYPERPARAMETERS = ("lr_decay", "weight_decay", "eps")

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, lr)
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.eps = eps
        self.check_hyperparameters()
        # Used once, here: the accumulators' start, not a hyperparameter of each step.
        start = _hyper("Adagrad", "initial_accumulator_value", initial_accumulator_value)
        self.t = 0
        self.sums = [start] * len(self.params)

    def step(self) -> None:
        """Move every parameter one Adagrad step."""
        self.check_hyperparameters("Adagrad.step")
        grads = _float_grads(self.params, "Adagrad.step")
        self.t += 1
        lr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        wd, eps = self.weight_decay, self.eps
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if wd != 0.0:
                g = g + wd * p.data
            self.sums[i] += g * g
            p.data -= lr * (g / (math.sqrt(self.sums[i]) + eps))


def l2_norm(numbers: Iterable[float]) -> float:
    """``sqrt(sum(x * x))``, summed exactly (``math.fsum``), without overflow.

    The one norm of the package: :func:`grad_norm`, :func:`clip_grad_norm` and the
    gradient norms of :mod:`autograd_mini.nn` all use it. It never raises. When the
    squares (or their sum) overflow though every number is finite, the norm is computed
    again by ``math.hypot``, which scales before it squares: it is ``inf`` only if the
    norm itself is past the float range. An inf among the numbers gives ``inf``, a nan
    gives nan. (The sum as written serves every other case, so those digits are its own.)

    >>> l2_norm([3.0, 4.0]), l2_norm([]), l2_norm([1e200, 1e200]), l2_norm([1.0, math.inf])
    (5.0, 0.0, 1.414213562373095e+200, inf)
    """
    values = numbers if isinstance(numbers, list) else list(numbers)
    try:
        total = math.fsum(x * x for x in values)
    except OverflowError:  # fsum raises when a sum of finite squares leaves the float range
        total = math.inf
    if total != math.inf:
        return math.sqrt(total)  # the usual case; nan stays nan
    if any(math.isnan(x) for x in values):
        return math.nan
    if all(math.isfinite(x) for x in values):
        return math.hypot(*values)  # inf only if the norm is beyond the largest float
    return math.inf


def grad_norm(params: Iterable[Value]) -> float:
    """The L2 norm of all the parameters' gradients together (``inf`` if one is too large).

    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> grad_norm([a, b])
    5.0
    """
    return l2_norm(_number_grads(params, "grad_norm"))


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale gradients so their total L2 norm is at most ``max_norm``; return the norm before.

    As PyTorch's ``clip_grad_norm_``: when the norm exceeds ``max_norm`` every gradient is
    multiplied by ``max_norm / (norm + 1e-6)``. The norm is :func:`l2_norm`'s, so finite
    gradients too large to square (``1e200``) are clipped as any others. An inf or nan
    gradient raises ``ValueError`` naming it, and so does a norm beyond the largest float
    (every gradient finite, but no float can hold their norm); either way nothing changes.

    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0)
    5.0
    >>> round(a.grad, 6), round(b.grad, 6)
    (0.6, 0.8)
    """
    plist = _checked_params(params, "clip_grad_norm")
    limit = _hyper("clip_grad_norm", "max_norm", max_norm)
    grads = _number_grads(plist, "clip_grad_norm")
    total = l2_norm(grads)
    if not math.isfinite(total):
        bad = next((i for i, g in enumerate(grads) if not math.isfinite(g)), None)
        if bad is not None:
            raise ValueError(
                f"clip_grad_norm: parameter {bad} has gradient {grads[bad]!r}, so the total"
                " gradient norm is not finite; nothing was clipped (scaling cannot make an"
                " inf or nan gradient finite)"
            )
        raise ValueError(
            "clip_grad_norm: every gradient is finite, but their total norm is beyond the"
            f" largest float ({sys.float_info.max!r}); nothing was clipped. Scale the loss"
            " down (its gradients scale with it)"
        )
    scale = limit / (total + 1e-6)
    if scale < 1.0:
        for p in plist:
            p.grad = float(p.grad) * scale
    return total
