"""RoI pooling and RoIAlign (tinyconv/functional/roi.py): C's rounding, the bins, empty bins and ties by hand,
bilinear samples and their edge rules by hand, float64 gradient checks, torchvision's roi_pool and
roi_align on boxes with half-pixel corners, boxes partly outside the image and tiny boxes, and the bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import distinct_tensor, image, random_array, random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.functional.roi import round_half_away_from_zero

# ------------------------------------------------------------------------------ roi_pool by hand


def test_c_rounding_sends_halves_away_from_zero():
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.4, -2.6, 0.49999999999999994])
    np.testing.assert_array_equal(round_half_away_from_zero(values, np), [1, 2, 3, -1, -3, 2, -3, 0])
    assert np.round(2.5) == 2  # NumPy's rule, which roi_pool must not use


def test_roi_pool_rounds_a_half_pixel_corner_up():
    x = image([[10.0, 20.0, 30.0, 40.0]])  # one row, four columns
    # x1 = 0.5 -> 1 and x2 = 2.5 -> 3 (NumPy would give 0 and 2): columns 1, 2, 3, one per bin
    y = F.roi_pool(x, [[0, 0.5, 0, 2.5, 0]], output_size=(1, 3))
    np.testing.assert_array_equal(y.data[0, 0], [[20.0, 30.0, 40.0]])


def test_roi_pool_takes_the_maximum_of_each_quadrant():
    x = image(np.arange(16.0).reshape(4, 4))
    # corners 0 and 3 include both ends: 4 x 4 pixels, 2 x 2 bins of 2 x 2
    np.testing.assert_array_equal(F.roi_pool(x, [[0, 0, 0, 3, 3]], 2).data[0, 0], [[5, 7], [13, 15]])


def test_roi_pool_bins_overlap_by_floor_and_ceil():
    x = image([[3.0, 1.0, 4.0, 1.0, 5.0]])
    # width 5 in 3 bins of 5/3: [floor 0, ceil 1.67) = [0, 2), [1, 4), [3, 5)
    np.testing.assert_array_equal(F.roi_pool(x, [[0, 0, 0, 4, 0]], (1, 3)).data[0, 0], [[3.0, 4.0, 5.0]])


def test_roi_pool_of_a_box_of_zero_size_is_one_pixel():
    x = image(np.arange(16.0).reshape(4, 4))
    # a box at (2, 1) of zero size: max(x2 - x1 + 1, 1) = 1 pixel, x[1, 2] = 6, in every bin that
    # reaches it: bins of 1/2 pixel, [floor(0), ceil(0.5)) = [0, 1) and [floor(0.5), ceil(1)) = [0, 1)
    np.testing.assert_array_equal(F.roi_pool(x, [[0, 2, 1, 2, 1]], 2).data[0, 0], [[6, 6], [6, 6]])


def test_roi_pool_of_a_box_outside_the_image_is_zero_and_sends_no_gradient():
    x = image(-np.ones((4, 4)))  # negative: a 0 can only come from the empty-bin rule
    y = F.roi_pool(x, [[0, 10, 10, 12, 12]], 2)
    np.testing.assert_array_equal(y.data, np.zeros((1, 1, 2, 2)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((1, 1, 4, 4)))


def test_roi_pool_sends_the_gradient_to_the_first_maximum_of_each_bin():
    x = image(np.ones((4, 4)))  # every pixel ties
    F.roi_pool(x, [[0, 0, 0, 3, 3]], 2).backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((4, 4))
    expected[0, 0], expected[0, 2], expected[2, 0], expected[2, 2] = 1, 2, 3, 4  # each bin's top-left
    np.testing.assert_array_equal(x.grad[0, 0], expected)


def test_roi_pool_adds_the_gradients_of_a_pixel_that_wins_in_two_boxes():
    x = image([[0.0, 0.0], [0.0, 9.0]])
    boxes = [[0, 0, 0, 1, 1], [0, 1, 1, 1, 1]]  # both hold pixel (1, 1), the maximum
    F.roi_pool(x, boxes, 1).backward(np.array([[[[2.0]]], [[[5.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 0.0], [0.0, 7.0]])


def test_roi_pool_skips_nan_as_torchvision_does():
    x = image([[np.nan, 1.0], [np.nan, np.nan]])
    y = F.roi_pool(x, [[0, 0, 0, 1, 1], [0, 0, 1, 0, 1]], 1)  # the whole image; then pixel (1, 0) alone
    assert y.data[0, 0, 0, 0] == 1.0  # NaN never beats the running maximum
    assert y.data[1, 0, 0, 0] == np.float32(-np.finfo(np.float32).max)  # nothing did: -FLT_MAX
    y.sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[0.0, 1.0], [0.0, 0.0]])


# ------------------------------------------------------------------------------ roi_align by hand


def test_roi_align_with_one_sample_per_bin_reads_pixels_at_their_coordinates():
    x = image(np.arange(16.0).reshape(4, 4))
    # bins of 2 x 2 pixels, one sample each at (i * 2 + 1, j * 2 + 1): pixels (1, 1), (1, 3), (3, 1), (3, 3)
    y = F.roi_align(x, [[0, 0, 0, 4, 4]], 2, sampling_ratio=1)
    np.testing.assert_array_equal(y.data[0, 0], [[5, 7], [13, 15]])


def test_roi_align_interpolates_between_pixels():
    x = image([[0.0, 10.0], [20.0, 30.0]])
    # one sample at the box's centre (0.5, 0.5): a quarter of each pixel
    np.testing.assert_allclose(F.roi_align(x, [[0, 0, 0, 1, 1]], 1, sampling_ratio=1).data, [[[[15.0]]]])


def test_aligned_moves_the_box_by_half_a_pixel():
    x = random_tensor(1, 2, 5, 6)
    shifted = F.roi_align(x, [[0, 1.5, 0.5, 4.5, 3.5]], 3, sampling_ratio=2, aligned=True)
    plain = F.roi_align(x, [[0, 1.0, 0.0, 4.0, 3.0]], 3, sampling_ratio=2)
    np.testing.assert_allclose(shifted.data, plain.data, rtol=1e-12)


def test_a_sample_between_minus_one_and_zero_reads_the_first_pixel_and_one_before_reads_nothing():
    x = image(np.ones((2, 2)))
    # one sample per bin, at the box's centre: x = -1.0, then x = -1.5
    near = F.roi_align(x, [[0, -1.5, 0, -0.5, 1]], 1, sampling_ratio=1)
    far = F.roi_align(x, [[0, -2.0, 0, -1.0, 1]], 1, sampling_ratio=1)
    assert near.data.item() == 1.0 and far.data.item() == 0.0


def test_a_sample_past_the_last_pixel_centre_reads_the_last_pixel_up_to_the_edge():
    x = image([[1.0, 2.0, 3.0]])
    # samples at x = 2.5 and x = 3.0 (the right edge) read pixel 2 alone; x = 3.5 is outside
    values = [
        F.roi_align(x, [[0, c - 0.5, 0, c + 0.5, 1]], 1, sampling_ratio=1).item() for c in (2.5, 3.0, 3.5)
    ]
    assert values == [3.0, 3.0, 0.0]


def test_adaptive_sampling_takes_ceil_of_the_bin_size_samples_each_way():
    x = random_tensor(1, 1, 8, 8)
    box = [[0, 0.5, 0.25, 5.5, 5.75]]  # 5 x 5.5 in 2 x 2 bins: ceil(2.5) = ceil(2.75) = 3 samples each way
    adaptive = F.roi_align(x, box, 2, sampling_ratio=0).data
    np.testing.assert_allclose(adaptive, F.roi_align(x, box, 2, sampling_ratio=3).data, rtol=1e-12)
    assert not np.allclose(adaptive, F.roi_align(x, box, 2, sampling_ratio=2).data)


def test_a_box_smaller_than_a_pixel_is_stretched_to_one_unless_aligned():
    x = random_tensor(1, 1, 4, 4)
    point = [[0, 1.0, 1.0, 1.0, 1.0]]
    np.testing.assert_allclose(F.roi_align(x, point, 2).data, F.roi_align(x, [[0, 1, 1, 2, 2]], 2).data)
    # aligned: the box keeps its zero size, ceil(0) = 0 samples per bin, and an empty bin is 0
    np.testing.assert_array_equal(F.roi_align(x, point, 2, aligned=True).data, np.zeros((1, 1, 2, 2)))


def test_roi_align_of_a_box_outside_the_image_is_zero():
    x = random_tensor(1, 2, 4, 4)
    y = F.roi_align(x, [[0, 20, 20, 30, 30]], 3)
    np.testing.assert_array_equal(y.data, np.zeros((1, 2, 3, 3)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((1, 2, 4, 4)))


def test_roi_align_spreads_a_bin_s_gradient_with_the_interpolation_weights():
    x = image(np.zeros((2, 2)))
    F.roi_align(x, [[0, 0, 0, 1, 1]], 1, sampling_ratio=1).backward(np.array([[[[8.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], [[2.0, 2.0], [2.0, 2.0]])  # a quarter each


# ------------------------------------------------------------------------------ both: the box formats


@pytest.mark.parametrize("op", [F.roi_pool, F.roi_align])
def test_a_list_of_boxes_per_image_is_the_rows_with_their_batch_index(op):
    x = random_tensor(2, 3, 6, 7)
    first, second = [[0.5, 1.0, 4.0, 5.0]], [[1.0, 0.0, 6.0, 3.5], [2.0, 2.0, 3.0, 3.0]]
    rows = [[0, *first[0]], [1, *second[0]], [1, *second[1]]]
    as_list = op(x, [np.array(first), Tensor(np.array(second))], 2)
    np.testing.assert_array_equal(as_list.data, op(x, np.array(rows), 2).data)


@pytest.mark.parametrize("op", [F.roi_pool, F.roi_align])
def test_the_boxes_get_no_gradient(op):
    x = random_tensor(1, 1, 4, 4)
    boxes = Tensor(np.array([[0.0, 0.5, 0.5, 3.0, 2.5]]), requires_grad=True)
    op(x, boxes, 2).sum().backward()
    assert x.grad is not None and boxes.grad is None


@pytest.mark.parametrize("op", [F.roi_pool, F.roi_align])
def test_roi_ops_keep_float32(op):
    x = tinyconv.randn(1, 2, 5, 5, requires_grad=True)
    y = op(x, [[0, 0.5, 1.0, 3.5, 4.0]], 2, 0.5)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_no_boxes_give_an_empty_output():
    x = random_tensor(2, 3, 4, 4)
    assert F.roi_align(x, [np.zeros((0, 4)), np.zeros((0, 4))], 2).shape == (0, 3, 2, 2)
    assert F.roi_pool(x, np.zeros((0, 5)), 2).shape == (0, 3, 2, 2)


# ------------------------------------------------------------------------------ gradients and torchvision

# name -> (op, keyword arguments, (K, 5) boxes) for a (2, 3, 6, 7) input: half-pixel corners, boxes partly
# outside, tiny and empty boxes, overlapping boxes, two images
GRADCHECK_CASES = {
    "roi_pool, 2x2": ("roi_pool", dict(output_size=2), [[0, 0.5, 1, 4.5, 5], [1, 1, 0, 6, 3]]),
    "roi_pool, partly outside, scale 0.5": (
        "roi_pool",
        dict(output_size=(3, 2), spatial_scale=0.5),
        [[1, -3, -2, 6.5, 9], [0, 8, 4, 20, 14]],
    ),
    "roi_pool, overlapping boxes, tiny box": (
        "roi_pool",
        dict(output_size=3),
        [[0, 1, 1, 5, 4], [0, 2, 2, 6, 5], [1, 3.2, 2.1, 3.4, 2.2]],
    ),
    "roi_align, adaptive sampling": (
        "roi_align",
        dict(output_size=2),
        [[0, 0.5, 1, 4.5, 5], [1, 1, 0, 6, 3]],
    ),
    "roi_align, sampling 2, aligned, partly outside": (
        "roi_align",
        dict(output_size=(3, 2), sampling_ratio=2, aligned=True),
        [[1, -1.5, -0.5, 4.5, 7.5], [0, 5.5, 3, 9, 6.5]],
    ),
    "roi_align, scale 0.5, tiny and overlapping boxes": (
        "roi_align",
        dict(output_size=3, spatial_scale=0.5),
        [[0, 2, 2, 10, 8], [0, 4, 3, 12, 11], [1, 6.1, 4.2, 6.3, 4.4]],
    ),
}


def gradcheck_case(name: str) -> tuple:
    """(fn, inputs) for one GRADCHECK_CASES entry; the boxes are an input that requires no grad, so the
    GPU checks move them to the device with the image. roi_pool gets distinct values: no ties to break."""
    op, arguments, boxes = GRADCHECK_CASES[name]
    x = distinct_tensor(2, 3, 6, 7) if op == "roi_pool" else random_tensor(2, 3, 6, 7)
    return (lambda x, boxes: getattr(F, op)(x, boxes, **arguments)), [x, Tensor(np.array(boxes, dtype=float))]


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_roi_gradient(name):
    fn, inputs = gradcheck_case(name)
    assert_gradcheck(fn, *inputs)


def random_boxes(count: int, size: tuple, seed: int) -> np.ndarray:
    """(count, 5) boxes over a (H, W) image of two batch entries: a fifth with half-pixel corners, a fifth
    tiny (under a pixel), many reaching past the image's edges."""
    rng = np.random.default_rng(seed)
    height, width = size
    corner = rng.uniform(-3, [width + 1, height + 1], size=(count, 2))
    extent = rng.uniform(0, [width, height], size=(count, 2))
    corner[::5], extent[::5] = np.round(corner[::5] * 2) / 2, np.round(extent[::5] * 2) / 2
    extent[1::5] = rng.uniform(0, 0.8, size=extent[1::5].shape)
    return np.concatenate([rng.integers(0, 2, size=(count, 1)), corner, corner + extent], axis=1)


TORCHVISION_CASES = {
    "roi_pool, 3x4": ("roi_pool", dict(output_size=(3, 4))),
    "roi_pool, 2, scale 0.5": ("roi_pool", dict(output_size=2, spatial_scale=0.5)),
    "roi_pool, 5, scale 0.3": ("roi_pool", dict(output_size=5, spatial_scale=0.3)),
    "roi_align, 3x4": ("roi_align", dict(output_size=(3, 4))),
    "roi_align, 2, scale 0.3, sampling 2": (
        "roi_align",
        dict(output_size=2, spatial_scale=0.3, sampling_ratio=2),
    ),
    "roi_align, 3, aligned": ("roi_align", dict(output_size=3, aligned=True)),
    "roi_align, 4, scale 0.5, aligned, sampling 3": (
        "roi_align",
        dict(output_size=4, spatial_scale=0.5, aligned=True, sampling_ratio=3),
    ),
    "roi_align, 7, scale 0.25": ("roi_align", dict(output_size=7, spatial_scale=0.25)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(TORCHVISION_CASES))
def test_roi_ops_match_torchvision(torch, torchvision, name, dtype):
    op, arguments = TORCHVISION_CASES[name]
    x = random_array(2, 3, 9, 11, dtype=dtype)
    boxes = random_boxes(40, (9, 11) if arguments.get("spatial_scale", 1) == 1 else (20, 24), seed=3).astype(
        dtype
    )
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, op)(ours, boxes, **arguments)
    torch_out = getattr(torchvision.ops, op)(theirs, torch.tensor(boxes), **arguments)
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), **tolerance)
    upstream = random_array(*out.shape, seed=4, dtype=dtype)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tolerance)


# ------------------------------------------------------------------------------ bad input

BAD_BOXES = {
    "x2 < x1": (
        [[0, 3, 0, 2, 1]],
        r"box 0, \(batch index, x1, y1, x2, y2\) = \[0.0, 3.0, 0.0, 2.0, 1.0\], has x2 < x1",
    ),
    "y2 < y1": ([[0, 0, 0, 1, 1], [0, 0, 2, 1, 1]], r"box 1, .* has y2 < y1"),
    "batch index 2 of 2 images": (
        [[2, 0, 0, 1, 1]],
        r"box 0, .* has a batch index that is not an integer from 0 to 1",
    ),
    "negative batch index": ([[-1, 0, 0, 1, 1]], "has a batch index that is not an integer from 0 to 1"),
    "fractional batch index": ([[0.5, 0, 0, 1, 1]], "has a batch index that is not an integer from 0 to 1"),
    "infinite corner": ([[0, 0, 0, np.inf, 1]], "is not finite"),
    "four columns": (np.zeros((3, 4)), r"boxes must be a \(K, 5\) array .* got shape \(3, 4\)"),
    "one row, not two dimensions": ([0, 0, 0, 1, 1], r"got shape \(5,\)"),
    "list entry of five columns": (
        [np.zeros((1, 5))],
        r"boxes\[0\] must be an \(L, 4\) array .* got shape \(1, 5\)",
    ),
}


@pytest.mark.parametrize("op", [F.roi_pool, F.roi_align])
@pytest.mark.parametrize("case", list(BAD_BOXES))
def test_bad_boxes_are_refused(op, case):
    boxes, message = BAD_BOXES[case]
    with pytest.raises(ValueError, match=f"{op.__name__}: .*{message}"):
        op(random_tensor(2, 1, 4, 4), boxes, 2)


@pytest.mark.parametrize("op", [F.roi_pool, F.roi_align])
@pytest.mark.parametrize("output_size", [0, (2, 0), (-1, 2), 2.5, (2, 2, 2)])
def test_a_non_positive_output_size_is_refused(op, output_size):
    with pytest.raises(ValueError, match="output_size must be a positive int or a pair of them"):
        op(random_tensor(1, 1, 4, 4), [[0, 0, 0, 1, 1]], output_size)


@pytest.mark.parametrize("op", [F.roi_pool, F.roi_align])
@pytest.mark.parametrize("scale", [0, -0.5, float("nan"), float("inf")])
def test_a_non_positive_spatial_scale_is_refused(op, scale):
    with pytest.raises(ValueError, match="spatial_scale must be positive"):
        op(random_tensor(1, 1, 4, 4), [[0, 0, 0, 1, 1]], 2, scale)


def test_a_fractional_sampling_ratio_is_refused():
    with pytest.raises(TypeError, match=r"sampling_ratio must be an int \(<= 0 for adaptive\), got 1.5"):
        F.roi_align(random_tensor(1, 1, 4, 4), [[0, 0, 0, 1, 1]], 2, sampling_ratio=1.5)


def test_the_input_must_be_a_batch_of_feature_maps():
    with pytest.raises(ValueError, match=r"roi_align: expected a 4-D input \(N, C, H, W\)"):
        F.roi_align(random_tensor(4, 4), [[0, 0, 0, 1, 1]], 2)
