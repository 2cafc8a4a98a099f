"""nn.Embedding (tinyconv/nn/embedding.py): its (vocabulary, dimension) weight, standard normal to start,
and its repr.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
from tinyconv import nn


def test_embedding_module_has_a_weight_of_shape_vocabulary_by_dimension():
    layer = nn.Embedding(10, 4)
    assert [(name, p.shape) for name, p in layer.named_parameters()] == [("weight", (10, 4))]
    assert layer(np.array([[1, 2, 3]])).shape == (1, 3, 4)


def test_embedding_module_init_is_standard_normal():
    tinyconv.manual_seed(0)
    values = nn.Embedding(1000, 20).weight.data
    assert abs(values.mean()) < 0.02 and values.std() == pytest.approx(1.0, rel=0.02)


def test_embedding_module_repr():
    assert repr(nn.Embedding(10, 4)) == "Embedding(10, 4)"
