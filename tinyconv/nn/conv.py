"""`Conv2d`, a 2-D convolution layer with learnable filters, and `ConvTranspose2d`, its transpose."""

from __future__ import annotations

import numpy

from tinyconv import init
from tinyconv.checks import check_int, pair
from tinyconv.functional.conv import conv2d
from tinyconv.functional.conv_transpose import conv_transpose2d, output_size
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter


class Conv2d(Module):
    """Convolution with weight (out_channels, in_channels / groups, kH, kW) and bias (out_channels,).

    Input (N, in_channels, H, W) -> output (N, out_channels, OH, OW),
    OH = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1 (see functional/conv.py).
    Initialization: W ~ He uniform for ReLU with fan_in = in_channels / groups * kH * kW; b = 0.
    dilation and groups as in PyTorch (see functional/conv.py).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        *,  # keyword-only: PyTorch's 6th positional argument is dilation, tinyconv's is bias
        dilation=1,
        groups: int = 1,
    ):
        super().__init__()
        self.in_channels = check_int("Conv2d", "in_channels", in_channels, minimum=1)
        self.out_channels = check_int("Conv2d", "out_channels", out_channels, minimum=1)
        self.kernel_size = pair(kernel_size, "Conv2d: kernel_size")
        self.stride = pair(stride, "Conv2d: stride")
        self.padding = pair(padding, "Conv2d: padding")
        self.dilation = pair(dilation, "Conv2d: dilation")
        self.groups = check_int("Conv2d", "groups", groups, minimum=1)
        if min(self.kernel_size + self.stride + self.dilation) < 1 or min(self.padding) < 0:
            raise ValueError(
                f"Conv2d: kernel_size, stride and dilation must be positive and padding non-negative, "
                f"got kernel_size={self.kernel_size}, stride={self.stride}, dilation={self.dilation}, "
                f"padding={self.padding}"
            )
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"Conv2d: groups={self.groups} must divide both in_channels ({self.in_channels}) and "
                f"out_channels ({self.out_channels})"
            )
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(numpy.empty(shape, dtype=numpy.float32))
        init.kaiming_uniform_(self.weight, nonlinearity="relu")
        self.bias = None
        if bias:
            self.bias = Parameter(numpy.zeros(self.out_channels, dtype=numpy.float32))

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text if self.bias is not None else text + ", bias=False"


class ConvTranspose2d(Module):
    """Transposed convolution, as torch.nn.ConvTranspose2d (same arguments, in the same order).

    weight (in_channels, out_channels / groups, kH, kW), PyTorch's layout, and bias (out_channels,).
    Input (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1
    (see functional/conv_transpose.py). Initialization as PyTorch's: weight and bias from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = out_channels / groups * kH * kW (PyTorch computes
    it from the weight's second axis); init.bilinear_ makes the weight a bilinear upsampler (FCN).

    forward(input, output_size=None): a stride-s layer maps s input sizes to one output size, so the
    transpose can give back any of s sizes; output_size (OH, OW), or (N, C, OH, OW), picks one, by
    choosing output_padding, as PyTorch does.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
    ):
        super().__init__()
        owner = "ConvTranspose2d"
        self.in_channels = check_int(owner, "in_channels", in_channels, minimum=1)
        self.out_channels = check_int(owner, "out_channels", out_channels, minimum=1)
        self.kernel_size = pair(kernel_size, f"{owner}: kernel_size")
        self.stride = pair(stride, f"{owner}: stride")
        self.padding = pair(padding, f"{owner}: padding")
        self.output_padding = pair(output_padding, f"{owner}: output_padding")
        self.dilation = pair(dilation, f"{owner}: dilation")
        self.groups = check_int(owner, "groups", groups, minimum=1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{owner}: groups={self.groups} must divide both in_channels ({self.in_channels}) and "
                f"out_channels ({self.out_channels})"
            )
        for axis in (0, 1):
            if not self.output_padding[axis] < max(self.stride[axis], self.dilation[axis]):
                raise ValueError(
                    f"{owner}: output_padding {self.output_padding} must be smaller than either the stride "
                    f"{self.stride} or the dilation {self.dilation}, in each direction"
                )
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        self.weight = Parameter(numpy.empty(shape, dtype=numpy.float32))
        self.bias = Parameter(numpy.empty(self.out_channels, dtype=numpy.float32)) if bias else None
        init.linear_default_(self.weight, self.bias)

    def forward(self, input, output_size=None):
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self.output_padding_for(input, output_size)
        return conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def output_padding_for(self, input, output_size) -> tuple:
        """The output_padding that gives `output_size`, or a clear error naming the sizes possible."""
        wanted = tuple(output_size)[-2:]
        smallest = output_size_of(input.shape, self.weight.shape, self.stride, self.padding, self.dilation)
        padding = tuple(w - s for w, s in zip(wanted, smallest))
        limit = tuple(max(s, d) for s, d in zip(self.stride, self.dilation))
        if len(wanted) != 2 or any(not 0 <= p < m for p, m in zip(padding, limit)):
            largest = tuple(s + m - 1 for s, m in zip(smallest, limit))
            raise ValueError(
                f"ConvTranspose2d: output_size {tuple(output_size)} cannot be reached from an input of shape "
                f"{input.shape}: the output can be from {smallest} to {largest}"
            )
        return padding

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text if self.bias is not None else text + ", bias=False"


def output_size_of(x_shape, weight_shape, stride, padding, dilation) -> tuple:
    """The smallest output (OH, OW) of a transposed convolution: the one with output_padding 0."""
    return output_size(x_shape, weight_shape, stride, padding, dilation, (0, 0))
