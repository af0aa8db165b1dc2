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
:mod:`autograd_mini.schedules` set it (``fit(..., lr_schedule=...)`` takes either).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd_mini.engine import Value

__all__ = [
    "SGD", "Adagrad", "Adam", "AdamW", "NonFiniteGradientError", "Optimizer", "RMSprop",
    "clip_grad_norm", "grad_norm", "l2_norm",
]


class NonFiniteGradientError(ValueError):
    """A parameter's gradient is inf or nan: training diverged, so no parameter moves."""


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
            raise NonFiniteGradientError(
                f"{where}: parameter {i} has gradient {g!r}; refusing to step (it would"
                " make the weights non-finite). Lower the learning rate or clip gradients"
            )
    return grads


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr``.

    ``initial_lr`` is ``None`` until a schedule is attached; the first schedule records
    ``lr`` there as the base every schedule of this optimizer scales (PyTorch's
    ``param_group["initial_lr"]``).
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        self.params = _checked_params(params, name)
        self.lr = _hyper(name, "lr", lr)
        self.initial_lr: float | None = None

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

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _hyper("SGD", "momentum", momentum)
        self.weight_decay = _hyper("SGD", "weight_decay", weight_decay)
        if nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        self.nesterov = bool(nesterov)
        self.buffers: list[float] | None = None  # momentum buffers, made at the first step

    def step(self) -> None:
        """Move every parameter one step against its gradient."""
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

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _hyper(name, "beta1", betas[0], below=1.0),
            _hyper(name, "beta2", betas[1], below=1.0),
        )
        self.eps = _hyper(name, "eps", eps)
        self.weight_decay = _hyper(name, "weight_decay", weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter one Adam step."""
        grads = _float_grads(self.params, f"{type(self).__name__}.step")
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
        self.alpha = _hyper("RMSprop", "alpha", alpha)
        self.eps = _hyper("RMSprop", "eps", eps)
        self.weight_decay = _hyper("RMSprop", "weight_decay", weight_decay)
        self.momentum = _hyper("RMSprop", "momentum", momentum)
        self.centered = bool(centered)
        self.square_avg = [0.0] * len(self.params)
        self.grad_avg = [0.0] * len(self.params)
        self.buffers = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter one RMSprop step."""
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
        self.lr_decay = _hyper("Adagrad", "lr_decay", lr_decay)
        self.weight_decay = _hyper("Adagrad", "weight_decay", weight_decay)
        start = _hyper("Adagrad", "initial_accumulator_value", initial_accumulator_value)
        self.eps = _hyper("Adagrad", "eps", eps)
        self.t = 0
        self.sums = [start] * len(self.params)

    def step(self) -> None:
        """Move every parameter one Adagrad step."""
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
    """``sqrt(sum(x * x))``, summed exactly (``math.fsum``); ``inf`` past the float range.

    The one norm of the package: :func:`grad_norm`, :func:`clip_grad_norm` and the
    gradient norms of :mod:`autograd_mini.nn` all use it. It never raises: a square too
    large for a float is ``inf``, and a nan gives nan.

    >>> l2_norm([3.0, 4.0]), l2_norm([]), l2_norm([1e200, 1e200])
    (5.0, 0.0, inf)
    """
    return math.sqrt(math.fsum(x * x for x in numbers))


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
    multiplied by ``max_norm / (norm + 1e-6)``. A non-finite norm raises ``ValueError``
    and changes nothing.

    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0)
    5.0
    >>> round(a.grad, 6), round(b.grad, 6)
    (0.6, 0.8)
    """
    plist = _checked_params(params, "clip_grad_norm")
    limit = _hyper("clip_grad_norm", "max_norm", max_norm)
    total = l2_norm(_number_grads(plist, "clip_grad_norm"))
    if not math.isfinite(total):
        raise ValueError(
            f"clip_grad_norm: the total gradient norm is {total!r}; some gradient is not finite"
        )
    scale = limit / (total + 1e-6)
    if scale < 1.0:
        for p in plist:
            p.grad = float(p.grad) * scale
    return total
