"""cat, stack and split: values as NumPy joins them, gradients routed back, errors named."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_tensor

import tinyconv
from tinyconv.gradcheck import gradcheck


def test_cat_along_channels_matches_numpy_concatenate():
    a, b = random_tensor(2, 3, 4, 4, seed=1), random_tensor(2, 5, 4, 4, seed=2)
    joined = tinyconv.cat([a, b], axis=1)
    np.testing.assert_array_equal(joined.data, np.concatenate([a.data, b.data], axis=1))


def test_stack_adds_a_new_axis():
    a, b = random_tensor(2, 3, seed=1), random_tensor(2, 3, seed=2)
    np.testing.assert_array_equal(tinyconv.stack([a, b], axis=-1).data, np.stack([a.data, b.data], -1))


def test_split_by_size_leaves_a_smaller_last_piece_and_by_sections_follows_them():
    x = random_tensor(7, 2)
    assert [p.shape for p in tinyconv.split(x, 3)] == [(3, 2), (3, 2), (1, 2)]
    pieces = tinyconv.split(x, [2, 5], axis=0)
    np.testing.assert_array_equal(pieces[1].data, x.data[2:])


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda a, b, c: tinyconv.cat([a, b, c], axis=1), [(2, 1, 3), (2, 4, 3), (2, 2, 3)]),
        (lambda a, b: tinyconv.stack([a, b], axis=1), [(3, 2), (3, 2)]),
        (lambda a, b: tinyconv.cat([a, a * b], axis=0), [(2, 3), (2, 3)]),  # a used twice
    ],
    ids=["cat three", "stack", "cat with a repeated input"],
)
def test_join_gradients_match_finite_differences(fn, shapes):
    inputs = [random_tensor(*shape, seed=k) for k, shape in enumerate(shapes)]
    assert gradcheck(fn, inputs)


def test_split_gradients_match_finite_differences_even_with_an_unused_piece():
    x = random_tensor(4, 6)
    assert gradcheck(lambda x: tinyconv.split(x, [1, 2, 3], axis=1)[0::2], [x])  # the middle one unused
    assert gradcheck(lambda x: tinyconv.split(x, 2, axis=0)[1] * 3.0, [x])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: tinyconv.cat([tinyconv.zeros(2, 3), tinyconv.zeros(3, 3)], axis=1), ValueError,
         r"same shape except along axis 1; tensor 0 has shape \(2, 3\), tensor 1 has \(3, 3\)"),
        (lambda: tinyconv.stack([tinyconv.zeros(2), tinyconv.zeros(3)]), ValueError, "all the same shape"),
        (lambda: tinyconv.cat([]), TypeError, "non-empty sequence of Tensors"),
        (lambda: tinyconv.split(tinyconv.zeros(5), [2, 2]), ValueError, "add up to 5"),
        (lambda: tinyconv.split(tinyconv.zeros(5), 0), ValueError, "piece size must be positive"),
    ],
)  # fmt: skip
def test_bad_joins_get_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
