"""Loss functions for one example, built from the engine's ops so they backpropagate.

Each loss takes one prediction and one target and returns a ``Value``; averaging over a
batch is the caller's job (:func:`autograd_mini.training.fit` does it). Predictions are
the raw outputs of a model (scores or logits: :class:`~autograd_mini.nn.MLP` ends with a
linear layer), targets are plain numbers.

=========================  =======================================  ===================
loss                       target                                   formula
=========================  =======================================  ===================
``mse``                    a number (or a list, for list outputs)   (p - t)**2, averaged
``binary_cross_entropy``   0 or 1 (any number in [0, 1])            softplus(z) - z*t
``cross_entropy``          an int class index                       logsumexp(z) - z[t]
``hinge``                  -1 or 1                                  relu(1 - t*score)
=========================  =======================================  ===================

The logit losses stay finite and keep exact gradients at logits of ±1000: they never
exponentiate a large positive number (see each function).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from autograd_mini.engine import Value

__all__ = ["binary_cross_entropy", "cross_entropy", "hinge", "l2_penalty", "mse"]


def _as_value(x: Any, where: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool):
        raise TypeError(f"{where}: got the bool {x!r} as prediction; use a Value or a number")
    if isinstance(x, numbers.Real):
        return Value(x)
    raise TypeError(f"{where}: expected a Value or a number as prediction, got {type(x).__name__}")


def _number(x: Any, where: str, what: str) -> float:
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise ValueError(f"{where}: {what} must be a finite number, got {x!r}")
    return float(x)


def mse(prediction: Any, target: Any) -> Value:
    """Squared error ``(prediction - target)**2``; for lists, the mean over the entries.

    >>> mse(Value(3.0), 1.0)
    Value(data=4.0, grad=0.0)
    >>> mse([Value(1.0), Value(2.0)], [1.0, 4.0]).data
    2.0
    """
    if isinstance(prediction, (list, tuple)):
        if not isinstance(target, (list, tuple)) or len(target) != len(prediction):
            raise ValueError(
                f"mse: prediction has {len(prediction)} entries, so the target must be a list"
                f" of as many numbers; got {target!r}"
            )
        if not prediction:
            raise ValueError("mse: empty prediction")
        errors = [mse(p, t) for p, t in zip(prediction, target)]
        return sum(errors[1:], errors[0]) * (1.0 / len(errors))
    return (_as_value(prediction, "mse") - _number(target, "mse", "the target")) ** 2


def binary_cross_entropy(logit: Any, target: Any) -> Value:
    """``-t log σ(z) - (1 - t) log(1 - σ(z))`` for a logit ``z`` and a target ``t`` in [0, 1].

    Computed as ``softplus(z) - z*t`` with ``softplus(z) = max(z, 0) + log(1 + exp(-|z|))``.
    The branch on the sign of ``z`` is taken on the data, so ``exp`` only ever sees a
    non-positive number (no overflow at z = 1000) and each branch is smooth: the gradient
    is exactly ``sigmoid(z) - t`` everywhere, z = 0 included (building it from ``relu`` and
    ``abs`` would give ``-t`` there, from their kink conventions). With no ``log1p`` op,
    ``log(1 + exp(-|z|))`` rounds to 0 for ``|z| > ~37``: the value is then accurate to
    ~1e-16 absolutely (as PyTorch's formula), the gradient still to full relative precision.

    >>> z = Value(0.0)
    >>> loss = binary_cross_entropy(z, 1)
    >>> loss.backward()
    >>> round(loss.data, 6), z.grad
    (0.693147, -0.5)
    >>> binary_cross_entropy(Value(-1000.0), 1).data
    1000.0
    """
    z = _as_value(logit, "binary_cross_entropy")
    t = _number(target, "binary_cross_entropy", "the target")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"binary_cross_entropy: target {t!r} must be in [0, 1] (a class 0 or 1)")
    if z.data >= 0.0:
        # softplus(z) - z*t = z*(1 - t) + log(1 + exp(-z))
        return z * (1.0 - t) + (1.0 + (-z).exp()).log()
    # softplus(z) - z*t = -z*t + log(1 + exp(z))
    return z * (-t) + (1.0 + z.exp()).log()


def cross_entropy(logits: Sequence[Any], target: Any) -> Value:
    """``-log softmax(logits)[target]`` for a list of logits and an integer class.

    Uses log-sum-exp with the largest logit ``m`` subtracted as a plain float:
    ``m + log(sum(exp(z_i - m))) - z[target]``. Every ``exp`` sees a number <= 0, so logits
    of ±1000 stay finite, and since the result does not depend on ``m`` the gradient is
    exactly ``softmax(z) - onehot(target)``.

    >>> z = [Value(1000.0), Value(-1000.0)]
    >>> loss = cross_entropy(z, 1)
    >>> loss.backward()
    >>> loss.data, z[0].grad, z[1].grad
    (2000.0, 1.0, -1.0)
    """
    if isinstance(logits, Value) or not isinstance(logits, Sequence) or len(logits) < 2:
        raise ValueError(
            "cross_entropy: logits must be a list of at least two scores (one per class);"
            f" got {logits!r}. For two classes and one logit use binary_cross_entropy"
        )
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise ValueError(f"cross_entropy: target must be an int class index, got {target!r}")
    index = int(target)
    if not 0 <= index < len(logits):
        raise ValueError(
            f"cross_entropy: target class {index} is out of range for {len(logits)} logits"
            f" (0 to {len(logits) - 1})"
        )
    z = [_as_value(x, "cross_entropy") for x in logits]
    # Each logit is checked: max() would skip a NaN that is not first (max([1.0, nan]) is 1.0).
    for i, v in enumerate(z):
        if not math.isfinite(v.data):
            raise ValueError(
                f"cross_entropy: logit {i} is {v.data!r}; logits must be finite (a model whose"
                " outputs are inf or nan has diverged: lower the learning rate)"
            )
    shift = max(v.data for v in z)
    exps = [(v - shift).exp() for v in z]
    total = sum(exps[1:], exps[0])
    return total.log() + shift - z[index]


def hinge(score: Any, target: Any) -> Value:
    """micrograd's max-margin loss ``relu(1 - target * score)`` for a target of -1 or 1.

    Zero once the score is on the right side with margin 1; relu'(0) = 0 at the margin.

    >>> hinge(Value(0.25), 1)
    Value(data=0.75, grad=0.0)
    >>> hinge(Value(3.0), -1).data
    4.0
    """
    t = _number(target, "hinge", "the target")
    if t not in (-1.0, 1.0):
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
