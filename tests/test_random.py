"""tinyconv/random.py: manual_seed makes every random draw repeatable (randn, and the initial weights of
the layers), another seed other draws; a Generator of one's own is seeded the same way, and
numpy_generator says which NumPy generator a `generator=` argument draws from.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
from tinyconv import nn
from tinyconv.models import LeNet5
from tinyconv.random import Generator, numpy_generator


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


def test_a_generator_seeded_twice_the_same_draws_the_same_and_leaves_the_global_one_alone():
    tinyconv.manual_seed(5)
    expected_global = np.random.default_rng(5).permutation(10)

    first = numpy_generator(Generator().manual_seed(3), "test").permutation(10)
    second = numpy_generator(Generator().manual_seed(3), "test").permutation(10)
    other = numpy_generator(Generator().manual_seed(4), "test").permutation(10)

    assert first.tolist() == second.tolist() == np.random.default_rng(3).permutation(10).tolist()
    assert first.tolist() != other.tolist()
    assert numpy_generator(None, "test").permutation(10).tolist() == expected_global.tolist()


def test_manual_seed_of_a_generator_returns_it_as_pytorchs_does():
    generator = Generator()
    assert generator.manual_seed(0) is generator


def test_a_numpy_generator_is_drawn_from_as_it_is():
    rng = np.random.default_rng(0)
    assert numpy_generator(rng, "test") is rng


@pytest.mark.parametrize("generator", [0, "seed", np.random.RandomState(0)])
def test_anything_else_as_a_generator_is_refused_naming_the_caller(generator):
    with pytest.raises(TypeError, match="random_split: generator must be a tinyconv Generator"):
        numpy_generator(generator, "random_split")


def test_a_generator_seed_must_be_a_non_negative_int():
    with pytest.raises(ValueError, match="Generator.manual_seed: seed must be a non-negative int, got -1"):
        Generator().manual_seed(-1)
