"""nn.Conv2d (tinyconv/nn/conv.py): its weight's shape (groups included) and He initialization over
channels times kernel area, its repr, its arguments checked when built, and its gradient for the input and
both parameters; nn.ConvTranspose2d: PyTorch's layout, state_dict and initialization, output_size, its
gradient and its arguments checked.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
from tinyconv import nn


def test_conv2d_weight_std_uses_fan_in_of_channels_times_kernel_area():
    tinyconv.manual_seed(0)
    weight = nn.Conv2d(16, 64, kernel_size=5).weight.data  # fan_in = 16 * 5 * 5 = 400
    assert weight.shape == (64, 16, 5, 5)
    assert math.isclose(float(weight.std()), math.sqrt(2 / 400), rel_tol=0.03)


def test_conv2d_layer_with_groups_has_the_pytorch_weight_shape_and_repr():
    layer = nn.Conv2d(96, 256, 5, padding=2, groups=2)  # AlexNet's conv2 on two GPUs
    assert layer.weight.shape == (256, 48, 5, 5)
    assert "groups=2" in repr(layer)
    assert nn.Conv2d(8, 8, 3, dilation=2).weight.shape == (8, 8, 3, 3)


def test_conv2d_layer_rejects_a_zero_stride():
    with pytest.raises(ValueError, match="stride"):
        nn.Conv2d(1, 2, kernel_size=3, stride=0)


def test_conv2d_layer_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    layer = nn.Conv2d(2, 3, kernel_size=3, stride=2, padding=1).double()
    layer.bias.data[...] = np.array([0.1, -0.2, 0.3])  # a non-zero bias, so the bias path is exercised
    assert_gradcheck(lambda x, *params: layer(x), random_tensor(1, 2, 5, 6), layer.weight, layer.bias)


# ------------------------------------------------------------------------------ ConvTranspose2d


def test_conv_transpose_has_pytorch_s_layout_and_state_dict(torch):
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    reference = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert layer.weight.shape == tuple(reference.weight.shape) == (4, 3, 3, 3)  # (C_in, C_out / groups, k, k)
    assert [(k, v.shape) for k, v in layer.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in reference.state_dict().items()
    ]


def test_conv_transpose_initialization_is_pytorch_s():
    tinyconv.manual_seed(0)
    layer = nn.ConvTranspose2d(16, 8, 4)
    bound = 1 / math.sqrt(8 * 4 * 4)  # fan_in from the weight's second axis, as PyTorch computes it
    for parameter in (layer.weight, layer.bias):
        assert np.abs(parameter.data).max() <= bound and np.abs(parameter.data).max() > 0.8 * bound


def test_conv_transpose_layer_applies_the_functional(torch):
    layer = nn.ConvTranspose2d(3, 2, (3, 2), stride=(2, 1), padding=(1, 0), dilation=2, bias=True).double()
    reference = torch.nn.ConvTranspose2d(3, 2, (3, 2), stride=(2, 1), padding=(1, 0), dilation=2).double()
    layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = random_tensor(2, 3, 4, 5)
    expected = reference(torch.tensor(x.data)).detach().numpy()
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12, atol=1e-13)


def test_conv_transpose_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)
    x = tinyconv.zeros(1, 2, 5, 5)  # gives 9x9 or, with output_padding 1, 10x10
    assert layer(x).shape == (1, 2, 9, 9)
    assert layer(x, output_size=(10, 10)).shape == (1, 2, 10, 10)
    assert layer(x, output_size=(1, 2, 9, 10)).shape == (1, 2, 9, 10)
    with pytest.raises(
        ValueError, match=r"output_size \(12, 12\) cannot be reached .* from \(9, 9\) to \(10, 10\)"
    ):
        layer(x, output_size=(12, 12))


def test_conv_transpose_layer_gradient():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2).double()
    assert_gradcheck(lambda x, w, b: layer(x), random_tensor(1, 2, 3, 3), layer.weight, layer.bias)


def test_conv_transpose_output_padding_must_be_smaller_than_the_stride():
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than either the stride"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)


def test_conv_transpose_groups_must_divide_the_channels():
    with pytest.raises(
        ValueError, match=r"groups=2 must divide both in_channels \(3\) and out_channels \(4\)"
    ):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
