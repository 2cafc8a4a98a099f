"""The fully connected (affine) layer: y = x W^T + b, with PyTorch's weight layout (out, in)."""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import matmul
from tinyconv.checks import check_floating, check_same_dtype, check_tensor
from tinyconv.tensor import Tensor


class Linear(Function):
    """y = x @ W^T + b for x (..., in), W (out, in), b (out,), y (..., out).

    With G = dL/dy and the leading axes of x flattened into one batch axis of size B:
        dL/dx = G @ W              (B, out) @ (out, in) -> (B, in)
        dL/dW = G^T @ x            (out, B) @ (B, in)   -> (out, in)
        dL/db = sum of G over the batch
    """

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        self.has_bias = bias is not None
        y = matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, grad_out):
        in_features = self.weight.shape[1]
        grad = grad_out.reshape(-1, grad_out.shape[-1])  # (B, out)
        grad_x = grad_weight = None
        if self.needs_input_grad[0]:
            grad_x = matmul(grad_out, self.weight)
        if self.needs_input_grad[1]:
            grad_weight = matmul(grad.T, self.x.reshape(-1, in_features))
        if not self.has_bias:
            return grad_x, grad_weight
        grad_bias = grad.sum(axis=0) if self.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, as torch.nn.functional.linear. x: (..., in), weight: (out, in), bias: (out,)."""
    op = "linear"
    check_tensor(x, op)
    check_tensor(weight, op, "weight")
    check_floating(x, op)
    check_same_dtype(x, weight, op, "input", "weight")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input has {x.shape[-1] if x.ndim else 0} features (shape {x.shape}) "
            f"but weight expects {weight.shape[1]} (weight shape {weight.shape})"
        )
    if bias is None:
        return Linear()(x, weight)
    check_tensor(bias, op, "bias")
    check_same_dtype(x, bias, op, "input", "bias")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return Linear()(x, weight, bias)
