"""Reductions: sum, mean, prod, var, max/min, amax/amin, logsumexp, norm, and the running sum cumsum.

A reduction over `dims` turns each group of elements (the elements that differ only along those
dims) into one number. Its backward hands each element of a group its share of the group's
gradient g: all of g for a sum, g / n for a mean, g at the winner for a max. The reduced axes are
put back as size-1 axes first (`expand_reduced`), so that g broadcasts over its group.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module


def expand_reduced(grad_out, input_shape: tuple, dims: tuple, keepdim: bool):
    """Put back the reduced axes as size-1 axes, so `grad_out` broadcasts against the input."""
    if keepdim:
        return grad_out
    shape = [1 if axis in dims else size for axis, size in enumerate(input_shape)]
    return grad_out.reshape(shape)


def group_count(shape: tuple, dims: tuple) -> int:
    """How many elements each group holds: the product of the reduced axes' sizes."""
    count = 1
    for axis in dims:
        count *= shape[axis]
    return count


def grouped(x, dims: tuple):
    """x with the reduced axes moved last and merged into one: (kept sizes..., group size).

    Then every group is one row, and a row-wise argmax or cumulative product finds what it needs.
    Returns (the grouped array, the order of x's axes it was permuted by).
    """
    kept = [axis for axis in range(x.ndim) if axis not in dims]
    order = kept + list(dims)
    return x.transpose(order).reshape([x.shape[axis] for axis in kept] + [-1]), order


def ungrouped(grouped_array, input_shape: tuple, order: list):
    """The inverse of `grouped`: split the merged axis, then move every axis back to its place."""
    array = grouped_array.reshape([input_shape[axis] for axis in order])
    inverse = [order.index(axis) for axis in range(len(order))]
    return array.transpose(inverse)


class Sum(Function):
    """y = sum of x over `dims`.    dL/dx[i] = g[the y that x[i] was summed into]: g broadcast back."""

    def __init__(self, dims: tuple, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        self.input_shape = x.shape
        return x.sum(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = expand_reduced(grad_out, self.input_shape, self.dims, self.keepdim)
        return xp.broadcast_to(grad, self.input_shape)


class Mean(Function):
    """y = mean of x over `dims` (n elements each).    dL/dx[i] = g / n, broadcast back.

    The mean of no elements (n = 0) is NaN, as in PyTorch.
    """

    def __init__(self, dims: tuple, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        self.count = group_count(x.shape, self.dims)
        if self.count == 0:  # NumPy would warn "mean of empty slice"; the answer is NaN either way
            total = x.sum(axis=self.dims, keepdims=self.keepdim)
            return xp.full(total.shape, xp.nan, dtype=x.dtype)
        return x.mean(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = expand_reduced(grad_out, self.input_shape, self.dims, self.keepdim)
        return xp.broadcast_to(grad / max(self.count, 1), self.input_shape)


class Prod(Function):
    """y = product of x over `dims`.

    dL/dx[i] = g * (the product of the other elements of i's group). Not g * y / x[i], which
    divides by zero when x[i] = 0. The product of the others is the product of everything before i
    times everything after it: two exclusive cumulative products, one from each end of the group.
    """

    def __init__(self, dims: tuple, keepdim: bool = False):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        self.x = x
        return x.prod(axis=self.dims, keepdims=self.keepdim)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        rows, order = grouped(self.x, self.dims)
        ones = xp.ones(rows.shape[:-1] + (1,), dtype=rows.dtype)
        before = xp.cumprod(xp.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([rows[..., 1:], ones], axis=-1), -1), axis=-1), -1)
        others = ungrouped(before * after, self.x.shape, order)
        return expand_reduced(grad_out, self.x.shape, self.dims, self.keepdim) * others


class Var(Function):
    """y = sum over `dims` of (x - mean)^2 / (n - correction): the variance.

    correction=1 (PyTorch's default, Bessel's correction) gives the unbiased estimate of the
    population's variance from a sample; correction=0 the plain mean of the squares.
        dL/dx[i] = g * 2 (x[i] - mean) / (n - correction)
    (the mean's own dependence on x[i] drops out, because the deviations sum to zero).
    """

    def __init__(self, dims: tuple, correction: float, keepdim: bool = False):
        self.dims, self.correction, self.keepdim = dims, correction, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        # As PyTorch: n - correction is taken as 0 when it is below, and a division by 0 gives what it
        # gives (one sample with correction 1: 0 / 0 = NaN; two different ones with correction 2: inf).
        self.divisor = max(group_count(x.shape, self.dims) - self.correction, 0)
        self.centered = x - x.mean(axis=self.dims, keepdims=True) if x.size else x
        total = (self.centered * self.centered).sum(axis=self.dims, keepdims=self.keepdim)
        if self.divisor == 0:  # written out, so that NumPy does not warn about the division
            return xp.where(total > 0, xp.inf, xp.nan).astype(x.dtype)
        return total / self.divisor

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        numerator = expand_reduced(grad_out, self.input_shape, self.dims, self.keepdim) * 2 * self.centered
        if self.divisor == 0:  # numerator / 0: +-inf, or NaN where the numerator is 0 too
            return xp.where(numerator == 0, xp.nan, xp.copysign(xp.inf, numerator)).astype(numerator.dtype)
        return numerator / self.divisor


class MaxAlongDim(Function):
    """(values, indices) = the max (or min) of x along one axis, and where it is.

    dL/dx[i] = g at the position `indices` names, 0 at the others: the max is locally the identity of
    its winner. When several elements tie, the index (and so the gradient) is the first of them; a
    NaN wins, as NumPy's and PyTorch's argmax have it. Indices get no gradient.
    """

    def __init__(self, dim: int, keepdim: bool, smallest: bool = False):
        self.dim, self.keepdim, self.smallest = dim, keepdim, smallest

    def forward(self, x):
        xp = get_array_module(x)
        self.input_shape = x.shape
        find = x.argmin if self.smallest else x.argmax
        self.indices = xp.expand_dims(find(axis=self.dim), self.dim)
        values = xp.take_along_axis(x, self.indices, axis=self.dim)
        indices = self.indices.astype(xp.int64)
        if not self.keepdim:
            values, indices = values.squeeze(self.dim), indices.squeeze(self.dim)
        return values, indices

    def backward(self, grad_values, grad_indices):
        xp = get_array_module(grad_values)
        grad = expand_reduced(grad_values, self.input_shape, (self.dim,), self.keepdim)
        # g at the winner, 0 elsewhere: a comparison of each position along the axis with the index.
        shape = [1] * len(self.input_shape)
        shape[self.dim] = self.input_shape[self.dim]
        positions = xp.arange(self.input_shape[self.dim]).reshape(shape)
        return (positions == self.indices) * grad


class Amax(Function):
    """y = the max (or min) of x over `dims`, as torch.amax / amin.

    Unlike max(dim), ties share the gradient: each of the k elements equal to the maximum receives
    g / k (PyTorch's rule for amax, amin, and max/min over all elements).
    """

    def __init__(self, dims: tuple, keepdim: bool, smallest: bool = False):
        self.dims, self.keepdim, self.smallest = dims, keepdim, smallest

    def forward(self, x):
        self.x = x
        reduce = x.min if self.smallest else x.max
        self.y = reduce(axis=self.dims, keepdims=True)
        return self.y if self.keepdim else self.y.squeeze(self.dims)

    def backward(self, grad_out):
        winners = self.x == self.y
        share = winners / winners.sum(axis=self.dims, keepdims=True)
        return expand_reduced(grad_out, self.x.shape, self.dims, self.keepdim) * share


class LogSumExp(Function):
    """y = log(sum over `dims` of e^x), computed as m + log(sum e^(x - m)) with m the max, so that
    no exponential overflows.    dL/dx = g * e^(x - y) = g * softmax(x) over the group."""

    def __init__(self, dims: tuple, keepdim: bool):
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        if group_count(x.shape, self.dims) == 0:  # the log of an empty sum: log(0) = -inf
            kept_shape = [1 if axis in self.dims else size for axis, size in enumerate(x.shape)]
            self.y = xp.full(kept_shape, -xp.inf, dtype=x.dtype)
            return self.y if self.keepdim else self.y.squeeze(self.dims)
        largest = x.max(axis=self.dims, keepdims=True)
        largest = xp.where(xp.isfinite(largest), largest, 0)  # all -inf: log(0) = -inf, no NaN
        self.y = largest + xp.log(xp.exp(x - largest).sum(axis=self.dims, keepdims=True))
        return self.y if self.keepdim else self.y.squeeze(self.dims)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        softmax = xp.exp(self.x - self.y)
        return expand_reduced(grad_out, self.x.shape, self.dims, self.keepdim) * softmax


class Norm(Function):
    """y = (sum over `dims` of |x|^p)^(1/p), the p-norm; p = 2 is the Euclidean length.

        dL/dx = g * sign(x) |x|^(p-1) / y^(p-1)       (p = 2: g * x / y;  p = 1: g * sign(x))
        p = inf: y = max |x|, and g goes to the largest |x| (shared by ties)
    At y = 0 the gradient is taken as 0, as in PyTorch (the norm has no derivative there).
    """

    def __init__(self, p: float, dims: tuple, keepdim: bool):
        self.p, self.dims, self.keepdim = p, dims, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        magnitude = xp.abs(x)
        if self.p == float("inf"):
            self.y = magnitude.max(axis=self.dims, keepdims=True)
        else:
            self.y = (magnitude**self.p).sum(axis=self.dims, keepdims=True) ** (1 / self.p)
        return self.y if self.keepdim else self.y.squeeze(self.dims)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = expand_reduced(grad_out, self.x.shape, self.dims, self.keepdim)
        magnitude, sign = xp.abs(self.x), xp.sign(self.x)
        safe_y = xp.where(self.y == 0, 1, self.y)
        if self.p == float("inf"):
            winners = (magnitude == self.y) & (self.y > 0)
            local = sign * winners / xp.maximum(winners.sum(axis=self.dims, keepdims=True), 1)
        elif self.p == 1:
            local = sign
        else:
            local = sign * magnitude ** (self.p - 1) / safe_y ** (self.p - 1)
        return grad * xp.where(self.y == 0, 0, local)


class CumSum(Function):
    """y[k] = x[0] + x[1] + ... + x[k] along `dim`.

    x[i] appears in every y[k] with k >= i, so dL/dx[i] = g[i] + g[i+1] + ...: the cumulative sum of
    g taken from the other end (flip, cumsum, flip back).
    """

    def __init__(self, dim: int):
        self.dim = dim

    def forward(self, x):
        return x.cumsum(axis=self.dim)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        return xp.flip(xp.flip(grad_out, self.dim).cumsum(axis=self.dim), self.dim)
