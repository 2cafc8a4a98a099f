"""YOLOv1 (tinyconv/models/yolo.py): the S x S x (B * 5 + C) output, each cell's numbers the head's
at that position, the layer table's parameter count and receptive field, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
from tinyconv.models import YOLOv1, receptive_field


def test_the_output_is_s_by_s_by_b_times_5_plus_c():
    tinyconv.manual_seed(0)
    assert YOLOv1()(tinyconv.randn(2, 1, 96, 96)).shape == (2, 6, 6, 2 * 5 + 10)
    small = YOLOv1(num_classes=3, grid_size=4, num_boxes=3, in_channels=2, widths=(4, 4, 8, 8))
    assert small.image_size == 64
    assert small(tinyconv.randn(1, 2, 64, 64)).shape == (1, 4, 4, 3 * 5 + 3)


def test_each_cell_holds_the_head_output_at_its_position():
    tinyconv.manual_seed(0)
    model = YOLOv1(grid_size=3, widths=(4, 4, 8, 8)).eval()
    x = tinyconv.randn(2, 1, 48, 48)
    maps = model.head(model.features(x)).numpy()  # (N, B * 5 + C, S, S)
    output = model(x).numpy()
    for i, j in [(0, 0), (0, 2), (2, 1)]:
        np.testing.assert_array_equal(output[:, i, j, :], maps[:, :, i, j])  # row i, column j


def test_the_parameter_count_of_the_layer_table():
    # 3x3 convolutions without bias, each followed by BatchNorm2d (weight and bias per channel), then
    # the 1x1 head with bias: 128 * 20 + 20
    convolutions = [(1, 16), (16, 32), (32, 64), (64, 128), (128, 128)]
    expected = sum(9 * a * b + 2 * b for a, b in convolutions) + 128 * 20 + 20
    assert expected == 247_684
    assert sum(p.numel() for p in YOLOv1().parameters()) == expected


def test_a_cell_sees_75_pixels_at_a_stride_of_16():
    field = receptive_field(YOLOv1().features)
    assert field.size == (75, 75) and field.stride == (16, 16)


@pytest.mark.parametrize("shape", [(1, 1, 64, 64), (1, 3, 96, 96), (1, 1, 96, 80), (96, 96)])
def test_images_of_another_shape_are_refused_before_any_work(shape):
    expected = r"YOLOv1: expected images \(N, 1, 96, 96\) for a 6x6 grid of 16-pixel cells"
    with pytest.raises(ValueError, match=expected):
        YOLOv1()(tinyconv.zeros(*shape))


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"grid_size": 0}, "grid_size must be a positive int, got 0"),
        ({"num_boxes": 0}, "num_boxes must be a positive int, got 0"),
        ({"num_classes": -1}, "num_classes must be a positive int, got -1"),
        ({"grid_size": 6.0}, "grid_size must be a positive int, got 6.0"),
        ({"num_boxes": True}, "num_boxes must be a positive int, got True"),
        ({"widths": (16, 32, 64)}, "widths must give the channels of the 4 stages"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        YOLOv1(**settings)
