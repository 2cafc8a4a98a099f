"""Initializers (tinyconv/init.py): Xavier/Glorot statistics, constants, seeding, and why zero init fails."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, init, nn, optim


def empty(*shape: int, dtype=np.float32) -> Tensor:
    """A tensor to fill (NaN, so a fill that misses an entry shows)."""
    return Tensor(np.full(shape, np.nan, dtype=dtype))


# ------------------------------------------------------------------------------ Xavier / Glorot


def test_xavier_uniform_stays_within_the_glorot_bound_and_reaches_it():
    tinyconv.manual_seed(0)
    weight = init.xavier_uniform_(empty(300, 200)).data
    bound = math.sqrt(6 / (200 + 300))
    assert float(np.abs(weight).max()) <= bound
    assert float(np.abs(weight).max()) > 0.99 * bound  # 60,000 uniform samples reach the edge


def test_xavier_uniform_has_the_glorot_standard_deviation():
    tinyconv.manual_seed(0)
    weight = init.xavier_uniform_(empty(400, 600)).data
    # 240,000 samples: the empirical std is within a fraction of a percent of sqrt(2 / (in + out))
    assert math.isclose(float(weight.std()), math.sqrt(2 / (600 + 400)), rel_tol=0.01)
    assert abs(float(weight.mean())) < 1e-3


def test_xavier_normal_has_the_glorot_standard_deviation_and_zero_mean():
    tinyconv.manual_seed(0)
    weight = init.xavier_normal_(empty(400, 600)).data
    assert math.isclose(float(weight.std()), math.sqrt(2 / (600 + 400)), rel_tol=0.01)
    assert abs(float(weight.mean())) < 1e-3


def test_xavier_normal_is_a_normal_not_a_uniform():
    # a normal's fourth moment is 3 std^4 (a uniform's is 1.8 std^4): the shape, not only the spread
    tinyconv.manual_seed(0)
    weight = init.xavier_normal_(empty(500, 500, dtype=np.float64)).data
    kurtosis = float((weight**4).mean() / weight.var() ** 2)
    assert kurtosis == pytest.approx(3.0, abs=0.05)


def test_xavier_gain_multiplies_the_standard_deviation():
    tinyconv.manual_seed(0)
    plain = init.xavier_normal_(empty(300, 300)).data
    tinyconv.manual_seed(0)
    tanh_gain = init.xavier_normal_(empty(300, 300), gain=init.calculate_gain("tanh")).data
    np.testing.assert_allclose(tanh_gain, plain * 5 / 3, rtol=1e-6)
    tinyconv.manual_seed(0)
    scaled_bound = init.xavier_uniform_(empty(300, 300), gain=2.0).data
    assert float(np.abs(scaled_bound).max()) <= 2.0 * math.sqrt(6 / 600)
    assert float(np.abs(scaled_bound).max()) > 0.99 * 2.0 * math.sqrt(6 / 600)


def test_xavier_fans_of_a_conv_weight_include_the_kernel_area():
    tinyconv.manual_seed(0)
    weight = init.xavier_normal_(empty(64, 16, 5, 5)).data  # fan_in = 16 * 25 = 400, fan_out = 64 * 25
    assert math.isclose(float(weight.std()), math.sqrt(2 / (400 + 1600)), rel_tol=0.02)


def test_xavier_refuses_a_tensor_with_fewer_than_two_dimensions():
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(empty(5))


def test_xavier_fills_in_place_returns_the_tensor_and_keeps_its_dtype():
    tensor = empty(4, 3)
    array = tensor.data
    assert init.xavier_uniform_(tensor) is tensor
    assert tensor.data is array and tensor.dtype == np.float32
    assert not np.any(np.isnan(tensor.data))


# ------------------------------------------------------------------------------ constants


def test_ones_fills_every_entry_with_one():
    tensor = empty(2, 3)
    assert init.ones_(tensor) is tensor
    np.testing.assert_array_equal(tensor.data, np.ones((2, 3), dtype=np.float32))


def test_constant_fills_every_entry_with_the_value_and_keeps_the_dtype():
    tensor = empty(3, 2, 2)
    assert init.constant_(tensor, -0.25) is tensor
    np.testing.assert_array_equal(tensor.data, np.full((3, 2, 2), -0.25, dtype=np.float32))
    assert tensor.dtype == np.float32


def test_initializers_are_reachable_as_nn_init():
    assert nn.init.xavier_uniform_ is init.xavier_uniform_
    assert nn.init.constant_ is init.constant_


# ------------------------------------------------------------------------------ seeding


@pytest.mark.parametrize("fill", [init.xavier_uniform_, init.xavier_normal_], ids=["uniform", "normal"])
def test_the_same_seed_gives_the_same_weights(fill):
    tinyconv.manual_seed(3)
    first = fill(empty(20, 10)).data.copy()
    tinyconv.manual_seed(3)
    second = fill(empty(20, 10)).data.copy()
    np.testing.assert_array_equal(first, second)
    tinyconv.manual_seed(4)
    assert not np.array_equal(fill(empty(20, 10)).data, first)


# ------------------------------------------------------------------------------ why not all zeros


def train_a_small_mlp(fill_weights) -> nn.Sequential:
    """A 2-8-1 tanh network whose weights `fill_weights` sets (biases 0), after 20 SGD steps of
    mean squared error on random data."""
    tinyconv.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    for layer in (model[0], model[2]):
        layer.weight.data = layer.weight.data.astype(np.float64)
        layer.bias.data = layer.bias.data.astype(np.float64)
        fill_weights(layer.weight)
    rng = np.random.default_rng(1)
    x, y = Tensor(rng.standard_normal((32, 2))), Tensor(rng.standard_normal((32, 1)))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(20):
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def assert_hidden_units_are_copies(model) -> None:
    """Unit j of the hidden layer is row j of the first weight and entry j of the second."""
    first, first_bias, second = model[0].weight.data, model[0].bias.data, model[2].weight.data
    np.testing.assert_allclose(first, np.broadcast_to(first[:1], first.shape), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(first_bias, first_bias[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(second, second[0, 0], rtol=1e-12, atol=1e-15)


def test_all_zero_weights_leave_every_hidden_unit_identical_and_unlearned():
    model = train_a_small_mlp(init.zeros_)
    assert_hidden_units_are_copies(model)
    # Worse: tanh(0) = 0 feeds zeros forward and the zero second layer sends zeros back, so the
    # gradient of every weight is exactly 0: only the output bias learns.
    assert not np.any(model[0].weight.data) and not np.any(model[2].weight.data)
    assert model[2].bias.data[0] != 0


def test_equal_weights_learn_but_every_hidden_unit_stays_a_copy_of_the_others():
    model = train_a_small_mlp(lambda weight: init.constant_(weight, 0.3))
    assert_hidden_units_are_copies(model)
    assert not np.allclose(model[0].weight.data, 0.3)  # the weights moved, all in the same way


def test_random_weights_break_the_symmetry():
    model = train_a_small_mlp(init.xavier_uniform_)
    rows = model[0].weight.data
    smallest_gap = min(np.abs(rows[i] - rows[j]).max() for i in range(8) for j in range(i + 1, 8))
    assert smallest_gap > 1e-3
    assert np.unique(model[2].weight.data).size == 8
