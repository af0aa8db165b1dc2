"""Hostile expressions: each gets its one-line ExpressionError, and nothing else gets out.

A corpus of inputs an adversarial run tried (and some more), with the error each must
give; Python's own warnings must not leak through the parser; and a Hypothesis property
throws random text at parse() and at the functions it returns. Runs are bounded by the
parser's own limits (MAX_LENGTH characters, MAX_NESTING levels), checked before Python's
parser, which recurses, ever sees the text.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_mini import Value
from autograd_mini.expr import MAX_LENGTH, MAX_NESTING, ExpressionError, parse

HOSTILE: list[tuple[str, str]] = [
    ("__import__('os').system('echo pwned')", "attribute access is not allowed"),
    ("x.__class__", "attribute access is not allowed"),
    ("x[0]", "subscripts are not allowed"),
    ("(lambda: 1)()", "lambda is not allowed"),
    ("[x for x in y]", "comprehensions are not allowed"),
    ("'x'", "strings are not allowed"),
    ("f'{x}'", "f-strings are not allowed"),
    ("x if y else z", "conditional expressions are not allowed"),
    ("1if x else 2", "conditional expressions are not allowed"),  # Python warns about 1if
    ("1and x", "'and' / 'or' are not allowed"),
    ("x < y", "comparisons are not allowed"),
    ("(x := 1)", "assignment expressions"),
    ("x // y", "operator // is not supported"),
    ("x @ y", "operator @ is not supported"),
    ("~x", "operator ~ is not supported"),
    ("not x", "operator not is not supported"),
    ("tanh(x, y)", "tanh takes 1 argument(s), got 2"),
    ("tanh(x=1)", "keyword arguments in tanh(...) are not allowed"),
    ("tanh(*x)", "starred arguments are not allowed"),
    ("tanh", "'tanh' is a function"),
    ("x ** 10000", "exponent 10000 is too large"),
    ("x ** y ** z", "power towers"),
    ("x ** (y) ** z", "power towers"),
    ("x ** -(y) ** z", "power towers"),
    ("(x ** #(\n y ** z)", "power towers"),
    ("x ** (9 ** 9)", "exponent 387420489 is too large"),
    ("x ** (1e200 * 1e200 - 1e200 * 1e200)", "the exponent is not a number"),
    ("1e999", "overflows to infinity"),
    ("9" * 400, "too large for a float"),
    ("", "expression is empty"),
    ("   ", "expression is empty"),
    ("x +", "syntax error"),
    ("x\x00", "cannot contain null bytes"),
    ("(" * (MAX_NESTING + 1) + "x" + ")" * (MAX_NESTING + 1), "nested"),
    ("-" * (MAX_NESTING + 1) + "x", "nested"),
    ("x+" * MAX_LENGTH + "x", "characters long"),
    ("x; y", "syntax error"),
    ("import os", "syntax error"),
    ("None", "the constant None is not allowed"),
    ("True", "the constant True is not allowed"),
    ("1j", "the constant 1j is not allowed"),
    ("...", "the constant Ellipsis is not allowed"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=[repr(t)[:40] for t, _ in HOSTILE])
def test_each_hostile_expression_gets_its_one_line_error(text: str, message: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning (SyntaxWarning) would fail the test
        with pytest.raises(ExpressionError) as caught:
            parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parsing_lets_no_warning_through() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for text in ("1if x else 2", "1and x", "0x1for", "1or y"):
            with pytest.raises(ExpressionError):
                parse(text)
    assert seen == []


_ALLOWED_ERRORS = (ValueError, ArithmeticError)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("xy()+-*/.,0123456789e tanhlogexp_ij'\"[]<=!:"),
               max_size=80) | st.text(max_size=60))
def test_random_text_gives_an_expression_or_an_expression_error(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError:
        return
    point = [0.5 + i for i in range(expression.n_inputs)]
    for inputs in (point, [Value(x) for x in point]):
        try:
            result = expression(*inputs)
        except _ALLOWED_ERRORS:  # log(-1), 1/0, overflow: the engine's documented errors
            continue
        number: Any = result.data if isinstance(result, Value) else result
        assert isinstance(number, float) and (math.isfinite(number) or math.isnan(number)
                                              or math.isinf(number))
