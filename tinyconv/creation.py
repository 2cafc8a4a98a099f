"""Ways to make a tensor, as PyTorch's factory functions: from data, filled with a value, ranges,
the identity, random draws, and tensors shaped like another.

Every function takes PyTorch's keyword arguments: `dtype` (float32 unless said otherwise, or the
data's own dtype), `device` ("cpu" or "cuda"), `requires_grad`. Random draws come from tinyconv's
seeded generator (`tinyconv.manual_seed`).
"""

from __future__ import annotations

import numpy

from tinyconv import dtypes, random
from tinyconv.backend import device_of
from tinyconv.checks import check_int, is_int
from tinyconv.cuda import to_device
from tinyconv.device import device_type
from tinyconv.tensor import DEFAULT_DTYPE, Tensor, to_array


def shape_from(shape: tuple, size=None) -> tuple:
    """Accept `zeros(2, 3)`, `zeros((2, 3))` and `zeros(size=(2, 3))`, as PyTorch does."""
    if size is not None:
        if shape:
            raise TypeError(f"give the shape once: as sizes {shape} or as size={size!r}, not both")
        shape = (size,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(
        check_int("tensor creation", f"shape {shape}: each size", length, minimum=0) for length in shape
    )


def made(array, device=None, requires_grad: bool = False, where: str = "tensor") -> Tensor:
    """A Tensor of `array`, moved to `device` if one is given."""
    if device is not None:
        array = to_device(array, device_type(device, where), where)
    return Tensor(array, requires_grad=requires_grad)


def dtype_or(dtype, default) -> numpy.dtype:
    return default if dtype is None else dtypes.as_dtype(dtype, "tensor creation")


# ------------------------------------------------------------------------------ from data


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a *copy* of `data` (list, number, array or tensor); float data is float32."""
    if isinstance(data, Tensor):
        data = data.data
    return made(to_array(data, dtype).copy(), device, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing its memory when it already is an array of that dtype and device."""
    if isinstance(data, Tensor):
        return data.to(*(a for a in (device, dtype) if a is not None))
    return made(to_array(data, dtype), device, where="as_tensor")


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A tensor that shares the NumPy array's memory: a change to one shows in the other."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(to_array(array))


# ------------------------------------------------------------------------------ filled


def zeros(*shape, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape filled with 0."""
    return made(
        numpy.zeros(shape_from(shape, size), dtype=dtype_or(dtype, DEFAULT_DTYPE)), device, requires_grad
    )


def ones(*shape, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape filled with 1."""
    return made(
        numpy.ones(shape_from(shape, size), dtype=dtype_or(dtype, DEFAULT_DTYPE)), device, requires_grad
    )


def empty(*shape, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape. (PyTorch leaves it uninitialized; tinyconv fills it with 0, so a
    value read by mistake is at least always the same.)"""
    return zeros(*shape, size=size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` filled with `fill_value` (float32 for a float value, int64 for an
    int, bool for a bool, unless `dtype` says otherwise)."""
    default = dtypes.with_number(dtypes.bool, dtypes.scalar_category(fill_value))
    array = numpy.full(shape_from((size,)), fill_value, dtype=dtype_or(dtype, default))
    return made(array, device, requires_grad, "full")


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (square by default): ones on the diagonal, zeros elsewhere."""
    n = check_int("eye", "n", n, minimum=0)
    m = n if m is None else check_int("eye", "m", m, minimum=0)
    return made(numpy.eye(n, m, dtype=dtype_or(dtype, DEFAULT_DTYPE)), device, requires_grad, "eye")


# ------------------------------------------------------------------------------ ranges


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to but not including end, as torch.arange(start, end, step).

    arange(5) is 0..4. Integers give int64, any float among the arguments float32. Each argument is
    a number or a one-element tensor.
    """
    if end is None:
        start, end = 0, start
    start, end, step = (
        range_number(value, name) for value, name in ((start, "start"), (end, "end"), (step, "step"))
    )
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: the range from {start} to {end} goes the other way than step {step} (upper bound and "
            "lower bound inconsistent with step sign)"
        )
    default = dtypes.int64 if all(is_int(v) for v in (start, end, step)) else DEFAULT_DTYPE
    array = numpy.arange(start, end, step, dtype=dtype_or(dtype, default))
    return made(array, device, requires_grad, "arange")


def range_number(value, name: str):
    """An argument of arange as a Python number: a number, or the value of a one-element tensor."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not dtypes.is_python_number(value) or isinstance(value, (bool, numpy.bool_)):
        raise TypeError(f"arange: {name} must be a number, got {value!r}")
    return value.item() if isinstance(value, numpy.generic) else value


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    steps = check_int("linspace", "steps", steps, minimum=0)
    array = numpy.linspace(start, end, steps, dtype=dtype_or(dtype, DEFAULT_DTYPE))
    return made(array, device, requires_grad, "linspace")


# ------------------------------------------------------------------------------ random


def randn(*shape, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution N(0, 1)."""
    data = random.generator().standard_normal(shape_from(shape, size)).astype(dtype_or(dtype, DEFAULT_DTYPE))
    return made(data, device, requires_grad, "randn")


def rand(*shape, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    data = random.generator().random(shape_from(shape, size)).astype(dtype_or(dtype, DEFAULT_DTYPE))
    return made(data, device, requires_grad, "rand")


def randint(*args, low=None, high=None, size=None, dtype=None, device=None) -> Tensor:
    """Integers drawn uniformly from [low, high), int64, as torch.randint: randint(high, size) or
    randint(low, high, size), each also by keyword (randint(10, size=(3,))). The size is a tuple."""
    if args and isinstance(args[-1], (tuple, list)):  # the size comes last
        if size is not None:
            raise TypeError("randint: the size was given twice")
        *args, size = args
    if len(args) > 2:
        raise TypeError(f"randint: expected randint(high, size) or randint(low, high, size), got {args}")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1 and high is None:  # randint(high, size)
        high = args[0]
    elif len(args) == 1:
        low = args[0]
    low = 0 if low is None else low
    if high is None or not isinstance(size, (tuple, list)):
        raise TypeError(
            "randint: give high and the size as a tuple, as in randint(10, (3,)) or "
            f"randint(0, 10, size=(3,)); got high={high!r}, size={size!r}"
        )
    low = check_int("randint", "low", low, minimum=-(2**62))
    high = check_int("randint", "high", high, minimum=low + 1)
    data = random.generator().integers(low, high, shape_from((size,)), dtype=numpy.int64)
    return made(data.astype(dtype_or(dtype, dtypes.int64)), device, where="randint")


def randperm(n: int, dtype=None, device=None) -> Tensor:
    """0, 1, ..., n - 1 in a random order, int64."""
    n = check_int("randperm", "n", n, minimum=0)
    return made(
        random.generator().permutation(n).astype(dtype_or(dtype, dtypes.int64)), device, where="randperm"
    )


# ------------------------------------------------------------------------------ like another tensor


def like(other: Tensor, dtype, where: str):
    """(shape, dtype, device) of a new tensor like `other`."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{where}: expected a Tensor to take the shape of, got {type(other).__name__}")
    return other.shape, dtype_or(dtype, other.dtype), device_of(other.data)


def zeros_like(other: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros of other's shape, in other's dtype and on its device unless told otherwise."""
    shape, dtype, own_device = like(other, dtype, "zeros_like")
    return made(numpy.zeros(shape, dtype=dtype), device or own_device, requires_grad, "zeros_like")


def ones_like(other: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, own_device = like(other, dtype, "ones_like")
    return made(numpy.ones(shape, dtype=dtype), device or own_device, requires_grad, "ones_like")


def empty_like(other: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(other, dtype, device, requires_grad)


def full_like(other: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, own_device = like(other, dtype, "full_like")
    return made(numpy.full(shape, fill_value, dtype=dtype), device or own_device, requires_grad, "full_like")


def randn_like(other: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, own_device = like(other, dtype, "randn_like")
    data = random.generator().standard_normal(shape).astype(dtype)
    return made(data, device or own_device, requires_grad, "randn_like")


def rand_like(other: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    shape, dtype, own_device = like(other, dtype, "rand_like")
    return made(
        random.generator().random(shape).astype(dtype), device or own_device, requires_grad, "rand_like"
    )


def is_tensor(value) -> bool:
    """True for a tinyconv Tensor."""
    return isinstance(value, Tensor)


def numel(value: Tensor) -> int:
    return value.numel()
