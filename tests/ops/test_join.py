"""cat, stack, unbind and split (tinyconv/ops/join.py): values as NumPy joins them, PyTorch's `dim=` (and
the older `axis=`), gradients routed back, errors named, and (with torch installed) outputs and gradients
equal to torch.cat, torch.stack, torch.unbind and torch.split's.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.same_as_torch import assert_same_as_torch

import tinyconv
from tinyconv.gradcheck import gradcheck


def test_cat_along_channels_matches_numpy_concatenate():
    a, b = random_tensor(2, 3, 4, 4, seed=1), random_tensor(2, 5, 4, 4, seed=2)
    joined = tinyconv.cat([a, b], axis=1)
    np.testing.assert_array_equal(joined.data, np.concatenate([a.data, b.data], axis=1))


def test_stack_adds_a_new_axis():
    a, b = random_tensor(2, 3, seed=1), random_tensor(2, 3, seed=2)
    np.testing.assert_array_equal(tinyconv.stack([a, b], axis=-1).data, np.stack([a.data, b.data], -1))


def test_cat_and_stack_take_pytorchs_dim():
    a, b = random_tensor(2, 3, seed=1), random_tensor(2, 3, seed=2)
    assert tinyconv.cat([a, b], dim=1).shape == (2, 6)
    assert tinyconv.cat((a, b), -2).shape == (4, 3)
    assert tinyconv.stack([a, b], dim=2).shape == (2, 3, 2)
    np.testing.assert_array_equal(tinyconv.cat([a, b], dim=1).data, np.concatenate([a.data, b.data], 1))


def test_unbind_takes_apart_along_a_dim_and_stacks_the_gradients_back():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    columns = x.unbind(1)
    assert [c.tolist() for c in columns] == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    (columns[0] * 10.0 + columns[2]).sum().backward()  # the middle column unused: its gradient is 0
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0, 1.0], [10.0, 0.0, 1.0]])
    assert len(tinyconv.unbind(x)) == 2


def test_chunk_makes_pieces_as_equal_as_possible_as_pytorch():
    x = tinyconv.arange(5)
    assert [piece.tolist() for piece in x.chunk(3)] == [[0, 1], [2, 3], [4]]
    assert [piece.tolist() for piece in tinyconv.arange(6).chunk(4)] == [[0, 1], [2, 3], [4, 5]]


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


@pytest.mark.parametrize(
    "dim, shape", [(0, (3, 2)), (1, (2, 3, 2)), (-1, (1, 2, 3))], ids=["dim 0", "dim 1", "dim -1"]
)
def test_unbind_gradients_match_finite_differences_even_with_an_unused_slice(dim, shape):
    x = random_tensor(*shape)
    assert gradcheck(lambda x: x.unbind(dim)[0::2], [x])


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


def test_unbind_of_a_0d_tensor_is_refused():
    with pytest.raises(ValueError, match="unbind: a 0-d tensor has no dim to take apart"):
        tinyconv.tensor(1.0).unbind()


def test_cat_with_both_dim_and_axis_is_refused():
    with pytest.raises(TypeError, match="got both dim=0 and axis=0"):
        tinyconv.cat([tinyconv.zeros(2)], dim=0, axis=0)


def test_joins_of_scalars_and_boolean_split_sizes_get_clear_errors():
    with pytest.raises(ValueError, match="cannot join 0-d tensors"):
        tinyconv.cat([tinyconv.tensor(1.0), tinyconv.tensor(2.0)])
    with pytest.raises(TypeError, match="piece size"):
        tinyconv.split(tinyconv.zeros(4), True)


def inputs_for_both(torch, shapes: list) -> tuple:
    """The same float64 leaves twice: as tinyconv tensors and as torch tensors."""
    arrays = [random_array(*shape, seed=k) for k, shape in enumerate(shapes)]
    ours = [tinyconv.Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def backward_both(torch, our_outputs: list, their_outputs: list) -> None:
    """Send the same random upstream gradient through each pair of outputs."""
    for k, (ours, theirs) in enumerate(zip(our_outputs, their_outputs)):
        upstream = random_array(*ours.shape, seed=100 + k)
        ours.backward(upstream)
        theirs.backward(torch.tensor(upstream))


def assert_same(ours: list, theirs: list, what: str) -> None:
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_array_equal(a, b.detach().numpy(), err_msg=f"{what} {k}")


@pytest.mark.parametrize(
    "shapes, axis",
    [([(2, 1, 3), (2, 4, 3), (2, 2, 3)], 1), ([(3, 2), (1, 2)], 0), ([(2, 3, 1), (2, 3, 2)], -1)],
)
def test_cat_output_and_gradients_equal_torch_cat(torch, shapes, axis):
    ours, theirs = inputs_for_both(torch, shapes)
    joined, torch_joined = tinyconv.cat(ours, axis=axis), torch.cat(theirs, dim=axis)
    assert_same([joined.data], [torch_joined], "output")
    backward_both(torch, [joined], [torch_joined])
    assert_same([x.grad for x in ours], [x.grad for x in theirs], "gradient of input")


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_output_and_gradients_equal_torch_stack(torch, axis):
    ours, theirs = inputs_for_both(torch, [(2, 3)] * 3)
    stacked, torch_stacked = tinyconv.stack(ours, axis=axis), torch.stack(theirs, dim=axis)
    assert_same([stacked.data], [torch_stacked], "output")
    backward_both(torch, [stacked], [torch_stacked])
    assert_same([x.grad for x in ours], [x.grad for x in theirs], "gradient of input")


@pytest.mark.parametrize("split_size_or_sections, axis", [(3, 0), ([1, 4, 2], 0), (2, 1), ([1, 3, 1], -1)])
def test_split_pieces_and_gradient_equal_torch_split(torch, split_size_or_sections, axis):
    shape = (7, 5) if axis == 0 else (2, 5)
    (x,), (torch_x,) = inputs_for_both(torch, [shape])
    pieces = tinyconv.split(x, split_size_or_sections, axis=axis)
    torch_pieces = torch.split(torch_x, split_size_or_sections, dim=axis)
    assert_same([piece.data for piece in pieces], torch_pieces, "piece")
    # loss = sum over the pieces but the second of (piece * w_k): that piece's slice of the gradient
    # must come back as zeros, the others as their w_k
    weights = {k: random_array(*pieces[k].shape, seed=100 + k) for k in range(len(pieces)) if k != 1}
    sum((pieces[k] * w).sum() for k, w in weights.items()).backward()
    sum((torch_pieces[k] * torch.tensor(w)).sum() for k, w in weights.items()).backward()
    assert_same([x.grad], [torch_x.grad], "gradient of input")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_slices_and_gradient_equal_torch_unbind(torch, dim):
    assert_same_as_torch(torch, lambda x: x.unbind(dim), lambda x: x.unbind(dim), random_array(2, 3))
