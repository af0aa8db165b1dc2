"""stepper: what the page plays, what it leaves alone, and what the HTML holds (no browser).

The page itself is driven in a real browser by tests/test_stepper_browser.py; here the
recorded frames are checked against backward_steps, and the HTML is read as text.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from operator import attrgetter
from pathlib import Path

import pytest

pytest.importorskip("graphviz", reason='the stepper draws with the "viz" extra')

from graphs import neuron

from autograd_mini import Value, files, tanh
from autograd_mini.graph import topological_order
from autograd_mini.stepper import Stepper, stepper
from autograd_mini.steps import backward_steps
from autograd_mini.viz import COLORS, draw_dot

SVG = "{http://www.w3.org/2000/svg}"



def chain(length: int) -> Value:
    x = Value(0.5, label="x")
    for _ in range(length):
        x = tanh(x * 1.1)
    return x


def payload(html: str) -> dict:  # type: ignore[type-arg]
    """The JSON the page's script plays, read back out of the HTML."""
    match = re.search(r"\}\)\((\{.*\}), \"[^\"]+stepper\"\);</script>", html, re.S)
    assert match, "no stepper script in the HTML"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


# ----------------------------------------------------------------- what is played


def test_texts_are_the_forward_values_the_seed_then_str_of_every_step() -> None:
    o, leaves = neuron()
    page = stepper(o, params=leaves[2:])
    expected_steps = [str(step) for step in backward_steps(o)]  # a pass of its own
    order = topological_order(o, attrgetter("parents"))
    n = len(order)
    assert len(page.texts) == 1 + n + 1 + len(expected_steps)
    assert page.texts[0].startswith("the graph of o: 10 values, 5 backward steps.")
    forward = page.texts[1 : n + 1]
    assert forward[0] == "forward 1/10: x1 (input) = 2.0"
    assert forward[1] == "forward 2/10: w1 (parameter) = -3.0"
    assert forward[2] == "forward 3/10: #2 = x1 * w1 = -6.0"
    assert forward[-1] == f"forward 10/10: o = tanh(n) = {o.data!r}"
    assert page.texts[n + 1].startswith("backward pass: o.grad = 1.0")
    assert page.texts[n + 2 :] == expected_steps
    assert [str(step) for step in page.steps] == expected_steps


def test_the_users_gradients_are_left_as_they_were() -> None:
    o, leaves = neuron()
    o.backward()  # the user has run backward once: leaves hold gradients
    before = {v: v.grad for v in topological_order(o, attrgetter("parents"))}
    page = stepper(o)
    assert {v: v.grad for v in before} == before
    # The page shows what backward() would do now: leaves accumulate onto what they hold.
    last = page.steps[-1].gradients()
    x1 = leaves[0]
    assert last[x1] == 2 * before[x1]


def test_a_failing_rule_raises_and_changes_nothing() -> None:
    x = Value(0.0, label="x")
    y = x.sqrt()  # d sqrt / dx at 0 is infinite: backward raises
    x.grad = 5.0
    with pytest.raises((ValueError, ZeroDivisionError), match="sqrt"):
        stepper(y)
    assert x.grad == 5.0


def _state_after(page: Stepper, frame: int) -> tuple[dict[int, str], set[int]]:
    """Replays the page's frames as its script does: gradients shown and Values reached."""
    data = payload(page.html())
    seed = len(data["data"]) + 1
    grads = dict(enumerate(data["start"]))
    reached: set[int] = set()
    for k in range(seed, frame + 1):
        for i, text in data["frames"][k]["u"]:
            grads[i] = text
        reached.update(data["frames"][k]["r"])
    return grads, reached


def test_each_frame_shows_what_backward_steps_says_at_that_step() -> None:
    a = Value(3.0, label="a")
    b = Value(-2.0, label="b")
    c = a * a + a * b  # a used three times: its updates add up within and across steps
    c.label = "c"
    page = stepper(c)
    order = topological_order(c, attrgetter("parents"))
    index = {v: i for i, v in enumerate(order)}
    data = payload(page.html())
    seed = len(order) + 1
    for step in backward_steps(c):
        frame = seed + 1 + step.index
        grads, reached = _state_after(page, frame)
        assert data["frames"][frame]["c"] == index[step.node]
        assert data["frames"][frame]["t"] == str(step)
        shown = step.gradients()
        assert grads == {index[v]: f"grad {shown[v]:.4f}" for v in order}
        assert reached == {index[v] for v in step.reached()}


def test_a_leaf_root_has_no_steps_and_still_plays_its_seed() -> None:
    x = Value(2.5, label="x")
    x.grad = 1.5
    page = stepper(x)
    assert page.steps == []
    assert page.texts[1] == "forward 1/1: x (input) = 2.5"
    assert page.texts[2].startswith("backward pass: x.grad = 2.5")  # 1.5 + the seed 1.0
    assert x.grad == 1.5


def test_bad_arguments_are_refused_clearly() -> None:
    o, _ = neuron()
    with pytest.raises(TypeError, match=r"stepper: expected a Value, got float 1\.0"):
        stepper(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir 'up' is not one of auto, LR, TB, RL, BT"):
        stepper(o, rankdir="up")
    with pytest.raises(TypeError, match="params must hold Values only, got str 'w'"):
        stepper(o, params=["w"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="params must be an iterable of Values"):
        stepper(o, params=3)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- layout


def test_auto_layout_keeps_a_small_graph_left_to_right_and_turns_a_long_chain_down() -> None:
    o, _ = neuron()
    assert stepper(o).layout == "LR"
    assert stepper(chain(30)).layout == "TB"
    assert stepper(chain(30), rankdir="LR").layout == "LR"


def _box_width(svg: ET.Element, group_of: str) -> float:
    """The width of the record whose <g> has data-v=N, or whose <title> is vN."""
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if group.get("data-v") == group_of or (title is not None and title.text == group_of):
            xs = [float(p.split(",")[0])
                  for p in group.find(f"{SVG}polygon").get("points").split()]
            return max(xs) - min(xs)
    raise AssertionError(f"no node {group_of}")


def test_records_have_room_for_every_gradient_they_will_show() -> None:
    # a's gradient is -12345.6 after the first step and 0.0 at the end: the page is laid
    # out for the wider text, so the record does not overflow half-way.
    a, b = Value(1.0, label="a"), Value(12345.6, label="b")
    c = a * b + a * (-b)
    c.label = "c"
    page = stepper(c, rankdir="LR")
    order = topological_order(c, attrgetter("parents"))
    assert any(f"{u.grad_after:.4f}" == "-12345.6000" for s in page.steps for u in s.updates
               if u.parent is a)
    i = str(order.index(a))
    svg = _svg_of(page)
    shown = next(g for g in svg.iter(f"{SVG}g") if g.get("data-v") == i)
    assert shown.find(f"{SVG}text[@class='am-grad']").text == "grad 0.0000"  # the end state
    c.backward()
    plain = ET.fromstring(draw_dot(c, rankdir="LR", fields="column").svg())
    assert _box_width(svg, i) > _box_width(plain, f"v{i}") + 10


def _svg_of(page: Stepper) -> ET.Element:
    match = re.search(r"<svg\b.*</svg>", page._repr_html_(), re.S)
    assert match
    return ET.fromstring(match.group(0))


# ----------------------------------------------------------------------- the HTML


def test_the_page_is_one_file_that_fetches_nothing() -> None:
    o, _ = neuron()
    html = stepper(o).html()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in html
    # No src= or href= to anywhere, no @import or url() of a file; the only URL is the
    # SVG namespace name, which is never fetched.
    assert not re.search(r"\b(src|href)\s*=", html)
    assert "@import" not in html and not re.search(r"url\((?!#)", html)
    assert set(re.findall(r"https?://[^\s\"')]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert "<script" in html and "<style>" in html and "<svg" in html


def test_every_display_has_its_own_ids() -> None:
    o, _ = neuron()
    page = stepper(o)
    first, second = page._repr_html_(), page._repr_html_()
    ids = [re.findall(r'\bid="([^"]+)"', html) for html in (first, second)]
    assert ids[0] and len(set(ids[0])) == len(ids[0])  # unique within one display
    assert not set(ids[0]) & set(ids[1])  # and across displays
    other = stepper(chain(2))._repr_html_()
    assert not set(re.findall(r'\bid="([^"]+)"', other)) & set(ids[0])


def test_the_svg_is_marked_for_the_script_and_shows_the_end_of_the_pass() -> None:
    o, leaves = neuron()
    page = stepper(o, params=leaves[2:])
    svg = _svg_of(page)
    values = {g.get("data-v"): g for g in svg.iter(f"{SVG}g") if g.get("data-v")}
    assert set(values) == {str(i) for i in range(10)}
    final = page.steps[-1].gradients()
    order = topological_order(o, attrgetter("parents"))
    for i, node in enumerate(order):
        group = values[str(i)]
        assert group.find(f"{SVG}text[@class='am-data']").text == f"data {node.data:.4f}"
        assert group.find(f"{SVG}text[@class='am-grad']").text == f"grad {final[node]:.4f}"
    ops = {g.get("data-op") for g in svg.iter(f"{SVG}g") if g.get("data-op")}
    assert ops == {str(i) for i, node in enumerate(order) if node.parents}
    edges = {g.get("data-e") for g in svg.iter(f"{SVG}g") if g.get("data-e")}
    expected = {f"{order.index(p)}-{i}" for i, node in enumerate(order) for p in node.parents}
    assert edges == expected
    fills = {g.get("data-v"): g.find(f"{SVG}polygon").get("fill") for g in values.values()}
    assert fills[str(order.index(leaves[2]))] == COLORS["parameter"]
    assert fills[str(order.index(o))] == COLORS["output"]


def test_hostile_labels_make_a_page_that_saves_and_parses(tmp_path: Path) -> None:
    x = Value(1.0, label="</script><script>alert(1)</script>\ud800\x00")
    y = x * 2
    y.label = "<!--" + "z" * 20_000
    page = stepper(y)
    html = page.html()
    assert "<script>alert(1)" not in html  # the label cannot end the page's script
    assert html.count("</script>") == 1
    path = page.save(tmp_path / "hostile.html")
    text = path.read_text(encoding="utf-8")  # valid UTF-8: no lone surrogate was written
    data = payload(text)
    assert data["frames"][-1]["t"] == str(page.steps[-1])  # the script shows the exact text


def test_save_writes_atomically_and_refuses_other_suffixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    o, _ = neuron()
    page = stepper(o)
    path = page.save(tmp_path / "steps.html")
    assert path == tmp_path / "steps.html"
    assert payload(path.read_text(encoding="utf-8"))["frames"][-1]["t"] == page.texts[-1]
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"does not end in \.html or \.htm"):
        page.save(tmp_path / "steps.png")
    assert not (tmp_path / "steps.png").exists()

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        stepper(chain(3)).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["steps.html"]


def test_repr_names_the_sizes() -> None:
    assert repr(stepper(chain(1))) == "<Stepper of 4 values: 4 forward, 2 backward steps>"
