"""Bias + ReLU as one op: y = max(x + bias[c], 0), what follows most convolutions and linear layers.

    x     (N, C, ...)    (N, C) after a linear layer, (N, C, H, W) after a convolution
    bias  (C,)           one value per channel, added at every sample and position
    y     x's shape

Backward, with g = dL/dy. The ReLU passes g where y > 0 and nothing elsewhere (the derivative at
exactly 0 is taken as 0, as in F.relu); the bias was added to every element of its channel, so it
collects what passed from all of them:
    dL/dx = g * [y > 0]
    dL/dbias[c] = sum of dL/dx[:, c, ...] over every axis but C

Why one op rather than relu(x + bias): the two ops write x + bias to memory and read it back. Fused,
the GPU makes one pass over the activations (kernels/bias_relu.cu), and backward needs only y. Both
directions go through the backend seam (tinyconv.backend.bias_relu_forward and bias_relu_backward):
the kernel on the GPU, its NumPy twin in backend/cpu.py on the CPU.
"""

from __future__ import annotations

from tinyconv import backend
from tinyconv.autograd import Function
from tinyconv.checks import check_floating, check_same_dtype, check_tensor
from tinyconv.tensor import Tensor


class BiasReLU(Function):
    """y = max(x + bias[c], 0).    dL/dx = g * [y > 0];  dL/dbias = dL/dx summed over all axes but C."""

    def forward(self, x, bias):
        self.y = backend.bias_relu_forward(x, bias)  # y > 0 is all backward needs
        return self.y

    def backward(self, grad_out):
        return backend.bias_relu_backward(grad_out, self.y)


def bias_relu(x: Tensor, bias: Tensor) -> Tensor:
    """max(x + bias[c], 0) for x (N, C, ...) and bias (C,): the same values and gradients as
    F.relu(x + bias.reshape(1, C, 1, ...)), in one op (one kernel on the GPU)."""
    op = "bias_relu"
    check_tensor(x, op)
    check_tensor(bias, op, "bias")
    check_floating(x, op)
    check_same_dtype(x, bias, op, "input", "bias")
    if x.ndim < 2:
        raise ValueError(
            f"{op}: expected an input (N, C, ...) with at least 2 axes, got shape {x.shape} ({x.ndim}-D)"
        )
    if bias.shape != (x.shape[1],):
        raise ValueError(
            f"{op}: bias must have shape ({x.shape[1]},), one value per channel of the input "
            f"(shape {x.shape}), got {bias.shape}"
        )
    return BiasReLU()(x, bias)
