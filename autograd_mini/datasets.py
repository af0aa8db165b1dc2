"""Small toy data sets in pure Python: deterministic for a seed, returned as plain lists.

Every generator returns ``(X, y)``: ``X`` a list of feature lists (floats), ``y`` a list
of labels. Label convention: classification labels are ``int`` class indices, 0 and 1
for the binary sets (``xor``, ``moons``, ``circles``), 0 to ``classes - 1`` for
``spirals``; ``regression`` gives float targets. micrograd's hinge-loss demo wants -1/+1:
convert with :func:`signed_labels`. Noise comes from ``random.Random(seed)``, never from
the global generator; the same arguments give the same lists on every run and machine.

:data:`PRESETS` holds, for each data set, the model and training settings that learn it
well (what ``autograd-mini train --dataset NAME`` starts from), and makes the data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PRESETS",
    "Preset",
    "circles",
    "moons",
    "regression",
    "signed_labels",
    "spirals",
    "xor",
]

Dataset = tuple[list[list[float]], list[int]]


def _linspace(start: float, stop: float, count: int, endpoint: bool = True) -> list[float]:
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1 if endpoint else count)
    return [start + i * step for i in range(count)]


def _check(where: str, n: int, noise: float, minimum: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ValueError(f"{where}: n must be an int >= {minimum}, got {n!r}")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}")


def _shuffled(points: list[list[float]], y: list[int], rng: random.Random) -> Dataset:
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [y[i] for i in order]


def xor() -> Dataset:
    """The four XOR points and their labels (1 where exactly one input is 1).

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles, with scikit-learn's ``make_moons`` geometry.

    ``n // 2`` points on the upper moon ``(cos t, sin t)`` (label 0) and the rest on the
    lower moon ``(1 - cos t, 1 - sin t - 0.5)`` (label 1), ``t`` evenly spaced in [0, π];
    shuffled, then Gaussian noise of standard deviation ``noise`` added to each coordinate.

    >>> X, y = moons(6, noise=0.0, seed=0)
    >>> sorted(zip(y, [[round(v, 3) for v in x] for x in X]))[:2]
    [(0, [-1.0, 0.0]), (0, [0.0, 1.0])]
    """
    _check("moons", n, noise)
    rng = random.Random(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    points += [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_lower)]
    y = [0] * n_upper + [1] * n_lower
    points, y = _shuffled(points, y, rng)
    return [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in points], y


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A circle of radius 1 (label 0) around one of radius ``factor`` (label 1).

    scikit-learn's ``make_circles`` geometry: ``n // 2`` points on the outer circle, the
    rest on the inner, angles evenly spaced in [0, 2π); shuffled, then Gaussian noise.

    >>> X, y = circles(4, noise=0.0, factor=0.5)
    >>> sorted((label, round(math.hypot(*x), 6)) for x, label in zip(X, y))
    [(0, 1.0), (0, 1.0), (1, 0.5), (1, 0.5)]
    """
    _check("circles", n, noise)
    if not (isinstance(factor, (int, float)) and 0.0 < factor < 1.0):
        raise ValueError(f"circles: factor must be between 0 and 1 (exclusive), got {factor!r}")
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_outer, False)]
    points += [
        [factor * math.cos(t), factor * math.sin(t)]
        for t in _linspace(0.0, 2 * math.pi, n_inner, False)
    ]
    y = [0] * n_outer + [1] * n_inner
    points, y = _shuffled(points, y, rng)
    return [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in points], y


def spirals(n: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """``classes`` interleaved spiral arms (CS231n's spiral data), ``n`` points in all.

    Arm ``k`` has radius growing evenly from 0 to 1 while the angle runs from ``4k`` to
    ``4(k + 1)`` radians, plus Gaussian noise of ``noise`` on the angle. Points are
    grouped by class (arm 0 first); the class sizes differ by at most one.

    >>> X, y = spirals(6, classes=3, noise=0.0)
    >>> y, [round(v, 3) for v in X[1]]
    ([0, 0, 1, 1, 2, 2], [-0.757, -0.654])
    """
    _check("spirals", n, noise)
    if isinstance(classes, bool) or not isinstance(classes, int) or not 2 <= classes <= n:
        raise ValueError(f"spirals: classes must be an int from 2 to n ({n}), got {classes!r}")
    rng = random.Random(seed)
    points: list[list[float]] = []
    y: list[int] = []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        radii = _linspace(0.0, 1.0, count)
        angles = _linspace(4.0 * k, 4.0 * (k + 1), count)
        for r, t in zip(radii, angles):
            t += rng.gauss(0.0, noise)
            points.append([r * math.sin(t), r * math.cos(t)])
            y.append(k)
    return points, y


REGRESSION_WEIGHTS = (1.5, 0.4, -0.3)
"""The true coefficients of :func:`regression`: size, rooms, age."""

REGRESSION_BIAS = 0.5
"""The true intercept of :func:`regression`."""


def regression(n: int = 50, seed: int = 0, noise: float = 0.1) -> tuple[list[list[float]], list[float]]:
    """A small house-price-like linear problem: ``price = 0.5 + 1.5 size + 0.4 rooms - 0.3 age``.

    Features, already on comparable scales: size in 100 m² (uniform 0.5 to 2.5), rooms
    (an integer 1 to 5, as a float), age in decades (uniform 0 to 5). The price (in units
    of 100k) gets Gaussian noise of standard deviation ``noise``. The true coefficients are
    :data:`REGRESSION_WEIGHTS` and :data:`REGRESSION_BIAS`.

    >>> X, y = regression(2, noise=0.0)
    >>> abs(y[0] - (0.5 + 1.5 * X[0][0] + 0.4 * X[0][1] - 0.3 * X[0][2])) < 1e-12
    True
    """
    _check("regression", n, noise)
    rng = random.Random(seed)
    points: list[list[float]] = []
    y: list[float] = []
    for _ in range(n):
        features = [rng.uniform(0.5, 2.5), float(rng.randint(1, 5)), rng.uniform(0.0, 5.0)]
        price = REGRESSION_BIAS + sum(w * x for w, x in zip(REGRESSION_WEIGHTS, features))
        points.append(features)
        y.append(price + rng.gauss(0.0, noise))
    return points, y


def signed_labels(labels: list[int]) -> list[int]:
    """Map 0/1 labels to -1/+1 (for :func:`autograd_mini.losses.hinge`, as micrograd's demo).

    >>> signed_labels([0, 1, 1])
    [-1, 1, 1]
    """
    result = []
    for label in labels:
        if label not in (0, 1) or isinstance(label, bool):
            raise ValueError(f"signed_labels: labels must be 0 or 1, got {label!r}")
        result.append(2 * int(label) - 1)
    return result


# ------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class Preset:
    """A data set with the settings that train a small MLP on it well.

    ``kind`` is ``"binary"``, ``"multiclass"`` or ``"regression"``; ``losses`` are the
    losses that fit its targets, the default first (``hinge``, ``bce`` for
    :func:`~autograd_mini.losses.binary_cross_entropy`, ``cross_entropy``, ``mse``);
    ``samples`` is the default size (``None``: a fixed set, like XOR's four points) and
    ``min_samples`` the smallest that still has every class; ``class_names`` says what
    class 0, 1, ... is (empty for regression). ``hidden``, ``activation``, ``optimizer``,
    ``lr`` and ``steps`` describe the model and its training.

    >>> PRESETS["moons"].loss, PRESETS["moons"].hidden
    ('hinge', (16, 16))
    >>> X, y = PRESETS["spirals"].make(samples=6)
    >>> len(X), sorted(set(y))
    (6, [0, 1, 2])
    """

    name: str
    kind: str
    losses: tuple[str, ...]
    hidden: tuple[int, ...]
    activation: str
    optimizer: str
    lr: float
    steps: int
    samples: int | None
    min_samples: int
    class_names: tuple[str, ...]
    generate: Callable[..., tuple[list[list[float]], list[Any]]]

    @property
    def loss(self) -> str:
        """The default loss: the first that fits."""
        return self.losses[0]

    def make(self, samples: int | None = None, seed: int = 0) -> tuple[list[list[float]], list[Any]]:
        """The data: ``samples`` examples (default ``samples``) drawn with ``seed``.

        A fixed set ignores both. Fewer than ``min_samples`` raises ``ValueError``.
        """
        if self.samples is None:
            features, targets = self.generate()
            return features, list(targets)
        n = self.samples if samples is None else samples
        if isinstance(n, bool) or not isinstance(n, int) or n < self.min_samples:
            raise ValueError(
                f"{self.name}: needs at least {self.min_samples} samples"
                f"{self._why_minimum()}, got {n!r}"
            )
        features, targets = self.generate(n, seed=seed)
        return features, list(targets)

    def _why_minimum(self) -> str:
        if self.kind == "regression":
            return ""
        return f" (one for each of its {self.min_samples} classes)"


_BINARY_LOSSES = ("hinge", "bce", "cross_entropy", "mse")

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("xor", "binary", ("bce", "hinge", "cross_entropy", "mse"), (4,), "tanh",
               "adam", 0.1, 150, None, 4, ("inputs equal", "inputs differ"), xor),
        Preset("moons", "binary", _BINARY_LOSSES, (16, 16), "relu", "sgd", 0.5, 100, 100, 2,
               ("upper moon", "lower moon"), moons),
        Preset("circles", "binary", _BINARY_LOSSES, (16, 16), "relu", "adam", 0.02, 100, 100, 2,
               ("outer circle", "inner circle"), circles),
        Preset("spirals", "multiclass", ("cross_entropy",), (16, 16), "relu", "adam", 0.02, 150,
               90, 3, ("arm 0", "arm 1", "arm 2"), spirals),
        Preset("regression", "regression", ("mse",), (8,), "relu", "adam", 0.02, 200, 50, 1,
               (), regression),
    )
}
"""Every built-in data set by name, with its training defaults (see :class:`Preset`)."""
