"""tinyconv.manual_seed (tinyconv/random.py): one seed makes every random draw repeatable (randn, and
the initial weights of the layers); another seed, other draws.
"""

from __future__ import annotations

import numpy as np

import tinyconv
from tinyconv import nn
from tinyconv.models import LeNet5


def test_manual_seed_makes_randn_repeatable():
    tinyconv.manual_seed(123)
    first = tinyconv.randn(5).data.copy()
    tinyconv.manual_seed(123)
    second = tinyconv.randn(5).data.copy()
    np.testing.assert_array_equal(first, second)


def test_different_seeds_give_different_randn():
    tinyconv.manual_seed(1)
    first = tinyconv.randn(5).data.copy()
    tinyconv.manual_seed(2)
    second = tinyconv.randn(5).data.copy()
    assert not np.array_equal(first, second)


def test_same_seed_gives_identical_weights():
    tinyconv.manual_seed(7)
    first = LeNet5().state_dict()
    tinyconv.manual_seed(7)
    second = LeNet5().state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_different_seeds_give_different_weights():
    tinyconv.manual_seed(7)
    first = nn.Linear(10, 10).weight.data
    tinyconv.manual_seed(8)
    second = nn.Linear(10, 10).weight.data
    assert not np.array_equal(first, second)
