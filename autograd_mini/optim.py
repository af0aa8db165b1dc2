"""Optimizers: SGD (with momentum, Nesterov, weight decay) and Adam, plus gradient clipping.

The update rules are PyTorch's, as documented for ``torch.optim.SGD`` and
``torch.optim.Adam`` (with ``dampening=0``, ``amsgrad=False``, ``maximize=False``), applied
to each parameter's float ``.data`` using its float ``.grad``.

Gradients must be plain numbers. A parameter whose ``.grad`` is a ``Value`` (left by
``backward(create_graph=True)``) is refused with a ``TypeError`` rather than silently
converted: stepping on it would keep the whole higher-order graph alive and usually means
the wrong ``backward`` was called. A non-finite gradient raises ``ValueError``. Every
gradient is checked before any parameter moves, so a refused ``step()`` changes nothing.

``lr`` is a plain attribute: set ``optimizer.lr`` between steps for a schedule (or pass
``lr_schedule`` to :func:`autograd_mini.training.fit`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from autograd_mini.engine import Value

__all__ = [
    "SGD", "Adam", "NonFiniteGradientError", "Optimizer", "clip_grad_norm", "grad_norm", "l2_norm",
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
    """Base class: holds the parameters and the learning rate ``lr``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        self.params = _checked_params(params, name)
        self.lr = _hyper(name, "lr", lr)

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

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _hyper("Adam", "beta1", betas[0], below=1.0),
            _hyper("Adam", "beta2", betas[1], below=1.0),
        )
        self.eps = _hyper("Adam", "eps", eps)
        self.weight_decay = _hyper("Adam", "weight_decay", weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Move every parameter one Adam step."""
        grads = _float_grads(self.params, "Adam.step")
        self.t += 1
        beta1, beta2 = self.betas
        correction1 = 1.0 - beta1**self.t
        correction2 = 1.0 - beta2**self.t
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        m, v = self.m, self.v
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if wd != 0.0:
                g = g + wd * p.data
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            m_hat = m[i] / correction1
            v_hat = v[i] / correction2
            p.data -= lr * m_hat / (math.sqrt(v_hat) + eps)


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
