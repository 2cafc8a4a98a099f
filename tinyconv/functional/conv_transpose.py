"""2-D transposed convolution ("deconvolution", a misnomer): conv2d's input-gradient used as a layer.

Shapes:
    x       (N, C_in, H, W)
    weight  (C_in, C_out/G, kH, kW)     PyTorch's layout: the first axis is the INPUT channels
    bias    (C_out,)
    y       (N, C_out, OH, OW)          OH = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding_H + 1

What it is. A conv2d with this weight (read as (C_out of that conv = C_in here, ...)) maps a
(N, C_out, OH, OW) image to (N, C_in, H, W). Its backward sends a gradient of shape (N, C_in, H, W)
back to (N, C_out, OH, OW). conv_transpose2d is exactly that backward, used as a forward pass: it
*transposes* the convolution's matrix, which is where the name comes from. So it is built from the
pieces conv2d already has, with no new kernel on the GPU:
    forward    col = W_mat^T @ x       (N, C_out*kH*kW, H*W)    a matrix product
               y   = col2im(col)       every input pixel spreads a kH x kW patch, overlaps summed
    backward   dcol = im2col(G)                                 G = dL/dy
               dL/dx = W_mat @ dcol    (a conv2d of G with the same weight)
               dL/dW = sum over n of x[n] @ dcol[n]^T,   dL/db = sum of G over n and the pixels
(per group, as in conv2d: W_mat is the weight as G matrices (G, C_in/G, C_out/G*kH*kW)).

It is the convolution's adjoint, not its inverse: <conv2d(x), y> = <x, conv_transpose2d(y)> for
every x and y, but conv_transpose2d(conv2d(x)) is not x (the tests and docs/fcn.md show both in
numbers). With a stride, output pixels are covered by unequal numbers of input patches, which leaves
the checkerboard pattern of stride-2 kernel-3 upsampling.

output_padding adds rows and columns at the bottom and right: a stride-s convolution maps s
neighbouring input sizes to the same output size, and the transposed one has to be told which one to
give back. It must be smaller than the stride or the dilation.
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
    is_int,
    pair,
)
from tinyconv.tensor import Tensor


def transposed_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, output_padding: int
) -> int:
    """(size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


class ConvTranspose2d(Function):
    """The transposed convolution Function; see the module docstring for the formulas."""

    def __init__(self, stride: tuple, padding: tuple, output_padding: tuple, dilation: tuple, groups: int):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.output_padding = output_padding

    def forward(self, x, weight, bias=None):
        n, c_in, height, width = x.shape
        kernel = weight.shape[2:]
        c_out = weight.shape[1] * self.groups
        out_h, out_w = output_size(
            x.shape, weight.shape, self.stride, self.padding, self.dilation, self.output_padding
        )
        # Keep what backward needs: the input as G matrices (for dW), the weight (for dx), x's shape.
        self.x = x.reshape(n, self.groups, c_in // self.groups, height * width)  # (N, G, C_in/G, H*W)
        self.x_shape, self.weight, self.has_bias = x.shape, weight, bias is not None
        col = matmul(self.weight_matrices().swapaxes(1, 2), self.x)  # (N, G, C_out/G*kH*kW, H*W)
        col = col.reshape(n, c_out * kernel[0] * kernel[1], height * width)
        y = col2im(col, (n, c_out, out_h, out_w), kernel, self.stride, self.padding, self.dilation)
        if bias is not None:
            y = y + bias.reshape(1, c_out, 1, 1)
        return y

    def weight_matrices(self):
        """The weight as G matrices (G, C_in/G, C_out/G*kH*kW)."""
        return self.weight.reshape(self.groups, self.weight.shape[0] // self.groups, -1)

    def backward(self, grad_out):
        n = grad_out.shape[0]
        kernel = self.weight.shape[2:]
        grad_col = im2col(grad_out, kernel, self.stride, self.padding, self.dilation)  # (N, C_out*kH*kW, H*W)
        grad_col = grad_col.reshape(n, self.groups, grad_col.shape[1] // self.groups, grad_col.shape[2])
        grad_x = grad_weight = None
        if self.needs_input_grad[0]:
            grad_x = matmul(self.weight_matrices(), grad_col).reshape(self.x_shape)  # a conv2d of G
        if self.needs_input_grad[1]:
            per_image = matmul(self.x, grad_col.swapaxes(2, 3))  # (N, G, C_in/G, C_out/G*kH*kW)
            grad_weight = per_image.sum(axis=0).reshape(self.weight.shape)
        if not self.has_bias:
            return grad_x, grad_weight
        grad_bias = grad_out.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias


def output_size(x_shape, weight_shape, stride, padding, dilation, output_padding) -> tuple:
    """(OH, OW) of a transposed convolution of x (N, C_in, H, W) with weight (C_in, C_out/G, kH, kW)."""
    return tuple(
        transposed_output_size(
            x_shape[2 + a], weight_shape[2 + a], stride[a], padding[a], dilation[a], output_padding[a]
        )
        for a in (0, 1)
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution of input (N, C_in, H, W) with weight (C_in, C_out/groups, kH, kW), as
    torch.nn.functional.conv_transpose2d (same argument order). Returns (N, C_out, OH, OW) with
    OH = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1."""
    op = "conv_transpose2d"
    stride, padding = pair(stride, f"{op}: stride"), pair(padding, f"{op}: padding")
    output_padding, dilation = (
        pair(output_padding, f"{op}: output_padding"),
        pair(dilation, f"{op}: dilation"),
    )
    check_conv_transpose2d_arguments(input, weight, bias, stride, padding, output_padding, dilation, groups)
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return ConvTranspose2d(stride, padding, output_padding, dilation, groups)(*inputs)


def check_conv_transpose2d_arguments(
    x, weight, bias, stride, padding, output_padding, dilation, groups
) -> None:
    """Every way conv_transpose2d's arguments can be wrong, each with its own message."""
    op = "conv_transpose2d"
    check_tensor(x, op, "input")
    check_tensor(weight, op, "weight")
    check_ndim(x, 4, op, "(N, C_in, H, W)")
    check_ndim(weight, 4, op, "(C_in, C_out / groups, kH, kW)", name="weight")
    check_floating(x, op)
    check_same_dtype(x, weight, op, "input", "weight")
    check_positive_pair(stride, op, "stride")
    check_non_negative_pair(padding, op, "padding")
    check_non_negative_pair(output_padding, op, "output_padding")
    check_positive_pair(dilation, op, "dilation")
    for axis in (0, 1):
        if not output_padding[axis] < max(stride[axis], dilation[axis]):
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than either the stride {stride} or "
                f"the dilation {dilation}, in each direction (it picks one of the stride's possible sizes)"
            )
    if not is_int(groups) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if weight.shape[1] == 0 or 0 in weight.shape[2:]:
        raise ValueError(f"{op}: weight of shape {weight.shape} has no output channels or an empty kernel")
    channels = x.shape[1]
    if weight.shape[0] % groups:
        raise ValueError(f"{op}: groups={groups} must divide the weight's input channels ({weight.shape[0]})")
    if weight.shape[0] != channels:
        raise ValueError(
            f"{op}: input has {channels} channels but weight expects {weight.shape[0]} (the weight's first "
            f"axis is the input channels: (C_in, C_out / groups, kH, kW); input shape {x.shape}, weight "
            f"shape {weight.shape})"
        )
    c_out = weight.shape[1] * groups
    if bias is not None:
        check_tensor(bias, op, "bias")
        check_same_dtype(x, bias, op, "input", "bias")
        if bias.shape != (c_out,):
            raise ValueError(
                f"{op}: bias must have shape ({c_out},), one value per output channel, got {bias.shape}"
            )
    size = output_size(x.shape, weight.shape, stride, padding, dilation, output_padding)
    if min(size) < 1:
        raise ValueError(f"{op}: the output would be {size[0]}x{size[1]}: the padding {padding} is too large")
