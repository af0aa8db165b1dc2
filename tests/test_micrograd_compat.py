"""micrograd compatibility: its own tests, its drawing code and its demo, unchanged.

The expressions are micrograd's ``test/test_engine.py`` (``test_sanity_check`` and
``test_more_ops``) with ``from autograd_mini import Value``; the expected numbers are the
ones PyTorch gives there (as printed in micrograd's README). Where the installed
``micrograd`` package (the ``bench`` extra) is available, results are also compared with it
directly; those tests skip cleanly without it.

Where the digits may differ from micrograd, and why:

* ``a / b``: micrograd computes ``a * b**-1``, which rounds twice; autograd_mini divides
  (one rounding). So ``test_more_ops`` agrees to ~1e-15 relative, not bit for bit.
* Everything in micrograd's MLP demo (``+``, ``*``, ``relu``, ``**2``) is computed with the
  same float operations in the same order, so the loss at step 0 is bit-identical. The
  gradients are sums over 100 samples, accumulated in the order of the backward walk;
  micrograd walks a ``set`` of parents, whose order follows memory addresses, while
  autograd_mini walks ordered parents. The sums can therefore differ in the last bit,
  and so the losses after a few SGD steps agree to ~1e-12, not bit for bit. micrograd
  does not even agree with itself: three runs of this demo gave the loss at step 2 as
  0.6992244626310467, ...470 and ...469 (autograd_mini: ...465, every run).
"""

from __future__ import annotations

import copy
import math
import pickle
import random
from collections.abc import Callable
from typing import Any

import pytest

import autograd_mini
from autograd_mini import Value, ops
from autograd_mini.nn import MLP


def sanity_check(value: Callable[[float], Any]) -> tuple[Any, Any]:
    # micrograd test/test_engine.py::test_sanity_check, the micrograd half, verbatim.
    x = value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y
    return xmg, ymg


def more_ops(value: Callable[[float], Any]) -> tuple[Any, Any, Any]:
    # micrograd test/test_engine.py::test_more_ops, the micrograd half, verbatim.
    a = value(-4.0)
    b = value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g
    return amg, bmg, gmg


def test_sanity_check_against_torch_numbers() -> None:
    xmg, ymg = sanity_check(Value)
    # PyTorch's numbers for the same program (micrograd's test compares with them).
    assert ymg.data == -20.0
    assert xmg.grad == 46.0


def test_more_ops_against_torch_numbers() -> None:
    amg, bmg, gmg = more_ops(Value)
    tol = 1e-6  # micrograd's own tolerance; we do far better, see below
    assert abs(gmg.data - 24.70408163265306) < tol
    assert abs(amg.grad - 138.83381924198252) < tol
    assert abs(bmg.grad - 645.5772594752186) < tol
    assert math.isclose(gmg.data, 24.70408163265306, rel_tol=1e-15)
    assert math.isclose(amg.grad, 138.83381924198252, rel_tol=1e-14)
    assert math.isclose(bmg.grad, 645.5772594752186, rel_tol=1e-14)


def test_sanity_check_against_micrograd() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    ours = sanity_check(Value)
    theirs = sanity_check(micrograd.Value)
    assert [v.data for v in ours] == [v.data for v in theirs]
    assert [v.grad for v in ours] == [v.grad for v in theirs]


def test_more_ops_against_micrograd() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    ours = more_ops(Value)
    theirs = more_ops(micrograd.Value)
    for mine, other in zip(ours, theirs):
        assert math.isclose(mine.data, other.data, rel_tol=1e-14)
        assert math.isclose(mine.grad, other.grad, rel_tol=1e-14)


# ------------------------------------------------------------------- drawing code


def trace(root: Any) -> tuple[set[Any], set[tuple[Any, Any]]]:
    # micrograd's trace_graph.ipynb, verbatim: reads _prev.
    nodes, edges = set(), set()

    def build(v: Any) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def dot_lines(root: Any) -> list[str]:
    # The body of micrograd's draw_dot, writing DOT text instead of calling graphviz.
    nodes, edges = trace(root)
    lines = []
    for n in nodes:
        uid = str(id(n))
        lines.append(f'{uid} [label="{{ data {n.data:.4f} | grad {n.grad:.4f} }}"]')
        lines.append("{ data %.4f | grad %.4f }" % (n.data, n.grad))  # noqa: UP031
        if n._op:
            lines.append(f"{uid + n._op} [label={n._op}]")
            lines.append(f"{uid + n._op} -> {uid}")
    for n1, n2 in edges:
        lines.append(f"{id(n1)} -> {id(n2)}{n2._op}")
    return lines


def test_micrograd_drawing_code_runs_unchanged() -> None:
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    nodes, edges = trace(y)
    assert len(nodes) == 6  # x, 2, x*2, 1, +, relu
    assert len(edges) == 5
    assert {n._op for n in nodes} == {"", "*", "+", "ReLU"}  # micrograd's spelling
    lines = dot_lines(y)
    assert "{ data 3.0000 | grad 1.0000 }" in lines
    assert "{ data 1.0000 | grad 2.0000 }" in lines
    assert sum(1 for line in lines if line.endswith("[label=*]")) == 1


def test_the_same_node_twice_is_one_parent_entry_each_time() -> None:
    # micrograd's _prev is a set ({x} for x*x); ours is the ordered tuple (x, x). Drawing
    # code that builds a set of edges from it draws the same single edge either way.
    x = Value(3.0)
    y = x * x
    assert y._prev == (x, x)
    assert trace(y)[1] == {(x, y)}


# ------------------------------------------------------------------------- the nn


def make_moons(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    """Two interleaved half circles with noise: the shape of micrograd's demo data.

    (scikit-learn's make_moons is not a dependency; these are plain deterministic floats.)
    """
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * (i // 2) / (n // 2 - 1)
        if i % 2 == 0:
            point = [math.cos(t), math.sin(t)]
            label = -1
        else:
            point = [1 - math.cos(t), 1 - math.sin(t) - 0.5]
            label = 1
        xs.append([point[0] + rng.gauss(0, 0.1), point[1] + rng.gauss(0, 0.1)])
        ys.append(label)
    return xs, ys


def demo_loss(value: Any, model: Any, xs: list[list[float]], ys: list[int]) -> tuple[Any, float]:
    # micrograd's demo.ipynb loss(), verbatim apart from taking its data as arguments.
    inputs = [list(map(value, xrow)) for xrow in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(ys, scores)]
    return total_loss, sum(accuracy) / len(accuracy)


def train(value: Any, mlp: Any, steps: int) -> tuple[list[float], list[float]]:
    random.seed(1337)
    model = mlp(2, [16, 16, 1])
    xs, ys = make_moons(100, seed=1)
    losses = []
    for k in range(steps):
        total_loss, _ = demo_loss(value, model, xs, ys)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(total_loss.data)
    return losses, [p.data for p in model.parameters()]


def test_mlp_draws_weights_exactly_as_micrograd() -> None:
    micrograd_nn = pytest.importorskip("micrograd.nn")
    for sizes in ([16, 16, 1], [4, 3], [1]):
        random.seed(1337)
        theirs = micrograd_nn.MLP(2, sizes)
        random.seed(1337)
        ours = MLP(2, sizes)
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        assert repr(ours) == repr(theirs)
        assert random.random() == (random.seed(1337), micrograd_nn.MLP(2, sizes), random.random())[2]


def test_mlp_draws_weights_from_the_global_random_in_micrograds_order() -> None:
    # Without micrograd installed: the same draws written out by hand.
    random.seed(42)
    model = MLP(3, [2, 1])
    random.seed(42)
    expected = []
    for nin, nout in ((3, 2), (2, 1)):
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [p.data for p in model.parameters()] == expected


def test_demo_loss_at_step_zero_is_bit_identical() -> None:
    pytest.importorskip("micrograd")
    from micrograd.engine import Value as MicrogradValue
    from micrograd.nn import MLP as MicrogradMLP  # noqa: N811

    ours, _ = train(Value, MLP, 1)
    theirs, _ = train(MicrogradValue, MicrogradMLP, 1)
    assert ours == theirs  # the forward pass: same operations, same order, same digits


def test_demo_training_matches_micrograd() -> None:
    pytest.importorskip("micrograd")
    from micrograd.engine import Value as MicrogradValue
    from micrograd.nn import MLP as MicrogradMLP  # noqa: N811

    ours, our_params = train(Value, MLP, 3)
    theirs, their_params = train(MicrogradValue, MicrogradMLP, 3)
    assert ours[0] == theirs[0]
    # Later steps: equal up to the order of gradient sums (see the module docstring).
    for mine, other in zip(ours, theirs):
        assert math.isclose(mine, other, rel_tol=1e-12)
    for mine, other in zip(our_params, their_params):
        assert math.isclose(mine, other, rel_tol=1e-10, abs_tol=1e-12)
    assert ours[-1] < ours[0]  # and it learns


def test_demo_gradients_match_micrograd_at_step_zero() -> None:
    pytest.importorskip("micrograd")
    from micrograd.engine import Value as MicrogradValue
    from micrograd.nn import MLP as MicrogradMLP  # noqa: N811

    grads = []
    for value, mlp in ((Value, MLP), (MicrogradValue, MicrogradMLP)):
        random.seed(1337)
        model = mlp(2, [16, 16, 1])
        xs, ys = make_moons(100, seed=1)
        loss, _ = demo_loss(value, model, xs, ys)
        loss.backward()
        grads.append([p.grad for p in model.parameters()])
    ours, theirs = grads
    for mine, other in zip(ours, theirs):
        assert math.isclose(mine, other, rel_tol=1e-12, abs_tol=1e-15)


def test_mlp_with_a_one_neuron_hidden_layer() -> None:
    random.seed(0)
    model = MLP(2, [16, 1, 1])
    out = model([0.5, -1.5])
    assert isinstance(out, Value)
    out.backward()
    assert len(model.parameters()) == 16 * 3 + 1 * 17 + 1 * 2
    assert any(p.grad != 0.0 for p in model.parameters()) or out.data == 0.0
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(0)
    with pytest.raises(TypeError):  # micrograd's bug, for the record
        micrograd_nn.MLP(2, [16, 1, 1])([0.5, -1.5])


# ------------------------------------------- micrograd's draw_dot calls (trace_graph.ipynb)


def test_code_written_for_micrograds_draw_dot_runs_unchanged(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # trace_graph.ipynb's cells, with draw_dot imported from autograd_mini: its signature
    # draw_dot(root, format='svg', rankdir='LR') and the graphviz.Digraph calls made on the
    # result (display, render('gout'), pipe()). Hidden system Graphviz: the in-process
    # renderer draws, as on a machine with only `pip install "autograd-mini[viz]"`.
    import importlib.util
    import shutil

    from autograd_mini import nn
    from autograd_mini.viz import draw_dot

    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
    monkeypatch.chdir(tmp_path)

    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    dot = draw_dot(y)
    assert "image/svg+xml" in dot._repr_mimebundle_()  # what Jupyter shows for `dot`
    assert dot.render("gout") == "gout.svg"
    assert (tmp_path / "gout").read_text(encoding="utf-8") == dot.source
    assert (tmp_path / "gout.svg").read_bytes() == dot.pipe() == dot.pipe(format="svg")

    assert draw_dot(y, "svg").source == dot.source
    tb = draw_dot(y, format="png", rankdir="TB")
    assert "rankdir=TB" in tb.source
    if importlib.util.find_spec("resvg_py") is not None:  # in-process PNG
        assert tb.render("gout_tb") == "gout_tb.png"
        assert (tmp_path / "gout_tb.png").read_bytes() == tb.pipe() == tb.png()


def test_a_closure_assigned_to_a_built_in_nodes_backward_replaces_its_rule() -> None:
    # micrograd's code overrides a node's step this way (a straight-through estimator, a
    # cut); the assignment used to be kept in the node's __dict__ and silently ignored.
    x = Value(-1.0)
    r = x.relu()

    def straight_through() -> None:
        x.grad += r.grad

    r._backward = straight_through
    (r * 3.0).backward()
    assert x.grad == 3.0 and r._op == "ReLU" and r.parents == (x,)

    a, b = Value(2.0), Value(3.0)
    cut = a * b
    cut._backward = lambda: None
    (cut + a).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)

    p, q = Value(2.0), Value(-3.0)
    out = p * q
    out.grad = 1.0
    out._backward()  # the lecture's cell: a table node's own step, called by hand
    assert (p.grad, q.grad) == (-3.0, 2.0)


def test_assigning_op_and_prev_builds_a_node_by_hand_as_in_micrograd() -> None:
    # micrograd's _op and _prev are plain attributes: code relabels a node for drawing,
    # builds a node by hand (closure and _prev in either order), or sets _prev = set() to
    # stop backward below a node, whose closure still adds into the operands it captured.
    a = Value(2.0)
    b = a * a
    b._op = "square"
    c = b + a
    c.backward()
    assert (b._op, b.op, c.data, a.grad, b.grad) == ("square", "*", 6.0, 5.0, 1.0)
    assert b.opdef is ops.MUL  # only renamed: the table's op, second derivatives and all
    assert 'label=square' in autograd_mini.draw_dot(c).source

    x, y = Value(3.0), Value(4.0)
    out = Value(x.data * y.data)

    def _backward() -> None:
        x.grad += y.data * out.grad
        y.grad += x.data * out.grad

    out._backward = _backward
    out._prev = {x}
    out._prev = (x, y)  # assigned again: the inputs are replaced, the closure kept
    out._op = "*"
    (out + x).backward()
    assert (out.parents, x.grad, y.grad) == ((x, y), 5.0, 3.0)

    u, v = Value(3.0), Value(4.0)
    total = Value(u.data + v.data)
    total._prev = [u, v]

    def _add_backward() -> None:
        u.grad += total.grad
        v.grad += total.grad

    total._backward = _add_backward
    (total * 2).backward()
    assert (u.grad, v.grad) == (2.0, 2.0)

    p, q = Value(1.5), Value(-2.0)
    h = p * q
    h._prev = set()  # below h nothing is visited, but h's step (the table's *) runs
    r = h * 3
    r.backward()
    assert (h.parents, h.grad, p.grad, q.grad) == ((), 3.0, -6.0, 4.5)

    s, t = Value(1.5), Value(7.0)
    w = s + q
    w._prev = (t,)  # the step keeps the operands it was made with, as a closure would
    (w * w).backward()
    assert (w.grad, s.grad, t.grad) == (-1.0, -1.0, 0.0)

    leaf = Value(2.0)
    leaf._op = "const"
    leaf._prev = set()  # a leaf's: it stays a leaf, and keeps accumulating
    square = leaf * leaf
    square.backward()
    square.backward()
    assert leaf.is_leaf and leaf._op == "const" and leaf.grad == 8.0

    m, n = Value(2.0), Value(3.0)
    product = m * n
    for wrong in (None, "ab", 5, [1.0], m):
        with pytest.raises(TypeError, match="_prev"):
            product._prev = wrong  # type: ignore[assignment]
        assert product.opdef is ops.MUL and product.parents == (m, n)  # as it was

    by_hand = Value(6.0)
    by_hand._prev = (m, n)
    by_hand._prev = set()  # a hand-written node with no inputs (and no closure)
    for copied in (copy.deepcopy(by_hand * 2.0), pickle.loads(pickle.dumps(by_hand * 2.0))):
        assert copied.parents[0].parents == () and copied.data == 12.0


def test_a_leaf_made_with_an_op_name_keeps_it_in_op() -> None:
    # micrograd stores _op whatever the children; a leaf Value(3.0, (), 'const') lost it.
    const = Value(3.0, (), "const")
    assert const._op == "const" and const.op == "" and const.is_leaf
    assert Value(3.0)._op == "" and not Value(3.0).__dict__


def test_a_second_derivative_through_a_hand_written_node_raises_instead_of_giving_zero() -> None:
    # Its closure works on floats: the first derivative is right, a second one used to
    # come back as a silent 0.0 (PyTorch raises for a backward that is not differentiable).
    from autograd_mini import grad, hessian

    def handwritten_tanh(x: Value) -> Value:
        t = math.tanh(x.data)
        out = Value(t, (x,), "tanh")

        def _backward() -> None:
            x.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    assert grad(handwritten_tanh)(0.5) == 1 - math.tanh(0.5) ** 2
    for second in (grad(grad(handwritten_tanh)), hessian(handwritten_tanh)):
        with pytest.raises(RuntimeError, match=r"hand-written node 'tanh'.*autograd_mini\.primitive"):
            second(0.5)
    x = Value(0.5)
    (handwritten_tanh(x) * 2.0).backward(create_graph=True)
    assert x.grad.data == 2 * (1 - math.tanh(0.5) ** 2)  # first order is still there
    with pytest.raises(RuntimeError, match="hand-written node 'tanh'"):
        x.grad.backward()
