"""Dropout: during training, zero each value (or each whole channel) at random with probability p.

Inverted dropout, as PyTorch: the values that are kept are scaled by 1 / (1 - p), so the expected
value of every output equals its input and evaluation needs no rescaling: at test time dropout is
simply the identity. (The original paper, Srivastava et al. 2014, scales the weights by 1 - p at test
time instead; the two are the same network.)

The mask is drawn from tinyconv's seeded generator (tinyconv/random.py), so `tinyconv.manual_seed(s)`
makes it repeatable, and converted to the input's array module (NumPy or CuPy).

inplace=True, as in PyTorch, writes the result into the input (tinyconv/ops/inplace.py: refused for a leaf
that requires grad, and for a tensor that a recorded operation has already used).
"""

from __future__ import annotations

from tinyconv import random
from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_dropout_probability, check_floating, check_ndim, check_tensor
from tinyconv.ops.inplace import apply_in_place
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


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each value with probability p and scale the others by 1 / (1 - p), as torch's dropout.

    input: any shape; returns the same shape. With training=False, the input itself is returned (the
    identity). inplace=True writes the result into the input and returns it.
    """
    check_dropout_arguments("dropout", input, p, training, inplace)
    return apply_dropout(input, p, training, inplace, input.shape, "dropout")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of input (N, C, H, W) with probability p, scaling the others by 1 / (1 - p).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels barely
    regularizes a convolutional layer; dropping the whole map does (Tompson et al. 2015, "Efficient
    Object Localization Using Convolutional Networks", section 3.2). With training=False, returns the
    input; inplace=True writes the result into it.
    """
    check_dropout_arguments("dropout2d", input, p, training, inplace)
    check_ndim(input, 4, "dropout2d", "(N, C, H, W)")
    return apply_dropout(input, p, training, inplace, input.shape[:2] + (1, 1), "dropout2d")


def apply_dropout(
    input: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple, op: str
) -> Tensor:
    if not training or p == 0:  # nothing to drop: no mask to draw (a p = 0 layer costs nothing)
        return input
    if inplace:
        return apply_in_place(input, lambda old: Dropout(p, mask_shape)(old), (), f"{op}(inplace=True)")
    return Dropout(p, mask_shape)(input)


def check_dropout_arguments(op: str, input, p, training, inplace) -> None:
    """Raise unless input is a floating-point Tensor, p a probability in [0, 1) and the flags bools."""
    check_dropout_probability(op, p)
    check_tensor(input, op)
    check_floating(input, op)
    for name, flag in (("training", training), ("inplace", inplace)):
        if not isinstance(flag, bool):
            raise TypeError(f"{op}: {name} must be True or False, got {flag!r}")
