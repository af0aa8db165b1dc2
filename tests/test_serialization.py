"""save/load: exact round trip, the documented format, atomic writes, and every way a file
can be wrong raising ModelFileError (a ValueError) without executing anything."""

from __future__ import annotations

import json
import math
import os
import random
import stat
import sys
from pathlib import Path

import pytest

from autograd_mini import files, nn
from autograd_mini.nn import MLP, Layer, ModelFileError, Neuron, RNNCell, load


@pytest.mark.parametrize("model", [
    MLP(2, [16, 16, 1], seed=0),
    MLP(3, [4, 3], activation="sigmoid", init="xavier", seed=1),
    MLP(2, [5, 1, 1], activation="tanh", seed=2),
    Layer(3, 2, activation="linear", seed=3),
    Neuron(4, activation="tanh", seed=4),
    RNNCell(2, 3, activation="relu", seed=5),
], ids=lambda m: type(m).__name__)
def test_round_trip_is_bit_exact_with_the_same_architecture(model, tmp_path: Path) -> None:
    # awkward floats: subnormal, huge, tiny, negative zero, many digits
    awkward = [5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, -0.0, 0.1 + 0.2]
    for p, value in zip(model.parameters(), awkward):
        p.data = value
    path = tmp_path / "model.json"
    model.save(path)
    copy = load(path)
    assert type(copy) is type(model)
    assert copy.architecture() == model.architecture()
    original, loaded = model.state_dict(), copy.state_dict()
    assert list(loaded) == list(original)
    assert all(
        loaded[k] == original[k] and math.copysign(1.0, loaded[k]) == math.copysign(1.0, original[k])
        for k in original
    )
    assert str(copy) == str(model)


def test_the_file_is_the_documented_json(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model.save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert document["format"] == "autograd-mini-model" == nn.FORMAT_NAME
    assert document["version"] == 1 == nn.FORMAT_VERSION
    assert document["architecture"] == {
        "type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "tanh",
    }
    assert document["parameters"] == model.state_dict()
    assert set(document) == {"format", "version", "architecture", "parameters"}


def test_loading_does_not_touch_global_random(tmp_path: Path) -> None:
    MLP(2, [8, 1], seed=0).save(tmp_path / "m.json")
    random.seed(3)
    state = random.getstate()
    load(tmp_path / "m.json")
    assert random.getstate() == state


def test_non_finite_weights_are_refused_on_save_and_the_old_file_stays(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model = MLP(2, [2, 1], seed=0)
    model.save(path)
    before = path.read_bytes()
    model.layers[0].neurons[1].w[0].data = math.nan
    with pytest.raises(ValueError, match=r"'layers.0.neurons.1.w.0' is nan"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


# ----------------------------------------------------------------- atomic saving


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.json"
    old = MLP(2, [3, 1], seed=0)
    old.save(path)
    before = path.read_bytes()

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]
    assert load(path).state_dict() == old.state_dict()


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    before = path.read_bytes()

    def failing_replace(src, dst) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_writes_through_a_temporary_in_the_same_folder(tmp_path, monkeypatch) -> None:
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src, dst) -> None:
        renames.append((os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", recording_replace)
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(str(path))
    [(src, dst)] = renames
    real_folder = os.path.realpath(tmp_path)
    assert os.path.dirname(src) == real_folder and src != dst
    assert dst == os.path.join(real_folder, "m.json")


posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_saving_over_a_file_keeps_its_permissions(tmp_path: Path, mode: int) -> None:
    # mkstemp makes 0600 files and the rename used to carry that over every saved model.
    path = tmp_path / "m.json"
    path.write_text("old")
    path.chmod(mode)
    MLP(2, [3, 1], seed=0).save(path)
    assert _mode(path) == mode
    assert load(path).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_a_new_file_gets_the_permissions_the_umask_gives(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        files.write_atomically(tmp_path / "new.txt", "text")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "new.txt") == 0o666 & ~umask
    assert (tmp_path / "new.txt").read_text() == "text"


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32",
                    reason="symbolic links")
def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "v2.json"
    MLP(2, [3, 1], seed=0).save(real)
    link = tmp_path / "current.json"
    link.symlink_to(Path("models") / "v2.json")  # relative, as links usually are
    model = MLP(2, [3, 1], seed=7)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("models", "v2.json")
    assert load(real).state_dict() == model.state_dict()
    assert sorted(os.listdir(tmp_path)) == ["current.json", "models"]
    assert os.listdir(tmp_path / "models") == ["v2.json"]  # no temporary left behind


def test_write_atomically_takes_bytes_and_text_and_writes_them_exactly(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    files.write_atomically(path, b"\x00\r\n\xff")
    assert path.read_bytes() == b"\x00\r\n\xff"
    files.write_atomically(str(path), "ä\n")
    assert path.read_bytes() == "ä\n".encode()  # UTF-8, no newline translation
    with pytest.raises(FileNotFoundError):
        files.write_atomically(tmp_path / "no" / "f.txt", "x")
    assert os.listdir(tmp_path) == ["f.bin"]


# ------------------------------------------------------------------- bad files


def _saved(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    return path, json.loads(path.read_text())


def _write(path: Path, document) -> None:
    path.write_text(json.dumps(document))


def _edit(**changes):
    def edit(document: dict) -> dict:
        document.update(changes)
        return document
    return edit


def _edit_parameters(fn):
    def edit(document: dict) -> dict:
        fn(document["parameters"])
        return document
    return edit


@pytest.mark.parametrize(("edit", "fragment"), [
    (_edit(format="something-else"), "not an autograd-mini model file"),
    (_edit(version=2), "version 2 is newer than this autograd-mini reads"),
    (_edit(version="1"), "'version' must be a positive int"),
    (_edit(extra=1), "unexpected fields"),
    (_edit(architecture={"type": "Transformer"}), "unknown architecture type 'Transformer'"),
    (_edit(architecture={"type": "MLP", "nin": 2, "nouts": [3, 1]}),
     r"the MLP architecture: the fields are nin, nouts, activation \(optional: dropout\); got nin,"
     " nouts"),
    (_edit(architecture={"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "mish"}),
     "unknown activation 'mish'"),
    (_edit(architecture={"type": "MLP", "nin": -2, "nouts": [3, 1], "activation": "relu"}),
     "nin must be a positive int"),
    (_edit(architecture={"type": "MLP", "nin": 2, "nouts": 3, "activation": "relu"}),
     "nouts must be a non-empty list of layer sizes, got 3"),
    (_edit(architecture={"type": "MLP", "nin": 2, "nouts": [4, 1], "activation": "relu"}),
     "missing 4 entries"),  # wrong shape: a layer wider than the weights saved
    (_edit(architecture=[1, 2]), "'architecture' must be an object"),
    (_edit_parameters(lambda p: p.pop("layers.1.neurons.0.b")), "missing 1 entry"),
    (_edit_parameters(lambda p: p.update({"layers.9.neurons.0.b": 0.0})), "1 unexpected entry"),
    (_edit_parameters(lambda p: p.update({"layers.0.neurons.0.b": "0.0"})), "is str '0.0'"),
    (_edit_parameters(lambda p: p.update({"layers.0.neurons.0.b": None})), "is NoneType"),
    (_edit_parameters(lambda p: p.update({"layers.0.neurons.0.b": [1.0]})), "is list"),
    (lambda d: [d], "not an autograd-mini model file"),
    (lambda d: {k: v for k, v in d.items() if k != "parameters"}, "needs both"),
])
def test_malformed_documents_raise_model_file_error(tmp_path, edit, fragment: str) -> None:
    path, document = _saved(tmp_path)
    _write(path, edit(document))
    with pytest.raises(ModelFileError, match=fragment) as info:
        load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_empty_truncated_binary_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such file"):
        load(tmp_path / "nope.json")
    path, _ = _saved(tmp_path)
    text = path.read_bytes()
    for cut in (len(text) // 3, len(text) - 3):
        path.write_bytes(text[:cut])
        with pytest.raises(ModelFileError, match=r"not valid JSON.*truncated"):
            load(path)
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        load(path)
    path.write_bytes(b"\x80\x04\x95 pickle-ish bytes \xff")
    with pytest.raises(ModelFileError, match="not UTF-8"):
        load(path)
    path.write_text("format = 'autograd-mini-model'")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load(path)
    with pytest.raises(ModelFileError, match="cannot read"):
        load(tmp_path)  # a folder


def test_an_integer_too_large_for_a_float_is_a_model_file_error(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    entry = '"layers.0.neurons.0.b": 0.0'
    path.write_text(text.replace(entry, '"layers.0.neurons.0.b": 1' + "0" * 400))
    with pytest.raises(ModelFileError, match=r"'layers.0.neurons.0.b' is a number too large"
                       " for a float"):
        load(path)


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000,
                                  '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_a_deeply_nested_file_is_a_model_file_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=r"nested too deeply.*not a model file"):
        load(path)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_in_a_file_are_refused(tmp_path, constant: str) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    entry = '"layers.0.neurons.0.b": 0.0'  # biases start at 0
    assert entry in text
    path.write_text(text.replace(entry, f'"layers.0.neurons.0.b": {constant}'))
    with pytest.raises(ModelFileError, match=f"holds {constant}"):
        load(path)


def test_loading_never_executes_code_from_the_file(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    marker = tmp_path / "pwned"
    document["architecture"]["activation"] = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    _write(path, document)
    with pytest.raises(ModelFileError, match="unknown activation"):
        load(path)
    assert not marker.exists()


def test_save_of_a_module_without_architecture_says_what_to_do(tmp_path: Path) -> None:
    class Custom(nn.Module):
        pass

    with pytest.raises(TypeError, match="state_dict"):
        Custom().save(tmp_path / "c.json")
    assert not (tmp_path / "c.json").exists()


# ------------------------------------------------------------ property: any finite weights

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # the suite without the testing extra: skip only this property
    given = None


@pytest.mark.skipif(given is None, reason="needs Hypothesis (the testing extra)")
def test_any_finite_weights_round_trip_bit_for_bit() -> None:
    @settings(max_examples=50)  # each example writes and reads a file
    @given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=9, max_size=9))
    def round_trip(weights: list[float]) -> None:
        _assert_round_trips(weights)

    round_trip()


def _assert_round_trips(weights: list[float]) -> None:
    import tempfile

    model = MLP(2, [2, 1], activation="sigmoid", seed=0)
    for p, value in zip(model.parameters(), weights):
        p.data = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.json"
        model.save(path)
        loaded = [p.data for p in load(path).parameters()]
    assert [math.copysign(1.0, v) for v in loaded] == [math.copysign(1.0, v) for v in weights]
    assert loaded == weights


@pytest.mark.parametrize("architecture", [
    {"type": "MLP", "nin": 2, "nouts": [100_000_000, 1], "activation": "relu"},
    {"type": "Layer", "nin": 100_000_000, "nout": 3, "activation": "relu"},
    {"type": "RNNCell", "nin": 1, "nhidden": 100_000, "activation": "tanh"},
])
def test_a_huge_architecture_is_refused_before_anything_is_built(tmp_path: Path, architecture) -> None:
    # The parameter count is checked against the file's weights first: a hostile file
    # cannot make load() allocate a hundred million Values.
    path, document = _saved(tmp_path)
    document["architecture"] = architecture
    _write(path, document)
    with pytest.raises(ModelFileError, match="parameters, the file has"):
        load(path)
