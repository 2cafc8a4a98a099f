"""The reductions (tinyconv/ops/reduction.py): Sum, Mean and Max over all axes or some, with keepdims;
gradients spread back (the maximum's to the first maximum), dtypes kept and the upstream gradient left
alone, and float64 gradient checks.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import distinct_tensor, leaf, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)

import tinyconv


def test_sum_over_an_axis():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.sum(axis=1)
    np.testing.assert_array_equal(y.data, [6.0, 15.0])
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 1.0], [10.0, 10.0, 10.0]])


def test_sum_with_keepdims_keeps_the_reduced_axis():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.sum(axis=0, keepdims=True)
    assert y.shape == (1, 3)
    np.testing.assert_array_equal(y.data, [[5.0, 7.0, 9.0]])
    y.backward(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_sum_over_several_axes_with_a_negative_axis():
    x = random_tensor(2, 3, 4)
    y = x.sum(axis=(0, -1))
    np.testing.assert_allclose(y.data, x.data.sum(axis=(0, 2)))
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, np.broadcast_to(np.array([1.0, 2.0, 3.0])[:, None], (2, 3, 4)))


def test_sum_of_everything_is_a_scalar():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.sum()
    assert y.shape == ()
    assert y.item() == 10.0


def test_mean_divides_the_gradient_by_the_count():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]])
    y = x.mean(axis=1)
    np.testing.assert_array_equal(y.data, [2.0, 6.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 1 / 3))


def test_mean_of_everything():
    x = leaf([[1.0, 2.0], [3.0, 6.0]])
    x.mean().backward()
    assert x.grad.shape == (2, 2)
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 0.25))


def test_max_over_an_axis_sends_the_gradient_to_the_maximum():
    x = leaf([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    y, indices = x.max(dim=1)  # PyTorch's (values, indices)
    np.testing.assert_array_equal(y.data, [5.0, 7.0])
    assert indices.tolist() == [1, 0] and indices.dtype == np.int64
    y.backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])


def test_max_with_keepdims_over_axis_0():
    x = leaf([[1.0, 5.0], [7.0, 0.0]])
    y = x.max(axis=0, keepdims=True).values  # NumPy's spellings of dim and keepdim still work
    np.testing.assert_array_equal(y.data, [[7.0, 5.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [1.0, 0.0]])


def test_max_of_everything_sends_the_gradient_to_one_element():
    x = leaf([[1.0, 5.0], [7.0, 0.0]])
    y = x.max()
    assert y.item() == 7.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [1.0, 0.0]])


def test_max_gives_a_tie_to_the_first_maximum():
    x = leaf([[1.0, 3.0, 3.0]])
    x.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0]])


def test_axis_may_be_a_numpy_integer_and_a_scalar_accepts_axis_0_and_minus_1():
    x = random_tensor(2, 3)
    np.testing.assert_allclose(x.sum(axis=np.int64(1)).data, x.data.sum(axis=1))
    s = tinyconv.tensor(3.0, requires_grad=True)
    assert s.sum(axis=0).item() == 3.0 and s.mean(axis=-1).item() == 3.0
    s.max(dim=0).values.backward()
    assert s.grad == 1.0


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "sum": lambda x: x.sum(),
    "sum(axis)": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(),
    "max(axis)": lambda x: x.max(dim=1).values,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "sum": (lambda x: x.sum(axis=0), (2, 3)),
    "mean": (lambda x: x.mean(axis=1), (2, 3)),
    "max": (lambda x: x.max(dim=1).values, (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "sum, all": (lambda x: x.sum(), lambda: (random_tensor(2, 3),)),
    "sum, axis": (lambda x: x.sum(axis=1), lambda: (random_tensor(2, 3, 4),)),
    "sum, axes with keepdims": (
        lambda x: x.sum(axis=(0, 2), keepdims=True),
        lambda: (random_tensor(2, 3, 4),),
    ),
    "mean, all": (lambda x: x.mean(), lambda: (random_tensor(2, 3),)),
    "mean, axis": (lambda x: x.mean(axis=-1), lambda: (random_tensor(2, 3, 4),)),
    "max, all": (lambda x: x.max(), lambda: (distinct_tensor(3, 4),)),
    "max, axis": (lambda x: x.max(axis=1), lambda: (distinct_tensor(2, 5, 3),)),
    "max, axis 0 with keepdims": (lambda x: x.max(axis=0, keepdims=True), lambda: (distinct_tensor(4, 3),)),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())
