"""Notebook widgets: step through the backward pass with a slider, the graph beside the text.

:func:`explore` is for a live kernel: its slider redraws the graph in Python. For a page
that plays without a kernel (exported notebooks, nbviewer, docs, saved files) use
:func:`autograd_mini.stepper.stepper`.

Needs the ``notebook`` extra (``ipywidgets``) and the ``viz`` extra (``graphviz``, and a
layout engine, which the extra brings in process).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from autograd_mini.steps import Step, backward_steps
from autograd_mini.viz import draw_dot, unique_id_prefix

if TYPE_CHECKING:
    from collections.abc import Iterable

    from autograd_mini.engine import Value

__all__ = ["BackwardExplorer", "explore"]


def explore(
    root: Value, params: Iterable[Value] | None = None, rankdir: str = "LR",
    max_nodes: int | None = 200,
) -> BackwardExplorer:
    """A widget stepping through ``root``'s backward pass: slider, Previous/Next, graph, text.

    The whole pass runs at once when the widget is made, exactly as ``root.backward()``
    would (so afterwards every ``.grad`` holds backward's result; leaves accumulate as
    usual); the slider then replays the recorded steps. Position 0 shows the graph
    after seeding, before any step; position ``k`` shows it right after step ``k``.

    >>> from autograd_mini import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
    >>> explorer = explore(y)
    >>> explorer.slider.max, x.grad
    (1, 4.0)
    >>> explorer.slider.value = 1
    >>> "d(a * b)/da = b" in explorer.text.value
    True
    """
    widgets = _import_ipywidgets()
    return BackwardExplorer(root, widgets, params, rankdir, max_nodes)


class BackwardExplorer:
    """The widget made by :func:`explore`.

    ``slider``, ``previous_button``, ``next_button``, ``graph`` (an ``HTML`` widget holding
    the SVG, scaled to the width of the cell) and ``text`` (an ``HTML`` widget with the step's explanation) are ipywidgets;
    ``widget`` is the box holding them all, which is what a notebook displays.
    """

    def __init__(
        self, root: Value, widgets: Any, params: Iterable[Value] | None, rankdir: str,
        max_nodes: int | None,
    ) -> None:
        self.root = root
        self.params = list(params) if params is not None else None
        self.rankdir = rankdir
        self.max_nodes = max_nodes
        self.steps: list[Step] = list(backward_steps(root))
        # Gradients after seeding and before any step: the first step's "before" values.
        # Reversed, so an input updated twice in that step (x * x) keeps its first one.
        self._start: dict[Any, Any] = (
            self.steps[0].gradients() if self.steps else {root: root.grad}
        )
        if self.steps:
            for update in reversed(self.steps[0].updates):
                self._start[update.parent] = update.grad_before

        self._id_prefix = unique_id_prefix()  # one per widget: a position always looks the same
        total = len(self.steps)
        self.slider = widgets.IntSlider(
            value=0, min=0, max=total, step=1, description="step",
            continuous_update=False,
        )
        self.previous_button = widgets.Button(description="◀ previous")
        self.next_button = widgets.Button(description="next ▶")
        self.graph = widgets.HTML()
        self.text = widgets.HTML()
        self.previous_button.on_click(lambda _: self._move(-1))
        self.next_button.on_click(lambda _: self._move(+1))
        self.slider.observe(lambda _: self._show(), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.previous_button, self.slider, self.next_button]),
            self.text,
            self.graph,
        ])
        self._show()

    @property
    def step(self) -> Step | None:
        """The step shown now (``None`` at position 0, before the first step)."""
        k = self.slider.value
        return self.steps[k - 1] if k > 0 else None

    def gradients(self) -> dict[Value, Any]:
        """Every node's gradient at the position shown now."""
        step = self.step
        return dict(self._start) if step is None else step.gradients()

    def _move(self, by: int) -> None:
        self.slider.value = min(max(self.slider.value + by, 0), self.slider.max)

    def _show(self) -> None:
        step = self.step
        if step is None:
            self.text.value = (
                f"<div>before the first of {len(self.steps)} steps: the output's gradient"
                f" is seeded with {html.escape(repr(self._start[self.root]))}.</div>"
            )
            # The graph's .grad hold the final state: draw the seeded one instead.
            drawing = draw_dot(self.root, rankdir=self.rankdir, highlight=[self.root],
                               max_nodes=self.max_nodes, params=self.params,
                               grads=self._start)
            self.graph.value = drawing._html(drawing.svg(), self._id_prefix)  # fits the cell
        else:
            self.text.value = step._repr_html_()
            drawing = draw_dot(self.root, rankdir=self.rankdir, highlight=step,
                               max_nodes=self.max_nodes, params=self.params)
            self.graph.value = drawing._html(drawing.svg(), self._id_prefix)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<BackwardExplorer at step {self.slider.value}/{len(self.steps)}>"


def _import_ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError(
            'explore needs the "ipywidgets" package; install it with'
            ' pip install "autograd-mini[notebook]"'
        ) from exc
    return ipywidgets
