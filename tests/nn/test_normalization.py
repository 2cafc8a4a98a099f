"""nn.LocalResponseNorm, nn.BatchNorm1d, nn.BatchNorm2d and nn.LayerNorm (tinyconv/nn/normalization.py): their
arguments, running statistics in training and eval, state_dict and repr as PyTorch's, gradients while the
statistics update, and the same steps as torch.nn's layers.
"""

from __future__ import annotations

import numpy as np
import pytest
from functional.test_normalization import batch_norm_by_formula
from helpers import random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.gradcheck import gradcheck
from tinyconv.nn.normalization import LayerNorm

# ------------------------------------------------------------------------------ local response norm


def test_lrn_module_applies_the_functional_with_its_arguments():
    x = Tensor(random_array(2, 5, 3, 3))
    layer = nn.LocalResponseNorm(3, alpha=0.2, beta=0.5, k=2.0)
    np.testing.assert_array_equal(layer(x).data, F.local_response_norm(x, 3, 0.2, 0.5, 2.0).data)


def test_lrn_module_has_no_state_and_torchs_repr():
    layer = nn.LocalResponseNorm(5)
    assert list(layer.state_dict()) == []
    assert repr(layer) == "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1.0)"


def test_lrn_module_size_zero_is_refused_when_built():
    with pytest.raises(ValueError, match=r"LocalResponseNorm: size .* must be a positive int, got 0"):
        nn.LocalResponseNorm(0)


@pytest.mark.parametrize("argument", ["alpha", "beta", "k"])
def test_lrn_module_constants_that_are_not_numbers_are_refused_when_built(argument):
    with pytest.raises(TypeError, match=f"LocalResponseNorm: {argument} must be a real number, got 'a'"):
        nn.LocalResponseNorm(2, **{argument: "a"})


# ------------------------------------------------------------------------------ batch norm


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


def test_batchnorm_module_gradients_match_finite_differences_while_updating_statistics():
    layer = nn.BatchNorm2d(2).double()
    layer.weight.data[...] = [1.5, -0.5]
    layer.bias.data[...] = [0.2, 0.1]

    # gradcheck nudges layer.weight and layer.bias in place, so the layer sees every nudge
    assert gradcheck(lambda x, *parameters: layer(x), [random_tensor(2, 2, 3, 2), layer.weight, layer.bias])


# ------------------------------------------------------------------------------ batch norm: PyTorch


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


# ------------------------------------------------------------------------------ batch norm: bad input


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


# ------------------------------------------------------------------------------ layer norm


def test_layer_norm_has_pytorch_s_parameters_and_applies_the_functional():
    layer = LayerNorm((3, 4), eps=1e-3)
    assert [(name, p.shape) for name, p in layer.named_parameters()] == [("weight", (3, 4)), ("bias", (3, 4))]
    assert (layer.weight.data == 1).all() and (layer.bias.data == 0).all()
    layer.double()
    layer.weight.data[...], layer.bias.data[...] = random_array(3, 4, seed=1), random_array(3, 4, seed=2)
    x = Tensor(random_array(2, 3, 4))
    expected = F.layer_norm(x, (3, 4), layer.weight, layer.bias, eps=1e-3)
    np.testing.assert_array_equal(layer(x).data, expected.data)


def test_layer_norm_without_affine_or_without_bias():
    assert list(LayerNorm(5, elementwise_affine=False).named_parameters()) == []
    assert [name for name, _ in LayerNorm(5, bias=False).named_parameters()] == ["weight"]


def test_layer_norm_computes_the_same_in_training_and_evaluation():
    layer = LayerNorm(6).double()
    x = Tensor(random_array(4, 6))
    training = layer(x).data
    np.testing.assert_array_equal(layer.eval()(x).data, training)


def test_layer_norm_state_dict_loads_from_torch_and_gives_the_same_output(torch):
    reference = torch.nn.LayerNorm(5).double()
    with torch.no_grad():
        reference.weight.uniform_(0.5, 1.5)
        reference.bias.uniform_(-0.5, 0.5)
    layer = LayerNorm(5).double()
    layer.load_state_dict({name: value.numpy() for name, value in reference.state_dict().items()})
    x = random_array(3, 5)
    expected = reference(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=1e-12)
