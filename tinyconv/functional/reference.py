"""Naive loop versions of conv2d and max_pool2d: the formulas exactly as a learner writes them.

They are the executable specification that the fast im2col and strided-slice versions are tested
against (the tests compare them on random inputs). One Python loop per output element: slow,
obviously correct.
They work on plain arrays and compute only the forward pass.
"""

from __future__ import annotations

from tinyconv.backend import get_array_module
from tinyconv.checks import pair
from tinyconv.shapes import conv_output_size


def conv2d_reference(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, oy, ox] = b[o] + sum_{c, i, j} W[o, c, i, j] * x_pad[n, g*Cg + c, oy*sH + i*dH, ox*sW + j*dW]

    where g = o // (C_out / groups) is the group of filter o and Cg = C / groups its channels.
    """
    xp = get_array_module(x)
    (s_h, s_w), (p_h, p_w) = pair(stride, "stride"), pair(padding, "padding")
    d_h, d_w = pair(dilation, "dilation")
    n, c, height, width = x.shape
    c_out, c_per_group, k_h, k_w = weight.shape
    out_per_group = c_out // groups
    out_h = conv_output_size(height, k_h, s_h, p_h, d_h)
    out_w = conv_output_size(width, k_w, s_w, p_w, d_w)
    x_pad = xp.zeros((n, c, height + 2 * p_h, width + 2 * p_w), dtype=x.dtype)
    x_pad[:, :, p_h : p_h + height, p_w : p_w + width] = x
    y = xp.zeros((n, c_out, out_h, out_w), dtype=x.dtype)
    for b in range(n):
        for o in range(c_out):
            first_channel = (o // out_per_group) * c_per_group
            channels = slice(first_channel, first_channel + c_per_group)
            for oy in range(out_h):
                for ox in range(out_w):
                    rows = slice(oy * s_h, oy * s_h + d_h * (k_h - 1) + 1, d_h)
                    columns = slice(ox * s_w, ox * s_w + d_w * (k_w - 1) + 1, d_w)
                    window = x_pad[b, channels, rows, columns]
                    y[b, o, oy, ox] = (window * weight[o]).sum()
                    if bias is not None:
                        y[b, o, oy, ox] += bias[o]
    return y


def max_pool2d_reference(x, kernel_size, stride=None, padding=0):
    """y[n, c, oy, ox] = max over the window of x_pad[n, c, oy*sH + i, ox*sW + j], -inf padding."""
    xp = get_array_module(x)
    k_h, k_w = pair(kernel_size, "kernel_size")
    s_h, s_w = (k_h, k_w) if stride is None else pair(stride, "stride")
    p_h, p_w = pair(padding, "padding")
    n, c, height, width = x.shape
    out_h = conv_output_size(height, k_h, s_h, p_h)
    out_w = conv_output_size(width, k_w, s_w, p_w)
    x_pad = xp.full((n, c, height + 2 * p_h, width + 2 * p_w), -xp.inf, dtype=x.dtype)
    x_pad[:, :, p_h : p_h + height, p_w : p_w + width] = x
    y = xp.zeros((n, c, out_h, out_w), dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for oy in range(out_h):
                for ox in range(out_w):
                    window = x_pad[b, ch, oy * s_h : oy * s_h + k_h, ox * s_w : ox * s_w + k_w]
                    y[b, ch, oy, ox] = window.max()
    return y
