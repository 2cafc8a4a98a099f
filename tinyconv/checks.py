"""Input checks: one clear error, raised before any work is done, naming what was expected and what came.

Every op, layer and launcher checks its arguments with these, so that a wrong call fails with a
sentence (`conv2d: stride must be positive, got (0, 1)`) instead of a NumPy traceback from deep inside,
or, worse, a silently wrong result. Checks that belong to one op only (conv2d's channel count, batch
norm's running statistics) live beside that op; the ones shared by several live here:

    numbers    is_int, check_int, check_real, check_dropout_probability
    pairs      pair, check_positive_pair, check_non_negative_pair
    dims       normalize_dim, normalize_dims, reduction_dims, dim_argument
    tensors    check_tensor, check_floating, check_ndim, check_same_dtype, check_window_fits
    devices    check_device
    kernels    check_int32 (the size limit of the CUDA kernels' 32-bit indices)

Range checks are written `if not low <= value < high`, never `if value < low or value >= high`: a NaN
fails every comparison, so only the first form refuses it.
"""

from __future__ import annotations

import numbers

from tinyconv.device import device_type

INT32_MAX = 2**31 - 1

# ------------------------------------------------------------------------------ numbers


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


def check_dropout_probability(op: str, p, name: str = "p") -> float:
    """p as a float when it is a probability in [0, 1), else a clear error that calls it `name`."""
    p = check_real(op, name, p)
    if not 0 <= p < 1:
        raise ValueError(
            f"{op}: {name} is the probability of dropping a value and must be in [0, 1), got {p!r} "
            "(p = 1 would drop everything and leave nothing to scale by 1 / (1 - p))"
        )
    return p


# ------------------------------------------------------------------------------ (height, width) pairs


def pair(value, name: str) -> tuple[int, int]:
    """Turn an int or a pair of ints into a `(height, width)` pair, as PyTorch's `_pair` does."""
    if is_int(value):
        return (int(value), int(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        return (int(value[0]), int(value[1]))
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def check_positive_pair(pair_value: tuple, op: str, name: str) -> None:
    """Raise ValueError unless both entries of a (height, width) pair are >= 1."""
    if min(pair_value) < 1:
        raise ValueError(f"{op}: {name} must be positive, got {pair_value}")


def check_non_negative_pair(pair_value: tuple, op: str, name: str) -> None:
    """Raise ValueError unless both entries of a (height, width) pair are >= 0."""
    if min(pair_value) < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {pair_value}")


# ------------------------------------------------------------------------------ dims (axes)


def normalize_dim(dim, ndim: int, op: str) -> int:
    """One axis `dim` of an `ndim`-D tensor as a non-negative int; negative counts from the end.

    A 0-d tensor accepts dim 0 or -1, as PyTorch does (and it stands for no axis at all).
    """
    if not is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-size}, {size - 1}], but got {dim})"
        )
    return int(dim) % size


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """`dim` (None for all, an int, or a tuple/list of ints) as a sorted tuple of distinct axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if is_int(dim) else dim
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
    normalized = [normalize_dim(d, ndim, op) for d in dims]
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: dim {tuple(dims)} names the same dimension twice")
    return tuple(sorted(normalized)) if ndim else ()


def reduction_dims(dim, ndim: int, op: str) -> tuple:
    """The dims a reduction (sum, mean, amax...) runs over: all of them for None, and, as in PyTorch,
    for an empty tuple or list too; else `dim` as normalize_dims makes it."""
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    return normalize_dims(dim, ndim, op)


def dim_argument(op: str, dim, axis, default=None):
    """PyTorch's `dim=`, or NumPy's `axis=` for code written against tinyconv's older spelling.

    Both names mean the same thing; giving both is an error rather than a silent choice.
    """
    if axis is not None and dim is not None:
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; they are the same argument, give one")
    if dim is not None:
        return dim
    return default if axis is None else axis


# ------------------------------------------------------------------------------ tensors


def check_tensor(value, op: str, name: str = "input"):
    """Raise TypeError unless `value` is a Tensor; return it."""
    # Imported here rather than at the top: tensor.py imports the backend, whose CUDA launchers import
    # this module, so a top-level import would run while tensor.py is still half-loaded.
    from tinyconv.tensor import Tensor

    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a tinyconv.Tensor, got {type(value).__name__}")
    return value


def check_floating(tensor, op: str, name: str = "input") -> None:
    """Raise TypeError unless the tensor holds floating-point numbers."""
    if tensor.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {tensor.dtype}")


def check_ndim(tensor, ndim: int, op: str, layout: str, name: str = "input") -> None:
    """Raise ValueError unless the tensor has `ndim` axes; `layout` names them, e.g. '(N, C, H, W)'."""
    if tensor.ndim != ndim:
        raise ValueError(
            f"{op}: expected a {ndim}-D {name} {layout}, got shape {tensor.shape} ({tensor.ndim}-D)"
        )


def check_same_dtype(a, b, op: str, name_a: str, name_b: str) -> None:
    """Raise TypeError when two operands differ in dtype (NumPy would silently upcast)."""
    if a.dtype != b.dtype:
        raise TypeError(
            f"{op}: {name_a} has dtype {a.dtype} but {name_b} has dtype {b.dtype}; "
            "convert one of them so they match"
        )


def check_window_fits(op: str, x_shape: tuple, kernel: tuple, padding: tuple) -> None:
    """Raise ValueError when the kernel is larger than the padded input (no output pixel at all)."""
    padded_h = x_shape[2] + 2 * padding[0]
    padded_w = x_shape[3] + 2 * padding[1]
    if kernel[0] > padded_h or kernel[1] > padded_w:
        raise ValueError(
            f"{op}: kernel {kernel[0]}x{kernel[1]} is larger than the padded input "
            f"{padded_h}x{padded_w} (input {x_shape[2]}x{x_shape[3]}, padding {padding})"
        )


# ------------------------------------------------------------------------------ devices and kernels


def check_device(device, where: str) -> str:
    """'cpu' or 'cuda' for a device name ("cpu", "cuda", "cuda:0") or a tinyconv.device, else a clear
    TypeError / ValueError naming `where`."""
    return device_type(device, where)


def check_int32(what: str, count: int) -> None:
    """The CUDA kernels index with 32-bit ints: refuse, clearly, an array they cannot address."""
    if count > INT32_MAX:
        raise ValueError(
            f"{what}: {count:,} elements is more than tinyconv's CUDA kernels can index with 32-bit ints "
            f"({INT32_MAX:,}); split the batch"
        )
