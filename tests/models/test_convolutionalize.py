"""convolutionalize (tinyconv/models/convolutionalize.py): the same logits at the classifier's input size
for LeNet-5, VGG's layout and AlexNet (float64, equal to rounding); on a canvas, each heat-map pixel is
the classifier applied to its window, checked against explicit crops; the receptive field by hand and
against the pixels a gradient reaches; copies, not shared weights; the errors, raised before any work.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.models import without_random_weights

import tinyconv
from tinyconv import nn
from tinyconv.models import (
    AlexNet,
    FullyConvolutional,
    LeNet5,
    ReceptiveField,
    convolutionalize,
    receptive_field,
)
from tinyconv.models.vgg import POOL, VGG, make_features

RNG = np.random.default_rng(0)


def images(n: int, channels: int, height: int, width: int) -> tinyconv.Tensor:
    return tinyconv.Tensor(RNG.standard_normal((n, channels, height, width)))


def logits_of(model, x) -> np.ndarray:
    with tinyconv.no_grad():
        return model(x).numpy()


class SmallVGG(nn.Module):
    """VGG's layout and its own forward (features, AdaptiveAvgPool2d((7, 7)), three Linear layers with
    ReLU and dropout) at widths that run in milliseconds. At 32x32 the features end with 4x4 maps, which
    the adaptive pooling spreads over 7x7 in overlapping windows: the folding case at its hardest."""

    forward = VGG.forward

    def __init__(self, in_channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.features = make_features([8, POOL, 16, POOL, 16, POOL], in_channels, batch_norm=True)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(16 * 7 * 7, 32),
            nn.ReLU(),
            nn.Dropout(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Dropout(),
            nn.Linear(32, num_classes),
        )


def small_vgg() -> SmallVGG:
    """A SmallVGG in float64 and eval mode, with batch norm statistics that are not the identity."""
    model = SmallVGG().double().eval()
    for layer in model.features:
        if isinstance(layer, nn.BatchNorm2d):
            layer.running_mean.data[...] = RNG.standard_normal(layer.num_features)
            layer.running_var.data[...] = RNG.uniform(0.5, 2.0, layer.num_features)
    return model


# ------------------------------------------------------------------- same logits at input_size
@pytest.mark.parametrize(
    "build, input_size",
    [
        (lambda: LeNet5().double().eval(), 28),
        (small_vgg, 32),
        (lambda: AlexNet(num_classes=10, small=True, in_channels=1).double().eval(), 32),
    ],
    ids=["LeNet5", "VGG layout", "AlexNet small"],
)
def test_convolutionalized_model_gives_the_same_logits_as_a_1x1_map_at_the_input_size(build, input_size):
    model = build()
    x = images(3, 1, input_size, input_size)
    fully_convolutional = convolutionalize(model, input_size)
    got = logits_of(fully_convolutional, x)
    assert got.shape == (3, 10, 1, 1)
    np.testing.assert_allclose(got[:, :, 0, 0], logits_of(model, x), rtol=1e-12, atol=1e-12)


def test_lenet5_becomes_its_features_then_a_5x5_convolution_and_two_1x1_convolutions():
    converted = convolutionalize(LeNet5(), 28)
    first, second, third = (converted.classifier[k] for k in (0, 2, 4))
    assert (first.in_channels, first.out_channels, first.kernel_size) == (16, 120, (5, 5))
    assert (second.weight.shape, third.weight.shape) == ((84, 120, 1, 1), (10, 84, 1, 1))
    assert isinstance(converted.classifier[1], nn.ReLU) and isinstance(converted, FullyConvolutional)
    assert len(converted.features) == 6  # C1, ReLU, S2, C3, ReLU, S4, copied


def test_the_state_dict_keeps_the_models_keys_with_convolution_shapes():
    model = LeNet5()
    converted = convolutionalize(model, 28)
    assert list(converted.state_dict()) == list(model.state_dict())
    np.testing.assert_array_equal(
        converted.state_dict()["classifier.0.weight"],
        model.state_dict()["classifier.0.weight"].reshape(120, 16, 5, 5),
    )


def test_vggs_adaptive_pooling_is_folded_into_the_first_convolution():
    converted = convolutionalize(small_vgg(), 32)
    assert not any(isinstance(layer, nn.AdaptiveAvgPool2d) for layer in converted.modules())
    assert converted.classifier[0].weight.shape == (32, 16, 4, 4)  # the 4x4 map, not the pooled 7x7


def test_alexnets_dropout_before_the_first_linear_stays_at_the_head_of_the_classifier():
    converted = convolutionalize(AlexNet(num_classes=10, small=True, in_channels=1), 32)
    assert isinstance(converted.classifier[0], nn.Dropout)
    assert converted.classifier[1].weight.shape == (256, 64, 3, 3)


# --------------------------------------------------------------------- heat-maps against crops
def no_padding_sequential() -> nn.Sequential:
    """A classifier for 22x22 images with no padding anywhere: 22 -> conv 20 -> pool 10 -> conv 8 ->
    pool 4, a 6x4x4 map, total stride 4."""
    return nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(),
        nn.Linear(6 * 4 * 4, 12),
        nn.ReLU(),
        nn.Linear(12, 5),
    )


class PooledNoPadding(nn.Module):
    """VGG's layout with no padding, for 20x20 images: 20 -> conv 18 -> pool 9 -> conv 7, then an
    adaptive pooling of the 7x7 maps to 3x3 in overlapping windows [0, 3), [2, 5), [4, 7). Stride 2."""

    forward = VGG.forward

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 5, 3), nn.ReLU()
        )
        self.avgpool = nn.AdaptiveAvgPool2d(3)
        self.classifier = nn.Sequential(nn.Linear(5 * 3 * 3, 12), nn.ReLU(), nn.Linear(12, 7))


@pytest.mark.parametrize(
    "build, input_size, stride",
    [(no_padding_sequential, 22, 4), (PooledNoPadding, 20, 2)],
    ids=["Sequential with Flatten", "adaptive pooling folded"],
)
def test_each_heat_map_pixel_is_the_classifier_on_the_window_at_the_heat_maps_stride(
    build, input_size, stride
):
    model = build().double().eval()
    canvas = images(2, 1, 46, 38)
    heat_maps = logits_of(convolutionalize(model, input_size), canvas)
    rows, columns = (46 - input_size) // stride + 1, (38 - input_size) // stride + 1
    assert heat_maps.shape[2:] == (rows, columns)
    crops = [
        canvas.numpy()[:, :, i * stride : i * stride + input_size, j * stride : j * stride + input_size]
        for i in range(rows)
        for j in range(columns)
    ]
    one_by_one = logits_of(model, tinyconv.Tensor(np.concatenate(crops)))  # (rows * columns * 2, classes)
    expected = one_by_one.reshape(rows, columns, 2, -1).transpose(2, 3, 0, 1)
    np.testing.assert_allclose(heat_maps, expected, rtol=1e-12, atol=1e-12)


def test_lenet5_heat_map_pixel_is_the_classifier_on_its_32x32_window_of_the_zero_padded_canvas():
    # LeNet-5's first convolution pads by 2, so a heat-map pixel reads the 28x28 window at (4i, 4j) and
    # the 2-pixel ring around it. That is LeNet-5 with an unpadded C1 on the 32x32 window of the canvas
    # padded by 2 with zeros, the pixels its receptive field names.
    model = LeNet5().double().eval()
    canvas = images(1, 1, 44, 36)
    heat_map = logits_of(convolutionalize(model, 28), canvas)[0]
    assert heat_map.shape == (10, 5, 3)  # (44 - 28) / 4 + 1 rows, (36 - 28) / 4 + 1 columns
    field = receptive_field(convolutionalize(model, 28))
    assert field == ReceptiveField(size=(32, 32), stride=(4, 4), start=(-2, -2))
    padded = np.pad(canvas.numpy(), ((0, 0), (0, 0), (2, 2), (2, 2)))
    model.features[0].padding = (0, 0)
    for i in range(5):
        for j in range(3):
            window = padded[:, :, 4 * i : 4 * i + 32, 4 * j : 4 * j + 32]
            np.testing.assert_allclose(
                heat_map[:, i, j], logits_of(model, tinyconv.Tensor(window))[0], rtol=1e-12
            )


def test_lenet5_heat_map_agrees_with_the_classifier_on_a_crop_surrounded_by_zeros():
    # Where the ring around a window holds zeros on the canvas too, the context is the padding itself.
    model = LeNet5().double().eval()
    canvas = np.zeros((1, 1, 40, 40))
    canvas[:, :, 8:36, 4:32] = RNG.standard_normal((28, 28))
    heat_map = logits_of(convolutionalize(model, 28), tinyconv.Tensor(canvas))[0]
    alone = logits_of(model, tinyconv.Tensor(canvas[:, :, 8:36, 4:32]))[0]
    np.testing.assert_allclose(heat_map[:, 2, 1], alone, rtol=1e-12)


def test_nested_sequentials_are_opened_up_in_order():
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU()), nn.Flatten(), nn.Sequential(nn.Linear(3 * 4 * 4, 5))
    ).double()
    converted = convolutionalize(model, 6)
    assert converted.classifier[0].weight.shape == (5, 3, 4, 4)
    x = images(2, 1, 6, 6)
    np.testing.assert_allclose(logits_of(converted, x)[:, :, 0, 0], logits_of(model, x), rtol=1e-12)


# ------------------------------------------------------------------------------ receptive field
def test_receptive_field_by_hand_for_alexnet_at_the_size_of_the_paper():
    # conv1 11/4: 11, jump 4; pool 3/2: +2*4 = 19, jump 8; conv2 5 pad 2: +4*8 = 51, start -16;
    # pool 3/2: +2*8 = 67, jump 16; conv3-5 3 pad 1: +2*16 each = 163, start -16-3*16 = -64;
    # pool 3/2: +2*16 = 195, jump 32; fc6 as a 6x6 convolution: +5*32 = 355; fc7, fc8 1x1: nothing.
    model = without_random_weights(lambda: AlexNet(num_classes=10, in_channels=1))  # only its shapes matter
    model.classifier = nn.Sequential(nn.Linear(256 * 6 * 6, 8), nn.ReLU(), nn.Linear(8, 10))  # small fc
    assert receptive_field(convolutionalize(model, 227)) == ReceptiveField((355, 355), (32, 32), (-64, -64))


def test_receptive_field_is_where_the_gradient_of_one_output_pixel_reaches():
    # Linear layers only (convolutions and average pooling, no ReLU or max), so that every input pixel
    # in the window really moves the output pixel: the gradient's support is the whole field.
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.AvgPool2d(2),
        nn.Conv2d(2, 2, 3, dilation=2),
        nn.AvgPool2d(3, stride=2, padding=1),
        nn.Conv2d(2, 1, (3, 1)),
    ).double()
    field = receptive_field(model)
    x = tinyconv.Tensor(RNG.standard_normal((1, 1, 60, 60)), requires_grad=True)
    y = model(x)
    i, j = 3, 4
    y[0, 0, i, j].backward()
    rows, columns = np.nonzero(x.grad[0, 0])
    first = (field.start[0] + i * field.stride[0], field.start[1] + j * field.stride[1])
    assert (rows.min(), rows.max()) == (max(first[0], 0), first[0] + field.size[0] - 1)
    assert (columns.min(), columns.max()) == (max(first[1], 0), first[1] + field.size[1] - 1)


def test_receptive_field_refuses_a_layer_that_does_not_slide():
    with pytest.raises(
        ValueError,
        match=r"receptive_field: 6 \(Flatten\) is not a sliding or pixel-wise layer; convolutionalize",
    ):
        receptive_field(no_padding_sequential())


# ---------------------------------------------------------------------------- copies, not views
def test_weights_are_copies_and_the_original_model_is_untouched():
    model = LeNet5()
    before = {key: value.copy() for key, value in model.state_dict().items()}
    converted = convolutionalize(model, 28)
    originals = dict(model.named_parameters())
    for name, parameter in converted.named_parameters():
        assert not np.shares_memory(parameter.data, originals[name].data), name
        parameter.data[...] = 0
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert isinstance(model.classifier[0], nn.Linear)


def test_the_result_keeps_the_models_mode_and_dtype():
    model = LeNet5().double().eval()
    converted = convolutionalize(model, 28)
    assert not any(module.training for module in converted.modules())
    assert all(p.dtype == np.float64 for p in converted.parameters())
    assert all(module.training for module in convolutionalize(LeNet5(), 28).modules())


# ----------------------------------------------------------------------------------- bad input
def test_a_model_without_a_linear_layer_is_refused():
    convolutions = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 10, 1))
    with pytest.raises(ValueError, match="Sequential has no Linear layer, so there is nothing to turn"):
        convolutionalize(convolutions, 28)


def test_an_input_size_whose_features_do_not_match_the_first_linear_is_refused():
    with pytest.raises(
        ValueError,
        match=r"input_size 32x32 does not fit LeNet5: its features give a 16x6x6 map \(576 numbers\), "
        r"but classifier.0 \(Linear\) takes 400 inputs",
    ):
        convolutionalize(LeNet5(), 32)


def test_an_input_size_too_small_for_the_features_is_refused_naming_the_layer():
    with pytest.raises(
        ValueError, match=r"input_size 8x8 is too small for LeNet5: features.3 \(Conv2d\) gets a 4x4"
    ):
        convolutionalize(LeNet5(), 8)


@pytest.mark.parametrize("input_size", [0, (28, -1), 2.5, "28"])
def test_an_input_size_that_is_not_a_positive_size_is_refused(input_size):
    with pytest.raises((ValueError, TypeError), match="input_size"):
        convolutionalize(LeNet5(), input_size)


def test_a_model_of_another_layout_is_refused_with_what_to_do():
    class TwoParts(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Conv2d(1, 2, 3)
            self.head = nn.Linear(2, 3)

    with pytest.raises(
        ValueError, match=r"children are \['body', 'head'\]\); write its layers as one nn.Sequential"
    ):
        convolutionalize(TwoParts(), 3)


def test_a_layer_after_the_first_linear_that_cannot_work_on_a_map_is_refused():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    with pytest.raises(ValueError, match=r"2 \(BatchNorm1d\) comes after the first Linear"):
        convolutionalize(model, 4)


def test_a_sequential_without_a_flatten_before_its_first_linear_is_refused():
    with pytest.raises(ValueError, match=r"no Flatten before 1 \(Linear\)"):
        convolutionalize(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(2, 3)), 5)


def test_a_convolution_after_the_adaptive_pooling_is_refused():
    model = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Conv2d(1, 1, 1), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(
        ValueError, match=r"1 \(Conv2d\) after the map was flattened or pooled to a fixed size"
    ):
        convolutionalize(model, 8)


def test_refusals_come_before_any_copy(monkeypatch):
    copies = []
    monkeypatch.setattr("copy.deepcopy", lambda layer, *args: copies.append(layer))
    with pytest.raises(ValueError):
        convolutionalize(LeNet5(), 32)
    assert copies == []


def test_a_multilayer_perceptron_becomes_one_convolution_over_the_image():
    # No convolution before the first Linear: the channels are what its width implies (784 = 1 x 28 x 28).
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10)).double()
    converted = convolutionalize(model, 28)
    assert converted.classifier[0].weight.shape == (16, 1, 28, 28)
    x = images(2, 1, 28, 28)
    np.testing.assert_allclose(logits_of(converted, x)[:, :, 0, 0], logits_of(model, x), rtol=1e-12)
