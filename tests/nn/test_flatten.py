"""nn.Flatten (tinyconv/nn/flatten.py): the same as torch.nn.Flatten (start_dim, end_dim, repr), output and
gradient."""

from __future__ import annotations

import pytest
from helpers import random_array, random_tensor
from helpers.torch_checks import compare_with_torch

from tinyconv import nn

# tinyconv's layer and torch.nn's (a function of the torch module, which is optional), built with the same
# arguments, and the input shape
TORCH_LAYERS = {
    "Flatten": (nn.Flatten, lambda torch: torch.nn.Flatten(), (2, 3, 4, 5)),
    "Flatten(0, 2)": (lambda: nn.Flatten(0, 2), lambda torch: torch.nn.Flatten(0, 2), (2, 3, 4, 5)),
}


def test_flatten_repr_as_pytorch(torch):
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert repr(nn.Flatten(0, 2)) == repr(torch.nn.Flatten(0, 2))


def test_flatten_of_an_empty_batch():
    assert nn.Flatten()(random_tensor(0, 16, 5, 5)).shape == (0, 400)


@pytest.mark.parametrize("name", list(TORCH_LAYERS))
def test_parameter_free_layer_matches_torch(torch, name):
    make_ours, make_theirs, shape = TORCH_LAYERS[name]
    compare_with_torch(torch, make_ours(), make_theirs(torch), [3.0 * random_array(*shape, seed=9)])
