"""The backward pass as a sequence of explainable steps.

``for step in backward_steps(root)`` runs exactly what ``root.backward()`` runs, one node at
a time, and stops after each node to let you look: the upstream gradient, and for every
input of the node the local derivative (the op table's rule, as text and as a number), the
contribution ``local × upstream`` and the input's gradient after it is added.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from autograd_mini.engine import Value, contributions
from autograd_mini.fastpath import restore_gradients, start_backward
from autograd_mini.ops import Op

__all__ = ["ParentUpdate", "Step", "backward_steps"]


@dataclass(frozen=True, eq=False)
class ParentUpdate:
    """What one step adds to one input (parent) of its node.

    ``formula`` is the op table's rule as text (``d(a * b)/da = b``), ``local_derivative``
    its value, ``contribution = local_derivative * upstream`` and ``grad_after =
    grad_before + contribution``.
    """

    parent: Value
    parent_name: str
    input_index: int
    input_name: str
    formula: str
    local_derivative: Any
    upstream: Any
    contribution: Any
    grad_before: Any
    grad_after: Any

    @property
    def derivative_text(self) -> str:
        """The formula with its value, e.g. ``d(a * b)/da = b = -3.0``."""
        return f"{self.formula} = {_num(self.local_derivative)}"

    def __str__(self) -> str:
        return (
            f"{self.parent_name}.grad += ({self.derivative_text}) × {_num(self.upstream)}"
            f" = {_num(self.contribution)} → {_num(self.grad_after)}"
        )


class _Pass:
    """State shared by the steps of one pass: the order, the starting gradients, history."""

    def __init__(self, order: list[Value], start: list[Any], total: int) -> None:
        self.order = order
        self.position = {node: i for i, node in enumerate(order)}
        self.start = start  # every node's grad after the reset and the seed
        self.total = total
        self.steps: list[Step] = []

    def name(self, node: Value) -> str:
        return node.label or f"#{self.position[node]}"


class Step:
    """One node's turn in the backward pass.

    ``index`` counts from 0 to ``total - 1``; ``node`` is the Value whose gradient is
    passed on, ``op`` its op-table entry, ``upstream`` its (complete) gradient, and
    ``updates`` one :class:`ParentUpdate` per input, in input order.
    """

    __slots__ = ("index", "node", "op", "updates", "upstream", "_pass")

    def __init__(
        self, index: int, node: Value, op: Op, upstream: Any,
        updates: tuple[ParentUpdate, ...], pass_: _Pass,
    ) -> None:
        self.index = index
        self.node = node
        self.op = op
        self.upstream = upstream
        self.updates = updates
        self._pass = pass_

    @property
    def total(self) -> int:
        """How many steps the whole pass has (one per non-leaf Value)."""
        return self._pass.total

    @property
    def node_name(self) -> str:
        """The node's label, or ``#i`` (its topological index, as in :func:`draw_dot`)."""
        return self._pass.name(self.node)

    @property
    def expression(self) -> str:
        """How the node was made, e.g. ``c = a * b``."""
        inputs = [self._pass.name(p) for p in self.node.parents]
        return f"{self.node_name} = {self.op.format(*inputs)}"

    def reached(self) -> set[Value]:
        """The Values the pass has reached by the end of this step.

        That is the root, every node whose turn has come, and every input that has
        received a contribution; the others still hold no gradient from this pass.
        """
        order = self._pass.order
        done = order[self._pass.position[self.node]:]
        reached = set(done)
        for node in done:
            reached.update(node.parents)
        return reached

    def gradients(self) -> dict[Value, Any]:
        """Every node's gradient right after this step, whatever happened since."""
        grads = dict(zip(self._pass.order, self._pass.start))
        for step in self._pass.steps[: self.index + 1]:
            for update in step.updates:
                grads[update.parent] = update.grad_after
        return grads

    def __str__(self) -> str:
        head = (
            f"step {self.index + 1}/{self.total}: {self.expression} = {_num(self.node.data)},"
            f" upstream grad {_num(self.upstream)}"
        )
        return head + "\n  " + "; ".join(str(u) for u in self.updates)

    def __repr__(self) -> str:
        return f"<Step {self.index + 1}/{self.total} {self.expression}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(u.parent_name)}</td>"
            f"<td><code>{html.escape(u.formula)}</code></td>"
            f"<td>{html.escape(_num(u.local_derivative))}</td>"
            f"<td>{html.escape(_num(u.contribution))}</td>"
            f"<td>{html.escape(_num(u.grad_before))} → {html.escape(_num(u.grad_after))}</td>"
            "</tr>"
            for u in self.updates
        )
        return (
            f"<div><b>step {self.index + 1}/{self.total}</b>:"
            f" <code>{html.escape(self.expression)}</code> = {html.escape(_num(self.node.data))},"
            f" upstream grad {html.escape(_num(self.upstream))}"
            "<table><tr><th>input</th><th>local derivative</th><th>value</th>"
            "<th>contribution (× upstream)</th><th>grad</th></tr>"
            f"{rows}</table></div>"
        )


def backward_steps(root: Value) -> Iterator[Step]:
    """Run ``root.backward()`` one node at a time, yielding a :class:`Step` after each.

    Same semantics as ``backward()`` (float mode): interior gradients are reset to 0.0,
    leaves accumulate, the root is seeded with 1.0, and every gradient is computed with the
    same float operations in the same order, so after the last step every ``.grad`` equals
    what ``backward()`` gives, bit for bit. Leaves have no step (they pass nothing on).

    Nothing happens until the first step is asked for. Each step's numbers stay valid
    after the pass moves on (``step.gradients()`` gives the state right after it), but
    the Values' ``.grad`` always show the latest state. If you stop iterating midway, the
    ``.grad`` are left half-way: interior nodes hold partial sums, leaves their earlier
    value plus this pass's contributions so far; run ``backward()`` (after zeroing leaf
    grads if you want a fresh result) to get a consistent state. If a derivative rule fails
    (e.g. ``sqrt`` at 0) every ``.grad`` is put back as it was before the pass, as
    ``backward()`` does, and the same error is raised.

    >>> from autograd_mini import Value
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> for step in backward_steps(c):
    ...     print(step)
    step 1/1: c = a * b = -6.0, upstream grad 1.0
      a.grad += (d(a * b)/da = b = -3.0) × 1.0 = -3.0 → -3.0; b.grad += (d(a * b)/db = a = 2.0) × 1.0 = 2.0 → 2.0
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"backward_steps: expected a Value, got {type(root).__name__} {root!r}"
        )
    order, saved = start_backward(root)  # exactly backward()'s preparation
    total = sum(1 for node in order if node.opdef is not None)
    pass_ = _Pass(order, [node.grad for node in order], total)

    for node in reversed(order):
        op = node.opdef
        if op is None:
            continue
        upstream = node.grad
        updates = []
        try:
            if op.custom:  # a micrograd-style node: its closure runs, as in backward()
                changes = _run_closure(node)
            else:
                # backward()'s loop: parent.grad += upstream * rule(out, *inputs), input by
                # input; the same float operations in the same order give the same bits.
                changes = []
                for parent, local, contribution in contributions(node, upstream):
                    before = parent.grad
                    parent.grad = before + contribution
                    changes.append((parent, local, contribution, before, parent.grad))
        except BaseException:
            restore_gradients(saved)  # a failed pass changes nothing, as in backward()
            raise
        for i, (parent, local, contribution, before, after) in enumerate(changes):
            index = node.parents.index(parent) if op.custom else i
            updates.append(ParentUpdate(
                parent=parent, parent_name=pass_.name(parent), input_index=index,
                input_name=op.inputs[index], formula=op.derivative_text(index),
                local_derivative=local, upstream=upstream, contribution=contribution,
                grad_before=before, grad_after=after,
            ))
        step = Step(len(pass_.steps), node, op, upstream, tuple(updates), pass_)
        pass_.steps.append(step)
        yield step


def _run_closure(node: Value) -> list[tuple[Value, Any, Any, Any, Any]]:
    """Run a micrograd-style node's own ``_backward``; what it added to each input."""
    inputs = list(dict.fromkeys(node.parents))
    before = [p.grad for p in inputs]
    node._backward()
    upstream = node.grad
    changes = []
    for parent, old in zip(inputs, before):
        added = parent.grad - old
        changes.append((parent, added / upstream if upstream else 0.0, added, old, parent.grad))
    return changes


def _num(x: Any) -> str:
    return repr(float(getattr(x, "data", x)))
