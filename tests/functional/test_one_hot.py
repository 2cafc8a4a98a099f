"""F.one_hot (tinyconv/functional/one_hot.py): a 1 at each index along a new last dim, int64, as PyTorch's;
the number of classes inferred or given; bad input.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv.functional as F
from tinyconv import Tensor


def test_one_hot_puts_a_single_one_at_each_index():
    y = F.one_hot(Tensor(np.array([0, 2, 1])))
    np.testing.assert_array_equal(y.data, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert y.dtype == np.int64


def test_one_hot_adds_a_last_dim_of_num_classes():
    y = F.one_hot(Tensor(np.array([[0], [3]])), num_classes=5)
    assert y.shape == (2, 1, 5)
    np.testing.assert_array_equal(y.data[:, 0], [[1, 0, 0, 0, 0], [0, 0, 0, 1, 0]])


def test_one_hot_of_an_empty_tensor_with_num_classes():
    assert F.one_hot(Tensor(np.zeros(0, dtype=np.int64)), 3).shape == (0, 3)


def test_one_hot_rows_sum_to_one_and_argmax_gives_the_indices_back():
    indices = np.random.default_rng(0).integers(0, 7, size=(4, 5))
    y = F.one_hot(Tensor(indices), 7).data
    np.testing.assert_array_equal(y.sum(axis=-1), np.ones((4, 5)))
    np.testing.assert_array_equal(y.argmax(axis=-1), indices)


def test_one_hot_matches_torch(torch):
    indices = np.array([[1, 0], [4, 2]])
    expected = torch.nn.functional.one_hot(torch.tensor(indices), 6).numpy()
    np.testing.assert_array_equal(F.one_hot(Tensor(indices), 6).data, expected)


# ------------------------------------------------------------------------------ bad input


def test_one_hot_index_not_below_num_classes():
    with pytest.raises(ValueError, match=r"one_hot: class indices must lie in \[0, 2\] for num_classes=3"):
        F.one_hot(Tensor(np.array([0, 3])), 3)


def test_one_hot_negative_index():
    with pytest.raises(ValueError, match="got values from -1 to 0"):
        F.one_hot(Tensor(np.array([-1, 0])))


def test_one_hot_needs_integer_indices():
    with pytest.raises(TypeError, match="one_hot: tensor must hold integer class indices, got dtype float32"):
        F.one_hot(Tensor(np.array([0.5], dtype=np.float32)))


def test_one_hot_of_an_empty_tensor_needs_num_classes():
    with pytest.raises(ValueError, match="cannot infer the number of classes from an empty tensor"):
        F.one_hot(Tensor(np.zeros(0, dtype=np.int64)))


def test_one_hot_num_classes_must_be_an_int():
    with pytest.raises(ValueError, match="one_hot: num_classes must be an int >= -1, got 2.5"):
        F.one_hot(Tensor(np.array([0])), 2.5)
