"""Choosing elements: where, masked_fill, gather, scatter_add.

None of these computes new values; each only decides which element lands where, so each backward
sends every gradient back to the element that was chosen, and nothing to the ones that were not.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module


class Where(Function):
    """y = a where condition is true, b where it is false (broadcast together).

    dL/da = g where the condition holds, 0 elsewhere;  dL/db = g where it does not. The condition
    is a boolean array, fixed at construction: it gets no gradient.
    """

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return get_array_module(a, b).where(self.condition, a, b)

    def backward(self, grad_out):
        grad_a = grad_out * self.condition if self.needs_input_grad[0] else None
        grad_b = grad_out * ~self.condition if self.needs_input_grad[1] else None
        return grad_a, grad_b


class MaskedFill(Function):
    """y = x with `value` written wherever `mask` is true (mask broadcasts to x's shape).

    Attention uses it to give the scores of forbidden positions -inf before the softmax.
    dL/dx = g where the mask is false, 0 where x was overwritten.
    """

    def __init__(self, mask, value):
        self.mask, self.value = mask, value

    def forward(self, x):
        xp = get_array_module(x)
        return xp.where(self.mask, xp.asarray(self.value, dtype=x.dtype), x)

    def backward(self, grad_out):
        return grad_out * ~self.mask


class Gather(Function):
    """y[i][j][k] = x[i][index[i][j][k]][k] for dim = 1 (likewise for the other dims): along `dim`,
    each output takes the element of x that `index` names; on the other axes it stays in place.

    dL/dx: each y element's gradient goes back to the x element it was taken from, and an x element
    taken several times collects the sum: scatter_add of g into zeros at `index`.
    """

    def __init__(self, dim: int, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        self.input_shape = x.shape
        return x[full_index(self.index, self.dim, get_array_module(x))]

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = xp.zeros(self.input_shape, dtype=grad_out.dtype)
        xp.add.at(grad, full_index(self.index, self.dim, xp), grad_out)
        return grad


class ScatterAdd(Function):
    """y = x, then y[i][index[i][j][k]][k] += src[i][j][k] for dim = 1 (likewise for the other dims),
    for every position (i, j, k) of index: src may be larger than index, and the rest of it is unused.

    dL/dx = g (every x element is still in y, with something added to it).
    dL/dsrc[i][j][k] = g[i][index[i][j][k]][k]: each src element was added at one place, so it
    receives that place's gradient (a gather of g); the unused part of src receives 0.
    """

    def __init__(self, dim: int, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        xp = get_array_module(x)
        self.src_shape = src.shape
        self.used = tuple(slice(0, length) for length in self.index.shape)  # the part of src index covers
        y = x.copy()
        # add.at, not y[...] += src: where index repeats, every addition must count.
        xp.add.at(y, full_index(self.index, self.dim, xp), src[self.used])
        return y

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = xp.zeros(self.src_shape, dtype=grad_out.dtype)
            grad_src[self.used] = grad_out[full_index(self.index, self.dim, xp)]
        return grad_out, grad_src


def full_index(index, dim: int, xp) -> tuple:
    """The tuple of integer arrays that addresses, in x, the elements `index` names along `dim`.

    For each axis other than `dim`, the position of the element itself (an arange along that
    axis, broadcast); along `dim`, the index. Then x[full_index] is gather(x, dim, index).
    """
    parts = []
    for axis, size in enumerate(index.shape):
        if axis == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = size
            parts.append(xp.arange(size).reshape(shape))
    return tuple(parts)
