"""Shape changes that move no arithmetic: reshape and view, permute, expand, repeat, flip, roll,
indexing, and writing into an index.

Most of these only rearrange where each element sits, so their backward puts every gradient back
where its element came from: reshape the gradient back, permute it back, flip it back. Two add:
`expand` and `repeat` use one input element in several output places, so that element's gradient is
the sum of the gradients of all its copies (the same rule as broadcasting, autograd.sum_to_shape).
"""

from __future__ import annotations

from tinyconv.autograd import Function, sum_to_shape
from tinyconv.backend import get_array_module, is_array
from tinyconv.tensor import Tensor


class Reshape(Function):
    """y = x with a new shape (the same elements in the same row-major order).

    dL/dx = g reshaped back to x's shape. With `view=True` (Tensor.view), y must share x's memory, as
    in PyTorch, and a reshape that needs a copy (of a transposed tensor, say) is refused.
    """

    def __init__(self, shape: tuple, view: bool = False):
        self.shape, self.view = shape, view

    def forward(self, x):
        self.input_shape = x.shape
        try:
            y = x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"{'view' if self.view else 'reshape'}: cannot reshape a tensor of shape {x.shape} "
                f"({x.size} elements) into shape {tuple(self.shape)}"
            ) from None
        # A copy never overlaps the original's memory; a view always does (unless there is nothing).
        if self.view and y.size and not get_array_module(x).may_share_memory(x, y):
            raise RuntimeError(
                f"view: shape {tuple(self.shape)} is not compatible with the layout of this tensor of "
                f"shape {x.shape} (its elements are not in row-major order in memory, after a permute or "
                "transpose, say). Use .reshape(...), which copies when it must, or .contiguous().view(...)"
            )
        return y

    def backward(self, grad_out):
        return grad_out.reshape(self.input_shape)


class Permute(Function):
    """y = x with its axes reordered: y has axis dims[k] of x as its axis k.

    dL/dx = g with the inverse order applied (an axis goes back to where it came from).
    transpose(a, b) and t() are the permutations that swap two axes.
    """

    def __init__(self, dims: tuple):
        self.dims = dims

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, grad_out):
        inverse = [self.dims.index(axis) for axis in range(len(self.dims))]
        return grad_out.transpose(inverse)


class Expand(Function):
    """y = x broadcast to `shape`: axes of size 1 repeated, new axes added in front (no copy).

    Every element of x appears in many places of y, so dL/dx is the sum of g over the copies:
    over the new leading axes, and over each axis that was stretched from 1.
    """

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, grad_out):
        return sum_to_shape(grad_out, self.input_shape)


class Repeat(Function):
    """y = x tiled `repeats[k]` times along axis k, as torch.Tensor.repeat (NumPy's tile).

    x of shape (s0, s1) repeated (r0, r1) is (r0 * s0, r1 * s1), and y[i, j] = x[i % s0, j % s1].
    dL/dx: view g as (r0, s0, r1, s1) and sum over the repeat axes r0, r1: each x element collects
    the gradients of its r0 * r1 copies.
    """

    def __init__(self, repeats: tuple):
        self.repeats = repeats

    def forward(self, x):
        # Leading repeats beyond x's dimensions add new axes in front, as in PyTorch.
        self.input_shape = (1,) * (len(self.repeats) - x.ndim) + x.shape
        return get_array_module(x).tile(x.reshape(self.input_shape), self.repeats)

    def backward(self, grad_out):
        split = []
        for repeat, size in zip(self.repeats, self.input_shape):
            split += [repeat, size]
        return grad_out.reshape(split).sum(axis=tuple(range(0, len(split), 2)))


class Flip(Function):
    """y = x with the order of the elements reversed along `dims`.    dL/dx = g flipped back."""

    def __init__(self, dims: tuple):
        self.dims = dims

    def forward(self, x):
        return get_array_module(x).flip(x, self.dims)

    def backward(self, grad_out):
        return get_array_module(grad_out).flip(grad_out, self.dims)


class Roll(Function):
    """y = x shifted cyclically by `shifts` along `dims` (what falls off one end comes back at the
    other).    dL/dx = g rolled back by -shifts."""

    def __init__(self, shifts: tuple, dims: tuple | None):
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, self.dims)

    def backward(self, grad_out):
        back = tuple(-shift for shift in self.shifts)
        return get_array_module(grad_out).roll(grad_out, back, self.dims)


class GetItem(Function):
    """y = x[index]: basic slicing (ints, slices, None, ...), integer arrays, or a boolean mask.

    dL/dx is zero except at the selected positions, which receive g. With integer arrays the same
    element can be picked several times (x[[0, 0]]), so the scatter must *add* (`add.at`), not
    assign; basic slices never repeat an element, and a plain assignment is faster there.
    """

    def __init__(self, index):
        self.index = unwrap_index(index)

    def forward(self, x):
        self.input_shape = x.shape
        return x[self.index]

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = xp.zeros(self.input_shape, dtype=grad_out.dtype)
        if uses_advanced_indexing(self.index):
            xp.add.at(grad, self.index, grad_out)
        else:
            grad[self.index] = grad_out
        return grad


class SetItem(Function):
    """y = x with y[index] = value: a copy of x with some places overwritten (`x[index] = value` on a
    tensor in the graph, which keeps both x's old value and the new one for backward).

    dL/dx = g, except at the overwritten places, which no longer depend on x: 0 there.
    dL/dvalue = g[index], summed back to value's shape if it was broadcast.
    """

    def __init__(self, index):
        self.index = unwrap_index(index)

    def forward(self, x, value):
        self.value_shape = value.shape
        y = x.copy()
        y[self.index] = value
        return y

    def backward(self, grad_out):
        grad_x = grad_out.copy()
        grad_x[self.index] = 0
        grad_value = (
            sum_to_shape(grad_out[self.index], self.value_shape) if self.needs_input_grad[1] else None
        )
        return grad_x, grad_value


def unwrap_index(index):
    """Replace Tensors inside an index by their arrays (x[idx_tensor] works like x[idx_array])."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def uses_advanced_indexing(index) -> bool:
    """True when the index holds an array, a list or a range (integer or boolean indexing), as in
    x[range(n), targets], the tutorials' way of picking one entry per row."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(is_array(p) or isinstance(p, (list, range)) for p in parts)
