"""`Conv2d`: a 2-D convolution layer with learnable filters."""

from __future__ import annotations

import numpy

from tinyconv import init
from tinyconv.checks import check_int, pair
from tinyconv.functional.conv import conv2d
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
