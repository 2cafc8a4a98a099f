"""The engine's ops (tinyconv/ops): values and gradients on small inputs whose answers are obvious."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor

# ------------------------------------------------------------------------------ operators with numbers

X_VALUES = [1.0, 2.0, 4.0]
x_np = np.array(X_VALUES)

# name: (expression, expected value, expected d(sum of expression)/dx), the last two written by hand.
SCALAR_OPERATOR_CASES = {
    "x + 2": (lambda x: x + 2, x_np + 2, np.ones(3)),
    "2 + x": (lambda x: 2 + x, x_np + 2, np.ones(3)),
    "x - 2": (lambda x: x - 2, x_np - 2, np.ones(3)),
    "2 - x": (lambda x: 2 - x, 2 - x_np, -np.ones(3)),
    "x * 3": (lambda x: x * 3, 3 * x_np, 3 * np.ones(3)),
    "3 * x": (lambda x: 3 * x, 3 * x_np, 3 * np.ones(3)),
    "x / 2": (lambda x: x / 2, x_np / 2, np.full(3, 0.5)),
    "2 / x": (lambda x: 2 / x, [2.0, 1.0, 0.5], [-2.0, -0.5, -0.125]),  # -2 / x^2
    "x ** 2": (lambda x: x**2, [1.0, 4.0, 16.0], [2.0, 4.0, 8.0]),  # 2x
    "2 ** x": (lambda x: 2**x, [2.0, 4.0, 16.0], np.log(2) * np.array([2.0, 4.0, 16.0])),  # 2^x ln 2
    "-x": (lambda x: -x, -x_np, -np.ones(3)),
}


@pytest.mark.parametrize("name", list(SCALAR_OPERATOR_CASES))
def test_operator_with_a_python_number_value(name):
    fn, expected, _ = SCALAR_OPERATOR_CASES[name]
    np.testing.assert_allclose(fn(leaf(X_VALUES)).data, expected, rtol=1e-12)


@pytest.mark.parametrize("name", list(SCALAR_OPERATOR_CASES))
def test_operator_with_a_python_number_gradient(name):
    fn, _, expected_grad = SCALAR_OPERATOR_CASES[name]
    x = leaf(X_VALUES)
    fn(x).sum().backward()
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-12)


ARRAY = np.array([3.0, -1.0, 0.5])
BASES = np.array([2.0, 0.5, 1.0])
EXPONENTS = np.array([2.0, -1.0, 1.5])

ARRAY_OPERATOR_CASES = {
    "array + x": (lambda x: ARRAY + x, ARRAY + x_np, np.ones(3)),
    "array - x": (lambda x: ARRAY - x, ARRAY - x_np, -np.ones(3)),
    "x - array": (lambda x: x - ARRAY, x_np - ARRAY, np.ones(3)),
    "array * x": (lambda x: ARRAY * x, ARRAY * x_np, ARRAY),
    "x * array": (lambda x: x * ARRAY, ARRAY * x_np, ARRAY),
    "array / x": (lambda x: ARRAY / x, ARRAY / x_np, -ARRAY / x_np**2),
    "x / array": (lambda x: x / ARRAY, x_np / ARRAY, 1 / ARRAY),
    # Powers on a positive base, so that every value is real: d(b^x)/dx = b^x ln b, d(x^e)/dx = e x^(e-1).
    "array ** x": (lambda x: BASES**x, [2.0, 0.25, 1.0], [2.0 * np.log(2.0), 0.25 * np.log(0.5), 0.0]),
    "x ** array": (lambda x: x**EXPONENTS, [1.0, 0.5, 8.0], [2.0, -0.25, 3.0]),
}


@pytest.mark.parametrize("name", list(ARRAY_OPERATOR_CASES))
def test_operator_with_an_ndarray_on_either_side(name):
    fn, expected, expected_grad = ARRAY_OPERATOR_CASES[name]
    x = leaf(X_VALUES)
    y = fn(x)
    assert isinstance(y, Tensor)  # NumPy must not absorb the tensor into an object array
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-12)


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


# ------------------------------------------------------------------------------ dtype preservation

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
    "-x": lambda x: -x,
    "x @ x.T": lambda x: x @ x.T,
    "sum": lambda x: x.sum(),
    "sum(axis)": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(),
    "max(axis)": lambda x: x.max(axis=1),
    "reshape": lambda x: x.reshape(6),
    "transpose": lambda x: x.transpose(1, 0),
    "getitem": lambda x: x[[0, 0]],
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "flatten": lambda x: F.flatten(x, start_dim=0),
    "cross_entropy": lambda x: F.cross_entropy(x, np.array([0, 2])),
    "mse_loss": lambda x: F.mse_loss(x, x.detach() * 0.5),
    "linear": lambda x: F.linear(
        x, Tensor(np.ones((4, 3), dtype=x.dtype)), Tensor(np.ones(4, dtype=x.dtype))
    ),
    "conv2d": lambda x: F.conv2d(
        x.reshape(1, 1, 2, 3), Tensor(np.ones((2, 1, 2, 2), dtype=x.dtype)), padding=1
    ),
    "max_pool2d": lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), 2, stride=1, padding=1),
    "avg_pool2d": lambda x: F.avg_pool2d(x.reshape(1, 1, 2, 3), 2, stride=1, padding=1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    x = Tensor(np.array([[0.5, 1.0, 2.0], [1.5, 3.0, 0.25]], dtype=dtype), requires_grad=True)
    y = DTYPE_CASES[name](x)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype


# ------------------------------------------------------------------------------ reductions


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
    y = x.max(axis=1)
    np.testing.assert_array_equal(y.data, [5.0, 7.0])
    y.backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])


def test_max_with_keepdims_over_axis_0():
    x = leaf([[1.0, 5.0], [7.0, 0.0]])
    y = x.max(axis=0, keepdims=True)
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
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0]])


# ------------------------------------------------------------------------------ shapes


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


def test_transpose_permutes_axes_and_its_gradient_permutes_back():
    x = random_tensor(2, 3, 4)
    y = x.transpose(2, 0, 1)
    assert y.shape == (4, 2, 3)
    np.testing.assert_array_equal(y.data, np.transpose(x.data, (2, 0, 1)))
    upstream = random_array(4, 2, 3, seed=7)
    y.backward(upstream)
    np.testing.assert_array_equal(x.grad, np.transpose(upstream, (1, 2, 0)))


def test_T_reverses_the_axes_of_a_matrix():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x.T.data, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])


# ------------------------------------------------------------------------------ exp and log


def test_exp_value_and_gradient():
    x = leaf([0.0, 1.0])
    y = x.exp()
    np.testing.assert_allclose(y.data, [1.0, np.e])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, np.e])


def test_log_value_and_gradient():
    x = leaf([1.0, np.e, 4.0])
    y = x.log()
    np.testing.assert_allclose(y.data, [0.0, 1.0, np.log(4.0)])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1 / np.e, 0.25])


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
