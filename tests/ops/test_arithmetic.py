"""The arithmetic ops (tinyconv/ops/arithmetic.py): Add, Sub, Mul, Div, Pow, Maximum (maximum and minimum:
ties split the gradient, a NaN keeps it on both sides, as in PyTorch) and MatMul, their values and gradients
on small inputs whose answers are obvious, dtypes kept and the upstream gradient left alone, float64
gradient checks with broadcasting, the same values and gradients as torch, and clear errors for shapes that
do not fit.

The operators that reach them (`x + 2`, `array * x`, ...) are specified with the Tensor, in
tests/test_tensor.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import distinct_tensor, float32_ones, leaf, positive_tensor, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.same_as_torch import assert_same_as_torch

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ pow


def test_pow_with_a_tensor_exponent_differentiates_both_sides():
    base = leaf([2.0, 3.0])
    exponent = leaf([3.0, 2.0])
    y = base**exponent
    np.testing.assert_allclose(y.data, [8.0, 9.0])
    y.sum().backward()
    np.testing.assert_allclose(base.grad, [12.0, 6.0])  # b * a^(b-1)
    np.testing.assert_allclose(exponent.grad, [8.0 * np.log(2.0), 9.0 * np.log(3.0)])  # a^b ln a


def test_square_of_a_negative_base_has_a_finite_gradient():
    x = leaf([-2.0, 0.0, 3.0])
    (x**2).sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 0.0, 6.0])


# ------------------------------------------------------------------------------ maximum and minimum


def test_maximum_and_minimum_pick_element_wise():
    a, b = tinyconv.tensor([1.0, 5.0, -2.0]), tinyconv.tensor([3.0, 2.0, -2.0])
    assert tinyconv.maximum(a, b).tolist() == [3.0, 5.0, -2.0]
    assert tinyconv.minimum(a, b).tolist() == [1.0, 2.0, -2.0]


def test_maximum_sends_the_gradient_to_the_winner_and_splits_it_on_a_tie():
    a, b = leaf([1.0, 5.0, 2.0]), leaf([3.0, 2.0, 2.0])
    a.maximum(b).backward(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(a.grad, [0.0, 20.0, 15.0])
    np.testing.assert_array_equal(b.grad, [10.0, 0.0, 15.0])


def test_minimum_sends_the_gradient_to_the_smaller_and_splits_it_on_a_tie():
    a, b = leaf([1.0, 5.0, 2.0]), leaf([3.0, 2.0, 2.0])
    a.minimum(b).backward(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(a.grad, [10.0, 0.0, 15.0])
    np.testing.assert_array_equal(b.grad, [0.0, 20.0, 15.0])


def test_maximum_with_a_nan_is_nan_and_both_sides_keep_the_gradient_as_in_pytorch():
    a, b = leaf([np.nan, 1.0]), leaf([2.0, np.nan])
    y = a.maximum(b)
    assert np.isnan(y.data).all()
    y.backward(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_maximum_broadcasts_and_sums_the_gradient_back():
    a, b = leaf([[1.0], [4.0]]), leaf([2.0, 3.0])
    y = a.maximum(b)
    assert y.tolist() == [[2.0, 3.0], [4.0, 4.0]]
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [[0.0], [2.0]])
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


# ------------------------------------------------------------------------------ matmul


def test_matmul_of_two_matrices():
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    b = leaf([[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal((a @ b).data, [[19.0, 22.0], [43.0, 50.0]])


def test_matmul_gradients_are_g_times_b_transposed_and_a_transposed_times_g():
    a = random_tensor(2, 3, seed=1)
    b = random_tensor(3, 4, seed=2)
    upstream = random_array(2, 4, seed=3)
    (a @ b).backward(upstream)
    np.testing.assert_allclose(a.grad, upstream @ b.data.T)
    np.testing.assert_allclose(b.grad, a.data.T @ upstream)


def test_matmul_of_two_vectors_is_their_dot_product():
    a = leaf([1.0, 2.0, 3.0])
    b = leaf([4.0, 5.0, 6.0])
    y = a @ b
    assert y.shape == ()
    assert y.item() == 32.0
    y.backward()
    np.testing.assert_array_equal(a.grad, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 3.0])


def test_matrix_times_vector():
    m = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    v = leaf([1.0, -1.0])
    y = m @ v
    np.testing.assert_array_equal(y.data, [-1.0, -1.0, -1.0])
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(v.grad, [22.0, 28.0])  # m^T g
    np.testing.assert_array_equal(m.grad, [[1.0, -1.0], [2.0, -2.0], [3.0, -3.0]])  # g v^T


def test_matmul_with_an_ndarray_on_the_left():
    x = leaf([[1.0], [2.0]])
    y = np.array([[1.0, 1.0], [0.0, 2.0]]) @ x
    np.testing.assert_array_equal(y.data, [[3.0], [4.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0], [3.0]])


def test_matmul_with_an_ndarray_on_the_right():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x @ np.array([[1.0], [-1.0]])
    assert isinstance(y, Tensor)
    np.testing.assert_array_equal(y.data, [[-1.0], [-1.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, -1.0], [1.0, -1.0]])  # g b^T, g = ones


def test_batched_matmul_broadcasts_a_shared_matrix():
    a = random_tensor(2, 3, 4, seed=1)
    b = random_tensor(4, 5, seed=2)
    upstream = random_array(2, 3, 5, seed=3)
    y = a @ b
    np.testing.assert_allclose(y.data, np.matmul(a.data, b.data))
    y.backward(upstream)
    np.testing.assert_allclose(b.grad, sum(a.data[i].T @ upstream[i] for i in range(2)))


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "x + 2.0": lambda x: x + 2.0,
    "2.0 + x": lambda x: 2.0 + x,
    "x - 2.0": lambda x: x - 2.0,
    "2.0 - x": lambda x: 2.0 - x,
    "x * 0.5": lambda x: x * 0.5,
    "0.5 * x": lambda x: 0.5 * x,
    "x / 3": lambda x: x / 3,
    "3 / x": lambda x: 3 / x,
    "x ** 2": lambda x: x**2,
    "x ** 0.5": lambda x: x**0.5,
    "2 ** x": lambda x: 2**x,
    "x @ x.T": lambda x: x @ x.T,
    "maximum": lambda x: x.maximum(x.detach() * 0.5),
    "minimum with a number": lambda x: x.minimum(tinyconv.tensor(1.0, dtype=x.dtype)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "add": (lambda x: x + x, (2, 3)),
    "sub": (lambda x: x - 1.0, (2, 3)),
    "mul": (lambda x: x * x, (2, 3)),
    "div": (lambda x: x / 2.0, (2, 3)),
    "pow": (lambda x: x**2, (2, 3)),
    "matmul": (lambda x: x @ x.T, (2, 3)),
    "maximum": (lambda x: x.maximum(x * 0.5), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "add, column + row": (
        lambda a, b: a + b,
        lambda: (random_tensor(3, 1, seed=1), random_tensor(4, seed=2)),
    ),
    "add, row + column": (
        lambda a, b: a + b,
        lambda: (random_tensor(4, seed=1), random_tensor(3, 1, seed=2)),
    ),
    "sub, broadcast over leading axes": (
        lambda a, b: a - b,
        lambda: (random_tensor(2, 3, 4, seed=1), random_tensor(3, 1, seed=2)),
    ),
    "mul, column * row": (
        lambda a, b: a * b,
        lambda: (random_tensor(3, 1, seed=1), random_tensor(1, 4, seed=2)),
    ),
    "mul, scalar * matrix": (
        lambda s, m: s * m,
        lambda: (random_tensor(seed=1), random_tensor(2, 3, seed=2)),
    ),
    "div, broadcast": (lambda a, b: a / b, lambda: (random_tensor(2, 3, seed=1), positive_tensor(3, seed=2))),
    "number / tensor": (lambda x: 2.0 / x, lambda: (positive_tensor(2, 3),)),
    "pow, number exponent": (lambda x: x**3, lambda: (random_tensor(2, 3),)),
    "pow, tensor exponent": (
        lambda a, b: a**b,
        lambda: (positive_tensor(2, 3, seed=1), random_tensor(2, 3, seed=2)),
    ),
    "pow, number base": (lambda x: 2.0**x, lambda: (random_tensor(2, 3),)),
    "maximum, broadcast": (
        lambda a, b: a.maximum(b),
        lambda: (distinct_tensor(3, 1, seed=1), distinct_tensor(4, seed=2)),
    ),
    "minimum, batch 1": (
        lambda a, b: a.minimum(b),
        lambda: (
            distinct_tensor(1, 4, seed=1),
            Tensor(distinct_tensor(3, 4, seed=2).data + 0.05, requires_grad=True),
        ),
    ),
    "maximum, ties split": (
        lambda a, b: a.maximum(b),
        lambda: (leaf([1.0, 2.0, 3.0]), leaf([1.0, 0.0, 3.0])),
    ),
    "matmul, matrices": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 3, seed=1), random_tensor(3, 4, seed=2)),
    ),
    "matmul, vector @ vector": (
        lambda a, b: a @ b,
        lambda: (random_tensor(4, seed=1), random_tensor(4, seed=2)),
    ),
    "matmul, matrix @ vector": (
        lambda a, b: a @ b,
        lambda: (random_tensor(3, 4, seed=1), random_tensor(4, seed=2)),
    ),
    "matmul, vector @ matrix": (
        lambda a, b: a @ b,
        lambda: (random_tensor(3, seed=1), random_tensor(3, 4, seed=2)),
    ),
    "matmul, batched @ matrix": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 3, 4, seed=1), random_tensor(4, 2, seed=2)),
    ),
    "matmul, broadcast batches": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 1, 3, 4, seed=1), random_tensor(3, 4, 2, seed=2)),
    ),
    "matmul, vector @ batch": (
        lambda a, b: a @ b,
        lambda: (random_tensor(3, seed=1), random_tensor(2, 3, 4, seed=2)),
    ),
    "matmul, batch @ vector": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 3, 4, seed=1), random_tensor(4, seed=2)),
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


# ------------------------------------------------------------------------------ against torch


# name: (tinyconv function, torch function, input arrays); values and gradients must agree in float64
TORCH_CASES = {
    "maximum, ties and NaN": (
        lambda a, b: a.maximum(b),
        lambda a, b: a.maximum(b),
        [np.array([1.0, 2.0, np.nan, 3.0, np.nan, 0.0]), np.array([1.0, np.nan, 3.0, 2.0, np.nan, 5.0])],
    ),
    "minimum, ties and NaN": (
        lambda a, b: a.minimum(b),
        lambda a, b: a.minimum(b),
        [np.array([1.0, 2.0, np.nan, 3.0, np.nan, 0.0]), np.array([1.0, np.nan, 3.0, 2.0, np.nan, 5.0])],
    ),
    "maximum, broadcast with ties": (
        lambda a, b: a.maximum(b),
        lambda a, b: a.maximum(b),
        [np.array([[1.0], [2.0]]), np.array([1.0, 2.0, 3.0])],
    ),
    "max(other)": (
        lambda a, b: a.max(b),
        lambda a, b: a.max(b),
        [random_array(2, 3, seed=1), random_array(3, seed=2)],
    ),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_values_and_gradients_equal_torch(torch, name):
    ours, theirs, arrays = TORCH_CASES[name]
    assert_same_as_torch(torch, ours, theirs, *arrays)


# ------------------------------------------------------------------------------ bad input


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 5\) do not fit"):
        float32_ones(2, 3) @ float32_ones(4, 5)


def test_matmul_vector_length_mismatch():
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(4,\) do not fit"):
        float32_ones(3) @ float32_ones(4)


def test_matmul_names_stacks_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"stacks of matrices \(2,\) and \(5,\)"):
        tinyconv.zeros(2, 3, 4) @ tinyconv.zeros(5, 4, 6)
