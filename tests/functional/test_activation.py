"""The activations (tinyconv/functional/activation.py), in the module's order: ReLU and leaky ReLU,
sigmoid and tanh, softmax and log-softmax, ELU, GELU (and the erf behind it), Softplus.

Hand-computed values and derivatives (at the kinks too), finite and silent results for huge inputs, dtypes
kept and the upstream gradient left alone, float64 gradient checks, and PyTorch's functions.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import away_from_zero_tensor, leaf, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.torch_checks import ATOL, RTOL, compare_with_torch

import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.functional.activation import erf, erfc, pick

LN2 = math.log(2.0)


# ------------------------------------------------------------------------------ ReLU family


def test_relu_zeroes_negative_inputs():
    np.testing.assert_array_equal(F.relu(leaf([-2.0, 0.0, 3.0])).data, [0.0, 0.0, 3.0])


def test_relu_derivative_at_zero_is_zero():
    x = leaf([-2.0, 0.0, 3.0])
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_relu_of_negative_infinity_is_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" warning either
        y = F.relu(leaf([-np.inf, np.inf]))
    np.testing.assert_array_equal(y.data, [0.0, np.inf])


def test_leaky_relu_scales_negative_inputs_by_the_slope():
    np.testing.assert_allclose(F.leaky_relu(leaf([-2.0, 3.0])).data, [-0.02, 3.0])  # default slope 0.01
    np.testing.assert_allclose(F.leaky_relu(leaf([-2.0, 3.0]), 0.5).data, [-1.0, 3.0])


def test_leaky_relu_slope_must_be_a_number():
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a real number, got 'a'"):
        F.leaky_relu(leaf([-2.0, 3.0]), negative_slope="a")


def test_leaky_relu_derivative_is_the_slope_for_negative_inputs_and_at_zero():
    x = leaf([-2.0, 0.0, 3.0])
    F.leaky_relu(x, 0.2).sum().backward()
    np.testing.assert_allclose(x.grad, [0.2, 0.2, 1.0])


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.5, -0.3])
def test_leaky_relu_at_infinities_nan_and_signed_zeros_is_x_or_slope_times_x(slope):
    # The definition element by element, written as a loop: x if x > 0 else slope * x, in float32 like
    # the input. The op builds its factor by arithmetic, so the infinities, NaN and -0 must come out
    # exactly as the definition gives them (-inf * 0 is NaN, as in PyTorch), in value and in sign.
    values = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 2.5, -2.5, 1e-45, -1e-45], dtype=np.float32)
    slope32 = np.float32(slope)
    with np.errstate(invalid="ignore"):
        expected = np.array([v if v > 0 else slope32 * v for v in values], dtype=np.float32)
        x = leaf(values, dtype=np.float32)
        y = F.leaky_relu(x, slope)
        y.backward(Tensor(np.full(values.shape, 3.0, dtype=np.float32)))
    np.testing.assert_array_equal(y.data, expected)
    np.testing.assert_array_equal(np.signbit(y.data), np.signbit(expected))
    assert y.data.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.where(values > 0, 3.0, 3.0 * slope32).astype(np.float32))


# ------------------------------------------------------------------------------ sigmoid and tanh


def test_sigmoid_values():
    y = F.sigmoid(leaf([0.0, math.log(3.0), -math.log(3.0)]))
    np.testing.assert_allclose(y.data, [0.5, 0.75, 0.25])


def test_sigmoid_derivative_is_y_times_one_minus_y():
    x = leaf([0.0, math.log(3.0)])
    F.sigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad, [0.25, 0.75 * 0.25])


def test_sigmoid_is_finite_and_silent_for_huge_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        y = F.sigmoid(leaf([-1000.0, 1000.0], dtype=np.float32))
    np.testing.assert_array_equal(y.data, [0.0, 1.0])


def test_tanh_values():
    y = F.tanh(leaf([0.0, math.log(2.0)]))
    np.testing.assert_allclose(y.data, [0.0, 0.6])  # tanh(ln 2) = (2 - 1/2) / (2 + 1/2)


def test_tanh_derivative_is_one_minus_y_squared():
    x = leaf([0.0, math.log(2.0)])
    F.tanh(x).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.64])


# ------------------------------------------------------------------------------ softmax and log_softmax


def test_softmax_values_along_the_last_axis():
    y = F.softmax(leaf([[0.0, math.log(3.0)], [5.0, 5.0]]))
    np.testing.assert_allclose(y.data, [[0.25, 0.75], [0.5, 0.5]])


def test_softmax_along_axis_0():
    y = F.softmax(leaf([[0.0, 1.0], [math.log(3.0), 1.0]]), axis=0)
    np.testing.assert_allclose(y.data, [[0.25, 0.5], [0.75, 0.5]])


def test_softmax_gradient_is_y_times_g_minus_the_weighted_mean_of_g():
    x = leaf([[0.0, math.log(3.0)]])
    F.softmax(x).backward(np.array([[1.0, 0.0]]))
    # y = (1/4, 3/4), g = (1, 0): y * (g - y.g) = (1/4 * 3/4, 3/4 * -1/4)
    np.testing.assert_allclose(x.grad, [[3 / 16, -3 / 16]])


def test_softmax_is_finite_for_logits_of_plus_minus_1000():
    y = F.softmax(leaf([[1000.0, -1000.0, 1000.0]], dtype=np.float32))
    np.testing.assert_allclose(y.data, [[0.5, 0.0, 0.5]])


def test_log_softmax_values():
    y = F.log_softmax(leaf([[0.0, math.log(3.0)]]))
    np.testing.assert_allclose(y.data, [[math.log(0.25), math.log(0.75)]])


def test_log_softmax_is_finite_and_correct_for_logits_of_plus_minus_1000():
    y = F.log_softmax(leaf([[1000.0, -1000.0], [-1000.0, -1000.0]], dtype=np.float32))
    assert np.isfinite(y.data).all()
    np.testing.assert_allclose(y.data, [[0.0, -2000.0], [-LN2, -LN2]], rtol=1e-6)


def test_log_softmax_gradient_is_g_minus_softmax_times_the_sum_of_g():
    x = leaf([[0.0, math.log(3.0)]])
    F.log_softmax(x).backward(np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(x.grad, [[1 - 2 * 0.25, 1 - 2 * 0.75]])


def test_log_softmax_along_axis_0_equals_the_log_of_softmax():
    x = random_tensor(3, 4, seed=1)
    expected = np.exp(x.data) / np.exp(x.data).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(F.log_softmax(x, axis=0).data, np.log(expected), rtol=1e-12)


# ------------------------------------------------------------------------------ ELU


def test_elu_values():
    # alpha (e^-ln2 - 1) = -alpha / 2
    y = F.elu(leaf([-math.log(2.0), 0.0, 3.0]), alpha=0.6)
    np.testing.assert_allclose(y.data, [-0.3, 0.0, 3.0])


def test_elu_saturates_at_minus_alpha_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e^1000 on the unused side would overflow
        y = F.elu(leaf([-1000.0, 1000.0], dtype=np.float32), alpha=2.0)
    np.testing.assert_array_equal(y.data, [-2.0, 1000.0])


def test_elu_derivative_is_alpha_e_to_the_x_below_zero_and_alpha_at_zero():
    x = leaf([-math.log(2.0), 0.0, 3.0])
    F.elu(x, alpha=0.6).sum().backward()
    np.testing.assert_allclose(x.grad, [0.3, 0.6, 1.0])  # at 0 the negative side's slope, as PyTorch


def test_elu_alpha_must_be_a_number():
    with pytest.raises(TypeError, match="elu: alpha must be a real number, got '1'"):
        F.elu(leaf([1.0]), alpha="1")


# ------------------------------------------------------------------------------ GELU


def reference_gelu(x: float) -> float:
    """x Phi(x) from Python's own erfc (the C library's): Phi(x) = erfc(-x / sqrt 2) / 2."""
    return x * 0.5 * math.erfc(-x / math.sqrt(2.0))


def test_gelu_values_match_x_times_the_normal_cdf():
    x = np.linspace(-6.0, 6.0, 49)
    expected = [reference_gelu(v) for v in x]
    np.testing.assert_allclose(F.gelu(leaf(x)).data, expected, rtol=1e-14, atol=1e-300)


def test_gelu_keeps_relative_accuracy_for_very_negative_inputs():
    # Phi(-30) ~ 5e-198: 1 + erf(-30 / sqrt 2) would round to 0. The tolerance is not 1e-15 because
    # erfc(u) changes by a factor 1 + 2 u^2 d for a relative change d of u, so the rounding of
    # -x / sqrt 2 (in both computations) is amplified 2 u^2 = 900 times.
    y = F.gelu(leaf([-30.0]))
    assert math.isclose(y.item(), reference_gelu(-30.0), rel_tol=1e-12)


def test_gelu_derivative_is_cdf_plus_x_times_density():
    x = leaf([-1.0, 0.0, 2.0])
    F.gelu(x).sum().backward()
    expected = [
        0.5 * math.erfc(-v / math.sqrt(2)) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)
        for v in (-1, 0, 2)
    ]
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)


def test_gelu_tanh_values():
    x = np.linspace(-5.0, 5.0, 21)
    expected = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(F.gelu(leaf(x), approximate="tanh").data, expected, rtol=1e-14)


def test_gelu_tanh_is_close_to_exact_gelu():
    x = leaf(np.linspace(-6.0, 6.0, 241))
    assert np.abs(F.gelu(x, approximate="tanh").data - F.gelu(x).data).max() < 5e-4


def test_gelu_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be one of \\('none', 'tanh'\\), got 'erf'"):
        F.gelu(leaf([1.0]), approximate="erf")


# ------------------------------------------------------------------------------ Softplus


def test_softplus_values():
    y = F.softplus(leaf([0.0, math.log(3.0)]))
    np.testing.assert_allclose(y.data, [math.log(2.0), math.log(4.0)], rtol=1e-15)


def test_softplus_with_beta():
    # (1/2) log(1 + e^(2 * ln 3 / 2)) = log(4) / 2
    np.testing.assert_allclose(F.softplus(leaf([math.log(3.0) / 2]), beta=2.0).data, [math.log(4.0) / 2])


def test_softplus_is_the_identity_above_the_threshold():
    y = F.softplus(leaf([21.0, 19.0]))
    assert y.data[0] == 21.0  # log(1 + e^21) = 21 + 7.6e-10 would not be
    assert math.isclose(y.data[1], math.log1p(math.exp(19.0)), rel_tol=1e-15)


def test_softplus_threshold_applies_to_beta_times_x():
    y = F.softplus(leaf([3.0, 2.0]), beta=2.0, threshold=5.0)
    assert y.data[0] == 3.0  # beta x = 6 > 5
    assert math.isclose(y.data[1], math.log1p(math.exp(4.0)) / 2, rel_tol=1e-15)


def test_softplus_of_very_negative_inputs_is_tiny_exact_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.softplus(leaf([-30.0, -1000.0, 1000.0], dtype=np.float32), threshold=2000.0)
    assert math.isclose(y.data[0], math.exp(-30.0), rel_tol=1e-6)
    assert y.data[1] == 0.0 and y.data[2] == 1000.0


def test_softplus_derivative_is_the_sigmoid_and_one_above_the_threshold():
    x = leaf([0.0, math.log(3.0), 25.0])
    F.softplus(x).sum().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.75, 1.0])


def test_softplus_beta_zero_is_refused():
    with pytest.raises(ValueError, match="softplus: beta must be non-zero"):
        F.softplus(leaf([1.0]), beta=0)


# ------------------------------------------------------------------------------ erf and erfc


# Dense over the middle, the interval edges (0.46875 and 4) and their neighbours, tiny and huge
# magnitudes on both sides.
ERF_POINTS = np.concatenate(
    [
        np.linspace(-7.0, 7.0, 4001),
        np.geomspace(1e-300, 30.0, 1500),
        -np.geomspace(1e-300, 30.0, 1500),
        np.nextafter(0.46875, [0.0, 1.0]),
        np.nextafter(4.0, [0.0, 10.0]),
        [0.46875, -0.46875, 4.0, -4.0, 26.5, 26.6],
    ]
)


def test_erf_matches_math_erf_to_float64_rounding():
    expected = np.array([math.erf(v) for v in ERF_POINTS])
    relative = np.abs(erf(ERF_POINTS) - expected) / np.maximum(np.abs(expected), 1e-300)
    assert relative.max() <= 1e-15, f"worst at x = {ERF_POINTS[relative.argmax()]}: {relative.max():.3g}"


def test_erfc_matches_math_erfc_to_float64_rounding_in_the_tails():
    expected = np.array([math.erfc(v) for v in ERF_POINTS])
    normal = expected > 1e-300  # Cody's erfc is 0 where the true value is subnormal
    relative = np.abs(erfc(ERF_POINTS) - expected)[normal] / expected[normal]
    assert relative.max() <= 1e-15, (
        f"worst at x = {ERF_POINTS[normal][relative.argmax()]}: {relative.max():.3g}"
    )


def test_erfc_keeps_relative_accuracy_where_one_minus_erf_cancels():
    assert math.isclose(erfc(np.array(10.0)), 2.088487583762545e-45, rel_tol=1e-14)
    assert 1.0 - erf(np.array(10.0)) == 0.0  # what erfc avoids


def test_erf_is_odd_exactly():
    x = np.linspace(0.0, 6.0, 601)
    np.testing.assert_array_equal(erf(-x), -erf(x))


def test_erf_and_erfc_of_infinities_and_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning either
        np.testing.assert_array_equal(erf(np.array([np.inf, -np.inf, 0.0])), [1.0, -1.0, 0.0])
        np.testing.assert_array_equal(erfc(np.array([np.inf, -np.inf, 1e300, -1e300])), [0.0, 2.0, 0.0, 2.0])
        assert np.isnan(erf(np.array([np.nan]))).all()
        assert np.isnan(erfc(np.array([np.nan]))).all()


def test_pick_chooses_exactly_as_where_does_between_finite_values():
    rng = np.random.default_rng(0)
    chosen, other = rng.standard_normal((2, 1000)) * 10.0 ** rng.integers(-30, 30, (2, 1000))
    condition = rng.random(1000) < 0.5  # a new choice at random for every element, as the sign of x
    np.testing.assert_array_equal(pick(condition, chosen, other), np.where(condition, chosen, other))
    assert pick(condition, chosen.astype(np.float32), other.astype(np.float32)).dtype == np.float32
    assert np.isnan(pick(np.array([True]), np.array([np.nan]), np.array([np.nan]))).all()


def test_erf_keeps_float32():
    x = np.linspace(-5, 5, 101, dtype=np.float32)
    assert erf(x).dtype == np.float32
    assert erfc(x).dtype == np.float32
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    np.testing.assert_allclose(erf(x), expected, atol=2e-7)


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "relu": (F.relu, (2, 3)),
    "leaky_relu": (F.leaky_relu, (2, 3)),
    "sigmoid": (F.sigmoid, (2, 3)),
    "tanh": (F.tanh, (2, 3)),
    "softmax": (F.softmax, (2, 3)),
    "log_softmax": (F.log_softmax, (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


ACTIVATION_CASES = {
    "relu": (F.relu, lambda: away_from_zero_tensor(3, 4)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda: away_from_zero_tensor(3, 4)),
    "sigmoid": (F.sigmoid, lambda: Tensor(3.0 * random_array(3, 4), requires_grad=True)),
    "tanh": (F.tanh, lambda: random_tensor(3, 4)),
    "softmax, last axis": (F.softmax, lambda: random_tensor(3, 4)),
    "softmax, axis 0": (lambda x: F.softmax(x, axis=0), lambda: random_tensor(3, 4)),
    "softmax, middle axis of 3-D": (lambda x: F.softmax(x, axis=1), lambda: random_tensor(2, 3, 4)),
    "log_softmax, last axis": (F.log_softmax, lambda: random_tensor(3, 4)),
    "log_softmax, axis 0": (lambda x: F.log_softmax(x, axis=0), lambda: random_tensor(3, 4)),
}


@pytest.mark.parametrize("name", list(ACTIVATION_CASES))
def test_activation_gradient(name):
    fn, make_input = ACTIVATION_CASES[name]
    assert_gradcheck(fn, make_input())


def softplus_near_threshold() -> Tensor:
    """beta x from 19.5 to 20.5 (beta 1) in steps of 0.1, none within a nudge of the threshold 20."""
    return Tensor(np.linspace(19.55, 20.45, 10).reshape(2, 5), requires_grad=True)


GRADIENT_CASES = {
    "elu, batch 1": (F.elu, lambda: away_from_zero_tensor(1, 7)),
    "elu, alpha 0.3, 3-D": (lambda x: F.elu(x, alpha=0.3), lambda: away_from_zero_tensor(2, 3, 4)),
    "gelu": (F.gelu, lambda: Tensor(3.0 * random_array(3, 5), requires_grad=True)),
    "gelu, 4-D": (F.gelu, lambda: random_tensor(2, 2, 3, 3)),
    "gelu, tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda: Tensor(3.0 * random_array(3, 5), requires_grad=True),
    ),
    "gelu, tanh, 4-D": (lambda x: F.gelu(x, approximate="tanh"), lambda: random_tensor(2, 2, 3, 3)),
    "softplus": (F.softplus, lambda: Tensor(4.0 * random_array(3, 5), requires_grad=True)),
    "softplus, around the threshold": (F.softplus, softplus_near_threshold),
    "softplus, beta 2 threshold 3": (
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda: Tensor(np.linspace(-2.05, 2.95, 12).reshape(3, 4), requires_grad=True),
    ),
    "softplus, negative beta": (lambda x: F.softplus(x, beta=-1.5), lambda: random_tensor(2, 3, 2)),
}


@pytest.mark.parametrize("name", list(GRADIENT_CASES))
def test_elu_gelu_and_softplus_gradient(name):
    fn, make_input = GRADIENT_CASES[name]
    assert_gradcheck(fn, make_input())


# ------------------------------------------------------------------------------ against PyTorch


# tinyconv's function and torch's, the latter a function of the torch module (it is optional)
TORCH_ACTIVATIONS = {
    "relu": (F.relu, lambda torch: torch.nn.functional.relu),
    "sigmoid": (F.sigmoid, lambda torch: torch.sigmoid),
    "tanh": (F.tanh, lambda torch: torch.tanh),
    "leaky_relu, default slope": (F.leaky_relu, lambda torch: torch.nn.functional.leaky_relu),
    "leaky_relu, slope 0.2": (
        lambda x: F.leaky_relu(x, 0.2),
        lambda torch: lambda x: torch.nn.functional.leaky_relu(x, 0.2),
    ),
}


@pytest.mark.parametrize("name", list(TORCH_ACTIVATIONS))
def test_activation_matches_torch(torch, name):
    tiny_fn, torch_fn = TORCH_ACTIVATIONS[name]
    x = 4.0 * random_array(3, 7, seed=6)
    x[0, :3] = [0.0, 30.0, -30.0]  # the kink and saturated values
    compare_with_torch(torch, tiny_fn, torch_fn(torch), [x])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_matches_torch(torch, axis):
    compare_with_torch(
        torch,
        lambda x: F.softmax(x, axis=axis),
        lambda x: torch.nn.functional.softmax(x, dim=axis),
        [random_array(3, 4, 5, seed=7)],
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_matches_torch(torch, axis):
    compare_with_torch(
        torch,
        lambda x: F.log_softmax(x, axis=axis),
        lambda x: torch.nn.functional.log_softmax(x, dim=axis),
        [random_array(3, 4, 5, seed=7)],
    )


def test_log_softmax_of_huge_logits_matches_torch(torch):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 500.0]])
    compare_with_torch(torch, F.log_softmax, lambda t: torch.nn.functional.log_softmax(t, dim=-1), [x])


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        ("elu", lambda x: F.elu(x), lambda t, x: t.nn.functional.elu(x)),
        ("elu, alpha 0.7", lambda x: F.elu(x, 0.7), lambda t, x: t.nn.functional.elu(x, 0.7)),
        ("gelu", lambda x: F.gelu(x), lambda t, x: t.nn.functional.gelu(x)),
        ("gelu tanh", lambda x: F.gelu(x, "tanh"), lambda t, x: t.nn.functional.gelu(x, approximate="tanh")),
        ("softplus", lambda x: F.softplus(x), lambda t, x: t.nn.functional.softplus(x)),
        (
            "softplus, beta 2 threshold 4",
            lambda x: F.softplus(x, 2.0, 4.0),
            lambda t, x: t.nn.functional.softplus(x, beta=2.0, threshold=4.0),
        ),
        ("Softmax layer, dim 1", lambda x: nn.Softmax(1)(x), lambda t, x: t.nn.Softmax(dim=1)(x)),
    ],
)
def test_matches_torch(torch, name, ours, theirs):
    data = (4.0 * random_array(3, 4, 5, seed=1)).astype(np.float32)
    upstream = random_array(3, 4, 5, seed=2, dtype=np.float32)
    x = Tensor(data.copy(), requires_grad=True)
    reference = torch.tensor(data, requires_grad=True)
    y, expected = ours(x), theirs(torch, reference)
    y.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="output")
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg="gradient")
