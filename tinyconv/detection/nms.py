"""Non-maximum suppression: keep the best of each cluster of overlapping boxes, as torchvision.ops.nms
and torchvision.ops.batched_nms.

A detector fires several boxes on one object (neighbouring anchors, neighbouring grid cells). Greedy NMS:
    1. sort the boxes by score, highest first;
    2. keep the best box still in the list, and drop every later box whose IoU with it is above the
       threshold (strictly: an IoU equal to the threshold survives);
    3. repeat with the next box that was not dropped.
The result is the kept boxes' indices, in decreasing order of score. Boxes of equal score keep their
input order (a stable sort, as torchvision's). Two boxes of zero area have IoU 0 / 0 = NaN, which is
not above any threshold, so neither suppresses the other.

`batched_nms` runs NMS within each class (or image, or any group named by `idxs`): boxes of different
classes never suppress each other, so a dog and a person standing on the same spot are both kept.

Indices are not differentiable: these return int64 Tensors and record no graph.
"""

from __future__ import annotations

from tinyconv.backend import get_array_module
from tinyconv.checks import check_real
from tinyconv.detection.boxes import box_iou, xyxy_boxes
from tinyconv.tensor import Tensor


def vector_of(op: str, name: str, values, length: int):
    """`values` (a Tensor, an array or a list) as a 1-D array of `length` entries, or a clear error."""
    data = values.data if isinstance(values, Tensor) else Tensor(values).data
    if data.ndim != 1 or len(data) != length:
        raise ValueError(
            f"{op}: {name} must hold one entry per box, shape ({length},), got shape {tuple(data.shape)}"
        )
    return data


def best_first(scores) -> list:
    """The indices that sort `scores` from highest to lowest; equal scores keep their order (Python's sort
    is stable, as torchvision's is here)."""
    values = scores.tolist()
    return sorted(range(len(values)), key=lambda i: -values[i])


def nms(boxes, scores, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression of (N, 4) xyxy boxes with (N,) scores: the kept boxes' indices,
    an int64 Tensor in decreasing order of score (see the module docstring).

    The IoU of every pair is computed once, with box_iou, as an (N, N) matrix: N of a few thousand at
    most, as after a detector's score threshold, is what this is for.
    """
    op = "nms"
    boxes = xyxy_boxes(op, boxes).detach()
    scores = vector_of(op, "scores", scores, len(boxes))
    iou_threshold = check_real(op, "iou_threshold", iou_threshold)
    xp = get_array_module(scores)
    order = xp.asarray(best_first(scores), dtype=xp.int64)
    iou = box_iou(boxes[order], boxes[order]).data  # iou[i, j]: the i-th and j-th best boxes
    suppressed = xp.zeros(len(order), dtype=bool)
    kept = []
    for i in range(len(order)):
        if not suppressed[i]:
            kept.append(i)
            suppressed[i + 1 :] |= iou[i, i + 1 :] > iou_threshold
    return Tensor(order[xp.asarray(kept, dtype=xp.int64)])


def batched_nms(boxes, scores, idxs, iou_threshold: float) -> Tensor:
    """NMS within each group of (N,) integer `idxs` (class labels, say), never across groups: the kept
    boxes' indices, an int64 Tensor in decreasing order of score."""
    op = "batched_nms"
    boxes = xyxy_boxes(op, boxes).detach()
    scores = vector_of(op, "scores", scores, len(boxes))
    idxs = vector_of(op, "idxs", idxs, len(boxes))
    if idxs.dtype.kind not in "iu":
        raise TypeError(f"{op}: idxs must hold integers (a class or group per box), got dtype {idxs.dtype}")
    xp = get_array_module(scores)
    kept = [xp.zeros(0, dtype=xp.int64)]
    for group in xp.unique(idxs).tolist():
        members = xp.nonzero(idxs == group)[0]
        kept.append(members[nms(boxes[members], scores[members], iou_threshold).data])
    kept = xp.concatenate(kept)
    return Tensor(kept[xp.asarray(best_first(scores[kept]), dtype=xp.int64)])
