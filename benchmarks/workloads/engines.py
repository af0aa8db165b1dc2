"""The engines under test, loaded by name, all behind micrograd's API (``Value``, ``MLP``)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, NamedTuple

ENGINES = ("autograd_mini", "micrograd")
"""Graph engines with micrograd's API. The plain-float floor is not one of them."""


class Engine(NamedTuple):
    name: str
    Value: Any  # the engine's own class names
    MLP: Any


def load(name: str) -> Engine:
    """Import an engine by name; a missing micrograd names the extra to install.

    >>> load("autograd_mini").Value(2.0).data
    2.0
    """
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    try:
        engine: ModuleType = importlib.import_module(f"{name}.engine")
        nn: ModuleType = importlib.import_module(f"{name}.nn")
    except ImportError as exc:
        raise ImportError(
            f"benchmarks: engine {name!r} is not installed ({exc}); "
            'install the bench extra: pip install "autograd-mini[bench]"'
        ) from exc
    return Engine(name, engine.Value, nn.MLP)


def available(name: str) -> bool:
    """Whether ``name`` can be imported (micrograd is an optional extra)."""
    try:
        load(name)
    except ImportError:
        return False
    return True


def count_nodes(root: Any) -> int:
    """Nodes in the graph under ``root``, walked iteratively through micrograd's ``_prev``.

    Works for both engines (``_prev`` is a set in micrograd, a tuple in autograd_mini).

    >>> from autograd_mini import Value
    >>> x = Value(1.0)
    >>> count_nodes(x * x + 1)
    4
    """
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent in node._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)
