"""Boxes and how much two of them overlap: box_convert, box_area, box_iou, generalized_box_iou, as
torchvision.ops.

A box is a row of four numbers in one of three formats (torchvision's names):
    "xyxy"     (x1, y1, x2, y2)   the top-left and bottom-right corners; what every function here takes
    "xywh"     (x1, y1, w, h)     the top-left corner and the size (COCO's annotation files)
    "cxcywh"   (cx, cy, w, h)     the centre and the size (what YOLO and DETR predict)
in pixels, with x to the right and y down. A box's area is (x2 - x1) * (y2 - y1): a box from 0 to 2
covers two pixels' width, not three (contrast RoI pooling's whole-pixel rule in functional/roi.py).

Intersection over union, for boxes A and B:
    IoU(A, B) = area(A ∩ B) / area(A ∪ B) = inter / (area(A) + area(B) - inter)        in [0, 1]
where A ∩ B runs from the larger top-left corner to the smaller bottom-right one (empty, inter = 0, when
they cross). Generalized IoU (Rezatofighi et al. 2019) also scores boxes that do not touch, by how much of
their smallest enclosing box C is empty:
    GIoU(A, B) = IoU(A, B) - (area(C) - area(A ∪ B)) / area(C)                        in (-1, 1]
so that 1 - GIoU is a loss with a gradient even between disjoint boxes, where 1 - IoU is flat.

These functions take and return Tensors and are built from tensor operations (indexing, maximum,
minimum, clamp, arithmetic), so autograd differentiates them, as torchvision's are differentiated:
a GIoU loss on predicted boxes trains. An array or a nested list is accepted too, as a constant.
"""

from __future__ import annotations

from tinyconv.ops.join import stack
from tinyconv.tensor import Tensor

FORMATS = ("xyxy", "xywh", "cxcywh")


def as_boxes(op: str, boxes, name: str = "boxes") -> Tensor:
    """`boxes` as an (N, 4) floating-point Tensor (arrays and lists become a constant one), checked."""
    if not isinstance(boxes, Tensor):
        boxes = Tensor(boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{op}: {name} must be an (N, 4) array of boxes, got shape {boxes.shape}")
    if boxes.dtype.kind != "f":
        boxes = boxes.float()  # whole-pixel boxes: IoU is a fraction, float32 as torch's true division
    return boxes


def check_corners(op: str, boxes: Tensor, name: str = "boxes") -> None:
    """Refuse xyxy boxes whose corners cross (x2 < x1 or y2 < y1), naming the first such box."""
    data = boxes.data
    crossed = (data[:, 2] < data[:, 0]) | (data[:, 3] < data[:, 1])
    if crossed.any():
        k = int(crossed.argmax())
        raise ValueError(
            f"{op}: {name}[{k}] = {data[k].tolist()} has x2 < x1 or y2 < y1; boxes are (x1, y1, x2, y2) "
            "with the top-left corner first (box_convert turns (x, y, w, h) and (cx, cy, w, h) into it)"
        )


def xyxy_boxes(op: str, boxes, name: str = "boxes") -> Tensor:
    """An (N, 4) Tensor of xyxy boxes with x1 <= x2 and y1 <= y2, or a clear error."""
    boxes = as_boxes(op, boxes, name)
    check_corners(op, boxes, name)
    return boxes


def box_convert(boxes, in_fmt: str, out_fmt: str) -> Tensor:
    """(N, 4) boxes from one format to another ("xyxy", "xywh", "cxcywh"), as torchvision.ops.box_convert.

    Through xyxy:  x2 = x1 + w,  x1 = cx - w / 2,  x2 = cx + w / 2;  and back:  w = x2 - x1,
    cx = (x1 + x2) / 2. Differentiable.
    """
    for name, fmt in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if fmt not in FORMATS:
            raise ValueError(f"box_convert: {name} must be one of {FORMATS}, got {fmt!r}")
    boxes = as_boxes("box_convert", boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":  # (x1, y1, w, h)
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":  # (cx, cy, w, h)
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    # (a, b, c, d) is (x1, y1, x2, y2) now
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return stack([a, b, c, d], dim=-1)


def box_area(boxes) -> Tensor:
    """(N,) areas (x2 - x1) * (y2 - y1) of (N, 4) xyxy boxes. Differentiable."""
    boxes = xyxy_boxes("box_area", boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def intersection_and_union(boxes1: Tensor, boxes2: Tensor) -> tuple:
    """(inter, union), both (N, M): for every pair (box i of boxes1, box j of boxes2)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    top_left = boxes1[:, None, :2].maximum(boxes2[None, :, :2])  # (N, M, 2)
    bottom_right = boxes1[:, None, 2:].minimum(boxes2[None, :, 2:])
    size = (bottom_right - top_left).clamp(min=0)  # crossed corners: no intersection
    inter = size[..., 0] * size[..., 1]
    return inter, area1[:, None] + area2[None, :] - inter


def box_iou(boxes1, boxes2) -> Tensor:
    """(N, M) IoU of every box of boxes1 (N, 4) with every box of boxes2 (M, 4), xyxy. Differentiable.

    Two boxes of zero area give 0 / 0 = NaN, as in torchvision.
    """
    boxes1, boxes2 = xyxy_boxes("box_iou", boxes1, "boxes1"), xyxy_boxes("box_iou", boxes2, "boxes2")
    inter, union = intersection_and_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1, boxes2) -> Tensor:
    """(N, M) generalized IoU of every pair, xyxy: IoU - (area(C) - union) / area(C), with C the smallest
    box enclosing both. Differentiable; 1 - GIoU is DETR's and torchvision's GIoU loss."""
    op = "generalized_box_iou"
    boxes1, boxes2 = xyxy_boxes(op, boxes1, "boxes1"), xyxy_boxes(op, boxes2, "boxes2")
    inter, union = intersection_and_union(boxes1, boxes2)
    top_left = boxes1[:, None, :2].minimum(boxes2[None, :, :2])
    bottom_right = boxes1[:, None, 2:].maximum(boxes2[None, :, 2:])
    size = (bottom_right - top_left).clamp(min=0)
    enclosing = size[..., 0] * size[..., 1]
    return inter / union - (enclosing - union) / enclosing
