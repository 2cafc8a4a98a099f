"""Anchors, box coding and matching (tinyconv/detection/anchors.py): the nine anchors and their grid by hand,
encode then decode is the identity, codes and matches worked by hand, a gradient check of decode, and
torchvision's AnchorGenerator, BoxCoder and Matcher; then the bad inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers.op_checks import assert_gradcheck

from tinyconv import Tensor
from tinyconv.detection import BoxCoder, Matcher, base_anchors, grid_anchors

# ------------------------------------------------------------------------------ anchors


def test_the_nine_base_anchors_are_ratio_by_ratio_each_with_every_size():
    anchors = base_anchors().data
    assert anchors.shape == (9, 4) and anchors.dtype == np.float32
    # ratio 0.5 (h / w), size 128: w = 128 / sqrt(0.5) = 181.02, h = 90.51, halves rounded: 91 and 45
    np.testing.assert_array_equal(anchors[0], [-91, -45, 91, 45])
    np.testing.assert_array_equal(
        anchors[3:6], [[-64, -64, 64, 64], [-128, -128, 128, 128], [-256, -256, 256, 256]]
    )
    np.testing.assert_array_equal(anchors[6], [-45, -91, 45, 91])  # ratio 2, size 128: tall


def test_base_anchors_round_halves_to_even():
    # size 5: half-widths 2.5, rounded to 2 as torch.round does (C's round would give 3)
    np.testing.assert_array_equal(base_anchors((5, 7), (1.0,)).data, [[-2, -2, 2, 2], [-4, -4, 4, 4]])


def test_grid_anchors_shift_the_base_anchors_to_each_cell_corner_row_by_row():
    anchors = grid_anchors((2, 3), (32, 48), sizes=(8,), aspect_ratios=(1.0,)).data  # stride 16 both ways
    corners = [(0, 0), (16, 0), (32, 0), (0, 16), (16, 16), (32, 16)]  # (x, y), row by row
    np.testing.assert_array_equal(anchors, [[x - 4, y - 4, x + 4, y + 4] for x, y in corners])


def test_grid_anchors_give_nine_per_position():
    anchors = grid_anchors((3, 4), (48, 64)).data
    assert anchors.shape == (3 * 4 * 9, 4)
    np.testing.assert_array_equal(anchors[9:18] - anchors[:9], np.tile([16, 0, 16, 0], (9, 1)))


def test_anchors_match_torchvision_anchor_generator(torch, torchvision):
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.image_list import ImageList

    sizes, ratios = (32, 64, 128), (0.5, 1.0, 2.0)
    images = ImageList(torch.zeros(1, 3, 100, 130), [(100, 130)])
    expected = AnchorGenerator((sizes,), (ratios,))(images, [torch.zeros(1, 8, 13, 17)])[0]
    np.testing.assert_array_equal(grid_anchors((13, 17), (100, 130), sizes, ratios).data, expected.numpy())


# ------------------------------------------------------------------------------ box coding


def random_boxes(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 100, size=(count, 2))
    return np.concatenate([corner, corner + rng.uniform(1, 60, size=(count, 2))], axis=1)


def test_encode_by_hand():
    anchor = [[0.0, 0.0, 10.0, 10.0]]  # centre (5, 5), size 10 x 10
    box = [[2.0, 4.0, 12.0, 24.0]]  # centre (7, 14), size 10 x 20
    np.testing.assert_allclose(BoxCoder().encode(box, anchor).data, [[0.2, 0.9, 0.0, math.log(2)]])
    np.testing.assert_allclose(
        BoxCoder((10, 10, 5, 5)).encode(box, anchor).data, [[2.0, 9.0, 0.0, 5 * math.log(2)]]
    )


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_decode_undoes_encode(weights):
    coder = BoxCoder(weights)
    boxes, anchors = random_boxes(20, seed=1), random_boxes(20, seed=2)
    np.testing.assert_allclose(coder.decode(coder.encode(boxes, anchors), anchors).data, boxes, rtol=1e-12)


def test_decode_caps_the_size_change():
    decoded = BoxCoder().decode([[0.0, 0.0, 100.0, 0.0]], [[0.0, 0.0, 16.0, 16.0]]).data
    np.testing.assert_allclose(decoded[0, 2] - decoded[0, 0], 1000.0)  # 16 * exp(log(1000 / 16))


def test_decode_gradient():
    codes = Tensor(np.random.default_rng(3).standard_normal((5, 4)), requires_grad=True)
    assert_gradcheck(lambda c: BoxCoder((10, 10, 5, 5)).decode(c, random_boxes(5, seed=4)), codes)


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_box_coder_matches_torchvision(torch, torchvision, weights):
    from torchvision.models.detection._utils import BoxCoder as TorchBoxCoder

    boxes, anchors = random_boxes(30, seed=5), random_boxes(30, seed=6)
    codes = np.random.default_rng(7).standard_normal((30, 4))
    theirs = TorchBoxCoder(weights)
    np.testing.assert_allclose(
        BoxCoder(weights).encode(boxes, anchors).data,
        theirs.encode_single(torch.tensor(boxes), torch.tensor(anchors)).numpy(),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        BoxCoder(weights).decode(codes, anchors).data,
        theirs.decode_single(torch.tensor(codes), torch.tensor(anchors)).numpy(),
        rtol=1e-12,
    )


# ------------------------------------------------------------------------------ matching

# rows: two ground-truth boxes; columns: five anchors
IOU = np.array([[0.9, 0.5, 0.1, 0.2, 0.0], [0.2, 0.4, 0.2, 0.6, 0.25]])


def test_matcher_labels_anchors_by_their_best_iou():
    # anchor 0: 0.9 with box 0; 1: 0.5, between; 2: 0.2, background; 3: 0.6, between; 4: 0.25, background
    assert Matcher(0.7, 0.3)(IOU).tolist() == [0, -2, -1, -2, -1]


def test_low_quality_matches_give_each_box_its_best_anchor():
    # box 1's best anchor is 3 (0.6, below 0.7): it becomes a positive for box 1
    assert Matcher(0.7, 0.3, allow_low_quality_matches=True)(IOU).tolist() == [0, -2, -1, 1, -1]


def test_a_low_quality_anchor_keeps_its_own_best_box():
    # anchor 0 is box 0's best (0.5), but its own best is box 1 (0.6): torchvision gives it box 1;
    # anchor 1's best, 0.3, is not below the low threshold: between
    assert Matcher(0.7, 0.3, True)([[0.5, 0.1], [0.6, 0.3]]).tolist() == [1, -2]


def test_matches_are_int64():
    assert Matcher()(IOU).dtype == np.int64


@pytest.mark.parametrize("low_quality", [False, True])
def test_matcher_matches_torchvision(torch, torchvision, low_quality):
    from torchvision.models.detection._utils import Matcher as TorchMatcher

    iou = np.random.default_rng(8).uniform(0, 0.9, size=(6, 50))
    expected = TorchMatcher(0.7, 0.3, low_quality)(torch.tensor(iou))
    np.testing.assert_array_equal(Matcher(0.7, 0.3, low_quality)(iou).data, expected.numpy())


# ------------------------------------------------------------------------------ bad input


def test_thresholds_in_the_wrong_order_are_refused():
    with pytest.raises(ValueError, match="Matcher: low_threshold 0.8 must not be above high_threshold 0.5"):
        Matcher(0.5, 0.8)


@pytest.mark.parametrize("shape, missing", [((0, 5), "ground-truth boxes"), ((2, 0), "anchors")])
def test_an_empty_matrix_is_refused(shape, missing):
    with pytest.raises(ValueError, match=f"Matcher: no {missing} to match"):
        Matcher()(np.zeros(shape))


def test_boxes_and_anchors_of_different_counts_are_refused():
    with pytest.raises(
        ValueError, match="BoxCoder.encode: boxes has 2 rows but anchors has 1; one per anchor"
    ):
        BoxCoder().encode(random_boxes(2, seed=0), random_boxes(1, seed=1))


def test_non_positive_weights_are_refused():
    with pytest.raises(ValueError, match="BoxCoder: weights must be four positive numbers"):
        BoxCoder((1.0, 1.0, 0.0, 1.0))


@pytest.mark.parametrize("sizes, ratios", [((), (1.0,)), ((32,), (-1.0,))])
def test_empty_or_negative_anchor_shapes_are_refused(sizes, ratios):
    with pytest.raises(ValueError, match="base_anchors: .* must be positive numbers"):
        base_anchors(sizes, ratios)


def test_a_feature_size_that_is_not_a_pair_is_refused():
    with pytest.raises(ValueError, match=r"grid_anchors: feature_size must be a \(height, width\) pair"):
        grid_anchors(7, (100, 100))
