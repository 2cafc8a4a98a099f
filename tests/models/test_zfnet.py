"""ZFNet (tinyconv/models/zfnet.py): the paper's map sizes (its Fig. 3) and parameter count, 1000 logits
for 224x224 images, and AlexNet's LRN constants.
"""

from __future__ import annotations

import pytest
from helpers.models import conv_params, count, linear_params, rows_of, without_random_weights, zeros

from tinyconv import nn
from tinyconv.models import ZFNet


@pytest.fixture(scope="module")
def zfnet():
    return without_random_weights(ZFNet)


def test_zfnet_has_the_papers_map_sizes_and_the_expected_parameter_count(zfnet):
    expected = (
        conv_params(3, 96, 7)
        + conv_params(96, 256, 5)
        + conv_params(256, 384, 3)
        + conv_params(384, 384, 3)
        + conv_params(384, 256, 3)
        + linear_params(256 * 6 * 6, 4096)
        + linear_params(4096, 4096)
        + linear_params(4096, 1000)
    )
    assert count(zfnet) == expected
    rows = rows_of(zfnet, (3, 224, 224))
    conv_and_pool_sides = [row.output_shape[2] for row in rows if row.type in ("Conv2d", "MaxPool2d")]
    assert conv_and_pool_sides == [110, 55, 26, 13, 13, 13, 13, 6]  # Fig. 3 of the paper
    assert rows[-1].output_shape == (1, 1000)


def test_zfnet_maps_two_224x224_images_to_1000_logits(zfnet):
    zfnet.eval()
    assert zfnet(zeros(2, 3, 224, 224)).shape == (2, 1000)


def test_zfnet_normalizes_with_alexnets_lrn_constants(zfnet):
    norms = [layer for layer in zfnet.features if isinstance(layer, nn.LocalResponseNorm)]
    assert len(norms) == 2
    for norm in norms:
        assert (norm.size, norm.beta, norm.k) == (5, 0.75, 2.0)
        assert norm.alpha == pytest.approx(5 * 1e-4, rel=1e-15)  # the paper's 1e-4 times n, as AlexNet's
