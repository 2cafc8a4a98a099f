"""Weight initializers, as `torch.nn.init`: each fills a tensor in place from tinyconv's seeded generator.

Why initialization matters: a layer y = W x with fan_in inputs multiplies the variance of its
input by fan_in * Var(W). If that product is not about 1, activations shrink or grow geometrically
with depth and so do the gradients.
    Xavier/Glorot (2010), for tanh/sigmoid:  Var(W) = 2 / (fan_in + fan_out)
    He/Kaiming   (2015), for ReLU:           Var(W) = 2 / fan_in
ReLU zeroes half of its inputs on average, which halves the variance: the factor 2 puts it back.
tinyconv's Linear and Conv2d use He initialization by default (see nn/linear.py).

fan_in of a Linear weight (out, in) is `in`; of a Conv2d weight (C_out, C_in, kH, kW) it is
C_in * kH * kW: the number of inputs that one output sums over.
"""

from __future__ import annotations

import math

from tinyconv import random
from tinyconv.tensor import Tensor


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch computes them."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a weight with at least 2 dimensions, got shape {tensor.shape}"
        )
    receptive_field = 1
    for size in tensor.shape[2:]:
        receptive_field *= size
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which a nonlinearity's gain rescales the standard deviation (PyTorch's values)."""
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
        "expected linear, conv2d, sigmoid, tanh, relu or leaky_relu"
    )


def fill_from_host(tensor: Tensor, values) -> Tensor:
    """Copy host (NumPy) `values` into the tensor's data, on whatever device that data lives."""
    tensor.data[...] = tensor.xp.asarray(values, dtype=tensor.dtype)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    return fill_from_host(tensor, random.generator().uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    return fill_from_host(tensor, random.generator().normal(mean, std, size=tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the usual start for biases)."""
    tensor.data[...] = 0
    return tensor


def kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    """gain / sqrt(fan): the standard deviation He initialization aims for."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan) (a uniform's std is bound/sqrt(3)).

    With the defaults (leaky_relu with a = 0, i.e. ReLU) the gain is sqrt(2): bound = sqrt(6 / fan_in).
    """
    bound = math.sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan); for ReLU, std = sqrt(2 / fan_in)."""
    return normal_(tensor, 0.0, kaiming_std(tensor, a, mode, nonlinearity))
