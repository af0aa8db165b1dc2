"""Moving models to and from PyTorch: :func:`to_torch` and :func:`from_torch`.

A model trained here can continue in PyTorch with the same weights and the same outputs,
and a small PyTorch model can be brought here to be watched scalar by scalar.

=========================================  ==================================================
autograd_mini                              PyTorch (float64)
=========================================  ==================================================
``MLP(nin, nouts, activation, dropout)``   ``Sequential(Linear, act, [Dropout], ..., Linear)``
``Layer(nin, nout, activation)``           ``Linear`` (linear) or ``Sequential(Linear, act)``
``Neuron(nin, activation)``                as a ``Layer`` of one neuron (``to_torch`` only)
``RNNCell(nin, nhidden, "tanh"|"relu")``   ``RNNCell(nin, nhidden, nonlinearity=...)``
``LSTMCell(nin, nhidden)``                 ``LSTMCell(nin, nhidden)``
``GRUCell(nin, nhidden)``                  ``GRUCell(nin, nhidden)``
``Dropout(p)``                             ``Dropout(p)``
=========================================  ==================================================

Activations map to ``ReLU``, ``Tanh`` and ``Sigmoid`` (``"linear"``: none). A Linear
layer's row ``j`` is neuron ``j``'s weights and its bias; an ``RNNCell``'s neuron reads
``[x, h]``, so its weights are ``weight_ih`` and ``weight_hh`` side by side and its one bias is
``bias_ih + bias_hh`` (``to_torch`` puts it all in ``bias_ih``). ``LSTMCell`` and ``GRUCell``
have PyTorch's layout exactly (``ih``: ``weight_ih``/``bias_ih``, ``hh``: ``weight_hh``/
``bias_hh``). The training mode is carried over; Dropout's random masks are not (each
library draws its own).

A module with no equivalent here (a convolution, a layer without bias, an RNN with a
sigmoid, a custom module) is refused with a ``TypeError`` naming it. PyTorch is imported
only when one of these functions runs; without it they raise ``ImportError`` saying how
to install it (``pip install "autograd-mini[torch]"``, with PyTorch's CPU build: see the
README).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from autograd_mini.nn import (
    ACTIVATION_NAMES,
    MLP,
    Dropout,
    GRUCell,
    Layer,
    LSTMCell,
    Module,
    Neuron,
    RNNCell,
)

__all__ = ["from_torch", "to_torch"]

# PyTorch's module for each activation has the activation's class name (ACTIVATION_NAMES);
# "linear" has none, as a Linear layer ends the Sequential.
_TORCH_ACTIVATIONS = {a: name for a, name in ACTIVATION_NAMES.items() if a != "linear"}
# nn's activations use PyTorch's default parameters; another value has no equivalent here.
_DEFAULTS: dict[str, dict[str, Any]] = {"LeakyReLU": {"negative_slope": 0.01}, "ELU": {"alpha": 1.0},
             "GELU": {"approximate": "none"}}

_SUPPORTED = (
    "Linear, a Sequential of Linear layers with ReLU/Tanh/Sigmoid/LeakyReLU/ELU/GELU (with"
    " PyTorch's default parameters)/Identity and Dropout between them, RNNCell, LSTMCell,"
    " GRUCell, Dropout"
)


def _torch(caller: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{caller} needs PyTorch: pip install \"autograd-mini[torch]\" (for the CPU build,"
            " which is much smaller, install torch from PyTorch's CPU index first; see the"
            " README)"
        ) from None
    return torch


# ------------------------------------------------------------------------- to_torch


def _rows(neurons: Sequence[Neuron], columns: slice = slice(None)) -> list[list[float]]:
    return [[w.data for w in n.w[columns]] for n in neurons]


def _biases(neurons: Sequence[Neuron]) -> list[float]:
    return [n.b.data for n in neurons]


def _assign(torch: Any, parameter: Any, values: Any) -> None:
    with torch.no_grad():
        parameter.copy_(torch.tensor(values, dtype=torch.float64))


def _layer_modules(torch: Any, neurons: Sequence[Neuron], activation: str) -> list[Any]:
    linear = torch.nn.Linear(len(neurons[0].w), len(neurons), dtype=torch.float64)
    _assign(torch, linear.weight, _rows(neurons))
    _assign(torch, linear.bias, _biases(neurons))
    modules = [linear]
    if activation != "linear":
        modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[activation])())
    return modules


def _gated_to_torch(torch: Any, cell: LSTMCell | GRUCell, kind: str) -> Any:
    module = getattr(torch.nn, kind)(cell.nin, cell.nhidden, dtype=torch.float64)
    _assign(torch, module.weight_ih, _rows(cell.ih.neurons))
    _assign(torch, module.bias_ih, _biases(cell.ih.neurons))
    _assign(torch, module.weight_hh, _rows(cell.hh.neurons))
    _assign(torch, module.bias_hh, _biases(cell.hh.neurons))
    return module


def to_torch(model: Module) -> Any:
    """A float64 ``torch.nn.Module`` computing what ``model`` computes, with a copy of its weights.

    See the module docstring for the mapping. The PyTorch module takes a tensor of inputs
    (``(nin,)``, or a batch ``(n, nin)``); its cells take and return states as PyTorch's
    do (``(h, c)`` for the LSTM).

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
    >>> net = to_torch(model)
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> net(torch.tensor([0.5, -1.0], dtype=torch.float64)).item() == model([0.5, -1.0]).data
    True
    """
    torch = _torch("to_torch")
    module: Any
    if isinstance(model, RNNCell):  # before Layer: an RNNCell is a Layer over [x, h]
        if model.activation not in ("tanh", "relu"):
            raise TypeError(
                f"to_torch: {model!r} has no PyTorch equivalent: torch.nn.RNNCell applies tanh"
                " or relu only"
            )
        module = torch.nn.RNNCell(model.nin, model.nhidden, nonlinearity=model.activation,
                                  dtype=torch.float64)
        _assign(torch, module.weight_ih, _rows(model.neurons, slice(None, model.nin)))
        _assign(torch, module.weight_hh, _rows(model.neurons, slice(model.nin, None)))
        _assign(torch, module.bias_ih, _biases(model.neurons))
        _assign(torch, module.bias_hh, [0.0] * model.nhidden)
    elif isinstance(model, (LSTMCell, GRUCell)):
        module = _gated_to_torch(torch, model, type(model).__name__)
    elif isinstance(model, MLP):
        modules: list[Any] = []
        for i, layer in enumerate(model.layers):
            last = i == len(model.layers) - 1
            modules += _layer_modules(torch, layer.neurons, "linear" if last else model.activation)
            if model.dropout is not None and not last:
                modules.append(torch.nn.Dropout(model.dropout.p))
        module = torch.nn.Sequential(*modules)
    elif isinstance(model, (Layer, Neuron)):
        neurons = model.neurons if isinstance(model, Layer) else [model]
        modules = _layer_modules(torch, neurons, neurons[0].activation)
        module = modules[0] if len(modules) == 1 else torch.nn.Sequential(*modules)
    elif isinstance(model, Dropout):
        module = torch.nn.Dropout(model.p)
    else:
        raise TypeError(
            f"to_torch: {type(model).__name__} has no PyTorch equivalent here; convert an MLP,"
            " Layer, Neuron, RNNCell, LSTMCell, GRUCell or Dropout (or move its state_dict()"
            " yourself)"
        )
    module.train(model.training)
    return module


# ----------------------------------------------------------------------- from_torch


def _values(tensor: Any) -> Any:
    return tensor.detach().double().tolist()


def _set_layer(layer: Layer, weights: Sequence[Sequence[float]], biases: Sequence[float]) -> None:
    for neuron, row, bias in zip(layer.neurons, weights, biases):
        for w, value in zip(neuron.w, row):
            w.data = value
        neuron.b.data = bias


def _refuse(module: Any, why: str = "") -> TypeError:
    return TypeError(
        f"from_torch: {type(module).__name__} ({module!r}) has no autograd_mini equivalent"
        f"{why}; supported: {_SUPPORTED}"
    )


def _checked_linear(torch: Any, module: Any) -> Any:
    if module.bias is None:
        raise _refuse(module, " (no bias: every autograd_mini neuron has one)")
    return module


def _mlp_from_sequential(torch: Any, sequential: Any) -> Module:
    """Split ``Linear [act] [Dropout]`` groups; one activation and one dropout for all hidden."""
    names = {getattr(torch.nn, name): activation for activation, name in _TORCH_ACTIVATIONS.items()}
    groups: list[dict[str, Any]] = []
    for child in sequential:
        if isinstance(child, torch.nn.Linear):
            groups.append({"linear": _checked_linear(torch, child), "activation": None,
                           "dropout": None})
        elif not groups:
            raise _refuse(sequential, f" (it starts with {type(child).__name__}, not a Linear)")
        elif type(child) in names or isinstance(child, torch.nn.Identity):
            for parameter, default in _DEFAULTS.get(type(child).__name__, {}).items():
                if getattr(child, parameter) != default:
                    raise _refuse(child, f" ({parameter}={getattr(child, parameter)!r}; only"
                                         f" {parameter}={default!r}, PyTorch's default, has an"
                                         " equivalent here)")
            if groups[-1]["activation"] is not None or groups[-1]["dropout"] is not None:
                raise _refuse(sequential, " (two activations after one Linear)")
            groups[-1]["activation"] = names.get(type(child), "linear")
        elif isinstance(child, torch.nn.Dropout):
            if groups[-1]["dropout"] is not None:
                raise _refuse(sequential, " (two Dropouts after one Linear)")
            groups[-1]["dropout"] = child.p
        else:
            raise _refuse(child)
    if not groups:
        raise _refuse(sequential, " (it is empty)")
    last, hidden = groups[-1], groups[:-1]
    sizes = [g["linear"].in_features for g in groups] + [last["linear"].out_features]
    if any(a["linear"].out_features != b["linear"].in_features
           for a, b in itertools.pairwise(groups)):
        raise _refuse(sequential, " (consecutive Linear sizes do not match)")
    if len(groups) == 1 and last["dropout"] is None:  # Linear [act]: one Layer
        layer = Layer(sizes[0], sizes[1], activation=last["activation"] or "linear", seed=0)
        _set_layer(layer, _values(last["linear"].weight), _values(last["linear"].bias))
        return layer
    activations = {g["activation"] or "linear" for g in hidden}
    dropouts = {g["dropout"] for g in hidden}
    if last["activation"] not in (None, "linear") or last["dropout"] is not None:
        raise _refuse(sequential, " (an MLP ends with a plain Linear layer)")
    if len(activations) > 1 or len(dropouts) > 1:
        raise _refuse(sequential, " (the hidden layers differ in activation or dropout)")
    model = MLP(sizes[0], sizes[1:], activation=activations.pop(), seed=0,
                dropout=dropouts.pop() or 0.0)
    for layer, group in zip(model.layers, groups):
        _set_layer(layer, _values(group["linear"].weight), _values(group["linear"].bias))
    return model


def from_torch(module: Any) -> Module:
    """The autograd_mini model equivalent to a PyTorch module, with a copy of its weights.

    See the module docstring for what maps to what; anything else raises ``TypeError``
    naming the module.

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    >>> model = from_torch(net)
    >>> model
    MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(4)]]
    >>> from_torch(torch.nn.Conv2d(1, 4, 3))
    Traceback (most recent call last):
    ...
    TypeError: from_torch: Conv2d (Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1))) has no \
autograd_mini equivalent; supported: Linear, a Sequential of Linear layers with \
ReLU/Tanh/Sigmoid/LeakyReLU/ELU/GELU (with PyTorch's default parameters)/Identity and \
Dropout between them, RNNCell, LSTMCell, GRUCell, Dropout
    """
    torch = _torch("from_torch")
    model: Module
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    if isinstance(module, torch.nn.Sequential):
        model = _mlp_from_sequential(torch, module)
    elif isinstance(module, torch.nn.Linear):
        model = _mlp_from_sequential(torch, torch.nn.Sequential(module))
    elif isinstance(module, torch.nn.RNNCell):
        if module.bias_ih is None:
            raise _refuse(module, " (no bias: every autograd_mini neuron has one)")
        cell = RNNCell(module.input_size, module.hidden_size, activation=module.nonlinearity, seed=0)
        weights = [a + b for a, b in zip(_values(module.weight_ih), _values(module.weight_hh))]
        biases = [a + b for a, b in zip(_values(module.bias_ih), _values(module.bias_hh))]
        _set_layer(cell, weights, biases)
        model = cell
    elif isinstance(module, (torch.nn.LSTMCell, torch.nn.GRUCell)):
        if module.bias_ih is None:
            raise _refuse(module, " (no bias: every autograd_mini neuron has one)")
        kind = LSTMCell if isinstance(module, torch.nn.LSTMCell) else GRUCell
        gated = kind(module.input_size, module.hidden_size, seed=0)
        _set_layer(gated.ih, _values(module.weight_ih), _values(module.bias_ih))
        _set_layer(gated.hh, _values(module.weight_hh), _values(module.bias_hh))
        model = gated
    elif isinstance(module, torch.nn.Dropout):
        model = Dropout(module.p)
    else:
        raise _refuse(module)
    # A nan or inf weight would be refused by nn.load and load_state_dict, and so could
    # not be saved: refuse it here, where its origin is known.
    bad = [(name, p.data) for name, p in model.named_parameters() if not math.isfinite(p.data)]
    if bad:
        raise ValueError(
            f"from_torch: {type(module).__name__} has {len(bad)} weight(s) that are not finite"
            f" (the first, as autograd_mini names it: {bad[0][0]} = {bad[0][1]!r}); a model"
            " must have finite weights to be trained or saved: fix the PyTorch module's weights"
            " (e.g. re-initialise them) first")
    model.train(module.training)
    return model
