"""Each op of the table as PyTorch computes it: the one mapping every oracle test reads.

A row added to the op table needs its PyTorch function here (``test_ops_torch`` names the
ones missing). Without PyTorch, importing it skips (pytest also collects this file, for its
doctests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autograd_mini.ops import Op

torch = pytest.importorskip("torch")

nnf = torch.nn.functional

# The same function in PyTorch, by the name of the row or the family.
TORCH_ROWS: dict[str, Callable[..., Any]] = {
    "+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "**": torch.pow,
    "neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "exp": torch.exp, "log": torch.log,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "sqrt": torch.sqrt,
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "asin": torch.asin, "acos": torch.acos,
    "atan": torch.atan, "atan2": torch.atan2, "sinh": torch.sinh, "cosh": torch.cosh,
    "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh, "hypot": torch.hypot,
    "exp2": torch.exp2, "expm1": torch.expm1, "log2": torch.log2, "log10": torch.log10,
    "log1p": torch.log1p, "erf": torch.erf, "erfc": torch.erfc, "softplus": nnf.softplus,
    "silu": nnf.silu, "selu": nnf.selu, "softsign": nnf.softsign, "logsigmoid": nnf.logsigmoid,
    "maximum": torch.maximum, "minimum": torch.minimum, "floor": torch.floor,
    "ceil": torch.ceil, "round": torch.round, "trunc": torch.trunc,
    "stop_gradient": torch.Tensor.detach,
}
TORCH_FAMILIES: dict[str, Callable[..., Any]] = {
    "leaky_relu": lambda x, p: nnf.leaky_relu(x, p["negative_slope"]),
    "elu": lambda x, p: nnf.elu(x, p["alpha"]),
    "gelu": lambda x, p: nnf.gelu(x, approximate=p["approximate"]),
    "clamp": lambda x, p: torch.clamp(x, p["min"], p["max"]),
    "**k": lambda x, p: x ** p["k"],
}


def torch_function(op: Op) -> Callable[..., Any]:
    """``op`` (a row, or a family at its parameters) as a function of tensors."""
    if op.family is not None:
        family_function = TORCH_FAMILIES[op.family.name]
        return lambda *xs: family_function(*xs, op.family_params)
    return TORCH_ROWS[op.name]
