"""The VAE's pieces (tinyconv/functional/variational.py), in the order of the source: the reparameterized
sample, the KL to N(0, I) in closed form, the Gaussian and Bernoulli log-densities. Each by hand, then float64
gradient checks, then torch.distributions, then bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor

# ------------------------------------------------------------------------------ reparameterize


def test_reparameterize_is_mu_plus_sigma_times_the_given_noise():
    mu, logvar = leaf([[1.0, -2.0]]), leaf([[0.0, math.log(9.0)]])
    z = F.reparameterize(mu, logvar, eps=Tensor(np.array([[0.5, -1.0]])))
    np.testing.assert_allclose(z.data, [[1.5, -5.0]])  # sigma = 1 and 3


def test_reparameterize_sends_g_to_mu_and_g_sigma_eps_over_two_to_logvar():
    mu, logvar = leaf([[1.0, -2.0]]), leaf([[0.0, math.log(9.0)]])
    eps = Tensor(np.array([[0.5, -1.0]]))
    F.reparameterize(mu, logvar, eps=eps).backward(np.array([[2.0, 1.0]]))
    np.testing.assert_allclose(mu.grad, [[2.0, 1.0]])
    np.testing.assert_allclose(logvar.grad, [[2.0 * 1 * 0.5 / 2, 1.0 * 3 * -1.0 / 2]])


def test_reparameterize_draws_its_noise_from_the_seeded_generator():
    mu, logvar = leaf(np.zeros((2, 3))), leaf(np.zeros((2, 3)))
    tinyconv.manual_seed(5)
    first = F.reparameterize(mu, logvar).data
    tinyconv.manual_seed(5)
    np.testing.assert_array_equal(F.reparameterize(mu, logvar).data, first)
    assert first.dtype == np.float64 and first.shape == (2, 3)


def test_reparameterized_samples_have_mean_mu_and_variance_exp_logvar():
    tinyconv.manual_seed(0)
    mu = Tensor(np.full((200_000, 1), 3.0, dtype=np.float32))
    logvar = Tensor(np.full((200_000, 1), math.log(0.25), dtype=np.float32))
    z = F.reparameterize(mu, logvar).data
    assert z.mean() == pytest.approx(3.0, abs=0.005)  # standard error 0.5 / sqrt(200,000) = 0.0011
    assert z.var() == pytest.approx(0.25, rel=0.01)


def test_reparameterize_passes_the_float64_gradient_check():
    eps = Tensor(random_array(3, 4, seed=9))
    mu, logvar = random_tensor(3, 4, seed=1), random_tensor(3, 4, seed=2)
    assert_gradcheck(lambda mu, logvar: F.reparameterize(mu, logvar, eps=eps), mu, logvar)


def test_reparameterize_matches_torch(torch):
    mu, logvar, eps = random_array(4, 3, seed=1), random_array(4, 3, seed=2), random_array(4, 3, seed=3)
    ours_mu, ours_logvar = Tensor(mu, requires_grad=True), Tensor(logvar, requires_grad=True)
    theirs_mu, theirs_logvar = torch.tensor(mu, requires_grad=True), torch.tensor(logvar, requires_grad=True)
    ours = F.reparameterize(ours_mu, ours_logvar, eps=Tensor(eps))
    theirs = theirs_mu + torch.exp(0.5 * theirs_logvar) * torch.tensor(eps)
    upstream = random_array(4, 3, seed=4)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_logvar.grad, theirs_logvar.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_mu.grad, theirs_mu.grad.numpy(), rtol=1e-12)


def test_reparameterize_refuses_mu_and_logvar_of_different_shapes():
    with pytest.raises(
        ValueError, match=r"reparameterize: mu has shape \(2, 3\) but logvar has shape \(2, 4\)"
    ):
        F.reparameterize(random_tensor(2, 3), random_tensor(2, 4))


def test_reparameterize_refuses_noise_of_another_shape():
    with pytest.raises(ValueError, match=r"reparameterize: eps has shape \(3,\) but mu has shape \(2, 3\)"):
        F.reparameterize(random_tensor(2, 3), random_tensor(2, 3), eps=random_tensor(3))


# ------------------------------------------------------------------------------ kl_to_standard_normal


def test_the_kl_of_the_prior_to_itself_is_zero():
    assert F.kl_to_standard_normal(leaf(np.zeros((2, 5))), leaf(np.zeros((2, 5)))).item() == 0.0


def test_the_kl_by_hand():
    # 1/2 (sigma^2 + mu^2 - 1 - log sigma^2) per entry: mu = 1, sigma = 1 gives 1/2; mu = 0, sigma^2 = 4
    # gives (4 - 1 - log 4) / 2; a vector sums its entries.
    mu, logvar = leaf([[1.0, 0.0], [0.0, 0.0]]), leaf([[0.0, math.log(4.0)], [0.0, 0.0]])
    per_vector = F.kl_to_standard_normal(mu, logvar, reduction="none")
    np.testing.assert_allclose(per_vector.data, [0.5 + (3 - math.log(4.0)) / 2, 0.0])
    total = per_vector.data.sum()
    assert F.kl_to_standard_normal(mu, logvar).item() == pytest.approx(total)  # 'sum' by default
    assert F.kl_to_standard_normal(mu, logvar, reduction="mean").item() == pytest.approx(total / 2)


def test_the_kl_gradient_is_mu_and_half_of_exp_logvar_minus_one():
    mu, logvar = leaf([[1.5, -0.5]]), leaf([[math.log(3.0), 0.0]])
    F.kl_to_standard_normal(mu, logvar).backward()
    np.testing.assert_allclose(mu.grad, [[1.5, -0.5]])
    np.testing.assert_allclose(logvar.grad, [[(3.0 - 1) / 2, 0.0]])


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_the_kl_passes_the_float64_gradient_check(reduction):
    mu, logvar = random_tensor(2, 3, 4, seed=1), random_tensor(2, 3, 4, seed=2)
    assert_gradcheck(lambda mu, logvar: F.kl_to_standard_normal(mu, logvar, reduction=reduction), mu, logvar)


def test_the_kl_matches_torch_distributions(torch):
    mu, logvar = random_array(5, 3, seed=1), random_array(5, 3, seed=2)
    posterior = torch.distributions.Normal(torch.tensor(mu), torch.exp(0.5 * torch.tensor(logvar)))
    prior = torch.distributions.Normal(torch.zeros(5, 3, dtype=torch.float64), 1.0)
    expected = torch.distributions.kl_divergence(posterior, prior).sum(-1).numpy()
    ours = F.kl_to_standard_normal(Tensor(mu), Tensor(logvar), reduction="none")
    np.testing.assert_allclose(ours.data, expected, rtol=1e-12)


def test_the_kl_refuses_an_unknown_reduction():
    with pytest.raises(ValueError, match="kl_to_standard_normal: reduction must be one of"):
        F.kl_to_standard_normal(random_tensor(2, 3), random_tensor(2, 3), reduction="batchmean")


def test_the_kl_refuses_a_scalar():
    with pytest.raises(ValueError, match=r"kl_to_standard_normal: mu and logvar must hold vectors"):
        F.kl_to_standard_normal(leaf(1.0), leaf(0.0))


# ------------------------------------------------------------------------------ gaussian_log_prob


def test_the_standard_normal_log_density_at_zero_is_minus_half_log_two_pi_per_entry():
    z = leaf(np.zeros((2, 3)))
    np.testing.assert_allclose(F.gaussian_log_prob(z).data, [-1.5 * math.log(2 * math.pi)] * 2)


def test_the_gaussian_log_density_by_hand():
    # N(4; 1, 9): -1/2 (log 2 pi + log 9 + (4 - 1)^2 / 9)
    z, mu, logvar = leaf([[4.0]]), leaf([[1.0]]), leaf([[math.log(9.0)]])
    expected = -0.5 * (math.log(2 * math.pi) + math.log(9.0) + 1.0)
    assert F.gaussian_log_prob(z, mu, logvar).item() == pytest.approx(expected)


def test_the_gaussian_log_density_passes_the_float64_gradient_check():
    z, mu, logvar = random_tensor(3, 4, seed=1), random_tensor(3, 4, seed=2), random_tensor(3, 4, seed=3)
    assert_gradcheck(F.gaussian_log_prob, z, mu, logvar)


def test_the_gaussian_log_density_matches_torch_distributions(torch):
    z, mu, logvar = random_array(6, 2, seed=1), random_array(6, 2, seed=2), random_array(6, 2, seed=3)
    normal = torch.distributions.Normal(torch.tensor(mu), torch.exp(0.5 * torch.tensor(logvar)))
    expected = normal.log_prob(torch.tensor(z)).sum(-1).numpy()
    np.testing.assert_allclose(F.gaussian_log_prob(Tensor(z), Tensor(mu), Tensor(logvar)).data, expected)


def test_the_gaussian_log_density_wants_both_mu_and_logvar_or_neither():
    with pytest.raises(ValueError, match="gaussian_log_prob: give both mu and logvar, or neither"):
        F.gaussian_log_prob(random_tensor(2, 3), mu=random_tensor(2, 3))


# ------------------------------------------------------------------------------ bernoulli_log_prob


def test_the_bernoulli_log_density_by_hand():
    # logits 0: p = 1/2 for each of two pixels; logit log 3: p(1) = 3/4, so x = (1, 0) has 3/4 * 1/4.
    np.testing.assert_allclose(
        F.bernoulli_log_prob(leaf([[0.0, 0.0]]), Tensor(np.array([[1.0, 0.0]]))).data, [2 * math.log(0.5)]
    )
    logits = leaf([[math.log(3.0), math.log(3.0)]])
    value = F.bernoulli_log_prob(logits, Tensor(np.array([[1.0, 0.0]])))
    assert value.item() == pytest.approx(math.log(0.75 * 0.25))


def test_the_bernoulli_log_density_passes_the_float64_gradient_check():
    x = Tensor((random_array(3, 5, seed=2) > 0).astype(np.float64))
    assert_gradcheck(lambda logits: F.bernoulli_log_prob(logits, x), random_tensor(3, 5, seed=1))


def test_the_bernoulli_log_density_matches_torch_distributions(torch):
    logits, x = random_array(4, 6, seed=1), (random_array(4, 6, seed=2) > 0).astype(np.float64)
    expected = torch.distributions.Bernoulli(logits=torch.tensor(logits)).log_prob(torch.tensor(x)).sum(-1)
    np.testing.assert_allclose(F.bernoulli_log_prob(Tensor(logits), Tensor(x)).data, expected.numpy())


def test_the_bernoulli_log_density_refuses_normalized_images_before_any_work():
    normalized = (np.array([[0.0, 1.0]]) - 0.1307) / 0.3081
    message = (
        r"bernoulli_log_prob: a Bernoulli likelihood needs images with every pixel in \[0, 1\], got values "
    )
    with pytest.raises(
        ValueError, match=message + r"from -0\.4242 to 2\.821\. Normalized images .*BinarizedMNIST"
    ):
        F.bernoulli_log_prob(leaf([[0.0, 0.0]]), Tensor(normalized))


def test_the_bernoulli_log_density_refuses_nan_pixels():
    with pytest.raises(ValueError, match=r"every pixel in \[0, 1\], got NaN"):
        F.bernoulli_log_prob(leaf([[0.0, 0.0]]), Tensor(np.array([[np.nan, 1.0]])))
