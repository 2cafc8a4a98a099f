"""conv2d, linear and flatten (tinyconv/functional): layouts and formulas pinned by hand-computed cases."""

from __future__ import annotations

import numpy as np
from helpers import image, random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor


def kernel(values) -> Tensor:
    """One filter over one channel, (1, 1, kH, kW), from a kH x kW list (the same layout as an image)."""
    return image(values)


NINE = np.arange(9.0).reshape(3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_conv2d_sums_each_window_times_the_kernel():
    y = F.conv2d(image(NINE), kernel(np.ones((2, 2))))
    np.testing.assert_array_equal(y.data, [[[[8.0, 12.0], [20.0, 24.0]]]])


def test_conv2d_is_a_cross_correlation_the_kernel_is_not_flipped():
    y = F.conv2d(image(NINE), kernel([[1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(y.data, [[[[0.0, 1.0], [3.0, 4.0]]]])  # the top-left of every window


def test_conv2d_adds_one_bias_per_output_channel():
    weight = Tensor(np.ones((2, 1, 1, 1)))
    y = F.conv2d(image(NINE[:2, :2]), weight, Tensor(np.array([10.0, -10.0])))
    np.testing.assert_array_equal(y.data[0, 0], [[10.0, 11.0], [13.0, 14.0]])
    np.testing.assert_array_equal(y.data[0, 1], [[-10.0, -9.0], [-7.0, -6.0]])


def test_conv2d_weight_layout_is_out_channels_then_in_channels():
    x = Tensor(np.array([1.0, 10.0]).reshape(1, 2, 1, 1))
    weight = Tensor(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).reshape(3, 2, 1, 1))
    np.testing.assert_array_equal(F.conv2d(x, weight).data.reshape(3), [1.0, 10.0, 11.0])


def test_conv2d_padding_adds_zeros_on_every_side():
    y = F.conv2d(image(np.ones((2, 2))), kernel(np.ones((3, 3))), padding=1)
    np.testing.assert_array_equal(y.data, np.full((1, 1, 2, 2), 4.0))


def test_conv2d_stride_skips_windows():
    x = image(np.arange(25.0).reshape(5, 5))
    y = F.conv2d(x, kernel([[1.0]]), stride=2)
    np.testing.assert_array_equal(y.data[0, 0], [[0.0, 2.0, 4.0], [10.0, 12.0, 14.0], [20.0, 22.0, 24.0]])


def test_conv2d_takes_stride_and_padding_as_height_width_pairs():
    x = image(np.arange(12.0).reshape(3, 4))
    y = F.conv2d(x, kernel([[1.0]]), stride=(2, 1), padding=(0, 1))
    # rows 0 and 2 of the input, between two columns of zero padding
    expected = [[0.0, 0.0, 1.0, 2.0, 3.0, 0.0], [0.0, 8.0, 9.0, 10.0, 11.0, 0.0]]
    np.testing.assert_array_equal(y.data[0, 0], expected)


def test_conv2d_output_size_uses_floor():
    # (7 + 2*1 - 3) // 2 + 1 = 4 rows; (6 + 0 - 2) // 3 + 1 = 2 columns
    y = F.conv2d(random_tensor(2, 3, 7, 6), random_tensor(5, 3, 3, 2), stride=(2, 3), padding=(1, 0))
    assert y.shape == (2, 5, 4, 2)


def test_conv2d_gradients_of_a_single_window():
    # One output pixel, y = sum(W * x) + b: dy/dx = W, dy/dW = x, dy/db = 1.
    x_values = np.array([[1.0, 2.0], [3.0, 4.0]])
    w_values = np.array([[5.0, 6.0], [7.0, 8.0]])
    x, weight = image(x_values), kernel(w_values)
    bias = Tensor(np.array([0.5]), requires_grad=True)
    y = F.conv2d(x, weight, bias)
    assert y.item() == 70.5
    y.backward(np.array([[[[2.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], 2 * w_values)
    np.testing.assert_array_equal(weight.grad[0, 0], 2 * x_values)
    np.testing.assert_array_equal(bias.grad, [2.0])


def test_conv2d_input_gradient_counts_every_window_a_pixel_is_in():
    # With an all-ones kernel and upstream gradient, dL/dx[p] is the number of windows that cover p.
    x = image(np.zeros((3, 3)))
    F.conv2d(x, kernel(np.ones((2, 2)))).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])


def test_conv2d_without_bias_returns_gradients_for_input_and_weight():
    x = random_tensor(1, 2, 4, 4, seed=1)
    weight = random_tensor(3, 2, 3, 3, seed=2)
    F.conv2d(x, weight).sum().backward()
    assert x.grad.shape == x.shape
    assert weight.grad.shape == weight.shape


# ------------------------------------------------------------------------------ linear


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


def test_flatten_merges_the_axes_from_start_dim():
    x = random_tensor(2, 3, 4, 5)
    assert F.flatten(x).shape == (2, 60)
    assert F.flatten(x, start_dim=2).shape == (2, 3, 20)
    assert F.flatten(x, start_dim=0).shape == (120,)
    np.testing.assert_array_equal(F.flatten(x).data, x.data.reshape(2, 60))


def test_flatten_gradient_has_the_input_shape():
    x = random_tensor(2, 3, 2, 2)
    upstream = random_array(2, 12, seed=1)
    F.flatten(x).backward(upstream)
    np.testing.assert_array_equal(x.grad, upstream.reshape(2, 3, 2, 2))
