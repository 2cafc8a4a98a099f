"""The unary ops (tinyconv/ops/unary.py), in the module's order: Neg, Exp, Log, Abs, Sqrt, Rsqrt, Sin, Cos,
Clamp (a number or a tensor as either bound, PyTorch's gradient at the bounds, NaN and min > max), the
Rounding family (sign, floor, ceil, round: zero gradient) and Clone; their values and gradients, dtypes kept
and the upstream gradient left alone, float64 gradient checks, and the same values and gradients as torch.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import away_from_zero_tensor, leaf, positive_tensor, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.same_as_torch import assert_same_as_torch

import tinyconv


def test_exp_value_and_gradient():
    x = leaf([0.0, 1.0])
    y = x.exp()
    np.testing.assert_allclose(y.data, [1.0, np.e])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, np.e])


def test_log_value_and_gradient():
    x = leaf([1.0, np.e, 4.0])
    y = x.log()
    np.testing.assert_allclose(y.data, [0.0, 1.0, np.log(4.0)])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1 / np.e, 0.25])


def test_exp_of_an_integer_tensor_is_float32_as_in_pytorch():
    assert tinyconv.tensor([0, 1]).exp().dtype == tinyconv.float32


# ------------------------------------------------------------------------------ abs, sqrt, rsqrt, sin, cos


def test_abs_value_and_gradient_with_zero_gradient_at_the_kink():
    x = leaf([-2.0, 0.0, 3.0])
    y = abs(x)
    assert y.tolist() == [2.0, 0.0, 3.0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_abs_of_an_integer_tensor_stays_integer():
    y = tinyconv.tensor([-2, 3]).abs()
    assert y.tolist() == [2, 3] and y.dtype == tinyconv.int64


def test_sqrt_value_and_gradient():
    x = leaf([4.0, 9.0])
    y = x.sqrt()
    assert y.tolist() == [2.0, 3.0]
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1 / 4, 1 / 6])  # 1 / (2 sqrt(x))


def test_rsqrt_value_and_gradient():
    x = leaf([4.0, 16.0])
    y = x.rsqrt()
    assert y.tolist() == [0.5, 0.25]
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [-0.5 * 4.0**-1.5, -0.5 * 16.0**-1.5])


def test_sin_and_cos_values_and_gradients():
    x = leaf([0.0, np.pi / 2])
    x.sin().sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.0], atol=1e-15)  # cos x
    x = leaf([0.0, np.pi / 2])
    x.cos().sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, -1.0], atol=1e-15)  # -sin x


def test_sqrt_of_an_integer_tensor_is_float32_as_in_pytorch():
    assert tinyconv.tensor([4, 9]).sqrt().tolist() == [2.0, 3.0]
    assert tinyconv.tensor([4, 9]).sqrt().dtype == tinyconv.float32


# ------------------------------------------------------------------------------ clamp


def test_clamp_cuts_into_the_range_and_passes_the_gradient_inside_it_bounds_included():
    x = leaf([-1.0, 0.0, 0.5, 1.0, 2.0])
    y = x.clamp(0.0, 1.0)
    assert y.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clamp_with_only_min_or_only_max():
    x = tinyconv.tensor([-1.0, 0.5, 2.0])
    assert x.clamp(min=0.0).tolist() == [0.0, 0.5, 2.0]
    assert x.clamp(max=1.0).tolist() == [-1.0, 0.5, 1.0]
    assert x.clip(0.0, 1.0).tolist() == [0.0, 0.5, 1.0]


def test_clamp_keeps_nan_and_gives_it_no_gradient():
    x = leaf([np.nan, 0.5])
    y = x.clamp(0.0, 1.0)
    assert np.isnan(y.data[0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_clamp_with_min_above_max_gives_max_everywhere_as_in_pytorch():
    assert tinyconv.tensor([0.0, 3.0, 9.0]).clamp(5.0, 1.0).tolist() == [1.0, 1.0, 1.0]


def test_clamp_of_an_integer_tensor_with_a_float_bound_is_float32_as_in_pytorch():
    y = tinyconv.tensor([-1, 2]).clamp(0.5)
    assert y.dtype == tinyconv.float32 and y.tolist() == [0.5, 2.0]


def test_clamp_with_tensor_bounds_sends_the_gradient_to_the_bound_that_was_taken():
    x = leaf([-1.0, 0.0, 0.5, 3.0])
    low, high = leaf([0.0, 0.0, 0.0, 0.0]), leaf([1.0, 1.0, 1.0, 1.0])
    y = x.clamp(low, high)
    assert y.tolist() == [0.0, 0.0, 0.5, 1.0]
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 3.0, 0.0])  # at a bound (0.0) x keeps it
    np.testing.assert_array_equal(low.grad, [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(high.grad, [0.0, 0.0, 0.0, 4.0])


# ------------------------------------------------------------------------------ rounding


def test_rounding_values_round_halves_to_even():
    x = tinyconv.tensor([-1.5, -0.5, 0.5, 1.5, 2.7])
    assert x.floor().tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert x.ceil().tolist() == [-1.0, -0.0, 1.0, 2.0, 3.0]
    assert x.round().tolist() == [-2.0, -0.0, 0.0, 2.0, 3.0]
    assert x.sign().tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "sign"])
def test_rounding_has_zero_gradient(name):
    x = leaf([-1.3, 0.4, 2.6])
    getattr(x, name)().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


# ------------------------------------------------------------------------------ clone


def test_clone_copies_into_new_memory_and_passes_the_gradient():
    x = leaf([1.0, 2.0])
    y = x.clone()
    assert not np.shares_memory(x.data, y.data) and y.tolist() == [1.0, 2.0]
    y.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "-x": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "abs": lambda x: x.abs(),
    "sqrt": lambda x: x.sqrt(),
    "rsqrt": lambda x: x.rsqrt(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "clamp": lambda x: x.clamp(0.6, 2.0),
    "clamp, tensor bounds": lambda x: x.clamp(x.detach() * 0.5, 2.0),
    "round": lambda x: x.round(),
    "clone": lambda x: x.clone(),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "neg": (lambda x: -x, (2, 3)),
    "exp": (lambda x: x.exp(), (2, 3)),
    "abs": (lambda x: x.abs(), (2, 3)),
    "sqrt": (lambda x: (x * x + 1.0).sqrt(), (2, 3)),
    "rsqrt": (lambda x: (x * x + 1.0).rsqrt(), (2, 3)),
    "sin": (lambda x: x.sin(), (2, 3)),
    "cos": (lambda x: x.cos(), (2, 3)),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), (2, 3)),
    "rounding": (lambda x: x.floor(), (2, 3)),
    "clone": (lambda x: x.clone(), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


def in_and_out_of(low: float, high: float, *shape: int):
    """A float64 leaf with values on both sides of [low, high], none within 0.05 of a bound (a nudge of
    1e-6 never crosses one)."""
    values = np.random.default_rng(0).uniform(low - 2.0, high + 2.0, size=shape)
    for bound in (low, high):
        values = np.where(np.abs(values - bound) < 0.05, bound + 0.1, values)
    return tinyconv.Tensor(values, requires_grad=True)


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "neg": (lambda x: -x, lambda: (random_tensor(2, 3),)),
    "exp": (lambda x: x.exp(), lambda: (random_tensor(2, 3),)),
    "log": (lambda x: x.log(), lambda: (positive_tensor(2, 3),)),
    "abs": (lambda x: x.abs(), lambda: (away_from_zero_tensor(2, 3),)),
    "sqrt": (lambda x: x.sqrt(), lambda: (positive_tensor(2, 3),)),
    "sqrt, batch 1": (lambda x: x.sqrt(), lambda: (positive_tensor(1, 4),)),
    "rsqrt": (lambda x: x.rsqrt(), lambda: (positive_tensor(3, 2),)),
    "sin": (lambda x: x.sin(), lambda: (random_tensor(2, 3),)),
    "cos": (lambda x: x.cos(), lambda: (random_tensor(2, 3),)),
    "clamp, min only": (lambda x: x.clamp(min=0.0), lambda: (in_and_out_of(0.0, 0.0, 3, 4),)),
    "clamp, max only": (lambda x: x.clamp(max=0.5), lambda: (in_and_out_of(0.5, 0.5, 3, 4),)),
    "clamp, both": (lambda x: x.clamp(-0.5, 0.5), lambda: (in_and_out_of(-0.5, 0.5, 3, 4),)),
    "clamp, tensor bounds broadcast": (
        lambda x, low, high: x.clamp(low, high),
        lambda: (
            in_and_out_of(-0.5, 0.5, 3, 4),
            tinyconv.Tensor(np.full((1, 4), -0.5), requires_grad=True),
            tinyconv.Tensor(np.full((3, 1), 0.5), requires_grad=True),
        ),
    ),
    "clamp, tensor min only": (
        lambda x, low: x.clamp(min=low),
        lambda: (in_and_out_of(0.0, 0.0, 2, 3), tinyconv.Tensor(np.zeros(3), requires_grad=True)),
    ),
    "rounding": (
        lambda x: x.floor() + x.ceil() + x.round() + x.sign(),
        lambda: (in_and_out_of(0.3, 0.3, 2, 3),),
    ),
    "clone": (lambda x: x.clone(), lambda: (random_tensor(2, 3),)),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


# ------------------------------------------------------------------------------ against torch


EDGES = np.array([[np.nan, -1.0, 0.0, 0.5], [1.0, 2.0, -0.0, 3.0]])  # NaN and values on the bounds


# name: (tinyconv function, torch function, input arrays); values and gradients must agree in float64
TORCH_CASES = {
    "abs": (lambda x: x.abs(), lambda x: x.abs(), [np.array([-2.0, 0.0, 3.0])]),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), [np.array([0.25, 4.0, 9.0])]),
    "rsqrt": (lambda x: x.rsqrt(), lambda x: x.rsqrt(), [np.array([0.25, 4.0, 9.0])]),
    "sin": (lambda x: x.sin(), lambda x: x.sin(), [random_array(2, 3)]),
    "cos": (lambda x: x.cos(), lambda x: x.cos(), [random_array(2, 3)]),
    "clamp(min, max), NaN and bounds": (lambda x: x.clamp(0.0, 1.0), lambda x: x.clamp(0.0, 1.0), [EDGES]),
    "clamp(min=)": (lambda x: x.clamp(min=0.0), lambda x: x.clamp(min=0.0), [EDGES]),
    "clamp(max=)": (lambda x: x.clamp(max=0.5), lambda x: x.clamp(max=0.5), [EDGES]),
    "clamp, min > max": (lambda x: x.clamp(2.0, 1.0), lambda x: x.clamp(2.0, 1.0), [EDGES]),
    "clamp, tensor bounds": (
        lambda x, low, high: x.clamp(low, high),
        lambda x, low, high: x.clamp(low, high),
        [EDGES, np.zeros((1, 4)), np.array([[1.0, 1.0, 1.0, -1.0]])],  # last column: min > max
    ),
    "clamp, tensor min": (
        lambda x, low: x.clamp(min=low),
        lambda x, low: x.clamp(min=low),
        [EDGES, np.zeros(4)],
    ),
    "round": (lambda x: x.round(), lambda x: x.round(), [np.array([-1.5, -0.5, 0.5, 1.5, 2.4])]),
    "floor, ceil, sign": (
        lambda x: x.floor() + x.ceil() * 10 + x.sign() * 100,
        lambda x: x.floor() + x.ceil() * 10 + x.sign() * 100,
        [random_array(2, 3)],
    ),
    "clone": (lambda x: x.clone(), lambda x: x.clone(), [random_array(2, 3)]),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_values_and_gradients_equal_torch(torch, name):
    ours, theirs, arrays = TORCH_CASES[name]
    assert_same_as_torch(torch, ours, theirs, *arrays)


def test_clamp_of_an_integer_tensor_has_torchs_dtype(torch):
    for low in (0, 0.5):
        ours = tinyconv.tensor([-1, 2]).clamp(low)
        theirs = torch.tensor([-1, 2]).clamp(low)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).removeprefix(
            "torch."
        )


# ------------------------------------------------------------------------------ bad input


def test_clamp_without_bounds_is_refused():
    with pytest.raises(ValueError, match="give at least one of min and max"):
        tinyconv.zeros(2).clamp()


def test_clamp_with_a_bound_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match="clamp: min must be a number or a Tensor, got '0'"):
        tinyconv.zeros(2).clamp("0")


def test_clamp_with_a_tensor_bound_that_does_not_broadcast_names_both_shapes():
    with pytest.raises(ValueError, match=r"clamp: .*shapes \(2, 3\) and \(2,\) do not broadcast"):
        tinyconv.zeros(2, 3).clamp(tinyconv.zeros(2))
