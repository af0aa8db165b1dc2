"""The op table: every primitive autograd_mini knows, each stated once, in its row.

A row gives an op's name, its notation (``"a * b"``, ``"tanh(x)"``), one derivative
formula per input (``"b"``, ``"1 - out**2"``; ``out`` is the op's output), and where it
needs them its float forward, its domain, its kinks and a note. Everything else is made
from the row (see :mod:`autograd_mini.formulas`):

* the float rules of the ordinary backward pass (``Op.rules``) and, compiled with the
  engine's float-or-``Value`` functions, the rules of ``backward(create_graph=True)``;
* the domain check, which raises the row's error naming the op and the value;
* the ``Value`` method and the float-or-``Value`` function of every op written as a call,
  the expression parser's names, the Hypothesis strategies, the per-op tests, the README
  table (:func:`markdown_table`), the step-through text and graph labels, and the code the
  compiled mode generates, which inlines the formula text.

User ops made with :func:`autograd_mini.primitive` enter the same table. This module
imports nothing from the rest of the package: the functions a rule calls on Values are
handed to :meth:`Op.compile_rules` by the engine.
"""

from __future__ import annotations

import ast
import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd_mini.formulas import ATOM, POWER, Formula, FormulaError

__all__ = [
    "ATOM",
    "FAMILIES",
    "OPS",
    "REQUIRED",
    "Domain",
    "Family",
    "FormulaError",
    "Op",
    "Variant",
    "custom",
    "float_functions",
    "lookup",
    "markdown_table",
    "power",
    "register",
    "unregister",
]

Rule = Callable[..., Any]
"""A local-derivative rule: ``rule(out, *inputs) -> d out / d input_i``."""

POWER_PRECEDENCE = POWER


@dataclass(frozen=True)
class Domain:
    """Where an op is defined: ``condition`` (formula text over the inputs) must hold.

    Otherwise ``error`` is raised with ``message`` (``{a}``, ``{x}``, ... name the inputs,
    ``{k}`` the parameters), after the op's name: ``log: input -1.0 is outside ...``.
    """

    condition: str
    error: type[Exception] = ValueError
    message: str = ""


class Op:
    """One primitive operation and everything known about it.

    ``notation`` is the op applied to its inputs, as a formula (``"a / b"``,
    ``"tanh(x)"``); for an operator it is also the forward. ``derivatives`` maps each
    input, in order, to its local derivative (formula text, or for a user primitive a
    callable ``partial(*inputs)``). ``forward`` is the float function, or formula text
    where the op is an expression (relu: ``"0.0 if x < 0 else x"``). ``domain`` lists the
    conditions the inputs must meet; ``kinks`` the points of the first input where the
    derivative jumps; ``kink_distance`` formula text over the inputs that is 0 exactly
    where the op or a derivative jumps elsewhere (``"a - b"`` for ``maximum``); ``sample``
    a closed interval per input where tests may draw it. ``params`` are numbers fixed for
    this op (``k`` of ``x ** k``). ``stops_gradient`` marks an op whose rule is 0 by
    decree, not the derivative of its forward (``stop_gradient``): finite differences
    cannot check it.

    >>> MUL.inputs, MUL.formulas, MUL.rules[0](6.0, 2.0, 3.0)
    (('a', 'b'), ('b', 'a'), 3.0)
    >>> DIV.derivative_text(1)
    'd(a / b)/db = -out / b'
    """

    def __init__(
        self,
        name: str,
        notation: str,
        derivatives: Mapping[str, str | Callable[..., Any]],
        *,
        forward: str | Callable[..., float] | None = None,
        domain: Sequence[Domain] = (),
        kinks: tuple[float, ...] = (),
        kink_distance: str = "",
        sample: Mapping[str, tuple[float, float]] | None = None,
        doc: str = "",
        params: Mapping[str, float] | None = None,
        micrograd_name: str = "",
        builtin: bool = True,
        check: Callable[..., None] | None = None,
        formula_texts: Sequence[str] | None = None,
        stops_gradient: bool = False,
    ) -> None:
        if not derivatives and builtin:  # (a hand-written node may have none: custom())
            raise FormulaError(f"op {name!r}: needs at least one input with its derivative")
        self.name = name
        self.inputs = tuple(derivatives)
        self.arity = len(self.inputs)
        self.params = dict(params or {})
        self.doc = doc
        self.kinks = tuple(kinks)
        self.builtin = builtin
        self.micrograd_name = micrograd_name or name
        self.custom = False
        self.stops_gradient = stops_gradient
        self.family: Family | None = None
        """The family that made this op (``leaky_relu`` for slope 0.2), else ``None``."""
        self.family_params: dict[str, Any] = {}
        """The parameters the family made it for, all of them: ``{"negative_slope": 0.2}``."""
        where = f"op {name!r}"
        names = (*self.inputs, *self.params)
        self.notation = Formula(notation, names, where).bind(self.params, where)
        self.precedence = self.notation.precedence
        call = self.notation.tree
        self.function_name = (
            call.func.id if hasattr(call, "func") and self.notation.precedence == ATOM else ""
        )
        self.dunders = _dunders(call, self.function_name)
        """The Value methods Python's syntax calls for this op: ``a - b`` is
        ``a.__sub__(b)`` and, reflected, ``b.__rsub__(a)``; ``abs(x)`` is ``x.__abs__()``."""
        # Forward: formula text (compiled like the rules) or a float function.
        if forward is None and not self.function_name:
            forward = notation
        self.forward_formula = (
            Formula(forward, names, where).bind(self.params, where)
            if isinstance(forward, str) else None
        )
        self._forward_given = forward if callable(forward) else None
        if self.forward_formula is None and self._forward_given is None:
            raise FormulaError(f"{where}: give its float forward (a function or formula text)")
        # Derivatives: formula text for the built-ins, maybe callables for user ops.
        variables = ("out", *names)
        self.derivative_formulas: tuple[Formula | None, ...] = tuple(
            Formula(d, variables, f"{where}, d/d{x}").bind(self.params, where)
            if isinstance(d, str) else None
            for x, d in derivatives.items()
        )
        self._partials = tuple(
            d if callable(d) else None for d in derivatives.values()
        )
        given_texts = tuple(formula_texts or ())
        if given_texts and len(given_texts) != self.arity:
            raise FormulaError(f"{where}: {len(given_texts)} formulas for {self.arity} inputs;"
                               " give one per input")
        self.formulas = tuple(
            f.text if f is not None else given_texts[i] if given_texts else _callable_text(p, i, name)
            for i, (f, p) in enumerate(zip(self.derivative_formulas, self._partials))
        )
        self.domain = tuple(domain)
        self._check_given = check
        self._domain_formulas = tuple(
            Formula(d.condition, names, where).bind(self.params, where) for d in self.domain
        )
        ranges = dict(sample or {})
        unknown = set(ranges) - set(self.inputs)
        if unknown:
            raise FormulaError(f"{where}: sample names {sorted(unknown)}, not inputs")
        self.sample = tuple(ranges.get(x, (-3.0, 3.0)) for x in self.inputs)
        self._kink_formula = (
            Formula(kink_distance, names, f"{where}, kink_distance").bind(self.params, where)
            if kink_distance else None
        )
        self._kink_function: Callable[..., float] | None = None
        # Filled by compile(): float forward (if it is text), domain check, float rules.
        self.forward: Callable[..., float] = self._forward_given or _not_compiled
        self.check: Callable[..., None] | None = None
        self.rules: tuple[Rule, ...] = ()
        self.value_rules: tuple[Rule, ...] | None = None  # set by the engine when first needed

    # ------------------------------------------------------------------ compiling
    def compile(self, functions: Callable[[], Mapping[str, Callable[..., Any]]]) -> None:
        """Make the float forward, domain check and float rules from the row's text.

        ``functions()`` gives the float function of every op by name. It is asked twice:
        once for the forward, then, with this op's own forward in place, for the rules
        and the check (sigmoid's rule calls sigmoid).
        """
        self.compile_forward(functions())
        self.compile_checks(functions())

    def compile_forward(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        if self.forward_formula is not None:
            self.forward = self.forward_formula.function(self.inputs, functions)
        else:
            assert self._forward_given is not None
            self.forward = self._forward_given

    def compile_checks(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        self.check = self._check_given or (_domain_check(self, functions) if self.domain else None)
        self.rules = self.compile_rules(functions)
        if self._kink_formula is not None:
            self._kink_function = self._kink_formula.function(self.inputs, functions)

    def compile_rules(
        self, functions: Mapping[str, Callable[..., Any]], compare_numbers: bool = False
    ) -> tuple[Rule, ...]:
        """The derivative rules ``rule(out, *inputs)``, calling ``functions`` by name.

        The engine passes its float-or-Value functions (and ``compare_numbers``) to get
        the rules of ``create_graph``, which build graph when called with Values.
        """
        arguments = ("out", *self.inputs)
        rules: list[Rule] = []
        for formula, partial in zip(self.derivative_formulas, self._partials):
            if formula is not None:
                rules.append(formula.function(arguments, functions, compare_numbers))
            else:
                assert partial is not None
                rules.append(_user_rule(partial))
        return tuple(rules)

    def distance_to_kink(self, *args: float) -> float:
        """How far the inputs are from the nearest point where the op or a derivative jumps.

        That is the distance of the first input from each of ``kinks``, and the size
        of the row's ``kink_distance`` formula; ``inf`` for an op without kinks. Finite
        differences closer than their step to a kink measure the jump, not the slope.

        >>> RELU.distance_to_kink(-0.25), MAXIMUM.distance_to_kink(1.0, 1.5)
        (0.25, 0.5)
        >>> EXP.distance_to_kink(3.0)
        inf
        """
        distances = [abs(args[0] - kink) for kink in self.kinks]
        if self._kink_function is not None:
            distances.append(abs(self._kink_function(*args)))
        return min(distances, default=math.inf)

    @property
    def domain_formulas(self) -> tuple[Formula, ...]:
        """The row's domain conditions as formulas (one per :class:`Domain`)."""
        return self._domain_formulas

    @property
    def user_check(self) -> Callable[..., None] | None:
        """A user primitive's own domain check, if it gave one (it replaces ``domain``)."""
        return self._check_given

    @property
    def user_partials(self) -> tuple[Callable[..., Any] | None, ...]:
        """The callables a user primitive gave (``None`` where a formula was given)."""
        return self._partials

    # ------------------------------------------------------------------ text
    def format(self, *args: str) -> str:
        """This op applied to the given input texts, e.g. ``tanh(n)``, without brackets."""
        if self.custom:  # micrograd-style names need not be identifiers: "+", "**2"
            return f"{self.name}({', '.join(args)})"
        return self.notation.substitute(
            {name: (text, ATOM) for name, text in zip(self.inputs, args)}
        )[0]

    def format_source(self, *operands: tuple[str, int]) -> tuple[str, int]:
        """Python source for this op applied to ``(text, precedence)`` operands.

        Brackets go only where Python would group the text otherwise; an operand of
        equal precedence on the right keeps its brackets (float ``+`` and ``*`` are not
        associative). Returns the text and its precedence.

        >>> MUL.format_source(("a + b", ADD.precedence), ("c", ATOM))
        ('(a + b) * c', 20)
        >>> SUB.format_source(("a - b", SUB.precedence), ("c - d", SUB.precedence))
        ('a - b - (c - d)', 10)
        """
        return self.notation.substitute(dict(zip(self.inputs, operands)))

    def derivative_text(self, i: int) -> str:
        """The rule for input ``i`` as text, e.g. ``d(a * b)/da = b``."""
        return f"d({self.format(*self.inputs)})/d{self.inputs[i]} = {self.formulas[i]}"

    @property
    def text(self) -> str:
        """The op applied to its inputs' names, as in the table: ``a * b``, ``tanh(x)``."""
        return self.format(*self.inputs)

    def describe(self, *args: float) -> str:
        """The inputs, by name, for messages: ``a=1.0, b=0.0``."""
        return ", ".join(f"{name}={x!r}" for name, x in zip(self.inputs, args))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by name: the rules are code, and the table holds them.
        if self.custom:
            return custom, (self.name, self.arity)
        if "k" in self.params and self.name.startswith("**"):
            return power, (self.params["k"],)
        if self.family is not None:
            return _from_family, (self.family.name, self.family_params)
        return _lookup, (self.name,)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


# Python's protocol names: the operator or builtin an op's notation uses -> its method.
_OPERATOR_METHODS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv",
                     ast.Pow: "pow"}
_FUNCTION_METHODS = {"abs": "__abs__", "round": "__round__", "floor": "__floor__",
                     "ceil": "__ceil__", "trunc": "__trunc__"}


def _dunders(notation: ast.expr, function_name: str) -> tuple[tuple[str, bool], ...]:
    if isinstance(notation, ast.BinOp) and type(notation.op) in _OPERATOR_METHODS:
        name = _OPERATOR_METHODS[type(notation.op)]
        return (f"__{name}__", False), (f"__r{name}__", True)
    if isinstance(notation, ast.UnaryOp) and isinstance(notation.op, ast.USub):
        return (("__neg__", False),)
    if function_name in _FUNCTION_METHODS:
        return ((_FUNCTION_METHODS[function_name], False),)
    return ()


def _not_compiled(*args: float) -> float:
    raise RuntimeError("op used before the table was compiled")


def _callable_text(partial: Any, i: int, name: str) -> str:
    given = getattr(partial, "__name__", "<lambda>")
    return given if given != "<lambda>" else f"partial {i} of {name}"


def _user_rule(partial: Callable[..., Any]) -> Rule:
    # User partials take the inputs only; the table's rules also receive the output.
    def rule(out: Any, *args: Any) -> Any:
        return partial(*args)

    rule.__name__ = getattr(partial, "__name__", "partial")
    return rule


def _domain_check(op: Op, functions: Mapping[str, Callable[..., Any]]) -> Callable[..., None]:
    conditions = [f.function(op.inputs, functions) for f in op._domain_formulas]
    rows = list(zip(conditions, op.domain))

    def check(*args: float) -> None:
        for holds, domain in rows:
            if not holds(*args):
                if any(x != x for x in args):
                    return  # a nan is not outside the domain: it passes through, as in math and PyTorch
                raise domain.error(f"{op.name}: {_domain_message(op, domain, args)}")

    return check


def _domain_message(op: Op, domain: Domain, args: Sequence[float]) -> str:
    values = {name: repr(float(x)) for name, x in zip(op.inputs, args)}
    values.update({name: repr(k) for name, k in op.params.items()})
    if domain.message:
        return domain.message.format(**values)
    shown = ", ".join(values[name] for name in op.inputs)
    return f"input {shown} is outside the domain {domain.condition}"


# ------------------------------------------------------------------------ the table

OPS: dict[str, Op] = {}
"""Every registered op, by name. Built-ins first, then user primitives in order made."""


def float_functions() -> dict[str, Callable[..., Any]]:
    """The float function of every op written as a call, by name: what float rules call."""
    return {op.function_name: op.forward for op in OPS.values() if op.function_name}


def register(op: Op) -> Op:
    """Add ``op`` to the table and compile its rules; a user op replaces one of its name.

    Redefining a user op (running a notebook cell again) replaces it; Values made
    before keep the op they were made with. A built-in op cannot be replaced.
    """
    old = OPS.get(op.name)
    if old is not None and (old.builtin or op.builtin):
        raise ValueError(f"op {op.name!r} is already in the op table; choose another name")
    OPS[op.name] = op
    if _TABLE_COMPLETE:
        try:
            op.compile(float_functions)
        except BaseException:
            if old is None:
                del OPS[op.name]
            else:
                OPS[op.name] = old
            raise
    return op


def unregister(name: str) -> None:
    """Remove a user-defined op from the table (built-ins stay)."""
    op = OPS.get(name)
    if op is None:
        raise KeyError(f"no op named {name!r} in the op table")
    if op.builtin:
        raise ValueError(f"op {name!r} is built in and cannot be removed")
    del OPS[name]


def _lookup(name: str) -> Op:
    op = OPS.get(name)
    if op is None:
        raise KeyError(
            f"no op named {name!r} in the op table: define the primitive {name!r} again"
            " before loading a graph that uses it"
        )
    return op


_TABLE_COMPLETE = False  # built-in rows may call functions of rows defined after them


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: sigmoid(-1000) is 0.0, not an error.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


_POSITIVE = (0.2, 5.0)

ADD = register(Op("+", "a + b", {"a": "1", "b": "1"}, doc="addition"))
SUB = register(Op("-", "a - b", {"a": "1", "b": "-1"}, doc="subtraction"))
MUL = register(Op("*", "a * b", {"a": "b", "b": "a"}, doc="multiplication"))
DIV = register(Op(
    "/", "a / b", {"a": "1 / b", "b": "-out / b"},
    domain=[Domain("b != 0", ZeroDivisionError,
                   "division by zero ({a} / {b}); make the denominator nonzero")],
    sample={"b": (0.5, 3.0)}, doc="division",
))
POW = register(Op(
    "**", "a ** b",
    # At a = b = 0 the first rule would be 0 * 0**-1; PyTorch's convention (and the limit
    # along b = 0, where a**0 is constant) gives 0. At a = 0, out * log(a) is 0, as in PyTorch.
    {"a": "0 if a == 0 and b == 0 else b * a ** (b - 1)",
     "b": "out * log(a) if a > 0 else 0"},
    domain=[
        # A negative base is refused even for an integer b: the exponent may move off it.
        Domain("a >= 0", ValueError,
               "base {a} with the Value exponent {b}: a Value exponent needs a base > 0"
               " (or 0 with exponent >= 0), since d/d(exponent) = out * log(base). Use a"
               " plain number as the exponent (x ** 2) or a positive base"),
        Domain("a > 0 or b >= 0", ZeroDivisionError,
               "0.0 to the negative power {b} divides by zero; use a nonzero base"),
    ],
    sample={"a": (0.5, 3.0), "b": (-2.0, 2.0)},
    doc="power with a Value exponent",
))
NEG = register(Op("neg", "-x", {"x": "-1"}, doc="negation"))
ABS = register(Op(
    "abs", "abs(x)", {"x": "sign(x)"}, forward=abs, kinks=(0.0,),
    doc="absolute value; abs'(0) = 0 as in PyTorch",
))
SIGN = register(Op(
    "sign", "sign(x)", {"x": "0"}, forward="1.0 if x > 0 else -1.0 if x < 0 else x * 0.0",
    kinks=(0.0,), doc="-1, 0 or 1 (nan stays nan); derivative 0 everywhere, as in PyTorch",
))
EXP = register(Op("exp", "exp(x)", {"x": "out"}, forward=math.exp,
                  doc="exponential; OverflowError past x ~ 709.78"))
LOG = register(Op(
    "log", "log(x)", {"x": "1 / x"}, forward=math.log, domain=[Domain("x > 0")],
    sample={"x": _POSITIVE}, doc="natural logarithm",
))
TANH = register(Op(
    "tanh", "tanh(x)", {"x": "1 - out**2"}, forward=math.tanh,
    doc="hyperbolic tangent; the rule is micrograd's and PyTorch's, digit for digit (its"
    " relative precision fades for |x| > 15, where out rounds towards 1)",
))
SIGMOID = register(Op(
    "sigmoid", "sigmoid(x)", {"x": "out * sigmoid(-x)"}, forward=_sigmoid,
    doc="logistic function 1 / (1 + exp(-x)); out * sigmoid(-x) equals out * (1 - out)"
    " but keeps its precision for large x",
))
RELU = register(Op(
    "relu", "relu(x)", {"x": "1 if x > 0 else 0"}, forward="0.0 if x < 0 else x",
    kinks=(0.0,), micrograd_name="ReLU",
    doc="max(0, x); relu'(0) = 0, relu(nan) = nan and relu(-0.0) = -0.0, as in PyTorch",
))
SQRT = register(Op(
    "sqrt", "sqrt(x)", {"x": "0.5 / out"}, forward=math.sqrt, domain=[Domain("x >= 0")],
    sample={"x": _POSITIVE}, doc="square root (the derivative is infinite at 0)",
))
SIN = register(Op("sin", "sin(x)", {"x": "cos(x)"}, forward=math.sin, doc="sine"))
COS = register(Op("cos", "cos(x)", {"x": "-sin(x)"}, forward=math.cos, doc="cosine"))

# PyTorch's differentiable scalar functions. Rules are PyTorch's (tools/autograd/
# derivatives.yaml) unless a note says why another form of the same number is kept: one
# that does not overflow, or keeps its digits where PyTorch's cancels.
_UNIT = (-0.9, 0.9)

# 1 - x**2, as 1 - x * x near 0 and (1 - x) * (1 + x) near ±1: each keeps its digits where
# the other loses them, and so does its derivative (-2x, where the product's, -(1 + x) +
# (1 - x), cancels near 0 and costs second derivatives their digits).
_ONE_MINUS_X2 = "(1 - x * x if abs(x) < 0.5 else (1 - x) * (1 + x))"

TAN = register(Op("tan", "tan(x)", {"x": "1 + out ** 2"}, forward=math.tan,
                  sample={"x": (-1.2, 1.2)}, doc="tangent"))
ASIN = register(Op(
    "asin", "asin(x)", {"x": f"1 / sqrt{_ONE_MINUS_X2}"}, forward=math.asin,
    domain=[Domain("-1 <= x <= 1")], sample={"x": _UNIT},
    doc="arcsine; (1 - x) * (1 + x) keeps the digits 1 - x**2 loses near ±1, where the"
    " derivative is infinite (backward raises; PyTorch gives inf, and nan outside [-1, 1]),"
    " and 1 - x * x the digits of the second derivative near 0",
))
ACOS = register(Op(
    "acos", "acos(x)", {"x": f"-1 / sqrt{_ONE_MINUS_X2}"}, forward=math.acos,
    domain=[Domain("-1 <= x <= 1")], sample={"x": _UNIT},
    doc="arccosine; the derivative is infinite at ±1 (backward raises there)",
))
ATAN = register(Op("atan", "atan(x)", {"x": "1 / (1 + x * x)"}, forward=math.atan,
                   doc="arctangent"))
ATAN2 = register(Op(
    "atan2", "atan2(y, x)",
    # PyTorch masks the division at the origin, where both derivatives are 0.
    {"y": "0 if x * x + y * y == 0 else x / (x * x + y * y)",
     "x": "0 if x * x + y * y == 0 else -y / (x * x + y * y)"},
    forward=math.atan2, kink_distance="hypot(y, relu(x))",
    doc="the angle of the point (x, y) in [-pi, pi], y first as in math and PyTorch; it jumps"
    " by 2 pi across y = 0 for x < 0; both derivatives are 0 at the origin, as in PyTorch",
))
SINH = register(Op("sinh", "sinh(x)", {"x": "cosh(x)"}, forward=math.sinh,
                   doc="hyperbolic sine; OverflowError past |x| ~ 710"))
COSH = register(Op("cosh", "cosh(x)", {"x": "sinh(x)"}, forward=math.cosh,
                   doc="hyperbolic cosine; OverflowError past |x| ~ 710"))
ASINH = register(Op(
    "asinh", "asinh(x)", {"x": "1 / hypot(x, 1)"}, forward=math.asinh,
    doc="inverse hyperbolic sine; hypot(x, 1) is sqrt(x**2 + 1) without overflow for large |x|",
))
ACOSH = register(Op(
    "acosh", "acosh(x)", {"x": "1 / sqrt((x - 1) * (x + 1))"}, forward=math.acosh,
    domain=[Domain("x >= 1")], sample={"x": (1.2, 4.0)},
    doc="inverse hyperbolic cosine; (x - 1) * (x + 1) keeps its digits near 1, where the"
    " derivative is infinite (backward raises)",
))
ATANH = register(Op(
    "atanh", "atanh(x)", {"x": f"1 / {_ONE_MINUS_X2}"}, forward=math.atanh,
    domain=[Domain("-1 < x < 1")], sample={"x": _UNIT},
    doc="inverse hyperbolic tangent (infinite at ±1, which math refuses and PyTorch gives as inf)",
))
HYPOT = register(Op(
    "hypot", "hypot(x, y)",
    {"x": "0 if out == 0 else x / out", "y": "0 if out == 0 else y / out"},
    forward=math.hypot, kink_distance="hypot(x, y)",
    doc="sqrt(x**2 + y**2) without overflow; both derivatives are 0 at the origin, as"
    " abs'(0) = 0 (PyTorch's hypot gives nan there, its vector norm 0)",
))
EXP2 = register(Op("exp2", "exp2(x)", {"x": "out * log(2)"}, forward=math.exp2,
                   doc="2 ** x; OverflowError past x = 1024"))
EXPM1 = register(Op(
    "expm1", "expm1(x)", {"x": "exp(x)"}, forward=math.expm1,
    doc="exp(x) - 1, exact for small |x|; the rule exp(x) keeps its digits for x << 0, where"
    " PyTorch's out + 1 rounds to 0 (below x ~ -37); OverflowError past x ~ 709.78",
))
LOG2 = register(Op("log2", "log2(x)", {"x": "1 / (x * log(2))"}, forward=math.log2,
                   domain=[Domain("x > 0")], sample={"x": _POSITIVE}, doc="base-2 logarithm"))
LOG10 = register(Op("log10", "log10(x)", {"x": "1 / (x * log(10))"}, forward=math.log10,
                    domain=[Domain("x > 0")], sample={"x": _POSITIVE}, doc="base-10 logarithm"))
LOG1P = register(Op(
    "log1p", "log1p(x)", {"x": "1 / (1 + x)"}, forward=math.log1p,
    domain=[Domain("x > -1")], sample={"x": (-0.8, 3.0)},
    doc="log(1 + x), exact for small |x|",
))
ERF = register(Op("erf", "erf(x)", {"x": "2 / sqrt(pi) * exp(-x * x)"}, forward=math.erf,
                  doc="error function"))
ERFC = register(Op(
    "erfc", "erfc(x)", {"x": "-2 / sqrt(pi) * exp(-x * x)"}, forward=math.erfc,
    doc="complementary error function 1 - erf(x), without the cancellation for large x",
))

# Activations. Written with the rows above, so the forwards are formula text too.
SOFTPLUS = register(Op(
    "softplus", "softplus(x)", {"x": "sigmoid(x)"}, forward="relu(x) + log1p(exp(-abs(x)))",
    doc="log(1 + exp(x)), as relu(x) + log1p(exp(-|x|)): no overflow (softplus(1000) is"
    " 1000.0) and full precision for x << 0. PyTorch's defaults beta=1, threshold=20 (above"
    " 20 PyTorch returns x itself, 2e-9 below this)",
))
SILU = register(Op(
    "silu", "silu(x)", {"x": "sigmoid(x) + out * sigmoid(-x)"}, forward="x * sigmoid(x)",
    doc="x * sigmoid(x) (swish); sigmoid(-x) stands for 1 - sigmoid(x), precise for large x",
))
SELU = register(Op(
    "selu", "selu(x)", {"x": "scale if x > 0 else scale * alpha * exp(x)"},
    forward="scale * (x if x > 0 else alpha * expm1(x))", kinks=(0.0,),
    params={"scale": 1.0507009873554805, "alpha": 1.6732632423543772},
    doc="scale * elu(x, alpha) with PyTorch's constants; selu'(0) = scale * alpha, as in"
    " PyTorch (the x <= 0 side)",
))
SOFTSIGN = register(Op(
    "softsign", "softsign(x)", {"x": "1 / (1 + abs(x)) ** 2"}, forward="x / (1 + abs(x))",
    kinks=(0.0,), doc="x / (1 + |x|); its second derivative jumps at 0",
))
LOGSIGMOID = register(Op(
    "logsigmoid", "logsigmoid(x)", {"x": "sigmoid(-x)"}, forward="-softplus(-x)",
    doc="log(sigmoid(x)) as -softplus(-x): finite for x << 0 (logsigmoid(-1000) is -1000.0)",
))

# Piecewise: a tie sends half the gradient to each input, as PyTorch does.
MAXIMUM = register(Op(
    "maximum", "maximum(a, b)",
    {"a": "1 if a > b else 0.5 if a == b else 0", "b": "1 if b > a else 0.5 if a == b else 0"},
    forward="a if a >= b or a != a else b", kink_distance="a - b",
    doc="the larger input; maximum(a, a) gives each input half the gradient (0.5), as"
    " PyTorch does; nan propagates",
))
MINIMUM = register(Op(
    "minimum", "minimum(a, b)",
    {"a": "1 if a < b else 0.5 if a == b else 0", "b": "1 if b < a else 0.5 if a == b else 0"},
    forward="a if a <= b or a != a else b", kink_distance="a - b",
    doc="the smaller input; a tie gives each input half the gradient, as in PyTorch; nan"
    " propagates",
))


# Zero gradient: the derivative is 0 wherever it exists, and PyTorch's convention, 0, at the
# jumps, so code that rounds still differentiates. math's versions return ints; these floats.
def _whole(rounding: Callable[[float], int]) -> Callable[[float], float]:
    def whole(x: float) -> float:
        if not math.isfinite(x):
            return x  # inf and nan stay as they are
        return math.copysign(float(rounding(x)), x)  # round(-0.5) is -0.0, as in IEEE and PyTorch

    whole.__name__ = rounding.__name__
    return whole


_WHOLE_SAMPLE = {"x": (-2.7, 2.7)}  # an interval whose ends are not where the ops jump
FLOOR = register(Op("floor", "floor(x)", {"x": "0"}, forward=_whole(math.floor),
                    kink_distance="x - round(x)", sample=_WHOLE_SAMPLE,
                    doc="largest whole number <= x; derivative 0, as in PyTorch (it jumps at"
                    " whole numbers)"))
CEIL = register(Op("ceil", "ceil(x)", {"x": "0"}, forward=_whole(math.ceil),
                   kink_distance="x - round(x)", sample=_WHOLE_SAMPLE,
                   doc="smallest whole number >= x; derivative 0, as in PyTorch"))
ROUND = register(Op("round", "round(x)", {"x": "0"}, forward=_whole(round),
                    kink_distance="x - floor(x) - 0.5", sample=_WHOLE_SAMPLE,
                    doc="nearest whole number, ties to even (round(2.5) is 2.0) as in Python"
                    " and PyTorch; derivative 0"))
TRUNC = register(Op("trunc", "trunc(x)", {"x": "0"}, forward=_whole(math.trunc),
                    kink_distance="x - round(x)", sample=_WHOLE_SAMPLE,
                    doc="x with its fraction dropped, towards 0; derivative 0, as in PyTorch"))
STOP_GRADIENT = register(Op(
    "stop_gradient", "stop_gradient(x)", {"x": "0"}, forward="x", stops_gradient=True,
    doc="its input's value with derivative 0 by decree (JAX's stop_gradient; PyTorch's"
    " detach), recorded in the graph so that a replayed trace recomputes the value: the"
    " max-shift of logsumexp and softmax",
))

# A row's forward may call only functions of rows above it; its rules may call any.
for _op in OPS.values():
    _op.compile_forward(float_functions())
for _op in OPS.values():
    _op.compile_checks(float_functions())
_TABLE_COMPLETE = True


# ------------------------------------------------------------------ families of ops
# Some ops take plain numbers besides their inputs: ``x ** 2``, ``leaky_relu(x, 0.2)``. The
# number is part of the op, not an input: ``x ** k`` for each k is its own op ("**2", as
# micrograd names it), and so is leaky_relu for each slope, so no derivative with respect
# to the number is taken (negative bases work for integer k), and a drawing or a step of
# backward names it.

REQUIRED: Any = inspect.Parameter.empty
"""A family parameter without a default (``k`` of ``x ** k``)."""


@dataclass(frozen=True)
class Variant:
    """One set of a family's formulas, its parameters left as names.

    A row of the README table, and the text the family's ops are made from: an op binds
    the parameters to its numbers (``1 if x > 0 else negative_slope`` becomes
    ``1 if x > 0 else 0.2``).
    """

    notation: str
    derivative: str
    forward: str = ""
    doc: str = ""


class Family:
    """One-input ops that differ only in fixed parameters, made once each, on demand.

    ``family(**params)`` is the op for those parameters (``params`` holds their names and
    defaults, PyTorch's); ``make(**params)``, given every parameter, builds it from one
    of the ``variants``, usually with :meth:`Family.op`. Ops are cached (a bounded
    number: programs use few distinct constants), so the same parameters give the same
    op. A family with a ``function`` name is called like the PyTorch function
    (:meth:`Family.bind`): as a function ``leaky_relu(x, negative_slope=0.2)``, a method
    ``x.leaky_relu(0.2)`` and in the expression parser. ``normalize`` checks the
    parameters and gives each its one spelling (``alpha=1`` is ``alpha=1.0``);
    ``examples`` are parameters that tests and Hypothesis strategies draw.

    >>> op = LEAKY_RELU(negative_slope=0.2)
    >>> op.name, op.format("h"), op.formulas
    ('leaky_relu(negative_slope=0.2)', 'leaky_relu(h, negative_slope=0.2)', ('1 if x > 0 else 0.2',))
    >>> LEAKY_RELU() is LEAKY_RELU(negative_slope=0.01), LEAKY_RELU().format("h")
    (True, 'leaky_relu(h)')
    """

    def __init__(
        self,
        name: str,
        variants: Sequence[Variant],
        doc: str,
        make: Callable[..., Op],
        *,
        function: str = "",
        params: Mapping[str, Any] | None = None,
        keyword_only: Sequence[str] = (),
        normalize: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        examples: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.name = name
        self.variants = tuple(variants)
        self.doc = doc
        self.function = function
        self.inputs = ("x",)
        self.params = dict(params or {})
        self.examples = tuple(dict(e) for e in examples)
        self._make = make
        self._normalize = normalize
        self._cache: dict[tuple[Any, ...], Op] = {}
        self._calls: dict[tuple[Any, ...], Op] = {}
        kinds = {p: inspect.Parameter.KEYWORD_ONLY if p in keyword_only
                 else inspect.Parameter.POSITIONAL_OR_KEYWORD for p in self.params}
        self.signature = inspect.Signature(
            [inspect.Parameter(x, inspect.Parameter.POSITIONAL_ONLY) for x in self.inputs]
            + [inspect.Parameter(p, kinds[p], default=d) for p, d in self.params.items()]
        )
        """The function's signature, PyTorch's: ``(x, /, negative_slope=0.01)``."""

    @property
    def notation(self) -> str:
        return self.variants[0].notation

    @property
    def derivative(self) -> str:
        return self.variants[0].derivative

    def __call__(self, **params: Any) -> Op:
        params = self.complete(params)
        key = tuple((name, type(v), v) for name, v in params.items())
        op = self._cache.get(key)
        if op is None:
            op = self._make(**params)
            op.family, op.family_params = self, params
            op.compile(float_functions)
            if len(self._cache) < 1024:
                # setdefault: if two threads race here, both get the one op stored.
                op = self._cache.setdefault(key, op)
        return op

    def complete(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter, the defaults filled in, checked and normalized.

        >>> CLAMP.complete({"max": 1})
        {'min': None, 'max': 1.0}
        """
        where = self.function or self.name
        for name in params:
            if name not in self.params:
                raise TypeError(f"{where}: no parameter {name!r}; its parameters are"
                                f" {', '.join(self.params)}")
        full = {}
        for name, default in self.params.items():
            if name not in params and default is REQUIRED:
                raise TypeError(f"{where}: the parameter {name!r} is required")
            full[name] = params.get(name, default)
        return self._normalize(full) if self._normalize is not None else full

    def bind(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[tuple[Any, ...], Op]:
        """A call ``function(*args, **kwargs)`` split into its inputs and the op it applies.

        >>> inputs, op = LEAKY_RELU.bind((1.5, 0.2), {})
        >>> inputs, op.name
        ((1.5,), 'leaky_relu(negative_slope=0.2)')
        """
        # A call seen before skips binding (an activation is called once per neuron): its
        # parameters as written, with their types (True is refused where 1 is not), key the op.
        n = len(self.inputs)
        key: tuple[Any, ...] | None = None
        if len(args) >= n:
            key = (tuple((type(a), a) for a in args[n:]),
                   tuple((k, type(v), v) for k, v in kwargs.items()))
            try:
                op = self._calls.get(key)
            except TypeError:  # an unhashable parameter: bound the slow way (and refused)
                op = key = None
            if op is not None:
                return tuple(args[:n]), op
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.function}: {exc}; call it as"
                            f" {self.function}{self.signature}") from None
        bound.apply_defaults()
        inputs = tuple(bound.arguments[x] for x in self.inputs)
        op = self(**{p: bound.arguments[p] for p in self.params})
        if key is not None and len(self._calls) < 1024:
            self._calls[key] = op
        return inputs, op

    def op(self, variant: Variant, params: Mapping[str, Any], **options: Any) -> Op:
        """The op for ``params`` made from ``variant``'s text (a ``make`` function's work).

        It is named and written as the PyTorch call, parameters at their defaults left out
        (``leaky_relu``, ``leaky_relu(negative_slope=0.2)``); ``options`` go to :class:`Op`.

        The family compiles it (``family(**params)``); this only builds it.

        >>> op = ELU.op(_ELU, {"alpha": 2.0})
        >>> op.name, op.notation.text, op.formulas
        ('elu(alpha=2.0)', 'elu(x, alpha=2.0)', ('1 if x > 0 else 2.0 * exp(x)',))
        """
        shown = [f"{name}={value!r}" for name, value in params.items()
                 if self.params[name] is REQUIRED or not _same(value, self.params[name])]
        return Op(
            f"{self.function}({', '.join(shown)})" if shown else self.function,
            f"{self.function}({', '.join([*self.inputs, *shown])})",
            {x: variant.derivative for x in self.inputs},
            forward=variant.forward or None,
            params={name: v for name, v in params.items() if isinstance(v, float)},
            doc=variant.doc or self.doc,
            **options,
        )

    def __repr__(self) -> str:
        return f"<family {self.name}>"


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


_POWER = Variant("x ** k", "k * x ** (k - 1)")


def _make_power(k: float) -> Op:
    is_integer = float(k).is_integer()
    domain = []
    if not is_integer:
        domain.append(Domain("x >= 0", ValueError,
                             "negative base {x} to the non-integer power {k} is not real;"
                             " use a non-negative base or an integer exponent"))
    if k < 0:
        domain.append(Domain("x != 0", ZeroDivisionError,
                             "0.0 to the negative power {k} divides by zero; use a nonzero base"))
    low = (0.5 if k < 0 else -3.0) if is_integer else 0.2
    return Op(
        f"**{k!r}", _POWER.notation,
        {"x": "0" if k == 0 else _POWER.derivative},  # d/dx x**0 is 0 everywhere, even at 0
        params={"k": k}, domain=domain, sample={"x": (low, 3.0)},
        doc=f"power by the number {k!r}",
    )


POWERS = Family(
    "**k", [_POWER], make=_make_power, params={"k": REQUIRED},
    examples=[{"k": 2}, {"k": 3}, {"k": -1}, {"k": 0.5}],
    doc="power by a plain number k (the op is named **k, e.g. **2); no derivative with respect"
    " to k. Negative x needs an integer k; x = 0 needs k >= 0",
)


def power(k: float) -> Op:
    """The op ``x ** k`` for a fixed number ``k`` (made once per exponent, then cached).

    An int and a float exponent are different ops with different names, as in micrograd
    (``x ** 2`` is ``"**2"``, ``x ** 2.0`` is ``"**2.0"``).

    >>> power(2).name, power(2.0).name, power(2) is power(2)
    ('**2', '**2.0', True)
    >>> power(3).forward(2.0), power(3).rules[0](8.0, 2.0), power(3).formulas
    (8.0, 12.0, ('3 * x ** 2',))
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
        k = kf = float(given)  # a float subclass (numpy.float64) becomes a plain float
    if not math.isfinite(kf):
        raise ValueError(f"**: exponent {k!r} is not finite; use a finite number")
    if kf == 0.0:
        k = type(k)(0)  # -0.0 and 0.0 are the same op
    return POWERS(k=k)


def _real(where: str, name: str, value: Any, none: bool = False, hint: str = "") -> Any:
    """A parameter as a plain float (``None`` kept where allowed), or a clear error."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        allowed = "a real number or None" if none else "a real number"
        hint = hint or "a parameter is a fixed number, part of the op"
        raise TypeError(f"{where}: {name} must be {allowed}, got {type(value).__name__}"
                        f" {value!r:.60}; {hint}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{where}: {name}={number!r} is not finite; use a finite number"
                         + (" (None for no bound)" if none else ""))
    return number + 0.0  # -0.0 and 0.0 are the same op


_LEAKY_RELU = Variant(
    "leaky_relu(x, negative_slope)", "1 if x > 0 else negative_slope",
    forward="x if x > 0 else negative_slope * x",
    doc="x for x > 0, else negative_slope * x (PyTorch's default slope 0.01);"
    " leaky_relu'(0) = negative_slope, as in PyTorch",
)


def _make_leaky_relu(negative_slope: float) -> Op:
    return LEAKY_RELU.op(_LEAKY_RELU, {"negative_slope": negative_slope}, kinks=(0.0,))


LEAKY_RELU = Family(
    "leaky_relu", [_LEAKY_RELU], _LEAKY_RELU.doc, _make_leaky_relu, function="leaky_relu",
    params={"negative_slope": 0.01},
    normalize=lambda p: {"negative_slope": _real("leaky_relu", "negative_slope",
                                                 p["negative_slope"])},
    examples=[{}, {"negative_slope": 0.2}],
)

_ELU = Variant(
    "elu(x, alpha)", "1 if x > 0 else alpha * exp(x)", forward="x if x > 0 else alpha * expm1(x)",
    doc="x for x > 0, else alpha * (exp(x) - 1) (PyTorch's default alpha 1.0); elu'(0) = alpha,"
    " as in PyTorch (the x <= 0 side); the second derivative jumps at 0",
)


def _make_elu(alpha: float) -> Op:
    return ELU.op(_ELU, {"alpha": alpha}, kinks=(0.0,))


ELU = Family(
    "elu", [_ELU], _ELU.doc, _make_elu, function="elu", params={"alpha": 1.0},
    normalize=lambda p: {"alpha": _real("elu", "alpha", p["alpha"])},
    examples=[{}, {"alpha": 0.5}],
)

_GELU = {
    "none": Variant(
        "gelu(x)", "0.5 * erfc(-x / sqrt(2)) + x * exp(-x * x / 2) / sqrt(2 * pi)",
        forward="0.5 * x * erfc(-x / sqrt(2))",
        doc="x * Phi(x), Phi the standard normal distribution function, written with erfc:"
        " PyTorch's 0.5 * x * (1 + erf(x / sqrt(2))) is the same number but cancels for x << 0",
    ),
    "tanh": Variant(
        "gelu(x, approximate='tanh')",
        "sigmoid(2 * sqrt(2 / pi) * (x + 0.044715 * x * x * x)) + out * sigmoid(-2 * sqrt(2 / pi)"
        " * (x + 0.044715 * x * x * x)) * 2 * sqrt(2 / pi) * (1 + 3 * 0.044715 * x * x)",
        forward="x * sigmoid(2 * sqrt(2 / pi) * (x + 0.044715 * x * x * x))",
        doc="PyTorch's tanh approximation 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 *"
        " x**3))), written as x * sigmoid(2 * ...), the same number without the cancellation"
        " for x << 0",
    ),
}


def _gelu_params(params: dict[str, Any]) -> dict[str, Any]:
    approximate = params["approximate"]
    if not isinstance(approximate, str) or approximate not in _GELU:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh' (PyTorch's choices), got"
                         f" {approximate!r:.60}")
    return params


def _make_gelu(approximate: str) -> Op:
    return GELU.op(_GELU[approximate], {"approximate": approximate})


GELU = Family(
    "gelu", list(_GELU.values()), "Gaussian error linear unit", _make_gelu,
    function="gelu", params={"approximate": "none"}, keyword_only=["approximate"],
    normalize=_gelu_params, examples=[{}, {"approximate": "tanh"}],
)

_CLAMP = {
    "both": Variant(
        "clamp(x, min, max)", "1 if min <= x <= max else 0",
        forward="min if x < min else max if x > max else x",
        doc="x held to [min, max]; the derivative is 1 on the closed interval, its ends"
        " included, as in PyTorch",
    ),
    "min": Variant("clamp(x, min)", "1 if x >= min else 0", forward="min if x < min else x",
                   doc="max=None: x held above min; derivative 1 at x = min, as in PyTorch"),
    "max": Variant("clamp(x, max=max)", "1 if x <= max else 0", forward="max if x > max else x",
                   doc="min=None: x held below max; derivative 1 at x = max, as in PyTorch"),
    "crossed": Variant("clamp(x, min, max)", "0", forward="max",
                       doc="min > max: max everywhere, as in PyTorch"),
}


def _clamp_params(params: dict[str, Any]) -> dict[str, Any]:
    hint = "for a bound that is a Value, use maximum(x, low) or minimum(x, high)"
    low, high = (_real("clamp", bound, params[bound], none=True, hint=hint)
                 for bound in ("min", "max"))
    if low is None and high is None:
        raise ValueError("clamp: min and max are both None; give one or both, e.g."
                         " clamp(x, min=0.0) or clamp(x, -1.0, 1.0)")
    return {"min": low, "max": high}


def _make_clamp(min: float | None, max: float | None) -> Op:  # noqa: A002 - PyTorch's names
    params = {"min": min, "max": max}
    if min is None or max is None:
        bound = min if max is None else max
        assert bound is not None
        variant = _CLAMP["min" if max is None else "max"]
        return CLAMP.op(variant, params, kinks=(bound,), sample={"x": (bound - 3.0, bound + 2.5)})
    if min > max:
        return CLAMP.op(_CLAMP["crossed"], params, sample={"x": (max - 3.0, max + 2.5)})
    # Intervals lopsided around the kinks, so that an even grid over them misses the kinks.
    kinks = (min,) if min == max else (min, max)
    return CLAMP.op(_CLAMP["both"], params, kinks=kinks, sample={"x": (min - 2.5, max + 2.0)})


CLAMP = Family(
    "clamp", list(_CLAMP.values()), "x held to [min, max]", _make_clamp, function="clamp",
    params={"min": None, "max": None}, normalize=_clamp_params,
    examples=[{"min": -1.0, "max": 1.0}, {"min": 0.0}, {"max": 0.5}],
)

FAMILIES: list[Family] = [LEAKY_RELU, ELU, GELU, CLAMP, POWERS]
"""Every family of ops, for the README table, the functions and the parser."""


def _from_family(name: str, params: Mapping[str, Any]) -> Op:
    for family in FAMILIES:
        if family.name == name:
            return family(**params)
    raise KeyError(f"no family of ops named {name!r}")


def lookup(name: str) -> Op:
    """The op of a name: a row of the table, ``"**k"``, or a family's op as it names itself.

    >>> lookup("tanh"), lookup("**2.0"), lookup("leaky_relu(negative_slope=0.2)")
    (<op tanh>, <op **2.0>, <op leaky_relu(negative_slope=0.2)>)
    """
    op = OPS.get(name)
    if op is not None:
        return op
    functions = {f.function: f for f in FAMILIES if f.function}
    try:  # read the name; a wrong parameter then raises the family's own error
        if name.startswith("**"):  # "**2" and "**2.0" are different ops, as in micrograd
            made: tuple[Family, dict[str, Any]] | None = (POWERS, {"k": ast.literal_eval(name[2:])})
        else:
            tree = ast.parse(name.strip(), mode="eval").body
            call, keywords = (tree.func, tree.keywords) if isinstance(tree, ast.Call) else (tree, [])
            made = None
            if isinstance(call, ast.Name) and call.id in functions and not getattr(tree, "args", 0):
                made = functions[call.id], {k.arg: ast.literal_eval(k.value) for k in keywords
                                            if k.arg}
    except (SyntaxError, ValueError):  # not a name an op gives itself
        made = None
    if made is not None:
        family, params = made
        return power(params["k"]) if family is POWERS else family(**params)
    raise KeyError(
        f"no op named {name!r} in the op table; known: {', '.join(OPS)}, and the families"
        f" {', '.join(f.name for f in FAMILIES)}"
    )


# ------------------------------------------------------- ops of micrograd-style nodes

_CUSTOM: dict[tuple[str, int], Op] = {}


def custom(name: str, arity: int) -> Op:
    """The op of a node built micrograd's way, ``Value(data, children, name)``.

    Its local derivatives are not in the table: the node's own ``_backward`` closure adds
    them into its children's ``.grad``. The op only names the node and counts its inputs.
    """
    op = _CUSTOM.get((name, arity))
    if op is None:
        inputs = {f"x{i}": "0" for i in range(arity)}
        op = Op(name, f"custom({', '.join(inputs)})", inputs,
                forward=lambda *args: 0.0, doc="a node with a user-written _backward",
                micrograd_name=name, builtin=False)
        op.custom = True
        op.function_name = ""
        op.formulas = tuple(f"{name}'s own _backward" for _ in range(arity))
        op.compile(float_functions)
        if len(_CUSTOM) < 1024:
            op = _CUSTOM.setdefault((name, arity), op)
    return op


# ------------------------------------------------------------------- the table as text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _notes(op: Op) -> str:
    needs = "; ".join(f"needs {d.condition}" for d in op.domain)
    return "; ".join(part for part in (op.doc, needs) if part)


def markdown_table(include_user_ops: bool = False) -> str:
    """The op table as a Markdown table: op, notation, derivative rules, domain and notes.

    This is the table in the README (a test keeps the two identical); print it with
    ``autograd-mini ops``. User primitives are left out unless asked for.

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
                f"| `{_cell(op.name)}` | `{_cell(op.notation.text)}` | {rules}"
                f" | {_cell(_notes(op))} |"
            )
    for family in FAMILIES:  # one row per set of formulas, the parameters left as names
        for variant in family.variants:
            rows.append(f"| `{_cell(family.name)}` | `{_cell(variant.notation)}`"
                        f" | d/dx = `{_cell(variant.derivative)}`"
                        f" | {_cell(variant.doc or family.doc)} |")
    return "\n".join(rows) + "\n"


