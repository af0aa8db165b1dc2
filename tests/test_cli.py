"""The ``autograd-mini`` command, run in-process through ``main(argv)`` (plus two real processes)."""

from __future__ import annotations

import html
import json
import math
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from autograd_mini import Value, nn, tanh
from autograd_mini.cli import DATASETS, build_parser, main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status: int, err: str, *fragments: str) -> None:
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("autograd-mini"), err
    assert "error:" in lines[0]
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# ------------------------------------------------------------------------------ help


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["graph"], ["check"]])
def test_help_of_every_command_has_examples(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    status, out, _ = run(capsys, *command, "--help")
    assert status == 0
    assert "examples:" in out
    assert "autograd-mini " + (command[0] if command else "demo") in out


def test_train_help_lists_every_dataset_with_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "train", "--help")
    for name, spec in DATASETS.items():
        assert f"{name:<11} {spec.describe()}" in out


def test_check_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", "--help")
    assert "Exit status 0" in out and "1 when one does not" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert_one_line_error(status, err, "give a command")
    assert out == ""


# ----------------------------------------------------------------------------- graph


def test_graph_prints_value_and_every_gradient(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "neuron.svg"
    status, out, err = run(capsys, "graph", "tanh(x*w + b)", "--at", "x=2", "--at", "w=-3",
                           "--at", "b=6.88", "--out", str(target))
    assert status == 0
    x, w, b = Value(2.0), Value(-3.0), Value(6.88)
    o = tanh(x * w + b)
    o.backward()
    lines = out.splitlines()
    assert lines[0] == f"tanh(x * w + b) = {o.data!r}"
    assert lines[1:4] == [f"  d/dx = {x.grad!r}", f"  d/dw = {w.grad!r}", f"  d/db = {b.grad!r}"]
    root = ElementTree.fromstring(target.read_text())
    assert root.tag.endswith("svg")
    assert "tanh" in target.read_text()
    assert str(target) in err  # "graph written to ..." is a message, on stderr


def test_graph_dot_to_stdout_and_dot_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "graph", "x*y + y", "--at", "x=2", "--at", "y=3", "--out", "-")
    assert status == 0
    assert "digraph {" in out and 'label="*"' in out
    dot_file = tmp_path / "g.dot"
    status, _, _ = run(capsys, "graph", "x*y + y", "--at", "x=2", "--at", "y=3", "-q",
                       "--out", str(dot_file))
    assert status == 0
    assert dot_file.read_text().strip() == out[out.index("digraph"):].strip()


def test_graph_png(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # PNG comes from the system dot, or else from resvg-py (in the viz extra).
    if shutil.which("dot") is None:
        pytest.importorskip("resvg_py")
    target = tmp_path / "g.png"
    status, _, _ = run(capsys, "graph", "exp(a) / b", "--at", "a=1", "--at", "b=2",
                       "--out", str(target))
    assert status == 0
    assert target.read_bytes().startswith(PNG_MAGIC)


def test_graph_steps_explain_every_interior_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, _ = run(capsys, "graph", "tanh(x*w + b)", "--at", "x=2", "--at", "w=-3",
                         "--at", "b=6.88", "--steps", "--out", str(tmp_path / "g.dot"))
    assert status == 0
    assert "backward pass, 3 steps:" in out
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("step ")] == [
        "step 1/3", "step 2/3", "step 3/3"]
    assert "d(a * b)/da = b = -3.0" in out


def test_expression_without_variables(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "graph", "2 * 3 + 1", "--out", "-")
    assert status == 0
    assert out.startswith("2 * 3 + 1 = 7.0\n")


# ----------------------------------------------------------------------------- check


def test_check_passes_and_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", "log(x) * sin(y)", "--at", "x=2", "--at", "y=0.5",
                         "--second-order")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["input", "point", "analytic", "numeric", "abs", "error", "rel",
                                "error"]
    dx = lines[1].split()
    assert dx[:2] == ["ok", "d/dx"]
    assert float(dx[3]) == pytest.approx(math.sin(0.5) / 2.0, rel=1e-9)
    dy = lines[2].split()
    assert dy[:2] == ["ok", "d/dy"]
    assert float(dy[3]) == pytest.approx(math.log(2.0) * math.cos(0.5), rel=1e-9)
    assert "gradcheck passed: 2 derivatives agree" in out
    assert "gradgradcheck passed: 4 second derivatives agree" in out


def test_check_failure_exits_1_with_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "check", "relu(x) + y", "--at", "x=0", "--at", "y=1")
    assert status == 1
    assert "gradcheck failed for input x0 of relu(x) + y" in out
    assert "kink of relu" in out
    assert "x0 = x, x1 = y" in out
    assert err == ""


def test_check_catches_a_wrong_user_derivative(capsys: pytest.CaptureFixture[str]) -> None:
    from autograd_mini import ops, primitive

    primitive("cli_bad_square", lambda v: v * v, lambda v: 3 * v)
    try:
        status, out, _ = run(capsys, "check", "cli_bad_square(x)", "--at", "x=1.5")
    finally:
        ops.unregister("cli_bad_square")
    assert status == 1
    assert "op cli_bad_square: the rule for input x" in out


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["train", "--dataset", "nope"], ["--dataset 'nope' is not a dataset", "moons"]),
        (["graph", "x", "--at", "x=abc"], ["--at 'x=abc'", "'abc' is not a number"]),
        (["graph", "x", "--at", "x"], ["expected NAME=NUMBER"]),
        (["graph", "x", "--at", "=1"], ["expected NAME=NUMBER"]),
        (["graph", "x", "--at", "x=1", "--at", "z=2"], ["no variable 'z'", "its variables: x"]),
        (["graph", "x + y", "--at", "x=1"], ["missing --at for y"]),
        (["graph", "x", "--at", "x=1", "--at", "x=2"], ["given twice"]),
        (["graph", "x", "--at", "x=inf"], ["finite"]),
        (["graph", "foo(x)", "--at", "x=1"], ["unknown function 'foo'"]),
        (["graph", "__import__('os').system('echo hi')"], ["attribute access is not allowed"]),
        (["graph", "x ** 99999", "--at", "x=1"], ["exponent 99999 is too large"]),
        (["graph", "(" * 50 + "x" + ")" * 50, "--at", "x=1"], ["nested 50 levels"]),
        (["graph", "log(x)", "--at", "x=-1"], ["log: input -1.0 is outside the domain x > 0"]),
        (["graph", "1 / x", "--at", "x=0"], ["division by zero"]),
        (["graph", "exp(x)", "--at", "x=1000"], ["overflow"]),
        (["check", "sqrt(x)", "--at", "x=0"], ["backward through sqrt"]),
        (["check", "log(x)", "--at", "x=-1"], ["outside the domain"]),
        (["check", "2 * 3"], ["has no variables"]),
        (["graph", "x", "--at", "x=1", "--out", "g.txt"], ["suffix picks the format"]),
        (["check", "x", "--at", "x=1", "--eps", "0"], ["must be a positive finite number"]),
        (["train", "--dataset", "spirals", "--loss", "hinge"], ["does not fit the multiclass"]),
        (["train", "--dataset", "moons", "--loss", "nll"], ["is not a loss"]),
        (["train", "--dataset", "moons", "--optimizer", "rmsprop"], ["choose sgd or adam"]),
        (["train", "--dataset", "moons", "--activation", "gelu"], ["--activation 'gelu'"]),
        (["train", "--dataset", "moons", "--hidden", "16,x"], ["--hidden '16,x'"]),
        (["train", "--dataset", "moons", "--hidden", "16,0"], ["at least 1 neuron"]),
        (["train", "--dataset", "moons", "--hidden", ""], ["--hidden ''", "at least one layer"]),
        (["train", "--dataset", "moons", "--hidden", " "], ["at least one layer"]),
        (["train", "--dataset", "moons", "--steps", "0"], ["must be at least 1"]),
        (["train", "--dataset", "moons", "--lr", "-1"], ["positive"]),
        (["demo", "--bogus"], ["unrecognized arguments: --bogus"]),
        (["bogus"], ["invalid choice: 'bogus'"]),
    ],
)
def test_user_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragments: list[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert_one_line_error(status, err, *fragments)
    assert out == ""


def test_unwritable_output_paths(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder")
    status, _, err = run(capsys, "demo", "--out", str(a_file / "sub"))
    assert_one_line_error(status, err, "--out", "cannot create the folder")
    status, _, err = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "no" / "g.svg"))
    assert_one_line_error(status, err, "does not exist")
    status, _, err = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "d.svg"))
    assert status == 0
    (tmp_path / "folder.svg").mkdir()
    status, _, err = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "folder.svg"))
    assert_one_line_error(status, err, "is a folder")
    status, _, err = run(capsys, "train", "--dataset", "xor", "--save", str(tmp_path))
    assert_one_line_error(status, err, "--save", "is a folder")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root may write into read-only folders")
def test_read_only_output_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, _, err = run(capsys, "demo", "--out", str(locked))
    finally:
        locked.chmod(0o700)
    assert_one_line_error(status, err, "cannot write")


def test_missing_optional_dependency_names_the_extra(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    status, _, err = run(capsys, "demo", "--out", str(tmp_path))
    assert_one_line_error(status, err, 'pip install "autograd-mini[plot]"')
    monkeypatch.setitem(sys.modules, "graphviz", None)
    status, _, err = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "g.svg"))
    assert_one_line_error(status, err, 'pip install "autograd-mini[viz]"')


# ------------------------------------------------------------------------ demo, train


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """The demo exactly as a newcomer runs it (100 steps), once for the whole module."""
    folder = tmp_path_factory.mktemp("demo")
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["demo", "--out", str(folder)])
    assert status == 0, err.getvalue()
    return folder, out.getvalue(), err.getvalue()


def test_default_demo_writes_every_file_and_learns_the_moons(
    default_demo: tuple[Path, str, str]
) -> None:
    folder, out, err = default_demo
    for name in ("moons.png", "loss.png", "neuron.svg", "summary.json"):
        assert str(folder / name) in out
    assert (folder / "moons.png").read_bytes().startswith(PNG_MAGIC)
    assert (folder / "loss.png").read_bytes().startswith(PNG_MAGIC)
    svg = html.unescape((folder / "neuron.svg").read_text())  # dot writes - as &#45;
    ElementTree.fromstring((folder / "neuron.svg").read_text())
    for label in ("x1", "w1", "x1*w1", "tanh", "grad -1.5000", "data 0.7071"):
        assert label in svg
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["steps"] == 100
    assert summary["final_accuracy"] >= 0.97  # micrograd's demo reaches 100%
    assert summary["final_loss"] < 0.1
    assert summary["seconds"] > 0
    assert summary["model"]["nouts"] == [16, 16, 1]
    assert len(summary["loss_history"]) == 100
    assert summary["loss_history"][-1] < summary["loss_history"][0]
    assert "two-moons" in err  # the message; no progress bar: stderr is not a terminal
    assert "\r" not in err


def test_demo_steps_and_quiet(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "demo", "--steps", "3", "--out", str(tmp_path), "-q")
    assert status == 0
    assert err == ""
    assert json.loads((tmp_path / "summary.json").read_text())["steps"] == 3
    assert out.startswith("moons: 3 steps in")


def test_progress_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = run(capsys, "train", "--dataset", "xor", "--steps", "20")
    assert status == 0
    assert "20/20" in err and "loss=" in err and "acc=" in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    status, _, err = run(capsys, "train", "--dataset", "xor", "--steps", "20", "--quiet")
    assert err == ""


def test_train_xor_with_defaults_learns_it(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "train", "--dataset", "xor", "-q")
    assert status == 0
    assert "accuracy 100.0%" in out


def test_train_saves_a_model_that_loads_and_predicts_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "model.json"
    status, out, _ = run(capsys, "train", "--dataset", "regression", "--steps", "30",
                         "--save", str(target), "--out", str(tmp_path / "run"), "-q")
    assert status == 0
    model = nn.load(target)
    assert isinstance(model, nn.MLP)
    assert model.architecture()["nouts"] == [8, 1]
    assert str(target) in out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["final_accuracy"] is None  # regression
    assert summary["final_loss"] < summary["loss_history"][0]
    assert (tmp_path / "run" / "predictions.png").read_bytes().startswith(PNG_MAGIC)
    from autograd_mini import datasets

    features, targets = datasets.regression(50, seed=0)
    loaded = math.fsum((float(model(x)) - t) ** 2 for x, t in zip(features, targets)) / 50
    assert loaded == pytest.approx(summary["final_loss"], rel=1e-12)


def test_train_multiclass_boundary_and_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, _ = run(capsys, "train", "--dataset", "spirals", "--samples", "30",
                         "--steps", "3", "--hidden", "8", "--batch-size", "10",
                         "--optimizer", "sgd", "--lr", "0.1", "--out", str(tmp_path), "-q")
    assert status == 0
    assert "spirals: 3 steps" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"]["nouts"] == [8, 3]
    assert summary["batch_size"] == 10 and summary["optimizer"] == "sgd"
    assert (tmp_path / "spirals.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize("loss", ["bce", "cross_entropy", "mse", "hinge"])
def test_every_binary_loss_trains(capsys: pytest.CaptureFixture[str], loss: str) -> None:
    status, out, _ = run(capsys, "train", "--dataset", "xor", "--loss", loss, "--steps", "150",
                         "-q")
    assert status == 0
    accuracy = float(out.split("accuracy ")[1].split("%")[0])
    assert accuracy >= 75.0, out


def test_parser_is_reusable() -> None:
    args = build_parser().parse_args(["train", "--dataset", "moons", "--hidden", "8,8"])
    assert (args.dataset, args.hidden, args.steps) == ("moons", "8,8", None)


# ------------------------------------------------------------------- real processes


def test_python_dash_m_help() -> None:
    done = subprocess.run([sys.executable, "-m", "autograd_mini", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert "examples:" in done.stdout


def _console_script() -> str | None:
    beside = Path(sys.executable).with_name("autograd-mini")
    return str(beside) if beside.exists() else shutil.which("autograd-mini")


@pytest.mark.skipif(_console_script() is None, reason="the autograd-mini script is not installed")
def test_console_script_graph_and_error(tmp_path: Path) -> None:
    script: Any = _console_script()
    done = subprocess.run([script, "graph", "x * y", "--at", "x=2", "--at", "y=5", "--out", "-"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == ["x * y = 10.0", "  d/dx = 5.0", "  d/dy = 2.0"]
    done = subprocess.run([script, "graph", "log(x)", "--at", "x=-1"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_divergent_training_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # With lr = 1e30 the gradients overflow to inf within a few steps; the optimizer refuses
    # to step and the command says so in one line instead of a traceback.
    status, _, err = run(capsys, "train", "--dataset", "moons", "--lr", "1e30", "--steps", "5", "-q")
    assert_one_line_error(status, err, "training diverged", "smaller --lr")


@pytest.mark.parametrize(("dataset", "steps", "fragment"), [
    ("spirals", "5", "training diverged in step 2 of 5: the model's output for example 0 is nan"),
    # The last step diverges: measuring the trained model is where it shows.
    ("spirals", "1", "training diverged after step 1 of 1: the model's output for example 0"),
    ("regression", "1", "training diverged after step 1 of 1: **2: result overflows"),
])
def test_divergence_that_reaches_the_loss_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], dataset: str, steps: str, fragment: str
) -> None:
    # The reviewer's case: nan logits used to escape as cross_entropy's ValueError (exit 1).
    status, out, err = run(capsys, "train", "--dataset", dataset, "--optimizer", "sgd",
                           "--lr", "1e150", "--steps", steps, "-q")
    assert_one_line_error(status, err, fragment, "try a smaller --lr than 1e+150")
    assert out == ""


def test_a_huge_final_loss_is_printed_in_four_significant_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "train", "--dataset", "xor", "--lr", "1e300", "-q")
    assert status == 0
    report = out.splitlines()[0]
    assert "final loss " in report and len(report) < 100, report
    shown = report.split("final loss ")[1].split(",")[0]
    assert "e+" in shown and len(shown) <= 10, shown  # like 2.211e+299


def test_graph_takes_its_list_of_suffixes_from_viz(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd_mini import viz

    monkeypatch.setattr(viz, "SUFFIXES", (".dot",))  # one fact, stated once: viz's
    status, _, err = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "g.svg"))
    assert_one_line_error(status, err, "use one of .dot (or '-'")
    status, _, _ = run(capsys, "graph", "x", "--at", "x=1", "--out", str(tmp_path / "g.dot"), "-q")
    assert status == 0 and (tmp_path / "g.dot").read_text().startswith("digraph")


@pytest.mark.parametrize(("failing_write", "name"), [(1, "xor.png"), (3, "summary.json")])
def test_an_output_write_that_fails_leaves_the_old_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    failing_write: int, name: str,
) -> None:
    # train --out writes xor.png, loss.png, summary.json in that order; the write numbered
    # failing_write fails after its data is written, before it reaches the disk.
    from autograd_mini import files

    old = tmp_path / name
    old.write_bytes(b"old content")
    real_fsync, writes = files.os.fsync, []

    def fsync(fd: int) -> None:
        writes.append(fd)
        if len(writes) == failing_write:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    status, _, err = run(capsys, "train", "--dataset", "xor", "--steps", "2", "--out",
                         str(tmp_path), "-q")
    assert_one_line_error(status, err, f"cannot write {str(old)!r}", "No space left")
    assert old.read_bytes() == b"old content"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
