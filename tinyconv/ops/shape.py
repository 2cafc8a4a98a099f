"""Shape changes that move no arithmetic: reshape, transpose, indexing."""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, is_array
from tinyconv.tensor import Tensor


class Reshape(Function):
    """y = x viewed with a new shape.    dL/dx = g reshaped back to x's shape."""

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.input_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(self.shape)}"
            ) from None

    def backward(self, grad_out):
        return grad_out.reshape(self.input_shape)


class Transpose(Function):
    """y = x with its axes permuted by `axes`.    dL/dx = g permuted back by the inverse order."""

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        axes = tuple(range(x.ndim))[::-1] if self.axes is None else tuple(self.axes)
        in_range = all(-x.ndim <= a < x.ndim for a in axes)
        if not in_range or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}"
            )
        self.axes = tuple(a % x.ndim for a in axes)
        return x.transpose(self.axes)

    def backward(self, grad_out):
        inverse = [self.axes.index(a) for a in range(len(self.axes))]
        return grad_out.transpose(inverse)


class GetItem(Function):
    """y = x[index] (basic slicing or integer-array indexing, as NumPy).

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


def unwrap_index(index):
    """Replace Tensors inside an index by their arrays (x[idx_tensor] works like x[idx_array])."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def uses_advanced_indexing(index) -> bool:
    """True when the index holds an array or a list (integer or boolean indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(is_array(p) or isinstance(p, list) for p in parts)
