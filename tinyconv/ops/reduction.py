"""Reductions: sum, mean and max over some axes (or all of them)."""

from __future__ import annotations

import numbers

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module


def normalize_axes(axis, ndim: int) -> tuple:
    """`axis` (None, an int or a tuple, negative allowed) as a sorted tuple of non-negative axes.

    A 0-d tensor accepts axis 0 or -1, as PyTorch does, and has no axis to reduce: ().
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    normalized = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        if ndim:
            normalized.append(int(a) % ndim)
    return tuple(sorted(normalized))


def expand_reduced(grad_out, input_shape: tuple, axes: tuple, keepdims: bool):
    """Put back the reduced axes as size-1 axes, so `grad_out` broadcasts against the input."""
    if keepdims:
        return grad_out
    shape = [1 if axis in axes else size for axis, size in enumerate(input_shape)]
    return grad_out.reshape(shape)


class Sum(Function):
    """y = sum of x over `axis`.    dL/dx[i] = g[the y that x[i] was summed into]: g broadcast back."""

    def __init__(self, axis=None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.input_shape = x.shape
        self.axes = normalize_axes(self.axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = expand_reduced(grad_out, self.input_shape, self.axes, self.keepdims)
        return xp.broadcast_to(grad, self.input_shape)


class Mean(Function):
    """y = mean of x over `axis` (n elements each).    dL/dx[i] = g / n, broadcast back."""

    def __init__(self, axis=None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.input_shape = x.shape
        self.axes = normalize_axes(self.axis, x.ndim)
        self.count = 1
        for axis in self.axes:
            self.count *= x.shape[axis]
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = expand_reduced(grad_out, self.input_shape, self.axes, self.keepdims)
        return xp.broadcast_to(grad / self.count, self.input_shape)


class Max(Function):
    """y = max of x over `axis`.

    dL/dx[i] = g where x[i] is the maximum of its group, 0 elsewhere. When several elements tie
    for the maximum, the whole gradient goes to the *first* of them (the one `argmax` returns),
    as for max pooling: the gradient of y flows back through exactly one input.
    """

    def __init__(self, axis=None, keepdims: bool = False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        self.axes = normalize_axes(self.axis, x.ndim)
        kept = [a for a in range(x.ndim) if a not in self.axes]
        # Move the reduced axes last and merge them, so one argmax finds each group's winner.
        grouped = x.transpose(kept + list(self.axes)).reshape([x.shape[a] for a in kept] + [-1])
        self.kept_axes = kept
        self.argmax = grouped.argmax(axis=-1)
        y = xp.take_along_axis(grouped, self.argmax[..., None], axis=-1)[..., 0]
        if self.keepdims:
            y = y.reshape([1 if a in self.axes else s for a, s in enumerate(x.shape)])
        return y

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        kept_shape = [self.input_shape[a] for a in self.kept_axes]
        group_size = 1
        for axis in self.axes:
            group_size *= self.input_shape[axis]
        # g at the winner of each group, 0 elsewhere: a one-hot row per group (position == argmax)
        # times g. (NumPy's put_along_axis would do it in place, but CuPy has it only from v14.)
        one_hot = xp.arange(group_size) == self.argmax[..., None]
        grouped_grad = one_hot * grad_out.reshape(kept_shape + [1])
        # Undo the grouping: split the merged axis, then move every axis back to its place.
        permuted_shape = kept_shape + [self.input_shape[a] for a in self.axes]
        order = self.kept_axes + list(self.axes)
        inverse = [order.index(a) for a in range(len(order))]
        return grouped_grad.reshape(permuted_shape).transpose(inverse)
