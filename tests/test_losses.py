"""losses: values against plain-float formulas, derivatives against finite differences,
finite values and exact gradients at extreme logits."""

from __future__ import annotations

import math

import pytest

from autograd_mini import Value
from autograd_mini.check import gradcheck
from autograd_mini.losses import (
    binary_cross_entropy,
    cross_entropy,
    hinge,
    huber,
    l1,
    l2_penalty,
    mse,
    nll,
)


def _grads(loss_of_values, xs: list[float]) -> tuple[float, list[float]]:
    """The loss value and d loss / d x_i from backward()."""
    leaves = [Value(x) for x in xs]
    loss = loss_of_values(leaves)
    loss.backward()
    return loss.data, [v.grad for v in leaves]


def _softmax(z: list[float]) -> list[float]:
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return [v / sum(e) for v in e]


# -------------------------------------------------------------------------- mse


@pytest.mark.parametrize(("p", "t"), [(3.0, 1.0), (-0.5, 0.25), (2.0, 2.0)])
def test_mse_value_and_derivative(p: float, t: float) -> None:
    value, (slope,) = _grads(lambda v: mse(v[0], t), [p])
    assert value == (p - t) ** 2
    assert slope == 2 * (p - t)
    assert gradcheck(lambda x: mse(x, t), p)


def test_mse_of_a_list_is_the_mean_and_checks_lengths() -> None:
    value, grads = _grads(lambda v: mse(v, [1.0, 0.0, -1.0]), [2.0, 0.0, 1.0])
    assert value == pytest.approx((1 + 0 + 4) / 3)
    assert grads == pytest.approx([2 * 1 / 3, 0.0, 2 * 2 / 3])
    assert gradcheck(lambda a, b: mse([a, b], [0.5, -0.5]), 0.3, 0.9)
    with pytest.raises(ValueError, match="mse: prediction has 2 entries"):
        mse([Value(1.0), Value(2.0)], [1.0])


# ---------------------------------------------------------- binary cross-entropy


@pytest.mark.parametrize("z", [-4.0, -0.7, 0.0, 1e-9, 0.7, 4.0])
@pytest.mark.parametrize("t", [0, 1, 0.3])
def test_bce_value_and_derivative_match_the_formula(z: float, t: float) -> None:
    value, (slope,) = _grads(lambda v: binary_cross_entropy(v[0], t), [z])
    s = 1.0 / (1.0 + math.exp(-z))
    assert value == pytest.approx(-t * math.log(s) - (1 - t) * math.log(1 - s), rel=1e-12, abs=1e-15)
    assert slope == pytest.approx(s - t, rel=1e-12, abs=1e-15)  # exact at z = 0 too
    assert gradcheck(lambda x: binary_cross_entropy(x, t), z)


@pytest.mark.parametrize(("z", "t", "value", "slope"), [
    (1000.0, 1, 0.0, 0.0),
    (1000.0, 0, 1000.0, 1.0),
    (-1000.0, 1, 1000.0, -1.0),
    (-1000.0, 0, 0.0, 0.0),
    (40.0, 1, math.log1p(math.exp(-40.0)), -math.exp(-40.0) / (1 + math.exp(-40.0))),
    (-40.0, 0, math.log1p(math.exp(-40.0)), math.exp(-40.0) / (1 + math.exp(-40.0))),
])
def test_bce_at_extreme_logits_is_finite_and_exact(z, t, value, slope) -> None:
    got_value, (got_slope,) = _grads(lambda v: binary_cross_entropy(v[0], t), [z])
    assert math.isfinite(got_value) and math.isfinite(got_slope)
    # Full relative accuracy, 4e-18 included (log1p; PyTorch's log(1 + ...) rounds it to 0)
    assert got_value == pytest.approx(value, rel=1e-12, abs=1e-300)
    assert got_slope == pytest.approx(slope, rel=1e-12, abs=1e-300)


def test_bce_second_derivative_is_sigmoid_prime() -> None:
    from autograd_mini import grad

    second = grad(grad(lambda z: binary_cross_entropy(z, 1)))
    for z in (-3.0, 0.0, 2.5):
        s = 1.0 / (1.0 + math.exp(-z))
        assert second(z) == pytest.approx(s * (1 - s), rel=1e-12)


@pytest.mark.parametrize("t", [-1, 2, 1.5, math.nan])
def test_bce_rejects_targets_outside_0_1(t: float) -> None:
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        binary_cross_entropy(Value(0.0), t)


# ---------------------------------------------------------------- cross-entropy


@pytest.mark.parametrize("target", [0, 1, 2])
def test_cross_entropy_value_and_gradient_are_softmax_minus_onehot(target: int) -> None:
    z = [0.5, -1.25, 2.0]
    value, grads = _grads(lambda v: cross_entropy(v, target), z)
    p = _softmax(z)
    assert value == pytest.approx(-math.log(p[target]), rel=1e-12)
    expected = [pi - (1.0 if i == target else 0.0) for i, pi in enumerate(p)]
    assert grads == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert gradcheck(lambda a, b, c: cross_entropy([a, b, c], target), *z)


def test_cross_entropy_at_extreme_logits_is_finite_with_exact_gradient() -> None:
    value, grads = _grads(lambda v: cross_entropy(v, 0), [1000.0, -1000.0, 0.0])
    assert value == 0.0 and grads == [0.0, 0.0, 0.0]
    value, grads = _grads(lambda v: cross_entropy(v, 1), [1000.0, -1000.0, 0.0])
    assert value == 2000.0 and grads == [1.0, -1.0, 0.0]
    value, grads = _grads(lambda v: cross_entropy(v, 2), [1000.0, 1000.0, -1000.0])
    assert value == pytest.approx(2000.0 + math.log(2.0), rel=1e-15)
    assert grads == [0.5, 0.5, -1.0]


def test_cross_entropy_is_shift_invariant_including_its_gradient() -> None:
    base = [0.3, -0.2, 1.1]
    v1, g1 = _grads(lambda v: cross_entropy(v, 1), base)
    v2, g2 = _grads(lambda v: cross_entropy(v, 1), [x + 500.0 for x in base])
    assert v2 == pytest.approx(v1, rel=1e-9)
    assert g2 == pytest.approx(g1, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("logits", "target", "fragment"), [
    ([Value(1.0), Value(2.0)], 2, "out of range for 2 logits"),
    ([Value(1.0), Value(2.0)], -1, "out of range"),
    ([Value(1.0), Value(2.0)], 1.0, "int class index"),
    ([Value(1.0), Value(2.0)], True, "int class index"),
    ([Value(1.0)], 0, "at least two"),
    (Value(1.0), 0, "at least two"),
    # max() skips a NaN that is not first (max([1.0, nan]) is 1.0): every logit is checked.
    ([Value(1.0), Value(math.nan)], 0, r"logit 1 is nan"),
    ([Value(math.nan), Value(1.0)], 0, r"logit 0 is nan"),
    ([Value(2.0), Value(math.inf), Value(0.0)], 0, r"logit 1 is inf"),
])
def test_cross_entropy_rejects_bad_input(logits, target, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        cross_entropy(logits, target)


# ------------------------------------------------------------------------ hinge


@pytest.mark.parametrize(("score", "t", "value", "slope"), [
    (0.25, 1, 0.75, -1.0),
    (0.25, -1, 1.25, 1.0),
    (3.0, 1, 0.0, 0.0),
    (-2.0, -1, 0.0, 0.0),
    (1000.0, -1, 1001.0, 1.0),
    (-1000.0, 1, 1001.0, -1.0),
])
def test_hinge_is_micrograds_max_margin(score: float, t: int, value: float, slope: float) -> None:
    got_value, (got_slope,) = _grads(lambda v: hinge(v[0], t), [score])
    assert (got_value, got_slope) == (value, slope)
    # micrograd writes it (1 + -y*score).relu(): the same digits
    assert got_value == (1 + -t * Value(score)).relu().data


@pytest.mark.parametrize("score", [-1.7, -0.2, 0.4, 2.3])
def test_hinge_derivative_matches_finite_differences_away_from_the_margin(score: float) -> None:
    assert gradcheck(lambda s: hinge(s, 1), score)
    assert gradcheck(lambda s: hinge(s, -1), score)


@pytest.mark.parametrize("t", [0, 2, 0.5])
def test_hinge_rejects_targets_other_than_plus_minus_one(t: float) -> None:
    with pytest.raises(ValueError, match="signed_labels"):
        hinge(Value(0.0), t)


def test_losses_accept_plain_numbers_and_reject_other_predictions() -> None:
    assert mse(2.0, 1.0).data == 1.0
    with pytest.raises(TypeError, match="hinge"):
        hinge("1.0", 1)


def test_l2_penalty_is_sum_of_squares_with_gradient_2p() -> None:
    params = [Value(1.5), Value(-2.0), Value(0.0)]
    penalty = l2_penalty(params)
    penalty.backward()
    assert penalty.data == 6.25
    assert [p.grad for p in params] == [3.0, -4.0, 0.0]
    assert l2_penalty([]).data == 0.0


# ------------------------------------------------------------- l1, huber, nll, smoothing


@pytest.mark.parametrize(("p", "t"), [(3.0, 1.0), (-0.5, 0.25), (2.0, 2.0)])
def test_l1_value_and_derivative(p: float, t: float) -> None:
    value, (slope,) = _grads(lambda v: l1(v[0], t), [p])
    assert value == abs(p - t)
    assert slope == (0.0 if p == t else math.copysign(1.0, p - t))  # abs'(0) = 0
    assert l1([Value(p), Value(0.0)], [t, 1.0]).data == (abs(p - t) + 1.0) / 2


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("error", [-4.0, -1.0, -0.2, 0.0, 0.3, 0.999, 1.0, 2.5])
def test_huber_is_quadratic_inside_delta_and_linear_outside(delta: float, error: float) -> None:
    value, (slope,) = _grads(lambda v: huber(v[0], 1.0, delta=delta), [1.0 + error])
    d = abs(error)
    expected = 0.5 * d * d if d < delta else delta * (d - 0.5 * delta)
    assert value == pytest.approx(expected, rel=1e-15, abs=1e-300)
    assert slope == pytest.approx(max(-delta, min(delta, error)), rel=1e-15, abs=1e-300)
    if abs(d - delta) > 1e-3:  # away from the seam, finite differences agree
        assert gradcheck(lambda x: huber(x, 1.0, delta=delta), 1.0 + error)


def test_huber_rejects_a_bad_delta_and_averages_lists() -> None:
    for delta in (0.0, -1.0, math.inf, True):
        with pytest.raises(ValueError, match="huber: delta must be a positive number"):
            huber(Value(1.0), 0.0, delta=delta)
    assert huber([Value(0.5), Value(3.0)], [0.0, 0.0]).data == (0.125 + 2.5) / 2


def test_nll_picks_the_target_log_probability_and_equals_cross_entropy_after_log_softmax() -> None:
    z = [0.3, -1.2, 2.0]
    logsumexp = math.log(sum(math.exp(v) for v in z))
    value, grads = _grads(lambda v: nll([x - logsumexp for x in v], 2), z)
    assert value == pytest.approx(cross_entropy([Value(v) for v in z], 2).data, rel=1e-15)
    assert grads == [0.0, 0.0, -1.0]
    with pytest.raises(ValueError, match="nll: target class 3 is out of range for 3 log-prob"):
        nll([Value(-1.0)] * 3, 3)
    with pytest.raises(ValueError, match="nll: log-probability 1 is nan"):
        nll([Value(-1.0), Value(math.nan)], 0)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5, 1.0])
def test_label_smoothing_is_the_mixture_of_one_hot_and_uniform(smoothing: float) -> None:
    z = [0.5, -1.25, 2.0, 0.0]
    target = 1
    value, grads = _grads(lambda v: cross_entropy(v, target, label_smoothing=smoothing), z)
    p = _softmax(z)
    q = [(1 - smoothing) * (i == target) + smoothing / len(z) for i in range(len(z))]
    assert value == pytest.approx(-sum(qi * math.log(pi) for qi, pi in zip(q, p)), rel=1e-13)
    assert grads == pytest.approx([pi - qi for pi, qi in zip(p, q)], rel=1e-12, abs=1e-15)
    assert gradcheck(lambda *v: cross_entropy(list(v), target, label_smoothing=smoothing), *z)


def test_label_smoothing_zero_keeps_the_same_digits_and_bad_values_raise() -> None:
    z = [Value(0.1), Value(0.7)]
    assert cross_entropy(z, 0, label_smoothing=0.0).data == cross_entropy(z, 0).data
    for bad in (-0.1, 1.5, math.nan, "0.1"):
        with pytest.raises(ValueError, match="label_smoothing must be a number in"):
            cross_entropy(z, 0, label_smoothing=bad)
