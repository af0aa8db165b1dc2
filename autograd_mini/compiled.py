"""Compiled mode: trace a function once, replay it as generated Python at plain-float speed.

``compile(f)`` runs ``f`` once on Values, as the eager engine does, and turns the recorded
graph into straight-line Python over local float variables: the forward pass, then the
backward pass with each op's derivative formula from the op table inlined. It performs
the same float operations in the same order as the eager engine, so its results are the
same, bit for bit, while no graph of Python objects is built on later calls.

Two forms:

* ``compile(f, argnums=0)``: the call and results of ``value_and_grad(f, argnums)``;
  numbers in, ``(value, gradients)`` out.
* ``compile(loss_fn, params=model.parameters())``: the training form. ``step(*args)``
  runs ``loss_fn(*args)``'s forward and backward, reads every leaf's current ``.data``
  (parameters, and any other Value ``loss_fn`` uses that existed before the call), adds
  each leaf's gradient into its ``.grad`` exactly as ``loss_fn(*args).backward()`` would,
  and returns the loss as a float.

A trace holds only for what it saw, so it is never replayed where it would be wrong:

* arguments are inputs of the trace: floats are its variables; ints, bools, strings and
  ``None``, and the lengths of lists and tuples, are its structure (an int may be an index
  or a class label). Another structure traces again; traces are cached per structure;
* comparisons of Values made while tracing (``x > 0``, ``max()`` over Values) and
  ``float(v)`` of a Value are recorded as guards; a call that would take another branch, or
  give ``float(v)`` another value, traces again instead of replaying the wrong branch;
* an error during a replay (``log`` of a negative number, division by zero, an overflow)
  runs the eager engine on the same arguments, which raises its own error, word for word.

What a trace cannot see: a branch on ``.data`` (use the Value: ``if x > 0``), a leaf built
from ``.data`` (``Value(x.data)``, ``x.detach()``: a constant of the trace), results made under
``no_grad`` (constants too), random numbers drawn inside ``f`` (drawn once, at tracing), and
side effects of ``f`` (they happen when it is traced). ``compile(..., check=True)`` also runs
the eager engine on every call and raises :class:`CompileMismatchError` naming the first
value that differs.

>>> from autograd_mini import Value, tanh
>>> f = compile(lambda x, w: tanh(x * w), argnums=(0, 1))
>>> f(0.5, -2.0)
(-0.7615941559557649, (-0.8399486832280523, 0.20998717080701307))
>>> print(f.source.splitlines()[0])
def traced(inputs):
"""

from __future__ import annotations

import ast
import builtins
import itertools
import keyword
import linecache
import math
import numbers
import re
import struct
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd_mini import engine, ops
from autograd_mini.coercion import comparison_observers, conversion_observers, is_real
from autograd_mini.engine import Value, enable_grad
from autograd_mini.formulas import ARITH, ATOM, CONSTANTS, TERM, number_literal
from autograd_mini.functional import _positions
from autograd_mini.graph import topological_order

__all__ = ["Batched", "CompileError", "CompileMismatchError", "Compiled", "Trace", "compile"]

MAX_TRACES = 64
"""Traces kept per argument structure (each guard outcome seen needs its own)."""
MAX_STRUCTURES = 256
"""Argument structures kept (the least recently used go first)."""
_INLINE_DEPTH = 40  # longest chain merged into one expression (the compiler recurses on it)
_ROLL_FROM = 1000  # smaller graphs stay straight-line code, the easiest to read


class CompileError(TypeError):
    """``f`` does something the compiled mode cannot replay faithfully; the message says what."""


class CompileMismatchError(AssertionError):
    """``check=True`` found a value where the compiled replay and the eager engine differ."""


_MISS = object()  # what a replay returns when a guard fails: trace again


# ------------------------------------------------------------------------ the API


def compile(  # noqa: A001 - the name of the operation, as torch.compile and jax.jit use it
    f: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    params: Iterable[Any] | None = None,
    has_aux: bool = False,
    check: bool = False,
) -> Compiled:
    """Compile ``f``: trace it on the first call (and on each new structure), then replay.

    Without ``params`` the result is called like ``value_and_grad(f, argnums)`` and gives
    the same ``(value, gradients)``. With ``params`` (``model.parameters()``, or
    ``(name, Value)`` pairs from ``named_parameters()`` to name them in the source) it is a
    training step: it adds into ``.grad`` as ``f(*args).backward()`` would and returns the
    loss. ``has_aux=True``: ``f`` returns ``(loss, aux)``, and ``aux`` comes back as the
    eager engine gives it, its Values (in lists, tuples and dicts) as numbers and anything
    else (``None``, strings, objects) as itself, the object the trace saw. ``check=True``
    runs the eager engine too and raises :class:`CompileMismatchError` at the first value
    that differs. ``argnums`` is checked as :func:`~autograd_mini.grad` checks it.

    >>> from autograd_mini import Value
    >>> w = Value(3.0, label="w")
    >>> step = compile(lambda x: (w * x - 1.0) ** 2, params=[w])
    >>> step(2.0), w.grad
    (25.0, 20.0)
    """
    if not callable(f):
        raise TypeError(f"compile: expected a function, got {type(f).__name__} {f!r:.60}")
    positions = _positions(argnums, where="compile")  # grad's checks, in grad's words
    named: list[tuple[str, Value]] | None = None
    if params is not None:
        named = []
        for i, item in enumerate(params):
            name, value = item if isinstance(item, tuple) and len(item) == 2 else ("", item)
            if not isinstance(value, Value):
                raise TypeError(
                    f"compile: params[{i}] is {type(value).__name__} {value!r:.60}; pass"
                    " model.parameters() (Values) or model.named_parameters()"
                )
            named.append((str(name), value))
    return Compiled(f, positions, named, has_aux=bool(has_aux), check=bool(check),
                    single=isinstance(argnums, int), spelled=argnums)


class Compiled:
    """A compiled function: call it like ``f``. ``.source`` is the Python it replays.

    ``traces`` holds every trace made so far (the newest last); ``.source`` is the newest
    one's generated code.
    """

    def __init__(self, f: Callable[..., Any], argnums: tuple[int, ...],
                 params: list[tuple[str, Value]] | None, *, has_aux: bool, check: bool,
                 single: bool, spelled: int | tuple[int, ...] | None = None) -> None:
        self.f = f
        self.argnums = argnums
        self._spelled = argnums if spelled is None else spelled  # as the caller wrote it
        self.params = params
        self.has_aux = has_aux
        self.check = check
        self._single = single
        self._cache: dict[Any, list[Trace]] = {}
        self.traces: list[Trace] = []
        self.__name__ = getattr(f, "__name__", "compiled")
        self.__doc__ = getattr(f, "__doc__", None)

    @property
    def training(self) -> bool:
        """Whether this is the training form (``params`` given)."""
        return self.params is not None

    @property
    def source(self) -> str:
        """The generated Python of the newest trace (trace by calling the function first)."""
        if not self.traces:
            raise ValueError(f"compile: {self.__name__} has not been traced yet; call it once first")
        return self.traces[-1].source

    def __call__(self, *args: Any) -> Any:
        return self._run(args, 1.0)

    def call_with_seed(self, seed: float, *args: Any) -> Any:
        """Like calling it, with the backward pass started from ``seed`` instead of 1.0.

        The gradients are those of ``seed * f(*args)``, computed as the eager engine does
        when ``f(*args)`` is part of a larger sum scaled by ``seed`` (as ``fit`` averages
        a batch). The value returned is still ``f(*args)``.
        """
        return self._run(args, float(seed))

    # --------------------------------------------------------------- running
    def _run(self, args: tuple[Any, ...], seed: float) -> Any:
        if not self.training:  # grad's checks of this call's argnums, in grad's words
            _positions(self._spelled, len(args), "compile")
        key, numbers = _arguments(args, self.argnums if not self.training else ())
        if self.check:
            return self._checked(args, key, numbers, seed)
        return self._replay(args, key, numbers, seed)

    def _replay(self, args: tuple[Any, ...], key: Any, numbers: list[float], seed: float) -> Any:
        traces = self._cache.get(key)
        if traces is not None:
            self._cache[key] = self._cache.pop(key)  # most recently used last
            for trace in reversed(traces):
                try:
                    result = trace.run(numbers, seed)
                except Exception:
                    return self._eager(args, seed)  # the eager engine raises its own error
                if result is not _MISS:
                    return self._finish(result)
        trace = self._trace(args, key)
        try:
            result = trace.run(numbers, seed)
        except Exception:
            return self._eager(args, seed)
        if result is _MISS:  # a guard the trace itself cannot meet (a nan compared): eager
            return self._eager(args, seed)
        return self._finish(result)

    def _finish(self, result: Any) -> Any:
        if self.training:
            return result
        if self.has_aux:
            value, grads, aux = result
            return (value, aux), grads[0] if self._single else tuple(grads)
        value, grads = result
        return value, grads[0] if self._single else tuple(grads)

    def _trace(self, args: tuple[Any, ...], key: Any) -> Trace:
        trace = Trace(self, args, key)
        traces = self._cache.setdefault(key, [])
        traces.append(trace)
        if len(traces) > MAX_TRACES:
            traces.pop(0)
        if len(self._cache) > MAX_STRUCTURES:
            self._cache.pop(next(iter(self._cache)))
        self.traces = [*self.traces[-(MAX_TRACES - 1):], trace]
        return trace

    def _eager(self, args: tuple[Any, ...], seed: float) -> Any:
        """The eager engine on the same arguments: what every replay must equal."""
        with enable_grad():
            if self.training:
                out = self.f(*args)
                root, aux = out if self.has_aux else (out, None)
                value = _number_of(root, self.__name__)
                if isinstance(root, Value):
                    (root * seed if seed != 1.0 else root).backward()
                return (value, _numbers(aux)) if self.has_aux else value
            inputs = list(args)
            wrt = []
            for i in self.argnums:
                leaf = Value(args[i])
                wrt.append(leaf)
                inputs[i] = leaf
            out = self.f(*inputs)
            root, aux = out if self.has_aux else (out, None)
            value = _number_of(root, self.__name__)
            grads = engine.gradients(root) if isinstance(root, Value) else {}
            if seed != 1.0:
                grads = engine.gradients(root * seed)
            derivatives = [float(grads.get(x, 0.0)) for x in wrt]
            result: Any = derivatives[0] if self._single else tuple(derivatives)
            return ((value, _numbers(aux)), result) if self.has_aux else (value, result)

    def _checked(self, args: tuple[Any, ...], key: Any, numbers: list[float], seed: float) -> Any:
        leaves = [value for _, value in self.params] if self.params is not None else []
        before = {id(v): v.grad for v in leaves}
        compiled = self._replay(args, key, numbers, seed)
        got = {id(v): v.grad for v in leaves}
        for v in leaves:
            v.grad = before[id(v)]
        expected = self._eager(args, seed)
        _compare_results(self.__name__, compiled, expected)
        for name, v in self.params or []:
            if not _same(got[id(v)], v.grad):
                raise CompileMismatchError(
                    f"compile(check=True): {self.__name__}: the gradient of parameter"
                    f" {name or repr(v)} is {v.grad!r} in the eager engine but"
                    f" {got[id(v)]!r} in the compiled replay; f likely branches on .data or"
                    " draws random numbers: see autograd_mini.compiled"
                )
        return compiled

    def __repr__(self) -> str:
        form = "training step" if self.training else f"value_and_grad, argnums={self.argnums}"
        return f"<compiled {self.__name__} ({form}), {len(self.traces)} trace(s)>"


# ------------------------------------------------------------ a batch of examples


class Batched:
    """A per-example function, compiled into one loop over a batch of examples.

    ``f(*example)`` returns ``(loss, aux)`` for one example (``aux``: what the example's
    prediction was, say). :meth:`run` replays, for a batch, what the eager engine does with
    ``seed * (loss_1 + loss_2 + ...)``: the forward pass of every example in order, then
    the backward pass of each, last example first, adding into every leaf's ``.grad``, bit
    for bit as ``backward()`` would. Parameters stay in local variables for the whole
    batch, so a batch costs one read and one write of each ``.grad``.

    Each structure of example (the numbers' shapes, and ints such as a class label) is
    traced once, on the first example that has it; the loop dispatches on it. This is what
    ``fit(..., compiled=True)`` runs. A guard that fails, or an error, makes :meth:`run`
    return ``None``: run that batch with the eager engine instead.

    >>> from autograd_mini import Value, losses
    >>> w = Value(0.5)
    >>> batch = Batched(lambda x, t: (losses.mse(w * x, t), w * x), params=[w])
    >>> prepared = batch.prepare([(1.0, 2.0), (3.0, 1.0)])
    >>> batch.run(prepared, seed=0.5), w.grad
    ([(2.25, 0.5), (0.25, 1.5)], 0.0)
    """

    MAX_VARIANTS = 16
    """Traces kept per structure, one per outcome of its guards (a branch on the sign of a
    logit needs two)."""

    def __init__(self, f: Callable[..., Any], params: Iterable[Any] = (), *,
                 gradients: bool = True) -> None:
        self.f = f if gradients else (lambda *args: (0.0, f(*args)))
        self.gradients = gradients
        self.params = compile(f, params=params).params or []
        self.__name__ = getattr(f, "__name__", "example")
        self._programs: list[_Program] = []  # every trace: each structure's variants
        self._keys: dict[Any, int] = {}  # structure -> its number in the loop's dispatch
        self._variants: list[list[int]] = []  # structure -> its traces
        self._function: Callable[..., Any] | None = None
        self._leaves: tuple[Value, ...] = ()
        self._namespace: dict[str, Any] = {}  # the generated loop's globals, for all its traces
        self._rows: list[Any] = []  # the tables of its rolled sums' numbers
        self.source = ""
        """The generated loop (after the first :meth:`run`)."""

    def prepare(self, examples: Iterable[Sequence[Any]]) -> list[tuple[int, list[float]]]:
        """Each example as (its structure's number, its input numbers), tracing new ones."""
        prepared = []
        for example in examples:
            args = tuple(example)
            key, numbers = _arguments(args, ())
            index = self._keys.get(key)
            if index is None:
                index = len(self._variants)
                self._variants.append([])
                try:
                    self._add(args, index)
                except BaseException:  # a structure is kept only with a trace to replay
                    self._variants.pop()
                    raise
                self._keys[key] = index
            prepared.append((index, numbers))
        return prepared

    def learn(self, examples: Iterable[Sequence[Any]]) -> None:
        """Trace the examples again and keep the variants (guard outcomes) not seen yet.

        Call it after :meth:`run` returned ``None`` for a guard: the next batch then finds
        a variant for each of these examples.
        """
        for example in examples:
            args = tuple(example)
            key, _ = _arguments(args, ())
            index = self._keys.get(key)
            if index is None:
                self.prepare([args])
            elif len(self._variants[index]) < self.MAX_VARIANTS:
                self._add(args, index)

    def _add(self, args: tuple[Any, ...], index: int) -> None:
        program = _record(self.f, args, (), self.params, has_aux=True, training=True,
                          where=self.__name__)
        outcome = program.outcome()
        if all(self._programs[i].outcome() != outcome for i in self._variants[index]):
            self._variants[index].append(len(self._programs))
            self._programs.append(program)
            self._function = None  # made again, with the new branch

    def run(self, prepared: Sequence[tuple[int, list[float]]], seed: float = 1.0) -> list[Any] | None:
        """Replay a prepared batch; ``[(loss, aux), ...]``, or ``None`` to run it eagerly.

        Made with ``gradients=False``, it replays only the forward pass, of ``f`` returning
        outputs, and gives ``[outputs, ...]`` as numbers (nothing is backpropagated).
        """
        if self._function is None:
            self._build()
        assert self._function is not None
        try:
            result = self._function(prepared, self._leaves, float(seed))
        except Exception:
            return None
        return None if result is _MISS else result

    def _build(self) -> None:
        # One namespace for every trace's globals and one namer for the function; each
        # variant names its own variables in a scope of it.
        namespace = self._namespace
        namer = _Namer(namespace)
        self._rows.clear()  # the rolled sums' tables of every program, numbered in one list
        named = {id(v): name for name, v in self.params if name}
        leaves: dict[Value, str] = {}
        for program in self._programs:
            program.namespace, program.rows = namespace, self._rows
            for live in program.live:
                if live not in leaves:
                    leaves[live] = namer.variable(live.label or named.get(id(live), "") or f"p{len(leaves)}")
        names = list(leaves.values())
        word, miss = namer.word, namer.miss
        forward: list[str] = []
        backward: list[str] = []
        for key, variants in enumerate(self._variants):
            forward.append(f"{'if' if key == 0 else 'elif'} {word('key')} == {key}:")
            for number in variants:
                program = self._programs[number]
                parts = program.sections(namer.scope(), leaves)
                kept = _kept(parts)
                # A variant's guards nest: each holds for the lines after it; an example
                # that meets them all is recorded, and the next example begins.
                depth = 1
                if parts.inputs:
                    forward.append(f"    {parts.inputs} = {word('inputs')}")
                for line in parts.forward:
                    if isinstance(line, _Guard):
                        forward.append(f"{'    ' * depth}if {line.holds}:")
                        depth += 1
                    else:
                        forward.append(f"{'    ' * depth}{line}")
                record = ", ".join([str(number), parts.value, parts.aux or "None", *kept])
                forward.append(f"{'    ' * depth}{word('keep')}(({record},))")
                forward.append(f"{'    ' * depth}continue")
                if self.gradients:
                    backward.append(f"{'if' if number == 0 else 'elif'} {word('record')}[0] == {number}:")
                    if kept:
                        backward.append(f"    {_unpack(['_', '_', '_', *kept])} = {word('record')}")
                    backward += [f"    {line}" for line in parts.backward] or ["    pass"]
            forward.append(f"    return {miss}  # no variant's guards hold: run this batch eagerly")
        if not forward:  # nothing traced yet (no examples): no example can be replayed
            forward.append(f"return {miss}  # no structure traced: run this batch eagerly")
        records, record = word("records"), word("record")
        leaves_, leaf_ = word("leaves"), word("leaf")
        read_data = (f"{_unpack(names)} = [{leaf_}.data for {leaf_} in {leaves_}]" if names
                     else "pass  # no parameters")
        loop = [f"{records} = []",
                f"{word('keep')} = {records}.append",
                f"for {word('key')}, {word('inputs')} in {word('examples')}:",
                *(f"    {line}" for line in forward)]
        if not self.gradients:
            body = ["# the parameters' current data", read_data, *loop,
                    f"return [{record}[2] for {record} in {records}]"]
            self._finish(body, leaves, namer)
            return
        bars = [name + "_bar" for name in names]
        body = [
            "# the parameters' current data and gradients, in local variables for the batch",
            read_data,
            "# forward: every example, in order",
            *loop,
            f"{_unpack(bars)} = [{leaf_}.grad for {leaf_} in {leaves_}]" if names else "pass",
            "# backward: the last example first, as backward() walks a sum of their losses",
            f"for {record} in {namer.builtin('reversed')}({records}):",
            *(f"    {line}" for line in backward or ["pass  # nothing traced"]),
        ]
        if names:
            g = word("g")
            body += [f"for {leaf_}, {g} in {namer.builtin('zip')}({leaves_}, ({', '.join(bars)},)):",
                     f"    {leaf_}.grad = {g}"]
        body.append(f"return [({record}[1], {record}[2]) for {record} in {records}]")
        self._finish(body, leaves, namer)

    def _finish(self, body: list[str], leaves: dict[Value, str], namer: _Namer) -> None:
        word = namer.word
        entry = word("batch")
        self.source = "\n".join([
            f"def {entry}({word('examples')}, {word('leaves')}, {word('seed')}):",
            f'    """{_one_line(self.__name__)} over a batch: {len(self._programs)} trace(s)."""',
            *(f"    {line}" for line in body)]) + "\n"
        self._function = _load(self.source, entry, self._namespace, self.__name__)
        self._leaves = tuple(leaves)


# ------------------------------------------------------------------- the arguments


def _arguments(args: tuple[Any, ...], argnums: tuple[int, ...],
               names: Sequence[str] = ()) -> tuple[Any, list[float]]:
    """The structure key of ``args`` and the numbers that are the trace's inputs.

    With ``names`` (f's parameter names), also the name of each number, in a list that
    replaces ``names``' contents: ``x``, ``xs_0``, ``X_3_1``.
    """
    wrt = {i % len(args) for i in argnums} if args else set()
    numbers: list[float] = []
    paths: list[str] = []

    def key_of(x: Any, where: str, path: str, differentiated: bool) -> Any:
        if isinstance(x, Value):
            raise TypeError(
                f"compile: {where} is a Value; a compiled function takes numbers (and lists"
                " of them). Pass its .data, or close over the Value in f (leaves that exist"
                " before the call are read live)"
            )
        if _is_input(x, differentiated):
            numbers.append(float(x))
            paths.append(path)
            return "f"
        if is_real(x):  # an int or a bool: structure (an index, a class, a flag)
            return ("int", int(x))
        if isinstance(x, str) or x is None:
            return ("static", x)
        if isinstance(x, list | tuple):
            if differentiated:
                raise TypeError(
                    f"compile: {where} is a {type(x).__name__}; derivatives are taken with"
                    " respect to numbers, as value_and_grad takes them: pass its entries as"
                    " arguments, or use the training form, compile(f, params=...)"
                )
            return (type(x).__name__, tuple(key_of(item, f"{where}[{j}]", f"{path}_{j}", False)
                                            for j, item in enumerate(x)))
        raise TypeError(
            f"compile: {where} is {type(x).__name__} {x!r:.60}; pass numbers, strings, None"
            " and lists or tuples of them, and close over other objects (a model) in f"
        )

    key = tuple(key_of(x, f"argument {i}", names[i] if i < len(names) else f"arg{i}", i in wrt)
                for i, x in enumerate(args))
    if isinstance(names, list):
        names[:] = paths
    return key, numbers


def _is_input(x: Any, differentiated: bool) -> bool:
    """Whether an argument is a number the trace takes as input (not part of its structure).

    Floats are inputs; ints and bools are structure (an index, a class label), unless
    they are differentiated.
    """
    if isinstance(x, numbers.Integral) or (is_real(x) and not isinstance(x, numbers.Real)):
        return differentiated
    return is_real(x)


def _rebuild(args: tuple[Any, ...], leaves: Iterable[Value], argnums: set[int]) -> list[Any]:
    """``args`` with each input number replaced by its leaf, in the order numbers were read."""
    supply = iter(leaves)

    def build(x: Any, differentiated: bool) -> Any:
        if _is_input(x, differentiated):
            return next(supply)
        if isinstance(x, list | tuple):
            return type(x)(build(item, False) for item in x)
        return x

    return [build(x, i in argnums) for i, x in enumerate(args)]


def _number_of(x: Any, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    if is_real(x):
        return float(x)
    raise TypeError(f"compile: {where} must return a scalar Value or a real number, got"
                    f" {type(x).__name__} {x!r:.60}")


def _numbers(x: Any) -> Any:
    """``x`` with every Value replaced by its number (lists, tuples and dicts kept)."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, list | tuple):
        return type(x)(_numbers(item) for item in x)
    if isinstance(x, dict):
        return {key: _numbers(item) for key, item in x.items()}
    return x


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _compare_results(name: str, compiled: Any, eager: Any, where: str = "the result") -> None:
    if isinstance(compiled, list | tuple) and isinstance(eager, list | tuple) and len(compiled) == len(eager):
        for i, (c, e) in enumerate(zip(compiled, eager)):
            _compare_results(name, c, e, f"{where}[{i}]")
        return
    if isinstance(compiled, dict) and isinstance(eager, dict) and compiled.keys() == eager.keys():
        for key in eager:
            _compare_results(name, compiled[key], eager[key], f"{where}[{key!r}]")
        return
    if not _same(compiled, eager):
        raise CompileMismatchError(
            f"compile(check=True): {name}: {where} is {eager!r} in the eager engine but"
            f" {compiled!r} in the compiled replay; f likely branches on .data, builds a"
            " leaf from .data or draws random numbers: see autograd_mini.compiled"
        )


# ------------------------------------------------------------------------ tracing

_TRACING = threading.RLock()  # Values made while tracing are told apart by a module-wide mark


class Trace:
    """One trace of ``f``: the recorded graph turned into a Python function.

    ``source`` is its generated code; ``guards`` the comparisons (and ``float()``
    conversions) it depends on; ``nodes`` how many Values its graph has.
    """

    def __init__(self, owner: Compiled, args: tuple[Any, ...], key: Any) -> None:
        self.key = key
        self.training = owner.training
        self.program = _record(owner.f, args, owner.argnums if not owner.training else (),
                               owner.params, has_aux=owner.has_aux, training=owner.training,
                               where=owner.__name__)
        self.source = self.program.generate()
        self.guards = len(self.program.compared) + len(self.program.converted)
        """How many comparisons and float() conversions this trace depends on."""
        self.nodes = self.program.size
        """How many Values the traced graph has."""
        self._function = _load(self.source, self.program.entry, self.program.namespace, owner.__name__)
        self._leaves = tuple(self.program.live)

    def run(self, numbers: list[float], seed: float) -> Any:
        """Replay on ``numbers`` (the call's inputs): the result, or ``_MISS`` if a guard fails."""
        if self.training:
            return self._function(numbers, self._leaves, seed)
        return self._function(numbers, self._leaves) if self._leaves else self._function(numbers)


_COUNTER = itertools.count(1)


def _record(f: Callable[..., Any], args: tuple[Any, ...], argnums: tuple[int, ...],
            params: list[tuple[str, Value]] | None, *, has_aux: bool, training: bool,
            where: str) -> _Program:
    """Run ``f`` on Values once, recording its graph, comparisons and conversions."""
    wrt = {i % len(args) for i in argnums} if args else set()
    names: list[str] = _parameter_names(f)
    _, numbers = _arguments(args, argnums, names)
    created: list[Value] = []
    compared: list[tuple[Value, Any, str, bool]] = []
    converted: list[tuple[Value, float]] = []

    def observe_comparison(a: Any, b: Any, symbol: str, result: bool) -> None:
        compared.append((a, b, symbol, result))

    def observe_conversion(v: Any) -> None:
        converted.append((v, v.data))

    with _TRACING:
        comparison_observers.append(observe_comparison)
        conversion_observers.append(observe_conversion)
        engine.created = created
        try:
            inputs = [Value(x) for x in numbers]
            with enable_grad():
                out = f(*_rebuild(args, inputs, wrt))
        finally:
            engine.created = None
            comparison_observers.remove(observe_comparison)
            conversion_observers.remove(observe_conversion)
    if has_aux and not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"compile(has_aux=True): {where} must return (loss, aux)")
    root, aux = out if has_aux else (out, None)
    _number_of(root, where)
    # The differentiated inputs, in argnums order: argument i's number is the count of
    # input numbers in the arguments before it.
    counts = [sum(1 for _ in _input_numbers(x, j in wrt)) for j, x in enumerate(args)]
    targets = [inputs[sum(counts[:i % len(args)])] for i in argnums]
    return _Program(root, aux, inputs, targets, compared, converted, {id(v) for v in created},
                    {id(v): name for name, v in params or [] if name},
                    training=training, where=where, argnames=names, has_aux=has_aux)


def _load(source: str, name: str, namespace: dict[str, Any], where: str) -> Callable[..., Any]:
    """Compile generated source and return the function ``name`` it defines."""
    filename = f"<autograd_mini.compile {where} #{next(_COUNTER)}>"
    # Registered with linecache, so a traceback through the replay shows its lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = dict(namespace)
    exec(builtins.compile(source, filename, "exec"), scope)
    function: Callable[..., Any] = scope[name]
    return function


def _input_numbers(x: Any, differentiated: bool) -> Iterable[Any]:
    if _is_input(x, differentiated):
        yield x
    elif isinstance(x, list | tuple):
        for item in x:
            yield from _input_numbers(item, False)


def _parameter_names(f: Callable[..., Any]) -> list[str]:
    """f's positional parameter names, to name the inputs in the generated code."""
    try:
        import inspect

        return [p.name for p in inspect.signature(f).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


# --------------------------------------------------------------- generating code


class _OpCode:
    """What the generator needs of one op, worked out once: its templates and texts."""

    def __init__(self, op: ops.Op, program: _Program, namer: _Namer) -> None:
        self.text = _one_line(op.text)
        # The op table's functions its formulas call (cos in sin's derivative) are globals
        # of the generated code, under the names the formulas' text calls them by.
        for formula in (op.forward_formula, *op.derivative_formulas, *op.domain_formulas):
            for name in sorted(formula.functions) if formula is not None else ():
                namer.op_function(name, program._float_functions.get(name), f"op {op.name!r}'s formula")
        if op.forward_formula is not None:
            self.forward = op.forward_formula.filler(op.inputs)
            self.forward_precedence = op.forward_formula.precedence
            twice = op.forward_formula.uses
        else:
            name = program.function_name(op, namer)
            self.forward = lambda args: f"{name}({', '.join(t for t, _ in args)})"
            self.forward_precedence = ATOM
            twice = {}
        # Inputs a formula mentions twice (or a check reads) must be variables: otherwise
        # they would be computed twice.
        self.keep_inputs = tuple(range(op.arity)) if op.check is not None else tuple(
            i for i, name in enumerate(op.inputs) if twice.get(name, 0) > 1)
        variables = ("out", *op.inputs)
        # Per input: how its contribution is written, and which values (0 = out) it reads.
        self.rules: list[tuple[str, Any, int, tuple[int, ...]]] = []
        for i, formula in enumerate(op.derivative_formulas):
            if formula is None:  # a user's Python function, called with out and the inputs
                rule = namer.constant(f"d_{_identifier(op.name)}_d{op.inputs[i]}", op.rules[i])
                self.rules.append(("call", rule, ATOM, tuple(range(op.arity + 1))))
            elif formula.text == "1":
                self.rules.append(("one", None, ATOM, ()))  # g * 1 is g, exactly
            else:
                read = tuple(variables.index(name) for name in formula.uses)
                self.rules.append(("formula", formula.filler(variables), formula.precedence, read))
        self.comments = [f"  # {_one_line(op.derivative_text(i))}" for i in range(op.arity)]
        self.check: Callable[[list[tuple[str, int]]], list[str]] | None = None
        if op.user_check is not None:
            check = namer.constant(f"check_{_identifier(op.name)}", op.user_check)
            where = _one_line(op.name)
            self.check = lambda args: [f"{check}({', '.join(t for t, _ in args)})"
                                       f"  # {where}'s own domain check"]
        elif op.domain:
            fills = [(f.filler(op.inputs), _one_line(d.condition))
                     for f, d in zip(op.domain_formulas, op.domain)]
            error, where = namer.builtin("ArithmeticError"), _one_line(op.name)
            self.check = lambda args: [f"if not ({fill(args)}): raise {error}"
                                       f"  # {where} needs {condition}" for fill, condition in fills]


class _Program:
    """A traced graph and the Python that replays it (see :meth:`generate`)."""

    def __init__(self, root: Any, aux: Any, inputs: list[Value], targets: list[Value],
                 compared: list[tuple[Value, Any, str, bool]], converted: list[tuple[Value, float]],
                 made: set[int], param_names: dict[int, str], *, training: bool, where: str,
                 argnames: list[str], has_aux: bool = False) -> None:
        self.root = root
        self.aux = aux
        self.has_aux = has_aux  # aux is returned, None included
        self.inputs = inputs
        self.targets = targets
        self.compared = compared
        self.converted = converted
        self.training = training
        self.where = where
        roots = [root] if isinstance(root, Value) else []
        roots += _values_in(aux)
        roots += [v for a, b, _, _ in compared for v in (a, b) if isinstance(v, Value)]
        roots += [v for v, _ in converted]
        roots += inputs  # after the others, so an unused input changes no one's order
        self.order: list[Value] = _order_of(roots)
        self.size = len(self.order)
        input_set = set(inputs)
        self.live: list[Value] = []
        for node in self.order:
            made_here = id(node) in made  # the trace keeps them alive: ids stay theirs
            if node._opdef is None:
                if node not in input_set and not made_here:
                    self.live.append(node)  # a parameter, or any leaf made before the call
            elif not made_here:
                raise CompileError(
                    f"compile: {where} uses a Value computed before the call ({node!r}, made by"
                    f" the op {node.op!r}); eager mode would use its old data. Compute it"
                    " inside the function, pass its inputs as arguments, or .detach() it to"
                    " make it a constant"
                )
            elif node._opdef.custom:
                raise CompileError(
                    f"compile: {where} uses a node whose _backward was written by hand (op"
                    f" {node.op!r}, made micrograd's way); the compiled mode needs the op's"
                    " derivative in the op table: define it with autograd_mini.primitive"
                )
        self.param_names = param_names
        self.argnames = argnames
        self.namespace: dict[str, Any] = {}  # the generated code's globals, bound by a _Namer
        self.rows: list[Any] = []  # the tables of the rolled sums' numbers (the global _rows)
        self.entry = "traced"  # the name of the generated function
        self._float_functions = ops.float_functions()

    def outcome(self) -> tuple[Any, ...]:
        """What this trace's guards saw: the comparisons' results and float() values."""
        return (tuple(r for _, _, _, r in self.compared), tuple(v for _, v in self.converted))

    # ---------------------------------------------------------------- naming
    def function_name(self, op: ops.Op, namer: _Namer) -> str:
        """The name the generated code calls ``op``'s float forward by (``tanh``)."""
        name = op.function_name
        if name and name in namer.root.functions and self._float_functions.get(name) is op.forward:
            return namer.op_function(name, op.forward, f"op {op.name!r}")
        return namer.constant(f"forward_{_identifier(op.name)}", op.forward)

    # -------------------------------------------------------------- generating
    def generate(self) -> str:
        """The replay as Python source: inputs, forward and guards, backward, results."""
        namer = _Namer(self.namespace)
        parts = self.sections(namer)
        word = namer.word  # the template's words take the names the function's left free
        inputs = word("inputs")
        leaves = word("leaves") if self.live or self.training else ""
        leaf = word("leaf") if self.live or self.training else ""
        self.entry = word("traced")
        signature = ", ".join(n for n in (inputs, leaves, word("seed") if self.training else "") if n)
        lines = [f"def {self.entry}({signature}):",
                 f'    """{_one_line(self.where)}, traced: {self.size} Values. Made by'
                 ' autograd_mini.compile."""']
        body = []
        if parts.inputs:
            body += ["# the inputs: this call's numbers", f"{parts.inputs} = {inputs}"]
        if self.live:
            body += ["# leaves made before the call (parameters): their current data",
                     f"{_unpack(parts.live_names)} = [{leaf}.data for {leaf} in {leaves}]"]
        body += parts.forward
        if parts.backward:
            body.append("# backward: the chain rule, last node first; x_bar is d loss / d x")
            if self.training:
                body.append(f"{_unpack([name + '_bar' for name in parts.live_names])}"
                            f" = [{leaf}.grad for {leaf} in {leaves}]")
            else:
                body += [f"{name} = 0.0" for name in parts.grads.values()]
            body += parts.backward
        if self.training:
            if parts.backward:
                g, bars = word("g"), ", ".join(n + "_bar" for n in parts.live_names)
                body.append("# each leaf's gradient, added into as backward() adds into it")
                body.append(f"for {leaf}, {g} in {namer.builtin('zip')}({leaves}, ({bars},)):")
                body.append(f"    {leaf}.grad = {g}")
            body.append(f"return {parts.value if parts.aux is None else f'({parts.value}, {parts.aux})'}")
        else:
            derivatives = ", ".join(parts.grads.get(v, "0.0") for v in self.targets)
            extra = f", {parts.aux}" if parts.aux is not None else ""
            body.append(f"return {parts.value}, ({derivatives},){extra}")
        return "\n".join([*lines, *(f"    {line}" for line in body)]) + "\n"

    def sections(self, namer: _Namer, live_names: dict[Value, str] | None = None,
                 seed: str | None = None, prefix: str = "v") -> _Sections:
        """The replay's pieces: inputs, forward (with guards), backward, results.

        Every name comes from ``namer``. ``live_names`` fixes the names of leaves made
        before the call (a batch of traces shares its parameters' names); ``seed`` names
        the loss's gradient (``seed`` in the training form, ``1.0`` otherwise); unnamed
        nodes are called ``prefix<i>``.
        """
        order, root = self.order, self.root
        n = len(order)
        position = {node: i for i, node in enumerate(order)}
        code: dict[ops.Op, _OpCode] = {}
        opcodes: list[_OpCode | None] = [None] * n
        parents: list[tuple[int, ...]] = [()] * n
        for i, node in enumerate(order):
            op = node._opdef
            if op is not None:
                opcode = code.get(op)
                if opcode is None:
                    opcode = code[op] = _OpCode(op, self, namer)
                opcodes[i] = opcode
                parents[i] = tuple([position[p] for p in node.parents])
        names = _Names(self, position, live_names or {}, namer, prefix)
        root_index = position[root] if isinstance(root, Value) else -1

        uses = [0] * n
        for inputs in parents:
            for p in inputs:
                uses[p] += 1
        # The backward pass visits the nodes the loss depends on (guards and aux may add
        # others to the forward) that lie on a path to a differentiated leaf.
        targets = {position[v] for v in (self.live if self.training else self.targets)}
        in_loss = [False] * n
        if root_index >= 0:
            in_loss[root_index] = True
            for i in range(root_index, -1, -1):
                if in_loss[i]:
                    for p in parents[i]:
                        in_loss[p] = True
        reaches = [False] * n
        for i in range(n):
            reaches[i] = i in targets if opcodes[i] is None else any(reaches[p] for p in parents[i])
        backward = [in_loss[i] and reaches[i] and opcodes[i] is not None for i in range(n)]

        # Values that must live in a variable: used twice, read by a derivative or a check,
        # compared, returned, or mentioned twice by a formula. The others merge into the
        # expression of their one consumer, so a whole neuron becomes one line.
        keep = [False] * n
        for v in [root, *_values_in(self.aux), *(v for v, _ in self.converted),
                  *(v for a, b, _, _ in self.compared for v in (a, b))]:
            if isinstance(v, Value):
                keep[position[v]] = True
        for i in range(n):
            opcode = opcodes[i]
            if opcode is None:
                continue
            if uses[i] > 1:
                keep[i] = True
            inputs = parents[i]
            for k in opcode.keep_inputs:
                keep[inputs[k]] = True
            if backward[i]:
                for k, p in enumerate(inputs):
                    if reaches[p]:
                        for read in opcode.rules[k][3]:
                            keep[i if read == 0 else inputs[read - 1]] = True

        shared = {position[v] for v in [*self.inputs, *self.live]}
        roll = None
        if n >= _ROLL_FROM and prefix == "v":
            pinned = {position[v] for v in [*(v for v, _ in self.converted),
                      *(v for a, b, _, _ in self.compared for v in (a, b))] if isinstance(v, Value)}
            returned = {position[v] for v in _values_in(self.aux)}
            roll = _find_roll(order, parents, opcodes, uses, shared, pinned, returned)
            if roll is not None:
                keep[roll.end] = True

        code_lines = _Code()
        text: list[tuple[str, int]] = [("", ATOM)] * n
        depth = [0] * n
        for v in [*self.inputs, *self.live]:
            text[position[v]] = (names[position[v]], ATOM)
        body: _Sections | None = None
        body_kept: list[str] = []
        collected: dict[str, int] = {}  # the lists a rolled sum's loop fills, and their lengths

        def operand(x: Any) -> tuple[str, int]:
            return text[position[x]] if isinstance(x, Value) else namer.number(float(x))

        guards_at: dict[int, list[tuple[Any, Any, str, bool]]] = {}
        for a, b, symbol, result in self.compared:
            at = max((position[v] for v in (a, b) if isinstance(v, Value)), default=-1)
            guards_at.setdefault(at, []).append((a, b, symbol, result))
        for v, seen in self.converted:
            guards_at.setdefault(position[v], []).append((v, seen, "==", True))

        def guard_lines(at: int) -> None:
            for a, b, symbol, result in guards_at.get(at, ()):
                test = f"{_wrap(operand(a), ARITH)} {symbol} {_wrap(operand(b), ARITH)}"
                why = "float() of a Value" if symbol == "==" else "a comparison"
                code_lines.add(_Guard(f"({test})" if result else f"not ({test})",
                                      f"{why} seen while tracing", namer.root.miss))

        if prefix == "v":  # (not inside the loop of a rolled sum)
            code_lines.comment("# forward: each op's formula from its row of the op table")
        guard_lines(-1)
        i = -1
        while i < n - 1:
            i += 1
            if roll is not None and i == roll.start:
                body, body_kept = self._roll_forward(roll, position, names, text, code_lines)
                text[roll.end] = (names[roll.end], ATOM)
                for j, collecting in zip(roll.returned, roll.returned_names):  # each addend's
                    collected[collecting] = len(roll.addends)  # returned values, in a list
                    for k, addend in enumerate(roll.addends):
                        text[addend[j]] = (f"{collecting}[{k}]", ATOM)
                for at in range(roll.start, roll.end + 1):
                    guard_lines(at)  # comparisons of the sum, or of leaves placed in between
                i = roll.end
                continue
            opcode = opcodes[i]
            if opcode is None:
                if not text[i][0]:  # a constant made while tracing
                    text[i] = namer.number(order[i].data)
            else:
                inputs = parents[i]
                args = [text[p] for p in inputs]
                if opcode.check is not None:
                    for line in opcode.check(args):
                        code_lines.add(line)
                expression = opcode.forward(args)
                level = 0 if keep[i] else 1 + max([depth[p] for p in inputs])
                if keep[i] or level > _INLINE_DEPTH:
                    name = names[i]
                    code_lines.add(f"{name} = {expression}  # {opcode.text}")
                    text[i] = (name, ATOM)
                else:
                    text[i] = (expression, opcode.forward_precedence)
                    depth[i] = level
            if i in guards_at:
                guard_lines(i)

        forward = code_lines.lines
        code_lines = _Code()
        grads = self._backward(code_lines, opcodes, parents, names, text, reaches, backward,
                               root_index, position, seed, roll, body, body_kept)
        input_names = [names[position[v]] for v in self.inputs]
        return _Sections(
            inputs=_unpack(input_names) if input_names else "",
            input_names=input_names,
            live_names=[names[position[v]] for v in self.live],
            forward=forward, backward=code_lines.lines,
            grads={order[i]: name for i, name in grads.items()},
            value=operand(root)[0],
            aux=_structure_text(self.aux, operand, namer, collected) if self.has_aux else None,
            returned=[operand(v)[0] for v in _values_in(self.aux)],
        )

    def _roll_forward(self, roll: _Roll, position: dict[Value, int], names: _Names,
                      text: list[tuple[str, int]], code: _Code) -> tuple[_Sections, list[str]]:
        """Emit the loop over the rolled sum's addends; its body, and what backward reads."""
        order = self.order
        first = roll.addends[0]
        shared = {position[v] for v in [*self.inputs, *self.live]}
        inside = set(first)
        used = sorted({p for i in first for p in (position[q] for q in order[i].parents)
                       if p in shared and p not in inside})
        constants = [i for i in first if order[i]._opdef is None]
        targets = set(self.live) if self.training else set(self.targets)
        example = object.__new__(_Program)
        example.root = order[first[-1]]
        example.aux = [order[first[j]] for j in roll.returned] or None
        example.has_aux = False  # its returned values are collected by the loop
        example.inputs = [order[i] for i in constants]
        example.live = [order[i] for i in used]
        example.targets = [v for v in example.live if v in targets]
        example.compared, example.converted = [], []
        example.training = False  # its gradients accumulate into the caller's variables
        example.where = f"{self.where}, one addend"
        example.order = sorted((order[i] for i in (*first, *used)), key=position.__getitem__)
        example.size = len(example.order)
        example.param_names = {}
        example.argnames = [f"_c{j}" for j in range(len(constants))]
        example.namespace = self.namespace
        example.rows = self.rows
        example._float_functions = self._float_functions
        namer = names.namer  # the loop is in the same function: one namer for both
        roll.seed = namer.variable("_t_bar", adjoint=False)
        parts = example.sections(namer, {order[i]: text[i][0] for i in used}, seed=roll.seed,
                                 prefix="_e")
        kept = _kept(parts)
        rows = [tuple(order[i].data for i in addend if order[i]._opdef is None)
                for addend in roll.addends]
        table = self.rows
        table.append(rows)
        total, roll.records = namer.variable("_sum", adjoint=False), namer.variable("_records", adjoint=False)
        roll.returned_names = [namer.variable(f"_returned{m}", adjoint=False)
                               for m in range(len(roll.returned))]
        code.comment(f"# a sum of {len(rows)} addends that are one computation on other numbers"
                     " (a batch's examples): one addend's code, run for each")
        code.add(f"{total} = {text[roll.base][0]}")
        code.add(f"{roll.records} = []")
        for returned in roll.returned_names:
            code.add(f"{returned} = []  # what each addend returns, in the batch's order")
        loop_names = parts.inputs or "_"
        code.add(f"for {loop_names} in {namer.constant('_rows', table)}[{len(table) - 1}]:")
        for line in parts.forward:
            code.add(f"    {line}")
        code.add(f"    {total} = {total} + {parts.value}  # the chain's +")
        code.add(f"    {roll.records}.append(({', '.join(kept)}{',' if kept else ''}))")
        for name, returned in zip(roll.returned_names, parts.returned):
            code.add(f"    {name}.append({returned})")
        code.add(f"{names[roll.end]} = {total}")
        return parts, kept

    def _backward(self, code: _Code, opcodes: list[_OpCode | None],
                  parents: list[tuple[int, ...]], names: _Names, text: list[tuple[str, int]],
                  reaches: list[bool], backward: list[bool], root_index: int,
                  position: dict[Value, int], seed_name: str | None = None,
                  roll: _Roll | None = None, body: _Sections | None = None,
                  body_kept: Sequence[str] = ()) -> dict[int, str]:
        """Emit the chain rule node by node from the last, in the eager engine's order.

        Returns the gradient variable of each differentiated leaf (by position).
        """
        grads: dict[int, str] = {}
        if root_index < 0 or not reaches[root_index]:
            return grads  # nothing differentiated depends on the loss
        for v in (self.live if self.training else self.targets):
            i = position[v]
            if self.training or reaches[i]:
                grads[i] = f"{names[i]}_bar"  # set up by the caller: leaf.grad, or 0.0
        seed = seed_name or (names.namer.word("seed") if self.training else "1.0")
        if opcodes[root_index] is None:  # the loss is a leaf itself
            name = grads[root_index]
            code.add(f"{name} += {seed}")
            return grads
        # How many contributions each node receives, and how often its gradient is read.
        incoming = [0] * len(opcodes)
        reads = [0] * len(opcodes)
        for i, inputs in enumerate(parents):
            if backward[i]:
                for p in inputs:
                    if reaches[p]:
                        incoming[p] += 1
                        reads[i] += 1
        bar: dict[int, tuple[str, int]] = {root_index: (seed, ATOM)}
        received = [0] * len(opcodes)
        add = code.add
        i = len(opcodes)
        while i > 0:
            i -= 1
            if not backward[i]:
                continue
            if roll is not None and i == roll.end and body is not None:
                # The rolled sum: every addend gets the chain's gradient, last first; the
                # base gets it too (d(a + b)/da = 1), as the first + passes it on.
                upstream = bar.pop(i)
                code.comment(f"# backward through the {len(roll.chain)} addends, the last first")
                code.add(f"{roll.seed} = {upstream[0]}")
                code.add(f"for {_unpack(list(body_kept)) if body_kept else '_'} in"
                         f" {names.namer.builtin('reversed')}({roll.records}):")
                for line in body.backward or ["pass"]:
                    code.add(f"    {line}")
                base = roll.base
                if reaches[base]:
                    received[base] += 1
                    if base in grads:
                        code.add(f"{grads[base]} += {upstream[0]}  # d(a + b)/da = 1")
                    elif received[base] > 1:
                        code.add(f"{names[base]}_bar += {upstream[0]}  # d(a + b)/da = 1")
                    elif incoming[base] == 1:
                        bar[base] = (upstream[0], ATOM)
                    else:
                        code.add(f"{names[base]}_bar = {upstream[0]}  # d(a + b)/da = 1")
                        bar[base] = (f"{names[base]}_bar", ATOM)
                i = roll.start
                continue
            opcode = opcodes[i]
            assert opcode is not None
            upstream = bar.pop(i)
            inputs = parents[i]
            values = [text[i], *(text[p] for p in inputs)]
            for k, p in enumerate(inputs):
                if not reaches[p]:
                    continue
                kind, rule, precedence, _ = opcode.rules[k]
                if kind == "one":
                    share = upstream  # + passes it on as it is
                else:
                    if kind == "formula":
                        local = _wrap((rule(values), precedence), TERM + 1)
                    else:
                        local = f"{rule}({', '.join(t for t, _ in values)})"
                    share = (f"{_wrap(upstream, TERM)} * {local}", TERM)
                if p in grads:  # a differentiated leaf: it accumulates, as backward() does
                    name = grads[p]
                    add(f"{name} += {share[0]}{opcode.comments[k]}")
                    continue
                received[p] += 1
                if received[p] > 1:
                    name = f"{names[p]}_bar"
                    add(f"{name} += {share[0]}{opcode.comments[k]}")
                elif incoming[p] == 1 and (share[1] == ATOM or reads[p] <= 1):
                    bar[p] = share  # its only contribution, merged where it is read
                else:
                    name = f"{names[p]}_bar"
                    add(f"{name} = {share[0]}{opcode.comments[k]}")
                    bar[p] = (name, ATOM)
        return grads


class _Namer:
    """The one place the names of a generated function come from; it knows every name taken.

    Taken from the start: Python's keywords and builtins, the op table's function names and
    the constants formulas use (``tanh``, ``pi``, ``inf``), and every name bound in the
    generated module's namespace. Everything else is claimed here, first come first served:
    the arguments', parameters' and labels' names (made identifiers), ``v<i>``, the
    template's own words (``inputs``, ``seed``, ``leaf``), the loops' ``_sum`` and
    ``_records``, and the globals it binds (helper functions, objects returned in aux).
    A variable claims ``<name>_bar``, its adjoint, with it, so no name is another's adjoint.

    A batch's variants each get a :meth:`scope`: they may reuse one another's local names
    (one variant runs per example), never the function's own names, nor a global's.
    """

    def __init__(self, namespace: dict[str, Any], parent: _Namer | None = None) -> None:
        self.namespace = namespace
        self.parent = parent
        self.local: set[str] = set()
        if parent is not None:
            self.root: _Namer = parent.root
            return
        self.root = self
        self.functions = {op.function_name for op in ops.OPS.values() if op.function_name}
        """Names of the op table's float functions: formulas call them by these names."""
        self.reserved = {*keyword.kwlist, *keyword.softkwlist, *dir(builtins), "__builtins__",
                         *self.functions, *CONSTANTS, "nan"}
        self.anywhere: set[str] = set()  # every scope's variables: no global may take one
        self.words: dict[str, str] = {}
        namespace.update(CONSTANTS)
        namespace["nan"] = math.nan
        self.miss = self.constant("MISS", _MISS)
        """What a failed guard returns (``return MISS``)."""

    def scope(self) -> _Namer:
        """A scope of local names inside this one (a batch's variant)."""
        return _Namer(self.namespace, self)

    def _free(self, name: str) -> bool:
        root = self.root
        if name in root.reserved or name in self.namespace or (self is root and name in root.anywhere):
            return False
        scope: _Namer | None = self
        while scope is not None:
            if name in scope.local:
                return False
            scope = scope.parent
        return True

    def variable(self, wanted: str, adjoint: bool = True) -> str:
        """A new local variable's name: ``wanted`` made an identifier, or with ``_2``, ``_3``.

        ``adjoint``: ``<name>_bar`` is claimed too, for the variable's gradient.
        """
        base = _base_name(wanted)
        for k in itertools.count(1):
            name = base if k == 1 else f"{base}_{k}"
            if self._free(name) and (not adjoint or self._free(f"{name}_bar")):
                break
        for taken in (name, f"{name}_bar") if adjoint else (name,):
            self.local.add(taken)
            self.root.anywhere.add(taken)
        return name

    def word(self, word: str) -> str:
        """The name of one of the template's own variables (``inputs``, ``seed``, ``leaf``)."""
        root = self.root
        if word not in root.words:
            root.words[word] = root.variable(word, adjoint=False)
        return root.words[word]

    def constant(self, base: str, value: Any) -> str:
        """A global name bound to ``value`` in the namespace (its name already, if it has one)."""
        root = self.root
        base = _base_name(base)
        for k in itertools.count(1):
            name = base if k == 1 else f"{base}_{k}"
            if name in root.anywhere:
                continue
            bound = self.namespace.get(name, _MISSING)
            if bound is value:
                return name
            if bound is _MISSING and name not in root.reserved:
                self.namespace[name] = value
                return name
        raise AssertionError("unreachable")  # pragma: no cover

    def builtin(self, name: str) -> str:
        """The name the generated code calls Python's builtin ``name`` by (``zip``)."""
        root = self.root
        if name in root.functions or name in self.namespace or name in root.anywhere:
            return self.constant(name, getattr(builtins, name))  # an op took it: zip_2
        return name

    def op_function(self, name: str, function: Any, where: str) -> str:
        """``name``, bound to the op table's float function of that name (formulas call it)."""
        if function is None or name not in self.root.functions:
            raise CompileError(
                f"compile: {where} calls {name}, which is not in the op table now; register"
                " that op again (autograd_mini.primitive), or trace after the op table is set"
            )
        self.namespace[name] = function
        return name

    def number(self, value: float) -> tuple[str, int]:
        """A float as source, and its precedence: its repr when that gives the same bits (a
        nan's sign it may not), else a name bound to it."""
        text, precedence = number_literal(value)
        if _same_bits(float(text), value):
            return text, precedence
        return self.constant("constant", value), ATOM

    def literal(self, x: Any) -> str:
        """Source for a constant returned in aux: its repr when that reads back as the same
        object (floats, ints, bools, None, str); else a name bound to the object itself."""
        kind = type(x)
        if x is None or kind is bool or kind is str:
            return repr(x)
        if kind is int:
            try:
                return repr(x)
            except ValueError:  # more digits than int's str conversion allows
                pass
        elif kind is float:
            return self.number(x)[0]
        return self.constant(f"aux_{kind.__name__}", x)


_MISSING = object()


class _Names:
    """Variable names, made when first asked for: a label, an argument's or parameter's
    name, or v<i> (the node's index in topological order, as draw_dot numbers it), each
    claimed from the function's :class:`_Namer`."""

    def __init__(self, program: _Program, position: dict[Value, int],
                 fixed: dict[Value, str], namer: _Namer, prefix: str = "v") -> None:
        self.order = program.order
        self.prefix = prefix
        self.namer = namer
        self.chosen: dict[int, str] = {}
        for i, node in enumerate(program.inputs):
            self.chosen[position[node]] = namer.variable(
                program.argnames[i] if i < len(program.argnames) else f"x{i}")
        for k, node in enumerate(program.live):
            if node in fixed:  # named by the caller, from the same namer
                self.chosen[position[node]] = fixed[node]
                continue
            label = node.label or program.param_names.get(id(node), "") or f"p{k}"
            self.chosen[position[node]] = namer.variable(label)

    def __getitem__(self, i: int) -> str:
        name = self.chosen.get(i)
        if name is None:
            label = self.order[i].label if self.prefix == "v" else ""
            name = self.chosen[i] = self.namer.variable(label or f"{self.prefix}{i}")
        return name


class _Roll:
    """A chain ``((base + t_1) + t_2) + ... + t_n`` whose addends are the same computation on
    other constants (a batch's per-example losses), replayed as a loop over a table of them.

    The eager engine visits such a sum as a loop would: t_1's nodes then the first +, t_2's
    nodes then the second, ...; backward, the last addend first, each receiving the chain's
    gradient unchanged (d(a + b)/db = 1). So one addend's code, run for each row of the
    table, does the same float operations in the same order.
    """

    MIN_ADDENDS = 4

    def __init__(self, start: int, end: int, chain: list[int], addends: list[list[int]],
                 base: int, returned: list[int]) -> None:
        self.start, self.end = start, end  # the region of the order the loop replaces
        self.chain = chain  # the + nodes, first to last (end is the last)
        self.addends = addends  # each addend's nodes, in order; addends[k][-1] is its root
        self.base = base
        # Where in every addend the function returns a node (has_aux: a batch's scores),
        # as indexes into addends[k]: the loop collects them, one list per index.
        self.returned = returned
        # The loop's names, claimed when it is written: its gradient, its records, and the
        # lists of what it returns.
        self.seed = "_t_bar"
        self.records = "_records"
        self.returned_names: list[str] = []


def _find_roll(order: list[Value], parents: list[tuple[int, ...]],
               opcodes: list[_OpCode | None], uses: list[int], shared: set[int],
               pinned: set[int], returned: set[int]) -> _Roll | None:
    """The longest rollable sum in the graph, or None. ``shared``: leaves that are not
    constants (inputs, parameters); ``pinned``: nodes a guard names (they stay outside a
    loop); ``returned``: nodes the results name (the loop collects them)."""
    n = len(order)
    # A structure number per node: the same op on the same structures; constants alike.
    signature = [0] * n
    table: dict[Any, int] = {}
    for i in range(n):
        op = order[i]._opdef
        key: Any = ("shared", i) if i in shared else ("constant",) if op is None else (
            op, tuple(signature[p] for p in parents[i]))
        signature[i] = table.setdefault(key, len(table))
    best: _Roll | None = None
    seen: set[int] = set()
    for end in range(n - 1, -1, -1):
        if order[end]._opdef is not ops.ADD or end in seen:
            continue
        chain = [end]
        while True:  # walk down the left operands while they are +'s used once
            left = parents[chain[-1]][0]
            if order[left]._opdef is ops.ADD and uses[left] == 1:
                chain.append(left)
            else:
                break
        chain.reverse()
        seen.update(chain)
        roots = [parents[c][1] for c in chain]
        sig = signature[roots[-1]]
        while roots and signature[roots[0]] != sig:  # the base may differ (sum()'s 0)
            chain.pop(0)
            roots.pop(0)
        if len(roots) < _Roll.MIN_ADDENDS or any(signature[r] != sig for r in roots):
            continue
        if best is not None and len(roots) <= len(best.chain):
            continue
        roll = _addends(order, parents, opcodes, uses, shared, pinned, returned, chain, roots)
        if roll is not None:
            best = roll
    return best


def _addends(order: list[Value], parents: list[tuple[int, ...]], opcodes: list[_OpCode | None],
             uses: list[int], shared: set[int], pinned: set[int], returned: set[int],
             chain: list[int], roots: list[int]) -> _Roll | None:
    """Each addend's own nodes, if they are disjoint, used nowhere else, and contiguous."""
    owned: dict[int, int] = {}
    addends: list[list[int]] = []
    for k, root in enumerate(roots):
        nodes: list[int] = []
        stack = [root]
        while stack:
            i = stack.pop()
            if i in shared or i in owned:
                if i in owned and owned[i] != k:
                    return None  # shared with another addend
                continue
            owned[i] = k
            nodes.append(i)
            stack.extend(parents[i])
        nodes.sort()
        addends.append(nodes)
    if any(i in pinned for i in owned) or any(len(a) != len(addends[0]) for a in addends):
        return None
    if any(i in pinned or i in returned for i in chain[:-1]):
        return None  # a partial sum is compared or returned: the loop keeps none of them
    # Nothing outside an addend uses its nodes (but the chain, its root).
    inside = {i: 0 for i in owned}
    for i in owned:
        for p in parents[i]:
            if p in inside:
                inside[p] += 1
    for root in roots:
        inside[root] += 1  # used by its + of the chain
    if any(uses[i] != count for i, count in inside.items()):
        return None
    start = min(addends[0])
    end = chain[-1]
    region = set(owned) | set(chain)
    if any(i not in region and i not in shared for i in range(start, end + 1)):
        return None  # something else is computed in between: not a plain loop
    for a, b in itertools.pairwise(addends):
        if [order[i]._opdef for i in a] != [order[i]._opdef for i in b]:
            return None
    # Returned nodes sit at the same places in every addend, or the loop cannot collect them.
    places = [j for j, i in enumerate(addends[0]) if i in returned]
    if any([j for j, i in enumerate(a) if i in returned] != places for a in addends):
        return None
    del opcodes
    return _Roll(start, end, chain, addends, parents[chain[0]][0], places)


class _Guard(str):
    """A guard line: ``holds`` must be true for the trace to apply (else: trace again)."""

    holds: str

    def __new__(cls, holds: str, why: str, miss: str = "MISS") -> _Guard:
        line = super().__new__(cls, f"if not {holds}: return {miss}  # {why}" if holds.startswith("(")
                               else f"if {holds[4:]}: return {miss}  # {why}")
        line.holds = holds
        return line


@dataclass
class _Sections:
    """The pieces of a replay, as lines without indentation."""

    inputs: str  # the names the call's numbers unpack into ("x, w"), or ""
    input_names: list[str]  # the same names, one by one
    live_names: list[str]  # a name per leaf made before the call
    forward: list[str]
    backward: list[str]  # starts from `seed`; the leaves' gradients are `<name>_bar`
    grads: dict[Value, str]  # the gradient variable of each differentiated leaf
    value: str  # the loss
    aux: str | None  # the aux's source (has_aux), else None
    returned: list[str]  # the expression of each Value in aux, in its order


class _Code:
    """The lines of a replay, written into one function."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.head: list[str] = []

    def header(self, lines: list[str]) -> None:
        self.head = lines

    def comment(self, text: str) -> None:
        self.lines.append(text)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def source(self, signature: str, docstring: str) -> str:
        body = [*self.head, *self.lines]
        return "\n".join([f"def traced({signature}):", f'    """{docstring}"""',
                          *(f"    {line}" for line in body)]) + "\n"


def _order_of(roots: list[Value]) -> list[Value]:
    """Every node the roots depend on, in topological order (the eager engine's, for one root)."""
    if len(roots) == 1:
        return topological_order(roots[0], _parents_of)
    anchor: Any = object()
    order: list[Any] = topological_order(anchor, lambda node: roots if node is anchor else node.parents)
    return order[:-1]


def _parents_of(node: Value) -> tuple[Value, ...]:
    return node.parents


def _values_in(x: Any) -> list[Value]:
    if isinstance(x, Value):
        return [x]
    if isinstance(x, list | tuple):
        return [v for item in x for v in _values_in(item)]
    if isinstance(x, dict):
        return [v for item in x.values() for v in _values_in(item)]
    return []


def _structure_text(x: Any, operand: Callable[[Any], tuple[str, int]], namer: _Namer,
                    collected: dict[str, int] | None = None) -> str:
    """Python source for ``x``: Values by their text, lists, tuples and dicts rebuilt as the
    eager engine rebuilds them, and any other object as itself (a literal, or a global).

    ``collected``: the lists a rolled sum's loop fills and their lengths; a list that is all
    of one, in order, is written as a copy of it rather than item by item.
    """
    if isinstance(x, Value):
        return operand(x)[0]
    if isinstance(x, list | tuple):
        texts = [_structure_text(item, operand, namer, collected) for item in x]
        kind = list if isinstance(x, list) else tuple
        whole = texts[0].partition("[")[0] if texts else ""
        if (collected and collected.get(whole) == len(x)
                and texts == [f"{whole}[{k}]" for k in range(len(x))]):
            display = f"{namer.builtin(kind.__name__)}({whole})"
        else:
            items = ", ".join(texts)
            display = f"[{items}]" if kind is list else f"({items}{',' if len(x) == 1 else ''})"
        if type(x) is kind:
            return display
        # A subclass (a namedtuple): rebuilt as the eager engine rebuilds it, type(x)(items).
        return f"{namer.constant(f'aux_{type(x).__name__}', type(x))}({display})"
    if isinstance(x, dict):
        for key in x:
            if type(key) not in (str, int):
                raise CompileError(f"compile: the aux dict's key {key!r} is a"
                                   f" {type(key).__name__}; use str or int keys")
        items = ", ".join(f"{namer.literal(key)}: {_structure_text(item, operand, namer, collected)}"
                          for key, item in x.items())
        return f"{{{items}}}"
    if isinstance(x, set | frozenset) and any(isinstance(item, Value) for item in x):
        raise CompileError(
            f"compile: aux holds a {type(x).__name__} of Values; the compiled mode returns the"
            " numbers of Values in lists, tuples and dicts: put them in a list"
        )
    return namer.literal(x)  # None, a number, a string, any object: as the trace saw it


def _kept(parts: _Sections) -> list[str]:
    """The forward's variables that its backward reads: what a record must keep for it."""
    assigned = _names_in(parts.forward, ast.Store) | set(parts.input_names)
    return sorted(assigned & _names_in(parts.backward, ast.Load))


def _names_in(lines: list[str], context: type[ast.expr_context]) -> set[str]:
    """The variables that ``lines`` (Python statements) store, or load: read by Python's
    own parser, so that no name (``θ_2``) or comment is misread."""
    tree = ast.parse("\n".join(lines))
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
            and isinstance(node.ctx, context)}


def _wrap(expression: tuple[str, int], needed: int) -> str:
    text, precedence = expression
    return f"({text})" if precedence < needed else text


def _unpack(names: Sequence[str]) -> str:
    return f"{names[0]}," if len(names) == 1 else ", ".join(names)


def _identifier(label: str) -> str:
    """A label as a Python identifier, for people to read: ``x.bar`` -> ``x_bar``,
    ``2x`` -> ``v_2x``, ``θ`` stays ``θ``; one Python reads as itself (NFKC-normalized)."""
    name = unicodedata.normalize("NFKC", str(label))
    name = "".join(c if ("a" + c).isidentifier() else "_" for c in name)
    name = re.sub(r"_+", "_", name).strip("_") or "v"
    if not name[0].isidentifier():
        name = f"v_{name}"
    if not _is_name(name):  # a character that NFKC changes once joined: plain ASCII then
        name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_") or "v"
        name = name if name[0].isalpha() else f"v_{name}"
    return name


def _base_name(wanted: str) -> str:
    """The name to claim for ``wanted``: the template's own ``_sum``, ``_c0`` as they are,
    anything else as :func:`_identifier` makes it."""
    return wanted if wanted.startswith("_") and _is_name(wanted) else _identifier(wanted)


def _is_name(name: str) -> bool:
    """Whether ``name`` is an identifier that Python reads as this very string."""
    return name.isidentifier() and unicodedata.normalize("NFKC", name) == name


def _same_bits(a: float, b: float) -> bool:
    return struct.pack("<d", a) == struct.pack("<d", b)


def _one_line(text: str) -> str:
    """``text`` safe inside a comment or docstring: no line breaks, no quotes, no backslashes."""
    return "".join("\\" + c if c in '\\"' else c if c.isprintable()
                   else c.encode("unicode_escape").decode("ascii") for c in str(text))
