"""Initializers (tinyconv/init.py): He/Kaiming and Xavier/Glorot statistics against their formulas, the
gains against torch.nn.init, constants, seeding, why zero init fails, and the deep tanh stacks that
init.py's docstring measures.

The statistical checks draw a large tensor from a fixed seed and compare its empirical standard
deviation with the formula. For N normal samples the empirical std has a relative standard error of
1 / sqrt(2N) (0.16% for N = 200,000; less for a uniform, whose tails are lighter), so a 1% tolerance
is more than five standard errors: a wrong fan or gain (a factor of 1.4 or more) cannot pass, and
rounding noise cannot fail.
"""

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


# ------------------------------------------------------------------------------ the module's names


def test_nn_init_is_this_module_under_every_spelling():
    import tinyconv.nn.init as imported
    from tinyconv.nn.init import kaiming_normal_

    assert nn.init is init and tinyconv.nn.init is tinyconv.init and imported is init
    assert kaiming_normal_ is init.kaiming_normal_


# ------------------------------------------------------------------------------ gains and fans


@pytest.mark.parametrize(
    "nonlinearity, param, expected",
    [
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),  # PyTorch's default slope, 0.01
        ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2**2))),
        ("leaky_relu", 0.0, math.sqrt(2)),  # slope 0 is ReLU
        ("tanh", None, 5 / 3),
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("sigmoid", None, 1.0),
    ],
)
def test_calculate_gain_follows_the_formula(nonlinearity, param, expected):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "nonlinearity, param",
    [("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("tanh", None), ("linear", None),
     ("conv2d", None), ("sigmoid", None)],
)  # fmt: skip
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_names_the_nonlinearities_it_knows():
    with pytest.raises(
        ValueError, match="unknown nonlinearity 'selu'; expected linear, conv2d, sigmoid, tanh"
    ):
        init.calculate_gain("selu")


def test_fans_of_a_conv_weight_count_the_kernel_area():
    # (C_out, C_in, kH, kW) = (8, 3, 5, 2): one output sums 3 * 5 * 2 inputs; one input feeds 8 * 5 * 2
    assert init.calculate_fan_in_and_fan_out(empty(8, 3, 5, 2)) == (30, 80)


# ------------------------------------------------------------------------------ He / Kaiming


def test_kaiming_normal_has_std_root_two_over_fan_in_by_default():
    tinyconv.manual_seed(0)
    weight = init.kaiming_normal_(empty(500, 400)).data  # fan_in = 400
    assert math.isclose(float(weight.std()), math.sqrt(2 / 400), rel_tol=0.01)
    assert abs(float(weight.mean())) < 1e-3


def test_kaiming_uniform_stays_within_root_six_over_fan_in_and_reaches_it():
    tinyconv.manual_seed(0)
    weight = init.kaiming_uniform_(empty(64, 32, 3, 3)).data  # fan_in = 32 * 3 * 3 = 288
    bound = math.sqrt(6 / 288)
    assert float(np.abs(weight).max()) <= bound
    assert float(np.abs(weight).max()) > 0.99 * bound  # 18,432 uniform samples reach the edge


def test_kaiming_uniform_has_the_he_standard_deviation():
    tinyconv.manual_seed(0)
    weight = init.kaiming_uniform_(empty(400, 500)).data
    # U(-b, b) has std b / sqrt(3) = sqrt(6 / fan_in) / sqrt(3) = sqrt(2 / fan_in)
    assert math.isclose(float(weight.std()), math.sqrt(2 / 500), rel_tol=0.01)


@pytest.mark.parametrize("fill", [init.kaiming_normal_, init.kaiming_uniform_], ids=["normal", "uniform"])
def test_kaiming_fan_out_mode_uses_the_number_of_outputs_times_the_kernel_area(fill):
    tinyconv.manual_seed(0)
    weight = fill(empty(256, 64, 3, 3), mode="fan_out").data  # fan_out = 256 * 9 = 2304
    # sqrt(2 / 2304) = 0.029; fan_in = 64 * 9 = 576 would give twice that
    assert math.isclose(float(weight.std()), math.sqrt(2 / 2304), rel_tol=0.01)


@pytest.mark.parametrize("fill", [init.kaiming_normal_, init.kaiming_uniform_], ids=["normal", "uniform"])
def test_kaiming_leaky_relu_slope_lowers_the_gain(fill):
    tinyconv.manual_seed(0)
    weight = fill(empty(400, 500), a=0.5).data
    # gain sqrt(2 / (1 + a^2)): a leaky ReLU with slope 0.5 zeroes less of its input's variance
    assert math.isclose(float(weight.std()), math.sqrt(2 / (1 + 0.5**2)) / math.sqrt(500), rel_tol=0.01)


@pytest.mark.parametrize("nonlinearity, gain", [("linear", 1.0), ("tanh", 5 / 3)])
def test_kaiming_normal_with_another_nonlinearity_takes_its_gain(nonlinearity, gain):
    tinyconv.manual_seed(0)
    weight = init.kaiming_normal_(empty(400, 500), nonlinearity=nonlinearity).data
    assert math.isclose(float(weight.std()), gain / math.sqrt(500), rel_tol=0.01)


@pytest.mark.parametrize(
    "fill, kwargs",
    [
        (init.kaiming_normal_, {}),
        (init.kaiming_normal_, {"mode": "fan_out"}),
        (init.kaiming_uniform_, {"a": 0.3}),
        (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}),
        (init.kaiming_normal_, {"nonlinearity": "tanh"}),
    ],
)
def test_kaiming_spread_matches_torch_for_the_same_settings(fill, kwargs):
    # torch samples with its own generator: only the standard deviations can agree (to 1%, see the top)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tinyconv.manual_seed(0)
    torch_fill = getattr(torch.nn.init, fill.__name__)
    theirs = torch_fill(torch.empty(128, 64, 5, 5, dtype=torch.float64), **kwargs).numpy()
    ours = fill(empty(128, 64, 5, 5, dtype=np.float64), **kwargs).data
    assert math.isclose(float(ours.std()), float(theirs.std()), rel_tol=0.01)


def test_kaiming_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(empty(3, 3), mode="fan_avg")


# ------------------------------------------------------------------------------ normal and uniform


def test_small_normal_has_std_0_01_and_mean_0():
    tinyconv.manual_seed(0)
    weight = init.normal_(empty(500, 400), std=0.01).data
    assert math.isclose(float(weight.std()), 0.01, rel_tol=0.01)
    assert abs(float(weight.mean())) < 1e-4  # the mean's standard error: 0.01 / sqrt(200,000) = 2e-5


def test_normal_is_centred_on_its_mean():
    tinyconv.manual_seed(0)
    weight = init.normal_(empty(500, 400), mean=3.0, std=0.5).data
    assert math.isclose(float(weight.mean()), 3.0, abs_tol=0.01)  # 9 standard errors of 0.0011
    assert math.isclose(float(weight.std()), 0.5, rel_tol=0.01)


def test_uniform_fills_the_interval_a_b():
    tinyconv.manual_seed(0)
    weight = init.uniform_(empty(500, 400), -1.0, 3.0).data
    assert float(weight.min()) >= -1.0 and float(weight.max()) <= 3.0
    assert float(weight.min()) < -0.99 and float(weight.max()) > 2.99
    assert math.isclose(float(weight.mean()), 1.0, abs_tol=0.01)  # (a + b) / 2


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


# ------------------------------------------------------------------------------ deep tanh stacks

# init.py's docstring: "a stack of ten 500-unit tanh layers fed N(0, 1) inputs (1000 samples)". The
# forward pass is written in NumPy here so that only the initializer comes from tinyconv.
TANH_LAYERS, TANH_WIDTH, TANH_SAMPLES = 10, 500, 1000


def tanh_stack_outputs(fill) -> list:
    """Each layer's output y = tanh(x W^T) (no bias) in the docstring's stack, W filled by `fill`."""
    tinyconv.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((TANH_SAMPLES, TANH_WIDTH)).astype(np.float32)
    outputs = []
    for _ in range(TANH_LAYERS):
        x = np.tanh(x @ fill(empty(TANH_WIDTH, TANH_WIDTH)).data.T)
        outputs.append(x)
    return outputs


# The standard deviations the docstring prints, by layer (1 = the first). They are rounded to two
# digits (up to 2.5% off) and vary by about 2% with the seed, so they are checked to 5%.
TANH_STDS = {
    "normal_(std=0.01)": (
        lambda w: init.normal_(w, std=0.01),
        {1: 0.22, 2: 0.048, 3: 0.011, 4: 0.0024, 5: 0.00054, 10: 3e-07},
    ),
    "normal_(std=1)": (lambda w: init.normal_(w, std=1.0), {layer: 0.98 for layer in range(1, 11)}),
    "xavier_normal_": (init.xavier_normal_, {1: 0.63, 2: 0.49, 3: 0.41, 4: 0.36, 5: 0.32, 10: 0.23}),
    "xavier_normal_(gain=tanh)": (
        lambda w: init.xavier_normal_(w, gain=init.calculate_gain("tanh")),
        {1: 0.76, 2: 0.69, 3: 0.67, 10: 0.65},
    ),
}


@pytest.mark.parametrize("name", list(TANH_STDS))
def test_deep_tanh_stack_activations_have_the_spread_the_init_docstring_measures(name):
    fill, expected = TANH_STDS[name]
    stds = [float(y.std()) for y in tanh_stack_outputs(fill)]
    for layer, std in expected.items():
        assert stds[layer - 1] == pytest.approx(std, rel=0.05), f"layer {layer}"


def test_small_normal_init_shrinks_tanh_activations_by_root_fan_in_times_std_per_layer():
    # Var(x W^T) = fan_in * 0.01^2 * Var(x), and tanh is the identity near 0: each layer multiplies the
    # spread by sqrt(500) * 0.01 = 0.224, so after ten layers it is 0.224^10 = 3e-7 of the input's.
    stds = [float(y.std()) for y in tanh_stack_outputs(lambda w: init.normal_(w, std=0.01))]
    factor = math.sqrt(TANH_WIDTH) * 0.01
    for layer in range(1, TANH_LAYERS):
        assert stds[layer] / stds[layer - 1] == pytest.approx(factor, rel=0.02), f"layer {layer + 1}"
    assert stds[-1] == pytest.approx(factor**TANH_LAYERS, rel=0.1)


def test_unit_normal_init_saturates_nine_tenths_of_the_tanh_units():
    # pre-activations of std sqrt(500) = 22: tanh sits at +-1, where its derivative is about 0
    for layer, y in enumerate(tanh_stack_outputs(lambda w: init.normal_(w, std=1.0)), start=1):
        assert float((np.abs(y) > 0.99).mean()) == pytest.approx(0.90, abs=0.01), f"layer {layer}"


# ------------------------------------------------------------------------------ PyTorch's defaults, ViT, FCN


def test_linear_default_draws_from_plus_minus_one_over_the_square_root_of_fan_in():
    tinyconv.manual_seed(0)
    weight, bias = tinyconv.zeros(50, 200), tinyconv.zeros(50)
    init.linear_default_(weight, bias)
    bound = 1 / math.sqrt(200)
    assert np.abs(weight.data).max() <= bound and np.abs(weight.data).max() > 0.95 * bound
    assert np.abs(bias.data).max() <= bound and bias.data.std() > 0.4 * bound


def test_trunc_normal_stays_inside_its_bounds_with_the_right_spread():
    tinyconv.manual_seed(0)
    tensor = init.trunc_normal_(tinyconv.zeros(20_000), mean=1.0, std=0.5, a=0.0, b=2.0)
    assert tensor.data.min() >= 0.0 and tensor.data.max() <= 2.0
    # a normal cut at two standard deviations has a standard deviation of 0.88 of the uncut one
    assert abs(tensor.data.std() - 0.88 * 0.5) < 0.01 and abs(tensor.data.mean() - 1.0) < 0.01


def test_trunc_normal_refuses_an_empty_interval():
    with pytest.raises(ValueError, match=r"the interval \[a, b\] must not be empty"):
        init.trunc_normal_(tinyconv.zeros(3), a=1.0, b=1.0)


def test_bilinear_makes_a_transposed_convolution_interpolate_in_the_interior():
    layer = tinyconv.nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1, bias=False)
    init.bilinear_(layer.weight)
    assert not layer.weight.data[0, 1].any() and not layer.weight.data[1, 0].any()  # channel c to channel c
    x = tinyconv.tensor(np.random.default_rng(0).random((1, 2, 5, 5)).astype(np.float32))
    upsampled = layer(x).data
    expected = tinyconv.functional.interpolate(x, scale_factor=2, mode="bilinear").data
    np.testing.assert_allclose(upsampled[:, :, 1:-1, 1:-1], expected[:, :, 1:-1, 1:-1], rtol=1e-5)


def test_bilinear_kernel_of_size_3_is_the_tent_1_2_1():
    weight = tinyconv.zeros(1, 1, 3, 3)
    init.bilinear_(weight)
    np.testing.assert_allclose(weight.data[0, 0], np.outer([0.5, 1.0, 0.5], [0.5, 1.0, 0.5]))
