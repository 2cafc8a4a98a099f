"""The activation layers (tinyconv/nn/activation.py): their reprs and arguments as PyTorch's, checked
when built; each applies its function, passes its settings on unchanged (gradient checks) and matches
torch.nn's layer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import away_from_zero_tensor, leaf, random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.torch_checks import compare_with_torch

import tinyconv
import tinyconv.functional as F
from tinyconv import nn


def test_layers_repr_their_settings_as_pytorch():
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Identity()) == "Identity()"


def test_relu_and_leaky_relu_repr_their_settings_as_pytorch(torch):
    for ours, theirs in [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.LeakyReLU(0.2, True), torch.nn.LeakyReLU(0.2, True)),
    ]:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "layer, function", [(nn.ReLU(inplace=True), F.relu), (nn.LeakyReLU(0.1, True), None)]
)
def test_inplace_layers_write_their_result_into_the_input(layer, function):
    x = random_tensor(3, 4, requires_grad=False)
    expected = F.leaky_relu(x, 0.1).data if function is None else function(x).data
    assert layer(x) is x
    np.testing.assert_array_equal(x.data, expected)


def test_an_inplace_relu_inside_a_network_passes_the_gradient_as_the_other():
    tinyconv.manual_seed(0)
    linear = nn.Linear(3, 4).double()
    x = random_tensor(5, 3, requires_grad=False)
    nn.ReLU(inplace=True)(linear(x)).sum().backward()
    in_place = linear.weight.grad
    linear.zero_grad()
    nn.ReLU()(linear(x)).sum().backward()
    np.testing.assert_array_equal(in_place, linear.weight.grad)


def test_an_inplace_layer_refuses_a_leaf_that_requires_grad_as_pytorch():
    with pytest.raises(RuntimeError, match="ReLU\\(inplace=True\\): a leaf tensor that requires grad"):
        nn.ReLU(inplace=True)(random_tensor(3))


def test_inplace_must_be_a_bool_and_the_slope_a_number():
    with pytest.raises(TypeError, match="ReLU: inplace must be True or False, got 1"):
        nn.ReLU(1)
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a real number, got 'a'"):
        nn.LeakyReLU("a")


def test_layers_apply_their_functions():
    x = random_tensor(2, 3, requires_grad=False)
    np.testing.assert_array_equal(nn.ELU(0.5)(x).data, F.elu(x, 0.5).data)
    np.testing.assert_array_equal(nn.GELU("tanh")(x).data, F.gelu(x, "tanh").data)
    np.testing.assert_array_equal(nn.Softplus(2.0, 1.0)(x).data, F.softplus(x, 2.0, 1.0).data)


def test_softmax_layer_normalizes_along_dim():
    y = nn.Softmax(dim=0)(leaf([[0.0, 1.0], [math.log(3.0), 1.0]]))
    np.testing.assert_allclose(y.data, [[0.25, 0.5], [0.75, 0.5]])


def test_softmax_layer_dim_must_be_an_int():
    with pytest.raises(TypeError, match="Softmax: dim must be an int, got None"):
        nn.Softmax(None)


def test_gelu_layer_checks_its_approximation_when_built():
    with pytest.raises(ValueError, match="GELU: approximate must be one of"):
        nn.GELU("fast")


def test_softplus_layer_refuses_beta_zero_when_built():
    with pytest.raises(ValueError, match="Softplus: beta must be non-zero"):
        nn.Softplus(beta=0.0)


# Layers without parameters: the module must pass its settings (slope) on unchanged.
PARAMETER_FREE_LAYERS = {
    "LeakyReLU(0.2)": (nn.LeakyReLU(0.2), lambda: away_from_zero_tensor(2, 3, 4)),
    "Sigmoid": (nn.Sigmoid(), lambda: random_tensor(2, 5)),
    "Tanh": (nn.Tanh(), lambda: random_tensor(1, 2, 3, 4)),
}


@pytest.mark.parametrize("name", list(PARAMETER_FREE_LAYERS))
def test_parameter_free_layer_gradient(name):
    layer, make_input = PARAMETER_FREE_LAYERS[name]
    assert_gradcheck(layer, make_input())


# tinyconv's layer and torch.nn's (a function of the torch module, which is optional), built with the same
# arguments, and the input shape
TORCH_LAYERS = {
    "LeakyReLU(0.2)": (lambda: nn.LeakyReLU(0.2), lambda torch: torch.nn.LeakyReLU(0.2), (2, 3, 4)),
    "Sigmoid": (nn.Sigmoid, lambda torch: torch.nn.Sigmoid(), (3, 5)),
    "Tanh": (nn.Tanh, lambda torch: torch.nn.Tanh(), (3, 5)),
}


@pytest.mark.parametrize("name", list(TORCH_LAYERS))
def test_parameter_free_layer_matches_torch(torch, name):
    make_ours, make_theirs, shape = TORCH_LAYERS[name]
    compare_with_torch(torch, make_ours(), make_theirs(torch), [3.0 * random_array(*shape, seed=9)])
