"""Conversions as differentiable operations: to another device (`x.to("cuda")`, `x.cpu()`) and to
another floating-point dtype (`x.double()`, `x.to(tinyconv.float64)`).

Both change where or how the numbers are stored, not their values, so the gradient passes through
unchanged, converted back to the input's device or dtype.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import device_of
from tinyconv.cuda import to_device


class ToDevice(Function):
    """y = x, copied to another device.    dL/dx = dL/dy, copied back to x's device.

    Moving a tensor is an operation like any other, as in PyTorch: a gradient that reaches the copy
    flows back to the original.
    """

    def __init__(self, device: str):
        self.device = device

    def forward(self, x):
        self.source = device_of(x)
        return to_device(x, self.device, f"Tensor.to({self.device!r})")

    def backward(self, grad_out):
        return to_device(grad_out, self.source)


class ToDtype(Function):
    """y = x stored as another floating-point dtype (float32 <-> float64).

    dL/dx = g converted back to x's dtype. (To an integer or bool dtype the result has no gradient:
    Tensor.to makes that conversion outside the graph, as PyTorch does.)
    """

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad_out):
        return grad_out.astype(self.source)
