"""Pooling (tinyconv/functional/pooling.py), in the module's order: max_pool2d, avg_pool2d, then adaptive
average pooling.

Conventions pinned by hand-computed cases (floor mode, -inf padding for the maximum, zero padding counted
in the average, ties to the first maximum, a NaN wins its window, a window of -inf names a real pixel);
dtypes kept and the upstream gradient left alone; float64 gradient checks; equality with the naive loops
of functional/reference.py; PyTorch's pooling (NaN and -inf included); and clear errors for bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import distinct_tensor, float32_ones, image, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.torch_checks import compare_with_torch

import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.functional.pooling import GlobalAvgPool2d, adaptive_windows
from tinyconv.functional.reference import max_pool2d_reference

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


def test_max_pool_a_nan_wins_its_window_and_receives_its_gradient():
    # the window [[1, nan], [0, 0]]: its maximum is NaN, as in PyTorch, and the gradient goes to the NaN
    x = image([[1.0, np.nan], [0.0, 0.0]])
    y = F.max_pool2d(x, 2)
    assert np.isnan(y.data[0, 0, 0, 0])
    y.backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 5.0], [0.0, 0.0]])


def test_max_pool_a_nan_after_the_maximum_still_wins():
    # the NaN comes after a larger number in row-major order; a window without NaN is unaffected
    x = image([[9.0, 1.0, 1.0, 2.0], [np.nan, 0.0, 3.0, 0.0]])
    y = F.max_pool2d(x, 2)
    assert np.isnan(y.data[0, 0, 0, 0]) and y.data[0, 0, 0, 1] == 3.0
    y.backward(np.array([[[[5.0, 7.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 0.0, 0.0, 0.0], [5.0, 0.0, 7.0, 0.0]])


def test_max_pool_gives_a_window_of_several_nans_to_the_last_one():
    # PyTorch's CPU kernel lets every NaN replace the running maximum, so the last NaN wins
    x = image([[np.nan, 1.0], [np.nan, 0.0]])
    F.max_pool2d(x, 2).backward(np.array([[[[5.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 0.0], [5.0, 0.0]])


def test_max_pool_names_the_first_real_pixel_of_a_window_of_minus_infinity():
    # padding is -inf too, yet a window whose real pixels are all -inf sends its gradient to its first
    # real pixel, never to the padding (where it would be lost): the kernel's and PyTorch's rule
    x = image(np.full((3, 3), -np.inf))
    # four windows; their first real pixels are (0, 0), (0, 1), (1, 0) and (1, 1)
    y = F.max_pool2d(x, 3, stride=2, padding=1)
    y.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_array_equal(y.data[0, 0], np.full((2, 2), -np.inf))
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 2.0, 0.0], [3.0, 4.0, 0.0], [0.0, 0.0, 0.0]])


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


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "max_pool2d": lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), 2, stride=1, padding=1),
    "avg_pool2d": lambda x: F.avg_pool2d(x.reshape(1, 1, 2, 3), 2, stride=1, padding=1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), (1, 2, 4, 4)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), (1, 2, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (x shape, kernel, stride, padding)
GRADCHECK_CASES = {
    "batch 1, kernel 2": ((1, 1, 4, 4), 2, None, 0),
    "non-square image, floor mode": ((2, 2, 5, 7), 2, None, 0),
    "overlapping kernel 3 stride 2": ((1, 2, 7, 5), 3, 2, 0),
    "overlapping with padding": ((2, 1, 5, 5), 3, 2, 1),
    "non-square kernel and stride": ((1, 2, 5, 6), (2, 3), (1, 2), (1, 1)),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_max_pool2d_gradient(name):
    x_shape, kernel, stride, padding = GRADCHECK_CASES[name]
    assert_gradcheck(
        lambda x: F.max_pool2d(x, kernel, stride=stride, padding=padding), distinct_tensor(*x_shape)
    )


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_avg_pool2d_gradient(name):
    x_shape, kernel, stride, padding = GRADCHECK_CASES[name]
    assert_gradcheck(
        lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=padding), random_tensor(*x_shape)
    )


# --------------------------------------------------------- against the naive loops of functional/reference.py


# (x shape, kernel, stride, padding)
REFERENCE_CASES = {
    "batch 1, kernel 2": ((1, 1, 4, 4), 2, None, 0),
    "non-square image": ((2, 3, 6, 10), 2, None, 0),
    "odd size, floor mode": ((2, 2, 7, 7), 2, None, 0),
    "overlapping kernel 3 stride 2": ((2, 3, 9, 7), 3, 2, 0),
    "overlapping with padding": ((1, 2, 8, 8), 3, 2, 1),
    "stride 1": ((1, 2, 5, 6), 2, 1, 0),
    "kernel 1": ((2, 1, 4, 3), 1, None, 0),
    "non-square kernel and stride": ((1, 2, 7, 9), (2, 3), (1, 2), (1, 1)),
    "padding 1, kernel 2": ((2, 1, 5, 5), 2, 2, 1),
}


@pytest.mark.parametrize("name", list(REFERENCE_CASES))
def test_max_pool2d_matches_the_reference_loops(name):
    x_shape, kernel, stride, padding = REFERENCE_CASES[name]
    x = random_array(*x_shape, seed=4)
    expected = max_pool2d_reference(x, kernel, stride=stride, padding=padding)
    fast = F.max_pool2d(Tensor(x), kernel, stride=stride, padding=padding)
    assert fast.shape == expected.shape
    np.testing.assert_array_equal(fast.data, expected)  # a maximum involves no rounding


def test_max_pool2d_matches_the_reference_on_all_negative_padded_input():
    x = -np.abs(random_array(2, 2, 5, 6, seed=5)) - 1.0
    expected = max_pool2d_reference(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(F.max_pool2d(Tensor(x), 3, stride=2, padding=1).data, expected)


# ------------------------------------------------------------------------------ against PyTorch


# (x shape, kernel, stride, padding)
TORCH_CASES = {
    "kernel 2": ((2, 3, 8, 8), 2, None, 0),
    "odd size, floor mode": ((1, 2, 7, 7), 2, None, 0),
    "overlapping kernel 3 stride 2": ((1, 2, 7, 9), 3, 2, 0),
    "overlapping with padding": ((2, 1, 6, 6), 3, 2, 1),
    "non-square kernel and stride": ((1, 2, 5, 8), (2, 3), (1, 2), (1, 1)),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_max_pool2d_matches_torch(torch, name):
    x_shape, kernel, stride, padding = TORCH_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.max_pool2d(x, kernel, stride=stride, padding=padding),
        lambda x: torch.nn.functional.max_pool2d(x, kernel, stride=stride, padding=padding),
        [random_array(*x_shape, seed=4)],
    )


def test_max_pool2d_breaks_ties_like_torch(torch):
    # small integers: most windows hold ties, so both must pick the same winner to agree
    x = np.random.default_rng(5).integers(0, 3, size=(2, 2, 7, 7)).astype(np.float32)
    compare_with_torch(
        torch,
        lambda t: F.max_pool2d(t, 3, stride=2, padding=1),
        lambda t: torch.nn.functional.max_pool2d(t, 3, stride=2, padding=1),
        [x],
    )


@pytest.mark.parametrize("padding", [0, 1])
def test_max_pool2d_treats_nan_and_minus_infinity_like_torch(torch, padding):
    # small integers with ties, NaN and -inf scattered: outputs (NaN included) and gradients must agree
    rng = np.random.default_rng(6)
    x = rng.integers(-2, 3, size=(2, 3, 9, 8)).astype(np.float64)
    x[rng.random(x.shape) < 0.12] = np.nan
    x[rng.random(x.shape) < 0.12] = -np.inf
    x[0, 0, :3, :3] = -np.inf  # a whole corner of -inf, so that some padded windows hold nothing else
    grad_out_shape = F.max_pool2d(Tensor(x), 3, stride=2, padding=padding).shape
    grad_out = rng.integers(1, 5, size=grad_out_shape).astype(np.float64)
    ours = Tensor(x, requires_grad=True)
    y = F.max_pool2d(ours, 3, stride=2, padding=padding)
    y.backward(grad_out)
    theirs = torch.tensor(x, requires_grad=True)
    y_torch = torch.nn.functional.max_pool2d(theirs, 3, stride=2, padding=padding)
    y_torch.backward(torch.tensor(grad_out))
    np.testing.assert_array_equal(y.data, y_torch.detach().numpy())  # NaN in the same places
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_avg_pool2d_matches_torch(torch, name):
    x_shape, kernel, stride, padding = TORCH_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=padding),
        lambda x: torch.nn.functional.avg_pool2d(x, kernel, stride=stride, padding=padding),
        [random_array(*x_shape, seed=4)],
    )


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_non_4d_input(pool):
    with pytest.raises(ValueError, match=r"4-D input \(N, C, H, W\), got shape \(4, 4\)"):
        pool(float32_ones(4, 4), 2)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@pytest.mark.parametrize("stride", [0, -2])
def test_pooling_stride_must_be_positive(pool, stride):
    with pytest.raises(ValueError, match=f"stride must be positive, got \\({stride}, {stride}\\)"):
        pool(float32_ones(1, 1, 4, 4), 2, stride=stride)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_kernel_larger_than_the_input(pool):
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        pool(float32_ones(1, 1, 4, 4), 5)


def test_max_pool_padding_larger_than_half_the_kernel():
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the kernel size \(2, 2\)"):
        F.max_pool2d(float32_ones(1, 1, 4, 4), 2, padding=2)


# ------------------------------------------------------------------------------ adaptive average pooling


def naive_adaptive_avg_pool2d(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """The definition, one window at a time, windows written with math.floor and math.ceil."""
    n, c, height, width = x.shape
    y = np.zeros((n, c, out_h, out_w))
    for i in range(out_h):
        top, bottom = math.floor(i * height / out_h), math.ceil((i + 1) * height / out_h)
        for j in range(out_w):
            left, right = math.floor(j * width / out_w), math.ceil((j + 1) * width / out_w)
            y[:, :, i, j] = x[:, :, top:bottom, left:right].mean(axis=(2, 3))
    return y


def test_adaptive_windows_overlap_when_the_size_is_not_divisible():
    assert adaptive_windows(5, 3) == [(0, 2), (1, 4), (3, 5)]


def test_adaptive_windows_repeat_inputs_when_the_output_is_larger():
    assert adaptive_windows(2, 3) == [(0, 1), (0, 2), (1, 2)]


def test_adaptive_windows_tile_the_input_when_the_size_is_divisible():
    assert adaptive_windows(6, 3) == [(0, 2), (2, 4), (4, 6)]


def test_adaptive_avg_pool2d_values_by_hand():
    x = image([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = F.adaptive_avg_pool2d(x, (1, 2))  # column windows [0, 2) and [1, 3)
    np.testing.assert_allclose(y.data, [[[[(1 + 2 + 4 + 5) / 4, (2 + 3 + 5 + 6) / 4]]]])


def test_adaptive_avg_pool2d_gradient_by_hand():
    x = image([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    F.adaptive_avg_pool2d(x, (1, 2)).backward(np.array([[[[4.0, 8.0]]]]))
    # each window spreads g / 4; the middle column is in both
    np.testing.assert_allclose(x.grad, [[[[1.0, 3.0, 2.0], [1.0, 3.0, 2.0]]]])


@pytest.mark.parametrize("output_size", [(3, 2), (2, 5), (7, 6), (4, 4)])
def test_adaptive_avg_pool2d_equals_the_definition(output_size):
    x = random_tensor(2, 3, 5, 4, seed=2)
    expected = naive_adaptive_avg_pool2d(x.data, *output_size)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, output_size).data, expected, rtol=1e-12, atol=1e-15)


def test_adaptive_avg_pool2d_with_divisible_sizes_is_avg_pool2d():
    x = random_tensor(2, 3, 6, 8, seed=3)
    expected = F.avg_pool2d(x, kernel_size=(2, 4)).data
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (3, 2)).data, expected, rtol=1e-12)


def test_adaptive_avg_pool2d_to_one_is_the_mean_over_the_image():
    x = random_tensor(2, 3, 5, 4, seed=4)
    y = F.adaptive_avg_pool2d(x, 1)
    assert isinstance(y.grad_fn, GlobalAvgPool2d)  # the fast path
    np.testing.assert_allclose(y.data, x.data.mean(axis=(2, 3), keepdims=True), rtol=1e-12)


def test_global_average_pooling_gradient_is_g_over_the_area():
    x = random_tensor(1, 2, 2, 3)
    F.adaptive_avg_pool2d(x, 1).backward(np.array([6.0, 12.0]).reshape(1, 2, 1, 1))
    np.testing.assert_array_equal(
        x.grad, np.concatenate([np.full((1, 1, 2, 3), 1.0), np.full((1, 1, 2, 3), 2.0)], 1)
    )


def test_adaptive_avg_pool2d_none_keeps_the_input_size():
    assert F.adaptive_avg_pool2d(random_tensor(1, 2, 5, 7), (None, 3)).shape == (1, 2, 5, 3)
    assert F.adaptive_avg_pool2d(random_tensor(1, 2, 5, 7), (2, None)).shape == (1, 2, 2, 7)


def test_adaptive_avg_pool2d_keeps_float32():
    assert F.adaptive_avg_pool2d(random_tensor(1, 1, 5, 5, dtype=np.float32), 3).dtype == np.float32


@pytest.mark.parametrize("output_size", [0, (2, -1)])
def test_adaptive_avg_pool2d_output_size_must_be_positive(output_size):
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: output_size must be positive"):
        F.adaptive_avg_pool2d(random_tensor(1, 1, 4, 4), output_size)


@pytest.mark.parametrize("output_size", [2.0, (2, 2, 2), "2"])
def test_adaptive_avg_pool2d_output_size_must_be_an_int_or_a_pair(output_size):
    with pytest.raises(TypeError, match="adaptive_avg_pool2d: output_size must be an int or a pair"):
        F.adaptive_avg_pool2d(random_tensor(1, 1, 4, 4), output_size)


def test_adaptive_avg_pool2d_needs_a_4d_input():
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected a 4-D input \(N, C, H, W\)"):
        F.adaptive_avg_pool2d(random_tensor(2, 4, 4), 2)


def test_adaptive_avg_pool2d_of_an_empty_image():
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: input has no pixels to average"):
        F.adaptive_avg_pool2d(random_tensor(1, 1, 0, 4), 2)


# (input shape, output size)
ADAPTIVE_CASES = {
    "divisible": ((2, 2, 6, 4), (3, 2)),
    "not divisible, overlapping windows": ((1, 2, 5, 7), (3, 4)),
    "output larger than input": ((2, 1, 2, 3), (3, 5)),
    "global, batch 1": ((1, 3, 4, 5), 1),
    "one axis kept": ((2, 2, 5, 3), (None, 2)),
    "square int size": ((1, 2, 7, 7), 3),
}


@pytest.mark.parametrize("name", list(ADAPTIVE_CASES))
def test_adaptive_avg_pool2d_gradient(name):
    shape, output_size = ADAPTIVE_CASES[name]
    assert_gradcheck(lambda x: F.adaptive_avg_pool2d(x, output_size), random_tensor(*shape))


@pytest.mark.parametrize("name", list(ADAPTIVE_CASES))
def test_adaptive_avg_pool2d_matches_torch(torch, name):
    shape, output_size = ADAPTIVE_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.adaptive_avg_pool2d(x, output_size),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size),
        [random_array(*shape, seed=2)],
    )
