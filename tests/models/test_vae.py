"""The variational autoencoder (tinyconv/models/vae.py): the parameter count of 784-400-20 from the layer
formulas, the shapes of the encoder's two heads and the decoder, forward as decode(reparameterize(encode)),
gradients that reach the encoder through the sample, and a latent size below 1 refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.models import count, linear_params

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.models import VAE


def test_the_784_400_20_vae_has_652824_parameters():
    expected = (
        linear_params(784, 400)
        + 2 * linear_params(400, 20)
        + linear_params(20, 400)
        + linear_params(400, 784)
    )
    assert count(VAE()) == expected == 652_824


def test_encode_gives_mu_and_logvar_and_decode_gives_one_logit_per_pixel():
    model = VAE(num_pixels=12, hidden=8, latent=3)
    mu, logvar = model.encode(tinyconv.rand(5, 12))
    assert mu.shape == logvar.shape == (5, 3)
    assert model.decode(mu).shape == (5, 12)


def test_forward_decodes_a_reparameterized_sample_of_the_code():
    tinyconv.manual_seed(0)
    model = VAE(num_pixels=12, hidden=8, latent=3)
    x = Tensor(np.random.default_rng(0).random((4, 12)).astype(np.float32))
    tinyconv.manual_seed(7)
    logits, mu, logvar = model(x)
    tinyconv.manual_seed(7)  # the same eps
    expected = model.decode(F.reparameterize(*model.encode(x)))
    np.testing.assert_array_equal(logits.data, expected.data)
    np.testing.assert_array_equal(mu.data, model.encode(x)[0].data)
    np.testing.assert_array_equal(logvar.data, model.encode(x)[1].data)


def test_the_negative_elbo_sends_gradients_to_the_encoder_through_the_sample():
    tinyconv.manual_seed(0)
    model = VAE(num_pixels=12, hidden=8, latent=3)
    x = Tensor((np.random.default_rng(0).random((4, 12)) > 0.5).astype(np.float32))
    logits, mu, logvar = model(x)
    reconstruction = F.bernoulli_log_prob(logits, x).mean()
    (F.kl_to_standard_normal(mu, logvar, reduction="mean") - reconstruction).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and np.abs(parameter.grad).sum() > 0, name


def test_a_latent_size_below_one_is_refused():
    with pytest.raises(ValueError, match=r"VAE: latent \(the size of z\) must be a positive int, got 0"):
        VAE(latent=0)
