"""The backward pass in any browser: one self-contained HTML page that plays it step by step.

``stepper(root)`` records the forward and backward pass of ``root``'s graph and writes them
into a page that needs nothing but a browser: the SVG drawing, the numbers, the styles and
the script are all inline, nothing is fetched from the network, and there is no widget
library. The same page shows inline in JupyterLab, VS Code and Colab (``_repr_html_``),
survives a notebook's export to HTML and nbviewer, and can be saved as a file
(``.save(path)``). For a live kernel there is also :func:`autograd_mini.notebook.explore`.

What it reads is public only: :func:`autograd_mini.backward_steps` (each step's text, node,
updates and names), ``Value.data``, ``.label``, ``.parents``, and
:func:`autograd_mini.graph.topological_order`; the drawing is :func:`autograd_mini.draw_dot`.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from operator import attrgetter
from pathlib import Path
from typing import Any

from autograd_mini.engine import Value
from autograd_mini.graph import topological_order
from autograd_mini.steps import Step, backward_steps
from autograd_mini.viz import (
    COLORS,
    _number,
    _shown_label,
    draw_dot,
    inline_svg,
    unique_id_prefix,
)

__all__ = ["RANKDIRS", "Stepper", "stepper"]

RANKDIRS = ("auto", "LR", "TB", "RL", "BT")
"""The layouts :func:`stepper` accepts; ``"auto"`` picks the narrower of LR and TB."""

# The room a graph has in a 1200-pixel window, and the least scale at which its text is
# still easy to read: "auto" picks, of the layouts readable at that width, the one that
# needs the least height (the least scrolling); if none is, the one shrunk the least.
_FIT_WIDTH_PX = 1100
_READABLE_SCALE = 0.6

_SVG_NS = "{http://www.w3.org/2000/svg}"
_parents_of = attrgetter("parents")


def stepper(
    root: Value, params: Iterable[Value] | None = None, *, rankdir: str = "auto",
    max_nodes: int | None = 200,
) -> Stepper:
    """A self-contained HTML page that plays ``root``'s forward pass, then its backward pass.

    Forward, each Value's data appears in topological order; then the output's gradient
    is seeded, and each step of :func:`autograd_mini.backward_steps` follows: the node
    being processed is outlined in red, the inputs receiving gradient in orange, the
    Values the pass has not reached yet are grey, each input's gradient changes on the
    graph, and the step's explanation is ``str(step)`` word for word. Controls: buttons,
    a slider, and the keys → / ← (one step), Home / End, Space (play, pause).

    ``params`` (e.g. ``model.parameters()``) are drawn amber, as in :func:`draw_dot`.
    ``rankdir="auto"`` lays the graph out left to right, or top to bottom where that is
    narrower for a long graph; the drawing scales to the width of the cell or page, and
    the graph scrolls by itself to keep the highlighted node in view. Graphs of more than
    ``max_nodes`` Values draw the part nearest the output (every step is still played).

    **Your gradients are left as they were.** Recording the pass runs
    ``backward_steps(root)``, which changes ``.grad`` as ``backward()`` does; the stepper
    then puts back every ``.grad`` in the graph, so making a page never changes a result.
    The page shows what ``root.backward()`` would do now: leaves whose gradient is not
    zero accumulate onto it, as in PyTorch; zero them first for a fresh pass.

    >>> from autograd_mini import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> page = stepper(c)
    >>> page
    <Stepper of 3 values: 3 forward, 1 backward step>
    >>> print(page.texts[-1])
    step 1/1: c = a * b = -6.0, upstream grad 1.0
      a.grad += (d(a * b)/da = b = -3.0) × 1.0 = -3.0 → -3.0; b.grad += (d(a * b)/db = a = 2.0) × 1.0 = 2.0 → 2.0
    >>> a.grad, b.grad  # untouched
    (0.0, 0.0)
    >>> import pathlib, tempfile
    >>> path = page.save(pathlib.Path(tempfile.mkdtemp()) / "steps.html")
    >>> path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    return Stepper(root, params, rankdir=rankdir, max_nodes=max_nodes)


class Stepper:
    """The page made by :func:`stepper`.

    ``steps`` are the recorded :class:`~autograd_mini.steps.Step` objects and ``texts``
    the explanation shown at each position of the page, in order: one before the forward
    pass, one per Value, one for the seed, then ``str(step)`` for every step. ``layout``
    is the direction the graph was laid out in (``"LR"`` or ``"TB"`` for ``"auto"``).
    :meth:`html` is the standalone page, :meth:`save` writes it, and a notebook shows the
    page inline through ``_repr_html_``.
    """

    def __init__(
        self, root: Value, params: Iterable[Value] | None = None, *, rankdir: str = "auto",
        max_nodes: int | None = 200,
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"stepper: expected a Value, got {type(root).__name__} {root!r}")
        if rankdir not in RANKDIRS:
            raise ValueError(
                f"stepper: rankdir {rankdir!r} is not one of {', '.join(RANKDIRS)}"
            )
        self.root = root
        self.params = _as_params(params)
        self.rankdir = rankdir
        self.max_nodes = max_nodes

        order = topological_order(root, _parents_of)
        self._order = order
        self._index = {node: i for i, node in enumerate(order)}
        saved = [node.grad for node in order]
        try:
            self.steps: list[Step] = list(backward_steps(root))
            final = [node.grad for node in order]
        finally:
            for node, grad in zip(order, saved):  # the user's gradients, as they were
                node.grad = grad
        self._final = final

        names = [node.label or f"#{i}" for i, node in enumerate(order)]  # as steps name them
        start = list(final)  # a node's gradient after the seed: before its first update
        first_update: set[int] = set()
        for step in self.steps:
            names[self._index[step.node]] = step.node_name
            for update in step.updates:
                k = self._index[update.parent]
                names[k] = update.parent_name
                if k not in first_update:
                    first_update.add(k)
                    start[k] = update.grad_before
        self._names = names
        self._start = start
        self._frames = self._record_frames()
        self.texts: list[str] = [frame["t"] for frame in self._frames]
        # Drawn once, here: a missing renderer is reported when the page is made.
        svg, self.layout = self._drawing()
        self._svg = self._marked_svg(svg)

    # ------------------------------------------------------------------ what is played

    def _record_frames(self) -> list[dict[str, Any]]:
        order, index, names = self._order, self._index, self._names
        expression = {step.node: step.expression for step in self.steps}
        n, total = len(order), len(self.steps)
        root_name = names[index[self.root]]
        frames: list[dict[str, Any]] = [{
            "t": f"the graph of {root_name}: {n} value{'s' if n != 1 else ''},"
                 f" {total} backward step{'s' if total != 1 else ''}."
                 " First the forward pass computes each value from its inputs.",
            "p": "start", "c": None,
        }]
        for i, node in enumerate(order):
            if node in expression:
                made = expression[node]
            else:
                kind = "parameter" if node in self.params else "input"
                made = f"{names[i]} ({kind})"
            frames.append({"t": f"forward {i + 1}/{n}: {made} = {float(node.data)!r}",
                           "p": f"forward pass: value {i + 1} of {n}", "c": i})
        root_i = index[self.root]
        seeded = self._start[root_i]
        frames.append({
            "t": f"backward pass: {root_name}.grad = {float(getattr(seeded, 'data', seeded))!r}"
                 f" (d{root_name}/d{root_name} = 1); then {total} step{'s' if total != 1 else ''},"
                 " each node after every node that uses it",
            "p": "backward pass: the seed", "c": root_i, "u": [], "r": [root_i],
        })
        # reached() grows by the step's node and the inputs it fills: only the new ones
        # are written, and gradients only where they change, so the page stays linear
        # in the size of the graph.
        reached = {root_i}
        for step in self.steps:
            new = [index[step.node]] + [index[u.parent] for u in step.updates]
            fresh = [k for k in dict.fromkeys(new) if k not in reached]
            reached.update(fresh)
            frames.append({
                "t": str(step), "p": f"backward pass: step {step.index + 1} of {total}",
                "c": index[step.node],
                "u": [[index[u.parent], _grad_text(u.grad_after)] for u in step.updates],
                "r": fresh,
            })
        return frames

    # ------------------------------------------------------------------------ drawing

    def _drawing(self) -> tuple[str, str]:
        """The SVG of the graph in its final state, and the layout chosen."""
        # Each record is laid out for the longest gradient text it will show, so the
        # numbers that change during the pass stay inside their boxes.
        widest = dict(zip(self._order, self._start))
        for step in self.steps:
            for update in step.updates:
                shown = widest[update.parent]
                if len(_grad_text(update.grad_after)) > len(_grad_text(shown)):
                    widest[update.parent] = update.grad_after

        def render(rankdir: str) -> str:
            return draw_dot(self.root, rankdir=rankdir, params=self.params or None,
                            max_nodes=self.max_nodes, grads=widest, fields="column").svg()

        if self.rankdir != "auto":
            return render(self.rankdir), self.rankdir
        layouts = []
        for rankdir in ("LR", "TB"):
            svg = render(rankdir)
            width, height = _size_px(svg)
            scale = min(1.0, _FIT_WIDTH_PX / width)
            layouts.append((scale >= _READABLE_SCALE, -height * scale, scale, svg, rankdir))
        readable = [layout for layout in layouts if layout[0]]
        if readable:
            best = max(readable, key=lambda layout: layout[1])
        else:
            best = max(layouts, key=lambda layout: layout[2])
        return best[3], best[4]

    def _marked_svg(self, svg: str) -> str:
        """The drawing with each part marked for the script, showing the final state."""
        tree = ET.fromstring(svg)
        for group in tree.iter(f"{_SVG_NS}g"):
            title = group.find(f"{_SVG_NS}title")
            kind = group.get("class")
            if title is None or title.text is None or kind not in ("node", "edge"):
                continue
            name = title.text
            if kind == "edge":
                tail, _, head = name.partition("->")
                if tail.startswith("v") and head.endswith("_op"):
                    group.set("data-e", f"{tail[1:]}-{head[1:-3]}")  # input -> op of node
                elif head.startswith("v") and tail.endswith("_op"):
                    group.set("data-o", head[1:])  # op -> its result
                group.remove(title)
                continue
            if name.endswith("_op"):
                group.set("data-op", name[1:-3])
                group.remove(title)
                continue
            if not name[1:].isdigit():
                continue  # the note saying how many Values were left out
            i = int(name[1:])
            group.set("data-v", str(i))
            title.text = _shown_label(self._names[i])  # a tooltip naming the Value
            field_texts = group.findall(f"{_SVG_NS}text")
            field_texts[-2].set("class", "am-data")
            field_texts[-1].set("class", "am-grad")
            field_texts[-1].text = _grad_text(self._final[i])
        # Plain tag names and one xmlns attribute: ElementTree would otherwise write an
        # ns0: prefix on every element, which HTML does not read as SVG.
        for element in tree.iter():
            element.tag = element.tag.removeprefix(_SVG_NS)
        tree.set("xmlns", _SVG_NS[1:-1])
        return ET.tostring(tree, encoding="unicode")

    # -------------------------------------------------------------------------- pages

    def _fragment(self, standalone: bool) -> str:
        prefix = unique_id_prefix()
        element_id = f"{prefix}stepper"
        order = self._order
        payload = {
            "data": [f"data {_number(node.data)}" for node in order],
            "start": [_grad_text(g) for g in self._start],
            "parents": [[self._index[p] for p in node.parents] for node in order],
            "frames": self._frames,
            "standalone": standalone,
        }
        total = len(self.steps)
        root_name = _html_text(self._names[self._index[self.root]])
        steps_text = "\n".join(_html_text(str(step)) for step in self.steps)
        last = len(self._frames) - 1
        return (
            f'<div class="am-stepper" id="{element_id}" tabindex="0" role="group"'
            f' aria-label="forward and backward pass of {root_name}, step by step"'
            ' data-lm-suppress-shortcuts="true" data-p-suppress-shortcuts="true">'
            f"<style>{_css()}</style>"
            '<div class="am-controls">'
            '<button type="button" data-action="first" title="first (Home)">⇤ first</button>'
            '<button type="button" data-action="previous" title="previous (←)">◀ back</button>'
            '<button type="button" data-action="play" title="play or pause (Space)">▶ play</button>'
            '<button type="button" data-action="next" title="next (→)">next ▶</button>'
            '<button type="button" data-action="last" title="last (End)">last ⇥</button>'
            f'<input type="range" min="0" max="{last}" value="{last}" aria-label="position">'
            f'<span class="am-position">{last + 1}/{last + 1}</span>'
            '<button type="button" data-action="zoom" title="fit the width, or actual size">'
            "actual size</button>"
            "</div>"
            '<div class="am-phase">the whole pass</div>'
            f'<pre class="am-text" aria-live="polite">'
            f"{_html_text(self.texts[-1])}</pre>"
            f'<div class="am-graph-box">{inline_svg(self._svg, prefix, "am-graph")}</div>'
            '<p class="am-legend">'
            '<span class="am-key am-key-current">red</span> the node whose turn it is,'
            ' <span class="am-key am-key-receiving">orange</span> its inputs receiving'
            ' gradient, <span class="am-key am-key-unreached">grey</span> not computed or'
            " not reached yet; fill: blue inputs, amber parameters, green output."
            " Keys: → ← one step, Home End, Space play/pause (click the page first).</p>"
            '<p class="am-nojs">This page steps through the pass with JavaScript, which is'
            " not running here (an untrusted notebook, or a viewer that strips scripts):"
            " the graph shows the end of the backward pass.</p>"
            f"<details><summary>all {total} backward step{'s' if total != 1 else ''}"
            f" as text</summary><pre>{steps_text}</pre></details>"
            f'<script type="text/javascript">(function (data, elementId) {{{_SCRIPT}}})'
            f'({_script_json(payload)}, "{element_id}");</script>'
            "</div>"
        )

    def html(self) -> str:
        """The standalone page: one HTML file, everything inline, nothing from the network."""
        title = _html_text(f"backward pass of {self._names[self._index[self.root]]}")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n"
            "<style>body { font-family: system-ui, sans-serif; margin: 1.5em; }</style>\n"
            f"</head>\n<body>\n{self._fragment(standalone=True)}\n</body>\n</html>\n"
        )

    def save(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path`` (a ``.html`` or ``.htm`` file), atomically.

        The page is made before any file is touched and written with
        :func:`autograd_mini.files.write_atomically`: a failure leaves the old file as
        it was, never a truncated one.
        """
        from autograd_mini.files import write_atomically

        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"Stepper.save: {str(target)!r} does not end in .html or .htm; the page"
                " is HTML (to draw the graph alone use draw_dot(...).save)"
            )
        write_atomically(target, self.html())
        return target

    def _repr_html_(self) -> str:
        # A fresh id for every display: the same stepper shown twice on a page, or two
        # steppers, never share one.
        return self._fragment(standalone=False)

    def __repr__(self) -> str:
        total = len(self.steps)
        return (
            f"<Stepper of {len(self._order)} values: {len(self._order)} forward,"
            f" {total} backward step{'s' if total != 1 else ''}>"
        )


# ------------------------------------------------------------------------- helpers


def _as_params(params: Iterable[Value] | None) -> set[Value]:
    if params is None:
        return set()
    if isinstance(params, Value):
        return {params}
    try:
        items = list(params)
    except TypeError:
        raise TypeError(
            "stepper: params must be an iterable of Values (e.g. model.parameters()),"
            f" got {type(params).__name__} {params!r}"
        ) from None
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(
                f"stepper: params must hold Values only, got {type(item).__name__} {item!r}"
            )
    return set(items)


def _grad_text(grad: Any) -> str:
    return f"grad {_number(grad)}"


def _size_px(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    sizes = []
    for name in ("width", "height"):
        size = root.get(name, "1")
        sizes.append(float(size[:-2]) * 96 / 72 if size.endswith("pt")
                     else float(size.removesuffix("px")))
    return sizes[0], sizes[1]


def _html_text(text: str) -> str:
    # A lone surrogate (a label may hold one) cannot be written as UTF-8: it is shown
    # as its escape, like Python shows it.
    return html.escape(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _script_json(payload: Any) -> str:
    # ASCII JSON with <, > and & escaped cannot end the <script> element or open a
    # comment, whatever the labels hold.
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _css() -> str:
    c = COLORS
    return f"""
.am-stepper {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px;
  max-width: 100%; outline: none; border: 1px solid #e5e7eb; border-radius: 6px;
  padding: 8px; box-sizing: border-box; color: #111827; background: #fff; }}
.am-stepper:focus-visible {{ box-shadow: 0 0 0 2px #93c5fd; }}
.am-stepper .am-controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: 4px; }}
.am-stepper button {{ font: inherit; padding: 2px 8px; cursor: pointer; }}
.am-stepper input[type=range] {{ flex: 1 1 160px; min-width: 120px; }}
.am-stepper .am-position {{ font-variant-numeric: tabular-nums; min-width: 5em; }}
.am-stepper .am-phase {{ margin-top: 6px; color: #4b5563; }}
.am-stepper pre {{ white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0;
  font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }}
.am-stepper .am-text {{ background: #f9fafb; padding: 6px; border-radius: 4px; min-height: 2.6em; }}
.am-stepper .am-graph-box {{ overflow: auto; max-height: 75vh; }}
.am-stepper svg.am-graph {{ height: auto; display: block; }}
.am-stepper .am-legend {{ color: #4b5563; font-size: 12px; margin: 4px 0; }}
.am-stepper .am-key {{ font-weight: 600; }}
.am-stepper .am-key-current {{ color: {c["highlight"]}; }}
.am-stepper .am-key-receiving {{ color: {c["receiving"]}; }}
.am-stepper .am-key-unreached {{ color: {c["unreached"]}; }}
.am-stepper.am-running .am-nojs {{ display: none; }}
.am-stepper .am-nojs {{ color: #92400e; }}
.am-stepper g.am-current > polygon, .am-stepper g.am-current > polyline,
.am-stepper g.am-current > ellipse {{ stroke: {c["highlight"]}; stroke-width: 3; }}
.am-stepper g.am-current > text {{ font-weight: bold; }}
.am-stepper g.am-receiving > polygon, .am-stepper g.am-receiving > polyline
  {{ stroke: {c["receiving"]}; stroke-width: 2.5; }}
.am-stepper g.am-flow > path {{ stroke: {c["receiving"]}; stroke-width: 2.5; }}
.am-stepper g.am-flow > polygon {{ stroke: {c["receiving"]}; fill: {c["receiving"]}; }}
.am-stepper g.am-feed > path {{ stroke: #2563eb; stroke-width: 2.5; }}
.am-stepper g.am-feed > polygon {{ stroke: #2563eb; fill: #2563eb; }}
.am-stepper g.am-grey > polygon {{ fill: {c["unreached_fill"]}; stroke: {c["unreached"]}; }}
.am-stepper g.am-grey > polyline, .am-stepper g.am-grey > ellipse,
.am-stepper g.am-grey > path {{ stroke: {c["unreached"]}; }}
.am-stepper g.am-grey > text {{ fill: {c["unreached"]}; }}
.am-stepper g.am-grey.am-edge > polygon {{ fill: {c["unreached"]}; }}
"""


# The player. Plain ES5-level JavaScript, no library: it finds its own container (the
# script's parent, or by id where currentScript is not set), so any number of pages
# can share a document, and it only ever touches elements inside that container.
_SCRIPT = r"""
"use strict";
var here = document.currentScript;
var box = (here && here.parentNode && here.parentNode.classList &&
           here.parentNode.classList.contains("am-stepper")) ? here.parentNode
          : document.getElementById(elementId);
if (!box || box.getAttribute("data-am-ready")) { return; }
box.setAttribute("data-am-ready", "1");
box.classList.add("am-running");
var frames = data.frames, n = data.data.length, last = frames.length - 1;
var seed = n + 1;  // frame 0: before; 1..n: forward; n + 1: the seed; then the steps
function q(selector) { return box.querySelector(selector); }
function all(selector) { return Array.prototype.slice.call(box.querySelectorAll(selector)); }
var values = [], ops = [], results = [], inputs = [];
for (var i = 0; i < n; i++) { inputs.push([]); }
all("g[data-v]").forEach(function (g) { values[+g.getAttribute("data-v")] = g; });
all("g[data-op]").forEach(function (g) { ops[+g.getAttribute("data-op")] = g; });
all("g[data-o]").forEach(function (g) { results[+g.getAttribute("data-o")] = g; g.classList.add("am-edge"); });
all("g[data-e]").forEach(function (g) {
  var ends = g.getAttribute("data-e").split("-");
  inputs[+ends[1]].push(g); g.classList.add("am-edge");
});
var text = q(".am-text"), phase = q(".am-phase"), slider = q("input[type=range]");
var position = q(".am-position"), playButton = q('[data-action="play"]');
var zoomButton = q('[data-action="zoom"]'), graphBox = q(".am-graph-box"), svg = q("svg.am-graph");
var current = 0, timer = null, actualSize = false;

function field(g, name) { return g.querySelector("text." + name); }
function mark(g, classes) {
  if (!g) { return; }
  ["am-current", "am-receiving", "am-grey", "am-flow", "am-feed"].forEach(function (c) {
    g.classList.toggle(c, classes.indexOf(c) >= 0);
  });
}
function show(k) {
  current = Math.max(0, Math.min(last, k));
  var frame = frames[current], backward = current >= seed;
  var grads = null, reached = {}, receiving = {};
  if (backward) {
    grads = data.start.slice();
    for (var f = seed; f <= current; f++) {
      frames[f].u.forEach(function (u) { grads[u[0]] = u[1]; });
      frames[f].r.forEach(function (r) { reached[r] = true; });
    }
    frame.u.forEach(function (u) { receiving[u[0]] = true; });
  }
  for (var i = 0; i < n; i++) {
    var computed = backward || i < current, classes = [];
    var grey = backward ? !reached[i] : !computed;
    if (frame.c === i) { classes.push("am-current"); }
    else if (receiving[i] && current > seed) { classes.push("am-receiving"); }
    if (grey) { classes.push("am-grey"); }
    var g = values[i];
    if (g) {
      mark(g, classes);
      field(g, "am-data").textContent = computed ? data.data[i] : "data ?";
      field(g, "am-grad").textContent = backward ? grads[i] : "grad ?";
    }
    mark(ops[i], classes.filter(function (c) { return c !== "am-receiving"; }));
    mark(results[i], classes.filter(function (c) { return c !== "am-receiving"; }));
    var edge = [];
    if (frame.c === i && current > seed) { edge.push("am-flow"); }
    else if (frame.c === i && !backward) { edge.push("am-feed"); }
    if (grey) { edge.push("am-grey"); }
    inputs[i].forEach(function (e) { mark(e, edge); });
  }
  text.textContent = frame.t;
  var drawn = frame.c === null || values[frame.c];
  phase.textContent = frame.p + (drawn ? "" : " (this node is not drawn: the graph shows the part nearest the output)");
  slider.value = String(current);
  position.textContent = (current + 1) + "/" + (last + 1);
  if (frame.c !== null && values[frame.c]) { reveal(values[frame.c]); }
}
function reveal(g) {
  // Scroll the graph's own box, never the page, until the node is inside it.
  var node = g.getBoundingClientRect(), view = graphBox.getBoundingClientRect();
  if (node.left < view.left || node.right > view.right) {
    graphBox.scrollLeft += (node.left + node.right) / 2 - (view.left + view.right) / 2;
  }
  if (node.top < view.top || node.bottom > view.bottom) {
    graphBox.scrollTop += (node.top + node.bottom) / 2 - (view.top + view.bottom) / 2;
  }
}
function stop() {
  if (timer !== null) { clearTimeout(timer); timer = null; }
  playButton.textContent = "▶ play";
}
function tick() {
  if (current >= last) { stop(); return; }
  show(current + 1);
  timer = setTimeout(tick, current < seed ? 450 : 1100);
}
function play() {
  if (timer !== null) { stop(); return; }
  if (current >= last) { show(0); }
  playButton.textContent = "❚❚ pause";
  timer = setTimeout(tick, 300);
}
svg.setAttribute("data-natural", svg.style.maxWidth);
function act(action) {
  if (action === "first") { stop(); show(0); }
  else if (action === "previous") { stop(); show(current - 1); }
  else if (action === "next") { stop(); show(current + 1); }
  else if (action === "last") { stop(); show(last); }
  else if (action === "play") { play(); }
  else if (action === "zoom") {
    if (actualSize) { svg.style.maxWidth = svg.getAttribute("data-natural"); svg.style.width = ""; }
    else { svg.style.width = svg.getAttribute("data-natural"); svg.style.maxWidth = "none"; }
    actualSize = !actualSize;
    zoomButton.textContent = actualSize ? "fit width" : "actual size";
    show(current);
  }
}
all("button[data-action]").forEach(function (b) {
  b.addEventListener("click", function () { act(b.getAttribute("data-action")); box.focus(); });
});
slider.addEventListener("input", function () { stop(); show(+slider.value); });
var keys = {ArrowRight: "next", ArrowLeft: "previous", Home: "first", End: "last",
            " ": "play", Spacebar: "play"};
function onKey(event) {
  var action = keys[event.key];
  if (!action || event.altKey || event.ctrlKey || event.metaKey) { return; }
  event.preventDefault(); event.stopPropagation();
  if (!event.repeat || action !== "play") { act(action); }
}
box.addEventListener("keydown", onKey);
// Space on a focused button would click it on release as well: keep it to one toggle.
box.addEventListener("keyup", function (event) { if (keys[event.key] === "play") { event.preventDefault(); } });
if (data.standalone) {
  document.addEventListener("keydown", function (event) {
    if (event.target === document.body || event.target === document.documentElement) { onKey(event); }
  });
}
// A drawing much wider than its box would be unreadable scaled down: show it at its
// size and let the box scroll to the highlighted node instead.
var natural = parseFloat(svg.getAttribute("data-natural"));
if (natural && graphBox.clientWidth && graphBox.clientWidth / natural < 0.5) { act("zoom"); }
show(0);
"""
