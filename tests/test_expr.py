"""The safe expression parser: what it accepts, what it refuses, and fuzzing both."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autograd_mini import Value, ops, primitive
from autograd_mini.expr import (
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NESTING,
    Expression,
    ExpressionError,
    functions,
    parse,
)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# ------------------------------------------------------------------------- accepting


def test_variables_in_order_of_first_appearance() -> None:
    f = parse("b * a + tanh(c) - a * b")
    assert f.variables == ("b", "a", "c")
    assert f.n_inputs == 3


def test_float_in_float_out_and_keywords() -> None:
    f = parse("x ** 2 + 3 * x - 1 / y")
    assert f(2.0, 4.0) == pytest.approx(4 + 6 - 0.25)
    assert f(y=4.0, x=2.0) == f(2.0, 4.0)
    assert isinstance(f(2.0, 4.0), float)


def test_value_in_value_out_with_correct_gradients() -> None:
    f = parse("tanh(x*w + b)")
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    out = f(x, w, b)
    assert isinstance(out, Value)
    out.backward()
    slope = 1 - out.data**2
    assert out.data == pytest.approx(math.tanh(2 * -3 + 6.8813735870195432))
    assert (x.grad, w.grad, b.grad) == pytest.approx((slope * -3.0, slope * 2.0, slope))


def test_every_function_of_the_op_table_is_callable_by_name() -> None:
    names = functions()
    for name in ("abs", "cos", "exp", "log", "relu", "sigmoid", "sin", "sqrt", "tanh"):
        assert name in names
        f = parse(f"{name}(x)")
        assert f(0.7) == pytest.approx(getattr(math, name, None)(0.7) if hasattr(math, name)
                                       else ops.OPS[name].forward(0.7))
    # operators are not functions
    assert "+" not in names and "neg" not in names


def test_user_primitive_is_recognised_with_its_arity() -> None:
    hypot = primitive("hypot_expr_test", math.hypot, lambda a, b: a / math.hypot(a, b),
                      lambda a, b: b / math.hypot(a, b))
    try:
        f = parse("hypot_expr_test(x, 4) * 2")
        assert f(3.0) == 10.0
        with pytest.raises(ExpressionError, match="takes 2 argument"):
            parse("hypot_expr_test(x)")
        assert hypot(3.0, 4.0) == 5.0
    finally:
        ops.unregister("hypot_expr_test")
    with pytest.raises(ExpressionError, match="unknown function 'hypot_expr_test'"):
        parse("hypot_expr_test(x, 4)")


@pytest.mark.parametrize(("text", "op_name", "canonical"), [
    ("leaky_relu(x, 0.2)", "leaky_relu(negative_slope=0.2)", "leaky_relu(x, negative_slope=0.2)"),
    ("leaky_relu(x, negative_slope=0.2)", "leaky_relu(negative_slope=0.2)",
     "leaky_relu(x, negative_slope=0.2)"),
    ("leaky_relu(x)", "leaky_relu", "leaky_relu(x)"),
    ("leaky_relu(x, 0.01)", "leaky_relu", "leaky_relu(x)"),  # the default is the plain op
    ("elu(x, alpha=2)", "elu(alpha=2.0)", "elu(x, alpha=2.0)"),
    ("gelu(x, approximate='tanh')", "gelu(approximate='tanh')", "gelu(x, approximate='tanh')"),
    ('gelu(x, approximate="none")', "gelu", "gelu(x)"),
    ("clamp(x, -1, 1)", "clamp(min=-1.0, max=1.0)", "clamp(x, min=-1.0, max=1.0)"),
    ("clamp(x, max=1)", "clamp(max=1.0)", "clamp(x, max=1.0)"),
    ("clamp(x, None, 1)", "clamp(max=1.0)", "clamp(x, max=1.0)"),
    ("clamp(x, min=-0.5)", "clamp(min=-0.5)", "clamp(x, min=-0.5)"),
])
def test_a_family_call_is_the_op_of_its_parameters(text: str, op_name: str, canonical: str) -> None:
    f = parse(text)
    assert [op.name for op in f.ops] == [op_name]
    assert str(f) == canonical and str(parse(canonical)) == canonical
    x = Value(-0.75)
    y = f(x)
    assert y.op == op_name and y.opdef is ops.lookup(op_name)
    assert f(-0.75) == y.data


def test_family_calls_nest_and_differentiate() -> None:
    f = parse("clamp(leaky_relu(x * w, 0.2) + atan2(w, x), max=0.5)")
    x, w = Value(-1.0), Value(0.5)
    out = f(x, w)
    out.backward()
    inner = -0.1 + math.atan2(0.5, -1.0)  # above max: clamped, so no gradient comes through
    assert inner > 0.5 and out.data == 0.5 and (x.grad, w.grad) == (0.0, 0.0)
    g = parse("leaky_relu(x * w, 0.2) + atan2(w, x)")
    x, w = Value(-1.0), Value(0.5)
    g(x, w).backward()
    r2 = 1.0 + 0.25
    assert (x.grad, w.grad) == pytest.approx((0.2 * 0.5 - 0.5 / r2, 0.2 * -1.0 + -1.0 / r2))


@pytest.mark.parametrize(("text", "message"), [
    ("leaky_relu(x, y)", "a parameter of leaky_relu(...) must be written out, as a number"),
    ("gelu(x, approximate=y)", "write gelu(x, approximate='none')"),
    ("leaky_relu(x, slope=0.2)", "unexpected keyword argument 'slope'"),
    ("leaky_relu(x, 0.1, 0.2)", "too many positional arguments"),
    ("leaky_relu()", "takes its input first"),
    ("leaky_relu(*x)", "takes its input first"),
    ("clamp(x)", "clamp: min and max are both None"),
    ("gelu(x, 'tanh')", "gelu: too many positional arguments"),
    ("gelu(x, approximate='erf')", "approximate must be 'none' or 'tanh'"),
    ("elu(x, alpha='1')", "elu: alpha must be a real number, got str"),
    ("exp(x, approximate='tanh')", "keyword arguments in exp(...) are not allowed"),
    ("exp('tanh')", "strings are not allowed"),
    ("leaky_relu", "'leaky_relu' is a function"),
])
def test_a_bad_family_call_is_refused_with_one_line(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_new_rows_are_functions_of_the_parser() -> None:
    assert parse("atan2(y, x) + hypot(x, y) - maximum(x, y)")(y=1.0, x=1.0) == pytest.approx(
        math.pi / 4 + math.sqrt(2.0) - 1.0)
    for name in ("tan", "asinh", "erf", "erfc", "expm1", "log1p", "softplus", "silu", "floor"):
        assert parse(f"{name}(x)")(0.3) == ops.OPS[name].forward(0.3)


def test_constant_exponent_uses_the_fixed_power_op_and_negative_bases_work() -> None:
    f = parse("x ** 3")
    x = Value(-2.0)
    y = f(x)
    assert y.op == "**3"
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)
    assert parse("x ** -1")(4.0) == 0.25
    assert parse("2 ** x")(3.0) == 8.0  # a variable exponent is the two-input power op


@pytest.mark.parametrize(
    ("text", "canonical", "op", "x", "value"),
    [
        ("x ** (1+1)", "x ** 2", "**2", -3.0, 9.0),  # was the Value-exponent op: base > 0 only
        ("x ** (2 * 1.5)", "x ** 3", "**3", -2.0, -8.0),
        ("x ** -(1+1)", "x ** -2", "**-2", -2.0, 0.25),
        ("x ** (0 - 1)", "x ** -1", "**-1", -4.0, -0.25),
        ("x ** (1/2)", "x ** 0.5", "**0.5", 9.0, 3.0),
        ("x ** (2 ** 3)", "x ** 8", "**8", -1.0, 1.0),
        ("x ** ((1 + 2) * -1)", "x ** -3", "**-3", -1.0, -1.0),
        ("x ** abs(-2)", "x ** 2", "**2", -3.0, 9.0),
    ],
)
def test_an_exponent_without_variables_is_the_fixed_power_op(
    text: str, canonical: str, op: str, x: float, value: float
) -> None:
    f = parse(text)
    assert str(f) == canonical and str(parse(canonical)) == canonical
    assert [o.name for o in f.ops] == [op]
    assert f(x) == value == eval(text, {"abs": abs}, {"x": x})  # test oracle only
    v = Value(x)
    out = f(v)
    assert out.op == op and out.parents == (v,)
    out.backward()
    k = float(op[2:])
    assert v.grad == pytest.approx(k * x ** (k - 1))


def test_an_exponent_that_cannot_be_evaluated_fails_at_evaluation_as_written() -> None:
    f = parse("x ** log(-1)")
    assert str(f) == "x ** log(-1)"
    with pytest.raises(ValueError, match=r"log: input -1\.0 is outside the domain"):
        f(2.0)


@pytest.mark.parametrize(
    ("text", "canonical", "point"),
    [
        ("2**(x**2)", "2 ** (x ** 2)", {"x": 3.0}),
        ("x ** (y ** 2)", "x ** (y ** 2)", {"x": 2.0, "y": 1.5}),
        ("x ** -(y ** 2)", "x ** (-y ** 2)", {"x": 2.0, "y": 1.5}),
        ("x ** (-y ** 2)", "x ** (-y ** 2)", {"x": 2.0, "y": 1.5}),
        ("x ** ((y) ** 2)", "x ** (y ** 2)", {"x": 2.0, "y": 1.5}),
        ("x ** (  # a comment\n y ** 2)", "x ** (y ** 2)", {"x": 2.0, "y": 1.5}),
        ("(x ** 2) ** 3", "(x ** 2) ** 3", {"x": -1.5}),
        ("2 ** (2 ** (2 ** 2))", "2 ** 16", {}),
    ],
)
def test_a_power_in_an_exponent_with_brackets_written_out_is_accepted(
    text: str, canonical: str, point: dict[str, float]
) -> None:
    f = parse(text)
    assert str(f) == canonical and str(parse(canonical)) == canonical
    assert f(**point) == pytest.approx(eval(text, {}, dict(point)), rel=1e-15)  # oracle only


def test_a_power_tower_in_an_exponent_gets_its_derivatives() -> None:
    from autograd_mini.check import gradcheck

    assert gradcheck(parse("2 ** (x ** 2)"), 1.3)
    assert gradcheck(parse("x ** (1 + 1) * y"), -3.0, 0.5)


def test_domain_errors_come_from_the_engine_at_evaluation() -> None:
    f = parse("log(x)")
    with pytest.raises(ValueError, match=r"log: input -1\.0 is outside the domain"):
        f(-1.0)
    with pytest.raises(ZeroDivisionError):
        parse("1 / x")(0.0)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("(x**2)**3", "(x ** 2) ** 3"),
        ("-x**2", "-x ** 2"),
        ("(-x)**2", "(-x) ** 2"),
        ("a-(b-c)", "a - (b - c)"),
        ("(a-b)-c", "a - b - c"),
        ("a/(b*c)", "a / (b * c)"),
        ("+x - -y", "x - -y"),
        ("-(x+y)", "-(x + y)"),
        ("(-2)**x", "(-2) ** x"),
        ("x*1e3", "x * 1000"),
        ("x + 0.5", "x + 0.5"),
    ],
)
def test_str_is_canonical_with_minimal_brackets(text: str, canonical: str) -> None:
    f = parse(text)
    assert str(f) == canonical
    assert repr(f) == f"Expression({canonical!r})"
    assert str(parse(str(f))) == canonical


def test_long_flat_chains_need_no_recursion() -> None:
    # ~330 nested additions: the compiler, the printer and the evaluator are iterative.
    text = "+".join(["x"] * 330)
    f = parse(text)
    assert len(text) <= MAX_LENGTH
    assert f(1.0) == 330.0
    x = Value(1.0)
    f(x).backward()
    assert x.grad == 330.0


def test_wrong_call_signature_is_a_type_error() -> None:
    f = parse("x + y")
    with pytest.raises(TypeError, match="takes 2 argument"):
        f(1.0)
    with pytest.raises(TypeError, match="unknown: z"):
        f(x=1.0, z=2.0)


# -------------------------------------------------------------------------- refusing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('true')", "attribute access is not allowed"),
        ("x.real", "attribute access is not allowed"),
        ("x[0]", "subscripts are not allowed"),
        ("(lambda: 1)()", "lambda is not allowed"),
        ("[i for i in x]", "comprehensions are not allowed"),
        ("sum(i for i in x)", "unknown function 'sum'"),
        ("tanh(x=1)", "keyword arguments in tanh"),
        ("tanh(*x)", "starred arguments are not allowed"),
        ("'abc'", "strings are not allowed"),
        ("x // 2", "operator // is not supported"),
        ("x % 2", "operator % is not supported"),
        ("not x", "operator not is not supported"),
        ("~x", "operator ~ is not supported"),
        ("x if y else z", "conditional expressions are not allowed"),
        ("x < y", "comparisons are not allowed"),
        ("x and y", "'and' / 'or' are not allowed"),
        ("(x := 2)", "assignment expressions"),
        ("True + x", "the constant True is not allowed"),
        ("1j * x", "the constant 1j is not allowed"),
        ("tanh", "'tanh' is a function"),
        ("tanh(x, y)", "tanh takes 1 argument"),
        ("foo(x)", "unknown function 'foo'"),
        ("x ** 10000", "exponent 10000 is too large"),
        ("x ** -1001", "exponent -1001 is too large"),
        ("2 ** 2 ** 2 ** 2", "power towers"),
        ("x ** (y) ** 2", "power towers"),  # the brackets hold y alone: still a ** b ** c
        ("x ** -y ** 2", "power towers"),
        ("(x ** # (\n y ** 2)", "power towers"),  # a bracket in a comment is no bracket
        ("x ** (100 * 100)", "exponent 10000 is too large"),
        ("x ** (1e308 * 10)", "exponent inf is too large"),
        ("x ** (1e308 * 10 - 1e308 * 10)", "the exponent is not a number"),
        ("1e400 * x", "overflows to infinity"),
        ("9" * 400, "too large for a float"),
        ("x +", "syntax error"),
        ("(x", "syntax error"),
        ("x = 1", "syntax error"),
        ("x\x00", "null bytes"),
        ("", "expression is empty"),
        ("   ", "expression is empty"),
        ("x" * (MAX_LENGTH + 1), f"the limit is {MAX_LENGTH}"),
        ("(" * 40 + "x" + ")" * 40, "nested 40 levels deep"),
        ("-" * 40 + "x", "nested 40 levels deep"),
        ("tanh(" * 40 + "x" + ")" * 40, "nested 40 levels deep"),
        ("(x\n.real)", "attribute access"),
    ],
)
def test_refused_with_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    text_of_error = str(caught.value)
    assert message in text_of_error
    assert "\n" not in text_of_error
    assert isinstance(caught.value, ValueError)


def test_limits_are_exactly_where_documented() -> None:
    parse("(" * MAX_NESTING + "x" + ")" * MAX_NESTING)
    with pytest.raises(ExpressionError, match="nested"):
        parse("(" * (MAX_NESTING + 1) + "x" + ")" * (MAX_NESTING + 1))
    parse(f"x ** {MAX_EXPONENT:g}")
    parse("x" * MAX_LENGTH)
    # binary minus between operands is not nesting: 200 subtractions are fine
    parse("-".join(["x"] * 200))


def test_a_non_string_is_refused() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        parse(42)  # type: ignore[arg-type]


def test_refused_text_never_runs(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    for text in (f"open({str(target)!r}, 'w')", f"__import__('pathlib').Path({str(target)!r}).touch()"):
        with pytest.raises(ExpressionError):
            parse(text)
    assert not target.exists()


# --------------------------------------------------------------------------- fuzzing


@given(st.text(max_size=200))
def test_random_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        result = parse(text)
    except ExpressionError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(result, Expression)
        assert str(parse(str(result))) == str(result)


@given(st.text(alphabet="xy0123456789.+-*/()eabcdghilnoqrstw, _[]'\"=<:", max_size=120))
def test_random_formula_like_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        result = parse(text)
    except ExpressionError as error:
        assert str(error)
    else:
        assert all(name in text for name in result.variables)
        assert str(parse(str(result))) == str(result)


_FUNCTIONS = ["tanh", "exp", "log", "sin", "cos", "sigmoid", "relu", "abs", "sqrt"]
_MATH = {
    "tanh": math.tanh, "exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos,
    "sqrt": math.sqrt, "abs": abs, "relu": lambda v: max(v, 0.0),
    "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
}
_FORBIDDEN = [
    "x.real", "x[0]", "lambda: x", "[x for x in y]", "__import__('os')", "tanh(x=y)",
    "'text'", "x // y", "x if y else x", "x < y", "unknown(x)", "x ** y ** x", "x ** 5000",
    "not x", "x @ y", "(x, y)", "{x: y}", "tanh", "x and y", "*x",
]

_leaves = st.one_of(
    st.sampled_from(["x", "y", "z"]),
    st.integers(0, 20).map(str),
    st.floats(0.0, 10.0, allow_nan=False).map(repr),
)


def _grammar(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.integers(-4, 4)).map(lambda t: f"({t[0]}) ** {t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}) ** ({t[1]})"),
            st.tuples(st.sampled_from(["-", "+"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(_FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        )

    return st.recursive(leaves, extend, max_leaves=25)


@given(_grammar(_leaves), st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
@settings(max_examples=150)
def test_grammar_expressions_parse_print_stably_and_agree_with_python(
    text: str, x: float, y: float, z: float
) -> None:
    try:
        f = parse(text)
    except ExpressionError as error:
        # only the documented limits may refuse a text made from the allowed grammar
        limits = ("nested", "characters long", "is too large", "the exponent is not a number")
        assert any(limit in str(error) for limit in limits), str(error)
        return
    canonical = str(f)
    assert str(parse(canonical)) == canonical
    assert set(f.variables) <= {"x", "y", "z"}
    point = {"x": x, "y": y, "z": z}
    try:
        expected = eval(text, {"__builtins__": {}}, {**_MATH, **point})  # test oracle only
    except (ArithmeticError, ValueError, TypeError):  # TypeError: a complex power in tanh()
        expected = None
    try:
        got = f(**{name: point[name] for name in f.variables})
    except (ArithmeticError, ValueError):
        return  # a domain error from the engine is the documented outcome
    if expected is None or isinstance(expected, complex) or not math.isfinite(got):
        return
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(_grammar(st.one_of(_leaves, st.sampled_from(_FORBIDDEN).map(lambda s: f"({s})"))))
@settings(max_examples=150)
def test_grammar_with_forbidden_constructs_is_refused(text: str) -> None:
    contains_forbidden = any(f"({bad})" in text for bad in _FORBIDDEN)
    try:
        parse(text)
    except ExpressionError as error:
        assert "\n" not in str(error)
    else:
        assert not contains_forbidden, f"accepted {text!r}"
