"""Data in pure Python, as plain lists: generated toy sets, handwritten-style digits, your CSV.

Every generator returns ``(X, y)``: ``X`` a list of feature lists (floats), ``y`` a list
of labels. Label convention: classification labels are ``int`` class indices, 0 and 1
for the binary sets (``xor``, ``moons``, ``circles``), 0 to ``classes - 1`` for
``spirals``, 0 to 9 for :func:`digits`; ``regression`` gives float targets. micrograd's
hinge-loss demo wants -1/+1: convert with :func:`signed_labels`. Noise comes from
``random.Random(seed)``, never from the global generator; the same arguments give the
same lists on every run and machine.

Your own data: :func:`load_csv` reads a table of numbers with the standard library's
``csv`` (class labels written as text become class indices), :func:`train_test_split`
holds part of it out, and :class:`Standardizer` puts features of different units on one
scale, fitted on the training part only.

:data:`PRESETS` holds, for each data set, the model and training settings that learn it
well (what ``autograd-mini train --dataset NAME`` starts from), and makes the data.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import random
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd_mini import files
from autograd_mini.files import NotARegularFileError

__all__ = [
    "DIGIT_STROKES",
    "PRESETS",
    "CSVError",
    "CSVTable",
    "Preset",
    "ScalingError",
    "Standardizer",
    "circles",
    "digits",
    "load_csv",
    "moons",
    "regression",
    "signed_labels",
    "spirals",
    "train_test_split",
    "xor",
]

Dataset = tuple[list[list[float]], list[int]]


def _linspace(start: float, stop: float, count: int, endpoint: bool = True) -> list[float]:
    if count <= 1:
        return [start][:count]
    step = (stop - start) / (count - 1 if endpoint else count)
    return [start + i * step for i in range(count)]


def _check(where: str, n: int, noise: float, minimum: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ValueError(f"{where}: n must be an int >= {minimum}, got {n!r}")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}")


def _shuffled(points: list[list[float]], y: list[int], rng: random.Random) -> Dataset:
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [y[i] for i in order]


def xor() -> Dataset:
    """The four XOR points and their labels (1 where exactly one input is 1).

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles, with scikit-learn's ``make_moons`` geometry.

    ``n // 2`` points on the upper moon ``(cos t, sin t)`` (label 0) and the rest on the
    lower moon ``(1 - cos t, 1 - sin t - 0.5)`` (label 1), ``t`` evenly spaced in [0, π];
    shuffled, then Gaussian noise of standard deviation ``noise`` added to each coordinate.

    >>> X, y = moons(6, noise=0.0, seed=0)
    >>> sorted(zip(y, [[round(v, 3) for v in x] for x in X]))[:2]
    [(0, [-1.0, 0.0]), (0, [0.0, 1.0])]
    """
    _check("moons", n, noise)
    rng = random.Random(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    points += [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_lower)]
    y = [0] * n_upper + [1] * n_lower
    points, y = _shuffled(points, y, rng)
    return [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in points], y


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A circle of radius 1 (label 0) around one of radius ``factor`` (label 1).

    scikit-learn's ``make_circles`` geometry: ``n // 2`` points on the outer circle, the
    rest on the inner, angles evenly spaced in [0, 2π); shuffled, then Gaussian noise.

    >>> X, y = circles(4, noise=0.0, factor=0.5)
    >>> sorted((label, round(math.hypot(*x), 6)) for x, label in zip(X, y))
    [(0, 1.0), (0, 1.0), (1, 0.5), (1, 0.5)]
    """
    _check("circles", n, noise)
    if not (isinstance(factor, (int, float)) and 0.0 < factor < 1.0):
        raise ValueError(f"circles: factor must be between 0 and 1 (exclusive), got {factor!r}")
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_outer, False)]
    points += [
        [factor * math.cos(t), factor * math.sin(t)]
        for t in _linspace(0.0, 2 * math.pi, n_inner, False)
    ]
    y = [0] * n_outer + [1] * n_inner
    points, y = _shuffled(points, y, rng)
    return [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in points], y


def spirals(n: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """``classes`` interleaved spiral arms (CS231n's spiral data), ``n`` points in all.

    Arm ``k`` has radius growing evenly from 0 to 1 while the angle runs from ``4k`` to
    ``4(k + 1)`` radians, plus Gaussian noise of ``noise`` on the angle. Points are
    grouped by class (arm 0 first); the class sizes differ by at most one.

    >>> X, y = spirals(6, classes=3, noise=0.0)
    >>> y, [round(v, 3) for v in X[1]]
    ([0, 0, 1, 1, 2, 2], [-0.757, -0.654])
    """
    _check("spirals", n, noise)
    if isinstance(classes, bool) or not isinstance(classes, int) or not 2 <= classes <= n:
        raise ValueError(f"spirals: classes must be an int from 2 to n ({n}), got {classes!r}")
    rng = random.Random(seed)
    points: list[list[float]] = []
    y: list[int] = []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        radii = _linspace(0.0, 1.0, count)
        angles = _linspace(4.0 * k, 4.0 * (k + 1), count)
        for r, t in zip(radii, angles):
            t += rng.gauss(0.0, noise)
            points.append([r * math.sin(t), r * math.cos(t)])
            y.append(k)
    return points, y


REGRESSION_WEIGHTS = (1.5, 0.4, -0.3)
"""The true coefficients of :func:`regression`: size, rooms, age."""

REGRESSION_BIAS = 0.5
"""The true intercept of :func:`regression`."""


def regression(n: int = 50, seed: int = 0, noise: float = 0.1) -> tuple[list[list[float]], list[float]]:
    """A small house-price-like linear problem: ``price = 0.5 + 1.5 size + 0.4 rooms - 0.3 age``.

    Features, already on comparable scales: size in 100 m² (uniform 0.5 to 2.5), rooms
    (an integer 1 to 5, as a float), age in decades (uniform 0 to 5). The price (in units
    of 100k) gets Gaussian noise of standard deviation ``noise``. The true coefficients are
    :data:`REGRESSION_WEIGHTS` and :data:`REGRESSION_BIAS`.

    >>> X, y = regression(2, noise=0.0)
    >>> abs(y[0] - (0.5 + 1.5 * X[0][0] + 0.4 * X[0][1] - 0.3 * X[0][2])) < 1e-12
    True
    """
    _check("regression", n, noise)
    rng = random.Random(seed)
    points: list[list[float]] = []
    y: list[float] = []
    for _ in range(n):
        features = [rng.uniform(0.5, 2.5), float(rng.randint(1, 5)), rng.uniform(0.0, 5.0)]
        price = REGRESSION_BIAS + sum(w * x for w, x in zip(REGRESSION_WEIGHTS, features))
        points.append(features)
        y.append(price + rng.gauss(0.0, noise))
    return points, y


def signed_labels(labels: list[int]) -> list[int]:
    """Map 0/1 labels to -1/+1 (for :func:`autograd_mini.losses.hinge`, as micrograd's demo).

    >>> signed_labels([0, 1, 1])
    [-1, 1, 1]
    """
    result = []
    for label in labels:
        if label not in (0, 1) or isinstance(label, bool):
            raise ValueError(f"signed_labels: labels must be 0 or 1, got {label!r}")
        result.append(2 * int(label) - 1)
    return result


# ------------------------------------------------------------------------- digits


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float) -> list[tuple[float, float]]:
    """Points along an ellipse from angle ``start`` to ``stop`` (degrees; y grows downwards,
    so -90 is the top), one every 20 degrees or less."""
    count = max(3, int(abs(stop - start) / 20) + 1)
    angles = [math.radians(start + (stop - start) * k / (count - 1)) for k in range(count)]
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in angles]


DIGIT_STROKES: dict[int, tuple[tuple[tuple[float, float], ...], ...]] = {
    digit: tuple(tuple(stroke) for stroke in strokes)
    for digit, strokes in {
        0: [_arc(0.5, 0.5, 0.28, 0.4, -90, 270)],
        1: [[(0.32, 0.28), (0.55, 0.08), (0.55, 0.92)]],
        2: [_arc(0.5, 0.32, 0.26, 0.24, 190, 405) + [(0.2, 0.92), (0.82, 0.92)]],
        3: [_arc(0.5, 0.29, 0.24, 0.21, -160, 90), _arc(0.5, 0.7, 0.27, 0.22, -90, 160)],
        4: [[(0.66, 0.92), (0.66, 0.08), (0.16, 0.66), (0.86, 0.66)]],
        5: [[(0.8, 0.08), (0.3, 0.08), (0.26, 0.46)] + _arc(0.5, 0.66, 0.28, 0.26, -125, 150)],
        6: [[(0.72, 0.1), (0.5, 0.15)] + _arc(0.52, 0.62, 0.3, 0.45, -140, -180)
            + _arc(0.5, 0.68, 0.26, 0.24, 180, 540)],
        7: [[(0.18, 0.08), (0.82, 0.08), (0.42, 0.92)]],
        8: [_arc(0.5, 0.29, 0.2, 0.2, 90, 450), _arc(0.5, 0.7, 0.25, 0.22, -90, 270)],
        9: [_arc(0.5, 0.32, 0.25, 0.24, 0, 360), [(0.75, 0.32), (0.62, 0.92)]],
    }.items()
}
"""The pen strokes :func:`digits` draws: per digit, polylines in the unit square (x to the
right, y downwards), arcs given as points every 20 degrees or less."""


def digits(n: int = 1500, size: int = 8, noise: float = 0.1, seed: int = 0) -> Dataset:
    """``n`` grey-scale images of handwritten-style digits, ``size`` × ``size`` pixels.

    Each image is a digit of :data:`DIGIT_STROKES` drawn by a hand that varies: every
    point of a stroke moves a little, then the whole digit is rotated (up to ±12°),
    sheared (±0.25), scaled (75-105 % wide, 80-105 % tall) and shifted, and drawn with a
    pen 0.06 to 0.12 of the image wide. A pixel's ink is the part of it the pen covers
    (from 0, background, to 1), plus Gaussian noise of standard deviation ``noise``,
    clipped to [0, 1]. ``X[i]`` holds the image's ``size * size`` pixels row by row, top
    row first (scikit-learn's ``load_digits`` layout, on a 0-1 scale); ``y[i]`` is the
    digit, 0 to 9. The ten classes take turns (sizes differ by at most one), in shuffled
    order. Made here from ``random.Random(seed)``: nothing is downloaded or shipped.

    >>> X, y = digits(20, seed=0)
    >>> len(X), len(X[0]), sorted(set(y)) == list(range(10))
    (20, 64, True)
    >>> all(0.0 <= v <= 1.0 for image in X for v in image), digits(20, seed=0) == (X, y)
    (True, True)
    """
    _check("digits", n, noise)
    if isinstance(size, bool) or not isinstance(size, int) or not 4 <= size <= 64:
        raise ValueError(f"digits: size must be an int from 4 to 64 pixels, got {size!r}")
    rng = random.Random(seed)
    labels = [k % 10 for k in range(n)]
    rng.shuffle(labels)
    return [_draw_digit(label, size, noise, rng) for label in labels], labels


def _draw_digit(digit: int, size: int, noise: float, rng: random.Random) -> list[float]:
    angle = math.radians(rng.uniform(-12.0, 12.0))
    shear = rng.uniform(-0.25, 0.25)
    wide, tall = rng.uniform(0.75, 1.05), rng.uniform(0.8, 1.05)
    shift_x, shift_y = rng.uniform(-0.08, 0.08), rng.uniform(-0.06, 0.06)
    pen = rng.uniform(0.06, 0.12)
    cos, sin = math.cos(angle), math.sin(angle)
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for stroke in DIGIT_STROKES[digit]:
        points = []
        for x, y in stroke:
            x = (x + rng.gauss(0.0, 0.012) - 0.5) * wide
            y = (y + rng.gauss(0.0, 0.012) - 0.5) * tall
            x += shear * y
            # 0.8: the digit's box fills the image but for a margin, as a scanned digit does
            points.append((0.5 + 0.8 * (cos * x - sin * y) + shift_x,
                           0.5 + 0.8 * (sin * x + cos * y) + shift_y))
        segments += itertools.pairwise(points)
    half = 0.5 / size  # half a pixel, in the unit square
    reach = pen + half  # past it, the pen touches no part of a pixel
    ink = [0.0] * (size * size)
    for (ax, ay), (bx, by) in segments:
        # Only the pixels near the segment can get ink from it.
        rows = range(max(0, int((min(ay, by) - reach) * size)), min(size, int((max(ay, by) + reach) * size) + 1))
        columns = range(max(0, int((min(ax, bx) - reach) * size)), min(size, int((max(ax, bx) + reach) * size) + 1))
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        for i in rows:
            py = (i + 0.5) / size
            for j in columns:
                px = (j + 0.5) / size
                t = ((px - ax) * dx + (py - ay) * dy) / length2 if length2 else 0.0
                t = 0.0 if t < 0.0 else 1.0 if t > 1.0 else t
                distance = math.hypot(ax + t * dx - px, ay + t * dy - py)
                # The covered part of the pixel, as a ramp one pixel wide across the pen's edge.
                covered = (reach - distance) / (2 * half)
                if covered > ink[i * size + j]:
                    ink[i * size + j] = 1.0 if covered > 1.0 else covered
    noisy = (v + rng.gauss(0.0, noise) for v in ink)
    return [0.0 if v < 0.0 else 1.0 if v > 1.0 else v for v in noisy]


# ---------------------------------------------------------------------- CSV files


class CSVError(ValueError):
    """A CSV file that :func:`load_csv` cannot turn into numbers; the message says where.

    ``path`` is the file, ``line`` the line (counting from 1, as editors do; ``None`` when
    the file as a whole is wrong, such as an empty one) and ``column`` the column
    (counting from 0, as ``target`` and ``features`` do; ``None`` for a whole line).
    """

    def __init__(self, message: str, path: str, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.path, self.line, self.column = path, line, column


@dataclass(frozen=True)
class CSVTable:
    """What :func:`load_csv` read: the features ``X``, the targets ``y`` and what they are.

    ``feature_names`` name the columns of ``X`` (the header's names, else ``column 0``,
    ``column 1``, ...), ``target_name`` the target's column. ``classes`` maps each class
    label as written in the file to its index in ``y`` (empty when the targets are
    numbers used as they are); :attr:`class_names` lists them in index order.
    """

    X: list[list[float]]
    y: list[Any]
    feature_names: list[str]
    target_name: str
    classes: dict[str, int] = field(default_factory=dict)
    path: str = ""

    @property
    def class_names(self) -> list[str]:
        """The class labels in index order: ``class_names[y[i]]`` is example i's label."""
        return sorted(self.classes, key=self.classes.__getitem__)


def load_csv(
    path: str | os.PathLike[str],
    target: str | int,
    features: Sequence[str | int] | None = None,
    *,
    header: bool | None = None,
    classes: bool | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> CSVTable:
    """Read a table of numbers from a CSV file: features ``X``, targets ``y`` and their names.

    ``target`` is the column to predict, by header name or by position (from 0; negative
    counts from the end, as in Python); ``features`` the columns to learn from, in that
    order (default: all others). ``header=None`` takes the first line for a header when it
    has text above a number of the next line (a name above its column's values; a header
    of numbers only, such as years, needs ``header=True``); say ``True`` or ``False`` to
    decide yourself. Blank lines are skipped; cells may be quoted as the ``csv`` module
    reads them, and the spaces around a cell are ignored. The default encoding reads
    UTF-8, with or without the byte-order mark spreadsheets write.

    Targets: with ``classes=None``, text labels (``setosa``) become class indices 0, 1,
    ... in sorted order, whole numbers stay ``int`` labels (0/1, or 0 to k-1, as
    :func:`autograd_mini.training.fit` counts them), other numbers are ``float`` targets
    (regression). ``classes=True`` numbers every distinct target (text, or numbers in
    numeric order) from 0; ``classes=False`` requires numbers and gives floats.

    Every feature cell must be a finite number, written as CSV files write numbers: as in
    pandas, ``1_000`` and digits of other scripts are text, though Python's ``float`` reads
    them (a target so written is a class label). A file that cannot be read this way
    raises :class:`CSVError` naming the file, line and column, and nothing is returned
    half-loaded: a missing cell, text where a number should be, a line with more or fewer
    cells than the first, an empty file, a header with no data under it, a ``target`` or
    feature that is not a column. A path that does not exist, is a folder, or is a
    device, named pipe or socket raises ``FileNotFoundError``, ``IsADirectoryError`` or
    :class:`~autograd_mini.files.NotARegularFileError` (an ``OSError``), without blocking.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "flowers.csv"
    >>> _ = path.write_text("length,width,kind\\n1.4,0.2,setosa\\n4.7,1.4,versicolor\\n")
    >>> table = load_csv(path, target="kind")
    >>> table.X, table.y, table.classes
    ([[1.4, 0.2], [4.7, 1.4]], [0, 1], {'setosa': 0, 'versicolor': 1})
    >>> _ = path.write_text("length,width,kind\\n1.4,,setosa\\n")
    >>> load_csv(path, target="kind")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd_mini.datasets.CSVError: ...flowers.csv, line 2, column 1 ('width'): the cell is empty; ...
    """
    shown = os.fsdecode(path)
    if header is not None and not isinstance(header, bool):
        raise TypeError(f"load_csv: header must be True, False or None (decide from the file), got {header!r}")
    if classes is not None and not isinstance(classes, bool):
        raise TypeError(f"load_csv: classes must be True, False or None, got {classes!r}")
    rows = list(_csv_rows(shown, delimiter, encoding))
    if not rows:
        raise CSVError(f"{shown}: the file is empty (no lines with cells); a CSV file needs"
                       " a line per example", shown)
    first_line, first = rows[0]
    has_header = header if header is not None else _looks_like_header(rows)
    width = len(first)
    if width < 2:
        raise CSVError(f"{shown}, line {first_line}: one column only; a CSV file for training"
                       " needs at least one feature column and the target column", shown, first_line)
    names = [cell.strip() for cell in first] if has_header else [f"column {i}" for i in range(width)]
    data = rows[1:] if has_header else rows
    if not data:
        raise CSVError(f"{shown}: a header (line {first_line}) but no data under it", shown, first_line)
    target_column = _column(shown, "target", target, names, has_header, first_line)
    if features is None:
        feature_columns = [i for i in range(width) if i != target_column]
    else:
        if isinstance(features, (str, int)):
            raise TypeError(f"load_csv: features must be a list of column names or numbers, got {features!r}")
        feature_columns = [_column(shown, "feature", f, names, has_header, first_line) for f in features]
        if not feature_columns:
            raise ValueError("load_csv: features is empty; give at least one column (or None for all but the target)")
        for k, column in enumerate(feature_columns):
            if column == target_column:
                raise ValueError(f"load_csv: {features[k]!r} is the target column; a model must not see its target")
            if column in feature_columns[:k]:
                raise ValueError(f"load_csv: the feature column {features[k]!r} is given twice")
    examples: list[list[float]] = []
    raw_targets: list[tuple[int, str]] = []
    for line, cells in data:
        if len(cells) != width:
            count = len(cells)
            what = (f"column {count} ({names[count]!r}) and after are missing" if count < width
                    else f"column {width} and after are extra (quote a cell that holds {delimiter!r})")
            raise CSVError(f"{shown}, line {line}: {count} cells where line {first_line} has {width};"
                           f" {what}; every line needs one cell per column", shown, line,
                           min(count, width))
        examples.append([_cell_number(shown, line, column, names, cells[column]) for column in feature_columns])
        raw_targets.append((line, cells[target_column].strip()))
    y, mapping = _targets(shown, raw_targets, target_column, names, classes)
    return CSVTable(examples, y, [names[c] for c in feature_columns], names[target_column], mapping, shown)


def _csv_rows(path: str, delimiter: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every line with cells; the file opened without blocking and checked."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ValueError(f"load_csv: delimiter must be one character (not a quote or a line break), got {delimiter!r}")
    if not path:
        raise FileNotFoundError(2, "load_csv: the path is empty; give a CSV file", path)
    try:
        raw = files.read_regular_file(path)
    except ValueError:
        raise ValueError(f"load_csv: the path {path!r} contains a NUL character; check the path") from None
    except IsADirectoryError:
        raise IsADirectoryError(21, "load_csv: this is a folder; give the CSV file in it", path) from None
    except NotARegularFileError as error:
        raise NotARegularFileError(
            0, f"load_csv: {error.strerror}; give a CSV file", path) from None
    except OSError as error:
        reason = "no such file; check the path" if isinstance(error, FileNotFoundError) else (
            f"cannot read the file: {error.strerror or error}")
        raise type(error)(error.errno, f"load_csv: {reason}", path) from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise CSVError(f"{path}, line {line}: the bytes are not {encoding} text ({error.reason}"
                       f" at byte {error.start} of the file); save the file as UTF-8", path,
                       line) from None
    # skipinitialspace: "a, b" is two cells a and b, and ' "x, y"' one quoted cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True,
                        skipinitialspace=True)
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # a stray quote, an unclosed one, a field too large
            raise CSVError(f"{path}, line {reader.line_num}: not valid CSV: {error}", path,
                           reader.line_num) from None
        start, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def _looks_like_header(rows: list[tuple[int, list[str]]]) -> bool:
    """Text above a number in some column (a name above its values); in a file of one line,
    no number at all."""
    first = rows[0][1]
    if len(rows) == 1:
        return not any(_is_number(cell) for cell in first)
    return any(above.strip() and not _is_number(above) and _is_number(below)
               for above, below in zip(first, rows[1][1]))


def _is_number(text: str) -> bool:
    try:
        _csv_float(text)
    except ValueError:
        return False
    return True


def _csv_float(text: str) -> float:
    """``float(text)`` for a number as CSV files write it: ``ValueError`` for anything else.

    Python's ``float`` also reads its own literals' ``1_000`` and digits of other scripts
    (``١٢``); pandas, numpy and spreadsheets read those as text, and so does this.
    """
    if "_" in text or not text.isascii():
        raise ValueError(f"not a number as CSV files write one: {text!r}")
    return float(text)


def _csv_int(text: str) -> int:
    """``int(text)``, with :func:`_csv_float`'s rules."""
    if "_" in text or not text.isascii():
        raise ValueError(f"not a whole number as CSV files write one: {text!r}")
    return int(text)


def _where(path: str, line: int, column: int, names: list[str]) -> str:
    return f"{path}, line {line}, column {column} ({names[column]!r})"


def _cell_number(path: str, line: int, column: int, names: list[str], cell: str) -> float:
    text = cell.strip()
    if not text:
        raise CSVError(f"{_where(path, line, column, names)}: the cell is empty; every feature"
                       " needs a number (fill it in, or leave the example out)", path, line, column)
    try:
        number = _csv_float(text)
    except ValueError:
        raise CSVError(f"{_where(path, line, column, names)}: {text[:40]!r} is not a number;"
                       " features must be numbers (or leave this column out of the features)",
                       path, line, column) from None
    if not math.isfinite(number):
        raise CSVError(f"{_where(path, line, column, names)}: {text!r} is not a finite number;"
                       " a model cannot learn from inf or nan", path, line, column)
    return number


def _column(path: str, role: str, wanted: Any, names: list[str], has_header: bool, line: int) -> int:
    """The position of the column ``wanted`` (a header name or a number from 0)."""
    width = len(names)
    if isinstance(wanted, bool) or not isinstance(wanted, (str, int)):
        raise TypeError(f"load_csv: a {role} column is a header name or a number from 0, got {wanted!r}")
    if isinstance(wanted, int):
        if not -width <= wanted < width:
            raise CSVError(f"{path}: no column {wanted} for the {role}; the file has {width}"
                           f" columns, 0 to {width - 1}", path, line)
        return wanted % width
    if not has_header:
        raise CSVError(f"{path}: the {role} {wanted!r} is a name, but line {line} is data, not a"
                       " header; give the column's number (from 0), or say the first line is a"
                       " header", path, line)
    if wanted not in names:
        raise CSVError(f"{path}, line {line}: no column named {wanted!r} for the {role}; the"
                       f" header's names are {', '.join(map(repr, names))}", path, line)
    column = names.index(wanted)
    if names.count(wanted) > 1:
        again = names.index(wanted, column + 1)
        raise CSVError(f"{path}, line {line}: columns {column} and {again} are both named"
                       f" {wanted!r}; rename one, or give the {role} by number", path, line, column)
    return column


def _targets(path: str, raw: list[tuple[int, str]], column: int, names: list[str],
             classes: bool | None) -> tuple[list[Any], dict[str, int]]:
    """The targets as int labels, class indices or floats (see :func:`load_csv`)."""
    numbers: list[float | None] = []
    for line, text in raw:
        if not text:
            raise CSVError(f"{_where(path, line, column, names)}: the target is empty; every"
                           " example needs one (or leave the example out)", path, line, column)
        try:
            number: float | None = _csv_float(text)
        except ValueError:
            number = None
        if number is not None and not math.isfinite(number):
            raise CSVError(f"{_where(path, line, column, names)}: the target {text!r} is not a"
                           " finite number", path, line, column)
        numbers.append(number)
    all_numbers = all(n is not None for n in numbers)
    if classes is False:
        for (line, text), number in zip(raw, numbers):
            if number is None:
                raise CSVError(f"{_where(path, line, column, names)}: the target {text[:40]!r} is"
                               " not a number, and the target is to be a number (regression)", path, line,
                               column)
        return [float(n) for n in numbers if n is not None], {}
    if classes is None and all_numbers:
        if all(_is_int(text) for _, text in raw):
            return [_csv_int(text) for _, text in raw], {}
        return [float(n) for n in numbers if n is not None], {}
    if all_numbers:  # classes=True on numbers: numbered in numeric order
        values = [n for n in numbers if n is not None]
        ordered = sorted(set(values))
        index = {v: k for k, v in enumerate(ordered)}
        return [index[v] for v in values], {_number_name(v): k for v, k in index.items()}
    labels = sorted({text for _, text in raw})
    mapping = {label: k for k, label in enumerate(labels)}
    return [mapping[text] for _, text in raw], mapping


def _is_int(text: str) -> bool:
    try:
        _csv_int(text)
    except ValueError:
        return False
    return True


def _number_name(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


# ------------------------------------------------------------ splits and scaling


def train_test_split(
    X: Sequence[Any],  # noqa: N803 - named as scikit-learn names them
    y: Sequence[Any],
    test_fraction: float = 0.2,
    seed: int = 0,
    stratify: bool = False,
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Hold out a random ``test_fraction`` of the examples: ``X_train, X_test, y_train, y_test``.

    scikit-learn's order and rounding: the test part has ``ceil(test_fraction * n)``
    examples, the rest train, and both must have at least one. The examples are shuffled
    with ``random.Random(seed)``. ``stratify=True`` keeps each class's share of ``y`` in both
    parts (as closely as whole examples allow); every class then needs two examples.
    The lists are new; the examples in them are the ones given, not copies.

    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     [[float(i)] for i in range(10)], [0] * 5 + [1] * 5, test_fraction=0.4, stratify=True)
    >>> len(X_train), len(X_test), sorted(y_test)
    (6, 4, [0, 0, 1, 1])
    """
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} examples but y has {len(y)} targets")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be a number between 0 and 1"
                         f" (exclusive), got {test_fraction!r}")
    n = len(X)
    n_test = math.ceil(test_fraction * n)
    if n_test >= n:
        raise ValueError(f"train_test_split: {n} example{'s' if n != 1 else ''} cannot be split"
                         f" {1 - test_fraction:g}/{test_fraction:g} with one or more in each part;"
                         " give more examples or a smaller test_fraction")
    rng = random.Random(seed)
    if not stratify:
        order = list(range(n))
        rng.shuffle(order)
        test, train = order[:n_test], order[n_test:]
    else:
        test, train = _stratified(y, n_test, rng)
    return ([X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test])


def _stratified(y: Sequence[Any], n_test: int, rng: random.Random) -> tuple[list[int], list[int]]:
    groups: dict[Any, list[int]] = {}
    for i, label in enumerate(y):
        try:
            groups.setdefault(label, []).append(i)
        except TypeError:
            raise TypeError(f"train_test_split: stratify needs class labels, got {label!r}") from None
    small = sorted((label for label, members in groups.items() if len(members) < 2), key=str)
    if small:
        raise ValueError(f"train_test_split: with stratify=True every class needs two examples"
                         f" (one for each part); class {small[0]!r} has one")
    n = len(y)
    # Largest remainder: each class's share of the test part, rounded so they add up.
    shares = {label: n_test * len(members) / n for label, members in groups.items()}
    counts = {label: math.floor(share) for label, share in shares.items()}
    by_remainder = sorted(groups, key=lambda label: (counts[label] - shares[label], str(label)))
    for label in by_remainder[:n_test - sum(counts.values())]:
        counts[label] += 1
    # Every class keeps one example for training; what that takes from the test part goes
    # to the classes with room, in the same order, so the test part keeps its size.
    counts = {label: min(count, len(groups[label]) - 1) for label, count in counts.items()}
    short = n_test - sum(counts.values())
    while short > 0:
        room = [label for label in by_remainder if counts[label] < len(groups[label]) - 1]
        if not room:
            raise ValueError(
                f"train_test_split: a test part of {n_test} of {n} examples leaves no example of"
                f" some class for training; with stratify=True at most {n - len(groups)} can be"
                " held out: use a smaller test_fraction")
        for label in room[:short]:
            counts[label] += 1
        short = n_test - sum(counts.values())
    test: list[int] = []
    train: list[int] = []
    for label in sorted(groups, key=str):  # a fixed order, so a seed gives one split
        members = groups[label]
        rng.shuffle(members)
        test += members[:counts[label]]
        train += members[counts[label]:]
    rng.shuffle(test)
    rng.shuffle(train)
    return test, train


class ScalingError(ValueError):
    """A feature :class:`Standardizer` cannot scale; the message says why.

    ``feature`` is the feature's index (from 0); ``example`` and ``value`` the example (its
    index in the ``X`` given) and the value at fault, or ``None`` when the feature as a
    whole is (a spread beyond a float).
    """

    def __init__(self, message: str, feature: int, example: int | None = None,
                 value: float | None = None) -> None:
        super().__init__(message)
        self.feature, self.example, self.value = feature, example, value


@dataclass(frozen=True)
class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1, with statistics of one set.

    Fit it on the training examples only (:meth:`fit`), then apply it to every set
    (``standardizer(X)``), so nothing of the held-out examples leaks into training.
    scikit-learn's ``StandardScaler``: the population standard deviation, and a feature
    that never varies is only centred (its scale is 1). Any finite values can be measured:
    where the squares of the deviations would overflow (values beyond about 1e154) or lose
    their digits (a spread below about 1e-154), they are divided by the largest first, so
    the standard deviation (at most half the range) comes out whole. What still cannot be
    scaled, a value that is not finite or one whose scaled value is beyond a float, raises
    :class:`ScalingError` (a ``ValueError``) naming the feature.

    >>> scale = Standardizer.fit([[1.0, 10.0], [3.0, 10.0]])
    >>> scale.mean, scale.scale, scale([[2.0, 11.0]])
    ((2.0, 10.0), (1.0, 1.0), [[0.0, 1.0]])
    """

    mean: tuple[float, ...]
    scale: tuple[float, ...]

    @classmethod
    def fit(cls, X: Sequence[Sequence[float]]) -> Standardizer:  # noqa: N803
        """The mean and standard deviation of each feature of ``X``."""
        if not X:
            raise ValueError("Standardizer.fit: no examples to measure")
        width = len(X[0])
        if any(len(x) != width for x in X):
            raise ValueError(f"Standardizer.fit: every example needs {width} features, as the first")
        columns = list(zip(*X))
        means: list[float] = []
        spreads: list[float] = []
        for j, c in enumerate(columns):
            bad = next((i for i, v in enumerate(c) if not math.isfinite(v)), None)
            if bad is not None:
                raise ScalingError(f"Standardizer.fit: feature {j} of example {bad} is {c[bad]!r};"
                                   " only finite numbers can be scaled", j, bad, c[bad])
            if min(c) == max(c):  # never varies: centred on its value exactly, scale 1
                means.append(float(c[0]))
                spreads.append(1.0)
                continue
            m = _mean(c)
            spread = _spread(c, m)
            if not math.isfinite(spread):  # at most half the range: only a rounding at the very top
                raise ScalingError(f"Standardizer.fit: feature {j}'s spread overflows a float"
                                   f" (values up to {max(map(abs, c)):g}); rescale it first", j)
            means.append(m)
            spreads.append(spread if spread > 0.0 else 1.0)
        return cls(tuple(means), tuple(spreads))

    def __call__(self, X: Sequence[Sequence[float]]) -> list[list[float]]:  # noqa: N803
        """``X`` scaled: ``(x - mean) / scale``, feature by feature, as new lists."""
        width = len(self.mean)
        for i, x in enumerate(X):
            if len(x) != width:
                raise ValueError(f"Standardizer: example {i} has {len(x)} features; this scaler"
                                 f" was fitted on {width}")
        scaled = [[(v - m) / s for v, m, s in zip(x, self.mean, self.scale)] for x in X]
        for i, row in enumerate(scaled):
            if any(map(math.isinf, row)):  # x - mean overflowed, or the quotient does
                row[:] = [self._scaled_far(i, j, v) for j, v in enumerate(X[i])]
        return scaled

    def _scaled_far(self, i: int, j: int, v: float) -> float:
        """``(v - mean) / scale`` where ``v - mean`` may overflow: computed in halves."""
        m, s = self.mean[j], self.scale[j]
        z = (v - m) / s
        if not math.isinf(z) or not math.isfinite(v):
            return z  # a finite result as it was; an infinite input stays infinite, as before
        z = (v / 2 - m / 2) / s * 2
        if math.isinf(z):
            raise ScalingError(f"Standardizer: feature {j} of example {i} is {v!r}; scaled,"
                               f" (x - {m!r}) / {s!r}, it is too large for a float; rescale the"
                               " feature (or leave the example out)", j, i, v)
        return z

    def as_dict(self) -> dict[str, list[float]]:
        """The statistics as plain JSON data (what the CLI's summary records)."""
        return {"mean": list(self.mean), "scale": list(self.scale)}


def _mean(column: Sequence[float]) -> float:
    """The mean of finite numbers: ``fsum / n``, or, where that sum overflows, ``fsum(v / n)``."""
    try:
        return math.fsum(column) / len(column)
    except OverflowError:  # the sum is beyond a float; the mean of floats never is
        return math.fsum(v / len(column) for v in column)


def _spread(column: Sequence[float], m: float) -> float:
    """The population standard deviation of ``column`` around its mean ``m``.

    The plain ``sqrt(fsum((v - m) ** 2) / n)`` where it works; where the squares overflow
    (values beyond about 1e154) or the variance falls below the normal floats (a spread
    below about 1e-154, whose squares lose their digits), ``statistics.pstdev``, which
    computes in exact fractions: a standard deviation is at most half the range, so it is
    then always representable.
    """
    try:
        variance = math.fsum((v - m) ** 2 for v in column) / len(column)
    except OverflowError:  # float ** 2 raises rather than giving inf
        variance = math.inf
    if sys.float_info.min <= variance < math.inf:
        return math.sqrt(variance)
    return statistics.pstdev(column)


# ------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class Preset:
    """A data set with the settings that train a small MLP on it well.

    ``kind`` is ``"binary"``, ``"multiclass"`` or ``"regression"``; ``losses`` are the
    losses that fit its targets, the default first (``hinge``, ``bce`` for
    :func:`~autograd_mini.losses.binary_cross_entropy`, ``cross_entropy``, ``mse``);
    ``samples`` is the default size (``None``: a fixed set, like XOR's four points) and
    ``min_samples`` the smallest that still has every class; ``class_names`` says what
    class 0, 1, ... is (empty for regression). ``hidden``, ``activation``, ``optimizer``,
    ``lr`` and ``steps`` describe the model and its training; ``batch_size`` (``None``:
    the whole set per update) and ``init`` (``None``: micrograd's for relu, else xavier)
    too. ``image_shape`` is (rows, columns) of pixels for a set of images, else ``None``;
    ``val_fraction`` the part held out for validation (0: train on everything).

    >>> PRESETS["moons"].loss, PRESETS["moons"].hidden
    ('hinge', (16, 16))
    >>> X, y = PRESETS["spirals"].make(samples=6)
    >>> len(X), sorted(set(y))
    (6, [0, 1, 2])
    """

    name: str
    kind: str
    losses: tuple[str, ...]
    hidden: tuple[int, ...]
    activation: str
    optimizer: str
    lr: float
    steps: int
    samples: int | None
    min_samples: int
    class_names: tuple[str, ...]
    generate: Callable[..., tuple[list[list[float]], list[Any]]]
    batch_size: int | None = None
    init: str | None = None
    image_shape: tuple[int, int] | None = None
    val_fraction: float = 0.0

    @property
    def loss(self) -> str:
        """The default loss: the first that fits."""
        return self.losses[0]

    def make(self, samples: int | None = None, seed: int = 0) -> tuple[list[list[float]], list[Any]]:
        """The data: ``samples`` examples (default ``samples``) drawn with ``seed``.

        A fixed set ignores both. Fewer than ``min_samples`` raises ``ValueError``.
        """
        if self.samples is None:
            features, targets = self.generate()
            return features, list(targets)
        n = self.samples if samples is None else samples
        if isinstance(n, bool) or not isinstance(n, int) or n < self.min_samples:
            raise ValueError(
                f"{self.name}: needs at least {self.min_samples} samples"
                f"{self._why_minimum()}, got {n!r}"
            )
        features, targets = self.generate(n, seed=seed)
        return features, list(targets)

    def _why_minimum(self) -> str:
        if self.kind == "regression":
            return ""
        return f" (one for each of its {self.min_samples} classes)"


_BINARY_LOSSES = ("hinge", "bce", "cross_entropy", "mse")

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset("xor", "binary", ("bce", "hinge", "cross_entropy", "mse"), (4,), "tanh",
               "adam", 0.1, 150, None, 4, ("inputs equal", "inputs differ"), xor),
        Preset("moons", "binary", _BINARY_LOSSES, (16, 16), "relu", "sgd", 0.5, 100, 100, 2,
               ("upper moon", "lower moon"), moons),
        Preset("circles", "binary", _BINARY_LOSSES, (16, 16), "relu", "adam", 0.02, 100, 100, 2,
               ("outer circle", "inner circle"), circles),
        Preset("spirals", "multiclass", ("cross_entropy",), (16, 16), "relu", "adam", 0.02, 150,
               90, 3, ("arm 0", "arm 1", "arm 2"), spirals),
        Preset("regression", "regression", ("mse",), (8,), "relu", "adam", 0.02, 200, 50, 1,
               (), regression),
        # Mini-batches: 1,200 examples make 38 updates an epoch. He's init: micrograd's
        # uniform(-1, 1) gives 64 inputs a sum too large for relu to start well.
        Preset("digits", "multiclass", ("cross_entropy",), (32,), "relu", "adam", 0.01, 15,
               1500, 10, tuple(str(k) for k in range(10)), digits, batch_size=32, init="he",
               image_shape=(8, 8), val_fraction=0.2),
    )
}
"""Every built-in data set by name, with its training defaults (see :class:`Preset`)."""
