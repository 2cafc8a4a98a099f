"""Shape arithmetic: how large the output of a sliding window is (argument checks are in checks.py)."""

from __future__ import annotations


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a sliding window along one axis (floor mode, as PyTorch).

        out = floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    which for dilation 1 is the familiar floor((size + 2 * padding - kernel) / stride) + 1.
    A dilated kernel spreads its k taps `dilation` pixels apart, so it spans dilation * (k - 1) + 1.
    Example: a 28-pixel row, a 5-wide kernel, stride 1, padding 2 gives (28 + 4 - 5) // 1 + 1 = 28.
    """
    span = dilation * (kernel - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def pooled_size(x_shape: tuple, kernel_size: tuple, stride: tuple, padding: tuple) -> tuple[int, int]:
    """(OH, OW) of a pooling window sliding over x (N, C, H, W), floor mode:
    OH = (H + 2 pH - kH) // sH + 1, likewise OW."""
    return tuple(conv_output_size(x_shape[2 + a], kernel_size[a], stride[a], padding[a]) for a in (0, 1))
