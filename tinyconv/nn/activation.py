"""Activation layers: thin Modules around the functions in functional/activation.py."""

from __future__ import annotations

from tinyconv.checks import check_real
from tinyconv.functional.activation import (
    GELU_APPROXIMATIONS,
    elu,
    gelu,
    leaky_relu,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from tinyconv.nn.module import Module
from tinyconv.ops.inplace import apply_in_place


class ReLU(Module):
    """max(x, 0) element-wise. inplace=True, as in PyTorch, writes the result into x (see check_inplace)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = check_inplace("ReLU", inplace)

    def forward(self, x):
        if self.inplace:
            return apply_in_place(x, relu, (), "ReLU(inplace=True)")
        return relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x. inplace=True writes the result into x, as ReLU's."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = check_real("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = check_inplace("LeakyReLU", inplace)

    def forward(self, x):
        if self.inplace:
            return apply_in_place(
                x, lambda old: leaky_relu(old, self.negative_slope), (), "LeakyReLU(inplace=True)"
            )
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


def check_inplace(layer: str, inplace) -> bool:
    """The `inplace` flag, a bool. In place, the layer's input takes the result as its value (ops/inplace.py):
    refused, as in PyTorch, for a leaf that requires grad, and for a tensor that a recorded operation has
    already used (its backward would need the old value)."""
    if not isinstance(inplace, bool):
        raise TypeError(f"{layer}: inplace must be True or False, got {inplace!r}")
    return inplace


class Sigmoid(Module):
    """1 / (1 + e^-x) element-wise."""

    def forward(self, x):
        return sigmoid(x)


class Tanh(Module):
    """tanh(x) element-wise."""

    def forward(self, x):
        return tanh(x)


class ELU(Module):
    """x if x > 0 else alpha * (e^x - 1) element-wise. See functional/activation.py."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_real("ELU", "alpha", alpha)

    def forward(self, x):
        return elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """x * Phi(x) element-wise, Phi the standard normal CDF (approximate='tanh': the tanh formula)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in GELU_APPROXIMATIONS:
            raise ValueError(f"GELU: approximate must be one of {GELU_APPROXIMATIONS}, got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """(1/beta) * log(1 + e^(beta x)) element-wise; x itself where beta * x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = check_real("Softplus", "beta", beta)
        self.threshold = check_real("Softplus", "threshold", threshold)
        if self.beta == 0:
            raise ValueError("Softplus: beta must be non-zero (the formula divides by it), got 0")

    def forward(self, x):
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Probabilities along axis `dim` (PyTorch's name for it; F.softmax calls it `axis`).

    `dim` has no default: PyTorch's implicit choice of axis is deprecated, and the batch axis is an
    easy wrong guess. Classifiers usually train on raw scores with cross_entropy instead, which
    applies log-softmax itself; this layer is for when the probabilities themselves are wanted.
    """

    def __init__(self, dim: int):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"Softmax: dim must be an int, got {dim!r}")
        self.dim = dim

    def forward(self, x):
        return softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
