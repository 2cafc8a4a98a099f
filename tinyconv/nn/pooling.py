"""`MaxPool2d`, `AvgPool2d` and `AdaptiveAvgPool2d`: pooling layers (no parameters)."""

from __future__ import annotations

from tinyconv.functional.pooling import (
    adaptive_avg_pool2d,
    adaptive_output_size,
    avg_pool2d,
    max_pool2d,
    pooling_window,
)
from tinyconv.nn.module import Module


class MaxPool2d(Module):
    """Max over kernel_size windows; stride defaults to kernel_size. See functional/pooling.py."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        pooling_window("MaxPool2d", kernel_size, stride, padding)  # bad arguments fail here, not later
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kernel_size windows; stride defaults to kernel_size. See functional/pooling.py."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        pooling_window("AvgPool2d", kernel_size, stride, padding)  # bad arguments fail here, not later
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (int or pair; None keeps that input size): any H x W
    becomes output_size. AdaptiveAvgPool2d(1) is global average pooling. See functional/pooling.py."""

    def __init__(self, output_size):
        super().__init__()
        adaptive_output_size("AdaptiveAvgPool2d", output_size)  # bad arguments fail here, not later
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
