"""Small graphs the tests share (a helper module, not a test)."""

from __future__ import annotations

from autograd_mini import Value, tanh

LEAVES = ("x1", "x2", "w1", "w2", "b")


def named_neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron ``o = tanh(x1*w1 + x2*w2 + b)``, and its nodes by label."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = tanh(n)
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def neuron() -> tuple[Value, list[Value]]:
    """The same neuron, and its leaves ``[x1, x2, w1, w2, b]``."""
    o, nodes = named_neuron()
    return o, [nodes[name] for name in LEAVES]
