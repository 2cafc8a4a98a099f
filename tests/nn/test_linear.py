"""nn.Linear (tinyconv/nn/linear.py): He-uniform weights and zero biases to start, its repr, and its
gradient for the input and both parameters.
"""

from __future__ import annotations

import math

import numpy as np
from helpers import random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
from tinyconv import nn


def test_linear_weight_has_the_he_standard_deviation():
    tinyconv.manual_seed(0)
    weight = nn.Linear(1000, 500).weight.data
    # 500,000 samples: the empirical std is within a fraction of a percent of sqrt(2 / fan_in)
    assert math.isclose(float(weight.std()), math.sqrt(2 / 1000), rel_tol=0.02)
    assert abs(float(weight.mean())) < 1e-3


def test_linear_weight_is_uniform_within_the_he_bound():
    tinyconv.manual_seed(0)
    weight = nn.Linear(200, 300).weight.data
    bound = math.sqrt(6 / 200)
    assert float(np.abs(weight).max()) <= bound
    assert float(np.abs(weight).max()) > 0.99 * bound  # 60,000 uniform samples reach the edge


def test_biases_start_at_zero():
    assert not np.any(nn.Linear(5, 4).bias.data)
    assert not np.any(nn.Conv2d(2, 3, 3).bias.data)


def test_repr_of_a_layer_without_bias_says_so():
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    assert repr(nn.Conv2d(1, 2, 3, bias=False)).endswith("bias=False)")


def test_linear_layer_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    layer = nn.Linear(4, 3).double()
    assert_gradcheck(lambda x, *params: layer(x), random_tensor(2, 4), layer.weight, layer.bias)
