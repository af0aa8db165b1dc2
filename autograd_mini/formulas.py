"""Formula text: the one place an op's forward, derivatives and domain are written.

A formula is a Python expression over numbers: the names of an op's inputs, ``out`` (its
output), its parameters (``k`` in ``x ** k``) and the functions of the op table, e.g.
``"b"``, ``"1 - out**2"`` or ``"0 if a == 0 and b == 0 else b * a**(b - 1)"``. Like a line
of PyTorch's ``derivatives.yaml``, the text is the source, and everything else is made
from it:

* :meth:`Formula.function` compiles it into a Python function, once with float functions
  (the ordinary backward pass) and once with float-or-``Value`` functions (the
  ``create_graph`` pass, where a rule builds graph). In the second, comparisons compare
  numbers (``a == 0`` asks about ``a``'s data, not its identity), so one text serves both;
* :meth:`Formula.substitute` writes it with its names replaced by other source text,
  bracketed exactly where Python needs it: the compiled mode inlines rules this way;
* ``Formula.text`` is what people read in the README, the step-through and errors.

Only a small, safe part of Python is allowed: numbers, names, ``+ - * / **``, unary ``-``
and ``+``, comparisons, ``and``/``or``/``not``, ``x if c else y`` and calls of named
functions. A call may pass keyword arguments whose values are numbers or text: that is how
the notation of an op with a fixed parameter reads (``leaky_relu(x, negative_slope=0.2)``,
``gelu(x, approximate='tanh')``). Standard library only.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["ATOM", "CONSTANTS", "Formula", "FormulaError", "number_literal"]

# Operator precedence, as Python's grammar orders it (higher binds tighter).
TEST, OR, AND, NOT, CMP, ARITH, TERM, FACTOR, POWER, ATOM = 1, 2, 3, 4, 5, 10, 20, 30, 40, 1000
"""``ATOM``: a name, a number or a call, which never needs brackets."""

_BINARY: dict[type[ast.operator], tuple[str, int]] = {
    ast.Add: ("+", ARITH), ast.Sub: ("-", ARITH), ast.Mult: ("*", TERM),
    ast.Div: ("/", TERM), ast.Pow: ("**", POWER),
}
_UNARY: dict[type[ast.unaryop], tuple[str, int]] = {
    ast.USub: ("-", FACTOR), ast.UAdd: ("+", FACTOR), ast.Not: ("not ", NOT),
}
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "inf": math.inf}
"""Names every formula may use besides its variables and the op table's functions."""


class FormulaError(ValueError):
    """A formula that is not valid text for the op table; the message names the op."""


def number_literal(value: float) -> tuple[str, int]:
    """Python source for a number and its precedence (a minus sign makes it a unary ``-``).

    >>> number_literal(2.5), number_literal(-0.0), number_literal(float("inf"))
    (('2.5', 1000), ('-0.0', 30), ('inf', 1000))
    """
    text = repr(value)
    if text in ("inf", "-inf", "nan"):  # names in every formula namespace (nan: see below)
        return (text, ATOM) if text[0] != "-" else (text, FACTOR)
    return text, FACTOR if text.startswith("-") else ATOM


class Formula:
    """One formula: its text, the names it uses, and the ways to run or inline it.

    >>> rule = Formula("1 - out**2", variables=("out", "x"), where="tanh")
    >>> rule.function(("out", "x"), {})(0.5, 0.0)
    0.75
    >>> rule.substitute({"out": ("h1", ATOM)})
    ('1 - h1 ** 2', 10)
    """

    __slots__ = ("_positional", "_slots", "_template", "functions", "precedence", "text", "tree",
                 "uses", "variables")

    def __init__(self, text: str, variables: Sequence[str], where: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise FormulaError(f"{where}: a formula must be non-empty text, got {text!r}")
        try:
            tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as error:
            raise FormulaError(f"{where}: formula {text!r} is not valid Python ({error.msg})") from None
        self.variables = tuple(variables)
        self.tree = tree
        self.functions = frozenset(_validate(tree, set(self.variables), where, text.strip()))
        self.text = _unparse(tree)[0]
        self.precedence = _precedence(tree)
        self._template, self._slots = _template(tree, set(self.variables))
        self._positional: dict[tuple[str, ...], tuple[str, tuple[tuple[int, int], ...]]] = {}
        self.uses: dict[str, int] = {}
        """How many times each variable appears in the formula (``{"out": 1}`` for ``out``)."""
        for name, _ in self._slots.values():
            self.uses[name] = self.uses.get(name, 0) + 1

    def function(
        self,
        arguments: Sequence[str],
        namespace: Mapping[str, Any],
        compare_numbers: bool = False,
    ) -> Callable[..., Any]:
        """The formula as ``lambda *arguments: <formula>``, its other names from ``namespace``.

        With ``compare_numbers`` every operand of a comparison is passed through the
        namespace's ``number`` first (for ``Value`` inputs that is their data).
        """
        tree = _NumbersCompared().visit(_copy(self.tree)) if compare_numbers else self.tree
        source = f"lambda {', '.join(arguments)}: {_unparse(tree)[0]}"
        globals_ = {**CONSTANTS, "nan": math.nan, **namespace, "__builtins__": {}}
        missing = sorted(self.functions - set(globals_))
        if missing:
            raise FormulaError(
                f"formula {self.text!r} calls {', '.join(missing)}, which the op table does not"
                " have; define that op first, or write the formula with existing functions"
            )
        code = compile(source, f"<formula {self.text}>", "eval")
        function: Callable[..., Any] = eval(code, globals_)
        return function

    def substitute(self, replacements: Mapping[str, tuple[str, int]]) -> tuple[str, int]:
        """The formula with variables replaced by ``(source, precedence)``; its precedence.

        Variables not in ``replacements`` keep their names. Brackets go only where
        Python would group the text otherwise (a right operand of ``-`` or ``/`` of equal
        precedence keeps them: float arithmetic is not associative).

        >>> Formula("1 / b", ("b",), "/").substitute({"b": ("x + y", ARITH)})
        ('1 / (x + y)', 20)
        """
        parts = {}
        for slot, (name, needed) in self._slots.items():
            text, precedence = replacements.get(name, (name, ATOM))
            parts[slot] = f"({text})" if precedence < needed else text
        return self._template.format_map(parts), self.precedence

    def filler(self, variables: Sequence[str]) -> Callable[[Sequence[tuple[str, int]]], str]:
        """A fast :meth:`substitute` for code generation: values given by position.

        ``filler(("out", "a", "b"))(values)`` writes the formula with ``values[i]``
        (``(source, precedence)``) for the i-th of those variables.

        >>> Formula("a * b", ("a", "b"), "*").filler(("a", "b"))([("x + 1", ARITH), ("y", ATOM)])
        '(x + 1) * y'
        """
        key = tuple(variables)
        if key not in self._positional:
            template = self._template
            found = []
            for k, (slot, (name, needed)) in enumerate(self._slots.items()):
                template = template.replace("{" + slot + "}", "{" + str(k) + "}")
                found.append((key.index(name), needed))
            self._positional[key] = (template, tuple(found))
        template, slots = self._positional[key]
        if template == "{0}":  # the formula is one variable: it is that value, unbracketed
            index = slots[0][0]
            return lambda values: values[index][0]

        def fill(values: Sequence[tuple[str, int]]) -> str:
            parts = []
            for index, needed in slots:
                text, precedence = values[index]
                parts.append(f"({text})" if precedence < needed else text)
            return template.format(*parts)

        return fill

    def bind(self, values: Mapping[str, float], where: str) -> Formula:
        """A new formula with parameters replaced by numbers, and constant parts folded.

        >>> Formula("k * x ** (k - 1)", ("x", "k"), "**").bind({"k": 3}, "**3").text
        '3 * x ** 2'
        """
        tree = _Folded(values).visit(_copy(self.tree))
        remaining = [name for name in self.variables if name not in values]
        return Formula(_unparse(tree)[0], remaining, where)

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


# ------------------------------------------------------------------ validating


def _validate(tree: ast.expr, variables: set[str], where: str, text: str) -> set[str]:
    """Refuse anything but the allowed constructs; return the names of called functions."""
    called: set[str] = set()
    texts: set[int] = set()  # the text constants a keyword argument may hold
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulaError(f"{where}: in formula {text!r}, call functions by name")
            for keyword in node.keywords:
                if keyword.arg is None or not _is_literal(keyword.value, variables):
                    raise FormulaError(
                        f"{where}: in formula {text!r}, a keyword argument must be a name"
                        " given a number, a text or a parameter (negative_slope=0.2)"
                    )
                if isinstance(keyword.value, ast.Constant):
                    texts.add(id(keyword.value))
            called.add(node.func.id)
        elif isinstance(node, ast.Name):
            # A bare name that is neither an input nor a constant is only allowed as the
            # function of a call, which ast.walk has already seen.
            if node.id not in variables and node.id not in CONSTANTS and not _is_called(tree, node):
                known = ", ".join(sorted(variables)) or "none"
                raise FormulaError(
                    f"{where}: formula {text!r} uses the name {node.id!r}, which is not"
                    f" one of its variables ({known})"
                )
        elif isinstance(node, ast.Constant):
            if id(node) in texts and isinstance(node.value, str):
                continue
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise FormulaError(f"{where}: formula {text!r} may only hold numbers, not"
                                   f" {node.value!r}")
        elif isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise FormulaError(f"{where}: formula {text!r} uses an operator outside + - * / **")
        elif isinstance(node, ast.UnaryOp) and type(node.op) not in _UNARY:
            raise FormulaError(f"{where}: formula {text!r} uses an unsupported unary operator")
        elif isinstance(node, ast.Compare) and not all(isinstance(o, _COMPARE) for o in node.ops):
            raise FormulaError(f"{where}: formula {text!r} compares with something other than"
                               " < <= > >= == !=")
        elif not isinstance(node, _ALLOWED):
            raise FormulaError(
                f"{where}: formula {text!r} uses {type(node).__name__}, which formulas do not"
                " allow (numbers, names, + - * / **, comparisons, and/or/not, x if c else y,"
                " and calls)"
            )
    return called


_ALLOWED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.BinOp,
            ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Constant,
            ast.keyword)


def _is_literal(node: ast.expr, variables: set[str]) -> bool:
    """A keyword argument's value: a number (maybe signed), a text, or a variable's name."""
    if isinstance(node, ast.Name):
        return node.id in variables
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    return _number_of(node) is not None


def _is_called(tree: ast.expr, name: ast.Name) -> bool:
    return any(isinstance(node, ast.Call) and node.func is name for node in ast.walk(tree))


# ------------------------------------------------------------ precedence and templates


def _precedence(node: ast.expr) -> int:
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)][1]
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)][1]
    if isinstance(node, ast.Compare):
        return CMP
    if isinstance(node, ast.BoolOp):
        return AND if isinstance(node.op, ast.And) else OR
    if isinstance(node, ast.IfExp):
        return TEST
    number = _number_of(node)
    if isinstance(node, ast.Constant) and number is not None:
        return FACTOR if number < 0 else ATOM
    return ATOM


def _needed(parent: ast.expr, child: ast.expr) -> int:
    """The least precedence ``child`` may have, where it stands in ``parent``, unbracketed.

    A little stricter than Python, for people: an operand of ``**`` or of a unary minus
    that is itself such an operation keeps its brackets (``x ** (-y)``, ``-(-x)``,
    ``a ** (b ** c)``); a negative number may stand bare as an exponent (``x ** -1``).
    """
    if isinstance(parent, ast.BinOp):
        own = _BINARY[type(parent.op)][1]
        if own == POWER and child is parent.right and _number_of(child) is not None:
            return FACTOR
        return own if child is parent.left and own != POWER else own + 1
    if isinstance(parent, ast.UnaryOp):
        return _UNARY[type(parent.op)][1] + 1
    if isinstance(parent, ast.Compare):
        return CMP + 1
    if isinstance(parent, ast.BoolOp):
        return (AND if isinstance(parent.op, ast.And) else OR) + 1
    if isinstance(parent, ast.IfExp):
        return TEST if child is parent.orelse else TEST + 1
    return TEST  # a call argument


def _template(tree: ast.expr, variables: set[str]) -> tuple[str, dict[str, tuple[str, int]]]:
    """The formula's source with each variable as a ``{slot}``, and what each slot needs."""
    marked = _copy(tree)
    parents: dict[ast.AST, ast.expr] = {
        child: node for node in ast.walk(marked) if isinstance(node, ast.expr)
        for child in ast.iter_child_nodes(node)
    }
    slots: dict[str, tuple[str, int]] = {}
    for node in list(ast.walk(marked)):
        if isinstance(node, ast.Name) and node.id in variables:
            slot = f"slot{len(slots)}"
            parent = parents.get(node)
            slots[slot] = (node.id, TEST if parent is None else _needed(parent, node))
            node.id = f"__{slot}__"
    text = _unparse(marked)[0]
    for slot in slots:
        text = text.replace(f"__{slot}__", "{" + slot + "}")
    return text, slots


def _copy(tree: ast.expr) -> ast.expr:
    copied: ast.expr = copy.deepcopy(tree)
    return copied


def _unparse(node: ast.expr) -> tuple[str, int]:
    """Source text for a formula tree, with brackets exactly where Python needs them."""
    def part(child: ast.expr) -> str:
        text, precedence = _unparse(child)
        return f"({text})" if precedence < _needed(node, child) else text

    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, float):
            return number_literal(value)
        assert isinstance(value, int)
        return repr(value), FACTOR if value < 0 else ATOM
    if isinstance(node, ast.Name):
        return node.id, ATOM
    if isinstance(node, ast.BinOp):
        return f"{part(node.left)} {_BINARY[type(node.op)][0]} {part(node.right)}", _precedence(node)
    if isinstance(node, ast.UnaryOp):
        return f"{_UNARY[type(node.op)][0]}{part(node.operand)}", _precedence(node)
    if isinstance(node, ast.Compare):
        symbols = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
                   ast.NotEq: "!="}
        text = part(node.left)
        for op, right in zip(node.ops, node.comparators):
            text += f" {symbols[type(op)]} {part(right)}"
        return text, CMP
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        return word.join(part(v) for v in node.values), _precedence(node)
    if isinstance(node, ast.IfExp):
        return f"{part(node.body)} if {part(node.test)} else {part(node.orelse)}", TEST
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        arguments = [_unparse(a)[0] for a in node.args] + [
            f"{k.arg}={_literal_text(k.value)}" for k in node.keywords
        ]
        return f"{node.func.id}({', '.join(arguments)})", ATOM
    raise FormulaError(f"cannot write {type(node).__name__} as formula text")


def _literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return repr(node.value)
    return _unparse(node)[0]


class _NumbersCompared(ast.NodeTransformer):
    """``a == 0`` becomes ``number(a) == 0``: on Values, rules compare data, not identity."""

    def visit_Compare(self, node: ast.Compare) -> ast.Compare:
        def wrapped(operand: ast.expr) -> ast.expr:
            operand = self.visit(operand)
            return ast.Call(ast.Name("number", ast.Load()), [operand], [])

        node.left = wrapped(node.left)
        node.comparators = [wrapped(c) for c in node.comparators]
        return ast.fix_missing_locations(node)


class _Folded(ast.NodeTransformer):
    """Parameters replaced by numbers; operations on numbers alone computed, as Python would."""

    def __init__(self, values: Mapping[str, float]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.values:
            return _number_node(self.values[node.id])
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        node = super().generic_visit(node)
        if isinstance(node, ast.BinOp | ast.UnaryOp) and all(
            _number_of(child) is not None for child in ast.iter_child_nodes(node)
            if isinstance(child, ast.expr)
        ):
            try:
                folded = ast.fix_missing_locations(ast.Expression(node))
                value = eval(compile(folded, "<fold>", "eval"), {})
            except ArithmeticError:
                return node  # leave it for run time, where it raises in context
            return _number_node(value)
        return node


def _number_of(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number_of(node.operand)
        return None if inner is None else -inner
    return None


def _number_node(value: float) -> ast.expr:
    # A negative number is written as unary minus, so that unparsing brackets it right
    # ((-2) ** x, not -2 ** x).
    if value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)
