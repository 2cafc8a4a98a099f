"""`MaxPool2d` and `AvgPool2d`: pooling layers (no parameters)."""

from __future__ import annotations

from tinyconv.functional.pooling import avg_pool2d, max_pool2d, pooling_window
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
