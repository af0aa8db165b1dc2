"""Neurons, layers, MLPs and a recurrent cell on top of ``Value``: micrograd's ``nn``, then beyond.

With default arguments everything is drawn exactly as micrograd draws it
(``random.uniform(-1, 1)`` from Python's global ``random``, in the same order; biases 0),
so micrograd-era code runs unchanged and reproduces micrograd's numbers.

Beyond micrograd:

* activations ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"linear"`` and initialisations
  ``"micrograd"`` (uniform(-1, 1)), ``"xavier"`` (Glorot uniform) and ``"he"`` (Kaiming
  uniform); a ``seed`` gives a model its own ``random.Random`` so runs are reproducible
  without touching the global generator;
* ``named_parameters()``, ``state_dict()`` and ``load_state_dict()``, and ``save(path)`` /
  :func:`load` with a versioned JSON file (see :func:`load` for the format);
* :class:`RNNCell` for backpropagation through time, with
  :func:`gradient_norms_through_time` to watch gradients vanish or explode;
* :func:`layer_gradient_norms` to compare gradient sizes layer by layer.
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any

from autograd_mini.engine import Value, gradients, relu, sigmoid, tanh
from autograd_mini.files import write_atomically
from autograd_mini.optim import l2_norm

__all__ = [
    "ACTIVATIONS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "INITS",
    "MLP",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "RNNCell",
    "StateDictError",
    "gradient_norms_through_time",
    "layer_gradient_norms",
    "load",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
"""The activation functions a :class:`Neuron` (and so every model here) can apply."""

INITS = ("micrograd", "xavier", "he")
"""Weight initialisations: micrograd's uniform(-1, 1), Glorot uniform, Kaiming (He) uniform."""

FORMAT_NAME = "autograd-mini-model"
"""The ``"format"`` field of a saved model file."""

FORMAT_VERSION = 1
"""The ``"version"`` field written by :meth:`Module.save`; :func:`load` reads versions <= this."""


class StateDictError(ValueError):
    """A state dict does not fit the model: missing, extra, mistyped or non-finite entries."""


class ModelFileError(ValueError):
    """A model file cannot be loaded: missing, unreadable, not JSON, truncated or malformed."""


# ------------------------------------------------------------------------ Module


def _prefixed(field: str, modules: Sequence[Module]) -> list[tuple[str, Value]]:
    """The named parameters of ``modules``, stored in attribute ``field``: ``field.i.name``."""
    return [
        (f"{field}.{i}.{name}", p)
        for i, module in enumerate(modules)
        for name, p in module.named_parameters()
    ]


class Module:
    """Base class: anything with parameters.

    Subclasses give ``parameters()`` (micrograd's API). ``named_parameters()`` defaults to
    numbering them ``"0"``, ``"1"``, ...; the built-in modules name them by position
    (``"layers.0.neurons.3.w.1"``), so a state dict reads like the model.
    """

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` pairs in the order of ``parameters()``.

        >>> Neuron(2, seed=0).named_parameters()[-1]
        ('b', Value(data=0.0, grad=0.0))
        """
        return [(str(i), p) for i, p in enumerate(self.parameters())]

    def state_dict(self) -> dict[str, float]:
        """A plain dict ``name -> float`` of every parameter's data (a copy).

        >>> Neuron(2, seed=0).state_dict()
        {'w.0': 0.6888437030500962, 'w.1': 0.515908805880605, 'b': 0.0}
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter's data from ``state`` (as made by :meth:`state_dict`).

        Everything is checked before anything is assigned: a state dict with a missing,
        extra, non-numeric or non-finite entry raises :class:`StateDictError` (a
        ``ValueError``) and leaves the model exactly as it was. Gradients are not touched.

        >>> a, b = Neuron(2, seed=0), Neuron(2, seed=1)
        >>> b.load_state_dict(a.state_dict())
        >>> b.state_dict() == a.state_dict()
        True
        """
        named = self.named_parameters()
        values = _validated_state(state, [name for name, _ in named], type(self).__name__)
        for (_, p), value in zip(named, values):
            p.data = value

    def architecture(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's shape (for :meth:`save`)."""
        raise TypeError(
            f"{type(self).__name__}.save: this module does not describe its architecture;"
            " save a Neuron, Layer, MLP or RNNCell, or save state_dict() yourself and"
            " rebuild the model in code"
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and weights to ``path`` as JSON, atomically.

        The file is written by :func:`autograd_mini.files.write_atomically`: in full to a
        temporary file, then renamed over ``path``, so a crash or error at any moment
        leaves either the old file or the new one, never half of one; an existing file
        keeps its permissions, and a symbolic link stays a link to the new content.
        Weights must be finite (JSON has no NaN or infinity); see :func:`load` for the
        format.

        >>> import pathlib, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
        >>> model.save(pathlib.Path(folder) / "model.json")
        >>> copy = load(pathlib.Path(folder) / "model.json")
        >>> copy.state_dict() == model.state_dict(), copy.activation
        (True, 'tanh')
        """
        architecture = self.architecture()
        weights = self.state_dict()
        for name, value in weights.items():
            if not math.isfinite(value):
                raise ValueError(
                    f"save: parameter {name!r} is {value!r}; JSON cannot hold NaN or infinity."
                    " Fix the training that produced it (or reload a good checkpoint) first"
                )
        document = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "architecture": architecture,
            "parameters": weights,
        }
        # Python writes a float as its shortest repr, which reads back bit for bit.
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
        write_atomically(path, text)


def _validated_state(state: Any, names: list[str], owner: str) -> list[float]:
    """The values of ``state`` in the order of ``names``, or StateDictError."""
    if not isinstance(state, Mapping):
        raise StateDictError(
            f"{owner}.load_state_dict: expected a dict of name -> float, got"
            f" {type(state).__name__}"
        )
    expected = set(names)
    missing = [n for n in names if n not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} entr{'y' if len(missing) == 1 else 'ies'}"
                         f" {_few(missing)}")
        if extra:
            parts.append(f"{len(extra)} unexpected entr{'y' if len(extra) == 1 else 'ies'}"
                         f" {_few(extra)}")
        raise StateDictError(
            f"{owner}.load_state_dict: the state dict does not fit this model"
            f" ({'; '.join(parts)}); it was saved from a model of another shape"
        )
    values = []
    for name in names:
        value = state[name]
        # bool is an int to Python, but True as a weight is surely a mistake.
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise StateDictError(
                f"{owner}.load_state_dict: entry {name!r} is {type(value).__name__}"
                f" {value!r}; every entry must be a number"
            )
        try:
            number = float(value)
        except OverflowError:  # an int beyond 1.8e308 (JSON allows any number of digits)
            raise StateDictError(
                f"{owner}.load_state_dict: entry {name!r} is a number too large for a float"
                " (over 1.8e308); weights must be finite"
            ) from None
        if not math.isfinite(number):
            raise StateDictError(
                f"{owner}.load_state_dict: entry {name!r} is {number!r}; weights must be finite"
            )
        values.append(number)
    return values


def _few(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:5])
    return f"[{shown}{', ...' if len(names) > 5 else ''}]"


# ---------------------------------------------------------------------- building


def _check_choice(where: str, what: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{where}: unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return str(value)


def _check_size(where: str, what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive int, got {value!r}")
    return value


def _weight_drawer(init: str, fan_in: int, fan_out: int, rng: random.Random | None) -> Any:
    """A function drawing one weight; ``rng=None`` means Python's global ``random``."""
    uniform = random.uniform if rng is None else rng.uniform
    if init == "micrograd":
        bound = 1.0
    elif init == "xavier":  # Glorot & Bengio 2010: keeps activation variance across layers
        bound = math.sqrt(6.0 / (fan_in + fan_out))
    else:  # "he": Kaiming uniform (He et al. 2015), for relu
        bound = math.sqrt(6.0 / fan_in)
    return lambda: uniform(-bound, bound)


def _activate(x: Any, activation: str) -> Any:
    # The engine's float-or-Value functions, so a neuron also runs on plain floats (as
    # when gradcheck evaluates a model at perturbed weights).
    if activation == "relu":
        return relu(x)
    if activation == "tanh":
        return tanh(x)
    if activation == "sigmoid":
        return sigmoid(x)
    return x


class Neuron(Module):
    """``act(sum(w_i * x_i) + b)``; relu when ``nonlin`` (micrograd's default), else linear.

    ``activation`` (one of :data:`ACTIVATIONS`) overrides ``nonlin``. ``init`` (one of
    :data:`INITS`) sets the weight distribution; ``fan_out`` is used by ``"xavier"``.
    Weights come from ``rng`` if given, else from ``random.Random(seed)`` if ``seed`` is
    given, else from Python's global ``random`` (micrograd's way). The bias starts at 0.

    >>> random.seed(0)
    >>> n = Neuron(2)
    >>> n([1.0, 2.0])
    Value(data=1.7206613148113061, grad=0.0)
    >>> Neuron(3, activation="tanh", init="xavier", seed=1)
    TanhNeuron(3)
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "micrograd",
        fan_out: int = 1,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size("Neuron", "nin", nin)
        if activation is None:
            activation = "relu" if nonlin else "linear"
        self.activation = _check_choice("Neuron", "activation", activation, ACTIVATIONS)
        self.init = _check_choice("Neuron", "init", init, INITS)
        if rng is None and seed is not None:
            rng = random.Random(seed)
        draw = _weight_drawer(init, nin, fan_out, rng)
        self.w = [Value(draw()) for _ in range(nin)]
        self.b = Value(0)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether an activation other than the identity is applied."""
        return self.activation != "linear"

    def __call__(self, x: Sequence[Any]) -> Value:
        # Summation starts from the bias, as in micrograd, so the digits agree.
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        out: Value = _activate(act, self.activation)
        return out

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w.{i}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

    def architecture(self) -> dict[str, Any]:
        return {"type": "Neuron", "nin": len(self.w), "activation": self.activation}

    def __repr__(self) -> str:
        return f"{'ReLU' if self.activation == 'relu' else self.activation.title()}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns a list, or one Value if ``nout == 1``.

    Keyword arguments go to every :class:`Neuron`; ``fan_out`` defaults to ``nout``. A
    ``seed`` makes one ``random.Random`` shared by the layer's neurons, in order.

    >>> [round(h.data, 4) for h in Layer(2, 3, activation="tanh", seed=0)([1.0, -1.0])]
    [0.1712, 0.3125, 0.2095]
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        _check_size("Layer", "nout", nout)
        kwargs.setdefault("fan_out", nout)
        seed = kwargs.pop("seed", None)
        if seed is not None and kwargs.get("rng") is None:
            kwargs["rng"] = random.Random(seed)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _prefixed("neurons", self.neurons)

    def architecture(self) -> dict[str, Any]:
        first = self.neurons[0]
        return {
            "type": "Layer", "nin": len(first.w), "nout": len(self.neurons),
            "activation": first.activation,
        }

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers in sequence: ``activation`` after every layer but the last, which is linear.

    The defaults are micrograd's MLP exactly (relu, uniform(-1, 1) weights from the global
    ``random``). A linear last layer gives scores or logits, which is what the losses in
    :mod:`autograd_mini.losses` take. A final layer of one neuron returns a Value; a hidden
    layer of one neuron passes a one-element list on, so ``MLP(2, [16, 1, 1])`` works (in
    micrograd it fails).

    >>> model = MLP(2, [4, 1], activation="tanh", init="xavier", seed=0)
    >>> len(model.parameters()), model([0.5, -0.5])  # doctest: +ELLIPSIS
    (17, Value(data=..., grad=0.0))
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        init: str = "micrograd",
        seed: int | None = None,
    ) -> None:
        _check_size("MLP", "nin", nin)
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        for size in nouts:
            _check_size("MLP", "every layer size in nouts", size)
        self.activation = _check_choice("MLP", "activation", activation, ACTIVATIONS)
        self.init = _check_choice("MLP", "init", init, INITS)
        self.seed = seed
        rng = None if seed is None else random.Random(seed)
        sz = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sz[i], sz[i + 1], activation=activation if i != last else "linear",
                init=init, rng=rng,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out: Any = x
        for layer in self.layers:
            out = [n(out) for n in layer.neurons]
        return out[0] if len(out) == 1 else out  # type: ignore[no-any-return]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _prefixed("layers", self.layers)

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "MLP", "nin": len(self.layers[0].neurons[0].w),
            "nouts": [len(layer.neurons) for layer in self.layers],
            "activation": self.activation,
        }

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


class RNNCell(Module):
    """One step of a recurrent network: ``h_next = act(W_x x_t + W_h h + b)``.

    Hidden unit ``j`` is a :class:`Neuron` reading the input and the previous hidden
    state concatenated (``nin + nhidden`` weights: the first ``nin`` for ``x_t``, the rest
    for ``h``). Unroll it over a sequence with :meth:`unroll` (or a loop of your own) and
    call ``backward()`` on a loss of the outputs: that is backpropagation through time,
    with no special machinery. Weights use ``init`` (Glorot uniform by default: with
    micrograd's uniform(-1, 1) the recurrent weights make tanh saturate quickly).

    >>> cell = RNNCell(1, 2, seed=0)
    >>> states = cell.unroll([[1.0], [0.5], [-1.0]])
    >>> len(states), len(states[-1])
    (4, 2)
    """

    def __init__(
        self,
        nin: int,
        nhidden: int,
        activation: str = "tanh",
        init: str = "xavier",
        seed: int | None = None,
    ) -> None:
        _check_size("RNNCell", "nin", nin)
        _check_size("RNNCell", "nhidden", nhidden)
        self.nin = nin
        self.nhidden = nhidden
        self.activation = _check_choice("RNNCell", "activation", activation, ACTIVATIONS)
        self.init = _check_choice("RNNCell", "init", init, INITS)
        self.seed = seed
        rng = None if seed is None else random.Random(seed)
        self.neurons = [
            Neuron(nin + nhidden, activation=activation, init=init, fan_out=nhidden, rng=rng)
            for _ in range(nhidden)
        ]

    def initial_state(self) -> list[float]:
        """The usual ``h_0``: zeros."""
        return [0.0] * self.nhidden

    def __call__(self, x: Sequence[Any], h: Sequence[Any] | None = None) -> list[Value]:
        if len(x) != self.nin:
            raise ValueError(f"RNNCell: input has {len(x)} entries, the cell expects {self.nin}")
        if h is None:
            h = self.initial_state()
        elif len(h) != self.nhidden:
            raise ValueError(
                f"RNNCell: hidden state has {len(h)} entries, the cell has {self.nhidden}"
            )
        inputs = list(x) + list(h)
        return [n(inputs) for n in self.neurons]

    def unroll(
        self, xs: Sequence[Sequence[Any]], h0: Sequence[Any] | None = None
    ) -> list[list[Any]]:
        """``[h_0, h_1, ..., h_T]`` for the inputs ``xs = [x_1, ..., x_T]``.

        ``h_0`` defaults to zeros (plain floats); every later state is a list of Values.
        """
        states: list[list[Any]] = [list(self.initial_state() if h0 is None else h0)]
        for x in xs:
            states.append(self(x, states[-1]))
        return states

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return _prefixed("neurons", self.neurons)

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "RNNCell", "nin": self.nin, "nhidden": self.nhidden,
            "activation": self.activation,
        }

    def __repr__(self) -> str:
        return f"RNNCell(nin={self.nin}, nhidden={self.nhidden}, activation={self.activation!r})"


# ----------------------------------------------------------------- gradient norms


def gradient_norms_through_time(loss: Value, states: Sequence[Sequence[Any]]) -> list[float]:
    """The norm of d loss / d h_t for every hidden state ``h_t`` of an unrolled RNN.

    ``states`` is what :meth:`RNNCell.unroll` returns (or any list of hidden-state lists).
    The derivatives come from :func:`autograd_mini.engine.gradients`, so no ``.grad`` is
    touched; a state the loss does not depend on (or a plain-float ``h_0``) has norm 0.
    Plot the list against t: a curve falling by orders of magnitude toward t = 0 is a
    vanishing gradient, a rising one an exploding gradient.

    >>> cell = RNNCell(1, 2, seed=0)
    >>> states = cell.unroll([[1.0], [1.0], [1.0]])
    >>> loss = states[-1][0] * states[-1][0]
    >>> norms = gradient_norms_through_time(loss, states)
    >>> len(norms), norms[0], norms[-1] > 0
    (4, 0.0, True)
    """
    grads = gradients(loss)
    return [
        l2_norm([float(grads.get(h, 0.0)) if isinstance(h, Value) else 0.0 for h in state])
        for state in states
    ]


def layer_gradient_norms(model: MLP) -> list[float]:
    """The norm of the weight gradients (``.grad``) of each layer, first layer first.

    Call it after ``loss.backward()``. A deep sigmoid network shows the first layers'
    norms orders of magnitude below the last's: the vanishing-gradient problem.

    >>> model = MLP(2, [3, 3, 1], seed=0)
    >>> model([1.0, 2.0]).backward()
    >>> [round(g, 3) for g in layer_gradient_norms(model)]
    [0.328, 1.651, 1.018]
    """
    return [l2_norm([float(w.grad) for n in layer.neurons for w in n.w]) for layer in model.layers]


# -------------------------------------------------------------------------- load

# The fields of each architecture type, as written by its ``architecture()``.
_BUILDERS: dict[str, tuple[str, ...]] = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "nouts", "activation"),
    "RNNCell": ("nin", "nhidden", "activation"),
}


def _parameter_count(kind: str, args: dict[str, Any]) -> int | None:
    """How many parameters the architecture has, or None if its sizes are not whole numbers."""
    given: list[Any] = [args[name] for name in ("nin", "nout", "nhidden") if name in args]
    if kind == "MLP":
        if not isinstance(args["nouts"], list):
            return None
        given += args["nouts"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in given):
        return None
    sizes: list[int] = given
    if kind == "MLP":
        return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))
    if kind == "Layer":
        return (sizes[0] + 1) * sizes[1]  # nin, nout
    if kind == "Neuron":
        return sizes[0] + 1  # nin
    return sizes[1] * (sizes[0] + sizes[1] + 1)  # RNNCell: nin, nhidden


def _build(architecture: Any, where: str, parameters: int | None = None) -> Module:
    if not isinstance(architecture, dict):
        raise ModelFileError(f"{where}: 'architecture' must be an object, got {architecture!r}")
    kind = architecture.get("type")
    if kind not in _BUILDERS:
        raise ModelFileError(
            f"{where}: unknown architecture type {kind!r}; expected one of {', '.join(_BUILDERS)}"
        )
    fields = _BUILDERS[kind]
    keys = set(architecture) - {"type"}
    if keys != set(fields):
        raise ModelFileError(
            f"{where}: a {kind} architecture needs exactly the fields {', '.join(fields)};"
            f" the file has {', '.join(sorted(keys)) or 'none'}"
        )
    args = {name: architecture[name] for name in fields}
    expected = _parameter_count(kind, args)
    # A small mismatch is reported entry by entry once the model is built; an architecture
    # far larger than the weights the file holds is refused before anything is allocated.
    if parameters is not None and expected is not None and expected > 4 * parameters + 100_000:
        raise ModelFileError(
            f"{where}: the weights do not fit the architecture: a {kind} with these sizes has"
            f" {expected} parameters, the file has {parameters}"
        )
    # The weights are overwritten right after, so draw them from a private generator:
    # loading a model never disturbs the global random state.
    try:
        if kind == "MLP":
            nouts = args["nouts"]
            if not isinstance(nouts, list):
                raise ValueError(f"nouts must be a list of layer sizes, got {nouts!r}")
            return MLP(args["nin"], nouts, activation=args["activation"], seed=0)
        if kind == "Layer":
            return Layer(args["nin"], args["nout"], activation=args["activation"], seed=0)
        if kind == "Neuron":
            return Neuron(args["nin"], activation=args["activation"], seed=0)
        return RNNCell(args["nin"], args["nhidden"], activation=args["activation"], seed=0)
    except (ValueError, TypeError) as exc:
        raise ModelFileError(f"{where}: invalid {kind} architecture: {exc}") from None


def load(path: str | os.PathLike[str]) -> Module:
    """Read a model written by :meth:`Module.save` and return a new model of that architecture.

    The file is JSON (UTF-8), version 1::

        {
         "format": "autograd-mini-model",
         "version": 1,
         "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu"},
         "parameters": {"layers.0.neurons.0.w.0": 0.23550571390294128, ...}
        }

    ``architecture.type`` is ``"MLP"`` (fields nin, nouts, activation), ``"Layer"`` (nin,
    nout, activation), ``"Neuron"`` (nin, activation) or ``"RNNCell"`` (nin, nhidden,
    activation). ``parameters`` maps every name of ``named_parameters()`` to a finite
    number, written as Python's shortest float repr, so weights round-trip bit for bit.
    Nothing in the file is executed (plain ``json``, no pickle). A missing, unreadable,
    non-JSON, truncated or malformed file, an unknown version, or weights that do not
    fit the architecture raise :class:`ModelFileError` (a ``ValueError``) naming the file
    and the problem. Loading does not use or change the global ``random`` state.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cell.json"
    >>> RNNCell(1, 3, seed=4).save(path)
    >>> load(path)
    RNNCell(nin=1, nhidden=3, activation='tanh')
    """
    where = f"load({os.fspath(path)!r})"
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except FileNotFoundError:
        raise ModelFileError(f"{where}: no such file; check the path") from None
    except OSError as exc:
        raise ModelFileError(f"{where}: cannot read the file: {exc.strerror or exc}") from None
    if not raw.strip():
        raise ModelFileError(f"{where}: the file is empty (was the save interrupted?)")
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ModelFileError(f"{where}: not a model file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno});"
            " the file is truncated or not a model file"
        ) from None
    except ValueError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    except RecursionError:  # json nests by recursion: thousands of [ or { exhaust the stack
        raise ModelFileError(
            f"{where}: the JSON is nested too deeply to read; not a model file (a model file"
            " nests 3 levels)"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ModelFileError(
            f"{where}: not an autograd-mini model file (no \"format\": \"{FORMAT_NAME}\")"
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{where}: 'version' must be a positive int, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{where}: format version {version} is newer than this autograd-mini reads"
            f" ({FORMAT_VERSION}); upgrade autograd-mini"
        )
    unknown = set(document) - {"format", "version", "architecture", "parameters"}
    if unknown:
        raise ModelFileError(f"{where}: unexpected fields {sorted(unknown)}")
    if "architecture" not in document or "parameters" not in document:
        raise ModelFileError(f"{where}: the file needs both 'architecture' and 'parameters'")
    weights = document["parameters"]
    model = _build(document["architecture"], where, len(weights) if isinstance(weights, dict) else None)
    try:
        model.load_state_dict(document["parameters"])
    except StateDictError as exc:
        raise ModelFileError(f"{where}: the weights do not fit the architecture: {exc}") from None
    return model


def _reject_constant(name: str) -> float:
    raise ValueError(f"the file holds {name}, which is not a valid weight (weights are finite)")
