"""F.dropout and F.dropout2d (tinyconv/functional/dropout.py): inverted dropout from the seeded
generator; the modules are in tests/nn/test_dropout.py.

The masks are random, so the statistics are checked on large tensors with tolerances of several standard
deviations; everything else (the scaling, the gradient, seeding) is exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.gradcheck import gradcheck


def ones(*shape: int, dtype=np.float64) -> Tensor:
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=True)


# ------------------------------------------------------------------------------ dropout: statistics


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_drops_a_fraction_p_of_a_large_tensor(p):
    tinyconv.manual_seed(0)
    y = F.dropout(ones(200_000), p)
    # the standard deviation of the dropped fraction is sqrt(p (1 - p) / n) < 0.0012
    assert abs((y.data == 0).mean() - p) < 0.006


def test_dropout_preserves_the_mean():
    tinyconv.manual_seed(1)
    x = Tensor(np.full(200_000, 3.0))
    y = F.dropout(x, 0.4)
    # mean of 3 * keep / 0.6: standard deviation 3 * sqrt(0.4 / 0.6 / n) < 0.0055
    assert abs(y.data.mean() - 3.0) < 0.03


def test_dropout_scales_the_kept_values_by_one_over_one_minus_p():
    tinyconv.manual_seed(2)
    x = random_array(50, 40)
    y = F.dropout(Tensor(x), 0.25).data
    kept = y != 0
    assert 0 < kept.sum() < x.size
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-15)


def test_dropout_gradient_is_the_same_scaled_mask():
    tinyconv.manual_seed(3)
    x = ones(30, 20)
    y = F.dropout(x, 0.3)
    upstream = random_array(30, 20, seed=4)
    y.backward(upstream)
    # with x = 1 the output is the scaled mask itself: values 0 and 1 / 0.7 only
    assert set(np.unique(y.data)) == {0.0, 1 / 0.7}
    np.testing.assert_array_equal(x.grad, upstream * y.data)


def test_dropout_with_p_zero_keeps_everything():
    x = random_array(4, 5)
    np.testing.assert_array_equal(F.dropout(Tensor(x), 0.0).data, x)


def test_dropout_keeps_float32():
    assert F.dropout(ones(10, dtype=np.float32), 0.5).dtype == np.float32


# ------------------------------------------------------------------------------ dropout: seeding and training


def test_dropout_mask_repeats_after_manual_seed():
    x = ones(100)
    tinyconv.manual_seed(5)
    first = F.dropout(x, 0.5).data
    tinyconv.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, first)


def test_dropout_draws_a_new_mask_each_call():
    tinyconv.manual_seed(6)
    x = ones(100)
    assert not np.array_equal(F.dropout(x, 0.5).data, F.dropout(x, 0.5).data)


def test_dropout_without_training_returns_the_input():
    x = random_tensor(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout2d(random_tensor(1, 2, 3, 3), 0.5, training=False).shape == (1, 2, 3, 3)


def test_dropout_takes_pytorchs_arguments_in_pytorchs_order():
    # torch.nn.functional.dropout(input, p=0.5, training=True, inplace=False)
    x = random_tensor(3, 4)
    assert F.dropout(x, 0.5, False, False) is x
    assert F.dropout(input=x, p=0.5, training=False, inplace=False) is x


# ------------------------------------------------------------------------------ dropout in place


def test_dropout_in_place_writes_the_result_into_the_input():
    x = Tensor(random_array(20, 30))
    original = x.data.copy()
    tinyconv.manual_seed(15)
    expected = F.dropout(Tensor(original.copy()), 0.4).data
    tinyconv.manual_seed(15)
    assert F.dropout(x, 0.4, inplace=True) is x
    np.testing.assert_array_equal(x.data, expected)


def test_dropout_in_place_inside_the_graph_sends_the_gradient_through_the_mask():
    w = random_tensor(10, 20)
    hidden = w * 2.0
    tinyconv.manual_seed(16)
    out = F.dropout(hidden, 0.5, inplace=True)
    assert out is hidden
    out.sum().backward()
    kept = hidden.data != 0
    np.testing.assert_array_equal(w.grad, np.where(kept, 2.0 / 0.5, 0.0))


def test_dropout_in_place_on_a_leaf_that_requires_grad_is_refused_as_pytorch_does():
    with pytest.raises(RuntimeError, match="dropout\\(inplace=True\\): a leaf tensor that requires grad"):
        F.dropout(random_tensor(3), 0.5, inplace=True)


def test_dropout2d_in_place_zeroes_whole_channels_of_the_input():
    tinyconv.manual_seed(17)
    x = Tensor(np.ones((4, 8, 2, 2)))
    F.dropout2d(x, 0.5, inplace=True)
    channel_values = x.data.reshape(4, 8, 4)
    assert set(np.unique(channel_values)) == {0.0, 2.0}
    assert (channel_values == channel_values[..., :1]).all()


# ------------------------------------------------------------------------------ dropout2d


def test_dropout2d_zeroes_whole_channels():
    tinyconv.manual_seed(7)
    x = random_array(8, 16, 3, 4)
    y = F.dropout2d(Tensor(x), 0.5).data
    for n in range(8):
        for c in range(16):
            if y[n, c].any():
                np.testing.assert_allclose(y[n, c], x[n, c] / 0.5, rtol=1e-15)
            else:
                assert not y[n, c].any()
    dropped = ~y.any(axis=(2, 3))
    assert 0 < dropped.sum() < dropped.size


def test_dropout2d_drops_a_fraction_p_of_the_channels():
    tinyconv.manual_seed(8)
    y = F.dropout2d(ones(200, 500, 1, 2), 0.3).data
    channel_dropped = y[:, :, 0, 0] == 0
    assert abs(channel_dropped.mean() - 0.3) < 0.006
    np.testing.assert_array_equal(y[:, :, 0, 0], y[:, :, 0, 1])


def test_dropout2d_gradient_is_the_channel_mask_broadcast_over_the_map():
    tinyconv.manual_seed(9)
    x = ones(2, 6, 3, 3)
    y = F.dropout2d(x, 0.5)
    upstream = random_array(2, 6, 3, 3, seed=10)
    y.backward(upstream)
    np.testing.assert_array_equal(x.grad, upstream * y.data)


# ------------------------------------------------------------------------------ gradients with a fixed mask


def dropout_with_fixed_mask(x: Tensor) -> Tensor:
    """Reseeding first makes every call of gradcheck (analytic and each nudge) draw the same mask."""
    tinyconv.manual_seed(11)
    return F.dropout(x, 0.4)


def dropout2d_with_fixed_mask(x: Tensor) -> Tensor:
    tinyconv.manual_seed(12)
    return F.dropout2d(x, 0.4)


@pytest.mark.parametrize("shape", [(3, 5), (1, 2, 3, 4)], ids=str)
def test_dropout_gradient_matches_finite_differences(shape):
    assert gradcheck(dropout_with_fixed_mask, [random_tensor(*shape)])


@pytest.mark.parametrize("shape", [(2, 4, 3, 3), (1, 3, 2, 5)], ids=str)
def test_dropout2d_gradient_matches_finite_differences(shape):
    assert gradcheck(dropout2d_with_fixed_mask, [random_tensor(*shape)])


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1])
def test_dropout_p_outside_zero_to_one_is_refused(p):
    with pytest.raises(ValueError, match=r"dropout: p .* must be in \[0, 1\), got"):
        F.dropout(random_tensor(3), p)


def test_dropout_p_must_be_a_number():
    with pytest.raises(TypeError, match="dropout: p must be a real number"):
        F.dropout(random_tensor(3), "0.5")


def test_dropout2d_needs_a_4d_input():
    with pytest.raises(
        ValueError, match=r"dropout2d: expected a 4-D input \(N, C, H, W\), got shape \(2, 3\)"
    ):
        F.dropout2d(random_tensor(2, 3), 0.5)


@pytest.mark.parametrize("name", ["training", "inplace"])
def test_dropout_flags_must_be_bools(name):
    with pytest.raises(TypeError, match=f"dropout: {name} must be True or False, got 0.5"):
        F.dropout(random_tensor(3), 0.5, **{name: 0.5})


def test_dropout_needs_a_floating_point_tensor():
    with pytest.raises(TypeError, match="dropout: input must be a floating-point tensor"):
        F.dropout(Tensor(np.arange(4)), 0.5)
