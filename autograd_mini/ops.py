"""The op table: every primitive autograd_mini knows, each stated once, in its row.

A row gives an op's name, its notation (``"a * b"``, ``"tanh(x)"``), one derivative
formula per input (``"b"``, ``"1 - out**2"``; ``out`` is the op's output), and where it
needs them its float forward, its domain, its kinks and a note. Everything else is made
from the row (see :mod:`autograd_mini.formulas`):

* the float rules of the ordinary backward pass (:attr:`Op.rules`) and, compiled with the
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
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd_mini.formulas import ATOM, POWER, Formula, FormulaError

__all__ = [
    "ATOM",
    "OPS",
    "Domain",
    "FormulaError",
    "Op",
    "custom",
    "float_functions",
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
    where the op is an expression (relu: ``"x if x > 0 else 0.0"``). ``domain`` lists the
    conditions the inputs must meet; ``kinks`` the points of the first input where the
    derivative jumps; ``sample`` a closed interval per input where tests may draw it.
    ``params`` are numbers fixed for this op (``k`` of ``x ** k``).

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
        sample: Mapping[str, tuple[float, float]] | None = None,
        doc: str = "",
        params: Mapping[str, float] | None = None,
        micrograd_name: str = "",
        builtin: bool = True,
        check: Callable[..., None] | None = None,
        formula_texts: Sequence[str] | None = None,
    ) -> None:
        if not derivatives:
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
    "relu", "relu(x)", {"x": "1 if x > 0 else 0"}, forward="x if x > 0 else 0.0",
    kinks=(0.0,), micrograd_name="ReLU", doc="max(0, x); relu'(0) = 0 as in PyTorch",
))
SQRT = register(Op(
    "sqrt", "sqrt(x)", {"x": "0.5 / out"}, forward=math.sqrt, domain=[Domain("x >= 0")],
    sample={"x": _POSITIVE}, doc="square root (the derivative is infinite at 0)",
))
SIN = register(Op("sin", "sin(x)", {"x": "cos(x)"}, forward=math.sin, doc="sine"))
COS = register(Op("cos", "cos(x)", {"x": "-sin(x)"}, forward=math.cos, doc="cosine"))

# A row's forward may call only functions of rows above it; its rules may call any.
for _op in OPS.values():
    _op.compile_forward(float_functions())
for _op in OPS.values():
    _op.compile_checks(float_functions())
_TABLE_COMPLETE = True


# ------------------------------------------------------------------ families of ops
# Some ops take a plain number besides their inputs: ``x ** 2``. The number is part of the
# op, not an input: ``x ** k`` for each k is its own op ("**2", as micrograd names it), so
# no derivative with respect to k is taken and negative bases work for integer k.


class Family:
    """Ops that differ only in fixed numbers (their ``params``), made once each, on demand.

    ``make(**params)`` returns the op for those numbers; ops are cached (a bounded
    number: programs use few distinct constants), so the same numbers give the same op.
    """

    def __init__(self, name: str, notation: str, derivative: str, doc: str,
                 make: Callable[..., Op]) -> None:
        self.name = name
        self.notation = notation
        self.derivative = derivative
        self.doc = doc
        self._make = make
        self._cache: dict[tuple[Any, ...], Op] = {}

    def __call__(self, **params: Any) -> Op:
        key = tuple((name, type(v), v) for name, v in sorted(params.items()))
        op = self._cache.get(key)
        if op is None:
            op = self._make(**params)
            op.compile(float_functions)
            if len(self._cache) < 1024:
                # setdefault: if two threads race here, both get the one op stored.
                op = self._cache.setdefault(key, op)
        return op


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
        f"**{k!r}", POWERS.notation,
        {"x": "0" if k == 0 else POWERS.derivative},  # d/dx x**0 is 0 everywhere, even at 0
        params={"k": k}, domain=domain, sample={"x": (low, 3.0)},
        doc=f"power by the number {k!r}",
    )


POWERS = Family(
    "**k", "x ** k", "k * x ** (k - 1)", make=_make_power,
    doc="power by a plain number k (the op is named **k, e.g. **2); no derivative with respect"
    " to k. Negative x needs an integer k; x = 0 needs k >= 0",
)
FAMILIES: list[Family] = [POWERS]
"""Every family of ops, for the README table."""


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


def _notes(op: Op | Family) -> str:
    if isinstance(op, Family):
        return op.doc
    needs = "; ".join(f"needs {d.condition}" for d in op.domain)
    return "; ".join(part for part in (op.doc, needs) if part)


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
                f"| `{_cell(op.name)}` | `{_cell(op.notation.text)}` | {rules}"
                f" | {_cell(_notes(op))} |"
            )
    for family in FAMILIES:
        rows.append(f"| `{family.name}` | `{family.notation}` | d/dx = `{family.derivative}`"
                    f" | {_cell(_notes(family))} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")

