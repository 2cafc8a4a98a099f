"""FVSBN and MADE (tinyconv/models/autoregressive.py): the degree rule and the masks on a small example by
hand, the autoregressive property proved on the Jacobian of the logits (output i does not depend on inputs
>= i, and does depend on those before), exact log-likelihoods that sum to one over every binary vector,
pixel-by-pixel sampling that follows the model's conditionals, parameter counts, and bad arguments.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from helpers.models import count

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.models.autoregressive import FVSBN, MADE, made_degrees, made_masks, sample


def logits_jacobian(model, x: np.ndarray) -> np.ndarray:
    """d logit_i / d x_j for one input vector x (D,), row by row through backward: (D, D)."""
    rows = []
    for i in range(len(x)):
        inputs = Tensor(x[None].copy(), requires_grad=True)
        model(inputs)[0, i].backward()
        rows.append(inputs.grad[0])
    return np.array(rows)


def assert_autoregressive(model, num_inputs: int, seed: int = 0) -> None:
    """Output i depends on no input j >= i (its Jacobian row is exactly 0 there), and every output but
    the first depends on some earlier input."""
    x = np.random.default_rng(seed).random(num_inputs)
    jacobian = logits_jacobian(model, x)
    on_or_above_diagonal = np.triu(np.ones((num_inputs, num_inputs), dtype=bool))
    assert (jacobian[on_or_above_diagonal] == 0).all()
    assert (np.abs(jacobian[1:]).sum(axis=1) > 0).all()


def all_binary_vectors(num_inputs: int) -> np.ndarray:
    return np.array(list(itertools.product([0.0, 1.0], repeat=num_inputs)))


# ------------------------------------------------------------------------------ FVSBN


def test_fvsbn_is_one_masked_linear_with_a_strictly_lower_triangular_mask():
    model = FVSBN(4)
    np.testing.assert_array_equal(model.linear.mask.data, np.tril(np.ones((4, 4)), k=-1))


def used_parameters(model: FVSBN) -> int:
    """The weights the mask keeps, plus the biases: D(D - 1)/2 + D."""
    return int(model.linear.mask.data.sum()) + model.num_inputs


def test_fvsbn_uses_d_times_d_minus_1_over_2_weights_and_d_biases():
    assert used_parameters(FVSBN(4)) == 4 * 3 // 2 + 4
    assert used_parameters(FVSBN(784)) == 307_720  # the notes' count for MNIST
    assert count(FVSBN(4)) == 4 * 4 + 4  # the masked weights are stored too, as zeros


def test_fvsbn_logit_i_is_the_bias_plus_the_weighted_earlier_pixels():
    model = FVSBN(3)
    model.linear.weight.data[...] = np.tril([[9.0, 9.0, 9.0], [2.0, 9.0, 9.0], [3.0, -1.0, 9.0]], k=-1)
    model.linear.bias.data[...] = [0.5, 0.0, 1.0]
    logits = model(Tensor(np.array([[1.0, 1.0, 0.0]], dtype=np.float32)))
    np.testing.assert_allclose(logits.data, [[0.5, 2.0, 1.0 + 3.0 - 1.0]])


def test_fvsbn_is_autoregressive_by_its_jacobian():
    tinyconv.manual_seed(0)
    assert_autoregressive(FVSBN(6).double(), 6)


# ------------------------------------------------------------------------------ MADE: degrees and masks


def test_made_degrees_of_the_inputs_are_one_to_d_and_hidden_ones_lie_between_the_lowest_below_and_d_minus_1():
    degrees = made_degrees(5, [200, 100], np.random.default_rng(0))
    np.testing.assert_array_equal(degrees[0], [1, 2, 3, 4, 5])
    assert degrees[1].min() == 1 and degrees[1].max() == 4  # 200 draws reach both ends of 1..4
    assert degrees[2].min() >= degrees[1].min() and degrees[2].max() <= 4


def test_made_masks_follow_the_degree_rule_on_a_small_example_by_hand():
    # D = 3 inputs of degrees 1, 2, 3; two hidden units of degrees 1 and 2.
    hidden_mask, output_mask = made_masks([np.array([1, 2, 3]), np.array([1, 2])])
    # hidden unit k sees input d when m(k) >= d: degree 1 sees x1; degree 2 sees x1, x2.
    np.testing.assert_array_equal(hidden_mask, [[1, 0, 0], [1, 1, 0]])
    # output d sees hidden unit k when d > m(k): output 1 sees nothing, 2 sees degree 1, 3 sees both.
    np.testing.assert_array_equal(output_mask, [[0, 0], [1, 0], [1, 1]])


@pytest.mark.parametrize("hidden_sizes", [[16], [16, 12]])
@pytest.mark.parametrize("direct", [False, True])
def test_made_is_autoregressive_by_its_jacobian(hidden_sizes, direct):
    tinyconv.manual_seed(1)
    model = MADE(8, hidden_sizes, direct).double()
    for layer in model.layers:  # biases away from 0 so that ReLUs are active and paths carry gradient
        layer.bias.data[...] = 0.1
    assert_autoregressive(model, 8)


def test_made_keeps_its_masks_in_the_state_dict_so_a_loaded_model_is_the_same_network():
    tinyconv.manual_seed(0)
    model = MADE(6, [10])
    tinyconv.manual_seed(1)  # other degrees, other masks
    other = MADE(6, [10])
    assert not np.array_equal(model.layers[0].mask.data, other.layers[0].mask.data)
    other.load_state_dict(model.state_dict())
    x = Tensor(np.random.default_rng(0).random((3, 6)).astype(np.float32))
    np.testing.assert_array_equal(other(x).data, model(x).data)


def test_made_parameter_count_is_that_of_the_dense_mlp_plus_the_direct_connections():
    # The masks remove connections, not parameters: 784 * 500 + 500 + 500 * 784 + 784 = 785,284,
    # and the direct connections are a 784 x 784 matrix without bias.
    assert count(MADE(784, [500], direct=False)) == 785_284
    assert count(MADE(784, [500])) == 785_284 + 784 * 784


def test_made_adds_the_direct_connections_to_the_logits():
    tinyconv.manual_seed(0)
    model = MADE(5, [8])
    x = Tensor(np.random.default_rng(0).random((2, 5)).astype(np.float32))
    without = MADE(5, [8], direct=False)
    without.layers.load_state_dict(model.layers.state_dict())
    np.testing.assert_allclose(model(x).data, without(x).data + model.direct(x).data, rtol=1e-6)
    np.testing.assert_array_equal(model.direct.mask.data, np.tril(np.ones((5, 5)), k=-1))


# ------------------------------------------------------------------------------ likelihood and sampling


@pytest.mark.parametrize("build", [lambda: FVSBN(4), lambda: MADE(4, [8])])
def test_the_exact_likelihood_sums_to_one_over_all_binary_vectors(build):
    tinyconv.manual_seed(0)
    model = build().double()
    x = Tensor(all_binary_vectors(4))
    log_p = F.bernoulli_log_prob(model(x), x).data
    assert math.fsum(np.exp(log_p)) == pytest.approx(1.0, abs=1e-12)


def test_sampling_pixel_by_pixel_follows_the_model():
    # FVSBN on 3 pixels: the frequencies of the 8 vectors in 20,000 samples are their probabilities,
    # within 4 standard deviations.
    tinyconv.manual_seed(0)
    model = FVSBN(3)
    model.linear.weight.data[...] = np.tril([[0.0, 0, 0], [2.0, 0, 0], [-1.0, 3.0, 0]], k=-1)
    model.linear.bias.data[...] = [0.5, -1.0, 0.0]
    draws = sample(model, 20_000, 3)
    assert draws.dtype == np.float32 and set(np.unique(draws)) == {0.0, 1.0}
    vectors = all_binary_vectors(3)
    x = Tensor(vectors.astype(np.float32))
    p = np.exp(F.bernoulli_log_prob(model(x), x).data.astype(np.float64))
    frequencies = np.array([(draws == vector).all(axis=1).mean() for vector in vectors])
    assert (np.abs(frequencies - p) <= 4 * np.sqrt(p * (1 - p) / 20_000)).all()


def test_sampling_is_repeatable_under_a_seed():
    tinyconv.manual_seed(0)
    model = MADE(5, [8])
    tinyconv.manual_seed(3)
    first = sample(model, 4, 5)
    tinyconv.manual_seed(3)
    np.testing.assert_array_equal(sample(model, 4, 5), first)


# ------------------------------------------------------------------------------ bad arguments


def test_made_without_hidden_layers_is_refused():
    with pytest.raises(ValueError, match="MADE: give at least one hidden layer"):
        MADE(4, [])


def test_made_with_a_hidden_layer_of_no_units_is_refused():
    with pytest.raises(ValueError, match="MADE: hidden size must be a positive int, got 0"):
        MADE(4, [8, 0])
