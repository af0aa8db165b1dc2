"""Loss functions for one example, built from the engine's ops so they backpropagate.

Each loss takes one prediction and one target and returns a ``Value``; averaging over a
batch is the caller's job (:func:`autograd_mini.training.fit` does it). Predictions are
the raw outputs of a model (scores or logits: :class:`~autograd_mini.nn.MLP` ends with a
linear layer), targets are plain numbers.

=========================  =======================================  ==========================
loss                       target                                   formula
=========================  =======================================  ==========================
``mse``                    a number (or a list, for list outputs)   (p - t)**2, averaged
``l1``                     a number (or a list)                     abs(p - t), averaged
``huber``                  a number (or a list)                     ½(p - t)² within ``delta``,
                                                                    else linear; averaged
``binary_cross_entropy``   0 or 1 (any number in [0, 1])            softplus(z) - z*t
``cross_entropy``          an int class index                       logsumexp(z) - z[t]
                                                                    (``label_smoothing``)
``nll``                    an int class index                       -logp[t]
``hinge``                  -1 or 1                                  relu(1 - t*score)
=========================  =======================================  ==========================

Each equals PyTorch's loss of the same name (``l1_loss``, ``huber_loss``, ``nll_loss``,
``cross_entropy``, ...) on one example; tests compare values and gradients in float64.
The logit losses stay finite and keep exact gradients at logits of ±1000: they never
exponentiate a large positive number (see each function).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd_mini.engine import Value
from autograd_mini.functions import abs as absolute
from autograd_mini.functions import logsumexp

__all__ = [
    "binary_cross_entropy", "cross_entropy", "hinge", "huber", "l1", "l2_penalty", "mse", "nll",
]


def _as_value(x: Any, where: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool):
        raise TypeError(f"{where}: got the bool {x!r} as prediction; use a Value or a number")
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(f"{where}: expected a Value or a number as prediction, got {type(x).__name__}")


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _number(x: Any, where: str, what: str) -> float:
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise ValueError(f"{where}: {what} must be a finite number, got {x!r}")
    return float(x)


def _mean_over(where: str, error: Callable[[Any, Any], Value], prediction: Any, target: Any) -> Value:
    """``error(prediction, target)``, or for lists the mean of it over the entries."""
    if not isinstance(prediction, (list, tuple)):
        return error(prediction, target)
    if not isinstance(target, (list, tuple)) or len(target) != len(prediction):
        raise ValueError(
            f"{where}: prediction has {len(prediction)} entries, so the target must be a list"
            f" of as many numbers; got {target!r}"
        )
    if not prediction:
        raise ValueError(f"{where}: empty prediction")
    errors = [error(p, t) for p, t in zip(prediction, target)]
    return sum(errors[1:], errors[0]) * (1.0 / len(errors))


def _target(x: Any, where: str) -> Value | float:
    """A target: its number is checked; a Value (as the compiled mode traces a number
    argument) is kept, so that the computation reads it and a trace sees it."""
    number = _number(x, where, "the target")
    return x if isinstance(x, Value) else number


def _difference(where: str, prediction: Any, target: Any) -> Value:
    return _as_value(prediction, where) - _target(target, where)


def mse(prediction: Any, target: Any) -> Value:
    """Squared error ``(prediction - target)**2``; for lists, the mean over the entries.

    >>> mse(Value(3.0), 1.0)
    Value(data=4.0, grad=0.0)
    >>> mse([Value(1.0), Value(2.0)], [1.0, 4.0]).data
    2.0
    """
    return _mean_over("mse", lambda p, t: _difference("mse", p, t) ** 2, prediction, target)


def l1(prediction: Any, target: Any) -> Value:
    """Absolute error ``|prediction - target|``; for lists, the mean (PyTorch's ``l1_loss``).

    Its derivative is the sign of the error, 0 where prediction equals target (abs'(0) = 0,
    as in PyTorch).

    >>> l1(Value(3.0), 1.0), l1([Value(1.0), Value(2.0)], [1.5, 4.0]).data
    (Value(data=2.0, grad=0.0), 1.25)
    """
    return _mean_over("l1", lambda p, t: absolute(_difference("l1", p, t)), prediction, target)


def huber(prediction: Any, target: Any, delta: float = 1.0) -> Value:
    """Huber loss (PyTorch's ``huber_loss``): quadratic near the target, linear far from it.

    With ``d = |prediction - target|``: ``0.5 * d**2`` if ``d < delta``, else
    ``delta * (d - 0.5 * delta)``. The two pieces meet with equal value and slope at
    ``d = delta``, so the gradient is the error clipped to ``[-delta, delta]``: outliers
    pull no harder than ``delta``. For lists, the mean over the entries.

    >>> huber(Value(0.5), 0.0).data, huber(Value(3.0), 0.0).data, huber(Value(3.0), 0.0, delta=2.0).data
    (0.125, 2.5, 4.0)
    """
    if not (_is_number(delta) and math.isfinite(delta) and delta > 0):
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")

    def error(p: Any, t: Any) -> Value:
        d = _difference("huber", p, t)
        quadratic: Value = 0.5 * d * d if abs(d.data) < delta else delta * (absolute(d) - 0.5 * delta)
        return quadratic

    return _mean_over("huber", error, prediction, target)


def binary_cross_entropy(logit: Any, target: Any) -> Value:
    """``-t log σ(z) - (1 - t) log(1 - σ(z))`` for a logit ``z`` and a target ``t`` in [0, 1].

    Computed as ``softplus(z) - z*t`` with ``softplus(z) = max(z, 0) + log1p(exp(-|z|))``.
    The branch on the sign of ``z`` compares the Value (the compiled mode records it as a
    guard), so ``exp`` only ever sees a non-positive number (no overflow at z = 1000) and
    each branch is smooth: the gradient is exactly ``sigmoid(z) - t`` everywhere, z = 0
    included (building it from ``relu`` and ``abs`` would give ``-t`` there, from their kink
    conventions). Written out rather than with the ``softplus`` op, the gradient keeps its
    relative precision where ``sigmoid(z) - t`` cancels: at z = 40, t = 1 it is -4.2e-18,
    where ``sigmoid(40) - 1`` (PyTorch's backward formula) rounds to 0; ``log1p`` keeps the
    value's, 4.2e-18 there.

    >>> z = Value(0.0)
    >>> loss = binary_cross_entropy(z, 1)
    >>> loss.backward()
    >>> round(loss.data, 6), z.grad
    (0.693147, -0.5)
    >>> binary_cross_entropy(Value(-1000.0), 1).data
    1000.0
    """
    z = _as_value(logit, "binary_cross_entropy")
    t = _target(target, "binary_cross_entropy")
    if not 0.0 <= _number(t, "binary_cross_entropy", "the target") <= 1.0:
        raise ValueError(f"binary_cross_entropy: target {t!r} must be in [0, 1] (a class 0 or 1)")
    if z >= 0.0:  # compares the Value, so the compiled mode records the branch taken
        # softplus(z) - z*t = z*(1 - t) + log1p(exp(-z))
        return z * (1.0 - t) + (-z).exp().log1p()
    # softplus(z) - z*t = -z*t + log1p(exp(z))
    return z * (-t) + z.exp().log1p()


def _class_index(where: str, target: Any, classes: int, what: str) -> int:
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise ValueError(f"{where}: target must be an int class index, got {target!r}")
    index = int(target)
    if not 0 <= index < classes:
        raise ValueError(
            f"{where}: target class {index} is out of range for {classes} {what}"
            f" (0 to {classes - 1})"
        )
    return index


def _finite_scores(where: str, scores: Sequence[Any], what: str) -> list[Value]:
    values = [_as_value(x, where) for x in scores]
    # Each is checked: max() would skip a NaN that is not first (max([1.0, nan]) is 1.0).
    for i, v in enumerate(values):
        if not math.isfinite(v.data):
            raise ValueError(
                f"{where}: {what} {i} is {v.data!r}; {what}s must be finite (a model whose"
                " outputs are inf or nan has diverged: lower the learning rate)"
            )
    return values


def cross_entropy(logits: Sequence[Any], target: Any, label_smoothing: float = 0.0) -> Value:
    """``-log softmax(logits)[target]`` for a list of logits and an integer class.

    Uses ``autograd_mini.functions.logsumexp``, which subtracts the largest logit
    ``m`` (held constant): ``lse = log(sum(exp(z_i - m))) + m``, and the loss
    ``lse - z[target]``. Every ``exp`` sees a number <= 0, so logits of ±1000 stay finite,
    and since the result does not depend on ``m`` the gradient is exactly
    ``softmax(z) - onehot(target)``.

    ``label_smoothing=ε`` (PyTorch's): the target is the mixture of the one-hot class
    (weight ``1 - ε``) and the uniform distribution over the ``C`` classes (weight ``ε``),
    so the loss is ``(1 - ε) * (lse - z[target]) + ε / C * sum_i (lse - z_i)``.

    >>> z = [Value(1000.0), Value(-1000.0)]
    >>> loss = cross_entropy(z, 1)
    >>> loss.backward()
    >>> loss.data, z[0].grad, z[1].grad
    (2000.0, 1.0, -1.0)
    >>> round(cross_entropy([Value(2.0), Value(0.0)], 0, label_smoothing=0.2).data, 6)
    0.326928
    """
    if isinstance(logits, Value) or not isinstance(logits, Sequence) or len(logits) < 2:
        raise ValueError(
            "cross_entropy: logits must be a list of at least two scores (one per class);"
            f" got {logits!r}. For two classes and one logit use binary_cross_entropy"
        )
    smoothing = label_smoothing
    if not (_is_number(smoothing) and 0.0 <= smoothing <= 1.0):
        raise ValueError(
            f"cross_entropy: label_smoothing must be a number in [0, 1], got {label_smoothing!r}"
        )
    index = _class_index("cross_entropy", target, len(logits), "logits")
    z = _finite_scores("cross_entropy", logits, "logit")
    lse: Value = logsumexp(z)
    if smoothing == 0.0:
        return lse - z[index]
    # PyTorch's arrangement: log-probabilities first, then the two terms.
    log_probabilities = [v - lse for v in z]
    smooth = -sum(log_probabilities[1:], log_probabilities[0])
    return (1.0 - smoothing) * -log_probabilities[index] + smooth * (smoothing / len(z))


def nll(log_probabilities: Sequence[Any], target: Any) -> Value:
    """Negative log-likelihood ``-log_probabilities[target]`` (PyTorch's ``nll_loss``).

    For a model whose outputs are already log-probabilities (a log-softmax of its own):
    ``nll(log_softmax(z), t)`` is ``cross_entropy(z, t)``. The gradient is ``-1`` on the
    target class and 0 elsewhere.

    >>> logp = [Value(-0.25), Value(-1.5)]
    >>> loss = nll(logp, 1)
    >>> loss.backward()
    >>> loss.data, logp[0].grad, logp[1].grad
    (1.5, 0.0, -1.0)
    """
    if isinstance(log_probabilities, Value) or not isinstance(log_probabilities, Sequence) or (
        not log_probabilities
    ):
        raise ValueError(
            "nll: log_probabilities must be a list of scores (one per class); got"
            f" {log_probabilities!r}"
        )
    index = _class_index("nll", target, len(log_probabilities), "log-probabilities")
    values = _finite_scores("nll", log_probabilities, "log-probability")
    return -values[index]


def hinge(score: Any, target: Any) -> Value:
    """micrograd's max-margin loss ``relu(1 - target * score)`` for a target of -1 or 1.

    Zero once the score is on the right side with margin 1; relu'(0) = 0 at the margin.

    >>> hinge(Value(0.25), 1)
    Value(data=0.75, grad=0.0)
    >>> hinge(Value(3.0), -1).data
    4.0
    """
    t = _target(target, "hinge")
    if _number(t, "hinge", "the target") not in (-1.0, 1.0):
        raise ValueError(
            f"hinge: target {target!r} must be -1 or 1; convert 0/1 labels with"
            " autograd_mini.datasets.signed_labels"
        )
    return (1.0 - t * _as_value(score, "hinge")).relu()


def l2_penalty(parameters: Iterable[Value]) -> Value:
    """``sum(p * p)`` over the parameters; micrograd's demo adds ``1e-4 *`` this to its loss.

    >>> l2_penalty([Value(1.0), Value(-2.0)])
    Value(data=5.0, grad=0.0)
    """
    squares = [p * p for p in parameters]
    if not squares:
        return Value(0.0)
    return sum(squares[1:], squares[0])
