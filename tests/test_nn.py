"""nn: micrograd compatibility, activations, inits, seeds, named parameters, state dicts."""

from __future__ import annotations

import math
import random
import re

import pytest

from autograd_mini import Value, nn
from autograd_mini.nn import (
    ARCHITECTURES,
    MLP,
    Dropout,
    GRUCell,
    Layer,
    LSTMCell,
    Module,
    Neuron,
    RNNCell,
    StateDictError,
    gradient_norms_through_time,
    layer_gradient_norms,
    stochastic_modules,
)

# ------------------------------------------------------------ micrograd compatibility


def _micrograd_weights(seed: int, nin: int, nouts: list[int]) -> list[float]:
    """micrograd's draw order written out: per layer, per neuron, nin uniforms, bias 0."""
    rng = random.Random(seed)
    sizes = [nin] + nouts
    weights = []
    for i in range(len(nouts)):
        for _ in range(sizes[i + 1]):
            weights += [rng.uniform(-1, 1) for _ in range(sizes[i])] + [0.0]
    return weights


def test_default_mlp_draws_from_global_random_in_micrograd_order() -> None:
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    assert [p.data for p in model.parameters()] == _micrograd_weights(1337, 2, [16, 16, 1])
    # and it consumed the global generator exactly as micrograd does
    random.seed(1337)
    for _ in range(2 * 16 + 16 * 16 + 16):
        random.uniform(-1, 1)
    expected_next = random.random()
    random.seed(1337)
    MLP(2, [16, 16, 1])
    assert random.random() == expected_next


def test_matches_micrograd_itself_when_installed() -> None:
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(7)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    random.seed(7)
    ours = MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    x = [0.5, -1.25, 2.0]
    out_theirs, out_ours = theirs(x), ours(x)
    assert out_ours.data == out_theirs.data
    out_theirs.backward()
    out_ours.backward()
    assert [p.grad for p in ours.parameters()] == [p.grad for p in theirs.parameters()]
    assert str(ours) == str(theirs)


def test_neuron_sums_from_the_bias_and_applies_relu() -> None:
    n = Neuron(2, seed=0)
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    assert n([1.0, 3.0]).data == 0.0  # relu(2 - 3 + 0.5)
    assert n([1.0, 1.0]).data == 1.5
    out = n([1.0, 1.0])
    assert out.op == "relu"
    assert out.parents[0].parents[0].parents[0] is n.b  # ((b + w0*x0) + w1*x1)
    assert Neuron(2, nonlin=False, seed=0)([1.0, 1.0]).op == "+"


def test_layer_of_one_returns_a_value_and_hidden_width_one_works() -> None:
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 2, seed=0)([1.0, 2.0]), list)
    model = MLP(2, [16, 1, 1], seed=0)  # fails in micrograd: a Value reaches a Neuron
    out = model([1.0, -2.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.layers[-1].parameters())


def test_an_mlp_calls_its_layers_so_layers_of_ones_own_take_part() -> None:
    # micrograd's MLP calls layer(x); code that puts its own layer in model.layers, or
    # overrides Layer.__call__, relies on it.
    class Scale:
        def __call__(self, x):
            return [2.0 * v for v in x]

        def parameters(self):
            return []

    class Doubled(Layer):
        def __call__(self, x):
            out = super().__call__(x)
            return [2.0 * v for v in out] if isinstance(out, list) else 2.0 * out

    model = MLP(2, [3, 1], seed=0)
    plain = model([0.5, -1.0]).data
    model.layers.insert(1, Scale())
    assert model([0.5, -1.0]).data == pytest.approx(2.0 * plain - model.layers[2].neurons[0].b.data)
    deep = MLP(2, [3, 1], seed=0)
    deep.layers[-1].__class__ = Doubled
    assert deep([0.5, -1.0]).data == 2.0 * plain


def test_what_a_subclass_keeps_for_itself_is_not_a_parameter_as_in_micrograd() -> None:
    # micrograd's Neuron.parameters() is self.w + [self.b]: a subclass that keeps its input
    # and output (makemore's self.out) must not have them trained.
    class Inspect(Neuron):
        def __call__(self, x):
            self.x = x
            self.out = super().__call__(x)
            return self.out

    neuron = Inspect(2, nonlin=False, seed=0)
    xs = [Value(1.0), Value(-2.0)]
    neuron(xs).backward()
    assert [name for name, _ in neuron.named_parameters()] == ["w.0", "w.1", "b"]
    assert len(neuron.parameters()) == 3 and xs[0] not in neuron.parameters()


def test_a_layer_written_for_micrograd_in_model_layers_has_its_parameters_trained() -> None:
    # micrograd's MLP.parameters() asks each layer for its parameters(), Module or not.
    class Gain:
        def __init__(self) -> None:
            self.g = Value(2.0)

        def __call__(self, x):
            return [self.g * v for v in x]

        def parameters(self):
            return [self.g]

    model = MLP(2, [3, 1], seed=0)
    gain = Gain()
    model.layers.insert(1, gain)
    assert gain.g in model.parameters() and len(model.parameters()) == 14
    assert "layers.1.0" in dict(model.named_parameters())


def test_a_neuron_applies_its_activation_as_a_value_method_as_micrograd_does(monkeypatch) -> None:
    # micrograd's Neuron calls act.relu(): code that replaces Value.relu changes it.
    def leaky(self):
        return self * 0.1 if self.data < 0 else self * 1.0

    neuron = Neuron(2, seed=0)
    neuron.b.data = -5.0
    assert neuron([1.0, 1.0]).data == 0.0
    monkeypatch.setattr(Value, "relu", leaky)
    out = neuron([1.0, 1.0])
    assert out.op == "*" and out.data == pytest.approx(0.1 * (sum(w.data for w in neuron.w) - 5.0))


def test_inputs_of_the_wrong_width_sum_as_micrograds_zip_does_with_a_warning() -> None:
    # Code written for micrograd (tests, notebook cells) relies on its zip dropping the
    # extra inputs or weights: the same numbers come back, and a warning says so.
    neuron = Neuron(3, seed=0)
    for x in ([1.0, 2.0], [1.0, 2.0, 3.0, 4.0]):
        with pytest.warns(UserWarning, match=rf"ReLUNeuron\(3\): input has {len(x)} entries, the"
                                             r" neuron has 3 weights; as in micrograd"):
            out = neuron(x)
        assert out.data == max(sum((w.data * v for w, v in zip(neuron.w, x)), neuron.b.data), 0.0)
    with pytest.warns(UserWarning, match=r"ReLUNeuron\(3\): input has 2 entries"):
        MLP(3, [4, 1], seed=0)([2.0, 3.0])
    two = Neuron(2, seed=0)
    assert two(map(Value, [1.0, 2.0])).data == two([1.0, 2.0]).data  # any iterable, as zip


def test_subclasses_of_neuron_layer_and_mlp_print_as_micrograds_do() -> None:
    # Neuron's repr read the architecture record, which a subclass does not claim: it raised.
    class Unit(Neuron):
        pass

    class Wide(Layer):
        pass

    assert repr(Unit(2, seed=0)) == "ReLUNeuron(2)"
    assert repr(Unit(2, nonlin=False, seed=0)) == "LinearNeuron(2)"
    assert repr(Wide(2, 1, seed=0)) == "Layer of [ReLUNeuron(2)]"


def test_zero_grad_resets_every_parameter() -> None:
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# --------------------------------------------------------- activations and inits


@pytest.mark.parametrize(
    ("activation", "function"),
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_activations_apply_to_hidden_layers_and_the_last_is_linear(activation, function) -> None:
    model = MLP(2, [3, 2], activation=activation, seed=3)
    x = [0.7, -0.4]
    hidden = []
    for n in model.layers[0].neurons:
        z = n.b.data + sum(w.data * xi for w, xi in zip(n.w, x))
        hidden.append(function(z))
    expected = [
        n.b.data + sum(w.data * h for w, h in zip(n.w, hidden)) for n in model.layers[1].neurons
    ]
    out = model(x)
    assert [o.data for o in out] == pytest.approx(expected, rel=1e-12)
    assert all(n.activation == "linear" for n in model.layers[-1].neurons)


@pytest.mark.parametrize(
    ("init", "bound"),
    [("micrograd", 1.0), ("xavier", math.sqrt(6.0 / (20 + 30))), ("he", math.sqrt(6.0 / 20))],
)
def test_inits_draw_within_their_bounds_and_fill_them(init: str, bound: float) -> None:
    model = MLP(20, [30, 1], init=init, seed=0)
    weights = [w.data for n in model.layers[0].neurons for w in n.w]
    assert max(abs(w) for w in weights) <= bound
    assert max(abs(w) for w in weights) > 0.95 * bound  # 600 draws reach the edge
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)
    # uniform(-a, a) has standard deviation a / sqrt(3)
    std = math.sqrt(sum(w * w for w in weights) / len(weights))
    assert std == pytest.approx(bound / math.sqrt(3), rel=0.1)


def test_seed_gives_reproducible_models_without_touching_global_random() -> None:
    random.seed(99)
    before = random.getstate()
    a = MLP(2, [4, 1], init="xavier", seed=5)
    assert random.getstate() == before
    b = MLP(2, [4, 1], init="xavier", seed=5)
    c = MLP(2, [4, 1], init="xavier", seed=6)
    assert a.state_dict() == b.state_dict() != c.state_dict()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "mish"}, "unknown activation 'mish'"),
        ({"init": "orthogonal"}, "unknown init 'orthogonal'"),
    ],
)
def test_bad_options_raise_naming_the_choices(kwargs, fragment) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        MLP(2, [3, 1], **kwargs)
    assert "choose one of" in str(info.value)


@pytest.mark.parametrize("nouts", [[], [3, 0], "31", [2.5]])
def test_bad_layer_sizes_raise(nouts) -> None:
    with pytest.raises(ValueError, match="MLP"):
        MLP(2, nouts)


# ----------------------------------------------------- names and state dicts


def test_named_parameters_follow_the_structure_and_parameters_order() -> None:
    model = MLP(2, [3, 1], seed=0)
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()
    names = [name for name, _ in named]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(set(names)) == len(names) == 13


def test_a_micrograd_style_subclass_gets_numbered_names() -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.a, self.b = Value(2.0), Value(3.0)

        def parameters(self) -> list[Value]:
            return [self.a, self.b]

    model = Affine()
    assert model.state_dict() == {"0": 2.0, "1": 3.0}
    model.load_state_dict({"0": -1.0, "1": 4})
    assert (model.a.data, model.b.data) == (-1.0, 4.0)


def test_state_dict_round_trips_exactly_and_is_a_copy() -> None:
    source = MLP(3, [5, 2], activation="tanh", init="he", seed=1)
    target = MLP(3, [5, 2], activation="tanh", init="he", seed=2)
    state = source.state_dict()
    target.load_state_dict(state)
    assert target.state_dict() == state
    x = [0.1, 0.2, 0.3]
    assert [o.data for o in target(x)] == [o.data for o in source(x)]
    state["layers.0.neurons.0.b"] = 123.0
    assert source.layers[0].neurons[0].b.data == 0.0


def _bad_states(good: dict[str, float]) -> list[tuple[object, str]]:
    missing = dict(good)
    del missing["layers.1.neurons.0.b"]
    extra = dict(good, **{"layers.2.neurons.0.b": 0.0})
    text = dict(good, **{"layers.0.neurons.1.w.0": "0.5"})
    boolean = dict(good, **{"layers.0.neurons.1.w.0": True})
    nan = dict(good, **{"layers.0.neurons.1.w.0": math.nan})
    inf = dict(good, **{"layers.1.neurons.0.w.2": -math.inf})
    value = dict(good, **{"layers.1.neurons.0.w.2": Value(1.0)})
    huge = dict(good, **{"layers.0.neurons.2.b": 10**400})  # float() of it overflows
    return [
        (missing, r"missing 1 entry \['layers.1.neurons.0.b'\]"),
        (extra, r"1 unexpected entry \['layers.2.neurons.0.b'\]"),
        (text, "entry 'layers.0.neurons.1.w.0' is str '0.5'"),
        (boolean, "entry 'layers.0.neurons.1.w.0' is bool"),
        (nan, "'layers.0.neurons.1.w.0' is nan; weights must be finite"),
        (inf, "is -inf"),
        (value, "is Value"),
        ([1.0, 2.0], "expected a dict"),
        (huge, r"entry 'layers.0.neurons.2.b' is a number too large for a float \(over"
               r" 1.8e308\); weights must be finite"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_bad_state_dicts_raise_and_leave_the_model_untouched(case: int) -> None:
    model = MLP(2, [3, 1], seed=0)
    good = model.state_dict()
    # every case changes the last-checked entries too, so a partial load would show
    corrupted = {name: value + 1.0 for name, value in good.items()}
    bad, message = _bad_states(corrupted)[case]
    with pytest.raises(StateDictError, match=message):
        model.load_state_dict(bad)  # type: ignore[arg-type]
    assert model.state_dict() == good
    assert issubclass(StateDictError, ValueError)


def test_load_state_dict_leaves_gradients_alone() -> None:
    model = Neuron(2, seed=0)
    model([1.0, 2.0]).backward()
    grads = [p.grad for p in model.parameters()]
    model.load_state_dict({"w.0": 0.0, "w.1": 0.0, "b": 0.0})
    assert [p.grad for p in model.parameters()] == grads


# ----------------------------------------------------- vanishing gradients


def _first_to_last_ratio(activation: str, init: str, seed: int) -> float:
    rng = random.Random(0)
    inputs = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(8)]
    model = MLP(4, [8] * 8 + [1], activation=activation, init=init, seed=seed)
    loss = sum(((model(x) - 1.0) ** 2 for x in inputs), Value(0.0)) * (1.0 / len(inputs))
    loss.backward()
    norms = layer_gradient_norms(model)
    assert len(norms) == 9 and all(g > 0.0 for g in norms)
    return norms[0] / norms[-1]


def test_gradient_norms_are_optims_one_l2_norm(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd_mini import nn, optim

    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    expected = [optim.l2_norm([w.grad for n in layer.neurons for w in n.w])
                for layer in model.layers]
    cell = RNNCell(1, 2, seed=0)
    states = cell.unroll([[1.0], [1.0]])
    loss = states[-1][0] * states[-1][1]
    calls: list[list[float]] = []

    def recording_norm(numbers):
        calls.append(list(numbers))
        return optim.l2_norm(calls[-1])

    monkeypatch.setattr(nn, "l2_norm", recording_norm)
    assert layer_gradient_norms(model) == expected
    assert len(calls) == 2 and calls[0] == [w.grad for n in model.layers[0].neurons for w in n.w]
    norms = gradient_norms_through_time(loss, states)
    assert len(calls) == 2 + 3 and calls[2] == [0.0, 0.0]  # h_0: plain floats
    assert norms[-1] == optim.l2_norm(calls[-1]) > 0.0


def test_deep_sigmoid_mlp_has_vanishing_gradients_and_relu_or_tanh_xavier_do_not() -> None:
    seeds = range(3)
    sigmoid = [_first_to_last_ratio("sigmoid", "micrograd", s) for s in seeds]
    relu_he = [_first_to_last_ratio("relu", "he", s) for s in seeds]
    tanh_xavier = [_first_to_last_ratio("tanh", "xavier", s) for s in seeds]
    # eight sigmoid layers: sigmoid' <= 1/4 per layer, first-layer gradients >= 3 orders smaller
    assert max(sigmoid) < 1e-3
    # relu with He init and tanh with Xavier keep the first layer within ~2 orders of the last
    assert min(relu_he) > 1e-2
    assert min(tanh_xavier) > 1e-2
    assert min(relu_he) > 100 * max(sigmoid)


# ------------------------------------------------ parameters from attributes, modules


def test_parameters_come_from_attributes_in_order_and_tied_values_count_once() -> None:
    class Tied(Module):
        def __init__(self) -> None:
            self.scale = Value(2.0)
            self.layers = [Neuron(1, seed=0), Neuron(1, seed=1)]
            self.again = self.scale  # tied: the same Value under a second name
            self._cache = Value(9.0)  # private state is never a parameter
            self.note = "text"

    model = Tied()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "layers.0.w.0", "layers.0.b", "layers.1.w.0", "layers.1.b"]
    assert model.parameters()[0] is model.scale and len(model.parameters()) == 5
    model.load_state_dict({name: 1.5 for name in names})
    assert model.again.data == 1.5 and model._cache.data == 9.0


def test_a_micrograd_style_module_still_gets_modes_from_its_children() -> None:
    class Classic(Module):  # only parameters(), as in micrograd; no super().__init__()
        def __init__(self) -> None:
            self.body = MLP(2, [3, 1], dropout=0.5, seed=0)

        def parameters(self) -> list[Value]:
            return self.body.parameters()

    model = Classic()
    assert [name for name, _ in model.named_parameters()][:2] == ["0", "1"]
    assert [type(m).__name__ for m in model.modules()][:3] == ["Classic", "MLP", "Layer"]
    model.eval()
    assert all(not m.training for m in model.modules())
    assert stochastic_modules(model) == []
    model.train()
    assert stochastic_modules(model) == [("body.dropout", model.body.dropout)]


def test_named_modules_visits_each_module_once_even_when_shared_or_cyclic() -> None:
    shared = Neuron(1, seed=0)

    class Loop(Module):
        def __init__(self) -> None:
            self.a = shared
            self.b = shared
            self.me = [self]

    names = [name for name, _ in Loop().named_modules()]
    assert names == ["", "a"]


# ------------------------------------------------------------------- dropout


def test_dropout_zeroes_with_probability_p_and_keeps_the_expectation() -> None:
    drop = Dropout(0.3, seed=1)
    outputs = drop([Value(1.0)] * 20_000)
    kept = [v.data for v in outputs if v.data != 0.0]
    assert set(kept) == {1.0 / 0.7}
    assert abs(len(kept) / 20_000 - 0.7) < 0.02
    assert abs(sum(v.data for v in outputs) / 20_000 - 1.0) < 0.03
    x = Value(2.0)
    y = sum(drop([x] * 10))
    y.backward()
    assert x.grad == y.data / 2.0  # the gradient flows through the kept entries only


def test_dropout_is_seeded_repeatable_and_leaves_global_random_alone() -> None:
    random.seed(5)
    state = random.getstate()
    first = [v.data for v in Dropout(0.5, seed=3)([Value(1.0)] * 50)]
    again = [v.data for v in Dropout(0.5, seed=3)([Value(1.0)] * 50)]
    other = [v.data for v in Dropout(0.5, seed=4)([Value(1.0)] * 50)]
    assert first == again != other
    assert random.getstate() == state


def test_dropout_in_eval_mode_or_at_p_zero_is_the_identity_and_p_one_zeroes() -> None:
    x = [Value(1.0), Value(-2.0)]
    assert Dropout(0.9, seed=0).eval()(x) is x
    assert Dropout(0.0)(x) is x
    assert [v.data for v in Dropout(1.0)(x)] == [0.0, -0.0]
    assert not Dropout(0.0).draws_random_numbers and Dropout(0.1).draws_random_numbers
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\], got 1.5"):
        Dropout(1.5)


def test_mlp_dropout_acts_after_hidden_layers_only_in_training() -> None:
    model = MLP(3, [64, 1], activation="tanh", dropout=0.5, seed=0)
    plain = MLP(3, [64, 1], activation="tanh", seed=0)
    x = [0.3, -0.2, 0.9]
    assert model.state_dict() == plain.state_dict()
    training_outputs = {model(x).data for _ in range(5)}
    assert len(training_outputs) == 5  # a new mask every call
    model.eval()
    assert model(x).data == plain(x).data
    assert "dropout" not in plain.architecture()
    assert model.architecture()["dropout"] == 0.5


# ---------------------------------------------- the architecture record and its readers


@pytest.mark.parametrize("model", [
    Neuron(3, activation="sigmoid", seed=0), Layer(2, 5, activation="tanh", seed=0),
    MLP(3, [4, 4, 2], seed=0), MLP(1, [1]), RNNCell(2, 3, seed=0), LSTMCell(3, 2, seed=0),
    GRUCell(2, 4, seed=0), Dropout(0.2),
], ids=lambda m: type(m).__name__)
def test_every_architecture_counts_its_parameters_and_rebuilds_itself(model: Module) -> None:
    record = model.architecture()
    kind = ARCHITECTURES[record.pop("type")]
    assert kind is type(model)
    assert kind.parameter_count(**kind.checked_arguments(record, "t")) == len(model.parameters())
    rebuilt = kind(**record, seed=0)
    assert rebuilt.architecture() == model.architecture()
    assert [n for n, _ in rebuilt.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert repr(rebuilt) == repr(model)
    assert [p for _, p in model.named_parameters()] == model.parameters()  # one walk, one order


def test_constructor_and_file_checks_are_one_check() -> None:
    with pytest.raises(ValueError, match="LSTMCell: nhidden must be a positive int, got 0"):
        LSTMCell(2, 0)
    with pytest.raises(ValueError, match="the LSTMCell architecture: nhidden must be a positive"):
        LSTMCell.checked_arguments({"nin": 2, "nhidden": 0}, "the LSTMCell architecture")
    with pytest.raises(ValueError, match=r"the fields are nin, nhidden; got nin"):
        GRUCell.checked_arguments({"nin": 2}, "GRUCell")


def test_a_subclass_of_a_built_in_does_not_claim_its_architecture(tmp_path) -> None:
    class Wider(MLP):
        def __call__(self, x):
            return super().__call__(x) * 2.0  # computes something else than an MLP

    model = Wider(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"Wider\.architecture: this module does not describe"):
        model.save(tmp_path / "w.json")
    assert "Wider" not in ARCHITECTURES


def test_a_weight_that_is_not_a_finite_number_is_refused_by_save_and_the_old_file_kept(tmp_path) -> None:
    # True used to be written as `true`, a file that load then refused.
    path = tmp_path / "m.json"
    model = Neuron(2, seed=0)
    model.save(path)
    before = path.read_bytes()
    for bad, error, words in [(True, TypeError, "is bool True; every weight must be a number; set its .data"),
                              ("0.5", TypeError, "is str '0.5'"),
                              (math.inf, ValueError, "is inf; weights must be finite; JSON cannot hold"),
                              (10**400, ValueError, "JSON cannot hold")]:
        model.w[1].data = bad
        with pytest.raises(error, match=re.escape(words)):
            model.save(path)
        assert path.read_bytes() == before
    model.w[1].data = 2  # an int, as micrograd code assigns, is a number
    model.save(path)
    assert nn.load(path).w[1].data == 2.0


def test_each_activation_has_its_class_name_in_repr() -> None:
    names = {activation: repr(nn.Neuron(2, activation=activation, seed=0))
             for activation in nn.ACTIVATIONS}
    assert names == {"relu": "ReLUNeuron(2)", "tanh": "TanhNeuron(2)",
                     "sigmoid": "SigmoidNeuron(2)", "leaky_relu": "LeakyReLUNeuron(2)",
                     "elu": "ELUNeuron(2)", "gelu": "GELUNeuron(2)", "linear": "LinearNeuron(2)"}


def test_nonlin_is_settable_as_micrograds_attribute() -> None:
    neuron = Neuron(2, seed=0)
    neuron.b.data = -5.0
    neuron.nonlin = False
    assert repr(neuron) == "LinearNeuron(2)" and neuron([1.0, 1.0]).data < 0
    assert neuron.architecture()["activation"] == "linear"
    neuron.nonlin = True
    assert repr(neuron) == "ReLUNeuron(2)" and neuron([1.0, 1.0]).data == 0.0
    tanh = Neuron(2, activation="tanh", seed=0)
    tanh.nonlin = True
    assert tanh.activation == "tanh"
