"""The pooling layers (tinyconv/nn/pooling.py): their arguments checked when built, passed on unchanged
to the functions (gradient checks), and torch.nn's layers; adaptive average pooling as a layer.
"""

from __future__ import annotations

import pytest
from helpers import distinct_tensor, random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.torch_checks import compare_with_torch

from tinyconv import nn


@pytest.mark.parametrize("layer", [nn.MaxPool2d, nn.AvgPool2d])
@pytest.mark.parametrize("stride", [0, -2])
def test_pooling_layer_rejects_a_stride_that_is_not_positive(layer, stride):
    with pytest.raises(ValueError, match=f"{layer.__name__}: stride must be positive"):
        layer(2, stride=stride)


def test_pooling_layers_check_their_arguments_when_built():
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        nn.MaxPool2d(-1)
    with pytest.raises(ValueError, match="padding .* must be at most half the kernel size"):
        nn.AvgPool2d(2, padding=2)


# Layers without parameters: the module must pass its settings (window, stride) on unchanged.
PARAMETER_FREE_LAYERS = {
    "MaxPool2d(3, stride=2, padding=1)": (
        nn.MaxPool2d(3, stride=2, padding=1),
        lambda: distinct_tensor(1, 2, 5, 7),
    ),
    "AvgPool2d(2, stride=1)": (nn.AvgPool2d(2, stride=1), lambda: random_tensor(2, 1, 4, 3)),
    "AvgPool2d((2, 3), padding=1)": (nn.AvgPool2d((2, 3), padding=1), lambda: random_tensor(1, 2, 5, 4)),
}


@pytest.mark.parametrize("name", list(PARAMETER_FREE_LAYERS))
def test_parameter_free_layer_gradient(name):
    layer, make_input = PARAMETER_FREE_LAYERS[name]
    assert_gradcheck(layer, make_input())


# tinyconv's layer and torch.nn's (a function of the torch module, which is optional), built with the same
# arguments, and the input shape
TORCH_LAYERS = {
    "MaxPool2d(3, 2, 1)": (
        lambda: nn.MaxPool2d(3, 2, 1),
        lambda torch: torch.nn.MaxPool2d(3, 2, 1),
        (2, 3, 7, 9),
    ),
    "AvgPool2d((2, 3), 1)": (
        lambda: nn.AvgPool2d((2, 3), 1),
        lambda torch: torch.nn.AvgPool2d((2, 3), 1),
        (1, 2, 5, 6),
    ),
}


@pytest.mark.parametrize("name", list(TORCH_LAYERS))
def test_parameter_free_layer_matches_torch(torch, name):
    make_ours, make_theirs, shape = TORCH_LAYERS[name]
    compare_with_torch(torch, make_ours(), make_theirs(torch), [3.0 * random_array(*shape, seed=9)])


# ------------------------------------------------------------------------------ adaptive average pooling


def test_adaptive_avg_pool_layer():
    layer = nn.AdaptiveAvgPool2d((None, 3))
    assert repr(layer) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    assert layer(random_tensor(2, 1, 5, 7)).shape == (2, 1, 5, 3)


def test_adaptive_avg_pool_layer_checks_its_output_size_when_built():
    with pytest.raises(ValueError, match="AdaptiveAvgPool2d: output_size must be positive"):
        nn.AdaptiveAvgPool2d(0)
