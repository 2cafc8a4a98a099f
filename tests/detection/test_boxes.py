"""Boxes (tinyconv/detection/boxes.py): the formats, areas, IoU and generalized IoU by hand and against a
pair-by-pair loop written here, float64 gradient checks (a GIoU loss trains), torchvision.ops on random
boxes, and the bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.op_checks import assert_gradcheck

from tinyconv import Tensor
from tinyconv.detection import box_area, box_convert, box_iou, generalized_box_iou


def random_boxes(count: int, seed: int) -> np.ndarray:
    """(count, 4) xyxy boxes in a 60 x 60 image, sizes 1 to 30: overlapping, disjoint and nested ones."""
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 40, size=(count, 2))
    return np.concatenate([corner, corner + rng.uniform(1, 30, size=(count, 2))], axis=1)


def looped_iou(a, b, generalized: bool = False) -> np.ndarray:
    """IoU (or GIoU) of every pair, one pair at a time, from the definitions."""
    result = np.zeros((len(a), len(b)))
    for i, (ax1, ay1, ax2, ay2) in enumerate(a):
        for j, (bx1, by1, bx2, by2) in enumerate(b):
            inter = max(0.0, min(ax2, bx2) - max(ax1, bx1)) * max(0.0, min(ay2, by2) - max(ay1, by1))
            union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
            result[i, j] = inter / union
            if generalized:
                hull = (max(ax2, bx2) - min(ax1, bx1)) * (max(ay2, by2) - min(ay1, by1))
                result[i, j] -= (hull - union) / hull
    return result


# ------------------------------------------------------------------------------ by hand


def test_box_convert_between_the_three_formats():
    xyxy = np.array([[1.0, 2.0, 5.0, 8.0]])
    np.testing.assert_array_equal(box_convert(xyxy, "xyxy", "xywh").data, [[1, 2, 4, 6]])
    np.testing.assert_array_equal(box_convert(xyxy, "xyxy", "cxcywh").data, [[3, 5, 4, 6]])
    np.testing.assert_array_equal(box_convert([[3.0, 5, 4, 6]], "cxcywh", "xywh").data, [[1, 2, 4, 6]])
    np.testing.assert_array_equal(box_convert([[1.0, 2, 4, 6]], "xywh", "xyxy").data, xyxy)


def test_box_convert_to_the_same_format_is_a_copy():
    boxes = Tensor(np.array([[1.0, 2.0, 5.0, 8.0]]))
    converted = box_convert(boxes, "xywh", "xywh")
    converted.data[0, 0] = 9.0
    assert boxes.data[0, 0] == 1.0


def test_box_area_is_width_times_height():
    np.testing.assert_array_equal(box_area([[0.0, 0, 2, 3], [1, 1, 1, 5]]).data, [6.0, 0.0])


def test_box_iou_by_hand():
    a = [[0.0, 0.0, 2.0, 2.0]]
    b = [[1.0, 1.0, 3.0, 3.0], [2.0, 0.0, 4.0, 2.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]]
    # overlap 1 of union 4 + 4 - 1 = 7; touching along an edge; the same box; far away
    np.testing.assert_allclose(box_iou(a, b).data, [[1 / 7, 0.0, 1.0, 0.0]])


def test_generalized_iou_of_disjoint_boxes_counts_the_empty_part_of_their_hull():
    a, b = [[0.0, 0.0, 1.0, 1.0]], [[2.0, 0.0, 3.0, 1.0], [0.0, 0.0, 1.0, 1.0]]
    # hull (0, 0, 3, 1) of area 3, union 2: 0 - (3 - 2) / 3; the same box: 1
    np.testing.assert_allclose(generalized_box_iou(a, b).data, [[-1 / 3, 1.0]])


def test_integer_boxes_give_float32_fractions():
    iou = box_iou(np.array([[0, 0, 2, 2]]), np.array([[1, 1, 3, 3]]))
    assert iou.dtype == np.float32 and np.isclose(iou.item(), 1 / 7)


def test_iou_of_random_boxes_matches_the_pair_by_pair_loop():
    a, b = random_boxes(7, seed=1), random_boxes(9, seed=2)
    np.testing.assert_allclose(box_iou(a, b).data, looped_iou(a, b), rtol=1e-12)
    np.testing.assert_allclose(generalized_box_iou(a, b).data, looped_iou(a, b, True), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------------------ gradients and torchvision


def leaf_boxes(count: int, seed: int) -> Tensor:
    return Tensor(random_boxes(count, seed), requires_grad=True)


# name -> (function of the boxes, the sets of boxes it takes); the GPU checks run the same cases
GRADCHECK_CASES = {
    "box_iou": (box_iou, 2),
    "generalized_box_iou": (generalized_box_iou, 2),
    "box_convert xyxy to cxcywh": (lambda boxes: box_convert(boxes, "xyxy", "cxcywh"), 1),
    "box_convert cxcywh to xywh": (lambda boxes: box_convert(boxes, "cxcywh", "xywh"), 1),
    "box_convert xywh to xyxy": (lambda boxes: box_convert(boxes, "xywh", "xyxy"), 1),
}


def gradcheck_case(name: str) -> tuple:
    """(fn, inputs) for one GRADCHECK_CASES entry: 5 and 4 random boxes, no two edges equal."""
    function, count = GRADCHECK_CASES[name]
    return function, [leaf_boxes(5, seed=3), leaf_boxes(4, seed=4)][:count]


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_box_gradient(name):
    function, inputs = gradcheck_case(name)
    assert_gradcheck(function, *inputs)


def test_a_giou_loss_moves_a_box_towards_its_target():
    predicted = Tensor(np.array([[0.0, 0.0, 4.0, 4.0]]), requires_grad=True)
    target = [[10.0, 0.0, 14.0, 4.0]]  # disjoint: IoU is 0 and flat, GIoU is not
    (1 - generalized_box_iou(predicted, target)).sum().backward()
    assert predicted.grad[0, 2] < 0  # a gradient step moves the right edge to the right


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["box_iou", "generalized_box_iou", "box_area"])
def test_box_functions_match_torchvision(torch, torchvision, name, dtype):
    a, b = random_boxes(12, seed=6).astype(dtype), random_boxes(10, seed=7).astype(dtype)
    ours, theirs = Tensor(a.copy(), requires_grad=True), torch.tensor(a, requires_grad=True)
    arguments, torch_arguments = (
        ([ours, b], [theirs, torch.tensor(b)]) if name != "box_area" else ([ours], [theirs])
    )
    out = {"box_iou": box_iou, "generalized_box_iou": generalized_box_iou, "box_area": box_area}[name](
        *arguments
    )
    torch_out = getattr(torchvision.ops, name)(*torch_arguments)
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=tolerance, atol=tolerance)
    upstream = np.random.default_rng(8).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize(
    "formats", [(a, b) for a in ("xyxy", "xywh", "cxcywh") for b in ("xyxy", "xywh", "cxcywh")]
)
def test_box_convert_matches_torchvision(torch, torchvision, formats):
    boxes = random_boxes(10, seed=9)
    np.testing.assert_allclose(
        box_convert(boxes, *formats).data, torchvision.ops.box_convert(torch.tensor(boxes), *formats).numpy()
    )


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("function", [box_area, lambda b: box_iou(b, b), lambda b: generalized_box_iou(b, b)])
def test_crossed_corners_are_refused(function):
    with pytest.raises(ValueError, match=r"boxes\w*\[1\] = \[4.0, 0.0, 3.0, 1.0\] has x2 < x1 or y2 < y1"):
        function([[0.0, 0.0, 1.0, 1.0], [4.0, 0.0, 3.0, 1.0]])


def test_boxes_of_the_wrong_width_are_refused():
    with pytest.raises(
        ValueError, match=r"box_iou: boxes2 must be an \(N, 4\) array of boxes, got shape \(2, 5\)"
    ):
        box_iou(np.zeros((1, 4)), np.zeros((2, 5)))


def test_an_unknown_format_is_refused():
    with pytest.raises(
        ValueError, match=r"box_convert: out_fmt must be one of \('xyxy', 'xywh', 'cxcywh'\), got 'yxyx'"
    ):
        box_convert(np.zeros((1, 4)), "xyxy", "yxyx")
