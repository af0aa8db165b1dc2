"""PyTorch's ``torch.func`` as the oracle for forward mode and the derivative toolbox.

Random programs drawn from the op table (:func:`autograd_mini.testing.expressions`), and
functions with several outputs, are evaluated by autograd_mini and by PyTorch in float64:
``jvp``, ``jacobian`` in both modes, ``hessian``, ``hvp``, third derivatives, and forward
over reverse and reverse over forward must agree with ``torch.func`` (``jvp``, ``jacrev``,
``jacfwd``, ``hessian``, and ``jvp(grad(f))`` for hvp, the recipe of its documentation) to
1e-9 relative. Skipped cleanly when torch is not installed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_mini
from autograd_mini import grad, ops
from autograd_mini.engine import apply
from autograd_mini.expr import Call, Constant, Expression, Input, Node
from autograd_mini.functional import hessian, hvp, jacobian, jvp
from autograd_mini.graph import topological_order
from autograd_mini.testing import expressions, points

torch = pytest.importorskip("torch")
from torch_ops import TORCH_ROWS  # noqa: E402

func = torch.func
REL = 1e-9

# The ops drawn into random programs: the smooth ones and the simple kinks (the rest of
# the table is checked op by op in test_ops_torch.py, with the same PyTorch functions).
TORCH_OPS: dict[str, Callable[..., Any]] = {
    name: TORCH_ROWS[name]
    for name in ("+", "-", "*", "/", "**", "neg", "abs", "sign", "exp", "log", "tanh",
                 "sigmoid", "relu", "sqrt", "sin", "cos", "tan", "atan", "sinh", "cosh",
                 "asinh", "expm1", "log1p", "erf", "softplus", "silu", "softsign",
                 "logsigmoid", "maximum", "minimum", "atan2")
}
POWERS = ("**2", "**3", "**-1", "**0.5")
DRAWN = [*(name for name in TORCH_OPS if name in ops.OPS), *POWERS]


def torch_apply(op: ops.Op, *args: Any) -> Any:
    if op.name.startswith("**") and "k" in op.params:  # the family x ** k
        return args[0] ** op.params["k"]
    # A constant of the program is a float; torch's binary functions want tensors.
    return TORCH_OPS[op.name](*(a if isinstance(a, torch.Tensor) else tensor(a) for a in args))


def tensor(x: float) -> Any:
    return torch.tensor(x, dtype=torch.float64)


def _args_of(node: Node) -> tuple[Node, ...]:
    return node.args if isinstance(node, Call) else ()


def evaluate(expr: Expression, inputs: tuple[Any, ...], apply_op: Callable[..., Any],
             outputs: int = 0) -> Any:
    """The expression's value (``outputs == 0``) or its last ``outputs`` ops' values, a list."""
    values: dict[int, Any] = {}
    calls = []
    for node in topological_order(expr.root, _args_of):
        if isinstance(node, Input):
            values[id(node)] = inputs[node.index]
        elif isinstance(node, Constant):
            values[id(node)] = node.value
        else:
            values[id(node)] = apply_op(node.op, *(values[id(a)] for a in node.args))
            calls.append(values[id(node)])
    return values[id(expr.root)] if outputs == 0 else calls[-outputs:]


def mine_and_theirs(expr: Expression, outputs: int = 0) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def mine(*xs: Any) -> Any:
        return evaluate(expr, xs, apply, outputs)

    def theirs(*xs: Any) -> Any:
        result = evaluate(expr, xs, torch_apply, outputs)
        return tuple(result) if outputs else result

    return mine, theirs


def numbers_of(nested: Any) -> list[float]:
    """Every number of a nested result, in order: floats, tensors, lists and tuples of them."""
    if isinstance(nested, list | tuple):
        return [x for item in nested for x in numbers_of(item)]
    if isinstance(nested, torch.Tensor):
        # clone(): torch.func hands back derivatives known to be 0 as a ZeroTensor, which
        # has no storage to read.
        return [float(x) for x in nested.clone().reshape(-1).tolist()]
    return [float(nested)]


def assert_agree(mine: Any, theirs: Any, what: str) -> None:
    """Equal to 1e-9 relative; numbers near 0 are judged against the largest (and at least 1):
    a derivative that cancels to 0 may come out as 0.0 on one side and 1e-17 on the other."""
    a, b = numbers_of(mine), numbers_of(theirs)
    assert len(a) == len(b), f"{what}: {len(a)} numbers against torch's {len(b)}"
    scale = max([abs(x) for x in b] + [1.0])
    bad = [(i, x, y) for i, (x, y) in enumerate(zip(a, b))
           if not math.isclose(x, y, rel_tol=REL, abs_tol=REL * scale)]
    assert not bad, f"{what}: {len(bad)} of {len(a)} differ from torch, first {bad[:3]}"


def test_the_torch_equivalents_compute_the_same_values() -> None:
    # The mapping itself, checked once at each op's sample midpoint.
    for name in DRAWN:
        op = ops.power(float(name[2:])) if name in POWERS else ops.OPS[name]
        args = [0.5 * (low + high) + 0.1 for low, high in op.sample]
        assert float(torch_apply(op, *map(tensor, args))) == pytest.approx(
            apply(op, *args), rel=1e-15), name


# ------------------------------------------------------------------ random programs

programs = expressions(ops=DRAWN, max_depth=3)


@given(programs, st.data())
def test_jvp_and_jacobians_of_random_programs(expr: Expression, data: st.DataObject) -> None:
    mine, theirs = mine_and_theirs(expr)
    n = expr.n_inputs
    point = expr.point
    assert point is not None
    direction = data.draw(points(n, -2.0, 2.0), label="tangent")
    value, derivative = jvp(mine, point, direction)
    torch_value, torch_derivative = func.jvp(theirs, tuple(map(tensor, point)),
                                             tuple(map(tensor, direction)))
    assert_agree(value, torch_value, f"value of {expr}")
    assert_agree(derivative, torch_derivative, f"jvp of {expr}")
    every = tuple(range(n))
    torch_jacobian = func.jacrev(theirs, argnums=every)(*map(tensor, point))
    assert_agree(func.jacfwd(theirs, argnums=every)(*map(tensor, point)), torch_jacobian,
                 "torch's own two modes")
    for mode in ("rev", "fwd"):
        assert_agree(jacobian(mine, every, mode=mode)(*point), torch_jacobian,
                     f"jacobian ({mode}) of {expr}")


@given(programs, st.data())
def test_hessian_and_hvp_of_random_programs(expr: Expression, data: st.DataObject) -> None:
    mine, theirs = mine_and_theirs(expr)
    n, point = expr.n_inputs, expr.point
    assert point is not None
    every = tuple(range(n))
    tensors = tuple(map(tensor, point))
    assert_agree(hessian(mine, every)(*point), func.hessian(theirs, argnums=every)(*tensors),
                 f"hessian of {expr}")
    v = data.draw(points(n, -2.0, 2.0), label="v")
    value, product = hvp(mine, point, v)
    _, torch_product = func.jvp(func.grad(theirs, argnums=every), tensors, tuple(map(tensor, v)))
    assert_agree(value, theirs(*tensors), f"value of {expr}")
    assert_agree(product, torch_product, f"hvp of {expr}")


@given(expressions(ops=DRAWN, max_depth=3, n_inputs=2))
def test_third_derivatives_of_random_programs(expr: Expression) -> None:
    mine, theirs = mine_and_theirs(expr)
    point = expr.point
    assert point is not None
    every = (0, 1)
    tensors = tuple(map(tensor, point))
    theirs_3 = func.jacfwd(func.jacrev(func.jacrev(theirs, every), every), every)(*tensors)
    for modes in (("rev", "rev", "fwd"), ("fwd", "fwd", "fwd"), ("rev", "fwd", "rev")):
        third: Callable[..., Any] = mine
        for mode in modes:
            third = jacobian(third, every, mode=mode)
        assert_agree(third(*point), theirs_3, f"third derivatives ({modes}) of {expr}")


@given(programs, st.integers(2, 4), st.data())
def test_jacobians_of_several_outputs(expr: Expression, outputs: int, data: st.DataObject) -> None:
    # The outputs are the values of the program's last few ops: they share subexpressions.
    mine, theirs = mine_and_theirs(expr, outputs)
    n, point = expr.n_inputs, expr.point
    assert point is not None
    every = tuple(range(n))
    tensors = tuple(map(tensor, point))
    torch_jacobian = func.jacrev(theirs, argnums=every)(*tensors)
    for mode in ("rev", "fwd"):
        assert_agree(jacobian(mine, every, mode=mode)(*point), torch_jacobian,
                     f"jacobian ({mode}) of the last {outputs} ops of {expr}")
    direction = data.draw(points(n, -2.0, 2.0), label="tangent")
    values, derivatives = jvp(mine, point, direction)
    torch_values, torch_derivatives = func.jvp(theirs, tensors, tuple(map(tensor, direction)))
    assert_agree(values, torch_values, "values")
    assert_agree(derivatives, torch_derivatives, f"jvp of the last {outputs} ops of {expr}")


# ------------------------------------------------------------- written functions

MINI = SimpleNamespace(sin=autograd_mini.sin, cos=autograd_mini.cos, exp=autograd_mini.exp,
                       tanh=autograd_mini.tanh, sigmoid=autograd_mini.sigmoid,
                       log=autograd_mini.log, sqrt=autograd_mini.sqrt)
TORCH = SimpleNamespace(sin=torch.sin, cos=torch.cos, exp=torch.exp, tanh=torch.tanh,
                        sigmoid=torch.sigmoid, log=torch.log, sqrt=torch.sqrt)


def polar(r: Any, theta: Any, m: Any) -> Any:
    return r * m.cos(theta), r * m.sin(theta)


def softmax3(a: Any, b: Any, c: Any, m: Any) -> Any:
    ea, eb, ec = m.exp(a), m.exp(b), m.exp(c)
    total = ea + eb + ec
    return ea / total, eb / total, ec / total


def rnn_steps(x: Any, w: Any, m: Any) -> Any:
    h = x * 0.0
    states = []
    for t in range(5):
        h = m.tanh(w * h + x * (t + 1) * 0.3)
        states.append(h)
    return tuple(states)


def loss(w: Any, b: Any, m: Any) -> Any:
    data = [(0.5, 1.0), (-1.2, 0.0), (2.0, 1.0), (0.1, 0.0)]
    total = 0.0
    for x, y in data:
        p = m.sigmoid(w * x + b)
        total = total - (y * m.log(p) + (1 - y) * m.log(1 - p))
    return total / len(data) + 0.1 * (w * w + b * b)


WRITTEN: dict[str, tuple[Callable[..., Any], tuple[float, ...]]] = {
    "polar": (polar, (1.5, 0.7)),
    "softmax3": (softmax3, (0.2, -1.0, 0.9)),
    "rnn_steps": (rnn_steps, (0.8, 1.3)),
    "logistic loss": (loss, (0.4, -0.3)),
}


@pytest.mark.parametrize("name", list(WRITTEN))
def test_written_functions(name: str) -> None:
    f, point = WRITTEN[name]
    mine = lambda *xs: f(*xs, MINI)
    theirs = lambda *xs: f(*xs, TORCH)
    every = tuple(range(len(point)))
    tensors = tuple(map(tensor, point))
    direction = tuple(0.5 + 0.25 * i for i in every)
    assert_agree(jvp(mine, point, direction),
                 func.jvp(theirs, tensors, tuple(map(tensor, direction))), f"jvp of {name}")
    torch_jacobian = func.jacrev(theirs, argnums=every)(*tensors)
    for mode in ("rev", "fwd"):
        assert_agree(jacobian(mine, every, mode=mode)(*point), torch_jacobian,
                     f"jacobian ({mode}) of {name}")
    assert_agree(hessian(mine, every)(*point), func.hessian(theirs, argnums=every)(*tensors),
                 f"hessian of {name}")


def test_forward_over_reverse_and_reverse_over_forward_agree_with_torch() -> None:
    f, point = WRITTEN["logistic loss"]
    mine = lambda w, b: f(w, b, MINI)
    theirs = lambda w, b: f(w, b, TORCH)
    tensors = tuple(map(tensor, point))
    v = (1.0, -0.5)
    # forward over reverse: the Hessian times v
    assert_agree(jvp(grad(mine, argnums=(0, 1)), point, v)[1],
                 func.jvp(func.grad(theirs, argnums=(0, 1)), tensors, tuple(map(tensor, v)))[1],
                 "jvp(grad(f))")
    # reverse over forward: the gradient of the directional derivative
    assert_agree(grad(lambda w, b: jvp(mine, (w, b), v)[1], argnums=(0, 1))(*point),
                 func.grad(lambda w, b: func.jvp(theirs, (w, b), tuple(map(tensor, v)))[1],
                           argnums=(0, 1))(*tensors),
                 "grad(jvp(f))")
    # and the classic nesting, where confusing the perturbations would give 2
    torch_nested = func.jvp(
        lambda x: x * func.jvp(lambda y: x + y, (tensor(1.0),), (tensor(1.0),))[1],
        (tensor(1.0),), (tensor(1.0),))[1]
    mine_nested = jvp(lambda x: x * jvp(lambda y: x + y, (1.0,), (1.0,))[1], (1.0,), (1.0,))[1]
    assert mine_nested == float(torch_nested) == 1.0
