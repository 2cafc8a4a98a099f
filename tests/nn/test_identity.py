"""nn.Identity (tinyconv/nn/identity.py): its input back, whatever it was built with."""

from __future__ import annotations

from helpers import random_tensor

from tinyconv import nn


def test_identity_returns_its_input_and_ignores_constructor_arguments():
    x = random_tensor(2, 3)
    layer = nn.Identity(54, unused_argument=0.1)
    assert layer(x) is x
    assert list(layer.parameters()) == []
