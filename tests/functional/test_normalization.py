"""Local response normalization, batch normalization and layer normalization, the functions
(tinyconv/functional/normalization.py); their modules are in tests/nn/test_normalization.py.

Expected values come from hand computation, from a NumPy loop written from the formula in the test,
from finite differences (float64 gradcheck) and, where PyTorch is installed, from torch itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.functional.normalization import layer_norm
from tinyconv.gradcheck import gradcheck


def lrn_by_loops(a: np.ndarray, size: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """The LRN formula channel by channel, with the window written out as PyTorch defines it."""
    channels = a.shape[1]
    out = np.empty_like(a)
    for c in range(channels):
        low, high = max(0, c - size // 2), min(channels - 1, c + (size - 1) // 2)
        energy = sum(a[:, j] ** 2 for j in range(low, high + 1))
        out[:, c] = a[:, c] / (k + alpha / size * energy) ** beta
    return out


def batch_norm_by_formula(x, mean, var, weight=None, bias=None, eps=1e-5):
    """gamma * (x - mean) / sqrt(var + eps) + beta with the (C,) arrays broadcast over channels."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


# ------------------------------------------------------------------------------ local response norm


def test_lrn_window_of_even_size_reaches_one_channel_back():
    # channels 1, 2, 3; size 2 with alpha = 2 (alpha / size = 1), beta = 1, k = 1:
    # window(c) = {c - 1, c}: d = 1 + 1, 1 + 1 + 4, 1 + 4 + 9
    x = Tensor(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1))
    y = F.local_response_norm(x, size=2, alpha=2.0, beta=1.0, k=1.0)
    np.testing.assert_allclose(y.data.ravel(), [1 / 2, 2 / 6, 3 / 14])


def test_lrn_window_is_zero_padded_at_the_channel_edges():
    # size 5 over 3 channels of ones: every window holds all 3 channels and 2 padded zeros,
    # so d = 1 + (5 / 5) * 3 = 4 with alpha = 5, beta = 1.
    x = Tensor(np.ones((1, 3, 2)))
    y = F.local_response_norm(x, size=5, alpha=5.0, beta=1.0, k=1.0)
    np.testing.assert_allclose(y.data, np.full((1, 3, 2), 0.25))


def test_lrn_of_size_one_normalizes_each_value_by_itself_only():
    x = random_array(2, 4, 3)
    y = F.local_response_norm(Tensor(x), size=1, alpha=0.3, beta=0.75, k=2.0)
    np.testing.assert_allclose(y.data, x / (2.0 + 0.3 * x**2) ** 0.75)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
def test_lrn_matches_the_formula_written_as_loops(size):
    x = random_array(2, 5, 3, 2)
    y = F.local_response_norm(Tensor(x), size, alpha=0.5, beta=0.75, k=1.5)
    np.testing.assert_allclose(y.data, lrn_by_loops(x, size, 0.5, 0.75, 1.5), rtol=1e-12)


def test_lrn_keeps_float32():
    y = F.local_response_norm(Tensor(random_array(1, 4, 3, dtype=np.float32)), 3)
    assert y.dtype == np.float32


# (shape, size): sizes 1 to 5, even sizes, windows wider than the channels, 3-D to 5-D
LRN_GRADCHECK_CASES = {
    "size 1": ((2, 4, 3), 1),
    "size 2 (even), batch 1": ((1, 5, 2, 3), 2),
    "size 3": ((2, 5, 3, 2), 3),
    "size 5, 5-D input": ((1, 6, 2, 2, 2), 5),
    "size 5 wider than 3 channels": ((2, 3, 4), 5),
    "size 4 (even) near the edges": ((1, 4, 3, 3), 4),
}


@pytest.mark.parametrize("name", list(LRN_GRADCHECK_CASES))
def test_lrn_gradient_matches_finite_differences(name):
    shape, size = LRN_GRADCHECK_CASES[name]
    # a large alpha makes the normalizer matter, so the cross-channel term of the gradient is tested
    assert gradcheck(
        lambda x: F.local_response_norm(x, size, alpha=2.0, beta=0.75, k=1.0), [random_tensor(*shape)]
    )


def test_lrn_gradient_reaches_the_neighbouring_channels():
    # only channel 0's output gets a gradient; through the normalizer of channel 0 it must reach
    # channel 1 (in window(0) for size 3) but not channel 2
    x = Tensor(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1), requires_grad=True)
    y = F.local_response_norm(x, size=3, alpha=3.0, beta=1.0, k=1.0)
    y.backward(np.array([1.0, 0.0, 0.0]).reshape(1, 3, 1))
    # y0 = a0 / (1 + a0^2 + a1^2): dy0/da1 = -2 a0 a1 / d0^2 with d0 = 6
    np.testing.assert_allclose(x.grad.ravel(), [(6 - 2) / 36, -4 / 36, 0.0])


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 3), (1, 4, 3, 5), (2, 3, 2, 2, 3)], ids=["3-D", "4-D", "5-D"])
def test_lrn_matches_torch(torch, size, shape):
    x = random_array(*shape, seed=1, dtype=np.float32)
    upstream = random_array(*shape, seed=2, dtype=np.float32)
    ours = Tensor(x.copy(), requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y = F.local_response_norm(ours, size, alpha=0.5, beta=0.75, k=1.0)
    expected = torch.nn.functional.local_response_norm(theirs, size, alpha=0.5, beta=0.75, k=1.0)
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    y.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [0, -1])
def test_lrn_size_below_one_is_refused(size):
    with pytest.raises(ValueError, match=r"local_response_norm: size .* must be a positive int, got"):
        F.local_response_norm(random_tensor(1, 3, 2), size)


def test_lrn_needs_at_least_three_dimensions():
    with pytest.raises(ValueError, match=r"at least 3 dimensions \(N, C, \.\.\.\), got shape \(2, 3\)"):
        F.local_response_norm(random_tensor(2, 3), 2)


def test_lrn_alpha_must_be_a_number():
    with pytest.raises(TypeError, match="local_response_norm: alpha must be a real number"):
        F.local_response_norm(random_tensor(1, 3, 2), 2, alpha="0.1")


# ------------------------------------------------------------------------------ batch norm: forward


def test_batch_norm_training_gives_each_channel_zero_mean_and_unit_variance():
    x = random_array(4, 3, 5, 6) * 3.0 + 2.0
    y = F.batch_norm(Tensor(x), None, None, training=True, eps=0.0).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1.0, rtol=1e-12)


def test_batch_norm_training_uses_the_biased_batch_variance_and_the_affine_parameters():
    x, weight, bias = random_array(4, 3, 5, seed=1), random_array(3, seed=2), random_array(3, seed=3)
    y = F.batch_norm(Tensor(x), None, None, Tensor(weight), Tensor(bias), training=True)
    mean, var = x.mean(axis=(0, 2)), x.var(axis=(0, 2))  # NumPy's var divides by M: biased
    np.testing.assert_allclose(y.data, batch_norm_by_formula(x, mean, var, weight, bias), rtol=1e-12)


def test_batch_norm_training_updates_running_statistics_with_the_unbiased_variance():
    x = random_array(4, 3, 2, 2)
    running_mean = Tensor(np.full(3, 0.5))
    running_var = Tensor(np.full(3, 2.0))
    F.batch_norm(x=Tensor(x), running_mean=running_mean, running_var=running_var, training=True, momentum=0.3)
    np.testing.assert_allclose(running_mean.data, 0.7 * 0.5 + 0.3 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(running_var.data, 0.7 * 2.0 + 0.3 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)


def test_batch_norm_eval_uses_the_running_statistics_and_leaves_them_alone():
    x, mean, var = random_array(2, 3, 4, seed=1), np.array([0.5, -1.0, 2.0]), np.array([0.25, 4.0, 1.0])
    running_mean, running_var = Tensor(mean.copy()), Tensor(var.copy())
    weight, bias = random_array(3, seed=2), random_array(3, seed=3)
    y = F.batch_norm(Tensor(x), running_mean, running_var, Tensor(weight), Tensor(bias), training=False)
    np.testing.assert_allclose(y.data, batch_norm_by_formula(x, mean, var, weight, bias), rtol=1e-12)
    np.testing.assert_array_equal(running_mean.data, mean)
    np.testing.assert_array_equal(running_var.data, var)


# ------------------------------------------------------------------------------ batch norm: gradients


# shapes: 1d without L, 1d with L, batch 1 with L, 2d non-square, batch 1 2d
TRAINING_SHAPES = [(4, 3), (3, 2, 5), (1, 3, 4), (2, 3, 4, 5), (1, 2, 3, 4)]


@pytest.mark.parametrize("shape", TRAINING_SHAPES, ids=str)
def test_batch_norm_training_gradients_match_finite_differences(shape):
    channels = shape[1]
    inputs = [random_tensor(*shape, seed=1), random_tensor(channels, seed=2), random_tensor(channels, seed=3)]
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), inputs)


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4, 3)], ids=str)
def test_batch_norm_training_without_affine_gradient_matches_finite_differences(shape):
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), [random_tensor(*shape)])


def test_batch_norm_training_with_weight_only_gradient_matches_finite_differences():
    inputs = [random_tensor(3, 2, 4, seed=1), random_tensor(2, seed=2)]
    assert gradcheck(lambda x, w: F.batch_norm(x, None, None, w, training=True), inputs)


@pytest.mark.parametrize("shape", [(4, 3), (1, 3), (1, 3, 4), (2, 3, 4, 5)], ids=str)
def test_batch_norm_eval_gradients_match_finite_differences(shape):
    channels = shape[1]
    running_mean = Tensor(random_array(channels, seed=4))
    running_var = Tensor(np.random.default_rng(5).uniform(0.5, 2.0, channels))
    inputs = [random_tensor(*shape, seed=1), random_tensor(channels, seed=2), random_tensor(channels, seed=3)]
    assert gradcheck(lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b), inputs)


def test_batch_norm_eval_without_affine_gradient_matches_finite_differences():
    running_mean, running_var = Tensor(np.array([0.5, -1.0])), Tensor(np.array([2.0, 0.5]))
    x = random_tensor(3, 2, 2, 3)
    assert gradcheck(lambda x: F.batch_norm(x, running_mean, running_var), [x])


def test_batch_norm_training_gradient_of_x_is_orthogonal_to_shifts_and_scalings():
    # with eps = 0, y does not change when x is shifted or scaled per channel, so for any upstream
    # gradient dL/dx sums to 0 per channel and is orthogonal to x_hat (and so to x)
    x = random_tensor(6, 2, 3)
    F.batch_norm(x, None, None, training=True, eps=0.0).backward(random_array(6, 2, 3, seed=9))
    np.testing.assert_allclose(x.grad.sum(axis=(0, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose((x.grad * x.data).sum(axis=(0, 2)), 0.0, atol=1e-12)


# ------------------------------------------------------------------------------ batch norm: PyTorch


def test_functional_batch_norm_matches_torch_in_training_with_running_statistics(torch):
    x = random_array(4, 3, 2, 5, dtype=np.float32)
    weight, bias = random_array(3, seed=1, dtype=np.float32), random_array(3, seed=2, dtype=np.float32)
    ours_stats = [Tensor(np.zeros(3, np.float32)), Tensor(np.ones(3, np.float32))]
    theirs_stats = [torch.zeros(3), torch.ones(3)]
    y = F.batch_norm(Tensor(x), *ours_stats, Tensor(weight), Tensor(bias), True, 0.2, 1e-3)
    expected = torch.nn.functional.batch_norm(
        torch.tensor(x), *theirs_stats, torch.tensor(weight), torch.tensor(bias), True, 0.2, 1e-3
    )
    np.testing.assert_allclose(y.data, expected.numpy(), rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(ours_stats, theirs_stats):
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------ batch norm: bad input


def test_batch_norm_eval_needs_running_statistics():
    with pytest.raises(
        ValueError, match="evaluation mode .* running_mean and running_var, but they are None"
    ):
        F.batch_norm(random_tensor(4, 3), None, None, training=False)


def test_batch_norm_weight_must_have_one_value_per_channel():
    with pytest.raises(
        ValueError, match=r"input has 3 channels .* weight must have shape \(3,\), got \(4,\)"
    ):
        F.batch_norm(random_tensor(4, 3), None, None, random_tensor(4), training=True)


def test_batch_norm_running_mean_must_have_one_value_per_channel():
    with pytest.raises(ValueError, match=r"running_mean must have shape \(3,\), got \(2,\)"):
        F.batch_norm(random_tensor(4, 3), Tensor(np.zeros(2)), Tensor(np.ones(2)))


def test_batch_norm_needs_at_least_two_dimensions():
    with pytest.raises(ValueError, match=r"batch_norm: expected an input of at least 2 dimensions"):
        F.batch_norm(random_tensor(5), None, None, training=True)


# ------------------------------------------------------------------------------ layer norm


def layer_norm_by_formula(x, dims: int, weight=None, bias=None, eps=1e-5):
    """Each sample's last `dims` dims normalized with their own mean and biased variance, in NumPy."""
    axes = tuple(range(x.ndim - dims, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    y = y if weight is None else y * weight
    return y if bias is None else y + bias


def test_layer_norm_gives_each_sample_mean_zero_and_variance_one_over_its_features():
    x = Tensor(random_array(4, 6) * 5 + 3)
    y = layer_norm(x, 6, eps=0.0).data
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-10)


def test_layer_norm_does_not_mix_samples_unlike_batch_norm():
    x = random_array(3, 5)
    alone = layer_norm(Tensor(x[:1]), 5).data
    np.testing.assert_allclose(layer_norm(Tensor(x), 5).data[:1], alone, rtol=1e-12)


def test_layer_norm_over_two_trailing_dims_with_weight_and_bias_matches_the_formula():
    x, w, b = random_array(2, 3, 4, 5), random_array(4, 5, seed=1), random_array(4, 5, seed=2)
    y = layer_norm(Tensor(x), (4, 5), Tensor(w), Tensor(b), eps=1e-3)
    np.testing.assert_allclose(y.data, layer_norm_by_formula(x, 2, w, b, eps=1e-3), rtol=1e-12)


# (normalized shape, input shape, with weight, with bias)
LAYER_NORM_CASES = {
    "one sample": ((4,), (1, 4), True, True),
    "sequences (N, L, E)": ((5,), (2, 3, 5), True, True),
    "two normalized dims": ((3, 4), (2, 3, 4), True, True),
    "no affine": ((6,), (3, 6), False, False),
    "weight only": ((6,), (3, 6), True, False),
}


def layer_norm_case(name: str) -> tuple:
    """(fn, inputs) for one LAYER_NORM_CASES entry: x, then the weight and bias it has."""
    shape, x_shape, with_weight, with_bias = LAYER_NORM_CASES[name]
    inputs = [random_tensor(*x_shape, seed=1)]
    inputs += [random_tensor(*shape, seed=2)] if with_weight else []
    inputs += [random_tensor(*shape, seed=3)] if with_bias else []

    def fn(x, *affine):
        weight = affine[0] if with_weight else None
        bias = affine[-1] if with_bias else None
        return layer_norm(x, shape, weight, bias)

    return fn, inputs


@pytest.mark.parametrize("name", list(LAYER_NORM_CASES))
def test_layer_norm_gradient(name):
    fn, inputs = layer_norm_case(name)
    assert gradcheck(fn, inputs) is True


@pytest.mark.parametrize("name", list(LAYER_NORM_CASES))
def test_layer_norm_matches_torch(torch, name):
    fn, inputs = layer_norm_case(name)
    shape = LAYER_NORM_CASES[name][0]
    theirs = [torch.tensor(t.data, requires_grad=True) for t in inputs]
    with_weight, with_bias = LAYER_NORM_CASES[name][2:]
    weight = theirs[1] if with_weight else None
    bias = theirs[-1] if with_bias else None
    out, torch_out = fn(*inputs), torch.nn.functional.layer_norm(theirs[0], shape, weight, bias)
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = random_array(*out.shape, seed=5)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for mine, reference in zip(inputs, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_layer_norm_normalized_shape_must_be_the_trailing_dims():
    with pytest.raises(
        ValueError, match=r"normalized_shape \(4,\) must be the input's trailing dims, .* \(2, 5\)"
    ):
        layer_norm(random_tensor(2, 5), 4)


def test_layer_norm_weight_must_have_the_normalized_shape():
    with pytest.raises(ValueError, match=r"weight must have shape \(5,\) \(normalized_shape\), got \(4,\)"):
        layer_norm(random_tensor(2, 5), 5, random_tensor(4))


@pytest.mark.parametrize("eps", [-1.0, float("nan")])
def test_layer_norm_eps_must_be_non_negative(eps):
    with pytest.raises(ValueError, match="eps must be non-negative"):
        layer_norm(random_tensor(2, 5), 5, eps=eps)


def test_layer_norm_normalized_shape_must_be_ints():
    with pytest.raises(TypeError, match="normalized_shape must be an int or a non-empty tuple of ints"):
        layer_norm(random_tensor(2, 5), (5.0,))
