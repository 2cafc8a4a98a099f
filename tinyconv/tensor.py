"""`Tensor`: an ndarray that remembers how it was computed, so gradients can flow back through it.

A Tensor holds
    data          the values: a NumPy array (CPU) or a CuPy array (GPU); `device` says which
    grad          dLoss/dTensor after `loss.backward()`, an array of the same shape; None before
    requires_grad whether gradients should be computed for it
    grad_fn       the Function that produced it (None for a leaf: data you made, or a parameter)

Every differentiable method (`+`, `*`, `@`, `.sum()`, `.view()`, indexing...) is a `Function` from
tinyconv/ops (or tinyconv/functional for the activations); the methods here only check their
arguments, turn Python numbers into tensors and call them. `backward()` is in autograd.py.

The methods follow PyTorch's names, arguments and meanings (`dim`, `keepdim`, `transpose(0, 1)`
swaps two dims, `max(dim)` returns (values, indices)...), so PyTorch code runs as written. Where
tinyconv used NumPy's words before (`axis=`, `keepdims=`), they still work. One deliberate
difference: `.data` and `.grad` are plain arrays (NumPy or CuPy), so a learner sees the raw numbers;
docs/engine.md lists what that changes.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy

from tinyconv import dtypes
from tinyconv.backend import device_of, get_array_module, is_array
from tinyconv.checks import dim_argument, is_int, normalize_dim, normalize_dims, reduction_dims
from tinyconv.device import device, device_type

DEFAULT_DTYPE = dtypes.DEFAULT_FLOAT

# What max(dim), min(dim) return, as torch.return_types: a pair that also has names.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def to_array(data, dtype=None):
    """Turn `data` (array, nested list, Python number) into an array, float32 for Python floats.

    An existing NumPy/CuPy array keeps its dtype (as `torch.from_numpy` does); Python floats become
    float32 (PyTorch's default dtype) and Python ints int64, unless `dtype` says otherwise. Anything
    that is not numbers (strings, objects, lists of unequal lengths) is refused here, so that no
    arithmetic ever runs on an array of Python objects.
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype, "tensor")
    if isinstance(data, Tensor):
        data = data.data
    if is_array(data):
        array = data if dtype is None else data.astype(dtype, copy=False)
    elif isinstance(data, numpy.generic):  # a NumPy scalar (what reductions return) keeps its dtype
        array = numpy.asarray(data, dtype=dtype)
    else:
        try:
            array = numpy.asarray(data, dtype=dtype)
        except ValueError as error:  # NumPy's "inhomogeneous shape": a ragged nested list
            raise ValueError(
                f"tensor: cannot make a tensor of {short_repr(data)}: a nested list must be rectangular "
                f"(every row the same length) ({error})"
            ) from None
        if dtype is None and array.dtype == numpy.float64:
            array = array.astype(DEFAULT_DTYPE)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"tensor: expected numbers (bool, int or float), got {short_repr(data)} of dtype {array.dtype}"
        )
    return array


def short_repr(value, limit: int = 60) -> str:
    """repr(value), cut to `limit` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Tensor:
    """An n-dimensional array with a gradient, in the spirit of `torch.Tensor`.

    `Tensor(data)` wraps an existing array without copying it; `tinyconv.tensor(data)` copies.
    """

    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of NumPy trying to absorb the tensor.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False):
        self.data = to_array(data)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.grad = None
        self.requires_grad = requires_grad
        self.grad_fn = None
        self.retains_grad = False
        self._version = 0  # +1 at every in-place change (ops/inplace.py); backward checks it
        self._uses = 0  # how many recorded operations have used this tensor as an input

    # ----------------------------------------------------------------------- properties
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
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim, "size")]

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (PyTorch's name for ndim)."""
        return self.data.ndim

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_leaf(self) -> bool:
        """True for a tensor not produced by a recorded operation (data, parameters)."""
        return self.grad_fn is None

    @property
    def xp(self):
        """The array module of this tensor's data: `numpy` or `cupy`."""
        return get_array_module(self.data)

    @property
    def device(self) -> device:
        """Where the data lives: device('cpu') (a NumPy array) or device('cuda:0') (a CuPy array; CuPy's
        current GPU), as PyTorch names them.

        It compares equal to its name: `x.device == "cuda"`.
        """
        kind = device_of(self.data)
        return device(kind, 0 if kind == "cuda" else None)

    @property
    def is_cuda(self) -> bool:
        return device_of(self.data) == "cuda"

    def __hash__(self) -> int:
        # A tensor is hashed by identity, as in PyTorch: `==` compares values element-wise, so it
        # cannot be what a set or a dict uses.
        return id(self)

    # ----------------------------------------------------------------------- conversions
    def to(self, *args, **kwargs) -> Tensor:
        """This tensor on another device and/or with another dtype, as torch.Tensor.to:

            x.to("cuda"), x.to(tinyconv.float64), x.to("cuda", tinyconv.float64), x.to(other)

        Itself when nothing changes (unless copy=True), else a copy recorded in the graph: a gradient
        that reaches the copy flows back to this tensor, on its own device and in its own dtype. To an
        integer or bool dtype the copy has no gradient. Moving to 'cuda' without a GPU raises an error
        saying why.
        """
        copy = kwargs.pop("copy", False)
        target_device, target_dtype = conversion_target(args, kwargs)
        result = self
        if target_dtype is not None and target_dtype != self.dtype:
            result = result.cast(target_dtype)
        if target_device is not None and target_device != device_of(self.data):
            result = conversion.ToDevice(target_device)(result)
        return result.clone() if copy and result is self else result

    def cast(self, dtype) -> Tensor:
        """This tensor's values in another dtype (float to float stays in the graph)."""
        if dtype == self.dtype:
            return self
        if self.dtype.kind == "f" and numpy.dtype(dtype).kind == "f":
            return conversion.ToDtype(dtype)(self)
        return Tensor(self.data.astype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor in `other`'s dtype."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool)

    def cuda(self) -> Tensor:
        """`to('cuda')`."""
        return self.to("cuda")

    def cpu(self) -> Tensor:
        """`to('cpu')`."""
        return self.to("cpu")

    def numpy(self) -> numpy.ndarray:
        """The data as a NumPy array (shared with the tensor on the CPU; copied from a GPU)."""
        if device_of(self.data) == "cuda":
            return self.data.get()
        return self.data

    def __array__(self, dtype=None, copy=None):
        """Lets NumPy (and matplotlib) read a tensor: numpy.asarray(x)."""
        return self.numpy() if dtype is None else self.numpy().astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar (item() needs "
                f"exactly one element; this tensor has shape {self.shape})"
            )
        return self.data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers; a 0-d tensor gives a number."""
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.single_value("float"))

    def __int__(self) -> int:
        return int(self.single_value("int"))

    def single_value(self, conversion: str):
        """The one element, for float(t) and int(t); PyTorch's ValueError for any other count."""
        if self.data.size != 1:
            raise ValueError(
                f"only one element tensors can be converted to Python scalars ({conversion}() of a "
                f"tensor of shape {self.shape})"
            )
        return self.data.item()

    def __index__(self) -> int:
        """An integer tensor of one element used as an index: `range(n_tensor)`, `x[i_tensor]`."""
        if self.dtype.kind not in "iu":
            raise TypeError(
                f"only integer tensors of a single element can be used as an index, got {self.dtype}"
            )
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            count = "no values" if self.data.size == 0 else "more than one value"
            raise RuntimeError(
                f"Boolean value of Tensor with {count} is ambiguous (shape {self.shape}): "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        """Iterating over a tensor gives its rows: x[0], x[1], ... (as in PyTorch)."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(")
        # PyTorch names the dtype unless it is one a tensor gets by default (from floats, ints, bools).
        extras = (
            f", dtype={self.dtype}" if self.dtype not in (DEFAULT_DTYPE, dtypes.int64, dtypes.bool) else ""
        )
        if device_of(self.data) == "cuda":
            extras += ", device='cuda'"
        if self.grad_fn is not None:
            extras += f", grad_fn=<{type(self.grad_fn).__name__}>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    # ----------------------------------------------------------------------- autograd
    def detach(self) -> Tensor:
        """A new leaf tensor sharing this one's data, cut off from the graph."""
        return Tensor(self.data)

    def clone(self) -> Tensor:
        """A copy in new memory, recorded in the graph (the gradient passes through unchanged)."""
        return unary.Clone()(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place (only on leaves) and return self."""
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad_() can only be set on a leaf tensor; this one was computed from others "
                "(use .detach().requires_grad_() for a new leaf)"
            )
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if self.grad_fn is not None:
            self.retains_grad = True

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        gradient: dLoss/dSelf, the same shape as self; may be left out for a scalar, where it is 1.
        Gradients add up in `.grad` across calls until they are zeroed, as in PyTorch.
        """
        autograd.backward(self, gradient, retain_graph=retain_graph)

    # ----------------------------------------------------------------------- arithmetic operators
    def _operand(self, value) -> Tensor:
        """The other side of an operator as a Tensor (Python numbers become 0-d arrays)."""
        if isinstance(value, Tensor):
            return value
        if is_array(value):
            return Tensor(value)
        if dtypes.is_python_number(value):
            return Tensor(self.xp.asarray(value, dtype=dtypes.result_type(self, value)))
        raise TypeError(
            f"unsupported operand of type {type(value).__name__} for a Tensor operation: "
            "expected a Tensor, an ndarray or a Python number"
        )

    def _promoted(self, other, operation: str, true_division: bool = False) -> tuple:
        """(self, other) as tensors of one dtype, chosen by PyTorch's promotion rule (dtypes.py).

        Checked here, before any work: the shapes must broadcast (NumPy's message names neither).
        """
        other_tensor = self._operand(other)
        check_broadcast(self.shape, other_tensor.shape, operation)
        if operation == "-" and dtypes.bool in (self.dtype, other_tensor.dtype, dtypes.python_dtype(other)):
            # NumPy would refuse too, but only for two bools; PyTorch refuses any bool operand.
            raise TypeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                "invert a mask, use the `~` or `logical_not()` operator instead"
            )
        dtype = dtypes.result_type(self, other if dtypes.is_python_number(other) else other_tensor)
        if true_division and dtype.kind != "f":  # 7 / 2 is 3.5 in PyTorch too
            dtype = DEFAULT_DTYPE
        return self.cast(dtype), other_tensor.cast(dtype)

    def __add__(self, other):
        return arithmetic.Add()(*self._promoted(other, "+"))

    def __radd__(self, other):
        return arithmetic.Add()(*reversed(self._promoted(other, "+")))

    def __sub__(self, other):
        return arithmetic.Sub()(*self._promoted(other, "-"))

    def __rsub__(self, other):
        return arithmetic.Sub()(*reversed(self._promoted(other, "-")))

    def __mul__(self, other):
        return arithmetic.Mul()(*self._promoted(other, "*"))

    def __rmul__(self, other):
        return arithmetic.Mul()(*reversed(self._promoted(other, "*")))

    def __truediv__(self, other):
        return arithmetic.Div()(*self._promoted(other, "/", true_division=True))

    def __rtruediv__(self, other):
        return arithmetic.Div()(*reversed(self._promoted(other, "/", true_division=True)))

    def __pow__(self, exponent):
        return arithmetic.Pow()(*self._promoted(exponent, "**"))

    def __rpow__(self, base):
        return arithmetic.Pow()(*reversed(self._promoted(base, "**")))

    def __matmul__(self, other):
        return matmul(self, self._operand(other))

    def __rmatmul__(self, other):
        return matmul(self._operand(other), self)

    def __neg__(self):
        return unary.Neg()(self)

    def __abs__(self):
        return self.abs()

    def add(self, other, alpha=1) -> Tensor:
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1) -> Tensor:
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other) -> Tensor:
        return self * other

    def div(self, other) -> Tensor:
        return self / other

    def pow(self, exponent) -> Tensor:
        return self**exponent

    def neg(self) -> Tensor:
        return -self

    def maximum(self, other: Tensor) -> Tensor:
        """Element-wise max(self, other); ties share the gradient (as torch.maximum)."""
        return arithmetic.Maximum()(*self._promoted(other, "maximum"))

    def minimum(self, other: Tensor) -> Tensor:
        """Element-wise min(self, other); ties share the gradient (as torch.minimum)."""
        return arithmetic.Maximum(smallest=True)(*self._promoted(other, "minimum"))

    # ----------------------------------------------------------------------- comparisons and logic
    # Comparisons give boolean tensors, with no gradient (a step has none): (pred == y).sum() counts.
    def _compare(self, other, compare, operation: str) -> Tensor:
        if not (isinstance(other, Tensor) or is_array(other) or dtypes.is_python_number(other)):
            return NotImplemented  # `x == None` is False, as in PyTorch, not an error
        a, b = self._promoted(other, operation)
        return Tensor(compare(a.data, b.data))

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b, "==")

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b, "!=")

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b, "<")

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b, "<=")

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b, ">")

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b, ">=")

    def eq(self, other) -> Tensor:
        return self == other

    def ne(self, other) -> Tensor:
        return self != other

    def lt(self, other) -> Tensor:
        return self < other

    def le(self, other) -> Tensor:
        return self <= other

    def gt(self, other) -> Tensor:
        return self > other

    def ge(self, other) -> Tensor:
        return self >= other

    def _logical(self, other, combine, operation: str) -> Tensor:
        other = self._operand(other)
        for tensor in (self, other):
            if tensor.dtype.kind not in "biu":
                raise TypeError(f"{operation} needs bool or integer tensors, got {tensor.dtype}")
        check_broadcast(self.shape, other.shape, operation)
        return Tensor(combine(self.data, other.data))

    def __and__(self, other):
        return self._logical(other, lambda a, b: a & b, "&")

    def __or__(self, other):
        return self._logical(other, lambda a, b: a | b, "|")

    def __xor__(self, other):
        return self._logical(other, lambda a, b: a ^ b, "^")

    def __invert__(self):
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ needs a bool or integer tensor, got {self.dtype}")
        return Tensor(~self.data)

    def logical_not(self) -> Tensor:
        return Tensor(self.data == 0)

    def isnan(self) -> Tensor:
        return Tensor(self.xp.isnan(self.data))

    def isfinite(self) -> Tensor:
        return Tensor(self.xp.isfinite(self.data))

    def equal(self, other: Tensor) -> bool:
        """True when both have the same shape and the same values (as torch.equal)."""
        return self.shape == other.shape and bool((self.data == other.data).all())

    # ----------------------------------------------------------------------- in-place operations
    # See ops/inplace.py for the three cases (outside the graph, a leaf that requires grad, inside).
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, alpha=1) -> Tensor:
        return inplace.apply_in_place(self, lambda old: old.add(other, alpha), (other,), "add_")

    def sub_(self, other, alpha=1) -> Tensor:
        return inplace.apply_in_place(self, lambda old: old.sub(other, alpha), (other,), "sub_")

    def mul_(self, other) -> Tensor:
        return inplace.apply_in_place(self, lambda old: old * other, (other,), "mul_")

    def div_(self, other) -> Tensor:
        return inplace.apply_in_place(self, lambda old: old / other, (other,), "div_")

    def pow_(self, exponent) -> Tensor:
        return inplace.apply_in_place(self, lambda old: old**exponent, (exponent,), "pow_")

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 (PyTorch's argument names)
        return inplace.apply_in_place(self, lambda old: old.clamp(min, max), (), "clamp_")

    def masked_fill_(self, mask, value) -> Tensor:
        return inplace.apply_in_place(self, lambda old: old.masked_fill(mask, value), (), "masked_fill_")

    def fill_(self, value) -> Tensor:
        """Every element set to `value` (a number or a 0-d tensor)."""
        return inplace.apply_in_place(self, lambda old: inplace.replaced(old, value), (value,), "fill_")

    def zero_(self) -> Tensor:
        """Every element set to 0 (the PyTorch habit `w.grad.zero_()` is `w.grad = None` here)."""
        return self.fill_(0)

    def copy_(self, source) -> Tensor:
        """The values of `source` (broadcast to this shape) written into this tensor."""
        return inplace.apply_in_place(self, lambda old: inplace.replaced(old, source), (source,), "copy_")

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Every element drawn from U(a, b), with tinyconv's seeded generator."""
        values = Tensor(self.xp.asarray(random.generator().uniform(a, b, self.shape)))
        return inplace.apply_in_place(self, lambda old: inplace.replaced(old, values), (), "uniform_")

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Every element drawn from N(mean, std^2), with tinyconv's seeded generator."""
        values = Tensor(self.xp.asarray(random.generator().normal(mean, std, self.shape)))
        return inplace.apply_in_place(self, lambda old: inplace.replaced(old, values), (), "normal_")

    def __setitem__(self, index, value) -> None:
        """x[index] = value, in place: the data is written directly outside the graph, and inside it
        the write is recorded (SetItem) so that gradients flow to `value` and around the overwritten
        places."""
        check_index(index, self)
        inplace.set_item(self, index, self._operand(value))

    # ----------------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
        """The sum over `dim` (an int, a tuple, or None for all). Bool and int tensors sum to int64."""
        dims = reduction_dims(dim_argument("sum", dim, axis), self.ndim, "sum")
        source = self.long() if self.dtype.kind in "biu" else self
        return reduction.Sum(dims, keep(keepdim, keepdims))(source)

    def mean(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
        """The mean over `dim`; the tensor must be floating point, as in PyTorch."""
        self.check_floating("mean")
        dims = reduction_dims(dim_argument("mean", dim, axis), self.ndim, "mean")
        return reduction.Mean(dims, keep(keepdim, keepdims))(self)

    def prod(self, dim=None, keepdim: bool = False) -> Tensor:
        """The product over `dim` (None for all elements)."""
        return reduction.Prod(reduction_dims(dim, self.ndim, "prod"), keepdim)(self)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
        """The variance over `dim`, dividing by n - correction (correction=1 by default, as PyTorch;
        unbiased=False is correction=0)."""
        self.check_floating("var")
        if unbiased is not None and correction is not None:
            raise TypeError("var: give correction or unbiased, not both")
        correction = (1 if unbiased in (None, True) else 0) if correction is None else correction
        return reduction.Var(reduction_dims(dim, self.ndim, "var"), correction, keepdim)(self)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
        """The standard deviation, sqrt(var) (same arguments as var)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def max(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """max() is the largest element; max(dim) is (values, indices) along `dim`, as in PyTorch;
        max(other_tensor) is the element-wise maximum."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self.extreme("max", dim_argument("max", dim, axis), keep(keepdim, keepdims), smallest=False)

    def min(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """min() is the smallest element; min(dim) is (values, indices); min(other) element-wise."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self.extreme("min", dim_argument("min", dim, axis), keep(keepdim, keepdims), smallest=True)

    def extreme(self, name: str, dim, keepdim: bool, smallest: bool):
        self.check_not_empty(name, dim)
        if dim is None:  # one number; ties share the gradient, as in PyTorch
            return reduction.Amax(tuple(range(self.ndim)), False, smallest)(self)
        if not is_int(dim):
            raise TypeError(f"{name}: dim must be an int, got {dim!r} (amax/amin take several dims)")
        axis = normalize_dim(dim, self.ndim, name)
        if self.ndim == 0:  # a single number is its own max, at index 0 (as in PyTorch)
            values, indices = self.clone(), Tensor(self.xp.zeros((), dtype=dtypes.int64))
        else:
            values, indices = reduction.MaxAlongDim(axis, keepdim, smallest)(self)
        return (MinResult if smallest else MaxResult)(values, indices)

    def amax(self, dim=(), keepdim: bool = False) -> Tensor:
        """The max over `dim` (an int or a tuple; () for all); ties share the gradient."""
        dims = reduction_dims(dim, self.ndim, "amax")
        self.check_not_empty("amax", dims if dim not in (None, (), []) else None)
        return reduction.Amax(dims, keepdim)(self)

    def amin(self, dim=(), keepdim: bool = False) -> Tensor:
        """The min over `dim` (an int or a tuple; () for all); ties share the gradient."""
        dims = reduction_dims(dim, self.ndim, "amin")
        self.check_not_empty("amin", dims if dim not in (None, (), []) else None)
        return reduction.Amax(dims, keepdim, smallest=True)(self)

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        """The index of the largest element (of the flattened tensor when dim is None), int64."""
        return self.arg_extreme("argmax", dim, keepdim, smallest=False)

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        """The index of the smallest element (of the flattened tensor when dim is None), int64."""
        return self.arg_extreme("argmin", dim, keepdim, smallest=True)

    def arg_extreme(self, name: str, dim, keepdim: bool, smallest: bool) -> Tensor:
        self.check_not_empty(name, dim)
        find = self.data.argmin if smallest else self.data.argmax
        if dim is None:
            index = find()
            return Tensor(
                self.xp.asarray(index, dtype=dtypes.int64).reshape((1,) * self.ndim if keepdim else ())
            )
        axis = normalize_dim(dim, self.ndim, name)
        return Tensor(find(axis=axis, keepdims=keepdim).astype(dtypes.int64))

    def logsumexp(self, dim, keepdim: bool = False) -> Tensor:
        """log(sum(exp(x))) over `dim`, without overflow (an integer tensor gives float32, as in PyTorch)."""
        return reduction.LogSumExp(reduction_dims(dim, self.ndim, "logsumexp"), keepdim)(
            self.as_float("logsumexp")
        )

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> Tensor:
        """The p-norm over `dim` (all elements by default): p = 2 or 'fro' (Euclidean), 1, inf, any p > 0.

        Of a floating-point tensor only, as in PyTorch. (PyTorch's p = 0, negative p and 'nuc' are not
        implemented here, and are refused.)
        """
        p = 2.0 if p == "fro" else p
        if not (dtypes.is_python_number(p) and p > 0):
            raise ValueError(f"norm: p must be a positive number, inf or 'fro', got {p!r}")
        if self.dtype.kind != "f":
            raise TypeError(
                f"norm: expected a floating-point tensor, got dtype {self.dtype}: convert with .float() first"
            )
        return reduction.Norm(float(p), reduction_dims(dim, self.ndim, "norm"), keepdim)(self)

    def cumsum(self, dim: int) -> Tensor:
        """The running sum along `dim`: y[k] = x[0] + ... + x[k]."""
        return reduction.CumSum(normalize_dim(dim, self.ndim, "cumsum"))(self)

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where every element (over `dim`) is non-zero; a bool tensor."""
        return Tensor(self.data.all(axis=normalize_dims(dim, self.ndim, "all"), keepdims=keepdim))

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where some element (over `dim`) is non-zero; a bool tensor."""
        return Tensor(self.data.any(axis=normalize_dims(dim, self.ndim, "any"), keepdims=keepdim))

    # ----------------------------------------------------------------------- shapes
    def view(self, *shape) -> Tensor:
        """The same data seen with another shape (one size may be -1). Refused, as in PyTorch, when
        the elements are not laid out for it (after a permute); reshape() copies then."""
        return shape_ops.Reshape(shape_argument(shape), view=True)(self)

    def reshape(self, *shape) -> Tensor:
        """The same elements in another shape (one size may be -1); a copy only when needed."""
        return shape_ops.Reshape(shape_argument(shape))(self)

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of size 1 at `dim` (-1 for the end)."""
        axis = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, dim=None) -> Tensor:
        """The axes of size 1 removed (only those in `dim`, when given; others are left alone)."""
        dims = normalize_dims(dim, self.ndim, "squeeze")
        return self.reshape(
            tuple(size for axis, size in enumerate(self.shape) if axis not in dims or size != 1)
        )

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """The axes start_dim..end_dim merged into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self.ndim, "flatten")
        end = normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        # The merged size written out, not -1: an empty batch (0, C, H, W) has no size for -1 to infer.
        merged = math.prod(self.shape[start : end + 1])
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def permute(self, *dims) -> Tensor:
        """The axes reordered: axis k of the result is axis dims[k] of this tensor."""
        order = tuple(normalize_dim(d, self.ndim, "permute") for d in shape_argument(dims))
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not an order of the {self.ndim} dims of shape {self.shape}")
        return shape_ops.Permute(order)(self)

    def transpose(self, *dims) -> Tensor:
        """Swap two dims, as torch.Tensor.transpose(dim0, dim1). (NumPy's transpose with a whole
        order is permute here.)"""
        if len(dims) != 2:
            raise TypeError(
                f"transpose takes two dims to swap, as in PyTorch: transpose(0, 1); got {dims}. "
                "To reorder all the dims, use permute(...)"
            )
        first, second = (normalize_dim(d, self.ndim, "transpose") for d in dims)
        order = list(range(self.ndim))
        order[first], order[second] = order[second], order[first]
        return shape_ops.Permute(tuple(order))(self)

    def swapaxes(self, dim0: int, dim1: int) -> Tensor:
        return self.transpose(dim0, dim1)

    def t(self) -> Tensor:
        """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is)."""
        if self.ndim > 2:
            raise ValueError(
                f"t() expects a tensor with at most 2 dims, got shape {self.shape}; use transpose"
            )
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        """All the dims in reverse order (the transpose, for a matrix)."""
        return shape_ops.Permute(tuple(reversed(range(self.ndim))))(self)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped: the transpose of each matrix of a stack."""
        return self.transpose(-2, -1)

    def expand(self, *sizes) -> Tensor:
        """A view repeating the size-1 dims to `sizes` (-1 keeps a size); no data is copied."""
        sizes = shape_argument(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"expand: {sizes} has fewer dims than the tensor's shape {self.shape}")
        own = (None,) * (len(sizes) - self.ndim) + self.shape
        target = tuple(size if size != -1 else own[k] for k, size in enumerate(sizes))
        for k, (size, have) in enumerate(zip(target, own)):
            if size is None or (have is not None and have != 1 and have != size):
                raise ValueError(
                    f"expand: the size of dim {k} can go from 1 to any size, or stay; the tensor of shape "
                    f"{self.shape} cannot be expanded to {sizes}"
                )
        return shape_ops.Expand(target)(self)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *sizes) -> Tensor:
        """The tensor tiled sizes[k] times along dim k (copies, as torch.Tensor.repeat)."""
        sizes = shape_argument(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(
                f"repeat: give at least one count per dim ({self.ndim} for shape {self.shape}), got {sizes}"
            )
        return shape_ops.Repeat(sizes)(self)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        """Pieces along `dim`: of one size (the last may be smaller), or of the listed sizes."""
        return join.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """`chunks` pieces along `dim`, as equal as possible (the last may be smaller, or fewer pieces)."""
        if not is_int(chunks) or chunks < 1:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        length = self.shape[normalize_dim(dim, self.ndim, "chunk")]
        return self.split(max(-(-length // chunks), 1), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along `dim`, each without that dim: a (3, 4) tensor unbinds into three (4,)."""
        return join.unbind(self, dim)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The slice start:start+length along `dim` (a view); a negative start counts from the end."""
        axis = normalize_dim(dim, self.ndim, "narrow")
        size = self.shape[axis]
        first = start + size if is_int(start) and start < 0 else start
        if not (is_int(start) and is_int(length) and 0 <= first <= first + length <= size):
            raise IndexError(
                f"narrow: start {start!r} and length {length!r} do not fit in dim {dim} of size {size}"
            )
        return self[(slice(None),) * axis + (slice(first, first + length),)]

    def contiguous(self) -> Tensor:
        """Itself if its elements are in row-major order in memory, else such a copy."""
        return self if self.data.flags.c_contiguous else self.clone()

    def flip(self, *dims) -> Tensor:
        """The order of the elements reversed along `dims` (flip(0), flip(0, 1) or flip([0, 1]))."""
        if not dims:
            raise TypeError("flip: give the dims to flip, as in flip(0) or flip([0, 1])")
        return shape_ops.Flip(normalize_dims(shape_argument(dims), self.ndim, "flip"))(self)

    def roll(self, shifts, dims=None) -> Tensor:
        """The elements shifted cyclically by `shifts` along `dims` (the flattened tensor if None)."""
        shifts = (shifts,) if is_int(shifts) else tuple(shifts)
        if dims is None:
            return shape_ops.Roll(shifts, None)(self.flatten()).view(self.shape)
        dims = (dims,) if is_int(dims) else tuple(dims)
        if len(dims) != len(shifts):
            raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
        return shape_ops.Roll(shifts, tuple(normalize_dim(d, self.ndim, "roll") for d in dims))(self)

    def __getitem__(self, index):
        check_index(index, self)
        return shape_ops.GetItem(index)(self)

    # ----------------------------------------------------------------------- element-wise functions
    def exp(self) -> Tensor:
        return unary.Exp()(self.as_float("exp"))

    def log(self) -> Tensor:
        return unary.Log()(self.as_float("log"))

    def abs(self) -> Tensor:
        return unary.Abs()(self)

    def sqrt(self) -> Tensor:
        return unary.Sqrt()(self.as_float("sqrt"))

    def rsqrt(self) -> Tensor:
        return unary.Rsqrt()(self.as_float("rsqrt"))

    def sin(self) -> Tensor:
        return unary.Sin()(self.as_float("sin"))

    def cos(self) -> Tensor:
        return unary.Cos()(self.as_float("cos"))

    def sign(self) -> Tensor:
        return unary.Rounding("sign")(self)

    def floor(self) -> Tensor:
        return unary.Rounding("floor")(self)

    def ceil(self) -> Tensor:
        return unary.Rounding("ceil")(self)

    def round(self) -> Tensor:
        return unary.Rounding("round")(self)

    def clamp(self, min=None, max=None) -> Tensor:  # noqa: A002 (PyTorch's argument names)
        """Each element cut into [min, max] (either may be None); min and max are numbers or tensors.

        The result has PyTorch's dtype for the three operands (an int tensor clamped at 0.5 is float32),
        and where min > max every element is max, as in PyTorch.
        """
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        for name, bound in (("min", min), ("max", max)):
            if bound is None or dtypes.is_python_number(bound):
                continue
            if not isinstance(bound, Tensor):
                raise TypeError(f"clamp: {name} must be a number or a Tensor, got {bound!r}")
            check_broadcast(self.shape, bound.shape, "clamp")
        dtype = dtypes.result_type(self, *(bound for bound in (min, max) if bound is not None))
        low, high = (bound.cast(dtype) if isinstance(bound, Tensor) else bound for bound in (min, max))
        return unary.Clamp()(self.cast(dtype), low, high)

    def clip(self, min=None, max=None) -> Tensor:  # noqa: A002
        return self.clamp(min, max)

    def where(self, condition, other) -> Tensor:
        """Self where `condition` holds, `other` elsewhere (as torch.where(condition, self, other))."""
        return where(condition, self, other)

    def masked_fill(self, mask, value) -> Tensor:
        """A copy with `value` wherever the boolean `mask` (broadcast to this shape) is true."""
        mask = bool_array(mask, "masked_fill")
        check_broadcast(mask.shape, self.shape, "masked_fill")
        if xp_broadcast_shape(mask.shape, self.shape) != self.shape:
            raise ValueError(
                f"masked_fill: the mask's shape {mask.shape} must broadcast to the tensor's {self.shape}"
            )
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ValueError(
                    f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}"
                )
            return where(mask, value, self)
        return selection.MaskedFill(mask, value)(self)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """out[i][j] = self[i][index[i][j]] for dim 1 (likewise for other dims), as torch.gather.

        The result has index's shape; on the other dims index may be shorter than self, not longer.
        """
        axis = normalize_dim(dim, self.ndim, "gather")
        return selection.Gather(axis, index_array(index, self, axis, "gather"))(self)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with src[i][j] added at [i][index[i][j]] for dim 1 (likewise), as torch.scatter_add.

        Only the part of src that index covers is added (src may be larger, as in PyTorch).
        """
        axis = normalize_dim(dim, self.ndim, "scatter_add")
        index = index_array(index, self, axis, "scatter_add")
        check_tensor_argument(src, "scatter_add")
        if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
            raise ValueError(
                f"scatter_add: index of shape {index.shape} must be no larger than src of shape {src.shape} "
                "in every dim"
            )
        return selection.ScatterAdd(axis, index)(self, src.cast(self.dtype))

    # Method forms of the activations, as in PyTorch (the functions are in tinyconv.functional).
    def relu(self) -> Tensor:
        return activation.relu(self)

    def sigmoid(self) -> Tensor:
        return activation.sigmoid(self)

    def tanh(self) -> Tensor:
        return activation.tanh(self)

    def softmax(self, dim: int) -> Tensor:
        return activation.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return activation.log_softmax(self, dim)

    # ----------------------------------------------------------------------- new tensors like this one
    def new_zeros(self, *size) -> Tensor:
        return Tensor(self.xp.zeros(shape_argument(size), dtype=self.dtype))

    def new_ones(self, *size) -> Tensor:
        return Tensor(self.xp.ones(shape_argument(size), dtype=self.dtype))

    def new_full(self, size, fill_value) -> Tensor:
        return Tensor(self.xp.full(shape_argument((size,)), fill_value, dtype=self.dtype))

    # ----------------------------------------------------------------------- checks
    def check_floating(self, op: str) -> None:
        if self.dtype.kind != "f":
            raise TypeError(
                f"{op}() needs a floating-point tensor, got dtype {self.dtype}: convert with .float() first"
            )

    def as_float(self, op: str) -> Tensor:
        """Itself if floating point, else its values as float32 (exp of an int tensor, as PyTorch)."""
        return self if self.dtype.kind == "f" else self.float()

    def check_not_empty(self, op: str, dim) -> None:
        """A max or argmax of nothing has no answer: refuse it, naming the empty dim, with PyTorch's
        errors (`dim` is None for the whole tensor, or an int, or a tuple of ints)."""
        if dim is None:
            if self.numel() == 0:
                error = IndexError if op.startswith("arg") else RuntimeError
                raise error(
                    f"{op}(): Expected reduction dim to be specified for input.numel() == 0: the tensor of "
                    f"shape {self.shape} is empty, so there is no element to pick (give a dim)"
                )
            return
        if not (is_int(dim) or isinstance(dim, (tuple, list))):
            return  # not a dim at all: the caller's own check names it
        for one_dim in (dim,) if is_int(dim) else dim:
            if self.ndim and self.shape[normalize_dim(one_dim, self.ndim, op)] == 0:
                raise IndexError(
                    f"{op}(): Expected reduction dim {one_dim} to have non-zero size (shape {self.shape}): "
                    "there is no element to pick"
                )


# ---------------------------------------------------------------------------- helpers of the methods


def keep(keepdim: bool, keepdims) -> bool:
    """PyTorch's keepdim, or NumPy's keepdims for code written against tinyconv's older spelling."""
    return bool(keepdim if keepdims is None else keepdims)


def shape_argument(sizes: tuple) -> tuple:
    """Accept both `f(2, 3)` and `f((2, 3))` (and torch.Size-like lists), as PyTorch does."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(is_int(size) for size in sizes):
        raise TypeError(f"expected sizes as ints, got {sizes!r}")
    return tuple(int(size) for size in sizes)


def conversion_target(args: tuple, kwargs: dict) -> tuple:
    """(device or None, dtype or None) from Tensor.to's arguments, in any of PyTorch's forms."""
    target_device = kwargs.pop("device", None)
    target_dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)  # a copy here is always finished when it returns
    if kwargs:
        raise TypeError(f"Tensor.to: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            target_device, target_dtype = device_of(arg.data), arg.dtype
        elif isinstance(arg, (str, device)):
            target_device = arg
        else:
            target_dtype = arg
    if target_device is not None:
        target_device = device_type(target_device, "Tensor.to")
    if target_dtype is not None:
        target_dtype = dtypes.as_dtype(target_dtype, "Tensor.to")
    return target_device, target_dtype


def xp_broadcast_shape(*shapes) -> tuple:
    return tuple(numpy.broadcast_shapes(*shapes))


def check_broadcast(shape_a: tuple, shape_b: tuple, operation: str) -> None:
    """Refuse two shapes that do not broadcast, naming both and the dim where they disagree."""
    for k in range(1, min(len(shape_a), len(shape_b)) + 1):
        a, b = shape_a[-k], shape_b[-k]
        if a != b and a != 1 and b != 1:
            raise ValueError(
                f"{operation}: the size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {max(len(shape_a), len(shape_b)) - k} (shapes {shape_a} and "
                f"{shape_b} do not broadcast)"
            )


def bool_array(mask, op: str):
    """A mask given as a bool Tensor or array, as its array; anything else is refused."""
    array = mask.data if isinstance(mask, Tensor) else mask
    if not is_array(array) or array.dtype != numpy.bool_:
        dtype = getattr(array, "dtype", type(array).__name__)
        raise TypeError(f"{op}: the mask must be a bool tensor (from a comparison, say), got {dtype}")
    return array


def index_array(index, tensor: Tensor, axis: int, op: str):
    """gather's and scatter_add's index: an int64 Tensor with the tensor's number of dims, in range."""
    array = index.data if isinstance(index, Tensor) else index
    if not is_array(array) or array.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: index must be an integer tensor, got {getattr(array, 'dtype', type(array).__name__)}"
        )
    if array.ndim != tensor.ndim:
        raise ValueError(f"{op}: index has {array.ndim} dims but the tensor has {tensor.ndim}")
    for other_axis, (length, size) in enumerate(zip(array.shape, tensor.shape)):
        if other_axis != axis and length > size:
            raise ValueError(
                f"{op}: index of shape {array.shape} is longer than the tensor of shape {tensor.shape} "
                f"in dim {other_axis} (only dim {axis} may differ freely)"
            )
    if array.size and (array.min() < 0 or array.max() >= tensor.shape[axis]):
        raise IndexError(
            f"{op}: index values must be in [0, {tensor.shape[axis]}) along dim {axis}, "
            f"got values from {int(array.min())} to {int(array.max())}"
        )
    return array


def check_index(index, tensor: Tensor) -> None:
    """Refuse indices that NumPy would take differently from PyTorch (float tensors)."""
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, Tensor) and part.dtype.kind == "f":
            raise IndexError(
                "tensors used as indices must be long, int or bool tensors, got a float tensor; "
                "convert with .long()"
            )


def check_tensor_argument(value, op: str) -> Tensor:
    """`value` if it is a Tensor, else a TypeError naming the function (tinyconv.exp([1, 2]))."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: expected a tinyconv.Tensor, got {type(value).__name__}")
    return value


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b, refusing mixed dtypes (PyTorch does; NumPy would quietly compute in float64)."""
    check_tensor_argument(a, "matmul")
    check_tensor_argument(b, "matmul")
    if a.dtype != b.dtype:
        raise TypeError(
            f"matmul: expected both operands to have the same dtype, but got {a.dtype} and {b.dtype}; "
            "convert one (with .float() or .double())"
        )
    return arithmetic.MatMul()(a, b)


def where(condition, a=None, b=None):
    """a where condition holds, b elsewhere (as torch.where); a and b are tensors or numbers.

    where(condition) alone is PyTorch's other form: the indices of the true elements, one int64
    tensor per dim (as condition.nonzero(as_tuple=True)).
    """
    condition_array = bool_array(condition, "where")
    if a is None and b is None:
        xp = get_array_module(condition_array)
        return tuple(Tensor(positions.astype(dtypes.int64)) for positions in xp.nonzero(condition_array))
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        for value in (a, b):
            if not dtypes.is_python_number(value):
                raise TypeError(f"where: the two values must be tensors or numbers, got {value!r}")
        # Two numbers: the dtype of the higher category's default (float32, int64 or bool), as PyTorch.
        dtype = dtypes.with_number(dtypes.bool, max(dtypes.scalar_category(a), dtypes.scalar_category(b)))
        xp = get_array_module(condition_array)
        a, b = Tensor(xp.asarray(a, dtype=dtype)), Tensor(xp.asarray(b, dtype=dtype))
    first = a if isinstance(a, Tensor) else b
    a, b = first._operand(a), first._operand(b)
    dtype = dtypes.result_type(a, b)
    check_broadcast(a.shape, b.shape, "where")
    check_broadcast(condition_array.shape, xp_broadcast_shape(a.shape, b.shape), "where")
    return selection.Where(condition_array)(a.cast(dtype), b.cast(dtype))


# An eager autograd is a circle by nature: a tensor's methods make Functions (tinyconv/ops,
# tinyconv/autograd), and Functions make tensors. Those modules need the Tensor class defined first,
# so they are imported here, at the end, once it is.
from tinyconv import autograd, random  # noqa: E402
from tinyconv.functional import activation  # noqa: E402
from tinyconv.ops import arithmetic, conversion, inplace, join, reduction, selection, unary  # noqa: E402
from tinyconv.ops import shape as shape_ops  # noqa: E402
