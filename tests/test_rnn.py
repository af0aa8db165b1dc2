"""RNNCell: the step formula, backpropagation through time (learning a memory task, gradients
against finite differences), and per-time-step gradient norms (vanishing and exploding)."""

from __future__ import annotations

import itertools
import math

import pytest

from autograd_mini import Value, losses, optim
from autograd_mini.check import gradcheck
from autograd_mini.nn import Module, Neuron, RNNCell, gradient_norms_through_time
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
