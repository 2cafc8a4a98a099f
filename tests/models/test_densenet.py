"""DenseNet (tinyconv/models/densenet.py): DenseNet-121/161/169/201 against torchvision's parameter counts,
the growth of the channels, torchvision's state_dict keys and initialization, the memory-efficient
bottleneck (the same numbers as the plain layer, gradient checks, a graph that grows linearly with depth),
a forward and backward pass against torchvision's DenseNet written with torch.nn (float64), torchvision
itself where it is installed, and the bad inputs.
"""

from __future__ import annotations

import functools
import tracemalloc

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.models import conv_params, count, key_shapes, linear_params, rows_of, without_random_weights
from helpers.torch_checks import assert_same_parameter_gradients
from helpers.torch_densenet import torch_densenet

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.gradcheck import gradcheck
from tinyconv.models import (
    DenseBlock,
    DenseLayer,
    DenseNet,
    densenet121,
    densenet161,
    densenet169,
    densenet201,
)
from tinyconv.models.densenet import RecomputedBottleneck

# torchvision's configurations (growth rate, layers per block, conv0's channels) and parameter counts
CONFIGURATIONS = {
    densenet121: (32, (6, 12, 24, 16), 64),
    densenet161: (48, (6, 12, 36, 24), 96),
    densenet169: (32, (6, 12, 32, 32), 64),
    densenet201: (32, (6, 12, 48, 32), 64),
}
PUBLISHED = {
    densenet121: 7_978_856,
    densenet161: 28_681_000,
    densenet169: 14_149_480,
    densenet201: 20_013_928,
}
BUILDERS = list(CONFIGURATIONS)
IDS = [builder.__name__ for builder in BUILDERS]


@functools.cache
def built(builder):
    """One instance of each 1000-class DenseNet for the whole module, with zero weights."""
    return without_random_weights(builder)


def small_densenet(memory_efficient: bool = False, **overrides) -> DenseNet:
    """Two blocks of 2 and 3 layers, k = 4, a bottleneck of 8 channels: every kind of module, in float64."""
    tinyconv.manual_seed(0)
    arguments = dict(growth_rate=4, block_config=(2, 3), num_init_features=8, bn_size=2, num_classes=10)
    return DenseNet(**{**arguments, **overrides}, memory_efficient=memory_efficient).double()


def densenet_params(growth_rate: int, block_config, num_init_features: int, bn_size: int = 4) -> int:
    """torchvision's DenseNet counted from its definition: convolutions without bias, two numbers per
    batch norm channel, the classifier; layer i of a block reads C_0 + (i - 1) k channels."""
    width = bn_size * growth_rate
    total = conv_params(3, num_init_features, 7, bias=False) + 2 * num_init_features
    channels = num_init_features
    for block, num_layers in enumerate(block_config):
        for i in range(num_layers):
            c_in = channels + i * growth_rate
            total += 2 * c_in + conv_params(c_in, width, 1, bias=False)
            total += 2 * width + conv_params(width, growth_rate, 3, bias=False)
        channels += num_layers * growth_rate
        if block != len(block_config) - 1:
            total += 2 * channels + conv_params(channels, channels // 2, 1, bias=False)
            channels //= 2
    return total + 2 * channels + linear_params(channels, 1000)


def with_statistics_away_from_their_start(model, seed: int = 0):
    """Batch norm's gamma, beta and running statistics drawn at random, so that every term counts."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.weight.data[...] = rng.uniform(0.5, 1.5, module.num_features)
            module.bias.data[...] = 0.1 * rng.standard_normal(module.num_features)
            module.running_mean.data[...] = 0.1 * rng.standard_normal(module.num_features)
            module.running_var.data[...] = rng.uniform(0.5, 1.5, module.num_features)
    return model


# ------------------------------------------------------------------------------ the architecture


@pytest.mark.parametrize("builder", BUILDERS, ids=IDS)
def test_densenet_has_torchvisions_parameter_count(builder):
    assert count(built(builder)) == densenet_params(*CONFIGURATIONS[builder]) == PUBLISHED[builder]


def test_densenet121_channels_grow_by_k_in_each_block_and_halve_at_each_transition():
    rows = {row.name: row.output_shape for row in rows_of(built(densenet121).eval(), (3, 32, 32))}
    block1 = [rows[f"features.denseblock1.denselayer{i}.norm1"][1] for i in range(1, 7)]
    assert block1 == [64, 96, 128, 160, 192, 224]  # 64 + 32 (i - 1)
    assert rows["features.denseblock3.denselayer24.norm1"][1] == 256 + 23 * 32
    assert all(rows[f"features.denseblock{b}.denselayer1.conv2"][1] == 32 for b in range(1, 5))
    assert [rows[f"features.transition{t}.conv"][1] for t in (1, 2, 3)] == [
        128,
        256,
        512,
    ]  # 256, 512, 1024 halved
    assert rows["features.norm5"] == (1, 1024, 1, 1) and rows["classifier"] == (1, 1000)
    assert rows["features.pool0"] == (1, 64, 8, 8)  # 32x32 divided by 4, then halved three times


def test_dense_block_output_is_its_input_then_each_layers_new_maps():
    block = DenseBlock(2, 3, bn_size=2, growth_rate=4, drop_rate=0).double().eval()
    x = random_tensor(2, 3, 5, 5, requires_grad=False)
    out = block(x).numpy()
    assert out.shape == (2, 3 + 2 * 4, 5, 5)
    np.testing.assert_array_equal(out[:, :3], x.numpy())
    first = block.denselayer1(x)
    np.testing.assert_array_equal(out[:, 3:7], first.numpy())
    np.testing.assert_array_equal(out[:, 7:], block.denselayer2([x, first]).numpy())


def test_dense_layer_bottleneck_is_bn_size_times_k_wide_whatever_its_input():
    layer = DenseLayer(100, growth_rate=12, bn_size=4, drop_rate=0)
    assert layer.conv1.weight.shape == (48, 100, 1, 1)
    assert layer.conv2.weight.shape == (12, 48, 3, 3)


def test_transition_halves_channels_and_maps():
    model = built(densenet121)
    assert model.features.transition1.conv.weight.shape == (128, 256, 1, 1)
    assert model.features.transition1(Tensor(np.zeros((1, 256, 7, 7), np.float32))).shape == (1, 128, 3, 3)


def batch_norm_keys(prefix: str) -> list:
    return [
        f"{prefix}.{name}"
        for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    ]


def test_densenet_state_dict_keys_follow_torchvision():
    keys = [name for name, _ in built(densenet121).named_state()]
    assert keys[:6] == ["features.conv0.weight"] + batch_norm_keys("features.norm0")
    layer = "features.denseblock1.denselayer1"
    assert keys[6:18] == (
        batch_norm_keys(f"{layer}.norm1")
        + [f"{layer}.conv1.weight"]
        + batch_norm_keys(f"{layer}.norm2")
        + [f"{layer}.conv2.weight"]
    )
    assert keys[18:24] == batch_norm_keys("features.denseblock1.denselayer2.norm1") + [
        "features.denseblock1.denselayer2.conv1.weight"
    ]
    assert "features.transition3.conv.weight" in keys and "features.transition4.conv.weight" not in keys
    assert "features.transition1.pool" not in " ".join(keys)  # pooling and ReLU hold no state
    assert "features.denseblock4.denselayer16.conv2.weight" in keys
    assert keys[-7:] == batch_norm_keys("features.norm5") + ["classifier.weight", "classifier.bias"]


def test_densenet_initialization_is_torchvisions():
    tinyconv.manual_seed(0)
    model = DenseNet(32, (2,), 64, num_classes=100)
    convs = [model.features.conv0, model.features.denseblock1.denselayer2.conv2]
    for conv in convs:  # He normal, fan_in: std sqrt(2 / fan_in)
        fan_in = conv.weight[0].numel()
        assert abs(conv.weight.data.std() - np.sqrt(2 / fan_in)) < 0.03 * np.sqrt(2 / fan_in)
        assert abs(conv.weight.data.mean()) < 0.03 * np.sqrt(2 / fan_in)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(np.all(m.weight.numpy() == 1) and np.all(m.bias.numpy() == 0) for m in norms)
    bound = 1 / np.sqrt(
        128
    )  # PyTorch's default Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in 64 + 2 * 32
    weight = model.classifier.weight.data
    assert np.abs(weight).max() <= bound and abs(weight.std() - bound / np.sqrt(3)) < 0.03 * bound
    assert np.all(model.classifier.bias.numpy() == 0)


def test_dropout_after_each_layer_in_training_only():
    layer = DenseLayer(4, growth_rate=64, bn_size=1, drop_rate=0.5).double()
    x = random_tensor(2, 4, 6, 6, requires_grad=False)
    kept = DenseLayer(4, growth_rate=64, bn_size=1, drop_rate=0).double()
    kept.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(layer.eval()(x).numpy(), kept.eval()(x).numpy())
    tinyconv.manual_seed(0)
    dropped = layer.train()(x).numpy() == 0
    assert 0.4 < dropped.mean() < 0.6


# ---------------------------------------------------------------------------- the memory-efficient bottleneck


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_memory_efficient_gives_the_same_outputs_gradients_and_running_statistics(mode):
    plain = with_statistics_away_from_their_start(small_densenet(memory_efficient=False))
    efficient = with_statistics_away_from_their_start(small_densenet(memory_efficient=True))
    images, labels = random_array(4, 3, 16, 16), np.array([3, 7, 0, 9])
    losses = []
    for model in (plain, efficient):
        model.train(mode == "train")
        loss = F.cross_entropy(model(Tensor(images)), labels)
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    for (name, a), (_, b) in zip(plain.named_parameters(), efficient.named_parameters()):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-14, err_msg=name)
    for (name, a), (_, b) in zip(plain.named_buffers(), efficient.named_buffers()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=0, err_msg=name)
    updated = plain.features.denseblock1.denselayer1.norm1.num_batches_tracked.item()
    assert updated == (1 if mode == "train" else 0)


def bottleneck_inputs() -> list:
    """Two maps of 3 and 2 channels (the concatenation has 5), gamma, beta, a 1x1 weight 5 -> 4."""
    rng = np.random.default_rng(1)
    return [
        random_tensor(2, 3, 3, 3, seed=1),
        random_tensor(2, 2, 3, 3, seed=2),
        Tensor(rng.uniform(0.5, 1.5, 5), requires_grad=True),
        Tensor(0.1 * rng.standard_normal(5), requires_grad=True),
        random_tensor(4, 5, 1, 1, seed=3),
    ]


def test_recomputed_bottleneck_gradient_with_the_batch_statistics():
    assert gradcheck(lambda *inputs: RecomputedBottleneck(1e-5)(*inputs), bottleneck_inputs())


def test_recomputed_bottleneck_gradient_with_running_statistics():
    rng = np.random.default_rng(4)
    mean, var = 0.1 * rng.standard_normal(5), rng.uniform(0.5, 1.5, 5)
    assert gradcheck(lambda *inputs: RecomputedBottleneck(1e-5, mean, var)(*inputs), bottleneck_inputs())


def test_memory_efficient_dense_layer_gradient():
    tinyconv.manual_seed(0)
    layer = DenseLayer(5, growth_rate=2, bn_size=2, drop_rate=0, memory_efficient=True).double()
    maps = [random_tensor(2, 3, 4, 4, seed=1), random_tensor(2, 2, 4, 4, seed=2)]
    params = list(layer.parameters())
    assert gradcheck(lambda a, b, *p: layer([a, b]), maps + params)


def test_recomputed_bottleneck_backward_leaves_its_inputs_and_upstream_gradient_untouched():
    inputs = bottleneck_inputs()
    before = [t.numpy().copy() for t in inputs]
    out = RecomputedBottleneck(1e-5)(*inputs)
    upstream = random_array(*out.shape, seed=5)
    out.backward(upstream.copy())
    np.testing.assert_array_equal(upstream, random_array(*out.shape, seed=5))
    for tensor, value in zip(inputs, before):
        np.testing.assert_array_equal(tensor.numpy(), value)


def graph_bytes(num_layers: int, memory_efficient: bool) -> int:
    """Bytes held between forward and backward by a dense block of `num_layers` layers (k = 4, bottleneck
    4 channels) on 4 maps of 8x8 with 4 channels, by tracemalloc (NumPy reports its arrays to it)."""
    tinyconv.manual_seed(0)
    block = DenseBlock(
        num_layers, 4, bn_size=1, growth_rate=4, drop_rate=0, memory_efficient=memory_efficient
    )
    x = random_tensor(4, 4, 8, 8, dtype=np.float32)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = block(x)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    out.sum().backward()  # the graph was complete
    return held


def test_memory_efficient_graph_grows_linearly_with_depth_and_the_plain_one_faster():
    plain = [graph_bytes(n, memory_efficient=False) for n in (8, 16, 32)]
    efficient = [graph_bytes(n, memory_efficient=True) for n in (8, 16, 32)]
    # Doubling the depth adds 16 layers after adding 8: twice as much memory if each layer holds the same,
    # up to 4 times as much if it holds its whole, growing input (quadratic).
    assert (efficient[2] - efficient[1]) / (efficient[1] - efficient[0]) < 2.3
    assert (plain[2] - plain[1]) / (plain[1] - plain[0]) > 3.0
    assert efficient[2] < plain[2] / 3


# ------------------------------------------------------------------------------ against torch.nn


@pytest.mark.parametrize("builder", BUILDERS, ids=IDS)
def test_densenet_state_dict_and_parameter_count_match_torch(torch, builder):
    with torch.device("meta"):
        reference = torch_densenet(torch, *CONFIGURATIONS[builder])
    model = built(builder)
    assert key_shapes(model) == key_shapes(reference)
    assert count(model) == sum(p.numel() for p in reference.parameters())


@pytest.mark.parametrize("memory_efficient", [False, True], ids=["plain", "memory_efficient"])
def test_densenet_forward_and_backward_match_torch_with_the_same_weights(torch, memory_efficient):
    model = with_statistics_away_from_their_start(small_densenet(memory_efficient))
    reference = torch_densenet(torch, 4, (2, 3), 8, bn_size=2, num_classes=10).double()
    reference.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})
    images, labels = random_array(4, 3, 16, 16), np.array([3, 7, 0, 9])

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
    for name, value in reference.state_dict().items():  # the running statistics moved alike
        np.testing.assert_allclose(
            model.state_dict()[name], value.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )


def test_a_torchvision_densenet121_state_dict_gives_the_same_logits():
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    reference = torchvision.models.densenet121()
    with torch.no_grad():  # one training-mode batch moves the running statistics away from 0 and 1
        reference(torch.randn(4, 3, 32, 32))
    reference.eval()
    model = without_random_weights(densenet121)
    model.load_state_dict({name: value.numpy() for name, value in reference.state_dict().items()})
    images = random_array(2, 3, 32, 32).astype(np.float32)
    expected = reference(torch.tensor(images)).detach().numpy()
    np.testing.assert_allclose(model.eval()(Tensor(images)).numpy(), expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(growth_rate=0), "growth_rate must be a positive int, got 0"),
        (dict(block_config=()), r"block_config must give the number of layers of each block"),
        (dict(block_config=6), r"block_config must give the number of layers of each block"),
        (dict(block_config=(6, 0)), "layers per block must be a positive int, got 0"),
        (dict(num_init_features=2.5), "num_init_features must be a positive int, got 2.5"),
        (dict(bn_size=0), "bn_size must be a positive int, got 0"),
        (dict(drop_rate=1.0), r"drop_rate is the probability of dropping a value and must be in \[0, 1\)"),
        (dict(num_classes=0), "num_classes must be a positive int, got 0"),
        (dict(in_channels=0), "in_channels must be a positive int, got 0"),
    ],
)
def test_densenet_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match="DenseNet: " + message):
        DenseNet(**arguments)


def test_densenet_rejects_a_memory_efficient_that_is_not_a_bool():
    with pytest.raises(TypeError, match="DenseNet: memory_efficient must be True or False, got 'yes'"):
        DenseNet(memory_efficient="yes")


def test_densenet_refuses_an_input_too_small_for_its_transitions_and_says_the_smallest():
    model = DenseNet(4, (1, 1, 1, 1), 8, bn_size=1, num_classes=3).eval()
    assert model(Tensor(np.zeros((1, 3, 29, 29), np.float32))).shape == (1, 3)  # torchvision's min_size
    with pytest.raises(ValueError, match="DenseNet: an input of 28x29 is too small.* at least 29x29"):
        model(Tensor(np.zeros((1, 3, 28, 29), np.float32)))
    one_block = DenseNet(4, (1,), 8, bn_size=1, num_classes=3).eval()
    assert one_block(Tensor(np.zeros((1, 3, 1, 1), np.float32))).shape == (1, 3)


def test_densenet_names_the_channels_it_expects():
    model = DenseNet(4, (1,), 8, bn_size=1, num_classes=3, in_channels=1)
    with pytest.raises(ValueError, match="conv2d: input has 3 channels but weight expects 1"):
        model(Tensor(np.zeros((1, 3, 8, 8), np.float32)))
    with pytest.raises(ValueError, match=r"DenseNet: expected .*\(N, C, H, W\)"):
        model(Tensor(np.zeros((1, 8, 8), np.float32)))


@pytest.mark.parametrize("memory_efficient", [False, True], ids=["plain", "memory_efficient"])
def test_dense_layer_refuses_maps_whose_channels_do_not_add_up(memory_efficient):
    layer = DenseLayer(6, growth_rate=2, bn_size=2, drop_rate=0, memory_efficient=memory_efficient)
    maps = [Tensor(np.zeros((1, c, 4, 4), np.float32)) for c in (4, 3)]
    with pytest.raises(
        ValueError, match=r"DenseLayer: the maps given have 4 \+ 3 = 7 channels in all, but .*=6"
    ):
        layer(maps)
