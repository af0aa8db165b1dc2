"""The model file format: reading one safely, checking its whole shape, writing one atomically.

A model file is JSON (UTF-8), version 1::

    {
     "format": "autograd-mini-model",
     "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu"},
     "parameters": {"layers.0.neurons.0.w.0": 0.23550571390294128, ...}
    }

This module owns the bytes and the JSON: it knows nothing of the module types, so it
imports nothing of the package but :mod:`autograd_mini.files`. What an architecture means
(which types exist, their fields, how many weights they have) is the business of
:mod:`autograd_mini.nn`, which builds the model from a :class:`ModelDocument`.

Reading is defensive, because a model file may come from anywhere:

* only a regular file is read (a FIFO would block forever, ``/dev/zero`` never ends): the
  path is opened without blocking and checked with ``fstat`` on the open descriptor, so a
  file swapped in between a check and the read cannot slip through;
* at most :data:`MAX_FILE_BYTES` are read;
* nothing is executed (plain ``json``, no pickle); NaN and infinity are refused, JSON
  nested too deeply is refused instead of exhausting the stack;
* the document's whole shape (fields, their types, ``parameters`` an object) is checked
  before the caller builds anything.

Every problem is a :class:`ModelFileError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autograd_mini import files
from autograd_mini.files import write_atomically

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "ModelDocument",
    "ModelFileError",
    "as_weight",
    "brief",
    "read_model_file",
    "write_model_file",
]

FORMAT_NAME = "autograd-mini-model"
"""The ``"format"`` field of a saved model file."""

FORMAT_VERSION = 1
"""The ``"version"`` field written by :func:`write_model_file`; versions <= this are read."""

MAX_FILE_BYTES = 256 * 2**20
"""The largest model file read (256 MiB, about five million weights).

A scalar engine holds each weight as a Python object: a model of that size already needs
gigabytes of memory, so a larger file is refused before it is read.
"""

_FIELDS = ("format", "version", "architecture", "parameters")

# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
class ModelFileError(ValueError):
    """A model file cannot be loaded: missing, unreadable, not JSON, truncated or malformed."""


_brief = reprlib.Repr()
_brief.maxstring = _brief.maxother = 60
_brief.maxlist = _brief.maxdict = 8


def brief(value: Any) -> str:
    """``repr(value)``, shortened: a hostile file must not turn an error message into megabytes.

    >>> brief(list(range(100)))
    '[0, 1, 2, 3, 4, 5, 6, 7, ...]'
    >>> brief("gelu")
    "'gelu'"
    """
    return _brief.repr(value)


def as_weight(value: Any) -> float:
    """``value`` as a weight, a finite float; else ``TypeError`` or ``ValueError`` saying
    what it is instead (``"is nan; weights must be finite"``), for the caller to prefix.

    The one test of a weight, for files written (``save``) and read (``load_state_dict``).
    """
    # bool is an int to Python, but True as a weight is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"is {type(value).__name__} {brief(value)}; every weight must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int beyond 1.8e308 (JSON allows any number of digits)
        raise ValueError("is a number too large for a float (over 1.8e308); weights must be"
                         " finite") from None
    if not math.isfinite(number):
        raise ValueError(f"is {number!r}; weights must be finite")
    return number


@dataclass(frozen=True)
class ModelDocument:
    """A model file whose shape has been checked: what :func:`read_model_file` returns.

    ``architecture`` is a dict with a string ``"type"``; ``parameters`` a dict from names to
    the raw JSON values (checked to be weights by the model that receives them). ``where``
    names the call and the file, for error messages.
    """

    architecture: dict[str, Any]
    parameters: dict[str, Any]
    where: str


def read_model_file(path: str | os.PathLike[str], caller: str = "load") -> ModelDocument:
    """Read the model file at ``path`` and check its shape; :class:`ModelFileError` if it is wrong.

    ``caller`` names the public function in error messages (``load('m.json'): ...``).

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> write_model_file(path, {"type": "Neuron", "nin": 1, "activation": "relu"},
    ...                  {"w.0": 0.5, "b": 0.0})
    >>> read_model_file(path).parameters
    {'w.0': 0.5, 'b': 0.0}
    >>> read_model_file("/dev/zero")  # it would never end: refused before reading
    Traceback (most recent call last):
    ...
    autograd_mini.model_files.ModelFileError: load('/dev/zero'): cannot read the file: it is \
a character device, not a regular file
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{caller}: the path must be a str or os.PathLike, got {type(path).__name__}")
    where = f"{caller}({os.fspath(path)!r})"  # a path is at most a few KB: shown whole
    raw = _read_regular_file(path, where)
    document = _parse(raw, where)
    return _checked_document(document, where)


def write_model_file(
    path: str | os.PathLike[str], architecture: Mapping[str, Any], parameters: Mapping[str, Any]
) -> None:
    """Write a model file (see the module docstring) atomically; the weights must be finite.

    The file is written by :func:`autograd_mini.files.write_atomically`: in full to a
    temporary file, then renamed over ``path``, so an error at any moment leaves either the
    old file or the new one. Python writes a float as its shortest repr, which reads back
    bit for bit.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> write_model_file(path, {"type": "Dropout", "p": 0.5}, {})
    >>> path.read_text().splitlines()[1]
    ' "format": "autograd-mini-model",'
    """
    weights: dict[str, float] = {}
    for name, value in parameters.items():
        try:
            weights[name] = as_weight(value)
        except (TypeError, ValueError) as error:
            fix = ("set its .data to a float" if isinstance(error, TypeError) else
                   "JSON cannot hold NaN or infinity. Fix the training that produced it (or"
                   " reload a good checkpoint) first")
            raise type(error)(f"save: parameter {name!r} {error}; {fix}") from None
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "architecture": dict(architecture),
        "parameters": weights,
    }
    write_atomically(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def _read_regular_file(path: str | os.PathLike[str], where: str) -> bytes:
    try:
        return files.read_regular_file(path, MAX_FILE_BYTES)
    except files.FileTooLargeError as exc:
        raise _too_large(where, exc.size) from None
    except FileNotFoundError:
        raise ModelFileError(f"{where}: no such file; check the path") from None
    except ValueError:  # the OS cannot even be asked: a path with a NUL character
        raise ModelFileError(f"{where}: the path contains a NUL character; check the path") from None
    except OSError as exc:
        raise ModelFileError(f"{where}: cannot read the file: {exc.strerror or exc}") from None


def _too_large(where: str, size: int) -> ModelFileError:
    return ModelFileError(
        f"{where}: the file has {size} bytes or more, over the {MAX_FILE_BYTES} that any model"
        " file this engine can hold needs (model_files.MAX_FILE_BYTES); not a model file"
    )


def _reject_constant(name: str) -> float:
    raise ValueError(f"the file holds {name}, which is not a valid weight (weights are finite)")


def _parse(raw: bytes, where: str) -> Any:
    if not raw.strip():
        raise ModelFileError(f"{where}: the file is empty (was the save interrupted?)")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ModelFileError(f"{where}: not a model file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno});"
            " the file is truncated or not a model file"
        ) from None
    except ValueError as exc:  # a NaN constant, or an integer of more than 4300 digits
        raise ModelFileError(f"{where}: {exc}") from None
    except RecursionError:  # json nests by recursion: thousands of [ or { exhaust the stack
        raise ModelFileError(
            f"{where}: the JSON is nested too deeply to read; not a model file (a model file"
            " nests 3 levels)"
        ) from None


def _checked_document(document: Any, where: str) -> ModelDocument:
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ModelFileError(
            f"{where}: not an autograd-mini model file (no \"format\": \"{FORMAT_NAME}\")"
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{where}: 'version' must be a positive int, got {brief(version)}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{where}: format version {version} is newer than this autograd-mini reads"
            f" ({FORMAT_VERSION}); upgrade autograd-mini"
        )
    unknown = sorted(set(document) - set(_FIELDS))
    if unknown:
        raise ModelFileError(f"{where}: unexpected fields {brief(unknown)}")
    if "architecture" not in document or "parameters" not in document:
        raise ModelFileError(f"{where}: the file needs both 'architecture' and 'parameters'")
    architecture = document["architecture"]
    if not isinstance(architecture, dict):
        raise ModelFileError(
            f"{where}: 'architecture' must be an object, got {brief(architecture)}"
        )
    kind = architecture.get("type")
    if not isinstance(kind, str):
        raise ModelFileError(
            f"{where}: unknown architecture type {brief(kind)}; 'architecture.type' must be"
            " the name of a module type, such as \"MLP\""
        )
    parameters = document["parameters"]
    if not isinstance(parameters, dict):
        raise ModelFileError(
            f"{where}: 'parameters' must be an object mapping each parameter name to a"
            f" number, got {type(parameters).__name__} {brief(parameters)}"
        )
    return ModelDocument(architecture, parameters, where)
