"""How good a classifier's or a segmenter's predictions are, counted in a confusion matrix.

    confusion = numpy.zeros((classes, classes), dtype=numpy.int64)
    for images, targets in batches:
        confusion += confusion_matrix(model(images).argmax(dim=1), targets, classes)
    pixel_accuracy(confusion), intersection_over_union(confusion), mean_iou(confusion)

confusion[t, p] counts the samples (images for a classifier, pixels for a segmenter) of true class t
predicted as class p: rows are the truth, columns the prediction, as in scikit-learn and torchmetrics.
Every metric below is read off it, so a whole test set is scored by adding up its batches' matrices,
never by averaging per-batch scores (a batch without some class would otherwise weigh as much as a
full one: FCN's evaluation code counts the same way).

For class c, with TP = confusion[c, c], FN = the rest of row c, FP = the rest of column c:
    accuracy      = sum over c of TP_c / number of samples
    IoU_c         = TP_c / (TP_c + FP_c + FN_c)
                  = |predicted c  AND  truly c| / |predicted c  OR  truly c|   (intersection over union)
    mean IoU      = the mean of IoU_c over the classes
IoU is the segmentation measure of PASCAL VOC and FCN: unlike accuracy, a class that covers few pixels
(a digit's stroke against its background) counts as much as a large one, and both missing pixels (FN)
and claiming too many (FP) lower it. A class that is neither present nor predicted has no IoU (0 / 0):
it is NaN, and left out of the mean.
"""

from __future__ import annotations

import numpy

from tinyconv.checks import check_int


def on_host(values) -> numpy.ndarray:
    """A NumPy array of `values`: a Tensor (on either device), a CuPy array, or anything array-like."""
    if hasattr(values, "get") and not isinstance(values, numpy.ndarray):  # a CuPy array
        return values.get()
    return numpy.asarray(values)


def confusion_matrix(
    predictions, targets, num_classes: int, ignore_index: int | None = None
) -> numpy.ndarray:
    """(num_classes, num_classes) int64 counts: [t, p] = how many positions have target t and prediction p.

    predictions, targets: integer class indices of the same shape, any shape ((N,) for a classifier,
    (N, H, W) for a segmenter); Tensors or arrays. Positions whose target is ignore_index are not
    counted (as F.cross_entropy's ignore_index leaves them out of the loss).
    """
    check_int("confusion_matrix", "num_classes", num_classes, minimum=1)
    predictions, targets = on_host(predictions), on_host(targets)
    if predictions.shape != targets.shape:
        raise ValueError(
            f"confusion_matrix: predictions {predictions.shape} and targets {targets.shape} must have the "
            "same shape (take the argmax over the classes of the scores first)"
        )
    for name, values in (("predictions", predictions), ("targets", targets)):
        if values.size and not numpy.issubdtype(values.dtype, numpy.integer):
            raise TypeError(f"confusion_matrix: {name} must be integer class indices, got {values.dtype}")
    if ignore_index is not None:
        kept = targets != ignore_index
        predictions, targets = predictions[kept], targets[kept]
    for name, values in (("predictions", predictions), ("targets", targets)):
        outside = (values < 0) | (values >= num_classes)
        if outside.any():
            raise ValueError(
                f"confusion_matrix: {name} hold {values[outside][0]}, "
                f"outside the classes 0..{num_classes - 1}"
            )
    # Each (t, p) pair is one number t * num_classes + p; counting those numbers counts the pairs.
    pairs = targets.ravel().astype(numpy.int64) * num_classes + predictions.ravel()
    return numpy.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def check_confusion(confusion) -> numpy.ndarray:
    """The confusion matrix as a square NumPy array of counts, or a ValueError."""
    confusion = on_host(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(
            f"expected a square (classes, classes) confusion matrix, got shape {confusion.shape}"
        )
    if (confusion < 0).any():
        raise ValueError("a confusion matrix holds counts, but this one has negative entries")
    return confusion


def pixel_accuracy(confusion) -> float:
    """The fraction of positions (pixels) predicted right: the trace over the total. NaN for no positions."""
    confusion = check_confusion(confusion)
    total = confusion.sum()
    return float(numpy.trace(confusion) / total) if total else float("nan")


def intersection_over_union(confusion) -> numpy.ndarray:
    """(classes,) float64: TP / (TP + FP + FN) of each class; NaN for a class that is neither present
    nor predicted."""
    confusion = check_confusion(confusion).astype(numpy.float64)
    true_positives = numpy.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - true_positives  # predicted c, or truly c
    with numpy.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 is NaN on purpose: no IoU
        return true_positives / union


def mean_iou(confusion) -> float:
    """The mean of the classes' IoU, leaving out classes without one (neither present nor predicted)."""
    iou = intersection_over_union(confusion)
    present = ~numpy.isnan(iou)
    return float(iou[present].mean()) if present.any() else float("nan")
