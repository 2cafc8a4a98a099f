"""Activation functions and softmax, each with its derivative written out."""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.functional.checks import check_floating, check_tensor
from tinyconv.ops.reduction import normalize_axes
from tinyconv.tensor import Tensor


class ReLU(Function):
    """y = max(x, 0).    dL/dx = g where x > 0, else 0 (the derivative at exactly 0 is taken as 0)."""

    def forward(self, x):
        self.mask = x > 0
        return get_array_module(x).maximum(x, 0)  # not x * mask: -inf * 0 would be NaN

    def backward(self, grad_out):
        return grad_out * self.mask


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.    dL/dx = g if x > 0 else slope * g (slope at exactly 0)."""

    def __init__(self, negative_slope: float):
        self.negative_slope = negative_slope

    def forward(self, x):
        xp = get_array_module(x)
        self.mask = x > 0
        return xp.where(self.mask, x, x * self.negative_slope)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        return xp.where(self.mask, grad_out, grad_out * self.negative_slope)


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).    dL/dx = g * y * (1 - y).

    Computed as e^x / (1 + e^x) for negative x, so that e^-x never overflows.
    """

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(-xp.abs(x))  # in (0, 1]: no overflow for any x
        self.y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1 - self.y)


class Tanh(Function):
    """y = tanh(x).    dL/dx = g * (1 - y^2)."""

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1 - self.y * self.y)


class Softmax(Function):
    """y_i = e^(x_i) / sum_j e^(x_j) along `axis`.

    dL/dx_i = y_i * (g_i - sum_j g_j y_j): the Jacobian dy_i/dx_j = y_i (delta_ij - y_j) applied to g.
    The maximum is subtracted first; softmax does not change, and e^x cannot overflow.
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, grad_out):
        dot = (grad_out * self.y).sum(axis=self.axis, keepdims=True)
        return self.y * (grad_out - dot)


class LogSoftmax(Function):
    """y_i = x_i - log(sum_j e^(x_j)) along `axis`, computed as (x_i - m) - log(sum_j e^(x_j - m)).

    With m = max_j x_j the largest exponent is e^0 = 1, so logits of +-1000 stay finite.
    dL/dx_i = g_i - softmax(x)_i * sum_j g_j.
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.softmax = xp.exp(y)
        return y

    def backward(self, grad_out):
        return grad_out - self.softmax * grad_out.sum(axis=self.axis, keepdims=True)


def activation_input(op: str, x) -> Tensor:
    """Check that x is a floating-point Tensor."""
    check_tensor(x, op)
    check_floating(x, op)
    return x


def single_axis(op: str, x: Tensor, axis: int) -> int:
    """Check that `axis` is one valid axis of x and return it as a non-negative int."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    return normalize_axes(axis, x.ndim)[0]


def relu(x: Tensor) -> Tensor:
    """max(x, 0), element-wise."""
    return ReLU()(activation_input("relu", x))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere (PyTorch's default slope 0.01)."""
    return LeakyReLU(negative_slope)(activation_input("leaky_relu", x))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), element-wise."""
    return Sigmoid()(activation_input("sigmoid", x))


def tanh(x: Tensor) -> Tensor:
    """tanh(x), element-wise."""
    return Tanh()(activation_input("tanh", x))


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Probabilities along `axis` (PyTorch's `dim`): positive, summing to 1."""
    x = activation_input("softmax", x)
    return Softmax(single_axis("softmax", x, axis))(x)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, computed stably (finite for logits of +-1000)."""
    x = activation_input("log_softmax", x)
    return LogSoftmax(single_axis("log_softmax", x, axis))(x)
