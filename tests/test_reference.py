"""The fast conv2d and max_pool2d equal the naive loops of functional/reference.py, their specification.

Inputs are float64, so the only difference allowed is the order of additions (im2col + BLAS versus
one window at a time): a relative error near 1e-15.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array

import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.functional.reference import conv2d_reference, max_pool2d_reference

# (x shape, weight shape, stride, padding, with bias)
CONV_CASES = {
    "batch 1, square": ((1, 1, 6, 6), (2, 1, 3, 3), 1, 0, True),
    "non-square image": ((2, 3, 7, 5), (4, 3, 3, 3), 1, 0, True),
    "stride 2": ((2, 2, 9, 8), (3, 2, 3, 3), 2, 0, True),
    "padding 2": ((1, 2, 5, 6), (3, 2, 5, 5), 1, 2, True),
    "stride 2 and padding 1": ((2, 3, 8, 7), (2, 3, 3, 3), 2, 1, False),
    "kernel 1": ((2, 4, 5, 3), (3, 4, 1, 1), 1, 0, True),
    "non-square kernel": ((1, 2, 7, 9), (3, 2, 2, 4), 1, 0, True),
    "pair stride and padding": ((2, 2, 8, 9), (2, 2, 3, 2), (2, 3), (1, 0), True),
    "kernel as large as the padded input": ((1, 1, 3, 4), (2, 1, 5, 6), 1, 1, True),
    "LeNet C1": ((2, 1, 28, 28), (6, 1, 5, 5), 1, 2, True),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv2d_matches_the_reference_loops(name):
    x_shape, w_shape, stride, padding, with_bias = CONV_CASES[name]
    x = random_array(*x_shape, seed=1)
    weight = random_array(*w_shape, seed=2)
    bias = random_array(w_shape[0], seed=3) if with_bias else None
    expected = conv2d_reference(x, weight, bias, stride=stride, padding=padding)
    fast = F.conv2d(
        Tensor(x), Tensor(weight), None if bias is None else Tensor(bias), stride=stride, padding=padding
    )
    assert fast.shape == expected.shape
    np.testing.assert_allclose(fast.data, expected, rtol=1e-12, atol=1e-12)


# (x shape, kernel, stride, padding)
POOL_CASES = {
    "batch 1, kernel 2": ((1, 1, 4, 4), 2, None, 0),
    "non-square image": ((2, 3, 6, 10), 2, None, 0),
    "odd size, floor mode": ((2, 2, 7, 7), 2, None, 0),
    "overlapping kernel 3 stride 2": ((2, 3, 9, 7), 3, 2, 0),
    "overlapping with padding": ((1, 2, 8, 8), 3, 2, 1),
    "stride 1": ((1, 2, 5, 6), 2, 1, 0),
    "kernel 1": ((2, 1, 4, 3), 1, None, 0),
    "non-square kernel and stride": ((1, 2, 7, 9), (2, 3), (1, 2), (1, 1)),
    "padding 1, kernel 2": ((2, 1, 5, 5), 2, 2, 1),
}


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_max_pool2d_matches_the_reference_loops(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    x = random_array(*x_shape, seed=4)
    expected = max_pool2d_reference(x, kernel, stride=stride, padding=padding)
    fast = F.max_pool2d(Tensor(x), kernel, stride=stride, padding=padding)
    assert fast.shape == expected.shape
    np.testing.assert_array_equal(fast.data, expected)  # a maximum involves no rounding


def test_max_pool2d_matches_the_reference_on_all_negative_padded_input():
    x = -np.abs(random_array(2, 2, 5, 6, seed=5)) - 1.0
    expected = max_pool2d_reference(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(F.max_pool2d(Tensor(x), 3, stride=2, padding=1).data, expected)


def test_conv2d_matches_the_reference_in_float32():
    x = random_array(2, 3, 8, 8, seed=6, dtype=np.float32)
    weight = random_array(4, 3, 3, 3, seed=7, dtype=np.float32)
    expected = conv2d_reference(x, weight, stride=2, padding=1)
    fast = F.conv2d(Tensor(x), Tensor(weight), stride=2, padding=1)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast.data, expected, rtol=1e-5, atol=1e-5)
