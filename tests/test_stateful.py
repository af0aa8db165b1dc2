"""A Hypothesis state machine that grows random graphs and backpropagates through them.

It builds graphs with shared nodes (a node may feed several others, or both inputs of one
op), calls ``backward()`` from random nodes, repeatedly, with and without
``create_graph``, zeroes gradients, and after every step checks the ``.grad`` of every node
against a model of the engine's semantics:

* ``backward()`` from ``root`` sets each interior node root depends on to d root / d node
  for this pass only, adds d root / d leaf to each leaf's gradient (leaves accumulate),
  and leaves every other node alone;
* ``gradients(root)`` touches no ``.grad`` at all.

The derivatives in the model come from a reference written here, independent of the
engine's backward pass and of its graph walks: forward-mode differentiation (one tangent
sweep per node, in creation order, which is a topological order since a node is made
after its inputs), itself checked against central differences of the op forwards.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from autograd_mini import Value, ops
from autograd_mini.engine import apply, gradients
from autograd_mini.ops import Op
from autograd_mini.testing import in_domain, reals

GRAPH_OPS: list[Op] = [op for op in ops.OPS.values() if op.builtin] + [
    ops.power(2), ops.power(3), ops.power(-1), ops.power(0.5)
]
MAX_NODES = 30
FD_STEP = 1e-6


def _grad_number(g: Any) -> float:
    # After backward(create_graph=True) a .grad is a Value.
    return g.data if isinstance(g, Value) else float(g)


class GraphMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.made: list[Value] = []  # every node, in creation order (a topological order)
        self.expected: dict[Value, float] = {}  # the model of every node's .grad

    # ----------------------------------------------------------------- growing
    def _add(self, node: Value) -> Value:
        self.made.append(node)
        self.expected[node] = 0.0
        return node

    def _pick(self, data: st.DataObject, what: str) -> Value:
        # Counted from the newest node, so that draws (and shrinking) favour the nodes
        # with the most graph behind them.
        back = data.draw(st.integers(0, len(self.made) - 1), label=what)
        return self.made[-1 - back]

    @initialize(xs=st.lists(reals(-2.0, 2.0), min_size=1, max_size=3))
    def first_leaves(self, xs: list[float]) -> None:
        for x in xs:
            self._add(Value(x))

    @precondition(lambda self: len(self.made) < MAX_NODES)
    @rule(x=reals(-2.0, 2.0))
    def leaf(self, x: float) -> None:
        self._add(Value(x))

    @precondition(lambda self: len(self.made) < MAX_NODES)
    @rule(data=st.data(), count=st.integers(1, 6))
    def grow(self, data: st.DataObject, count: int) -> None:
        # A few ops at once, each on nodes already made: graphs grow deep and wide, and a
        # node may feed several others or both inputs of one op (a is b).
        for _ in range(count):
            inputs = [self._pick(data, "input")]
            if data.draw(st.booleans(), label="binary"):
                inputs.append(self._pick(data, "second input"))
            values = [node.data for node in inputs]
            fitting = {
                op.name: op for op in GRAPH_OPS if op.arity == len(inputs) and in_domain(op, *values)
            }
            if fitting:
                # Drawn by name, so a falsifying example reads "op: 'tanh'".
                name = data.draw(st.sampled_from(sorted(fitting)), label="op")
                self._add(apply(fitting[name], *inputs))

    # ----------------------------------------------------------- differentiating
    @rule(data=st.data(), create_graph=st.booleans())
    def backward(self, data: st.DataObject, create_graph: bool) -> None:
        root = self._pick(data, "root")
        event(f"backward through {len(self.ancestors(root)) // 5 * 5}+ nodes")
        self.backward_from(root, create_graph)

    def backward_from(self, root: Value, create_graph: bool = False) -> None:
        derivatives = self.reference_gradients(root)
        root.backward(create_graph=create_graph)
        for node, derivative in derivatives.items():
            if node.is_leaf:
                self.expected[node] += derivative
            else:
                self.expected[node] = derivative

    @rule(data=st.data())
    def backward_twice(self, data: st.DataObject) -> None:
        # The second pass doubles what leaves received and changes no interior gradient.
        root = self._pick(data, "root")
        self.backward_from(root)
        self.backward_from(root)

    @rule(data=st.data())
    def functional_gradients(self, data: st.DataObject) -> None:
        root = self._pick(data, "root")
        derivatives = gradients(root)
        reference = self.reference_gradients(root)
        assert set(derivatives) == set(reference)
        for node, derivative in reference.items():
            assert derivatives[node] == pytest.approx(derivative, rel=1e-9, abs=1e-12)

    @rule(data=st.data())
    def zero_grad(self, data: st.DataObject) -> None:
        node = self._pick(data, "node")
        node.zero_grad()
        self.expected[node] = 0.0

    @invariant()
    def every_gradient_matches_the_model(self) -> None:
        for index, node in enumerate(self.made):
            actual = _grad_number(node.grad)
            assert actual == pytest.approx(self.expected[node], rel=1e-9, abs=1e-12), (
                f"node {index} ({node.op or 'leaf'}, data {node.data!r})"
            )

    # ------------------------------------------------------------------ reference
    def ancestors(self, root: Value) -> set[Value]:
        found = {root}
        stack = [root]
        while stack:
            for parent in stack.pop().parents:
                if parent not in found:
                    found.add(parent)
                    stack.append(parent)
        return found

    def reference_gradients(self, root: Value) -> dict[Value, float]:
        """d root / d node for every node root depends on, by forward mode.

        Each forward-mode derivative is also compared with a central difference of the
        op forwards (the node's value moved by ± FD_STEP, everything after it recomputed).
        """
        involved = self.ancestors(root)
        order = [node for node in self.made if node in involved]
        derivatives = {}
        for start, seed in enumerate(order):
            tangent = {seed: 1.0}
            for node in order[start + 1:]:
                op = node.opdef
                if op is None:
                    continue
                inputs = [p.data for p in node.parents]
                tangent[node] = sum(
                    rule(node.data, *inputs) * tangent.get(parent, 0.0)
                    for rule, parent in zip(op.rules, node.parents)
                )
            derivative = tangent.get(root, 0.0)
            numeric = self.central_difference(order, seed, root)
            assert derivative == pytest.approx(numeric, rel=1e-4, abs=1e-6), (
                f"reference: forward mode {derivative} vs finite differences {numeric}"
            )
            derivatives[seed] = derivative
        return derivatives

    def central_difference(self, order: list[Value], moved: Value, root: Value) -> float:
        def root_value(shift: float) -> float:
            values: dict[Value, float] = {}
            affected = {moved}  # nodes downstream of the moved one are recomputed
            for node in order:
                if node is moved:
                    values[node] = node.data + shift
                elif node.opdef is not None and any(p in affected for p in node.parents):
                    affected.add(node)
                    values[node] = node.opdef.forward(*(values[p] for p in node.parents))
                else:
                    values[node] = node.data
            return values[root]

        return (root_value(FD_STEP) - root_value(-FD_STEP)) / (2 * FD_STEP)


GraphMachine.TestCase.settings = settings(
    settings.default,  # the profile from conftest (ci or dev), with fewer, longer runs
    max_examples=min(settings.default.max_examples, 60),
    stateful_step_count=50,
)
TestGraphs = GraphMachine.TestCase


def test_reference_is_independent_and_right_on_a_known_graph() -> None:
    # f = x*y + x with shared x: df/dx = y + 1, df/dy = x; the reference must say so.
    machine = GraphMachine()
    x = machine._add(Value(1.5))
    y = machine._add(Value(-0.5))
    product = machine._add(x * y)
    total = machine._add(product + x)
    reference = machine.reference_gradients(total)
    assert reference == {total: 1.0, product: 1.0, x: 0.5, y: 1.5}
    machine.backward_from(total)
    machine.every_gradient_matches_the_model()
    assert (x.grad, y.grad, product.grad) == (0.5, 1.5, 1.0)
    machine.backward_from(total)
    machine.backward_from(total)
    assert (x.grad, y.grad, product.grad) == (1.5, 4.5, 1.0)
    machine.every_gradient_matches_the_model()
    # The model is not the engine: a wrong .grad is noticed.
    x.grad = 1.25
    with pytest.raises(AssertionError, match="node 0"):
        machine.every_gradient_matches_the_model()
    assert math.isclose(
        machine.central_difference([x, y, product, total], x, total), 0.5, rel_tol=1e-8
    )
