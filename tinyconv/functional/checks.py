"""Input checks shared by the functional ops: one clear error, raised before any work is done."""

from __future__ import annotations

from tinyconv.tensor import Tensor


def check_tensor(value, op: str, name: str = "input") -> Tensor:
    """Raise TypeError unless `value` is a Tensor; return it."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a tinyconv.Tensor, got {type(value).__name__}")
    return value


def check_floating(tensor: Tensor, op: str, name: str = "input") -> None:
    """Raise TypeError unless the tensor holds floating-point numbers."""
    if tensor.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {tensor.dtype}")


def check_ndim(tensor: Tensor, ndim: int, op: str, layout: str, name: str = "input") -> None:
    """Raise ValueError unless the tensor has `ndim` axes; `layout` names them, e.g. '(N, C, H, W)'."""
    if tensor.ndim != ndim:
        raise ValueError(
            f"{op}: expected a {ndim}-D {name} {layout}, got shape {tensor.shape} ({tensor.ndim}-D)"
        )


def check_same_dtype(a: Tensor, b: Tensor, op: str, name_a: str, name_b: str) -> None:
    """Raise TypeError when two operands differ in dtype (NumPy would silently upcast)."""
    if a.dtype != b.dtype:
        raise TypeError(
            f"{op}: {name_a} has dtype {a.dtype} but {name_b} has dtype {b.dtype}; "
            "convert one of them so they match"
        )


def check_positive_pair(pair_value: tuple, op: str, name: str) -> None:
    """Raise ValueError unless both entries of a (height, width) pair are >= 1."""
    if min(pair_value) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {pair_value}")


def check_non_negative_pair(pair_value: tuple, op: str, name: str) -> None:
    """Raise ValueError unless both entries of a (height, width) pair are >= 0."""
    if min(pair_value) < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {pair_value}")


def check_window_fits(op: str, x_shape: tuple, kernel: tuple, padding: tuple) -> None:
    """Raise ValueError when the kernel is larger than the padded input (no output pixel at all)."""
    padded_h = x_shape[2] + 2 * padding[0]
    padded_w = x_shape[3] + 2 * padding[1]
    if kernel[0] > padded_h or kernel[1] > padded_w:
        raise ValueError(
            f"{op}: kernel {kernel[0]}x{kernel[1]} is larger than the padded input "
            f"{padded_h}x{padded_w} (input {x_shape[2]}x{x_shape[3]}, padding {padding})"
        )
