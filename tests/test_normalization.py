"""Local response normalization and batch normalization (functional/normalization.py, nn/normalization.py).

Expected values come from hand computation, from a NumPy loop written from the formula in the test,
from finite differences (float64 gradcheck) and, where PyTorch is installed, from torch itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.gradcheck import gradcheck


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


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


def channel_axes(x) -> tuple:
    return (0,) + tuple(range(2, x.ndim))


# ================================================================================= local response norm


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


# (shape, size): every size of the issue, an even size, windows wider than the channels, 3-D to 5-D
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


def test_lrn_module_applies_the_functional_with_its_arguments():
    x = Tensor(random_array(2, 5, 3, 3))
    layer = nn.LocalResponseNorm(3, alpha=0.2, beta=0.5, k=2.0)
    np.testing.assert_array_equal(layer(x).data, F.local_response_norm(x, 3, 0.2, 0.5, 2.0).data)


def test_lrn_module_has_no_state_and_torchs_repr():
    layer = nn.LocalResponseNorm(5)
    assert list(layer.state_dict()) == []
    assert repr(layer) == "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1.0)"


@pytest.mark.parametrize("size", [0, -1])
def test_lrn_size_below_one_is_refused(size):
    with pytest.raises(ValueError, match=r"local_response_norm: size .* must be a positive int, got"):
        F.local_response_norm(random_tensor(1, 3, 2), size)


def test_lrn_module_size_zero_is_refused_when_built():
    with pytest.raises(ValueError, match=r"LocalResponseNorm: size .* must be a positive int, got 0"):
        nn.LocalResponseNorm(0)


@pytest.mark.parametrize("argument", ["alpha", "beta", "k"])
def test_lrn_module_constants_that_are_not_numbers_are_refused_when_built(argument):
    with pytest.raises(TypeError, match=f"LocalResponseNorm: {argument} must be a real number, got 'a'"):
        nn.LocalResponseNorm(2, **{argument: "a"})


def test_lrn_needs_at_least_three_dimensions():
    with pytest.raises(ValueError, match=r"at least 3 dimensions \(N, C, \.\.\.\), got shape \(2, 3\)"):
        F.local_response_norm(random_tensor(2, 3), 2)


def test_lrn_alpha_must_be_a_number():
    with pytest.raises(TypeError, match="local_response_norm: alpha must be a real number"):
        F.local_response_norm(random_tensor(1, 3, 2), 2, alpha="0.1")


# ================================================================================= batch norm: forward


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


def test_batchnorm_module_momentum_none_keeps_the_plain_average_of_the_batches():
    layer = nn.BatchNorm1d(2, momentum=None).double()
    batches = [random_array(5, 2, seed=s) for s in range(3)]
    for batch in batches:
        layer(Tensor(batch))
    np.testing.assert_allclose(layer.running_mean.data, np.mean([b.mean(axis=0) for b in batches], axis=0))
    np.testing.assert_allclose(
        layer.running_var.data, np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0)
    )


def test_batchnorm_module_counts_training_batches_only():
    layer = nn.BatchNorm2d(2)
    x = Tensor(random_array(2, 2, 3, 3, dtype=np.float32))
    layer(x)
    layer(x)
    layer.eval()
    layer(x)
    assert layer.num_batches_tracked.dtype == np.int64
    assert int(layer.num_batches_tracked.data) == 2


def test_batchnorm_module_in_eval_mode_normalizes_with_the_running_statistics():
    layer = nn.BatchNorm2d(2).double()
    layer.running_mean.data[...] = [1.0, -2.0]
    layer.running_var.data[...] = [4.0, 0.5]
    layer.eval()
    x = random_array(2, 2, 3, 4)
    y = layer(Tensor(x))
    np.testing.assert_allclose(y.data, batch_norm_by_formula(x, np.array([1.0, -2.0]), np.array([4.0, 0.5])))


def test_batchnorm_module_without_running_statistics_uses_the_batch_in_eval_mode_too():
    layer = nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    x = random_array(4, 3, 2)
    y = layer(Tensor(x))
    expected = batch_norm_by_formula(x, x.mean(axis=(0, 2)), x.var(axis=(0, 2)))
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    assert layer.running_mean is None and layer.num_batches_tracked is None


def test_batchnorm_module_starts_as_the_identity_normalization():
    layer = nn.BatchNorm2d(3)
    np.testing.assert_array_equal(layer.weight.data, np.ones(3))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))
    np.testing.assert_array_equal(layer.running_mean.data, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var.data, np.ones(3))
    assert layer.weight.dtype == np.float32 and int(layer.num_batches_tracked.data) == 0


def test_batchnorm_module_without_affine_has_no_parameters():
    layer = nn.BatchNorm2d(3, affine=False)
    assert layer.weight is None and layer.bias is None
    assert list(layer.parameters()) == []


def test_batchnorm_repr_matches_torchs_arguments():
    assert repr(nn.BatchNorm1d(4, momentum=None)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"
    )


def test_batchnorm_double_keeps_the_batch_counter_an_integer():
    layer = nn.BatchNorm2d(2).double()
    assert layer.running_var.dtype == np.float64 and layer.num_batches_tracked.dtype == np.int64


# ================================================================================= batch norm: gradients

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


def test_batchnorm_module_gradients_match_finite_differences_while_updating_statistics():
    layer = nn.BatchNorm2d(2).double()
    layer.weight.data[...] = [1.5, -0.5]
    layer.bias.data[...] = [0.2, 0.1]

    # gradcheck nudges layer.weight and layer.bias in place, so the layer sees every nudge
    assert gradcheck(lambda x, *parameters: layer(x), [random_tensor(2, 2, 3, 2), layer.weight, layer.bias])


def test_batch_norm_training_gradient_of_x_is_orthogonal_to_shifts_and_scalings():
    # with eps = 0, y does not change when x is shifted or scaled per channel, so for any upstream
    # gradient dL/dx sums to 0 per channel and is orthogonal to x_hat (and so to x)
    x = random_tensor(6, 2, 3)
    F.batch_norm(x, None, None, training=True, eps=0.0).backward(random_array(6, 2, 3, seed=9))
    np.testing.assert_allclose(x.grad.sum(axis=(0, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose((x.grad * x.data).sum(axis=(0, 2)), 0.0, atol=1e-12)


# ================================================================================= batch norm: PyTorch


def torch_batchnorm(torch, ours: nn.Module):
    """The torch module of the same kind and arguments, with our state copied in."""
    kind = getattr(torch.nn, type(ours).__name__)
    theirs = kind(
        ours.num_features,
        eps=ours.eps,
        momentum=ours.momentum,
        affine=ours.affine,
        track_running_stats=ours.track_running_stats,
    )
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return theirs


def randomize_affine(layer: nn.Module) -> None:
    layer.weight.data[...] = random_array(layer.num_features, seed=7, dtype=np.float32)
    layer.bias.data[...] = random_array(layer.num_features, seed=8, dtype=np.float32)


def compare_step(torch, ours, theirs, shape, seed: int) -> None:
    """One forward and backward of both modules: outputs and the gradients of x, weight and bias."""
    x = random_array(*shape, seed=seed, dtype=np.float32) * 2.0 + 0.5
    upstream = random_array(*shape, seed=seed + 100, dtype=np.float32)
    x_ours, x_theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(y_ours.data, y_theirs.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg="output")
    y_ours.backward(upstream)
    y_theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg="grad x")
    if ours.affine:
        for name in ("weight", "bias"):
            np.testing.assert_allclose(
                getattr(ours, name).grad,
                getattr(theirs, name).grad.numpy(),
                rtol=1e-4,
                atol=1e-5,
                err_msg=f"grad {name}",
            )
            getattr(ours, name).grad = None
            getattr(theirs, name).grad = None


BATCHNORM_TORCH_CASES = {
    "1d (N, C)": (nn.BatchNorm1d, (8, 3), {}),
    "1d (N, C, L)": (nn.BatchNorm1d, (4, 3, 5), {}),
    "1d batch 1 with L": (nn.BatchNorm1d, (1, 2, 6), {}),
    "2d non-square": (nn.BatchNorm2d, (3, 2, 4, 5), {}),
    "2d batch 1": (nn.BatchNorm2d, (1, 3, 3, 2), {}),
    "2d momentum None": (nn.BatchNorm2d, (2, 3, 3, 3), {"momentum": None}),
    "2d no affine": (nn.BatchNorm2d, (2, 3, 4, 4), {"affine": False}),
    "1d no running statistics": (nn.BatchNorm1d, (6, 4), {"track_running_stats": False}),
}


@pytest.mark.parametrize("name", list(BATCHNORM_TORCH_CASES))
def test_batchnorm_matches_torch_in_training_and_then_in_eval(torch, name):
    kind, shape, options = BATCHNORM_TORCH_CASES[name]
    ours = kind(shape[1], **options)
    if ours.affine:
        randomize_affine(ours)
    theirs = torch_batchnorm(torch, ours)
    for step in range(3):
        compare_step(torch, ours, theirs, shape, seed=step)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    ours.eval()
    theirs.eval()
    compare_step(torch, ours, theirs, shape, seed=10)


@pytest.mark.parametrize(
    "kind, options",
    [
        ("BatchNorm1d", {}),
        ("BatchNorm2d", {}),
        ("BatchNorm2d", {"affine": False}),
        ("BatchNorm2d", {"track_running_stats": False}),
    ],
)
def test_batchnorm_state_dict_keys_equal_torchs(torch, kind, options):
    ours = nn.Sequential(nn.Conv2d(1, 3, 3), getattr(nn, kind)(3, **options))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), getattr(torch.nn, kind)(3, **options))
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_batchnorm_state_dict_from_torch_loads_and_gives_torchs_eval_output(torch):
    theirs = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        theirs.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
        theirs.running_var.copy_(torch.tensor([0.5, 2.0, 1.5]))
        theirs.weight.copy_(torch.tensor([1.0, 2.0, -1.0]))
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = random_array(2, 3, 4, 4, dtype=np.float32)
    expected = theirs.eval()(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours.eval()(Tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


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


# ================================================================================= batch norm: bad input


def test_batchnorm2d_refuses_a_3d_input():
    with pytest.raises(
        ValueError, match=r"BatchNorm2d: expected a 4-D \(N, C, H, W\) input, got shape \(2, 3, 4\)"
    ):
        nn.BatchNorm2d(3)(random_tensor(2, 3, 4))


def test_batchnorm1d_refuses_a_4d_input():
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected a 2-D \(N, C\) or a 3-D \(N, C, L\) input"):
        nn.BatchNorm1d(3)(random_tensor(2, 3, 4, 4))


def test_batchnorm_refuses_the_wrong_channel_count():
    with pytest.raises(ValueError, match="BatchNorm2d: input has 4 channels .* built for num_features=3"):
        nn.BatchNorm2d(3)(random_tensor(2, 4, 3, 3))


def test_batchnorm_training_refuses_one_value_per_channel_and_counts_nothing():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"more than one value per channel .* shape \(1, 3\)"):
        layer(random_tensor(1, 3, dtype=np.float32))
    assert int(layer.num_batches_tracked.data) == 0


def test_batchnorm_num_features_must_be_positive():
    with pytest.raises(ValueError, match="BatchNorm2d: num_features must be a positive int, got 0"):
        nn.BatchNorm2d(0)


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
