"""nn.Upsample (tinyconv/nn/upsampling.py): F.interpolate as a layer, its arguments checked when built."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import nn


def test_upsample_applies_interpolate_with_its_arguments():
    x = random_tensor(1, 2, 3, 4)
    layer = nn.Upsample(size=(5, 7), mode="bilinear", align_corners=True)
    expected = F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True)
    np.testing.assert_array_equal(layer(x).data, expected.data)
    assert list(layer.parameters()) == []


def test_upsample_defaults_to_nearest_like_pytorch():
    x = tinyconv.tensor([[[[1.0, 2.0]]]])
    np.testing.assert_array_equal(nn.Upsample(scale_factor=2)(x).data, [[[[1, 1, 2, 2], [1, 1, 2, 2]]]])


def test_upsample_needs_exactly_one_of_size_and_scale_factor():
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        nn.Upsample()


def test_upsample_refuses_an_unknown_mode_when_built():
    with pytest.raises(ValueError, match="mode must be one of"):
        nn.Upsample(scale_factor=2, mode="trilinear")
