"""The losses (tinyconv/functional/loss.py), in the module's order: cross-entropy (with label smoothing)
and mean squared error, then nll_loss, binary_cross_entropy(_with_logits) and the multiclass hinge loss.

Hand-computed values and gradients, finite results for extreme logits, clear errors for bad targets,
dtypes kept and the upstream gradient left alone, float64 gradient checks, and PyTorch's losses.
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
from helpers.torch_checks import compare_with_torch

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------ cross-entropy


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
    log_p = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(5), targets].mean()
    assert math.isclose(F.cross_entropy(logits, targets).item(), expected, rel_tol=1e-12)


def test_cross_entropy_label_too_large_names_the_valid_range():
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes, got values from 0 to 3"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 3]))


def test_cross_entropy_negative_label():
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes, got values from -1 to 1"):
        F.cross_entropy(float32_ones(2, 3), np.array([1, -1]))


def test_cross_entropy_non_integer_labels():
    with pytest.raises(TypeError, match="integer class indices, got dtype float64"):
        F.cross_entropy(float32_ones(2, 3), np.array([0.0, 1.0]))


def test_cross_entropy_one_label_per_row():
    with pytest.raises(ValueError, match=r"shape \(2,\).*got shape \(3,\)"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1, 2]))


def test_cross_entropy_logits_must_be_2d():
    with pytest.raises(ValueError, match=r"2-D logits \(N, num_classes\), got shape \(6,\)"):
        F.cross_entropy(float32_ones(6), np.array([0]))


def test_cross_entropy_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of.*got 'avg'"):
        F.cross_entropy(float32_ones(2, 3), np.array([0, 1]), reduction="avg")


# ------------------------------------------------------------------------------ label smoothing


def smoothed_cross_entropy(logits: np.ndarray, targets: np.ndarray, eps: float) -> np.ndarray:
    """-sum_k q_k log p_k with q = (1 - eps) one-hot + eps / K, in plain NumPy."""
    n, k = logits.shape
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    q = np.full((n, k), eps / k)
    q[np.arange(n), targets] += 1 - eps
    return -(q * log_p).sum(axis=1)


def test_label_smoothing_mixes_in_the_uniform_distribution():
    logits = random_tensor(4, 5, seed=7)
    targets = np.array([0, 4, 2, 2])
    losses = F.cross_entropy(logits, targets, reduction="none", label_smoothing=0.1)
    np.testing.assert_allclose(losses.data, smoothed_cross_entropy(logits.data, targets, 0.1), rtol=1e-12)


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


@pytest.mark.parametrize("eps", [-0.1, 1.5])
def test_label_smoothing_outside_zero_one(eps):
    with pytest.raises(ValueError, match=f"cross_entropy: label_smoothing must be in \\[0, 1\\], got {eps}"):
        F.cross_entropy(leaf([[0.0, 1.0]]), np.array([0]), label_smoothing=eps)


def test_label_smoothing_must_be_a_number():
    with pytest.raises(TypeError, match="cross_entropy: label_smoothing must be a real number, got '0.1'"):
        F.cross_entropy(leaf([[0.0, 1.0]]), np.array([0]), label_smoothing="0.1")


# ------------------------------------------------------------------------------ mean squared error


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
    with pytest.raises(ValueError, match=r"prediction has shape \(2, 3\) but target has shape \(3, 2\)"):
        F.mse_loss(float32_ones(2, 3), float32_ones(3, 2))


def test_mse_loss_refuses_mixed_float_types():
    with pytest.raises(TypeError, match="prediction has dtype float32 but target has dtype float64"):
        F.mse_loss(tinyconv.zeros(3), np.zeros(3))


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


def test_nll_loss_of_log_softmax_equals_cross_entropy_with_the_same_gradient():
    targets = np.array([1, 0, 3])
    x1, x2 = random_tensor(3, 4, seed=5), random_tensor(3, 4, seed=5)
    two_steps = F.nll_loss(F.log_softmax(x1), targets)
    fused = F.cross_entropy(x2, targets)
    two_steps.backward()
    fused.backward()
    assert math.isclose(two_steps.item(), fused.item(), rel_tol=1e-12)
    np.testing.assert_allclose(x1.grad, x2.grad, rtol=1e-12, atol=1e-15)


def test_nll_loss_targets_outside_the_classes():
    with pytest.raises(ValueError, match=r"nll_loss: target class indices must lie in \[0, 2\]"):
        F.nll_loss(leaf([[-1.0, -2.0, -3.0]]), np.array([3]))


def test_nll_loss_targets_with_the_wrong_shape_name_the_log_probs():
    with pytest.raises(ValueError, match=r"one class index per row of log_probs \(2, 3\), got shape \(3,\)"):
        F.nll_loss(leaf(np.zeros((2, 3))), np.array([0, 1, 2]))


def test_nll_loss_float_targets():
    with pytest.raises(TypeError, match="nll_loss: targets must be integer class indices, got dtype float64"):
        F.nll_loss(leaf(np.zeros((2, 3))), np.array([0.0, 1.0]))


def test_nll_loss_needs_a_2d_input():
    with pytest.raises(
        ValueError, match=r"nll_loss: expected a 2-D log_probs \(N, num_classes\), got shape \(3,\)"
    ):
        F.nll_loss(leaf([-1.0, -2.0, -3.0]), np.array([0]))


# ------------------------------------------------------------------------------ binary cross-entropy


def test_binary_cross_entropy_values():
    # -ln(1/2), -ln(1 - 1/4) = ln(4/3), and with a soft target 1/2: -(ln(1/4) + ln(3/4)) / 2
    p = leaf([0.5, 0.25, 0.25])
    y = Tensor(np.array([1.0, 0.0, 0.5]))
    expected = [LN2, math.log(4 / 3), -(math.log(0.25) + math.log(0.75)) / 2]
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, reduction="none").data, expected, rtol=1e-15)
    assert math.isclose(F.binary_cross_entropy(p, y).item(), sum(expected) / 3, rel_tol=1e-15)


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


def test_binary_cross_entropy_targets_outside_zero_one():
    with pytest.raises(
        ValueError, match=r"binary_cross_entropy: targets must lie in \[0, 1\].*from 0.0 to 2.0"
    ):
        F.binary_cross_entropy(leaf([0.5, 0.5]), Tensor(np.array([0.0, 2.0])))


def test_binary_cross_entropy_probabilities_outside_zero_one_suggest_the_logits_version():
    with pytest.raises(
        ValueError, match="probabilities must lie in \\[0, 1\\].*binary_cross_entropy_with_logits"
    ):
        F.binary_cross_entropy(leaf([-0.5, 0.5]), Tensor(np.array([0.0, 1.0])))


def test_binary_cross_entropy_shapes_must_match():
    with pytest.raises(ValueError, match=r"probabilities has shape \(2, 1\) but targets have shape \(2,\)"):
        F.binary_cross_entropy(leaf([[0.5], [0.5]]), Tensor(np.array([0.0, 1.0])))


def test_binary_cross_entropy_integer_targets():
    with pytest.raises(TypeError, match="binary_cross_entropy: targets must be a floating-point tensor"):
        F.binary_cross_entropy(leaf([0.5, 0.5]), np.array([0, 1]))


def test_binary_cross_entropy_dtypes_must_match():
    with pytest.raises(TypeError, match="probabilities has dtype float32 but targets has dtype float64"):
        F.binary_cross_entropy(leaf([0.5], dtype=np.float32), np.array([1.0]))


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


def test_binary_cross_entropy_with_logits_targets_outside_zero_one():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: targets must lie in \[0, 1\]"):
        F.binary_cross_entropy_with_logits(leaf([3.0]), Tensor(np.array([-1.0])))


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


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "cross_entropy": lambda x: F.cross_entropy(x, np.array([0, 2])),
    "mse_loss": lambda x: F.mse_loss(x, x.detach() * 0.5),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "cross_entropy_none": (lambda x: F.cross_entropy(x, np.array([0, 2]), reduction="none"), (2, 3)),
    "mse_loss_none": (lambda x: F.mse_loss(x, Tensor(np.ones((2, 3))), reduction="none"), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradient(reduction):
    targets = np.array([0, 3, 3, 1, 2])
    assert_gradcheck(lambda x: F.cross_entropy(x, targets, reduction=reduction), random_tensor(5, 4))


def test_cross_entropy_gradient_with_batch_1():
    assert_gradcheck(lambda x: F.cross_entropy(x, np.array([2])), random_tensor(1, 3))


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(5, 4), (1, 3)])
def test_cross_entropy_gradient_with_label_smoothing(shape, label_smoothing, reduction):
    targets = np.arange(shape[0]) % shape[1]
    assert_gradcheck(
        lambda x: F.cross_entropy(x, targets, reduction=reduction, label_smoothing=label_smoothing),
        random_tensor(*shape),
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradient_for_prediction_and_target(reduction):
    prediction, target = random_tensor(3, 4, seed=1), random_tensor(3, 4, seed=2)
    assert_gradcheck(lambda p, t: F.mse_loss(p, t, reduction=reduction), prediction, target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5, 4), (1, 3)])
def test_nll_loss_gradient(shape, reduction):
    targets = np.arange(shape[0]) % shape[1]
    assert_gradcheck(lambda z: F.nll_loss(z, targets, reduction=reduction), random_tensor(*shape))


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("shape", [(6,), (2, 3, 4)])
def test_binary_cross_entropy_gradient_for_both_inputs(shape, reduction):
    p = uniform_tensor(*shape, low=0.1, high=0.9, seed=1)
    y = uniform_tensor(*shape, low=0.0, high=1.0, seed=2)
    assert_gradcheck(lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6,), (2, 3, 4)])
def test_binary_cross_entropy_with_logits_gradient_for_both_inputs(shape, reduction):
    x = Tensor(4.0 * random_array(*shape, seed=1), requires_grad=True)
    y = uniform_tensor(*shape, low=0.0, high=1.0, seed=2)
    assert_gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction), x, y)


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


# ------------------------------------------------------------------------------ against PyTorch


REDUCTIONS = ["mean", "sum", "none"]


TARGETS = np.array([0, 3, 3, 1, 2, 4])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(torch, reduction):
    targets = np.array([0, 6, 3, 3, 1, 2])
    compare_with_torch(
        torch,
        lambda x: F.cross_entropy(x, targets, reduction=reduction),
        lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(targets), reduction=reduction),
        [3.0 * random_array(6, 7, seed=8)],
    )


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_label_smoothing_matches_torch(torch, reduction, label_smoothing):
    compare_with_torch(
        torch,
        lambda x: F.cross_entropy(x, TARGETS, reduction=reduction, label_smoothing=label_smoothing),
        lambda x: torch.nn.functional.cross_entropy(
            x, torch.tensor(TARGETS), reduction=reduction, label_smoothing=label_smoothing
        ),
        [3.0 * random_array(6, 5, seed=5)],
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(torch, reduction):
    compare_with_torch(
        torch,
        lambda p, t: F.mse_loss(p, t, reduction=reduction),
        lambda p, t: torch.nn.functional.mse_loss(p, t, reduction=reduction),
        [random_array(4, 5, seed=9), random_array(4, 5, seed=10)],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_torch(torch, reduction):
    compare_with_torch(
        torch,
        lambda z: F.nll_loss(z, TARGETS, reduction=reduction),
        lambda z: torch.nn.functional.nll_loss(z, torch.tensor(TARGETS), reduction=reduction),
        [random_array(6, 5, seed=1)],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(torch, reduction):
    rng = np.random.default_rng(1)
    compare_with_torch(
        torch,
        lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction),
        lambda p, y: torch.nn.functional.binary_cross_entropy(p, y, reduction=reduction),
        [rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(0, 1, size=(3, 4))],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(torch, reduction):
    rng = np.random.default_rng(2)
    compare_with_torch(
        torch,
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction),
        lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction=reduction),
        [5.0 * rng.standard_normal((3, 4)), rng.uniform(0, 1, size=(3, 4))],
    )


@pytest.mark.parametrize("margin", [1.05, 0.45])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multiclass_hinge_loss_is_torch_multi_margin_loss_times_the_number_of_classes(
    torch, reduction, margin
):
    num_classes = 5
    compare_with_torch(
        torch,
        lambda s: F.multiclass_hinge_loss(s, TARGETS, margin=margin, reduction=reduction),
        lambda s: (
            num_classes
            * torch.nn.functional.multi_margin_loss(
                s, torch.tensor(TARGETS), margin=margin, reduction=reduction
            )
        ),
        [hinge_scores(6, num_classes, seed=4).data],
    )
