"""Neurons, layers and MLPs on top of ``Value``: micrograd's ``nn`` API, then beyond.

With default arguments everything is drawn exactly as micrograd draws it
(``random.uniform(-1, 1)`` from Python's global ``random``, in the same order; biases 0),
so micrograd-era code runs unchanged and reproduces micrograd's numbers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from autograd_mini.engine import Value

__all__ = ["MLP", "Layer", "Module", "Neuron"]


class Module:
    """Base class: anything with parameters."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    """``act(sum(w_i * x_i) + b)``; relu when ``nonlin`` (micrograd's default), else linear.

    >>> random.seed(0)
    >>> n = Neuron(2)
    >>> n([1.0, 2.0])
    Value(data=1.7206613148113061, grad=0.0)
    """

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Value:
        # Summation starts from the bias, as in micrograd, so the digits agree.
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns a list, or one Value if ``nout == 1``."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers in sequence; relu after every layer but the last (micrograd's MLP).

    A hidden layer of one neuron passes a one-element list on, so ``MLP(2, [16, 1, 1])``
    works (in micrograd it fails).
    """

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sz = [nin] + list(nouts)
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out: Any = x
        for layer in self.layers:
            out = [n(out) for n in layer.neurons]
        return out[0] if len(out) == 1 else out  # type: ignore[no-any-return]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
