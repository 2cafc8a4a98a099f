"""Ways to make a tensor: from data, filled with zeros or ones, or drawn at random."""

from __future__ import annotations

import numpy

from tinyconv import random
from tinyconv.checks import check_int
from tinyconv.tensor import DEFAULT_DTYPE, Tensor, to_array


def shape_from(shape: tuple) -> tuple:
    """Accept both `zeros(2, 3)` and `zeros((2, 3))`, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(check_int("tensor creation", f"shape {shape}: each size", size, minimum=0) for size in shape)


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a *copy* of `data` (list, number, or array); float data is float32."""
    if isinstance(data, Tensor):
        data = data.data
    array = to_array(data, dtype)
    return Tensor(array.copy(), requires_grad=requires_grad)


def zeros(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape filled with 0."""
    return Tensor(numpy.zeros(shape_from(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape filled with 1."""
    return Tensor(numpy.ones(shape_from(shape), dtype=dtype), requires_grad=requires_grad)


def randn(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of samples from the standard normal distribution N(0, 1) (seeded by manual_seed)."""
    data = random.generator().standard_normal(shape_from(shape)).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)
