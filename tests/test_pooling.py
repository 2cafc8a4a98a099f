"""max_pool2d and avg_pool2d (tinyconv/functional/pooling.py): conventions pinned by hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import image, random_array

import tinyconv.functional as F
from tinyconv import Tensor

# ------------------------------------------------------------------------------ max pooling


def test_max_pool_takes_the_maximum_of_each_window():
    x = image([[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0], [-1.0, 9.0, 2.0, 3.0]])
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data[0, 0], [[4.0, 5.0], [9.0, 3.0]])


def test_max_pool_stride_defaults_to_the_kernel_size():
    x = image(np.arange(16.0).reshape(4, 4))
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    assert F.max_pool2d(x, 2, stride=1).shape == (1, 1, 3, 3)


def test_max_pool_output_size_uses_floor_mode():
    x = image(np.arange(49.0).reshape(7, 7))
    y = F.max_pool2d(x, 2)
    assert y.shape == (1, 1, 3, 3)
    # the bottom-right of each window wins, and row 6 / column 6 are never used
    np.testing.assert_array_equal(y.data[0, 0], [[8.0, 10.0, 12.0], [22.0, 24.0, 26.0], [36.0, 38.0, 40.0]])


def test_max_pool_pads_with_negative_infinity():
    x = image([[-1.0, -2.0], [-3.0, -4.0]])
    y = F.max_pool2d(x, 2, stride=1, padding=1)
    # zero padding would make every window 0; with -inf padding every window keeps a real input
    expected = [[-1.0, -1.0, -2.0], [-1.0, -1.0, -2.0], [-3.0, -3.0, -4.0]]
    np.testing.assert_array_equal(y.data[0, 0], expected)


def test_max_pool_gradient_goes_to_the_maximum_of_each_window():
    x = image([[1.0, 2.0, 5.0, 0.0], [3.0, 4.0, 1.0, 1.0]])
    F.max_pool2d(x, 2).backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 0.0, 20.0, 0.0], [0.0, 10.0, 0.0, 0.0]])


def test_max_pool_gives_a_tie_to_the_first_maximum_in_row_major_order():
    x = image([[1.0, 3.0], [3.0, 2.0]])  # (0, 1) and (1, 0) tie; (0, 1) comes first row by row
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_max_pool_gives_an_all_equal_window_to_its_top_left():
    x = image(np.zeros((2, 4)))
    F.max_pool2d(x, 2).backward(np.array([[[[5.0, 7.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[5.0, 0.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]])


def test_max_pool_with_overlapping_windows_sums_the_gradients_a_pixel_wins():
    # kernel 3, stride 2 on 5x5: four windows that all contain the centre pixel, the unique maximum.
    values = np.zeros((5, 5))
    values[2, 2] = 1.0
    x = image(values)
    y = F.max_pool2d(x, 3, stride=2)
    np.testing.assert_array_equal(y.data[0, 0], np.ones((2, 2)))
    y.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((5, 5))
    expected[2, 2] = 10.0
    np.testing.assert_array_equal(x.grad[0, 0], expected)


def test_max_pool_with_overlapping_windows_breaks_ties_per_window():
    # kernel 3, stride 2 on a 3x5 input of equal values: windows cover columns 0-2 and 2-4, and the
    # first element of each, (0, 0) and (0, 2), takes the gradient, even though (0, 2) is in both.
    x = image(np.ones((3, 5)))
    F.max_pool2d(x, 3, stride=2).backward(np.array([[[[1.0, 10.0]]]]))
    expected = np.zeros((3, 5))
    expected[0, 0], expected[0, 2] = 1.0, 10.0
    np.testing.assert_array_equal(x.grad[0, 0], expected)


def test_max_pool_padding_never_receives_gradient():
    x = image([[-1.0, -2.0], [-3.0, -4.0]])
    F.max_pool2d(x, 2, stride=1, padding=1).sum().backward()
    # each of the nine windows sends its gradient to its own maximum: -1 wins four, -2 two, -3 two, -4 one
    np.testing.assert_array_equal(x.grad[0, 0], [[4.0, 2.0], [2.0, 1.0]])


def test_max_pool_treats_channels_and_images_independently():
    x = Tensor(np.arange(32.0).reshape(2, 4, 2, 2) * np.array([1, -1, 1, -1]).reshape(1, 4, 1, 1))
    y = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(y.data[:, :, 0, 0], x.data.reshape(2, 4, 4).max(axis=2))


def test_max_pool_with_a_rectangular_kernel_and_stride():
    x = image(np.arange(12.0).reshape(3, 4))
    y = F.max_pool2d(x, (1, 2), stride=(2, 1))
    np.testing.assert_array_equal(y.data[0, 0], [[1.0, 2.0, 3.0], [9.0, 10.0, 11.0]])


# ------------------------------------------------------------------------------ average pooling


def test_avg_pool_averages_each_window():
    x = image([[1.0, 3.0, 0.0, 0.0], [5.0, 7.0, 2.0, 6.0]])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2).data[0, 0], [[4.0, 2.0]])


def test_avg_pool_output_size_uses_floor_mode():
    x = image(np.ones((7, 7)))
    assert F.avg_pool2d(x, 2).shape == (1, 1, 3, 3)


def test_avg_pool_counts_zero_padding_in_the_average():
    y = F.avg_pool2d(image(np.ones((2, 2))), 2, stride=1, padding=1)
    expected = [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]]
    np.testing.assert_array_equal(y.data[0, 0], expected)


def test_avg_pool_gradient_shares_each_output_gradient_equally():
    x = image(np.zeros((2, 4)))
    F.avg_pool2d(x, 2).backward(np.array([[[[4.0, 8.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]])


def test_avg_pool_with_overlapping_windows_sums_shares():
    x = image(np.zeros((3, 5)))
    F.avg_pool2d(x, 3, stride=2).sum().backward()
    column_counts = np.array([1.0, 1.0, 2.0, 1.0, 1.0])  # column 2 is in both windows
    np.testing.assert_allclose(x.grad[0, 0], np.tile(column_counts / 9, (3, 1)))


def avg_pool_loops(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    """Average pooling written as four loops over the output (zero padding counted in the mean)."""
    (k_h, k_w), (s_h, s_w), (p_h, p_w) = kernel, stride, padding
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + 2 * p_h, w + 2 * p_w))
    padded[:, :, p_h : p_h + h, p_w : p_w + w] = x
    out_h, out_w = (h + 2 * p_h - k_h) // s_h + 1, (w + 2 * p_w - k_w) // s_w + 1
    y = np.zeros((n, c, out_h, out_w))
    for b in range(n):
        for ch in range(c):
            for oy in range(out_h):
                for ox in range(out_w):
                    window = padded[b, ch, oy * s_h : oy * s_h + k_h, ox * s_w : ox * s_w + k_w]
                    y[b, ch, oy, ox] = window.mean()
    return y


@pytest.mark.parametrize(
    "shape, kernel, stride, padding",
    [
        ((1, 1, 4, 4), (2, 2), (2, 2), (0, 0)),
        ((2, 3, 7, 5), (3, 3), (2, 2), (1, 1)),
        ((1, 2, 6, 9), (2, 3), (1, 2), (1, 0)),
        ((2, 1, 5, 5), (1, 1), (1, 1), (0, 0)),
    ],
)
def test_avg_pool_matches_a_loop_over_the_windows(shape, kernel, stride, padding):
    x = random_array(*shape, seed=sum(shape))
    y = F.avg_pool2d(Tensor(x), kernel, stride=stride, padding=padding)
    np.testing.assert_allclose(y.data, avg_pool_loops(x, kernel, stride, padding), rtol=1e-12, atol=1e-12)
