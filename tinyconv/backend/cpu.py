"""im2col, col2im and matmul written against the NumPy array API, and the NumPy twins of the other
GPU kernels (pooling, LRN, bias + ReLU) at the end of the file.

These run on NumPy arrays (the CPU backend) and, because every call goes through the array module
`xp` of the input, on CuPy arrays as well. Each function computes what the kernel of the same name in
tinyconv/backend/cuda.py (kernels/*.cu) computes; the GPU tests compare the two.

The window matrix ("col") layout, shared by `im2col`, `col2im` and `functional/conv.py`:

    col has shape (N, C * kH * kW, OH * OW)
    col[n, (c * kH + i) * kW + j, oy * OW + ox] = x_padded[n, c, oy * sH + i * dH, ox * sW + j * dW]

(s: stride, d: dilation, 1 unless the kernel is dilated).
One column per output pixel, one row per (input channel, kernel row, kernel column). With the
weight reshaped to (C_out, C * kH * kW), `weight @ col` is then (N, C_out, OH * OW): the convolution
output, already in NCHW order.
"""

from __future__ import annotations

from tinyconv.backend.array_module import get_array_module
from tinyconv.shapes import conv_output_size


def pad_image(x, padding, value=0.0):
    """Return `x` (N, C, H, W) with `padding = (pH, pW)` rows/columns of `value` on each side."""
    pad_h, pad_w = padding
    if pad_h == 0 and pad_w == 0:
        return x
    xp = get_array_module(x)
    n, c, h, w = x.shape
    padded = xp.full((n, c, h + 2 * pad_h, w + 2 * pad_w), value, dtype=x.dtype)
    padded[:, :, pad_h : pad_h + h, pad_w : pad_w + w] = x
    return padded


def window_view(x_padded, kernel_size, stride, dilation=(1, 1)):
    """A read-only view of every kernel window of `x_padded`, without copying.

    Returns an array of shape (N, C, kH, kW, OH, OW) whose element [n, c, i, j, oy, ox] is
    x_padded[n, c, oy * sH + i * dH, ox * sW + j * dW]. Stepping `oy` by one moves `sH` rows in
    memory and stepping `i` moves `dH` rows, so the view is built from x_padded's own strides
    (the "stride trick"); no pixel is copied. Never write through it: windows overlap, so one pixel
    appears in several places of the view. (NumPy could mark it read-only, but CuPy's `as_strided`
    has no such option, and this code serves both.)
    """
    xp = get_array_module(x_padded)
    n, c, height, width = x_padded.shape
    k_h, k_w = kernel_size
    s_h, s_w = stride
    d_h, d_w = dilation
    out_h = conv_output_size(height, k_h, s_h, 0, d_h)
    out_w = conv_output_size(width, k_w, s_w, 0, d_w)
    stride_n, stride_c, stride_y, stride_x = x_padded.strides
    return xp.lib.stride_tricks.as_strided(
        x_padded,
        shape=(n, c, k_h, k_w, out_h, out_w),
        strides=(stride_n, stride_c, stride_y * d_h, stride_x * d_w, stride_y * s_h, stride_x * s_w),
    )


def im2col(x, kernel_size, stride, padding, dilation=(1, 1)):
    """Unfold every kernel window of `x` into one column of a matrix.

    x: (N, C, H, W); kernel_size, stride, padding, dilation: (height, width) pairs.
    Returns col: (N, C * kH * kW, OH * OW) with OH = (H + 2 pH - dH (kH - 1) - 1) // sH + 1 (likewise
    OW), laid out as described at the top of this module. The window view itself copies nothing; the
    reshape to a matrix copies the windows (overlapping windows share pixels, so no view can be a
    plain matrix), and padding copies the image once more.
    """
    windows = window_view(pad_image(x, padding), kernel_size, stride, dilation)
    n, c, k_h, k_w, out_h, out_w = windows.shape
    return windows.reshape(n, c * k_h * k_w, out_h * out_w)


def col2im(col, x_shape, kernel_size, stride, padding, dilation=(1, 1)):
    """The adjoint of `im2col`: scatter-add every column back to the pixels it was copied from.

    col: (N, C * kH * kW, OH * OW); x_shape: (N, C, H, W). Returns dx: (N, C, H, W).
    A pixel covered by several windows receives the sum of their entries, which is exactly the
    chain rule for a value that was copied several times in the forward pass.

    Why a loop over the kH * kW kernel offsets: for a fixed offset (i, j) the output pixels touch
    the strided slice x_padded[:, :, i*dH : i*dH + sH*OH : sH, j*dW : j*dW + sW*OW : sW], and no pixel
    appears twice in one slice, so one vectorized `+=` per offset is correct. Summing overlapping
    windows with `xp.add.at` gives the same result but is several times slower on the CPU.
    """
    xp = get_array_module(col)
    n, c, height, width = x_shape
    k_h, k_w = kernel_size
    s_h, s_w = stride
    pad_h, pad_w = padding
    d_h, d_w = dilation
    out_h = conv_output_size(height, k_h, s_h, pad_h, d_h)
    out_w = conv_output_size(width, k_w, s_w, pad_w, d_w)
    col = col.reshape(n, c, k_h, k_w, out_h, out_w)
    dx_padded = xp.zeros((n, c, height + 2 * pad_h, width + 2 * pad_w), dtype=col.dtype)
    for i in range(k_h):
        for j in range(k_w):
            top, left = i * d_h, j * d_w
            dx_padded[:, :, top : top + s_h * out_h : s_h, left : left + s_w * out_w : s_w] += col[:, :, i, j]
    return dx_padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width]


def matmul(a, b):
    """The matrix product `a @ b` (BLAS on the CPU)."""
    return get_array_module(a, b).matmul(a, b)


# ------------------------------------------------------------------ twins of pool.cu, lrn.cu, bias_relu.cu
# The same computations as the GPU kernels, written with whole-array operations. They share the
# kernels' argument lists and rules (ties, padding, NaN) so that the GPU tests can compare them
# element for element.


def max_pool2d_forward(x, kernel_size, stride, padding):
    """Max pooling of x (N, C, H, W) over kH x kW windows; returns (y, argmax), both (N, C, OH, OW).

    y[n, c, oy, ox] = max over (i, j) of x_pad[n, c, oy*sH + i, ox*sW + j], x_pad padded with -inf (so
    padding never wins); argmax (int32) holds the window offset k = i * kW + j of that maximum.
    Ties go to the first offset in row-major order; a NaN wins (the maximum of a window holding NaN
    is NaN, as in PyTorch). One strided slice per offset, as in functional/pooling.py.
    (A window whose real pixels are all -inf is the one case where kernels/pool.cu differs: it
    names the first real pixel, this the first offset, which may be padding.)
    """
    xp = get_array_module(x)
    (k_h, k_w), (s_h, s_w) = kernel_size, stride
    out_h = conv_output_size(x.shape[2], k_h, s_h, padding[0])
    out_w = conv_output_size(x.shape[3], k_w, s_w, padding[1])
    x_pad = pad_image(x, padding, value=-xp.inf)
    y = argmax = None
    for i in range(k_h):
        for j in range(k_w):
            candidate = x_pad[:, :, i : i + s_h * out_h : s_h, j : j + s_w * out_w : s_w]
            if y is None:
                y = candidate.copy()
                argmax = xp.zeros(y.shape, dtype=xp.int32)
                continue
            wins = (candidate > y) | xp.isnan(candidate)
            y[wins] = candidate[wins]
            argmax[wins] = i * k_w + j
    return y, argmax


def max_pool2d_backward(grad_out, argmax, x_shape, kernel_size, stride, padding):
    """dx (N, C, H, W): each window's gradient goes whole to the pixel its argmax names."""
    xp = get_array_module(grad_out)
    n, c, height, width = x_shape
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = kernel_size, stride, padding
    out_h, out_w = grad_out.shape[2:]
    grad_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=grad_out.dtype)
    for i in range(k_h):
        for j in range(k_w):
            won = argmax == i * k_w + j
            grad_pad[:, :, i : i + s_h * out_h : s_h, j : j + s_w * out_w : s_w] += grad_out * won
    return grad_pad[:, :, p_h : p_h + height, p_w : p_w + width]


def avg_pool2d_forward(x, kernel_size, stride, padding):
    """y (N, C, OH, OW) = the window sums of the zero-padded x divided by kH * kW (padding counts)."""
    (k_h, k_w), (s_h, s_w) = kernel_size, stride
    out_h = conv_output_size(x.shape[2], k_h, s_h, padding[0])
    out_w = conv_output_size(x.shape[3], k_w, s_w, padding[1])
    x_pad = pad_image(x, padding)
    total = 0
    for i in range(k_h):
        for j in range(k_w):
            total = total + x_pad[:, :, i : i + s_h * out_h : s_h, j : j + s_w * out_w : s_w]
    return total / (k_h * k_w)


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride, padding):
    """dx (N, C, H, W): every pixel of a window receives grad_out / (kH * kW) from it."""
    xp = get_array_module(grad_out)
    n, c, height, width = x_shape
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = kernel_size, stride, padding
    out_h, out_w = grad_out.shape[2:]
    share = grad_out / (k_h * k_w)
    grad_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=grad_out.dtype)
    for i in range(k_h):
        for j in range(k_w):
            grad_pad[:, :, i : i + s_h * out_h : s_h, j : j + s_w * out_w : s_w] += share
    return grad_pad[:, :, p_h : p_h + height, p_w : p_w + width]


def add_channel_window(total, values, first: int, last: int) -> None:
    """total[:, c] += values[:, c + o] for every offset o in first..last where channel c + o exists."""
    channels = values.shape[1]
    for offset in range(first, last + 1):
        low, high = max(0, -offset), min(channels, channels - offset)
        if low < high:
            total[:, low:high] += values[:, low + offset : high + offset]


def lrn_forward(x, size: int, alpha: float, beta: float, k: float):
    """Local response normalization across the channels of x (N, C, ...); returns (y, scale).

    scale[:, c] = k + alpha / size * sum of x[:, c']^2 over c' = c - size//2 ... c + (size-1)//2
    y = x * scale^(-beta)                                     (PyTorch's local_response_norm)
    """
    xp = get_array_module(x)
    total = xp.zeros_like(x)
    add_channel_window(total, x * x, -(size // 2), (size - 1) // 2)
    scale = k + alpha / size * total
    return x * scale**-beta, scale


def lrn_backward(grad_out, x, scale, size: int, alpha: float, beta: float):
    """dx = g * scale^(-beta) - (2 alpha beta / size) * x * sum over c with j in window(c) of
    g_c * x_c * scale_c^(-beta - 1); the channels c run over j - (size-1)//2 ... j + size//2."""
    xp = get_array_module(x)
    total = xp.zeros_like(x)
    add_channel_window(total, grad_out * x * scale ** (-beta - 1), -((size - 1) // 2), size // 2)
    return grad_out * scale**-beta - 2 * alpha * beta / size * x * total


def bias_relu_forward(x, bias):
    """y = max(x + bias[c], 0) for x (N, C, ...) and bias (C,)."""
    xp = get_array_module(x)
    return xp.maximum(x + bias.reshape((1, -1) + (1,) * (x.ndim - 2)), 0)


def bias_relu_backward(grad_out, y):
    """(dx, dbias): dx = g where y > 0, else 0; dbias[c] = the sum of dx over every axis but 1."""
    grad_x = grad_out * (y > 0)
    return grad_x, grad_x.sum(axis=(0,) + tuple(range(2, grad_x.ndim)))
