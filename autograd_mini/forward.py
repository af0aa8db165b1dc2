"""Forward mode: tangents pushed through a recorded graph, in evaluation order.

Reverse mode (:func:`autograd_mini.engine.gradients`) starts at an output and walks the
graph backwards, giving the derivative of that one output with respect to every node.
Forward mode starts at the inputs: each input gets a tangent (``x_dot``, how fast it moves
along a chosen direction), and every node, in the order it was computed, gets::

    node_dot = sum_i local_derivative_i * parent_i_dot

where ``local_derivative_i`` is the op's rule for input ``i``, read from the same row of
the op table as the backward pass reads it: ``op.rules`` on floats, and
:func:`autograd_mini.engine.value_rules` on the nodes themselves when the tangents must be
differentiable again (``create_graph=True``). So one sweep gives the derivative of every
node along one direction of the inputs, and a user :func:`~autograd_mini.primitive`
works from the partials it already gives.

The sweep runs over a graph that has been recorded (the way :func:`autograd_mini.grad`
records one), not alongside the computation with dual numbers: the nodes' identities then
tell tangents of nested differentiations apart, so there is no perturbation confusion, and
any function written for Values (the package's functions, primitives, parsed expressions,
``nn`` models) works unchanged. The cost is the one reverse mode pays too: the graph is
kept in memory while the sweep runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autograd_mini.engine import Value, contributions, value_rules
from autograd_mini.errors import backward_error, same_kind
from autograd_mini.graph import topological_order

__all__ = ["evaluation_order", "sweep", "tangents"]

_ROOTS = object()  # stands for "all the roots" at the top of one topological order


def evaluation_order(roots: Iterable[Value]) -> list[Value]:
    """Every node the ``roots`` depend on, each after all of its inputs (the roots included).

    One topological order for several outputs at once, so a sweep visits a node shared by
    them once.

    >>> x = Value(2.0)
    >>> y = x * x
    >>> [node.data for node in evaluation_order([y + 1.0, y])]
    [2.0, 4.0, 1.0, 5.0]
    """
    top = tuple(roots)

    def parents_of(node: Any) -> tuple[Any, ...]:
        return top if node is _ROOTS else node.parents

    order: list[Any] = topological_order(_ROOTS, parents_of)
    order.pop()  # the stand-in itself, always last
    return order


def tangents(
    root: Value | Sequence[Value], seeds: Mapping[Value, Any], create_graph: bool = False
) -> dict[Value, Any]:
    """d node along the direction ``seeds`` gives the inputs, for every node ``root`` depends on.

    ``seeds`` maps input nodes to their tangents; every other node starts at 0 (and is
    left out of the result while its tangent is structurally zero). ``root`` is one Value
    or several. The forward-mode counterpart of :func:`autograd_mini.engine.gradients`:
    no ``.grad`` is read or written, and with ``create_graph=True`` the tangents are
    Values that can be differentiated again.

    >>> x, y = Value(3.0), Value(2.0)
    >>> z = x * y + x
    >>> tangents(z, {x: 1.0})[z], tangents(z, {y: 1.0})[z]
    (3.0, 3.0)
    """
    roots = [root] if isinstance(root, Value) else list(root)
    return sweep(evaluation_order(roots), seeds, create_graph)


def sweep(
    order: Sequence[Value], seeds: Mapping[Value, Any], create_graph: bool = False
) -> dict[Value, Any]:
    """One forward-mode pass over ``order`` (from :func:`evaluation_order`): the tangents.

    Several directions over one recorded graph are several sweeps over one order: that is
    how :func:`autograd_mini.functional.jacobian` in forward mode spends one pass per input.
    """
    dots: dict[Value, Any] = dict(seeds)
    for node in order:
        op = node.opdef
        if op is None or node in seeds:
            continue
        parents = node.parents
        moving = [i for i, parent in enumerate(parents) if parent in dots]
        if not moving:
            continue  # no input moves along this direction: the tangent is zero
        total: Any = None
        if op.custom:
            # A node written micrograd's way: its closure gives the local derivatives (as
            # numbers, once per distinct input); it cannot be differentiated again.
            try:
                steps = contributions(node, 1.0)
            except (ArithmeticError, ValueError, TypeError) as exc:
                raise _in_forward_mode(exc) from exc  # worded by the engine already
            for parent, local, _ in steps:
                if parent in dots:
                    total = _plus(total, _times(local, dots[parent]))
            dots[node] = total
            continue
        try:
            if create_graph:
                total = _chain(value_rules(op), node, parents, parents, moving, dots)
            else:
                total = _chain(op.rules, node.data, [p.data for p in parents], parents,
                               moving, dots)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise _tangent_error(node, exc) from exc
        dots[node] = total
    return dots


def _chain(rules: Sequence[Any], out: Any, args: Sequence[Any], parents: Sequence[Value],
           moving: list[int], dots: Mapping[Value, Any]) -> Any:
    """The sum over the moving inputs i of rule_i(out, *args) times input i's tangent."""
    total: Any = None
    for i in moving:
        total = _plus(total, _times(rules[i](out, *args), dots[parents[i]]))
    return total


def _times(local: Any, dot: Any) -> Any:
    # 1 * t is t exactly; skipping it keeps create_graph tangents free of "1 *" nodes.
    if type(local) in (int, float) and local == 1:
        return dot
    return local * dot


def _plus(total: Any, term: Any) -> Any:
    return term if total is None else total + term


def _tangent_error(node: Value, exc: BaseException) -> Exception:
    """A failing rule in forward mode: the op, its input and its rules, named.

    The wording is the backward pass's (errors.py), with the pass named as it is.
    """
    return _in_forward_mode(backward_error(node, exc))


def _in_forward_mode(error: BaseException) -> Exception:
    return same_kind(error, str(error).replace("backward through", "forward mode through", 1))
