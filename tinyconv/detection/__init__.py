"""Object detection's building blocks, as torchvision.ops and torchvision.models.detection name them.

    boxes.py     box_convert, box_area, box_iou, generalized_box_iou (Tensors in and out, differentiable)
    nms.py       nms, batched_nms: greedy non-maximum suppression (indices, int64 Tensors)
    anchors.py   base_anchors, grid_anchors (Faster R-CNN's 9 anchors per position), BoxCoder
                 (t_x, t_y, t_w, t_h), Matcher (IoU thresholds 0.7 / 0.3)
    metrics.py   mean_average_precision: COCO-style AP at one IoU threshold, per class and averaged
    yolo.py      yolo_targets, yolo_loss_terms, yolo_loss, yolo_decode: YOLO v1's S x S x (B * 5 + C)
                 tensor, its loss term by term, and boxes read back from it (the network: models/yolo.py)
and roi_pool, roi_align from tinyconv/functional/roi.py (RoI pooling and RoIAlign, differentiable).
docs/detection.md walks through them.
"""

from tinyconv.detection.anchors import BoxCoder, Matcher, base_anchors, grid_anchors
from tinyconv.detection.boxes import box_area, box_convert, box_iou, generalized_box_iou
from tinyconv.detection.metrics import mean_average_precision
from tinyconv.detection.nms import batched_nms, nms
from tinyconv.detection.yolo import yolo_decode, yolo_loss, yolo_loss_terms, yolo_targets
from tinyconv.functional.roi import roi_align, roi_pool

__all__ = [
    "box_convert",
    "box_area",
    "box_iou",
    "generalized_box_iou",
    "nms",
    "batched_nms",
    "base_anchors",
    "grid_anchors",
    "BoxCoder",
    "Matcher",
    "mean_average_precision",
    "roi_pool",
    "roi_align",
    "yolo_targets",
    "yolo_loss_terms",
    "yolo_loss",
    "yolo_decode",
]
