"""Code from micrograd's lecture, its exercises and newer micrograd-style code, run as written.

"The spelled-out intro to neural networks and backpropagation: building micrograd" builds
``Value`` step by step: it calls ``_backward()`` node by node, sorts the graph by hand,
and has students add ops by writing ``Value(data, (self,), 'exp')`` with a ``_backward``
closure. Newer micrograd code keeps optimizer state on parameters (``p.m``, ``p.v``). Each
cell below is that code with ``from autograd_mini import Value`` in place of the lecture's
own class, and checks that it means what it meant there.
"""

from __future__ import annotations

import copy
import math
import pickle
import sys
from typing import Any

import pytest

from autograd_mini import Value, backward_steps, draw_dot, gradcheck, gradgradcheck, log, nn
from autograd_mini.check import GradcheckError, gradient_rows


def lecture_neuron() -> tuple[Value, dict[str, Value]]:
    # inputs x1,x2
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    # weights w1,w2
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    # bias of the neuron
    b = Value(6.8813735870195432, label='b')
    # x1*w1 + x2*w2 + b
    x1w1 = x1*w1; x1w1.label = 'x1*w1'  # noqa: E702 - the lecture's cells, as written
    x2w2 = x2*w2; x2w2.label = 'x2*w2'  # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'  # noqa: E702
    n = x1w1x2w2 + b; n.label = 'n'  # noqa: E702
    o = n.tanh(); o.label = 'o'  # noqa: E702
    return o, {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)}


def test_the_lectures_node_by_node_backward() -> None:
    o, nodes = lecture_neuron()
    o.grad = 1.0
    o._backward()
    nodes['n']._backward()
    nodes['b']._backward()  # a leaf: nothing happens
    nodes['x1*w1 + x2*w2']._backward()
    nodes['x2*w2']._backward()
    nodes['x1*w1']._backward()
    by_hand = {name: v.grad for name, v in nodes.items()}
    assert math.isclose(by_hand['n'], 0.5, rel_tol=1e-9) and by_hand['w2'] == 0.0
    assert math.isclose(by_hand['x2'], 0.5, rel_tol=1e-9)
    assert math.isclose(by_hand['x1'], -1.5) and math.isclose(by_hand['w1'], 1.0)
    again, fresh = lecture_neuron()
    again.backward()
    assert {name: v.grad for name, v in fresh.items()} == by_hand  # the same numbers


def test_the_lectures_topological_sort_and_reversed_loop() -> None:
    o, nodes = lecture_neuron()
    topo = []
    visited = set()

    def build_topo(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    again, fresh = lecture_neuron()
    again.backward()
    assert {n: v.grad for n, v in nodes.items()} == {n: v.grad for n, v in fresh.items()}
    assert [v._op for v in topo if v._prev] == ['*', '*', '+', '+', 'tanh']


def test_the_lectures_small_cells() -> None:
    a = Value(2.0, label='a')
    b = Value(4.0, label='b')
    assert (a / b).data == 0.5 and (a - b).data == -2.0 and (2 * a).data == 4.0
    assert (a + 1).data == 3.0 and math.isclose(a.exp().data, math.exp(2.0))
    assert (a ** 2).data == 4.0 and (a ** 2)._op == '**2'
    c = a * b
    assert c._prev == (a, b) and c._op == '*'
    assert (Value(-1.0).relu())._op == 'ReLU'  # micrograd's spelling; .op keeps the table's
    assert (Value(-1.0).relu()).op == 'relu'


# ------------------------------------------------------- "add your own op" exercise


def exp(self: Value) -> Value:
    # The lecture's exercise, as a student writes it.
    x = self.data
    out = Value(math.exp(x), (self, ), 'exp')

    def _backward() -> None:
        self.grad += out.data * out.grad
    out._backward = _backward  # type: ignore[method-assign]

    return out


def test_a_students_exp_takes_part_in_backward_drawing_and_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Value, "exp", exp)  # Value.exp = exp, undone after the test
    x = Value(0.5, label='x')
    y = (x * 2).exp()
    y.label = 'y'
    assert (y._op, y.op, y._prev[0]._op) == ('exp', 'exp', '*')
    y.backward()
    assert math.isclose(x.grad, 2 * math.exp(1.0))
    dot = draw_dot(y).source
    assert 'label=exp' in dot.replace('"', '') and '{ x |' in dot
    x.grad = 0.0
    steps = list(backward_steps(y))
    assert "exp's own _backward" in str(steps[0])
    assert math.isclose(x.grad, 2 * math.exp(1.0))
    assert gradcheck(lambda v: (v * 2).exp(), 0.5)


def test_a_students_wrong_closure_is_caught_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong_exp(self: Value) -> Value:
        out = Value(math.exp(self.data), (self,), 'exp')

        def _backward() -> None:
            self.grad += out.grad  # forgot the local derivative
        out._backward = _backward  # type: ignore[method-assign]
        return out

    monkeypatch.setattr(Value, "exp", wrong_exp)
    with pytest.raises(GradcheckError, match="hand-written _backward") as caught:
        gradcheck(lambda v: v.exp(), 1.0)
    assert caught.value.failed_inputs == (0,)


def test_a_subclass_with_micrograd_style_operators_works() -> None:
    class LectureValue(Value):
        def __mul__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) else Value(other)
            out = Value(self.data * other.data, (self, other), '*')

            def _backward() -> None:
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._backward = _backward  # type: ignore[method-assign]
            return out

    a, b = LectureValue(3.0), LectureValue(-2.0)
    c = a * b + a
    c.backward()
    assert (c.data, a.grad, b.grad) == (-3.0, -1.0, 3.0)


def test_hand_written_nodes_keep_micrograd_s_reference_cycle_and_say_so() -> None:
    # The closure refers to out, and out to the closure: the cyclic collector frees it.
    x = Value(1.0)
    y = exp(x)
    assert y.__dict__["_backward"].__closure__ is not None
    with pytest.raises(TypeError, match="written by hand"):
        pickle.dumps(y)


# ------------------------------------------------------ attributes on Values


def test_adamw_with_state_on_the_parameters_as_newer_micrograd_code_writes_it() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    xs, ys = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1.0, 1.0, -1.0, -1.0]
    lr, beta1, beta2, eps, weight_decay = 0.05, 0.9, 0.95, 1e-8, 1e-4
    for p in model.parameters():
        p.m = 0.0
        p.v = 0.0
    losses = []
    for t in range(1, 80):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.m = beta1 * p.m + (1 - beta1) * p.grad
            p.v = beta2 * p.v + (1 - beta2) * p.grad ** 2
            m_hat = p.m / (1 - beta1 ** t)
            v_hat = p.v / (1 - beta2 ** t)
            p.data -= lr * (m_hat / (v_hat ** 0.5 + eps) + weight_decay * p.data)
        losses.append(loss.data)
    assert losses[-1] < 0.05 * losses[0]
    neuron = model.layers[0].neurons[0]
    setattr(neuron.b, '_vis_color', 'red')  # noqa: B010 - as micrograd-era drawing code sets it
    assert neuron.b._vis_color == 'red' and model.parameters()[0].m != 0.0


def test_attributes_cost_a_pointer_until_used() -> None:
    # The dict's slot costs 8 bytes a node (16 on CPython 3.11, whose managed dicts take a
    # two-word pre-header); the dict itself is made only when an attribute is set.
    class Without:
        __slots__ = tuple(name for name in Value.__slots__ if name != "__dict__")

    plain = Value(1.0)
    assert 0 <= sys.getsizeof(plain) - sys.getsizeof(Without()) <= 16
    assert vars(plain) == {}
    plain.m = 0.0
    assert vars(plain) == {"m": 0.0}


# --------------------------------------------------------- gradcheck, micrograd style


def test_gradcheck_takes_functions_written_with_value_methods() -> None:
    def f(a: Any, b: Any) -> Any:
        return (a * b).tanh() + log(b) * a ** 2

    assert gradcheck(f, 0.7, 1.3)
    assert gradgradcheck(f, 0.7, 1.3)
    assert all(row.ok for row in gradient_rows(f, 0.7, 1.3))


# -------------------------------------------------------- copying and pickling


def test_a_graph_pickles_with_its_ops_by_name() -> None:
    o, nodes = lecture_neuron()
    o.backward()
    copied = pickle.loads(pickle.dumps(o))
    assert (copied.data, copied.grad, copied.op, copied.label) == (o.data, 1.0, 'tanh', 'o')
    assert copied.parents[0].parents[1].label == 'b'
    assert copied.opdef is o.opdef  # the op itself, found by name
    x = copied.parents[0].parents[1]
    copied.backward()
    assert x.grad == nodes['b'].grad * 2  # leaves accumulate, as in the original


def test_deep_graphs_copy_and_pickle_without_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    for clone in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        assert clone.data == y.data
        clone.backward()
        first = clone
        while first.parents:
            first = first.parents[0]
        assert first.grad == 1.0 and first is not x
    assert x.grad == 0.0


def test_copying_and_pickling_leave_the_originals_as_light_as_they_were() -> None:
    # Reading node.__dict__ would give every node of the graph an empty dict for good.
    import gc

    x = Value(1.0)
    y = x * 2.0 + 1.0
    copy.deepcopy(y)
    pickle.dumps(y)
    for node in (x, y, *y.parents):
        assert not any(isinstance(r, dict) for r in gc.get_referents(node))


def test_values_in_one_pickle_stay_the_same_objects() -> None:
    w = Value(2.0, label="w")
    h = w * 3.0
    out = h + w
    w2, h2, out2 = pickle.loads(pickle.dumps([w, h, out]))
    assert out2.parents == (h2, w2) and h2.parents[0] is w2
    w.m = 0.25  # attributes travel too
    assert pickle.loads(pickle.dumps(w)).m == 0.25
