"""datasets: geometry, label conventions, determinism, plain lists, argument checks."""

from __future__ import annotations

import itertools
import math
import random
import re
import sys
from fractions import Fraction

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


# ------------------------------------------------------------------------- digits


def test_digits_are_balanced_grey_images_deterministic_for_a_seed() -> None:
    images, labels = datasets.digits(1003, seed=4)
    assert len(images) == len(labels) == 1003
    assert all(type(x) is list and len(x) == 64 and all(type(v) is float and 0.0 <= v <= 1.0 for v in x)
               for x in images)
    assert sorted({labels.count(k) for k in range(10)}) == [100, 101]  # each class in turn
    assert labels[:10] != sorted(labels[:10])  # shuffled
    assert datasets.digits(50, seed=4) == datasets.digits(50, seed=4)
    assert datasets.digits(50, seed=4) != datasets.digits(50, seed=5)
    big, _ = datasets.digits(3, size=16, seed=0)
    assert len(big[0]) == 256


def test_every_digit_looks_like_its_template_and_differs_from_the_others() -> None:
    # Without noise or jitter the mean image of a class is its strokes: each class's mean
    # is nearest to its own (a nearest-mean classifier on fresh images is far above chance).
    train, train_y = datasets.digits(600, seed=0)
    test, test_y = datasets.digits(300, seed=1)
    means = [[sum(col) / len(col) for col in zip(*[x for x, t in zip(train, train_y) if t == k])]
             for k in range(10)]
    nearest = [min(range(10), key=lambda k: sum((a - b) ** 2 for a, b in zip(x, means[k])))
               for x in test]
    assert sum(p == t for p, t in zip(nearest, test_y)) / len(test_y) > 0.7
    ink = [sum(x) for x in train]
    assert min(ink) > 3.0  # every image has a digit on it, not just noise
    clean, _ = datasets.digits(20, noise=0.0, seed=0)
    assert all(v == 0.0 for v in clean[0][:1]) and max(clean[0]) == 1.0  # paper, then full ink


def test_digit_strokes_lie_in_the_unit_square_and_cover_ten_digits() -> None:
    assert sorted(datasets.DIGIT_STROKES) == list(range(10))
    for strokes in datasets.DIGIT_STROKES.values():
        for stroke in strokes:
            assert len(stroke) >= 2
            assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in stroke)


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"n": 0}, "n must be"), ({"size": 3}, "size must be an int from 4 to 64"),
    ({"size": 8.0}, "size must be"), ({"noise": -1.0}, "noise must be"),
])
def test_digits_refuse_bad_arguments(kwargs, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        datasets.digits(**kwargs)


def test_the_digits_preset_trains_on_mini_batches_and_holds_a_fifth_out() -> None:
    preset = datasets.PRESETS["digits"]
    assert (preset.kind, preset.loss, preset.batch_size, preset.val_fraction) == (
        "multiclass", "cross_entropy", 32, 0.2)
    assert preset.image_shape == (8, 8) and len(preset.class_names) == 10
    with pytest.raises(ValueError, match="at least 10 samples"):
        preset.make(samples=9)


# -------------------------------------------------------------- split and scale


def test_train_test_split_sizes_order_and_determinism() -> None:
    points = [[float(i)] for i in range(10)]
    y = list(range(10))
    train_x, test_x, y_train, y_test = datasets.train_test_split(points, y, test_fraction=0.25, seed=3)
    assert (len(train_x), len(test_x)) == (7, 3)  # ceil(2.5) to test, as scikit-learn
    assert sorted(y_train + y_test) == y
    assert [x[0] for x in train_x] == [float(t) for t in y_train]  # pairs stay together
    assert test_x[0] is points[y_test[0]]  # the examples themselves, in new lists
    assert datasets.train_test_split(points, y, 0.25, seed=3) == (train_x, test_x, y_train, y_test)
    assert datasets.train_test_split(points, y, 0.25, seed=4) != (train_x, test_x, y_train, y_test)


def test_a_stratified_split_keeps_each_class_share() -> None:
    y = [0] * 60 + [1] * 30 + [2] * 10
    points = [[float(i)] for i in range(100)]
    _, _, y_train, y_test = datasets.train_test_split(points, y, test_fraction=0.2, seed=0, stratify=True)
    assert [y_test.count(k) for k in range(3)] == [12, 6, 2]
    assert [y_train.count(k) for k in range(3)] == [48, 24, 8]
    assert y_test != sorted(y_test)  # the classes are mixed, not in blocks
    # Shares that do not divide evenly still add up to ceil(fraction * n).
    _, _, _, odd = datasets.train_test_split(points[:7], [0, 0, 0, 1, 1, 2, 2], 0.5, stratify=True)
    assert len(odd) == 4 and set(odd) == {0, 1, 2}


@pytest.mark.parametrize(("args", "kwargs", "fragment"), [
    (([[1.0]] * 3, [0, 1]), {}, "X has 3 examples but y has 2"),
    (([[1.0]] * 3, [0, 1, 0]), {"test_fraction": 1.0}, "between 0 and 1"),
    (([[1.0]] * 3, [0, 1, 0]), {"test_fraction": 0}, "between 0 and 1"),
    (([[1.0]] * 3, [0, 1, 0]), {"test_fraction": True}, "between 0 and 1"),
    (([[1.0]], [0]), {}, "1 example cannot be split"),
    (([[1.0]] * 4, [0, 0, 0, 1]), {"stratify": True}, "class 1 has one"),
])
def test_train_test_split_refuses(args, kwargs, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        datasets.train_test_split(*args, **kwargs)


def test_the_standardizer_uses_the_statistics_it_was_fitted_on() -> None:
    train = [[1.0, 100.0, 5.0], [3.0, 300.0, 5.0]]
    scale = datasets.Standardizer.fit(train)
    assert scale.mean == (2.0, 200.0, 5.0) and scale.scale == (1.0, 100.0, 1.0)
    assert scale(train) == [[-1.0, -1.0, 0.0], [1.0, 1.0, 0.0]]
    assert scale([[2.0, 500.0, 6.0]]) == [[0.0, 3.0, 1.0]]  # held-out data: the training statistics
    assert scale.as_dict() == {"mean": [2.0, 200.0, 5.0], "scale": [1.0, 100.0, 1.0]}
    with pytest.raises(ValueError, match="fitted on 3"):
        scale([[1.0, 2.0]])
    with pytest.raises(ValueError, match="no examples"):
        datasets.Standardizer.fit([])


def test_every_generator_makes_its_smallest_dataset() -> None:
    # circles(1) has an empty outer circle: no angles to space, not a division by zero.
    assert datasets.circles(1, noise=0.0) == ([[0.5, 0.0]], [1])
    for make in (datasets.moons, datasets.circles, datasets.regression):
        x, y = make(1)
        assert len(x) == len(y) == 1


def test_a_feature_that_never_varies_is_centred_on_its_value_with_scale_one() -> None:
    # fsum(c) / len(c) can be an ulp from the value repeated: its spread is then 1e-17, and
    # another value would be scaled up to 1e14.
    for value, rows in ((0.22, 5), (0.1, 3), (1e-300, 7), (-3.3, 10)):
        scale = datasets.Standardizer.fit([[value, float(i)] for i in range(rows)])
        assert scale.mean[0] == value and scale.scale[0] == 1.0
        assert scale([[value, 0.0], [value + 0.01, 0.0]])[1][0] == pytest.approx(0.01)
        assert scale([[value, 0.0]])[0][0] == 0.0


@pytest.mark.parametrize(("column", "message"), [
    ([1.0, math.nan], "feature 0 of example 1 is nan; only finite numbers can be scaled"),
    ([math.inf, 1.0], "feature 0 of example 0 is inf"),
])
def test_standardizer_refuses_what_it_cannot_scale(column: list[float], message: str) -> None:
    with pytest.raises(datasets.ScalingError, match=re.escape(message)) as caught:
        datasets.Standardizer.fit([[v] for v in column])
    assert isinstance(caught.value, ValueError) and caught.value.feature == 0


def _exact_mean_and_spread(column: list[float]) -> tuple[Fraction, float]:
    """The population mean (exact) and standard deviation (rounded once), from fractions."""
    exact = [Fraction(v) for v in column]
    mean = sum(exact, Fraction(0)) / len(exact)
    variance = sum(((v - mean) ** 2 for v in exact), Fraction(0)) / len(exact)
    k = (variance.numerator.bit_length() - variance.denominator.bit_length()) // 2
    return mean, math.ldexp(math.sqrt(float(variance / Fraction(4) ** k)), k)  # no over/underflow


BIGGEST = sys.float_info.max


@pytest.mark.parametrize("column", [
    [1e200, -1e200],  # the squares overflow: 1e400
    [1e308, -1e308, 5.0, 7.0, 9.0],  # the CLI's traceback of a CSV file with 1e308 in it
    [BIGGEST, BIGGEST / 2],  # the sum itself overflows (fsum raised OverflowError)
    [BIGGEST, -BIGGEST, -BIGGEST],  # x - mean overflows: 1.33 * the largest float
    [1e-300, 2e-300, 3e-300],  # the squares underflow to 0: the spread was taken for 0, scale 1
    [1e-160, 2e-160],  # the squares are subnormal: the spread lost digits
])
def test_the_standardizer_measures_the_spread_of_any_finite_values(column: list[float]) -> None:
    scale = datasets.Standardizer.fit([[v] for v in column])
    mean, spread = _exact_mean_and_spread(column)
    assert scale.mean[0] == pytest.approx(float(mean), rel=1e-15, abs=0)
    assert scale.scale[0] == pytest.approx(spread, rel=1e-14, abs=0)
    scaled = [v for (v,) in scale([[v] for v in column])]
    assert all(math.isfinite(v) for v in scaled)
    expected = [float((Fraction(v) - mean) / Fraction(scale.scale[0])) for v in column]
    assert scaled == pytest.approx(expected, rel=1e-14, abs=1e-15)  # scaled values are O(1)


def test_ordinary_features_keep_their_digits() -> None:
    # The rescaled computation is only for spreads beyond about 1e154 or below 1e-154;
    # everything else is the plain formula, digit for digit.
    rows, _ = datasets.regression(50, seed=3)
    scale = datasets.Standardizer.fit(rows)
    for j, column in enumerate(zip(*rows)):
        mean = math.fsum(column) / len(column)
        assert scale.mean[j] == mean
        assert scale.scale[j] == math.sqrt(math.fsum((v - mean) ** 2 for v in column) / len(column))


def test_a_held_out_value_whose_scaled_value_is_beyond_a_float_is_refused() -> None:
    scale = datasets.Standardizer.fit([[0.0, 1.0], [1e-300, 2.0]])
    assert scale([[1e-300, 1.0]]) == [[1.0, -1.0]]
    with pytest.raises(datasets.ScalingError, match=r"feature 0 of example 1 is 10000000000\.0;"
                       r".*too large for a float") as caught:
        scale([[0.0, 1.0], [1e10, 1.0]])
    assert (caught.value.feature, caught.value.example, caught.value.value) == (0, 1, 1e10)
    assert scale([[math.inf, 1.0]])[0][0] == math.inf  # an infinite input stays as it was


def test_a_stratified_test_part_keeps_its_size_when_a_class_must_keep_a_training_example() -> None:
    points = [[float(i)] for i in range(10)]
    # ceil(0.7 * 10) = 7: the shares 1.4/1.4/4.2 round to 1/1/5 (each class keeps one to train)
    _, _, y_train, y_test = datasets.train_test_split(points, [0, 0, 1, 1] + [2] * 6, 0.7, stratify=True)
    assert sorted(y_test) == [0, 1, 2, 2, 2, 2, 2] and sorted(y_train) == [0, 1, 2]
    with pytest.raises(ValueError, match="at most 5 can be held out: use a smaller test_fraction"):
        datasets.train_test_split(points, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4], 0.8, stratify=True)
