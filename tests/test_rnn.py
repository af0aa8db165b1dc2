"""RNNCell: the step formula, backpropagation through time (learning a memory task, gradients
against finite differences), and per-time-step gradient norms (vanishing and exploding)."""

from __future__ import annotations

import itertools
import math

import pytest

from autograd_mini import Value, losses, optim
from autograd_mini.check import gradcheck
from autograd_mini.nn import (
    GRUCell,
    LSTMCell,
    Module,
    Neuron,
    RNNCell,
    gradient_norms_through_time,
    truncated_bptt,
)
from autograd_mini.training import evaluate, fit


class FirstElementClassifier(Module):
    """Reads a sequence with an RNNCell, then a linear neuron on the last hidden state."""

    def __init__(self, nhidden: int, seed: int) -> None:
        self.cell = RNNCell(1, nhidden, seed=seed)
        self.head = Neuron(nhidden, nonlin=False, seed=seed + 1)

    def __call__(self, sequence):
        states = self.cell.unroll(sequence)
        return self.head(states[-1])

    def parameters(self) -> list[Value]:
        return self.cell.parameters() + self.head.parameters()

    def neurons(self) -> list[Neuron]:
        return self.cell.neurons + [self.head]


# All 16 sequences of four values in {-1, 1}; the label is 1 when the FIRST value is 1, so
# the answer must be carried through three later steps: the gradient must flow back in time.
SEQUENCES = [[[v] for v in values] for values in itertools.product([-1.0, 1.0], repeat=4)]
LABELS = [1 if s[0][0] > 0 else 0 for s in SEQUENCES]


def test_cell_computes_act_of_wx_plus_wh_plus_b() -> None:
    cell = RNNCell(2, 2, seed=0)
    x, h = [0.5, -1.0], [0.25, 0.75]
    out = cell(x, h)
    for j, neuron in enumerate(cell.neurons):
        w = [p.data for p in neuron.w]
        pre = neuron.b.data + w[0] * x[0] + w[1] * x[1] + w[2] * h[0] + w[3] * h[1]
        assert out[j].data == pytest.approx(math.tanh(pre), rel=1e-14)
    assert cell(x)[0].data == cell(x, [0.0, 0.0])[0].data  # h defaults to zeros
    assert len(cell.parameters()) == 2 * (2 + 2 + 1)


def test_unroll_chains_the_states() -> None:
    cell = RNNCell(1, 3, activation="relu", seed=2)
    xs = [[1.0], [-0.5], [2.0]]
    states = cell.unroll(xs, h0=[0.1, 0.2, 0.3])
    assert len(states) == 4 and states[0] == [0.1, 0.2, 0.3]
    h = [0.1, 0.2, 0.3]
    for t, x in enumerate(xs, start=1):
        h = [v.data for v in cell(x, h)]
        assert [v.data for v in states[t]] == h


def test_bad_shapes_raise() -> None:
    cell = RNNCell(2, 3, seed=0)
    with pytest.raises(ValueError, match="input has 1 entries, the cell expects 2"):
        cell([1.0])
    with pytest.raises(ValueError, match="hidden state has 2 entries, the cell has 3"):
        cell([1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="nhidden must be a positive int"):
        RNNCell(2, 0)


def test_bptt_learns_to_remember_the_first_element() -> None:
    model = FirstElementClassifier(nhidden=3, seed=0)
    loss_before, accuracy_before = evaluate(model, SEQUENCES, LABELS, losses.binary_cross_entropy)
    assert accuracy_before is not None and accuracy_before < 0.9
    history = fit(model, SEQUENCES, LABELS, losses.binary_cross_entropy,
                  optim.Adam(model.parameters(), lr=0.05), epochs=60, progress=False)
    loss_after, accuracy_after = evaluate(model, SEQUENCES, LABELS, losses.binary_cross_entropy)
    assert accuracy_after == 1.0
    assert loss_before is not None and loss_after is not None
    assert loss_after < 0.05 < loss_before
    # the input weights of the first step matter: they got gradient through time
    assert history.grad_norm[0] > 0.0


def _loss_with_parameters(model: FirstElementClassifier, values: list[Value]) -> Value:
    """The mean loss over all sequences with ``values`` in place of the model's parameters."""
    originals = [(n, n.w, n.b) for n in model.neurons()]
    position = 0
    try:
        for n in model.neurons():
            n.w = values[position:position + len(n.w)]
            n.b = values[position + len(n.w)]
            position += len(n.w) + 1
        total = sum(losses.binary_cross_entropy(model(s), y) for s, y in zip(SEQUENCES, LABELS))
        return total * (1.0 / len(SEQUENCES))
    finally:
        for n, w, b in originals:
            n.w, n.b = w, b


def test_bptt_gradients_pass_gradcheck_and_match_backward() -> None:
    model = FirstElementClassifier(nhidden=3, seed=1)
    params = model.parameters()
    point = [p.data for p in params]
    assert gradcheck(lambda *values: _loss_with_parameters(model, list(values)), *point)
    # and the .grad that backward() leaves on the real model agrees with central differences
    loss = _loss_with_parameters(model, params)
    loss.backward()
    eps = 1e-6
    for p in params:
        original = p.data
        p.data = original + eps
        up = _loss_with_parameters(model, params).data
        p.data = original - eps
        down = _loss_with_parameters(model, params).data
        p.data = original
        assert p.grad == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-8)


# ------------------------------------------------------ gradient norms through time


@pytest.mark.parametrize(("recurrent", "shape"), [(0.5, "vanishing"), (1.5, "exploding")])
def test_gradient_norms_through_time_shrink_or_grow_by_the_recurrent_weight(
    recurrent: float, shape: str
) -> None:
    # a linear one-unit RNN h_t = w_x x_t + w_h h_{t-1}: d loss/d h_t = w_h^(T-t) d loss/d h_T
    cell = RNNCell(1, 1, activation="linear", seed=0)
    cell.load_state_dict({"neurons.0.w.0": 1.0, "neurons.0.w.1": recurrent, "neurons.0.b": 0.0})
    states = cell.unroll([[1.0]] * 10)
    loss = states[-1][0] * 1.0
    norms = gradient_norms_through_time(loss, states)
    assert len(norms) == 11 and norms[0] == 0.0  # h_0 is a constant
    assert norms[-1] == 1.0
    for t in range(1, 10):
        assert norms[t] == pytest.approx(recurrent * norms[t + 1], rel=1e-12)
    if shape == "vanishing":
        assert norms[1] < 0.01 * norms[-1]
    else:
        assert norms[1] > 10.0 * norms[-1]
    assert all(p.grad == 0.0 for p in cell.parameters())  # computed without touching .grad


def test_gradient_norms_match_backward_grads_on_the_hidden_states() -> None:
    cell = RNNCell(2, 3, seed=3)
    states = cell.unroll([[0.5, -0.5], [1.0, 0.0], [-1.0, 0.25], [0.3, 0.3]])
    loss = sum(h * h for h in states[-1])
    norms = gradient_norms_through_time(loss, states)
    loss.backward()
    for t in range(1, len(states)):
        expected = math.sqrt(sum(h.grad ** 2 for h in states[t]))
        assert norms[t] == pytest.approx(expected, rel=1e-12)
    assert norms[1] < norms[-1]  # tanh: the gradient shrinks going back in time


# ---------------------------------------------------------------- LSTM and GRU cells


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _affine(layer, inputs: list[float]) -> list[float]:
    return [n.b.data + sum(w.data * v for w, v in zip(n.w, inputs)) for n in layer.neurons]


def test_lstm_step_is_pytorchs_equations_in_plain_floats() -> None:
    cell = LSTMCell(2, 3, seed=0)
    for i, p in enumerate(cell.parameters()):
        if p.data == 0.0:
            p.data = 0.05 * (i % 7 - 3)  # non-zero biases
    x, h, c = [0.4, -1.1], [0.2, -0.3, 0.5], [1.0, -0.5, 0.25]
    gates = [a + b for a, b in zip(_affine(cell.ih, x), _affine(cell.hh, h))]
    i, f = [_sig(z) for z in gates[0:3]], [_sig(z) for z in gates[3:6]]
    g, o = [math.tanh(z) for z in gates[6:9]], [_sig(z) for z in gates[9:12]]
    c_next = [fj * cj + ij * gj for fj, cj, ij, gj in zip(f, c, i, g)]
    h_next = [oj * math.tanh(cj) for oj, cj in zip(o, c_next)]
    got_h, got_c = cell(x, (h, c))
    assert [v.data for v in got_c] == pytest.approx(c_next, rel=1e-14)
    assert [v.data for v in got_h] == pytest.approx(h_next, rel=1e-14)
    assert cell.output((got_h, got_c)) == got_h


def test_gru_step_is_pytorchs_equations_in_plain_floats() -> None:
    cell = GRUCell(2, 2, seed=1)
    for i, p in enumerate(cell.parameters()):
        if p.data == 0.0:
            p.data = 0.1 * (i % 5 - 2)
    x, h = [0.7, -0.2], [0.3, -0.6]
    gi, gh = _affine(cell.ih, x), _affine(cell.hh, h)
    r = [_sig(gi[j] + gh[j]) for j in range(2)]
    z = [_sig(gi[2 + j] + gh[2 + j]) for j in range(2)]
    n = [math.tanh(gi[4 + j] + r[j] * gh[4 + j]) for j in range(2)]
    expected = [(1 - z[j]) * n[j] + z[j] * h[j] for j in range(2)]
    assert [v.data for v in cell(x, h)] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("make", [lambda: LSTMCell(1, 2, seed=3), lambda: GRUCell(1, 2, seed=3)],
                         ids=["lstm", "gru"])
def test_gated_cells_bptt_passes_gradcheck(make) -> None:
    cell = make()
    params = cell.parameters()
    xs = [[0.5], [-1.0], [0.8], [0.1]]

    def loss_at(*values):
        originals = [p.data for p in params]
        # evaluate the cell with ``values`` as weights, through fresh leaves
        leaves = list(values)
        try:
            for layer in (cell.ih, cell.hh):
                for neuron in layer.neurons:
                    neuron.w, neuron.b = leaves[:len(neuron.w)], leaves[len(neuron.w)]
                    leaves = leaves[len(neuron.w) + 1:]
            h = cell.output(cell.unroll(xs)[-1])
            return sum(v * v for v in h)
        finally:
            position = 0
            for layer in (cell.ih, cell.hh):
                for neuron in layer.neurons:
                    neuron.w = params[position:position + len(neuron.w)]
                    neuron.b = params[position + len(neuron.w)]
                    position += len(neuron.w) + 1
            assert [p.data for p in params] == originals

    assert gradcheck(loss_at, *[p.data for p in params])


def test_cells_refuse_states_of_the_wrong_shape() -> None:
    lstm, gru = LSTMCell(2, 3, seed=0), GRUCell(2, 3, seed=0)
    with pytest.raises(ValueError, match=r"LSTMCell: the state must be a pair \(h, c\)"):
        lstm([1.0, 2.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="LSTMCell: cell state has 2 entries, the cell has 3"):
        lstm([1.0, 2.0], ([0.0] * 3, [0.0] * 2))
    with pytest.raises(ValueError, match="GRUCell: input has 1 entries, the cell expects 2"):
        gru([1.0])


def test_the_lstm_cell_path_keeps_the_gradient_alive_where_a_tanh_rnn_loses_it() -> None:
    # The lesson of notebook 05: over 50 steps a tanh RNN's gradient fades by orders of
    # magnitude, while an LSTM whose forget gate is open carries it back along c.
    xs = [[0.5 * math.sin(t)] for t in range(50)]
    rnn = RNNCell(1, 4, seed=0)
    rnn_states = rnn.unroll(xs)
    rnn_norms = gradient_norms_through_time(sum(rnn_states[-1]), rnn_states)
    lstm = LSTMCell(1, 4, seed=0)
    for neuron in lstm.ih.neurons[4:8]:
        neuron.b.data = 5.0  # forget-gate bias: f = sigmoid(5) ~ 0.993
    lstm_states = lstm.unroll(xs)
    cell_path = [c for _, c in lstm_states]
    lstm_norms = gradient_norms_through_time(sum(lstm_states[-1][1]), cell_path)
    assert rnn_norms[1] < 1e-6 * rnn_norms[-1]
    assert lstm_norms[1] > 0.3 * lstm_norms[-1]


# ------------------------------------------------------------------ truncated BPTT


def test_truncated_bptt_equals_an_explicit_detach_loop() -> None:
    xs = [[math.cos(t)] for t in range(9)]

    def step_loss(t, h):
        return (h[0] - 0.5) ** 2 if t % 2 else None  # a loss on odd steps only

    cell = LSTMCell(1, 2, seed=4)
    chunk_losses, state = truncated_bptt(cell, xs, step_loss, k=4)
    helper_grads = [p.grad for p in cell.parameters()]
    cell.zero_grad()
    expected_losses = []
    carried = cell.initial_state()
    for start in (0, 4, 8):
        carried = ([v.detach() if isinstance(v, Value) else v for v in carried[0]],
                   [v.detach() if isinstance(v, Value) else v for v in carried[1]])
        states = cell.unroll(xs[start:start + 4], carried)
        terms = [step_loss(start + t, s[0]) for t, s in enumerate(states[1:], start=1)]
        loss = sum(term for term in terms if term is not None)
        loss.backward()
        expected_losses.append(loss.data)
        carried = states[-1]
    assert chunk_losses == expected_losses
    assert [p.grad for p in cell.parameters()] == helper_grads
    assert [v.data for v in state[0]] == [v.data for v in carried[0]]


def test_truncated_bptt_with_an_optimizer_steps_once_per_chunk() -> None:
    cell = RNNCell(1, 2, seed=0)
    opt = optim.SGD(cell.parameters(), lr=0.1)
    before = cell.state_dict()
    steps = []
    original_step = opt.step
    opt.step = lambda: (steps.append(1), original_step())  # type: ignore[method-assign]
    losses_, _ = truncated_bptt(cell, [[1.0]] * 10, lambda t, h: h[0] ** 2, k=3, optimizer=opt)
    assert len(steps) == len(losses_) == 4
    assert cell.state_dict() != before


def test_truncated_bptt_memory_stays_flat_as_the_sequence_grows() -> None:
    import gc
    import tracemalloc

    def peak(length: int, k: int | None) -> int:
        cell = GRUCell(1, 4, seed=0)
        xs = [[math.sin(t)] for t in range(length)]
        gc.collect()
        tracemalloc.start()
        if k is None:
            states = cell.unroll(xs)
            sum(v * v for s in states[1:] for v in s).backward()
            del states
        else:
            truncated_bptt(cell, xs, lambda t, h: sum(v * v for v in h), k=k)
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    full_short, full_long = peak(40, None), peak(160, None)
    truncated_short, truncated_long = peak(40, 10), peak(160, 10)
    assert full_long > 3 * full_short  # full BPTT keeps the whole unrolled graph
    assert truncated_long < 1.5 * truncated_short  # truncated keeps one chunk's
    assert truncated_long < full_long / 3


def test_truncated_bptt_rejects_a_bad_k() -> None:
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="truncated_bptt: k must be a positive int"):
            truncated_bptt(RNNCell(1, 1, seed=0), [[1.0]], lambda t, h: h[0], k=k)
