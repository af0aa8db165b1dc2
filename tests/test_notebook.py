"""explore: the step-through widget, driven without a browser."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("ipywidgets")

from graphs import neuron

from autograd_mini import Value
from autograd_mini.notebook import explore
from autograd_mini.viz import COLORS

SVG = "{http://www.w3.org/2000/svg}"



def _outline(svg: str, title: str) -> str | None:
    """The stroke colour of the node whose <title> is ``title``."""
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        t = group.find(f"{SVG}title")
        shape = group.find(f"{SVG}polygon")
        if t is not None and t.text == title and shape is not None:
            return shape.get("stroke")
    raise AssertionError(f"no node {title} in the SVG")


def test_slider_steps_through_the_pass_and_ends_at_backwards_result() -> None:
    o, leaves = neuron()
    explorer = explore(o, params=leaves[2:])
    assert explorer.slider.max == 5  # five ops: 2 x *, 2 x +, tanh
    assert explorer.slider.value == 0
    start_text, start_svg = explorer.text.value, explorer.graph.value
    assert "before the first of 5 steps" in start_text
    # At position 0 the leaves show no gradient, although the pass has already run.
    assert "grad 0.0000" in start_svg and leaves[0].grad != 0.0
    assert explorer.gradients()[leaves[0]] == 0.0

    seen_texts = {start_text}
    for k in range(1, 6):
        explorer.slider.value = k
        assert explorer.step is explorer.steps[k - 1]
        assert f"step {k}/5" in explorer.text.value
        seen_texts.add(explorer.text.value)
        # The current step's node is outlined in red in the SVG.
        node_index = {"o": 9, "n": 8}.get(explorer.step.node.label)
        if node_index is not None:
            assert _outline(explorer.graph.value, f"v{node_index}") == COLORS["highlight"]
    assert len(seen_texts) == 6  # every position shows different text

    # The final position shows backward's gradients, and the graph holds them too.
    fresh, fresh_leaves = neuron()
    fresh.backward()
    final = explorer.gradients()
    assert [final[x] for x in leaves] == [x.grad for x in fresh_leaves]
    assert [x.grad for x in leaves] == [x.grad for x in fresh_leaves]
    assert "grad -1.5000" in explorer.graph.value.replace("&#45;", "-")  # x1's gradient


def test_position_0_of_a_value_used_twice_in_the_first_step_shows_its_start() -> None:
    x = Value(3.0, label="x")
    x.grad = 0.5  # a leaf holding a gradient: the pass accumulates onto it
    y = x * x
    y.label = "y"
    explorer = explore(y)
    first = explorer.steps[0]
    assert [u.grad_before for u in first.updates] == [0.5, 3.5]  # the second sees the first
    assert explorer.gradients()[x] == 0.5  # before the step, not half-way through it
    assert "grad 0.5000" in explorer.graph.value


def test_the_graph_scales_to_the_cell() -> None:
    o, _ = neuron()
    explorer = explore(o)
    svg = ET.fromstring(explorer.graph.value).find(f"{SVG}svg")
    assert svg is not None and svg.get("width") == "100%"
    assert (svg.get("style") or "").startswith("max-width:")


def test_buttons_move_one_step_and_stop_at_the_ends() -> None:
    o, _ = neuron()
    explorer = explore(o)
    explorer.previous_button.click()
    assert explorer.slider.value == 0
    explorer.next_button.click()
    explorer.next_button.click()
    assert explorer.slider.value == 2
    assert "step 2/5" in explorer.text.value
    for _ in range(10):
        explorer.next_button.click()
    assert explorer.slider.value == 5
    explorer.previous_button.click()
    assert "step 4/5" in explorer.text.value


def test_graph_changes_with_the_slider() -> None:
    o, _ = neuron()
    explorer = explore(o)
    explorer.slider.value = 1
    first = explorer.graph.value
    explorer.slider.value = 2
    assert explorer.graph.value != first
    explorer.slider.value = 1
    assert explorer.graph.value == first  # moving back shows the same picture again


def test_widget_displays_in_a_notebook() -> None:
    explorer = explore(neuron()[0])
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(explorer) == "<BackwardExplorer at step 0/5>"


def test_a_leaf_has_nothing_to_step_through() -> None:
    x = Value(1.0, label="x")
    explorer = explore(x)
    assert explorer.slider.max == 0
    assert "before the first of 0 steps" in explorer.text.value
    assert explorer.gradients() == {x: 1.0}


def test_missing_ipywidgets_names_the_notebook_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r'pip install "autograd-mini\[notebook\]"'):
        explore(Value(1.0))
