"""The reductions (tinyconv/ops/reduction.py), in the module's order: Sum, Mean, Prod, Var (and std),
MaxAlongDim (max/min with a dim: values and indices, the gradient to the index returned), Amax (amax, amin,
and max/min of everything: ties share the gradient), argmax/argmin, LogSumExp, Norm, CumSum, and all/any;
over all dims or some, negative dims, keepdim both ways. Then dtypes kept and the upstream gradient left
alone, float64 gradient checks, the same values and gradients as torch (its tie rules included), and clear
errors for reductions of nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import away_from_zero_tensor, distinct_tensor, leaf, positive_tensor, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.same_as_torch import assert_same_as_torch

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ sum and mean


def test_sum_over_an_axis():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.sum(axis=1)
    np.testing.assert_array_equal(y.data, [6.0, 15.0])
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 1.0], [10.0, 10.0, 10.0]])


def test_sum_with_keepdims_keeps_the_reduced_axis():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.sum(axis=0, keepdims=True)
    assert y.shape == (1, 3)
    np.testing.assert_array_equal(y.data, [[5.0, 7.0, 9.0]])
    y.backward(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_sum_takes_pytorchs_dim_and_keepdim():
    x = tinyconv.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.sum(dim=1).tolist() == [6.0, 15.0]
    assert x.sum(1, keepdim=True).tolist() == [[6.0], [15.0]]
    assert x.sum(-2).tolist() == [5.0, 7.0, 9.0]


def test_sum_over_several_axes_with_a_negative_axis():
    x = random_tensor(2, 3, 4)
    y = x.sum(axis=(0, -1))
    np.testing.assert_allclose(y.data, x.data.sum(axis=(0, 2)))
    y.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, np.broadcast_to(np.array([1.0, 2.0, 3.0])[:, None], (2, 3, 4)))


def test_sum_of_everything_is_a_scalar():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x.sum()
    assert y.shape == ()
    assert y.item() == 10.0


def test_sum_over_an_empty_tuple_of_dims_sums_everything_as_pytorch_does():
    x = tinyconv.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=()).item() == 10.0
    assert x.mean(dim=[]).item() == 2.5


def test_sum_of_bools_and_small_ints_counts_in_int64():
    assert tinyconv.tensor([True, False, True]).sum().dtype == tinyconv.int64
    assert tinyconv.tensor([200, 100], dtype=tinyconv.uint8).sum().item() == 300


def test_mean_divides_the_gradient_by_the_count():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]])
    y = x.mean(axis=1)
    np.testing.assert_array_equal(y.data, [2.0, 6.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 1 / 3))


def test_mean_of_everything():
    x = leaf([[1.0, 2.0], [3.0, 6.0]])
    x.mean().backward()
    assert x.grad.shape == (2, 2)
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 0.25))


# ------------------------------------------------------------------------------ prod


def test_prod_over_a_dim_and_of_everything():
    x = tinyconv.tensor([[2.0, 3.0], [4.0, 5.0]])
    assert x.prod().item() == 120.0
    assert x.prod(0).tolist() == [8.0, 15.0]
    assert x.prod(1, keepdim=True).tolist() == [[6.0], [20.0]]


def test_prod_gradient_is_the_product_of_the_others_even_with_zeros_in_the_group():
    x = leaf([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [2.0, 3.0, 4.0]])
    x.prod(1).sum().backward()
    # one zero: only it gets a gradient (the product of the others); two zeros: nobody does
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [12.0, 8.0, 6.0]])


# ------------------------------------------------------------------------------ var and std


def test_var_divides_by_n_minus_one_by_default_as_pytorch():
    x = tinyconv.tensor([1.0, 2.0, 3.0, 4.0])  # squared deviations sum to 5
    assert x.var().item() == pytest.approx(5 / 3)
    assert x.var(unbiased=False).item() == pytest.approx(5 / 4)
    assert x.var(correction=0).item() == pytest.approx(5 / 4)
    assert x.std().item() == pytest.approx(math.sqrt(5 / 3))


def test_var_over_a_dim_with_keepdim():
    x = tinyconv.tensor([[1.0, 3.0], [2.0, 2.0]])
    assert x.var(1, keepdim=True).tolist() == [[2.0], [0.0]]
    assert x.var(dim=0, correction=0).tolist() == [0.25, 0.25]


def test_var_gradient_is_two_deviations_over_n_minus_correction():
    x = leaf([1.0, 2.0, 6.0])  # mean 3
    x.var().backward()
    np.testing.assert_allclose(x.grad, [2 * -2 / 2, 2 * -1 / 2, 2 * 3 / 2])


def test_var_of_one_sample_with_correction_one_is_nan_as_in_pytorch():
    assert math.isnan(tinyconv.tensor([3.0]).var().item())


# ------------------------------------------------------------------------------ max and min along a dim


def test_max_over_an_axis_sends_the_gradient_to_the_maximum():
    x = leaf([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    y, indices = x.max(dim=1)  # PyTorch's (values, indices)
    np.testing.assert_array_equal(y.data, [5.0, 7.0])
    assert indices.tolist() == [1, 0] and indices.dtype == np.int64
    y.backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])


def test_max_of_a_dim_is_a_named_pair_of_values_and_indices():
    out = tinyconv.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    result = out.max(1)
    assert result.values.tolist() == pytest.approx([0.7, 0.5])
    assert result.indices.tolist() == [1, 0]
    _, pred = out.max(1)  # the classic accuracy idiom, at batch 2: pred are the indices, not a value
    assert pred.tolist() == [1, 0]


def test_min_of_a_dim_returns_the_smallest_values_and_their_indices():
    values, indices = tinyconv.tensor([[3.0, 1.0, 2.0], [0.0, 4.0, 5.0]]).min(dim=1, keepdim=True)
    assert values.tolist() == [[1.0], [0.0]] and indices.tolist() == [[1], [0]]


def test_max_with_keepdims_over_axis_0():
    x = leaf([[1.0, 5.0], [7.0, 0.0]])
    y = x.max(axis=0, keepdims=True).values  # NumPy's spellings of dim and keepdim still work
    np.testing.assert_array_equal(y.data, [[7.0, 5.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [1.0, 0.0]])


def test_max_gives_a_tie_to_the_first_maximum():
    x = leaf([[1.0, 3.0, 3.0]])
    values, indices = x.max(dim=1)
    assert indices.tolist() == [1]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0]])


def test_max_of_a_tensor_is_the_element_wise_maximum():
    assert tinyconv.tensor([1.0, 5.0]).max(tinyconv.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]


def test_axis_may_be_a_numpy_integer_and_a_scalar_accepts_axis_0_and_minus_1():
    x = random_tensor(2, 3)
    np.testing.assert_allclose(x.sum(axis=np.int64(1)).data, x.data.sum(axis=1))
    s = tinyconv.tensor(3.0, requires_grad=True)
    assert s.sum(axis=0).item() == 3.0 and s.mean(axis=-1).item() == 3.0
    s.max(dim=0).values.backward()
    assert s.grad == 1.0


# ------------------------------------------------------------------------------ amax, amin, max of everything


def test_max_of_everything_sends_the_gradient_to_one_element():
    x = leaf([[1.0, 5.0], [7.0, 0.0]])
    y = x.max()
    assert y.item() == 7.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [1.0, 0.0]])


def test_max_of_everything_shares_the_gradient_among_ties():
    x = leaf([[1.0, 3.0], [3.0, 0.0]])
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5], [0.5, 0.0]])


def test_amax_over_a_dim_shares_the_gradient_among_ties():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    y = x.amax(1)
    assert y.tolist() == [3.0, 2.0]
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_amin_over_several_dims_with_keepdim():
    x = tinyconv.tensor([[[4.0, 1.0], [2.0, 8.0]], [[0.0, 5.0], [6.0, 7.0]]])
    assert x.amin((1, 2), keepdim=True).tolist() == [[[1.0]], [[0.0]]]
    assert x.amin(-1).tolist() == [[1.0, 2.0], [0.0, 6.0]]


# ------------------------------------------------------------------------------ argmax and argmin


def test_argmax_of_everything_indexes_the_flattened_tensor():
    x = tinyconv.tensor([[1.0, 9.0], [4.0, 2.0]])
    index = x.argmax()
    assert index.item() == 1 and index.shape == () and index.dtype == tinyconv.int64
    assert x.argmin().item() == 0


def test_argmax_over_a_dim_with_keepdim():
    x = tinyconv.tensor([[1.0, 9.0], [4.0, 2.0]])
    assert x.argmax(dim=1).tolist() == [1, 0]
    assert x.argmax(dim=1, keepdim=True).tolist() == [[1], [0]]
    assert x.argmin(0).tolist() == [0, 1]


def test_argmax_picks_the_first_of_tied_maxima():
    assert tinyconv.tensor([[1.0, 4.0, 4.0]]).argmax(1).tolist() == [1]


def test_argmax_eq_view_as_counts_correct_predictions():
    output = tinyconv.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    target = tinyconv.tensor([1, 1, 1])
    pred = output.argmax(dim=1, keepdim=True)
    assert pred.eq(target.view_as(pred)).sum().item() == 2


# ------------------------------------------------------------------------------ logsumexp


def test_logsumexp_equals_log_of_sum_of_exp_without_overflowing():
    x = tinyconv.tensor([[1.0, 2.0], [1000.0, 1000.0]], dtype=tinyconv.float64)
    y = x.logsumexp(1)
    np.testing.assert_allclose(y.data, [np.log(np.e + np.e**2), 1000.0 + np.log(2.0)])


def test_logsumexp_gradient_is_the_softmax():
    x = leaf([[0.0, np.log(3.0)]])
    x.logsumexp(1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.25, 0.75]])


def test_logsumexp_of_minus_infinity_entries_ignores_them():
    x = leaf([[-np.inf, 0.0], [-np.inf, -np.inf]])
    y = x.logsumexp(1)
    assert y.tolist() == [0.0, -np.inf]


def test_logsumexp_of_an_integer_tensor_is_float32_as_in_pytorch():
    assert tinyconv.tensor([1, 2]).logsumexp(0).dtype == tinyconv.float32


# ------------------------------------------------------------------------------ norm


@pytest.mark.parametrize(
    "p, expected",
    [(2, 5.0), ("fro", 5.0), (1, 7.0), (float("inf"), 4.0), (3, (27 + 64) ** (1 / 3))],
)
def test_norm_of_a_vector(p, expected):
    assert tinyconv.tensor([3.0, -4.0], dtype=tinyconv.float64).norm(p).item() == pytest.approx(expected)


def test_norm_over_a_dim_with_keepdim():
    x = tinyconv.tensor([[3.0, 4.0], [6.0, 8.0]])
    assert x.norm(dim=1).tolist() == [5.0, 10.0]
    assert x.norm(dim=1, keepdim=True).shape == (2, 1)


def test_norm_gradients_by_hand():
    x = leaf([3.0, -4.0])
    x.norm().backward()
    np.testing.assert_allclose(x.grad, [0.6, -0.8])  # x / |x|
    x = leaf([3.0, -4.0])
    x.norm(1).backward()
    np.testing.assert_array_equal(x.grad, [1.0, -1.0])  # sign(x)
    x = leaf([3.0, -4.0])
    x.norm(float("inf")).backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0])  # to the largest |x|, with its sign


def test_norm_of_a_zero_vector_has_zero_gradient_as_in_pytorch():
    for p in (1, 2, 3, float("inf")):
        x = leaf([0.0, 0.0])
        x.norm(p).backward()
        np.testing.assert_array_equal(x.grad, [0.0, 0.0], err_msg=f"p = {p}")


# ------------------------------------------------------------------------------ cumsum


def test_cumsum_value_and_gradient():
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = x.cumsum(1)
    assert y.tolist() == [[1.0, 3.0, 6.0], [4.0, 9.0, 15.0]]
    y.backward(np.array([[1.0, 10.0, 100.0], [1.0, 1.0, 1.0]]))
    np.testing.assert_array_equal(x.grad, [[111.0, 110.0, 100.0], [3.0, 2.0, 1.0]])


def test_cumsum_of_bools_counts_in_int64():
    y = tinyconv.tensor([True, True, False]).cumsum(0)
    assert y.tolist() == [1, 2, 2] and y.dtype == tinyconv.int64


# ------------------------------------------------------------------------------ all and any


def test_all_and_any_give_bool_tensors_over_everything_or_a_dim():
    x = tinyconv.tensor([[1.0, 0.0], [3.0, 4.0]])
    assert x.all().item() is False and x.any().item() is True
    assert x.all(1).tolist() == [False, True]
    assert x.any(dim=0, keepdim=True).tolist() == [[True, True]]
    assert x.all().dtype == tinyconv.bool


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "sum": lambda x: x.sum(),
    "sum(axis)": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(),
    "prod": lambda x: x.prod(1),
    "var": lambda x: x.var(1),
    "std": lambda x: x.std(),
    "max(axis)": lambda x: x.max(dim=1).values,
    "amax": lambda x: x.amax(0),
    "logsumexp": lambda x: x.logsumexp(1),
    "norm": lambda x: x.norm(dim=1),
    "cumsum": lambda x: x.cumsum(1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "sum": (lambda x: x.sum(axis=0), (2, 3)),
    "mean": (lambda x: x.mean(axis=1), (2, 3)),
    "prod": (lambda x: x.prod(1), (2, 3)),
    "var": (lambda x: x.var(0), (2, 3)),
    "max": (lambda x: x.max(dim=1).values, (2, 3)),
    "amax": (lambda x: x.amax(1), (2, 3)),
    "logsumexp": (lambda x: x.logsumexp(1), (2, 3)),
    "norm": (lambda x: x.norm(dim=0), (2, 3)),
    "cumsum": (lambda x: x.cumsum(1), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


def with_zeros(*positions) -> Tensor:
    """A float64 (3, 4) leaf with exact zeros at `positions`: prod's gradient must not divide by them."""
    x = random_tensor(3, 4)
    for position in positions:
        x.data[position] = 0.0
    return x


def with_minus_infinity(*positions) -> Tensor:
    """A float64 (2, 3) leaf with -inf at `positions`, for logsumexp."""
    x = random_tensor(2, 3)
    for position in positions:
        x.data[position] = -np.inf
    return x


def with_a_zero_row() -> Tensor:
    """A float64 (3, 4) leaf, |x| >= 0.1 and distinct, with its middle row all zeros (a zero vector)."""
    x = distinct_tensor(3, 4)
    x.data[x.data == 0] = 0.7  # keep the other rows away from zero
    x.data[1] = 0.0
    return x


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "sum, all": (lambda x: x.sum(), lambda: (random_tensor(2, 3),)),
    "sum, axis": (lambda x: x.sum(axis=1), lambda: (random_tensor(2, 3, 4),)),
    "sum, axes with keepdims": (
        lambda x: x.sum(axis=(0, 2), keepdims=True),
        lambda: (random_tensor(2, 3, 4),),
    ),
    "mean, all": (lambda x: x.mean(), lambda: (random_tensor(2, 3),)),
    "mean, axis": (lambda x: x.mean(axis=-1), lambda: (random_tensor(2, 3, 4),)),
    "mean, batch 1 with keepdim": (lambda x: x.mean(0, keepdim=True), lambda: (random_tensor(1, 3),)),
    "prod, all": (lambda x: x.prod(), lambda: (random_tensor(2, 3),)),
    "prod, dim": (lambda x: x.prod(1), lambda: (random_tensor(3, 4),)),
    "prod, negative dim with keepdim": (lambda x: x.prod(-2, keepdim=True), lambda: (random_tensor(3, 4),)),
    "prod, one zero in a group": (lambda x: x.prod(1), lambda: (with_zeros((0, 2)),)),
    "prod, two zeros in a group": (lambda x: x.prod(1), lambda: (with_zeros((1, 0), (1, 3)),)),
    "prod, zeros over all": (lambda x: x.prod(), lambda: (with_zeros((2, 1)),)),
    "var, correction 1": (lambda x: x.var(1), lambda: (random_tensor(3, 4),)),
    "var, correction 0 with keepdim": (
        lambda x: x.var(0, correction=0, keepdim=True),
        lambda: (random_tensor(3, 4),),
    ),
    "var, all": (lambda x: x.var(), lambda: (random_tensor(2, 3),)),
    "std, dims": (lambda x: x.std((0, -1)), lambda: (random_tensor(2, 3, 4),)),
    "max, all": (lambda x: x.max(), lambda: (distinct_tensor(3, 4),)),
    "max, axis": (lambda x: x.max(axis=1), lambda: (distinct_tensor(2, 5, 3),)),
    "max, axis 0 with keepdims": (lambda x: x.max(axis=0, keepdims=True), lambda: (distinct_tensor(4, 3),)),
    "max, batch 1": (lambda x: x.max(1).values, lambda: (distinct_tensor(1, 4),)),
    "min, negative dim": (lambda x: x.min(-1).values, lambda: (distinct_tensor(3, 4),)),
    "amax, dims": (lambda x: x.amax((0, 2)), lambda: (distinct_tensor(2, 3, 4),)),
    "amin, dim with keepdim": (lambda x: x.amin(-1, keepdim=True), lambda: (distinct_tensor(3, 4),)),
    "logsumexp, dim": (lambda x: x.logsumexp(1), lambda: (random_tensor(3, 4),)),
    "logsumexp, dims with keepdim": (
        lambda x: x.logsumexp((0, -1), keepdim=True),
        lambda: (random_tensor(2, 3, 4),),
    ),
    "logsumexp, -inf entries": (lambda x: x.logsumexp(1), lambda: (with_minus_infinity((0, 1), (1, 0)),)),
    "norm, p = 2": (lambda x: x.norm(dim=1), lambda: (random_tensor(3, 4),)),
    "norm, p = 1": (lambda x: x.norm(1, dim=0), lambda: (away_from_zero_tensor(3, 4),)),
    "norm, p = inf": (lambda x: x.norm(float("inf"), dim=1), lambda: (with_a_zero_row(),)),
    "norm, p = 3 with keepdim": (lambda x: x.norm(3, dim=-1, keepdim=True), lambda: (random_tensor(3, 4),)),
    "norm, all": (lambda x: x.norm(), lambda: (random_tensor(2, 3),)),
    "norm, p = 2, a zero vector": (lambda x: x.norm(dim=1), lambda: (with_a_zero_row(),)),
    "norm, p = 1, a zero vector": (lambda x: x.norm(1, dim=1), lambda: (with_a_zero_row(),)),
    "norm, p = 3, a zero vector": (lambda x: x.norm(3, dim=1), lambda: (with_a_zero_row(),)),
    "cumsum": (lambda x: x.cumsum(1), lambda: (random_tensor(3, 4),)),
    "cumsum, negative dim": (lambda x: x.cumsum(-3), lambda: (random_tensor(2, 3, 2),)),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


# ------------------------------------------------------------------------------ against torch


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 5.0, 0.0, 5.0]])


# name: (tinyconv function, torch function, input arrays); values and gradients must agree in float64
TORCH_CASES = {
    "sum(dim, keepdim)": (
        lambda x: x.sum(1, keepdim=True),
        lambda x: x.sum(1, keepdim=True),
        [random_array(2, 3)],
    ),
    "sum(dim=())": (lambda x: x.sum(dim=()), lambda x: x.sum(dim=()), [random_array(2, 3)]),
    "mean(dims)": (lambda x: x.mean((0, -1)), lambda x: x.mean((0, -1)), [random_array(2, 3, 4)]),
    "prod(dim), zeros": (
        lambda x: x.prod(1),
        lambda x: x.prod(1),
        [np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])],
    ),
    "prod()": (lambda x: x.prod(), lambda x: x.prod(), [random_array(2, 3)]),
    "var()": (lambda x: x.var(), lambda x: x.var(), [random_array(3, 4)]),
    "var(dim, correction=0)": (
        lambda x: x.var(1, correction=0),
        lambda x: x.var(1, correction=0),
        [random_array(3, 4)],
    ),
    "std(dim, unbiased=False, keepdim)": (
        lambda x: x.std(0, False, True),
        lambda x: x.std(0, False, True),
        [random_array(3, 4)],
    ),
    "max(dim), ties go to the first": (lambda x: x.max(1), lambda x: x.max(1), [TIES]),
    "min(dim, keepdim), ties go to the first": (
        lambda x: x.min(1, keepdim=True),
        lambda x: x.min(1, keepdim=True),
        [-TIES],
    ),
    "max(), ties share": (lambda x: x.max(), lambda x: x.max(), [TIES]),
    "min(), ties share": (lambda x: x.min(), lambda x: x.min(), [TIES]),
    "amax(dim), ties share": (lambda x: x.amax(1), lambda x: x.amax(1), [TIES]),
    "amin(dims), ties share": (lambda x: x.amin((0, 1)), lambda x: x.amin((0, 1)), [TIES]),
    "argmax(dim), ties": (lambda x: x.argmax(1), lambda x: x.argmax(1), [TIES]),
    "argmax(keepdim)": (lambda x: x.argmax(keepdim=True), lambda x: x.argmax(keepdim=True), [TIES]),
    "logsumexp(dim)": (lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [random_array(3, 4)]),
    "logsumexp, -inf entries": (
        lambda x: x.logsumexp(1),
        lambda x: x.logsumexp(1),
        [np.array([[-np.inf, 0.0, 1.0], [-np.inf, -np.inf, 2.0]])],
    ),
    "norm()": (lambda x: x.norm(), lambda x: x.norm(), [random_array(3, 4)]),
    "norm(1, dim)": (lambda x: x.norm(1, dim=1), lambda x: x.norm(1, dim=1), [random_array(3, 4)]),
    "norm(inf, dim), ties share": (
        lambda x: x.norm(float("inf"), dim=1),
        lambda x: x.norm(float("inf"), dim=1),
        [np.array([[1.0, -3.0, 3.0], [2.0, 2.0, 2.0]])],
    ),
    "norm(3, dim, keepdim)": (
        lambda x: x.norm(3, dim=0, keepdim=True),
        lambda x: x.norm(3, dim=0, keepdim=True),
        [random_array(3, 4)],
    ),
    "norm, a zero vector": (
        lambda x: x.norm(dim=1),
        lambda x: x.norm(dim=1),
        [np.array([[0.0, 0.0], [1.0, 2.0]])],
    ),
    "cumsum(dim)": (lambda x: x.cumsum(-1), lambda x: x.cumsum(-1), [random_array(3, 4)]),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_values_and_gradients_equal_torch(torch, name):
    ours, theirs, arrays = TORCH_CASES[name]
    assert_same_as_torch(torch, ours, theirs, *arrays)


# ------------------------------------------------------------------------------ bad input


def test_max_of_an_empty_dim_is_refused_naming_it():
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 1 to have non-zero size"):
        tinyconv.zeros(2, 0).max(1)


def test_argmax_of_an_empty_tensor_is_refused():
    with pytest.raises(IndexError, match=r"argmax\(\): .*shape \(2, 0\) is empty"):
        tinyconv.zeros(2, 0).argmax()


def test_max_of_an_empty_tensor_is_refused():
    with pytest.raises(RuntimeError, match=r"max\(\): .*shape \(0,\) is empty"):
        tinyconv.zeros(0).max()


def test_amax_of_an_empty_dim_is_refused():
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 1 to have non-zero size"):
        tinyconv.zeros(3, 0).amax(1)


def test_max_over_a_non_empty_dim_of_an_empty_tensor_is_empty_as_in_pytorch():
    values, indices = tinyconv.zeros(2, 0).max(0)
    assert values.shape == (0,) and indices.shape == (0,)


def test_max_with_a_tuple_of_dims_points_at_amax():
    with pytest.raises(TypeError, match=r"dim must be an int, got \(0, 1\) \(amax/amin take several dims\)"):
        tinyconv.zeros(2, 2).max(dim=(0, 1))


def test_mean_and_var_of_an_integer_tensor_are_refused():
    with pytest.raises(TypeError, match=r"mean\(\) needs a floating-point tensor, got dtype int64"):
        tinyconv.tensor([1, 2]).mean()
    with pytest.raises(TypeError, match=r"var\(\) needs a floating-point tensor"):
        tinyconv.tensor([1, 2]).var()


def test_norm_of_an_integer_tensor_is_refused_as_in_pytorch():
    with pytest.raises(TypeError, match="norm: expected a floating-point tensor, got dtype int64"):
        tinyconv.tensor([3, 4]).norm()


def test_norm_with_an_unsupported_p_is_refused():
    with pytest.raises(ValueError, match="p must be a positive number, inf or 'fro', got 'nuc'"):
        positive_tensor(2, 2).norm("nuc")


def test_a_dim_named_twice_is_refused():
    with pytest.raises(ValueError, match=r"dim \(0, 0\) names the same dimension twice"):
        tinyconv.zeros(2, 3).sum((0, 0))


def test_var_with_both_unbiased_and_correction_is_refused():
    with pytest.raises(TypeError, match="give correction or unbiased, not both"):
        tinyconv.zeros(3).var(unbiased=True, correction=1)
