"""Vectors scaled to unit length, and the cosine of the angle between two: `normalize` and
`cosine_similarity`, as torch.nn.functional.

Both work along one dim of a tensor of any shape: with the default dim=1, each row of a batch (N, D) is a
vector. A vector shorter than `eps` would be divided by (almost) zero, so its length is taken as eps instead.
"""

from __future__ import annotations

import math

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_floating, check_real, check_same_dtype, check_tensor, normalize_dim
from tinyconv.tensor import Tensor, check_broadcast


class Normalize(Function):
    """y = x / max(||x||_p, eps) along `dim`, where ||x||_p = (sum_k |x_k|^p)^(1/p).

    Backward, for each vector (n = ||x||_p, d = max(n, eps)):
        dn/dx_j  = sign(x_j) |x_j|^(p-1) / n^(p-1)            (x_j / n for p = 2)
        dL/dx_j  = g_j / d - (sum_k g_k x_k) / d^2 * dn/dx_j   where n > eps
                 = g_j / eps                                   where n <= eps (eps is a constant there)
    For p = 2 that is (g - y (g . y)) / n: the part of g along y is removed, since moving x along itself
    does not change x / ||x||. Shapes: y has the shape of x.
    """

    def __init__(self, p: float, dim: int, eps: float):
        self.p, self.dim, self.eps = p, dim, eps

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.norm = (xp.abs(x) ** self.p).sum(axis=self.dim, keepdims=True) ** (1 / self.p)
        self.divisor = xp.maximum(self.norm, self.eps)
        return x / self.divisor

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        x, n, d = self.x, self.norm, self.divisor
        clamped = n <= self.eps
        safe_n = xp.where(clamped, 1, n)  # n only divides where it is above eps
        norm_slope = xp.sign(x) * xp.abs(x) ** (self.p - 1) / safe_n ** (self.p - 1)
        along = (grad_out * x).sum(axis=self.dim, keepdims=True) / (d * d)
        return grad_out / d - xp.where(clamped, 0, along * norm_slope)


class CosineSimilarity(Function):
    """c = sum_k (x1_k / d1) (x2_k / d2) along `dim`, d1 = max(||x1||, eps), d2 = max(||x2||, eps):
    the cosine of the angle between x1 and x2 (x1 and x2 broadcast against each other first).

    Backward, with y1 = x1 / d1 and y2 = x2 / d2 (the vectors scaled as in the forward):
        dc/dx1 = (y2 - c y1) / d1      where ||x1|| > eps;  y2 / d1 where it is not (d1 is a constant there)
        dc/dx2 = (y1 - c y2) / d2      likewise
    Moving x1 along itself does not change the angle, hence the "- c y1". PyTorch differs where a norm is
    below eps: it clamps the norm outside autograd, so its gradient keeps the "- c y1" term there, which is
    not the derivative of its own forward. The two agree everywhere else. Shapes: c has the broadcast shape
    of x1 and x2 without `dim`.
    """

    def __init__(self, dim: int, eps: float):
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        xp = get_array_module(x1)
        x1, x2 = xp.broadcast_arrays(x1, x2)
        norm1 = xp.sqrt((x1 * x1).sum(axis=self.dim, keepdims=True))
        norm2 = xp.sqrt((x2 * x2).sum(axis=self.dim, keepdims=True))
        self.divisor1, self.divisor2 = xp.maximum(norm1, self.eps), xp.maximum(norm2, self.eps)
        self.clamped1, self.clamped2 = norm1 <= self.eps, norm2 <= self.eps
        self.y1, self.y2 = x1 / self.divisor1, x2 / self.divisor2
        self.cosine = (self.y1 * self.y2).sum(axis=self.dim, keepdims=True)
        return self.cosine.squeeze(self.dim)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        g = xp.expand_dims(grad_out, self.dim)
        c, y1, y2 = self.cosine, self.y1, self.y2
        grad1 = g * (y2 - xp.where(self.clamped1, 0, c * y1)) / self.divisor1
        grad2 = g * (y1 - xp.where(self.clamped2, 0, c * y2)) / self.divisor2
        return grad1, grad2


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along `dim`: each vector scaled to length 1, as torch's normalize.

    p: the norm, a number >= 1 (2 for the Euclidean length; inf is not supported). dim: the vectors' dim
    (1: the rows of an (N, D) batch). Returns the input's shape.
    """
    op = "normalize"
    check_tensor(input, op)
    check_floating(input, op)
    p = check_real(op, "p", p)
    if not (p >= 1 and math.isfinite(p)):
        raise ValueError(f"{op}: p must be a finite number >= 1 (the p of a p-norm), got {p}")
    eps = check_real(op, "eps", eps)
    if not eps > 0:
        raise ValueError(f"{op}: eps must be positive, got {eps}")
    return Normalize(p, normalize_dim(dim, input.ndim, op), eps)(input)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between x1 and x2 along `dim`, in [-1, 1], as torch's cosine_similarity.

    x1, x2: tensors of one floating dtype whose shapes broadcast; returns their broadcast shape without dim.
    eps: the smallest length a vector is divided by.
    """
    op = "cosine_similarity"
    check_tensor(x1, op, "x1")
    check_tensor(x2, op, "x2")
    check_floating(x1, op, "x1")
    check_same_dtype(x1, x2, op, "x1", "x2")
    check_broadcast(x1.shape, x2.shape, op)
    eps = check_real(op, "eps", eps)
    if not eps > 0:
        raise ValueError(f"{op}: eps must be positive, got {eps}")
    return CosineSimilarity(normalize_dim(dim, max(x1.ndim, x2.ndim), op), eps)(x1, x2)
