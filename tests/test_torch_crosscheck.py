"""Optional cross-check against PyTorch: first and nested higher-order derivatives.

Skipped cleanly when torch is not installed (it is not a dependency of any extra). In
float64, for every expression below, autograd_mini's nested :func:`autograd_mini.grad` must
agree with nested ``torch.autograd.grad(..., create_graph=True)`` up to order 4, and the
mixed second derivatives of the two-argument expressions must agree too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

import autograd_mini
from autograd_mini import Value, grad

torch = pytest.importorskip("torch")

# The same names on both sides, so each expression is written once.
MINI = SimpleNamespace(
    exp=autograd_mini.exp, log=autograd_mini.log, tanh=autograd_mini.tanh,
    sigmoid=autograd_mini.sigmoid, relu=autograd_mini.relu, sqrt=autograd_mini.sqrt,
    sin=autograd_mini.sin, cos=autograd_mini.cos, abs=autograd_mini.abs,
    constant=lambda c: Value(c),
)
TORCH = SimpleNamespace(
    exp=torch.exp, log=torch.log, tanh=torch.tanh, sigmoid=torch.sigmoid, relu=torch.relu,
    sqrt=torch.sqrt, sin=torch.sin, cos=torch.cos, abs=torch.abs,
    constant=lambda c: torch.tensor(c, dtype=torch.float64),
)

Expression = Callable[[Any, Any], Any]

ONE_ARGUMENT: dict[str, tuple[Expression, tuple[float, ...]]] = {
    "sin(x) * exp(x)": (lambda x, m: m.sin(x) * m.exp(x), (-1.2, 0.0, 0.9)),
    "x**3": (lambda x, m: x**3, (-1.5, 0.0, 2.0)),
    "x**2": (lambda x, m: x**2, (-1.0, 0.0, 0.5)),
    "x**-2": (lambda x, m: x**-2, (-1.5, 0.7)),
    "x**2.5": (lambda x, m: x**2.5, (0.3, 1.9)),
    "tanh(x)": (lambda x, m: m.tanh(x), (-2.0, 0.0, 0.4)),
    "sigmoid(2x)": (lambda x, m: m.sigmoid(2 * x), (-3.0, 0.0, 1.1)),
    "log(1 + x*x)": (lambda x, m: m.log(1 + x * x), (-0.8, 0.0, 1.3)),
    "sqrt(x) / x": (lambda x, m: m.sqrt(x) / x, (0.4, 2.5)),
    "cos(x)**2 - sin(x)": (lambda x, m: m.cos(x) ** 2 - m.sin(x), (-0.6, 0.0, 1.7)),
    "1 / (1 + exp(-x))": (lambda x, m: 1 / (1 + m.exp(-x)), (-1.0, 0.3)),
    "2**x": (lambda x, m: 2**x, (-1.0, 0.0, 1.5)),
    "x**c (c = 1.5)": (lambda x, m: x ** m.constant(1.5), (0.4, 2.0)),
    "relu(x) * x": (lambda x, m: m.relu(x) * x, (-1.0, 0.7)),
    "abs(x) * tanh(x)": (lambda x, m: m.abs(x) * m.tanh(x), (-1.1, 0.8)),
    "exp(sin(x)) / (2 + cos(x))": (lambda x, m: m.exp(m.sin(x)) / (2 + m.cos(x)), (-2.0, 0.5)),
}

TWO_ARGUMENTS: dict[str, tuple[Callable[[Any, Any, Any], Any], tuple[tuple[float, float], ...]]] = {
    "x * y + sin(x * y)": (lambda x, y, m: x * y + m.sin(x * y), ((0.5, -1.2), (1.0, 2.0))),
    # Not at y == 0: there PyTorch masks d(x**y)/dx with where(y == 0, 0, ...), which also
    # cuts its dependence on y, so its mixed derivative d/dy d/dx is 0 instead of 1/x.
    "x ** y": (lambda x, y, m: x**y, ((0.7, 1.3), (2.0, -0.5), (1.5, 0.5))),
    "tanh(x) * exp(y) / (1 + y*y)": (
        lambda x, y, m: m.tanh(x) * m.exp(y) / (1 + y * y), ((0.3, -0.4), (-1.0, 1.0))),
    "log(x) * sqrt(y)": (lambda x, y, m: m.log(x) * m.sqrt(y), ((0.5, 2.0), (3.0, 0.25))),
}

ORDER = 4


def torch_derivatives(f: Callable[[Any], Any], x0: float, order: int) -> list[float]:
    """f(x0), f'(x0), ... by nested torch.autograd.grad with create_graph=True."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    current = f(x)
    values = [current.item()]
    for _ in range(order):
        if not current.requires_grad:  # a constant: all further derivatives are zero
            values.append(0.0)
            current = torch.zeros((), dtype=torch.float64)
            continue
        (derivative,) = torch.autograd.grad(current, x, create_graph=True, allow_unused=True)
        if derivative is None:
            derivative = torch.zeros((), dtype=torch.float64)
        values.append(derivative.item())
        current = derivative
    return values


def mini_derivatives(f: Callable[[Any], Any], x0: float, order: int) -> list[float]:
    values = [float(f(Value(x0)))]
    g = f
    for _ in range(order):
        g = grad(g)
        values.append(g(x0))
    return values


def agree(mine: float, theirs: float) -> bool:
    if math.isnan(theirs):
        return math.isnan(mine)
    return math.isclose(mine, theirs, rel_tol=1e-11, abs_tol=1e-12)


CASES_1 = [(name, x) for name, (_, points) in ONE_ARGUMENT.items() for x in points]


@pytest.mark.parametrize(("name", "x0"), CASES_1, ids=[f"{n}@{x}" for n, x in CASES_1])
def test_nested_derivatives_agree_with_torch(name: str, x0: float) -> None:
    expression, _ = ONE_ARGUMENT[name]
    theirs = torch_derivatives(lambda x: expression(x, TORCH), x0, ORDER)
    mine = mini_derivatives(lambda x: expression(x, MINI), x0, ORDER)
    for order, (a, b) in enumerate(zip(mine, theirs)):
        assert agree(a, b), f"{name} at {x0}: derivative {order} is {a}, torch says {b}"


def test_x_squared_at_zero_agrees_with_torch() -> None:
    theirs = torch_derivatives(lambda x: x**2, 0.0, 4)
    assert theirs == [0.0, 0.0, 2.0, 0.0, 0.0]
    assert mini_derivatives(lambda x: x**2, 0.0, 4) == theirs


CASES_2 = [(name, p) for name, (_, points) in TWO_ARGUMENTS.items() for p in points]


@pytest.mark.parametrize(("name", "point"), CASES_2, ids=[f"{n}@{p}" for n, p in CASES_2])
def test_gradients_and_mixed_second_derivatives_agree_with_torch(
    name: str, point: tuple[float, float]
) -> None:
    expression, _ = TWO_ARGUMENTS[name]
    x = torch.tensor(point[0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor(point[1], dtype=torch.float64, requires_grad=True)
    out = expression(x, y, TORCH)
    dx, dy = torch.autograd.grad(out, (x, y), create_graph=True)
    hessian_torch = []
    for first in (dx, dy):
        if not first.requires_grad:
            hessian_torch.append([0.0, 0.0])
            continue
        row = torch.autograd.grad(first, (x, y), create_graph=True, allow_unused=True)
        hessian_torch.append([0.0 if h is None else h.item() for h in row])

    def f(a: Any, b: Any) -> Any:
        return expression(a, b, MINI)

    gradient = grad(f, argnums=(0, 1))(*point)
    assert agree(gradient[0], dx.item()) and agree(gradient[1], dy.item()), (gradient, dx, dy)
    for i in range(2):
        row = grad(lambda a, b, i=i: grad(f, argnums=i)(a, b), argnums=(0, 1))(*point)
        for j in range(2):
            assert agree(row[j], hessian_torch[i][j]), (name, point, i, j, row[j], hessian_torch[i][j])


def test_kink_conventions_agree_with_torch() -> None:
    for name in ("relu", "abs"):
        x = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (slope,) = torch.autograd.grad(getattr(torch, name)(x), x)
        assert slope.item() == 0.0
        assert grad(getattr(autograd_mini, name))(0.0) == 0.0
