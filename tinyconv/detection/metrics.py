"""Mean average precision, the detection benchmark's score, at one IoU threshold, as COCO computes it
(pycocotools' COCOeval, which torchmetrics' MeanAveragePrecision runs).

Inputs, torchmetrics' format: two lists with one dict per image,
    predictions[i] = {"boxes": (n, 4) xyxy, "scores": (n,), "labels": (n,)}
    targets[i]     = {"boxes": (m, 4) xyxy, "labels": (m,)}

For each class c that has ground-truth boxes (a class seen only in the predictions has no AP: it is left
out, where torchmetrics reports -1 for it; its boxes cannot hurt the other classes):
  1. In each image, take the predictions of class c, best score first, at most `max_detections` of them.
     Walking down that list, a prediction is a true positive if some ground-truth box of class c in the
     same image not matched yet has IoU >= iou_threshold with it (the one with the highest IoU is taken,
     the last of equal ones, as pycocotools does); otherwise it is a false positive (a second box on an
     already found object is one).
  2. Pool the predictions of all images and sort them by score (a stable sort: equal scores in image
     order). After the k best: precision = TP / k, recall = TP / (number of ground-truth boxes of c).
  3. Precision envelope: replace each precision by the best precision at any larger recall, so the curve
     only goes down.
  4. AP(c) = the mean of the envelope read at the 101 recalls 0, 0.01, ..., 1 (at each, the first point
     whose recall reaches it; 0 where the recall never gets there).
mAP = the mean of AP(c) over the classes with ground truth; -1 if there are none, as COCO reports it.

The evaluation is bookkeeping over boxes on the host: tensors on the GPU are copied to NumPy first.
"""

from __future__ import annotations

import numpy

from tinyconv.backend import get_array_module, is_array
from tinyconv.detection.boxes import box_iou, check_corners
from tinyconv.tensor import Tensor

RECALL_POINTS = numpy.linspace(0.0, 1.0, 101)  # pycocotools' recThrs


def mean_average_precision(
    predictions, targets, iou_threshold: float = 0.5, max_detections: int = 100
) -> tuple:
    """(mAP, {class: AP}) of per-image predictions against per-image targets, COCO-style at one IoU
    threshold (see the module docstring). max_detections: the best predictions kept per image and
    class (COCO's maxDets, 100)."""
    predictions = checked_images("predictions", predictions, ("boxes", "scores", "labels"))
    targets = checked_images("targets", targets, ("boxes", "labels"))
    if len(predictions) != len(targets):
        raise ValueError(
            f"mean_average_precision: {len(predictions)} predictions but {len(targets)} targets; "
            "give one dict per image in each"
        )
    if not 0 <= iou_threshold <= 1:
        raise ValueError(f"mean_average_precision: iou_threshold must be in [0, 1], got {iou_threshold!r}")
    classes = sorted({int(label) for target in targets for label in target["labels"]})
    threshold = min(iou_threshold, 1 - 1e-10)  # as pycocotools: an IoU of exactly 1 still matches at 1.0
    scores = {c: [] for c in classes}  # per class, over all images: each prediction's score...
    hits = {c: [] for c in classes}  # ...and whether it found an object (step 1)
    objects = {c: 0 for c in classes}  # the ground-truth boxes of each class
    for prediction, target in zip(predictions, targets):
        # Every pair of the image at once (predictions, ground truth); two boxes of zero area give 0 / 0,
        # which pycocotools counts as no overlap
        iou = numpy.nan_to_num(box_iou(Tensor(prediction["boxes"]), Tensor(target["boxes"])).data, nan=0.0)
        present = set(prediction["labels"].tolist()) | set(target["labels"].tolist())
        for c in present.intersection(classes):
            mine = numpy.flatnonzero(prediction["labels"] == c)
            mine = mine[numpy.argsort(-prediction["scores"][mine], kind="stable")][:max_detections]
            truth = numpy.flatnonzero(target["labels"] == c)
            scores[c].extend(prediction["scores"][mine].tolist())
            hits[c].extend(greedy_matches(iou[numpy.ix_(mine, truth)], threshold))
            objects[c] += len(truth)
    per_class = {c: average_precision(scores[c], hits[c], objects[c]) for c in classes}
    mean = float(numpy.mean(list(per_class.values()))) if per_class else -1.0
    return mean, per_class


def greedy_matches(iou, threshold: float) -> list:
    """Step 1 in one image and class: iou (predictions best first, ground truth); for each prediction,
    whether it takes a ground-truth box not taken yet with IoU >= threshold (the one of highest IoU)."""
    taken = numpy.zeros(iou.shape[1], dtype=bool)
    hits = []
    for row in iou:
        candidates = numpy.where(taken, -1.0, row)  # a ground-truth box is found only once
        # the highest IoU, the last of equal ones (pycocotools' loop replaces its best on >=)
        best = len(row) - 1 - int(numpy.argmax(candidates[::-1])) if len(row) else None
        hit = best is not None and candidates[best] >= threshold
        if hit:
            taken[best] = True
        hits.append(hit)
    return hits


def average_precision(scores: list, hits: list, objects: int) -> float:
    """Steps 2 to 4 for one class: its predictions' scores and hits from every image, and the number of
    its ground-truth boxes (at least 1)."""
    if not scores:
        return 0.0  # ground truth and no prediction: the recall never leaves 0
    order = numpy.argsort(-numpy.asarray(scores), kind="stable")  # equal scores: in image order
    true_positives = numpy.cumsum(numpy.asarray(hits)[order])
    precision = true_positives / numpy.arange(1, len(order) + 1)
    recall = true_positives / objects
    envelope = numpy.maximum.accumulate(precision[::-1])[::-1]  # the best precision at this recall or more
    first = numpy.searchsorted(recall, RECALL_POINTS, side="left")  # the first point reaching each recall
    reached = first < len(recall)
    return float(numpy.where(reached, envelope[numpy.minimum(first, len(recall) - 1)], 0.0).mean())


def checked_images(name: str, images, keys: tuple) -> list:
    """Each image's dict with its values as NumPy arrays (boxes (n, 4) float64, labels int64, scores
    float64), every key present and the lengths agreeing, or a clear error."""
    if not isinstance(images, (list, tuple)):
        raise TypeError(
            f"mean_average_precision: {name} must be a list of dicts, one per image, "
            f"got {type(images).__name__}"
        )
    checked = []
    for i, image in enumerate(images):
        where = f"mean_average_precision: {name}[{i}]"
        if not isinstance(image, dict):
            raise TypeError(f"{where} must be a dict with keys {keys}, got {type(image).__name__}")
        missing = [key for key in keys if key not in image]
        if missing:
            raise ValueError(
                f"{where} has no {', '.join(repr(key) for key in missing)} (expected keys {keys})"
            )
        values = {key: host_array(image[key]) for key in keys}
        boxes = values["boxes"].astype(numpy.float64)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)  # an image without boxes may come as []
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"{where}['boxes'] must be (n, 4) xyxy boxes, got shape {boxes.shape}")
        check_corners(where, Tensor(boxes))
        values["boxes"] = boxes
        for key in keys[1:]:
            if values[key].shape != (len(boxes),):
                raise ValueError(
                    f"{where}['{key}'] must hold one entry per box, shape ({len(boxes)},), "
                    f"got shape {values[key].shape}"
                )
        values["labels"] = values["labels"].astype(numpy.int64)
        if "scores" in values:
            values["scores"] = values["scores"].astype(numpy.float64)
        checked.append(values)
    return checked


def host_array(value) -> numpy.ndarray:
    """A Tensor, a NumPy or CuPy array, or a list, as a NumPy array."""
    data = value.data if isinstance(value, Tensor) else value
    if is_array(data) and get_array_module(data) is not numpy:
        data = data.get()  # from the GPU
    return numpy.asarray(data)
