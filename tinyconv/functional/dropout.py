"""Dropout: during training, zero each value (or each whole channel) at random with probability p.

Inverted dropout, as PyTorch: the values that are kept are scaled by 1 / (1 - p), so the expected
value of every output equals its input and evaluation needs no rescaling: at test time dropout is
simply the identity. (The original paper, Srivastava et al. 2014, scales the weights by 1 - p at test
time instead; the two are the same network.)

The mask is drawn from tinyconv's seeded generator (tinyconv/random.py), so `tinyconv.manual_seed(s)`
makes it repeatable, and converted to the input's array module (NumPy or CuPy).
"""

from __future__ import annotations

from tinyconv import random
from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_dropout_probability, check_floating, check_ndim, check_tensor
from tinyconv.tensor import Tensor


class Dropout(Function):
    """y = x * m,   m = keep / (1 - p),   keep ~ Bernoulli(1 - p), drawn independently per mask entry.

    The mask has shape `mask_shape`: the input's shape for dropout, (N, C, 1, 1) for dropout2d,
    where one draw per channel broadcasts over the whole H x W map.
    Backward: y is x times a constant, so dL/dx = g * m, the same scaled mask (summed over nothing:
    m broadcasts to x's shape, and so does the gradient).
    Saved for backward: the scaled mask m.
    """

    def __init__(self, p: float, mask_shape: tuple):
        self.p, self.mask_shape = p, mask_shape

    def forward(self, x):
        xp = get_array_module(x)
        keep = random.generator().random(self.mask_shape) >= self.p  # True with probability 1 - p
        self.scaled_mask = xp.asarray(keep, dtype=x.dtype) * (1 / (1 - self.p))
        return x * self.scaled_mask

    def backward(self, grad_out):
        return grad_out * self.scaled_mask


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each value with probability p and scale the others by 1 / (1 - p), as torch's dropout.

    x: any shape; returns the same shape. With training=False, x itself is returned (the identity).
    """
    check_dropout_arguments("dropout", x, p)
    if not training:
        return x
    return Dropout(p, x.shape)(x)


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels of x (N, C, H, W) with probability p, scaling the others by 1 / (1 - p).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels barely
    regularizes a convolutional layer; dropping the whole map does (Tompson et al. 2015, "Efficient
    Object Localization Using Convolutional Networks", section 3.2). With training=False, returns x.
    """
    check_dropout_arguments("dropout2d", x, p)
    check_ndim(x, 4, "dropout2d", "(N, C, H, W)")
    if not training:
        return x
    return Dropout(p, x.shape[:2] + (1, 1))(x)


def check_dropout_arguments(op: str, x, p) -> None:
    """Raise unless x is a floating-point Tensor and p a probability in [0, 1)."""
    check_dropout_probability(op, p)
    check_tensor(x, op)
    check_floating(x, op)
