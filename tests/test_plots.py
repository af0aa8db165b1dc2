"""``autograd_mini.plots``: every picture says what it shows, and is drawn without pyplot."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib", reason='the plots need the "plot" extra')

from PIL import Image  # matplotlib brings Pillow

from autograd_mini import Value, datasets, files, losses, nn, optim, plots
from autograd_mini.training import History, fit


class Linear:
    """x -> a*x0 + b*x1 + c: a model whose decision boundary is known exactly."""

    def __init__(self, a: float, b: float, c: float, outputs: int = 1) -> None:
        self.a, self.b, self.c, self.outputs = a, b, c, outputs

    def __call__(self, x: list[Any]) -> Any:
        score = Value(self.a) * x[0] + Value(self.b) * x[1] + self.c
        if self.outputs == 1:
            return score
        return [score * k for k in range(self.outputs)]


def legend_texts(ax: Any) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


POINTS = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]


# ------------------------------------------------------------- decision boundaries


def test_a_score_boundary_explains_its_colours_classes_and_lines() -> None:
    figure = plots.decision_boundary(Linear(1.0, 1.0, -1.0), POINTS, [-1, -1, 1, 1],
                                     margin=1.0, title="a line", resolution=9)
    [ax] = figure.axes
    [bar] = ax.child_axes  # the colour bar sits beside the plot, as tall as it
    assert ax.get_title() == "a line"
    assert ax.get_xlabel() == "x[0], the first input" and ax.get_ylabel() == "x[1], the second input"
    assert legend_texts(ax) == [
        "class -1 (score < 0)", "class 1 (score > 0)", "decision boundary (score = 0)",
        "score = ±1: the hinge loss is 0 past it",
    ]
    assert bar.get_ylabel().startswith("the model's score, clipped to ±3")
    assert [t for t in bar.get_yticks()] == [-3, -2, -1, 0, 1, 2, 3]
    assert bar.get_ylim() == (-3.0, 3.0)


def test_the_colour_scale_is_the_same_whatever_the_scores() -> None:
    # Scores of ±1000 are clipped: frames and runs stay comparable, and pale means unsure.
    figure = plots.decision_boundary(Linear(1000.0, 0.0, -500.0), POINTS, [0, 1, 0, 1],
                                     resolution=5)
    assert figure.axes[0].child_axes[0].get_ylim() == (-3.0, 3.0)


def test_class_names_and_multiclass_regions() -> None:
    points, y = datasets.spirals(30)
    figure = plots.decision_boundary(nn.MLP(2, [6, 3], seed=0), points, y, resolution=6,
                                     class_names={0: "arm 0", 2: "arm 2"})
    [ax] = figure.axes
    [bar] = ax.child_axes
    assert legend_texts(ax) == ["arm 0", "class 1", "arm 2"]
    assert [t.get_text() for t in bar.get_yticklabels()] == ["arm 0", "class 1", "arm 2"]
    assert bar.get_ylabel() == "the class the model predicts there (largest logit)"


def test_drawing_on_given_axes_of_a_bigger_figure() -> None:
    figure = plots.new_figure(10, 4)
    left, right = figure.subplots(1, 2)
    returned = plots.decision_boundary(Linear(1.0, -1.0, 0.0), POINTS, [0, 1, 1, 0], ax=right,
                                       resolution=4)
    assert returned is figure
    assert right.get_legend() is not None and left.get_legend() is None


@pytest.mark.parametrize(("model", "X", "y", "message"), [
    (Linear(1, 1, 0), POINTS, [0.5, 1.0, 0.0, 1.0], "for float targets draw predictions()"),
    (Linear(1, 1, 0), POINTS, [0, 1, 2, 1], "one output separates two classes"),
    (Linear(1, 1, 0, outputs=3), POINTS, [0, 1, 5, 1], "3 logits, so labels must be 0 to 2"),
    (Linear(1, 1, 0), [[0.0, 1.0, 2.0]], [1], "two features each"),
    (Linear(1, 1, 0), POINTS, [0, 1], "X has 4 points but y has 2 labels"),
])
def test_decision_boundary_refuses_what_it_cannot_draw(
    model: Any, X: list[list[float]], y: list[Any], message: str  # noqa: N803
) -> None:
    with pytest.raises(ValueError, match=message):
        plots.decision_boundary(model, X, y, resolution=4)


def test_a_resolution_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="resolution must be an int >= 2, got 1"):
        plots.decision_boundary(Linear(1, 1, 0), POINTS, [0, 1, 0, 1], resolution=1)


# ---------------------------------------------------------------- training curves


def test_training_curves_tell_the_two_losses_apart() -> None:
    history = History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0])
    figure = plots.training_curves(history, final_loss=0.1, unit="step",
                                   loss_label="during", final_label="after")
    ax = figure.axes[0]
    assert legend_texts(ax) == ["during", "after", "training accuracy during each step"]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert figure.axes[1].get_ylabel() == "accuracy"
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "loss and accuracy during training"
    curve, final = ax.get_lines()
    assert list(curve.get_xdata()) == [1, 2, 3] and list(curve.get_ydata()) == [1.0, 0.5, 0.25]
    assert list(final.get_xdata()) == [3] and list(final.get_ydata()) == [0.1]


def test_a_regression_history_has_no_accuracy_axis_and_a_zero_loss_is_linear() -> None:
    figure = plots.training_curves(History(loss=[2.0, 0.0], accuracy=[None, None]))
    assert len(figure.axes) == 1
    assert figure.axes[0].get_yscale() == "linear"
    assert figure.axes[0].get_title() == "loss during training"
    with pytest.raises(ValueError, match="the history is empty"):
        plots.training_curves(History())


def test_predictions_against_targets() -> None:
    features, y = datasets.regression(8)
    figure = plots.predictions(nn.MLP(3, [1], seed=0), features, y)
    ax = figure.axes[0]
    assert legend_texts(ax) == ["one example", "perfect prediction (prediction = target)"]
    assert ax.get_title() == "predictions against targets"
    with pytest.raises(ValueError, match="one number per example"):
        plots.predictions(nn.MLP(3, [2], seed=0), features, y)


# ---------------------------------------------------------------------- saving


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"),
                                               (".pdf", b"%PDF")])
def test_save_writes_the_format_of_the_suffix(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = plots.save(plots.training_curves(History(loss=[1.0])), tmp_path / f"c{suffix}")
    assert path.read_bytes().startswith(magic)


def test_save_refuses_an_unknown_suffix_and_keeps_the_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figure = plots.training_curves(History(loss=[1.0]))
    with pytest.raises(ValueError, match=r"suffix '\.jpeg'.*use one of \.png, \.svg, \.pdf"):
        plots.save(figure, tmp_path / "c.jpeg")
    old = tmp_path / "c.png"
    old.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        plots.save(figure, old)
    assert old.read_bytes() == b"old" and os.listdir(tmp_path) == ["c.png"]


# ---------------------------------------------------------------------- animation


def _trained_animation(epochs: int, frames: int) -> plots.BoundaryAnimation:
    points, y = datasets.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", init="xavier", seed=1)
    animation = plots.BoundaryAnimation(model, points, y, epochs, frames=frames, resolution=6)
    fit(model, points, y, losses.binary_cross_entropy, optim.Adam(model.parameters(), lr=0.1),
        epochs=epochs, progress=False, callback=animation)
    return animation


def test_the_animation_takes_frames_early_and_always_the_last() -> None:
    assert _trained_animation(100, 5).epochs_shown == [0, 4, 16, 36, 64, 100]
    assert _trained_animation(3, 10).epochs_shown == [0, 1, 2, 3]  # never a frame twice


def test_the_gif_has_one_frame_per_snapshot_and_shows_the_boundary_moving(tmp_path: Path) -> None:
    animation = _trained_animation(40, 4)
    gif = animation.gif()
    with Image.open(io.BytesIO(gif)) as image:
        assert image.n_frames == 5
        assert image.info["loop"] == 0
        pictures = []
        for k in range(image.n_frames):
            image.seek(k)
            pictures.append(image.convert("RGB").tobytes())
    assert len(set(pictures)) == 5  # training changed every frame
    saved = animation.save(tmp_path / "xor.gif")
    assert saved.read_bytes() == gif
    with pytest.raises(ValueError, match=r"give a path ending in \.gif"):
        animation.save(tmp_path / "xor.png")


def test_the_animation_shows_inline_with_nothing_fetched() -> None:
    animation = _trained_animation(4, 2)
    page = animation._repr_html_()
    assert page.startswith('<img src="data:image/gif;base64,')
    data = page.split("base64,")[1].split('"')[0]
    assert base64.b64decode(data) == animation.gif()
    assert "http" not in page and "<script" not in page


@pytest.mark.parametrize(("epochs", "frames", "message"), [
    (0, 5, "epochs must be an int >= 1, got 0"), (10, 0, "frames must be an int >= 1, got 0"),
    (True, 5, "epochs must be an int >= 1, got True"),
])
def test_the_animation_refuses_nonsense_counts(epochs: Any, frames: Any, message: str) -> None:
    points, y = datasets.xor()
    with pytest.raises(ValueError, match=message):
        plots.BoundaryAnimation(nn.MLP(2, [1], seed=0), points, y, epochs, frames=frames)


# ----------------------------------------------------------- no pyplot, no matplotlib


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)


def test_drawing_never_imports_pyplot() -> None:
    done = _python(
        "import sys\n"
        "from autograd_mini import datasets, nn, plots\n"
        "from autograd_mini.training import History\n"
        "X, y = datasets.xor()\n"
        "plots.decision_boundary(nn.MLP(2, [2, 1], seed=0), X, y, resolution=4)\n"
        "plots.training_curves(History(loss=[1.0], accuracy=[1.0]))\n"
        "a = plots.BoundaryAnimation(nn.MLP(2, [2, 1], seed=0), X, y, 1, resolution=4)\n"
        "a.gif()\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"


def test_without_matplotlib_the_import_error_names_the_extra() -> None:
    done = _python(
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "try:\n"
        "    import autograd_mini.plots\n"
        "except ImportError as error:\n"
        "    print(error.name, '|', error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        'matplotlib | autograd_mini.plots needs matplotlib: pip install "autograd-mini[plot]"\n'
    )


# ------------------------------------------------------------------ validation


def test_validation_curves_are_dashed_beside_training_and_the_best_epoch_is_marked() -> None:
    history = History(loss=[1.0, 0.5, 0.25, 0.2], accuracy=[0.5, 0.7, 0.9, 0.95],
                      val_loss=[1.1, 0.6, 0.7, 0.8], val_accuracy=[0.5, 0.6, 0.55, 0.5],
                      best_epoch=1)
    figure = plots.training_curves(history, best_label="best: restored")
    ax, right = figure.axes
    assert legend_texts(ax) == [
        "training loss during each epoch", "validation loss after each epoch", "best: restored",
        "training accuracy during each epoch", "validation accuracy after each epoch"]
    training, validation, best = ax.get_lines()
    assert validation.get_linestyle() == "--" and training.get_linestyle() == "-"
    assert list(validation.get_ydata()) == [1.1, 0.6, 0.7, 0.8]
    assert list(best.get_xdata()) == [2, 2]  # epochs are drawn from 1
    assert [line.get_linestyle() for line in right.get_lines()] == ["-", "--"]
    assert ax.get_title() == "loss and accuracy during training, with validation"
    assert "lowest validation loss (epoch 2)" in legend_texts(
        plots.training_curves(history).axes[0])


# ---------------------------------------------------------------------- images


def _captions(ax: Any) -> list[tuple[str, str]]:
    from matplotlib.colors import to_hex

    return [(text.get_text(), to_hex(text.get_color())) for text in ax.texts]


def test_an_image_grid_captions_predicted_and_true_labels_green_or_red() -> None:
    images, y = datasets.digits(6, seed=0)
    predicted = [y[0], (y[1] + 1) % 10, *y[2:]]
    figure = plots.image_grid(images, y, predicted, columns=3, class_names={y[0]: "first"})
    ax, bar = figure.axes
    captions = _captions(ax)
    assert captions[0] == ("pred first\ntrue first", "#15803d")
    assert captions[1] == (f"pred {predicted[1]}\ntrue {y[1]}", "#b91c1c")
    assert legend_texts(ax) == ["predicted right: 5 of 6", "predicted wrong: 1 of 6"]
    assert bar.get_ylabel() == "ink (0: none, 1: full)"
    assert ax.get_xlabel() == "6 images of 8×8 pixels, 3 to a row"
    # The mosaic: tile (row 0, column 1) holds image 1's pixels, row by row.
    mosaic = ax.get_images()[0].get_array()
    gap = round(0.45 * 8)
    assert [float(v) for v in mosaic[gap, 9:17]] == images[1][:8]
    assert [float(v) for v in mosaic[gap + 7, 9:17]] == images[1][56:64]


def test_an_image_grid_without_predictions_shows_the_labels_and_takes_a_shape() -> None:
    images = [[0.0, 1.0, 0.5, 0.25, 1.0, 0.0]] * 2
    figure = plots.image_grid(images, [3, 4], shape=(2, 3))
    assert [text for text, _ in _captions(figure.axes[0])] == ["3", "4"]
    assert figure.axes[0].get_legend() is None
    assert figure.axes[0].get_title() == "2 images and their labels"
    unlabelled = plots.image_grid(images, shape=(3, 2)).axes[0]
    assert len(unlabelled.texts) == 0 and unlabelled.get_title() == "2 images"


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (([],), {}, "no images"),
    (([[0.0] * 5],), {}, "5 pixels are not a square image"),
    (([[0.0] * 6],), {"shape": (2, 2)}, "holds 4 pixels, but each image has 6"),
    (([[0.0] * 4, [0.0] * 9],), {}, "every image needs 4 pixels"),
    (([[0.0] * 4], [1, 2]), {}, "1 images but 2 labels in y"),
    (([[0.0] * 4], None, [1]), {}, "predicted labels need the true ones"),
    (([[0.0] * 4],), {"columns": 0}, "columns must be an int >= 1"),
])
def test_an_image_grid_refuses_what_it_cannot_draw(args: Any, kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plots.image_grid(*args, **kwargs)


def test_first_layer_weights_are_drawn_at_their_pixels_on_a_symmetric_scale() -> None:
    softmax = nn.MLP(4, [3], seed=0)
    figure = plots.first_layer_weights(softmax)
    ax, bar = figure.axes
    assert [text.get_text() for text in ax.texts] == ["class 0", "class 1", "class 2"]
    largest = max(abs(w.data) for n in softmax.layers[0].neurons for w in n.w)
    assert bar.get_ylim() == pytest.approx((-largest, largest))
    mosaic = ax.get_images()[0].get_array()
    first = [w.data for w in softmax.layers[0].neurons[0].w]
    gap = round(0.45 * 2)
    assert [float(v) for v in mosaic[gap, 0:2]] + [float(v) for v in mosaic[gap + 1, 0:2]] == first
    deep = plots.first_layer_weights(nn.MLP(4, [5, 2], seed=0))
    assert deep.axes[0].texts[4].get_text() == "neuron 4"
    assert "the 5 neurons of the first layer" in deep.axes[0].get_xlabel()
    assert plots.first_layer_weights(nn.Layer(4, 2)).axes[0].texts[0].get_text() == "neuron 0"
    with pytest.raises(TypeError, match=r"expected an nn\.MLP or nn\.Layer"):
        plots.first_layer_weights(Linear(1, 1, 0))


def test_the_confusion_matrix_shows_every_count_and_names_its_axes() -> None:
    figure = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0],
                                    class_names={0: "zero"})
    ax, bar = figure.axes
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells[(0, 0)] == "1" and cells[(0, 1)] == "1" and cells[(2, 2)] == "2"
    assert cells[(2, 0)] == "1" and cells[(1, 2)] == "0" and len(cells) == 9
    assert [t.get_text() for t in ax.get_xticklabels()] == ["zero", "1", "2"]
    assert (ax.get_xlabel(), ax.get_ylabel(), bar.get_ylabel()) == (
        "predicted class", "true class", "examples")
    assert ax.get_title() == "confusion matrix: 4 of 6 right (66.7%)"
    with pytest.raises(ValueError, match="no examples"):
        plots.confusion_matrix([], [])
