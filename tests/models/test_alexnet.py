"""AlexNet (tinyconv/models/alexnet.py): the paper's 60,965,224 parameters, its two GPU towers, LRN and
overlapping pooling, the small 32x32 variant, and that variant against the same network written with
torch.nn from the paper (float64: the same logits, input gradient and parameter gradients).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.models import (
    LRN_PIXEL,
    conv_params,
    count,
    linear_params,
    lrn_by_the_formula,
    without_random_weights,
    zeros,
)
from helpers.torch_checks import assert_same_forward_and_backward, torch_copy, with_random_biases

import tinyconv
from tinyconv import Tensor, nn
from tinyconv.models import AlexNet


@pytest.fixture(scope="module")
def alexnet():
    return without_random_weights(AlexNet)


def test_alexnet_has_the_papers_60965224_parameters(alexnet):
    expected = (
        conv_params(3, 96, 11)
        + conv_params(96, 256, 5, groups=2)
        + conv_params(256, 384, 3)
        + conv_params(384, 384, 3, groups=2)
        + conv_params(384, 256, 3, groups=2)
        + linear_params(256 * 6 * 6, 4096)
        + linear_params(4096, 4096)
        + linear_params(4096, 1000)
    )
    assert count(alexnet) == expected == 60_965_224


def test_alexnet_conv2_conv4_conv5_are_two_gpu_towers(alexnet):
    convs = [layer for layer in alexnet.features if isinstance(layer, nn.Conv2d)]
    assert [conv.groups for conv in convs] == [1, 2, 1, 2, 2]
    assert convs[1].weight.shape == (256, 48, 5, 5)


def test_alexnet_maps_one_227_image_to_1000_logits(alexnet):
    alexnet.eval()
    assert alexnet(zeros(1, 3, 227, 227)).shape == (1, 1000)


def test_alexnet_has_lrn_and_overlapping_pooling_after_conv1_and_conv2(alexnet):
    kinds = [type(layer).__name__ for layer in alexnet.features]
    assert kinds[:8] == ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d"] * 2
    pools = [layer for layer in alexnet.features if isinstance(layer, nn.MaxPool2d)]
    assert all((pool.kernel_size, pool.stride) == (3, 2) for pool in pools)


def test_alexnet_lrn_is_the_papers_with_k_2_n_5_alpha_1e_4_beta_0_75(alexnet):
    small = AlexNet(num_classes=10, small=True)
    norms = [m for model in (alexnet, small) for m in model.features if isinstance(m, nn.LocalResponseNorm)]
    assert len(norms) == 4  # after conv1 and conv2, in both variants
    expected = lrn_by_the_formula(LRN_PIXEL, n=5, alpha=1e-4, beta=0.75, k=2.0)
    for norm in norms:
        assert (norm.size, norm.beta, norm.k) == (5, 0.75, 2.0)
        assert norm.alpha == pytest.approx(5 * 1e-4, rel=1e-15)  # tinyconv's alpha: the paper's times n
        b = norm(Tensor(LRN_PIXEL.reshape(1, 7, 1, 1))).numpy().reshape(7)
        np.testing.assert_allclose(b, expected, rtol=1e-12)


def test_small_alexnet_maps_32x32_digits_to_10_logits():
    model = AlexNet(num_classes=10, small=True, in_channels=1)
    assert model(zeros(2, 1, 32, 32)).shape == (2, 10)


def test_alexnet_dropout_is_random_in_training_and_off_in_evaluation():
    tinyconv.manual_seed(0)
    model = AlexNet(num_classes=10, small=True, in_channels=1)
    x = random_tensor(2, 1, 32, 32, dtype=np.float32, requires_grad=False)
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    model.train()
    assert not np.array_equal(model(x).numpy(), model(x).numpy())


def test_alexnet_rejects_an_input_of_the_wrong_size():
    with pytest.raises(
        ValueError, match=r"AlexNet: expected images \(N, C, 32, 32\), got shape \(1, 1, 28, 28\)"
    ):
        AlexNet(small=True, in_channels=1)(zeros(1, 1, 28, 28))


# ------------------------------------------------------------------------------ against torch.nn


def torch_small_alexnet(torch, in_channels: int, num_classes: int):
    """AlexNet's 32x32 variant (tinyconv/models/alexnet.py's table) with torchvision's indices."""
    # The paper's LRN: n = 5, alpha = 1e-4, beta = 0.75, k = 2; torch divides alpha by n, so it gets 5e-4.
    tnn = torch.nn
    model = tnn.Module()
    model.features = tnn.Sequential(
        tnn.Conv2d(in_channels, 32, 5, padding=2),
        tnn.ReLU(),
        tnn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0),
        tnn.MaxPool2d(3, stride=2),
        tnn.Conv2d(32, 64, 5, padding=2, groups=2),
        tnn.ReLU(),
        tnn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0),
        tnn.MaxPool2d(3, stride=2),
        tnn.Conv2d(64, 96, 3, padding=1),
        tnn.ReLU(),
        tnn.Conv2d(96, 96, 3, padding=1, groups=2),
        tnn.ReLU(),
        tnn.Conv2d(96, 64, 3, padding=1, groups=2),
        tnn.ReLU(),
        tnn.MaxPool2d(3, stride=2),
    )
    model.classifier = tnn.Sequential(
        tnn.Dropout(),
        tnn.Linear(64 * 3 * 3, 256),
        tnn.ReLU(),
        tnn.Dropout(),
        tnn.Linear(256, 256),
        tnn.ReLU(),
        tnn.Linear(256, num_classes),
    )
    model.forward = lambda x: model.classifier(torch.flatten(model.features(x), 1))
    return model


def test_small_alexnet_forward_and_backward_match_torch_with_the_same_weights(torch):
    tinyconv.manual_seed(0)
    model = with_random_biases(AlexNet(num_classes=10, small=True, in_channels=1))
    reference = torch_copy(torch, model, torch_small_alexnet(torch, in_channels=1, num_classes=10))
    # pixels of a few hundred units: the LRN's alpha * sum(a^2) is then of the order of its k
    images = 100 * random_array(4, 1, 32, 32, seed=2)
    assert_same_forward_and_backward(torch, model, reference, images)
