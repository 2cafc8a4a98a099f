"""Joining and splitting tensors along a dim: cat, stack, split, unbind (Inception and DenseNet join
branches along the channel dim; an LSTM splits its gate pre-activations into four).

These are only copies, so their backward only routes gradients: the gradient of a concatenation is
cut into the same pieces, and the gradient of the pieces of a split is glued back together.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import dim_argument, normalize_dim
from tinyconv.tensor import Tensor


class Cat(Function):
    """y = [x_1, x_2, ...] joined along `axis`.    dL/dx_k = the slice of g that x_k filled."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *arrays):
        self.sizes = [a.shape[self.axis] for a in arrays]
        return get_array_module(*arrays).concatenate(arrays, axis=self.axis)

    def backward(self, grad_out):
        return tuple(split_array(grad_out, self.sizes, self.axis))


class Stack(Function):
    """y = x_1, x_2, ... stacked along a new `axis`.    dL/dx_k = g taken at index k of that axis."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *arrays):
        return get_array_module(*arrays).stack(arrays, axis=self.axis)

    def backward(self, grad_out):
        # Views, not copies: `take` would copy all of grad_out for every k whenever grad_out is not
        # contiguous (broadcast by .sum(), transposed by batch_first), T copies of a (T, N, H)
        # gradient for a sequence of T steps, which makes backpropagation through time quadratic in T.
        per_input = get_array_module(grad_out).moveaxis(grad_out, self.axis, 0)
        return tuple(per_input[k] for k in range(per_input.shape[0]))


class Unbind(Function):
    """y_0, y_1, ... = the slices of x along `axis`, that axis removed.    dL/dx = the g_k stacked."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        per_slice = get_array_module(x).moveaxis(x, self.axis, 0)
        return tuple(per_slice[k] for k in range(per_slice.shape[0]))

    def backward(self, *grad_outputs):
        return get_array_module(*grad_outputs).stack(grad_outputs, axis=self.axis)


class Split(Function):
    """y_1, y_2, ... = consecutive pieces of x along `axis`.    dL/dx = [g_1, g_2, ...] joined."""

    def __init__(self, sizes: list, axis: int):
        self.sizes, self.axis = sizes, axis

    def forward(self, x):
        return tuple(split_array(x, self.sizes, self.axis))

    def backward(self, *grad_outputs):
        return get_array_module(*grad_outputs).concatenate(grad_outputs, axis=self.axis)


def split_array(array, sizes: list, axis: int) -> list:
    """Consecutive pieces of `array` along `axis` with the given sizes (views, no copy)."""
    pieces, start = [], 0
    for size in sizes:
        index = [slice(None)] * array.ndim
        index[axis] = slice(start, start + size)
        pieces.append(array[tuple(index)])
        start += size
    return pieces


def check_joinable(op: str, tensors, axis: int, new_axis: bool) -> int:
    """Check a list of tensors can be joined along `axis`; return the axis as a non-negative int."""
    tensors = list(tensors)
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{op}: expected a non-empty sequence of Tensors, got {tensors!r}")
    first = tensors[0].shape
    if not new_axis and not first:
        raise ValueError(f"{op}: cannot join 0-d tensors along an axis they do not have; use stack")
    axis = normalize_dim(axis, len(first) + (1 if new_axis else 0), op)
    for k, tensor in enumerate(tensors):
        others_equal = (
            tensor.shape == first
            if new_axis
            else len(tensor.shape) == len(first)
            and all(a == b for i, (a, b) in enumerate(zip(tensor.shape, first)) if i != axis)
        )
        if not others_equal:
            rule = "all the same shape" if new_axis else f"the same shape except along axis {axis}"
            raise ValueError(
                f"{op}: tensors must have {rule}; tensor 0 has shape {first}, tensor {k} has {tensor.shape}"
            )
    return axis


def cat(tensors, dim: int | None = None, *, axis=None) -> Tensor:
    """Join tensors along an existing dim, as torch.cat (`axis=` is accepted as another name)."""
    tensors = list(tensors)
    dim = dim_argument("cat", dim, axis, default=0)
    return Cat(check_joinable("cat", tensors, dim, new_axis=False))(*tensors)


def stack(tensors, dim: int | None = None, *, axis=None) -> Tensor:
    """Join equally shaped tensors along a new dim, as torch.stack (`axis=` is another name)."""
    tensors = list(tensors)
    dim = dim_argument("stack", dim, axis, default=0)
    return Stack(check_joinable("stack", tensors, dim, new_axis=True))(*tensors)


def unbind(tensor: Tensor, dim: int = 0) -> tuple:
    """The slices of a tensor along `dim`, each without that dim, as torch.unbind."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unbind: expected a Tensor, got {type(tensor).__name__}")
    if tensor.ndim == 0:
        raise ValueError("unbind: a 0-d tensor has no dim to take apart")
    return Unbind(normalize_dim(dim, tensor.ndim, "unbind"))(tensor)


def split(tensor: Tensor, split_size_or_sections, dim: int | None = None, *, axis=None) -> tuple:
    """Cut a tensor into pieces along `dim`, as torch.split (`axis=` is another name).

    An int gives pieces of that size (the last one smaller if needed); a list gives the sizes, which
    must add up to the length of the dim.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"split: expected a Tensor, got {type(tensor).__name__}")
    axis = normalize_dim(dim_argument("split", dim, axis, default=0), tensor.ndim, "split")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int) and not isinstance(split_size_or_sections, bool):
        if split_size_or_sections < 1:
            raise ValueError(f"split: the piece size must be positive, got {split_size_or_sections}")
        sizes = [
            min(split_size_or_sections, length - start) for start in range(0, length, split_size_or_sections)
        ]
    elif isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length or min(sizes, default=0) < 0:
            raise ValueError(
                f"split: sizes {sizes} must be non-negative and add up to {length}, the length of axis {axis}"
            )
    else:
        raise TypeError(
            f"split: expected a piece size (int) or a list of sizes, got {split_size_or_sections!r}"
        )
    return Split(sizes, axis)(tensor)
