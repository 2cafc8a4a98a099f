"""nn.Conv2d (tinyconv/nn/conv.py): its weight's shape (groups included) and He initialization over
channels times kernel area, its repr, its arguments checked when built, and its gradient for the input and
both parameters.
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
