"""The losses (tinyconv/functional/loss.py), in the module's order: reductions (empty batches), the class
losses (cross_entropy and nll_loss with class weights, ignore_index, label smoothing, (N, C, d1, ...)
inputs, probability targets), the multiclass hinge loss, binary cross-entropy (weight, pos_weight, NaN
refused), the regression losses (mse, l1, smooth_l1, huber), then dtypes, the upstream gradient, float64
gradient checks and PyTorch's losses.

Expected values come from hand computation or from PyTorch's definitions written out as loops over the rows
(reference_class_losses below), never from the code under test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import distinct_tensor, float32_ones, leaf, random_array, random_tensor, uniform_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.same_as_torch import assert_same_as_torch
from helpers.torch_checks import compare_with_torch

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor

LN2 = math.log(2.0)
REDUCTIONS = ["mean", "sum", "none"]


# ------------------------------------------------------------------------------ PyTorch's definitions


def log_softmax_rows(x: np.ndarray) -> np.ndarray:
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def reference_class_losses(log_p, targets, weight=None, ignore_index=-100, eps=0.0):
    """(per-row losses, denominator of the mean) as PyTorch defines nll_loss / cross_entropy, one row at a
    time: loss_i = -(1 - eps) w[t_i] log_p[i, t_i] - (eps / C) sum_k w[k] log_p[i, k], 0 for an ignored
    row; the mean divides by the sum of w[t_i] over the rows not ignored."""
    rows, classes = log_p.shape
    w = np.ones(classes) if weight is None else weight
    losses, denominator = np.zeros(rows), 0.0
    for i in range(rows):
        t = targets[i]
        if t == ignore_index:
            continue
        losses[i] = -(1 - eps) * w[t] * log_p[i, t]
        for k in range(classes):
            losses[i] -= (eps / classes) * w[k] * log_p[i, k]
        denominator += w[t]
    return losses, denominator


def as_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) scores as rows (N * d1 * ..., C), the classes last."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


# ------------------------------------------------------------------------------ reductions


def test_the_mean_of_an_empty_batch_is_nan_and_its_sum_is_zero_without_a_warning():
    cases = {
        "cross_entropy": lambda x, red: F.cross_entropy(x, np.zeros(0, dtype=np.int64), reduction=red),
        "nll_loss": lambda x, red: F.nll_loss(x, np.zeros(0, dtype=np.int64), reduction=red),
        "mse_loss": lambda x, red: F.mse_loss(x, tinyconv.zeros(0, 10), reduction=red),
        "l1_loss": lambda x, red: F.l1_loss(x, tinyconv.zeros(0, 10), reduction=red),
        "huber_loss": lambda x, red: F.huber_loss(x, tinyconv.zeros(0, 10), red),
        "binary_cross_entropy": lambda x, red: F.binary_cross_entropy(
            x, tinyconv.zeros(0, 10), reduction=red
        ),
        "binary_cross_entropy_with_logits": lambda x, red: F.binary_cross_entropy_with_logits(
            x, tinyconv.zeros(0, 10), reduction=red
        ),
    }
    for name, loss in cases.items():
        x = tinyconv.zeros(0, 10, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mean, total = loss(x, "mean"), loss(x, "sum")
            assert math.isnan(mean.item()), name
            assert total.item() == 0.0, name
            total.backward()
        assert x.grad.shape == (0, 10), name


# ------------------------------------------------------------------------------ cross-entropy, by hand


# Row 0: logits (0, 0), target 0: p = 1/2, loss ln 2.
# Row 1: logits (ln 3, 0), target 1: p = 1/4, loss 2 ln 2.
CE_LOGITS = [[0.0, 0.0], [math.log(3.0), 0.0]]


CE_TARGETS = np.array([0, 1])


def test_cross_entropy_is_the_mean_negative_log_probability_of_the_target():
    loss = F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS)
    assert loss.shape == ()
    assert math.isclose(loss.item(), 1.5 * LN2, rel_tol=1e-12)


def test_cross_entropy_with_reduction_sum():
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, reduction="sum").item(), 3 * LN2)


def test_cross_entropy_with_reduction_none_returns_one_loss_per_row():
    losses = F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, reduction="none")
    np.testing.assert_allclose(losses.data, [LN2, 2 * LN2])


def test_cross_entropy_gradient_is_probability_minus_one_hot_over_n():
    x = leaf(CE_LOGITS)
    F.cross_entropy(x, CE_TARGETS).backward()
    # row 0: (1/2, 1/2) - (1, 0); row 1: (3/4, 1/4) - (0, 1); both divided by N = 2
    np.testing.assert_allclose(x.grad, [[-0.25, 0.25], [0.375, -0.375]])


def test_cross_entropy_gradient_with_reduction_none_weights_each_row():
    x = leaf(CE_LOGITS)
    F.cross_entropy(x, CE_TARGETS, reduction="none").backward(np.array([2.0, 0.0]))
    np.testing.assert_allclose(x.grad, [[-1.0, 1.0], [0.0, 0.0]])


def test_cross_entropy_accepts_a_list_or_a_tensor_of_targets():
    expected = 1.5 * LN2
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), [0, 1]).item(), expected)
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), Tensor(np.array([0, 1]))).item(), expected)


def test_cross_entropy_is_finite_for_logits_of_plus_minus_1000():
    logits = leaf([[1000.0, -1000.0], [1000.0, -1000.0]], dtype=np.float32)
    losses = F.cross_entropy(logits, np.array([0, 1]), reduction="none")
    np.testing.assert_allclose(losses.data, [0.0, 2000.0])
    F.cross_entropy(logits, np.array([0, 1])).backward()
    np.testing.assert_allclose(logits.grad, [[0.0, 0.0], [0.5, -0.5]])


def test_cross_entropy_equals_the_negative_log_softmax_of_the_target():
    logits = random_tensor(5, 7, seed=3)
    targets = np.array([0, 6, 3, 3, 1])
    expected = -log_softmax_rows(logits.data)[np.arange(5), targets].mean()
    assert math.isclose(F.cross_entropy(logits, targets).item(), expected, rel_tol=1e-12)


def test_cross_entropy_of_one_unbatched_sample():
    x = leaf([math.log(3.0), 0.0])  # (C,) with a 0-d target, as PyTorch takes it
    loss = F.cross_entropy(x, np.array(1), reduction="none")
    assert loss.shape == ()
    assert math.isclose(loss.item(), 2 * LN2, rel_tol=1e-12)
    F.cross_entropy(x, np.array(1)).backward()
    np.testing.assert_allclose(x.grad, [0.75, -0.75])


# ------------------------------------------------------------------------------ class weights, ignore_index


def test_class_weights_scale_each_loss_and_the_mean_divides_by_their_sum():
    # losses ln 2 (class 0, weight 3) and 2 ln 2 (class 1, weight 1): (3 ln 2 + 2 ln 2) / (3 + 1)
    weight = Tensor(np.array([3.0, 1.0]))
    losses = F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, weight, reduction="none")
    np.testing.assert_allclose(losses.data, [3 * LN2, 2 * LN2])
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, weight).item(), 5 * LN2 / 4)
    assert math.isclose(F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, weight, reduction="sum").item(), 5 * LN2)


def test_weighted_gradient_is_the_weighted_probability_minus_one_hot_over_the_weight_sum():
    x = leaf(CE_LOGITS)
    F.cross_entropy(x, CE_TARGETS, Tensor(np.array([3.0, 1.0]))).backward()
    # row 0: 3 ((1/2, 1/2) - (1, 0)) / 4; row 1: 1 ((3/4, 1/4) - (0, 1)) / 4
    np.testing.assert_allclose(x.grad, [[-0.375, 0.375], [0.1875, -0.1875]])


def test_ignored_rows_add_nothing_and_do_not_count_in_the_mean():
    x = leaf(CE_LOGITS)
    loss = F.cross_entropy(x, np.array([0, -100]))
    assert math.isclose(loss.item(), LN2, rel_tol=1e-12)  # row 1 left out: ln 2 / 1
    loss.backward()
    np.testing.assert_allclose(x.grad, [[-0.5, 0.5], [0.0, 0.0]])
    losses = F.cross_entropy(leaf(CE_LOGITS), np.array([0, -100]), reduction="none")
    np.testing.assert_allclose(losses.data, [LN2, 0.0])


def test_ignore_index_may_be_a_real_class():
    # ignore_index=1 (a "background" class, say): row 1, of class 1, is left out
    loss = F.cross_entropy(leaf(CE_LOGITS), CE_TARGETS, ignore_index=1)
    assert math.isclose(loss.item(), LN2, rel_tol=1e-12)


def test_all_targets_ignored_gives_nan_for_the_mean_and_a_zero_gradient_as_pytorch():
    x = leaf(CE_LOGITS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, np.array([-100, -100]), Tensor(np.array([2.0, 1.0])), label_smoothing=0.1)
        assert math.isnan(loss.item())
        loss.backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 2)))
    assert F.nll_loss(leaf(CE_LOGITS), np.array([-100, -100]), reduction="sum").item() == 0.0


def test_a_log_probability_of_minus_infinity_outside_the_target_costs_nothing():
    # log 0 of a class that the target does not name: 0 * (-inf) would be NaN, PyTorch's loss is finite
    log_probs = leaf([[-LN2, -LN2, -math.inf]])
    assert math.isclose(F.nll_loss(log_probs, np.array([0])).item(), LN2)


# ------------------------------------------------------------------------------ (N, C, d1, ...) inputs


def test_cross_entropy_of_a_segmentation_map_is_one_loss_per_position():
    x = random_tensor(2, 3, 4, 5, seed=1)  # 2 images, 3 classes, 4 x 5 positions
    targets = np.random.default_rng(2).integers(0, 3, size=(2, 4, 5))
    losses = F.cross_entropy(x, targets, reduction="none")
    assert losses.shape == (2, 4, 5)
    log_p = np.moveaxis(log_softmax_rows(as_rows(x.data)).reshape(2, 4, 5, 3), -1, 1)  # back to (N, C, H, W)
    for n, h, w in np.ndindex(2, 4, 5):
        assert math.isclose(losses.data[n, h, w], -log_p[n, targets[n, h, w], h, w], rel_tol=1e-12)
    assert math.isclose(F.cross_entropy(x, targets).item(), losses.data.mean(), rel_tol=1e-12)


def test_weights_ignore_index_and_smoothing_on_a_3d_input_follow_pytorchs_definition():
    x = random_tensor(3, 4, 5, seed=3)  # (N, C, L)
    targets = np.random.default_rng(4).integers(0, 4, size=(3, 5))
    targets[0, 1] = targets[2, 4] = 7
    weight = np.array([0.5, 2.0, 1.0, 3.0])
    rows = as_rows(x.data)
    expected, denominator = reference_class_losses(log_softmax_rows(rows), targets.ravel(), weight, 7, 0.2)
    options = {"ignore_index": 7, "label_smoothing": 0.2}
    losses = F.cross_entropy(x, targets, Tensor(weight), reduction="none", **options)
    np.testing.assert_allclose(losses.data, expected.reshape(3, 5), rtol=1e-12)
    mean = F.cross_entropy(x, targets, Tensor(weight), **options)
    assert math.isclose(mean.item(), expected.sum() / denominator, rel_tol=1e-12)


# ------------------------------------------------------------------------------ class-probability targets


def test_cross_entropy_takes_class_probabilities_of_the_inputs_shape():
    x = random_tensor(4, 3, seed=5)
    q = np.random.default_rng(6).dirichlet(np.ones(3), size=4)
    expected = -(q * log_softmax_rows(x.data)).sum(axis=1)
    np.testing.assert_allclose(F.cross_entropy(x, Tensor(q), reduction="none").data, expected, rtol=1e-12)
    assert math.isclose(F.cross_entropy(x, Tensor(q)).item(), expected.mean(), rel_tol=1e-12)


def test_one_hot_probabilities_give_the_same_loss_as_indices():
    x = random_tensor(5, 4, seed=7)
    targets = np.array([0, 3, 1, 1, 2])
    one_hot = F.one_hot(Tensor(targets), 4).double()
    weight = Tensor(np.array([1.0, 2.0, 0.5, 1.5]))
    # with weights, PyTorch's mean over probability targets divides by N, not by the weight sum
    by_index = F.cross_entropy(x, targets, weight, reduction="sum", label_smoothing=0.1)
    by_probability = F.cross_entropy(x, one_hot, weight, reduction="sum", label_smoothing=0.1)
    assert math.isclose(by_index.item(), by_probability.item(), rel_tol=1e-12)


def test_probability_targets_that_require_grad_are_refused_rather_than_left_without_a_gradient():
    q = Tensor(np.full((2, 3), 1 / 3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"cross_entropy: target requires grad.*target.detach\(\)"):
        F.cross_entropy(random_tensor(2, 3), q)


def test_probability_targets_must_have_the_inputs_shape():
    with pytest.raises(
        ValueError, match=r"class probabilities must have the input's shape \(2, 3\), got \(2, 2\)"
    ):
        F.cross_entropy(random_tensor(2, 3), Tensor(np.full((2, 2), 0.5)))


# ------------------------------------------------------------------------------ class losses: bad input


def test_cross_entropy_label_too_large_names_the_valid_range():
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes \(or equal ignore_index=-100\), got 3"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 3]))


def test_cross_entropy_negative_label():
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes.*got -1"):
        F.cross_entropy(float32_ones(2, 3), np.array([1, -1]))


def test_cross_entropy_non_integer_labels_of_another_shape_are_not_taken_for_probabilities():
    with pytest.raises(TypeError, match="dtype float64"):
        F.cross_entropy(float32_ones(2, 3), np.array([0.0, 1.0]))


def test_cross_entropy_one_label_per_row():
    with pytest.raises(ValueError, match=r"target must have shape \(2,\).*input \(2, 3\).*got shape \(3,\)"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1, 2]))


def test_cross_entropy_one_label_per_position():
    with pytest.raises(ValueError, match=r"target must have shape \(2, 4\).*got shape \(2, 3, 4\)"):
        F.cross_entropy(float32_ones(2, 3, 4), np.zeros((2, 3, 4), dtype=np.int64))


def test_cross_entropy_refuses_a_0d_input():
    with pytest.raises(ValueError, match=r"class scores on dim 1, \(N, C\).*got a 0-d tensor"):
        F.cross_entropy(Tensor(np.float32(1.0)), np.array(0))


def test_cross_entropy_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of.*got 'avg'"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1]), reduction="avg")


def test_options_after_weight_are_keyword_only_as_their_pytorch_positions_differ():
    # PyTorch's fourth positional argument is size_average, not ignore_index
    with pytest.raises(TypeError, match="positional"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1]), None, 1)


@pytest.mark.parametrize(
    "weight, error, message",
    [
        (np.ones(2, dtype=np.float32), ValueError, r"one value per class, shape \(3,\), got shape \(2,\)"),
        (np.ones(3), TypeError, "input has dtype float32 but weight has dtype float64"),
        ([1.0, 1.0, 1.0], TypeError, "weight must be a Tensor, got list"),
        (np.ones(3, dtype=np.int64), TypeError, "weight must be a floating-point tensor"),
    ],
)
def test_bad_class_weights(weight, error, message):
    with pytest.raises(error, match=message):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1]), weight)


def test_class_weights_that_require_grad_are_refused_as_pytorch_does():
    weight = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"nll_loss: weight requires grad, .*pass weight.detach\(\)"):
        F.nll_loss(float32_ones(2, 3), np.array([0, 1]), weight)


def test_ignore_index_must_be_an_int():
    with pytest.raises(TypeError, match="cross_entropy: ignore_index must be an int, got None"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1]), ignore_index=None)


@pytest.mark.parametrize("eps", [-0.1, 1.5, math.nan])
def test_label_smoothing_outside_zero_one(eps):
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\], got"):
        F.cross_entropy(leaf([[0.0, 1.0]]), np.array([0]), label_smoothing=eps)


def test_label_smoothing_must_be_a_number():
    with pytest.raises(TypeError, match="cross_entropy: label_smoothing must be a real number, got '0.1'"):
        F.cross_entropy(leaf([[0.0, 1.0]]), np.array([0]), label_smoothing="0.1")


# ------------------------------------------------------------------------------ label smoothing


def test_label_smoothing_mixes_in_the_uniform_distribution():
    logits = random_tensor(4, 5, seed=7)
    targets = np.array([0, 4, 2, 2])
    n, k = logits.shape
    q = np.full((n, k), 0.1 / k)
    q[np.arange(n), targets] += 0.9
    expected = -(q * log_softmax_rows(logits.data)).sum(axis=1)
    losses = F.cross_entropy(logits, targets, reduction="none", label_smoothing=0.1)
    np.testing.assert_allclose(losses.data, expected, rtol=1e-12)


def test_label_smoothing_one_ignores_the_targets():
    logits = random_tensor(3, 4, seed=8)
    a = F.cross_entropy(logits, np.array([0, 1, 2]), label_smoothing=1.0)
    b = F.cross_entropy(logits, np.array([3, 3, 3]), label_smoothing=1.0)
    assert math.isclose(a.item(), b.item(), rel_tol=1e-12)


def test_label_smoothing_zero_is_plain_cross_entropy():
    logits = random_tensor(3, 4, seed=9)
    targets = np.array([0, 3, 1])
    assert (
        F.cross_entropy(logits, targets, label_smoothing=0.0).item()
        == F.cross_entropy(logits, targets).item()
    )


def test_label_smoothing_gradient_is_probability_minus_the_smoothed_target():
    logits = leaf([[0.0, math.log(3.0)]])
    F.cross_entropy(logits, np.array([1]), label_smoothing=0.2).backward()
    # p = (1/4, 3/4); q = (0.1, 0.9)
    np.testing.assert_allclose(logits.grad, [[0.25 - 0.1, 0.75 - 0.9]])


def test_label_smoothing_keeps_a_float32_loss_float32():
    loss = F.cross_entropy(float32_ones(2, 3), np.array([0, 1]), label_smoothing=0.1)
    assert loss.dtype == np.float32


# ------------------------------------------------------------------------------ nll_loss


def test_nll_loss_is_minus_the_mean_log_probability_of_the_targets():
    log_probs = leaf([[-1.0, -2.0, -3.0], [-0.5, -0.25, -4.0]])
    assert math.isclose(F.nll_loss(log_probs, np.array([2, 1])).item(), (3.0 + 0.25) / 2)


@pytest.mark.parametrize("reduction, expected", [("sum", 3.25), ("none", [3.0, 0.25])])
def test_nll_loss_reductions(reduction, expected):
    log_probs = leaf([[-1.0, -2.0, -3.0], [-0.5, -0.25, -4.0]])
    np.testing.assert_allclose(F.nll_loss(log_probs, np.array([2, 1]), reduction=reduction).data, expected)


def test_nll_loss_gradient_is_minus_one_over_n_at_the_targets_only():
    log_probs = leaf([[-1.0, -2.0, -3.0], [-0.5, -0.25, -4.0]])
    F.nll_loss(log_probs, np.array([2, 1])).backward()
    np.testing.assert_array_equal(log_probs.grad, [[0.0, 0.0, -0.5], [0.0, -0.5, 0.0]])


def test_weighted_nll_loss_divides_by_the_weights_of_the_targets():
    log_probs = leaf([[-1.0, -2.0, -3.0], [-0.5, -0.25, -4.0]])
    weight = Tensor(np.array([1.0, 4.0, 2.0]))
    loss = F.nll_loss(log_probs, np.array([2, 1]), weight)
    assert math.isclose(loss.item(), (2 * 3.0 + 4 * 0.25) / (2 + 4))
    loss.backward()
    np.testing.assert_allclose(log_probs.grad, [[0.0, 0.0, -2 / 6], [0.0, -4 / 6, 0.0]])


def test_nll_loss_of_log_softmax_equals_cross_entropy_with_the_same_gradient():
    targets = np.array([1, 0, 3])
    x1, x2 = random_tensor(3, 4, seed=5), random_tensor(3, 4, seed=5)
    two_steps = F.nll_loss(F.log_softmax(x1, dim=1), targets)
    fused = F.cross_entropy(x2, targets)
    two_steps.backward()
    fused.backward()
    assert math.isclose(two_steps.item(), fused.item(), rel_tol=1e-12)
    np.testing.assert_allclose(x1.grad, x2.grad, rtol=1e-12, atol=1e-15)


def test_nll_loss_targets_outside_the_classes():
    with pytest.raises(ValueError, match=r"nll_loss: target class indices must lie in \[0, 2\]"):
        F.nll_loss(leaf([[-1.0, -2.0, -3.0]]), np.array([3]))


def test_nll_loss_float_targets():
    with pytest.raises(
        TypeError, match="nll_loss: target must hold integer class indices, got dtype float64"
    ):
        F.nll_loss(leaf(np.zeros((2, 3))), np.array([0.0, 1.0]))


# ------------------------------------------------------------------------------ multiclass hinge loss


# The cs231n example (linear classification notes): three images, scores for cat, car, frog.
HINGE_SCORES = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]


HINGE_TARGETS = np.array([0, 1, 2])


def test_multiclass_hinge_loss_per_sample_as_in_cs231n():
    losses = F.multiclass_hinge_loss(leaf(HINGE_SCORES), HINGE_TARGETS, reduction="none")
    # cat: max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = 2.9; car: 0; frog: 6.3 + 6.6 = 12.9
    np.testing.assert_allclose(losses.data, [2.9, 0.0, 12.9], rtol=1e-12)


def test_multiclass_hinge_loss_is_the_batch_mean():
    loss = F.multiclass_hinge_loss(leaf(HINGE_SCORES), HINGE_TARGETS)
    assert math.isclose(loss.item(), (2.9 + 0.0 + 12.9) / 3, rel_tol=1e-12)


def test_multiclass_hinge_loss_with_margin_zero_only_counts_outscoring_classes():
    losses = F.multiclass_hinge_loss(leaf(HINGE_SCORES), HINGE_TARGETS, margin=0.0, reduction="none")
    np.testing.assert_allclose(losses.data, [1.9, 0.0, 5.3 + 5.6], rtol=1e-12)


def test_multiclass_hinge_loss_gradient_counts_active_margins():
    scores = leaf(HINGE_SCORES)
    F.multiclass_hinge_loss(scores, HINGE_TARGETS, reduction="sum").backward()
    # cat: only car is active (+1), so cat gets -1; car: none active; frog: both active, frog gets -2
    np.testing.assert_array_equal(scores.grad, [[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, -2.0]])


def test_multiclass_hinge_loss_margin_must_be_a_number():
    with pytest.raises(TypeError, match="multiclass_hinge_loss: margin must be a real number, got None"):
        F.multiclass_hinge_loss(leaf(HINGE_SCORES), HINGE_TARGETS, margin=None)


def test_multiclass_hinge_loss_targets_outside_the_classes():
    with pytest.raises(ValueError, match=r"multiclass_hinge_loss: target class indices must lie in \[0, 2\]"):
        F.multiclass_hinge_loss(leaf(HINGE_SCORES), np.array([0, 1, 5]))


def test_multiclass_hinge_loss_needs_a_2d_input():
    with pytest.raises(ValueError, match=r"expected a 2-D input \(N, num_classes\), got shape \(3,\)"):
        F.multiclass_hinge_loss(leaf([1.0, 2.0, 3.0]), np.array([0]))


# ------------------------------------------------------------------------------ multi_margin_loss (PyTorch's)


def test_multi_margin_loss_is_the_svm_sum_divided_by_the_number_of_classes():
    losses = F.multi_margin_loss(leaf(HINGE_SCORES), HINGE_TARGETS, reduction="none")
    # the cs231n sums above (2.9, 0, 12.9), each divided by C = 3
    np.testing.assert_allclose(losses.data, [2.9 / 3, 0.0, 12.9 / 3], rtol=1e-12)


def test_multi_margin_loss_of_pytorchs_documented_example():
    # x = (0.1, 0.2, 0.4, 0.8), y = 3: ((1 - 0.7) + (1 - 0.6) + (1 - 0.4)) / 4 = 0.325
    loss = F.multi_margin_loss(leaf([[0.1, 0.2, 0.4, 0.8]]), np.array([3]))
    assert math.isclose(loss.item(), 0.325, rel_tol=1e-12)


def test_multi_margin_loss_with_p_2_squares_each_margin():
    losses = F.multi_margin_loss(leaf(HINGE_SCORES), HINGE_TARGETS, p=2, reduction="none")
    # cat: only car's 2.9 is active; frog: 6.3 and 6.6
    np.testing.assert_allclose(losses.data, [2.9**2 / 3, 0.0, (6.3**2 + 6.6**2) / 3], rtol=1e-12)


def test_multi_margin_loss_weighs_each_sample_by_its_target_class_and_averages_over_samples():
    weight = Tensor(np.array([2.0, 5.0, 0.5]))
    loss = F.multi_margin_loss(leaf(HINGE_SCORES), HINGE_TARGETS, weight=weight)
    # rows of classes 0, 1, 2 weighted 2, 5, 0.5; the mean divides by N = 3, not by 2 + 5 + 0.5
    assert math.isclose(loss.item(), (2 * 2.9 + 5 * 0.0 + 0.5 * 12.9) / 3 / 3, rel_tol=1e-12)


def test_multi_margin_loss_margin_changes_where_a_class_counts():
    losses = F.multi_margin_loss(leaf(HINGE_SCORES), HINGE_TARGETS, margin=0.0, reduction="none")
    np.testing.assert_allclose(losses.data, [1.9 / 3, 0.0, (5.3 + 5.6) / 3], rtol=1e-12)


def test_multi_margin_loss_of_one_unbatched_sample_is_a_0d_loss():
    scores = leaf([3.2, 5.1, -1.7])
    for reduction in REDUCTIONS:
        loss = F.multi_margin_loss(scores, 0, reduction=reduction)
        assert loss.shape == ()
        assert math.isclose(loss.item(), 2.9 / 3, rel_tol=1e-12)


def test_multi_margin_loss_gradient_by_hand():
    scores = leaf(HINGE_SCORES)
    F.multi_margin_loss(scores, HINGE_TARGETS, reduction="sum").backward()
    # multiclass_hinge_loss's counts of active margins (see above), divided by C = 3
    expected = np.array([[-1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, -2.0]]) / 3
    np.testing.assert_allclose(scores.grad, expected, rtol=1e-12)


def test_multi_margin_loss_gradient_with_p_2_is_twice_the_margin():
    scores = leaf(HINGE_SCORES)
    F.multi_margin_loss(scores, HINGE_TARGETS, p=2, reduction="sum").backward()
    expected = np.array([[-2 * 2.9, 2 * 2.9, 0.0], [0.0, 0.0, 0.0], [2 * 6.3, 2 * 6.6, -2 * (6.3 + 6.6)]]) / 3
    np.testing.assert_allclose(scores.grad, expected, rtol=1e-12)


def test_multi_margin_loss_a_margin_met_exactly_passes_no_gradient():
    scores = leaf([[1.0, 0.0]])  # 0 - 1 + 1 = 0: the margin is met exactly
    loss = F.multi_margin_loss(scores, np.array([0]))
    loss.backward()
    assert loss.item() == 0.0
    np.testing.assert_array_equal(scores.grad, [[0.0, 0.0]])


def test_multi_margin_loss_of_an_empty_batch_is_nan_for_the_mean_and_0_for_the_sum():
    empty = leaf(np.zeros((0, 4)))
    assert math.isnan(F.multi_margin_loss(empty, np.zeros(0, dtype=np.int64)).item())
    assert F.multi_margin_loss(empty, np.zeros(0, dtype=np.int64), reduction="sum").item() == 0.0


def test_multi_margin_loss_takes_p_2_written_as_a_float_as_pytorch():
    as_int = F.multi_margin_loss(leaf(HINGE_SCORES), HINGE_TARGETS, p=2)
    assert F.multi_margin_loss(leaf(HINGE_SCORES), HINGE_TARGETS, p=2.0).item() == as_int.item()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda s: F.multi_margin_loss(s, HINGE_TARGETS, p=3),
            ValueError,
            r"p must be 1 or 2 \(as in PyTorch\), got 3",
        ),
        (
            lambda s: F.multi_margin_loss(s, HINGE_TARGETS, p=True),
            TypeError,
            "p must be a real number, got True",
        ),
        (
            lambda s: F.multi_margin_loss(s, HINGE_TARGETS, margin=None),
            TypeError,
            "margin must be a real number",
        ),
        (
            lambda s: F.multi_margin_loss(s, HINGE_TARGETS, weight=Tensor(np.array([1.0, 2.0]))),
            ValueError,
            r"weight must have one value per class, shape \(3,\), got shape \(2,\)",
        ),
        (
            lambda s: F.multi_margin_loss(s, np.array([0, 1, 3])),
            ValueError,
            r"target class indices must lie in \[0, 2\] for 3 classes, got 3",
        ),
        (
            lambda s: F.multi_margin_loss(s, HINGE_TARGETS, reduction="avg"),
            ValueError,
            "reduction must be one of",
        ),
        (
            lambda s: F.multi_margin_loss(s.reshape(3, 3, 1), np.zeros((3, 1), dtype=np.int64)),
            ValueError,
            r"expected an input \(N, num_classes\) or \(num_classes,\), got shape \(3, 3, 1\)",
        ),
    ],
)
def test_multi_margin_loss_refuses_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(leaf(HINGE_SCORES))


# ------------------------------------------------------------------------------ binary cross-entropy


def test_binary_cross_entropy_values():
    # -ln(1/2), -ln(1 - 1/4) = ln(4/3), and with a soft target 1/2: -(ln(1/4) + ln(3/4)) / 2
    p = leaf([0.5, 0.25, 0.25])
    y = Tensor(np.array([1.0, 0.0, 0.5]))
    expected = [LN2, math.log(4 / 3), -(math.log(0.25) + math.log(0.75)) / 2]
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction="none").data, expected, rtol=1e-15)
    assert math.isclose(F.binary_cross_entropy(p, y).item(), sum(expected) / 3, rel_tol=1e-15)


def test_binary_cross_entropy_weight_multiplies_each_loss_and_its_gradient():
    p = leaf([[0.5, 0.25]])
    y = Tensor(np.array([[1.0, 0.0]]))
    weight = Tensor(np.array([2.0, 3.0]))  # broadcast over the rows
    losses = F.binary_cross_entropy(p, y, weight, reduction="none")
    np.testing.assert_allclose(losses.data, [[2 * LN2, 3 * math.log(4 / 3)]], rtol=1e-15)
    F.binary_cross_entropy(p, y, weight).backward()  # the mean still divides by M = 2
    np.testing.assert_allclose(p.grad, [[2 * -0.5 / 0.25 / 2, 3 * 0.25 / 0.1875 / 2]])


def test_binary_cross_entropy_clamps_each_log_at_minus_100():
    p = leaf([0.0, 1.0, 0.0, 1.0])
    y = Tensor(np.array([1.0, 0.0, 0.0, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero warning from log(0) either
        losses = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_array_equal(losses.data, [100.0, 100.0, 0.0, 0.0])


def test_binary_cross_entropy_gradients():
    p = leaf([0.5, 0.25])
    y = leaf([1.0, 0.5])
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    # dL/dp = (p - y) / (p (1 - p)); dL/dy = log(1 - p) - log(p)
    np.testing.assert_allclose(p.grad, [-0.5 / 0.25, -0.25 / 0.1875])
    np.testing.assert_allclose(y.grad, [0.0, math.log(0.75 / 0.25)])


def test_binary_cross_entropy_gradient_is_large_but_finite_at_a_wrong_certainty():
    p = leaf([0.0, 1.0])
    F.binary_cross_entropy(p, Tensor(np.array([1.0, 0.0])), reduction="sum").backward()
    np.testing.assert_array_equal(p.grad, [-1e12, 1e12])  # (p - y) / 1e-12, as PyTorch


def test_binary_cross_entropy_refuses_nan_in_the_input_instead_of_clamping_it_away():
    # PyTorch refuses it too ("all elements of input should be between 0 and 1")
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must lie in \[0, 1\], got NaN"):
        F.binary_cross_entropy(leaf([0.5, math.nan]), Tensor(np.array([1.0, 0.0])))


def test_binary_cross_entropy_refuses_nan_in_the_target():
    with pytest.raises(ValueError, match=r"target must lie in \[0, 1\], got NaN"):
        F.binary_cross_entropy(leaf([0.5, 0.5]), Tensor(np.array([1.0, math.nan])))


def test_binary_cross_entropy_targets_outside_zero_one():
    with pytest.raises(
        ValueError, match=r"binary_cross_entropy: target must lie in \[0, 1\].*from 0.0 to 2.0"
    ):
        F.binary_cross_entropy(leaf([0.5, 0.5]), Tensor(np.array([0.0, 2.0])))


def test_binary_cross_entropy_probabilities_outside_zero_one_suggest_the_logits_version():
    with pytest.raises(ValueError, match=r"input must lie in \[0, 1\].*binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(leaf([-0.5, 0.5]), Tensor(np.array([0.0, 1.0])))


def test_binary_cross_entropy_shapes_must_match():
    with pytest.raises(ValueError, match=r"input has shape \(2, 1\) but target has shape \(2,\)"):
        F.binary_cross_entropy(leaf([[0.5], [0.5]]), Tensor(np.array([0.0, 1.0])))


def test_binary_cross_entropy_integer_targets():
    with pytest.raises(TypeError, match="binary_cross_entropy: target must be a floating-point tensor"):
        F.binary_cross_entropy(leaf([0.5, 0.5]), np.array([0, 1]))


def test_binary_cross_entropy_dtypes_must_match():
    with pytest.raises(TypeError, match="input has dtype float32 but target has dtype float64"):
        F.binary_cross_entropy(leaf([0.5], dtype=np.float32), np.array([1.0]))


def test_binary_cross_entropy_weight_must_broadcast_to_the_input():
    with pytest.raises(
        ValueError, match=r"weight of shape \(3,\) does not broadcast to the input's \(2, 2\)"
    ):
        F.binary_cross_entropy(leaf(np.full((2, 2), 0.5)), Tensor(np.ones((2, 2))), Tensor(np.ones(3)))


def test_binary_cross_entropy_with_logits_equals_bce_of_the_sigmoid():
    x = random_tensor(2, 5, seed=1)
    y = Tensor(np.random.default_rng(2).uniform(0, 1, size=(2, 5)))
    expected = F.binary_cross_entropy(F.sigmoid(x), y, reduction="none").data
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(x, y, reduction="none").data, expected, rtol=1e-12
    )


def test_binary_cross_entropy_with_logits_is_exact_for_huge_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = F.binary_cross_entropy_with_logits(
            leaf([1000.0, -1000.0, 1000.0], dtype=np.float32),
            Tensor(np.array([0.0, 1.0, 1.0], dtype=np.float32)),
            reduction="none",
        )
    np.testing.assert_array_equal(losses.data, [1000.0, 1000.0, 0.0])  # BCE of sigmoid would say 100


def test_binary_cross_entropy_with_logits_gradients():
    x = leaf([0.0, math.log(3.0)])
    y = leaf([1.0, 0.25])
    F.binary_cross_entropy_with_logits(x, y).backward()
    np.testing.assert_allclose(x.grad, [(0.5 - 1.0) / 2, (0.75 - 0.25) / 2])  # (sigmoid(x) - y) / M
    np.testing.assert_allclose(y.grad, [0.0, -math.log(3.0) / 2])  # -x / M


def test_pos_weight_multiplies_the_positive_term_only():
    # x = 0: sigmoid 1/2. y = 1: -P log(1/2) = P ln 2; y = 0: -log(1/2) = ln 2, whatever P is
    x = leaf([[0.0, 0.0], [0.0, 0.0]])
    y = Tensor(np.array([[1.0, 1.0], [0.0, 0.0]]))
    pos_weight = Tensor(np.array([3.0, 0.5]))  # one per class, the last dim
    losses = F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=pos_weight)
    np.testing.assert_allclose(losses.data, [[3 * LN2, 0.5 * LN2], [LN2, LN2]], rtol=1e-15)
    F.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=pos_weight).backward()
    # dL/dx = (1 + (P - 1) y) sigmoid(x) - P y: (3/2 - 3, 1/4 - 1/2) for y = 1, (1/2, 1/2) for y = 0
    np.testing.assert_allclose(x.grad, [[-1.5, -0.25], [0.5, 0.5]])


def test_binary_cross_entropy_with_logits_targets_outside_zero_one():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target must lie in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(leaf([3.0]), Tensor(np.array([-1.0])))


def test_pos_weight_that_requires_grad_is_refused_as_pytorch_does():
    pos_weight = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="pos_weight requires grad, but no gradient flows to it"):
        F.binary_cross_entropy_with_logits(leaf([0.0, 1.0]), Tensor(np.ones(2)), pos_weight=pos_weight)


# ------------------------------------------------------------------------------ regression losses


def test_mse_loss_is_the_mean_of_squared_differences():
    loss = F.mse_loss(leaf([1.0, 2.0, 3.0]), Tensor(np.array([1.0, 0.0, 0.0])))
    assert math.isclose(loss.item(), 13 / 3)


def test_mse_loss_gradient_is_two_times_the_difference_over_m():
    prediction = leaf([1.0, 2.0, 3.0])
    target = leaf([1.0, 0.0, 0.0])
    F.mse_loss(prediction, target).backward()
    np.testing.assert_allclose(prediction.grad, [0.0, 4 / 3, 2.0])
    np.testing.assert_allclose(target.grad, [0.0, -4 / 3, -2.0])


@pytest.mark.parametrize("reduction, expected", [("sum", 13.0), ("none", [0.0, 4.0, 9.0])])
def test_mse_loss_reductions(reduction, expected):
    loss = F.mse_loss(leaf([1.0, 2.0, 3.0]), Tensor(np.array([1.0, 0.0, 0.0])), reduction=reduction)
    np.testing.assert_allclose(loss.data, expected)


def test_mse_loss_accepts_an_ndarray_target():
    prediction = random_tensor(2, 3, seed=1)
    target = random_array(2, 3, seed=2)
    expected = ((prediction.data - target) ** 2).mean()
    assert math.isclose(F.mse_loss(prediction, target).item(), expected, rel_tol=1e-12)


def test_mse_loss_shapes_must_match():
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(2, 3\) but target has shape \(3, 2\)"):
        F.mse_loss(float32_ones(2, 3), float32_ones(3, 2))


def test_mse_loss_refuses_mixed_float_types():
    with pytest.raises(TypeError, match="input has dtype float32 but target has dtype float64"):
        F.mse_loss(tinyconv.zeros(3), np.zeros(3))


def test_regression_losses_take_reduction_by_keyword_only():
    # PyTorch's third positional argument of mse_loss is size_average
    with pytest.raises(TypeError, match="positional"):
        F.mse_loss(float32_ones(2), float32_ones(2), "sum")


def test_l1_loss_is_the_mean_absolute_difference_and_its_gradient_the_sign():
    x = leaf([1.0, -2.0, 3.0])
    y = leaf([1.0, 0.0, 0.0])
    loss = F.l1_loss(x, y)
    assert math.isclose(loss.item(), 5 / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad, [0.0, -1 / 3, 1 / 3])  # sign(0) = 0, as PyTorch
    np.testing.assert_allclose(y.grad, [0.0, 1 / 3, -1 / 3])


# differences -2, -0.5, 0.25, 3 against a zero target
DIFFERENCES = [-2.0, -0.5, 0.25, 3.0]


def test_smooth_l1_loss_is_squared_over_two_beta_inside_beta_and_absolute_outside():
    losses = F.smooth_l1_loss(leaf(DIFFERENCES), Tensor(np.zeros(4)), reduction="none", beta=1.0)
    np.testing.assert_allclose(losses.data, [2 - 0.5, 0.125, 0.03125, 3 - 0.5])
    losses = F.smooth_l1_loss(leaf(DIFFERENCES), Tensor(np.zeros(4)), reduction="none", beta=0.5)
    np.testing.assert_allclose(losses.data, [2 - 0.25, 0.5 - 0.25, 0.0625, 3 - 0.25])


def test_smooth_l1_loss_gradient_is_d_over_beta_inside_and_the_sign_outside():
    x = leaf(DIFFERENCES)
    F.smooth_l1_loss(x, Tensor(np.zeros(4)), reduction="sum", beta=1.0).backward()
    np.testing.assert_allclose(x.grad, [-1.0, -0.5, 0.25, 1.0])


def test_smooth_l1_loss_with_beta_zero_is_l1_loss():
    x = random_tensor(3, 4, seed=1)
    y = random_tensor(3, 4, seed=2, requires_grad=False)
    assert F.smooth_l1_loss(x, y, beta=0.0).item() == F.l1_loss(x, y).item()


def test_huber_loss_is_delta_times_smooth_l1_with_beta_delta():
    losses = F.huber_loss(leaf(DIFFERENCES), Tensor(np.zeros(4)), "none", 2.0)  # positional, as PyTorch
    np.testing.assert_allclose(losses.data, [2 * (2 - 1.0), 0.125, 0.03125, 2 * (3 - 1.0)])
    x = leaf(DIFFERENCES)
    F.huber_loss(x, Tensor(np.zeros(4)), reduction="sum", delta=2.0).backward()
    np.testing.assert_allclose(x.grad, [-2.0, -0.5, 0.25, 2.0])  # clip(d, -delta, delta)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: F.smooth_l1_loss(x, x.detach(), beta=-1.0), "smooth_l1_loss: beta must be non-negative"),
        (lambda x: F.smooth_l1_loss(x, x.detach(), beta=math.nan), "beta must be non-negative, got nan"),
        (lambda x: F.huber_loss(x, x.detach(), delta=0.0), "huber_loss: delta must be positive, got 0.0"),
        (lambda x: F.huber_loss(x, x.detach(), delta=math.nan), "delta must be positive, got nan"),
    ],
)
def test_smooth_l1_and_huber_refuse_bad_thresholds(call, message):
    with pytest.raises(ValueError, match=message):
        call(leaf([1.0]))


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "cross_entropy": lambda x: F.cross_entropy(x, np.array([0, 2]), label_smoothing=0.1),
    "mse_loss": lambda x: F.mse_loss(x, x.detach() * 0.5),
    "l1_loss": lambda x: F.l1_loss(x, x.detach() * 0.5),
    "smooth_l1_loss": lambda x: F.smooth_l1_loss(x, x.detach() * 0.5, beta=0.5),
    "huber_loss": lambda x: F.huber_loss(x, x.detach() * 0.5),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, x.detach() * 0, pos_weight=x.detach()),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "cross_entropy_none": (lambda x: F.cross_entropy(x, np.array([0, 2]), reduction="none"), (2, 3)),
    "nll_loss_none": (lambda x: F.nll_loss(x, np.array([[0, 2]]), reduction="none"), (1, 3, 2)),
    "mse_loss_none": (lambda x: F.mse_loss(x, Tensor(np.ones((2, 3))), reduction="none"), (2, 3)),
    "huber_loss_none": (lambda x: F.huber_loss(x, Tensor(np.ones((2, 3))), reduction="none"), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# name -> (input shape, target, weight or None, options); targets with ignored entries (-100, or 2)
CLASS_GRADCHECK_CASES = {
    "batch 1": ((1, 3), np.array([2]), None, {}),
    "weights": ((5, 4), np.array([0, 3, 3, 1, 2]), np.array([0.5, 2.0, 1.0, 3.0]), {}),
    "ignore_index present": ((4, 3), np.array([0, -100, 2, 1]), None, {}),
    "weights, ignore_index and smoothing": (
        (5, 4),
        np.array([0, 3, -100, 1, 2]),
        np.array([0.5, 2.0, 1.0, 3.0]),
        {"label_smoothing": 0.2},
    ),
    "ignore_index a class": ((4, 3), np.array([0, 2, 2, 1]), np.array([1.0, 2.0, 0.5]), {"ignore_index": 2}),
    "all ignored (sum)": ((3, 3), np.array([-100, -100, -100]), None, {"reduction": "sum"}),
    "(N, C, L)": ((2, 3, 4), np.array([[0, 1, 2, 1], [2, -100, 0, 0]]), np.array([1.0, 0.5, 2.0]), {}),
    "(N, C, H, W), none": (
        (2, 3, 2, 2),
        np.array([[[0, 1], [2, 2]], [[1, 0], [0, 2]]]),
        None,
        {"reduction": "none"},
    ),
    "unbatched (C,)": ((4,), np.array(3), np.array([1.0, 2.0, 3.0, 4.0]), {}),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CLASS_GRADCHECK_CASES))
def test_cross_entropy_gradient(name, reduction):
    shape, target, weight, options = CLASS_GRADCHECK_CASES[name]
    options = {"reduction": reduction, **options}
    weight = None if weight is None else Tensor(weight)
    assert_gradcheck(lambda x: F.cross_entropy(x, target, weight, **options), random_tensor(*shape))


@pytest.mark.parametrize("name", list(CLASS_GRADCHECK_CASES))
def test_nll_loss_gradient(name):
    shape, target, weight, options = CLASS_GRADCHECK_CASES[name]
    options = {key: value for key, value in options.items() if key != "label_smoothing"}
    weight = None if weight is None else Tensor(weight)
    assert_gradcheck(lambda z: F.nll_loss(z, target, weight, **options), random_tensor(*shape))


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(5, 4), (1, 3)])
def test_cross_entropy_gradient_with_label_smoothing(shape, label_smoothing, reduction):
    targets = np.arange(shape[0]) % shape[1]
    assert_gradcheck(
        lambda x: F.cross_entropy(x, targets, reduction=reduction, label_smoothing=label_smoothing),
        random_tensor(*shape),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2)])
def test_cross_entropy_gradient_with_probability_targets(shape, reduction):
    q = Tensor(np.random.default_rng(1).uniform(0, 1, size=shape))
    weight = Tensor(np.array([1.0, 0.5, 2.0]))
    assert_gradcheck(
        lambda x: F.cross_entropy(x, q, weight, reduction=reduction, label_smoothing=0.1),
        random_tensor(*shape),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (2, 3, 4)])
@pytest.mark.parametrize("with_weight", [False, True])
def test_binary_cross_entropy_gradient_for_both_inputs(shape, reduction, with_weight):
    p = uniform_tensor(*shape, low=0.1, high=0.9, seed=1)
    y = uniform_tensor(*shape, low=0.0, high=1.0, seed=2)
    weight = Tensor(np.linspace(0.5, 2.0, shape[-1])) if with_weight else None
    assert_gradcheck(lambda p, y: F.binary_cross_entropy(p, y, weight, reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6,), (2, 3, 4)])
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits_gradient_for_both_inputs(shape, reduction, weights):
    x = Tensor(4.0 * random_array(*shape, seed=1), requires_grad=True)
    y = uniform_tensor(*shape, low=0.0, high=1.0, seed=2)
    weight = Tensor(np.linspace(0.5, 2.0, shape[-1])) if weights in ("weight", "both") else None
    pos_weight = Tensor(np.linspace(3.0, 0.25, shape[-1])) if weights in ("pos_weight", "both") else None

    def loss(x, y):
        return F.binary_cross_entropy_with_logits(x, y, weight, reduction=reduction, pos_weight=pos_weight)

    assert_gradcheck(loss, x, y)


def regression_inputs(*shape: int) -> tuple:
    """A prediction and a target whose differences stay at least 0.05 away from 0 and from +-0.5 (the kinks
    of l1 at 0 and of smooth_l1 / huber at beta = delta = 0.5), far beyond a finite-difference nudge."""
    x = random_tensor(*shape, seed=1)
    differences = away_from_kinks(np.random.default_rng(2).uniform(-2.0, 2.0, size=shape))
    return x, Tensor(x.data - differences, requires_grad=True)


def away_from_kinks(values: np.ndarray) -> np.ndarray:
    for kink in (0.0, 0.5, -0.5):
        near = np.abs(values - kink) < 0.05
        values[near] = kink + 0.1
    return values


REGRESSION_LOSSES = {
    "mse_loss": lambda x, y, reduction: F.mse_loss(x, y, reduction=reduction),
    "l1_loss": lambda x, y, reduction: F.l1_loss(x, y, reduction=reduction),
    "smooth_l1_loss": lambda x, y, reduction: F.smooth_l1_loss(x, y, reduction=reduction, beta=0.5),
    "huber_loss": lambda x, y, reduction: F.huber_loss(x, y, reduction, 0.5),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(1,), (3, 4)])
@pytest.mark.parametrize("name", list(REGRESSION_LOSSES))
def test_regression_loss_gradient_for_prediction_and_target(name, shape, reduction):
    loss = REGRESSION_LOSSES[name]
    assert_gradcheck(lambda x, y: loss(x, y, reduction), *regression_inputs(*shape))


def hinge_scores(*shape: int, seed: int) -> Tensor:
    """Distinct scores 0.3 apart. With a margin of 0.15 plus a multiple of 0.3, every s_j - s_y + margin
    is 0.15 plus a multiple of 0.3: at least 0.15 from the kink at 0, far beyond a finite-difference nudge."""
    return Tensor(3.0 * distinct_tensor(*shape, seed=seed).data, requires_grad=True)


@pytest.mark.parametrize(
    "shape, margin, reduction",
    [((5, 4), 1.05, "mean"), ((1, 6), 0.45, "mean"), ((4, 3), 1.05, "none"), ((3, 5), 0.75, "sum")],
)
def test_multiclass_hinge_loss_gradient_with_margins_active_and_inactive(shape, margin, reduction):
    scores = hinge_scores(*shape, seed=3)
    targets = np.arange(shape[0]) % shape[1]
    margins = scores.data - scores.data[np.arange(shape[0]), targets][:, None] + margin
    margins[np.arange(shape[0]), targets] = 0.0
    assert (margins > 0).any() and (margins < 0).any()  # both kinds occur
    assert_gradcheck(
        lambda s: F.multiclass_hinge_loss(s, targets, margin=margin, reduction=reduction), scores
    )


MULTI_MARGIN_CASES = {
    "(5, 4), p 1, mean": ((5, 4), 1, 1.05, False, "mean"),
    "(1, 6), p 2, mean": ((1, 6), 2, 0.45, False, "mean"),
    "(4, 3), p 1, weight, none": ((4, 3), 1, 1.05, True, "none"),
    "(3, 5), p 2, weight, sum": ((3, 5), 2, 0.75, True, "sum"),
    "(6,), p 1, none": ((6,), 1, 0.45, False, "none"),
}


def multi_margin_case(shape: tuple, weighted: bool, seed: int) -> tuple:
    """Scores away from the hinge's kink (hinge_scores); as each row's target, its class of middle score, so
    that some margins are active and some are not; class weights."""
    scores = hinge_scores(*shape, seed=seed)
    classes = shape[-1]
    middle = np.argsort(scores.data.reshape(-1, classes), axis=1)[:, classes // 2]
    targets = middle if len(shape) == 2 else middle[0]
    weight = Tensor(np.linspace(0.5, 2.0, classes)) if weighted else None
    return scores, targets, weight


@pytest.mark.parametrize("name", list(MULTI_MARGIN_CASES))
def test_multi_margin_loss_gradient(name):
    shape, p, margin, weighted, reduction = MULTI_MARGIN_CASES[name]
    scores, targets, weight = multi_margin_case(shape, weighted, seed=5)
    rows = scores.data.reshape(-1, shape[-1])
    margins = rows - rows[np.arange(len(rows)), targets.ravel()][:, None] + margin
    margins[np.arange(len(rows)), targets.ravel()] = 0.0
    assert (margins > 0).any() and (margins < 0).any()  # both kinds occur
    assert_gradcheck(
        lambda s: F.multi_margin_loss(s, targets, p, margin, weight, reduction=reduction), scores
    )


# ------------------------------------------------------------------------------ against PyTorch


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CLASS_GRADCHECK_CASES))
def test_cross_entropy_matches_torch(torch, name, reduction):
    shape, target, weight, options = CLASS_GRADCHECK_CASES[name]
    options = {"reduction": reduction, **options}
    weight = None if weight is None else weight.astype(np.float32)
    ours = None if weight is None else Tensor(weight)
    theirs = None if weight is None else torch.tensor(weight)
    compare_with_torch(
        torch,
        lambda x: F.cross_entropy(x, target, ours, **options),
        lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), theirs, **options),
        [3.0 * random_array(*shape, seed=8)],
    )


@pytest.mark.parametrize("name", list(CLASS_GRADCHECK_CASES))
def test_nll_loss_matches_torch(torch, name):
    shape, target, weight, options = CLASS_GRADCHECK_CASES[name]
    options = {key: value for key, value in options.items() if key != "label_smoothing"}
    weight = None if weight is None else weight.astype(np.float32)
    ours = None if weight is None else Tensor(weight)
    theirs = None if weight is None else torch.tensor(weight)
    compare_with_torch(
        torch,
        lambda z: F.nll_loss(z, target, ours, **options),
        lambda z: torch.nn.functional.nll_loss(z, torch.tensor(target), theirs, **options),
        [random_array(*shape, seed=1)],
    )


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_label_smoothing_matches_torch(torch, reduction, label_smoothing):
    targets = np.array([0, 3, 3, 1, 2, 4])
    compare_with_torch(
        torch,
        lambda x: F.cross_entropy(x, targets, reduction=reduction, label_smoothing=label_smoothing),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(targets), reduction=reduction, label_smoothing=label_smoothing
        ),
        [3.0 * random_array(6, 5, seed=5)],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_cross_entropy_with_probability_targets_matches_torch(torch, shape, reduction):
    q = np.random.default_rng(3).uniform(0, 1, size=shape).astype(np.float32)
    weight = np.array([1.0, 0.5, 2.0], dtype=np.float32)
    compare_with_torch(
        torch,
        lambda x: F.cross_entropy(x, Tensor(q), Tensor(weight), reduction=reduction, label_smoothing=0.2),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(q), torch.tensor(weight), reduction=reduction, label_smoothing=0.2
        ),
        [random_array(*shape, seed=4)],
    )


def test_all_ignored_targets_match_torch(torch):
    x = random_array(3, 4, seed=2, dtype=np.float32)
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    targets = np.full(3, -100)
    our_loss = F.cross_entropy(ours, targets, label_smoothing=0.1)
    their_loss = torch.nn.functional.cross_entropy(theirs, torch.tensor(targets), label_smoothing=0.1)
    assert math.isnan(our_loss.item()) and math.isnan(their_loss.item())
    our_loss.backward()
    their_loss.backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(torch, reduction):
    rng = np.random.default_rng(1)
    weight = rng.uniform(0.5, 2.0, size=4).astype(np.float32)
    compare_with_torch(
        torch,
        lambda p, y: F.binary_cross_entropy(p, y, Tensor(weight), reduction=reduction),
        lambda p, y: torch.nn.functional.binary_cross_entropy(
            p, y, torch.tensor(weight), reduction=reduction
        ),
        [rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(torch, reduction):
    rng = np.random.default_rng(2)
    weight = rng.uniform(0.5, 2.0, size=(3, 1)).astype(np.float32)
    pos_weight = rng.uniform(0.25, 4.0, size=4).astype(np.float32)

    def ours(x, y):
        return F.binary_cross_entropy_with_logits(
            x, y, Tensor(weight), reduction=reduction, pos_weight=Tensor(pos_weight)
        )

    def theirs(x, y):
        return torch.nn.functional.binary_cross_entropy_with_logits(
            x, y, torch.tensor(weight), reduction=reduction, pos_weight=torch.tensor(pos_weight)
        )

    compare_with_torch(
        torch, ours, theirs, [5.0 * rng.standard_normal((3, 4)), rng.uniform(0, 1, size=(3, 4))]
    )


TORCH_REGRESSION_LOSSES = {
    "mse_loss": (REGRESSION_LOSSES["mse_loss"], lambda F, x, y, r: F.mse_loss(x, y, reduction=r)),
    "l1_loss": (REGRESSION_LOSSES["l1_loss"], lambda F, x, y, r: F.l1_loss(x, y, reduction=r)),
    "smooth_l1_loss, beta 0.5": (
        REGRESSION_LOSSES["smooth_l1_loss"],
        lambda F, x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.5),
    ),
    "smooth_l1_loss, beta 0": (
        lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
        lambda F, x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
    ),
    "huber_loss, delta 0.5": (REGRESSION_LOSSES["huber_loss"], lambda F, x, y, r: F.huber_loss(x, y, r, 0.5)),
    "huber_loss, delta 2": (
        lambda x, y, r: F.huber_loss(x, y, r, 2.0),
        lambda F, x, y, r: F.huber_loss(x, y, r, 2.0),
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(TORCH_REGRESSION_LOSSES))
def test_regression_loss_matches_torch(torch, name, reduction):
    ours, theirs = TORCH_REGRESSION_LOSSES[name]
    x, y = regression_inputs(4, 5)
    compare_with_torch(
        torch,
        lambda x, y: ours(x, y, reduction),
        lambda x, y: theirs(torch.nn.functional, x, y, reduction),
        [x.data, y.data],
    )


@pytest.mark.parametrize("margin", [1.05, 0.45])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multiclass_hinge_loss_is_torch_multi_margin_loss_times_the_number_of_classes(
    torch, reduction, margin
):
    num_classes = 5
    targets = np.array([0, 3, 3, 1, 2, 4])
    compare_with_torch(
        torch,
        lambda s: F.multiclass_hinge_loss(s, targets, margin=margin, reduction=reduction),
        lambda s: (
            num_classes
            * torch.nn.functional.multi_margin_loss(
                s, torch.tensor(targets), margin=margin, reduction=reduction
            )
        ),
        [hinge_scores(6, num_classes, seed=4).data],
    )


@pytest.mark.parametrize("name", list(MULTI_MARGIN_CASES))
def test_multi_margin_loss_matches_torch(torch, name):
    shape, p, margin, weighted, reduction = MULTI_MARGIN_CASES[name]
    scores, targets, weight = multi_margin_case(shape, weighted, seed=6)
    our_weight = None if weight is None else Tensor(weight.data.astype(np.float32))
    their_weight = None if weight is None else torch.tensor(weight.data, dtype=torch.float32)
    compare_with_torch(
        torch,
        lambda s: F.multi_margin_loss(s, targets, p, margin, our_weight, reduction=reduction),
        lambda s: torch.nn.functional.multi_margin_loss(
            s, torch.tensor(targets), p, margin, their_weight, reduction=reduction
        ),
        [scores.data],
    )


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_matches_torch_in_float64_to_rounding(torch, p):
    scores, targets, weight = multi_margin_case((6, 5), weighted=True, seed=7)
    assert_same_as_torch(
        torch,
        lambda s: F.multi_margin_loss(s, targets, p, 0.75, weight),
        lambda s: torch.nn.functional.multi_margin_loss(
            s, torch.tensor(targets), p, 0.75, torch.tensor(weight.data)
        ),
        scores.data,
    )
