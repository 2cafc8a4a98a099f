"""`Tensor`: an ndarray that remembers how it was computed, so gradients can flow back through it.

A Tensor holds
    data          the values: a NumPy array (CPU) or a CuPy array (GPU); `device` says which
    grad          dLoss/dTensor after `loss.backward()`, an array of the same shape; None before
    requires_grad whether gradients should be computed for it
    grad_fn       the Function that produced it (None for a leaf: data you made, or a parameter)

Every operator (`+`, `*`, `@`, `.sum()`, indexing...) is a `Function` from tinyconv/ops; the
methods here only turn Python numbers into tensors and call them. `backward()` is in autograd.py.
"""

from __future__ import annotations

import numbers

import numpy

from tinyconv.backend import device_of, get_array_module, is_array
from tinyconv.checks import check_device

DEFAULT_DTYPE = numpy.float32


def to_array(data, dtype=None):
    """Turn `data` (array, nested list, Python number) into an array, float32 for Python floats.

    An existing NumPy/CuPy array keeps its dtype (as `torch.from_numpy` does); Python floats become
    float32 (PyTorch's default dtype) and Python ints int64, unless `dtype` says otherwise.
    """
    if is_array(data):
        return data if dtype is None else data.astype(dtype, copy=False)
    if isinstance(data, numpy.generic):  # a NumPy scalar (what reductions return) keeps its dtype
        return numpy.asarray(data, dtype=dtype)
    array = numpy.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == numpy.float64:
        array = array.astype(DEFAULT_DTYPE)
    return array


class Tensor:
    """An n-dimensional array with a gradient, in the spirit of `torch.Tensor`.

    `Tensor(data)` wraps an existing array without copying it; `tinyconv.tensor(data)` copies.
    """

    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of NumPy trying to absorb the tensor.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data.data
        self.data = to_array(data)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.grad = None
        self.requires_grad = requires_grad
        self.grad_fn = None
        self.retains_grad = False

    # ----------------------------------------------------------------- properties and conversions
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def size(self, dim: int | None = None):
        """The shape, or the length of axis `dim`, as PyTorch's `size()` (NumPy's `.size` is `numel()`)."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for a tensor not produced by a recorded operation (data, parameters)."""
        return self.grad_fn is None

    @property
    def xp(self):
        """The array module of this tensor's data: `numpy` or `cupy`."""
        return get_array_module(self.data)

    @property
    def device(self) -> str:
        """Where the data lives: 'cpu' (a NumPy array) or 'cuda' (a CuPy array on the GPU)."""
        return device_of(self.data)

    def to(self, device: str) -> Tensor:
        """This tensor on `device` ('cpu' or 'cuda'): itself if it is there already, else a copy.

        As in PyTorch, the copy is recorded in the graph: a gradient that reaches it flows back to
        this tensor, on its own device. Moving to 'cuda' without a GPU raises a RuntimeError saying why.
        """
        if check_device(device, "Tensor.to") == self.device:
            return self
        return ToDevice(device)(self)

    def cuda(self) -> Tensor:
        """`to('cuda')`."""
        return self.to("cuda")

    def cpu(self) -> Tensor:
        """`to('cpu')`."""
        return self.to("cpu")

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = f", dtype={self.dtype}" if self.dtype != DEFAULT_DTYPE else ""
        if self.grad_fn is not None:
            extras += f", grad_fn=<{type(self.grad_fn).__name__}>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    def numpy(self) -> numpy.ndarray:
        """The data as a NumPy array (shared with the tensor on the CPU; copied from a GPU)."""
        if self.device == "cuda":
            return self.data.get()
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def detach(self) -> Tensor:
        """A new leaf tensor sharing this one's data, cut off from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place (only on leaves) and return self."""
        if not self.is_leaf:
            raise RuntimeError("requires_grad_() can only be set on a leaf tensor")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if self.grad_fn is not None:
            self.retains_grad = True

    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        grad: dLoss/dSelf, the same shape as self; may be left out for a scalar, where it is 1.
        Gradients add up in `.grad` across calls until they are zeroed, as in PyTorch.
        """
        autograd.backward(self, grad, retain_graph=retain_graph)

    # ----------------------------------------------------------------------------------- operators
    def _operand(self, value) -> Tensor:
        """Turn the other side of an operator into a Tensor.

        A Python number takes this tensor's floating dtype, so `x * 2.0` stays float32.
        """
        if isinstance(value, Tensor):
            return value
        if is_array(value):
            return Tensor(value)
        if isinstance(value, numbers.Number):
            dtype = self.dtype if self.dtype.kind == "f" else None
            return Tensor(self.xp.asarray(value, dtype=dtype))
        raise TypeError(
            f"unsupported operand of type {type(value).__name__} for a Tensor operation: "
            "expected a Tensor, an ndarray or a Python number"
        )

    def __add__(self, other):
        return arithmetic.Add()(self, self._operand(other))

    def __radd__(self, other):
        return arithmetic.Add()(self._operand(other), self)

    def __sub__(self, other):
        return arithmetic.Sub()(self, self._operand(other))

    def __rsub__(self, other):
        return arithmetic.Sub()(self._operand(other), self)

    def __mul__(self, other):
        return arithmetic.Mul()(self, self._operand(other))

    def __rmul__(self, other):
        return arithmetic.Mul()(self._operand(other), self)

    def __truediv__(self, other):
        return arithmetic.Div()(self, self._operand(other))

    def __rtruediv__(self, other):
        return arithmetic.Div()(self._operand(other), self)

    def __pow__(self, exponent):
        return arithmetic.Pow()(self, self._operand(exponent))

    def __rpow__(self, base):
        return arithmetic.Pow()(self._operand(base), self)

    def __matmul__(self, other):
        return arithmetic.MatMul()(self, self._operand(other))

    def __rmatmul__(self, other):
        return arithmetic.MatMul()(self._operand(other), self)

    def __neg__(self):
        return unary.Neg()(self)

    def __getitem__(self, index):
        return shape_ops.GetItem(index)(self)

    # --------------------------------------------------------------------- reductions and shapes
    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        return reduction.Sum(axis, keepdims)(self)

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        return reduction.Mean(axis, keepdims)(self)

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        return reduction.Max(axis, keepdims)(self)

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return shape_ops.Reshape(shape)(self)

    def transpose(self, *axes) -> Tensor:
        """Permute the axes (NumPy's meaning; with no axes, reverse them).

        Note: PyTorch's `transpose(dim0, dim1)` swaps two axes; for a 2-D tensor both agree.
        """
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return shape_ops.Transpose(axes or None)(self)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def exp(self) -> Tensor:
        return unary.Exp()(self)

    def log(self) -> Tensor:
        return unary.Log()(self)


# An eager autograd is a circle by nature: a tensor's methods make Functions (tinyconv/ops,
# tinyconv/autograd), and Functions make tensors. Those modules need the Tensor class defined first,
# so they are imported here, at the end, once it is.
from tinyconv import autograd  # noqa: E402
from tinyconv.ops import arithmetic, reduction, unary  # noqa: E402
from tinyconv.ops import shape as shape_ops  # noqa: E402
from tinyconv.ops.device import ToDevice  # noqa: E402
