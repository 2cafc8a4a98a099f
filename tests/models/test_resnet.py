"""ResNet (tinyconv/models/resnet.py): ResNet-18/34/50 against torchvision's parameter counts and
state_dict keys, the basic and bottleneck blocks, batch norm's start and statistics, and a forward and
backward pass against torchvision's ResNet written out here with torch.nn (float64).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from helpers import random_tensor
from helpers.models import (
    conv_params,
    count,
    key_shapes,
    linear_params,
    rows_of,
    without_random_weights,
    zeros,
)
from helpers.torch_checks import assert_same_parameter_gradients

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.gradcheck import gradcheck
from tinyconv.models import BasicBlock, Bottleneck, ResNet, ResNet18, ResNet34, ResNet50

PUBLISHED_RESNET = {ResNet18: 11_689_512, ResNet34: 21_797_672, ResNet50: 25_557_032}


@functools.cache
def built(cls):
    """One instance of each 1000-class ResNet for the whole module, with zero weights (see the top)."""
    return without_random_weights(cls)


def resnet_params(bottleneck: bool, layers, num_classes: int = 1000) -> int:
    """torchvision's ResNet counted from its definition: conv weights (no bias), BN, fc."""
    expansion = 4 if bottleneck else 1
    total = conv_params(3, 64, 7, bias=False) + 2 * 64
    inplanes = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            if bottleneck:
                shapes = [(inplanes, planes, 1), (planes, planes, 3), (planes, 4 * planes, 1)]
            else:
                shapes = [(inplanes, planes, 3), (planes, planes, 3)]
            total += sum(conv_params(i, o, k, bias=False) + 2 * o for i, o, k in shapes)
            if stride != 1 or inplanes != planes * expansion:
                total += conv_params(inplanes, planes * expansion, 1, bias=False) + 2 * planes * expansion
            inplanes = planes * expansion
    return total + linear_params(512 * expansion, num_classes)


@pytest.mark.parametrize(
    "cls, bottleneck, layers",
    [(ResNet18, False, [2, 2, 2, 2]), (ResNet34, False, [3, 4, 6, 3]), (ResNet50, True, [3, 4, 6, 3])],
)
def test_resnet_has_torchvisions_parameter_count(cls, bottleneck, layers):
    assert count(built(cls)) == resnet_params(bottleneck, layers) == PUBLISHED_RESNET[cls]


@pytest.mark.parametrize("cls, channels", [(ResNet18, 512), (ResNet34, 512), (ResNet50, 2048)])
def test_resnet_maps_two_32x32_images_to_1000_logits(cls, channels):
    model = built(cls).eval()
    rows = rows_of(model, (3, 32, 32))
    assert rows[-2].output_shape == (1, channels, 1, 1)  # global average pool
    assert model(zeros(2, 3, 32, 32)).shape == (2, 1000)


def test_resnet_batch_norm_starts_as_weight_one_bias_zero():
    model = ResNet18()
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 20
    assert all(np.all(m.weight.numpy() == 1) and np.all(m.bias.numpy() == 0) for m in norms)


def test_resnet_state_dict_keys_follow_torchvision():
    keys = list(ResNet18().state_dict())
    assert keys[:6] == [
        "conv1.weight",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
    ]
    assert "layer1.0.conv1.weight" in keys and "layer2.0.downsample.0.weight" in keys
    assert "layer2.0.downsample.1.running_var" in keys and "layer1.0.downsample.0.weight" not in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]


def test_basic_block_with_a_zero_residual_passes_relu_of_its_input():
    block = BasicBlock(3, 3)
    block.conv2.weight.data[...] = 0.0  # F(x) = bn2(0) = 0 (batch norm's bias starts at 0)
    x = random_tensor(2, 3, 4, 4, dtype=np.float32, requires_grad=False)
    np.testing.assert_allclose(block(x).numpy(), np.maximum(x.numpy(), 0), atol=1e-6)


def test_bottleneck_expands_channels_four_times_and_strides_on_its_3x3_convolution():
    downsample = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
    block = Bottleneck(8, 4, stride=2, downsample=downsample)
    assert block.conv2.stride == (2, 2) and block.conv1.stride == (1, 1)
    assert block(zeros(2, 8, 6, 6)).shape == (2, 16, 3, 3)


def test_basic_block_with_projection_shortcut_gradient():
    tinyconv.manual_seed(0)
    downsample = nn.Sequential(nn.Conv2d(2, 3, 1, stride=2, bias=False), nn.BatchNorm2d(3))
    block = BasicBlock(2, 3, stride=2, downsample=downsample).double()
    params = list(block.parameters())
    assert gradcheck(lambda x, *p: block(x), [random_tensor(2, 2, 4, 4)] + params)


def test_resnet_batch_norm_updates_running_statistics_in_training_only():
    model = ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10)
    x = random_tensor(2, 3, 32, 32, dtype=np.float32, requires_grad=False)
    model.eval()
    model(x)
    assert model.bn1.num_batches_tracked.item() == 0
    assert np.all(model.bn1.running_mean.numpy() == 0)
    model.train()
    model(x)
    assert model.bn1.num_batches_tracked.item() == 1
    assert np.any(model.bn1.running_mean.numpy() != 0)


def test_resnet_rejects_a_block_that_is_not_basic_or_bottleneck():
    with pytest.raises(TypeError, match="ResNet: block must be BasicBlock or Bottleneck"):
        ResNet(nn.Linear, [2, 2, 2, 2])


# ------------------------------------------------------------------------------ against torch.nn


def torch_resnet(torch, bottleneck: bool, layers, num_classes: int = 1000):
    """torchvision's ResNet (v1.5: the bottleneck's stride on its 3x3) written with torch.nn."""
    tnn = torch.nn
    expansion = 4 if bottleneck else 1

    def conv_bn(block, index, c_in, c_out, k, stride=1):
        setattr(block, f"conv{index}", tnn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False))
        setattr(block, f"bn{index}", tnn.BatchNorm2d(c_out))

    class Block(tnn.Module):
        def __init__(self, inplanes, planes, stride):
            super().__init__()
            if bottleneck:
                shapes = [(inplanes, planes, 1, 1), (planes, planes, 3, stride), (planes, planes * 4, 1, 1)]
            else:
                shapes = [(inplanes, planes, 3, stride), (planes, planes, 3, 1)]
            for index, shape in enumerate(shapes, start=1):
                conv_bn(self, index, *shape)
            self.depth = len(shapes)
            self.downsample = None
            if stride != 1 or inplanes != planes * expansion:
                self.downsample = tnn.Sequential(
                    tnn.Conv2d(inplanes, planes * expansion, 1, stride, bias=False),
                    tnn.BatchNorm2d(planes * expansion),
                )

        def forward(self, x):
            out = x
            for index in range(1, self.depth + 1):
                out = getattr(self, f"bn{index}")(getattr(self, f"conv{index}")(out))
                out = torch.relu(out) if index < self.depth else out
            return torch.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU()
            self.maxpool = tnn.MaxPool2d(3, 2, 1)
            inplanes = 64
            for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
                stride = 1 if stage == 0 else 2
                stage_blocks = []
                for b in range(blocks):
                    stage_blocks.append(Block(inplanes, planes, stride if b == 0 else 1))
                    inplanes = planes * expansion
                setattr(self, f"layer{stage + 1}", tnn.Sequential(*stage_blocks))
            self.avgpool = tnn.AdaptiveAvgPool2d(1)
            self.fc = tnn.Linear(512 * expansion, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Net()


@pytest.mark.parametrize(
    "cls, bottleneck, layers",
    [(ResNet18, False, [2, 2, 2, 2]), (ResNet34, False, [3, 4, 6, 3]), (ResNet50, True, [3, 4, 6, 3])],
)
def test_resnet_state_dict_and_parameter_count_match_torch(torch, cls, bottleneck, layers):
    with torch.device("meta"):
        reference = torch_resnet(torch, bottleneck, layers)
    model = built(cls)
    assert key_shapes(model) == key_shapes(reference)
    assert count(model) == sum(p.numel() for p in reference.parameters())


# One block per stage (two in the bottleneck's first, for an identity shortcut there too): every kind of
# block and shortcut of ResNet-18/50, at a fraction of the cost; the full layouts are compared above.
@pytest.mark.parametrize("block, layers", [(BasicBlock, [1, 1, 1, 1]), (Bottleneck, [2, 1, 1, 1])])
def test_resnet_forward_and_backward_match_torch_with_the_same_weights(torch, block, layers):
    # float64: in float32, batch norm over the 1x1 maps of layer4 turns rounding noise into 1e-3 differences.
    tinyconv.manual_seed(0)
    model = ResNet(block, layers, num_classes=10).double()
    rng = np.random.default_rng(0)
    for name, value in model.named_state():  # batch norm away from its start, so every term counts
        if name.endswith(("bn1.bias", "bn2.bias", "bn3.bias", "running_mean")):
            value.data[...] = 0.1 * rng.standard_normal(value.shape)
        if name.endswith(("running_var", "bn1.weight", "bn2.weight", "bn3.weight")):
            value.data[...] = rng.uniform(0.5, 1.5, value.shape)
    reference = torch_resnet(torch, block is Bottleneck, layers, num_classes=10).double()
    reference.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})
    images = rng.standard_normal((4, 3, 32, 32))
    labels = np.array([3, 7, 0, 9])

    model.eval()
    reference.eval()
    np.testing.assert_allclose(
        model(Tensor(images)).numpy(), reference(torch.tensor(images)).detach().numpy(), rtol=1e-9, atol=1e-12
    )
    model.train()
    reference.train()
    F.cross_entropy(model(Tensor(images)), labels).backward()
    torch.nn.functional.cross_entropy(reference(torch.tensor(images)), torch.tensor(labels)).backward()
    assert_same_parameter_gradients(model, reference, rtol=1e-7, atol=1e-12)
