"""tinyconv/metrics.py: the confusion matrix, pixel accuracy and intersection over union, on cases
worked out by hand and against the definition with sets of pixels; the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
from tinyconv.metrics import confusion_matrix, intersection_over_union, mean_iou, pixel_accuracy

# Five positions: truth 0 0 1 1 2, prediction 0 1 1 1 0.
TARGETS = np.array([0, 0, 1, 1, 2])
PREDICTIONS = np.array([0, 1, 1, 1, 0])


def test_confusion_matrix_counts_each_truth_and_prediction_pair_rows_truth_columns_prediction():
    expected = np.array(
        [
            [1, 1, 0],  # the two 0s: one predicted 0, one predicted 1
            [0, 2, 0],  # the two 1s: both right
            [1, 0, 0],  # the 2: predicted 0
        ]
    )
    np.testing.assert_array_equal(confusion_matrix(PREDICTIONS, TARGETS, 3), expected)


def test_confusion_matrix_takes_tensors_and_maps_of_any_shape():
    maps = np.array([[[0, 1], [2, 2]]])
    got = confusion_matrix(tinyconv.Tensor(maps), tinyconv.Tensor(maps), 3)
    np.testing.assert_array_equal(got, np.diag([1, 1, 2]))


def test_confusion_matrix_leaves_out_the_ignored_targets():
    targets = np.array([0, 255, 1, 255])
    predictions = np.array([0, 1, 0, 7])  # what is predicted where the target is ignored does not matter
    np.testing.assert_array_equal(
        confusion_matrix(predictions, targets, 2, ignore_index=255), [[1, 0], [1, 0]]
    )


def test_the_matrices_of_batches_add_up_to_the_matrix_of_all():
    rng = np.random.default_rng(0)
    predictions, targets = rng.integers(0, 4, (2, 6, 5, 5))
    whole = confusion_matrix(predictions, targets, 4)
    by_batch = sum(confusion_matrix(predictions[k : k + 2], targets[k : k + 2], 4) for k in range(0, 6, 2))
    np.testing.assert_array_equal(by_batch, whole)
    assert whole.sum() == 6 * 5 * 5 and whole.dtype == np.int64


def test_pixel_accuracy_is_the_fraction_right():
    assert pixel_accuracy(confusion_matrix(PREDICTIONS, TARGETS, 3)) == pytest.approx(3 / 5)


def test_iou_by_hand():
    # class 0: TP 1 (position 0), FN 1 (position 1), FP 1 (position 4) -> 1/3
    # class 1: TP 2, FP 1 (position 1), FN 0 -> 2/3;  class 2: TP 0, FN 1 -> 0
    iou = intersection_over_union(confusion_matrix(PREDICTIONS, TARGETS, 3))
    np.testing.assert_allclose(iou, [1 / 3, 2 / 3, 0.0])
    assert mean_iou(confusion_matrix(PREDICTIONS, TARGETS, 3)) == pytest.approx(1 / 3)


def test_iou_is_intersection_over_union_of_the_pixel_sets():
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 5, (3, 16, 16))
    predictions = np.where(rng.random((3, 16, 16)) < 0.7, targets, rng.integers(0, 5, (3, 16, 16)))
    iou = intersection_over_union(confusion_matrix(predictions, targets, 5))
    for c in range(5):
        truly, predicted = targets == c, predictions == c
        assert iou[c] == pytest.approx((truly & predicted).sum() / (truly | predicted).sum())


def test_a_class_neither_present_nor_predicted_has_no_iou_and_is_left_out_of_the_mean():
    confusion = confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 3)
    iou = intersection_over_union(confusion)
    assert np.isnan(iou[2])
    assert mean_iou(confusion) == pytest.approx((1 / 2 + 1 / 2) / 2)


def test_a_class_present_but_never_predicted_has_iou_zero_and_counts():
    confusion = confusion_matrix(np.array([0, 0]), np.array([0, 1]), 2)
    np.testing.assert_allclose(intersection_over_union(confusion), [1 / 2, 0.0])
    assert mean_iou(confusion) == pytest.approx(1 / 4)


def test_an_empty_matrix_has_no_accuracy_and_no_mean_iou():
    empty = np.zeros((3, 3), dtype=np.int64)
    assert np.isnan(pixel_accuracy(empty)) and np.isnan(mean_iou(empty))


# ----------------------------------------------------------------------------------- bad input
def test_predictions_and_targets_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match=r"predictions \(2, 3\) and targets \(2,\) must have the same shape"):
        confusion_matrix(np.zeros((2, 3), dtype=np.int64), np.zeros(2, dtype=np.int64), 3)


def test_scores_instead_of_class_indices_are_refused():
    with pytest.raises(TypeError, match="predictions must be integer class indices, got float32"):
        confusion_matrix(np.zeros(4, dtype=np.float32), np.zeros(4, dtype=np.int64), 3)


def test_a_class_outside_the_range_is_refused():
    with pytest.raises(ValueError, match=r"targets hold 3, outside the classes 0..2"):
        confusion_matrix(np.array([0, 1]), np.array([3, 1]), 3)


def test_a_matrix_that_is_not_square_counts_is_refused():
    with pytest.raises(ValueError, match="square"):
        pixel_accuracy(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="negative"):
        mean_iou(np.array([[1, -1], [0, 1]]))
