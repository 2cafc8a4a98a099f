"""VGG (tinyconv/models/vgg.py): VGG-11/13/16/19 (and VGG-11 with batch norm) against torchvision's
parameter counts, configurations and state_dict keys, the last written out here with torch.nn (torchvision
itself is not needed); 1000 logits for 32x32 images.
"""

from __future__ import annotations

import functools

import pytest
from helpers.models import conv_params, count, key_shapes, linear_params, without_random_weights, zeros

from tinyconv import nn
from tinyconv.models import VGG
from tinyconv.models.vgg import CONFIGURATIONS, make_features

# torchvision's VGG configurations, written out here rather than imported from tinyconv.
TORCHVISION_VGG = {
    11: "64 M 128 M 256 256 M 512 512 M 512 512 M",
    13: "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M",
    16: "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M",
    19: "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M",
}


def vgg_conv_widths(depth: int) -> list:
    return [int(item) for item in TORCHVISION_VGG[depth].split() if item != "M"]


PUBLISHED_VGG = {11: 132_863_336, 13: 133_047_848, 16: 138_357_544, 19: 143_667_240}  # torchvision's


@functools.cache
def built_vgg(depth: int, batch_norm: bool = False) -> VGG:
    """One VGG of each kind for the whole module, with zero weights (see the top)."""
    return without_random_weights(lambda: VGG(depth, batch_norm=batch_norm))


def vgg_params(depth: int) -> int:
    """torchvision's VGG counted from its configuration: 3x3 convolutions, then fc6-fc8."""
    widths = vgg_conv_widths(depth)
    convs = sum(conv_params(c_in, c_out, 3) for c_in, c_out in zip([3] + widths, widths))
    return convs + linear_params(512 * 7 * 7, 4096) + linear_params(4096, 4096) + linear_params(4096, 1000)


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
def test_vgg_has_torchvisions_parameter_count(depth):
    assert count(built_vgg(depth)) == vgg_params(depth) == PUBLISHED_VGG[depth]


def test_vgg_with_batch_norm_adds_a_scale_and_a_shift_per_convolution_channel():
    expected = vgg_params(11) + 2 * sum(vgg_conv_widths(11))
    assert count(built_vgg(11, batch_norm=True)) == expected == 132_868_840  # torchvision's vgg11_bn


@pytest.mark.parametrize(
    "depth, batch_norm", [(11, False), (13, False), (16, False), (19, False), (11, True)]
)
def test_vgg_maps_two_32x32_images_to_1000_logits(depth, batch_norm):
    model = built_vgg(depth, batch_norm).eval()
    assert model(zeros(2, 3, 32, 32)).shape == (2, 1000)


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
def test_vgg_configuration_has_depth_minus_3_convolutions_of_torchvisions_widths(depth):
    features = make_features(CONFIGURATIONS[depth], 3, batch_norm=False)
    convs = [layer for layer in features if isinstance(layer, nn.Conv2d)]
    assert len(convs) == depth - 3
    assert [conv.out_channels for conv in convs] == vgg_conv_widths(depth)
    assert sum(isinstance(layer, nn.MaxPool2d) for layer in features) == 5


def test_vgg_with_batch_norm_puts_one_after_every_convolution():
    features = make_features(CONFIGURATIONS[11], 3, batch_norm=True)
    kinds = [type(layer).__name__ for layer in features]
    assert kinds[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert kinds.count("BatchNorm2d") == kinds.count("Conv2d") == 8


def test_vgg_rejects_an_unknown_depth():
    with pytest.raises(ValueError, match=r"VGG: depth must be one of \[11, 13, 16, 19\], got 15"):
        VGG(15)


# ------------------------------------------------------------------------------ against torch.nn


def torch_vgg(torch, depth: int, batch_norm: bool = False, num_classes: int = 1000):
    """torchvision's VGG written with torch.nn (torchvision itself is not needed)."""
    tnn = torch.nn
    layers, c_in = [], 3
    for item in TORCHVISION_VGG[depth].split():
        if item == "M":
            layers.append(tnn.MaxPool2d(2, 2))
            continue
        layers += [tnn.Conv2d(c_in, int(item), 3, padding=1)]
        layers += [tnn.BatchNorm2d(int(item))] if batch_norm else []
        layers += [tnn.ReLU()]
        c_in = int(item)
    model = tnn.Module()
    model.features = tnn.Sequential(*layers)
    model.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
    model.classifier = tnn.Sequential(
        tnn.Linear(25088, 4096),
        tnn.ReLU(),
        tnn.Dropout(),
        tnn.Linear(4096, 4096),
        tnn.ReLU(),
        tnn.Dropout(),
        tnn.Linear(4096, num_classes),
    )
    return model


def test_vgg16_state_dict_and_parameter_count_match_torch(torch):
    with torch.device("meta"):  # shapes only: no memory for 138 million numbers
        reference = torch_vgg(torch, 16)
    assert key_shapes(built_vgg(16)) == key_shapes(reference)
    assert count(built_vgg(16)) == sum(p.numel() for p in reference.parameters())


@pytest.mark.parametrize("depth", [11, 13, 19])
def test_vgg_features_with_batch_norm_match_torch_keys_and_shapes(torch, depth):
    with torch.device("meta"):
        reference = torch_vgg(torch, depth, batch_norm=True).features
    assert key_shapes(make_features(CONFIGURATIONS[depth], 3, batch_norm=True)) == key_shapes(reference)
