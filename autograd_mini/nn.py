"""Neurons, layers, MLPs, dropout and recurrent cells on top of ``Value``: micrograd's ``nn``, then beyond.

With default arguments everything is drawn exactly as micrograd draws it
(``random.uniform(-1, 1)`` from Python's global ``random``, in the same order; biases 0),
so micrograd-era code runs unchanged and reproduces micrograd's numbers.

How a module is put together (read :class:`Module` first):

* **Parameters come from attributes.** A module's parameters are its ``Value`` attributes,
  lists of Values, and the parameters of its sub-module attributes (and lists of them), in
  the order the attributes were set: ``named_parameters()`` names them by that path
  (``"layers.0.neurons.3.w.1"``). A micrograd-style subclass that defines only
  ``parameters()`` keeps working, its parameters numbered ``"0"``, ``"1"``, ... The
  built-in types name the attributes that hold their parameters (``Neuron``: ``w`` and
  ``b``), as micrograd's ``parameters()`` lists them, so what a subclass keeps for itself
  (``self.out = ...``) is never trained; and an object in a list of layers that is not a
  Module but has ``parameters()`` (a layer written for micrograd) gives those.
* **The architecture is recorded once.** Each built-in type declares its architecture
  arguments (:class:`Argument`: name, check, default) and records them when constructed.
  That one record is read by every consumer: :meth:`Module.architecture` and
  :meth:`Module.save`, :func:`load` (which checks a file's fields with the same checks the
  constructor uses, and its size with :meth:`Module.parameter_count` before building
  anything) and ``repr``. The file format itself lives in :mod:`autograd_mini.model_files`.
* **Modes.** Every module has ``training`` (True unless :meth:`Module.eval` was called);
  ``train()`` / ``eval()`` set it on every sub-module (``modules()``). :class:`Dropout` is
  the one built-in module whose forward pass draws random numbers, and only in training
  mode: :func:`stochastic_modules` finds such modules, so code that records a forward pass
  once and replays it can refuse a model whose forward pass changes from call to call.

Beyond micrograd: activations ``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"leaky_relu"``,
``"elu"``, ``"gelu"`` (PyTorch's defaults: slope 0.01, alpha 1, the exact erf form), ``"linear"``;
initialisations ``"micrograd"``, ``"xavier"``, ``"he"``; a ``seed`` giving a model its own
``random.Random``; state dicts and versioned model files; :class:`Dropout`;
:class:`RNNCell`, :class:`LSTMCell` and :class:`GRUCell` with :meth:`~RecurrentCell.unroll`
and :func:`truncated_bptt`; gradient norms through time and across layers.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import random
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from autograd_mini import functions
from autograd_mini.engine import Value, gradients, weighted_sum
from autograd_mini.functions import sigmoid, tanh
from autograd_mini.model_files import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ModelFileError,
    as_weight,
    brief,
    read_model_file,
    write_model_file,
)
from autograd_mini.optim import Optimizer, l2_norm

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_NAMES",
    "ARCHITECTURES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "INITS",
    "MLP",
    "Argument",
    "Dropout",
    "GRUCell",
    "LSTMCell",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
    "RNNCell",
    "RecurrentCell",
    "StateDictError",
    "Value",  # as micrograd.nn's star import gives it
    "gradient_norms_through_time",
    "layer_gradient_norms",
    "load",
    "stochastic_modules",
    "truncated_bptt",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "linear")
"""The activation functions a :class:`Neuron` (and so every model here) can apply."""

ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
                    "elu": "ELU", "gelu": "GELU", "linear": "Linear"}
"""Each activation as a class name: micrograd's ``ReLUNeuron``, PyTorch's ``torch.nn.GELU``."""

INITS = ("micrograd", "xavier", "he")
"""Weight initialisations: micrograd's uniform(-1, 1), Glorot uniform, Kaiming (He) uniform."""


class StateDictError(ValueError):
    """A state dict does not fit the model: missing, extra, mistyped or non-finite entries."""


# ------------------------------------------------------------ architecture arguments

# Each check takes (where, name, value) and returns the value to record, or raises
# ValueError naming both. The constructors and load() call the same ones.


def _size(where: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {brief(value)}")
    return value


def _sizes(where: str, name: str, value: Any) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise ValueError(
            f"{where}: {name} must be a non-empty list of layer sizes, got {brief(value)}"
        )
    return [_size(where, f"every layer size in {name}", size) for size in value]


def _choice(choices: tuple[str, ...]) -> Callable[[str, str, Any], str]:
    def check(where: str, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(
                f"{where}: unknown {name} {brief(value)}; choose one of {', '.join(choices)}"
            )
        return value
    return check


def _probability(where: str, name: str, value: Any) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and 0.0 <= float(value) <= 1.0):
        raise ValueError(f"{where}: {name} must be a probability in [0, 1], got {brief(value)}")
    return float(value)


_REQUIRED: Any = object()


@dataclass(frozen=True)
class Argument:
    """One constructor argument that is part of a module type's architecture.

    ``check(where, name, value)`` returns the value to record or raises ``ValueError``;
    an argument with a ``default`` may be left out of a file, and is left out of
    :meth:`Module.architecture` while it has its default (so files written without the
    feature stay readable by older versions).
    """

    name: str
    check: Callable[[str, str, Any], Any]
    default: Any = _REQUIRED


_ACTIVATION = Argument("activation", _choice(ACTIVATIONS))

ARCHITECTURES: dict[str, type[Module]] = {}
"""The module types a model file can name, by ``"type"``: each built-in type with an architecture."""


# ------------------------------------------------------------------------ Module


class Module:
    """Base class: anything with parameters.

    Parameters are found in attributes (see the module docstring), so a subclass needs
    only to set them: ``self.w = [Value(0.5)]``, ``self.head = Neuron(3)``. Attributes
    whose name starts with ``_`` are private state and never parameters. Subclasses may
    instead give ``parameters()`` (micrograd's API); ``named_parameters()`` then numbers
    them ``"0"``, ``"1"``, ...

    Built-in types declare ``ARGUMENTS``, the architecture arguments their constructor
    records (see :class:`Argument`); :meth:`architecture`, :meth:`save`, :func:`load`,
    ``repr`` and :meth:`parameter_count` read that record.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.scale, self.shift = Value(2.0), Value(0.5)
    ...         self.inner = Neuron(1, nonlin=False, seed=0)
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale', 'shift', 'inner.w.0', 'inner.b']
    """

    ARGUMENTS: ClassVar[tuple[Argument, ...]] = ()
    PARAMETER_ATTRIBUTES: ClassVar[tuple[str, ...] | None] = None
    """The attributes that hold parameters and sub-modules (``None``: every attribute)."""
    training: bool = True  # a class default, so subclasses need not call Module.__init__
    _architecture: tuple[type[Module], dict[str, Any]] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only this module's types: a file can never name (and so build) a user's class.
        if "ARGUMENTS" in cls.__dict__ and cls.__module__ == __name__:
            ARCHITECTURES[cls.__name__] = cls

    # -------------------------------------------------------------- parameters

    def _members(self, named: bool = True) -> list[tuple[Any, Any]]:
        """The Value and Module attributes (and list entries ``name.i``), in attribute order.

        Attributes whose name starts with ``_`` are private state, never members. With
        ``named=False`` names are left out (None) and a list made only of Values is one
        member, taken whole: ``parameters()`` runs at every training step, and building a
        name or a tuple per weight was most of its cost.
        """
        members: list[tuple[Any, Any]] = []
        attributes = vars(self)
        declared = type(self).PARAMETER_ATTRIBUTES
        pairs = attributes.items() if declared is None else [
            (name, attributes[name]) for name in declared if name in attributes]
        for name, value in pairs:
            if name[0] == "_":
                continue
            if isinstance(value, (Value, Module)):
                members.append((name, value))
            elif isinstance(value, (list, tuple)):
                if not named and set(map(type, value)) <= {Value}:
                    members.append((None, value))
                elif named:
                    members.extend((f"{name}.{i}", item) for i, item in enumerate(value)
                                   if _is_member(item))
                else:
                    members.extend((None, item) for item in value if _is_member(item))
        return members

    def _defines_own_parameters(self) -> bool:
        return type(self).parameters is not Module.parameters

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of :meth:`named_parameters`."""
        found: list[Value] = []
        _gather(self, "", False, found)
        return found if len(set(map(id, found))) == len(found) else _once(found, lambda p: p)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` pairs: the attribute path of each parameter, each Value once.

        >>> Neuron(2, seed=0).named_parameters()[-1]
        ('b', Value(data=0.0, grad=0.0))
        """
        found: list[tuple[str, Value]] = []
        _gather(self, "", True, found)
        return _once(found, lambda pair: pair[1])

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    # ------------------------------------------------------------------ modules

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """``(path, module)`` for this module (path ``""``) and every sub-module, depth first.

        >>> [name for name, _ in MLP(2, [3, 1], seed=0).named_modules()][:3]
        ['', 'layers.0', 'layers.0.neurons.0']
        """
        seen: set[int] = set()
        pending: list[tuple[str, Module]] = [("", self)]
        while pending:
            path, module = pending.pop()
            if id(module) in seen:  # shared sub-modules, or a module that refers back up
                continue
            seen.add(id(module))
            yield path, module
            children = [
                (f"{path}.{name}" if path else name, member)
                for name, member in module._members() if isinstance(member, Module)
            ]
            pending.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module (each once), as PyTorch's ``Module.modules``."""
        return (module for _, module in self.named_modules())

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on every module; returns self.

        >>> model = MLP(2, [3, 1], dropout=0.5, seed=0)
        >>> model.eval().dropout.training, model.train().dropout.training
        (False, True)
        """
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)`` (Dropout passes its input through)."""
        return self.train(False)

    @property
    def draws_random_numbers(self) -> bool:
        """Whether this module's own forward pass draws random numbers now (see :class:`Dropout`)."""
        return False

    # ------------------------------------------------------------- state dicts

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

    # ------------------------------------------------------------ architecture

    @classmethod
    def checked_arguments(cls, arguments: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``arguments`` checked against ``cls.ARGUMENTS``: every one known, every required present.

        The one validation of an architecture, used by the constructors and by :func:`load`.

        >>> MLP.checked_arguments({"nin": 2, "nouts": (3, 1), "activation": "tanh"}, "MLP")
        {'nin': 2, 'nouts': [3, 1], 'activation': 'tanh', 'dropout': 0.0}
        """
        known = [a.name for a in cls.ARGUMENTS]
        required = [a.name for a in cls.ARGUMENTS if a.default is _REQUIRED]
        if any(not isinstance(k, str) or k not in known for k in arguments) or any(
            name not in arguments for name in required
        ):
            optional = [name for name in known if name not in required]
            raise ValueError(
                f"{where}: the fields are {', '.join(required)}"
                + (f" (optional: {', '.join(optional)})" if optional else "")
                + f"; got {', '.join(sorted(map(str, arguments))) or 'none'}"
            )
        return {
            a.name: a.check(where, a.name, arguments.get(a.name, a.default)) for a in cls.ARGUMENTS
        }

    def _record(self, kind: type[Module], **arguments: Any) -> dict[str, Any]:
        """Check and record the architecture arguments of ``kind``; return them checked."""
        checked = kind.checked_arguments(arguments, kind.__name__)
        self._architecture = (kind, checked)
        return checked

    def _recorded(self, what: str) -> dict[str, Any]:
        record = self._architecture
        if record is None or record[0] is not type(self):
            raise TypeError(
                f"{type(self).__name__}.{what}: this module does not describe its architecture;"
                f" save one of {', '.join(ARCHITECTURES)}, or save state_dict() yourself and"
                " rebuild the model in code"
            )
        return record[1]

    def architecture(self) -> dict[str, Any]:
        """``{"type": ..., **arguments}``: what this module is and how to rebuild it.

        >>> RNNCell(1, 4).architecture()
        {'type': 'RNNCell', 'nin': 1, 'nhidden': 4, 'activation': 'tanh'}
        """
        arguments = self._recorded("architecture")
        defaults = {a.name: a.default for a in type(self).ARGUMENTS}
        shown = {k: (list(v) if isinstance(v, list) else v) for k, v in arguments.items()
                 if defaults[k] is _REQUIRED or v != defaults[k]}
        return {"type": type(self).__name__, **shown}

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        """How many parameters a module of this type with these (checked) arguments has.

        :func:`load` compares it with the weights in a file before building anything.

        >>> MLP.parameter_count(nin=2, nouts=[16, 16, 1]), len(MLP(2, [16, 16, 1]).parameters())
        (337, 337)
        """
        raise NotImplementedError(f"{cls.__name__} has no architecture to count parameters of")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and weights to ``path`` as JSON, atomically.

        See :mod:`autograd_mini.model_files` for the format and the guarantees: written in
        full to a temporary file, then renamed over ``path``, so a crash or error at any
        moment leaves either the old file or the new one. Weights must be finite (JSON has
        no NaN or infinity).

        >>> import pathlib, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> model = MLP(2, [3, 1], activation="tanh", seed=0)
        >>> model.save(pathlib.Path(folder) / "model.json")
        >>> copy = load(pathlib.Path(folder) / "model.json")
        >>> copy.state_dict() == model.state_dict(), copy.activation
        (True, 'tanh')
        """
        write_model_file(path, self.architecture(), self.state_dict())

    def __repr__(self) -> str:
        record = self._architecture
        if record is None or record[0] is not type(self):
            return super().__repr__()
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in record[1].items())})"


def _gather(module: Module, prefix: str, named: bool, found: list[Any]) -> None:
    """Append ``module``'s parameters (``(path, p)`` pairs if ``named``) to ``found``.

    The one walk behind ``parameters()`` and ``named_parameters()`` (see :meth:`Module._members`
    for which attributes count). It is written for speed, since ``parameters()`` runs at
    every training step (``zero_grad``): names are built only when asked for, and a tied
    Value is removed afterwards by :func:`_once`, not looked up at every parameter.
    """
    if module._defines_own_parameters():  # micrograd style: number what parameters() gives
        members: Iterable[tuple[str, Any]] = enumerate(module.parameters())  # type: ignore[assignment]
    elif type(module).named_parameters is not Module.named_parameters:  # its own names
        members = module.named_parameters()
    else:
        members = module._members(named)
    for name, member in members:
        if isinstance(member, Value):
            found.append((f"{prefix}{name}", member) if named else member)
        elif isinstance(member, Module):
            _gather(member, f"{prefix}{name}." if named else "", named, found)
        elif isinstance(member, list):  # a list of Values, taken whole (unnamed only)
            found.extend(member)
        else:  # not a Module, but with parameters(): a layer written for micrograd
            given = [p for p in member.parameters() if isinstance(p, Value)]
            found.extend([(f"{prefix}{name}.{i}", p) for i, p in enumerate(given)] if named else given)


def _is_member(item: Any) -> bool:
    """Whether an entry of a list attribute holds parameters: a Value, a Module, or an
    object of another kind with a ``parameters()`` method (a layer written for micrograd)."""
    return isinstance(item, (Value, Module)) or callable(getattr(item, "parameters", None))


def _once(found: list[Any], key: Callable[[Any], Value]) -> list[Any]:
    # Rarely needed: parameters() checks for repeats in one C-speed pass before calling it.
    """``found`` without repeated Values (a shared, tied Value is one parameter, as in PyTorch)."""
    seen: set[int] = set()
    unique = []
    for item in found:
        if id(key(item)) not in seen:
            seen.add(id(key(item)))
            unique.append(item)
    return unique


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
    try:
        return [_weight(name, state[name]) for name in names]
    except StateDictError as exc:
        raise StateDictError(f"{owner}.load_state_dict: {exc}") from None


def _weight(name: Any, value: Any) -> float:
    """One state-dict entry as a finite float, or StateDictError saying what it is instead."""
    try:
        return as_weight(value)
    except (TypeError, ValueError) as error:
        raise StateDictError(f"entry {brief(name)} {error}") from None


def _few(names: list[str]) -> str:
    shown = ", ".join(brief(n) for n in names[:5])
    return f"[{shown}{', ...' if len(names) > 5 else ''}]"


def stochastic_modules(model: Module) -> list[tuple[str, Module]]:
    """``(path, module)`` of every sub-module whose forward pass draws random numbers now.

    Code that records ``model(x)`` once and replays the recording (a compiled mode) would
    replay one random draw forever; it can call this and refuse (or ask for
    ``model.eval()``) when the list is not empty.

    >>> model = MLP(2, [8, 1], dropout=0.2, seed=0)
    >>> stochastic_modules(model)
    [('dropout', Dropout(p=0.2))]
    >>> stochastic_modules(model.eval())
    []
    """
    return [(path, m) for path, m in model.named_modules() if m.draws_random_numbers]


# ---------------------------------------------------------------------- building


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


_check_init = _choice(INITS)


def _activate(x: Any, activation: str) -> Any:
    # On a Value, its method (micrograd's Neuron calls act.relu(), so code that replaces
    # Value.relu changes the neurons too); on a float (as when gradcheck evaluates a model
    # at perturbed weights), the engine's float-or-Value function.
    if activation == "linear":
        return x
    if isinstance(x, Value):
        return getattr(x, activation)()
    return getattr(functions, activation)(x)  # each activation is named as its function


def _generator(seed: int | None) -> random.Random | None:
    return None if seed is None else random.Random(seed)


def _warn_width(neuron: Neuron, given: int) -> None:
    # micrograd's neuron zips weights with inputs, dropping the extra ones, and code written
    # for it (tests, notebook cells) relies on that: the same result, and a warning.
    warnings.warn(
        f"{neuron!r}: input has {given} entries, the neuron has {len(neuron.w)} weights; as in"
        f" micrograd, only the first {min(given, len(neuron.w))} pairs are summed (give one"
        " number per input, nin, to use them all)", stacklevel=3)


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

    ARGUMENTS = (Argument("nin", _size), _ACTIVATION)
    PARAMETER_ATTRIBUTES = ("w", "b")  # micrograd's parameters(): self.w + [self.b]
    activation: str = "relu"  # class defaults, for a subclass that sets w and b itself

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
        if activation is None:
            activation = "relu" if nonlin else "linear"
        self._record(Neuron, nin=nin, activation=activation)
        self.activation = activation
        self.init = _check_init("Neuron", "init", init)
        draw = _weight_drawer(init, nin, fan_out, rng if rng is not None else _generator(seed))
        self.w = [Value(draw()) for _ in range(nin)]
        self.b = Value(0)

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        return int(arguments["nin"]) + 1

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether an activation other than the identity is applied.

        Settable, as micrograd's attribute is: ``False`` makes the neuron linear, ``True``
        makes a linear one relu (micrograd's nonlinearity) and leaves another as it is.
        """
        return self.activation != "linear"

    @nonlin.setter
    def nonlin(self, value: bool) -> None:
        if bool(value) != self.nonlin:
            self.activation = "relu" if value else "linear"
            self._record(Neuron, nin=len(self.w), activation=self.activation)

    def __call__(self, x: Sequence[Any]) -> Value:
        if not isinstance(x, (list, tuple)):
            x = list(x)  # micrograd's zip takes any iterable: map(Value, xs), a generator
        if len(x) != len(self.w):
            _warn_width(self, len(x))
        # Summation starts from the bias, as in micrograd, so the digits agree:
        # sum(map(operator.mul, self.w, x), self.b), each node made without an operator call.
        act = weighted_sum(self.w, x, self.b)
        out: Value = _activate(act, self.activation)
        return out

    def __repr__(self) -> str:  # micrograd's, from what the neuron is (a subclass's too)
        return f"{ACTIVATION_NAMES.get(self.activation, 'ReLU' if self.nonlin else 'Linear')}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns a list, or one Value if ``nout == 1``.

    Keyword arguments go to every :class:`Neuron`; ``fan_out`` defaults to ``nout``. A
    ``seed`` makes one ``random.Random`` shared by the layer's neurons, in order.

    >>> [round(h.data, 4) for h in Layer(2, 3, activation="tanh", seed=0)([1.0, -1.0])]
    [0.1712, 0.3125, 0.2095]
    """

    ARGUMENTS = (Argument("nin", _size), Argument("nout", _size), _ACTIVATION)
    PARAMETER_ATTRIBUTES = ("neurons",)

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        _size("Layer", "nin", nin)
        _size("Layer", "nout", nout)
        kwargs.setdefault("fan_out", nout)
        seed = kwargs.pop("seed", None)
        if seed is not None and kwargs.get("rng") is None:
            kwargs["rng"] = random.Random(seed)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self._record(Layer, nin=nin, nout=nout, activation=self.neurons[0].activation)

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        return (int(arguments["nin"]) + 1) * int(arguments["nout"])

    def outputs(self, x: Sequence[Any]) -> list[Value]:
        """Every neuron's output, always as a list (``__call__`` unwraps a single one)."""
        return [n(x) for n in self.neurons]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers in sequence: ``activation`` after every layer but the last, which is linear.

    The defaults are micrograd's MLP exactly (relu, uniform(-1, 1) weights from the global
    ``random``). A linear last layer gives scores or logits, which is what the losses in
    :mod:`autograd_mini.losses` take. A final layer of one neuron returns a Value; a hidden
    layer of one neuron passes a one-element list on, so ``MLP(2, [16, 1, 1])`` works (in
    micrograd it fails).

    ``dropout=p`` puts a :class:`Dropout` after every hidden layer's activation (as
    ``torch.nn.Dropout`` is usually placed), active in training mode only; its masks come
    from its own generator, seeded by ``seed`` (0 when ``seed`` is None).

    >>> model = MLP(2, [4, 1], activation="tanh", init="xavier", seed=0)
    >>> len(model.parameters()), model([0.5, -0.5])  # doctest: +ELLIPSIS
    (17, Value(data=..., grad=0.0))
    """

    ARGUMENTS = (
        Argument("nin", _size), Argument("nouts", _sizes), _ACTIVATION,
        Argument("dropout", _probability, 0.0),  # added after version 1: optional
    )
    PARAMETER_ATTRIBUTES = ("layers", "dropout")
    dropout: Dropout | None = None  # a class default, for a subclass that sets layers itself

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        init: str = "micrograd",
        seed: int | None = None,
        dropout: float = 0.0,
    ) -> None:
        arguments = self._record(MLP, nin=nin, nouts=nouts, activation=activation, dropout=dropout)
        self.activation = activation
        self.init = _check_init("MLP", "init", init)
        self.seed = seed
        rng = _generator(seed)
        sizes = [nin] + arguments["nouts"]
        last = len(sizes) - 2
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activation if i != last else "linear",
                  init=init, rng=rng)
            for i in range(last + 1)
        ]
        self.dropout = Dropout(dropout, seed=seed or 0) if arguments["dropout"] > 0 else None

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        sizes = [int(arguments["nin"])] + [int(n) for n in arguments["nouts"]]
        return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out: Any = x
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if isinstance(out, Value):  # a hidden layer of one neuron: its Value, as a list
                out = [out]
            out = layer(out)  # as micrograd calls it, so a layer of the user's own works too
            if self.dropout is not None and i != last:
                out = self.dropout(out)
        return out  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


class Dropout(Module):
    """In training mode, zero each input with probability ``p`` and scale the rest by ``1/(1-p)``.

    PyTorch's ``torch.nn.Dropout``: the expected output equals the input, and in
    evaluation mode (``model.eval()``) the input passes through unchanged. The masks come
    from the module's own ``random.Random(seed)``, so a run repeats exactly and the
    global ``random`` is never touched. Takes one Value (or number) or a list of them.

    >>> drop = Dropout(0.5, seed=0)
    >>> [v.data for v in drop([Value(1.0)] * 6)]
    [2.0, 2.0, 0.0, 0.0, 2.0, 0.0]
    >>> [v.data for v in drop.eval()([Value(1.0)] * 3)]
    [1.0, 1.0, 1.0]
    """

    ARGUMENTS = (Argument("p", _probability),)

    def __init__(self, p: float = 0.5, seed: int = 0) -> None:
        self.p = self._record(Dropout, p=p)["p"]
        self._rng = random.Random(seed)

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        return 0

    @property
    def draws_random_numbers(self) -> bool:
        return self.training and self.p > 0.0

    def _drop(self, x: Any) -> Any:
        if self.p == 1.0:
            return x * 0.0
        # Multiplying (by 0.0 too) keeps every output a node of the graph, as PyTorch's mask.
        return x * (1.0 / (1.0 - self.p)) if self._rng.random() >= self.p else x * 0.0

    def __call__(self, x: Any) -> Any:
        if not self.draws_random_numbers:
            return x
        if isinstance(x, (list, tuple)):
            return [self._drop(v) for v in x]
        return self._drop(x)


# ------------------------------------------------------------------- recurrent cells


def _detached(state: Any) -> Any:
    """``state`` (Values, numbers, nested lists and tuples) with every Value detached."""
    if isinstance(state, Value):
        return state.detach()
    if isinstance(state, (list, tuple)):
        return type(state)(_detached(s) for s in state)
    return state


def _flattened(state: Any) -> list[Any]:
    if isinstance(state, (list, tuple)):
        return [leaf for s in state for leaf in _flattened(s)]
    return [state]


class RecurrentCell(Module):
    """What the recurrent cells share: the state, the step check and :meth:`unroll`.

    A cell is called as ``cell(x, state)`` and returns the next state; ``state=None``
    means :meth:`initial_state` (zeros). For :class:`RNNCell` and :class:`GRUCell` the
    state is the hidden list ``h``; for :class:`LSTMCell` it is the pair ``(h, c)``.
    :meth:`output` gives ``h`` from a state either way.
    """

    nin: int
    nhidden: int

    def initial_state(self) -> Any:
        """The usual ``h_0``: zeros."""
        return [0.0] * self.nhidden

    def output(self, state: Any) -> list[Any]:
        """The hidden vector ``h`` of a state (what a readout layer reads)."""
        return list(state)

    def _checked(self, x: Sequence[Any], h: Sequence[Any]) -> None:
        where = type(self).__name__
        if len(x) != self.nin:
            raise ValueError(f"{where}: input has {len(x)} entries, the cell expects {self.nin}")
        if len(h) != self.nhidden:
            raise ValueError(
                f"{where}: hidden state has {len(h)} entries, the cell has {self.nhidden}"
            )

    def unroll(self, xs: Sequence[Sequence[Any]], h0: Any = None) -> list[Any]:
        """``[state_0, state_1, ..., state_T]`` for the inputs ``xs = [x_1, ..., x_T]``.

        ``h0`` defaults to :meth:`initial_state` (plain floats); every later state is made
        of Values. Backpropagation through time is ``backward()`` on a loss of them.
        """
        states: list[Any] = [self.initial_state() if h0 is None else h0]
        for x in xs:
            states.append(self(x, states[-1]))
        return states

    def __call__(self, x: Sequence[Any], state: Any = None) -> Any:
        raise NotImplementedError


class RNNCell(RecurrentCell, Layer):
    """One step of a recurrent network: ``h_next = act(W_x x_t + W_h h + b)``.

    The cell *is* a :class:`Layer` of ``nhidden`` neurons reading the input and the
    previous hidden state concatenated (``nin + nhidden`` weights each: the first ``nin``
    for ``x_t``, the rest for ``h``). Unroll it over a sequence with :meth:`unroll` (or a
    loop of your own) and call ``backward()`` on a loss of the outputs: that is
    backpropagation through time, with no special machinery. Weights use ``init`` (Glorot
    uniform by default: with micrograd's uniform(-1, 1) the recurrent weights make tanh
    saturate quickly). ``torch.nn.RNNCell`` is the same with ``b = b_ih + b_hh``.

    >>> cell = RNNCell(1, 2, seed=0)
    >>> states = cell.unroll([[1.0], [0.5], [-1.0]])
    >>> len(states), len(states[-1])
    (4, 2)
    """

    ARGUMENTS = (Argument("nin", _size), Argument("nhidden", _size), _ACTIVATION)

    def __init__(
        self,
        nin: int,
        nhidden: int,
        activation: str = "tanh",
        init: str = "xavier",
        seed: int | None = None,
    ) -> None:
        arguments = RNNCell.checked_arguments(
            {"nin": nin, "nhidden": nhidden, "activation": activation}, "RNNCell")
        self.nin = nin
        self.nhidden = nhidden
        self.activation = activation
        self.init = _check_init("RNNCell", "init", init)
        self.seed = seed
        Layer.__init__(self, nin + nhidden, nhidden, activation=activation, init=init,
                       fan_out=nhidden, seed=seed)
        self._architecture = (RNNCell, arguments)

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        nin, nhidden = int(arguments["nin"]), int(arguments["nhidden"])
        return nhidden * (nin + nhidden + 1)

    def __call__(self, x: Sequence[Any], state: Sequence[Any] | None = None) -> list[Value]:
        h = self.initial_state() if state is None else state
        self._checked(x, h)
        return self.outputs(list(x) + list(h))

    __repr__ = Module.__repr__


class _GatedCell(RecurrentCell):
    """A cell with PyTorch's layout: ``gates = (W_ih x + b_ih) + (W_hh h + b_hh)``.

    ``ih`` and ``hh`` are linear :class:`Layer` s of ``gates * nhidden`` neurons, in
    PyTorch's gate order, so their weights and biases are ``weight_ih``, ``bias_ih``,
    ``weight_hh`` and ``bias_hh`` row by row.
    """

    GATES: ClassVar[int]
    PARAMETER_ATTRIBUTES = ("ih", "hh")

    def __init__(
        self, kind: type[_GatedCell], nin: int, nhidden: int, init: str, seed: int | None
    ) -> None:
        self._record(kind, nin=nin, nhidden=nhidden)
        self.nin = nin
        self.nhidden = nhidden
        self.init = _check_init(kind.__name__, "init", init)
        self.seed = seed
        rng = _generator(seed)
        width = self.GATES * nhidden
        self.ih = Layer(nin, width, activation="linear", init=init, rng=rng)
        self.hh = Layer(nhidden, width, activation="linear", init=init, rng=rng)

    @classmethod
    def parameter_count(cls, **arguments: Any) -> int:
        nin, nhidden = int(arguments["nin"]), int(arguments["nhidden"])
        return cls.GATES * nhidden * (nin + 1) + cls.GATES * nhidden * (nhidden + 1)


class LSTMCell(_GatedCell):
    """Long short-term memory, PyTorch's ``torch.nn.LSTMCell`` equations and gate order::

        i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g                        h' = o * tanh(c')

    The state is the pair ``(h, c)``. The cell path ``c`` is updated by addition, so its
    gradient passes back through time multiplied only by the forget gate ``f``: when ``f``
    is near 1 it neither vanishes nor explodes, the cure for plain RNNs' fading memory.
    Biases start at 0, weights from ``init`` (Glorot uniform by default).

    >>> cell = LSTMCell(1, 2, seed=0)
    >>> h, c = cell([1.0])
    >>> len(h), len(c), len(cell.parameters()) == 4 * 2 * (1 + 1) + 4 * 2 * (2 + 1)
    (2, 2, True)
    """

    ARGUMENTS = (Argument("nin", _size), Argument("nhidden", _size))
    GATES = 4

    def __init__(self, nin: int, nhidden: int, init: str = "xavier", seed: int | None = None) -> None:
        super().__init__(LSTMCell, nin, nhidden, init, seed)

    def initial_state(self) -> tuple[list[Any], list[Any]]:
        """``(h_0, c_0)``: zeros."""
        return [0.0] * self.nhidden, [0.0] * self.nhidden

    def output(self, state: Any) -> list[Any]:
        return list(state[0])

    def __call__(
        self, x: Sequence[Any], state: tuple[Sequence[Any], Sequence[Any]] | None = None
    ) -> tuple[list[Value], list[Value]]:
        if state is None:
            state = self.initial_state()
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise ValueError("LSTMCell: the state must be a pair (h, c) of hidden lists")
        h, c = state
        self._checked(x, h)
        if len(c) != self.nhidden:
            raise ValueError(f"LSTMCell: cell state has {len(c)} entries, the cell has {self.nhidden}")
        n = self.nhidden
        gates = [a + b for a, b in zip(self.ih.outputs(x), self.hh.outputs(h))]
        i = [sigmoid(z) for z in gates[0:n]]
        f = [sigmoid(z) for z in gates[n:2 * n]]
        g = [tanh(z) for z in gates[2 * n:3 * n]]
        o = [sigmoid(z) for z in gates[3 * n:]]
        c_next = [fj * cj + ij * gj for fj, cj, ij, gj in zip(f, c, i, g)]
        h_next = [oj * tanh(cj) for oj, cj in zip(o, c_next)]
        return h_next, c_next


class GRUCell(_GatedCell):
    """Gated recurrent unit, PyTorch's ``torch.nn.GRUCell`` equations and gate order::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h                  (computed as n + z * (h - n), as PyTorch does)

    The state is the hidden list ``h``. Biases start at 0, weights from ``init``.

    >>> cell = GRUCell(1, 3, seed=0)
    >>> len(cell.unroll([[1.0], [0.0]])[-1]), len(cell.parameters())
    (3, 54)
    """

    ARGUMENTS = (Argument("nin", _size), Argument("nhidden", _size))
    GATES = 3

    def __init__(self, nin: int, nhidden: int, init: str = "xavier", seed: int | None = None) -> None:
        super().__init__(GRUCell, nin, nhidden, init, seed)

    def __call__(self, x: Sequence[Any], state: Sequence[Any] | None = None) -> list[Value]:
        h = self.initial_state() if state is None else state
        self._checked(x, h)
        n = self.nhidden
        gi, gh = self.ih.outputs(x), self.hh.outputs(h)
        r = [sigmoid(a + b) for a, b in zip(gi[0:n], gh[0:n])]
        z = [sigmoid(a + b) for a, b in zip(gi[n:2 * n], gh[n:2 * n])]
        new = [tanh(a + rj * b) for a, rj, b in zip(gi[2 * n:], r, gh[2 * n:])]
        return [nj + zj * (hj - nj) for nj, zj, hj in zip(new, z, h)]


def truncated_bptt(
    cell: RecurrentCell,
    xs: Sequence[Sequence[Any]],
    step_loss: Callable[[int, list[Value]], Value | None],
    k: int,
    h0: Any = None,
    optimizer: Optimizer | None = None,
) -> tuple[list[float], Any]:
    """Truncated backpropagation through time: backward every ``k`` steps, memory bounded by ``k``.

    The sequence ``xs`` is cut into chunks of ``k`` steps. Each chunk is unrolled from the
    state the previous one ended in, *detached* (a plain value: no gradient flows back
    past the cut), ``step_loss(t, h_t)`` is summed over its steps (``t`` counts from 1
    over the whole sequence, ``h_t`` is the cell's :meth:`~RecurrentCell.output`; return
    ``None`` for a step without a loss), and ``backward()`` runs on that sum. So only one
    chunk's graph is alive at a time, whatever the sequence length. This is PyTorch's
    usual loop (``h = h.detach()`` at every cut) step for step.

    Without ``optimizer`` the gradients of all chunks accumulate in ``.grad`` (zero them
    first); with one, each chunk does ``zero_grad()``, ``backward()`` and ``step()``.
    Returns the chunks' losses and the final state (detached).

    >>> cell = RNNCell(1, 2, seed=0)
    >>> xs = [[1.0], [0.5], [-1.0], [0.25], [0.0]]
    >>> chunk_losses, state = truncated_bptt(cell, xs, lambda t, h: h[0] * h[0], k=2)
    >>> len(chunk_losses), all(not v.parents for v in state)
    (3, True)
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"truncated_bptt: k must be a positive int (steps per chunk), got {k!r}")
    state = cell.initial_state() if h0 is None else h0
    chunk_losses = []
    for start in range(0, len(xs), k):
        states = cell.unroll(xs[start:start + k], _detached(state))
        terms = [step_loss(start + t, cell.output(s)) for t, s in enumerate(states[1:], start=1)]
        present = [term for term in terms if term is not None]
        state = states[-1]
        if not present:
            continue
        loss = sum(present[1:], present[0])
        if optimizer is not None:
            optimizer.zero_grad()
        loss.backward()
        if optimizer is not None:
            optimizer.step()
        chunk_losses.append(loss.data)
    return chunk_losses, _detached(state)


# ----------------------------------------------------------------- gradient norms


def gradient_norms_through_time(loss: Value, states: Sequence[Any]) -> list[float]:
    """The norm of d loss / d state_t for every state of an unrolled recurrent cell.

    ``states`` is what :meth:`RecurrentCell.unroll` returns (or any list of hidden-state
    lists); an LSTM state ``(h, c)`` counts both (pass ``[c for h, c in states]`` for the
    cell path alone). The derivatives come from :func:`autograd_mini.engine.gradients`, so
    no ``.grad`` is touched; a state the loss does not depend on (or a plain-float
    ``h_0``) has norm 0. Plot the list against t: a curve falling by orders of magnitude
    toward t = 0 is a vanishing gradient, a rising one an exploding gradient.

    >>> cell = RNNCell(1, 2, seed=0)
    >>> states = cell.unroll([[1.0], [1.0], [1.0]])
    >>> loss = states[-1][0] * states[-1][0]
    >>> norms = gradient_norms_through_time(loss, states)
    >>> len(norms), norms[0], norms[-1] > 0
    (4, 0.0, True)
    """
    grads = gradients(loss)
    return [
        l2_norm([float(grads.get(h, 0.0)) if isinstance(h, Value) else 0.0
                 for h in _flattened(state)])
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

# Up to this many parameters beyond what the file holds, the model is built so that the
# mismatch can be reported entry by entry; past it, refused before anything is allocated.
_BUILD_SLACK = 100_000


def load(path: str | os.PathLike[str]) -> Module:
    """Read a model written by :meth:`Module.save` and return a new model of that architecture.

    The format is described in :mod:`autograd_mini.model_files`. ``architecture.type`` is
    one of :data:`ARCHITECTURES` (``"MLP"``: nin, nouts, activation, optional dropout;
    ``"Layer"``: nin, nout, activation; ``"Neuron"``: nin, activation; ``"RNNCell"``: nin,
    nhidden, activation; ``"LSTMCell"`` and ``"GRUCell"``: nin, nhidden; ``"Dropout"``: p).
    ``parameters`` maps every name of ``named_parameters()`` to a finite number, written as
    Python's shortest float repr, so weights round-trip bit for bit.

    Everything is checked before anything is built: the file (a regular file, at most
    ``model_files.MAX_FILE_BYTES``), the JSON, the document's fields, the architecture
    (with the checks its constructor uses), every weight, and the parameter count the
    architecture implies against the weights the file holds. Nothing in the file is
    executed. Every problem raises :class:`ModelFileError` (a ``ValueError``) naming the
    file and the problem; a path that is not a str or ``os.PathLike`` raises ``TypeError``.
    Loading does not use or change the global ``random`` state.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cell.json"
    >>> RNNCell(1, 3, seed=4).save(path)
    >>> load(path)
    RNNCell(nin=1, nhidden=3, activation='tanh')
    """
    document = read_model_file(path, "load")
    where = document.where
    kind = document.architecture["type"]
    cls = ARCHITECTURES.get(kind)
    if cls is None:
        raise ModelFileError(
            f"{where}: unknown architecture type {brief(kind)}; expected one of"
            f" {', '.join(ARCHITECTURES)}"
        )
    fields = {k: v for k, v in document.architecture.items() if k != "type"}
    try:
        arguments = cls.checked_arguments(fields, f"the {kind} architecture")
    except ValueError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    try:
        for name, value in document.parameters.items():
            _weight(name, value)
    except StateDictError as exc:
        raise ModelFileError(f"{where}: the weights do not fit the architecture: {exc}") from None
    given = len(document.parameters)
    expected = cls.parameter_count(**arguments)
    if expected != given and expected > 4 * given + _BUILD_SLACK:
        raise ModelFileError(
            f"{where}: the weights do not fit the architecture: a {kind} with these sizes has"
            f" {expected} parameters, the file has {given}"
        )
    # The weights are overwritten right after, so draw them from a private generator:
    # loading a model never disturbs the global random state.
    build: Callable[..., Module] = cls  # every built-in type takes its arguments and a seed
    model = build(**arguments, seed=0)
    try:
        model.load_state_dict(document.parameters)
    except StateDictError as exc:
        raise ModelFileError(f"{where}: the weights do not fit the architecture: {exc}") from None
    return model
