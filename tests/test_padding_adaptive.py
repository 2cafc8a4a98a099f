"""F.pad (functional/padding.py) and adaptive average pooling (functional/pooling.py, nn/pooling.py):
hand-built cases, float64 gradient checks, PyTorch cross-checks and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import image, leaf, random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.functional.pooling import GlobalAvgPool2d, adaptive_windows
from tinyconv.gradcheck import gradcheck

RTOL, ATOL = 1e-4, 1e-5  # float32 against float32, as tests/test_torch_crosscheck.py


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def check(fn, x: Tensor) -> None:
    assert gradcheck(fn, [x]) is True


def compare_with_torch(torch, ours, theirs, array: np.ndarray) -> None:
    """Run both on the same float32 array; compare outputs and the gradient under a random upstream."""
    array = array.astype(np.float32)
    x, reference = Tensor(array.copy(), requires_grad=True), torch.tensor(array, requires_grad=True)
    y, expected = ours(x), theirs(reference)
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="output")
    upstream = random_array(*y.shape, seed=100, dtype=np.float32)
    y.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg="gradient")


# ------------------------------------------------------------------------------ pad

ROW = [[1.0, 2.0, 3.0]]


def test_pad_pairs_start_from_the_last_axis():
    y = F.pad(leaf(ROW), (1, 2))  # left 1, right 2 on the last axis
    np.testing.assert_array_equal(y.data, [[0.0, 1.0, 2.0, 3.0, 0.0, 0.0]])


def test_pad_second_pair_is_top_and_bottom():
    y = F.pad(leaf(ROW), (0, 0, 1, 0))
    np.testing.assert_array_equal(y.data, [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])


def test_pad_of_an_image_batch_keeps_batch_and_channels():
    assert F.pad(random_tensor(2, 3, 4, 5), (1, 1, 2, 0)).shape == (2, 3, 6, 7)


def test_pad_with_a_value():
    np.testing.assert_array_equal(F.pad(leaf(ROW), (1, 0), value=-1.0).data, [[-1.0, 1.0, 2.0, 3.0]])


def test_pad_with_negative_amounts_crops():
    y = F.pad(leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), (-1, 0, 0, -1))
    np.testing.assert_array_equal(y.data, [[2.0, 3.0]])


def test_pad_can_pad_one_side_and_crop_the_other():
    np.testing.assert_array_equal(F.pad(leaf(ROW), (2, -2)).data, [[0.0, 0.0, 1.0]])


def test_pad_may_crop_an_axis_to_nothing():
    assert F.pad(leaf(ROW), (-1, -2)).shape == (1, 0)


def test_pad_gradient_is_the_slice_where_the_input_went():
    x = leaf(ROW)
    F.pad(x, (1, 2)).backward(np.array([[10.0, 1.0, 2.0, 3.0, 20.0, 30.0]]))
    np.testing.assert_array_equal(x.grad, ROW)  # the padding's gradients go nowhere


def test_pad_gradient_is_zero_on_cropped_entries():
    x = leaf(ROW)
    F.pad(x, (-1, 1)).backward(np.array([[5.0, 6.0, 7.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 5.0, 6.0]])


def test_pad_odd_length():
    with pytest.raises(ValueError, match=r"pad: pad must have an even length.*got 3 entries \(1, 1, 1\)"):
        F.pad(leaf(ROW), (1, 1, 1))


def test_pad_more_pairs_than_axes():
    with pytest.raises(ValueError, match=r"pad: 3 \(before, after\) pairs for an input of only 2 axes"):
        F.pad(leaf(ROW), (1, 1, 1, 1, 1, 1))


def test_pad_cropping_more_than_the_size():
    with pytest.raises(ValueError, match="pad: axis 1 of size 3 cannot be cropped by 0 before and 4 after"):
        F.pad(leaf(ROW), (2, -4))


def test_pad_amounts_must_be_ints():
    with pytest.raises(TypeError, match=r"pad: pad must be a tuple of ints .* got \(1.5, 1\)"):
        F.pad(leaf(ROW), (1.5, 1))


# (input shape, pad)
PAD_CASES = {
    "1-D": ((5,), (2, 1)),
    "width of a batch-1 image": ((1, 1, 3, 4), (1, 2)),
    "width and height": ((2, 2, 3, 4), (1, 0, 2, 1)),
    "all four axes": ((2, 1, 2, 3), (1, 1, 0, 2, 1, 0, 0, 1)),
    "crops": ((2, 3, 5, 4), (-1, 0, 1, -2)),
    "crop one side, pad the other": ((3, 6), (2, -3, -1, 1)),
}


@pytest.mark.parametrize("name", list(PAD_CASES))
def test_pad_gradient(name):
    shape, amounts = PAD_CASES[name]
    check(lambda x: F.pad(x, amounts, value=0.5), random_tensor(*shape))


@pytest.mark.parametrize("name", list(PAD_CASES))
def test_pad_matches_torch(torch, name):
    shape, amounts = PAD_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.pad(x, amounts, value=0.5),
        lambda x: torch.nn.functional.pad(x, amounts, value=0.5),
        random_array(*shape, seed=1),
    )


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


def test_adaptive_avg_pool_layer():
    layer = nn.AdaptiveAvgPool2d((None, 3))
    assert repr(layer) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    assert layer(random_tensor(2, 1, 5, 7)).shape == (2, 1, 5, 3)


def test_adaptive_avg_pool_layer_checks_its_output_size_when_built():
    with pytest.raises(ValueError, match="AdaptiveAvgPool2d: output_size must be positive"):
        nn.AdaptiveAvgPool2d(0)


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
    check(lambda x: F.adaptive_avg_pool2d(x, output_size), random_tensor(*shape))


@pytest.mark.parametrize("name", list(ADAPTIVE_CASES))
def test_adaptive_avg_pool2d_matches_torch(torch, name):
    shape, output_size = ADAPTIVE_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.adaptive_avg_pool2d(x, output_size),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size),
        random_array(*shape, seed=2),
    )
