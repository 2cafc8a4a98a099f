"""F.embedding (tinyconv/functional/embedding.py): rows picked by index, the gradient that adds up over
repeated indices, one-hot times the table, gradcheck, bad indices, and PyTorch's embedding; the module is
in tests/nn/test_embedding.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array

import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.gradcheck import gradcheck


def table(rows=5, dim=3) -> Tensor:
    return Tensor(random_array(rows, dim), requires_grad=True)


def test_embedding_picks_the_rows_named_by_the_indices():
    weight = Tensor(np.arange(12.0).reshape(4, 3))
    out = F.embedding(np.array([[3, 0], [1, 1]]), weight)
    np.testing.assert_array_equal(out.data, [[[9, 10, 11], [0, 1, 2]], [[3, 4, 5], [3, 4, 5]]])


def test_embedding_accepts_an_integer_tensor_of_indices():
    weight = Tensor(np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(F.embedding(Tensor(np.array([2])), weight).data, [[6, 7, 8]])


def test_embedding_gradient_adds_up_over_repeated_indices():
    weight = table(rows=4, dim=2)
    F.embedding(np.array([1, 3, 1, 1]), weight).backward(
        np.array([[1.0, 2], [10, 20], [100, 200], [1000, 2000]])
    )
    # Row 1 was read three times and gets the sum of the three gradients; rows 0 and 2 were not read.
    np.testing.assert_array_equal(weight.grad, [[0, 0], [1101, 2202], [0, 0], [10, 20]])


def test_embedding_equals_one_hot_times_the_table():
    weight = table(rows=5, dim=3)
    indices = np.array([4, 0, 2, 2])
    one_hot = Tensor(np.eye(5)[indices])
    np.testing.assert_allclose(F.embedding(indices, weight).data, (one_hot @ weight).data, rtol=1e-15)


@pytest.mark.parametrize(
    "indices",
    [np.array([2, 0, 2]), np.array([[1, 4], [4, 4]]), np.array(3)],
    ids=["vector", "matrix", "scalar"],
)
def test_embedding_passes_gradcheck(indices):
    assert gradcheck(lambda w: F.embedding(indices, w), [table()]) is True


def test_embedding_rejects_an_index_past_the_end():
    with pytest.raises(
        ValueError, match=r"index 5 is out of range for a table of 5 embeddings \(valid indices: 0 to 4\)"
    ):
        F.embedding(np.array([0, 5]), table())


def test_embedding_rejects_a_negative_index():
    with pytest.raises(ValueError, match="index -1 is out of range"):
        F.embedding(np.array([-1, 2]), table())


def test_embedding_rejects_floating_point_indices():
    with pytest.raises(TypeError, match="indices must be an integer Tensor or array, got float64"):
        F.embedding(np.array([0.0, 1.0]), table())


def test_embedding_rejects_a_weight_that_is_not_a_table():
    with pytest.raises(ValueError, match=r"expected a 2-D weight \(num_embeddings, embedding_dim\)"):
        F.embedding(np.array([0]), Tensor(np.zeros(5)))


def test_embedding_matches_torch(torch):
    weight = random_array(6, 3)
    indices = np.array([[5, 0, 5], [2, 2, 2]])
    ours = Tensor(weight.copy(), requires_grad=True)
    theirs = torch.tensor(weight, requires_grad=True)
    upstream = random_array(2, 3, 3, seed=1)
    out = F.embedding(indices, ours)
    out.backward(upstream)
    torch_out = torch.nn.functional.embedding(torch.from_numpy(indices), theirs)
    torch_out.backward(torch.from_numpy(upstream))
    np.testing.assert_array_equal(out.data, torch_out.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-14)
