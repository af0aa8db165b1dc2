"""Per-op tests generated from the op table: every op, every partial, across its domain.

The ops come from ``ops.OPS`` (the built-ins), ``ops.power(k)`` for several k and every
other family at the parameters it names as examples, so an op added to the table (a row,
or a family) is tested here without a line of new test code; an op with a domain check
must also be given its out-of-domain cases in ``DOMAIN_ERRORS`` (a test insists).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini
from autograd_mini import Value, ops
from autograd_mini.check import gradcheck, gradgradcheck
from autograd_mini.engine import apply, value_rules
from autograd_mini.formulas import CONSTANTS
from autograd_mini.ops import Op
from autograd_mini.testing import family_ops, reals

POWERS = (0, 1, 2, 3, 4, -1, -2, 0.5, 1.5, -0.5, 2.0)
# Built-ins only: user primitives that other test modules make at import time are theirs.
OPS_UNDER_TEST: list[Op] = [op for op in ops.OPS.values() if op.builtin] + [
    ops.power(k) for k in POWERS
] + family_ops() + [ops.CLAMP(min=1.0, max=1.0), ops.CLAMP(min=1.0, max=-1.0)]
IDS = [op.name for op in OPS_UNDER_TEST]
# stop_gradient's rule is 0 by decree, so finite differences of its forward (slope 1)
# are not its derivative; it is checked on its own below.
DIFFERENTIATED = [op for op in OPS_UNDER_TEST if not op.stops_gradient]
DIFFERENTIATED_IDS = [op.name for op in DIFFERENTIATED]
GRID_STEPS = 7  # points per input across the domain: 7 for unary ops, 49 for binary ones
KINK_MARGIN = 1e-3

# Out-of-domain inputs of every op that has a domain check: (inputs, error, index of the
# offending input, which the message must quote).
DOMAIN_ERRORS: dict[str, list[tuple[tuple[float, ...], type[Exception], int]]] = {
    "/": [((1.0, 0.0), ZeroDivisionError, 1), ((-2.5, 0.0), ZeroDivisionError, 1)],
    "log": [((0.0,), ValueError, 0), ((-2.5,), ValueError, 0)],
    "sqrt": [((-1.0,), ValueError, 0), ((-1e-300,), ValueError, 0)],
    "asin": [((1.5,), ValueError, 0), ((-1.0000000000000002,), ValueError, 0)],
    "acos": [((-1.5,), ValueError, 0), ((1.5,), ValueError, 0)],
    "acosh": [((0.5,), ValueError, 0), ((-3.0,), ValueError, 0)],
    "atanh": [((1.0,), ValueError, 0), ((-1.0,), ValueError, 0), ((2.0,), ValueError, 0)],
    "log2": [((0.0,), ValueError, 0), ((-1.0,), ValueError, 0)],
    "log10": [((0.0,), ValueError, 0), ((-1e-300,), ValueError, 0)],
    "log1p": [((-1.0,), ValueError, 0), ((-2.0,), ValueError, 0)],
    "**": [
        ((-2.0, 0.5), ValueError, 0),
        ((-2.0, 2.0), ValueError, 0),  # a Value exponent may move off the integer
        ((0.0, -1.0), ZeroDivisionError, 1),
    ],
    "**-1": [((0.0,), ZeroDivisionError, 0)],
    "**-2": [((0.0,), ZeroDivisionError, 0)],
    "**0.5": [((-1.0,), ValueError, 0)],
    "**1.5": [((-0.25,), ValueError, 0)],
    "**-0.5": [((-1.0,), ValueError, 0), ((0.0,), ZeroDivisionError, 0)],
}
# Errors of ops without a check, documented in their doc text.
FORWARD_ERRORS: dict[str, list[tuple[tuple[float, ...], type[Exception], int]]] = {
    "exp": [((1000.0,), OverflowError, 0)],
    "exp2": [((1025.0,), OverflowError, 0)],
    "expm1": [((710.0,), OverflowError, 0)],
    "sinh": [((-711.0,), OverflowError, 0)],
    "cosh": [((711.0,), OverflowError, 0)],
}


def _near_kink(op: Op, args: tuple[float, ...], margin: float = KINK_MARGIN) -> bool:
    return op.distance_to_kink(*args) < margin


def _grid(op: Op) -> list[tuple[float, ...]]:
    axes = [
        [low + (high - low) * s / (GRID_STEPS - 1) for s in range(GRID_STEPS)]
        for low, high in op.sample
    ]
    return [p for p in itertools.product(*axes) if not _near_kink(op, p)]


def _central_difference(op: Op, args: tuple[float, ...], i: int, h: float = 1e-6) -> float:
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (op.forward(*up) - op.forward(*down)) / (2 * h)


# ------------------------------------------------------------------ table structure


@pytest.mark.parametrize("op", OPS_UNDER_TEST, ids=IDS)
def test_op_describes_itself(op: Op) -> None:
    assert op.arity == len(op.rules) == len(op.formulas) == len(op.inputs)
    assert len(op.sample) == op.arity, f"{op.name}: give a sampling interval per input"
    for low, high in op.sample:
        assert math.isfinite(low) and math.isfinite(high) and low < high
    for k in op.kinks:
        assert op.sample[0][0] <= k <= op.sample[0][1], f"{op.name}: kink {k} outside domain"
    text = op.format(*op.inputs)
    for name in op.inputs:
        assert name in text
    for i in range(op.arity):
        assert op.derivative_text(i).startswith(f"d({text})/d{op.inputs[i]} = ")


# ---------------------------------------------------------------- derivatives vs FD


@pytest.mark.parametrize("op", DIFFERENTIATED, ids=DIFFERENTIATED_IDS)
def test_partials_agree_with_finite_differences_across_the_domain(op: Op) -> None:
    points = _grid(op)
    assert len(points) >= GRID_STEPS - 1
    for args in points:
        out = op.forward(*args)
        assert math.isfinite(out), f"{op.name} at {args}"
        for i, rule in enumerate(op.rules):
            analytic = rule(out, *args)
            numeric = _central_difference(op, args, i)
            assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-7), (
                f"{op.derivative_text(i)} at {args}: rule {analytic}, finite differences {numeric}"
            )


@pytest.mark.parametrize("op", DIFFERENTIATED, ids=DIFFERENTIATED_IDS)
def test_engine_first_and_second_derivatives_across_the_domain(op: Op) -> None:
    # Through the engine: backward with floats, and nested grad (create_graph) for the
    # Hessian, so the rules are also checked as builders of graph.
    def f(*xs: Any) -> Any:
        return apply(op, *xs)

    for args in _grid(op):
        assert gradcheck(f, *args)
        assert gradgradcheck(f, *args)


@pytest.mark.parametrize("op", OPS_UNDER_TEST, ids=IDS)
def test_rules_give_the_same_number_on_values_and_floats(op: Op) -> None:
    for args in _grid(op):
        out = op.forward(*args)
        leaves = [Value(x) for x in args]
        node = apply(op, *leaves)
        assert node.data == out
        for rule, value_rule in zip(op.rules, value_rules(op)):
            on_floats = rule(out, *args)
            on_values = value_rule(node, *leaves)
            assert float(on_values) == pytest.approx(on_floats, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("op", DIFFERENTIATED, ids=DIFFERENTIATED_IDS)
@settings(max_examples=40)
@given(data=st.data())
def test_random_points_in_the_domain(op: Op, data: st.DataObject) -> None:
    args = tuple(data.draw(reals(low, high), label=f"input {i}")
                 for i, (low, high) in enumerate(op.sample))
    if _near_kink(op, args):
        args = (args[0] + 2 * KINK_MARGIN, *args[1:])  # step off the kink, stay in reach
    assert gradcheck(lambda *xs: apply(op, *xs), *args)


@pytest.mark.parametrize("op", OPS_UNDER_TEST, ids=IDS)
def test_formula_text_is_the_rule_that_runs(op: Op) -> None:
    # The formulas are what people read (README, step-through, generated code); they are
    # also the source the rules are compiled from. Evaluated as plain Python over floats,
    # the text must give exactly what the rule gives.
    namespace = {**CONSTANTS, **ops.float_functions(), "math": math}
    for i, formula in enumerate(op.formulas):
        code = compile(formula, f"<formula of {op.name}>", "eval")
        for args in _grid(op):
            out = op.forward(*args)
            scope = {**namespace, **dict(zip(op.inputs, args)), "out": out}
            assert eval(code, scope) == op.rules[i](out, *args), f"{op.derivative_text(i)} at {args}"


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize("op", OPS_UNDER_TEST, ids=IDS)
def test_domain_check_accepts_the_whole_sampling_domain(op: Op) -> None:
    for args in _grid(op):
        if op.check is not None:
            op.check(*args)
        value = apply(op, *args)
        assert math.isfinite(value)


def test_every_checked_op_has_its_out_of_domain_cases() -> None:
    checked = {op.name for op in OPS_UNDER_TEST if op.check is not None}
    assert checked == set(DOMAIN_ERRORS), (
        "every op with a domain check needs out-of-domain cases in DOMAIN_ERRORS, and"
        f" only those: missing {sorted(checked - set(DOMAIN_ERRORS))},"
        f" unknown {sorted(set(DOMAIN_ERRORS) - checked)}"
    )


def _error_cases() -> list[Any]:
    by_name = {op.name: op for op in OPS_UNDER_TEST}
    return [
        pytest.param(by_name[name], args, error, index, id=f"{name}{args}")
        for table in (DOMAIN_ERRORS, FORWARD_ERRORS)
        for name, cases in table.items()
        if name in by_name
        for args, error, index in cases
    ]


@pytest.mark.parametrize(("op", "args", "error", "index"), _error_cases())
def test_out_of_domain_raises_the_documented_error(
    op: Op, args: tuple[float, ...], error: type[Exception], index: int
) -> None:
    expected_words = (op.name, repr(args[index]))
    # On floats (the float-or-Value functions), and on Values (recording graph).
    for inputs in (args, tuple(Value(x) for x in args)):
        with pytest.raises(error) as caught:
            apply(op, *inputs)
        message = str(caught.value)
        for word in expected_words:
            assert word in message, f"{op.name}{args}: {message!r} should name {word!r}"
    if op.check is not None:
        with pytest.raises(error):
            op.check(*args)


def test_gradcheck_propagates_an_out_of_domain_error() -> None:
    with pytest.raises(ValueError, match="log"):
        gradcheck(autograd_mini.log, -1.0)


def test_a_stopped_gradient_is_zero_to_every_order_and_the_value_passes() -> None:
    for op in OPS_UNDER_TEST:
        if op.stops_gradient:
            for args in _grid(op):
                assert op.forward(*args) == args[0]
                assert [rule(op.forward(*args), *args) for rule in op.rules] == [0]
                leaves = [Value(x) for x in args]
                assert [float(r(apply(op, *leaves), *leaves)) for r in value_rules(op)] == [0.0]


def test_every_kink_formula_is_zero_at_its_kinks() -> None:
    # The kinks the rows name, where finite differences would measure a jump.
    at_kinks = {"maximum": (0.5, 0.5), "minimum": (-2.0, -2.0), "atan2": (0.0, -1.5),
                "hypot": (0.0, 0.0), "floor": (2.0,), "ceil": (-1.0,), "trunc": (0.0,),
                "round": (1.5,), "relu": (0.0,), "clamp(min=-1.0, max=1.0)": (1.0,)}
    by_name = {op.name: op for op in OPS_UNDER_TEST}
    for name, args in at_kinks.items():
        assert by_name[name].distance_to_kink(*args) == 0.0, name
    assert by_name["atan2"].distance_to_kink(0.0, 1.5) == 1.5  # no jump for x > 0
    assert by_name["round"].distance_to_kink(2.0) == 0.5
