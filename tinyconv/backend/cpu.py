"""The CPU backend: the NumPy code of every kernel-backed operation, the one implementation of each.

    im2col, col2im, matmul      convolution's primitives (and BLAS for the product)
    max/avg_pool2d_*            pooling, forward and backward
    lrn_forward, lrn_backward   local response normalization across channels
    bias_relu_*                 max(x + bias, 0) in one op

This is the code that trains on the CPU, and the reference the GPU kernels are tested against: each
function computes what the launcher of the same name in tinyconv/backend/cuda_kernels.py computes with
kernels/*.cu, under the same rules (ties, padding, NaN). The functions in tinyconv/functional never
choose between the two; they call tinyconv.backend, which looks at where the data lives. The code is
written against the array API of its input (`xp`), so it runs on CuPy arrays too, when a comparison
wants that.

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
from tinyconv.shapes import conv_output_size, pooled_size


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


# ------------------------------------------------------------------------------ pooling
# Max and average pooling: what trains on the CPU, and what kernels/pool.cu is tested against.
#
# For each of the kH * kW offsets (i, j) inside a window, the pixels at that offset in every window form
# one strided slice of the padded input,
#     x_pad[:, :, i : i + sH*OH : sH, j : j + sW*OW : sW]      shape (N, C, OH, OW),
# so pooling is a loop over kH * kW slices, each handled by whole-array operations. No slice holds a
# pixel twice, so the backward adds each slice's gradient with one `+=`, even when windows overlap.


def window_offsets(kernel_size):
    """The offsets (k, i, j) inside a kH x kW window, in row-major order: k = i * kW + j."""
    k_h, k_w = kernel_size
    return [(i * k_w + j, i, j) for i in range(k_h) for j in range(k_w)]


def offset_slice(i: int, j: int, stride, out_size):
    """The index of the strided slice holding offset (i, j) of every window."""
    (s_h, s_w), (out_h, out_w) = stride, out_size
    return (slice(None), slice(None), slice(i, i + s_h * out_h, s_h), slice(j, j + s_w * out_w, s_w))


def first_real_offset(out_size, kernel_size, stride, padding, xp):
    """(OH, OW): the offset k of the first pixel of each window that is not padding (row-major).

    Window (oy, ox) starts at padded row oy * sH, so its first real row is i0 = max(0, pH - oy * sH)
    (likewise j0 for the columns), and k = i0 * kW + j0. All zeros when there is no padding.
    """
    (out_h, out_w), (s_h, s_w), (p_h, p_w) = out_size, stride, padding
    first_row = xp.maximum(0, p_h - s_h * xp.arange(out_h))
    first_column = xp.maximum(0, p_w - s_w * xp.arange(out_w))
    return first_row[:, None] * kernel_size[1] + first_column[None, :]


def max_pool2d_forward(x, kernel_size, stride, padding):
    """Max pooling of x (N, C, H, W) over kH x kW windows; returns (y, argmax), both (N, C, OH, OW).

    y[n, c, oy, ox] = max over (i, j) of x_pad[n, c, oy*sH + i, ox*sW + j], x_pad padded with -inf so
    that padding never wins (zero padding would beat a window of negative numbers, after a tanh say).
    argmax holds the window offset k = i * kW + j of the maximum, the pixel the backward sends the
    gradient to. Its rules, the same as kernels/pool.cu's and PyTorch's:
      - ties go to the first offset in row-major order (a later pixel wins only if strictly larger);
      - a NaN wins: the maximum of a window holding a NaN is NaN, and argmax names the (last) NaN;
      - a window whose real pixels are all -inf names its first real pixel, never the padding.
    argmax is uint8 when every offset fits in a byte (windows up to 16x16), else int32: a smaller
    array is faster to write and compare.
    """
    xp = get_array_module(x)
    out_size = pooled_size(x.shape, kernel_size, stride, padding)
    window_size = kernel_size[0] * kernel_size[1]
    index_dtype = xp.uint8 if window_size <= 256 else xp.int32
    x_pad = pad_image(x, padding, value=-xp.inf)
    # Every window starts at its first real pixel, so that a window of -inf names a real pixel.
    if tuple(padding) == (0, 0):  # no padding: that is offset 0 of every window (and zeros are quicker made)
        argmax = xp.zeros(x.shape[:2] + out_size, dtype=index_dtype)
    else:
        first = first_real_offset(out_size, kernel_size, stride, padding, xp)
        argmax = xp.broadcast_to(first.astype(index_dtype), x.shape[:2] + out_size).copy()
    y = None
    for k, i, j in window_offsets(kernel_size):
        candidate = x_pad[offset_slice(i, j, stride, out_size)]
        if y is None:
            y = candidate.copy()
            continue
        larger = candidate > y  # strictly larger: on a tie the earlier offset keeps the win
        xp.maximum(y, candidate, out=y)  # xp.maximum passes a NaN on, so a NaN window's y is NaN
        # argmax = k where larger, else unchanged. Written as max(argmax, larger * k), which is the
        # same because every offset stored so far is < k, and avoids a masked assignment, several
        # times slower on random data (the CPU cannot predict its branches).
        xp.maximum(argmax, larger.astype(index_dtype) * index_dtype(k), out=argmax)
    # A NaN is never "larger" (every comparison with NaN is false), so the loop above left the argmax
    # of a window holding a NaN somewhere else. Windows with a NaN are rare: find them once, at the
    # end, and point their argmax at their last NaN, rather than test every slice for NaN.
    nan_windows = xp.isnan(y)
    if nan_windows.any():
        for k, i, j in window_offsets(kernel_size):
            argmax[nan_windows & xp.isnan(x_pad[offset_slice(i, j, stride, out_size)])] = k
    return y, argmax


def max_pool2d_backward(grad_out, argmax, x_shape, kernel_size, stride, padding):
    """dx (N, C, H, W): each window's gradient goes whole to the pixel its argmax names.

    The max is locally the identity of its winner, so dL/dx = g at the winner, 0 at the other pixels.
    """
    xp = get_array_module(grad_out)
    n, c, height, width = x_shape
    p_h, p_w = padding
    out_size = grad_out.shape[2:]
    grad_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=grad_out.dtype)
    for k, i, j in window_offsets(kernel_size):
        # g where offset k won the window, 0 elsewhere (a multiply by the 0/1 mask is faster than
        # xp.where, for the same branch-prediction reason as in forward).
        grad_pad[offset_slice(i, j, stride, out_size)] += grad_out * (argmax == k)
    return grad_pad[:, :, p_h : p_h + height, p_w : p_w + width]


def avg_pool2d_forward(x, kernel_size, stride, padding):
    """y (N, C, OH, OW) = the window sums of the zero-padded x divided by kH * kW.

    The zeros of the padding count in the average (PyTorch's default count_include_pad=True).
    """
    out_size = pooled_size(x.shape, kernel_size, stride, padding)
    x_pad = pad_image(x, padding)
    total = None
    for _, i, j in window_offsets(kernel_size):
        part = x_pad[offset_slice(i, j, stride, out_size)]
        total = part.copy() if total is None else total + part
    return total / (kernel_size[0] * kernel_size[1])


def avg_pool2d_backward(grad_out, x_shape, kernel_size, stride, padding):
    """dx (N, C, H, W): every pixel of a window receives grad_out / (kH * kW) from it."""
    xp = get_array_module(grad_out)
    n, c, height, width = x_shape
    p_h, p_w = padding
    out_size = grad_out.shape[2:]
    share = grad_out / (kernel_size[0] * kernel_size[1])
    grad_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=grad_out.dtype)
    for _, i, j in window_offsets(kernel_size):
        grad_pad[offset_slice(i, j, stride, out_size)] += share
    return grad_pad[:, :, p_h : p_h + height, p_w : p_w + width]


# ------------------------------------------------------------------------------ local response norm


def channel_window_sum(values, before: int, after: int):
    """total[:, c] = sum of values[:, c'] for c' from c - before to c + after, the channels that exist.

    values: (N, C, ...). Channels past either edge count as zeros (the paper's clipped sum). One
    shifted slice per offset o: total[:, c] += values[:, c + o] wherever channel c + o exists.
    """
    xp = get_array_module(values)
    channels = values.shape[1]
    total = xp.zeros_like(values)
    for offset in range(-before, after + 1):
        low, high = max(0, -offset), min(channels, channels - offset)
        if low < high:
            total[:, low:high] += values[:, low + offset : high + offset]
    return total


def lrn_forward(x, size: int, alpha: float, beta: float, k: float):
    """Local response normalization across the channels of x (N, C, ...); returns (y, scale).

    scale[:, c] = k + alpha / size * sum of x[:, c']^2 over c' = c - size//2 ... c + (size-1)//2
    y = x * scale^(-beta)                                     (PyTorch's local_response_norm)
    """
    window_energy = channel_window_sum(x * x, size // 2, (size - 1) // 2)
    scale = k + (alpha / size) * window_energy
    return x * scale**-beta, scale


def lrn_backward(grad_out, x, scale, size: int, alpha: float, beta: float):
    """dx = g * scale^(-beta) - (2 alpha beta / size) * x * sum over c with j in window(c) of
    g_c * x_c * scale_c^(-beta - 1); the channels c run over j - (size-1)//2 ... j + size//2 (the
    forward's window turned around). functional/normalization.py derives it."""
    through_own = grad_out * scale**-beta
    per_normalizer = grad_out * x * scale ** (-beta - 1)  # g_c x_c d_c^(-beta-1)
    spread = channel_window_sum(per_normalizer, (size - 1) // 2, size // 2)
    return through_own - (2 * alpha * beta / size) * x * spread


# ------------------------------------------------------------------------------ bias + ReLU


def bias_relu_forward(x, bias):
    """y = max(x + bias[c], 0) for x (N, C, ...) and bias (C,)."""
    xp = get_array_module(x)
    return xp.maximum(x + bias.reshape((1, -1) + (1,) * (x.ndim - 2)), 0)


def bias_relu_backward(grad_out, y):
    """(dx, dbias): dx = g where y > 0, else 0; dbias[c] = the sum of dx over every axis but 1."""
    grad_x = grad_out * (y > 0)
    return grad_x, grad_x.sum(axis=(0,) + tuple(range(2, grad_x.ndim)))
