"""F.pad (tinyconv/functional/padding.py): PyTorch's pairs from the last axis, negative amounts that
crop, its gradient (the slice where the input went); the reflect, replicate and circular modes and their
gradients (summed where an entry is copied several times); float64 gradient checks, PyTorch's pad, and bad
input.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.torch_checks import compare_with_torch

import tinyconv.functional as F

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


def test_pad_takes_pytorchs_arguments_in_pytorchs_order():
    # torch.nn.functional.pad(input, pad, mode="constant", value=None): the third positional is the mode
    np.testing.assert_array_equal(F.pad(leaf(ROW), (1, 0), "constant", 7.0).data, [[7.0, 1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(F.pad(leaf(ROW), (1, 0), value=None).data, [[0.0, 1.0, 2.0, 3.0]])


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


# ------------------------------------------------------------------------------ reflect, replicate, circular


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("reflect", [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]),
        ("replicate", [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0]]),
        ("circular", [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]]),
    ],
)
def test_pad_modes_fill_the_border_from_the_input(mode, expected):
    np.testing.assert_array_equal(F.pad(leaf(ROW), (2, 2), mode).data, expected)


def test_reflect_pads_height_and_width_of_an_image():
    x = leaf([[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]]])  # (1, 1, 3, 2)
    y = F.pad(x, (1, 0, 0, 2), mode="reflect")  # left 1; bottom 2
    np.testing.assert_array_equal(
        y.data[0, 0], [[2.0, 1.0, 2.0], [4.0, 3.0, 4.0], [6.0, 5.0, 6.0], [4.0, 3.0, 4.0], [2.0, 1.0, 2.0]]
    )


@pytest.mark.parametrize(
    "mode, expected",
    [
        # reflect [3 2 | 1 2 3 | 2 1]: 1 twice, 2 three times, 3 twice (gradient of ones)
        ("reflect", [[2.0, 3.0, 2.0]]),
        # replicate [1 1 | 1 2 3 | 3 3]
        ("replicate", [[3.0, 1.0, 3.0]]),
        # circular [2 3 | 1 2 3 | 1 2]
        ("circular", [[2.0, 3.0, 2.0]]),
    ],
)
def test_pad_mode_gradient_counts_every_copy_of_an_entry(mode, expected):
    x = leaf(ROW)
    F.pad(x, (2, 2), mode).sum().backward()
    np.testing.assert_array_equal(x.grad, expected)


def test_pad_modes_crop_with_negative_amounts():
    np.testing.assert_array_equal(F.pad(leaf(ROW), (-1, 2), "replicate").data, [[2.0, 3.0, 3.0, 3.0]])
    np.testing.assert_array_equal(F.pad(leaf(ROW), (2, -1), "reflect").data, [[3.0, 2.0, 1.0, 2.0]])


def test_circular_padding_wraps_around_what_is_left_after_cropping():
    # as PyTorch: [1 2 3] cropped by 1 on the right is [1 2], wrapped by 2 on the left: [1 2 | 1 2]
    np.testing.assert_array_equal(F.pad(leaf(ROW), (2, -1), "circular").data, [[1.0, 2.0, 1.0, 2.0]])


def test_reflect_padding_must_be_less_than_the_size():
    with pytest.raises(
        ValueError, match="pad: reflect padding of 3 along axis 1 must be less than its size 3"
    ):
        F.pad(leaf(ROW), (3, 0), "reflect")


def test_circular_padding_must_be_at_most_the_size():
    with pytest.raises(
        ValueError, match="pad: circular padding of 4 along axis 1 must be at most its size 3"
    ):
        F.pad(leaf(ROW), (0, 4), "circular")


def test_pad_unknown_mode():
    with pytest.raises(ValueError, match=r"pad: mode must be one of \('constant', 'reflect', 'replicate', "):
        F.pad(leaf(ROW), (1, 1), "zeros")


def test_pad_value_is_only_for_constant_mode():
    with pytest.raises(
        ValueError, match="pad: value=1.0 is only used by mode='constant', not by mode='reflect'"
    ):
        F.pad(leaf(ROW), (1, 1), "reflect", 1.0)


# ------------------------------------------------------------------------------ bad input


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
    assert_gradcheck(lambda x: F.pad(x, amounts, value=0.5), random_tensor(*shape))


# (input shape, pad) for the modes that copy the input: (N, C, W), (N, C, H, W) and (N, C, D, H, W), as
# PyTorch takes them; for reflect every amount is less than its axis
MODE_CASES = {
    "width": ((2, 3, 5), (2, 1)),
    "width and height": ((1, 2, 4, 5), (1, 3, 2, 0)),
    "depth, height and width": ((1, 1, 3, 4, 4), (1, 1, 2, 0, 0, 2)),
    "crops": ((2, 1, 4, 5), (-1, 2, 1, -2)),
}


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("name", list(MODE_CASES))
def test_pad_mode_gradient(name, mode):
    shape, amounts = MODE_CASES[name]
    assert_gradcheck(lambda x: F.pad(x, amounts, mode), random_tensor(*shape))


@pytest.mark.parametrize("name", list(PAD_CASES))
def test_pad_matches_torch(torch, name):
    shape, amounts = PAD_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.pad(x, amounts, value=0.5),
        lambda x: torch.nn.functional.pad(x, amounts, value=0.5),
        [random_array(*shape, seed=1)],
    )


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("name", list(MODE_CASES))
def test_pad_mode_matches_torch(torch, name, mode):
    shape, amounts = MODE_CASES[name]
    compare_with_torch(
        torch,
        lambda x: F.pad(x, amounts, mode),
        lambda x: torch.nn.functional.pad(x, amounts, mode),
        [random_array(*shape, seed=2)],
    )
