"""Derivatives as functions, in reverse and forward mode, nestable to any order in any mix.

* :func:`grad`, :func:`value_and_grad`: reverse mode, one pass back from one output;
* :func:`jvp`: forward mode, one pass along one direction of the inputs;
* :func:`jacobian` (``mode="rev"`` or ``"fwd"``; also :func:`jacrev`, :func:`jacfwd`),
  :func:`hessian` (forward over reverse) and :func:`hvp` (Hessian-vector product).

Each one records ``f`` on Values, with a fresh input node per differentiated argument, and
then asks :func:`autograd_mini.engine.gradients` (reverse) or
:func:`autograd_mini.forward.sweep` (forward) for the derivatives. None reads or writes
``.grad`` of any Value. Called with floats they return floats. Called with Values, or
inside the ``f`` of another of them (a closure may capture the outer variable), they return
Values that record how they were computed, so the outer transform can differentiate them
again: that is how ``grad`` nests in ``grad``, ``jvp`` in ``grad`` (reverse over forward),
``grad`` in ``jvp`` (forward over reverse), and so on. The fresh input nodes keep nested
derivatives apart: an inner derivative never moves an outer variable (no perturbation
confusion).

Functions may take several scalar arguments (``argnums`` picks those to differentiate, as in
JAX and ``torch.func``). :func:`grad` needs a scalar output; :func:`jvp` and the Jacobians
take a number, a Value, or a list or tuple of them (nested as deep as you like) and give
derivatives in the same shape.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from autograd_mini.engine import Value, enable_grad, gradients
from autograd_mini.forward import evaluation_order, sweep

__all__ = [
    "MODES",
    "flatten_output",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "unflatten_output",
    "value_and_grad",
]

# How many transforms are running f right now (per thread and async task). Inside one, an
# inner transform must return Values even when called with floats: its result may depend on
# a Value the outer one is differentiating, captured by a closure.
_active: contextvars.ContextVar[int] = contextvars.ContextVar("autograd_mini_grad_depth", default=0)

MODES = ("rev", "fwd")
"""The two modes of :func:`jacobian`: ``"rev"`` (one reverse pass per output) and ``"fwd"``
(one forward pass per input)."""


@contextlib.contextmanager
def _transforming() -> Iterator[None]:
    """Record (even inside ``no_grad``), and tell transforms called in here that they are nested."""
    token = _active.set(_active.get() + 1)
    try:
        with enable_grad():
            yield
    finally:
        _active.reset(token)


def _nested(values: Sequence[Any]) -> bool:
    """Whether results must be Values: inside another transform, or given Values."""
    return _active.get() > 0 or any(isinstance(v, Value) for v in values)


# ------------------------------------------------------------------------- reverse mode


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Return a function giving ``(f(*args), df/d args[argnums])``.

    ``argnums`` is an int (one derivative comes back) or a tuple of ints (a tuple of
    derivatives comes back, in that order). Each derivative is the partial derivative with
    respect to that argument alone: a Value passed twice, or also captured by ``f``, counts
    only where it is passed at that position. ``f`` is run with graph recording on, even
    inside :class:`~autograd_mini.no_grad`.

    >>> from autograd_mini import tanh
    >>> value, slope = value_and_grad(lambda x: tanh(x))(0.0)
    >>> value, slope
    (0.0, 1.0)
    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    return _value_and_grad(f, argnums, "grad")


def _value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...], where: str
) -> Callable[..., tuple[Any, Any]]:
    _positions(argnums, where=where)  # a bad argnums is reported when grad is made, not when called

    @functools.wraps(f)
    def wrapped(*args: Any) -> tuple[Any, Any]:
        positions = _positions(argnums, len(args), where)
        nested = _nested([args[i] for i in positions])
        with _transforming():
            wrt, out = _record(f, args, positions, where)
            if isinstance(out, Value):
                grads = gradients(out, create_graph=nested)
                derivatives = [grads.get(x, 0.0) for x in wrt]
                value: Any = out if nested else out.data
            elif isinstance(out, numbers.Real):
                derivatives, value = [0.0] * len(wrt), float(out)  # constant in its inputs
            else:
                raise TypeError(
                    f"{where}: {_name(f)} must return a scalar Value or a real number, got"
                    f" {type(out).__name__} {out!r:.60}"
                )
        if isinstance(argnums, int):
            return value, derivatives[0]
        return value, tuple(derivatives)

    return wrapped


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Return the function ``df/d args[argnums]``; nest it for higher derivatives.

    >>> from autograd_mini import sin
    >>> grad(lambda x: x**3)(2.0)
    12.0
    >>> grad(grad(grad(lambda x: x**3)))(2.0)
    6.0
    >>> grad(sin)(0.0)
    1.0
    """
    value_and_gradient = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return value_and_gradient(*args)[1]

    return wrapped


# ------------------------------------------------------------------------- forward mode


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)``: f's value and its derivative along ``tangents``, by forward mode.

    ``primals`` are f's arguments (a tuple or list; every one is differentiated), and
    ``tangents`` one number (or Value) per primal: the direction. ``f`` returns a number,
    a Value, or a list or tuple of them; the derivative has the same shape. One forward
    pass, whatever the number of outputs; no reverse pass. The signature is JAX's and
    ``torch.func``'s.

    >>> from autograd_mini import sin, grad
    >>> jvp(lambda x, y: x * y, (2.0, 5.0), (1.0, 0.0))
    (10.0, 5.0)
    >>> jvp(lambda x: [x * x, sin(x)], (0.0,), (2.0,))
    ([0.0, 0.0], [0.0, 2.0])

    It nests with :func:`grad` either way, to any order:

    >>> jvp(grad(lambda x: x**3), (2.0,), (1.0,))  # forward over reverse: (f', f'')
    (12.0, 12.0)
    >>> grad(lambda x: jvp(lambda y: y**3, (x,), (1.0,))[1])(2.0)  # reverse over forward
    12.0
    """
    primals = _argument_tuple(primals, "primals", "jvp")
    tangents = _argument_tuple(tangents, "tangents", "jvp")
    return _jvp(f, primals, tangents, "jvp")


def _jvp(f: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...],
         where: str) -> tuple[Any, Any]:
    if len(tangents) != len(primals):
        raise ValueError(
            f"{where}: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one"
            " tangent per primal"
        )
    for i, t in enumerate(tangents):
        if not isinstance(t, Value | numbers.Real):
            raise TypeError(
                f"{where}: tangent {i} is {type(t).__name__} {t!r:.60}; each tangent is a real"
                " number or a Value, one per primal"
            )
    nested = _nested([*primals, *tangents])
    with _transforming():
        wrt, out = _record(f, primals, tuple(range(len(primals))), where, "primal")
        leaves, structure = flatten_output(out, where, f)
        seeds = {x: t if isinstance(t, Value) else float(t) for x, t in zip(wrt, tangents)}
        dots = sweep(evaluation_order(_values(leaves)), seeds, create_graph=nested)
        values = [_result(leaf, nested) for leaf in leaves]
        derivatives = [_result(dots.get(leaf, 0.0), nested) if isinstance(leaf, Value) else 0.0
                       for leaf in leaves]
    return unflatten_output(structure, values), unflatten_output(structure, derivatives)


# ------------------------------------------------------------- Jacobians and Hessians


def jacobian(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0, mode: str = "rev"
) -> Callable[..., Any]:
    """Return the function giving every derivative of every output of ``f``.

    ``f`` returns a number, a Value, or a list or tuple of them. Each output is replaced by
    its derivative with respect to ``args[argnums]`` (an int), or by the tuple of its
    derivatives with respect to each of them (a tuple), so entry ``[i][j]`` is
    d out_i / d args[argnums[j]], as in JAX.

    ``mode="rev"`` records ``f`` once and runs one reverse pass per output; ``mode="fwd"``
    runs one forward pass per input: pick the smaller count (reverse for many inputs and few
    outputs, forward for the other way round). Both give the same numbers.

    >>> from autograd_mini import sin
    >>> f = lambda x, y: [x * y, x + sin(y)]
    >>> jacobian(f, argnums=(0, 1))(2.0, 0.0)
    [(0.0, 2.0), (1.0, 1.0)]
    >>> jacobian(f, argnums=(0, 1), mode="fwd")(2.0, 0.0)
    [(0.0, 2.0), (1.0, 1.0)]
    >>> jacobian(lambda x, y: x * y, argnums=1)(3.0, 4.0)
    3.0
    """
    return _jacobian(f, argnums, mode, "jacobian")


def jacrev(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """``jacobian(f, argnums, mode="rev")``, under JAX's and ``torch.func``'s name.

    >>> jacrev(lambda x: [x * x, 3 * x])(2.0)
    [4.0, 3.0]
    """
    return _jacobian(f, argnums, "rev", "jacrev")


def jacfwd(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """``jacobian(f, argnums, mode="fwd")``, under JAX's and ``torch.func``'s name.

    >>> jacfwd(lambda x: [x * x, 3 * x])(2.0)
    [4.0, 3.0]
    """
    return _jacobian(f, argnums, "fwd", "jacfwd")


def hessian(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Return the function giving the second derivatives of ``f``: forward over reverse.

    With an int ``argnums`` the second derivative by that argument; with a tuple, the matrix
    ``H[i][j]`` = d²f / d args[argnums[i]] d args[argnums[j]] as a tuple of tuples. It is
    ``jacobian(jacobian(f, argnums, mode="rev"), argnums, mode="fwd")``, as in JAX and
    ``torch.func``: one reverse pass for the gradient, then one forward pass through it per
    input.

    >>> hessian(lambda x, y: x * x * y + y**3, argnums=(0, 1))(1.0, 2.0)
    ((4.0, 2.0), (2.0, 12.0))
    >>> hessian(lambda x: x**3)(2.0)
    12.0
    """
    _positions(argnums, where="hessian")
    return _jacobian(_jacobian(f, argnums, "rev", "hessian"), argnums, "fwd", "hessian")


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), H @ tangents)``: the Hessian of f times a vector, by forward over reverse.

    ``H`` is the Hessian with respect to every primal, ``tangents`` one number per primal;
    the product comes back as a tuple with one entry per primal. One reverse pass for the
    gradient and one forward pass through it, without forming ``H``: the cost of a few
    evaluations of ``f``, whatever the number of inputs (``torch.autograd.functional.hvp``'s
    result, ``torch.func``'s recipe ``jvp(grad(f), primals, tangents)``).

    >>> hvp(lambda x, y: x * x * y, (1.0, 3.0), (1.0, 0.0))
    (3.0, (6.0, 2.0))
    """
    primals = _argument_tuple(primals, "primals", "hvp")
    tangents = _argument_tuple(tangents, "tangents", "hvp")
    gradient = _value_and_grad(f, tuple(range(len(primals))), "hvp")
    (value, _), (_, product) = _jvp(gradient, primals, tangents, "hvp")
    return value, product


def _jacobian(
    f: Callable[..., Any], argnums: int | tuple[int, ...], mode: str, where: str
) -> Callable[..., Any]:
    _positions(argnums, where=where)
    if mode not in MODES:
        raise ValueError(f"{where}: mode must be 'rev' or 'fwd', got {mode!r}")

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        positions = _positions(argnums, len(args), where)
        nested = _nested([args[i] for i in positions])
        with _transforming():
            wrt, out = _record(f, args, positions, where)
            leaves, structure = flatten_output(out, where, f)
            rows: list[list[Any]]
            if mode == "rev":  # one reverse pass per output
                rows = []
                for leaf in leaves:
                    grads = gradients(leaf, create_graph=nested) if isinstance(leaf, Value) else {}
                    rows.append([grads.get(x, 0.0) for x in wrt])
            else:  # one forward pass per input, over one recorded graph
                order = evaluation_order(_values(leaves))
                columns = [sweep(order, {x: 1.0}, create_graph=nested) for x in wrt]
                rows = [[column.get(leaf, 0.0) if isinstance(leaf, Value) else 0.0
                         for column in columns] for leaf in leaves]
        entries = [tuple(_result(d, nested) for d in row) if isinstance(argnums, tuple)
                   else _result(row[0], nested) for row in rows]
        return unflatten_output(structure, entries)

    return wrapped


# --------------------------------------------------------------------------- plumbing


def _record(f: Callable[..., Any], args: Sequence[Any], positions: tuple[int, ...], where: str,
            what: str = "argument") -> tuple[list[Value], Any]:
    """Run ``f`` with a fresh input node at each position: the nodes, and what f returned."""
    inputs = list(args)
    wrt: list[Value] = []
    for i in positions:
        x = _input(args[i], i, where, what)
        wrt.append(x)
        inputs[i] = x
    out = f(*inputs)
    for leaf in out if isinstance(out, (list, tuple)) else [out]:
        if isinstance(leaf, bool):  # a real number to Python, but surely not meant as one
            raise TypeError(f"{where}: {_name(f)} returned the bool {leaf!r}: a comparison has no"
                            " derivative; return the number it compares")
    return wrt, out


def _input(x: Any, position: int, where: str, what: str) -> Value:
    # Differentiation needs a node of its own for each position. A caller's Value gets a
    # fresh identity node (x - 0.0, exact for every float, -0.0 included): the derivative
    # then counts only this position's uses, not other uses of x (another argument, or a
    # closure in f), while an outer transform still reaches x through it.
    if isinstance(x, Value):
        own = x - 0.0
        own.label = x.label
        return own
    try:
        return Value(x)
    except TypeError:
        raise TypeError(
            f"{where}: {what} {position} is {type(x).__name__} {x!r:.60}; differentiate with"
            " respect to real numbers or Values"
        ) from None


def _positions(argnums: int | tuple[int, ...], count: int | None = None,
               where: str = "grad") -> tuple[int, ...]:
    # The argument positions named by argnums, checked; with ``count`` (the number of
    # arguments of a call) made non-negative and checked against it.
    if isinstance(argnums, bool) or not isinstance(argnums, (int, tuple)):
        raise TypeError(f"{where}: argnums must be an int or a tuple of ints, got {argnums!r}")
    positions = (argnums,) if isinstance(argnums, int) else argnums
    if not positions or not all(isinstance(i, int) and not isinstance(i, bool) for i in positions):
        raise TypeError(f"{where}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    if count is None:
        return positions
    for i in positions:
        if not -count <= i < count:
            raise TypeError(
                f"{where}: argnums {argnums!r} names argument {i}, but the function was"
                f" called with {count} argument(s)"
            )
    normalized = tuple(i % count for i in positions)
    if len(set(normalized)) != len(normalized):
        raise ValueError(
            f"{where}: argnums {argnums!r} names the same argument twice; name each once"
        )
    return normalized


def _argument_tuple(given: Any, what: str, where: str) -> tuple[Any, ...]:
    if not isinstance(given, tuple | list):
        raise TypeError(
            f"{where}: {what} must be a tuple (or list) with one entry per argument of f, e.g."
            f" {where}(f, (x, y), (1.0, 0.0)); got {type(given).__name__} {given!r:.60}"
        )
    if not given:
        raise ValueError(f"{where}: {what} is empty; give at least one argument of f")
    return tuple(given)


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", "f")


def _values(leaves: list[Any]) -> list[Value]:
    return [leaf for leaf in leaves if isinstance(leaf, Value)]


def _result(x: Any, nested: bool) -> Any:
    """What a transform hands back: as it is when nested, else a float."""
    if nested:
        return x
    return x.data if isinstance(x, Value) else float(x)


# A flattened output: the leaves in order, and how to put them back (None for a leaf,
# else the container type and the shapes of its items).
Structure = tuple[type, list[Any]] | None


def flatten_output(out: Any, where: str, f: Callable[..., Any]) -> tuple[list[Any], Structure]:
    """The numbers and Values ``f`` returned, in order, and the shape to rebuild it with.

    A number or Value is one leaf; a list or tuple holds leaves or further lists and tuples.
    Anything else raises ``TypeError`` naming ``where`` and ``f``.

    >>> leaves, shape = flatten_output([1.0, (2.0, 3.0)], "jvp", abs)
    >>> leaves, unflatten_output(shape, [10.0, 20.0, 30.0])
    ([1.0, 2.0, 3.0], [10.0, (20.0, 30.0)])
    """
    leaves: list[Any] = []

    def walk(item: Any) -> Structure:
        if isinstance(item, Value | numbers.Real):
            leaves.append(item)
            return None
        if isinstance(item, list | tuple):
            return type(item), [walk(x) for x in item]
        raise TypeError(
            f"{where}: {_name(f)} must return a scalar Value or a real number, or a list or"
            f" tuple of them, got {type(item).__name__} {item!r:.60}"
        )

    return leaves, walk(out)


def unflatten_output(structure: Structure, leaves: Sequence[Any]) -> Any:
    """Put ``leaves`` back in the shape :func:`flatten_output` took apart (lists stay lists)."""
    items = iter(leaves)

    def build(shape: Structure) -> Any:
        if shape is None:
            return next(items)
        kind, parts = shape
        built = [build(part) for part in parts]
        return built if kind is list else tuple(built)

    return build(structure)
