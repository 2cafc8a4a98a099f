"""nn.ModuleList and nn.Sequential (tinyconv/nn/container.py): registering their modules under their
index, feeding each module into the next, and behaving as sequences (len, indexing, slicing, iteration).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array

import tinyconv
from tinyconv import Tensor, nn


def test_module_list_registers_its_modules_under_their_index():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])

    model = Stack()
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
    ]  # fmt: skip
    assert len(model.layers) == 2 and isinstance(model.layers[1], nn.Linear)
    with pytest.raises(TypeError, match="item 0 must be a Module"):
        nn.ModuleList([3])


def test_sequential_feeds_each_module_into_the_next():
    tinyconv.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = Tensor(random_array(5, 3, dtype=np.float32))
    hidden = np.maximum(x.data @ model[0].weight.data.T + model[0].bias.data, 0)
    expected = hidden @ model[2].weight.data.T + model[2].bias.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)


def test_sequential_supports_len_indexing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[2] is layers[2]
    assert list(model) == layers


def test_slicing_a_sequential_gives_a_sequential_that_runs_those_layers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    x = tinyconv.randn(4, 2)
    np.testing.assert_array_equal(head(x).data, model[1](model[0](x)).data)
