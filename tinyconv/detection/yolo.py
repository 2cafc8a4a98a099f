"""YOLO v1's output tensor: the targets it is trained towards, its loss term by term, and the boxes read
back from it. The network that makes the tensor is tinyconv/models/yolo.py.

Redmon, Divvala, Girshick, Farhadi, "You Only Look Once: Unified, Real-Time Object Detection", CVPR 2016.

The image is divided into an S x S grid, and the cell that holds an object's centre is the one that
detects it (the notes: "객체의 중심이 grid cell안에 위치하면 해당 grid cell이 ... 예측한다"). Each cell
predicts B boxes of 5 numbers each and C class probabilities that its boxes share, a tensor of
S x S x (B * 5 + C), (N, S, S, B * 5 + C) for a batch:

    output[n, i, j] = (x, y, √w, √h, confidence) of box 1, ..., of box B, p(class 0), ..., p(class C - 1)

for the cell in row i (from the top) and column j (from the left), where
    x, y        the box's centre, in cells from the cell's top-left corner (0 to 1 inside the cell)
    √w, √h      the square roots of its width and height, as fractions of the image's
    confidence  Pr(object) * IoU(box, truth): is there an object, and how well does this box fit it
    p(c)        Pr(class c | object): the class of the cell's object, if it has one
The network predicts √w, not w, so that the squared error of a size counts an error of 2 pixels more on
a small box than on a large one (the paper's reason). PASCAL VOC (S = 7, B = 2, C = 20) gives the
paper's 7 x 7 x 30; the MNIST canvases of demos/yolo_mnist.py (S = 6, B = 2, C = 10) give 6 x 6 x 20.

Targets (yolo_targets), for an object with box (x1, y1, x2, y2) in a W x H image, centre
cx = (x1 + x2) / 2, cy = (y1 + y2) / 2:
    its cell     column j = floor(cx / W * S),  row i = floor(cy / H * S)
    target[n, i, j] = (cx / W * S - j,  cy / H * S - i,  (x2 - x1) / W,  (y2 - y1) / H,  1,  one-hot(class))
and 0 everywhere in a cell without an object. A cell holds one object, v1's limit: an object whose
centre falls in a cell already taken is left out of the targets (the first one keeps the cell).

The loss (yolo_loss_terms, the paper's equation 3), summed over the cells i and boxes j of an image and
averaged over the batch, with hats on the targets:

    λ_coord Σ_i Σ_j 1_ij^obj [(x_ij - x̂_i)² + (y_ij - ŷ_i)²]                       "xy"
  + λ_coord Σ_i Σ_j 1_ij^obj [(√w_ij - √ŵ_i)² + (√h_ij - √ĥ_i)²]                   "wh"
  + Σ_i Σ_j 1_ij^obj (C_ij - Ĉ_ij)²,  Ĉ_ij = IoU(box j of cell i, the truth)          "confidence_object"
  + λ_noobj Σ_i Σ_j 1_ij^noobj (C_ij - 0)²                                            "confidence_no_object"
  + Σ_i 1_i^obj Σ_c (p_i(c) - p̂_i(c))²                                               "classes"

1_i^obj is 1 for a cell that holds an object. 1_ij^obj is 1 for the box of that cell that is
*responsible* for it: of the cell's B boxes, the one whose prediction has the highest IoU with the
truth right now (the first on a tie), so that the B boxes of a cell specialize (one for tall digits,
another for wide ones). 1_ij^noobj = 1 - 1_ij^obj: every other box, the other boxes of an object's cell
included, is taught a confidence of 0. λ_coord = 5 weighs the boxes up and λ_noobj = 0.5 the many empty
boxes down: a 6 x 6 grid of 2 boxes has 72 boxes for about 3 objects, and their zeros would otherwise
drown the few confidences that should rise. Which box is responsible, and its IoU, are constants of
the loss (computed without a graph): the confidence learns to predict the IoU, and the IoU is not a
path for the gradient into the box, as in Darknet.

Decoding (yolo_decode): each box's score for class c is confidence * p(c) = Pr(c) * IoU, the paper's
class-specific confidence; the (box, class) pairs above a threshold go through NMS within each class
(batched_nms), and each image gives a dict in torchmetrics' format for mean_average_precision.
"""

from __future__ import annotations

import numpy

from tinyconv.autograd import no_grad
from tinyconv.backend import get_array_module
from tinyconv.checks import check_int, check_real, is_int
from tinyconv.detection.boxes import box_iou, check_corners
from tinyconv.detection.nms import batched_nms
from tinyconv.tensor import Tensor

BOX_NUMBERS = 5  # x, y, √w, √h, confidence
MIN_SIDE = 1e-2  # pixels: decoded boxes narrower or lower are dropped (torchvision's remove_small_boxes)


def image_height_width(op: str, image_size) -> tuple:
    """(H, W) from an int (a square image) or an (H, W) pair, both positive, or a ValueError."""
    pair = (image_size, image_size) if is_int(image_size) else image_size
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(is_int(v) and v > 0 for v in pair):
        raise ValueError(
            f"{op}: image_size must be a positive int or an (H, W) pair of them, got {image_size!r}"
        )
    return int(pair[0]), int(pair[1])


def grid_boxes(boxes, grid_size: int):
    """(..., S, S, B, 4) boxes (x, y, w, h) of a grid, x and y in cells from the cell's corner, w and h in
    fractions of the image, as xyxy boxes in fractions of the image: box b of cell (i, j) is centred at
    ((j + x) / S, (i + y) / S). Arrays in and out: matching and decoding are bookkeeping, never a path
    for the gradient."""
    xp = get_array_module(boxes)
    rows = xp.arange(grid_size, dtype=boxes.dtype)[:, None, None]  # (S, 1, 1): i, down the grid
    columns = xp.arange(grid_size, dtype=boxes.dtype)[None, :, None]  # (1, S, 1): j, across
    centre_x, centre_y = (columns + boxes[..., 0]) / grid_size, (rows + boxes[..., 1]) / grid_size
    half_w, half_h = boxes[..., 2] / 2, boxes[..., 3] / 2
    return xp.stack([centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h], axis=-1)


def predicted_boxes(boxes, grid_size: int):
    """(..., S, S, B, 5) predictions (x, y, √w, √h, confidence) as (..., S, S, B, 4) xyxy boxes in
    fractions of the image: the network's √w and √h squared."""
    xp = get_array_module(boxes)
    sizes = xp.stack([boxes[..., 0], boxes[..., 1], boxes[..., 2] ** 2, boxes[..., 3] ** 2], axis=-1)
    return grid_boxes(sizes, grid_size)


# ------------------------------------------------------------------------------------ targets
def yolo_targets(targets, grid_size: int, num_classes: int, image_size) -> Tensor:
    """The (N, S, S, 5 + C) float32 target tensor of a batch (see the module docstring).

    targets:     one dict per image, torchvision's format: "boxes" (n, 4) xyxy in pixels, "labels" (n,)
                 ints in 0..C-1
    grid_size:   S
    num_classes: C
    image_size:  the images' side in pixels, or their (H, W)
    """
    op = "yolo_targets"
    S = check_int(op, "grid_size", grid_size, minimum=1)
    C = check_int(op, "num_classes", num_classes, minimum=1)
    height, width = image_height_width(op, image_size)
    if not isinstance(targets, (list, tuple)):
        raise TypeError(f"{op}: targets must be a list with one dict per image, got {type(targets).__name__}")
    checked = [checked_target(op, n, target, C, height, width) for n, target in enumerate(targets)]
    encoded = numpy.zeros((len(targets), S, S, BOX_NUMBERS + C), dtype=numpy.float32)
    for n, (boxes, labels) in enumerate(checked):
        for (x1, y1, x2, y2), label in zip(boxes.tolist(), labels.tolist()):
            centre_x, centre_y = (x1 + x2) / 2 / width * S, (y1 + y2) / 2 / height * S  # in cells
            # A centre on the image's right or bottom edge belongs to the last cell, not a cell S.
            column, row = min(int(centre_x), S - 1), min(int(centre_y), S - 1)
            if encoded[n, row, column, 4]:
                continue  # the cell is taken: v1 detects one object per cell
            box = (centre_x - column, centre_y - row, (x2 - x1) / width, (y2 - y1) / height)
            encoded[n, row, column, :BOX_NUMBERS] = (*box, 1.0)
            encoded[n, row, column, BOX_NUMBERS + label] = 1.0
    return Tensor(encoded)


def checked_target(op: str, n: int, target, num_classes: int, height: int, width: int) -> tuple:
    """(boxes (k, 4) float64, labels (k,) int64) of targets[n], or a clear error: missing keys, a wrong
    shape, crossed corners, a label outside 0..C-1, a centre outside the image."""
    where = f"{op}: targets[{n}]"
    if not isinstance(target, dict):
        raise TypeError(f"{where} must be a dict with keys 'boxes' and 'labels', got {type(target).__name__}")
    missing = [key for key in ("boxes", "labels") if key not in target]
    if missing:
        raise ValueError(f"{where} has no {', '.join(map(repr, missing))} (expected keys 'boxes', 'labels')")
    boxes, labels = (numpy.asarray(Tensor(target[key]).numpy()) for key in ("boxes", "labels"))
    boxes = boxes.astype(numpy.float64).reshape(-1, 4) if boxes.size == 0 else boxes.astype(numpy.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{where}['boxes'] must be (n, 4) xyxy boxes, got shape {boxes.shape}")
    check_corners(where, Tensor(boxes))
    if labels.shape != (len(boxes),) or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(
            f"{where}['labels'] must be ({len(boxes)},) integers, one per box, "
            f"got shape {labels.shape} of {labels.dtype}"
        )
    if labels.size and not (0 <= labels.min() and labels.max() < num_classes):
        raise ValueError(f"{where}['labels'] must be in 0..{num_classes - 1}, got {labels.tolist()}")
    centres_x, centres_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    outside = ~((0 <= centres_x) & (centres_x <= width) & (0 <= centres_y) & (centres_y <= height))
    if outside.any():
        k = int(outside.argmax())
        raise ValueError(
            f"{where}['boxes'][{k}] = {boxes[k].tolist()} has its centre outside the {width}x{height} "
            "image, so no cell of the grid can hold it"
        )
    return boxes, labels.astype(numpy.int64)


# --------------------------------------------------------------------------------------- loss
def responsible_boxes(boxes, target) -> tuple:
    """Which box of each object's cell is responsible for it, and its IoU with the truth.

    boxes:  (N, S, S, B, 5) predictions (x, y, √w, √h, confidence), an array
    target: (N, S, S, 5 + C) targets, an array
    Returns (responsible, iou), both (N, S, S, B) arrays of boxes' dtype: responsible is 1 for the box of
    highest IoU in each cell with an object (the first of equal ones) and 0 elsewhere; iou is that
    box's IoU with its object, and 0 elsewhere.
    """
    xp = get_array_module(boxes)
    N, S, _, B, _ = boxes.shape
    cells = xp.nonzero(target[..., 4] > 0)  # (n, i, j) of the K cells that hold an object
    predicted = predicted_boxes(boxes, S)[cells]  # (K, B, 4)
    truth = grid_boxes(target[..., None, :4], S)[cells][:, 0]  # (K, 4): the one object of each cell
    K = len(truth)
    # box_iou pairs every predicted box with every object, (K * B, K); the K diagonal blocks are each
    # object with the B boxes of its own cell. Zero-area boxes give 0 / 0, no overlap.
    pairs = box_iou(Tensor(predicted.reshape(K * B, 4)), Tensor(truth)).data.reshape(K, B, K)
    own = xp.nan_to_num(pairs[xp.arange(K), :, xp.arange(K)], nan=0.0)  # (K, B)
    best = own.argmax(axis=1)  # the first of equal IoUs
    responsible = xp.zeros((N, S, S, B), dtype=boxes.dtype)
    iou = xp.zeros((N, S, S, B), dtype=boxes.dtype)
    responsible[(*cells, best)] = 1
    iou[(*cells, best)] = own[xp.arange(K), best]
    return responsible, iou


def yolo_loss_terms(output: Tensor, target, lambda_coord: float = 5.0, lambda_noobj: float = 0.5) -> dict:
    """The five terms of YOLO v1's loss (module docstring), each a scalar Tensor: the sum over the grid,
    averaged over the batch. Their sum is yolo_loss.

    output:  (N, S, S, B * 5 + C), the network's tensor (B is read from it and C from the target)
    target:  (N, S, S, 5 + C) from yolo_targets
    Returns {"xy", "wh", "confidence_object", "confidence_no_object", "classes"}.
    """
    N, S, B, C = check_loss_inputs(output, target)
    target = target.data if isinstance(target, Tensor) else target
    xp = get_array_module(output.data)
    target = xp.asarray(target, dtype=output.dtype)
    boxes = output[..., : BOX_NUMBERS * B].reshape(N, S, S, B, BOX_NUMBERS)
    class_probabilities = output[..., BOX_NUMBERS * B :]  # (N, S, S, C)
    x, y, sqrt_w, sqrt_h, confidence = boxes.unbind(-1)  # each (N, S, S, B)

    with no_grad():  # constants of the loss: which box learns each object, and the confidence it learns
        responsible, iou = responsible_boxes(boxes.data, target)
    obj = responsible  # 1_ij^obj
    noobj = 1 - responsible  # 1_ij^noobj
    cell_has_object = target[..., 4:5]  # 1_i^obj, (N, S, S, 1) against the C class columns
    # The targets, the same for the B boxes of a cell: (N, S, S, 1) against (N, S, S, B)
    x_hat, y_hat, w_hat, h_hat = (target[..., k : k + 1] for k in range(4))
    p_hat = target[..., BOX_NUMBERS:]  # one-hot, (N, S, S, C)

    xy = lambda_coord * (obj * ((x - x_hat) ** 2 + (y - y_hat) ** 2)).sum()
    wh = lambda_coord * (obj * ((sqrt_w - xp.sqrt(w_hat)) ** 2 + (sqrt_h - xp.sqrt(h_hat)) ** 2)).sum()
    confidence_object = (obj * (confidence - iou) ** 2).sum()
    confidence_no_object = lambda_noobj * (noobj * confidence**2).sum()
    classes = (cell_has_object * (class_probabilities - p_hat) ** 2).sum()
    terms = dict(
        xy=xy,
        wh=wh,
        confidence_object=confidence_object,
        confidence_no_object=confidence_no_object,
        classes=classes,
    )
    return {name: term / N for name, term in terms.items()}


def yolo_loss(output: Tensor, target, lambda_coord: float = 5.0, lambda_noobj: float = 0.5) -> Tensor:
    """YOLO v1's loss: the sum of yolo_loss_terms, a scalar Tensor (the mean over the batch of each
    image's sum-squared error)."""
    xy, wh, confidence_object, confidence_no_object, classes = yolo_loss_terms(
        output, target, lambda_coord, lambda_noobj
    ).values()
    return xy + wh + confidence_object + confidence_no_object + classes


def check_loss_inputs(output, target) -> tuple:
    """(N, S, B, C) of an (N, S, S, B * 5 + C) output and its (N, S, S, 5 + C) target, or a clear error."""
    op = "yolo_loss"
    if not isinstance(output, Tensor) or output.ndim != 4 or output.shape[1] != output.shape[2]:
        shape = getattr(output, "shape", None)
        raise ValueError(f"{op}: output must be an (N, S, S, B * 5 + C) Tensor, got shape {shape}")
    if output.dtype.kind != "f":
        raise TypeError(f"{op}: output must be floating-point, got {output.dtype}")
    target_shape = tuple(getattr(target, "shape", ()))
    N, S, _, depth = output.shape
    C = target_shape[-1] - BOX_NUMBERS if len(target_shape) == 4 else 0
    if target_shape[:3] != (N, S, S) or C < 1 or (depth - C) % BOX_NUMBERS or depth - C < BOX_NUMBERS:
        raise ValueError(
            f"{op}: target must be (N, S, S, 5 + C) = ({N}, {S}, {S}, 5 + C) for an output of shape "
            f"{output.shape}, with B * 5 + C = {depth} for some B >= 1, got shape {target_shape}"
        )
    return N, S, (depth - C) // BOX_NUMBERS, C


# ----------------------------------------------------------------------------------- decoding
def yolo_decode(
    output,
    num_boxes: int,
    image_size,
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    max_detections: int = 100,
) -> list:
    """The detections of each image of an (N, S, S, B * 5 + C) output, in torchmetrics' format: a list of
    N dicts {"boxes": (k, 4) float32 xyxy in pixels, clipped to the image, "scores": (k,) float32,
    "labels": (k,) int64}, best score first.

    Every box is scored for every class, score = confidence * p(c) (both clipped to [0, 1] first: they
    are regressions, and a little below 0 or above 1 is noise, but two negatives would multiply into
    a positive score); the (box, class) pairs with a score above score_threshold, on boxes at least
    0.01 pixels wide and high, go through batched_nms with iou_threshold within each class, and the
    best max_detections are kept.
    """
    op = "yolo_decode"
    B = check_int(op, "num_boxes", num_boxes, minimum=1)
    height, width = image_height_width(op, image_size)
    score_threshold = check_real(op, "score_threshold", score_threshold)
    iou_threshold = check_real(op, "iou_threshold", iou_threshold)
    max_detections = check_int(op, "max_detections", max_detections, minimum=1)
    data = numpy.asarray(Tensor(output).detach().numpy(), dtype=numpy.float64)  # bookkeeping, on the host
    if data.ndim != 4 or data.shape[1] != data.shape[2] or data.shape[3] <= BOX_NUMBERS * B:
        raise ValueError(
            f"{op}: output must be (N, S, S, B * 5 + C) with B = num_boxes = {B} and C >= 1, "
            f"got shape {data.shape}"
        )
    N, S = data.shape[:2]
    boxes = data[..., : BOX_NUMBERS * B].reshape(N, S, S, B, BOX_NUMBERS)
    scale = numpy.array([width, height, width, height])
    corners = (predicted_boxes(boxes, S) * scale).clip(0, scale)  # (N, S, S, B, 4) in pixels
    # A box clipped to nothing (it lay outside the image) or predicted of size 0 is dropped, as
    # torchvision's detectors drop boxes under 0.01 pixels: it cannot be found, and NMS would divide 0 by 0.
    sides = corners[..., 2:] - corners[..., :2]
    has_size = (sides >= MIN_SIDE).all(axis=-1)  # (N, S, S, B)
    confidence = boxes[..., 4].clip(0, 1)  # (N, S, S, B)
    class_probabilities = data[..., BOX_NUMBERS * B :].clip(0, 1)  # (N, S, S, C)
    scores = confidence[..., None] * class_probabilities[..., None, :]  # (N, S, S, B, C)
    detections = []
    for n in range(N):
        # (cell row, cell column, box, class) of every pair above the threshold, on a box of some size
        i, j, b, c = numpy.nonzero((scores[n] > score_threshold) & has_size[n, ..., None])
        kept = batched_nms(corners[n, i, j, b], scores[n, i, j, b, c], c, iou_threshold).numpy()
        kept = kept[:max_detections]
        detections.append(
            {
                "boxes": Tensor(corners[n, i[kept], j[kept], b[kept]].astype(numpy.float32).reshape(-1, 4)),
                "scores": Tensor(scores[n, i[kept], j[kept], b[kept], c[kept]].astype(numpy.float32)),
                "labels": Tensor(c[kept].astype(numpy.int64)),
            }
        )
    return detections
