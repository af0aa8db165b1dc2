"""schedules: the closed formulas, the PyTorch-style step() protocol, fit stepping a schedule,
and bad arguments. (tests/test_torch_oracle.py compares every schedule with PyTorch's.)"""

from __future__ import annotations

import math

import pytest

from autograd_mini import Value, losses, nn, optim
from autograd_mini.schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    SequentialLR,
    StepLR,
)
from autograd_mini.training import fit


def _optimizer(lr: float = 1.0) -> optim.SGD:
    return optim.SGD([Value(0.0)], lr=lr)


def test_making_a_schedule_sets_epoch_0_and_step_walks_the_formula() -> None:
    opt = _optimizer(0.5)
    schedule = LinearLR(opt, start_factor=0.2, total_iters=4)
    assert opt.lr == 0.1 and opt.initial_lr == 0.5  # warm-up starts at once
    seen = [opt.lr]
    for _ in range(5):
        schedule.step()
        seen.append(opt.lr)
    assert seen == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.5], rel=1e-15)
    assert schedule.last_epoch == 5 and schedule.get_last_lr() == [opt.lr]


def test_formulas() -> None:
    assert [StepLR(_optimizer(), 3, gamma=0.5).lr_at(e) for e in (0, 2, 3, 5, 6)] == [
        1.0, 1.0, 0.5, 0.5, 0.25]
    assert ExponentialLR(_optimizer(2.0), 0.5).lr_at(3) == 0.25
    cosine = CosineAnnealingLR(_optimizer(1.0), T_max=10, eta_min=0.1)
    assert cosine.lr_at(0) == 1.0 and cosine.lr_at(10) == pytest.approx(0.1, abs=1e-16)
    assert cosine.lr_at(5) == pytest.approx(0.55, rel=1e-15)
    assert cosine.lr_at(15) == pytest.approx(cosine.lr_at(5), rel=1e-15)  # periodic, no restart
    assert LinearLR(_optimizer(3.0)).lr_at(0) == pytest.approx(1.0, rel=1e-15)  # start 1/3


def test_sequential_restarts_each_schedule_at_its_milestone_from_the_same_base() -> None:
    opt = _optimizer(1.0)
    warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = StepLR(opt, 1, gamma=0.5)  # made after warmup lowered lr: the base stays 1.0
    assert decay.base_lr == 1.0
    schedule = SequentialLR(opt, [warmup, decay], milestones=[3])
    assert opt.lr == 0.5
    assert [schedule.lr_at(e) for e in range(6)] == [0.5, 0.75, 1.0, 1.0, 0.5, 0.25]


def test_fit_steps_a_schedule_after_every_epoch_and_a_second_fit_continues() -> None:
    model = nn.MLP(1, [1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    schedule = StepLR(opt, 2, gamma=0.5)
    X, y = [[1.0], [2.0]], [1.0, 2.0]  # noqa: N806 - as fit names them
    history = fit(model, X, y, losses.mse, opt, epochs=5, progress=False, lr_schedule=schedule)
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-15)
    assert schedule.last_epoch == 5
    again = fit(model, X, y, losses.mse, opt, epochs=2, progress=False, lr_schedule=schedule)
    assert again.lr == pytest.approx([0.025, 0.0125], rel=1e-15)
    # a plain callable still works as before: set before each epoch
    plain = fit(model, X, y, losses.mse, opt, epochs=3, progress=False,
                lr_schedule=lambda k: 0.01 * (k + 1))
    assert plain.lr == pytest.approx([0.01, 0.02, 0.03])


def test_fit_refuses_a_schedule_of_another_optimizer() -> None:
    model = nn.MLP(1, [1], seed=0)
    schedule = StepLR(_optimizer(), 2)
    with pytest.raises(ValueError, match="lr_schedule was made for another optimizer"):
        fit(model, [[1.0]], [1.0], losses.mse, optim.SGD(model.parameters(), lr=0.1), epochs=1,
            progress=False, lr_schedule=schedule)


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda o: StepLR(o, 0), "StepLR: step_size must be a positive int"),
    (lambda o: StepLR(o, 2, gamma=0.0), r"StepLR: gamma must be a number in \(0.0, inf\)"),
    (lambda o: ExponentialLR(o, math.nan), "ExponentialLR: gamma must be"),
    (lambda o: CosineAnnealingLR(o, T_max=2.5), "T_max must be a positive int"),
    (lambda o: CosineAnnealingLR(o, 5, eta_min=-1.0), "eta_min must be"),
    (lambda o: LinearLR(o, start_factor=0.0), r"start_factor must be a number in \(0.0, 1.0\]"),
    (lambda o: LinearLR(o, end_factor=1.5), "end_factor must be"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], milestones=[]), "need 1 milestones"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(_optimizer(), 3)], milestones=[2]),
     "schedule 1 .* does not belong to this optimizer"),
    (lambda o: SequentialLR(o, [StepLR(o, 2)] * 3, milestones=[4, 2]), "milestones must increase"),
])
def test_bad_arguments_raise(make, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        make(_optimizer())
    with pytest.raises(TypeError, match=r"StepLR: expected an autograd_mini\.optim optimizer"):
        StepLR(object(), 2)  # type: ignore[arg-type]


# ------------------------------------------------- the rate a schedule sets is checked


def test_a_schedule_rate_past_the_float_range_is_refused_and_changes_nothing() -> None:
    opt = _optimizer(1e300)
    schedule = ExponentialLR(opt, gamma=10.0)  # 1e300 * 10 ** 9 is inf
    for _ in range(8):
        schedule.step()
    assert opt.lr == pytest.approx(1e308)
    with pytest.raises(ValueError, match=r"^ExponentialLR, epoch 9: lr must be a number >= 0\.0,"
                                         r" got inf$"):
        schedule.step()
    assert schedule.last_epoch == 8 and opt.lr == pytest.approx(1e308)
    # gamma ** epoch itself overflowing (float ** int raises) says so, too
    opt = _optimizer(1.0)
    big = StepLR(opt, step_size=1, gamma=1e10)
    big.last_epoch = 30
    with pytest.raises(ValueError, match=r"^StepLR, epoch 31: lr is beyond the largest float"):
        big.step()
    assert big.last_epoch == 30 and opt.lr == 1.0


def test_a_schedule_made_from_an_optimizer_with_a_bad_lr_is_refused_before_touching_it() -> None:
    opt = _optimizer(0.5)
    opt.lr = math.nan
    with pytest.raises(ValueError, match=r"^StepLR, epoch 0: lr must be a number >= 0\.0, got nan$"):
        StepLR(opt, 2)
    assert opt.initial_lr is None and math.isnan(opt.lr)  # as it was


def test_fit_stops_when_a_schedule_reaches_a_rate_the_optimizer_refuses() -> None:
    # The rate leaves the float range at epoch 2 (1e308 * 10): stepping the schedule after
    # epoch 1 raises, and epoch 2 never runs with it.
    model = nn.MLP(1, [1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1e307)
    schedule = ExponentialLR(opt, gamma=10.0)
    epochs: list[int] = []
    with pytest.raises(ValueError, match="ExponentialLR, epoch 2: lr must be a number"):
        fit(model, [[0.0]], [0.0], losses.mse, opt, epochs=5, progress=False,
            lr_schedule=schedule, callback=lambda e, h: epochs.append(e))
    assert epochs == [0]  # epoch 1 ran; the schedule steps before its callback
    assert schedule.last_epoch == 1 and opt.lr == pytest.approx(1e308)
    assert all(math.isfinite(v) for v in model.state_dict().values())


def test_fit_checks_the_rate_of_a_plain_lr_schedule_before_setting_it() -> None:
    # The reviewer's cases: nan (SGD) or inf (Adam) from epoch 1 on used to be applied, and
    # DivergedError came after every weight had become nan or inf; -1.0 was taken silently
    # and a string gave a bare "could not convert string to float".
    X, y = [[0.5], [1.0], [-1.0]], [1.0, 2.0, 0.0]  # noqa: N806 - as fit names them

    def after_one_epoch(make):
        model = nn.MLP(1, [1], seed=0)
        fit(model, X, y, losses.mse, make(model.parameters()), epochs=1, progress=False)
        return model.state_dict()

    def later(bad):
        return lambda e: 0.01 if e == 0 else bad

    for make, bad in [(lambda p: optim.SGD(p, lr=0.01), math.nan),
                      (lambda p: optim.Adam(p, lr=0.01), math.inf)]:
        model = nn.MLP(1, [1], seed=0)
        opt = make(model.parameters())
        with pytest.raises(ValueError, match=rf"^fit: lr_schedule .*<lambda>, epoch 1: lr must be"
                                             rf" a number >= 0\.0, got {bad!r}$"):
            fit(model, X, y, losses.mse, opt, epochs=3, progress=False, lr_schedule=later(bad))
        assert model.state_dict() == after_one_epoch(make)  # epoch 0's weights, all finite
        assert opt.lr == 0.01  # the refused rate was never set

    def named_schedule(epoch: int) -> float:
        return -1.0

    for schedule, shown in [(named_schedule, "-1.0"), (lambda e: "0.1", "'0.1'")]:
        model = nn.MLP(1, [1], seed=0)
        before = model.state_dict()
        with pytest.raises(ValueError, match=r"^fit: lr_schedule .*(named_schedule|<lambda>), epoch 0:"
                                             rf" lr must be a number >= 0\.0, got {shown}$"):
            fit(model, X, y, losses.mse, optim.SGD(model.parameters(), lr=0.01), epochs=2,
                progress=False, lr_schedule=schedule)
        assert model.state_dict() == before
