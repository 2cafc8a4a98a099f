"""The backend seam: where tinyconv decides between NumPy (CPU) and CuPy (GPU), and the only place.

Every op asks `get_array_module(x)` for the array module of the data it received and calls
`xp.exp`, `xp.zeros`, ... on it, so the same op code runs on NumPy arrays and on CuPy arrays.
The heavy primitives (im2col, col2im, matmul, pooling, LRN, bias + ReLU) are reached through the
functions below, which look at where their data lives: NumPy arrays go to `tinyconv/backend/cpu.py`
(array code, BLAS for the matrix product), CuPy arrays to `tinyconv/backend/cuda_kernels.py`, the
launchers of tinyconv's own CUDA kernels (kernels/*.cu). The Functions of tinyconv/functional never
ask which device they run on: conv2d calls `im2col`, max pooling calls `max_pool2d_forward`, and the
seam does the rest. So each computation has one CPU implementation, in cpu.py, which is both what
trains on the CPU and what its kernel is tested against.

One switch, for comparison: `set_gpu_matmul("cupy")` (or the environment variable
TINYCONV_MATMUL=cupy) sends GPU matrix products to `cupy.matmul` (cuBLAS) instead of kernels/gemm.cu.

CuPy is optional: it is imported only if it is installed, and only when first asked about.
"""

from __future__ import annotations

import os

from tinyconv.backend import cpu, cuda_kernels
from tinyconv.backend.array_module import cupy_module, get_array_module, is_array

__all__ = [
    "get_array_module",
    "is_array",
    "on_gpu",
    "device_of",
    "im2col",
    "col2im",
    "matmul",
    "gpu_matmul",
    "set_gpu_matmul",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "lrn_forward",
    "lrn_backward",
    "bias_relu_forward",
    "bias_relu_backward",
]

Pair = tuple[int, int]
GPU_MATMULS = ("tinyconv", "cupy")  # kernels/gemm.cu, or cupy.matmul (cuBLAS)


def on_gpu(*arrays) -> bool:
    """True if any of the arrays is a CuPy array."""
    cupy = cupy_module()
    return cupy is not None and any(isinstance(array, cupy.ndarray) for array in arrays)


def device_of(array) -> str:
    """'cuda' for a CuPy array, 'cpu' for anything else (a NumPy array, a Python number)."""
    return "cuda" if on_gpu(array) else "cpu"


def checked_gpu_matmul(name: str, source: str) -> str:
    if name not in GPU_MATMULS:
        raise ValueError(f"{source} must be one of {GPU_MATMULS}, got {name!r}")
    return name


_gpu_matmul = checked_gpu_matmul(os.environ.get("TINYCONV_MATMUL", "tinyconv"), "TINYCONV_MATMUL")


def gpu_matmul() -> str:
    """Which matrix product CuPy arrays get: 'tinyconv' (kernels/gemm.cu, the default) or 'cupy'."""
    return _gpu_matmul


def set_gpu_matmul(name: str) -> str:
    """Choose the GPU matrix product, 'tinyconv' or 'cupy' (cuBLAS, to compare); returns the previous one."""
    global _gpu_matmul
    previous, _gpu_matmul = _gpu_matmul, checked_gpu_matmul(name, "set_gpu_matmul")
    return previous


# ------------------------------------------------------------------------------ convolution's primitives


def im2col(x, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)):
    """Unfold the sliding windows of `x` into a matrix; see `cpu.im2col` for shapes and layout."""
    if on_gpu(x):
        return cuda_kernels.im2col(x, kernel_size, stride, padding, dilation)
    return cpu.im2col(x, kernel_size, stride, padding, dilation)


def col2im(col, x_shape: tuple, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1)):
    """Fold a window matrix back into an image, summing overlaps; see `cpu.col2im`."""
    if on_gpu(col):
        return cuda_kernels.col2im(col, x_shape, kernel_size, stride, padding, dilation)
    return cpu.col2im(col, x_shape, kernel_size, stride, padding, dilation)


def matmul(a, b):
    """The matrix product `a @ b`, with NumPy's rules for stacks of matrices."""
    if not on_gpu(a, b):
        return cpu.matmul(a, b)
    if _gpu_matmul == "cupy":
        return cupy_module().matmul(a, b)
    return cuda_kernels.matmul(a, b)


# ------------------------------------------------------------------------------ pooling, LRN, bias + ReLU
# Arrays in, arrays out, with the argument lists of kernels/pool.cu, lrn.cu and bias_relu.cu; on the
# CPU the one NumPy implementation of each, in cpu.py, which the kernels are tested against.


def max_pool2d_forward(x, kernel_size: Pair, stride: Pair, padding: Pair):
    """(y, argmax) of max pooling x (N, C, H, W); see `cpu.max_pool2d_forward`."""
    backend = cuda_kernels if on_gpu(x) else cpu
    return backend.max_pool2d_forward(x, kernel_size, stride, padding)


def max_pool2d_backward(grad_out, argmax, x_shape: tuple, kernel_size: Pair, stride: Pair, padding: Pair):
    """dx of max pooling, from grad_out and the forward's argmax; see `cpu.max_pool2d_backward`."""
    backend = cuda_kernels if on_gpu(grad_out) else cpu
    return backend.max_pool2d_backward(grad_out, argmax, x_shape, kernel_size, stride, padding)


def avg_pool2d_forward(x, kernel_size: Pair, stride: Pair, padding: Pair):
    """y of average pooling x (N, C, H, W), zero padding counted; see `cpu.avg_pool2d_forward`."""
    backend = cuda_kernels if on_gpu(x) else cpu
    return backend.avg_pool2d_forward(x, kernel_size, stride, padding)


def avg_pool2d_backward(grad_out, x_shape: tuple, kernel_size: Pair, stride: Pair, padding: Pair):
    """dx of average pooling; see `cpu.avg_pool2d_backward`."""
    backend = cuda_kernels if on_gpu(grad_out) else cpu
    return backend.avg_pool2d_backward(grad_out, x_shape, kernel_size, stride, padding)


def lrn_forward(x, size: int, alpha: float, beta: float, k: float):
    """(y, scale) of LRN across the channels of x (N, C, ...); see `cpu.lrn_forward`."""
    backend = cuda_kernels if on_gpu(x) else cpu
    return backend.lrn_forward(x, size, alpha, beta, k)


def lrn_backward(grad_out, x, scale, size: int, alpha: float, beta: float):
    """dx of local response normalization; see `cpu.lrn_backward`."""
    backend = cuda_kernels if on_gpu(grad_out, x, scale) else cpu
    return backend.lrn_backward(grad_out, x, scale, size, alpha, beta)


def bias_relu_forward(x, bias):
    """max(x + bias[c], 0) for x (N, C, ...) in one pass; see `cpu.bias_relu_forward`."""
    backend = cuda_kernels if on_gpu(x, bias) else cpu
    return backend.bias_relu_forward(x, bias)


def bias_relu_backward(grad_out, y):
    """(dx, dbias) of bias + ReLU, from its output y; see `cpu.bias_relu_backward`."""
    backend = cuda_kernels if on_gpu(grad_out, y) else cpu
    return backend.bias_relu_backward(grad_out, y)
