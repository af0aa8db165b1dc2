"""The teaching notebooks in ``notebooks/``: committed clean, and run top to bottom.

Each notebook is executed in a fresh kernel, cell by cell, and a cell that raises fails
the test with the cell and its traceback. The kernel is always this interpreter (a
kernelspec written to a temporary folder for the test, so a ``python3`` kernel installed
for another Python in the user's Jupyter folders cannot be picked up instead), and the
kernel's working directory is a temporary folder: a notebook must not depend on where
pytest was started or write into the repository.

Executing the notebooks needs the ``dev`` extra (nbclient and ipykernel come with nbmake;
the notebooks use the ``all`` extra). Without them the execution tests are skipped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

# Per cell, generous: the notebooks take seconds, but CI machines can be slow and shared.
CELL_TIMEOUT_SECONDS = 600


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


# The README links each of these by name.
EXPECTED = [
    "01_derivatives_and_the_chain_rule",
    "02_stepping_through_backward",
    "03_training_an_mlp",
    "04_vanishing_and_exploding_gradients",
    "05_backprop_through_time",
    "06_property_testing_gradients",
    "07_forward_and_reverse_mode",
    "08_the_backward_pass_as_code",
    "09_your_own_data",
    "10_classifying_digits",
    "11_moving_to_pytorch",
]


def test_the_notebooks_are_there() -> None:
    assert _ids(NOTEBOOKS) == EXPECTED
    # Only notebooks: a .py file here would be imported by pytest --doctest-modules.
    assert sorted(p.name for p in NOTEBOOK_DIR.rglob("*.py")) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    # Read as plain JSON: this check needs no Jupyter package.
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code_cells, f"{path.name} has no code cells"
    for number, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        assert source.strip(), f"{path.name}: cell {number} is empty"
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], (
                f"{path.name}: cell {number} has outputs; commit notebooks cleared"
                " (in Jupyter: Edit > Clear Outputs of All Cells, then save)"
            )
            assert cell["execution_count"] is None, (
                f"{path.name}: cell {number} has an execution count; clear it before committing"
            )


@pytest.fixture
def kernel_manager(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A kernel manager whose ``python3`` kernel is this very interpreter."""
    for module in ("nbclient", "nbformat", "ipykernel", "jupyter_client"):
        pytest.importorskip(module, reason='executing notebooks needs the "dev" extra')
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = tmp_path / "kernels"
    write_kernel_spec(str(kernels / "python3"))  # argv: [sys.executable, "-m", "ipykernel_launcher", ...]
    spec = json.loads((kernels / "python3" / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs)


# Run first in each kernel: every figure drawn to an image (the inline backend shows a
# figure by printing it, as savefig does) is checked first, and each plot without a title
# (its own or the figure's) or without axis labels is noted. A picture should say what it
# shows (issue 16); LABEL_REPORT, run last, fails the notebook naming the cells.
LABEL_CHECK = """
from matplotlib.backend_bases import FigureCanvasBase

def _note_unlabelled(figure):
    suptitle = figure._suptitle.get_text() if figure._suptitle else ""
    for ax in figure.axes:
        if not ax.axison or not ax.has_data() or hasattr(ax, "_colorbar"):
            continue
        # A twin (ax.twinx(), a second y scale) shares its title and x label.
        twins = ax.get_shared_x_axes().get_siblings(ax)
        # An axis without ticks (a mosaic of images) has no scale to name.
        missing = [what for what, text in (
            ("title", suptitle or any(a.get_title() for a in twins)),
            ("x label", any(a.get_xlabel() for a in twins) or not len(ax.get_xticks())),
            ("y label", ax.get_ylabel() or not len(ax.get_yticks()))) if not text]
        if missing:
            # The kernel counts this check's own cell: the notebook's code cells start at 2.
            _unlabelled.append(f"code cell {get_ipython().execution_count - 2} (from 1): "
                               f"{ax.get_title() or 'a plot'!r} has no {', '.join(missing)}")

def _checked_print_figure(self, *args, _print_figure=FigureCanvasBase.print_figure, **kwargs):
    _note_unlabelled(self.figure)
    return _print_figure(self, *args, **kwargs)

_unlabelled = []
FigureCanvasBase.print_figure = _checked_print_figure
"""
LABEL_REPORT = "assert not _unlabelled, _unlabelled"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path: Path, kernel_manager, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for module in ("matplotlib", "graphviz", "ipywidgets", "hypothesis"):
        pytest.importorskip(module, reason='the notebooks use the "all" extra')
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(LABEL_CHECK))
    notebook.cells.append(nbformat.v4.new_code_cell(LABEL_REPORT))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    client = NotebookClient(
        notebook,
        km=kernel_manager,
        timeout=CELL_TIMEOUT_SECONDS,
        startup_timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails

    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    # Every code cell ran, in order.
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    # Nothing was written next to the kernel (a notebook must use a temporary folder).
    assert list(workdir.iterdir()) == []


def test_the_label_check_flags_a_plot_without_labels_but_not_an_image_mosaic() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import io
    import types

    import matplotlib.pyplot as plt
    from matplotlib.backend_bases import FigureCanvasBase

    namespace: dict[str, object] = {
        "get_ipython": lambda: types.SimpleNamespace(execution_count=3)}
    original = FigureCanvasBase.print_figure
    try:
        exec(LABEL_CHECK, namespace)
        fig, (plot, mosaic) = plt.subplots(1, 2)
        plot.plot([0, 1], [1, 0])
        plot.set_title("a line")
        mosaic.imshow([[0.0, 1.0], [1.0, 0.0]])
        mosaic.set_title("images")
        mosaic.set_xticks([])
        mosaic.set_yticks([])
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    finally:
        FigureCanvasBase.print_figure = original
    assert namespace["_unlabelled"] == ["code cell 1 (from 1): 'a line' has no x label, y label"]
