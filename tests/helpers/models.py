"""Parameter counts from the layer formulas, and models built cheaply, for the tests of tinyconv/models.

Expected parameter counts are computed from the layer formulas, independently of the models:
    conv:   C_out * (C_in / groups * k * k) + C_out (bias)      linear: out * (in + 1)
    batch norm: 2 * C (weight and bias; the running statistics are buffers)
Where only shapes and counts are checked, the big models are built with zero weights instead of random
ones (`without_random_weights`): drawing VGG-16's 138 million random numbers takes seconds, an array of
zeros nothing until it is written. AlexNet's, ZFNet's and GoogLeNet's local response normalization is
checked against the paper's formula, written out here.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from tinyconv import Tensor, init, nn
from tinyconv.models.summary import summary


def conv_params(c_in: int, c_out: int, k: int, groups: int = 1, bias: bool = True) -> int:
    return c_out * (c_in // groups * k * k) + (c_out if bias else 0)


def linear_params(n_in: int, n_out: int) -> int:
    return n_out * (n_in + 1)


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def rows_of(model, input_shape) -> list:
    return summary(model, input_shape, file=io.StringIO())


def zeros(*shape) -> Tensor:
    return Tensor(np.zeros(shape, dtype=np.float32))


def zero_weights(tensor: Tensor, *args, **kwargs) -> Tensor:
    """Stands in for init.kaiming_uniform_: a fresh array of zeros (np.zeros asks the operating system
    for zeroed pages, so nothing is written until the model is)."""
    tensor.data = np.zeros(tensor.shape, dtype=tensor.dtype)
    return tensor


RANDOM_INITIALIZERS = ("kaiming_uniform_", "xavier_uniform_", "normal_", "trunc_normal_", "uniform_")


def without_random_weights(build):
    """`build()` with every weight that would be drawn at random left at zero instead (the counts and
    shapes of a 86-million-parameter ViT do not need 86 million random numbers)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in RANDOM_INITIALIZERS:
            patch.setattr(init, name, zero_weights)
        return build()


def key_shapes(model) -> list:
    """[(state_dict key, shape)] in order, for a tinyconv or a torch model. A tinyconv state_dict is
    named_state() with every array copied; the names and shapes are read without the copies."""
    named = model.named_state() if isinstance(model, nn.Module) else model.state_dict().items()
    return [(name, tuple(value.shape)) for name, value in named]


def lrn_by_the_formula(a: np.ndarray, n: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """Krizhevsky et al. 2012, section 3.3, over the channels of one pixel, a (C,):

        b_i = a_i / (k + alpha * sum_{j = max(0, i - n/2)}^{min(C - 1, i + n/2)} a_j^2)^beta

    alpha multiplies the sum itself, as in the paper (PyTorch and tinyconv multiply by alpha / n)."""
    b = np.empty_like(a)
    for i in range(len(a)):
        window = a[max(0, i - n // 2) : min(len(a) - 1, i + n // 2) + 1]
        b[i] = a[i] / (k + alpha * np.sum(window**2)) ** beta
    return b


# one pixel, 7 channels, large enough that alpha * sum(a^2) is of the order of k
LRN_PIXEL = np.array([30.0, -50.0, 80.0, 10.0, -60.0, 40.0, 70.0])
