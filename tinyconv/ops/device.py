"""Moving a tensor between devices, as a differentiable operation: `x.to("cuda")`, `x.cpu()`."""

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
