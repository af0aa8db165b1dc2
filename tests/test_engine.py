"""The engine: Value, operators, errors, backward, create_graph, no_grad, numpy, primitives."""

from __future__ import annotations

import asyncio
import fractions
import gc
import math
import operator
import subprocess
import sys
import textwrap
import threading
import weakref
from decimal import Decimal
from typing import Any

import pytest

import autograd_mini
from autograd_mini import (
    Value,
    detach,
    enable_grad,
    engine,
    gradients,
    is_grad_enabled,
    no_grad,
    ops,
    primitive,
)
from autograd_mini.graph import topological_order


def all_nodes(root: Value) -> list[Value]:
    return topological_order(root, lambda v: v.parents)


def grads_of(nodes: list[Value]) -> list[Any]:
    return [n.grad for n in nodes]


# ------------------------------------------------------------------------ construction


@pytest.mark.parametrize(
    ("data", "expected"),
    [(3, 3.0), (2.5, 2.5), (True, 1.0), (False, 0.0), (-0.0, -0.0), (fractions.Fraction(1, 4), 0.25)],
)
def test_numbers_are_stored_as_python_floats(data: Any, expected: float) -> None:
    v = Value(data)
    assert type(v.data) is float
    assert v.data == expected
    assert math.copysign(1.0, v.data) == math.copysign(1.0, expected)


def test_numpy_scalars_are_stored_as_python_floats() -> None:
    np = pytest.importorskip("numpy")
    for data, expected in [(np.float64(1.5), 1.5), (np.float32(0.5), 0.5), (np.int64(7), 7.0),
                           (np.int8(-3), -3.0), (np.bool_(True), 1.0), (np.uint16(9), 9.0)]:
        v = Value(data)
        assert type(v.data) is float, type(data)
        assert v.data == expected


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("1.0", "str"), (None, "NoneType"), ([1.0], "list"), (1j, "complex"), ((1.0,), "tuple"),
     (Decimal("1.5"), "Decimal"), (b"1", "bytes")],
)
def test_non_numbers_raise_type_error_naming_the_type(data: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"Value: .*got {type_name}\b"):
        Value(data)


def test_a_value_of_a_value_is_refused_with_advice() -> None:
    with pytest.raises(TypeError, match=r"got a Value .*\.data"):
        Value(Value(1.0))


def test_an_int_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10**400)


def test_attributes_of_a_leaf_and_of_a_result() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0)
    assert (a.data, a.grad, a.label, a.op, a.parents, a.is_leaf, a.opdef) == (
        2.0, 0.0, "a", "", (), True, None)
    assert b.label == ""
    c = b * a
    assert (c.data, c.grad, c.label, c.op, c.is_leaf) == (-6.0, 0.0, "", "*", False)
    assert c.parents == (b, a)  # ordered: the left operand first
    assert c.opdef is ops.MUL
    assert (c._prev, c._op) == (c.parents, "*")
    assert (a._prev, a._op) == ((), "")
    c.label = "c"
    assert c.label == "c"


def test_values_take_attributes_of_their_own_and_make_a_dict_only_when_used() -> None:
    # Newer micrograd code keeps optimizer state and drawing hints on Values (p.m, p.v).
    v = Value(1.0)
    assert "__dict__" not in dir(type(v)) or v.__dict__ == {}
    v.m = 0.5
    v._vis_color = "red"
    assert (v.m, v._vis_color) == (0.5, "red")
    assert v.__dict__ == {"m": 0.5, "_vis_color": "red"}
    with pytest.raises(AttributeError):
        v.unset_attribute  # noqa: B018 - reading an attribute never set still fails


def test_repr_shows_data_grad_and_label() -> None:
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    v = Value(-1.5, label="w")
    v.grad = 0.25
    assert repr(v) == "Value(data=-1.5, grad=0.25, label='w')"


def test_float_and_format() -> None:
    v = Value(2.0 / 3.0, label="x")
    assert float(v) == 2.0 / 3.0
    assert format(v, ".3f") == "0.667"
    assert f"{v:.2e}" == "6.67e-01"
    assert f"{v:>8.2f}" == "    0.67"
    assert f"{v}" == str(v) == repr(v)  # an empty format spec is str(), as Python says


def test_int_truncates_the_data_as_it_does_a_tensor() -> None:
    # Without __int__, int() fell back to __trunc__, which gives a Value: a TypeError.
    assert int(Value(2.7)) == 2 and int(Value(-2.7)) == -2 and type(int(Value(3.0))) is int
    with pytest.raises(ValueError, match="NaN"):
        int(Value(math.nan))


def test_comparisons_compare_data() -> None:
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert not (a > b or a >= b or b < a or b <= a)
    assert a < 1.5 and 0.5 < a and a >= 1 and 1 <= a and a <= True  # noqa: SIM300
    assert Value(1.0) <= Value(1.0) and Value(1.0) >= Value(1.0)
    assert max([Value(3.0), Value(5.0), Value(4.0)]).data == 5.0
    assert [v.data for v in sorted([Value(3.0), Value(1.0), Value(2.0)])] == [1.0, 2.0, 3.0]


def test_comparing_with_a_non_number_raises() -> None:
    with pytest.raises(TypeError, match="str"):
        _ = Value(1.0) < "2"
    with pytest.raises(TypeError):
        _ = Value(1.0) > None  # type: ignore[operator]


def test_equality_and_hash_are_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a
    assert a != b
    assert a != 1.0
    assert len({a, b}) == 2
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert hash(a) == hash(a) and a in {a} and b not in {a}


def test_values_are_always_truthy_like_objects() -> None:
    # No __bool__: `if v:` is about the object, as in micrograd; compare .data instead.
    assert bool(Value(0.0))


# ------------------------------------------------------------------------------- operators

BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "-": (lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "*": (lambda a, b: a * b, lambda a, b: (b, a)),
    "/": (lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    "**": (lambda a, b: a**b, lambda a, b: (b * a ** (b - 1), a**b * math.log(a))),
}


def as_python(x: Any) -> float:
    return float(x.data if isinstance(x, Value) else x)


@pytest.mark.parametrize("symbol", list(BINARY))
@pytest.mark.parametrize(
    ("left", "right"),
    [("Value", "Value"), ("Value", "float"), ("float", "Value"), ("Value", "int"),
     ("int", "Value"), ("Value", "bool"), ("bool", "Value")],
)
def test_binary_operators_with_numbers_or_values_on_either_side(
    symbol: str, left: str, right: str
) -> None:
    function, slopes = BINARY[symbol]
    raw = {"Value": 1.5, "float": 2.5, "int": 3, "bool": True}
    make = {"Value": Value, "float": float, "int": int, "bool": bool}
    a = make[left](raw[left])
    b = make[right](raw[right])
    out = function(a, b)
    assert isinstance(out, Value)
    x, y = as_python(a), as_python(b)
    assert out.data == function(x, y)
    assert type(out.data) is float
    exponent_is_a_number = symbol == "**" and not isinstance(b, Value)
    assert out.op == (f"**{b!r}" if exponent_is_a_number and type(b) is not bool else
                      "**1" if exponent_is_a_number else symbol)
    out.backward()
    expected = slopes(x, y)
    for operand, slope in zip((a, b), expected):
        if isinstance(operand, Value):
            assert math.isclose(operand.grad, slope, rel_tol=1e-15), (symbol, operand, slope)


def test_numpy_scalars_on_either_side() -> None:
    np = pytest.importorskip("numpy")
    x = Value(2.0)
    for number in (np.float64(3.0), np.int64(3), np.float32(3.0)):
        for out in (x * number, number * x, x + number, number + x, number - x, number / x,
                    x**number, number**x):
            assert isinstance(out, Value), (type(number), out)
    assert (x ** np.int64(2)).op == "**2"
    assert (x ** np.float64(2)).op == "**2.0"


def test_unary_operators() -> None:
    x = Value(-2.0)
    assert +x is x
    n = -x
    assert (n.data, n.op, n.parents) == (2.0, "neg", (x,))
    a = abs(x)
    assert (a.data, a.op, a.parents) == (2.0, "abs", (x,))
    (n + a).backward()
    assert x.grad == -2.0


@pytest.mark.parametrize(
    ("exponent", "name"), [(2, "**2"), (2.0, "**2.0"), (-1, "**-1"), (0.5, "**0.5"), (True, "**1")]
)
def test_power_by_a_number_names_the_op_after_the_exponent(exponent: Any, name: str) -> None:
    out = Value(4.0) ** exponent
    assert out.op == name
    assert out.data == 4.0 ** float(exponent)


def test_power_with_a_value_exponent_differentiates_both_sides() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a**b
    assert (out.op, out.parents) == ("**", (a, b))
    out.backward()
    assert (out.data, a.grad) == (8.0, 12.0)
    assert math.isclose(b.grad, 8.0 * math.log(2.0), rel_tol=1e-15)
    c = Value(3.0)
    out = 2 ** c  # a number base, Value exponent
    out.backward()
    assert (out.op, out.data) == ("**", 8.0)
    assert math.isclose(c.grad, 8.0 * math.log(2.0), rel_tol=1e-15)


FUNCTIONS = {
    "exp": (math.exp, 0.7),
    "log": (math.log, 0.7),
    "tanh": (math.tanh, 0.7),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)), 0.7),
    "relu": (lambda x: max(0.0, x), -0.7),
    "sqrt": (math.sqrt, 0.7),
    "sin": (math.sin, 0.7),
    "cos": (math.cos, 0.7),
    "abs": (math.fabs, -0.7),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_functions_take_a_float_or_a_value(name: str) -> None:
    reference, x = FUNCTIONS[name]
    function = getattr(autograd_mini, name)
    result = function(x)
    assert type(result) is float
    assert math.isclose(result, reference(x), rel_tol=1e-15)
    assert type(function(1)) is float  # an int in, a float out
    v = Value(x)
    out = function(v)
    assert isinstance(out, Value)
    assert (out.op, out.parents, out.data) == (name, (v,), result)
    method = abs(v) if name == "abs" else getattr(v, name)()
    assert (method.op, method.data) == (name, result)
    with pytest.raises(TypeError, match=rf"{name}: .*str"):
        function("0.5")


def test_every_unary_builtin_op_is_a_function_and_a_method() -> None:
    for name, op in ops.OPS.items():
        if op.builtin and op.arity == 1 and name != "neg":
            assert getattr(autograd_mini, name).__name__ == name
            assert name == "abs" or callable(getattr(Value, name))


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log: input 0\.0 is outside the domain"),
        (lambda: Value(-1.0).log(), ValueError, r"log: input -1\.0"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt: input -1\.0 is outside the domain"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"\*\*0\.333.*negative base -8\.0"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"\*\*: base -8\.0 with the Value exponent 0\.5"),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, r"\*\*: base -2\.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"/: division by zero \(1\.0 / 0\.0\)"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"/: division by zero \(1\.0 / 0\.0\)"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"\*\*-1: 0\.0 to the negative power -1"),
        (lambda: Value(0.0) ** Value(-1.0), ZeroDivisionError, r"\*\*: 0\.0 to the negative power -1\.0"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp: result overflows a float at input 1000\.0"),
        (lambda: Value(10.0) ** 400, OverflowError, r"\*\*400: result overflows"),
        (lambda: autograd_mini.log(0.0), ValueError, r"log: input 0\.0"),
        (lambda: autograd_mini.sqrt(-4), ValueError, r"sqrt: input -4\.0"),
    ],
)
def test_out_of_domain_input_raises_naming_op_and_value(make: Any, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize("other", ["a", None, [1.0], 1j, (1,), {"x": 1}])
@pytest.mark.parametrize("symbol", ["+", "-", "*", "/", "**"])
def test_non_numbers_in_arithmetic_raise_type_error(other: Any, symbol: str) -> None:
    function = BINARY[symbol][0]
    with pytest.raises(TypeError, match=type(other).__name__):
        function(Value(2.0), other)
    with pytest.raises(TypeError):
        function(other, Value(2.0))


def test_reflected_error_names_the_op_and_the_value() -> None:
    with pytest.raises(TypeError, match=r"^\+: cannot combine a Value with NoneType None"):
        _ = None + Value(1.0)  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"^\*\*: cannot combine a Value with complex 1j"):
        _ = 1j ** Value(1.0)


def test_an_unknown_type_may_handle_the_operation_itself() -> None:
    class Handles:
        def __radd__(self, other: Any) -> str:
            return "handled"

        def __rpow__(self, other: Any) -> str:
            return "handled"

    assert Value(1.0) + Handles() == "handled"
    assert Value(1.0) ** Handles() == "handled"


def test_a_failed_backward_leaves_every_grad_as_it_was() -> None:
    w = Value(2.0, label="w")
    x = Value(0.0, label="x")
    ok = w * w
    ok.backward()  # a first, successful pass: interior and leaf grads are set
    y = w * x.sqrt() + ok
    nodes = all_nodes(y)
    x.grad = 7.0
    before = grads_of(nodes)
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt at input 0\.0: .*not finite"):
        y.backward()
    assert grads_of(nodes) == before
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        y.backward(create_graph=True)
    assert grads_of(nodes) == before
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        gradients(y)
    assert grads_of(nodes) == before


def test_power_by_a_half_at_zero_fails_in_backward_not_forward() -> None:
    x = Value(0.0)
    y = x**0.5
    assert y.data == 0.0
    with pytest.raises(ZeroDivisionError, match=r"backward through \*\*0\.5 at input 0\.0"):
        y.backward()
    assert x.grad == 0.0


def test_a_rule_returning_nonsense_is_reported_by_op_name() -> None:
    bad = primitive("bad_rule_test", lambda x: 2 * x, lambda x: None)
    try:
        x = Value(1.0)
        y = bad(x) * 3
        with pytest.raises(TypeError, match=r"backward through bad_rule_test at input 1\.0"):
            y.backward()
        assert (x.grad, y.grad) == (0.0, 0.0)
    finally:
        ops.unregister("bad_rule_test")


# -------------------------------------------------------------------------------- backward


def test_backward_micrograd_readme_example() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert math.isclose(g.data, 24.70408163265306, rel_tol=1e-14)
    assert math.isclose(a.grad, 138.83381924198252, rel_tol=1e-14)
    assert math.isclose(b.grad, 645.5772594752186, rel_tol=1e-14)


def test_backward_of_a_leaf_seeds_and_accumulates() -> None:
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_twice_doubles_leaf_grads_and_keeps_interior_grads() -> None:
    a, b = Value(1.5), Value(-0.5)
    h = (a * b).tanh()
    y = h * a + b.exp()
    y.backward()
    nodes = all_nodes(y)
    first = {n: n.grad for n in nodes}
    y.backward()
    for n in nodes:
        expected = 2 * first[n] if n.is_leaf else first[n]
        assert n.grad == expected, n
    assert y.grad == 1.0


def test_million_node_chain() -> None:
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = -y
    assert y.data == 1.0
    limit = sys.getrecursionlimit()
    y.backward()
    assert x.grad == 1.0
    assert sys.getrecursionlimit() == limit
    del y  # freeing a million-deep chain must not crash either


def test_a_node_used_a_hundred_thousand_times() -> None:
    x = Value(0.5)
    total = sum((x for _ in range(100_000)), Value(0.0))
    assert len(total.parents) == 2
    total.backward()
    assert x.grad == 100_000.0
    wide = Value(0.0)
    for _ in range(100_000):
        wide = wide + x * x
    wide.backward()
    assert x.grad == 100_000.0 + 100_000.0


def test_bit_identical_across_processes_and_hash_seeds(tmp_path: Any) -> None:
    program = textwrap.dedent(
        """
        import random
        from autograd_mini import Value
        random.seed(7)
        leaves = [Value(random.uniform(-1, 1), label=f"x{i}") for i in range(12)]
        pool = list(leaves)
        for step in range(400):
            a, b = random.choice(pool), random.choice(pool)
            kind = random.randrange(6)
            if kind == 0:
                c = a * b
            elif kind == 1:
                c = a + b
            elif kind == 2:
                c = (a - b).tanh()
            elif kind == 3:
                c = a.sigmoid() * b
            elif kind == 4:
                c = (a * a + 1.0).log() - b
            else:
                c = abs(a) ** 1.5 + b.sin()
            pool.append(c)
            if len(pool) > 40:
                pool.pop(random.randrange(12, len(pool) - 1))
        out = sum(pool[12:], Value(0.0))
        out.backward()
        print(repr(out.data))
        for leaf in leaves:
            print(repr(leaf.grad))
        """
    )
    script = tmp_path / "program.py"
    script.write_text(program)
    outputs = set()
    for seed in ("0", "12345", "random"):
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""}, timeout=120,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert len(outputs.pop().split()) == 13


def test_no_reference_cycles_graph_freed_without_the_collector() -> None:
    softplus = primitive("softplus_gc_test", lambda x: math.log1p(math.exp(x)), autograd_mini.sigmoid)
    gc.collect()
    gc.disable()
    try:
        x = Value(0.3)
        w = Value(-1.2)
        hidden = (x * w + 1.0).tanh()
        y = softplus(hidden) ** 2 + (hidden / 2).exp() + x ** Value(1.5) + abs(w).sqrt()
        probe = weakref.ref(hidden)
        leaf_probe = weakref.ref(x)
        y.backward()
        gradients(y)
        autograd_mini.grad(lambda v: (v * w).sin())(x)
        del hidden, y
        assert probe() is None
        del x
        assert leaf_probe() is None
    finally:
        gc.enable()
        ops.unregister("softplus_gc_test")


def test_no_reference_cycles_from_nested_grad() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(0.7)
        probe = weakref.ref(x)
        f = autograd_mini.grad(autograd_mini.grad(autograd_mini.grad(lambda v: v.tanh() * v)))
        third = f(x)
        assert isinstance(third, Value)
        del third, x
        assert probe() is None
    finally:
        gc.enable()


# ---------------------------------------------------------------------------- create_graph


def test_create_graph_gives_differentiable_grads() -> None:
    x = Value(2.0)
    y = x**3 + x * 5.0
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value) and first.data == 3 * 4.0 + 5.0
    x.grad = 0.0
    first.backward(create_graph=True)
    second = x.grad
    assert isinstance(second, Value) and second.data == 6 * 2.0
    x.grad = 0.0
    second.backward()
    assert x.grad == 6.0


def test_create_graph_makes_every_grad_a_value_even_constant_ones() -> None:
    x = Value(2.0)
    y = x + 1.0
    y.backward(create_graph=True)
    for node in (x, y):
        assert isinstance(node.grad, Value) and node.grad.data == 1.0


def test_create_graph_grads_are_fresh_values_never_graph_nodes_or_shared() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    z = (a + b) * c
    z.backward(create_graph=True)
    nodes = all_nodes(z)
    grads = [n.grad for n in nodes]
    assert all(isinstance(g, Value) for g in grads)
    assert len({id(g) for g in grads}) == len(grads)  # no two nodes share a gradient
    assert not any(g is n for g in grads for n in nodes)  # d z/d a is not c itself
    assert (a.grad.data, b.grad.data, c.grad.data) == (3.0, 3.0, 3.0)
    c.data = 10.0  # an optimizer step on c must not change a's recorded gradient
    assert a.grad.data == 3.0


def test_create_graph_grads_accumulate_on_leaves() -> None:
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0


def test_create_graph_third_derivative_of_tanh() -> None:
    x0 = 0.4
    x = Value(x0)
    x.tanh().backward(create_graph=True)
    g1 = x.grad
    x.grad = 0.0
    g1.backward(create_graph=True)
    g2 = x.grad
    x.grad = 0.0
    g2.backward()
    t = math.tanh(x0)
    assert math.isclose(g1.data, 1 - t * t, rel_tol=1e-15)
    assert math.isclose(g2.data, -2 * t * (1 - t * t), rel_tol=1e-14)
    assert math.isclose(x.grad, -2 * (1 - t * t) * (1 - 3 * t * t), rel_tol=1e-13)


# --------------------------------------------------------------------------------- no_grad


def test_no_grad_as_a_context_manager() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + x.exp()
    assert is_grad_enabled()
    assert y.is_leaf and y.parents == () and y.op == ""
    assert math.isclose(y.data, 6 + math.exp(2.0))
    z = x * 3
    assert z.parents[0] is x


def test_no_grad_restores_the_mode_after_an_exception() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()
    assert (Value(1.0) * 2).parents != ()


def test_no_grad_nested_and_enable_grad_inside() -> None:
    x = Value(1.0)
    shared = no_grad()
    with shared:
        with shared:
            assert not is_grad_enabled()
            with enable_grad():
                assert is_grad_enabled()
                assert (x * 2).parents[0] is x
            assert not is_grad_enabled()
            assert (x * 2).is_leaf
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_as_a_decorator() -> None:
    @no_grad()
    def evaluate(v: Value) -> Value:
        assert not is_grad_enabled()
        return v * v

    assert evaluate.__name__ == "evaluate"
    result = evaluate(Value(3.0))
    assert result.is_leaf and result.data == 9.0
    assert is_grad_enabled()

    @enable_grad()
    def train(v: Value) -> Value:
        return v * v

    with no_grad():
        assert not train(Value(3.0)).is_leaf


def test_no_grad_decorating_a_generator_applies_only_inside_it() -> None:
    @no_grad()
    def squares(v: Value) -> Any:
        for k in range(3):
            received = yield v * k
            assert not is_grad_enabled()
            assert received == k

    gen = squares(Value(2.0))
    first = next(gen)
    assert first.is_leaf
    assert is_grad_enabled()  # the caller records while the generator is paused
    assert not (Value(1.0) * 2).is_leaf
    assert gen.send(0).is_leaf
    assert gen.send(1).data == 4.0
    with pytest.raises(StopIteration):
        gen.send(2)
    assert is_grad_enabled()


def test_no_grad_generator_close_and_throw_reach_the_generator() -> None:
    events: list[str] = []

    @no_grad()
    def counting() -> Any:
        try:
            while True:
                try:
                    yield is_grad_enabled()
                except KeyError:
                    events.append(f"caught, grad {is_grad_enabled()}")
        finally:
            events.append(f"closed, grad {is_grad_enabled()}")

    gen = counting()
    assert next(gen) is False
    assert gen.throw(KeyError("k")) is False
    gen.close()
    assert events == ["caught, grad False", "closed, grad False"]
    assert is_grad_enabled()


def test_no_grad_decorating_a_coroutine() -> None:
    @no_grad()
    async def evaluate(v: Value) -> Value:
        await asyncio.sleep(0)
        return v * v

    result = asyncio.run(evaluate(Value(3.0)))
    assert result.is_leaf and result.data == 9.0
    assert is_grad_enabled()


def test_no_grad_refuses_async_generators() -> None:
    async def stream() -> Any:
        yield 1

    with pytest.raises(TypeError, match="async generator"):
        no_grad()(stream)


def test_no_grad_is_per_thread() -> None:
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, Any] = {}

    def worker() -> None:
        with no_grad():
            seen["worker_start"] = (Value(1.0) * 2).is_leaf
            inside.set()
            release.wait(10)
            seen["worker_end"] = (Value(1.0) * 2).is_leaf

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(10)
        # The worker is inside no_grad right now; this thread still records.
        assert is_grad_enabled()
        seen["main"] = (Value(1.0) * 2).is_leaf
    finally:
        release.set()
        thread.join(10)
    assert seen == {"worker_start": True, "worker_end": True, "main": False}


def test_no_grad_is_per_async_task() -> None:
    async def main() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        entered = asyncio.Event()
        go_on = asyncio.Event()

        async def quiet() -> None:
            with no_grad():
                entered.set()
                await go_on.wait()
                seen["quiet"] = (is_grad_enabled(), (Value(1.0) * 2).is_leaf)

        async def loud() -> None:
            await entered.wait()
            seen["loud"] = (is_grad_enabled(), (Value(1.0) * 2).is_leaf)
            go_on.set()

        await asyncio.gather(quiet(), loud())
        return seen

    assert asyncio.run(main()) == {"quiet": (False, True), "loud": (True, False)}


def test_a_task_created_inside_no_grad_keeps_it_and_agrees_with_is_grad_enabled() -> None:
    async def work() -> tuple[bool, bool]:
        await asyncio.sleep(0)
        return is_grad_enabled(), (Value(1.0) * 2).is_leaf

    async def main() -> tuple[Any, Any]:
        with no_grad():
            task = asyncio.create_task(work())
        # The block is over here; the task still runs in the context it was created with.
        return await task, (is_grad_enabled(), (Value(1.0) * 2).is_leaf)

    inner, outer = asyncio.run(main())
    assert inner == (False, True)
    assert outer == (True, False)


def test_the_fast_path_sees_no_disabled_mode_once_all_blocks_are_gone() -> None:
    with no_grad(), no_grad():
        assert engine._disabled_modes
    gc.collect()
    assert not engine._disabled_modes


def test_detach() -> None:
    x = Value(2.0, label="x")
    y = x * x
    d = y.detach()
    assert (d.data, d.is_leaf, d.parents, d.grad) == (4.0, True, (), 0.0)
    z = d * x
    z.backward()
    assert x.grad == 4.0  # only through z's direct use of x, not through d
    assert y.grad == 0.0
    assert x.detach().label == "x"
    assert detach(1.5) == 1.5
    assert detach(x).data == 2.0 and detach(x) is not x


# ----------------------------------------------------------------------------------- numpy


def test_numpy_object_arrays_of_values() -> None:
    np = pytest.importorskip("numpy")
    a = np.array([Value(1.0), Value(2.0), Value(-0.5)], dtype=object)
    b = np.array([Value(3.0), Value(4.0), Value(2.0)], dtype=object)
    dot = np.dot(a, b)
    assert isinstance(dot, Value) and dot.data == 3.0 + 8.0 - 1.0
    total = np.sum(np.tanh(a) * np.exp(b))
    assert isinstance(total, Value)
    expected = sum(math.tanh(x) * math.exp(y) for x, y in zip((1.0, 2.0, -0.5), (3.0, 4.0, 2.0)))
    assert math.isclose(total.data, expected, rel_tol=1e-14)
    (dot + total).backward()
    for v, x, y in zip(a, (1.0, 2.0, -0.5), (3.0, 4.0, 2.0)):
        assert math.isclose(v.grad, y + (1 - math.tanh(x) ** 2) * math.exp(y), rel_tol=1e-14)
    tanh_array = np.tanh(a)
    assert [v.op for v in tanh_array] == ["tanh"] * 3
    scaled = a * np.array([2.0, 3.0, 4.0])
    assert [v.data for v in scaled] == [2.0, 6.0, -2.0]
    # One Value with a float array: the Value defers, numpy broadcasts.
    broadcast = Value(2.0) * np.array([1.0, 3.0])
    assert [v.data for v in broadcast] == [2.0, 6.0]
    assert list(Value(1.0) < np.array([0.5, 2.0])) == [False, True]
    assert [v.op for v in np.abs(a)] == ["abs"] * 3
    assert [v.op for v in np.sqrt(b)] == ["sqrt"] * 3


# ------------------------------------------------------------------------------ primitives


@pytest.fixture
def softplus() -> Any:
    op = primitive(
        "softplus_test", lambda x: math.log1p(math.exp(x)), autograd_mini.sigmoid,
        formulas=("sigmoid(x)",),
    )
    yield op
    if "softplus_test" in ops.OPS:
        ops.unregister("softplus_test")


def test_primitive_on_floats_and_values(softplus: Any) -> None:
    assert "softplus_test" in ops.OPS and not ops.OPS["softplus_test"].builtin
    assert softplus.op is ops.OPS["softplus_test"]
    assert type(softplus(0.0)) is float and softplus(0.0) == math.log(2.0)
    x = Value(0.0)
    y = softplus(x)
    assert (y.op, y.parents) == ("softplus_test", (x,))
    y.backward()
    assert x.grad == 0.5
    assert ops.OPS["softplus_test"].derivative_text(0) == "d(softplus_test(x))/dx = sigmoid(x)"


def test_primitive_higher_derivatives(softplus: Any) -> None:
    from autograd_mini import grad

    for x in (-1.3, 0.0, 0.8):
        s = 1 / (1 + math.exp(-x))
        assert math.isclose(grad(softplus)(x), s, rel_tol=1e-15)
        assert math.isclose(grad(grad(softplus))(x), s * (1 - s), rel_tol=1e-13)
        assert math.isclose(grad(grad(grad(softplus)))(x), s * (1 - s) * (1 - 2 * s),
                            rel_tol=1e-12, abs_tol=1e-15)


def test_primitive_with_two_inputs() -> None:
    hypot = primitive(
        "hypot_test", math.hypot,
        lambda a, b: a / autograd_mini.sqrt(a * a + b * b),
        lambda a, b: b / autograd_mini.sqrt(a * a + b * b),
    )
    try:
        a, b = Value(3.0), Value(4.0)
        out = hypot(a, b)
        out.backward()
        assert (out.data, a.grad, b.grad) == (5.0, 0.6, 0.8)
        assert hypot(3, 4.0) == 5.0
        with pytest.raises(TypeError, match="takes 2 input"):
            hypot(1.0)
        mixed = autograd_mini.grad(autograd_mini.grad(hypot, argnums=0), argnums=1)(3.0, 4.0)
        assert math.isclose(mixed, -3.0 * 4.0 / 125.0, rel_tol=1e-14)
    finally:
        ops.unregister("hypot_test")


def test_primitive_unregister_and_duplicate_names(softplus: Any) -> None:
    with pytest.raises(ValueError, match="already in the op table"):
        primitive("exp", math.exp, math.exp)
    with pytest.raises(ValueError, match="identifier"):
        primitive("soft plus", math.exp, math.exp)
    with pytest.raises(ValueError, match="partial"):
        primitive("no_partials_test", math.exp)
    with pytest.raises(TypeError, match="callable"):
        primitive("not_callable_test", math.exp, 1.0)  # type: ignore[arg-type]
    x = Value(1.0)
    y = softplus(x)
    ops.unregister("softplus_test")
    assert "softplus_test" not in ops.OPS
    y.backward()  # Values made before still differentiate: they hold the op itself
    assert math.isclose(x.grad, 1 / (1 + math.exp(-1.0)), rel_tol=1e-15)
    again = primitive("softplus_test", lambda v: math.log1p(math.exp(v)), autograd_mini.sigmoid)
    assert again.op is ops.OPS["softplus_test"]


def test_primitive_forward_must_return_a_real_number() -> None:
    as_int = primitive("as_int_test", lambda x: int(x), lambda x: 0.0)
    to_complex = primitive("to_complex_test", lambda x: complex(x, 1), lambda x: 1.0)
    try:
        out = as_int(Value(2.7))
        assert type(out.data) is float and out.data == 2.0
        with pytest.raises(TypeError, match=r"primitive 'to_complex_test': forward returned complex"):
            to_complex(Value(1.0))
    finally:
        ops.unregister("as_int_test")
        ops.unregister("to_complex_test")


def test_primitive_whose_forward_takes_another_number_of_inputs_is_refused_when_defined() -> None:
    # The partials count the inputs: one partial for a two-input forward used to be taken,
    # and failed only at the first call, as "takes 1 input(s), got 2".
    with pytest.raises(TypeError, match=r"'pm_test': forward takes \(x, y\) but 1 partial was given"):
        primitive("pm_test", lambda x, y: x * y, lambda x, y: y)
    with pytest.raises(TypeError, match=r"'pm_test': partial 1 takes \(x\) but 2 partials"):
        primitive("pm_test", lambda x, y: x * y, lambda x, y: y, lambda x: x)
    assert "pm_test" not in ops.OPS
    arctan = primitive("pm_test", math.atan2, lambda y, x: x / (x * x + y * y),
                      lambda y, x: -y / (x * x + y * y))  # a built-in forward is fine
    try:
        assert arctan(Value(1.0), 2.0).data == math.atan2(1.0, 2.0)
    finally:
        ops.unregister("pm_test")


def test_primitive_domain_check_runs_before_forward() -> None:
    def check(x: float) -> None:
        if x < 0:
            raise ValueError(f"safe_log_test: input {x!r} is negative")

    safe_log = primitive("safe_log_test", math.log, lambda x: 1 / x, check=check)
    try:
        with pytest.raises(ValueError, match=r"safe_log_test: input -1\.0 is negative"):
            safe_log(Value(-1.0))
        with pytest.raises(ValueError, match=r"safe_log_test: undefined at input 0\.0"):
            safe_log(0.0)  # the check passes; math.log raises, reported by op name
    finally:
        ops.unregister("safe_log_test")


def test_apply_with_a_non_number() -> None:
    with pytest.raises(TypeError, match=r"\*: cannot apply to str"):
        engine.apply(ops.MUL, Value(1.0), "x")
    with pytest.raises(TypeError, match=r"\*: expected a real number"):
        engine.apply(ops.MUL, 1.0, "x")


def test_gradients_and_backward_agree_bit_for_bit() -> None:
    # backward() accumulates in .grad, gradients() in a dict: the same rules in the same
    # order, so on a fresh graph every node's gradient has the same bits.
    import random as _random

    from autograd_mini import functions
    from autograd_mini.engine import gradients

    rng = _random.Random(7)
    unary = [functions.tanh, functions.sin, functions.exp, functions.sigmoid, functions.relu]
    for _ in range(20):
        nodes = [Value(rng.uniform(-1.0, 1.0)) for _ in range(4)]
        for _ in range(40):
            a, b = rng.choice(nodes), rng.choice(nodes)
            kind = rng.randrange(4)
            if kind == 0:
                nodes.append(a * b)
            elif kind == 1:
                nodes.append(a + b)
            elif kind == 2:
                nodes.append(a - b * 0.5)
            else:
                nodes.append(rng.choice(unary)(a))
        root = sum(nodes[-10:], Value(0.0))
        expected = gradients(root)
        root.backward()
        assert {v: v.grad for v in expected} == expected
        assert all(v.grad.hex() == g.hex() for v, g in expected.items())


def test_backwards_marked_sort_is_the_general_topological_order() -> None:
    # fastpath.start_backward marks visited nodes in their .grad instead of a set: the
    # order must be graph.topological_order's, and the pass must start as documented.
    import operator
    import random as _random

    from autograd_mini import fastpath
    from autograd_mini.primitives import primitive

    # Every shape the walk tells apart: one, two and three inputs, a repeated input
    # (a * a), hand-written nodes, and interior nodes given gradients by an earlier pass.
    mad = primitive("mad_sort_test", "x0 * x1 + x2", "x1", "x0", "1")
    try:
        rng = _random.Random(3)
        for _ in range(60):
            nodes = [Value(rng.uniform(-1, 1)) for _ in range(3)]
            for leaf in nodes:
                leaf.grad = rng.uniform(-1, 1)
            for _ in range(25):
                a, b, c = rng.choice(nodes), rng.choice(nodes), rng.choice(nodes)
                nodes.append(rng.choice([
                    a * b, a + b, a - b, a.tanh(), a.relu(), a * a, mad(a, b, c),
                    Value(a.data, (a,), "hand1"), Value(a.data + c.data, (a, c, b), "hand3"),
                    _cut(Value(a.data, (a, b), "hand0")),
                ]))
            for node in rng.sample(nodes, 5):
                node.grad = rng.uniform(-1, 1)
            root = nodes[-1]
            before = {v: v.grad for v in nodes}
            leaves_before = {v: g for v, g in before.items() if v.is_leaf}
            expected = topological_order(root, operator.attrgetter("parents"))
            order, saved = fastpath.start_backward(root)
            assert order == expected
            assert saved[0] == list(dict.fromkeys(saved[0])) and set(saved[0]) == set(order)
            assert all(g is before[v] for v, g in zip(*saved))
            for v in order:
                if v is not root:
                    assert v.grad == (leaves_before[v] if v.is_leaf else 0.0)
            fastpath.restore_gradients(saved)
            assert all(v.grad is before[v] for v in order)
    finally:
        ops.unregister("mad_sort_test")


def _cut(node: Value) -> Value:
    node._prev = set()  # micrograd's way of stopping backward here: a node with no inputs
    return node


def test_a_sort_that_fails_part_way_leaves_every_gradient_as_it_was() -> None:
    # The walk marks nodes in their .grad; if it stops (here a broken input slot, in real
    # life a KeyboardInterrupt), the marks must not stay behind.
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    broken = x * y
    root = broken + z
    for node, g in ((x, 0.5), (y, -1.5), (z, 2.5), (broken, 7.0), (root, 9.0)):
        node.grad = g
    broken._b = object()  # no .grad: the walk fails when it reaches this input
    with pytest.raises(AttributeError):
        root.backward()
    assert [v.grad for v in (x, y, z, broken, root)] == [0.5, -1.5, 2.5, 7.0, 9.0]

    class Interrupting:  # Ctrl-C as the walk reads an input's gradient
        parents = ()

        @property
        def grad(self) -> float:
            raise KeyboardInterrupt

    broken._b = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        root.backward()
    assert [v.grad for v in (x, y, z, broken, root)] == [0.5, -1.5, 2.5, 7.0, 9.0]


@pytest.mark.parametrize("op", ["+", "*"])
def test_the_written_out_operators_record_what_their_rows_record(op: str) -> None:
    # Value.__add__ and __mul__ skip _binary for two Values; apply() is the general way.
    # Both must give the same node: data bits, op, inputs, a fresh gradient, and a leaf
    # under no_grad.
    from autograd_mini import engine, ops

    row = ops.OPS[op]
    a, b = Value(0.1), Value(0.7)
    fast = a + b if op == "+" else a * b
    general = engine.apply(row, a, b)
    assert fast.data.hex() == general.data.hex()
    assert (fast.opdef, fast.parents, fast.grad) == (row, (a, b), 0.0)
    with autograd_mini.no_grad():
        off = a + b if op == "+" else a * b
    assert off.is_leaf and off.data == fast.data


def _structure(root: Value) -> list[tuple[str, str, list[int]]]:
    order = topological_order(root, operator.attrgetter("parents"))
    index = {node: i for i, node in enumerate(order)}
    return [(node.op, node.data.hex(), [index[p] for p in node.parents]) for node in order]


class _Tagged(Value):
    """A Value subclass: weighted_sum must leave its pairs to the operators."""


def test_weighted_sum_makes_the_nodes_sum_of_products_makes() -> None:
    # fastpath.weighted_sum makes each node itself; it must be sum(map(mul, w, x), b) to
    # the bit: the same nodes in the same order, the same gradients after backward.
    import random as _random

    rng = _random.Random(7)
    kinds = [Value, float, int, _Tagged]
    for trial in range(200):
        n = rng.randrange(0, 6)
        weight_kinds = [Value, float, _Tagged] if trial % 3 else [Value]
        weights = [rng.choice(weight_kinds)(rng.uniform(-2, 2)) for _ in range(n)]
        inputs = [rng.choice(kinds)(rng.randint(-3, 3) if rng.random() < 0.2 else
                                    rng.uniform(-2, 2)) for _ in range(n + rng.randrange(2))]
        bias = Value(rng.uniform(-1, 1))
        fast = engine.weighted_sum(weights, inputs, bias)
        general = sum(map(operator.mul, weights, inputs), bias)
        assert _structure(fast) == _structure(general), (weights, inputs)
        fast.backward()
        fast_grads = [v.grad.hex() for v in (bias, *weights) if isinstance(v, Value)]
        for v in (bias, *weights, *inputs):
            if isinstance(v, Value):
                v.grad = 0.0
        general.backward()
        assert fast_grads == [v.grad.hex() for v in (bias, *weights) if isinstance(v, Value)]


def test_a_neuron_and_reflected_operators_use_a_replaced_value_mul_or_add(monkeypatch: pytest.MonkeyPatch) -> None:
    # Exercises replace Value's operators (Value.__mul__ = my_mul) and expect the neurons
    # built on them to use the new ones, as micrograd's Neuron does through w * x.
    from autograd_mini.nn import Neuron

    calls: list[str] = []
    original_mul, original_add = Value.__mul__, Value.__add__

    def counted_mul(self: Value, other: object) -> Value:
        calls.append("*")
        return original_mul(self, other)

    def counted_add(self: Value, other: object) -> Value:
        calls.append("+")
        return original_add(self, other)

    neuron = Neuron(3, seed=0)
    expected = neuron([1.0, 2.0, 3.0]).data
    monkeypatch.setattr(Value, "__mul__", counted_mul)
    assert neuron([Value(1.0), Value(2.0), Value(3.0)]).data == expected
    assert calls.count("*") == 3
    assert (2 * Value(3.0)).data == 6.0 and calls.count("*") == 4  # 2 * x is x * 2 there
    monkeypatch.setattr(Value, "__mul__", original_mul)
    monkeypatch.setattr(Value, "__add__", counted_add)
    calls.clear()
    assert neuron([Value(1.0), Value(2.0), Value(3.0)]).data == expected
    assert calls.count("+") == 3
    assert sum([Value(1.0), Value(2.0)]).data == 3.0  # 0 + x, then x + y
    assert (1 + Value(2.0)).data == 3.0 and calls.count("+") == 6


def test_reflected_operators_follow_a_subclasss_own_mul_and_add() -> None:
    # micrograd's __rmul__ is self * other: 3 * s calls a subclass's __mul__ as s * 3 does.
    seen: list[str] = []

    class Logged(Value):
        def __mul__(self, other: object) -> Value:
            seen.append("*")
            return super().__mul__(other)

        def __add__(self, other: object) -> Value:
            seen.append("+")
            return super().__add__(other)

    s = Logged(2.0)
    assert (3 * s).data == 6.0 and (1 + s).data == 3.0
    assert seen == ["*", "+"]
    plain = Value(2.0)
    assert (3 * plain).parents[1] is plain  # the written operators record 3 * x as before


def test_weighted_sum_outside_recording_is_the_operators() -> None:
    w, x, b = [Value(2.0), Value(3.0)], [Value(0.5), Value(-1.0)], Value(0.25)
    with autograd_mini.no_grad():
        assert engine.weighted_sum(w, x, b).is_leaf
    assert engine.weighted_sum([2.0, 3.0], [0.5, -1.0], 0.25) == -1.75  # floats: a float
    compiled = autograd_mini.compiled.compile(lambda *v: engine.weighted_sum(v[:2], v[2:], b))
    assert compiled(2.0, 3.0, 0.5, -1.0)[0] == -1.75  # traced through the operators
