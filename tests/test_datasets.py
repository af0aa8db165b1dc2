"""datasets: geometry, label conventions, determinism, plain lists, argument checks."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from autograd_mini import datasets
from autograd_mini.datasets import circles, moons, regression, signed_labels, spirals, xor


def _plain(points, y) -> bool:
    return (
        type(points) is list and type(y) is list and len(points) == len(y)
        and all(type(x) is list and all(type(v) is float for v in x) for x in points)
    )


def test_xor_truth_table() -> None:
    points, y = xor()
    assert _plain(points, y)
    assert y == [int(a) ^ int(b) for a, b in points]


def test_moons_without_noise_lie_on_sklearns_half_circles() -> None:
    points, y = moons(101, noise=0.0, seed=3)
    assert _plain(points, y)
    assert y.count(0) == 50 and y.count(1) == 51  # n // 2 on the upper moon, as sklearn
    for (a, b), label in zip(points, y):
        if label == 0:  # (cos t, sin t), t in [0, pi]
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # (1 - cos t, 1 - sin t - 0.5)
            assert math.hypot(1.0 - a, 0.5 - b) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    upper = sorted(a for (a, _), label in zip(points, y) if label == 0)
    assert upper[0] == pytest.approx(-1.0) and upper[-1] == pytest.approx(1.0)
    # evenly spaced angles, as numpy.linspace(0, pi, 50)
    angles = sorted(math.atan2(b, a) for (a, b), label in zip(points, y) if label == 0)
    gaps = [t2 - t1 for t1, t2 in itertools.pairwise(angles)]
    assert gaps == pytest.approx([math.pi / 49] * 49, abs=1e-9)


def test_moons_are_shuffled_noisy_and_deterministic_for_a_seed() -> None:
    a = moons(100, noise=0.1, seed=0)
    assert a == moons(100, noise=0.1, seed=0)
    assert a != moons(100, noise=0.1, seed=1)
    points, y = a
    assert y[:50] != [0] * 50  # shuffled
    clean = dict(zip(map(tuple, moons(100, noise=0.0, seed=0)[0]), [0] * 100))
    assert len(clean) == 100
    # noise of standard deviation 0.1 around the clean points (same shuffle for a seed)
    clean_points, _ = moons(100, noise=0.0, seed=0)
    offsets = [v - w for x, x0 in zip(points, clean_points) for v, w in zip(x, x0)]
    std = math.sqrt(sum(d * d for d in offsets) / len(offsets))
    assert 0.07 < std < 0.13


def test_generators_do_not_touch_the_global_random_state() -> None:
    random.seed(5)
    state = random.getstate()
    moons(20, seed=1)
    circles(20, seed=1)
    spirals(21, seed=1)
    regression(10, seed=1)
    assert random.getstate() == state


def test_circles_radii_and_labels() -> None:
    points, y = circles(40, noise=0.0, factor=0.3, seed=2)
    assert _plain(points, y)
    radii = {label: sorted(round(math.hypot(*x), 12) for x, t in zip(points, y) if t == label)
             for label in (0, 1)}
    assert radii[0] == [1.0] * 20 and radii[1] == [0.3] * 20
    with pytest.raises(ValueError, match="factor"):
        circles(10, factor=1.0)


def test_spirals_classes_sizes_and_arms() -> None:
    points, y = spirals(100, classes=3, noise=0.0, seed=0)
    assert _plain(points, y)
    assert [y.count(k) for k in range(3)] == [34, 33, 33]
    for k in range(3):
        arm = [x for x, t in zip(points, y) if t == k]
        radii = [math.hypot(*x) for x in arm]
        assert radii[0] == pytest.approx(0.0) and radii[-1] == pytest.approx(1.0)
        assert radii == sorted(radii)
        # the last point sits at angle 4(k + 1) (measured as in r*sin(t), r*cos(t))
        a, b = arm[-1]
        assert math.atan2(a, b) == pytest.approx(math.remainder(4.0 * (k + 1), 2 * math.pi))
    assert spirals(30, classes=5, seed=4) == spirals(30, classes=5, seed=4)


def test_regression_is_the_documented_linear_model_plus_noise() -> None:
    points, y = regression(200, seed=0, noise=0.1)
    assert len(points) == 200 and all(len(x) == 3 for x in points)
    residuals = [
        t - datasets.REGRESSION_BIAS - sum(w * v for w, v in zip(datasets.REGRESSION_WEIGHTS, x))
        for x, t in zip(points, y)
    ]
    std = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    assert 0.08 < std < 0.12
    assert all(0.5 <= x[0] <= 2.5 and x[1] in (1.0, 2.0, 3.0, 4.0, 5.0) and 0 <= x[2] <= 5 for x in points)
    assert regression(5, seed=9) == regression(5, seed=9) != regression(5, seed=10)


def test_signed_labels() -> None:
    assert signed_labels([0, 1, 0]) == [-1, 1, -1]
    with pytest.raises(ValueError, match="0 or 1"):
        signed_labels([0, 2])


@pytest.mark.parametrize(("call", "fragment"), [
    (lambda: moons(0), "n must be"),
    (lambda: moons(10, noise=-0.1), "noise must be"),
    (lambda: circles(2.5), "n must be"),
    (lambda: spirals(10, classes=1), "classes must be"),
    (lambda: regression(10, noise=math.inf), "noise must be"),
])
def test_bad_arguments_raise(call, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        call()
