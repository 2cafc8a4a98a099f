"""Element-wise functions of one tensor: negation, exp, log."""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module


class Neg(Function):
    """y = -x.    dL/dx = -g."""

    def forward(self, x):
        return -x

    def backward(self, grad_out):
        return -grad_out


class Exp(Function):
    """y = e^x.    dL/dx = g * e^x = g * y   (exp is its own derivative, so keep y)."""

    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y


class Log(Function):
    """y = ln(x).    dL/dx = g / x."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, grad_out):
        return grad_out / self.x
