"""The GPU backend: tinyconv's own CUDA kernels (kernels/*.cu), compiled by CuPy, and their launchers.

Each launcher below does three things, in order:
  1. checks its arrays (CuPy arrays, float32 or float64) and makes them contiguous where the kernel
     needs it;
  2. works out the launch configuration with the small pure functions in the first section of this
     file (tested without a GPU: they are plain arithmetic);
  3. launches:  kernel((blocks_x, blocks_y, blocks_z), (threads,), (arrays and numpy scalars...)).
Arrays travel as pointers to their first element, and every size as a `numpy.int32`, because the
kernels take C `int`s (a Python int would not be 32 bits on the way in), and they index with `int`s.
So every array a kernel reads or writes must have fewer than 2**31 elements, and every thread's index
must fit in an `int` too; `check_int32` and `check_elementwise_launch` refuse, clearly, what does not.

Each .cu file is compiled twice, once per element type (-DSCALAR=float, -DSCALAR=double), by
`cupy.RawModule` the first time one of its kernels is needed, and kept for the life of the process
with each kernel's function object (CuPy also keeps the binary on disk, in ~/.cupy/kernel_cache). The
NumPy twin of every launcher is the function of the same name in backend/cpu.py. docs/gpu.md explains
how each kernel maps threads to data.

CuPy is imported lazily, through `array_module.cupy_module()`: importing this module needs no GPU.
"""

from __future__ import annotations

import collections
import functools
import math
from pathlib import Path
from typing import NamedTuple

import numpy

from tinyconv import checks
from tinyconv.backend.array_module import cupy_module
from tinyconv.shapes import conv_output_size, pooled_size

THREADS_PER_BLOCK = 256  # every kernel runs 1-D blocks of 256 threads
MAX_GRID_Y_Z = 65535  # CUDA's limit on gridDim.y and gridDim.z
SCALAR_NAMES = {numpy.dtype(numpy.float32): "float", numpy.dtype(numpy.float64): "double"}

# How many times each kernel was launched in this process: shows what ran (the tests use it to check
# that a convolution ran tinyconv's kernels and nothing else).
launch_counts = collections.Counter()


# ------------------------------------------------------------------------------ launch arithmetic


def block_count(total: int, threads: int = THREADS_PER_BLOCK) -> int:
    """ceil(total / threads): the blocks that give one thread to each of `total` elements."""
    return -(-total // threads)


def last_thread_index(total: int, threads: int = THREADS_PER_BLOCK) -> int:
    """blockIdx.x * blockDim.x + threadIdx.x of the grid's last thread: blocks * threads - 1.

    The last block runs whole, so this is past `total - 1` unless `threads` divides `total`.
    """
    return block_count(total, threads) * threads - 1


def check_elementwise_launch(name: str, total: int, array_sizes, threads: int = THREADS_PER_BLOCK) -> None:
    """Refuse, clearly, a one-thread-per-element launch that a kernel indexing with `int`s would get wrong.

    Two things must fit. Every array the kernel reads or writes, not only the `total` elements its
    threads cover: im2col's input is larger than its window matrix when the stride is larger than the
    kernel, and so is a pooling input beside its output. And every thread's index, computed in an `int`
    before the `index >= total` test, up to the last thread of the last block. With 256-thread blocks
    the second follows from the first (256 divides 2**31), but not with every block size.
    """
    last = last_thread_index(total, threads)
    if last > checks.INT32_MAX:
        raise ValueError(
            f"{name}: {total:,} elements in blocks of {threads} threads need thread indices up to {last:,}, "
            f"more than a 32-bit int holds ({checks.INT32_MAX:,}); split the batch"
        )
    for size in array_sizes:
        checks.check_int32(name, size)


def largest_offset(shape: tuple, strides: tuple) -> int:
    """The largest element offset a strided view reaches: sum of (size - 1) * stride (0 if empty)."""
    if 0 in shape:
        return 0
    return sum((size - 1) * stride for size, stride in zip(shape, strides))


class Tile(NamedTuple):
    """A GEMM tile shape: the kernel that computes it and the rows x columns of C per block."""

    kernel: str
    rows: int
    cols: int


LARGE_TILE = Tile("gemm_large", 128, 128)  # 16 x 16 threads, 8 x 8 elements each
SMALL_TILE = Tile("gemm_small", 32, 32)  # 16 x 16 threads, 2 x 2 elements each


def gemm_tile(m: int, n: int, batch: int, multiprocessors: int) -> Tile:
    """The tile for an (m x n) result, `batch` times, on a GPU with `multiprocessors` SMs.

    The large tile reuses every value it loads 8 times instead of 2, but a block's work is wasted
    where the tile hangs over the matrix, and a grid of a few large blocks leaves SMs idle. So: the
    large tile when both m and n are at least 64 (at least half of each side used) and its grid still
    has a block for every multiprocessor; the small tile otherwise. A rule of thumb, not yet tuned
    on a GPU.
    """
    large_blocks = batch * math.ceil(m / LARGE_TILE.rows) * math.ceil(n / LARGE_TILE.cols)
    if m >= 64 and n >= 64 and large_blocks >= multiprocessors:
        return LARGE_TILE
    return SMALL_TILE


def gemm_grid(m: int, n: int, batch: int, tile: Tile) -> tuple[int, int, int]:
    """(blocks along N, blocks along M, batch): one block per tile of C; blocks loop over z past 65535.

    Nothing loops over y, so more than 65535 rows of blocks (2,097,120 rows of C in the small tile) is
    refused here, clearly, rather than by a failed launch.
    """
    rows_of_blocks = math.ceil(m / tile.rows)
    if rows_of_blocks > MAX_GRID_Y_Z:
        raise ValueError(
            f"matmul: a result with {m:,} rows needs {rows_of_blocks:,} rows of {tile.rows}-row blocks, "
            f"more than a CUDA grid holds ({MAX_GRID_Y_Z:,}); split the batch"
        )
    return (math.ceil(n / tile.cols), rows_of_blocks, min(batch, MAX_GRID_Y_Z))


class GemmPlan(NamedTuple):
    """What kernels/gemm.cu needs to multiply a batch of strided matrices (strides in elements).

    Matrix z = outer * batch_inner + inner of the batch starts at a + outer * a_outer + inner * a_inner
    (likewise b) and writes c + z * m * n.
    """

    m: int
    n: int
    k: int
    a_sm: int
    a_sk: int
    b_sk: int
    b_sn: int
    batch: int
    batch_inner: int
    a_outer: int
    a_inner: int
    b_outer: int
    b_inner: int


def gemm_plan(
    batch_shape: tuple, m: int, n: int, k: int, a_strides: tuple, b_strides: tuple
) -> GemmPlan | None:
    """Describe `a @ b` for kernels/gemm.cu, or None if its batch needs more than two levels.

    a: batch_shape + (m, k) and b: batch_shape + (k, n), already broadcast to the same batch (a stride
    of 0 repeats a matrix); a_strides and b_strides are their strides in elements. The batch axes are
    simplified before they reach the kernel:
      - axes of size 1 are dropped;
      - neighbouring axes that both operands step through evenly are merged into one;
      - when b is one matrix for the whole batch and a's matrices follow each other row after row, the
        batch is folded into a's rows: one (batch * m) x k product instead of `batch` small ones (a
        Linear layer applied to a (B, T, features) input, say).
    The kernel walks at most two batch axes; the caller makes the operands contiguous when more are
    left (all axes then merge into one).
    """
    axes = [
        (size, a_stride, b_stride)
        for size, a_stride, b_stride in zip(batch_shape, a_strides[:-2], b_strides[:-2])
        if size != 1
    ]
    merged = []
    for size, a_stride, b_stride in reversed(axes):  # innermost first
        if merged:
            inner_size, inner_a, inner_b = merged[-1]
            if a_stride == inner_a * inner_size and b_stride == inner_b * inner_size:
                merged[-1] = (size * inner_size, inner_a, inner_b)
                continue
        merged.append((size, a_stride, b_stride))
    a_sm, a_sk = a_strides[-2:]
    b_sk, b_sn = b_strides[-2:]
    if len(merged) == 1 and merged[0][2] == 0 and merged[0][1] == m * a_sm:
        m, merged = merged[0][0] * m, []
    if len(merged) > 2:
        return None
    (inner_size, a_inner, b_inner), (outer_size, a_outer, b_outer) = (merged + [(1, 0, 0), (1, 0, 0)])[:2]
    return GemmPlan(
        m,
        n,
        k,
        a_sm,
        a_sk,
        b_sk,
        b_sn,
        outer_size * inner_size,
        inner_size,
        a_outer,
        a_inner,
        b_outer,
        b_inner,
    )


def element_strides(array) -> tuple | None:
    """The strides of `array` in elements, or None if one is negative or not a whole element."""
    itemsize = array.dtype.itemsize
    if any(stride < 0 or stride % itemsize for stride in array.strides):
        return None
    return tuple(stride // itemsize for stride in array.strides)


# ------------------------------------------------------------------------------ loading and launching


def kernel_dir() -> Path:
    """The folder of the .cu files: tinyconv/kernels in an installed wheel, kernels/ in a checkout."""
    package = Path(__file__).resolve().parent.parent
    candidates = (package / "kernels", package.parent / "kernels")
    for folder in candidates:
        if (folder / "gemm.cu").is_file():
            return folder
    raise FileNotFoundError(
        f"tinyconv's CUDA sources (gemm.cu, ...) are in neither of {[str(c) for c in candidates]}"
    )


@functools.cache
def compiled_module(cupy, file_stem: str, scalar: str):
    """kernels/<file_stem>.cu compiled for one element type (`cupy` is part of the cache key)."""
    source = (kernel_dir() / f"{file_stem}.cu").read_text(encoding="utf-8")
    return cupy.RawModule(code=source, options=(f"-DSCALAR={scalar}",))


@functools.cache
def kernel_function(cupy, file_stem: str, scalar: str, name: str):
    """Kernel `name` of compiled_module(cupy, file_stem, scalar), looked up once: CuPy's
    `get_function` builds a new function object, and asks the driver for it, on every call."""
    return compiled_module(cupy, file_stem, scalar).get_function(name)


def launch(file_stem: str, name: str, dtype, grid: tuple, args: tuple) -> None:
    """Run kernel `name` of kernels/<file_stem>.cu, compiled for `dtype`, on `grid` blocks of 256 threads."""
    kernel = kernel_function(cupy_module(), file_stem, SCALAR_NAMES[numpy.dtype(dtype)], name)
    kernel(grid, (THREADS_PER_BLOCK,), args)
    launch_counts[name] += 1


def launch_elementwise(file_stem: str, name: str, dtype, total: int, args: tuple) -> None:
    """Launch a one-thread-per-element kernel over `total` elements (nothing to do when it is 0).

    Every array among `args` is one the kernel indexes, so the check covers all of them.
    """
    array_sizes = [arg.size for arg in args if not isinstance(arg, numpy.generic)]
    check_elementwise_launch(name, total, array_sizes)
    if total > 0:
        launch(file_stem, name, dtype, (block_count(total),), args)


@functools.cache
def kernel_failure(cupy) -> str | None:
    """None when tinyconv's CUDA kernels compile and run here, else what went wrong, in a sentence.

    That CuPy imports and counts a device proves less than it seems: CuPy compiles the kernels at run
    time with NVRTC, which needs the CUDA headers, and the driver must accept the result. So this
    compiles one small kernel (kernels/bias_relu.cu, for float), runs it on two numbers and checks the
    answer, max(x + bias, 0) = [[0, 2.5]]. Done once per process: compiling takes a moment. Not counted
    in `launch_counts`, which shows the work of the program, not of this check.
    """
    try:
        x = cupy.asarray(numpy.array([[-1.0, 2.0]], dtype=numpy.float32))  # (N, C) = (1, 2)
        bias = cupy.asarray(numpy.array([0.5, 0.5], dtype=numpy.float32))
        y = cupy.empty_like(x)
        kernel = kernel_function(cupy, "bias_relu", "float", "bias_relu_forward")
        kernel((1,), (THREADS_PER_BLOCK,), (x, bias, y) + int32(x.size, 2, 1))
        result = cupy.asnumpy(y)
    except Exception as error:  # NVRTC's CompileException, a driver error, a missing library...
        return f"{type(error).__name__}: {error}"
    if not numpy.array_equal(result, [[0.0, 2.5]]):
        return f"a test kernel computed max([[-1, 2]] + 0.5, 0) as {result.tolist()}, not [[0.0, 2.5]]"
    return None


def int32(*values) -> tuple:
    """Sizes as the kernels' C `int`s."""
    return tuple(numpy.int32(value) for value in values)


def gpu_arrays(op: str, *arrays):
    """Check that every array is a float32 or float64 CuPy array, all of one dtype; returns cupy."""
    cupy = cupy_module()
    for array in arrays:
        if cupy is None or not isinstance(array, cupy.ndarray):
            raise TypeError(
                f"{op}: tinyconv's CUDA kernels need CuPy arrays on the GPU, got {type(array).__module__}."
                f"{type(array).__name__}; move the data with .to('cuda')"
            )
    dtypes = {array.dtype for array in arrays}
    if len(dtypes) > 1:
        raise TypeError(f"{op}: the arrays must share one dtype, got {sorted(str(d) for d in dtypes)}")
    if arrays[0].dtype not in SCALAR_NAMES:
        raise TypeError(f"{op}: tinyconv's CUDA kernels handle float32 and float64, got {arrays[0].dtype}")
    return cupy


@functools.cache
def multiprocessor_count(cupy, device_id: int) -> int:
    return int(cupy.cuda.Device(device_id).attributes["MultiProcessorCount"])


# ------------------------------------------------------------------------------ im2col, col2im


def window_geometry(x_shape, kernel_size, stride, padding, dilation) -> tuple:
    """(C, H, W, kH, kW, OH, OW, sH, sW, pH, pW, dH, dW): the sizes im2col.cu and col2im.cu take."""
    _, channels, height, width = x_shape
    (k_h, k_w), (s_h, s_w), (p_h, p_w), (d_h, d_w) = kernel_size, stride, padding, dilation
    out_h = conv_output_size(height, k_h, s_h, p_h, d_h)
    out_w = conv_output_size(width, k_w, s_w, p_w, d_w)
    return (channels, height, width, k_h, k_w, out_h, out_w, s_h, s_w, p_h, p_w, d_h, d_w)


def im2col(x, kernel_size, stride, padding, dilation=(1, 1)):
    """col (N, C * kH * kW, OH * OW) from x (N, C, H, W), with kernels/im2col.cu; see cpu.im2col."""
    cupy = gpu_arrays("im2col", x)
    x = cupy.ascontiguousarray(x)
    geometry = window_geometry(x.shape, kernel_size, stride, padding, dilation)
    channels, k_h, k_w, out_h, out_w = geometry[0], geometry[3], geometry[4], geometry[5], geometry[6]
    col = cupy.empty((x.shape[0], channels * k_h * k_w, out_h * out_w), dtype=x.dtype)
    launch_elementwise("im2col", "im2col", x.dtype, col.size, (x, col) + int32(col.size, *geometry))
    return col


def col2im(col, x_shape, kernel_size, stride, padding, dilation=(1, 1)):
    """dx (N, C, H, W) from col, each pixel gathering its entries (kernels/col2im.cu); see cpu.col2im."""
    cupy = gpu_arrays("col2im", col)
    col = cupy.ascontiguousarray(col)
    geometry = window_geometry(x_shape, kernel_size, stride, padding, dilation)
    dx = cupy.empty(tuple(x_shape), dtype=col.dtype)
    launch_elementwise("col2im", "col2im", col.dtype, dx.size, (col, dx) + int32(dx.size, *geometry))
    return dx


# ------------------------------------------------------------------------------ matmul


def matmul(a, b):
    """`a @ b` with NumPy's rules (1-D operands, broadcast stacks), on kernels/gemm.cu; see cpu.matmul.

    Operands of two float dtypes are promoted to the wider one first, as NumPy does.
    """
    cupy = cupy_module()
    if cupy is not None and isinstance(a, cupy.ndarray) and isinstance(b, cupy.ndarray):
        dtype = numpy.result_type(a.dtype, b.dtype)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    gpu_arrays("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one axis, got shapes {a.shape} and {b.shape}")
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    a = a[None, :] if vector_a else a  # NumPy's rule: a 1-D left operand is one row...
    b = b[:, None] if vector_b else b  # ...and a 1-D right operand one column, dropped again at the end
    (m, k), (k_b, n) = a.shape[-2:], b.shape[-2:]
    if k != k_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: {k} columns against {k_b} rows")
    batch_shape = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    c = cupy.empty(batch_shape + (m, n), dtype=a.dtype)
    if c.size and k == 0:
        c[...] = 0
    elif c.size:
        gemm(cupy, cupy.broadcast_to(a, batch_shape + (m, k)), cupy.broadcast_to(b, batch_shape + (k, n)), c)
    return c.reshape(batch_shape + ((m,) if not vector_a else ()) + ((n,) if not vector_b else ()))


def gemm(cupy, a, b, c) -> None:
    """c = a @ b for a, b broadcast to one batch shape and c contiguous, with kernels/gemm.cu."""
    batch_shape, (m, k), n = c.shape[:-2], a.shape[-2:], c.shape[-1]
    if element_strides(a) is None:
        a = cupy.ascontiguousarray(a)
    if element_strides(b) is None:
        b = cupy.ascontiguousarray(b)
    plan = gemm_plan(batch_shape, m, n, k, element_strides(a), element_strides(b))
    if plan is None:  # more than two batch axes left: with contiguous copies they all merge into one
        a, b = cupy.ascontiguousarray(a), cupy.ascontiguousarray(b)
        plan = gemm_plan(batch_shape, m, n, k, element_strides(a), element_strides(b))
    for name, array in (("a", a), ("b", b), ("the result", c)):
        checks.check_int32(f"matmul: {name}", largest_offset(array.shape, element_strides(array)) + 1)
    tile = gemm_tile(plan.m, plan.n, plan.batch, multiprocessor_count(cupy, cupy.cuda.Device().id))
    grid = gemm_grid(plan.m, plan.n, plan.batch, tile)
    launch("gemm", tile.kernel, c.dtype, grid, (a, b, c) + int32(*plan))


# ------------------------------------------------------------------------------ pooling


def pool_geometry(x_shape, out_size, kernel_size, stride, padding) -> tuple:
    """(C, H, W, OH, OW, kH, kW, sH, sW, pH, pW): the sizes the kernels of pool.cu take."""
    return (*x_shape[1:], *out_size, *kernel_size, *stride, *padding)


def max_pool2d_forward(x, kernel_size, stride, padding):
    """(y, argmax), both (N, C, OH, OW), with kernels/pool.cu; see cpu.max_pool2d_forward."""
    cupy = gpu_arrays("max_pool2d", x)
    x = cupy.ascontiguousarray(x)
    out_size = pooled_size(x.shape, kernel_size, stride, padding)
    y = cupy.empty(x.shape[:2] + out_size, dtype=x.dtype)
    argmax = cupy.empty(y.shape, dtype=numpy.int32)
    geometry = pool_geometry(x.shape, out_size, kernel_size, stride, padding)
    launch_elementwise("pool", "max_pool_forward", x.dtype, y.size, (x, y, argmax) + int32(y.size, *geometry))
    return y, argmax


def max_pool2d_backward(grad_out, argmax, x_shape, kernel_size, stride, padding):
    """dx (N, C, H, W), each pixel gathering from the windows it won; see cpu.max_pool2d_backward."""
    cupy = gpu_arrays("max_pool2d backward", grad_out)
    grad_out = cupy.ascontiguousarray(grad_out)
    argmax = cupy.ascontiguousarray(argmax, dtype=numpy.int32)
    dx = cupy.empty(tuple(x_shape), dtype=grad_out.dtype)
    geometry = pool_geometry(x_shape, grad_out.shape[2:], kernel_size, stride, padding)
    args = (grad_out, argmax, dx) + int32(dx.size, *geometry)
    launch_elementwise("pool", "max_pool_backward", grad_out.dtype, dx.size, args)
    return dx


def avg_pool2d_forward(x, kernel_size, stride, padding):
    """y (N, C, OH, OW), the window means (padding counted); see cpu.avg_pool2d_forward."""
    cupy = gpu_arrays("avg_pool2d", x)
    x = cupy.ascontiguousarray(x)
    out_size = pooled_size(x.shape, kernel_size, stride, padding)
    y = cupy.empty(x.shape[:2] + out_size, dtype=x.dtype)
    geometry = pool_geometry(x.shape, out_size, kernel_size, stride, padding)
    launch_elementwise("pool", "avg_pool_forward", x.dtype, y.size, (x, y) + int32(y.size, *geometry))
    return y


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride, padding):
    """dx (N, C, H, W), one thread per pixel gathering from its windows; see cpu.avg_pool2d_backward."""
    cupy = gpu_arrays("avg_pool2d backward", grad_out)
    grad_out = cupy.ascontiguousarray(grad_out)
    dx = cupy.empty(tuple(x_shape), dtype=grad_out.dtype)
    geometry = pool_geometry(x_shape, grad_out.shape[2:], kernel_size, stride, padding)
    launch_elementwise(
        "pool", "avg_pool_backward", dx.dtype, dx.size, (grad_out, dx) + int32(dx.size, *geometry)
    )
    return dx


# ------------------------------------------------------------------------------ LRN, bias + ReLU


def channel_geometry(shape) -> tuple[int, int]:
    """(C, P) for an (N, C, ...) array: its channels and the elements per channel of one sample."""
    return shape[1], math.prod(shape[2:])


def lrn_forward(x, size: int, alpha: float, beta: float, k: float):
    """(y, scale) for x (N, C, ...), with kernels/lrn.cu; see cpu.lrn_forward."""
    cupy = gpu_arrays("local_response_norm", x)
    x = cupy.ascontiguousarray(x)
    y, scale = cupy.empty_like(x), cupy.empty_like(x)
    real = x.dtype.type
    args = (
        (x, y, scale) + int32(x.size, *channel_geometry(x.shape), size) + (real(alpha), real(beta), real(k))
    )
    launch_elementwise("lrn", "lrn_forward", x.dtype, x.size, args)
    return y, scale


def lrn_backward(grad_out, x, scale, size: int, alpha: float, beta: float):
    """dx for x (N, C, ...), gathered over the channels whose window holds it; see cpu.lrn_backward."""
    cupy = gpu_arrays("local_response_norm backward", grad_out, x, scale)
    grad_out, x, scale = (cupy.ascontiguousarray(array) for array in (grad_out, x, scale))
    dx = cupy.empty_like(x)
    real = x.dtype.type
    args = (
        (grad_out, x, scale, dx) + int32(x.size, *channel_geometry(x.shape), size) + (real(alpha), real(beta))
    )
    launch_elementwise("lrn", "lrn_backward", x.dtype, x.size, args)
    return dx


def bias_relu_forward(x, bias):
    """y = max(x + bias[c], 0) for x (N, C, ...), in one pass; see cpu.bias_relu_forward."""
    cupy = gpu_arrays("bias_relu", x, bias)
    x, bias = cupy.ascontiguousarray(x), cupy.ascontiguousarray(bias)
    y = cupy.empty_like(x)
    launch_elementwise(
        "bias_relu",
        "bias_relu_forward",
        x.dtype,
        x.size,
        (x, bias, y) + int32(x.size, *channel_geometry(x.shape)),
    )
    return y


def bias_relu_backward(grad_out, y):
    """(dx, dbias): dx = g where y > 0 (kernels/bias_relu.cu), dbias its sum over all axes but 1 (CuPy)."""
    cupy = gpu_arrays("bias_relu backward", grad_out, y)
    grad_out, y = cupy.ascontiguousarray(grad_out), cupy.ascontiguousarray(y)
    grad_x = cupy.empty_like(y)
    launch_elementwise("bias_relu", "relu_backward", y.dtype, y.size, (grad_out, y, grad_x) + int32(y.size))
    return grad_x, grad_x.sum(axis=(0,) + tuple(range(2, grad_x.ndim)))
