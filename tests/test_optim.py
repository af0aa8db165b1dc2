"""optim: SGD and Adam against hand-computed steps and against PyTorch's documented update
rules (written below as plain-float reference code; torch itself is not needed)."""

from __future__ import annotations

import math
import random
import re

import pytest

from autograd_mini import Value
from autograd_mini.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    RMSprop,
    clip_grad_norm,
    grad_norm,
    l2_norm,
)

# --------------------------------------------- PyTorch's documented algorithms, in floats
# torch.optim.SGD (dampening=0, maximize=False):
#   g_t = grad + weight_decay * theta
#   if momentum != 0: b_t = g_t if t == 1 else momentum * b_{t-1} + g_t
#                     g_t = g_t + momentum * b_t if nesterov else b_t
#   theta_t = theta_{t-1} - lr * g_t
# torch.optim.Adam (amsgrad=False, maximize=False):
#   g_t = grad + weight_decay * theta
#   m_t = beta1 m_{t-1} + (1 - beta1) g_t;  v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
#   m_hat = m_t / (1 - beta1^t);  v_hat = v_t / (1 - beta2^t)
#   theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)


def torch_sgd(theta, grads, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    buf = None
    path = []
    for t, grad in enumerate(grads, start=1):
        g = grad + weight_decay * theta
        if momentum != 0:
            buf = g if t == 1 else momentum * buf + g
            g = g + momentum * buf if nesterov else buf
        theta = theta - lr * g
        path.append(theta)
    return path


def torch_adam(theta, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    m = v = 0.0
    path = []
    for t, grad in enumerate(grads, start=1):
        g = grad + weight_decay * theta
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        v_hat = v / (1 - betas[1] ** t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
        path.append(theta)
    return path


# A loss whose gradient depends on the parameter, so the steps feed back.
def _run(optimizer_class, theta0: float, steps: int, **kwargs) -> tuple[list[float], list[float]]:
    w = Value(theta0)
    opt = optimizer_class([w], **kwargs)
    path, grads = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = (w - 3.0) ** 2 + (3.0 * w).sin()
        loss.backward()
        grads.append(w.grad)
        opt.step()
        path.append(w.data)
    return path, grads


# -------------------------------------------------------------------- hand steps


def test_sgd_plain_step_is_micrograds_update() -> None:
    a, b = Value(1.0), Value(-2.0)
    a.grad, b.grad = 0.5, -4.0
    SGD([a, b], lr=0.1).step()
    assert (a.data, b.data) == (1.0 - 0.1 * 0.5, -2.0 - 0.1 * -4.0)


def test_sgd_momentum_weight_decay_and_nesterov_by_hand() -> None:
    w = Value(2.0)
    opt = SGD([w], lr=0.5, momentum=0.5, weight_decay=0.25)
    w.grad = 1.0
    opt.step()  # g = 1 + 0.25*2 = 1.5; b = 1.5; w = 2 - 0.75
    assert w.data == 1.25
    w.grad = 1.0
    opt.step()  # g = 1 + 0.3125 = 1.3125; b = 0.75 + 1.3125 = 2.0625; w = 1.25 - 1.03125
    assert w.data == 0.21875
    w = Value(1.0)
    opt = SGD([w], lr=1.0, momentum=0.5, nesterov=True)
    w.grad = 2.0
    opt.step()  # b = 2; g = 2 + 0.5*2 = 3
    assert w.data == -2.0
    w.grad = 2.0
    opt.step()  # b = 1 + 2 = 3; g = 2 + 1.5 = 3.5
    assert w.data == -5.5


def test_adam_first_steps_by_hand() -> None:
    w = Value(1.0)
    opt = Adam([w], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    w.grad = 2.0
    opt.step()  # m = 1, v = 1; m_hat = 2, v_hat = 4; step = 0.1 * 2 / 2
    assert w.data == pytest.approx(0.9, abs=1e-15)
    w.grad = -2.0
    opt.step()  # m = 0.5 - 1 = -0.5, v = 0.75 + 1 = 1.75; m_hat = -2/3, v_hat = 4
    assert w.data == pytest.approx(0.9 + 0.1 * (2 / 3) / 2, abs=1e-15)
    assert opt.t == 2


# ----------------------------------------------------------- against PyTorch's rules


@pytest.mark.parametrize("kwargs", [
    {"lr": 0.01},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "momentum": 0.9, "nesterov": True},
    {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1},
    {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
])
def test_sgd_follows_pytorchs_rule(kwargs) -> None:
    path, grads = _run(SGD, 0.5, 25, **kwargs)
    assert path == pytest.approx(torch_sgd(0.5, grads, **kwargs), rel=1e-13, abs=1e-13)
    assert path[-1] != path[0]


@pytest.mark.parametrize("kwargs", [
    {"lr": 0.05},
    {"lr": 0.05, "betas": (0.8, 0.99)},
    {"lr": 0.01, "eps": 1e-3, "weight_decay": 0.1},
    {"lr": 0.1, "betas": (0.0, 0.5), "weight_decay": 0.5},
])
def test_adam_follows_pytorchs_rule(kwargs) -> None:
    path, grads = _run(Adam, 0.5, 25, **kwargs)
    assert path == pytest.approx(torch_adam(0.5, grads, **kwargs), rel=1e-13, abs=1e-13)
    assert path[-1] != path[0]


def test_adam_keeps_separate_state_per_parameter() -> None:
    a, b = Value(1.0), Value(1.0)
    opt = Adam([a, b], lr=0.1)
    for ga, gb in [(1.0, -3.0), (0.5, 2.0), (-1.0, 0.1)]:
        a.grad, b.grad = ga, gb
        opt.step()
    assert a.data == pytest.approx(torch_adam(1.0, [1.0, 0.5, -1.0], lr=0.1)[-1], rel=1e-14)
    assert b.data == pytest.approx(torch_adam(1.0, [-3.0, 2.0, 0.1], lr=0.1)[-1], rel=1e-14)


def test_sgd_and_adam_minimise_a_quadratic() -> None:
    for opt_class, kwargs in [(SGD, {"lr": 0.05, "momentum": 0.9}), (Adam, {"lr": 0.1})]:
        x, y = Value(4.0), Value(-3.0)
        opt = opt_class([x, y], **kwargs)
        for _ in range(300):
            opt.zero_grad()
            ((x - 1.0) ** 2 + 2.0 * (y + 2.0) ** 2).backward()
            opt.step()
        assert (x.data, y.data) == pytest.approx((1.0, -2.0), abs=1e-3)


def test_lr_is_settable_between_steps() -> None:
    w = Value(0.0)
    opt = SGD([w], lr=1.0)
    w.grad = 1.0
    opt.step()
    opt.lr = 0.25
    opt.step()
    assert w.data == -1.25


# ------------------------------------------------------------------- refusing bad state


def test_value_valued_grads_from_create_graph_are_refused_and_nothing_moves() -> None:
    a, b = Value(1.0), Value(2.0)
    (a * a * b).backward(create_graph=True)
    assert isinstance(b.grad, Value)
    for opt in (SGD([a, b], lr=0.1, momentum=0.9), Adam([a, b], lr=0.1)):
        with pytest.raises(TypeError, match=r"parameter \d has a Value as .grad.*create_graph"):
            opt.step()
        assert (a.data, b.data) == (1.0, 2.0)
    with pytest.raises(TypeError, match="clip_grad_norm"):
        clip_grad_norm([a, b], 1.0)
    a.grad, b.grad = float(a.grad), float(b.grad)  # the documented way out
    SGD([a, b], lr=0.1).step()
    assert (a.data, b.data) == (1.0 - 0.1 * 4.0, 2.0 - 0.1 * 1.0)


def test_every_refusal_of_a_value_grad_is_the_same_message_naming_its_caller() -> None:
    a, b = Value(1.0), Value(2.0)
    (a * a * b).backward(create_graph=True)
    messages = []
    for where, call in [("SGD.step", SGD([a, b], lr=0.1).step),
                        ("Adam.step", Adam([a, b], lr=0.1).step),
                        ("grad_norm", lambda: grad_norm([a, b])),
                        ("clip_grad_norm", lambda: clip_grad_norm([a, b], 1.0))]:
        with pytest.raises(TypeError) as caught:
            call()
        text = str(caught.value)
        assert text.startswith(f"{where}: parameter 0 has a Value as .grad"), text
        messages.append(text.removeprefix(f"{where}: "))
    assert len(set(messages)) == 1  # one helper says it, the same way everywhere
    assert "set p.grad = float(p.grad)" in messages[0]


def test_l2_norm_is_exact_never_raises_and_is_the_norm_of_grad_norm() -> None:
    assert l2_norm([3.0, 4.0]) == 5.0 and l2_norm([]) == 0.0
    assert math.isnan(l2_norm([1.0, math.nan]))
    # fsum: a million tiny squares next to a big one are not lost
    assert l2_norm([1.0] + [1e-9] * 1_000_000) == math.sqrt(1.0 + 1e-12)
    grads = [0.5, -2.0, 1e-3]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    assert grad_norm(params) == l2_norm(grads) == clip_grad_norm(params, 10.0)


def test_l2_norm_of_finite_numbers_does_not_overflow_and_the_usual_digits_stay() -> None:
    # Squares past the float range: 1e200 ** 2 is inf, and two squares of 1e154 make fsum
    # raise OverflowError. The norms themselves are ordinary floats.
    assert l2_norm([1e200, 1e200]) == math.hypot(1e200, 1e200) == 1.414213562373095e200
    assert l2_norm(iter([1e154, -1e154])) == math.hypot(1e154, 1e154)
    assert l2_norm([1e308, 1e308, 1.0]) == math.hypot(1e308, 1e308, 1.0)
    assert l2_norm([1.7e308] * 4) == math.inf  # the norm itself is beyond the largest float
    assert l2_norm([1e200, math.inf]) == math.inf
    assert math.isnan(l2_norm([1e200, 1e200, math.nan]))
    assert math.isnan(l2_norm([math.inf, math.nan]))
    # Every norm that was finite keeps its bits: sqrt of the exact sum, as before.
    rng = random.Random(0)
    for _ in range(200):
        numbers = [rng.uniform(-1e3, 1e3) * 10.0 ** rng.randint(-150, 150) for _ in range(7)]
        assert l2_norm(numbers) == math.sqrt(math.fsum(x * x for x in numbers))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_gradient_is_refused_before_any_parameter_moves(bad: float) -> None:
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 1.0, bad
    adam = Adam([a, b], lr=0.1)
    for opt in (SGD([a, b], lr=0.1), adam):
        with pytest.raises(ValueError, match="parameter 1 has gradient"):
            opt.step()
    assert (a.data, b.data) == (1.0, 2.0)
    assert adam.t == 0 and adam.m == [0.0, 0.0]


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda p: SGD(p, lr=-0.1), "lr must be"),
    (lambda p: SGD(p, lr=0.1, momentum=-1), "momentum must be"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov=True needs a momentum"),
    (lambda p: SGD(p, lr=math.nan), "lr must be"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), "beta2 must be"),
    (lambda p: Adam(p, betas=(0.9,)), "betas must be a pair"),
    (lambda p: Adam(p, eps=-1.0), "eps must be"),
    (lambda p: Adam(p, weight_decay=-0.1), "weight_decay must be"),
    (lambda p: SGD([], lr=0.1), "empty parameter list"),
    (lambda p: SGD(p + p, lr=0.1), "appears twice"),
])
def test_bad_hyperparameters_raise(make, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        make([Value(1.0)])


_ALL = [
    lambda p: SGD(p, lr=0.1), lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: Adam(p, lr=0.1), lambda p: AdamW(p, lr=0.1), lambda p: RMSprop(p, momentum=0.5),
    lambda p: Adagrad(p, lr=0.1),
]
_ALL_IDS = ["SGD", "SGD-nesterov", "Adam", "AdamW", "RMSprop", "Adagrad"]


def _state(opt) -> dict:
    return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(opt).items()
            if k != "params"}


@pytest.mark.parametrize("make", _ALL, ids=_ALL_IDS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, "0.1", None])
def test_a_bad_lr_set_between_steps_is_refused_before_any_weight_moves(make, bad) -> None:
    # The reviewer's case: opt.lr = nan, then step(), made every weight nan (Adam: inf).
    a, b = Value(1.0), Value(2.0)
    opt = make([a, b])
    a.grad, b.grad = 0.5, -0.25
    opt.step()
    weights, state = (a.data, b.data), _state(opt)
    opt.lr = bad
    name = type(opt).__name__
    with pytest.raises(ValueError, match=rf"^{name}\.step: lr must be a number >= 0\.0, got"
                                         rf" {re.escape(repr(bad))}$"):
        opt.step()
    assert (a.data, b.data) == weights and _state(opt) == {**state, "lr": bad}
    opt.lr = 0.05  # the way out: a learning rate; the step goes on from the same state
    opt.step()
    assert (a.data, b.data) != weights


@pytest.mark.parametrize(("make", "attribute", "bad", "fragment"), [
    (lambda p: SGD(p, lr=0.1, momentum=0.9), "momentum", math.nan, "SGD.step: momentum must be"),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True), "momentum", 0.0,
     "SGD.step: nesterov=True needs a momentum > 0"),
    (lambda p: Adam(p), "betas", (0.9, 1.0), "Adam.step: beta2 must be"),
    (lambda p: Adam(p), "betas", 0.9, "Adam.step: betas must be a pair"),
    (lambda p: AdamW(p), "weight_decay", math.inf, "AdamW.step: weight_decay must be"),
    (lambda p: RMSprop(p), "eps", -1.0, "RMSprop.step: eps must be"),
    (lambda p: Adagrad(p), "lr_decay", math.nan, "Adagrad.step: lr_decay must be"),
])
def test_every_hyperparameter_set_between_steps_is_checked_by_step(make, attribute, bad,
                                                                   fragment) -> None:
    w = Value(1.0)
    opt = make([w])
    w.grad = 1.0
    setattr(opt, attribute, bad)
    with pytest.raises(ValueError, match=re.escape(fragment)):
        opt.step()
    assert w.data == 1.0


@pytest.mark.parametrize("make", _ALL, ids=_ALL_IDS)
def test_step_checks_with_the_constructors_check(make, monkeypatch: pytest.MonkeyPatch) -> None:
    # One check, not a copy: the constructor's message and step()'s differ only in the
    # caller they name, and both come from check_hyperparameters.
    opt = make([Value(1.0)])
    name = type(opt).__name__
    with pytest.raises(ValueError) as made:
        type(opt)([Value(1.0)], lr=math.nan)
    opt.lr = math.nan
    with pytest.raises(ValueError) as stepped:
        opt.step()
    assert str(made.value).removeprefix(f"{name}: ") == str(stepped.value).removeprefix(
        f"{name}.step: ") == "lr must be a number >= 0.0, got nan"
    calls: list[str | None] = []
    check = type(opt).check_hyperparameters
    monkeypatch.setattr(type(opt), "check_hyperparameters",
                        lambda self, where=None: (calls.append(where), check(self, where))[1])
    type(opt)([Value(1.0)], lr=0.1)
    opt.lr = 0.1
    opt.params[0].grad = 1.0
    opt.step()
    assert calls == [None, f"{name}.step"]


def test_non_value_parameters_raise_type_error() -> None:
    with pytest.raises(TypeError, match="parameter 1 is float"):
        SGD([Value(1.0), 2.0], lr=0.1)
    with pytest.raises(TypeError, match="got a Value"):
        Adam(Value(1.0))


# ------------------------------------------------------------------------ clipping


def test_clip_grad_norm_scales_like_pytorch_and_returns_the_norm_before() -> None:
    params = [Value(0.0) for _ in range(3)]
    for p, g in zip(params, [1.0, -2.0, 2.0]):
        p.grad = g
    assert clip_grad_norm(params, 1.5) == 3.0
    scale = 1.5 / (3.0 + 1e-6)
    assert [p.grad for p in params] == [1.0 * scale, -2.0 * scale, 2.0 * scale]
    assert clip_grad_norm(params, 1.5) == pytest.approx(1.5, rel=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone_and_refuses_non_finite() -> None:
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 0.3, 0.4
    assert clip_grad_norm([a, b], 1.0) == pytest.approx(0.5)
    assert (a.grad, b.grad) == (0.3, 0.4)
    b.grad = math.inf
    with pytest.raises(ValueError, match="parameter 1 has gradient inf, so the total gradient"
                                         " norm is not finite; nothing was clipped"):
        clip_grad_norm([a, b], 1.0)
    assert (a.grad, b.grad) == (0.3, math.inf)


def test_clip_grad_norm_of_huge_finite_gradients_clips_them_and_never_says_not_finite() -> None:
    # The reviewer's case: two gradients of 1e200 were "inf; some gradient is not finite".
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 1e200, -1e200
    norm = math.hypot(1e200, 1e200)
    assert clip_grad_norm([a, b], 1.0) == norm
    scale = 1.0 / (norm + 1e-6)
    assert (a.grad, b.grad) == (1e200 * scale, -1e200 * scale)
    assert l2_norm([a.grad, b.grad]) == pytest.approx(1.0, rel=1e-15)
    params = [Value(0.0) for _ in range(4)]
    for p in params:
        p.grad = 1.7e308  # finite, but the norm (3.4e308) is beyond any float
    with pytest.raises(ValueError, match="every gradient is finite, but their total norm is"
                                         " beyond the largest float") as caught:
        clip_grad_norm(params, 1.0)
    assert "not finite" not in str(caught.value)
    assert [p.grad for p in params] == [1.7e308] * 4


# ------------------------------------------------------- AdamW, RMSprop and Adagrad


def test_adamw_decays_the_weight_itself_not_the_gradient() -> None:
    w, v = Value(2.0), Value(2.0)
    adamw = AdamW([w], lr=0.1, betas=(0.5, 0.75), eps=0.0, weight_decay=0.5)
    adam = Adam([v], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    w.grad = v.grad = 3.0
    adamw.step()
    adam.step()
    # AdamW = Adam's step on a weight first shrunk by (1 - lr * wd)
    assert w.data == pytest.approx(2.0 * (1 - 0.05) - (2.0 - v.data), rel=1e-15)
    assert AdamW([Value(0.0)]).weight_decay == 0.01  # PyTorch's default


def test_rmsprop_by_hand_plain_centered_and_with_momentum() -> None:
    w = Value(1.0)
    opt = RMSprop([w], lr=0.1, alpha=0.5, eps=0.0, momentum=0.5, centered=True)
    w.grad = 2.0
    opt.step()  # s = 2, a = 1, d = sqrt(2 - 1) = 1; b = 2; w = 1 - 0.2
    assert w.data == pytest.approx(0.8, rel=1e-15)
    w.grad = 0.0
    opt.step()  # s = 1, a = 0.5, d = sqrt(0.75); b = 0.5 * 2 + 0 = 1; w = 0.8 - 0.1
    assert w.data == pytest.approx(0.7, rel=1e-15)
    u = Value(0.0)
    plain = RMSprop([u], lr=0.01, alpha=0.99, eps=0.0)
    u.grad = -3.0
    plain.step()  # s = 0.01 * 9; step = 0.01 * -3 / 0.3
    assert u.data == pytest.approx(0.1, rel=1e-14)


def test_adagrad_by_hand_with_lr_decay_and_weight_decay() -> None:
    w = Value(1.0)
    opt = Adagrad([w], lr=1.0, lr_decay=1.0, weight_decay=1.0, initial_accumulator_value=1.0,
                  eps=0.0)
    w.grad = 2.0
    opt.step()  # g = 3, s = 1 + 9 = 10, w = 1 - 3 / sqrt(10)
    first = 1.0 - 3.0 / math.sqrt(10.0)
    assert w.data == pytest.approx(first, rel=1e-15)
    w.grad = 0.0
    opt.step()  # g = w, lr = 1 / 2, s = 10 + w^2
    assert w.data == pytest.approx(first - 0.5 * first / math.sqrt(10.0 + first**2), rel=1e-14)


@pytest.mark.parametrize("make", [
    lambda p: AdamW(p, lr=0.1), lambda p: RMSprop(p, momentum=0.9, centered=True),
    lambda p: Adagrad(p, lr=0.1),
], ids=["AdamW", "RMSprop", "Adagrad"])
def test_new_optimizers_refuse_bad_gradients_without_moving(make) -> None:
    a, b = Value(1.0), Value(2.0)
    opt = make([a, b])
    a.grad, b.grad = 1.0, math.nan
    with pytest.raises(ValueError, match=rf"{type(opt).__name__}.step: parameter 1 has gradient nan"):
        opt.step()
    (a * a * b).backward(create_graph=True)
    with pytest.raises(TypeError, match=r"has a Value as \.grad"):
        opt.step()
    assert (a.data, b.data) == (1.0, 2.0)
    a.grad, b.grad = 1.0, -1.0
    opt.step()
    assert a.data < 1.0 < 2.0 < b.data


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda p: AdamW(p, betas=(1.0, 0.9)), "AdamW: beta1 must be"),
    (lambda p: AdamW(p, weight_decay=-1.0), "AdamW: weight_decay must be"),
    (lambda p: RMSprop(p, alpha=-0.5), "RMSprop: alpha must be"),
    (lambda p: RMSprop(p, momentum=math.inf), "RMSprop: momentum must be"),
    (lambda p: Adagrad(p, lr_decay=-0.1), "Adagrad: lr_decay must be"),
    (lambda p: Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value must be"),
])
def test_new_optimizers_reject_bad_hyperparameters(make, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        make([Value(1.0)])
