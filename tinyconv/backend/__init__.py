"""The backend seam: where tinyconv decides between NumPy (CPU) and CuPy (GPU).

Every op asks `get_array_module(x)` for the array module of the data it received and calls
`xp.exp`, `xp.zeros`, ... on it, so the same op code runs on NumPy arrays and on CuPy arrays.
The three heavy primitives of a convolution (im2col, col2im and the matrix product) are reached
through `im2col`, `col2im` and `matmul` below. Today they run the array-API implementation in
`tinyconv/backend/cpu.py`, which works on NumPy arrays and, through `xp`, on CuPy arrays too. The
GPU backend routes CuPy arrays to its own raw CUDA kernels here, and no layer has to change.

CuPy is optional: it is imported only if it is installed, and only when first asked about.
"""

from __future__ import annotations

from tinyconv.backend import cpu
from tinyconv.backend.array_module import get_array_module, is_array

__all__ = ["get_array_module", "is_array", "im2col", "col2im", "matmul", "pad_image"]

Pair = tuple[int, int]


def im2col(x, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)):
    """Unfold the sliding windows of `x` into a matrix; see `cpu.im2col` for shapes and layout."""
    return cpu.im2col(x, kernel_size, stride, padding, dilation)


def col2im(col, x_shape: tuple, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)):
    """Fold a window matrix back into an image, summing overlaps; see `cpu.col2im`."""
    return cpu.col2im(col, x_shape, kernel_size, stride, padding, dilation)


def matmul(a, b):
    """The matrix product `a @ b`, with NumPy's rules for stacks of matrices."""
    return cpu.matmul(a, b)


def pad_image(x, padding: Pair, value: float = 0.0):
    """`x` (N, C, H, W) with `padding` rows and columns of `value` on each side; see `cpu.pad_image`."""
    return cpu.pad_image(x, padding, value)
