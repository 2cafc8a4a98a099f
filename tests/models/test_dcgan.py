"""The DCGAN's two players (tinyconv/models/dcgan.py): shapes (7 -> 14 -> 28 by the transposed convolutions'
formula), parameter counts from the layer formulas, the paper's N(0, 0.02) initialization, a GAN step's
forward and backward against the same networks in torch.nn (float64, batch norm in training mode), bad sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array
from helpers.models import count, linear_params
from helpers.torch_checks import NETWORK_ATOL, NETWORK_RTOL, assert_same_parameter_gradients, torch_copy
from helpers.torch_dcgan import torch_dcgan

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.models import DCGANDiscriminator, DCGANGenerator


def test_the_generator_makes_28_by_28_images_in_minus_one_to_one():
    tinyconv.manual_seed(0)
    generator = DCGANGenerator(latent=16, width=8)
    images = generator(tinyconv.randn(5, 16))
    assert images.shape == (5, 1, 28, 28)
    assert float(images.data.min()) >= -1 and float(images.data.max()) <= 1


def test_the_discriminator_gives_one_logit_per_image():
    assert DCGANDiscriminator(width=8)(tinyconv.randn(3, 1, 28, 28)).shape == (3, 1)


def test_parameter_counts_follow_the_layer_formulas():
    w, latent = 32, 64
    # Linear without bias, two batch norms (2 per channel), two 4x4 transposed convolutions (weight
    # (C_in, C_out, 4, 4); a bias on the last only).
    generator = latent * 2 * w * 49 + 2 * 2 * w + 2 * w * w * 16 + 2 * w + w * 1 * 16 + 1
    discriminator = (1 * w * 16 + w) + (w * 2 * w * 16 + 2 * w) + linear_params(2 * w * 49, 1)
    assert count(DCGANGenerator(latent, w)) == generator == 234_177
    assert count(DCGANDiscriminator(w)) == discriminator


def test_weights_start_from_n_0_002_and_batch_norm_scales_near_one():
    tinyconv.manual_seed(0)
    generator = DCGANGenerator(latent=64, width=32)
    assert float(generator.project.weight.data.std()) == pytest.approx(0.02, rel=0.02)  # 200,704 draws
    assert float(generator.up1.weight.data.std()) == pytest.approx(0.02, rel=0.02)
    assert float(np.abs(generator.norm1.weight.data - 1).max()) < 0.1
    assert not generator.up2.bias.data.any()


def test_a_gan_step_matches_torch_in_float64(torch):
    tinyconv.manual_seed(0)
    generator, discriminator = DCGANGenerator(8, 4).double(), DCGANDiscriminator(4).double()
    torch_generator, torch_discriminator = (
        torch_copy(torch, model, reference)
        for model, reference in zip((generator, discriminator), torch_dcgan(torch, 8, 4))
    )
    z = random_array(6, 8, seed=1)
    fake, torch_fake = generator(Tensor(z)), torch_generator(torch.tensor(z))  # batch norm on this batch
    np.testing.assert_allclose(
        fake.numpy(), torch_fake.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL
    )
    # The counterfeiter's loss, backward through D into G.
    loss = F.binary_cross_entropy_with_logits(discriminator(fake), Tensor(np.ones((6, 1))))
    torch_loss = torch.nn.functional.binary_cross_entropy_with_logits(
        torch_discriminator(torch_fake), torch.ones(6, 1, dtype=torch.float64)
    )
    assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-12)
    loss.backward()
    torch_loss.backward()
    assert_same_parameter_gradients(generator, torch_generator)
    assert_same_parameter_gradients(discriminator, torch_discriminator)


def test_sizes_below_one_are_refused():
    with pytest.raises(
        ValueError, match=r"DCGANGenerator: latent \(the size of z\) must be a positive int, got 0"
    ):
        DCGANGenerator(latent=0)
    with pytest.raises(ValueError, match="DCGANDiscriminator: width must be a positive int, got 0"):
        DCGANDiscriminator(width=0)
