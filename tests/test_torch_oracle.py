"""PyTorch as the oracle for the learning toolkit, in float64 on the same weights and data.

Recurrent cells over 20 steps, truncated BPTT, every optimizer and schedule over 50 steps,
the losses at random points, and to_torch / from_torch: each must agree with PyTorch to
1e-12 relative. Skipped cleanly when torch is not installed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from autograd_mini import Value, losses, nn, optim, schedules
from autograd_mini.interop import from_torch, to_torch

torch = pytest.importorskip("torch")

REL = 1e-12


def close(mine: float, theirs: float, scale: float = 1.0) -> bool:
    """Equal to 1e-12 relative; ``scale`` sets the floor for numbers that should be ~0."""
    return math.isclose(mine, theirs, rel_tol=REL, abs_tol=REL * 1e-3 * scale)


def assert_all_close(mine: list[float], theirs: list[float], what: str) -> None:
    assert len(mine) == len(theirs), what
    scale = max([abs(t) for t in theirs] + [1e-300])
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(mine, theirs)) if not close(a, b, scale)]
    assert not bad, f"{what}: {len(bad)} of {len(mine)} differ, first {bad[:3]}"


def tensor(values: Any, grad: bool = False) -> Any:
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


def torch_grads(module: Any) -> list[float]:
    """The gradients of a torch module in autograd_mini's parameter order (via from_torch's layout)."""
    return [g for p in module.parameters() for g in p.grad.reshape(-1).tolist()]


# ------------------------------------------------------------------------ cells

STEPS = 20


def _sequence(nin: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-1.5, 1.5) for _ in range(nin)] for _ in range(STEPS)]


def _mini_grads_in_torch_order(cell: nn.Module) -> list[float]:
    """autograd_mini's .grad laid out as PyTorch's parameters (weight_ih, weight_hh, bias_ih, bias_hh)."""
    if isinstance(cell, nn.RNNCell):
        w_ih = [w.grad for n in cell.neurons for w in n.w[:cell.nin]]
        w_hh = [w.grad for n in cell.neurons for w in n.w[cell.nin:]]
        b = [n.b.grad for n in cell.neurons]
        return w_ih + w_hh + b + b  # the one bias stands for bias_ih + bias_hh
    assert isinstance(cell, (nn.LSTMCell, nn.GRUCell))
    return ([w.grad for n in cell.ih.neurons for w in n.w] + [w.grad for n in cell.hh.neurons for w in n.w]
            + [n.b.grad for n in cell.ih.neurons] + [n.b.grad for n in cell.hh.neurons])


def _run_torch_cell(module: Any, xs: list[list[float]], lstm: bool) -> tuple[list[list[float]], Any]:
    hidden = module.hidden_size
    h = tensor([0.0] * hidden)
    c = tensor([0.0] * hidden)
    outputs = []
    loss = tensor(0.0)
    for t, x in enumerate(xs, start=1):
        if lstm:
            h, c = module(tensor(x), (h, c))
        else:
            h = module(tensor(x), h)
        outputs.append(h.tolist())
        loss = loss + math.sin(t) * (h * h).sum() + 0.1 * h.sum()
    return outputs, loss


def _run_mini_cell(cell: nn.RecurrentCell, xs: list[list[float]]) -> tuple[list[list[float]], Value]:
    states = cell.unroll(xs)
    outputs = [[v.data for v in cell.output(s)] for s in states[1:]]
    loss = Value(0.0)
    for t, state in enumerate(states[1:], start=1):
        h = cell.output(state)
        loss = loss + math.sin(t) * sum(v * v for v in h) + 0.1 * sum(h)
    return outputs, loss


@pytest.mark.parametrize(("make", "nin", "nhidden"), [
    (lambda: nn.RNNCell(3, 4, seed=0), 3, 4),
    (lambda: nn.RNNCell(2, 3, activation="relu", init="he", seed=1), 2, 3),
    (lambda: nn.LSTMCell(3, 4, seed=2), 3, 4),
    (lambda: nn.GRUCell(3, 4, seed=3), 3, 4),
    (lambda: nn.GRUCell(1, 6, seed=4), 1, 6),
], ids=["rnn-tanh", "rnn-relu", "lstm", "gru", "gru-wide"])
def test_cells_over_20_steps_agree_with_torch(make: Callable[[], Any], nin: int, nhidden: int) -> None:
    cell = make()
    # Non-zero biases, so the gate biases are compared too.
    rng = random.Random(9)
    for p in cell.parameters():
        if p.data == 0.0:
            p.data = rng.uniform(-0.3, 0.3)
    module = to_torch(cell)
    xs = _sequence(nin, seed=nin * 10 + nhidden)
    lstm = isinstance(cell, nn.LSTMCell)
    theirs, torch_loss = _run_torch_cell(module, xs, lstm)
    mine, loss = _run_mini_cell(cell, xs)
    assert_all_close([v for h in mine for v in h], [v for h in theirs for v in h], "hidden states")
    assert close(loss.data, torch_loss.item(), abs(torch_loss.item()))
    torch_loss.backward()
    loss.backward()
    theirs_grads = [g for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                    for g in getattr(module, name).grad.reshape(-1).tolist()]
    assert_all_close(_mini_grads_in_torch_order(cell), theirs_grads, "parameter gradients")
    assert max(abs(g) for g in theirs_grads) > 1e-3  # a real comparison, not of zeros


def test_inputs_gradients_through_an_lstm_agree_with_torch() -> None:
    cell = nn.LSTMCell(2, 3, seed=5)
    module = to_torch(cell)
    xs = _sequence(2, seed=1)
    mine_inputs = [[Value(v) for v in x] for x in xs]
    _, loss = _run_mini_cell(cell, mine_inputs)
    loss.backward()
    torch_inputs = [tensor(x, grad=True) for x in xs]
    h = c = tensor([0.0] * 3)
    total = tensor(0.0)
    for t, x in enumerate(torch_inputs, start=1):
        h, c = module(x, (h, c))
        total = total + math.sin(t) * (h * h).sum() + 0.1 * h.sum()
    total.backward()
    assert_all_close([v.grad for x in mine_inputs for v in x],
                     [g for x in torch_inputs for g in x.grad.tolist()], "input gradients")


# ------------------------------------------------------------------ truncated BPTT


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("k", [1, 4, 7])
def test_truncated_bptt_gradients_equal_torchs_truncated_bptt(kind: str, k: int) -> None:
    cell = {"rnn": nn.RNNCell(2, 3, seed=1), "lstm": nn.LSTMCell(2, 3, seed=1),
            "gru": nn.GRUCell(2, 3, seed=1)}[kind]
    module = to_torch(cell)
    xs = _sequence(2, seed=k)
    targets = [math.cos(t) for t in range(len(xs) + 1)]
    chunk_losses, state = nn.truncated_bptt(
        cell, xs, lambda t, h: (h[0] - targets[t]) ** 2 + 0.5 * h[-1] * h[-1], k=k)

    # PyTorch's usual loop: detach the state at every cut, backward per chunk.
    h = c = tensor([0.0] * 3)
    torch_losses = []
    for start in range(0, len(xs), k):
        h, c = h.detach(), c.detach()
        loss = tensor(0.0)
        for t in range(start + 1, min(start + k, len(xs)) + 1):
            if kind == "lstm":
                h, c = module(tensor(xs[t - 1]), (h, c))
            else:
                h = module(tensor(xs[t - 1]), h)
            loss = loss + (h[0] - targets[t]) ** 2 + 0.5 * h[-1] * h[-1]
        loss.backward()
        torch_losses.append(loss.item())
    assert_all_close(chunk_losses, torch_losses, "chunk losses")
    theirs_grads = [g for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                    for g in getattr(module, name).grad.reshape(-1).tolist()]
    assert_all_close(_mini_grads_in_torch_order(cell), theirs_grads, "gradients")
    assert_all_close([v.data for v in cell.output(state)], h.tolist(), "final state")


def test_truncated_bptt_differs_from_full_bptt() -> None:
    # The cut is real: gradients with k < T are not those of the whole sequence.
    def grads(k: int) -> list[float]:
        cell = nn.RNNCell(1, 2, seed=0)
        nn.truncated_bptt(cell, [[1.0]] * 8, lambda t, h: h[0] * (1.0 if t == 8 else 0.0), k=k)
        return [p.grad for p in cell.parameters()]

    assert grads(8) != grads(2)


# ------------------------------------------------------------------- optimizers

OPTIMIZERS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.3}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.95, "momentum": 0.5, "centered": True,
                 "weight_decay": 0.05, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.5, "eps": 1e-6}),
]


def _loss_mini(w: list[Value]) -> Value:
    a, b, c = w
    return (a - 1.5) ** 2 + (b * c - 0.5) ** 2 + (3.0 * a).sin() * 0.3 + c * c * c * c * 0.1


def _loss_torch(w: Any) -> Any:
    a, b, c = w[0], w[1], w[2]
    return (a - 1.5) ** 2 + (b * c - 0.5) ** 2 + torch.sin(3.0 * a) * 0.3 + c * c * c * c * 0.1


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_every_optimizer_follows_torch_for_50_steps(name: str, kwargs: dict[str, Any]) -> None:
    start = [0.3, -0.8, 1.1]
    mine = [Value(v) for v in start]
    mine_opt = getattr(optim, name)(mine, **kwargs)
    theirs = tensor(start, grad=True)
    theirs_opt = getattr(torch.optim, name)([theirs], **kwargs)
    for step in range(50):
        mine_opt.zero_grad()
        _loss_mini(mine).backward()
        mine_opt.step()
        theirs_opt.zero_grad()
        _loss_torch(theirs).backward()
        theirs_opt.step()
        assert_all_close([v.data for v in mine], theirs.tolist(), f"{name} step {step + 1}")
    assert [v.data for v in mine] != start


def test_optimizer_defaults_are_torchs() -> None:
    w = [Value(0.0)]
    pairs = [(optim.Adam(w), torch.optim.Adam), (optim.AdamW(w), torch.optim.AdamW),
             (optim.RMSprop(w), torch.optim.RMSprop), (optim.Adagrad(w), torch.optim.Adagrad)]
    for ours, theirs_class in pairs:
        defaults = theirs_class([tensor([0.0], grad=True)]).defaults
        for key, value in defaults.items():
            if hasattr(ours, key):
                mine = getattr(ours, key)
                assert (tuple(mine) if isinstance(mine, (list, tuple)) else mine) == (
                    tuple(value) if isinstance(value, (list, tuple)) else value), (ours, key)
        assert ours.lr == defaults["lr"]


# -------------------------------------------------------------------- schedules


def _schedule_pairs(mine_opt: optim.Optimizer, theirs_opt: Any, case: str) -> tuple[Any, Any]:
    S, T = schedules, torch.optim.lr_scheduler  # noqa: N806 - the two libraries side by side
    if case == "step":
        return S.StepLR(mine_opt, 7, gamma=0.5), T.StepLR(theirs_opt, 7, gamma=0.5)
    if case == "exponential":
        return S.ExponentialLR(mine_opt, 0.93), T.ExponentialLR(theirs_opt, 0.93)
    if case == "cosine":
        return (S.CosineAnnealingLR(mine_opt, T_max=12, eta_min=0.001),
                T.CosineAnnealingLR(theirs_opt, T_max=12, eta_min=0.001))
    if case == "cosine-to-zero":
        return S.CosineAnnealingLR(mine_opt, T_max=50), T.CosineAnnealingLR(theirs_opt, T_max=50)
    if case == "linear":
        return S.LinearLR(mine_opt), T.LinearLR(theirs_opt)
    if case == "linear-decay":
        return (S.LinearLR(mine_opt, 1.0, 0.1, total_iters=30),
                T.LinearLR(theirs_opt, 1.0, 0.1, total_iters=30))
    assert case == "warmup-then-cosine-then-step"
    mine = S.SequentialLR(mine_opt, [S.LinearLR(mine_opt, 0.1, total_iters=5),
                                     S.CosineAnnealingLR(mine_opt, T_max=20, eta_min=0.01),
                                     S.StepLR(mine_opt, 4, gamma=0.7)], milestones=[5, 30])
    theirs = T.SequentialLR(theirs_opt, [T.LinearLR(theirs_opt, 0.1, total_iters=5),
                                         T.CosineAnnealingLR(theirs_opt, T_max=20, eta_min=0.01),
                                         T.StepLR(theirs_opt, 4, gamma=0.7)], milestones=[5, 30])
    return mine, theirs


@pytest.mark.parametrize("case", ["step", "exponential", "cosine", "cosine-to-zero", "linear",
                                  "linear-decay", "warmup-then-cosine-then-step"])
def test_every_schedule_gives_torchs_learning_rates_for_50_epochs(case: str) -> None:
    mine_opt = optim.SGD([Value(1.0)], lr=0.2)
    theirs_opt = torch.optim.SGD([tensor([1.0], grad=True)], lr=0.2)
    mine, theirs = _schedule_pairs(mine_opt, theirs_opt, case)
    mine_lrs, theirs_lrs = [], []
    for _ in range(50):
        mine_lrs.append(mine_opt.lr)
        theirs_lrs.append(theirs_opt.param_groups[0]["lr"])
        theirs_opt.step()  # PyTorch warns when a schedule steps before its optimizer
        mine.step()
        theirs.step()
    assert_all_close(mine_lrs, theirs_lrs, case)
    assert_all_close(mine_lrs, [mine.lr_at(e) for e in range(50)], f"{case} closed form")
    assert len(set(mine_lrs)) > 2


# ------------------------------------------------------------------------ losses

RNG = random.Random(2024)
POINTS = [(RNG.uniform(-3, 3), RNG.uniform(-3, 3)) for _ in range(12)] + [(0.5, 0.5), (2.0, 1.0)]
F = torch.nn.functional


def _assert_agrees(mine_loss: Callable[[list[Value]], Value],
                   theirs_loss: Callable[[Any], Any], xs: list[float]) -> None:
    leaves = [Value(x) for x in xs]
    loss = mine_loss(leaves)
    loss.backward()
    t = tensor(xs, grad=True)
    theirs = theirs_loss(t)
    theirs.backward()
    assert_all_close([loss.data], [theirs.item()], "value")
    assert_all_close([v.grad for v in leaves], t.grad.tolist(), "gradient")


@pytest.mark.parametrize(("p", "y"), POINTS)
def test_regression_losses_agree_with_torch(p: float, y: float) -> None:
    _assert_agrees(lambda v: losses.mse(v[0], y), lambda t: F.mse_loss(t[0], tensor(y)), [p])
    _assert_agrees(lambda v: losses.l1(v[0], y), lambda t: F.l1_loss(t[0], tensor(y)), [p])
    for delta in (0.3, 1.0, 2.5):
        _assert_agrees(lambda v, d=delta: losses.huber(v[0], y, delta=d),
                 lambda t, d=delta: F.huber_loss(t[0], tensor(y), delta=d), [p])
    # lists: the mean over the entries
    _assert_agrees(lambda v: losses.huber(v, [y, -y], delta=0.7),
             lambda t: F.huber_loss(t, tensor([y, -y]), delta=0.7), [p, y * 0.5])
    _assert_agrees(lambda v: losses.l1(v, [y, 0.0]), lambda t: F.l1_loss(t, tensor([y, 0.0])), [p, y])


@pytest.mark.parametrize("seed", range(10))
def test_classification_losses_agree_with_torch(seed: int) -> None:
    rng = random.Random(seed)
    classes = rng.randint(2, 6)
    logits = [rng.uniform(-4, 4) for _ in range(classes)]
    target = rng.randrange(classes)
    for smoothing in (0.0, 0.1, 0.35, 1.0):
        _assert_agrees(lambda v, s=smoothing: losses.cross_entropy(v, target, label_smoothing=s),
                 lambda t, s=smoothing: F.cross_entropy(t[None], torch.tensor([target]),
                                                        label_smoothing=s), logits)
    log_probabilities = F.log_softmax(tensor(logits), dim=0).tolist()
    _assert_agrees(lambda v: losses.nll(v, target),
             lambda t: F.nll_loss(t[None], torch.tensor([target])), log_probabilities)
    z = rng.uniform(-5, 5)
    label = rng.choice([0.0, 1.0, rng.random()])
    _assert_agrees(lambda v: losses.binary_cross_entropy(v[0], label),
             lambda t: F.binary_cross_entropy_with_logits(t[0], tensor(label)), [z])


def test_cross_entropy_with_smoothing_at_extreme_logits_agrees_with_torch() -> None:
    _assert_agrees(lambda v: losses.cross_entropy(v, 1, label_smoothing=0.2),
             lambda t: F.cross_entropy(t[None], torch.tensor([1]), label_smoothing=0.2),
             [1000.0, -1000.0, 0.0])


# ------------------------------------------------------------------------ interop


def _mlp_outputs(model: nn.MLP, x: list[float]) -> list[float]:
    out = model(x)
    return [o.data for o in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize("model", [
    nn.MLP(3, [5, 4, 2], activation="tanh", init="xavier", seed=0),
    nn.MLP(2, [6, 1], seed=1),
    nn.MLP(2, [3, 3, 1], activation="sigmoid", seed=2),
    nn.MLP(2, [3, 2], activation="linear", seed=3),
], ids=["tanh", "relu", "sigmoid", "linear"])
def test_mlp_to_torch_gives_the_same_outputs_and_gradients(model: nn.MLP) -> None:
    net = to_torch(model)
    for name, p in net.named_parameters():
        assert p.dtype == torch.float64, name
    rng = random.Random(0)
    for _ in range(5):
        x = [rng.uniform(-2, 2) for _ in range(len(model.layers[0].neurons[0].w))]
        out = net(tensor(x))
        assert_all_close(_mlp_outputs(model, x), out.tolist(), "outputs")
    model.zero_grad()
    loss = sum(o * o for o in (model(x) if isinstance(model(x), list) else [model(x)]))
    loss.backward()
    (net(tensor(x)) ** 2).sum().backward()
    assert_all_close([p.grad for p in model.parameters()], _interleaved_linear_grads(net),
                     "gradients")


def _interleaved_linear_grads(net: Any) -> list[float]:
    """PyTorch's Linear gradients in autograd_mini's order: per neuron, its weights then its bias."""
    grads = []
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            for row, bias in zip(layer.weight.grad.tolist(), layer.bias.grad.tolist()):
                grads += row + [bias]
    return grads


@pytest.mark.parametrize("make", [
    lambda: torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                                torch.nn.Tanh(), torch.nn.Linear(8, 2)),
    lambda: torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(4, 1)),
    lambda: torch.nn.Linear(3, 2),
    lambda: torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid()),
    lambda: torch.nn.RNNCell(2, 3),
    lambda: torch.nn.RNNCell(2, 3, nonlinearity="relu"),
    lambda: torch.nn.LSTMCell(2, 3),
    lambda: torch.nn.GRUCell(2, 3),
], ids=["tanh-mlp", "dropout-mlp", "linear", "layer", "rnn", "rnn-relu", "lstm", "gru"])
def test_from_torch_then_to_torch_computes_the_same(make: Callable[[], Any]) -> None:
    torch.manual_seed(0)
    original = make().double().eval()
    model = from_torch(original)
    assert model.training is False
    back = to_torch(model)
    assert back.training is False
    rng = random.Random(1)
    nin = next(original.parameters()).shape[1]
    xs = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(4)]
    if isinstance(original, (torch.nn.RNNCell, torch.nn.LSTMCell, torch.nn.GRUCell)):
        states = model.unroll(xs)
        lstm = isinstance(original, torch.nn.LSTMCell)
        for module in (original, back):
            outputs, _ = _run_torch_cell(module, xs, lstm)
            assert_all_close([v.data for s in states[1:] for v in model.output(s)],
                             [v for h in outputs for v in h], type(module).__name__)
    else:
        for x in xs:
            mine = model(x)
            mine_values = [v.data for v in (mine if isinstance(mine, list) else [mine])]
            assert_all_close(mine_values, original(tensor(x)).tolist(), "from_torch")
            assert_all_close(mine_values, back(tensor(x)).tolist(), "to_torch")


def test_from_torch_carries_dropout_and_modes() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.25),
                              torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Dropout(0.25),
                              torch.nn.Linear(4, 1))
    model = from_torch(net)
    assert isinstance(model, nn.MLP) and model.dropout is not None and model.dropout.p == 0.25
    assert model.training and nn.stochastic_modules(model)
    assert [type(m).__name__ for m in to_torch(model)] == [type(m).__name__ for m in net]


@pytest.mark.parametrize(("module", "fragment"), [
    (lambda: torch.nn.Conv2d(1, 4, 3), "Conv2d"),
    (lambda: torch.nn.Linear(2, 3, bias=False), "no bias"),
    (lambda: torch.nn.LSTMCell(2, 3, bias=False), "no bias"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Softplus(), torch.nn.Linear(3, 1)),
     "Softplus"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2), torch.nn.Linear(3, 1)),
     "LeakyReLU"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2),
                                 torch.nn.Tanh(), torch.nn.Linear(2, 1), torch.nn.ReLU()),
     "ends with a plain Linear"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2),
                                 torch.nn.Tanh(), torch.nn.Linear(2, 1)),
     "differ in activation"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)), "sizes do not match"),
    (lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(4, 1)), "starts with ReLU"),
    (lambda: torch.nn.LSTM(2, 3), "LSTM"),
])
def test_from_torch_refuses_what_has_no_equivalent_by_name(module: Callable[[], Any], fragment: str) -> None:
    with pytest.raises(TypeError, match=fragment) as caught:
        from_torch(module())
    assert "no autograd_mini equivalent" in str(caught.value)


def test_to_torch_refuses_what_has_no_equivalent_by_name() -> None:
    with pytest.raises(TypeError, match=r"RNNCell\(nin=1, nhidden=2, activation='sigmoid'\).*tanh"):
        to_torch(nn.RNNCell(1, 2, activation="sigmoid", seed=0))

    class Custom(nn.Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

    with pytest.raises(TypeError, match="to_torch: Custom has no PyTorch equivalent"):
        to_torch(Custom())
    with pytest.raises(TypeError, match=r"expected a torch\.nn\.Module, got MLP"):
        from_torch(nn.MLP(1, [1], seed=0))


def test_a_model_trained_here_continues_in_torch_identically() -> None:
    from autograd_mini import datasets
    from autograd_mini.training import fit

    X, y = datasets.moons(40, noise=0.1, seed=0)  # noqa: N806 - as fit names them
    model = nn.MLP(2, [8, 1], activation="tanh", init="xavier", seed=0)
    fit(model, X, y, losses.binary_cross_entropy, optim.Adam(model.parameters(), lr=0.05),
        epochs=5, progress=False)
    net = to_torch(model)
    copy = from_torch(net)
    mine_opt = optim.SGD(copy.parameters(), lr=0.1)
    theirs_opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(10):  # ten more full-batch steps on each side
        mine_opt.zero_grad()
        batch = sum(losses.binary_cross_entropy(copy(x), t) for x, t in zip(X, y)) * (1 / len(X))
        batch.backward()
        mine_opt.step()
        theirs_opt.zero_grad()
        logits = net(tensor(X))[:, 0]
        F.binary_cross_entropy_with_logits(logits, tensor([float(t) for t in y])).backward()
        theirs_opt.step()
    assert_all_close([p.data for p in copy.parameters()],
                     [p.data for p in from_torch(net).parameters()], "weights after 10 steps")
