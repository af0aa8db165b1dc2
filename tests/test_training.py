"""training.fit end to end (XOR, moons, spirals, regression) and its contract: averaging,
regularization, schedules, batches, accuracy rules, history, callback, progress bar."""

from __future__ import annotations

import io
import math
import random
import sys

import pytest

from autograd_mini import Value, datasets, losses, nn, optim
from autograd_mini.training import DivergedError, History, evaluate, fit, predict_class

# -------------------------------------------------------------------- end to end


def test_xor_with_a_2_4_1_tanh_mlp_reaches_100_percent() -> None:
    inputs, labels = datasets.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", init="xavier", seed=0)
    before = evaluate(model, inputs, labels, losses.binary_cross_entropy)
    history = fit(model, inputs, labels, losses.binary_cross_entropy,
                  optim.Adam(model.parameters(), lr=0.1), epochs=100, progress=False)
    loss, accuracy = evaluate(model, inputs, labels, losses.binary_cross_entropy)
    assert accuracy == 1.0 and before[1] is not None and before[1] < 1.0
    assert loss is not None and loss < 0.01 < before[0]  # type: ignore[operator]
    assert history.accuracy[-1] == 1.0


def test_moons_micrograd_style_hinge_l2_and_decaying_sgd_reaches_97_percent() -> None:
    inputs, labels = datasets.moons(60, noise=0.1, seed=0)
    signed = datasets.signed_labels(labels)
    model = nn.MLP(2, [8, 8, 1], init="he", seed=0)
    epochs = 60
    history = fit(model, inputs, signed, losses.hinge, optim.SGD(model.parameters(), lr=1.0),
                  epochs=epochs, progress=False, regularization=1e-4,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / epochs)
    _, accuracy = evaluate(model, inputs, signed)
    assert accuracy is not None and accuracy >= 0.97
    assert history.loss[-1] < 0.2 * history.loss[0]
    assert history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(1.0 - 0.9 * 59 / 60)


def test_spirals_three_classes_cross_entropy_adam_reaches_90_percent() -> None:
    inputs, labels = datasets.spirals(45, classes=3, noise=0.2, seed=0)
    model = nn.MLP(2, [10, 10, 3], init="he", seed=0)
    fit(model, inputs, labels, losses.cross_entropy, optim.Adam(model.parameters(), lr=0.05),
        epochs=80, progress=False)
    loss, accuracy = evaluate(model, inputs, labels, losses.cross_entropy)
    assert accuracy is not None and accuracy >= 0.9
    assert loss is not None and loss < 0.3


def test_regression_reaches_low_mse_and_recovers_the_coefficients() -> None:
    inputs, targets = datasets.regression(30, seed=0, noise=0.1)
    model = nn.MLP(3, [1], seed=0)  # one linear neuron: linear regression
    history = fit(model, inputs, targets, losses.mse, optim.Adam(model.parameters(), lr=0.1),
                  epochs=200, progress=False)
    assert history.accuracy == [None] * 200
    mse, accuracy = evaluate(model, inputs, targets, losses.mse)
    assert accuracy is None
    assert mse is not None and mse < 0.02  # the noise variance is 0.01
    neuron = model.layers[0].neurons[0]
    assert [w.data for w in neuron.w] == pytest.approx(datasets.REGRESSION_WEIGHTS, abs=0.05)
    assert neuron.b.data == pytest.approx(datasets.REGRESSION_BIAS, abs=0.15)


# ------------------------------------------------- the demo's arithmetic, exactly


def _micrograd_demo_loop(model, inputs, labels, steps: int) -> tuple[list[float], list[float]]:
    """micrograd's demo notebook loop, written out (with autograd_mini's Value)."""
    logged_loss, logged_accuracy = [], []
    for k in range(steps):
        scores = list(map(model, inputs))
        losses_ = [(1 + -yi * scorei).relu() for yi, scorei in zip(labels, scores)]
        data_loss = sum(losses_) * (1.0 / len(losses_))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(labels, scores)]
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        logged_loss.append(total_loss.data)
        logged_accuracy.append(sum(accuracy) / len(accuracy))
    return logged_loss, logged_accuracy


def test_fit_reproduces_micrograds_demo_loop_digit_for_digit() -> None:
    inputs, labels = datasets.moons(24, noise=0.1, seed=1)
    signed = datasets.signed_labels(labels)
    random.seed(1337)
    reference = nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    expected = _micrograd_demo_loop(reference, inputs, signed, steps=3)
    history = fit(model, inputs, signed, losses.hinge, optim.SGD(model.parameters(), lr=1.0),
                  epochs=3, progress=False, regularization=1e-4,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / 100)
    assert history.loss == expected[0]
    assert history.accuracy == expected[1]
    assert model.state_dict() == reference.state_dict()


# ------------------------------------------------------------------- the contract


def test_batch_loss_is_the_mean_and_one_full_batch_step_is_plain_gradient_descent() -> None:
    w = Value(2.0)
    model = lambda x: w * x[0]
    inputs, targets = [[1.0], [3.0]], [1.0, 3.0]
    history = fit(model, inputs, targets, losses.mse, optim.SGD([w], lr=0.1), epochs=1,
                  progress=False)
    # mean of (2 - 1)^2 and (6 - 3)^2; gradient mean of 2*1*1 and 2*3*3
    assert history.loss == [5.0]
    assert history.grad_norm == [10.0]
    assert w.data == 2.0 - 0.1 * 10.0


class _CountingSGD(optim.SGD):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


def test_mini_batches_make_one_step_each_and_see_every_example_once_per_epoch() -> None:
    seen: list[float] = []
    w = Value(0.5)  # with lr 0 it stays: every epoch's loss is the mean of (0.5 i)^2

    def model(x):
        seen.append(x[0])
        return w * x[0]

    inputs = [[float(i)] for i in range(10)]
    opt = _CountingSGD([w], lr=0.0)
    history = fit(model, inputs, [0.0] * 10, losses.mse, opt, epochs=3, batch_size=4,
                  progress=False)
    assert opt.steps == 3 * 3  # batches of 4, 4, 2
    # batch losses weighted by batch size: the mean over all examples, whatever the batches
    assert history.loss == pytest.approx([0.25 * sum(i * i for i in range(10)) / 10] * 3)
    for epoch in range(3):
        assert sorted(seen[10 * epoch:10 * (epoch + 1)]) == [float(i) for i in range(10)]
    assert seen[:10] != seen[10:20]  # reshuffled every epoch
    again: list[float] = []
    fit(lambda x: again.append(x[0]) or w * x[0], inputs, [0.0] * 10, losses.mse,
        optim.SGD([w], lr=0.0), epochs=3, batch_size=4, progress=False)
    assert again == seen  # the shuffle is seeded


def test_regularization_alpha_equals_weight_decay_two_alpha_in_the_update() -> None:
    inputs, labels = datasets.moons(10, seed=0)
    a = nn.MLP(2, [3, 1], seed=4)
    b = nn.MLP(2, [3, 1], seed=4)
    ha = fit(a, inputs, labels, losses.binary_cross_entropy, optim.SGD(a.parameters(), lr=0.5),
             epochs=2, progress=False, regularization=0.01)
    hb = fit(b, inputs, labels, losses.binary_cross_entropy,
             optim.SGD(b.parameters(), lr=0.5, weight_decay=0.02), epochs=2, progress=False)
    assert list(a.state_dict().values()) == pytest.approx(list(b.state_dict().values()), rel=1e-12)
    penalty = 0.01 * sum(v * v for v in nn.MLP(2, [3, 1], seed=4).state_dict().values())
    assert ha.loss[0] == pytest.approx(hb.loss[0] + penalty, rel=1e-12)
    custom = fit(nn.MLP(2, [3, 1], seed=4), inputs, labels, losses.binary_cross_entropy,
                 optim.SGD(nn.MLP(2, [3, 1], seed=4).parameters(), lr=0.0), epochs=1,
                 progress=False, regularization=lambda model: Value(7.0))
    assert custom.loss[0] == pytest.approx(hb.loss[0] + 7.0, rel=1e-12)


def test_regularization_alpha_is_alpha_times_losses_l2_penalty(monkeypatch) -> None:
    from autograd_mini import training

    inputs, labels = datasets.moons(10, seed=0)
    model = nn.MLP(2, [3, 1], seed=4)
    no_penalty = fit(nn.MLP(2, [3, 1], seed=4), inputs, labels, losses.binary_cross_entropy,
                     optim.SGD(model.parameters(), lr=0.0), epochs=1, progress=False)
    penalties: list[float] = []

    def recording_penalty(parameters):
        penalty = losses.l2_penalty(parameters)
        penalties.append(penalty.data)
        return penalty

    monkeypatch.setattr(training, "l2_penalty", recording_penalty)
    history = fit(model, inputs, labels, losses.binary_cross_entropy,
                  optim.SGD(model.parameters(), lr=0.0), epochs=2, progress=False,
                  regularization=0.01)
    assert len(penalties) == 2  # once per step: the one definition of sum(p*p)
    assert history.loss[0] == no_penalty.loss[0] + 0.01 * penalties[0]  # bit for bit


def test_accuracy_rules_for_01_signed_multiclass_and_custom() -> None:
    score = {"x": 0.0}
    model = lambda x: Value(score["x"] + x[0])
    inputs = [[-1.0], [2.0], [0.5]]
    assert evaluate(model, inputs, [0, 1, 0])[1] == pytest.approx(2 / 3)  # logit > 0 -> 1
    assert evaluate(model, inputs, [-1, 1, -1])[1] == pytest.approx(2 / 3)  # sign
    assert evaluate(model, inputs, [0.0, 1.0, 0.0])[1] is None  # floats: regression
    multi = lambda x: [Value(x[0]), Value(1.0)]
    assert evaluate(multi, inputs, [1, 0, 1])[1] == pytest.approx(1.0)
    always = lambda p, t: True
    assert evaluate(model, inputs, [0.0, 0.0, 0.0], accuracy=always)[1] == 1.0
    assert predict_class(Value(0.0)) == 0 and predict_class(Value(0.0), signed=True) == -1
    assert predict_class([1.0, 3.0, 3.0]) == 1  # ties: the first maximum


def test_history_callback_and_early_stop() -> None:
    inputs, labels = datasets.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    calls: list[int] = []

    def stop_at_three(epoch: int, history: History) -> bool:
        calls.append(epoch)
        assert history.epochs == epoch + 1
        return epoch == 2

    history = fit(model, inputs, labels, losses.binary_cross_entropy,
                  optim.SGD(model.parameters(), lr=0.1), epochs=50, progress=False,
                  callback=stop_at_three)
    assert calls == [0, 1, 2]
    assert history.epochs == 3
    assert len(history.accuracy) == len(history.grad_norm) == len(history.lr) == 3
    assert all(g > 0.0 for g in history.grad_norm)
    assert all(a in (0.0, 0.25, 0.5, 0.75, 1.0) for a in history.accuracy)


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"epochs": -1}, ValueError, "epochs must be"),
    ({"batch_size": 0}, ValueError, "batch_size must be"),
    ({"regularization": -1.0}, ValueError, "regularization must be"),
    ({"regularization": "l2"}, TypeError, "regularization must be"),
    ({"y": [0, 1]}, ValueError, "X has 4 examples but y has 2"),
    ({"optimizer": "sgd"}, TypeError, "optimizer must be"),
])
def test_bad_arguments_raise(kwargs, error, fragment: str) -> None:
    inputs, labels = datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    args = {"model": model, "X": inputs, "y": labels, "loss": losses.binary_cross_entropy,
            "optimizer": optim.SGD(model.parameters(), lr=0.1), "epochs": 1, "progress": False}
    args.update(kwargs)
    before = model.state_dict()
    with pytest.raises(error, match=fragment):
        fit(**args)
    assert model.state_dict() == before


# -------------------------------------------------------------------- divergence


def test_a_nan_output_stops_fit_before_the_loss_and_before_any_step() -> None:
    # Three logits, the nan not first: the loss alone (max of the logits) would miss it.
    w = Value(1.0)
    outputs = iter([[Value(0.5), w * 1.0, Value(0.0)],
                    [Value(0.5), w * math.nan, Value(0.0)]])
    calls: list[int] = []

    def loss(prediction, target):
        calls.append(target)
        return losses.cross_entropy(prediction, target)

    with pytest.raises(DivergedError, match=r"epoch 2 of 3, after 1 update: the model's output"
                       r" for example 0 is nan; lower the learning rate") as caught:
        fit(lambda x: next(outputs), [[0.0]], [0], loss, optim.SGD([w], lr=0.1), epochs=3,
            progress=False)
    assert caught.value.epoch == 1 and isinstance(caught.value, ArithmeticError)
    assert calls == [0]  # the loss never saw the nan


def test_a_non_finite_batch_loss_stops_fit_and_the_weights_stay() -> None:
    # Outputs 1e160 are finite; their squared error overflows to inf in the mean.
    w = Value(1e160)
    square = lambda p, t: p * p  # multiplication gives inf, it does not raise
    with pytest.raises(DivergedError, match=r"before any update: the batch loss is inf;"
                       r" no update has been made yet"):
        fit(lambda x: w * x[0], [[1.0], [1.0]], [0.0, 0.0], square, optim.SGD([w], lr=0.1),
            epochs=2, progress=False)
    assert w.data == 1e160 and w.grad == 0.0  # no backward, no step


def test_a_huge_learning_rate_ends_in_diverged_error_not_a_loss_error() -> None:
    # The reviewer's case: spirals, cross-entropy, SGD at lr 1e150 used to end in
    # "ValueError: cross_entropy: logits must be finite". Every path is DivergedError now.
    inputs, labels = datasets.spirals(30, classes=3, seed=0)
    model = nn.MLP(2, [8, 3], seed=0)
    with pytest.raises(DivergedError, match="lower the learning rate"):
        fit(model, inputs, labels, losses.cross_entropy, optim.SGD(model.parameters(), lr=1e150),
            epochs=20, progress=False)
    assert all(math.isfinite(v) for v in model.state_dict().values())


def test_an_overflow_in_the_loss_and_an_infinite_gradient_become_diverged_error() -> None:
    w = Value(1e200)
    with pytest.raises(DivergedError, match=r"\*\*2: result overflows") as caught:
        fit(lambda x: w * x[0], [[1.0]], [0.0], losses.mse, optim.SGD([w], lr=0.1), epochs=1,
            progress=False)
    assert isinstance(caught.value.__cause__, OverflowError)
    # A finite loss whose gradient is inf: the optimizer refuses, fit says why.
    # v * 1e308 used twice: the loss is 2e8, the two gradient contributions add up to inf.
    v = Value(1e-300)
    with pytest.raises(DivergedError, match="has gradient inf") as caught:
        fit(lambda x: v * x[0], [[1.0]], [0.0], lambda p, t: p * 1e308 + p * 1e308,
            optim.SGD([v], lr=0.1), epochs=1, progress=False)
    assert isinstance(caught.value.__cause__, optim.NonFiniteGradientError)
    assert v.data == 1e-300


def test_divergence_in_the_first_step_blames_the_data_not_the_learning_rate() -> None:
    # The reviewer's case: targets around 1e200 overflow the loss in step 1, before any
    # update, and the advice was still about the learning rate (the CLI's "smaller --lr").
    X, y = [[0.5], [1.0], [-1.0]], [1e200, 2.5e200, 1.5e200]  # noqa: N806
    for compiled in (False, True):
        model = nn.MLP(1, [1], seed=0)
        before = model.state_dict()
        with pytest.raises(DivergedError) as caught:
            fit(model, X, y, losses.mse, optim.SGD(model.parameters(), lr=0.01), epochs=3,
                progress=False, compiled=compiled)
        message = str(caught.value)
        assert message.startswith("fit: training diverged in epoch 1 of 3, before any update:"
                                  " **2: result overflows a float"), message
        assert message.endswith("; no update has been made yet, so the learning rate played no"
                                " part: the inputs, the targets or the starting weights give a"
                                " non-finite result. Check them (scale the inputs and targets"
                                " to moderate numbers)"), message
        assert caught.value.updates == 0 and caught.value.epoch == 0
        assert model.state_dict() == before
    # A finite loss with an inf gradient in step 1: the optimizer's own advice (a smaller
    # learning rate) is left out of fit's message, which knows no update was made.
    v = Value(1e-300)
    with pytest.raises(DivergedError) as caught:
        fit(lambda x: v * x[0], [[1.0]], [0.0], lambda p, t: p * 1e308 + p * 1e308,
            optim.SGD([v], lr=0.1), epochs=1, progress=False)
    message = str(caught.value)
    assert "before any update: SGD.step: parameter 0 has gradient inf; no update has" in message
    assert "lower the learning rate" not in message.lower(), message
    assert caught.value.reason == "SGD.step: parameter 0 has gradient inf"
    # After an update, the learning rate is a suspect again, and .updates counts the steps.
    w = Value(1.0)
    outputs = iter([w * 1.0, w * math.nan])
    with pytest.raises(DivergedError, match=r"after 1 update: .*; lower the learning rate") as caught:
        fit(lambda x: next(outputs), [[0.0]], [0.0], losses.mse, optim.SGD([w], lr=0.1),
            epochs=2, progress=False)
    assert caught.value.updates == 1


def test_an_optimizer_whose_lr_was_set_to_nan_is_refused_before_anything_changes() -> None:
    # opt.lr = nan after construction used to be applied by the first step: all weights nan.
    model = nn.MLP(2, [3, 1], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.1)
    opt.lr = math.nan
    before = model.state_dict()
    grads = [p.grad for p in model.parameters()]
    with pytest.raises(ValueError, match=r"^fit: the optimizer Adam: lr must be a number >= 0\.0,"
                                         r" got nan$"):
        fit(model, [[1.0, 2.0]], [1], losses.binary_cross_entropy, opt, epochs=2, progress=False)
    assert model.state_dict() == before and [p.grad for p in model.parameters()] == grads
    assert opt.t == 0


@pytest.mark.parametrize("compiled", [False, True])
def test_a_loss_that_returns_a_float_is_a_clear_type_error(compiled: bool) -> None:
    # The reviewer's case: "'float' object has no attribute 'data'".
    model = nn.MLP(1, [1], seed=0)
    before = model.state_dict()

    def detached_mse(prediction, target):
        return float((prediction - target) ** 2)

    with pytest.raises(TypeError) as caught:
        fit(model, [[1.0], [2.0]], [1.0, 2.0], detached_mse,
            optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False, compiled=compiled)
    message = str(caught.value)
    assert message.startswith("fit: the loss function"
                              " test_a_loss_that_returns_a_float_is_a_clear_type_error.<locals>"
                              ".detached_mse returned float "), message
    assert "for example 0, not a Value" in message and "Value operations" in message
    assert model.state_dict() == before
    assert all(p.grad == 0.0 for p in model.parameters())


def test_finite_gradients_whose_squares_overflow_are_a_step_not_a_divergence() -> None:
    # Two gradients of 1e154: their squares sum past the float range (fsum raised
    # OverflowError, which fit reported as divergence); the norm is 1.4e154.
    a, b = Value(0.0), Value(0.0)
    model = lambda x: a * x[0] + b * x[1]
    history = fit(model, [[1e154, 1e154]], [0.0], lambda p, t: p + t,
                  optim.SGD([a, b], lr=1e-160), epochs=1, progress=False)
    assert history.grad_norm == [math.hypot(1e154, 1e154)]
    assert (a.data, b.data) == (-1e-160 * 1e154, -1e-160 * 1e154)


def test_evaluate_of_a_diverged_model_raises_diverged_error() -> None:
    w = Value(1e300)
    with pytest.raises(DivergedError, match=r"evaluate: the model's output for example 1 is"
                       r" -inf; the model has diverged") as caught:
        evaluate(lambda x: w * x[0], [[0.5], [-1e10]], [0, 1])
    assert caught.value.epoch is None and caught.value.reason.endswith("is -inf")
    w.data = 1e200  # finite outputs, but the squared error overflows
    with pytest.raises(DivergedError, match=r"\*\*2: result overflows"):
        evaluate(lambda x: w * x[0], [[0.5], [-1.0]], [0.0, 1.0], losses.mse)
    w.data = 1e154  # each squared error is finite (1e308), their sum is not
    with pytest.raises(DivergedError, match=r"mean loss|overflow"):
        evaluate(lambda x: w * x[0], [[1.0], [1.0]], [0.0, 0.0], losses.mse)
    w.data = 2.0
    assert evaluate(lambda x: w * x[0], [[0.5], [-1.0]], [1.0, -2.0], losses.mse) == (0.0, None)


# ------------------------------------------------------------------ progress bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_shows_loss_and_accuracy(monkeypatch) -> None:
    pytest.importorskip("tqdm")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    inputs, labels = datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    fit(model, inputs, labels, losses.binary_cross_entropy,
        optim.SGD(model.parameters(), lr=0.1), epochs=3)
    shown = terminal.getvalue()
    assert "3/3" in shown and "loss=" in shown and "acc=" in shown


def test_no_bar_and_no_tqdm_needed_when_stderr_is_not_a_terminal(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # importing tqdm now fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    inputs, labels = datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    history = fit(model, inputs, labels, losses.binary_cross_entropy,
                  optim.SGD(model.parameters(), lr=0.1), epochs=2)
    assert history.epochs == 2 and captured.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", _Terminal())
    with pytest.raises(ImportError, match=r"autograd-mini\[progress\]"):
        fit(model, inputs, labels, losses.binary_cross_entropy,
            optim.SGD(model.parameters(), lr=0.1), epochs=2)
    assert fit(model, inputs, labels, losses.binary_cross_entropy,
               optim.SGD(model.parameters(), lr=0.1), epochs=1, progress=False).epochs == 1
    assert math.isfinite(history.loss[-1])


# ------------------------------------------------------ validation, early stopping


def _noisy_moons(n: int = 80):
    points, labels = datasets.moons(n, noise=0.3, seed=0)
    return points[:n // 2], labels[:n // 2], points[n // 2:], labels[n // 2:]


@pytest.mark.parametrize("compiled", [False, True])
def test_validation_is_measured_after_each_epoch_as_evaluate_measures_it(compiled: bool) -> None:
    points, labels, val_points, val_labels = _noisy_moons()
    model = nn.MLP(2, [8, 1], seed=0)
    measured: list[tuple[float | None, float | None]] = []
    history = fit(model, points, labels, losses.binary_cross_entropy, optim.Adam(model.parameters(), lr=0.05),
                  epochs=6, batch_size=16, progress=False, regularization=0.01, compiled=compiled,
                  validation=(val_points, val_labels),
                  callback=lambda e, h: measured.append(
                      evaluate(model, val_points, val_labels, losses.binary_cross_entropy)) and None)
    assert len(history.val_loss) == len(history.val_accuracy) == history.epochs == 6
    # Bit for bit the evaluate of the weights after the epoch: no L2 in it, no graph recorded.
    assert history.val_loss == [loss for loss, _ in measured]
    assert history.val_accuracy == [accuracy for _, accuracy in measured]
    assert history.best_epoch == min(range(6), key=history.val_loss.__getitem__)
    assert not history.stopped_early
    assert all(p.grad == 0.0 or isinstance(p.grad, float) for p in model.parameters())


def test_validation_is_measured_in_evaluation_mode_and_the_modes_come_back() -> None:
    points, labels, val_points, val_labels = _noisy_moons()
    model = nn.MLP(2, [8, 1], dropout=0.5, seed=0)
    history = fit(model, points, labels, losses.binary_cross_entropy, optim.SGD(model.parameters(), lr=0.0),
                  epochs=3, progress=False, validation=(val_points, val_labels))
    # lr 0: the weights never move, so without dropout every epoch scores the same.
    assert len(set(history.val_loss)) == 1
    assert len(set(history.loss)) > 1  # while training, dropout draws new masks
    assert model.training and model.dropout.training
    assert evaluate(model, val_points, val_labels, losses.binary_cross_entropy)[0] == history.val_loss[0]
    assert model.training


@pytest.mark.parametrize("compiled", [False, True])
def test_early_stopping_stops_after_patience_and_restores_the_best_weights(compiled: bool) -> None:
    points, labels, val_points, val_labels = _noisy_moons()
    model = nn.MLP(2, [32, 32, 1], seed=0)
    snapshots: list[list[float]] = []
    history = fit(model, points, labels, losses.binary_cross_entropy, optim.Adam(model.parameters(), lr=0.05),
                  epochs=300, progress=False, validation=(val_points, val_labels), early_stopping=5,
                  compiled=compiled,
                  callback=lambda e, h: snapshots.append([p.data for p in model.parameters()]) and None)
    best = history.best_epoch
    assert history.stopped_early and best is not None
    assert history.epochs == best + 6  # five epochs without a lower validation loss, then stop
    assert history.val_loss[best] == min(history.val_loss)
    assert all(v >= history.val_loss[best] for v in history.val_loss[best + 1:])
    assert [p.data for p in model.parameters()] == snapshots[best] != snapshots[-1]
    assert evaluate(model, val_points, val_labels, losses.binary_cross_entropy)[0] == history.val_loss[best]


def test_early_stopping_compiled_and_eager_stop_at_the_same_epoch_with_the_same_weights() -> None:
    points, labels, val_points, val_labels = _noisy_moons()
    results = []
    for compiled in (False, True):
        model = nn.MLP(2, [16, 16, 1], seed=2)
        history = fit(model, points, labels, losses.binary_cross_entropy,
                      optim.Adam(model.parameters(), lr=0.05), epochs=200, batch_size=10,
                      progress=False, validation=(val_points, val_labels), early_stopping=4,
                      compiled=compiled)
        results.append((history.val_loss, history.val_accuracy, history.best_epoch,
                        [p.data for p in model.parameters()]))
    assert results[0] == results[1]


def test_early_stopping_restores_the_best_weights_also_when_the_epochs_run_out() -> None:
    points, labels, val_points, val_labels = _noisy_moons()
    model = nn.MLP(2, [32, 32, 1], seed=0)
    snapshots: list[list[float]] = []
    history = fit(model, points, labels, losses.binary_cross_entropy, optim.Adam(model.parameters(), lr=0.05),
                  epochs=30, progress=False, validation=(val_points, val_labels), early_stopping=100,
                  compiled=True, callback=lambda e, h: snapshots.append([p.data for p in model.parameters()]) and None)
    assert not history.stopped_early and history.epochs == 30
    assert history.best_epoch is not None and history.best_epoch < 29  # it overfits before 30
    assert [p.data for p in model.parameters()] == snapshots[history.best_epoch]


def test_a_validation_set_that_overflows_stops_fit_with_diverged_error() -> None:
    w = Value(1.0)
    with pytest.raises(DivergedError, match=r"epoch 1 of 2, after 1 update: on the validation set,"
                       r" the model's output for example 1 is inf"):
        fit(lambda x: w * x[0], [[1.0]], [1.0], losses.mse, optim.SGD([w], lr=0.0), epochs=2,
            progress=False, validation=([[1.0], [math.inf]], [1.0, 1.0]))


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"early_stopping": 3}, ValueError, "pass validation=\\(X_val, y_val\\) too"),
    ({"early_stopping": 0, "validation": ([[0.0, 0.0]], [0])}, ValueError, "int >= 1"),
    ({"early_stopping": True, "validation": ([[0.0, 0.0]], [0])}, ValueError, "int >= 1"),
    ({"validation": [[0.0, 0.0]]}, TypeError, "a pair \\(X_val, y_val\\)"),
    ({"validation": ([[0.0, 0.0]], [0, 1])}, ValueError, "1 examples but 2 targets"),
    ({"validation": ([], [])}, ValueError, "the validation set is empty"),
    ({"validation": ([[0.0, 0.0]], [0.5])}, ValueError, "training targets are class labels"),
])
def test_bad_validation_arguments_raise_before_training(kwargs, error, fragment: str) -> None:
    inputs, labels = datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=fragment):
        fit(model, inputs, labels, losses.binary_cross_entropy,
            optim.SGD(model.parameters(), lr=0.1), epochs=2, progress=False, **kwargs)
    assert model.state_dict() == before


# ------------------------------------------------------------ outputs, evaluate


def test_outputs_replay_equals_the_eager_outputs_and_follows_the_weights() -> None:
    from autograd_mini.training import Outputs

    points, _ = datasets.spirals(30)
    model = nn.MLP(2, [6, 3], seed=0)
    replayed = Outputs(model, points)
    eager = Outputs(model, points, compiled=False)
    assert replayed() == eager() == [[v.data for v in model(x)] for x in points]
    model.layers[0].neurons[0].w[0].data += 0.5
    assert replayed() == eager() != Outputs(nn.MLP(2, [6, 3], seed=0), points)()
    assert all(isinstance(v, float) for o in replayed() for v in o)


def test_outputs_learn_a_branch_they_have_not_seen_and_then_replay_it() -> None:
    from autograd_mini.training import Outputs

    calls = []
    w = Value(2.0)

    def model(x):
        calls.append(1)
        return w * x[0] if x[0] > 0 else (w * x[0]).tanh()  # a comparison: a guard of the trace

    points = [[1.0], [-1.0], [3.0], [-0.5]]
    outputs = Outputs(model, points)
    expected = [2.0, math.tanh(-2.0), 6.0, math.tanh(-1.0)]
    assert outputs() == expected  # the first trace saw one branch only: eager, then learned
    calls.clear()
    assert outputs() == expected and calls == []  # both branches replayed: the model not called


def test_outputs_never_replay_a_random_draw() -> None:
    from autograd_mini.training import Outputs

    model = nn.MLP(2, [16, 1], dropout=0.5, seed=0)
    outputs = Outputs(model, [[1.0, 1.0]] * 4)
    assert len(set(outputs())) > 1  # in training mode: a fresh mask for every example
    model.eval()
    assert len(set(outputs())) == 1


@pytest.mark.parametrize("loss", [losses.binary_cross_entropy, losses.mse])
def test_evaluate_compiled_gives_the_eager_numbers(loss) -> None:
    points, labels = datasets.moons(40, seed=1)
    model = nn.MLP(2, [8, 8, 1], seed=1)
    targets = labels if loss is losses.binary_cross_entropy else [float(t) for t in labels]
    assert evaluate(model, points, targets, loss, compiled=True) == evaluate(model, points, targets, loss)


def test_confusion_matrix_counts_true_rows_against_predicted_columns() -> None:
    from autograd_mini.training import confusion_matrix

    assert confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0]) == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    assert confusion_matrix([1], [1], classes=3) == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert confusion_matrix([], []) == []
    with pytest.raises(ValueError, match="2 true classes but 1 predictions"):
        confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="ints from 0, got -1"):
        confusion_matrix([-1], [0])
    with pytest.raises(ValueError, match="class 3 is beyond classes=2"):
        confusion_matrix([3], [0], classes=2)


# ---------------------------------------------------------------------- digits


@pytest.mark.parametrize(("hidden", "epochs"), [([10], 10), ([32, 10], 8)])
def test_softmax_regression_and_an_mlp_classify_fresh_digits_at_90_percent(hidden, epochs) -> None:
    points, labels = datasets.digits(1200, seed=0)
    test_images, test_labels = datasets.digits(400, seed=1)  # images never trained on
    model = nn.MLP(64, hidden, init="he", seed=0)
    fit(model, points, labels, losses.cross_entropy, optim.Adam(model.parameters(), lr=0.01),
        epochs=epochs, batch_size=32, progress=False, compiled=True)
    _, accuracy = evaluate(model, test_images, test_labels, compiled=True)
    assert accuracy is not None and accuracy >= 0.9


def test_examples_of_another_width_than_the_model_takes_are_refused() -> None:
    # A neuron sums as many pairs as it has (micrograd's zip, with a warning): fit refuses.
    model = nn.MLP(3, [4, 1], seed=0)
    before = model.state_dict()
    sgd = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: example 1 has 2 features but the model takes 3"):
        fit(model, [[1.0, 2.0, 3.0], [2.0, 1.0]], [0.0, 1.0], losses.mse, sgd, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"fit: the validation set: example 0 has 4 features"):
        fit(model, [[1.0, 2.0, 3.0]], [0.0], losses.mse, sgd, epochs=1, progress=False,
            validation=([[1.0, 2.0, 3.0, 4.0]], [1.0]))
    assert model.state_dict() == before
