"""The model zoo (tinyconv/models): parameter counts against the papers and torchvision, output
shapes, the 1998 LeNet-5's own layers, and (with torch installed) VGG and ResNet against the same
architectures written in torch.nn.

Expected parameter counts are computed here from the layer formulas, independently of the models:
    conv:   C_out * (C_in / groups * k * k) + C_out (bias)      linear: out * (in + 1)
    batch norm: 2 * C (weight and bias; the running statistics are buffers)
and compared with the published totals. The big networks are slow on a small CPU, so each is built
once per module and run on one small batch. Where only shapes and counts are checked, the models are
built with zero weights instead of random ones (`without_random_weights`): drawing VGG-16's 138
million random numbers takes seconds, an array of zeros nothing until it is written.
"""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from helpers import random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, init, nn, optim
from tinyconv.gradcheck import gradcheck
from tinyconv.models import (
    VGG,
    AlexNet,
    BasicBlock,
    Bottleneck,
    GoogLeNet,
    Inception,
    LeNet5Classic,
    ResNet,
    ResNet18,
    ResNet34,
    ResNet50,
    ZFNet,
)
from tinyconv.models.lenet import EuclideanRBF, ScaledTanh, Subsampling, TableConv2d
from tinyconv.models.summary import summary
from tinyconv.models.vgg import CONFIGURATIONS, make_features


def conv_params(c_in: int, c_out: int, k: int, groups: int = 1, bias: bool = True) -> int:
    return c_out * (c_in // groups * k * k) + (c_out if bias else 0)


def linear_params(n_in: int, n_out: int) -> int:
    return n_out * (n_in + 1)


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def rows_of(model, input_shape) -> list:
    return summary(model, input_shape, file=io.StringIO())


def zeros(*shape) -> Tensor:
    return Tensor(np.zeros(shape, dtype=np.float32))


def zero_weights(tensor: Tensor, *args, **kwargs) -> Tensor:
    """Stands in for init.kaiming_uniform_: a fresh array of zeros (np.zeros asks the operating system
    for zeroed pages, so nothing is written until the model is)."""
    tensor.data = np.zeros(tensor.shape, dtype=tensor.dtype)
    return tensor


def without_random_weights(build):
    """`build()` with every Linear and Conv2d weight left at zero instead of drawn at random."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(init, "kaiming_uniform_", zero_weights)
        return build()


# torchvision's VGG configurations, written out here rather than imported from tinyconv.
TORCHVISION_VGG = {
    11: "64 M 128 M 256 256 M 512 512 M 512 512 M",
    13: "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M",
    16: "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M",
    19: "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M",
}


def vgg_conv_widths(depth: int) -> list:
    return [int(item) for item in TORCHVISION_VGG[depth].split() if item != "M"]


# ================================================================================ LeNet-5 (1998)

# Table I of LeCun et al. 1998 as printed: a row per S2 map, a column per C3 map, X = connected.
TABLE_I = [
    "X . . . X X X . . X X X X . X X",
    "X X . . . X X X . . X X X X . X",
    "X X X . . . X X X . . X . X X X",
    ". X X X . . X X X X . . X . X X",
    ". . X X X . . X X X X . X X . X",
    ". . . X X X . . X X X X . X X X",
]
CONNECTED = np.array([[cell == "X" for cell in row.split()] for row in TABLE_I]).T  # (C3 map, S2 map)


def test_lenet5_classic_layers_have_the_papers_parameter_counts():
    rows = rows_of(LeNet5Classic(), (1, 32, 32))
    counts = {row.name: row.params for row in rows if row.params}
    expected = {
        "c1": conv_params(1, 6, 5),
        "s2": 6 * 2,
        "c3": int(CONNECTED.sum()) * 5 * 5 + 16,
        "s4": 16 * 2,
        "c5": conv_params(16, 120, 5),
        "f6": linear_params(120, 84),
    }
    assert counts == expected
    assert counts == {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}


def test_lenet5_classic_has_60000_trainable_parameters_and_no_others():
    model = LeNet5Classic()
    assert count(model) == 60_000
    assert all(p.requires_grad for p in model.parameters())


def test_lenet5_classic_maps_have_the_papers_sizes():
    rows = rows_of(LeNet5Classic(), (1, 32, 32))
    shapes = {row.name: row.output_shape for row in rows if row.name != "squash"}
    assert shapes == {
        "c1": (1, 6, 28, 28),
        "s2": (1, 6, 14, 14),
        "c3": (1, 16, 10, 10),
        "s4": (1, 16, 5, 5),
        "c5": (1, 120, 1, 1),
        "f6": (1, 84),
        "output": (1, 10),
    }


def test_lenet5_classic_c3_filter_bank_is_zero_exactly_where_table_1_has_no_connection():
    full = LeNet5Classic().c3.full_weight().numpy()  # (16, 6, 5, 5)
    nonzero = np.abs(full).sum(axis=(2, 3)) > 0
    np.testing.assert_array_equal(nonzero, CONNECTED)


def test_lenet5_classic_c3_maps_ignore_the_s2_maps_they_are_not_connected_to():
    c3 = LeNet5Classic().c3
    x = random_tensor(1, 6, 14, 14, dtype=np.float32, requires_grad=False)
    changed = Tensor(x.data.copy())
    changed.data[:, 5] += 1.0  # change S2 map 5 only
    moved = np.abs(c3(changed).numpy() - c3(x).numpy()).max(axis=(0, 2, 3)) > 1e-6
    np.testing.assert_array_equal(moved, CONNECTED[:, 5])


def test_table_conv2d_equals_a_dense_convolution_with_its_kernels_in_table_order():
    connections = ((0, 1), (1, 2), (0, 2), (0, 1, 2))
    tinyconv.manual_seed(0)
    layer = TableConv2d(3, connections, kernel_size=(2, 3))
    layer.bias.data[...] = [0.1, -0.2, 0.3, 0.4]
    dense = np.zeros((4, 3, 2, 3), dtype=np.float32)
    kernels = iter(layer.weight.numpy())
    for o, inputs in enumerate(connections):
        for c in inputs:
            dense[o, c] = next(kernels)
    x = random_tensor(2, 3, 5, 4, dtype=np.float32, requires_grad=False)
    expected = F.conv2d(x, Tensor(dense), Tensor(layer.bias.numpy()))
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_table_conv2d_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    layer = TableConv2d(3, ((0, 1), (1, 2), (0, 2), (0, 1, 2)), kernel_size=(2, 3)).double()
    layer.bias.data[...] = [0.1, -0.2, 0.3, 0.4]
    assert gradcheck(lambda x, *p: layer(x), [random_tensor(2, 3, 5, 4), layer.weight, layer.bias])


def test_table_conv2d_rejects_a_connection_to_a_missing_input_map():
    with pytest.raises(
        ValueError, match=r"TableConv2d: output map 1 must list distinct input maps in \[0, 3\)"
    ):
        TableConv2d(3, ((0, 1), (2, 3)), kernel_size=5)


def test_subsampling_sums_each_window_times_the_maps_coefficient_plus_its_bias():
    layer = Subsampling(2)
    layer.coefficient.data[...] = [2.0, -1.0]
    layer.bias.data[...] = [0.5, 10.0]
    x = Tensor(np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4))
    # Map 0, top-left window: 0 + 1 + 4 + 5 = 10 -> 2 * 10 + 0.5. Map 1, bottom-right: 26+27+30+31 = 114.
    y = layer(x).numpy()
    assert y.shape == (1, 2, 2, 2)
    assert y[0, 0, 0, 0] == 2 * 10 + 0.5
    assert y[0, 1, 1, 1] == -1 * 114 + 10.0


@pytest.mark.parametrize("shape", [(1, 2, 4, 4), (2, 3, 6, 4), (1, 1, 5, 7)])
def test_subsampling_gradient_for_input_coefficient_and_bias(shape):
    tinyconv.manual_seed(0)
    layer = Subsampling(shape[1]).double()
    layer.bias.data[...] = np.linspace(-0.5, 0.5, shape[1])
    assert gradcheck(lambda x, *p: layer(x), [random_tensor(*shape), layer.coefficient, layer.bias])


def test_scaled_tanh_maps_plus_and_minus_one_to_about_themselves():
    y = ScaledTanh()(Tensor(np.array([-1.0, 0.0, 1.0]))).numpy()
    np.testing.assert_allclose(y, 1.7159 * np.tanh(2 / 3 * np.array([-1.0, 0.0, 1.0])))
    np.testing.assert_allclose(y, [-1.0, 0.0, 1.0], atol=1e-4)


def test_scaled_tanh_gradient():
    assert gradcheck(lambda x: ScaledTanh()(x), [random_tensor(3, 4)])


def test_euclidean_rbf_gives_the_squared_distance_to_each_prototype():
    prototypes = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, -1.0]])
    x = np.array([[1.0, -1.0, 1.0], [0.0, 2.0, 0.5]])
    y = EuclideanRBF(prototypes)(Tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(y, [[0.0, 8.0], [1 + 9 + 0.25, 1 + 9 + 2.25]])


def test_euclidean_rbf_gradient():
    layer = EuclideanRBF(np.sign(np.random.default_rng(0).standard_normal((4, 6)))).double()
    assert gradcheck(lambda x: layer(x), [random_tensor(3, 6)])


def test_lenet5_classic_prototypes_are_fixed_distinct_plus_minus_one_bitmaps_saved_as_a_buffer():
    model = LeNet5Classic()
    prototypes = model.state_dict()["output.prototypes"]
    assert prototypes.shape == (10, 7 * 12)
    assert set(np.unique(prototypes)) == {-1.0, 1.0}
    assert len({row.tobytes() for row in prototypes}) == 10
    assert all(p is not model.output.prototypes for p in model.parameters())


def test_lenet5_classic_gives_one_distance_per_digit():
    assert LeNet5Classic()(zeros(2, 1, 32, 32)).shape == (2, 10)


def test_lenet5_classic_rejects_unpadded_28x28_digits():
    with pytest.raises(ValueError, match=r"LeNet5Classic: expected images \(N, 1, 32, 32\)"):
        LeNet5Classic()(zeros(1, 1, 28, 28))


def test_lenet5_classic_learns_with_cross_entropy_on_negative_distances():
    tinyconv.manual_seed(0)
    model = LeNet5Classic()
    images = random_tensor(16, 1, 32, 32, seed=3, dtype=np.float32, requires_grad=False)
    labels = np.arange(16) % 10
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(-model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ================================================================================ AlexNet


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


def lrn_by_the_formula(a: np.ndarray, n: int, alpha: float, beta: float, k: float) -> np.ndarray:
    """Krizhevsky et al. 2012, section 3.3, over the channels of one pixel, a (C,):

        b_i = a_i / (k + alpha * sum_{j = max(0, i - n/2)}^{min(C - 1, i + n/2)} a_j^2)^beta

    alpha multiplies the sum itself, as in the paper (PyTorch and tinyconv multiply by alpha / n)."""
    b = np.empty_like(a)
    for i in range(len(a)):
        window = a[max(0, i - n // 2) : min(len(a) - 1, i + n // 2) + 1]
        b[i] = a[i] / (k + alpha * np.sum(window**2)) ** beta
    return b


# one pixel, 7 channels, large enough that alpha * sum(a^2) is of the order of k
LRN_PIXEL = np.array([30.0, -50.0, 80.0, 10.0, -60.0, 40.0, 70.0])


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


# ================================================================================ ZFNet


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


# ================================================================================ VGG


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


# ================================================================================ GoogLeNet

# Table 1 of Szegedy et al. 2015: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, output depth.
GOOGLENET_TABLE_1 = {
    "inception3a": (64, 96, 128, 16, 32, 32, 256),
    "inception3b": (128, 128, 192, 32, 96, 64, 480),
    "inception4a": (192, 96, 208, 16, 48, 64, 512),
    "inception4b": (160, 112, 224, 24, 64, 64, 512),
    "inception4c": (128, 128, 256, 24, 64, 64, 512),
    "inception4d": (112, 144, 288, 32, 64, 64, 528),
    "inception4e": (256, 160, 320, 32, 128, 128, 832),
    "inception5a": (256, 160, 320, 32, 128, 128, 832),
    "inception5b": (384, 192, 384, 48, 128, 128, 1024),
}


def inception_params(c_in, ch1, red3, ch3, red5, ch5, proj) -> int:
    return (
        conv_params(c_in, ch1, 1)
        + conv_params(c_in, red3, 1)
        + conv_params(red3, ch3, 3)
        + conv_params(c_in, red5, 1)
        + conv_params(red5, ch5, 5)
        + conv_params(c_in, proj, 1)
    )


def test_inception_joins_its_four_branches_along_channels_in_order():
    tinyconv.manual_seed(0)
    module = Inception(3, 2, 2, 4, 1, 3, 5)
    x = random_tensor(2, 3, 6, 5, dtype=np.float32, requires_grad=False)
    y = module(x).numpy()
    assert y.shape == (2, 2 + 4 + 3 + 5, 6, 5)
    branches = [module.branch1(x), module.branch2(x), module.branch3(x), module.branch4(x)]
    np.testing.assert_array_equal(y, np.concatenate([b.numpy() for b in branches], axis=1))


def test_inception_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    module = Inception(2, 1, 1, 2, 1, 1, 1).double()
    for parameter in module.parameters():
        if parameter.ndim == 1:
            parameter.data[...] = 0.1
    params = list(module.parameters())
    assert gradcheck(lambda x, *p: module(x), [random_tensor(1, 2, 4, 3)] + params)


def test_googlenet_inception_modules_have_table_1s_output_depths_and_parameter_counts():
    model = GoogLeNet()
    c_in = 192
    for name, (*columns, depth) in GOOGLENET_TABLE_1.items():
        module = getattr(model, name)
        assert module.out_channels == depth, name
        assert count(module) == inception_params(c_in, *columns), name
        c_in = depth


def test_googlenet_parameter_count_follows_from_table_1():
    stem = conv_params(3, 64, 7) + conv_params(64, 64, 1) + conv_params(64, 192, 3)
    inceptions, c_in = 0, 192
    for *columns, depth in GOOGLENET_TABLE_1.values():
        inceptions += inception_params(c_in, *columns)
        c_in = depth
    assert count(GoogLeNet()) == stem + inceptions + linear_params(1024, 1000) == 6_998_552


def test_googlenet_lrn_is_the_bvlc_caffe_models_with_k_1_n_5_alpha_1e_4_beta_0_75():
    # Caffe's LRN divides alpha by n, as tinyconv does: the paper's formula with alpha / n
    model = GoogLeNet(num_classes=10)
    expected = lrn_by_the_formula(LRN_PIXEL, n=5, alpha=1e-4 / 5, beta=0.75, k=1.0)
    for norm in (model.lrn1, model.lrn2):
        assert (norm.size, norm.alpha, norm.beta, norm.k) == (5, 1e-4, 0.75, 1.0)
        b = norm(Tensor(LRN_PIXEL.reshape(1, 7, 1, 1))).numpy().reshape(7)
        np.testing.assert_allclose(b, expected, rtol=1e-12)


def test_googlenet_maps_two_32x32_images_to_logits():
    model = GoogLeNet(num_classes=10).eval()
    assert model(zeros(2, 3, 32, 32)).shape == (2, 10)


def test_googlenet_auxiliary_classifiers_answer_in_training_only():
    model = GoogLeNet(aux_logits=True)
    x = zeros(1, 3, 224, 224)
    with tinyconv.no_grad():
        outputs = model.train()(x)
        assert [output.shape for output in outputs] == [(1, 1000)] * 3
        assert model.eval()(x).shape == (1, 1000)


# ================================================================================ ResNet

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


# ================================================================================ loading weights


@pytest.mark.parametrize(
    "build, head",
    [
        (lambda classes: ResNet18(num_classes=classes), "fc.weight"),
        (lambda classes: GoogLeNet(num_classes=classes), "fc.weight"),
        (lambda classes: AlexNet(num_classes=classes, small=True), "classifier.6.weight"),
    ],
)
def test_model_for_1000_classes_refuses_a_10_class_state_dict(build, head):
    ten_classes = build(10).state_dict()
    with pytest.raises(ValueError, match=f"shape mismatch for '{head}': the state dict has \\(10, "):
        build(1000).load_state_dict(ten_classes)


# ================================================================================ against torch.nn


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


def key_shapes(model) -> list:
    """[(state_dict key, shape)] in order, for a tinyconv or a torch model. A tinyconv state_dict is
    named_state() with every array copied; the names and shapes are read without the copies."""
    named = model.named_state() if isinstance(model, nn.Module) else model.state_dict().items()
    return [(name, tuple(value.shape)) for name, value in named]


def test_vgg16_state_dict_and_parameter_count_match_torch():
    torch = pytest.importorskip("torch")
    with torch.device("meta"):  # shapes only: no memory for 138 million numbers
        reference = torch_vgg(torch, 16)
    assert key_shapes(built_vgg(16)) == key_shapes(reference)
    assert count(built_vgg(16)) == sum(p.numel() for p in reference.parameters())


@pytest.mark.parametrize("depth", [11, 13, 19])
def test_vgg_features_with_batch_norm_match_torch_keys_and_shapes(depth):
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        reference = torch_vgg(torch, depth, batch_norm=True).features
    assert key_shapes(make_features(CONFIGURATIONS[depth], 3, batch_norm=True)) == key_shapes(reference)


@pytest.mark.parametrize(
    "cls, bottleneck, layers",
    [(ResNet18, False, [2, 2, 2, 2]), (ResNet34, False, [3, 4, 6, 3]), (ResNet50, True, [3, 4, 6, 3])],
)
def test_resnet_state_dict_and_parameter_count_match_torch(cls, bottleneck, layers):
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        reference = torch_resnet(torch, bottleneck, layers)
    model = built(cls)
    assert key_shapes(model) == key_shapes(reference)
    assert count(model) == sum(p.numel() for p in reference.parameters())


# One block per stage (two in the bottleneck's first, for an identity shortcut there too): every kind of
# block and shortcut of ResNet-18/50, at a fraction of the cost; the full layouts are compared above.
@pytest.mark.parametrize("block, layers", [(BasicBlock, [1, 1, 1, 1]), (Bottleneck, [2, 1, 1, 1])])
def test_resnet_forward_and_backward_match_torch_with_the_same_weights(block, layers):
    # float64: in float32, batch norm over the 1x1 maps of layer4 turns rounding noise into 1e-3 differences.
    torch = pytest.importorskip("torch")
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
    torch_parameters = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, torch_parameters[name].grad.numpy(), rtol=1e-7, atol=1e-12, err_msg=name
        )


@pytest.mark.parametrize("size, maps", [(96, "6x6"), (64, "4x4")])
def test_googlenet_auxiliary_classifiers_name_the_input_sizes_they_take(size, maps):
    model = GoogLeNet(num_classes=2, aux_logits=True).train()
    expected = rf"InceptionAux: expected maps of 14x14 to 16x16, .* 212 to 256 pixels\), got {maps}"
    with pytest.raises(ValueError, match=expected):
        with tinyconv.no_grad():
            model(Tensor(np.zeros((1, 3, size, size), dtype=np.float32)))
