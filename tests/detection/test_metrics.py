"""Mean average precision (tinyconv/detection/metrics.py): a tiny case worked by hand, the rules one at a
time (a second box on a found object, classes seen only in predictions, the per-image limit), pycocotools'
COCOeval and torchmetrics' MeanAveragePrecision on random cases, and the bad inputs.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from tinyconv import Tensor
from tinyconv.detection import mean_average_precision


def prediction(boxes, scores, labels) -> dict:
    return {
        "boxes": np.array(boxes, dtype=float).reshape(-1, 4),
        "scores": np.array(scores),
        "labels": np.array(labels),
    }


def target(boxes, labels) -> dict:
    return {"boxes": np.array(boxes, dtype=float).reshape(-1, 4), "labels": np.array(labels)}


# ------------------------------------------------------------------------------ by hand

# one image, class 0: two objects; a hit, a second box on the first object, a hit
TRUTH = target([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0])
GUESSES = prediction([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], [0.9, 0.8, 0.7], [0, 0, 0])


def test_average_precision_by_hand():
    # by score: hit, miss (its object is taken), hit. precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1;
    # envelope 1, 2/3, 2/3. The 51 recall points 0, 0.01, ..., 0.5 read 1; the 50 above read 2/3.
    mean, per_class = mean_average_precision([GUESSES], [TRUTH])
    assert per_class == {0: pytest.approx((51 + 50 * 2 / 3) / 101)} and mean == per_class[0]


def test_the_mean_is_over_the_classes_with_ground_truth():
    truth = target([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], [0, 0, 1])  # class 1 never found
    guesses = prediction(
        [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [40, 40, 50, 50]],
        [0.9, 0.8, 0.7, 0.6],
        [0, 0, 0, 2],
    )
    mean, per_class = mean_average_precision([guesses], [truth])
    # class 2 exists only in the predictions: no AP, left out (its box on class 1's object is no help)
    assert set(per_class) == {0, 1} and per_class[1] == 0.0
    assert mean == pytest.approx((51 + 50 * 2 / 3) / 101 / 2)


def test_a_box_below_the_iou_threshold_is_a_false_positive():
    shifted = prediction([[5, 0, 15, 10]], [0.9], [0])  # IoU 50 / 150 = 1/3 with the first object
    truth = target([[0, 0, 10, 10]], [0])
    assert mean_average_precision([shifted], [truth])[0] == 0.0
    assert mean_average_precision([shifted], [truth], iou_threshold=0.3)[0] == 1.0


def test_predictions_are_pooled_across_images_by_score():
    # image 0's miss (0.8) falls between image 1's hit (0.9) and image 0's hit (0.7)
    images = [
        prediction([[0, 0, 10, 10], [50, 50, 60, 60]], [0.7, 0.8], [0, 0]),
        prediction([[0, 0, 10, 10]], [0.9], [0]),
    ]
    truths = [target([[0, 0, 10, 10]], [0]), target([[0, 0, 10, 10]], [0])]
    # hit, miss, hit: the same sequence as the first test
    assert mean_average_precision(images, truths)[0] == pytest.approx((51 + 50 * 2 / 3) / 101)


def test_only_the_best_max_detections_of_an_image_count():
    misses = [[50.0 + i, 50, 60 + i, 60] for i in range(100)]
    guesses = prediction(misses + [[0, 0, 10, 10]], [0.9] * 100 + [0.1], [0] * 101)
    truth = target([[0, 0, 10, 10]], [0])
    assert mean_average_precision([guesses], [truth])[0] == 0.0  # the hit was the 101st
    assert mean_average_precision([guesses], [truth], max_detections=101)[0] == pytest.approx(1 / 101)


def test_no_ground_truth_at_all_gives_minus_one():
    assert mean_average_precision([prediction([[0, 0, 1, 1]], [0.5], [3])], [target([], [])]) == (-1.0, {})


def test_tensors_are_accepted():
    as_tensors = [{key: Tensor(value) for key, value in image.items()} for image in (GUESSES, TRUTH)]
    assert mean_average_precision([as_tensors[0]], [as_tensors[1]]) == mean_average_precision(
        [GUESSES], [TRUTH]
    )


# ------------------------------------------------------------------------------ pycocotools and torchmetrics


def random_case(seed: int, images: int = 8) -> tuple:
    """Per image: 0 to 5 objects of classes 0-3, predictions near them (some of the wrong class), and
    random false positives of classes 0-4 (class 4 has no ground truth)."""
    rng = np.random.default_rng(seed)
    predictions, targets = [], []
    for _ in range(images):
        count = rng.integers(0, 6)
        corner = rng.uniform(0, 80, (count, 2))
        truth = np.concatenate([corner, corner + rng.uniform(5, 40, (count, 2))], axis=1)
        labels = rng.integers(0, 4, count)
        near = truth + rng.normal(0, 4, truth.shape)
        near[:, 2:] = np.maximum(near[:, 2:], near[:, :2] + 1)
        noise = rng.integers(0, 5)
        corner = rng.uniform(0, 80, (noise, 2))
        far = np.concatenate([corner, corner + rng.uniform(5, 40, (noise, 2))], axis=1)
        guessed_labels = np.where(rng.random(count) < 0.1, rng.integers(0, 4, count), labels)
        boxes = np.concatenate([near, far])
        predictions.append(
            prediction(
                boxes, rng.random(len(boxes)), np.concatenate([guessed_labels, rng.integers(0, 5, noise)])
            )
        )
        targets.append(target(truth, labels))
    return predictions, targets


def coco_eval(predictions, targets):
    """pycocotools' COCOeval at IoU 0.5 on the same boxes (xywh, as COCO stores them), run directly."""
    coco = pytest.importorskip("pycocotools.coco")
    cocoeval = pytest.importorskip("pycocotools.cocoeval")

    def xywh(box):
        return [box[0], box[1], box[2] - box[0], box[3] - box[1]]

    truth = coco.COCO()
    annotations = [
        {
            "id": k + 1,
            "image_id": i,
            "bbox": xywh(b),
            "area": xywh(b)[2] * xywh(b)[3],
            "category_id": int(c),
            "iscrowd": 0,
        }
        for k, (i, b, c) in enumerate(
            (i, b, c) for i, t in enumerate(targets) for b, c in zip(t["boxes"], t["labels"])
        )
    ]
    classes = sorted({int(c) for image in predictions + targets for c in image["labels"]})
    truth.dataset = {
        "images": [{"id": i} for i in range(len(targets))],
        "annotations": annotations,
        "categories": [{"id": c} for c in classes],
    }
    with contextlib.redirect_stdout(io.StringIO()):
        truth.createIndex()
        results = truth.loadRes(
            [
                {"image_id": i, "bbox": xywh(b), "score": float(s), "category_id": int(c)}
                for i, p in enumerate(predictions)
                for b, s, c in zip(p["boxes"], p["scores"], p["labels"])
            ]
        )
        evaluation = cocoeval.COCOeval(truth, results, "bbox")
        evaluation.params.iouThrs = np.array([0.5])
        evaluation.evaluate()
        evaluation.accumulate()
    precision = evaluation.eval["precision"][0, :, :, 0, -1]  # (recall points, classes), area all, 100
    return {c: precision[:, k].mean() for k, c in enumerate(classes) if (precision[:, k] > -1).all()}


@pytest.mark.parametrize("seed", range(6))
def test_mean_average_precision_matches_pycocotools(seed):
    predictions, targets = random_case(seed)
    expected = coco_eval(predictions, targets)
    mean, per_class = mean_average_precision(predictions, targets)
    assert per_class == pytest.approx(expected, rel=1e-12)
    assert mean == pytest.approx(np.mean(list(expected.values())), rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_mean_average_precision_matches_torchmetrics(torch, seed):
    detection = pytest.importorskip("torchmetrics.detection")
    pytest.importorskip("pycocotools")
    predictions, targets = random_case(seed)
    # torchmetrics' default recall points are a float32 linspace (0.2 is stored as 0.2000000030): a recall
    # of exactly 1/5 then misses the point 0.2. COCO's are float64, as pycocotools' and ours; pass those.
    metric = detection.MeanAveragePrecision(
        iou_thresholds=[0.5], rec_thresholds=np.linspace(0, 1, 101).tolist(), class_metrics=True
    )
    metric.update(
        [{key: torch.tensor(value) for key, value in image.items()} for image in predictions],
        [{key: torch.tensor(value) for key, value in image.items()} for image in targets],
    )
    result = metric.compute()
    mean, per_class = mean_average_precision(predictions, targets)
    assert mean == pytest.approx(result["map"].item(), rel=1e-6)
    theirs = dict(zip(result["classes"].tolist(), result["map_per_class"].tolist()))
    assert theirs.pop(4, -1.0) == -1.0  # a class only in the predictions: -1 there, absent here
    assert per_class == pytest.approx(theirs, rel=1e-6)


# ------------------------------------------------------------------------------ bad input


def test_a_missing_key_is_refused():
    with pytest.raises(
        ValueError,
        match=r"predictions\[0\] has no 'scores' \(expected keys \('boxes', 'scores', 'labels'\)\)",
    ):
        mean_average_precision([{"boxes": np.zeros((0, 4)), "labels": np.zeros(0)}], [TRUTH])


def test_lists_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="2 predictions but 1 targets; give one dict per image in each"):
        mean_average_precision([GUESSES, GUESSES], [TRUTH])


def test_scores_of_another_length_are_refused():
    short = prediction([[0, 0, 1, 1], [0, 0, 2, 2]], [0.5], [0, 0])
    with pytest.raises(
        ValueError, match=r"predictions\[0\]\['scores'\] must hold one entry per box, shape \(2,\)"
    ):
        mean_average_precision([short], [TRUTH])


def test_crossed_corners_are_refused():
    with pytest.raises(ValueError, match=r"targets\[0\]: boxes\[0\] = \[5.0, 0.0, 1.0, 1.0\] has x2 < x1"):
        mean_average_precision([GUESSES], [target([[5, 0, 1, 1]], [0])])


def test_predictions_must_be_a_list_of_dicts():
    with pytest.raises(TypeError, match=r"predictions\[0\] must be a dict"):
        mean_average_precision([GUESSES["boxes"]], [TRUTH])
