"""Max and average pooling over kH x kW windows of an (N, C, H, W) tensor.

Both slide a window with a stride, like a convolution without weights; the output size is the same
formula, in floor mode: OH = floor((H + 2 pH - kH) / sH) + 1. The stride defaults to the kernel size
(non-overlapping windows); AlexNet's overlapping pooling is kernel 3, stride 2.

How they are computed: for each of the kH * kW offsets (i, j) inside a window, the pixels that sit at
that offset in every window form one strided slice of the (padded) input,
    x_pad[:, :, i : i + sH*OH : sH, j : j + sW*OW : sW]      shape (N, C, OH, OW),
so pooling is a loop over kH * kW slices, each handled by one vectorized NumPy operation.
No slice contains a pixel twice, so the backward can add each slice's gradient with one `+=`,
even when windows overlap.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, pad_image
from tinyconv.functional.checks import (
    check_floating,
    check_ndim,
    check_non_negative_pair,
    check_positive_pair,
    check_tensor,
    check_window_fits,
)
from tinyconv.shapes import conv_output_size, pair
from tinyconv.tensor import Tensor


def window_offsets(kernel_size: tuple):
    """The offsets (k, i, j) inside a kH x kW window, in row-major order: k = i * kW + j."""
    k_h, k_w = kernel_size
    return [(i * k_w + j, i, j) for i in range(k_h) for j in range(k_w)]


def offset_slice(i: int, j: int, stride: tuple, out_size: tuple):
    """The index of the strided slice holding offset (i, j) of every window."""
    (s_h, s_w), (out_h, out_w) = stride, out_size
    return (slice(None), slice(None), slice(i, i + s_h * out_h, s_h), slice(j, j + s_w * out_w, s_w))


class MaxPool2d(Function):
    """y[n, c, oy, ox] = max over the window (i, j) of x_pad[n, c, oy*sH + i, ox*sW + j].

    Padding uses -infinity, so a padded position never wins (zero padding would beat a window of
    negative numbers, which is wrong after, say, a tanh).
    Backward: the whole gradient of each output goes to the input that was the maximum, nothing to
    the others (the max is locally the identity of its winner). When several inputs tie for the
    maximum, the *first* one in row-major window order gets it: forward only replaces the running
    maximum when a later value is strictly larger. PyTorch's CPU kernel picks the same one.
    """

    def __init__(self, kernel_size: tuple, stride: tuple, padding: tuple):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        xp = get_array_module(x)
        n, c, height, width = x.shape
        out_size = (
            conv_output_size(height, self.kernel_size[0], self.stride[0], self.padding[0]),
            conv_output_size(width, self.kernel_size[1], self.stride[1], self.padding[1]),
        )
        x_pad = pad_image(x, self.padding, value=-xp.inf)
        y = None
        # argmax[n, c, oy, ox] = k, the window offset of the winner (fits in a byte for k < 256).
        index_dtype = xp.uint8 if self.window_size() < 256 else xp.int32
        argmax = xp.zeros((n, c) + out_size, dtype=index_dtype)
        for k, i, j in window_offsets(self.kernel_size):
            candidate = x_pad[offset_slice(i, j, self.stride, out_size)]
            if y is None:
                y = candidate.copy()
                continue
            larger = candidate > y  # strictly larger: on a tie the earlier offset keeps the win
            xp.maximum(y, candidate, out=y)
            # argmax = k where larger, else unchanged. Written as max(argmax, larger * k), which is
            # the same because every earlier offset is < k, and avoids a masked assignment, which
            # is several times slower on random data (the CPU cannot predict its branches).
            xp.maximum(argmax, larger.astype(index_dtype) * index_dtype(k), out=argmax)
        self.argmax, self.x_shape, self.out_size = argmax, x.shape, out_size
        return y

    def window_size(self) -> int:
        return self.kernel_size[0] * self.kernel_size[1]

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n, c, height, width = self.x_shape
        p_h, p_w = self.padding
        grad_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=grad_out.dtype)
        for k, i, j in window_offsets(self.kernel_size):
            # g where offset k won the window, 0 elsewhere (a multiply by the 0/1 mask is faster
            # than xp.where, for the same branch-prediction reason as in forward).
            grad_pad[offset_slice(i, j, self.stride, self.out_size)] += grad_out * (self.argmax == k)
        return grad_pad[:, :, p_h : p_h + height, p_w : p_w + width]


class AvgPool2d(Function):
    """y[n, c, oy, ox] = (1 / (kH kW)) * sum over the window of x_pad[n, c, oy*sH + i, ox*sW + j].

    Padding uses zeros and they count in the average (PyTorch's default count_include_pad=True).
    Backward: every input of a window receives g / (kH kW) from it.
    """

    def __init__(self, kernel_size: tuple, stride: tuple, padding: tuple):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        n, c, height, width = x.shape
        out_size = (
            conv_output_size(height, self.kernel_size[0], self.stride[0], self.padding[0]),
            conv_output_size(width, self.kernel_size[1], self.stride[1], self.padding[1]),
        )
        x_pad = pad_image(x, self.padding)
        total = None
        for _, i, j in window_offsets(self.kernel_size):
            part = x_pad[offset_slice(i, j, self.stride, out_size)]
            total = part.copy() if total is None else total + part
        self.x_shape, self.out_size = x.shape, out_size
        return total / (self.kernel_size[0] * self.kernel_size[1])

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n, c, height, width = self.x_shape
        p_h, p_w = self.padding
        share = grad_out / (self.kernel_size[0] * self.kernel_size[1])
        grad_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=grad_out.dtype)
        for _, i, j in window_offsets(self.kernel_size):
            grad_pad[offset_slice(i, j, self.stride, self.out_size)] += share
        return grad_pad[:, :, p_h : p_h + height, p_w : p_w + width]


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
