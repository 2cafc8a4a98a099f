"""Max and average pooling over kH x kW windows of an (N, C, H, W) tensor.

Both slide a window with a stride, like a convolution without weights; the output size is the same
formula, in floor mode: OH = floor((H + 2 pH - kH) / sH) + 1. The stride defaults to the kernel size
(non-overlapping windows); AlexNet's overlapping pooling is kernel 3, stride 2.

The Functions below say what is computed and why; the arrays are handled by the backend, as for
convolution: tinyconv/backend/cpu.py on the CPU (a loop over the kH * kW offsets of a window, each a
strided slice of the input, handled by one vectorized NumPy operation), kernels/pool.cu on the GPU
(one CUDA thread per output, or per input pixel in the backward). The two follow the same rules: -inf
padding, floor mode, the first maximum wins a tie, a NaN wins its window, as in PyTorch.
"""

from __future__ import annotations

from tinyconv import backend
from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, matmul
from tinyconv.checks import (
    check_floating,
    check_ndim,
    check_non_negative_pair,
    check_positive_pair,
    check_tensor,
    check_window_fits,
    is_int,
    pair,
)
from tinyconv.tensor import Tensor


class MaxPool2d(Function):
    """y[n, c, oy, ox] = max over the window (i, j) of x_pad[n, c, oy*sH + i, ox*sW + j].

    Padding uses -infinity, so a padded position never wins (zero padding would beat a window of
    negative numbers, which is wrong after, say, a tanh).
    Backward: the whole gradient of each output goes to the input that was the maximum, nothing to
    the others (the max is locally the identity of its winner). So forward saves, per output, which
    offset of the window won (`argmax`), and backward routes each gradient there. When several inputs
    tie for the maximum, the *first* one in row-major window order gets it; a window holding a NaN
    outputs NaN and sends its gradient to the NaN. PyTorch's CPU kernel does the same.
    """

    def __init__(self, kernel_size: tuple, stride: tuple, padding: tuple):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        self.x_shape = x.shape
        y, self.argmax = backend.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
        return y

    def backward(self, grad_out):
        return backend.max_pool2d_backward(
            grad_out, self.argmax, self.x_shape, self.kernel_size, self.stride, self.padding
        )


class AvgPool2d(Function):
    """y[n, c, oy, ox] = (1 / (kH kW)) * sum over the window of x_pad[n, c, oy*sH + i, ox*sW + j].

    Padding uses zeros and they count in the average (PyTorch's default count_include_pad=True).
    Backward: every input of a window receives g / (kH kW) from it, and an input covered by several
    windows (stride < kernel) adds what each sends.
    """

    def __init__(self, kernel_size: tuple, stride: tuple, padding: tuple):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        self.x_shape = x.shape
        return backend.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding)

    def backward(self, grad_out):
        return backend.avg_pool2d_backward(
            grad_out, self.x_shape, self.kernel_size, self.stride, self.padding
        )


def pooling_window(op: str, kernel_size, stride, padding) -> tuple:
    """Check a pooling window's arguments and return (kernel, stride, padding) as pairs.

    The checks that need no input, shared by the functions and the layers' constructors.
    """
    kernel = pair(kernel_size, f"{op}: kernel_size")
    stride = kernel if stride is None else pair(stride, f"{op}: stride")
    padding = pair(padding, f"{op}: padding")
    check_positive_pair(kernel, op, "kernel_size")
    check_positive_pair(stride, op, "stride")
    check_non_negative_pair(padding, op, "padding")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        # As PyTorch: more padding than half a window would create windows made only of padding.
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel size {kernel}")
    return kernel, stride, padding


def pooling_arguments(op: str, x, kernel_size, stride, padding) -> tuple:
    """Check a pooling call's arguments and return (kernel, stride, padding) as pairs."""
    check_tensor(x, op)
    check_ndim(x, 4, op, "(N, C, H, W)")
    check_floating(x, op)
    kernel, stride, padding = pooling_window(op, kernel_size, stride, padding)
    check_window_fits(op, x.shape, kernel, padding)
    return kernel, stride, padding


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Max pooling, as torch.nn.functional.max_pool2d (floor mode, -inf padding).

    x: (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size.
    """
    kernel, stride, padding = pooling_arguments("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d(kernel, stride, padding)(x)


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Average pooling, as torch.nn.functional.avg_pool2d (floor mode, zero padding counted).

    x: (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size.
    """
    kernel, stride, padding = pooling_arguments("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d(kernel, stride, padding)(x)


# ------------------------------------------------------------------------------ adaptive average pooling
#
# Adaptive pooling fixes the output size instead of the window: any H x W input becomes OH x OW,
# which lets one classifier head follow inputs of any size (VGG and ResNet in torchvision end with
# one). PyTorch's window rule, along one axis of size S pooled to O outputs: output i averages
#     x[start_i : end_i],    start_i = floor(i S / O),    end_i = ceil((i + 1) S / O).
# When O divides S the windows are the usual S/O-wide non-overlapping ones; otherwise neighbouring
# windows may overlap by one and differ in width (S = 5, O = 3: [0, 2), [1, 4), [3, 5)); when O > S
# some inputs are repeated.


def adaptive_windows(size: int, out_size: int) -> list:
    """The (start, end) of each of the out_size windows over an axis of `size` (PyTorch's rule)."""
    return [((i * size) // out_size, -((-(i + 1) * size) // out_size)) for i in range(out_size)]


def averaging_matrix(size: int, out_size: int, xp, dtype):
    """A (out_size, size) matrix whose row i holds 1 / (window width) over window i, 0 elsewhere:
    multiplying a vector by it averages each window."""
    matrix = xp.zeros((out_size, size), dtype=dtype)
    for i, (start, end) in enumerate(adaptive_windows(size, out_size)):
        matrix[i, start:end] = 1 / (end - start)
    return matrix


class AdaptiveAvgPool2d(Function):
    """y[n, c, i, j] = mean of x[n, c, rows of window i, columns of window j] (windows as above).

    A window is a rectangle of rows times columns, and the mean over a rectangle is the mean over
    its columns of the mean over its rows. So with A_h (OH, H) and A_w (OW, W) the averaging matrices
    of the two axes, every image is pooled by two matrix products, whatever the windows look like:
        y[n, c] = A_h @ x[n, c] @ A_w^T                  (OH, OW)
        dL/dx[n, c] = A_h^T @ g[n, c] @ A_w              (H, W)
    The backward is the forward's transpose: each output's gradient spreads over its window, g / area
    to each input, and an input in two overlapping windows receives from both.
    """

    def __init__(self, output_size: tuple):
        self.output_size = output_size

    def forward(self, x):
        xp = get_array_module(x)
        height, width = x.shape[2:]
        self.rows = averaging_matrix(height, self.output_size[0], xp, x.dtype)  # A_h
        self.columns = averaging_matrix(width, self.output_size[1], xp, x.dtype)  # A_w
        # Through the backend's matmul, not `@`: on the GPU that is kernels/gemm.cu, as in conv and linear.
        return matmul(matmul(self.rows, x), self.columns.T)

    def backward(self, grad_out):
        return matmul(matmul(self.rows.T, grad_out), self.columns)


class GlobalAvgPool2d(Function):
    """Adaptive average pooling to 1 x 1, the common case (the end of ResNet and GoogLeNet):
        y[n, c, 0, 0] = (1 / (H W)) sum over i, j of x[n, c, i, j]
        dL/dx[n, c, i, j] = g[n, c, 0, 0] / (H W)           (the same share for every pixel)
    A plain mean, much faster than going through the averaging matrices.
    """

    def forward(self, x):
        self.x_shape = x.shape
        return x.mean(axis=(2, 3), keepdims=True)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        height, width = self.x_shape[2:]
        return xp.broadcast_to(grad_out / (height * width), self.x_shape)


def adaptive_output_size(op: str, output_size) -> tuple:
    """Check an adaptive pooling output size: an int, or a pair whose entries are ints or None
    (None keeps that axis's input size). Returns the pair, Nones included."""
    entries = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(entries) != 2 or not all(entry is None or is_int(entry) for entry in entries):
        raise TypeError(f"{op}: output_size must be an int or a pair of ints or None, got {output_size!r}")
    if any(entry is not None and entry < 1 for entry in entries):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return tuple(None if entry is None else int(entry) for entry in entries)


def adaptive_avg_pool2d(x: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size, as torch.nn.functional.adaptive_avg_pool2d.

    x: (N, C, H, W) -> (N, C, OH, OW); output_size: int or (OH, OW), None keeps that input size.
    output_size 1 is global average pooling.
    """
    op = "adaptive_avg_pool2d"
    check_tensor(x, op)
    check_ndim(x, 4, op, "(N, C, H, W)")
    check_floating(x, op)
    out_h, out_w = adaptive_output_size(op, output_size)
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{op}: input has no pixels to average (shape {x.shape})")
    output_size = (x.shape[2] if out_h is None else out_h, x.shape[3] if out_w is None else out_w)
    if output_size == (1, 1):
        return GlobalAvgPool2d()(x)
    return AdaptiveAvgPool2d(output_size)(x)
