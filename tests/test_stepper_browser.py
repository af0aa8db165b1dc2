"""The stepper page in a real browser: headless Chromium driven by Playwright.

Each test opens a page, presses the keys a reader would press, and checks at every
position the explanation on screen, the highlighted node, the gradients drawn and the
greyed nodes against :func:`autograd_mini.backward_steps`; also that the highlighted node
is on screen in a 1200-pixel window, that several steppers share a page, that an
exported notebook still plays, and that the page asks the network for nothing.

Needs the ``browser`` extra (Playwright's Python package) and a Chromium binary: Debian's
``chromium`` package (``apt-get install chromium``), or any Chromium named by the
``AUTOGRAD_MINI_CHROMIUM`` environment variable. Playwright's own browser download is
never used. Without either, every test here is skipped, saying which is missing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("graphviz", reason='the stepper draws with the "viz" extra')

import chromium
from graphs import neuron

from autograd_mini import Value, tanh
from autograd_mini.graph import topological_order
from autograd_mini.stepper import Stepper, stepper
from autograd_mini.steps import backward_steps

WIDTH, HEIGHT = 1200, 900


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium.launched() as launched:
        yield launched


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_(path: Path, javascript: bool = True) -> chromium.Opened:
        context, opened = chromium.open_offline(browser, path, WIDTH, HEIGHT, javascript)
        contexts.append(context)
        return opened

    yield open_
    for context in contexts:
        context.close()



def chain(length: int) -> Value:
    x = Value(0.5, label="x")
    for _ in range(length):
        x = tanh(x * 1.1)
    x.label = "out"
    return x


_STATE = """
(box) => {
  const ids = (selector) => Array.from(box.querySelectorAll(selector), g => +g.dataset.v);
  const texts = (name) => Object.fromEntries(Array.from(box.querySelectorAll("g[data-v]"),
      g => [g.dataset.v, g.querySelector("text." + name).textContent]));
  const current = ids("g.am-current[data-v]");
  return {
    current, grey: ids("g.am-grey[data-v]"), receiving: ids("g.am-receiving[data-v]"),
    grads: texts("am-grad"), data: texts("am-data"),
    label: current.length ? box.querySelector(`g[data-v="${current[0]}"] text`).textContent : null,
    position: +box.querySelector("input[type=range]").value,
  };
}
"""


def state(box: Any) -> dict[str, Any]:
    return box.evaluate(_STATE)  # type: ignore[no-any-return]


def assert_on_screen(box: Any) -> None:
    """The highlighted node's box lies inside the window and inside the graph's scroll box."""
    # getBoundingClientRect: the shape's geometry (Playwright's boxes add the stroke).
    rect = "e => { const r = e.getBoundingClientRect();" \
           " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"
    node = box.locator("g.am-current[data-v] > polygon").evaluate(rect)
    view = box.locator(".am-graph-box").evaluate(rect)
    assert node["x"] >= 0 and node["x"] + node["width"] <= WIDTH
    assert view["x"] - 1 <= node["x"] and node["x"] + node["width"] <= view["x"] + view["width"] + 1
    assert view["y"] - 1 <= node["y"] and node["y"] + node["height"] <= view["y"] + view["height"] + 1


def check_every_position(box: Any, page: Any, root: Value, made: Stepper) -> None:
    """Press → through the whole page, checking each position against backward_steps."""
    order = topological_order(root, attrgetter("parents"))
    index = {v: i for i, v in enumerate(order)}
    n = len(order)
    steps = list(backward_steps(root))  # a pass of its own: the page left .grad alone
    for v in order:
        if v.parents:
            v.grad = 0.0  # backward_steps resets interior nodes itself; leaves as before
    box.press("Home")
    text = box.locator(".am-text")
    for k in range(len(made.texts)):
        if k:
            box.press("ArrowRight")
        seen = state(box)
        assert seen["position"] == k
        shown = text.inner_text()
        assert text.is_visible()
        if k == 0:
            assert shown == made.texts[0] and seen["current"] == []
            assert set(seen["data"].values()) == {"data ?"}
        elif k <= n:  # forward: values 0..k-1 computed, in topological order
            assert shown == made.texts[k]
            assert seen["current"] == [k - 1]
            for i, v in enumerate(order):
                want = f"data {v.data:.4f}" if i < k else "data ?"
                assert seen["data"][str(i)] == want
            assert set(seen["grey"]) == set(range(k, n))
        elif k == n + 1:  # the seed
            assert seen["current"] == [index[root]]
            assert seen["grads"][str(index[root])] == "grad 1.0000"
            assert set(seen["grey"]) == set(range(n)) - {index[root]}
        else:
            step = steps[k - n - 2]
            assert shown == str(step)  # the explanation, word for word
            assert seen["current"] == [index[step.node]]
            assert seen["label"] == step.node_name
            assert set(seen["receiving"]) == {index[u.parent] for u in step.updates} - {
                index[step.node]}
            grads = step.gradients()
            assert seen["grads"] == {str(index[v]): f"grad {grads[v]:.4f}" for v in order}
            assert set(seen["grey"]) == {index[v] for v in set(order) - step.reached()}
        if seen["current"]:
            assert_on_screen(box)


# -------------------------------------------------------------------------- tests


def test_keys_step_through_forward_and_backward_as_backward_steps_says(
    open_page: Any, tmp_path: Path
) -> None:
    o, leaves = neuron()
    made = stepper(o, params=leaves[2:])
    opened = open_page(made.save(tmp_path / "neuron.html"))
    box = opened.page.locator(".am-stepper")
    check_every_position(box, opened.page, o, made)
    # Left goes back one, Home and End to the ends.
    last = len(made.texts) - 1
    box.press("ArrowLeft")
    assert state(box)["position"] == last - 1
    assert box.locator(".am-text").inner_text() == made.texts[last - 1]
    box.press("Home")
    assert state(box)["position"] == 0
    box.press("End")
    assert state(box)["position"] == last
    assert box.locator(".am-nojs").is_hidden()
    assert opened.requests == [] and opened.errors == []


def test_space_plays_and_pauses(open_page: Any, tmp_path: Path) -> None:
    made = stepper(chain(3))
    opened = open_page(made.save(tmp_path / "chain.html"))
    page = opened.page
    box = page.locator(".am-stepper")
    box.press("Home")
    box.press(" ")
    page.wait_for_function(
        "() => +document.querySelector('.am-stepper input[type=range]').value >= 3",
        timeout=20_000)
    box.press(" ")  # pause
    paused = state(box)["position"]
    assert box.locator('[data-action="play"]').inner_text() == "▶ play"
    page.wait_for_timeout(1500)  # longer than a frame: nothing moves while paused
    assert state(box)["position"] == paused
    # Played to the end, it stops there; played again, it starts over.
    box.press("End")
    box.press(" ")
    page.wait_for_function(
        "() => +document.querySelector('.am-stepper input[type=range]').value < 3",
        timeout=20_000)
    box.press(" ")
    assert opened.errors == []


def test_buttons_and_slider_move_like_the_keys(open_page: Any, tmp_path: Path) -> None:
    made = stepper(chain(2))
    opened = open_page(made.save(tmp_path / "chain.html"))
    box = opened.page.locator(".am-stepper")
    box.locator('[data-action="first"]').click()
    assert state(box)["position"] == 0
    box.locator('[data-action="next"]').click()
    box.locator('[data-action="next"]').click()
    assert state(box)["position"] == 2
    assert box.locator(".am-text").inner_text() == made.texts[2]
    box.locator('[data-action="previous"]').click()
    assert state(box)["position"] == 1
    box.locator('[data-action="last"]').click()
    assert box.locator(".am-text").inner_text() == made.texts[-1]
    box.locator("input[type=range]").fill("3")
    assert box.locator(".am-text").inner_text() == made.texts[3]
    # A click leaves the keys working (focus stays in the stepper).
    box.press("ArrowRight")
    assert state(box)["position"] == 4


def test_a_long_chain_keeps_the_highlighted_node_on_screen_at_1200_pixels(
    open_page: Any, tmp_path: Path
) -> None:
    root = chain(25)
    made = stepper(root)
    assert made.layout == "TB"
    opened = open_page(made.save(tmp_path / "long.html"))
    box = opened.page.locator(".am-stepper")
    svg = box.locator("svg.am-graph").bounding_box()
    assert svg is not None and svg["x"] + svg["width"] <= WIDTH  # fits the width
    check_every_position(box, opened.page, root, made)


def test_a_wide_graph_is_shown_at_its_size_and_scrolls_to_the_node(
    open_page: Any, tmp_path: Path
) -> None:
    xs = [Value(float(i), label=f"x{i}") for i in range(30)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x  # wide: 30 leaves beside each other, and long
    total.label = "total"
    made = stepper(total, rankdir="TB")
    opened = open_page(made.save(tmp_path / "wide.html"))
    box = opened.page.locator(".am-stepper")
    assert box.locator('[data-action="zoom"]').inner_text() == "fit width"  # actual size
    box.press("End")
    assert_on_screen(box)
    for _ in range(5):
        box.press("ArrowLeft")
        assert_on_screen(box)


def test_several_steppers_on_one_page_play_independently(
    open_page: Any, tmp_path: Path
) -> None:
    o, _ = neuron()
    first = stepper(o)
    second = stepper(chain(2))
    body = first._repr_html_() + second._repr_html_() + first._repr_html_()
    path = tmp_path / "three.html"
    path.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body>{body}</body>',
                    encoding="utf-8")
    opened = open_page(path)
    boxes = opened.page.locator(".am-stepper")
    assert boxes.count() == 3
    ids = opened.page.evaluate(
        "() => Array.from(document.querySelectorAll('[id]'), e => e.id)")
    assert len(ids) == len(set(ids))
    boxes.nth(1).press("End")
    boxes.nth(2).press("ArrowRight")
    assert [state(boxes.nth(i))["position"] for i in range(3)] == [
        0, len(second.texts) - 1, 1]
    assert boxes.nth(1).locator(".am-text").inner_text() == second.texts[-1]
    assert boxes.nth(2).locator(".am-text").inner_text() == first.texts[1]
    assert opened.errors == []


def test_without_javascript_the_page_shows_the_end_of_the_pass(
    open_page: Any, tmp_path: Path
) -> None:
    o, _ = neuron()
    made = stepper(o)
    opened = open_page(made.save(tmp_path / "neuron.html"), javascript=False)
    box = opened.page.locator(".am-stepper")
    assert box.locator(".am-nojs").is_visible()
    assert box.locator(".am-text").inner_text() == made.texts[-1]
    final = made.steps[-1].gradients()
    drawn = box.locator("svg text.am-grad").all_text_contents()
    assert f"grad {final[o.parents[0]]:.4f}" in drawn and "grad 1.0000" in drawn


def _kernel_manager(tmp_path: Path) -> Any:
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = tmp_path / "kernels"
    write_kernel_spec(str(kernels / "python3"))  # this interpreter, whatever else is installed
    assert json.loads((kernels / "python3" / "kernel.json").read_text())["argv"][0] == sys.executable
    return KernelManager(kernel_name="python3",
                         kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))


def test_a_notebook_exported_to_html_still_plays(open_page: Any, tmp_path: Path) -> None:
    for module in ("nbformat", "nbclient", "nbconvert", "ipykernel"):
        pytest.importorskip(module, reason='the export test needs the "browser" and "dev" extras')
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(
            "from autograd_mini import Value\nfrom autograd_mini.stepper import stepper\n"
            "a = Value(2.0, label='a'); b = Value(-3.0, label='b')\n"
            "c = a * b; c.label = 'c'\nstepper(c)"),
        nbformat.v4.new_code_cell("d = (c + a).tanh(); d.label = 'd'\nstepper(d)"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    NotebookClient(notebook, km=_kernel_manager(tmp_path), timeout=300, startup_timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path = tmp_path / "exported.html"
    path.write_text(body, encoding="utf-8")
    opened = open_page(path)  # the template's CDN scripts are refused: none is needed
    boxes = opened.page.locator(".am-stepper")
    assert boxes.count() == 2
    boxes.nth(1).press("End")
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = (c + a).tanh()
    d.label = "d"
    assert boxes.nth(1).locator(".am-text").inner_text() == str(list(backward_steps(d))[-1])
    assert state(boxes.nth(0))["position"] == 0
    assert [e for e in opened.errors if "am-stepper" in e] == []


def test_screenshot_of_a_step_has_the_graph_in_it(open_page: Any, tmp_path: Path) -> None:
    o, leaves = neuron()
    made = stepper(o, params=leaves[2:])
    opened = open_page(made.save(tmp_path / "neuron.html"))
    box = opened.page.locator(".am-stepper")
    box.press("End")
    for _ in range(2):
        box.press("ArrowLeft")
    png = box.screenshot()
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") > 800


def test_draw_dot_in_a_page_fits_1200_pixels_with_the_highlighted_node_in_view(
    open_page: Any, tmp_path: Path
) -> None:
    from autograd_mini.viz import COLORS, draw_dot

    o, leaves = neuron()
    steps = list(backward_steps(o))
    cells = "".join(draw_dot(o, params=leaves[2:], highlight=step)._repr_html_()
                    for step in steps[:2])  # notebook 02's first two steps, one after the other
    path = tmp_path / "cells.html"
    path.write_text(f'<!DOCTYPE html><meta charset="utf-8"><body>{cells}</body>',
                    encoding="utf-8")
    opened = open_page(path)
    svgs = opened.page.locator("svg")
    assert svgs.count() == 2
    for k in range(2):
        svg = svgs.nth(k)
        box = svg.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH  # scaled to the page
        red = svg.locator(f'g.node > polygon[stroke="{COLORS["highlight"]}"]')
        assert red.count() == 1
        node = red.bounding_box()
        assert node is not None and node["x"] >= 0 and node["x"] + node["width"] <= WIDTH
