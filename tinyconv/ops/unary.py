"""Element-wise functions of one tensor: -x, exp, log, abs, sqrt, rsqrt, sin, cos, clamp, the
rounding family, and clone.

Each y_i depends on x_i alone, so each backward is g times the derivative at that element:
    d(-x) = -1    d(e^x) = e^x = y    d(ln x) = 1/x    d|x| = sign(x)    d(sqrt x) = 1 / (2 y)
    d(1/sqrt x) = -y^3 / 2    d(sin x) = cos x    d(cos x) = -sin x
"""

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


class Abs(Function):
    """y = |x|.    dL/dx = g * sign(x), with sign(0) = 0 (PyTorch's choice at the kink)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)

    def backward(self, grad_out):
        return grad_out * self.sign


class Sqrt(Function):
    """y = sqrt(x).    dL/dx = g / (2 sqrt(x)) = g / (2 y)   (infinite at x = 0, as in PyTorch)."""

    def forward(self, x):
        self.y = get_array_module(x).sqrt(x)
        return self.y

    def backward(self, grad_out):
        return grad_out / (2 * self.y)


class Rsqrt(Function):
    """y = 1 / sqrt(x) = x^(-1/2).    dL/dx = g * (-1/2) x^(-3/2) = -g y^3 / 2."""

    def forward(self, x):
        self.y = 1 / get_array_module(x).sqrt(x)
        return self.y

    def backward(self, grad_out):
        return -0.5 * grad_out * self.y**3


class Sin(Function):
    """y = sin(x).    dL/dx = g cos(x)."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).sin(x)

    def backward(self, grad_out):
        return grad_out * get_array_module(grad_out).cos(self.x)


class Cos(Function):
    """y = cos(x).    dL/dx = -g sin(x)."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).cos(x)

    def backward(self, grad_out):
        return -grad_out * get_array_module(grad_out).sin(self.x)


class Clamp(Function):
    """y = min(max(x, low), high): x cut into [low, high]. low and high are numbers, arrays that
    broadcast with x, or None (no bound on that side). Where low > high, y = high, as in PyTorch.

    PyTorch's gradients:
        dL/dx    = g where low <= x <= high (at a bound itself too), 0 where x was cut, or is NaN
        dL/dlow  = g where x < low and low < high (there y is low), 0 elsewhere
        dL/dhigh = g where x > high, or where high < low (there y is high), 0 elsewhere
    """

    def forward(self, x, low, high):
        xp = get_array_module(x)
        y = x
        # `not (x < low)` is not the same as x >= low: a NaN fails both, and gets no gradient.
        self.inside = xp.ones(x.shape, dtype=bool)
        if low is not None:
            self.below = x < low
            self.inside = self.inside & (x >= low)
            y = xp.where(self.below, low, y)  # where, not maximum: a NaN must stay NaN
        if high is not None:
            self.above = x > high
            self.inside = self.inside & (x <= high)
            y = xp.where(y > high, high, y)  # y, not x: with low > high, everything becomes high
        if low is not None and high is not None:
            self.below = self.below & (low < high)
            self.above = self.above | (high < low)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad_out):
        grad_x = grad_out * self.inside if self.needs_input_grad[0] else None
        grad_low = grad_out * self.below if self.needs_input_grad[1] else None
        grad_high = grad_out * self.above if self.needs_input_grad[2] else None
        return grad_x, grad_low, grad_high


class Rounding(Function):
    """y = floor(x), ceil(x), round(x) or sign(x): step functions.

    Their derivative is 0 wherever it exists (a step is flat between its jumps), so dL/dx = 0, as in
    PyTorch: a loss built on them still runs backward, and teaches x nothing through them. `round`
    rounds halves to even (0.5 -> 0, 1.5 -> 2), as PyTorch and NumPy do.
    """

    def __init__(self, name: str):
        self.name = name

    def forward(self, x):
        xp = get_array_module(x)
        return {"floor": xp.floor, "ceil": xp.ceil, "round": xp.round, "sign": xp.sign}[self.name](x)

    def backward(self, grad_out):
        return get_array_module(grad_out).zeros_like(grad_out)


class Clone(Function):
    """y = a copy of x in new memory.    dL/dx = g (a copy changes no value)."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad_out):
        return grad_out
