"""Workload A compiled, and the cost of compiling: ``autograd_mini.compiled.compile`` on the demo.

The notebook's training step, compiled once with ``compile(loss, params=...)``:
``model.zero_grad(); total_loss, scores = step(); ...; for p in params: p.data -= lr * p.grad``.

Two variants of the loss are compiled (:data:`VARIANTS`):

* ``notebook``: the notebook's loss, returning its scores alongside
  (``has_aux=True``) so that the accuracy is computed from them each step, as the notebook
  computes it. The notebook's own ``loss()`` cannot be compiled as it stands: it reads
  ``scorei.data`` for the accuracy, and a trace cannot see ``.data``, so the compiled step
  would return the accuracy of the step it traced, every step (``check=True`` catches it).
* ``loss_only``: the loss alone, no accuracy: what a step costs when nothing but the loss
  leaves the trace.

Besides the training loop (:func:`train`), this module checks the compiled step against
the eager engine bit for bit (:func:`agree`) and measures the one-time cost of the first
call: trace, code generation and ``compile()`` (:func:`compile_time`, :func:`compile_memory`).
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from typing import Any

from autograd_mini.compiled import compile as compile_step
from benchmarks.workloads import moons
from benchmarks.workloads.engines import load

VARIANTS = ("notebook", "loss_only")
"""What the compiled step returns: the loss and the scores, or the loss alone."""

STEADY_CALLS = 3
"""Calls after the first, timed to tell the one-time cost from one replay."""


class Demo:
    """The demo's model, data and compiled step for one variant, not called yet.

    >>> demo = Demo("loss_only", points=4)
    >>> demo.run() > 0, len(demo.step.traces), demo.accuracies
    (True, 1, [])
    """

    def __init__(self, variant: str, points: int = moons.POINTS) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"benchmarks: unknown compiled variant {variant!r}; choose one of"
                             f" {', '.join(VARIANTS)}")
        engine = load("autograd_mini")
        self.variant = variant
        self.inputs, self.y = moons.make_moons(points)
        self.model = moons.make_model(engine)
        self.params = self.model.parameters()
        self.accuracies: list[float] = []
        model, inputs, y = self.model, self.inputs, self.y
        if variant == "notebook":
            def loss() -> Any:
                return moons.loss_and_scores(engine, model, inputs, y)
        else:
            def loss() -> Any:
                return moons.loss_and_scores(engine, model, inputs, y)[0]
        self.step = compile_step(loss, params=self.params, has_aux=variant == "notebook")

    def run(self) -> float:
        """One compiled step of the notebook's loop (without the update); returns the loss.

        The ``notebook`` variant computes the accuracy from the returned scores and keeps
        it in :attr:`accuracies`.
        """
        self.model.zero_grad()
        if self.variant == "notebook":
            total_loss, scores = self.step()
            self.accuracies.append(moons.accuracy(self.y, scores))
        else:
            total_loss = self.step()
        loss_value: float = total_loss
        return loss_value

    def update(self, k: int) -> None:
        """The notebook's SGD step."""
        rate = moons.learning_rate(k)
        for p in self.params:
            p.data -= rate * p.grad

    @property
    def nodes(self) -> int:
        """The traced graph's size (after the first call)."""
        nodes: int = self.step.traces[0].nodes
        return nodes

    @property
    def lines(self) -> int:
        """Lines of generated Python (after the first call)."""
        return len(self.step.source.splitlines())


def train(variant: str, steps: int, *, points: int = moons.POINTS,
          collect_between_steps: bool = False, rounds: int = 1) -> dict[str, Any]:
    """The notebook's loop on the compiled step: per-step seconds, losses, accuracies.

    The first step includes the compile (trace, code generation, ``compile()``); the
    runner reports it apart from the steady steps. ``step`` is the compiled call with
    ``zero_grad()`` and the accuracy; ``update`` the SGD step. A step takes milliseconds,
    so one process may run the same ``steps`` again from the same initial weights,
    ``rounds`` times, replaying the same trace (the step reads the parameters' current
    data): the times of every round follow each other; the losses are the first round's.

    >>> result = train("notebook", 2, points=4, rounds=2)
    >>> len(result["seconds"]), result["seconds"][0] > result["seconds"][1], result["traces"]
    (4, True, 1)
    """
    demo = Demo(variant, points)
    initial = [p.data for p in demo.params]
    phases: dict[str, list[float]] = {"step": [], "update": []}
    losses: list[float] = []
    clock = time.perf_counter
    for round_ in range(rounds):
        for p, data in zip(demo.params, initial):
            p.data = data
        for k in range(steps):
            t0 = clock()
            loss = demo.run()
            t1 = clock()
            demo.update(k)
            t2 = clock()
            phases["step"].append(t1 - t0)
            phases["update"].append(t2 - t1)
            if round_ == 0:
                losses.append(loss)
            if collect_between_steps:
                gc.collect()
    seconds = [a + b for a, b in zip(phases["step"], phases["update"])]
    return {"nodes": demo.nodes, "lines": demo.lines, "traces": len(demo.step.traces),
            "losses": losses, "accuracies": demo.accuracies[:steps], "seconds": seconds,
            "steps": steps, "rounds": rounds, **phases}


def agree(steps: int, points: int = moons.POINTS) -> dict[str, Any]:
    """Eager and compiled steps side by side: are loss, accuracy, scores and grads equal?

    Two models from the same seed take the notebook's steps, one on the eager engine, one
    on the compiled ``notebook`` variant. Every step, ``repr()`` of the loss, of every
    score and of every parameter's gradient must be the same: equal digits, bit for bit.
    ``mismatch`` describes the first difference (``None`` when there is none);
    ``eager_losses`` are the eager engine's losses (``repr``), for comparing engine versions.

    >>> result = agree(3, points=4)
    >>> result["equal_steps"], result["mismatch"], len(result["eager_losses"])
    (3, None, 3)
    """
    engine = load("autograd_mini")
    eager_model = moons.make_model(engine)
    eager_params = eager_model.parameters()
    demo = Demo("notebook", points)
    inputs, y = demo.inputs, demo.y
    eager_losses: list[str] = []
    mismatch: str | None = None
    equal_steps = 0
    for k in range(steps):
        total_loss, scores = moons.loss_and_scores(engine, eager_model, inputs, y)
        acc = moons.accuracy(y, [s.data for s in scores])
        eager_model.zero_grad()
        total_loss.backward()
        demo.model.zero_grad()
        compiled_loss, compiled_scores = demo.step()
        compiled_acc = moons.accuracy(y, compiled_scores)
        eager_losses.append(repr(total_loss.data))
        pairs = [("the loss", total_loss.data, compiled_loss), ("the accuracy", acc, compiled_acc)]
        pairs += [(f"score {i}", s.data, c) for i, (s, c) in enumerate(zip(scores, compiled_scores))]
        pairs += [(f"the gradient of parameter {i}", p.grad, q.grad)
                  for i, (p, q) in enumerate(zip(eager_params, demo.params))]
        different = next(((what, a, b) for what, a, b in pairs if repr(a) != repr(b)), None)
        if different is not None and mismatch is None:
            what, a, b = different
            mismatch = f"step {k + 1}: {what} is {a!r} eagerly, {b!r} compiled"
        if mismatch is None:
            equal_steps += 1
        rate = moons.learning_rate(k)
        for p in eager_params:
            p.data -= rate * p.grad
        demo.update(k)
    return {"steps": steps, "equal_steps": equal_steps, "mismatch": mismatch,
            "params": len(demo.params), "traces": len(demo.step.traces),
            "eager_losses": eager_losses}


def _peak_rss_bytes() -> int | None:
    """The process's peak resident memory so far, or ``None`` where it cannot be read."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS counts bytes


def compile_time(variant: str, points: int = moons.POINTS) -> dict[str, Any]:
    """Seconds of the first call (trace + codegen + ``compile()`` + one replay), and after.

    ``once`` is the one-time cost: the first call minus the median of
    :data:`STEADY_CALLS` later calls. ``rss_growth`` is how far the process's peak
    resident memory rose during the first call, in bytes (``None`` where unknown).

    >>> result = compile_time("loss_only", points=4)
    >>> result["nodes"] > 2000, result["once"] > 0, result["first"] > result["steady"]
    (True, True, True)
    """
    demo = Demo(variant, points)
    clock = time.perf_counter
    rss_before = _peak_rss_bytes()
    t0 = clock()
    demo.run()
    first = clock() - t0
    rss_after = _peak_rss_bytes()
    steady = []
    for _ in range(STEADY_CALLS):
        t0 = clock()
        demo.run()
        steady.append(clock() - t0)
    median = statistics.median(steady)
    growth = None if rss_before is None or rss_after is None else rss_after - rss_before
    return {"points": points, "nodes": demo.nodes, "lines": demo.lines, "first": first,
            "steady": median, "once": first - median, "rss_growth": growth}


def compile_memory(variant: str, points: int = moons.POINTS) -> dict[str, Any]:
    """Bytes (tracemalloc) during the first call: the ``peak``, and what stays ``retained``.

    tracemalloc slows the compile many times over, so this runs apart from
    :func:`compile_time`; ``seconds`` is how long it took under tracemalloc.

    >>> result = compile_memory("loss_only", points=4)
    >>> 0 < result["retained"] < result["peak"]
    True
    """
    demo = Demo(variant, points)
    clock = time.perf_counter
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        t0 = clock()
        demo.run()
        seconds = clock() - t0
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"points": points, "nodes": demo.nodes, "peak": peak - base,
            "retained": current - base, "seconds": seconds}
