"""Safe arithmetic expressions: ``"tanh(x*w + b)"`` in, a differentiable function out.

:func:`parse` reads a formula with ``ast`` and accepts only a whitelist: numbers,
variable names, the operators ``+ - * / **``, unary ``-`` and ``+``, and calls of the op
table's functions (``tanh(x)``, ``log(x)``, ... and any op a user registered with
:func:`autograd_mini.primitive`), including the families of ops with a parameter, which
is written as a number (or text) in the call, positionally or by name, as in PyTorch:
``leaky_relu(x, 0.2)``, ``clamp(x, max=1)``, ``gelu(x, approximate='tanh')``. Each such
call is the op of that parameter. An exponent without variables is a number, however it is
written: ``x ** 2``, ``x ** (1 + 1)`` and ``x ** (1/3)`` are the op of that fixed exponent
(``**2``, ``**0.3333333333333333``), which takes any real base, as Python's ``**`` does;
an exponent with a variable (``2 ** x``) is the two-input power op, whose base must be
positive. Nothing is ever passed to ``eval``: the tree is compiled
into a flat list of op-table entries and evaluated with :func:`autograd_mini.engine.apply`,
so a parsed expression gives a float for float inputs and a recorded ``Value`` for Values.

Everything else is refused with :class:`ExpressionError` (a ``ValueError``) and a one-line
message: attribute access, subscripts, lambdas, comprehensions, strings and keyword
arguments (except as a family's parameters), unknown names, constant exponents beyond
``MAX_EXPONENT``, unbracketed power towers (``a ** b ** c``; ``a ** (b ** c)`` is fine),
input longer than ``MAX_LENGTH``
characters and nesting deeper than ``MAX_NESTING``. The length and nesting limits are checked on the raw text *before*
``ast.parse`` runs, because the parser itself recurses and could otherwise be made to
fail with ``RecursionError`` or ``MemoryError``; everything after parsing is iterative.

>>> f = parse("tanh(x*w + b)")
>>> f.variables
('x', 'w', 'b')
>>> round(f(2.0, -3.0, 6.88), 4)
0.7064
>>> str(f)
'tanh(x * w + b)'
>>> parse("__import__('os')")
Traceback (most recent call last):
...
autograd_mini.expr.ExpressionError: unknown function '__import__' (at column 1); functions: abs, acos, ...
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from autograd_mini import ops
from autograd_mini.engine import apply
from autograd_mini.functions import family_function
from autograd_mini.graph import topological_order
from autograd_mini.ops import Family, Op

__all__ = [
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NESTING",
    "Call",
    "Constant",
    "Expression",
    "ExpressionError",
    "Input",
    "Node",
    "families",
    "functions",
    "parse",
    "resolve_op",
]

MAX_LENGTH = 1000
"""Longest accepted expression, in characters."""

MAX_NESTING = 32
"""Deepest accepted nesting of brackets, and longest accepted run of unary signs."""

MAX_EXPONENT = 1000.0
"""Largest accepted absolute value of a constant exponent (``x ** 1000`` is the limit)."""


class ExpressionError(ValueError):
    """An expression string that :func:`parse` refuses; the message is one line.

    >>> try:
    ...     parse("x.real")
    ... except ExpressionError as error:
    ...     print(error)
    attribute access is not allowed (at column 1); use only numbers, variables, + - * / ** and functions such as tanh(x)
    """

    def __init__(self, message: str) -> None:
        # One line always: the CLI prints it as the whole of its error output.
        super().__init__(" ".join(message.split()))


# The operators of Python's grammar that exist in the op table, by the table's name.
_BINARY_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
}
_UNARY_OPS: dict[type[ast.unaryop], str] = {ast.USub: "neg"}

# What a refused construct is called in the error message.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Lambda: "lambda is",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and' / 'or' are",
    ast.IfExp: "conditional expressions are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Set: "sets are",
    ast.Dict: "dicts are",
    ast.JoinedStr: "f-strings are",
    ast.NamedExpr: "assignment expressions (:=) are",
    ast.Starred: "starred arguments are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
    ast.Slice: "slices are",
}
_ALLOWED_TEXT = "use only numbers, variables, + - * / ** and functions such as tanh(x)"


def functions() -> dict[str, Op]:
    """The functions an expression may call: every op written as a call, e.g. ``tanh(x)``.

    Read from the op table each time, so user primitives registered later are included.

    >>> sorted(functions())[:4]
    ['abs', 'acos', 'acosh', 'asin']
    """
    return {op.function_name: op for op in ops.OPS.values() if op.function_name}


def families() -> dict[str, Family]:
    """The families an expression may call, by function name: ``leaky_relu(x, 0.2)``.

    >>> sorted(families())
    ['clamp', 'elu', 'gelu', 'leaky_relu']
    """
    return {family.function: family for family in ops.FAMILIES if family.function}


# ------------------------------------------------------------------ the expression tree
# One tree serves the parser and the Hypothesis strategies (autograd_mini.testing): an
# expression is a graph of op-table calls over inputs and constants, a node possibly shared.
# Every walk over it is iterative (graph.py), so a long chain like x+x+...+x costs nothing
# special.


@dataclass(frozen=True, eq=False)
class Input:
    """The expression's input number ``index`` (the variable ``variables[index]``)."""

    index: int


@dataclass(frozen=True, eq=False)
class Constant:
    """A number written in the expression."""

    value: float


@dataclass(frozen=True, eq=False)
class Call:
    """``op`` applied to ``args``, other nodes of the tree (a node may be used twice)."""

    op: Op
    args: tuple[Node, ...]


Node = Input | Constant | Call


def _args_of(node: Node) -> tuple[Node, ...]:
    return node.args if isinstance(node, Call) else ()


class Expression:
    """A program over named variables, built from the op table: callable on floats
    (float out) or Values (``Value`` out, with its graph; a shared node is one Value).

    Made by :func:`parse` from text, or drawn by :func:`autograd_mini.testing.expressions`
    (which also gives a ``point`` to check it at). Call it with one argument per
    variable, positionally in the order of :attr:`variables` or by name. ``str()`` gives
    the formula in canonical spelling (the op table's notation, with brackets only where
    they are needed).

    >>> f = parse("x**2 + 3*x")
    >>> f(2.0), f(x=2.0)
    (10.0, 10.0)
    >>> from autograd_mini import Value
    >>> x = Value(2.0, label="x")
    >>> y = f(x)
    >>> y.backward()
    >>> x.grad
    7.0
    >>> Expression.parse_tree(("+", ("tanh", ("*", 0, 1)), ("log", 1)), point=(0.5, 2.0))
    Expression('tanh(x0 * x1) + log(x1)', point=(0.5, 2.0))
    """

    __slots__ = ("_order", "_text", "point", "root", "source", "variables")

    def __init__(self, root: Node, variables: Sequence[str], *, source: str | None = None,
                 point: Sequence[float] | None = None) -> None:
        self.root = root
        self.variables = tuple(variables)
        """The variable names (in the order they first appear in parsed text)."""
        self.source = source
        """The text this expression was parsed from (``None`` if it was drawn)."""
        self._order: list[Node] = topological_order(root, _args_of)
        for node in self._order:
            if isinstance(node, Input) and not 0 <= node.index < len(self.variables):
                raise ValueError(f"Expression: input x{node.index} has no variable")
        if point is not None and len(point) != len(self.variables):
            raise ValueError(f"Expression: point {tuple(point)!r} needs {len(self.variables)}"
                             " coordinates")
        self.point: tuple[float, ...] | None = (
            None if point is None else tuple(float(x) for x in point))
        """A point to evaluate or check the expression at (drawn expressions have one)."""
        self._text = self._render()

    @classmethod
    def parse_tree(cls, tree: Any, point: Sequence[float]) -> Expression:
        """Build an Expression over ``x0 .. x{n-1}`` from nested tuples ``(op_name, *args)``.

        An int ``i`` is the input ``x{i}``, a float is a constant; op names are those of
        :data:`autograd_mini.ops.OPS` or ``"**k"`` for ``autograd_mini.ops.power(k)``.
        """
        inputs: dict[int, Input] = {}

        def build(item: Any) -> Node:
            if isinstance(item, bool):
                raise TypeError(f"Expression.parse_tree: {item!r} is neither an input nor an op")
            if isinstance(item, int):
                return inputs.setdefault(item, Input(item))
            if isinstance(item, float):
                return Constant(item)
            name, *args = item
            return Call(resolve_op(name), tuple(build(a) for a in args))

        return cls(build(tree), [f"x{i}" for i in range(len(point))], point=point)

    @property
    def n_inputs(self) -> int:
        """How many variables (inputs) the expression has."""
        return len(self.variables)

    # ---------------------------------------------------------------- evaluation
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inputs = self._arguments(args, kwargs)
        values: dict[int, Any] = {}  # by node: a shared subexpression is evaluated once
        for node in self._order:
            if isinstance(node, Input):
                result = inputs[node.index]
            elif isinstance(node, Constant):
                result = node.value
            else:
                result = apply(node.op, *(values[id(arg)] for arg in node.args))
            values[id(node)] = result
        return values[id(self.root)]

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """Evaluate with a mapping from variable name to float or Value.

        >>> parse("a / b").evaluate({"a": 1.0, "b": 4.0})
        0.25
        """
        return self(**values)

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        if args and kwargs:
            raise TypeError(f"{self!r}: pass the variables either by position or by name")
        if kwargs:
            unknown = [name for name in kwargs if name not in self.variables]
            missing = [name for name in self.variables if name not in kwargs]
            if unknown or missing:
                raise TypeError(
                    f"{self!r}: variables are {', '.join(self.variables) or '(none)'};"
                    f" unknown: {', '.join(unknown) or '-'}; missing: {', '.join(missing) or '-'}"
                )
            return [kwargs[name] for name in self.variables]
        if len(args) != len(self.variables):
            raise TypeError(
                f"{self!r}: takes {len(self.variables)} argument(s)"
                f" ({', '.join(self.variables) or 'none'}), got {len(args)}"
            )
        return list(args)

    # ------------------------------------------------------------------- reading
    @property
    def ops(self) -> tuple[Op, ...]:
        """The distinct ops used, in the order they are evaluated."""
        seen: dict[str, Op] = {}
        for node in self._order:
            if isinstance(node, Call):
                seen.setdefault(node.op.name, node.op)
        return tuple(seen.values())

    @property
    def depth(self) -> int:
        """Ops on the longest path from an input to the result (0 for a bare input)."""
        depth: dict[int, int] = {}
        for node in self._order:
            depth[id(node)] = (1 + max(depth[id(a)] for a in node.args)
                               if isinstance(node, Call) else 0)
        return depth[id(self.root)]

    def namespace(self) -> dict[str, Callable[..., Any]]:
        """The functions ``str(self)`` calls, by name, for ``eval`` (user ops included).

        >>> import math
        >>> expr = Expression.parse_tree(("exp", ("neg", 0)), (1.0,))
        >>> eval(str(expr), {**expr.namespace(), "x0": 1.0}) == math.exp(-1.0)
        True
        """
        return {op.function_name: partial(apply, op) if op.family is None
                else family_function(op.family) for op in self.ops if op.function_name}

    @property
    def __name__(self) -> str:
        """The formula, so reports that name a function by ``__name__`` show it."""
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        if self.point is None:
            return f"Expression({self._text!r})"
        return f"Expression({self._text!r}, point={self.point!r})"

    def _render(self) -> str:
        """The formula as text, with brackets only where precedence requires them."""
        texts: dict[int, tuple[str, int]] = {}  # node -> (text, precedence)
        for node in self._order:
            if isinstance(node, Input):
                texts[id(node)] = (self.variables[node.index], ops.ATOM)
            elif isinstance(node, Constant):
                value = node.value
                negative_zero = value == 0.0 and math.copysign(1.0, value) < 0.0
                whole = value.is_integer() and abs(value) < 1e16 and not negative_zero
                text = repr(int(value)) if whole else repr(value)
                texts[id(node)] = (text, ops.NEG.precedence if text.startswith("-") else ops.ATOM)
            else:
                texts[id(node)] = node.op.format_source(*(texts[id(a)] for a in node.args))
        return texts[id(self.root)][0]


def resolve_op(spec: Any) -> Op:
    """An op from an Op, a primitive, or a name (:func:`autograd_mini.ops.lookup`).

    >>> resolve_op("tanh"), resolve_op("**2"), resolve_op("clamp(min=0.0)")
    (<op tanh>, <op **2>, <op clamp(min=0.0)>)
    """
    if isinstance(spec, Op):
        return spec
    inner = getattr(spec, "op", None)  # a Primitive made by autograd_mini.primitive
    if isinstance(inner, Op):
        return inner
    if isinstance(spec, str):
        return ops.lookup(spec)
    raise TypeError(f"{spec!r} is not an op, an op name or a primitive")


# ------------------------------------------------------------------------------ parse


def parse(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression`, or raise :class:`ExpressionError`.

    >>> f = parse("log(x) - -2 * y ** -1")
    >>> f.variables, str(f)
    (('x', 'y'), 'log(x) - -2 * y ** -1')
    >>> parse("x ** 10000")
    Traceback (most recent call last):
    ...
    autograd_mini.expr.ExpressionError: exponent 10000 is too large (at column 6); the limit is |exponent| <= 1000
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}")
    _check_text(text)
    try:
        with warnings.catch_warnings():
            # Python warns about text such as "1if x else 2"; the error (or the refusal of
            # the construct below) is the one message the user gets.
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"syntax error{where}: {error.msg}") from None
    except ValueError as error:  # e.g. a NUL byte in the text
        raise ExpressionError(f"cannot parse the expression: {error}") from None
    return _compile(text, tree.body, text.strip())


def _check_text(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    if not text.strip():
        raise ExpressionError("expression is empty; write a formula such as tanh(x*w + b)")
    depth = deepest = signs = 0
    previous = ""
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
        if char in "+-~":
            # A sign after an operator or an opening bracket is unary, and each one is a
            # level of nesting for the parser: "- - - - x" is as deep as "((((x))))".
            signs = signs + 1 if previous == "" or previous in "+-*/%@&|^~(,[{<>=!" else 1
            deepest = max(deepest, depth + signs)
        if not char.isspace():
            previous = char
            if char not in "+-~":
                signs = 0
    if deepest > MAX_NESTING:
        raise ExpressionError(
            f"expression is nested {deepest} levels deep; the limit is {MAX_NESTING}"
        )


def _refuse(node: ast.AST, what: str, fix: str = _ALLOWED_TEXT) -> ExpressionError:
    column = getattr(node, "col_offset", None)
    where = f" (at column {column + 1})" if column is not None else ""
    return ExpressionError(f"{what}{where}; {fix}" if fix else f"{what}{where}")


def _compile(source: str, root: ast.expr, parsed: str) -> Expression:
    """Check every node against the whitelist and emit postfix instructions.

    An explicit work stack replaces recursion: ``(node, False)`` means "check this node
    and schedule its operands", ``(node, True)`` means "operands done, emit its op". A
    ``**`` whose exponent turns out to have no variables is emitted as the op of that
    fixed exponent (``x ** 3``, ``x ** (1 + 2)``: the op made for exponent 3). ``parsed``
    is the text ``ast`` read, for the brackets it does not record.
    """
    table = functions()
    family_table = {name: f for name, f in families().items() if name not in table}
    variables: dict[str, Input] = {}
    operands: list[Node] = []  # the tree built so far, as a stack of subexpressions
    stack: list[tuple[ast.AST | Op, bool]] = [(root, False)]

    def call(op: Op) -> None:
        args = tuple(operands[len(operands) - op.arity:])
        del operands[len(operands) - op.arity:]
        operands.append(Call(op, args))

    while stack:
        node, operands_done = stack.pop()
        if isinstance(node, Op):
            call(node)
        elif operands_done and isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
                and (exponent := _constant_exponent(node, operands[-1])) is not None:
            operands.pop()  # x ** number: the op for that fixed exponent, on the base alone
            call(ops.power(int(exponent) if exponent.is_integer() else exponent))
        elif operands_done:
            call(_op_of(node, table))
        elif (constant := _constant_value(node)) is not None:
            operands.append(Constant(constant))
        elif isinstance(node, ast.Name):
            if node.id in table or node.id in family_table:
                raise _refuse(node, f"{node.id!r} is a function",
                              f"call it, e.g. {node.id}(x), or name the variable differently")
            operands.append(variables.setdefault(node.id, Input(len(variables))))
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY_OPS:
                raise _refuse(node, f"operator {_operator_text(node.op)} is not supported",
                              "the operators are + - * / **")
            if isinstance(node.op, ast.Pow):
                _check_tower(node, parsed)
            stack.extend(((node, True), (node.right, False), (node.left, False)))
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                stack.append((node.operand, False))
            elif type(node.op) in _UNARY_OPS:
                stack.extend(((node, True), (node.operand, False)))
            else:
                raise _refuse(node, f"operator {_operator_text(node.op)} is not supported",
                              "the unary operators are - and +")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in family_table):
            stack.append((_family_op(node, family_table[node.func.id]), True))
            stack.append((node.args[0], False))
        elif isinstance(node, ast.Call):
            _check_call(node, table, family_table)
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
        elif isinstance(node, ast.Constant):
            kind = "strings are" if isinstance(node.value, str | bytes) else (
                f"the constant {node.value!r} is")
            raise _refuse(node, f"{kind} not allowed")
        else:
            what = _REFUSED.get(type(node), f"the construct {type(node).__name__} is")
            raise _refuse(node, f"{what} not allowed")
    return Expression(operands[0], list(variables), source=source)


def _op_of(node: ast.AST, table: Mapping[str, Op]) -> Op:
    """The op-table entry of an operator or call node that passed the whitelist."""
    if isinstance(node, ast.BinOp):
        return ops.OPS[_BINARY_OPS[type(node.op)]]
    if isinstance(node, ast.UnaryOp):
        return ops.OPS[_UNARY_OPS[type(node.op)]]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return table[node.func.id]


def _constant_value(node: ast.AST) -> float | None:
    """The value of a number literal, possibly signed (``-2``); None for anything else."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if not isinstance(node, ast.Constant):
        return None
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        raise _refuse(node, f"the number {str(value)[:20]}... is too large for a float",
                      "use a smaller number") from None
    if not math.isfinite(number):
        raise _refuse(node, "a number overflows to infinity", "use a finite number")
    return sign * number


def _check_tower(node: ast.BinOp, parsed: str) -> None:
    """Refuse ``a ** b ** c`` written without brackets (``a ** -b ** c`` too).

    Python reads it as ``a ** (b ** c)``, which few readers expect; with the brackets
    written out, as in ``2 ** (x ** 2)`` or ``a ** -(b ** c)``, it is accepted. ``ast``
    keeps no brackets, so the text between the operands is read for them.
    """
    before: ast.expr = node.left  # what precedes the exponent: the base, then each sign
    exponent = node.right
    while True:
        if _bracket_between(parsed, before, exponent):
            return
        if not isinstance(exponent, ast.UnaryOp):
            break
        before, exponent = exponent, exponent.operand
    # Only a power directly in the exponent is a tower: 2 ** sin(x ** 2) is fine.
    if isinstance(exponent, ast.BinOp) and isinstance(exponent.op, ast.Pow):
        raise _refuse(node, "power towers such as a ** b ** c are not allowed without brackets",
                      "write the grouping you mean, e.g. a ** (b ** c) or (a ** b) ** c")


def _bracket_between(parsed: str, before: ast.expr, node: ast.expr) -> bool:
    """Whether an opening bracket stands between the end of ``before`` (the base: after
    its ``**``; a sign: after the sign itself) and the start of ``node``."""
    if isinstance(before, ast.UnaryOp):  # from the sign's start: it is one character
        start = (before.lineno, before.col_offset)
    else:
        start = (before.end_lineno or before.lineno, before.end_col_offset or 0)
    span = ast.Constant(None, lineno=start[0], col_offset=start[1], end_lineno=node.lineno,
                        end_col_offset=node.col_offset)
    gap = ast.get_source_segment(parsed, span) or ""
    gap = re.sub(r"#[^\r\n]*", "", gap)  # a comment may hold any character
    if not isinstance(before, ast.UnaryOp):
        gap = gap[gap.find("**") + 2:]  # the base's own closing brackets come before **
    return "(" in gap


def _constant_exponent(node: ast.BinOp, exponent: Node) -> float | None:
    """The value of an exponent without variables (checked against MAX_EXPONENT), or None.

    ``x ** 2`` and ``x ** (1 + 1)`` alike: the exponent's ops are evaluated on numbers.
    One that raises (``x ** log(-1)``) is left as it is written, so the error comes from the
    engine when the expression is evaluated, as for any other constant in it.
    """
    if isinstance(exponent, Constant):
        value = exponent.value
    else:
        root: Node = exponent
        values: dict[int, Any] = {}
        try:
            for item in topological_order(root, _args_of):
                if isinstance(item, Input):
                    return None  # a variable in the exponent: the two-input power op
                values[id(item)] = (item.value if isinstance(item, Constant) else
                                    apply(item.op, *(values[id(a)] for a in item.args)))
        except (ArithmeticError, ValueError, TypeError):
            return None
        value = float(values[id(exponent)])
    if math.isnan(value):
        raise _refuse(node.right, "the exponent is not a number (nan)",
                      "write an exponent that is a finite number")
    if abs(value) > MAX_EXPONENT:
        text = repr(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
        raise _refuse(node.right, f"exponent {text} is too large",
                      f"the limit is |exponent| <= {MAX_EXPONENT:g}")
    return value


def _family_op(node: ast.Call, family: Family) -> Op:
    """The op of a family call ``leaky_relu(x, 0.2)``: its parameters must be written out."""
    name = family.function
    usage = f"write {name}{family.signature}".replace("/, ", "").replace("*, ", "")
    if not node.args or any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        raise _refuse(node, f"{name}(...) takes its input first, then its parameters", usage)
    positional = [_parameter(arg, name, usage) for arg in node.args[1:]]
    named = {k.arg: _parameter(k.value, name, usage) for k in node.keywords if k.arg is not None}
    try:
        _, op = family.bind((0.0, *positional), named)
    except (TypeError, ValueError) as error:  # the message names the call to write
        raise _refuse(node, str(error), "") from None
    return op


def _parameter(node: ast.expr, name: str, usage: str) -> Any:
    """A family parameter as written: a number (maybe signed), a text such as 'tanh', None."""
    number = _constant_value(node)
    if number is not None:
        return number
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return node.value
    raise _refuse(node, f"a parameter of {name}(...) must be written out, as a number or a text"
                  " (it is part of the op, not an input)", usage)


def _check_call(node: ast.Call, table: Mapping[str, Op],
                family_table: Mapping[str, Family] | None = None) -> None:
    if not isinstance(node.func, ast.Name):
        what = _REFUSED.get(type(node.func), "calling anything but a function name is")
        raise _refuse(node.func, f"{what} not allowed")
    name = node.func.id
    op = table.get(name)
    if op is None:
        known = sorted({*table, *(family_table or {})})
        raise _refuse(node, f"unknown function {name!r}", f"functions: {', '.join(known)}")
    if node.keywords:
        raise _refuse(node, f"keyword arguments in {name}(...) are not allowed",
                      f"write {op.format(*op.inputs)}")
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(arg, "starred arguments are not allowed", f"write {op.format(*op.inputs)}")
    if len(node.args) != op.arity:
        raise _refuse(node, f"{name} takes {op.arity} argument(s), got {len(node.args)}",
                      f"write {op.format(*op.inputs)}")


def _operator_text(op: ast.AST) -> str:
    symbols = {
        ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
        ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
        ast.Invert: "~", ast.Not: "not",
    }
    return symbols.get(type(op), type(op).__name__)
