"""The selection ops (tinyconv/ops/selection.py), in the module's order: Where (torch.where's three forms,
broadcasting, the dtype of mixed values), MaskedFill, Gather and ScatterAdd (repeated indices add up, the
shapes PyTorch allows); their values and gradients, dtypes kept and the upstream gradient left alone,
float64 gradient checks, the same values and gradients as torch, and clear errors for bad masks and indices.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.same_as_torch import assert_same_as_torch

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ where


def test_where_takes_a_where_the_condition_holds_and_b_elsewhere():
    condition = tinyconv.tensor([True, False, True])
    a, b = leaf([1.0, 2.0, 3.0]), leaf([10.0, 20.0, 30.0])
    y = tinyconv.where(condition, a, b)
    assert y.tolist() == [1.0, 20.0, 3.0]
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(b.grad, [0.0, 2.0, 0.0])


def test_where_broadcasts_condition_and_values_and_sums_the_gradients_back():
    condition = tinyconv.tensor([[True], [False]])
    a, b = leaf([1.0, 2.0, 3.0]), leaf(0.0)
    y = tinyconv.where(condition, a, b)
    assert y.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0])
    assert b.grad == 3.0


def test_where_with_a_number_takes_the_tensors_dtype():
    y = tinyconv.where(tinyconv.tensor([True, False]), tinyconv.ones(2), 0.0)
    assert y.tolist() == [1.0, 0.0] and y.dtype == tinyconv.float32


def test_where_of_an_int_tensor_and_a_float_number_is_float32():
    y = tinyconv.where(tinyconv.tensor([True, False]), tinyconv.tensor([1, 2]), 0.5)
    assert y.dtype == tinyconv.float32 and y.tolist() == [1.0, 0.5]


def test_where_of_two_numbers_gives_the_default_dtype_of_their_kind():
    condition = tinyconv.tensor([True, False])
    assert tinyconv.where(condition, 1.0, 0.0).tolist() == [1.0, 0.0]
    assert tinyconv.where(condition, 1.0, 0).dtype == tinyconv.float32
    assert tinyconv.where(condition, 1, 0).dtype == tinyconv.int64


def test_where_of_a_condition_alone_gives_the_indices_of_its_true_elements():
    rows, columns = tinyconv.where(tinyconv.tensor([[True, False], [True, True]]))
    assert rows.tolist() == [0, 1, 1] and columns.tolist() == [0, 0, 1]
    assert rows.dtype == tinyconv.int64


def test_where_as_a_method_is_torch_where_of_the_condition_self_and_other():
    x = tinyconv.tensor([1.0, -2.0])
    assert x.where(x > 0, tinyconv.zeros(2)).tolist() == [1.0, 0.0]


# ------------------------------------------------------------------------------ masked_fill


def test_masked_fill_writes_the_value_where_the_mask_holds_and_blocks_its_gradient():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.masked_fill(tinyconv.tensor([[True, False], [False, True]]), -np.inf)
    assert y.tolist() == [[-np.inf, 2.0], [3.0, -np.inf]]
    y.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0], [3.0, 0.0]])


def test_masked_fill_broadcasts_the_mask_over_the_tensor():
    y = tinyconv.zeros(2, 3).masked_fill(tinyconv.tensor([True, False, True]), 5.0)
    assert y.tolist() == [[5.0, 0.0, 5.0], [5.0, 0.0, 5.0]]


def test_masked_fill_with_a_0d_tensor_value_sends_it_the_gradient_of_the_filled_places():
    value = leaf(7.0)
    y = tinyconv.zeros(2, 2, dtype=tinyconv.float64).masked_fill(tinyconv.tensor([True, False]), value)
    assert y.tolist() == [[7.0, 0.0], [7.0, 0.0]]
    y.sum().backward()
    assert value.grad == 2.0


def test_masked_fill_of_an_integer_tensor_converts_the_value_as_pytorch():
    y = tinyconv.zeros(3, dtype=tinyconv.int64).masked_fill(tinyconv.tensor([True, False, True]), 5.0)
    assert y.tolist() == [5, 0, 5] and y.dtype == tinyconv.int64


# ------------------------------------------------------------------------------ gather


def test_gather_picks_along_a_dim_the_elements_index_names():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.gather(1, tinyconv.tensor([[0, 0], [1, 0]]))
    assert y.tolist() == [[1.0, 1.0], [4.0, 3.0]]
    y.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[3.0, 0.0], [4.0, 3.0]])  # picked twice: 1 + 2


def test_gather_picks_the_scores_of_the_labels():
    scores = tinyconv.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    labels = tinyconv.tensor([1, 2])
    assert scores.gather(1, labels.unsqueeze(1)).squeeze(1).tolist() == pytest.approx([0.7, 0.2])


def test_gather_with_an_index_shorter_than_the_tensor_in_another_dim():
    x = tinyconv.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.gather(0, tinyconv.tensor([[1, 0]])).tolist() == [[4.0, 2.0]]


# ------------------------------------------------------------------------------ scatter_add


def test_scatter_add_adds_every_source_element_at_its_index_repeated_ones_included():
    x = leaf([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    src = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.scatter_add(1, tinyconv.tensor([[0, 0], [2, 1]]), src)
    assert y.tolist() == [[3.0, 0.0, 0.0], [1.0, 5.0, 4.0]]
    y.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(src.grad, [[1.0, 1.0], [6.0, 5.0]])


def test_scatter_add_with_a_source_larger_than_the_index_uses_the_part_it_covers():
    y = tinyconv.zeros(3, 3).scatter_add(0, tinyconv.tensor([[0, 1, 2]]), tinyconv.ones(2, 4))
    assert y.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


# --------------------------------------------------------------------------- dtypes and the upstream gradient


MASK = tinyconv.tensor([[True, False, True], [False, False, True]])
INDEX = tinyconv.tensor([[0, 2, 2], [1, 0, 0]])


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "where": lambda x: tinyconv.where(MASK, x, 0.0),
    "masked_fill": lambda x: x.masked_fill(MASK, -1.0),
    "gather": lambda x: x.gather(1, INDEX),
    "scatter_add": lambda x: x.scatter_add(1, INDEX, x * 2.0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "where": (lambda x: tinyconv.where(MASK, x, x * 2.0), (2, 3)),
    "masked_fill": (lambda x: x.masked_fill(MASK, 0.0), (2, 3)),
    "gather": (lambda x: x.gather(1, INDEX), (2, 3)),
    "scatter_add": (lambda x: x.scatter_add(1, INDEX, x * 2.0), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "where": (
        lambda a, b: tinyconv.where(MASK, a, b),
        lambda: (random_tensor(2, 3), random_tensor(2, 3, seed=1)),
    ),
    "where, broadcasting": (
        lambda a, b: tinyconv.where(MASK, a, b),
        lambda: (random_tensor(3), random_tensor(2, 1, seed=1)),
    ),
    "where, a number": (lambda a: tinyconv.where(MASK, 0.5, a), lambda: (random_tensor(1, 3),)),
    "masked_fill": (lambda x: x.masked_fill(MASK, 3.0), lambda: (random_tensor(2, 3),)),
    "masked_fill, broadcast mask": (lambda x: x.masked_fill(MASK[0], 0.0), lambda: (random_tensor(4, 3),)),
    "gather, dim 1": (lambda x: x.gather(1, INDEX), lambda: (random_tensor(2, 3),)),
    "gather, dim 0 with a shorter index": (
        lambda x: x.gather(0, tinyconv.tensor([[2, 0], [2, 2]])),
        lambda: (random_tensor(3, 4),),
    ),
    "gather, negative dim": (lambda x: x.gather(-1, INDEX[:, None]), lambda: (random_tensor(2, 2, 3),)),
    "scatter_add, repeated indices": (
        lambda x, src: x.scatter_add(1, INDEX, src),
        lambda: (random_tensor(2, 3), random_tensor(2, 3, seed=1)),
    ),
    "scatter_add, a larger source": (
        lambda x, src: x.scatter_add(0, tinyconv.tensor([[1, 1, 0]]), src),
        lambda: (random_tensor(2, 3), random_tensor(2, 4, seed=1)),
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


# ------------------------------------------------------------------------------ against torch


def test_where_equals_torch_where(torch):
    mask = np.array([[True, False, True], [False, True, True]])
    assert_same_as_torch(
        torch,
        lambda a, b: tinyconv.where(Tensor(mask), a, b),
        lambda a, b: torch.where(torch.tensor(mask), a, b),
        random_array(2, 3, seed=1),
        random_array(3, seed=2),
    )


def test_masked_fill_equals_torchs(torch):
    mask = np.array([True, False, True])
    assert_same_as_torch(
        torch,
        lambda x: x.masked_fill(Tensor(mask), -np.inf).exp(),
        lambda x: x.masked_fill(torch.tensor(mask), -np.inf).exp(),
        random_array(2, 3),
    )


@pytest.mark.parametrize(
    "dim, index, shape",
    [(1, [[0, 0, 2], [1, 0, 0]], (2, 3)), (0, [[1, 0]], (2, 3)), (-1, [[[2], [0]]], (1, 2, 3))],
    ids=["dim 1, repeated", "dim 0, shorter", "dim -1"],
)
def test_gather_equals_torch_gather(torch, dim, index, shape):
    assert_same_as_torch(
        torch,
        lambda x, i: x.gather(dim, i),
        lambda x, i: x.gather(dim, i),
        random_array(*shape),
        np.array(index),
    )


def test_scatter_add_equals_torch_scatter_add(torch):
    assert_same_as_torch(
        torch,
        lambda x, i, src: x.scatter_add(1, i, src),
        lambda x, i, src: x.scatter_add(1, i, src),
        random_array(2, 3, seed=1),
        np.array([[0, 0], [2, 2]]),
        random_array(2, 2, seed=2),
    )


def test_scatter_add_with_a_larger_source_equals_torch_scatter_add(torch):
    # values only: torch 2.13's own backward refuses a source larger than the index
    x, src, index = random_array(2, 3, seed=1), random_array(2, 4, seed=2), np.array([[0, 1, 0]])
    ours = Tensor(x).scatter_add(0, Tensor(index), Tensor(src))
    theirs = torch.tensor(x).scatter_add(0, torch.tensor(index), torch.tensor(src))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


# ------------------------------------------------------------------------------ bad input


def test_a_mask_that_is_not_bool_is_refused():
    with pytest.raises(TypeError, match="masked_fill: the mask must be a bool tensor .*got int64"):
        tinyconv.zeros(3).masked_fill(tinyconv.tensor([1, 0, 1]), 5.0)
    with pytest.raises(TypeError, match="where: the mask must be a bool tensor"):
        tinyconv.where(tinyconv.tensor([1.0, 0.0]), tinyconv.zeros(2), tinyconv.ones(2))


def test_a_mask_that_would_grow_the_tensor_is_refused():
    with pytest.raises(ValueError, match=r"the mask's shape \(2, 3\) must broadcast to the tensor's \(3,\)"):
        tinyconv.zeros(3).masked_fill(MASK, 1.0)


def test_masked_fill_with_a_value_that_has_dims_is_refused():
    with pytest.raises(ValueError, match=r"value must be a number or a 0-d tensor, got shape \(3,\)"):
        tinyconv.zeros(2, 3).masked_fill(MASK, tinyconv.zeros(3))


def test_where_values_that_do_not_broadcast_are_named():
    with pytest.raises(ValueError, match=r"where: .*shapes \(2,\) and \(3,\) do not broadcast"):
        tinyconv.where(tinyconv.tensor([True, False]), tinyconv.zeros(2), tinyconv.zeros(3))


def test_where_of_a_value_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match="the two values must be tensors or numbers, got 'a'"):
        tinyconv.where(tinyconv.tensor([True]), "a", 1.0)


def test_indices_of_float_dtype_are_refused():
    with pytest.raises(TypeError, match="gather: index must be an integer tensor, got float32"):
        tinyconv.ones(2, 2).gather(1, tinyconv.tensor([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(TypeError, match="scatter_add: index must be an integer tensor"):
        tinyconv.ones(2, 2).scatter_add(1, tinyconv.tensor([[0.0], [1.0]]), tinyconv.ones(2, 1))


def test_an_index_out_of_range_is_refused_instead_of_wrapping():
    with pytest.raises(
        IndexError, match=r"index values must be in \[0, 2\) along dim 1, got values from -1 to 1"
    ):
        tinyconv.ones(2, 2).gather(1, tinyconv.tensor([[-1, 0], [1, 0]]))


def test_an_index_with_the_wrong_number_of_dims_is_refused():
    with pytest.raises(ValueError, match="index has 1 dims but the tensor has 2"):
        tinyconv.ones(2, 2).gather(1, tinyconv.tensor([0, 1]))


def test_an_index_longer_than_the_tensor_in_another_dim_is_refused():
    with pytest.raises(
        ValueError, match=r"index of shape \(3, 1\) is longer than the tensor of shape \(2, 2\) in dim 0"
    ):
        tinyconv.ones(2, 2).gather(1, tinyconv.tensor([[0], [1], [1]]))


def test_scatter_add_with_a_source_smaller_than_the_index_is_refused():
    with pytest.raises(
        ValueError, match=r"index of shape \(2, 2\) must be no larger than src of shape \(2, 1\)"
    ):
        tinyconv.zeros(2, 3).scatter_add(1, tinyconv.tensor([[0, 1], [1, 2]]), tinyconv.ones(2, 1))
