"""F.linear (tinyconv/functional/linear.py): y = x W^T + b with PyTorch's (out, in) weight, its
gradients by hand and by finite differences, dtypes, PyTorch's linear, and a clear error for bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import float32_ones, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.torch_checks import compare_with_torch

import tinyconv.functional as F
from tinyconv import Tensor

# ------------------------------------------------------------------------------ by hand


def test_linear_computes_x_times_weight_transposed_plus_bias():
    x = Tensor(np.array([[1.0, 2.0]]))
    weight = Tensor(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))  # (out=3, in=2), PyTorch's layout
    y = F.linear(x, weight, Tensor(np.array([0.0, 0.0, 5.0])))
    np.testing.assert_array_equal(y.data, [[1.0, 2.0, 8.0]])


def test_linear_gradients_follow_the_matrix_product_rules():
    x = random_tensor(4, 3, seed=1)
    weight = random_tensor(2, 3, seed=2)
    bias = random_tensor(2, seed=3)
    upstream = random_array(4, 2, seed=4)
    F.linear(x, weight, bias).backward(upstream)
    np.testing.assert_allclose(x.grad, upstream @ weight.data)
    np.testing.assert_allclose(weight.grad, upstream.T @ x.data)
    np.testing.assert_allclose(bias.grad, upstream.sum(axis=0))


def test_linear_applies_to_the_last_axis_of_a_batch_of_sequences():
    x = random_tensor(2, 5, 3, seed=1)
    weight = random_tensor(4, 3, seed=2)
    y = F.linear(x, weight)
    assert y.shape == (2, 5, 4)
    np.testing.assert_allclose(y.data, x.data @ weight.data.T)
    upstream = random_array(2, 5, 4, seed=3)
    y.backward(upstream)
    np.testing.assert_allclose(weight.grad, np.einsum("bto,bti->oi", upstream, x.data))


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "linear": lambda x: F.linear(
        x, Tensor(np.ones((4, 3), dtype=x.dtype)), Tensor(np.ones(4, dtype=x.dtype))
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


W_LINEAR = random_array(3, 4, seed=11)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "linear": (lambda x: F.linear(x, Tensor(W_LINEAR), Tensor(np.ones(3))), (2, 4)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


def test_linear_gradient_with_batch_1():
    assert_gradcheck(
        F.linear, random_tensor(1, 4, seed=1), random_tensor(3, 4, seed=2), random_tensor(3, seed=3)
    )


def test_linear_gradient_for_a_3d_input():
    assert_gradcheck(
        F.linear, random_tensor(2, 3, 4, seed=1), random_tensor(5, 4, seed=2), random_tensor(5, seed=3)
    )


def test_linear_gradient_without_bias():
    assert_gradcheck(F.linear, random_tensor(4, 3, seed=1), random_tensor(2, 3, seed=2))


def test_gradient_of_a_weight_used_in_two_linear_calls():
    assert_gradcheck(
        lambda x, w: F.linear(F.tanh(F.linear(x, w)), w),
        random_tensor(2, 3, seed=1),
        random_tensor(3, 3, seed=2),
    )


# ------------------------------------------------------------------------------ against PyTorch


@pytest.mark.parametrize(
    "x_shape, w_shape, with_bias",
    [((4, 5), (3, 5), True), ((2, 3, 5), (4, 5), True), ((1, 5), (2, 5), False)],
    ids=["batch 4", "3-D input", "batch 1, no bias"],
)
def test_linear_matches_torch(torch, x_shape, w_shape, with_bias):
    arrays = [random_array(*x_shape, seed=1), random_array(*w_shape, seed=2)]
    if with_bias:
        arrays.append(random_array(w_shape[0], seed=3))
    compare_with_torch(torch, F.linear, torch.nn.functional.linear, arrays)


# ------------------------------------------------------------------------------ bad input


def test_linear_feature_mismatch():
    with pytest.raises(ValueError, match=r"input has 4 features.*weight expects 5"):
        F.linear(float32_ones(2, 4), float32_ones(3, 5))
