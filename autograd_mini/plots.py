"""Pictures of training: decision boundaries, loss and accuracy curves (training and
validation), regression predictions, the decision boundary evolving as a model trains
(an animated GIF), and for images: a grid of them with predicted and true labels, a
confusion matrix, and a first layer's weights drawn as images.

Needs the ``plot`` extra (matplotlib, which brings Pillow). Everything is drawn with
matplotlib's object API, a ``Figure`` on the Agg canvas and never pyplot: no window
opens, no global backend changes, and it runs on a machine with no display. Each function
draws on ``ax`` when one is given (so a notebook can arrange several plots with pyplot),
else on a new figure, and returns the figure; :func:`save` writes it atomically.

Every picture says what it shows: a title, labelled axes, and a legend for the classes
and for the colour scale. In a decision boundary the colour is the model's score, not
its class: its sign is the class and its size how sure the model is, so pale means
unsure. With a hinge loss, an example past the margin (score beyond ±1 on its own side)
adds no loss, so training stops pushing it; that is why the score inside each class's
region often stays a pale band near ±1 instead of growing. Pass ``margin=1.0`` to draw
those lines.

>>> from autograd_mini import datasets, nn
>>> X, y = datasets.xor()
>>> figure = decision_boundary(nn.MLP(2, [4, 1], seed=0), X, y, resolution=8)
>>> legend = figure.axes[0].get_legend()
>>> [text.get_text() for text in legend.get_texts()]
['class 0 (score < 0)', 'class 1 (score > 0)', 'decision boundary (score = 0)']
>>> print(figure.axes[0].child_axes[0].get_ylabel())  # the colour bar, beside the plot
the model's score, clipped to ±3
(its sign is the class, its size the confidence)
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from PIL import Image
except ImportError as error:
    raise ImportError(
        'autograd_mini.plots needs matplotlib: pip install "autograd-mini[plot]"',
        name=(error.name or "matplotlib").split(".")[0],
    ) from error

from autograd_mini import no_grad
from autograd_mini.files import write_atomically
from autograd_mini.training import Outputs
from autograd_mini.training import confusion_matrix as count_confusions

__all__ = [
    "SCORE_CLIP",
    "BoundaryAnimation",
    "confusion_matrix",
    "decision_boundary",
    "first_layer_weights",
    "image_grid",
    "new_figure",
    "predictions",
    "save",
    "training_curves",
]

SCORE_CLIP = 3.0
"""Scores are coloured up to ±3: beyond that the model is sure, and more colour tells nothing."""

_SCORE_COLORS = "RdBu_r"  # blue for negative scores, white at 0, red for positive ones
_NEGATIVE, _POSITIVE = "#1d4ed8", "#b91c1c"  # the points of each class: the ends of that scale
_CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # matplotlib's tab10
_LOSS_COLOR, _ACCURACY_COLOR = "#1f77b4", "#d62728"
_RIGHT, _WRONG = "#15803d", "#b91c1c"  # captions of images predicted right and wrong
_FORMATS = (".png", ".svg", ".pdf")
_BOUNDARY_WIDTH = 6.8  # inches: room for the colour bar's two-line label beside the plot


def new_figure(width: float = 6.4, height: float = 4.8, dpi: int = 100) -> Any:
    """A matplotlib ``Figure`` on the Agg canvas, without pyplot (no window, no global state).

    >>> new_figure().canvas.get_width_height()
    (640, 480)
    """
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Any, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` atomically; the suffix picks the format (.png, .svg, .pdf).

    The picture is rendered in memory first and written with
    :func:`autograd_mini.files.write_atomically`, so a failure never leaves half a file.

    >>> import pathlib, tempfile
    >>> path = save(new_figure(), pathlib.Path(tempfile.mkdtemp()) / "empty.png")
    >>> path.read_bytes()[:4]
    b'\\x89PNG'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"plots.save: cannot tell the format from the suffix {suffix or '(none)'!r} of"
            f" {str(target)!r}; use one of {', '.join(_FORMATS)}"
        )
    picture = io.BytesIO()
    figure.savefig(picture, format=suffix[1:])
    write_atomically(target, picture.getvalue())
    return target


# ------------------------------------------------------------- decision boundaries


@dataclass(frozen=True)
class _Plane:
    """The part of the plane a decision boundary shows, and the grid it is sampled on."""

    xs: list[float]
    ys: list[float]

    @classmethod
    def around(cls, X: Sequence[Sequence[float]], pad: float, resolution: int,  # noqa: N803
               where: str) -> _Plane:
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
            raise ValueError(f"{where}: resolution must be an int >= 2, got {resolution!r}")
        if not X or any(len(x) != 2 for x in X):
            raise ValueError(
                f"{where}: a decision boundary needs points with two features each (a plane),"
                f" got {len(X[0]) if X else 'no'} features"
            )
        if not (math.isfinite(pad) and pad >= 0):
            raise ValueError(f"{where}: pad must be a finite number >= 0, got {pad!r}")

        def axis(values: list[float]) -> list[float]:
            low, high = min(values) - pad, max(values) + pad
            if high - low < 1e-9:  # every point on one line: show some room around it
                low, high = low - 0.5, high + 0.5
            return [low + (high - low) * i / (resolution - 1) for i in range(resolution)]

        return cls(axis([float(x[0]) for x in X]), axis([float(x[1]) for x in X]))

    @property
    def points(self) -> list[list[float]]:
        """Every point of the grid, row by row (y outer, x inner)."""
        return [[x, y] for y in self.ys for x in self.xs]


@dataclass(frozen=True)
class _Classes:
    """How a model's output is read: one score whose sign decides, or one logit per class."""

    kind: str  # "score" or "logits"
    labels: tuple[int, ...]  # for "score": the class of negative scores, then of positive ones

    @classmethod
    def of(cls, model: Any, X: Sequence[Any], y: Sequence[Any], where: str) -> _Classes:  # noqa: N803
        if len(X) != len(y):
            raise ValueError(f"{where}: X has {len(X)} points but y has {len(y)} labels")
        if any(isinstance(t, bool) or not isinstance(t, int) for t in y):
            raise ValueError(
                f"{where}: labels must be int classes (0/1, -1/+1 or 0..k-1); for float"
                " targets draw predictions() instead"
            )
        with no_grad():
            output = model(list(X[0]))
        found = sorted(set(y))
        if isinstance(output, (list, tuple)):
            if any(t < 0 or t >= len(output) for t in found):
                raise ValueError(
                    f"{where}: the model gives {len(output)} logits, so labels must be 0 to"
                    f" {len(output) - 1}; got {found}"
                )
            return cls("logits", tuple(range(len(output))))
        negative = -1 if -1 in found else 0
        if not set(found) <= {negative, 1}:
            raise ValueError(
                f"{where}: a model with one output separates two classes by the sign of its"
                f" score, labelled 0/1 or -1/+1; got labels {found}"
            )
        return cls("score", (negative, 1))

    def field(self, outputs: Outputs, plane: _Plane) -> list[list[float]]:
        """The score (clipped) or the predicted class at every point of the grid.

        ``outputs`` are the model's at :attr:`_Plane.points`, row by row.
        """
        flat = outputs()
        width = len(plane.xs)
        rows = [flat[k:k + width] for k in range(0, len(flat), width)]
        if self.kind == "logits":
            return [[float(_argmax([float(v) for v in o])) for o in row] for row in rows]
        return [[_clip(float(o)) for o in row] for row in rows]

    def name(self, label: int, names: Mapping[int, str] | None) -> str:
        text = names[label] if names and label in names else f"class {label}"
        if self.kind == "score":
            text += " (score < 0)" if label == self.labels[0] else " (score > 0)"
        return text

    def color(self, label: int) -> str:
        if self.kind == "score":
            return _NEGATIVE if label == self.labels[0] else _POSITIVE
        return _CLASS_COLORS[label % len(_CLASS_COLORS)]


def _clip(score: float) -> float:
    if math.isnan(score):
        return 0.0  # a diverged model: no side, drawn as the undecided middle
    return max(-SCORE_CLIP, min(SCORE_CLIP, score))


def _argmax(numbers: list[float]) -> int:
    return max(range(len(numbers)), key=numbers.__getitem__)


def _draw_boundary(
    ax: Any, plane: _Plane, classes: _Classes, field: list[list[float]],
    X: Sequence[Sequence[float]], y: Sequence[int],  # noqa: N803
    title: str, margin: float | None, class_names: Mapping[int, str] | None,
) -> None:
    figure = ax.figure
    if classes.kind == "score":
        filled = ax.contourf(plane.xs, plane.ys, field, cmap=_SCORE_COLORS, alpha=0.8,
                             levels=[SCORE_CLIP * (k / 12 - 1) for k in range(25)],
                             norm=Normalize(-SCORE_CLIP, SCORE_CLIP))
        bar = figure.colorbar(filled, cax=_colorbar_axes(ax), ticks=[-3, -2, -1, 0, 1, 2, 3])
        bar.set_label(f"the model's score, clipped to ±{SCORE_CLIP:g}\n"
                      "(its sign is the class, its size the confidence)")
        ax.contour(plane.xs, plane.ys, field, levels=[0.0], colors="black", linewidths=1.6)
        lines = [Line2D([], [], color="black", linewidth=1.6, label="decision boundary (score = 0)")]
        if margin is not None:
            ax.contour(plane.xs, plane.ys, field, levels=[-margin, margin], colors="black",
                       linewidths=0.9, linestyles="--")
            lines.append(Line2D([], [], color="black", linewidth=0.9, linestyle="--",
                                label=f"score = ±{margin:g}: the hinge loss is 0 past it"))
    else:
        count = len(classes.labels)
        colors = ListedColormap([classes.color(label) for label in classes.labels])
        filled = ax.contourf(plane.xs, plane.ys, field, cmap=colors, alpha=0.35,
                             levels=[k - 0.5 for k in range(count + 1)])
        bar = figure.colorbar(filled, cax=_colorbar_axes(ax), ticks=list(range(count)))
        bar.set_ticklabels([classes.name(label, class_names) for label in classes.labels])
        bar.set_label("the class the model predicts there (largest logit)")
        lines = []
    points = [
        ax.scatter([x[0] for x, t in zip(X, y) if t == label],
                   [x[1] for x, t in zip(X, y) if t == label],
                   color=classes.color(label), edgecolors="black", linewidths=0.6, s=26,
                   label=classes.name(label, class_names), zorder=3)
        for label in classes.labels
        if label in y
    ]
    _legend_below(ax, [*points, *lines], columns=2)
    ax.set_xlim(plane.xs[0], plane.xs[-1])
    ax.set_ylim(plane.ys[0], plane.ys[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("x[0], the first input")
    ax.set_ylabel("x[1], the second input")
    ax.set_title(title, fontsize="medium")


def _colorbar_axes(ax: Any) -> Any:
    # An inset of the plot's own axes: as tall as the plot whatever its aspect or its figure.
    return ax.inset_axes([1.04, 0.0, 0.045, 1.0])


def _legend_below(ax: Any, handles: list[Any], columns: int) -> None:
    # Below the x label (the pad is in font sizes, so it holds for small plots too), where
    # it hides neither the points nor the colours.
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=columns,
              fontsize="small", frameon=False, borderaxespad=4.0)


def decision_boundary(
    model: Any,
    X: Sequence[Sequence[float]],  # noqa: N803 - named as in fit
    y: Sequence[int],
    *,
    ax: Any = None,
    title: str | None = None,
    resolution: int = 60,
    pad: float = 0.5,
    margin: float | None = None,
    class_names: Mapping[int, str] | None = None,
) -> Any:
    """Draw what a classifier of two inputs decides over the plane, with its points on top.

    The model is evaluated (under ``no_grad``) on a ``resolution`` × ``resolution`` grid
    reaching ``pad`` past the points. A model with one output is read as a score whose
    sign is the class (labels 0/1 or -1/+1, as :func:`autograd_mini.training.fit` counts
    them): the colour shows the score, clipped to ±:data:`SCORE_CLIP`, with the decision
    boundary (score 0) drawn in black and, with ``margin``, dashed lines at ±margin (the
    hinge loss's margin). A model with one logit per class (labels 0 to k-1) colours each
    region by its predicted class. ``class_names`` maps a label to the name shown.

    >>> from autograd_mini import datasets, nn
    >>> X, y = datasets.spirals(30)
    >>> figure = decision_boundary(nn.MLP(2, [8, 3], seed=0), X, y, resolution=6,
    ...                            class_names={0: "arm 0"})
    >>> [t.get_text() for t in figure.axes[0].child_axes[0].get_yticklabels()]
    ['arm 0', 'class 1', 'class 2']
    """
    where = "decision_boundary"
    classes = _Classes.of(model, X, y, where)
    plane = _Plane.around(X, pad, resolution, where)
    figure, ax = _figure_and_axes(ax, _BOUNDARY_WIDTH)
    _draw_boundary(ax, plane, classes, classes.field(Outputs(model, plane.points), plane), X, y,
                   title or "decision boundary: what the model decides over the plane",
                   margin, class_names)
    return figure


def _figure_and_axes(ax: Any, width: float = 6.4) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    figure = new_figure(width)
    return figure, figure.add_subplot()


# ---------------------------------------------------------------- training curves


def training_curves(
    history: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    loss_label: str = "training loss during each epoch",
    final_loss: float | None = None,
    final_label: str = "loss after the last update",
    unit: str = "epoch",
    log_scale: bool | None = None,
    best_label: str | None = None,
) -> Any:
    """Draw a :class:`~autograd_mini.training.History`: loss, and accuracy where there is one.

    Each epoch's loss is the one measured while it trained (before its update);
    ``final_loss`` (for example from :func:`~autograd_mini.training.evaluate`) is shown as
    a separate point after the last update, so the two are never mistaken for one.
    Accuracy, when the history has it, goes on a second axis. A history with validation
    (``fit(validation=...)``) adds the validation loss and accuracy, measured after each
    epoch's updates, as dashed lines in the same colours, and a dotted line at its
    ``best_epoch`` (the lowest validation loss), labelled ``best_label`` if given. The
    loss axis is logarithmic when every loss is positive, unless ``log_scale`` says otherwise.

    >>> from autograd_mini.training import History
    >>> figure = training_curves(History(loss=[1.0, 0.5, 0.2], accuracy=[0.5, 0.75, 1.0]),
    ...                          final_loss=0.15)
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    ['training loss during each epoch', 'loss after the last update', 'training accuracy during each epoch']
    >>> figure = training_curves(History(loss=[1.0, 0.5], accuracy=[None, None],
    ...                                  val_loss=[0.9, 0.7], best_epoch=1))
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()][1:]
    ['validation loss after each epoch', 'lowest validation loss (epoch 2)']
    """
    losses = [float(v) for v in history.loss]
    if not losses:
        raise ValueError("training_curves: the history is empty; train for at least one epoch")
    figure, ax = _figure_and_axes(ax)
    epochs = list(range(1, len(losses) + 1))
    validation = [float(v) for v in getattr(history, "val_loss", [])]
    handles = ax.plot(epochs, losses, color=_LOSS_COLOR, label=loss_label)
    if validation:
        handles += ax.plot(epochs[:len(validation)], validation, color=_LOSS_COLOR,
                           linestyle="--", label=f"validation loss after each {unit}")
    if final_loss is not None:
        handles += ax.plot([len(losses)], [final_loss], linestyle="none", marker="o",
                           markersize=7, markerfacecolor="white", color=_LOSS_COLOR,
                           label=final_label)
    best = getattr(history, "best_epoch", None)
    if best is not None:
        handles.append(ax.axvline(best + 1, color="gray", linestyle=":", linewidth=1.4,
                                  label=best_label or f"lowest validation loss ({unit} {best + 1})"))
    shown = losses + validation + ([final_loss] if final_loss is not None else [])
    if log_scale if log_scale is not None else all(v > 0 and math.isfinite(v) for v in shown):
        ax.set_yscale("log")
    ax.set_xlabel(unit)
    ax.set_ylabel("loss", color=_LOSS_COLOR)
    ax.grid(alpha=0.3)
    accuracy = list(history.accuracy)
    val_accuracy = list(getattr(history, "val_accuracy", []))
    drawn = bool(accuracy) and all(a is not None for a in accuracy)
    if drawn:
        right = ax.twinx()
        handles += right.plot(epochs, accuracy, color=_ACCURACY_COLOR,
                              label=f"training accuracy during each {unit}")
        if val_accuracy and all(a is not None for a in val_accuracy):
            handles += right.plot(epochs[:len(val_accuracy)], val_accuracy, linestyle="--",
                                  color=_ACCURACY_COLOR, label=f"validation accuracy after each {unit}")
        right.set_ylabel("accuracy", color=_ACCURACY_COLOR)
        right.set_ylim(0.0, 1.05)
    _legend_below(ax, handles, columns=2 if len(handles) > 3 else 1)
    what = "loss and accuracy" if drawn else "loss"
    ax.set_title(title or f"{what} during training{', with validation' if validation else ''}",
                 fontsize="medium")
    return figure


# -------------------------------------------------------------------- predictions


def predictions(
    model: Any,
    X: Sequence[Sequence[float]],  # noqa: N803 - named as in fit
    y: Sequence[float],
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw a regression model's prediction for each example against its target.

    Perfect predictions lie on the dashed diagonal; the vertical distance to it is the error.

    >>> from autograd_mini import datasets, nn
    >>> X, y = datasets.regression(10)
    >>> figure = predictions(nn.MLP(3, [1], seed=0), X, y)
    >>> figure.axes[0].get_xlabel(), figure.axes[0].get_ylabel()
    ('target', "the model's prediction")
    """
    if len(X) != len(y) or not X:
        raise ValueError(f"predictions: need as many targets as examples (>0): {len(X)} vs {len(y)}")
    with no_grad():
        outputs = [model(list(x)) for x in X]
    if any(isinstance(o, (list, tuple)) for o in outputs):
        raise ValueError("predictions: the model must give one number per example, not a list")
    predicted = [float(o) for o in outputs]
    targets = [float(t) for t in y]
    figure, ax = _figure_and_axes(ax)
    ax.scatter(targets, predicted, s=22, color="#1f77b4", edgecolors="black", linewidths=0.5,
               label="one example", zorder=3)
    low, high = min(targets + predicted), max(targets + predicted)
    ax.plot([low, high], [low, high], color="gray", linestyle="--",
            label="perfect prediction (prediction = target)")
    ax.set_xlabel("target")
    ax.set_ylabel("the model's prediction")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    ax.set_title(title or "predictions against targets", fontsize="medium")
    return figure


# ------------------------------------------------------------------------- images


def _image_shape(width: int, shape: tuple[int, int] | None, where: str) -> tuple[int, int]:
    if shape is None:
        side = math.isqrt(width)
        if side * side != width:
            raise ValueError(f"{where}: {width} pixels are not a square image; give shape=(rows, columns)")
        return side, side
    if (not isinstance(shape, tuple) or len(shape) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape)):
        raise ValueError(f"{where}: shape must be (rows, columns) of positive ints, got {shape!r}")
    if shape[0] * shape[1] != width:
        raise ValueError(f"{where}: shape {shape} holds {shape[0] * shape[1]} pixels, but each"
                         f" image has {width}")
    return shape


def _tiles(ax: Any, tiles: Sequence[Sequence[float]], shape: tuple[int, int], columns: int,
           cmap: Any, norm: Any, captions: Sequence[str] | None,
           caption_colors: Sequence[str] | None) -> Any:
    """Draw flat pixel lists as one mosaic of tiles (gaps in grey), each captioned above."""
    height, width = shape
    gap = max(1, round(0.45 * height)) if captions else 1  # room for two lines above a tile
    rows = math.ceil(len(tiles) / columns)
    across = min(columns, len(tiles))
    grid = [[math.nan] * (across * (width + 1) - 1) for _ in range(rows * (height + gap))]
    for k, tile in enumerate(tiles):
        row, column = divmod(k, columns)
        top, left = row * (height + gap) + gap, column * (width + 1)
        for i in range(height):
            grid[top + i][left:left + width] = [float(v) for v in tile[i * width:(i + 1) * width]]
        if captions:
            ax.text(left + (width - 1) / 2, top - 0.7, captions[k], ha="center", va="bottom",
                    fontsize=8, linespacing=1.0,
                    color=caption_colors[k] if caption_colors else "black")
    image = ax.imshow(grid, cmap=colormaps[cmap].with_extremes(bad="#d4d4d4"), norm=norm,
                      interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return image


def _tile_figure(ax: Any, count: int, shape: tuple[int, int], columns: int,
                 captions: bool) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    height, width = shape
    rows = math.ceil(count / columns)
    tile = 0.8  # inches per tile, across
    extra = (max(1, round(0.45 * height)) if captions else 1) / (width + 1)
    figure = new_figure(min(columns, count) * tile + 2.2,
                        max(3.2, rows * tile * (height / (width + 1) + extra) + 1.6))
    return figure, figure.add_subplot()


def _check_columns(columns: int, where: str) -> None:
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"{where}: columns must be an int >= 1, got {columns!r}")


def image_grid(
    X: Sequence[Sequence[float]],  # noqa: N803 - named as in fit
    y: Sequence[int] | None = None,
    predicted: Sequence[int] | None = None,
    *,
    shape: tuple[int, int] | None = None,
    class_names: Mapping[int, str] | None = None,
    columns: int = 10,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw images (each a flat list of pixels, row by row) in a grid, with their labels.

    Ink is dark on light, 0 to 1, as :func:`autograd_mini.datasets.digits` makes it (the
    colour bar says so); ``shape`` is (rows, columns) of pixels, by default a square.
    Each image is captioned with its label ``y``; given ``predicted`` (the model's class
    for each), with the predicted and the true label, green where they agree and red
    where they do not, and the legend counts them.

    >>> from autograd_mini import datasets
    >>> X, y = datasets.digits(12)
    >>> figure = image_grid(X, y, [*y[:11], (y[11] + 1) % 10], columns=6)
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    ['predicted right: 11 of 12', 'predicted wrong: 1 of 12']
    >>> figure.axes[0].get_title()
    '12 images, predicted and true labels: 11 of 12 right'
    """
    where = "image_grid"
    if not X:
        raise ValueError(f"{where}: no images to draw")
    _check_columns(columns, where)
    height, width = _image_shape(len(X[0]), shape, where)
    if any(len(x) != height * width for x in X):
        raise ValueError(f"{where}: every image needs {height * width} pixels, as the first")
    for argument, labels in (("y", y), ("predicted", predicted)):
        if labels is not None and len(labels) != len(X):
            raise ValueError(f"{where}: {len(X)} images but {len(labels)} labels in {argument}")
    if predicted is not None and y is None:
        raise ValueError(f"{where}: predicted labels need the true ones (y) to be compared with")

    def name(label: int) -> str:
        return class_names[label] if class_names and label in class_names else str(label)

    captions = colors = None
    handles = []
    if y is not None and predicted is not None:
        right = [p == t for p, t in zip(predicted, y)]
        captions = [f"pred {name(p)}\ntrue {name(t)}" for p, t in zip(predicted, y)]
        colors = [_RIGHT if ok else _WRONG for ok in right]
        handles = [Patch(color=_RIGHT, label=f"predicted right: {sum(right)} of {len(X)}"),
                   Patch(color=_WRONG, label=f"predicted wrong: {len(X) - sum(right)} of {len(X)}")]
        what = f"predicted and true labels: {sum(right)} of {len(X)} right"
    elif y is not None:
        captions = [name(t) for t in y]
        what = "and their labels"
    else:
        what = ""
    figure, ax = _tile_figure(ax, len(X), (height, width), columns, captions is not None)
    image = _tiles(ax, X, (height, width), columns, "gray_r", Normalize(0.0, 1.0), captions, colors)
    bar = figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("ink (0: none, 1: full)")
    ax.set_xlabel(f"{len(X)} images of {height}×{width} pixels, {columns} to a row")
    if handles:
        _legend_below(ax, handles, columns=2)
    ax.set_title(title or f"{len(X)} images{', ' if predicted is not None else ' '}{what}".rstrip(),
                 fontsize="medium")
    return figure


def first_layer_weights(
    model: Any,
    shape: tuple[int, int] | None = None,
    *,
    columns: int = 10,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw each neuron's weights in a model's first layer as an image of its input.

    For a model that reads images (pixels row by row), neuron ``j``'s weight on pixel ``i``
    is drawn at pixel ``i``: red where ink raises the neuron's output, blue where it
    lowers it, on one colour scale symmetric around 0 for all of them. For a softmax
    classifier (an :class:`~autograd_mini.nn.MLP` of one layer) each neuron is a class
    and its image the template that class matches. ``model`` is an ``MLP`` or a ``Layer``.

    >>> from autograd_mini import nn
    >>> figure = first_layer_weights(nn.MLP(64, [10], seed=0))
    >>> figure.axes[0].texts[3].get_text(), figure.axes[1].get_ylabel()[:6]
    ('class 3', 'weight')
    """
    from autograd_mini import nn

    where = "first_layer_weights"
    _check_columns(columns, where)
    if isinstance(model, nn.MLP):
        layer, last = model.layers[0], len(model.layers) == 1
    elif isinstance(model, nn.Layer):
        layer, last = model, False
    else:
        raise TypeError(f"{where}: expected an nn.MLP or nn.Layer, got {type(model).__name__}")
    weights = [[w.data for w in neuron.w] for neuron in layer.neurons]
    height, width = _image_shape(len(weights[0]), shape, where)
    largest = max((abs(w) for row in weights for w in row), default=0.0) or 1.0
    captions = [f"{'class' if last else 'neuron'} {j}" for j in range(len(weights))]
    figure, ax = _tile_figure(ax, len(weights), (height, width), columns, True)
    image = _tiles(ax, weights, (height, width), columns, _SCORE_COLORS,
                   Normalize(-largest, largest), captions, None)
    bar = figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label("weight: red where ink raises\nthe output, blue lowers it")
    ax.set_xlabel(f"the {len(weights)} {'classes' if last else 'neurons'} of the first layer,"
                  f" each weight drawn at its pixel ({height}×{width})")
    ax.set_title(title or "first-layer weights drawn as images", fontsize="medium")
    return figure


def confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    *,
    classes: int | None = None,
    class_names: Mapping[int, str] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw how often each true class (rows) was predicted as each class (columns).

    The counts come from :func:`autograd_mini.training.confusion_matrix`; each cell shows
    its count, coloured on the scale of the colour bar, and the diagonal holds the right
    answers. ``class_names`` maps a class to the name on the axes.

    >>> figure = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    >>> figure.axes[0].get_xlabel(), figure.axes[0].get_title()
    ('predicted class', 'confusion matrix: 3 of 4 right (75.0%)')
    """
    counts = count_confusions(y_true, y_pred, classes)
    size = len(counts)
    if size == 0:
        raise ValueError("confusion_matrix: no examples to count")
    if ax is None:
        figure = new_figure(0.45 * size + 2.6, 0.45 * size + 1.6)
        ax = figure.add_subplot()
    figure = ax.figure
    image = ax.imshow(counts, cmap="Blues", vmin=0, interpolation="nearest")
    top = max(max(row) for row in counts)
    for t, row in enumerate(counts):
        for p, count in enumerate(row):
            ax.text(p, t, str(count), ha="center", va="center", fontsize="small",
                    color="white" if count > top / 2 else "black")
    names = [class_names[k] if class_names and k in class_names else str(k) for k in range(size)]
    ax.set_xticks(range(size), names)
    ax.set_yticks(range(size), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    bar = figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("examples")
    right = sum(counts[k][k] for k in range(size))
    total = len(y_true)
    ax.set_title(title or f"confusion matrix: {right} of {total} right ({right / total:.1%})",
                 fontsize="medium")
    return figure


# ---------------------------------------------------------------------- animation


@dataclass(frozen=True)
class _Frame:
    done: int  # epochs trained when the frame was taken
    field: list[list[float]]
    accuracy: float | None


class BoundaryAnimation:
    """The decision boundary as a model trains: a callback for ``fit``, then an animated GIF.

    Made before training, it takes the first frame (the untrained model); passed as
    ``fit(..., callback=animation)`` it takes up to ``frames`` more over ``epochs``: after
    ``epochs * (k / frames)**2`` epochs for k = 1 to ``frames``, so closer together early,
    where the boundary moves most, and always after the last. Each frame is drawn as :func:`decision_boundary` draws
    (same colour scale in every frame), titled with the epoch and the training accuracy
    of the model shown. The GIF is one self-contained file: :meth:`save` writes it,
    :meth:`gif` gives its bytes, and in a notebook it shows inline (``_repr_html_``, an
    ``<img>`` with the GIF in it), also in a notebook exported to HTML.

    >>> from autograd_mini import datasets, losses, nn, optim
    >>> from autograd_mini.training import fit
    >>> X, y = datasets.xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", init="xavier", seed=1)
    >>> animation = BoundaryAnimation(model, X, y, epochs=20, frames=4, resolution=8)
    >>> _ = fit(model, X, y, losses.binary_cross_entropy,
    ...         optim.Adam(model.parameters(), lr=0.1), epochs=20, callback=animation)
    >>> animation.epochs_shown, animation.gif()[:6]
    ([0, 1, 5, 11, 20], b'GIF89a')
    """

    def __init__(
        self,
        model: Any,
        X: Sequence[Sequence[float]],  # noqa: N803 - named as in fit
        y: Sequence[int],
        epochs: int,
        *,
        frames: int = 20,
        resolution: int = 40,
        pad: float = 0.5,
        margin: float | None = None,
        title: str = "decision boundary during training",
        unit: str = "epoch",
        class_names: Mapping[int, str] | None = None,
    ) -> None:
        where = "BoundaryAnimation"
        for name, value in (("epochs", epochs), ("frames", frames)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{where}: {name} must be an int >= 1, got {value!r}")
        self._model = model
        self._X = [list(x) for x in X]
        self._y = list(y)
        self._classes = _Classes.of(model, self._X, self._y, where)
        self._plane = _Plane.around(self._X, pad, resolution, where)
        self._outputs = Outputs(model, self._plane.points)
        self._epochs = epochs
        # Denser early, where the boundary moves most: after epochs * (k / frames)**2.
        self._due = {max(1, round(epochs * (k / frames) ** 2)) for k in range(1, frames + 1)}
        self._margin, self._title, self._unit = margin, title, unit
        self._class_names = class_names
        self._frames: list[_Frame] = []
        self._gifs: dict[tuple[float, float, int], bytes] = {}  # rendered, until a new frame
        self._record(0)

    def __call__(self, epoch: int, history: Any) -> None:
        """``fit``'s callback: after epoch ``epoch`` (from 0), take a frame if one is due."""
        if epoch + 1 in self._due:
            self._record(epoch + 1)

    @property
    def epochs_shown(self) -> list[int]:
        """The number of epochs trained at each frame taken so far (0: before training)."""
        return [frame.done for frame in self._frames]

    def _record(self, done: int) -> None:
        from autograd_mini.training import DivergedError, evaluate

        try:
            accuracy = evaluate(self._model, self._X, self._y)[1]
        except DivergedError:
            accuracy = None
        field = self._classes.field(self._outputs, self._plane)
        self._frames.append(_Frame(done, field, accuracy))
        self._gifs.clear()

    def _caption(self, frame: _Frame) -> str:
        when = ("before training (the initial weights)" if frame.done == 0 else
                f"after {frame.done} of {self._epochs} {self._unit}s")
        accuracy = "" if frame.accuracy is None else f", training accuracy {frame.accuracy:.0%}"
        return f"{self._title}\n{when}{accuracy}"

    def gif(self, frame_seconds: float = 0.3, last_frame_seconds: float = 2.5,
            dpi: int = 72) -> bytes:
        """The animation as GIF bytes; it loops, and holds the last frame longer."""
        key = (frame_seconds, last_frame_seconds, dpi)
        if key in self._gifs:
            return self._gifs[key]
        images = []
        for frame in self._frames:
            figure = new_figure(_BOUNDARY_WIDTH, 5.0, dpi)
            _draw_boundary(figure.add_subplot(), self._plane, self._classes, frame.field,
                           self._X, self._y, self._caption(frame), self._margin,
                           self._class_names)
            figure.canvas.draw()
            width, height = figure.canvas.get_width_height()
            rgba = Image.frombuffer("RGBA", (width, height), figure.canvas.buffer_rgba(),
                                    "raw", "RGBA", 0, 1)
            images.append(rgba.convert("RGB"))
        durations = [round(1000 * frame_seconds)] * (len(images) - 1)
        durations.append(round(1000 * last_frame_seconds))
        out = io.BytesIO()
        images[0].save(out, format="GIF", save_all=True, append_images=images[1:],
                       duration=durations, loop=0)
        self._gifs[key] = out.getvalue()
        return self._gifs[key]

    def save(self, path: str | Path) -> Path:
        """Write the GIF to ``path`` (which must end in .gif) atomically; return the path."""
        target = Path(path)
        if target.suffix.lower() != ".gif":
            raise ValueError(
                f"BoundaryAnimation.save: the animation is a GIF; give a path ending in .gif,"
                f" got {str(target)!r}"
            )
        write_atomically(target, self.gif())
        return target

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif()).decode("ascii")
        alt = html.escape(f"{self._title}: {len(self._frames)} frames", quote=True)
        return f'<img src="data:image/gif;base64,{data}" alt="{alt}">'

    def __repr__(self) -> str:
        return f"<BoundaryAnimation of {len(self._frames)} frames, epochs {self.epochs_shown}>"
