"""Activation layers: thin Modules around the functions in functional/activation.py."""

from __future__ import annotations

from tinyconv.functional.activation import leaky_relu, relu, sigmoid, tanh
from tinyconv.nn.module import Module


class ReLU(Module):
    """max(x, 0) element-wise."""

    def forward(self, x):
        return relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + e^-x) element-wise."""

    def forward(self, x):
        return sigmoid(x)


class Tanh(Module):
    """tanh(x) element-wise."""

    def forward(self, x):
        return tanh(x)
