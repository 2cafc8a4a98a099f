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
    """y = min(max(x, low), high): x cut into [low, high] (either bound may be None).

    dL/dx = g where low <= x <= high, 0 where x was cut (it no longer moves y there). At a bound
    itself the gradient passes, as in PyTorch. A NaN stays NaN.
    """

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        xp = get_array_module(x)
        self.inside = xp.ones(x.shape, dtype=bool)
        y = x
        if self.low is not None:
            self.inside &= ~(x < self.low)
            y = xp.where(x < self.low, self.low, y)  # where, not maximum: a NaN must stay NaN
        if self.high is not None:
            self.inside &= ~(x > self.high)
            y = xp.where(x > self.high, self.high, y)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad_out):
        return grad_out * self.inside


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
