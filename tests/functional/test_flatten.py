"""F.flatten (tinyconv/functional/flatten.py): the axes it merges, its gradient (the input's shape), dtypes,
and torch.flatten.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.op_checks import assert_gradcheck, assert_keeps_the_floating_dtype
from helpers.torch_checks import compare_with_torch

import tinyconv.functional as F


def test_flatten_merges_the_axes_from_start_dim():
    x = random_tensor(2, 3, 4, 5)
    assert F.flatten(x).shape == (2, 60)
    assert F.flatten(x, start_dim=2).shape == (2, 3, 20)
    assert F.flatten(x, start_dim=0).shape == (120,)
    np.testing.assert_array_equal(F.flatten(x).data, x.data.reshape(2, 60))


def test_flatten_merges_the_axes_from_start_dim_to_end_dim():
    x = random_tensor(2, 3, 4, 5)
    assert F.flatten(x, 1, 2).shape == (2, 12, 5)
    assert F.flatten(x, 0, -2).shape == (24, 5)
    np.testing.assert_array_equal(F.flatten(x, 1, 2).data, x.data.reshape(2, 12, 5))


def test_flatten_of_an_empty_batch_keeps_the_feature_size():
    # reshape(0, -1) is ambiguous (any size fits no elements); flatten knows the size: 16 * 5 * 5
    assert F.flatten(random_tensor(0, 16, 5, 5)).shape == (0, 400)
    assert F.flatten(random_tensor(2, 0, 3), 0, 1).shape == (0, 3)


def test_flatten_start_dim_after_end_dim_is_refused():
    with pytest.raises(ValueError, match=r"flatten: start_dim 2 comes after end_dim 1 \(shape \(2, 3, 4\)\)"):
        F.flatten(random_tensor(2, 3, 4), 2, 1)


def test_flatten_dim_out_of_range_is_refused():
    with pytest.raises(IndexError, match="flatten: dimension out of range"):
        F.flatten(random_tensor(2, 3), 2)


def test_flatten_gradient_has_the_input_shape():
    x = random_tensor(2, 3, 2, 2)
    upstream = random_array(2, 12, seed=1)
    F.flatten(x).backward(upstream)
    np.testing.assert_array_equal(x.grad, upstream.reshape(2, 3, 2, 2))


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "flatten": lambda x: F.flatten(x, start_dim=0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# a case table, as every op's: tests/backend/test_gpu.py runs it on the GPU too
GRADCHECK_CASES = {"flatten": (F.flatten, lambda: random_tensor(2, 3, 2, 2))}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_flatten_gradient(name):
    fn, make_input = GRADCHECK_CASES[name]
    assert_gradcheck(fn, make_input())


@pytest.mark.parametrize("start_dim, end_dim", [(1, -1), (0, 2), (2, 3)])
def test_flatten_matches_torch(torch, start_dim, end_dim):
    compare_with_torch(
        torch,
        lambda x: F.flatten(x, start_dim, end_dim),
        lambda x: torch.flatten(x, start_dim, end_dim),
        [random_array(2, 3, 4, 5, seed=11)],
    )
