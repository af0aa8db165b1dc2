"""autograd_mini: a scalar reverse-mode automatic differentiation engine you can watch work.

>>> from autograd_mini import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> y.data, x.grad
(10.0, 7.0)
"""

from autograd_mini import ops
from autograd_mini.check import GradcheckError, gradcheck, gradgradcheck
from autograd_mini.engine import (
    Primitive,
    Value,
    abs,
    apply,
    cos,
    detach,
    enable_grad,
    exp,
    gradients,
    is_grad_enabled,
    log,
    no_grad,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd_mini.functional import grad, value_and_grad
from autograd_mini.steps import backward_steps
from autograd_mini.viz import draw_dot

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Primitive",
    "Value",
    "__version__",
    "abs",
    "apply",
    "backward_steps",
    "cos",
    "detach",
    "draw_dot",
    "enable_grad",
    "exp",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "is_grad_enabled",
    "log",
    "no_grad",
    "ops",
    "primitive",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "tanh",
    "value_and_grad",
]
