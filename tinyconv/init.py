"""Weight initializers, as `torch.nn.init`: each fills a tensor in place from tinyconv's seeded generator.

Why initialization matters: a layer y = W x with fan_in inputs multiplies the variance of its
input by fan_in * Var(W). If that product is not about 1, activations shrink or grow geometrically
with depth and so do the gradients.
    Xavier/Glorot (2010), for tanh/sigmoid:  Var(W) = 2 / (fan_in + fan_out)
    He/Kaiming   (2015), for ReLU:           Var(W) = 2 / fan_in
ReLU zeroes half of its inputs on average, which halves the variance: the factor 2 puts it back.
tinyconv's Linear and Conv2d use He initialization by default (see nn/linear.py).

The older recipe, "small random numbers" (cs231n: W = 0.01 * randn), is `normal_(w, std=0.01)`. It
works for a few layers and fails in deep ones: with 500 inputs, Var(y) = 500 * 0.01^2 * Var(x), so
each layer multiplies the standard deviation of the activations by sqrt(500) * 0.01 = 0.22. Measured
on a stack of ten 500-unit tanh layers fed N(0, 1) inputs (1000 samples), the standard deviation of
each layer's output is
    normal_(std=0.01)       0.22  0.048  0.011  0.0024  0.00054  ...  3e-07 at layer 10
    normal_(std=1)          0.98 at every layer: 90% of the units are saturated at +-1 (|y| > 0.99)
    xavier_normal_          0.63  0.49  0.41  0.36  0.32  ...  0.23
    xavier_normal_(gain=calculate_gain('tanh'))   0.76  0.69  0.67  ...  0.65
The gradient of a weight is its layer's input times the upstream gradient, so with std=0.01 the
deep layers learn almost nothing; with std=1 tanh's derivative is near 0 and the gradient dies anyway.

All-zero (or all-equal) weights are worse at any depth: every hidden unit then computes the same
output and receives the same gradient, so they stay copies of one another (a test shows
it). Random initialization breaks that symmetry; biases may start at 0.

fan_in of a Linear weight (out, in) is `in`; of a Conv2d weight (C_out, C_in, kH, kW) it is
C_in * kH * kW: the number of inputs that one output sums over.
"""

from __future__ import annotations

import math

import numpy

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


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1 (BatchNorm's scale starts there: the layer first passes the normalized input on)."""
    tensor.data[...] = 1
    return tensor


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill with `value` (every weight the same: fine for biases, fatal for weights, see above)."""
    tensor.data[...] = value
    return tensor


def xavier_std(tensor: Tensor, gain: float) -> float:
    """gain * sqrt(2 / (fan_in + fan_out)): the standard deviation Glorot initialization aims for."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot uniform (Glorot & Bengio, 2010): U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).

    Var(W) = 2 / (fan_in + fan_out) is a compromise between keeping the forward activations steady
    (fan_in * Var(W) = 1) and the backward gradients steady (fan_out * Var(W) = 1); a uniform's std
    is bound / sqrt(3). Made for tanh and sigmoid near 0, where they are about linear.
    """
    bound = math.sqrt(3.0) * xavier_std(tensor, gain)
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot normal (Glorot & Bengio, 2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    return normal_(tensor, 0.0, xavier_std(tensor, gain))


def linear_default_(weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """PyTorch's default initialization of nn.Linear (and of convolutions): weight and bias from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    PyTorch writes it as kaiming_uniform_(weight, a=sqrt(5)): the gain for a = sqrt(5) is
    sqrt(2 / (1 + 5)) = sqrt(1/3), and the bound sqrt(3) * gain / sqrt(fan_in) = 1 / sqrt(fan_in).
    tinyconv's own Linear and Conv2d use He initialization instead (see the top of this module); the
    modules that promise PyTorch's initialization (MultiheadAttention, the Transformer layers,
    ConvTranspose2d) call this.
    """
    fan_in, _ = calculate_fan_in_and_fan_out(weight)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    uniform_(weight, -bound, bound)
    if bias is not None:
        uniform_(bias, -bound, bound)
    return weight


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Tensor:
    """Fill with samples from N(mean, std^2) truncated to [a, b] (a and b are values, not multiples of std,
    as in PyTorch). The Vision Transformer starts its patch projection this way: no rare huge weight.

    Drawn by rejection: samples outside [a, b] are drawn again, round after round, until none is left
    (with the usual a = -2 std, b = 2 std, 95% are kept at each round).
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: the interval [a, b] must not be empty, got a={a}, b={b}")
    generator = random.generator()
    values = generator.normal(mean, std, size=tensor.shape)
    for _ in range(1000):
        outside = (values < a) | (values > b)
        if not outside.any():
            return fill_from_host(tensor, values)
        values[outside] = generator.normal(mean, std, size=int(outside.sum()))
    raise ValueError(
        f"trunc_normal_: [{a}, {b}] holds almost none of N({mean}, {std}^2); choose bounds near the mean"
    )


def bilinear_(weight: Tensor) -> Tensor:
    """Make a transposed convolution's weight (C_in, C_out, k, k) upsample each channel bilinearly, as
    FCN initializes its upsampling layers (Long, Shelhamer, Darrell 2015): channel c of the output is
    channel c of the input spread by the bilinear kernel, other channel pairs are 0.

    With f = ceil(k / 2) and the kernel's centre at (f - 1) for odd k, (f - 0.5) for even k, the kernel is
    the outer product of the tent (1 - |i - centre| / f) with itself. For k = 2 * stride, stride s, and
    padding s / 2, the layer then interpolates like bilinear upsampling by s in the interior.
    (PyTorch has no such initializer; this is the one FCN's code uses.)
    """
    if weight.ndim != 4 or weight.shape[2] != weight.shape[3]:
        raise ValueError(
            f"bilinear_: expected a square transposed-convolution weight (C_in, C_out, k, k), "
            f"got {weight.shape}"
        )
    size = weight.shape[2]
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    tent = 1 - abs(numpy.arange(size) - centre) / factor
    values = numpy.zeros(weight.shape)
    for channel in range(min(weight.shape[0], weight.shape[1])):
        values[channel, channel] = numpy.outer(tent, tent)
    return fill_from_host(weight, values)
