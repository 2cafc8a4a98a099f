"""demos/losses.py: with small random weights the SVM loss is about C - 1 (PyTorch's, divided by C, about
(C - 1) / C) and the softmax loss about ln C, computed here from the scores; the sum over all classes is
the loss plus exactly 1; and on MNIST both losses train the linear classifier."""

from __future__ import annotations

import math
import re

import losses
import numpy as np
import pytest

import tinyconv

from .demo_testing import is_png, needs_mnist


def svm_and_softmax_by_hand(scores: np.ndarray, labels: np.ndarray) -> tuple:
    """cs231n's SVM loss and the softmax loss, the mean over the rows, written out in NumPy."""
    scores = scores.astype(np.float64)
    rows = np.arange(len(labels))
    margins = np.maximum(0, scores - scores[rows, labels][:, None] + 1)
    margins[rows, labels] = 0
    top = scores.max(axis=1)
    log_sum = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    return margins.sum(axis=1).mean(), (log_sum - scores[rows, labels]).mean()


@pytest.mark.parametrize("classes", [3, 10, 100])
def test_small_random_weights_give_about_c_minus_1_and_ln_c(classes):
    tinyconv.manual_seed(0)
    layer = losses.small_linear(784, classes)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 784)).astype(np.float32)
    labels = rng.integers(0, classes, size=400)
    scores = layer(tinyconv.Tensor(x)).detach()
    svm, softmax = svm_and_softmax_by_hand(scores.numpy(), labels)
    # the scores are about 0.001 * sqrt(784) = 0.03: each margin about 1, each probability about 1/C
    assert svm == pytest.approx(classes - 1, rel=0.02)
    assert softmax == pytest.approx(math.log(classes), rel=0.01)
    measured = losses.first_losses(scores, labels)
    assert measured["SVM, cs231n's sum"] == pytest.approx(svm, rel=1e-5)
    assert measured["SVM, PyTorch's (sum / C)"] == pytest.approx(svm / classes, rel=1e-5)
    assert measured["softmax cross-entropy"] == pytest.approx(softmax, rel=1e-5)


def test_the_printed_sanity_check_for_10_classes_is_9_and_ln_10(tmp_path, capsys):
    # --no-training needs no MNIST: a data folder that does not exist is never opened
    losses.main(["--no-training", "--out", str(tmp_path), "--data-dir", str(tmp_path / "none")])
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("random data, C = 10 "))
    svm, pytorch_svm, softmax = (float(value) for value in re.findall(r"(\d+\.\d+) \(expected", row))
    assert abs(svm - 9) < 0.05 and abs(pytorch_svm - 0.9) < 0.005 and abs(softmax - math.log(10)) < 0.005
    assert "the SVM loss is 0.0 skipping j = y, 1.0 summing over all j" in printed


def test_summing_over_all_classes_adds_exactly_1_per_example():
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((50, 10))
    labels = rng.integers(0, 10, size=50)
    skipped = tinyconv.functional.multiclass_hinge_loss(tinyconv.Tensor(scores), labels, reduction="none")
    # the j = y term is max(0, s_y - s_y + 1) = 1, whatever the scores
    np.testing.assert_allclose(
        losses.svm_sum_over_all_classes(scores, labels), skipped.numpy() + 1, rtol=1e-12
    )


def test_perfect_scores_cost_0_with_the_skip_and_1_without():
    labels = np.array([3, 0, 9, 9])
    perfect = losses.perfect_scores(labels, 10)
    np.testing.assert_array_equal(perfect.argmax(axis=1), labels)
    assert tinyconv.functional.multiclass_hinge_loss(tinyconv.Tensor(perfect), labels).item() == 0.0
    np.testing.assert_array_equal(losses.svm_sum_over_all_classes(perfect, labels), [1.0, 1.0, 1.0, 1.0])


@needs_mnist
def test_losses_demo_trains_both_and_counts_the_images_the_svm_is_done_with(tmp_path, capsys):
    result = losses.main(["--limit", "1000", "--epochs", "1", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    mnist = next(line for line in printed.splitlines() if line.startswith("MNIST, first 1,000"))
    svm, _, softmax = (float(value) for value in re.findall(r"(\d+\.\d+) \(expected", mnist))
    assert abs(svm - 9) < 0.1 and abs(softmax - math.log(10)) < 0.01  # MNIST's pixels: the same check
    for name, history in result["histories"].items():
        assert history["test_accuracy"][0] > 0.6, name  # 10 steps; chance is 0.1
        row = next(line for line in printed.splitlines() if line.startswith(name) and "%" in line)
        assert row.split()[-1] == f"{result['zero_share'][name]:.1%}"
    assert result["zero_share"]["multiclass SVM"] > result["zero_share"]["softmax cross-entropy"]
    assert "sum over all j minus the loss is 1.000000 to 1.000000" in printed
    assert is_png(tmp_path / losses.CURVES_PLOT) and is_png(tmp_path / losses.TEMPLATES_PLOT)
