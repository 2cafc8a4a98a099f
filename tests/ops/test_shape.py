"""The shape ops (tinyconv/ops/shape.py): Reshape, Transpose and indexing (GetItem), their values and
gradients (repeated indices add up), dtypes kept and the upstream gradient left alone, float64 gradient
checks, and clear errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import float32_ones, leaf, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ reshape and transpose


def test_reshape_accepts_sizes_or_a_tuple_and_minus_one():
    x = random_tensor(2, 6)
    assert x.reshape(3, 4).shape == (3, 4)
    assert x.reshape((4, 3)).shape == (4, 3)
    assert x.reshape(-1, 2).shape == (6, 2)
    np.testing.assert_array_equal(x.reshape(12).data, x.data.reshape(12))


def test_reshape_gradient_has_the_input_shape():
    x = random_tensor(2, 6)
    upstream = random_array(3, 4, seed=3)
    x.reshape(3, 4).backward(upstream)
    np.testing.assert_array_equal(x.grad, upstream.reshape(2, 6))


def test_permute_reorders_axes_and_its_gradient_permutes_back():
    x = random_tensor(2, 3, 4)
    y = x.permute(2, 0, 1)
    assert y.shape == (4, 2, 3)
    np.testing.assert_array_equal(y.data, np.transpose(x.data, (2, 0, 1)))
    upstream = random_array(4, 2, 3, seed=7)
    y.backward(upstream)
    np.testing.assert_array_equal(x.grad, np.transpose(upstream, (1, 2, 0)))


def test_T_reverses_the_axes_of_a_matrix():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x.T.data, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])


# ------------------------------------------------------------------------------ indexing


def test_basic_slicing_value_and_gradient():
    x = leaf([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    y = x[1:, ::2]
    np.testing.assert_array_equal(y.data, [[3.0, 5.0], [6.0, 8.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [1, 0, 1], [1, 0, 1]])


def test_integer_indexing_picks_a_single_element():
    x = leaf([[0.0, 1.0], [2.0, 3.0]])
    y = x[1, 0]
    assert y.item() == 2.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0, 0], [1, 0]])


def test_integer_array_indexing_value():
    x = leaf([10.0, 11.0, 12.0, 13.0])
    np.testing.assert_array_equal(x[np.array([3, 0, 3])].data, [13.0, 10.0, 13.0])


def test_repeated_indices_accumulate_in_backward():
    x = leaf([10.0, 11.0, 12.0, 13.0])
    x[[0, 2, 0, 0]].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [8.0, 0.0, 2.0, 0.0])


def test_a_tensor_of_indices_works_like_an_array_of_indices():
    x = leaf([10.0, 11.0, 12.0])
    y = x[Tensor(np.array([2, 2]))]
    np.testing.assert_array_equal(y.data, [12.0, 12.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])


def test_rows_picked_by_an_integer_array_get_their_gradient():
    x = random_tensor(3, 2)
    x[np.array([2, 2, 1]), :].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "reshape": lambda x: x.reshape(6),
    "transpose": lambda x: x.transpose(1, 0),
    "getitem": lambda x: x[[0, 0]],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "reshape": (lambda x: x.reshape(3, 2), (2, 3)),
    "transpose": (lambda x: x.T, (2, 3)),
    "getitem": (lambda x: x[[0, 0, 1]], (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "reshape": (lambda x: x.reshape(3, 8), lambda: (random_tensor(2, 3, 4),)),
    "permute": (lambda x: x.permute(1, 2, 0), lambda: (random_tensor(2, 3, 4),)),
    "transpose": (lambda x: x.transpose(0, 2), lambda: (random_tensor(2, 3, 4),)),
    "T": (lambda x: x.T, lambda: (random_tensor(2, 3),)),
    "getitem, slices": (lambda x: x[1:, ::2], lambda: (random_tensor(3, 5),)),
    "getitem, repeated integer indices": (
        lambda x: x[np.array([0, 2, 0, 0])],
        lambda: (random_tensor(3, 2),),
    ),
    "getitem, integer arrays in two axes": (
        lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 2])],
        lambda: (random_tensor(2, 3),),
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


# ------------------------------------------------------------------------------ bad input


def test_reshape_to_a_different_number_of_elements():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"):
        float32_ones(2, 3).reshape(4, 2)


def test_permute_refuses_axes_out_of_range_or_repeated_instead_of_wrapping_them():
    x = tinyconv.randn(2, 3)
    with pytest.raises(IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.permute(1, 2)
    with pytest.raises(IndexError, match="but got 5"):
        x.permute(0, 5)
    with pytest.raises(ValueError, match=r"\(0, 0\) is not an order of the 2 dims"):
        x.permute(0, 0)
