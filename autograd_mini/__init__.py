"""autograd_mini: a scalar reverse-mode automatic differentiation engine you can watch work.

>>> from autograd_mini import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> y.data, x.grad
(10.0, 7.0)
"""

import builtins
from typing import TYPE_CHECKING, Any

from autograd_mini import copying as _copying  # noqa: F401 - registers pickling of Values
from autograd_mini import functions as _functions
from autograd_mini import ops
from autograd_mini.check import GradcheckError, gradcheck, gradgradcheck
from autograd_mini.compiled import compile
from autograd_mini.engine import (
    Value,
    apply,
    detach,
    enable_grad,
    gradients,
    is_grad_enabled,
    no_grad,
)
from autograd_mini.functional import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
)
from autograd_mini.primitives import Primitive, primitive
from autograd_mini.stepper import stepper
from autograd_mini.steps import backward_steps
from autograd_mini.viz import draw_dot

__version__ = "0.1.0"

# The float-or-Value function of every built-in op written as a call (exp, tanh, ...),
# made from the op table (functions.py).
_FUNCTIONS = list(_functions.__all__)  # exp, ..., leaky_relu(x, negative_slope), softmax(xs)
globals().update({name: getattr(_functions, name) for name in _FUNCTIONS})

__all__ = [
    "GradcheckError",
    "Primitive",
    "Value",
    "__version__",
    "apply",
    "backward_steps",
    "compile",
    "detach",
    "draw_dot",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "no_grad",
    "ops",
    "primitive",
    "stepper",
    "value_and_grad",
]
__all__ += _FUNCTIONS  # exp, log, tanh, ...: one per row (and family) of the op table
# `from autograd_mini import *` (as in `from micrograd.engine import *`) must not replace
# Python's own abs, round and compile: those are imported by name.
__all__ = [name for name in __all__ if not hasattr(builtins, name)]

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any: ...
