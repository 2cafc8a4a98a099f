"""Faster R-CNN's vocabulary: anchors, box coding and matching, as torchvision's AnchorGenerator, BoxCoder
and Matcher (torchvision.models.detection).

Anchors. A region proposal network does not predict boxes from nothing: at every position of its
feature map it starts from A reference boxes, the anchors, and predicts for each an objectness score
and a correction. With 3 sizes (the square root of the area: 128, 256, 512 pixels) and 3 aspect ratios
(height / width: 0.5, 1, 2), A = 9, the Faster R-CNN paper's nine. An anchor of size s and ratio r has
    w = s / sqrt(r),   h = s * sqrt(r)            (area s^2, h / w = r)
torchvision's conventions, followed here: the base anchors are centred on (0, 0) and rounded to whole
pixels (with round-half-to-even, torch.round's rule); they are listed ratio by ratio, each ratio with
every size; the anchors of feature-map position (i, j) are the base anchors shifted by
(j * stride_x, i * stride_y), the top-left corner of that position's cell in the image, not its
centre, with stride = image size // feature-map size; positions run row by row, each with its A anchors.

Box coding (the notes' "4 box-regression parameters"). A box (x, y, w, h) (centre and size) is
described relative to an anchor (x_a, y_a, w_a, h_a) by
    t_x = (x - x_a) / w_a,   t_y = (y - y_a) / h_a,   t_w = log(w / w_a),   t_h = log(h / h_a)
which is the same for a big and a small object shifted by the same fraction of its size, and keeps the
decoded size w = w_a exp(t_w) positive. torchvision multiplies the four by weights (1, 1, 1, 1 by
default; Fast R-CNN's box head uses 10, 10, 5, 5) and, when decoding, caps t_w and t_h at log(1000 / 16)
so that exp cannot overflow.

Matching. For training, each anchor is labelled from its best IoU with the ground-truth boxes: at
least the high threshold (0.7), that box's index (a positive); below the low threshold (0.3),
background (-1); in between, ignored (-2). Some ground-truth box may have no anchor above 0.7; with
`allow_low_quality_matches`, the anchors that overlap it most are made positives too.
"""

from __future__ import annotations

import math

from tinyconv.backend import get_array_module
from tinyconv.checks import check_real, is_int
from tinyconv.creation import arange, tensor
from tinyconv.detection.boxes import as_boxes, xyxy_boxes
from tinyconv.dtypes import float32
from tinyconv.ops.join import stack
from tinyconv.tensor import Tensor

# ------------------------------------------------------------------------------ anchors


def base_anchors(sizes=(128, 256, 512), aspect_ratios=(0.5, 1.0, 2.0)) -> Tensor:
    """The (len(aspect_ratios) * len(sizes), 4) xyxy anchors centred on (0, 0), float32, as
    AnchorGenerator.generate_anchors: row r * len(sizes) + s has ratio r and size s."""
    for name, values in (("sizes", sizes), ("aspect_ratios", aspect_ratios)):
        if len(values) == 0 or not all(check_real("base_anchors", name, v) > 0 for v in values):
            raise ValueError(f"base_anchors: {name} must be positive numbers, got {values!r}")
    scales = tensor(sizes, dtype=float32)
    h_ratios = tensor(aspect_ratios, dtype=float32).sqrt()
    w_ratios = 1 / h_ratios
    widths = (w_ratios[:, None] * scales[None, :]).reshape(-1)
    heights = (h_ratios[:, None] * scales[None, :]).reshape(-1)
    return (stack([-widths, -heights, widths, heights], dim=1) / 2).round()


def grid_anchors(feature_size, image_size, sizes=(128, 256, 512), aspect_ratios=(0.5, 1.0, 2.0)) -> Tensor:
    """Every anchor of a (H_f, W_f) feature map over an (H, W) image: (H_f * W_f * A, 4) xyxy, float32.

    Row (i * W_f + j) * A + a is base anchor a moved to (j * stride_x, i * stride_y), stride = H // H_f
    and W // W_f, as torchvision's AnchorGenerator for one feature map. Anchors may reach outside the
    image; a detector clips or ignores them.
    """
    (feature_h, feature_w), (image_h, image_w) = (
        size_pair("grid_anchors", "feature_size", feature_size),
        size_pair("grid_anchors", "image_size", image_size),
    )
    stride_y, stride_x = image_h // feature_h, image_w // feature_w
    shift_x = (arange(feature_w) * stride_x)[None, :].expand(feature_h, feature_w).reshape(-1)
    shift_y = (arange(feature_h) * stride_y)[:, None].expand(feature_h, feature_w).reshape(-1)
    shifts = stack([shift_x, shift_y, shift_x, shift_y], dim=1)  # (H_f * W_f, 4), row by row
    return (shifts[:, None, :] + base_anchors(sizes, aspect_ratios)[None, :, :]).reshape(-1, 4)


def size_pair(op: str, name: str, size) -> tuple:
    """A (height, width) pair of positive ints, or a clear error."""
    if not (isinstance(size, (tuple, list)) and len(size) == 2 and all(is_int(s) and s >= 1 for s in size)):
        raise ValueError(f"{op}: {name} must be a (height, width) pair of positive ints, got {size!r}")
    return int(size[0]), int(size[1])


# ------------------------------------------------------------------------------ box coding


class BoxCoder:
    """Boxes as offsets from anchors and back, as torchvision's BoxCoder (encode_single, decode_single).

    encode(boxes, anchors) -> (N, 4) codes w * (t_x, t_y, t_w, t_h); decode(codes, anchors) -> (N, 4)
    boxes; both xyxy, one box per anchor (row k of each goes with row k of the anchors), differentiable.
    """

    def __init__(self, weights=(1.0, 1.0, 1.0, 1.0), bbox_xform_clip: float = math.log(1000.0 / 16)):
        if len(weights) != 4 or not all(check_real("BoxCoder", "weights", w) > 0 for w in weights):
            raise ValueError(
                f"BoxCoder: weights must be four positive numbers (wx, wy, ww, wh), got {weights!r}"
            )
        self.weights = tuple(float(w) for w in weights)
        self.bbox_xform_clip = check_real("BoxCoder", "bbox_xform_clip", bbox_xform_clip)

    def encode(self, boxes, anchors) -> Tensor:
        """The codes (N, 4) of xyxy `boxes` (N, 4) relative to xyxy `anchors` (N, 4)."""
        boxes, anchors = (
            xyxy_boxes("BoxCoder.encode", boxes),
            xyxy_boxes("BoxCoder.encode", anchors, "anchors"),
        )
        check_same_count("BoxCoder.encode", boxes, anchors, "boxes")
        wx, wy, ww, wh = self.weights
        x, y, w, h = centres_and_sizes(boxes)
        x_a, y_a, w_a, h_a = centres_and_sizes(anchors)
        return stack(
            [wx * (x - x_a) / w_a, wy * (y - y_a) / h_a, ww * (w / w_a).log(), wh * (h / h_a).log()], dim=1
        )

    def decode(self, codes, anchors) -> Tensor:
        """The xyxy boxes (N, 4) that `codes` (N, 4) describe relative to xyxy `anchors` (N, 4)."""
        codes, anchors = (
            as_boxes("BoxCoder.decode", codes, "codes"),
            xyxy_boxes("BoxCoder.decode", anchors, "anchors"),
        )
        check_same_count("BoxCoder.decode", codes, anchors, "codes")
        wx, wy, ww, wh = self.weights
        x_a, y_a, w_a, h_a = centres_and_sizes(anchors.type_as(codes))
        t_x, t_y, t_w, t_h = codes.unbind(1)
        x = t_x / wx * w_a + x_a
        y = t_y / wy * h_a + y_a
        w = (t_w / ww).clamp(max=self.bbox_xform_clip).exp() * w_a
        h = (t_h / wh).clamp(max=self.bbox_xform_clip).exp() * h_a
        return stack([x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h], dim=1)


def centres_and_sizes(boxes: Tensor) -> tuple:
    """(x, y, w, h) of xyxy boxes, each (N,): centre x1 + w / 2, as torchvision computes it."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def check_same_count(op: str, boxes: Tensor, anchors: Tensor, name: str) -> None:
    if len(boxes) != len(anchors):
        raise ValueError(f"{op}: {name} has {len(boxes)} rows but anchors has {len(anchors)}; one per anchor")


# ------------------------------------------------------------------------------ matching


class Matcher:
    """Label each anchor (column) from its IoUs with the ground-truth boxes (rows), as torchvision's
    Matcher: matcher(iou) with iou (M, N) gives (N,) int64 matches: the best box's index where that IoU
    is >= high_threshold, BELOW_LOW_THRESHOLD (-1) below low_threshold, BETWEEN_THRESHOLDS (-2) between.

    allow_low_quality_matches: also, for each box, the anchors whose IoU with it is its highest (ties
    included) keep their own best match, whatever its IoU (Faster R-CNN's rule (i), so that every box
    has an anchor; the region proposal network uses it, with 0.7 and 0.3).
    """

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(
        self, high_threshold: float = 0.7, low_threshold: float = 0.3, allow_low_quality_matches=False
    ):
        self.high_threshold = check_real("Matcher", "high_threshold", high_threshold)
        self.low_threshold = check_real("Matcher", "low_threshold", low_threshold)
        if self.low_threshold > self.high_threshold:
            raise ValueError(
                f"Matcher: low_threshold {low_threshold} must not be above high_threshold {high_threshold}"
            )
        self.allow_low_quality_matches = bool(allow_low_quality_matches)

    def __call__(self, match_quality_matrix) -> Tensor:
        if not isinstance(match_quality_matrix, Tensor):
            match_quality_matrix = Tensor(match_quality_matrix)
        quality = match_quality_matrix.data
        if quality.ndim != 2:
            raise ValueError(f"Matcher: expected an (M boxes, N anchors) matrix, got shape {quality.shape}")
        if quality.shape[0] == 0 or quality.shape[1] == 0:
            missing = "ground-truth boxes" if quality.shape[0] == 0 else "anchors"
            raise ValueError(f"Matcher: no {missing} to match (matrix of shape {quality.shape})")
        xp = get_array_module(quality)
        best, own_match = quality.max(axis=0), quality.argmax(axis=0)  # per anchor: its best box
        matches = xp.where(best < self.high_threshold, self.BETWEEN_THRESHOLDS, own_match)
        matches = xp.where(best < self.low_threshold, self.BELOW_LOW_THRESHOLD, matches)
        if self.allow_low_quality_matches:
            best_for_box = quality.max(axis=1)  # (M,)
            anchors = xp.nonzero(quality == best_for_box[:, None])[1]
            matches[anchors] = own_match[anchors]
        return Tensor(matches.astype(xp.int64))
