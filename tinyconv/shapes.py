"""Small shape helpers shared by convolution and pooling."""

from __future__ import annotations


def pair(value, name: str) -> tuple[int, int]:
    """Turn an int or a pair of ints into a `(height, width)` pair, as PyTorch's `_pair` does."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        return (value, value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a sliding window along one axis (floor mode, as PyTorch).

        out = floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    which for dilation 1 is the familiar floor((size + 2 * padding - kernel) / stride) + 1.
    A dilated kernel spreads its k taps `dilation` pixels apart, so it spans dilation * (k - 1) + 1.
    Example: a 28-pixel row, a 5-wide kernel, stride 1, padding 2 gives (28 + 4 - 5) // 1 + 1 = 28.
    """
    span = dilation * (kernel - 1) + 1
    return (size + 2 * padding - span) // stride + 1
