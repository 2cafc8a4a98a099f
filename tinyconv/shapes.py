"""Small argument helpers shared across tinyconv: number checks, (height, width) pairs, output sizes."""

from __future__ import annotations

import numbers


def is_int(value) -> bool:
    """True for a Python or NumPy integer (bool excluded: `True` is an int to Python, not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(owner: str, name: str, value, minimum: int) -> int:
    """`value` as an int when it is an integer >= minimum, else a ValueError naming `owner` and `name`."""
    if not is_int(value) or value < minimum:
        kind = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{owner}: {name} must be {kind}, got {value!r}")
    return int(value)


def check_real(owner: str, name: str, value) -> float:
    """`value` as a float when it is a real number (Python or NumPy; bool excluded), else a TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    return float(value)


def pair(value, name: str) -> tuple[int, int]:
    """Turn an int or a pair of ints into a `(height, width)` pair, as PyTorch's `_pair` does."""
    if is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
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
