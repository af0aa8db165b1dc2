"""PyTorch as the oracle for every op of the table: values, first and second derivatives.

Every row of the op table and every family at its example parameters (and more) is
compared with the same function in PyTorch, in float64, at random points inside its
sampling domain away from its kinks: the value, each first derivative (``backward``) and
every entry of the Hessian (``torch.autograd.grad`` with ``create_graph``), to 1e-9
relative or better. At the kinks and ties themselves, the conventions are PyTorch's; the
one place they differ on purpose (hypot at the origin) is pinned down too. Skipped
cleanly when torch is not installed (CI installs the CPU build).
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from autograd_mini import functions as fn
from autograd_mini import grad, ops
from autograd_mini.engine import apply
from autograd_mini.ops import Op
from autograd_mini.testing import family_ops

torch = pytest.importorskip("torch")
from torch_ops import TORCH_FAMILIES, TORCH_ROWS, torch_function  # noqa: E402

REL = 1e-9
POINTS = 12
KINK_MARGIN = 1e-3

OPS_UNDER_TEST: list[Op] = (
    [op for op in ops.OPS.values() if op.builtin] + family_ops()
    + [ops.power(k) for k in (2, 3, -1, 0.5, 1.5, -2)]
    + [ops.LEAKY_RELU(negative_slope=-0.5), ops.ELU(alpha=2.0), ops.CLAMP(min=1.0, max=-1.0)]
)


def test_every_op_has_its_pytorch_function() -> None:
    rows = {op.name for op in ops.OPS.values() if op.builtin}
    assert rows == set(TORCH_ROWS), "a new row needs its PyTorch function here"
    assert {f.name for f in ops.FAMILIES} == set(TORCH_FAMILIES)


def torch_derivatives(op: Op, point: tuple[float, ...]) -> tuple[float, list[float], list[list[float]]]:
    """PyTorch's value, gradient and Hessian of ``op`` at ``point``, in float64."""
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = torch_function(op)(*xs)
    if not out.requires_grad:  # stop_gradient: detach cuts the graph, derivative 0
        return out.item(), [0.0] * len(xs), [[0.0] * len(xs) for _ in xs]
    firsts = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    gradient, hessian = [], []
    for g in firsts:
        gradient.append(0.0 if g is None else g.item())
        if g is None or not g.requires_grad:  # a constant derivative (floor's 0, x * 2's 2)
            hessian.append([0.0] * len(xs))
            continue
        seconds = torch.autograd.grad(g, xs, allow_unused=True, retain_graph=True)
        hessian.append([0.0 if s is None else s.item() for s in seconds])
    return out.item(), gradient, hessian


def our_derivatives(op: Op, point: tuple[float, ...]) -> tuple[float, list[float], list[list[float]]]:
    def f(*xs: Any) -> Any:
        return apply(op, *xs)

    n = len(point)
    gradient = [grad(f, argnums=i)(*point) for i in range(n)]
    hessian = [[grad(grad(f, argnums=i), argnums=j)(*point) for j in range(n)] for i in range(n)]
    return f(*point), gradient, hessian


def random_points(op: Op, seed: int) -> list[tuple[float, ...]]:
    rng = random.Random(seed)
    points: list[tuple[float, ...]] = []
    while len(points) < POINTS:
        point = tuple(rng.uniform(low, high) for low, high in op.sample)
        if op.distance_to_kink(*point) >= KINK_MARGIN:
            points.append(point)
    return points


def close(mine: float, theirs: float) -> bool:
    return math.isclose(mine, theirs, rel_tol=REL, abs_tol=1e-13)


@pytest.mark.parametrize("op", OPS_UNDER_TEST, ids=[op.name for op in OPS_UNDER_TEST])
def test_value_gradient_and_hessian_agree_with_pytorch(op: Op) -> None:
    for point in random_points(op, seed=sum(map(ord, op.name))):
        value, gradient, hessian = our_derivatives(op, point)
        t_value, t_gradient, t_hessian = torch_derivatives(op, point)
        where = f"{op.name} at {point}"
        assert close(value, t_value), f"{where}: value {value!r}, PyTorch {t_value!r}"
        for i, (mine, theirs) in enumerate(zip(gradient, t_gradient)):
            assert close(mine, theirs), f"{where}: d/d{op.inputs[i]} {mine!r}, PyTorch {theirs!r}"
        for i in range(op.arity):
            for j in range(op.arity):
                mine, theirs = hessian[i][j], t_hessian[i][j]
                assert close(mine, theirs), (
                    f"{where}: d2/d{op.inputs[i]}d{op.inputs[j]} {mine!r}, PyTorch {theirs!r}"
                )


# ------------------------------------------------------- kinks and ties: PyTorch's side

AT_KINKS: list[tuple[str, tuple[float, ...]]] = [
    ("relu", (0.0,)), ("abs", (0.0,)), ("sign", (0.0,)), ("leaky_relu", (0.0,)),
    ("leaky_relu(negative_slope=0.2)", (0.0,)), ("elu", (0.0,)), ("elu(alpha=0.5)", (0.0,)),
    ("selu", (0.0,)), ("softsign", (0.0,)), ("maximum", (1.5, 1.5)), ("minimum", (-2.0, -2.0)),
    ("clamp(min=-1.0, max=1.0)", (-1.0,)), ("clamp(min=-1.0, max=1.0)", (1.0,)),
    ("clamp(min=0.0)", (0.0,)), ("clamp(max=0.5)", (0.5,)), ("clamp(min=1.0, max=-1.0)", (0.0,)),
    ("atan2", (0.0, 0.0)), ("atan2", (0.0, -2.0)), ("floor", (2.0,)), ("round", (2.5,)),
    ("ceil", (-1.0,)), ("trunc", (0.0,)), ("softplus", (0.0,)), ("gelu", (0.0,)),
    ("gelu(approximate='tanh')", (0.0,)),
]


@pytest.mark.parametrize(("name", "point"), AT_KINKS, ids=[f"{n}@{p}" for n, p in AT_KINKS])
def test_at_kinks_and_ties_the_derivative_is_pytorchs(name: str, point: tuple[float, ...]) -> None:
    op = ops.lookup(name)
    value, gradient, _ = our_derivatives(op, point)
    t_value, t_gradient, _ = torch_derivatives(op, point)
    assert close(value, t_value)
    assert gradient == pytest.approx(t_gradient, rel=1e-15, abs=0.0), f"{name} at {point}"


def test_hypot_at_the_origin_is_zero_where_pytorch_gives_nan() -> None:
    # The one convention that differs on purpose: 0, as abs'(0) and PyTorch's vector norm.
    _, t_gradient, _ = torch_derivatives(ops.HYPOT, (0.0, 0.0))
    assert all(math.isnan(g) for g in t_gradient)
    assert our_derivatives(ops.HYPOT, (0.0, 0.0))[1] == [0.0, 0.0]
    norm = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    torch.linalg.vector_norm(norm).backward()
    assert norm.grad.tolist() == [0.0, 0.0]


# --------------------------------------------------------------- stable where PyTorch is


@pytest.mark.parametrize(("name", "x"), [
    ("softplus", 1000.0), ("softplus", -1000.0), ("softplus", 25.0), ("logsigmoid", -1000.0),
    ("logsigmoid", 1000.0), ("silu", -1000.0), ("log1p", 1e-17), ("expm1", 1e-17),
    ("elu", -1000.0), ("selu", -1000.0), ("sigmoid", -1000.0),
])
def test_extreme_inputs_agree_with_pytorch(name: str, x: float) -> None:
    op = ops.lookup(name)
    value, gradient, _ = our_derivatives(op, (x,))
    t_value, t_gradient, _ = torch_derivatives(op, (x,))
    assert math.isfinite(value) and close(value, t_value), (value, t_value)
    assert close(gradient[0], t_gradient[0]), (gradient, t_gradient)


# ----------------------------------------------------------------- the softmax family


@pytest.mark.parametrize("logits", [[0.5, -1.25, 2.0], [1000.0, -1000.0, 0.0], [-3.0, 7.0]])
def test_softmax_family_agrees_with_pytorch_to_the_second_derivative(logits: list[float]) -> None:
    n = len(logits)
    cases = [
        (lambda *z: fn.logsumexp(z), lambda z: torch.logsumexp(z, 0)),
        (lambda *z: fn.softmax(z)[0], lambda z: torch.softmax(z, 0)[0]),
        (lambda *z: fn.log_softmax(z)[n - 1], lambda z: torch.log_softmax(z, 0)[n - 1]),
    ]
    for ours, theirs in cases:
        z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
        out = theirs(z)
        (first,) = torch.autograd.grad(out, z, create_graph=True)
        hessian = [torch.autograd.grad(first[i], z, retain_graph=True)[0].tolist() for i in range(n)]
        assert close(ours(*logits), out.item())
        for i in range(n):
            assert close(grad(ours, argnums=i)(*logits), first[i].item())
            for j in range(n):
                mine = grad(grad(ours, argnums=i), argnums=j)(*logits)
                assert close(mine, hessian[i][j]), (i, j, mine, hessian[i][j])
