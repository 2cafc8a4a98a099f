"""The shape ops (tinyconv/ops/shape.py), in the module's order: Reshape (reshape and view, and the methods
built on it: unsqueeze, squeeze, flatten), Permute (permute, transpose with PyTorch's meaning, t, T, mT),
Expand, Repeat, Flip, Roll, GetItem (slices, integer arrays, boolean masks, None and Ellipsis, with their
gradients; narrow) and SetItem (x[index] = value inside the graph). Then dtypes kept and the upstream
gradient left alone, float64 gradient checks at several shapes, the same values and gradients as torch,
and clear errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import distinct_tensor, float32_ones, leaf, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.same_as_torch import assert_same_as_torch

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ reshape and view


def test_reshape_accepts_sizes_or_a_tuple_and_minus_one():
    x = random_tensor(2, 6)
    assert x.reshape(3, 4).shape == (3, 4)
    assert x.reshape((4, 3)).shape == (4, 3)
    assert x.reshape(-1, 2).shape == (6, 2)
    np.testing.assert_array_equal(x.reshape(12).data, x.data.reshape(12))


def test_reshape_gradient_has_the_input_shape():
    x = random_tensor(2, 6)
    upstream = random_array(3, 4, seed=3)
    x.reshape(3, 4).backward(upstream)
    np.testing.assert_array_equal(x.grad, upstream.reshape(2, 6))


def test_view_shares_memory_with_its_tensor():
    x = tinyconv.zeros(2, 3)
    flat = x.view(6)
    flat[4] = 7.0
    assert x[1, 1].item() == 7.0  # element 4 in row-major order


def test_view_of_a_permuted_tensor_is_refused_naming_reshape():
    x = tinyconv.arange(6.0).view(2, 3).t()
    with pytest.raises(RuntimeError, match=r"view: shape \(6,\) is not compatible .* Use \.reshape"):
        x.view(6)


def test_view_that_only_splits_a_dim_of_a_permuted_tensor_works_as_in_pytorch():
    x = tinyconv.arange(24.0).view(2, 3, 4).transpose(1, 2)  # (2, 4, 3): dim 1 can still be split in two
    np.testing.assert_array_equal(x.view(2, 2, 2, 3).data, x.data.reshape(2, 2, 2, 3))


def test_reshape_of_a_permuted_tensor_copies_in_row_major_order():
    x = tinyconv.arange(6.0).view(2, 3).t()
    assert x.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_view_as_takes_the_other_tensors_shape():
    assert tinyconv.zeros(6).view_as(tinyconv.zeros(3, 2)).shape == (3, 2)


def test_unsqueeze_adds_a_dim_of_size_one_where_asked_negative_counting_from_the_end():
    x = tinyconv.zeros(2, 3)
    assert x.unsqueeze(0).shape == (1, 2, 3)
    assert x.unsqueeze(1).shape == (2, 1, 3)
    assert x.unsqueeze(-1).shape == (2, 3, 1)


def test_squeeze_removes_dims_of_size_one_all_or_only_those_named():
    x = tinyconv.zeros(1, 2, 1, 3)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(0).shape == (2, 1, 3)
    assert x.squeeze((0, 2)).shape == (2, 3)
    assert x.squeeze(1).shape == (1, 2, 1, 3)  # size 2: left alone, as in PyTorch


def test_flatten_merges_start_dim_to_end_dim():
    x = tinyconv.zeros(2, 3, 4, 5)
    assert x.flatten().shape == (120,)
    assert x.flatten(1).shape == (2, 60)
    assert x.flatten(1, 2).shape == (2, 12, 5)
    assert x.flatten(-2).shape == (2, 3, 20)
    assert tinyconv.tensor(3.0).flatten().shape == (1,)


# ------------------------------------------------------------------------------ permute and transpose


def test_permute_reorders_axes_and_its_gradient_permutes_back():
    x = random_tensor(2, 3, 4)
    y = x.permute(2, 0, 1)
    assert y.shape == (4, 2, 3)
    np.testing.assert_array_equal(y.data, np.transpose(x.data, (2, 0, 1)))
    upstream = random_array(4, 2, 3, seed=7)
    y.backward(upstream)
    np.testing.assert_array_equal(x.grad, np.transpose(upstream, (1, 2, 0)))


def test_permute_takes_the_order_as_sizes_or_as_a_list():
    x = tinyconv.zeros(2, 3, 4)
    assert x.permute(2, 0, 1).shape == x.permute([2, 0, 1]).shape == (4, 2, 3)
    assert x.permute(-1, 0, 1).shape == (4, 2, 3)


def test_transpose_0_1_of_a_matrix_swaps_rows_and_columns():
    x = tinyconv.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.transpose(0, 1).tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]


def test_transpose_1_2_of_a_3d_tensor_swaps_the_last_two_dims():
    x = random_tensor(2, 3, 4)
    y = x.transpose(1, 2)
    assert y.shape == (2, 4, 3)
    np.testing.assert_array_equal(y.data, np.swapaxes(x.data, 1, 2))
    assert x.transpose(-1, -2).shape == (2, 4, 3)


def test_transpose_with_a_whole_order_is_refused_naming_permute():
    with pytest.raises(TypeError, match=r"transpose takes two dims to swap.*use permute"):
        tinyconv.zeros(2, 3, 4).transpose(1, 0, 2)


def test_t_transposes_a_matrix_and_leaves_a_vector_alone():
    assert tinyconv.zeros(2, 3).t().shape == (3, 2)
    assert tinyconv.zeros(3).t().shape == (3,)


def test_T_reverses_the_axes_of_a_matrix():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x.T.data, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])


def test_mT_transposes_each_matrix_of_a_stack():
    x = random_tensor(2, 3, 4)
    np.testing.assert_array_equal(x.mT.data, np.swapaxes(x.data, -1, -2))


# ------------------------------------------------------------------------------ expand and repeat


def test_expand_repeats_size_one_dims_and_adds_leading_ones():
    x = tinyconv.tensor([[1.0], [2.0]])
    assert x.expand(2, 3).tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    assert x.expand(4, 2, -1).shape == (4, 2, 1)  # -1 keeps a size
    assert x.expand_as(tinyconv.zeros(2, 5)).shape == (2, 5)


def test_expand_gradient_sums_over_the_copies():
    x = leaf([[1.0], [2.0]])
    upstream = random_array(3, 2, 4, seed=1)
    x.expand(3, 2, 4).backward(upstream)
    np.testing.assert_allclose(x.grad, upstream.sum(axis=(0, 2))[:, None])


def test_repeat_tiles_the_tensor_along_each_dim():
    x = tinyconv.tensor([[1, 2], [3, 4]])
    assert x.repeat(1, 2).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]
    assert x.repeat(2, 1).tolist() == [[1, 2], [3, 4], [1, 2], [3, 4]]
    assert x.repeat(2, 1, 1).shape == (2, 2, 2)  # an extra leading count adds a dim


def test_repeat_gradient_sums_the_gradients_of_each_elements_copies():
    x = leaf([1.0, 2.0])
    x.repeat(3).backward(np.array([1.0, 10.0, 2.0, 20.0, 3.0, 30.0]))
    np.testing.assert_array_equal(x.grad, [6.0, 60.0])


# ------------------------------------------------------------------------------ flip and roll


def test_flip_reverses_the_named_dims():
    x = tinyconv.tensor([[0, 1, 2], [3, 4, 5]])
    assert x.flip(1).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.flip(0, 1).tolist() == [[5, 4, 3], [2, 1, 0]]
    assert x.flip([0]).tolist() == [[3, 4, 5], [0, 1, 2]]


def test_roll_shifts_cyclically_along_a_dim_or_the_flattened_tensor():
    x = tinyconv.tensor([[0, 1, 2], [3, 4, 5]])
    assert x.roll(1, 1).tolist() == [[2, 0, 1], [5, 3, 4]]
    assert x.roll(-1, -1).tolist() == [[1, 2, 0], [4, 5, 3]]
    assert x.roll(1).tolist() == [[5, 0, 1], [2, 3, 4]]  # no dims: the flattened tensor, shape kept
    assert x.roll((1, 1), (0, 1)).tolist() == [[5, 3, 4], [2, 0, 1]]


def test_roll_gradient_rolls_back():
    x = leaf([1.0, 2.0, 3.0])
    x.roll(1).backward(np.array([10.0, 20.0, 30.0]))  # y = [x2, x0, x1]
    np.testing.assert_array_equal(x.grad, [20.0, 30.0, 10.0])


# ------------------------------------------------------------------------------ indexing


def test_basic_slicing_value_and_gradient():
    x = leaf([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    y = x[1:, ::2]
    np.testing.assert_array_equal(y.data, [[3.0, 5.0], [6.0, 8.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [1, 0, 1], [1, 0, 1]])


def test_integer_indexing_picks_a_single_element():
    x = leaf([[0.0, 1.0], [2.0, 3.0]])
    y = x[1, 0]
    assert y.item() == 2.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0, 0], [1, 0]])


def test_integer_array_indexing_value():
    x = leaf([10.0, 11.0, 12.0, 13.0])
    np.testing.assert_array_equal(x[np.array([3, 0, 3])].data, [13.0, 10.0, 13.0])


def test_repeated_indices_accumulate_in_backward():
    x = leaf([10.0, 11.0, 12.0, 13.0])
    x[[0, 2, 0, 0]].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [8.0, 0.0, 2.0, 0.0])


def test_a_tensor_of_indices_works_like_an_array_of_indices():
    x = leaf([10.0, 11.0, 12.0])
    y = x[Tensor(np.array([2, 2]))]
    np.testing.assert_array_equal(y.data, [12.0, 12.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])


def test_rows_picked_by_an_integer_array_get_their_gradient():
    x = random_tensor(3, 2)
    x[np.array([2, 2, 1]), :].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])


def test_a_boolean_mask_picks_the_true_elements_and_only_they_get_gradient():
    x = leaf([[1.0, -2.0], [-3.0, 4.0]])
    y = x[x > 0]
    assert y.tolist() == [1.0, 4.0]
    y.backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0], [0.0, 20.0]])


def test_a_boolean_mask_over_the_first_dim_picks_rows():
    x = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    y = x[tinyconv.tensor([True, False, True])]
    assert y.tolist() == [[1.0, 2.0], [5.0, 6.0]]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])


def test_none_and_ellipsis_add_dims_and_stand_for_the_rest():
    x = random_tensor(2, 3)
    assert x[None].shape == (1, 2, 3)
    assert x[:, None].shape == (2, 1, 3)
    assert x[..., None].shape == (2, 3, 1)
    assert x[None, ..., None].shape == (1, 2, 3, 1)
    np.testing.assert_array_equal(x[..., 1].data, x.data[:, 1])


def test_none_and_ellipsis_indexing_gradient():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x[None, ..., 1:].backward(np.array([[[1.0, 2.0], [3.0, 4.0]]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 2.0], [0.0, 3.0, 4.0]])


def test_narrow_takes_length_elements_from_start_and_a_negative_start_counts_from_the_end():
    x = tinyconv.tensor([[0, 1, 2], [3, 4, 5]])
    assert x.narrow(1, 1, 2).tolist() == [[1, 2], [4, 5]]
    assert x.narrow(1, -2, 2).tolist() == [[1, 2], [4, 5]]
    assert x.narrow(0, 1, 1).tolist() == [[3, 4, 5]]


# ------------------------------------------------------------------------------ writing into an index


def test_setitem_in_the_graph_sends_the_gradient_to_the_value_and_around_what_it_overwrote():
    x = random_tensor(2, 3, seed=1)
    h = x * 1.0  # a tensor with a history, so that the write is recorded
    value = random_tensor(3, seed=2)
    h[1] = value
    upstream = random_array(2, 3, seed=3)
    h.backward(upstream)
    np.testing.assert_array_equal(x.grad, [upstream[0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(value.grad, upstream[1])


def test_setitem_of_a_broadcast_value_sums_its_gradient():
    h = random_tensor(2, 3) * 1.0
    value = leaf(5.0)
    h[:, 0] = value
    h.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert value.grad == 5.0  # 1 + 4: the two places it was written to


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "reshape": lambda x: x.reshape(6),
    "view": lambda x: x.view(3, 2),
    "transpose": lambda x: x.transpose(1, 0),
    "expand": lambda x: x.expand(2, 2, 3),
    "repeat": lambda x: x.repeat(2, 1),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 1),
    "getitem": lambda x: x[[0, 0]],
    "setitem": lambda x: setitem(x * 1.0, 0, x[1] * 2.0),
}


def setitem(tensor, index, value):
    """tensor after tensor[index] = value (an expression, for the tables)."""
    tensor[index] = value
    return tensor


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "reshape": (lambda x: x.reshape(3, 2), (2, 3)),
    "transpose": (lambda x: x.T, (2, 3)),
    "expand": (lambda x: x.expand(4, 2, 3), (2, 3)),
    "repeat": (lambda x: x.repeat(2, 2), (2, 3)),
    "flip": (lambda x: x.flip(1), (2, 3)),
    "roll": (lambda x: x.roll(1, 0), (2, 3)),
    "getitem": (lambda x: x[[0, 0, 1]], (2, 3)),
    "setitem": (lambda x: setitem(x * 1.0, (0, 1), x[1, 2] * 3.0), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "reshape": (lambda x: x.reshape(3, 8), lambda: (random_tensor(2, 3, 4),)),
    "view": (lambda x: x.view(4, -1), lambda: (random_tensor(2, 3, 4),)),
    "view, batch 1": (lambda x: x.view(1, -1), lambda: (random_tensor(1, 3, 2),)),
    "unsqueeze, squeeze and flatten": (
        lambda x: x.unsqueeze(1).flatten(2).squeeze(1),
        lambda: (random_tensor(2, 3, 4),),
    ),
    "permute": (lambda x: x.permute(1, 2, 0), lambda: (random_tensor(2, 3, 4),)),
    "permute, negative dims": (lambda x: x.permute(-1, 0, -2), lambda: (random_tensor(2, 3, 4),)),
    "transpose": (lambda x: x.transpose(0, 2), lambda: (random_tensor(2, 3, 4),)),
    "transpose, negative dims": (lambda x: x.transpose(-1, -3), lambda: (random_tensor(2, 3, 4),)),
    "T": (lambda x: x.T, lambda: (random_tensor(2, 3),)),
    "t": (lambda x: x.t(), lambda: (random_tensor(3, 2),)),
    "mT": (lambda x: x.mT, lambda: (random_tensor(2, 3, 4),)),
    "expand, new leading dims": (lambda x: x.expand(2, 3, 4), lambda: (random_tensor(3, 1),)),
    "expand, batch 1": (lambda x: x.expand(5, 3), lambda: (random_tensor(1, 3),)),
    "repeat": (lambda x: x.repeat(2, 3), lambda: (random_tensor(2, 3),)),
    "repeat, a new leading dim": (lambda x: x.repeat(2, 1, 2), lambda: (random_tensor(3, 2),)),
    "flip": (lambda x: x.flip(0, -1), lambda: (random_tensor(2, 3, 4),)),
    "roll, one dim": (lambda x: x.roll(2, -1), lambda: (random_tensor(2, 5),)),
    "roll, two dims": (lambda x: x.roll((1, -2), (0, 1)), lambda: (random_tensor(3, 4),)),
    "roll, flattened": (lambda x: x.roll(3), lambda: (random_tensor(2, 3),)),
    "getitem, slices": (lambda x: x[1:, ::2], lambda: (random_tensor(3, 5),)),
    "getitem, repeated integer indices": (
        lambda x: x[np.array([0, 2, 0, 0])],
        lambda: (random_tensor(3, 2),),
    ),
    "getitem, integer arrays in two axes": (
        lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 2])],
        lambda: (random_tensor(2, 3),),
    ),
    "getitem, boolean mask": (lambda x: x[x > 0], lambda: (random_tensor(3, 4),)),
    "getitem, None and Ellipsis": (lambda x: x[None, ..., 0], lambda: (random_tensor(2, 3),)),
    "setitem, a row": (lambda x, v: setitem(x * 1.0, 1, v), lambda: (random_tensor(3, 4), random_tensor(4))),
    "setitem, a broadcast column": (
        lambda x, v: setitem(x * 1.0, (slice(None), 2), v),
        lambda: (random_tensor(3, 4), random_tensor(1)),
    ),
    "setitem, a boolean mask": (
        lambda x, v: setitem(x * 1.0, x.detach() > 0, v),
        lambda: (random_tensor(3, 4), random_tensor()),
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


# ------------------------------------------------------------------------------ against torch


# name: (tinyconv function, torch function, input arrays); values and gradients must agree in float64
TORCH_CASES = {
    "view": (lambda x: x.view(3, -1), lambda x: x.view(3, -1), [random_array(2, 3, 2)]),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), [random_array(2, 3, 4)]),
    "transpose(0, 1), 2-D": (lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1), [random_array(2, 3)]),
    "transpose(1, 2), 3-D": (
        lambda x: x.transpose(1, 2),
        lambda x: x.transpose(1, 2),
        [random_array(2, 3, 4)],
    ),
    "t": (lambda x: x.t(), lambda x: x.t(), [random_array(2, 3)]),
    "mT": (lambda x: x.mT, lambda x: x.mT, [random_array(2, 3, 4)]),
    "unsqueeze, squeeze": (
        lambda x: x.unsqueeze(-1).squeeze(0),
        lambda x: x.unsqueeze(-1).squeeze(0),
        [random_array(1, 3)],
    ),
    "flatten(1)": (lambda x: x.flatten(1), lambda x: x.flatten(1), [random_array(2, 3, 4)]),
    "expand": (lambda x: x.expand(2, 3, 4), lambda x: x.expand(2, 3, 4), [random_array(3, 1)]),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [random_array(2, 3)]),
    "flip": (lambda x: x.flip(0, 2), lambda x: x.flip(0, 2), [random_array(2, 3, 4)]),
    "roll": (lambda x: x.roll((1, -1), (0, 1)), lambda x: x.roll((1, -1), (0, 1)), [random_array(3, 4)]),
    "roll, flattened": (lambda x: x.roll(2), lambda x: x.roll(2), [random_array(2, 3)]),
    "narrow": (lambda x: x.narrow(1, -3, 2), lambda x: x.narrow(1, -3, 2), [random_array(2, 4)]),
    "None, Ellipsis and a step": (
        lambda x: x[None, ..., ::2],
        lambda x: x[None, ..., ::2],
        [random_array(2, 5)],
    ),
    "boolean mask": (lambda x: x[x > 0], lambda x: x[x > 0], [random_array(3, 4)]),
    "repeated integer indices": (lambda x: x[[2, 0, 2]], lambda x: x[[2, 0, 2]], [random_array(3, 2)]),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_values_and_gradients_equal_torch(torch, name):
    ours, theirs, arrays = TORCH_CASES[name]
    assert_same_as_torch(torch, ours, theirs, *arrays)


def test_setitem_in_the_graph_gives_torchs_gradients(torch):
    def write(x, value):
        h = x * 2.0
        h[:, 1] = value * 3.0
        return h

    assert_same_as_torch(torch, write, write, random_array(2, 3, seed=1), random_array(2, seed=2))


# ------------------------------------------------------------------------------ bad input


def test_reshape_to_a_different_number_of_elements():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"):
        float32_ones(2, 3).reshape(4, 2)


def test_permute_refuses_axes_out_of_range_or_repeated_instead_of_wrapping_them():
    x = tinyconv.randn(2, 3)
    with pytest.raises(
        IndexError, match=r"dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"
    ):
        x.permute(1, 2)
    with pytest.raises(IndexError, match="but got 5"):
        x.permute(0, 5)
    with pytest.raises(ValueError, match=r"\(0, 0\) is not an order of the 2 dims"):
        x.permute(0, 0)


def test_permute_with_too_few_dims_is_refused():
    with pytest.raises(ValueError, match=r"\(0,\) is not an order of the 2 dims"):
        tinyconv.zeros(2, 3).permute(0)


def test_transpose_of_a_dim_out_of_range():
    with pytest.raises(IndexError, match="dimension out of range"):
        tinyconv.zeros(2, 3).transpose(0, 2)


def test_t_of_a_3d_tensor_is_refused_naming_transpose():
    with pytest.raises(ValueError, match=r"at most 2 dims, got shape \(2, 3, 4\); use transpose"):
        tinyconv.zeros(2, 3, 4).t()


def test_expand_of_a_dim_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) cannot be expanded to \(2, 4\)"):
        tinyconv.zeros(2, 3).expand(2, 4)


def test_expand_with_minus_one_for_a_new_dim_is_refused():
    with pytest.raises(ValueError, match=r"cannot be expanded to \(-1, 3\)"):
        tinyconv.zeros(3).expand(-1, 3)


def test_repeat_with_fewer_counts_than_dims_is_refused():
    with pytest.raises(ValueError, match=r"at least one count per dim \(2 for shape \(2, 3\)\)"):
        tinyconv.zeros(2, 3).repeat(2)


def test_flip_without_dims_is_refused():
    with pytest.raises(TypeError, match="give the dims to flip"):
        tinyconv.zeros(2).flip()


def test_roll_with_unequal_shifts_and_dims_is_refused():
    with pytest.raises(ValueError, match="2 shifts for 1 dims"):
        tinyconv.zeros(2, 3).roll((1, 1), 0)


def test_narrow_past_the_end_is_refused():
    with pytest.raises(IndexError, match="start 2 and length 2 do not fit in dim 1 of size 3"):
        tinyconv.zeros(2, 3).narrow(1, 2, 2)


def test_indexing_with_a_float_tensor_is_refused():
    with pytest.raises(IndexError, match="must be long, int or bool tensors, got a float tensor"):
        tinyconv.zeros(3)[tinyconv.tensor([0.0, 1.0])]


def test_writing_through_an_index_with_a_float_tensor_is_refused():
    x = tinyconv.zeros(3)
    with pytest.raises(IndexError, match="got a float tensor"):
        x[tinyconv.tensor([1.0])] = 5.0
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_view_of_a_tensor_with_the_wrong_number_of_elements():
    with pytest.raises(ValueError, match=r"view: cannot reshape a tensor of shape \(2, 3\)"):
        distinct_tensor(2, 3).view(4)


def test_flatten_of_an_empty_batch_keeps_the_batch_and_merges_the_rest():
    # torch.flatten(x, 1) of a (0, 3, 2, 2) batch is (0, 12): the merged size is written out, since a -1
    # has nothing to infer it from
    assert tinyconv.zeros(0, 3, 2, 2).flatten(1).shape == (0, 12)
    assert tinyconv.flatten(tinyconv.zeros(0, 3, 2, 2), 1).shape == (0, 12)
