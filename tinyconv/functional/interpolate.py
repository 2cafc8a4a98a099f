"""Resizing images: `interpolate` (nearest or bilinear), as torch.nn.functional.interpolate.

Both modes are linear maps of each row and each column separately: output pixel (i, j) is a weighted
sum of input pixels whose weights are a product w_row(i, r) * w_column(j, c). So with A_h (OH, H) the
weights of the rows and A_w (OW, W) those of the columns, every image is resized by two matrix
products, whatever the mode (the same idea as adaptive average pooling):
    y[n, c]     = A_h @ x[n, c] @ A_w^T               (OH, OW)
    dL/dx[n, c] = A_h^T @ g[n, c] @ A_w               (H, W)
The backward is the forward's transpose: each output pixel sends its gradient back to the input
pixels it was made from, in the same proportions.

Where output position i samples the input, along one axis of input size S and output size O (with
scale = S / O, or 1 / scale_factor when a scale factor was given, as PyTorch computes it):
    nearest                      source = floor(i * scale)               one input pixel
    bilinear, align_corners=False source = (i + 0.5) * scale - 0.5       pixel centres line up
    bilinear, align_corners=True  source = i * (S - 1) / (O - 1)         the corner pixels line up
and a fractional source t between pixels floor(t) and floor(t) + 1 takes them with weights
1 - (t - floor(t)) and t - floor(t).
"""

from __future__ import annotations

import math

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, matmul
from tinyconv.checks import check_floating, check_ndim, check_tensor, is_int
from tinyconv.tensor import Tensor

MODES = ("nearest", "bilinear")


def nearest_weights(in_size: int, out_size: int, scale: float, xp, dtype):
    """(out_size, in_size): row i is one-hot at floor(i * scale), clamped to the last pixel."""
    source = xp.minimum(xp.floor(xp.arange(out_size) * scale).astype(xp.int64), in_size - 1)
    return (xp.arange(in_size)[None, :] == source[:, None]).astype(dtype)


def linear_weights(in_size: int, out_size: int, scale: float, align_corners: bool, xp, dtype):
    """(out_size, in_size): row i holds the two weights of linear interpolation at its source."""
    position = xp.arange(out_size, dtype=xp.float64)
    if align_corners:
        source = position * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        source = xp.maximum((position + 0.5) * scale - 0.5, 0.0)  # PyTorch clamps the first half-pixel to 0
    low = xp.minimum(xp.floor(source).astype(xp.int64), in_size - 1)
    high = xp.minimum(low + 1, in_size - 1)
    fraction = (source - low)[:, None]
    columns = xp.arange(in_size)[None, :]
    # the two one-hot rows, weighted; where low == high (the last pixel) the weights add up to 1
    weights = (columns == low[:, None]) * (1 - fraction) + (columns == high[:, None]) * fraction
    return weights.astype(dtype)


class Interpolate(Function):
    """y = A_h @ x @ A_w^T per image and channel; dL/dx = A_h^T @ g @ A_w (see the module docstring)."""

    def __init__(self, out_size: tuple, scales: tuple, mode: str, align_corners: bool):
        self.out_size, self.scales, self.mode, self.align_corners = out_size, scales, mode, align_corners

    def forward(self, x):
        xp = get_array_module(x)
        (height, width), (out_h, out_w) = x.shape[2:], self.out_size
        if self.mode == "nearest":
            self.rows = nearest_weights(height, out_h, self.scales[0], xp, x.dtype)
            self.columns = nearest_weights(width, out_w, self.scales[1], xp, x.dtype)
        else:
            self.rows = linear_weights(height, out_h, self.scales[0], self.align_corners, xp, x.dtype)
            self.columns = linear_weights(width, out_w, self.scales[1], self.align_corners, xp, x.dtype)
        return matmul(matmul(self.rows, x), self.columns.T)

    def backward(self, grad_out):
        return matmul(matmul(self.rows.T, grad_out), self.columns)


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Resize images (N, C, H, W) to `size` (an int or (OH, OW)) or by `scale_factor` (a number or a
    pair: OH = floor(H * scale_factor)), as torch.nn.functional.interpolate with mode "nearest" or
    "bilinear" (align_corners None means False, as in PyTorch)."""
    op = "interpolate"
    check_tensor(input, op)
    check_floating(input, op)
    check_ndim(input, 4, op, "(N, C, H, W)")
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            f"{op}: align_corners can only be set with the interpolating mode 'bilinear', not 'nearest'"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{op}: give exactly one of size and scale_factor, got size={size!r} and "
            f"scale_factor={scale_factor!r}"
        )
    height, width = input.shape[2:]
    if size is not None:
        out_size = size_pair(op, size)
        scales = (height / out_size[0], width / out_size[1])
    else:
        factors = factor_pair(op, scale_factor)
        out_size = (int(math.floor(height * factors[0])), int(math.floor(width * factors[1])))
        if min(out_size) < 1:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} makes a {height}x{width} image empty")
        scales = (1 / factors[0], 1 / factors[1])
    return Interpolate(out_size, scales, mode, bool(align_corners))(input)


def size_pair(op: str, size) -> tuple:
    """An output size given as an int or a pair of positive ints, as a pair."""
    sizes = (size, size) if is_int(size) else tuple(size) if isinstance(size, (tuple, list)) else None
    if sizes is None or len(sizes) != 2 or not all(is_int(s) and s >= 1 for s in sizes):
        raise ValueError(f"{op}: size must be a positive int or a pair of them, got {size!r}")
    return tuple(int(s) for s in sizes)


def factor_pair(op: str, scale_factor) -> tuple:
    """A scale factor given as a number or a pair of positive numbers, as a pair of floats."""
    factors = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    if len(factors) != 2 or not all(
        not isinstance(f, bool) and isinstance(f, (int, float)) and f > 0 for f in factors
    ):
        raise ValueError(
            f"{op}: scale_factor must be a positive number or a pair of them, got {scale_factor!r}"
        )
    return tuple(float(f) for f in factors)
