"""Activations, softmax and losses (tinyconv/functional/activation.py, loss.py) on hand-computed cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------ ReLU family


def test_relu_zeroes_negative_inputs():
    np.testing.assert_array_equal(F.relu(leaf([-2.0, 0.0, 3.0])).data, [0.0, 0.0, 3.0])


def test_relu_derivative_at_zero_is_zero():
    x = leaf([-2.0, 0.0, 3.0])
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_relu_of_negative_infinity_is_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" warning either
        y = F.relu(leaf([-np.inf, np.inf]))
    np.testing.assert_array_equal(y.data, [0.0, np.inf])


def test_leaky_relu_scales_negative_inputs_by_the_slope():
    np.testing.assert_allclose(F.leaky_relu(leaf([-2.0, 3.0])).data, [-0.02, 3.0])  # default slope 0.01
    np.testing.assert_allclose(F.leaky_relu(leaf([-2.0, 3.0]), 0.5).data, [-1.0, 3.0])


def test_leaky_relu_derivative_is_the_slope_for_negative_inputs_and_at_zero():
    x = leaf([-2.0, 0.0, 3.0])
    F.leaky_relu(x, 0.2).sum().backward()
    np.testing.assert_allclose(x.grad, [0.2, 0.2, 1.0])


# ------------------------------------------------------------------------------ sigmoid and tanh


def test_sigmoid_values():
    y = F.sigmoid(leaf([0.0, math.log(3.0), -math.log(3.0)]))
    np.testing.assert_allclose(y.data, [0.5, 0.75, 0.25])


def test_sigmoid_derivative_is_y_times_one_minus_y():
    x = leaf([0.0, math.log(3.0)])
    F.sigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad, [0.25, 0.75 * 0.25])


def test_sigmoid_is_finite_and_silent_for_huge_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        y = F.sigmoid(leaf([-1000.0, 1000.0], dtype=np.float32))
    np.testing.assert_array_equal(y.data, [0.0, 1.0])


def test_tanh_values():
    y = F.tanh(leaf([0.0, math.log(2.0)]))
    np.testing.assert_allclose(y.data, [0.0, 0.6])  # tanh(ln 2) = (2 - 1/2) / (2 + 1/2)


def test_tanh_derivative_is_one_minus_y_squared():
    x = leaf([0.0, math.log(2.0)])
    F.tanh(x).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.64])


# ------------------------------------------------------------------------------ softmax and log_softmax


def test_softmax_values_along_the_last_axis():
    y = F.softmax(leaf([[0.0, math.log(3.0)], [5.0, 5.0]]))
    np.testing.assert_allclose(y.data, [[0.25, 0.75], [0.5, 0.5]])


def test_softmax_along_axis_0():
    y = F.softmax(leaf([[0.0, 1.0], [math.log(3.0), 1.0]]), axis=0)
    np.testing.assert_allclose(y.data, [[0.25, 0.5], [0.75, 0.5]])


def test_softmax_gradient_is_y_times_g_minus_the_weighted_mean_of_g():
    x = leaf([[0.0, math.log(3.0)]])
    F.softmax(x).backward(np.array([[1.0, 0.0]]))
    # y = (1/4, 3/4), g = (1, 0): y * (g - y.g) = (1/4 * 3/4, 3/4 * -1/4)
    np.testing.assert_allclose(x.grad, [[3 / 16, -3 / 16]])


def test_softmax_is_finite_for_logits_of_plus_minus_1000():
    y = F.softmax(leaf([[1000.0, -1000.0, 1000.0]], dtype=np.float32))
    np.testing.assert_allclose(y.data, [[0.5, 0.0, 0.5]])


def test_log_softmax_values():
    y = F.log_softmax(leaf([[0.0, math.log(3.0)]]))
    np.testing.assert_allclose(y.data, [[math.log(0.25), math.log(0.75)]])


def test_log_softmax_is_finite_and_correct_for_logits_of_plus_minus_1000():
    y = F.log_softmax(leaf([[1000.0, -1000.0], [-1000.0, -1000.0]], dtype=np.float32))
    assert np.isfinite(y.data).all()
    np.testing.assert_allclose(y.data, [[0.0, -2000.0], [-LN2, -LN2]], rtol=1e-6)


def test_log_softmax_gradient_is_g_minus_softmax_times_the_sum_of_g():
    x = leaf([[0.0, math.log(3.0)]])
    F.log_softmax(x).backward(np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(x.grad, [[1 - 2 * 0.25, 1 - 2 * 0.75]])


def test_log_softmax_along_axis_0_equals_the_log_of_softmax():
    x = random_tensor(3, 4, seed=1)
    expected = np.exp(x.data) / np.exp(x.data).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(F.log_softmax(x, axis=0).data, np.log(expected), rtol=1e-12)


# ------------------------------------------------------------------------------ cross-entropy

# Row 0: logits (0, 0), target 0: p = 1/2, loss ln 2.
# Row 1: logits (ln 3, 0), target 1: p = 1/4, loss 2 ln 2.
CE_LOGITS = [[0.0, 0.0], [math.log(3.0), 0.0]]
CE_TARGETS = np.array([0, 1])


def test_cross_entropy_is_the_mean_negative_log_probability_of_the_target():
    loss = F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS)
    assert loss.shape == ()
    assert math.isclose(loss.item(), 1.5 * LN2, rel_tol=1e-12)


def test_cross_entropy_with_reduction_sum():
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, reduction="sum").item(), 3 * LN2)


def test_cross_entropy_with_reduction_none_returns_one_loss_per_row():
    losses = F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, reduction="none")
    np.testing.assert_allclose(losses.data, [LN2, 2 * LN2])


def test_cross_entropy_gradient_is_probability_minus_one_hot_over_n():
    x = leaf(CE_LOGITS)
    F.cross_entropy(x, CE_TARGETS).backward()
    # row 0: (1/2, 1/2) - (1, 0); row 1: (3/4, 1/4) - (0, 1); both divided by N = 2
    np.testing.assert_allclose(x.grad, [[-0.25, 0.25], [0.375, -0.375]])


def test_cross_entropy_gradient_with_reduction_none_weights_each_row():
    x = leaf(CE_LOGITS)
    F.cross_entropy(x, CE_TARGETS, reduction="none").backward(np.array([2.0, 0.0]))
    np.testing.assert_allclose(x.grad, [[-1.0, 1.0], [0.0, 0.0]])


def test_cross_entropy_accepts_a_list_or_a_tensor_of_targets():
    expected = 1.5 * LN2
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), [0, 1]).item(), expected)
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), Tensor(np.array([0, 1]))).item(), expected)


def test_cross_entropy_is_finite_for_logits_of_plus_minus_1000():
    logits = leaf([[1000.0, -1000.0], [1000.0, -1000.0]], dtype=np.float32)
    losses = F.cross_entropy(logits, np.array([0, 1]), reduction="none")
    np.testing.assert_allclose(losses.data, [0.0, 2000.0])
    F.cross_entropy(logits, np.array([0, 1])).backward()
    np.testing.assert_allclose(logits.grad, [[0.0, 0.0], [0.5, -0.5]])


def test_cross_entropy_equals_the_negative_log_softmax_of_the_target():
    logits = random_tensor(5, 7, seed=3)
    targets = np.array([0, 6, 3, 3, 1])
    log_p = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(5), targets].mean()
    assert math.isclose(F.cross_entropy(logits, targets).item(), expected, rel_tol=1e-12)


# ------------------------------------------------------------------------------ mean squared error


def test_mse_loss_is_the_mean_of_squared_differences():
    loss = F.mse_loss(leaf([1.0, 2.0, 3.0]), Tensor(np.array([1.0, 0.0, 0.0])))
    assert math.isclose(loss.item(), 13 / 3)


def test_mse_loss_gradient_is_two_times_the_difference_over_m():
    prediction = leaf([1.0, 2.0, 3.0])
    target = leaf([1.0, 0.0, 0.0])
    F.mse_loss(prediction, target).backward()
    np.testing.assert_allclose(prediction.grad, [0.0, 4 / 3, 2.0])
    np.testing.assert_allclose(target.grad, [0.0, -4 / 3, -2.0])


@pytest.mark.parametrize("reduction, expected", [("sum", 13.0), ("none", [0.0, 4.0, 9.0])])
def test_mse_loss_reductions(reduction, expected):
    loss = F.mse_loss(leaf([1.0, 2.0, 3.0]), Tensor(np.array([1.0, 0.0, 0.0])), reduction=reduction)
    np.testing.assert_allclose(loss.data, expected)


def test_mse_loss_accepts_an_ndarray_target():
    prediction = random_tensor(2, 3, seed=1)
    target = random_array(2, 3, seed=2)
    expected = ((prediction.data - target) ** 2).mean()
    assert math.isclose(F.mse_loss(prediction, target).item(), expected, rel_tol=1e-12)
