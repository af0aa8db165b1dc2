"""The op table: every primitive autograd_mini knows, and everything known about it.

Each :class:`Op` holds, side by side, what the rest of the package needs:

* ``forward``: the op on plain floats;
* ``partials``: one local-derivative rule per input. A rule is called as
  ``rule(out, *inputs)`` and returns d out / d input_i. Rules are written with the
  package's own functions (``exp``, ``cos``, ...) and operators, so the same rule gives a
  number when called with floats (the ordinary backward pass) and builds graph when called
  with ``Value`` objects (``backward(create_graph=True)``, higher-order derivatives);
* ``formulas``: the same rules as text, for people (step-through, README, error messages);
* ``check``: the domain check, raising a clear error before ``forward`` runs;
* ``domain`` and ``kinks``: where the op may be sampled by tests and strategies, and where
  its derivative jumps.

The backward pass, the step-through explanations, graph labels, the expression parser and
the Hypothesis strategies all read this one table, so the facts cannot drift apart. User
ops made with :func:`autograd_mini.primitive` enter the same table.

This module imports nothing from the rest of the package at import time; the rules reach
the math functions of :mod:`autograd_mini.engine` (which dispatch on float or ``Value``)
only when they are called.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Rule = Callable[..., Any]
"""A local-derivative rule: ``rule(out, *inputs) -> d out / d input_i``."""


ATOM = 1000
"""Precedence of a name, a number or a call in source text: it never needs brackets."""
POWER_PRECEDENCE = 40  # ** binds tightest of the operators, and groups right to left


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive operation and the facts about it.

    ``notation`` is a ``str.format`` template applied to the inputs' text, e.g.
    ``"{0} * {1}"`` or ``"tanh({0})"``; ``precedence`` orders infix notations when an
    expression is printed (higher binds tighter; function-call notation is 100).
    ``domain[i]`` is a closed interval ``(low, high)`` inside which input ``i`` is valid
    and the op is smooth apart from ``kinks`` (points of the first input where the
    derivative jumps, e.g. ``0.0`` for relu). ``inputs`` names the inputs in formulas.
    """

    name: str
    forward: Callable[..., float]
    partials: tuple[Rule, ...]
    formulas: tuple[str, ...]
    notation: str
    inputs: tuple[str, ...]
    precedence: int = 100
    check: Callable[..., None] | None = None
    domain: tuple[tuple[float, float], ...] = ()
    kinks: tuple[float, ...] = ()
    doc: str = ""
    builtin: bool = field(default=True, repr=False)
    arity: int = field(init=False, repr=False)  # len(partials), read on the hot path

    def __post_init__(self) -> None:
        n = len(self.partials)
        object.__setattr__(self, "arity", n)
        if n == 0:
            raise ValueError(f"op {self.name!r}: needs at least one partial-derivative rule")
        for what, seq in (("formulas", self.formulas), ("inputs", self.inputs)):
            if len(seq) != n:
                raise ValueError(
                    f"op {self.name!r}: {len(seq)} {what} for {n} inputs; give one per input"
                )
        if self.domain and len(self.domain) != n:
            raise ValueError(f"op {self.name!r}: domain needs one (low, high) per input")

    def format(self, *args: str) -> str:
        """Write this op applied to the given input texts, e.g. ``tanh(x)``."""
        return self.notation.format(*args)

    @property
    def function_name(self) -> str:
        """``tanh`` for an op written as a call, ``tanh({0})``; ``""`` for an operator."""
        head, paren, _ = self.notation.partition("(")
        return head if paren and head.isidentifier() else ""

    def format_source(self, *operands: tuple[str, int]) -> tuple[str, int]:
        """Python source for this op applied to ``(text, precedence)`` operands.

        Brackets go only where Python would group the text otherwise. Operators read left
        to right (``a - b - c`` is ``(a - b) - c``), except ``**`` and prefix operators; an
        operand of equal precedence on the other side keeps its brackets (float ``+`` and
        ``*`` are not associative, so ``a + (b + c)`` keeps them too). Returns the text and
        its precedence (``ATOM`` for a call, which never needs brackets).

        >>> MUL.format_source(("a + b", ADD.precedence), ("c", ATOM))
        ('(a + b) * c', 20)
        >>> SUB.format_source(("a - b", SUB.precedence), ("c - d", SUB.precedence))
        ('a - b - (c - d)', 10)
        """
        if self.function_name:  # arguments sit inside the call's own brackets
            return self.format(*(text for text, _ in operands)), ATOM
        right_to_left = self.precedence >= POWER_PRECEDENCE or self.arity == 1
        texts = []
        for i, (text, inner) in enumerate(operands):
            tight = right_to_left or i > 0
            needs = inner <= self.precedence if tight else inner < self.precedence
            texts.append(f"({text})" if needs else text)
        return self.format(*texts), self.precedence

    def derivative_text(self, i: int) -> str:
        """The rule for input ``i`` as text, e.g. ``d(a * b)/da = b``."""
        return f"d({self.format(*self.inputs)})/d{self.inputs[i]} = {self.formulas[i]}"

    def __repr__(self) -> str:
        return f"<op {self.name}>"


# --------------------------------------------------------------------------- errors
# Domain checks raise at once, naming the op, the offending value and the way out.


def _fmt(x: float) -> str:
    return repr(float(x))


def _check_div(a: float, b: float) -> None:
    if b == 0.0:
        raise ZeroDivisionError(
            f"/: division by zero ({_fmt(a)} / {_fmt(b)}); make the denominator nonzero"
        )


def _check_log(x: float) -> None:
    if not x > 0.0:
        raise ValueError(f"log: input {_fmt(x)} is outside the domain x > 0")


def _check_sqrt(x: float) -> None:
    if not x >= 0.0:
        raise ValueError(f"sqrt: input {_fmt(x)} is outside the domain x >= 0")


def _check_pow(a: float, b: float) -> None:
    # The exponent is a Value here, so d/db = out * log(a) must make sense: a > 0, or
    # a == 0 with b >= 0 (there 0**b is 0 or 1 and PyTorch's convention d/db = 0 applies).
    # A negative base is refused even for an integer b: the exponent may move off it.
    if a > 0.0 or (a == 0.0 and b >= 0.0):
        return
    if a == 0.0:
        raise ZeroDivisionError(
            f"**: 0.0 to the negative power {_fmt(b)} divides by zero; use a nonzero base"
        )
    raise ValueError(
        f"**: base {_fmt(a)} with the Value exponent {_fmt(b)}: a Value exponent needs a"
        " base > 0 (or 0 with exponent >= 0), since d/d(exponent) = out * log(base)."
        " Use a plain number as the exponent (x ** 2) or a positive base"
    )


# --------------------------------------------------------------------------- forwards


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: sigmoid(-1000) is 0.0, not an error.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _step(x: Any) -> float:
    # relu'(x): 0 at the kink x == 0, as in PyTorch.
    return 1.0 if x > 0.0 else 0.0


def _sign(x: Any) -> float:
    # abs'(x): 0 at the kink x == 0, as in PyTorch.
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def _sigmoid_slope(out: Any, x: Any) -> Any:
    # sigmoid'(x) = sigmoid(x) * sigmoid(-x). The textbook out * (1 - out) loses every digit
    # once out rounds to 1.0 (x > 37; already half of them at x = 20); this form keeps
    # full relative precision on both sides. Floats take the direct route (hot path).
    if type(x) is float:
        return out * _sigmoid(-x)
    return out * _engine.sigmoid(-x)


def _pow_base_slope(out: Any, a: Any, b: Any) -> Any:
    # d(a**b)/da = b * a**(b-1). At a == b == 0 that is 0 * 0**-1; PyTorch's convention
    # (and the limit along b == 0, where a**0 is constant) gives 0. float() reads the data
    # of a Value too, so this test works in both backward modes.
    if float(b) == 0.0 and float(a) == 0.0:
        return 0.0
    return b * a ** (b - 1.0)


def _pow_exponent_slope(out: Any, a: Any, b: Any) -> Any:
    # d(a**b)/db = a**b * log(a); at a == 0 (allowed only with b >= 0) it is 0, as in PyTorch.
    return out * _engine.log(a) if a > 0.0 else 0.0


# ----------------------------------------------------------------------------- table
# Rules use the package's float-or-Value functions (``_engine.cos`` is cos on a float or a
# Value). They live in the engine, which imports this module, so they are looked up
# lazily, at the first rule call, instead of by an import here (that would be circular).


class _LazyEngine:
    """Attribute access to :mod:`autograd_mini.engine`, resolved at the first rule call."""

    def __getattr__(self, name: str) -> Any:
        from autograd_mini import engine

        value = getattr(engine, name)
        setattr(self, name, value)
        return value


_engine: Any = _LazyEngine()

OPS: dict[str, Op] = {}
"""Every registered op, by name. Built-ins first, then user primitives in order made."""


def register(op: Op) -> Op:
    """Add ``op`` to the table; names are unique."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already in the op table; choose another name")
    OPS[op.name] = op
    return op


def unregister(name: str) -> None:
    """Remove a user-defined op from the table (built-ins stay)."""
    op = OPS.get(name)
    if op is None:
        raise KeyError(f"no op named {name!r} in the op table")
    if op.builtin:
        raise ValueError(f"op {name!r} is built in and cannot be removed")
    del OPS[name]


_R = (-3.0, 3.0)  # default sampling interval for inputs valid everywhere

# Each row: the op's name; ``forward`` on floats; ``partials``, one rule per input,
# ``rule(out, *inputs) -> d out / d input``, with ``formulas`` saying the same in words;
# ``notation`` for printing, with ``inputs`` naming the inputs in the formulas.

ADD = register(Op(
    "+", forward=lambda a, b: a + b,
    partials=(lambda out, a, b: 1.0, lambda out, a, b: 1.0),
    formulas=("1", "1"),
    notation="{0} + {1}", inputs=("a", "b"), precedence=10,
    domain=(_R, _R), doc="addition",
))
SUB = register(Op(
    "-", forward=lambda a, b: a - b,
    partials=(lambda out, a, b: 1.0, lambda out, a, b: -1.0),
    formulas=("1", "-1"),
    notation="{0} - {1}", inputs=("a", "b"), precedence=10,
    domain=(_R, _R), doc="subtraction",
))
MUL = register(Op(
    "*", forward=lambda a, b: a * b,
    partials=(lambda out, a, b: b, lambda out, a, b: a),
    formulas=("b", "a"),
    notation="{0} * {1}", inputs=("a", "b"), precedence=20,
    domain=(_R, _R), doc="multiplication",
))
DIV = register(Op(
    "/", forward=lambda a, b: a / b,
    partials=(lambda out, a, b: 1.0 / b, lambda out, a, b: -out / b),
    formulas=("1/b", "-out/b"),
    notation="{0} / {1}", inputs=("a", "b"), precedence=20,
    check=_check_div, domain=(_R, (0.5, 3.0)), doc="division; ZeroDivisionError for b == 0",
))
POW = register(Op(
    "**", forward=lambda a, b: a**b,
    partials=(_pow_base_slope, _pow_exponent_slope),
    formulas=("b * a**(b-1)", "out * log(a), 0 at a = 0"),
    notation="{0} ** {1}", inputs=("a", "b"), precedence=POWER_PRECEDENCE,
    check=_check_pow, domain=((0.5, 3.0), (-2.0, 2.0)),
    doc="power with a Value exponent; needs a > 0, or a = 0 with b >= 0",
))
NEG = register(Op(
    "neg", forward=lambda x: -x,
    partials=(lambda out, x: -1.0,),
    formulas=("-1",),
    notation="-{0}", inputs=("x",), precedence=30,
    domain=(_R,), doc="negation",
))
ABS = register(Op(
    "abs", forward=abs,
    partials=(lambda out, x: _sign(x),),
    formulas=("sign(x), 0 at x = 0",),
    notation="abs({0})", inputs=("x",),
    domain=(_R,), kinks=(0.0,), doc="absolute value; abs'(0) = 0 as in PyTorch",
))
EXP = register(Op(
    "exp", forward=math.exp,
    partials=(lambda out, x: out,),
    formulas=("out",),
    notation="exp({0})", inputs=("x",),
    domain=((-3.0, 3.0),), doc="exponential; OverflowError past x ~ 709.78",
))
LOG = register(Op(
    "log", forward=math.log,
    partials=(lambda out, x: 1.0 / x,),
    formulas=("1/x",),
    notation="log({0})", inputs=("x",),
    check=_check_log, domain=((0.2, 5.0),), doc="natural logarithm; needs x > 0",
))
TANH = register(Op(
    "tanh", forward=math.tanh,
    partials=(lambda out, x: 1.0 - out**2,),
    formulas=("1 - out**2",),
    notation="tanh({0})", inputs=("x",),
    domain=(_R,),
    doc="hyperbolic tangent; the rule is micrograd's and PyTorch's, digit for digit (its"
    " relative precision fades for |x| > 15, where out rounds towards 1)",
))
SIGMOID = register(Op(
    "sigmoid", forward=_sigmoid,
    partials=(_sigmoid_slope,),
    formulas=("out * sigmoid(-x)",),
    notation="sigmoid({0})", inputs=("x",),
    domain=(_R,),
    doc="logistic function 1 / (1 + exp(-x)); out * sigmoid(-x) equals out * (1 - out)"
    " but keeps its precision for large x",
))
RELU = register(Op(
    "relu", forward=_relu,
    partials=(lambda out, x: _step(x),),
    formulas=("1 if x > 0 else 0",),
    notation="relu({0})", inputs=("x",),
    domain=(_R,), kinks=(0.0,), doc="max(0, x); relu'(0) = 0 as in PyTorch",
))
SQRT = register(Op(
    "sqrt", forward=math.sqrt,
    partials=(lambda out, x: 0.5 / out,),
    formulas=("0.5 / out",),
    notation="sqrt({0})", inputs=("x",),
    check=_check_sqrt, domain=((0.2, 5.0),),
    doc="square root; needs x >= 0 (the derivative is infinite at 0)",
))
SIN = register(Op(
    "sin", forward=math.sin,
    partials=(lambda out, x: _engine.cos(x),),
    formulas=("cos(x)",),
    notation="sin({0})", inputs=("x",),
    domain=(_R,), doc="sine",
))
COS = register(Op(
    "cos", forward=math.cos,
    partials=(lambda out, x: -_engine.sin(x),),
    formulas=("-sin(x)",),
    notation="cos({0})", inputs=("x",),
    domain=(_R,), doc="cosine",
))


# ---------------------------------------------------------------- power by a number
# ``x ** k`` with a plain number k is its own op, one per exponent (named "**k", as in
# micrograd): the exponent is part of the op, not an input, so no derivative with respect
# to it is computed and negative bases work for integer k.

_POWER_OPS: dict[tuple[type, float], Op] = {}

POWER_NOTATION = "x ** k"
POWER_FORMULA = "k * x**(k-1)"
POWER_DOC = (
    "power by a plain number k (the op is named **k, e.g. **2); no derivative with respect"
    " to k. Negative x needs an integer k; x = 0 needs k >= 0"
)


def power(k: float) -> Op:
    """The op ``x ** k`` for a fixed number ``k`` (made once per exponent, then cached).

    An int and a float exponent are different ops with different names, as in micrograd
    (``x ** 2`` is ``"**2"``, ``x ** 2.0`` is ``"**2.0"``), whichever comes first.

    >>> power(2).name, power(2.0).name, power(2) is power(2)
    ('**2', '**2.0', True)
    >>> power(3).forward(2.0), power(3).partials[0](8.0, 2.0)
    (8.0, 12.0)
    """
    given: Any = k  # typed loosely: numpy numbers are checked for at run time
    if isinstance(given, bool) or not isinstance(given, numbers.Real):
        raise TypeError(
            f"**: the exponent must be an int or a float, got {type(given).__name__} {given!r}"
        )
    if isinstance(given, numbers.Integral):
        k = int(given)  # numpy.int64 and friends: the same op as the plain int
        try:
            kf = float(k)
        except OverflowError:
            raise OverflowError(f"**: exponent {k} is too large for a float") from None
    else:
        k = kf = float(k)  # a float subclass (numpy.float64) becomes a plain float
    if not math.isfinite(kf):
        raise ValueError(f"**: exponent {k!r} is not finite; use a finite number")
    if kf == 0.0:
        k = type(k)(0)  # -0.0 and 0.0 are the same op
    key = (type(k), k)
    op = _POWER_OPS.get(key)
    if op is not None:
        return op
    is_integer = kf.is_integer()

    def check(x: float) -> None:
        if x < 0.0 and not is_integer:
            raise ValueError(
                f"**{k!r}: negative base {_fmt(x)} to the non-integer power {k!r} is not real;"
                " use a non-negative base or an integer exponent"
            )
        if x == 0.0 and kf < 0.0:
            raise ZeroDivisionError(
                f"**{k!r}: 0.0 to the negative power {k!r} divides by zero; use a nonzero base"
            )

    if kf == 0.0:
        rule: Rule = lambda out, x: 0.0  # d/dx x**0 is 0 everywhere, even at 0
        formula = "0"
    else:
        rule = lambda out, x: k * x ** (k - 1)
        formula = f"{k!r} * x**{(k - 1)!r}"
    lo = -3.0 if is_integer else 0.2
    op = Op(
        f"**{k!r}", lambda x: x**k, (rule,), (formula,), f"{{0}} ** {k!r}", ("x",),
        precedence=POWER_PRECEDENCE, check=check if (not is_integer or kf < 0.0) else None,
        domain=((0.5 if kf < 0.0 and is_integer else lo, 3.0),),
        doc=f"power by the number {k!r}",
    )
    if len(_POWER_OPS) < 1024:  # exponents in real programs are few; never grow unbounded
        # setdefault: if two threads race here, both get the one op that was stored.
        op = _POWER_OPS.setdefault(key, op)
    return op


def primitive_op(
    name: str,
    forward: Callable[..., float],
    *partials: Callable[..., Any],
    formulas: tuple[str, ...] | None = None,
    inputs: tuple[str, ...] | None = None,
    domain: tuple[tuple[float, float], ...] | None = None,
    kinks: tuple[float, ...] = (),
    check: Callable[..., None] | None = None,
) -> Op:
    """Build (not register) an :class:`Op` from user rules ``partial_i(*inputs)``."""
    if not name or not name.isidentifier():
        raise ValueError(f"primitive: name {name!r} must be a Python identifier")
    if not callable(forward) or not all(callable(p) for p in partials):
        raise TypeError(f"primitive {name!r}: forward and every partial must be callable")
    if not partials:
        raise ValueError(f"primitive {name!r}: give one partial-derivative function per input")
    n = len(partials)
    names = inputs or (("x",) if n == 1 else tuple(f"x{i}" for i in range(n)))
    rules = tuple(_user_rule(p) for p in partials)
    texts = formulas or tuple(
        getattr(p, "__name__", "") if getattr(p, "__name__", "<lambda>") != "<lambda>"
        else f"partial {i} of {name}" for i, p in enumerate(partials)
    )
    return Op(
        name, _real_forward(name, forward), rules, texts,
        f"{name}({', '.join(f'{{{i}}}' for i in range(n))})",
        names, check=check, domain=domain or ((-2.0, 2.0),) * n, kinks=kinks,
        doc="user-defined primitive", builtin=False,
    )


def _real_forward(name: str, forward: Callable[..., Any]) -> Callable[..., float]:
    # A user forward may return an int, a numpy scalar or (by mistake) something else; the
    # graph stores Python floats only, and a wrong type is reported at once by name.
    def real_forward(*args: float) -> float:
        result = forward(*args)
        if type(result) is float:
            return result
        if isinstance(result, numbers.Real):
            return float(result)
        raise TypeError(
            f"primitive {name!r}: forward returned {type(result).__name__} {result!r} at"
            f" input {', '.join(map(repr, args))}; it must return a real number"
        )

    real_forward.__name__ = getattr(forward, "__name__", "forward")
    real_forward.__wrapped__ = forward  # type: ignore[attr-defined]
    return real_forward


def _user_rule(partial: Callable[..., Any]) -> Rule:
    # User partials take the inputs only; the table's rules also receive the output.
    def rule(out: Any, *args: Any) -> Any:
        return partial(*args)

    rule.__name__ = getattr(partial, "__name__", "partial")
    return rule


# ------------------------------------------------------------------- the table as text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(include_user_ops: bool = False) -> str:
    """The op table as a Markdown table: op, notation, derivative rules, domain and notes.

    This is the table in the README (a test keeps the two identical); print it with
    ``python -m autograd_mini.ops``. User primitives are left out unless asked for.

    >>> print(markdown_table().splitlines()[2])
    | `+` | `a + b` | d/da = `1`; d/db = `1` | addition |
    """
    rows = [
        "| op | notation | derivative rules (`out` is the op's output) | domain and notes |",
        "|---|---|---|---|",
    ]
    for op in OPS.values():
        if op.builtin or include_user_ops:
            rules = "; ".join(
                f"d/d{name} = `{_cell(formula)}`" for name, formula in zip(op.inputs, op.formulas)
            )
            rows.append(
                f"| `{_cell(op.name)}` | `{_cell(op.format(*op.inputs))}` | {rules}"
                f" | {_cell(op.doc)} |"
            )
    rows.append(
        f"| `**k` | `{POWER_NOTATION}` | d/dx = `{POWER_FORMULA}` | {_cell(POWER_DOC)} |"
    )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
