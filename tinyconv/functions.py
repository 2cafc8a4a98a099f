"""The tensor methods as functions of the package, as PyTorch has them: `tinyconv.exp(x)` is
`x.exp()`, `tinyconv.max(x, 1)` is `x.max(1)`, `tinyconv.where(c, a, b)`, `tinyconv.matmul(a, b)`...

Each is one line that calls the method (tensor.py), so there is one implementation of each. The
joins (cat, stack, split) are in ops/join.py, the factories (zeros, arange, rand...) in creation.py.
"""

from __future__ import annotations

from tinyconv.tensor import Tensor, check_tensor_argument, matmul, where  # noqa: F401 (re-exported)


def exp(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "exp").exp()


def log(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "log").log()


def sqrt(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "sqrt").sqrt()


def rsqrt(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "rsqrt").rsqrt()


def abs(x: Tensor) -> Tensor:  # noqa: A001 (PyTorch's name)
    return check_tensor_argument(x, "abs").abs()


def sin(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "sin").sin()


def cos(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "cos").cos()


def tanh(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "tanh").tanh()


def sigmoid(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "sigmoid").sigmoid()


def relu(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "relu").relu()


def softmax(x: Tensor, dim: int) -> Tensor:
    return check_tensor_argument(x, "softmax").softmax(dim)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    return check_tensor_argument(x, "log_softmax").log_softmax(dim)


def clamp(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 (PyTorch's argument names)
    return check_tensor_argument(x, "clamp").clamp(min, max)


clip = clamp


def maximum(a: Tensor, b: Tensor) -> Tensor:
    return check_tensor_argument(a, "maximum").maximum(b)


def minimum(a: Tensor, b: Tensor) -> Tensor:
    return check_tensor_argument(a, "minimum").minimum(b)


def sum(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return check_tensor_argument(x, "sum").sum(dim, keepdim)


def mean(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "mean").mean(dim, keepdim)


def prod(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "prod").prod(dim, keepdim)


def var(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return check_tensor_argument(x, "var").var(dim, unbiased, keepdim, correction=correction)


def std(x: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return check_tensor_argument(x, "std").std(dim, unbiased, keepdim, correction=correction)


def max(x: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """max(x) the largest element, max(x, dim) (values, indices), max(a, b) element-wise."""
    return check_tensor_argument(x, "max").max(dim, keepdim)


def min(x: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    """min(x) the smallest element, min(x, dim) (values, indices), min(a, b) element-wise."""
    return check_tensor_argument(x, "min").min(dim, keepdim)


def amax(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "amax").amax(dim, keepdim)


def amin(x: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "amin").amin(dim, keepdim)


def argmax(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "argmax").argmax(dim, keepdim)


def argmin(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "argmin").argmin(dim, keepdim)


def logsumexp(x: Tensor, dim, keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "logsumexp").logsumexp(dim, keepdim)


def norm(x: Tensor, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    return check_tensor_argument(x, "norm").norm(p, dim, keepdim)


def cumsum(x: Tensor, dim: int) -> Tensor:
    return check_tensor_argument(x, "cumsum").cumsum(dim)


def all(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return check_tensor_argument(x, "all").all(dim, keepdim)


def any(x: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return check_tensor_argument(x, "any").any(dim, keepdim)


def isnan(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "isnan").isnan()


def isfinite(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "isfinite").isfinite()


def equal(a: Tensor, b: Tensor) -> bool:
    return check_tensor_argument(a, "equal").equal(b)


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True when |a - b| <= atol + rtol |b| everywhere (as torch.allclose)."""
    check_tensor_argument(a, "allclose")
    return bool(a.xp.allclose(a.data, check_tensor_argument(b, "allclose").data, rtol=rtol, atol=atol))


def reshape(x: Tensor, shape) -> Tensor:
    return check_tensor_argument(x, "reshape").reshape(shape)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return check_tensor_argument(x, "flatten").flatten(start_dim, end_dim)


def squeeze(x: Tensor, dim=None) -> Tensor:
    return check_tensor_argument(x, "squeeze").squeeze(dim)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    return check_tensor_argument(x, "unsqueeze").unsqueeze(dim)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    return check_tensor_argument(x, "transpose").transpose(dim0, dim1)


def permute(x: Tensor, dims) -> Tensor:
    return check_tensor_argument(x, "permute").permute(dims)


def t(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "t").t()


def flip(x: Tensor, dims) -> Tensor:
    return check_tensor_argument(x, "flip").flip(dims)


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    return check_tensor_argument(x, "roll").roll(shifts, dims)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    return check_tensor_argument(x, "chunk").chunk(chunks, dim)


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    return check_tensor_argument(x, "narrow").narrow(dim, start, length)


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    return check_tensor_argument(x, "gather").gather(dim, index)


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return check_tensor_argument(x, "scatter_add").scatter_add(dim, index, src)


def masked_fill(x: Tensor, mask, value) -> Tensor:
    return check_tensor_argument(x, "masked_fill").masked_fill(mask, value)


def clone(x: Tensor) -> Tensor:
    return check_tensor_argument(x, "clone").clone()


def mm(a: Tensor, b: Tensor) -> Tensor:
    """The product of two matrices (2-D only, as torch.mm)."""
    if check_tensor_argument(a, "mm").ndim != 2 or check_tensor_argument(b, "mm").ndim != 2:
        raise ValueError(f"mm: expected two matrices, got shapes {a.shape} and {b.shape} (matmul takes more)")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """The products of two batches of matrices, (B, n, k) @ (B, k, m) (as torch.bmm)."""
    if check_tensor_argument(a, "bmm").ndim != 3 or check_tensor_argument(b, "bmm").ndim != 3:
        raise ValueError(f"bmm: expected two 3-D batches of matrices, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)
