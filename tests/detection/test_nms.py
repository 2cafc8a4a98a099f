"""Non-maximum suppression (tinyconv/detection/nms.py): suppression worked by hand (the threshold is strict,
suppression is not transitive, equal scores keep their order), a greedy loop written here on random boxes,
torchvision.ops.nms and batched_nms, and the bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinyconv import Tensor
from tinyconv.detection import batched_nms, nms


def random_detections(count: int, seed: int) -> tuple:
    """(boxes (count, 4) xyxy, scores (count,)) crowded into a 50 x 50 image, so that many overlap."""
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 40, size=(count, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(2, 20, size=(count, 2))], axis=1)
    return boxes, rng.random(count)


def greedy_reference(boxes, scores, threshold) -> list:
    """The textbook loop: keep the best remaining box, drop those overlapping it more than the threshold."""
    remaining = sorted(range(len(boxes)), key=lambda i: -scores[i])
    kept = []
    while remaining:
        best = remaining.pop(0)
        kept.append(best)
        x1, y1, x2, y2 = boxes[best]
        survivors = []
        for i in remaining:
            a1, b1, a2, b2 = boxes[i]
            inter = max(0.0, min(x2, a2) - max(x1, a1)) * max(0.0, min(y2, b2) - max(y1, b1))
            if inter / ((x2 - x1) * (y2 - y1) + (a2 - a1) * (b2 - b1) - inter) <= threshold:
                survivors.append(i)
        remaining = survivors
    return kept


# ------------------------------------------------------------------------------ by hand


def test_nms_keeps_the_best_of_overlapping_boxes_in_order_of_score():
    boxes = [[20.0, 20, 30, 30], [0, 0, 10, 10], [1, 1, 11, 11]]  # the last two overlap: IoU 81 / 119 = 0.68
    scores = [0.7, 0.9, 0.8]
    kept = nms(boxes, scores, 0.5)
    assert kept.dtype == np.int64 and kept.tolist() == [1, 0]
    assert nms(boxes, scores, 0.7).tolist() == [1, 2, 0]


def test_an_iou_equal_to_the_threshold_does_not_suppress():
    boxes, scores = [[0.0, 0, 2, 1], [1, 0, 3, 1]], [0.9, 0.8]  # IoU 1 / 3
    assert nms(boxes, scores, 1 / 3).tolist() == [0, 1]
    assert nms(boxes, scores, 0.3).tolist() == [0]


def test_a_suppressed_box_suppresses_nothing():
    # IoU(A, B) = IoU(B, C) = 70 / 130, IoU(A, C) = 40 / 160: A drops B, and C, which only B overlapped, stays
    boxes = [[0.0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10]]
    assert nms(boxes, [0.9, 0.8, 0.7], 0.5).tolist() == [0, 2]


def test_equal_scores_keep_their_input_order():
    boxes = [[0.0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]]
    assert nms(boxes, [0.5, 0.5, 0.5], 0.5).tolist() == [0]
    assert nms(boxes, [0.5, 0.5, 0.5], 1.0).tolist() == [0, 1, 2]


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")  # NumPy's word on 0 / 0
def test_boxes_of_zero_area_never_suppress_each_other():
    assert nms([[1.0, 1, 1, 1], [1, 1, 1, 1]], [0.9, 0.8], 0.0).tolist() == [0, 1]  # IoU 0 / 0


def test_no_boxes_keep_nothing():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


def test_batched_nms_never_suppresses_across_classes():
    boxes = [[0.0, 0, 10, 10], [1, 1, 11, 11], [1, 1, 11, 11]]
    assert batched_nms(boxes, [0.9, 0.8, 0.7], [0, 1, 0], 0.5).tolist() == [0, 1]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_nms_of_random_boxes_matches_the_greedy_loop(threshold):
    boxes, scores = random_detections(60, seed=1)
    assert nms(boxes, scores, threshold).tolist() == greedy_reference(boxes, scores, threshold)


def test_batched_nms_of_random_boxes_is_nms_per_class_then_sorted_by_score():
    boxes, scores = random_detections(60, seed=2)
    classes = np.random.default_rng(3).integers(0, 4, 60)
    expected = []
    for c in range(4):
        members = np.nonzero(classes == c)[0]
        expected += members[greedy_reference(boxes[members], scores[members], 0.4)].tolist()
    expected.sort(key=lambda i: -scores[i])
    assert batched_nms(Tensor(boxes), Tensor(scores), Tensor(classes), 0.4).tolist() == expected


# ------------------------------------------------------------------------------ torchvision


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_nms_matches_torchvision(torch, torchvision, threshold, dtype):
    boxes, scores = (a.astype(dtype) for a in random_detections(200, seed=4))
    expected = torchvision.ops.nms(torch.tensor(boxes), torch.tensor(scores), threshold)
    np.testing.assert_array_equal(nms(boxes, scores, threshold).data, expected.numpy())


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_batched_nms_matches_torchvision(torch, torchvision, threshold):
    boxes, scores = random_detections(200, seed=5)
    classes = np.random.default_rng(6).integers(0, 5, 200)
    expected = torchvision.ops.batched_nms(*(torch.tensor(a) for a in (boxes, scores, classes)), threshold)
    np.testing.assert_array_equal(batched_nms(boxes, scores, classes, threshold).data, expected.numpy())


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call", [nms, lambda b, s, t: batched_nms(b, s, [0, 0], t)], ids=["nms", "batched_nms"]
)
def test_scores_of_another_length_are_refused(call):
    with pytest.raises(
        ValueError, match=r"scores must hold one entry per box, shape \(2,\), got shape \(3,\)"
    ):
        call([[0.0, 0, 1, 1], [0, 0, 2, 2]], [0.1, 0.2, 0.3], 0.5)


def test_classes_of_another_length_are_refused():
    with pytest.raises(ValueError, match=r"batched_nms: idxs must hold one entry per box, shape \(1,\)"):
        batched_nms([[0.0, 0, 1, 1]], [0.5], [0, 1], 0.5)


def test_fractional_classes_are_refused():
    with pytest.raises(TypeError, match="batched_nms: idxs must hold integers"):
        batched_nms([[0.0, 0, 1, 1]], [0.5], [0.5], 0.5)


def test_crossed_corners_are_refused():
    with pytest.raises(ValueError, match=r"nms: boxes\[0\] = \[2.0, 0.0, 1.0, 1.0\] has x2 < x1 or y2 < y1"):
        nms([[2.0, 0, 1, 1]], [0.5], 0.5)
