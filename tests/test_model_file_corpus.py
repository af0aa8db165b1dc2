"""Hostile model files: a corpus with the error each must give, special files, and properties.

Every file below must raise ModelFileError (a ValueError) naming the file and the problem,
and nothing else: no TypeError, MemoryError, RecursionError or hang. Hypothesis then throws
random bytes, random JSON and randomly damaged model documents at ``nn.load`` and checks
that only the documented errors come out and that the work done is bounded by the size of
the file (the size guard: no model much larger than the weights in the file is built).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from autograd_mini import model_files, nn
from autograd_mini.nn import ModelFileError, load

HEADER = '{"format":"autograd-mini-model","version":1,'
HUGE_MLP = '"architecture":{"type":"MLP","nin":1000,"nouts":[1000,1000],"activation":"relu"}'
GOOD_NEURON = '"architecture":{"type":"Neuron","nin":1,"activation":"relu"}'


def _document(architecture: Any, parameters: Any = None) -> bytes:
    return json.dumps({"format": "autograd-mini-model", "version": 1,
                       "architecture": architecture,
                       "parameters": {} if parameters is None else parameters}).encode()


# (id, file content, a fragment the ModelFileError must contain)
CORPUS: list[tuple[str, bytes, str]] = [
    # issue 15, item 1: the size guard was skipped when "parameters" was not an object
    ("parameters-list", f'{HEADER}{HUGE_MLP},"parameters":[]}}'.encode(),
     "'parameters' must be an object mapping each parameter name to a number, got list []"),
    ("parameters-null", f'{HEADER}{HUGE_MLP},"parameters":null}}'.encode(), "got NoneType None"),
    ("parameters-string", f'{HEADER}{HUGE_MLP},"parameters":"x"}}'.encode(), "got str 'x'"),
    ("parameters-zero", f'{HEADER}{HUGE_MLP},"parameters":0}}'.encode(), "got int 0"),
    ("huge-mlp-no-weights", f'{HEADER}{HUGE_MLP},"parameters":{{}}}}'.encode(),
     "a MLP with these sizes has 2002000 parameters, the file has 0"),
    ("huge-lstm", _document({"type": "LSTMCell", "nin": 10**6, "nhidden": 10**6}),
     "parameters, the file has 0"),
    ("astronomical-layer", _document({"type": "Layer", "nin": 10**300, "nout": 10**300,
                                      "activation": "relu"}), "parameters, the file has 0"),
    ("many-tiny-layers", _document({"type": "MLP", "nin": 1, "nouts": [1] * 200_000,
                                    "activation": "relu"}), "parameters, the file has 0"),
    # issue 15, item 4: an unhashable "type"
    ("type-list", _document({"type": ["MLP"], "nin": 1}), "unknown architecture type ['MLP']"),
    ("type-dict", _document({"type": {"MLP": 1}}), "unknown architecture type {'MLP': 1}"),
    ("type-int", _document({"type": 3}), "unknown architecture type 3"),
    ("type-missing", _document({"nin": 3}), "unknown architecture type None"),
    ("type-base-class", _document({"type": "Module"}), "unknown architecture type 'Module'"),
    ("type-dunder", _document({"type": "__class__"}), "unknown architecture type '__class__'"),
    ("architecture-string", _document("MLP"), "'architecture' must be an object, got 'MLP'"),
    ("nin-bool", _document({"type": "Neuron", "nin": True, "activation": "relu"}),
     "the Neuron architecture: nin must be a positive int, got True"),
    ("nin-float", _document({"type": "Neuron", "nin": 2.0, "activation": "relu"}),
     "nin must be a positive int, got 2.0"),
    ("nouts-with-bool", _document({"type": "MLP", "nin": 1, "nouts": [2, True],
                                   "activation": "relu"}),
     "every layer size in nouts must be a positive int, got True"),
    ("nouts-dict", _document({"type": "MLP", "nin": 1, "nouts": {"a": 1}, "activation": "relu"}),
     "nouts must be a non-empty list of layer sizes"),
    ("activation-list", _document({"type": "RNNCell", "nin": 1, "nhidden": 1,
                                   "activation": ["tanh"]}), "unknown activation ['tanh']"),
    ("dropout-above-one", _document({"type": "Dropout", "p": 2}),
     "p must be a probability in [0, 1], got 2"),
    ("mlp-dropout-string", _document({"type": "MLP", "nin": 1, "nouts": [1], "activation": "relu",
                                      "dropout": "0.5"}), "dropout must be a probability"),
    ("extra-field", _document({"type": "Dropout", "p": 0.5, "seed": 3}),
     "the fields are p; got p, seed"),
    ("weight-dict", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":{{}},"b":0}}}}'.encode(),
     "entry 'w.0' is dict {}"),
    ("weight-bool", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":true,"b":0}}}}'.encode(),
     "entry 'w.0' is bool True"),
    ("weight-overflows-to-inf", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":1e400,"b":0}}}}'
     .encode(), "entry 'w.0' is inf; weights must be finite"),
    ("weight-huge-int", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":1{"0" * 400},"b":0}}}}'
     .encode(), "is a number too large for a float"),
    ("weight-5000-digits", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":{"9" * 5000},"b":0}}}}'
     .encode(), "digits"),
    ("weight-nan", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":NaN,"b":0}}}}'.encode(),
     "holds NaN"),
    ("weight-names-wrong", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.1":0.5,"b":0}}}}'.encode(),
     "missing 1 entry ['w.0']; 1 unexpected entry ['w.1']"),
    ("version-bool", f'{{"format":"autograd-mini-model","version":true,{GOOD_NEURON},'
     '"parameters":{}}'.encode(), "'version' must be a positive int, got True"),
    ("version-float", f'{{"format":"autograd-mini-model","version":1.0,{GOOD_NEURON},'
     '"parameters":{}}'.encode(), "'version' must be a positive int, got 1.0"),
    ("version-future", f'{{"format":"autograd-mini-model","version":99,{GOOD_NEURON},'
     '"parameters":{}}'.encode(), "format version 99 is newer"),
    ("format-missing", b'{"version":1,"architecture":{},"parameters":{}}',
     "not an autograd-mini model file"),
    ("json-array", b"[1, 2, 3]", "not an autograd-mini model file"),
    ("json-string", b'"autograd-mini-model"', "not an autograd-mini model file"),
    ("deep-nesting", b"[" * 200_000, "nested too deeply"),
    ("deep-objects", b'{"a":' * 100_000, "nested too deeply"),
    ("truncated", f'{HEADER}{GOOD_NEURON},"parameters":{{"w.0":0.'.encode(),
     "not valid JSON"),
    ("utf8-bom", b"\xef\xbb\xbf" + _document({"type": "Dropout", "p": 0.5}), "not valid JSON"),
    ("utf16", _document({"type": "Dropout", "p": 0.5}).decode().encode("utf-16"), "not UTF-8"),
    ("pickle", b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.", "not UTF-8"),
    ("whitespace-only", b" \n\t\n", "the file is empty"),
    ("empty", b"", "the file is empty"),
    ("nul-bytes", b"\x00" * 64, "not valid JSON"),
    ("megabyte-activation", _document({"type": "Neuron", "nin": 1, "activation": "x" * 10**6}),
     "unknown activation 'xxxx"),
]


@pytest.mark.parametrize(("content", "fragment"), [(c, f) for _, c, f in CORPUS],
                         ids=[name for name, _, _ in CORPUS])
def test_every_hostile_file_gives_its_model_file_error(tmp_path: Path, content: bytes,
                                                       fragment: str) -> None:
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as caught:
        load(path)
    message = str(caught.value)
    assert fragment in message
    assert message.startswith(f"load({str(path)!r}): ")
    assert len(message) < 1000  # a hostile value is shown shortened, never in full


def test_the_141_byte_file_of_the_report_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(f'{HEADER}{HUGE_MLP},"parameters":[]}}'.encode())
    assert len(path.read_bytes()) == 141
    with (mock.patch.object(nn.Neuron, "__init__", side_effect=AssertionError("built")),
          pytest.raises(ModelFileError, match="'parameters' must be an object")):
        load(path)


# ------------------------------------------------------------------ special files

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def _load_in_thread(path: Any) -> BaseException | None:
    """load(path) in a thread; a load that never returns would leave it running."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load(path)
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)  # a generous bound on a hang, not a timing check
    assert not thread.is_alive(), f"load({path!r}) did not return"
    return outcome[0]


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    error = _load_in_thread(fifo)
    assert isinstance(error, ModelFileError)
    assert "it is a named pipe (FIFO), not a regular file" in str(error)


@posix_only
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_and_a_link_to_it_are_refused_without_reading(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", link):
        error = _load_in_thread(path)
        assert isinstance(error, ModelFileError)
        assert "it is a character device, not a regular file" in str(error)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="cannot read the file: it is a folder"):
        load(tmp_path)


def test_a_file_larger_than_any_model_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with open(path, "wb") as file:  # sparse: no disk used, but fstat reports the size
        file.truncate(model_files.MAX_FILE_BYTES + 1)
    with (mock.patch.object(model_files.os, "read", side_effect=AssertionError("read")),
          pytest.raises(ModelFileError, match=r"bytes or more, over the 268435456")):
        load(path)


def test_the_read_stops_at_the_cap_even_if_the_size_was_small(tmp_path: Path) -> None:
    # A file that grows after fstat (or a size the OS misreports) is still cut off.
    path = tmp_path / "m.json"
    path.write_bytes(_document({"type": "Dropout", "p": 0.5}))
    with mock.patch.object(model_files, "MAX_FILE_BYTES", 20):
        real_fstat = os.fstat

        def small_fstat(fd: int) -> Any:
            result = real_fstat(fd)
            return os.stat_result((result.st_mode, *tuple(result)[1:6], 10, *tuple(result)[7:]))

        with (mock.patch.object(model_files.os, "fstat", side_effect=small_fstat),
              pytest.raises(ModelFileError, match="21 bytes or more, over the 20")):
            load(path)


def test_a_path_with_a_nul_character_is_a_model_file_error() -> None:
    with pytest.raises(ModelFileError, match=r"load\('a\\x00b'\): the path contains a NUL"):
        load("a\x00b")


def test_a_path_that_is_not_a_path_is_a_type_error() -> None:
    for bad in (3, None, 2.5, ["m.json"]):
        with pytest.raises(TypeError, match=r"load: the path must be a str or os\.PathLike"):
            load(bad)  # type: ignore[arg-type]


def test_a_good_file_still_loads_through_every_check(tmp_path: Path) -> None:
    for model in (nn.MLP(2, [3, 1], dropout=0.25, seed=0), nn.LSTMCell(2, 3, seed=1),
                  nn.GRUCell(1, 2, seed=2), nn.Dropout(0.1)):
        model.save(tmp_path / "m.json")
        copy = load(tmp_path / "m.json")
        assert copy.architecture() == model.architecture()
        assert copy.state_dict() == model.state_dict()


# ---------------------------------------------------------------------- properties

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # the suite without the testing extra: skip only these
    given = None

needs_hypothesis = pytest.mark.skipif(given is None, reason="needs Hypothesis (the testing extra)")


class _BuildMeter:
    """Counts the weights of every Neuron built while it is active."""

    def __init__(self) -> None:
        self.weights = 0

    def __enter__(self) -> _BuildMeter:
        real = nn.Neuron.__init__
        meter = self

        def counting(neuron: nn.Neuron, nin: int, *args: Any, **kwargs: Any) -> None:
            meter.weights += int(nin) + 1
            real(neuron, nin, *args, **kwargs)

        self._patch = mock.patch.object(nn.Neuron, "__init__", counting)
        self._patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()


def _load_bytes(content: bytes) -> None:
    """load() a file with ``content``: only ModelFileError, and bounded work."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.json"
        path.write_bytes(content)
        with _BuildMeter() as meter:
            try:
                model = load(path)
            except ModelFileError as error:
                assert str(error).startswith("load(")
            else:
                assert isinstance(model, nn.Module)
        # The guard: nothing much larger than the weights the file can hold is built.
        assert meter.weights <= 4 * len(content) + 100_000 + 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children,
                                                                      max_size=4),
    max_leaves=20,
)
FIELD_NAMES = ["nin", "nout", "nouts", "nhidden", "activation", "dropout", "p", "type", "x"]
FIELD_VALUES = (
    st.integers(min_value=-3, max_value=10**7)
    | st.lists(st.integers(min_value=-1, max_value=10**6), max_size=4)
    | st.sampled_from(list(nn.ACTIVATIONS)) | st.floats(min_value=-1, max_value=2) | JSON
)
ARCHITECTURE = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from([*nn.ARCHITECTURES, "Module", "Conv2d"]) | JSON,
    st.dictionaries(st.sampled_from(FIELD_NAMES), FIELD_VALUES, max_size=5),
)
PARAMETERS = st.dictionaries(
    st.sampled_from(["w.0", "b", "neurons.0.w.0", "neurons.0.b", "p"]) | st.text(max_size=5),
    st.floats(allow_nan=False) | st.integers() | JSON, max_size=6,
) | JSON
DOCUMENT = st.fixed_dictionaries(
    {"format": st.just("autograd-mini-model") | JSON, "version": st.just(1) | JSON},
    optional={"architecture": ARCHITECTURE | JSON, "parameters": PARAMETERS, "extra": JSON},
)


@needs_hypothesis
def test_random_bytes_give_only_model_file_errors() -> None:
    @settings(max_examples=150)
    @given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
    def check(content: bytes) -> None:
        _load_bytes(content)

    check()


@needs_hypothesis
def test_random_json_gives_only_model_file_errors() -> None:
    @settings(max_examples=150)
    @given(JSON)
    def check(document: Any) -> None:
        _load_bytes(json.dumps(document).encode())

    check()


@needs_hypothesis
def test_damaged_model_documents_give_only_model_file_errors_and_bounded_work() -> None:
    @settings(max_examples=300)
    @given(DOCUMENT)
    def check(document: dict[str, Any]) -> None:
        _load_bytes(json.dumps(document).encode())

    check()
