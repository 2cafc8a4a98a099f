"""The Tensor (tinyconv/tensor.py): what it holds (data, shape, dtype, the float32 default), which
tensors may require grad, its conversions back to NumPy and Python, and the operators it hooks (`+ - * / **
@` and unary minus, with Python numbers and NumPy arrays on either side) with their values and gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import float32_ones, leaf, random_tensor

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ construction


def test_tensor_exposes_data_shape_ndim_and_dtype():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = Tensor(data)
    assert x.data is data
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.dtype == np.float32


def test_python_floats_become_float32():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.5]).dtype == np.float32
    assert tinyconv.tensor([[1.0, 2.0]]).dtype == np.float32


def test_python_ints_become_int64():
    assert Tensor([1, 2, 3]).dtype == np.int64


def test_float64_arrays_stay_float64():
    x = Tensor(np.ones(3, dtype=np.float64))
    assert x.dtype == np.float64
    assert tinyconv.tensor(np.ones(3, dtype=np.float64)).dtype == np.float64


def test_size_follows_pytorch_and_numel_counts_elements():
    x = tinyconv.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.numel() == 24


def test_only_floating_point_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        Tensor([1, 2], requires_grad=True)


# ------------------------------------------------------------------------------ conversions


def test_numpy_returns_the_values_as_an_ndarray():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    result = x.numpy()
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, [1.0, 2.0])


def test_item_returns_a_python_number():
    value = Tensor(np.array([[2.5]], dtype=np.float32)).item()
    assert isinstance(value, float)
    assert value == 2.5


def test_item_of_a_tensor_with_several_elements_raises():
    with pytest.raises(ValueError, match="one element.*\\(3,\\)"):
        Tensor(np.ones(3)).item()


def test_detach_shares_the_data_but_leaves_the_graph():
    x = random_tensor(3)
    y = x * 2.0
    detached = y.detach()
    assert detached.data is y.data
    assert detached.requires_grad is False
    assert detached.grad_fn is None


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


# ------------------------------------------------------------------------------ operators with arrays


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


def test_operator_with_an_unsupported_operand():
    with pytest.raises(TypeError, match="operand of type str"):
        float32_ones(2) + "one"
