"""YOLO v1's head (tinyconv/detection/yolo.py): targets in their cells by hand, each loss term worked by
hand, the loss's float64 gradient against central differences, decoding by hand and through NMS, and
the errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
from tinyconv.detection import mean_average_precision
from tinyconv.detection import yolo as yolo_module
from tinyconv.detection.yolo import (
    responsible_boxes,
    yolo_decode,
    yolo_loss,
    yolo_loss_terms,
    yolo_targets,
)
from tinyconv.gradcheck import relative_error


def one_image(boxes, labels) -> list:
    return [{"boxes": np.array(boxes, dtype=np.float32).reshape(-1, 4), "labels": np.array(labels)}]


# ------------------------------------------------------------------------------------ targets
def test_an_object_is_encoded_in_the_cell_of_its_centre():
    # 96 x 96, S = 6: cells of 16 pixels. Centre (30, 48): column 30 / 16 = 1.875 -> 1, row 48 / 16 = 3.
    target = yolo_targets(one_image([[20, 36, 40, 60]], [7]), grid_size=6, num_classes=10, image_size=96)
    encoded = target.numpy()
    assert encoded.shape == (1, 6, 6, 15) and encoded.dtype == np.float32
    expected = np.zeros(15)
    expected[:5] = (0.875, 0.0, 20 / 96, 24 / 96, 1)  # x, y in the cell; w, h of the image; an object
    expected[5 + 7] = 1  # class 7, one-hot
    np.testing.assert_allclose(encoded[0, 3, 1], expected, rtol=1e-6)
    encoded[0, 3, 1] = 0
    assert not encoded.any()  # every other cell is empty


def test_a_rectangular_image_has_cells_of_its_own_width_and_height():
    # (H, W) = (64, 128), S = 4: cells 32 wide and 16 high. Centre (110, 56): column 3.4375, row 3.5.
    encoded = yolo_targets(one_image([[100, 50, 120, 62]], [2]), 4, 3, image_size=(64, 128)).numpy()
    np.testing.assert_allclose(encoded[0, 3, 3], [0.4375, 0.5, 20 / 128, 12 / 64, 1, 0, 0, 1], rtol=1e-6)
    assert encoded[..., 4].sum() == 1


def test_a_centre_on_the_far_edge_belongs_to_the_last_cell():
    encoded = yolo_targets(one_image([[96, 0, 96, 32]], [0]), 6, 10, 96).numpy()
    np.testing.assert_allclose(encoded[0, 1, 5, :5], [1.0, 0.0, 0.0, 32 / 96, 1], rtol=1e-6)


def test_a_second_object_in_a_taken_cell_is_left_out_and_the_first_keeps_it():
    boxes = [[2, 2, 10, 10], [8, 8, 14, 14], [40, 40, 50, 50]]  # centres (6, 6) and (11, 11): cell (0, 0)
    encoded = yolo_targets(one_image(boxes, [1, 2, 3]), 6, 10, 96).numpy()
    assert encoded[..., 4].sum() == 2
    np.testing.assert_allclose(encoded[0, 0, 0, :4], [6 / 16, 6 / 16, 8 / 96, 8 / 96], rtol=1e-6)
    assert encoded[0, 0, 0, 5 + 1] == 1 and encoded[0, 0, 0, 5 + 2] == 0


def test_an_image_without_objects_has_an_empty_target():
    targets = one_image([], []) + one_image([[0, 0, 16, 16]], [4])
    encoded = yolo_targets(targets, 6, 10, 96).numpy()
    assert not encoded[0].any() and encoded[1, 0, 0, 4] == 1


# ------------------------------------------------------------------------------------ the loss
# One image, S = 2, B = 2, C = 2. The object: class 1, in cell (row 0, column 1), at x = y = 0.5 of the
# cell, w = h = 0.25 of the image: the box (0.625, 0.125, 0.875, 0.375) in fractions of the image.
def small_case() -> tuple:
    output = np.zeros((1, 2, 2, 12))
    # Box 0 of the object's cell: centre x = (1 + 0) / 2 = 0.5, so (0.375, 0.125, 0.625, 0.375): it only
    # touches the truth, IoU 0.
    output[0, 0, 1, 0:5] = (0.0, 0.5, 0.5, 0.5, 0.8)
    # Box 1: w = 0.25^2 = 0.0625, h = 0.25, centre (0.75, 0.375): (0.71875, 0.25, 0.78125, 0.5). It overlaps
    # the truth over 0.0625 x 0.125, so IoU = 0.0078125 / (0.015625 + 0.0625 - 0.0078125) = 1/9.
    output[0, 0, 1, 5:10] = (0.5, 0.75, 0.25, 0.5, 0.3)
    output[0, 0, 1, 10:12] = (0.1, 0.7)  # the cell's class probabilities
    output[0, 1, 0, [4, 9]] = (0.4, 0.2)  # confidences of an empty cell
    output[0, 1, 0, 10:12] = (0.9, 0.9)  # class probabilities of an empty cell: not in the loss
    target = np.zeros((1, 2, 2, 7))
    target[0, 0, 1] = (0.5, 0.5, 0.25, 0.25, 1, 0, 1)
    return output, target


def test_the_responsible_box_is_the_one_of_highest_iou_and_its_iou_is_the_confidence_target():
    output, target = small_case()
    responsible, iou = responsible_boxes(output[..., :10].reshape(1, 2, 2, 2, 5), target)
    expected = np.zeros((1, 2, 2, 2))
    expected[0, 0, 1, 1] = 1  # box 1 (IoU 1/9) beats box 0 (IoU 0)
    np.testing.assert_array_equal(responsible, expected)
    np.testing.assert_allclose(iou, expected / 9)


def test_each_loss_term_by_hand():
    output, target = small_case()
    terms = {name: term.item() for name, term in yolo_loss_terms(tinyconv.tensor(output), target).items()}
    assert terms["xy"] == pytest.approx(5 * ((0.5 - 0.5) ** 2 + (0.75 - 0.5) ** 2))  # λ_coord = 5
    assert terms["wh"] == pytest.approx(5 * ((0.25 - 0.5) ** 2 + (0.5 - 0.5) ** 2))  # √w against √0.25
    assert terms["confidence_object"] == pytest.approx((0.3 - 1 / 9) ** 2)
    # λ_noobj = 0.5 on box 0 of the object's cell and the two boxes of the empty cell
    assert terms["confidence_no_object"] == pytest.approx(0.5 * (0.8**2 + 0.4**2 + 0.2**2))
    # the classes of the object's cell only: the empty cell's 0.9s are not counted
    assert terms["classes"] == pytest.approx((0.1 - 0) ** 2 + (0.7 - 1) ** 2)
    total = yolo_loss(tinyconv.tensor(output), target).item()
    assert total == pytest.approx(0.3125 + 0.3125 + (0.3 - 1 / 9) ** 2 + 0.42 + 0.1)


def test_the_lambdas_scale_their_terms_only():
    output, target = small_case()
    default = yolo_loss_terms(tinyconv.tensor(output), target)
    changed = yolo_loss_terms(tinyconv.tensor(output), target, lambda_coord=1.0, lambda_noobj=1.0)
    assert changed["xy"].item() == pytest.approx(default["xy"].item() / 5)
    assert changed["wh"].item() == pytest.approx(default["wh"].item() / 5)
    assert changed["confidence_no_object"].item() == pytest.approx(default["confidence_no_object"].item() * 2)
    assert changed["classes"].item() == pytest.approx(default["classes"].item())


def test_the_loss_is_the_mean_over_the_batch_of_each_image_sum():
    output, target = small_case()
    alone = yolo_loss(tinyconv.tensor(output), target).item()
    # The same image beside an image without objects and with every output 0: that image's loss is 0.
    outputs, targets = np.concatenate([output, 0 * output]), np.concatenate([target, 0 * target])
    assert yolo_loss(tinyconv.tensor(outputs), targets).item() == pytest.approx(alone / 2)


def test_a_perfect_prediction_has_zero_loss():
    output, target = small_case()
    output[:] = 0
    output[0, 0, 1, 5:10] = (0.5, 0.5, 0.5, 0.5, 1.0)  # box 1 is the truth itself: IoU 1, confidence 1
    output[0, 0, 1, 10:12] = (0, 1)
    assert yolo_loss(tinyconv.tensor(output), target).item() == pytest.approx(0, abs=1e-12)


def gradient_case() -> tuple:
    """A float64 output (2 images, S = 3, B = 2, C = 3) and a target with objects in four cells."""
    rng = np.random.default_rng(0)
    output = rng.uniform(0.1, 0.9, size=(2, 3, 3, 13))
    target = np.zeros((2, 3, 3, 8))
    for n, i, j, label in [(0, 0, 0, 2), (0, 1, 2, 0), (1, 2, 1, 1), (1, 0, 2, 2)]:
        target[n, i, j, :5] = (*rng.uniform(0.1, 0.9, size=2), *rng.uniform(0.05, 0.6, size=2), 1)
        target[n, i, j, 5 + label] = 1
    return output, target


def test_loss_gradient_matches_central_differences_in_float64(monkeypatch):
    # Which box is responsible, and the IoU its confidence learns, are constants of the loss (the
    # module docstring): they are held at their values at the checked point, as a training step holds
    # them, so that the central differences see the same function that backward differentiates.
    output, target = gradient_case()
    fixed = responsible_boxes(output[..., :10].reshape(2, 3, 3, 2, 5), target)
    assert fixed[0].sum() == 4 and (fixed[1] > 0).sum() >= 1  # four objects, some overlap to learn
    monkeypatch.setattr(yolo_module, "responsible_boxes", lambda boxes, target: fixed)

    leaf = tinyconv.tensor(output, requires_grad=True)
    yolo_loss(leaf, target).backward()
    analytic = np.asarray(leaf.grad)
    numeric = np.zeros_like(output)
    eps = 1e-6
    for index in np.ndindex(output.shape):
        shifted = [output.copy(), output.copy()]
        shifted[0][index] += eps
        shifted[1][index] -= eps
        up, down = (yolo_loss(tinyconv.tensor(values), target).item() for values in shifted)
        numeric[index] = (up - down) / (2 * eps)
    # |a - n| / max(|a|, |n|, tiny): measured at most 4.4e-8 (a quadratic: central differences are exact
    # but for rounding)
    assert relative_error(analytic, numeric).max() < 1e-6
    assert np.abs(analytic).max() > 0.1  # the check saw real gradients


def test_the_iou_target_carries_no_gradient_into_the_box():
    output, target = small_case()
    leaf = tinyconv.tensor(output, requires_grad=True)
    yolo_loss_terms(leaf, target)["confidence_object"].backward()
    gradient = np.zeros_like(output)
    gradient[0, 0, 1, 9] = 2 * (0.3 - 1 / 9)  # d/dC (C - IoU)^2, on the responsible box's confidence only
    np.testing.assert_allclose(np.asarray(leaf.grad), gradient, atol=1e-12)


# ------------------------------------------------------------------------------------ decoding
def test_a_box_is_decoded_into_pixels_with_a_score_per_class_best_first():
    # 64 x 64, S = 2 (cells of 32), B = 1, C = 2. Cell (row 1, column 0): centre (0.5 * 32, (1 + 0.5) * 32)
    # = (16, 48), size 0.5^2 * 64 = 16: the box (8, 40, 24, 56).
    output = np.zeros((1, 2, 2, 7))
    output[0, 1, 0] = (0.5, 0.5, 0.5, 0.5, 0.9, 0.2, 0.8)
    (detections,) = yolo_decode(output, num_boxes=1, image_size=64, score_threshold=0.1)
    np.testing.assert_allclose(detections["boxes"].numpy(), [[8, 40, 24, 56], [8, 40, 24, 56]])
    np.testing.assert_allclose(detections["scores"].numpy(), [0.9 * 0.8, 0.9 * 0.2], rtol=1e-6)
    assert detections["labels"].tolist() == [1, 0]  # other classes never suppress each other
    assert detections["boxes"].dtype == np.float32 and detections["labels"].dtype == np.int64


def test_decoding_suppresses_overlapping_boxes_of_a_class_and_keeps_the_best():
    # Two boxes of class 0 in neighbouring cells on nearly the same spot, and one of class 1 there too.
    output = np.zeros((1, 2, 2, 2 * 5 + 2))
    output[0, 0, 0, :10] = (0.9, 0.5, 0.6, 0.6, 0.9, 0, 0, 0, 0, 0)
    output[0, 0, 0, 10:] = (1, 0)
    output[0, 0, 1, :10] = (0.1, 0.5, 0.6, 0.6, 0.7, 0.1, 0.5, 0.6, 0.6, 0.6)
    output[0, 0, 1, 10:] = (0.5, 0.5)
    (detections,) = yolo_decode(output, 2, 64, score_threshold=0.2, iou_threshold=0.5)
    # class 0: 0.9 (cell (0, 0)) suppresses 0.35 and 0.3 (cell (0, 1)), which lie on it
    # class 1: 0.35 suppresses 0.3
    np.testing.assert_allclose(detections["scores"].numpy(), [0.9, 0.35], rtol=1e-6)
    assert detections["labels"].tolist() == [0, 1]


def test_decoding_clips_boxes_to_the_image_and_scores_only_from_zero_to_one():
    output = np.zeros((1, 1, 1, 7))
    output[0, 0, 0] = (0.9, 0.1, 1.0, 1.0, 1.3, 1.2, -0.5)  # a box as large as the image, moved right
    (detections,) = yolo_decode(output, 1, 32, score_threshold=0.5)
    np.testing.assert_allclose(detections["boxes"].numpy(), [[12.8, 0, 32, 19.2]], rtol=1e-6)
    np.testing.assert_allclose(detections["scores"].numpy(), [1.0])  # 1.3 * 1.2 clipped to 1 * 1
    output[0, 0, 0, 4:] = (-0.8, -0.9, -0.9)  # two negatives would make a positive score
    assert len(yolo_decode(output, 1, 32, score_threshold=0.0)[0]["scores"]) == 0


def test_decoding_drops_a_box_that_lies_outside_the_image():
    output = np.zeros((1, 1, 1, 6))
    output[0, 0, 0] = (3.0, 0.5, 0.5, 0.5, 1.0, 1.0)  # centred at x = 3 images to the right
    assert len(yolo_decode(output, 1, 32, score_threshold=0.5)[0]["boxes"]) == 0
    output[0, 0, 0, 0] = 0.5
    assert len(yolo_decode(output, 1, 32, score_threshold=0.5)[0]["boxes"]) == 1


def test_decoding_keeps_the_best_max_detections_above_a_strict_threshold():
    output = np.zeros((1, 4, 4, 6))
    output[0, :, :, :4] = (0.5, 0.5, 0.2, 0.2)  # sixteen small boxes that do not overlap
    output[0, :, :, 4] = np.arange(16).reshape(4, 4) / 20  # confidences 0, 0.05, ..., 0.75
    output[0, :, :, 5] = 1
    (detections,) = yolo_decode(output, 1, 64, score_threshold=0.5, max_detections=3)
    np.testing.assert_allclose(detections["scores"].numpy(), [0.75, 0.7, 0.65], rtol=1e-6)
    (detections,) = yolo_decode(output, 1, 64, score_threshold=0.5)
    assert len(detections["scores"]) == 5  # 0.55 ... 0.75: 0.5 itself is not above 0.5


def test_the_targets_written_as_a_perfect_output_decode_to_the_boxes_and_score_map_one():
    targets = one_image([[20, 36, 40, 60], [60, 4, 90, 30], [2, 70, 30, 94]], [7, 3, 3])
    encoded = yolo_targets(targets, 6, 10, 96).numpy()
    output = np.zeros((1, 6, 6, 2 * 5 + 10))
    output[..., :4] = encoded[..., :4] ** [1, 1, 0.5, 0.5]  # the network predicts √w and √h
    output[..., 4] = encoded[..., 4]
    output[..., 10:] = encoded[..., 5:]
    detections = yolo_decode(output, 2, 96, score_threshold=0.5)
    boxes = detections[0]["boxes"].numpy()
    np.testing.assert_allclose(boxes[np.argsort(boxes[:, 0])], targets[0]["boxes"][[2, 0, 1]], atol=1e-4)
    assert mean_average_precision(detections, targets)[0] == 1.0


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "target, message",
    [
        ({"boxes": np.zeros((1, 4))}, "has no 'labels'"),
        ({"labels": np.zeros(1, dtype=int)}, "has no 'boxes'"),
        ({"boxes": [[10, 0, 5, 4]], "labels": [1]}, r"x2 < x1 or y2 < y1"),
        ({"boxes": [[0, 0, 5, 4]], "labels": [10]}, r"labels'\] must be in 0..9"),
        ({"boxes": [[0, 0, 5, 4]], "labels": [0, 1]}, r"must be \(1,\) integers"),
        ({"boxes": np.zeros((1, 5)), "labels": [0]}, r"must be \(n, 4\) xyxy boxes"),
        ({"boxes": [[100, 0, 110, 4]], "labels": [0]}, "centre outside the 96x96 image"),
    ],
)
def test_yolo_targets_refuses_bad_targets(target, message):
    with pytest.raises(ValueError, match=message):
        yolo_targets([target], 6, 10, 96)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((0, 10, 96), "grid_size must be a positive int, got 0"),
        ((6, 0, 96), "num_classes must be a positive int"),
        ((6, 10, (96, 0)), "image_size must be a positive int or an"),
        ((2.5, 10, 96), "grid_size must be a positive int, got 2.5"),
    ],
)
def test_yolo_targets_refuses_a_bad_grid(arguments, message):
    with pytest.raises(ValueError, match=message):
        yolo_targets(one_image([], []), *arguments)


def test_yolo_targets_wants_a_list_of_dicts():
    with pytest.raises(TypeError, match="one dict per image"):
        yolo_targets({"boxes": [], "labels": []}, 6, 10, 96)


@pytest.mark.parametrize(
    "output_shape, target_shape",
    [
        ((1, 2, 2, 12), (1, 2, 2, 8)),  # 12 - 3 = 9 is not B * 5
        ((1, 2, 2, 12), (1, 3, 3, 7)),  # another grid
        ((2, 2, 2, 12), (1, 2, 2, 7)),  # another batch
        ((1, 2, 2, 6), (1, 2, 2, 7)),  # B = 0.8
        ((1, 2, 3, 12), (1, 2, 3, 7)),  # not square
    ],
)
def test_yolo_loss_refuses_an_output_and_target_that_do_not_fit(output_shape, target_shape):
    with pytest.raises(ValueError, match="yolo_loss: "):
        yolo_loss(tinyconv.zeros(*output_shape), np.zeros(target_shape))


def test_yolo_decode_refuses_an_output_too_small_for_its_boxes_and_bad_settings():
    with pytest.raises(ValueError, match=r"B = num_boxes = 2 and C >= 1, got shape \(1, 2, 2, 10\)"):
        yolo_decode(np.zeros((1, 2, 2, 10)), 2, 64)
    with pytest.raises(ValueError, match="num_boxes must be a positive int"):
        yolo_decode(np.zeros((1, 2, 2, 10)), 0, 64)
    with pytest.raises(ValueError, match="max_detections must be a positive int"):
        yolo_decode(np.zeros((1, 2, 2, 10)), 1, 64, max_detections=0)
