"""tinyconv.viz: filters and feature maps drawn as grids of images, returned as Figures, saved atomically.

The weights and images are set by hand so that every drawn array is known in advance: a filter is
rescaled to (w - min) / (max - min), and a convolution whose kernel is c at its centre maps an image x
to c * x (without its 1-pixel border, for a 3x3 kernel without padding).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import tinyconv
from tinyconv import nn, viz
from tinyconv.autograd import is_grad_enabled

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def drawn_images(figure: Figure) -> list:
    """The arrays shown in the figure's grid, in channel order (the colour bar's axes hold none)."""
    return [axes.images[0].get_array() for axes in figure.axes if axes.images]


def grid_shape(figure: Figure) -> tuple[int, int]:
    """(rows, columns) of the grid the images sit in."""
    axes = next(axes for axes in figure.axes if axes.images)
    rows, columns, _, _ = axes.get_subplotspec().get_geometry()
    return rows, columns


def conv_with_weight(weight) -> nn.Conv2d:
    """A Conv2d without bias whose weight (C_out, C_in, kH, kW) is `weight`."""
    weight = np.asarray(weight, dtype=np.float32)
    conv = nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[2:], bias=False)
    conv.weight.data[...] = weight
    return conv


def centre_kernels(channels: int) -> nn.Conv2d:
    """Conv2d(1, channels, 3) whose kernel c is (c + 1) at its centre and 0 elsewhere, bias 0."""
    weight = np.zeros((channels, 1, 3, 3), dtype=np.float32)
    weight[:, 0, 1, 1] = np.arange(1, channels + 1)
    return conv_with_weight(weight)


class Recorder(nn.Module):
    """Passes its input on and notes, at each call, its own mode and whether a graph is recorded."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, is_grad_enabled()))
        return x


def digit_like_image() -> np.ndarray:
    """A (1, 6, 6) image of the distinct values 0.1 ... 3.6."""
    return (np.arange(1, 37, dtype=np.float32) / 10).reshape(1, 6, 6)


# ------------------------------------------------------------------------------------------ filters
@pytest.mark.parametrize("count, rows, columns", [(1, 1, 1), (6, 2, 3), (10, 3, 4), (16, 4, 4)])
def test_filters_draws_one_image_per_output_channel_in_a_near_square_grid(count, rows, columns):
    figure = viz.filters(nn.Conv2d(1, count, 3))
    assert len(drawn_images(figure)) == count
    assert grid_shape(figure) == (rows, columns)


def test_filters_rescales_each_filter_to_its_own_zero_to_one_range():
    conv = conv_with_weight([[[[0.0, 1.0], [2.0, 4.0]]], [[[-2.0, -1.0], [-1.0, 2.0]]]])
    first, second = drawn_images(viz.filters(conv))
    # (w - min) / (max - min): min 0, max 4 for the first; min -2, max 2 for the second.
    np.testing.assert_allclose(first, [[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_allclose(second, [[0.0, 0.25], [0.25, 1.0]])


def test_filters_draws_a_constant_filter_mid_grey():
    (picture,) = drawn_images(viz.filters(conv_with_weight(np.full((1, 1, 2, 2), 3.0))))
    np.testing.assert_array_equal(picture, np.full((2, 2), 0.5))


def test_filters_draws_three_input_channels_as_one_rgb_image_rescaled_together():
    weight = np.arange(12, dtype=np.float32).reshape(1, 3, 2, 2)  # channel c holds 4c .. 4c + 3
    (picture,) = drawn_images(viz.filters(conv_with_weight(weight)))
    assert picture.shape == (2, 2, 3)  # (kH, kW, red green blue)
    np.testing.assert_allclose(picture[0, 0], [0 / 11, 4 / 11, 8 / 11])
    np.testing.assert_allclose(picture[1, 1], [3 / 11, 7 / 11, 11 / 11])


def test_filters_draws_other_input_channel_counts_as_the_grey_mean_and_says_so():
    weight = [[[[0.0, 2.0], [4.0, 6.0]], [[2.0, 2.0], [2.0, 2.0]]]]  # mean [[1, 2], [3, 4]]
    figure = viz.filters(conv_with_weight(weight))
    (picture,) = drawn_images(figure)
    np.testing.assert_allclose(picture, [[0.0, 1 / 3], [2 / 3, 1.0]])
    assert "mean of 2 input channels" in figure.get_suptitle()


def test_filters_draws_a_single_input_channel_in_grey():
    figure = viz.filters(nn.Conv2d(1, 2, 3))
    assert all(picture.ndim == 2 for picture in drawn_images(figure))
    assert "(grey)" in figure.get_suptitle()


def test_filters_draws_only_the_first_max_images_and_says_so():
    figure = viz.filters(nn.Conv2d(1, 10, 3), max_images=4)
    assert len(drawn_images(figure)) == 4
    assert "10 filters" in figure.get_suptitle() and "the first 4" in figure.get_suptitle()


@pytest.mark.parametrize("layer", [nn.Linear(2, 3), nn.ReLU(), object()])
def test_filters_rejects_a_layer_without_a_4d_weight(layer):
    with pytest.raises(TypeError, match="convolution layer with a 4-D weight"):
        viz.filters(layer)


@pytest.mark.parametrize("max_images", [0, -1, 2.5, True])
def test_filters_rejects_a_max_images_that_is_not_a_positive_int(max_images):
    with pytest.raises(ValueError, match="max_images must be a positive int"):
        viz.filters(nn.Conv2d(1, 2, 3), max_images=max_images)


# ------------------------------------------------------------------------------------- feature maps
def test_feature_maps_draws_each_channel_of_the_layer_output():
    model = nn.Sequential(centre_kernels(4), nn.ReLU())
    image = digit_like_image()
    maps = drawn_images(viz.feature_maps(model, "0", image))
    assert len(maps) == 4
    for channel, picture in enumerate(maps):
        np.testing.assert_allclose(picture, (channel + 1) * image[0, 1:5, 1:5], rtol=1e-6)


def test_feature_maps_draws_all_maps_on_one_colour_scale():
    image = digit_like_image()
    figure = viz.feature_maps(nn.Sequential(centre_kernels(3)), "0", image)
    scales = {axes.images[0].get_clim() for axes in figure.axes if axes.images}
    assert len(scales) == 1
    # The smallest value is 1 * 0.8 (map 0 at the top left), the largest 3 * 2.9 (map 2 at the bottom right).
    assert scales.pop() == pytest.approx((0.8, 8.7))
    assert len(figure.axes) == 3 + 1  # the maps and one colour bar


def test_feature_maps_accepts_the_layer_or_its_dotted_name_and_a_tensor_or_a_batch_of_one():
    model = nn.Sequential(nn.Sequential(centre_kernels(2)), nn.ReLU())
    image = digit_like_image()
    by_name = drawn_images(viz.feature_maps(model, "0.0", image))
    by_module = drawn_images(viz.feature_maps(model, model[0][0], tinyconv.Tensor(image[None])))
    for a, b in zip(by_name, by_module):
        np.testing.assert_array_equal(a, b)


def test_feature_maps_draws_only_the_first_max_images_channels():
    figure = viz.feature_maps(nn.Sequential(centre_kernels(5)), "0", digit_like_image(), max_images=2)
    assert len(drawn_images(figure)) == 2
    assert "the first 2" in figure.get_suptitle()


def test_feature_maps_runs_in_eval_mode_without_a_graph_and_gives_every_module_its_mode_back():
    recorder = Recorder()
    model = nn.Sequential(centre_kernels(1), recorder, nn.Dropout(0.5))
    model[2].eval()  # one module already in eval mode: it must stay so, the others go back to train
    viz.feature_maps(model, "1", digit_like_image())
    assert recorder.seen == [(False, False)]
    assert [module.training for module in model.modules()] == [True, True, True, False]


def test_feature_maps_removes_its_hook_from_the_layer():
    model = nn.Sequential(centre_kernels(1))
    viz.feature_maps(model, "0", digit_like_image())
    assert model[0].forward_hooks == []


def test_feature_maps_on_an_unknown_layer_name_lists_the_valid_names():
    model = nn.Sequential(centre_kernels(1), nn.ReLU())
    with pytest.raises(ValueError, match=r"no layer named 'conv9'; its layers: '0', '1'$"):
        viz.feature_maps(model, "conv9", digit_like_image())


def test_feature_maps_on_an_unknown_layer_name_of_a_large_model_lists_the_first_names_and_counts_the_rest():
    model = nn.Sequential(*[nn.ReLU() for _ in range(25)])
    with pytest.raises(ValueError, match=r"its layers: '0', '1', .*'19' and 5 more$"):
        viz.feature_maps(model, "features.0", digit_like_image())


def test_feature_maps_on_a_model_without_sub_modules_says_it_has_no_layers():
    with pytest.raises(ValueError, match=r"no layer named '0'; its layers: none$"):
        viz.feature_maps(nn.ReLU(), "0", digit_like_image())


def test_feature_maps_rejects_a_layer_that_is_not_part_of_the_model():
    with pytest.raises(ValueError, match="Conv2d layer is not part of the model"):
        viz.feature_maps(nn.Sequential(nn.ReLU()), nn.Conv2d(1, 1, 3), digit_like_image())


def test_feature_maps_rejects_a_layer_given_as_neither_module_nor_name():
    with pytest.raises(TypeError, match="must be a sub-module of the model or its dotted name, got int$"):
        viz.feature_maps(nn.Sequential(nn.ReLU()), 0, digit_like_image())


def test_feature_maps_rejects_a_layer_whose_output_has_no_channels_and_pixels():
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 3))
    with pytest.raises(ValueError, match=r"layer '1' gave an output of shape \(1, 3\); .*\(N, C, H, W\)"):
        viz.feature_maps(model, "1", digit_like_image())


def test_feature_maps_rejects_a_layer_that_does_not_run():
    class SkipsALayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.ReLU(), nn.ReLU()

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ValueError, match="layer 'unused' did not run"):
        viz.feature_maps(SkipsALayer(), "unused", digit_like_image())


@pytest.mark.parametrize("shape", [(6, 6), (2, 1, 6, 6), (1, 1, 1, 6, 6)])
def test_feature_maps_rejects_anything_but_one_image(shape):
    with pytest.raises(ValueError, match=r"one image \(C, H, W\) or a batch of one \(1, C, H, W\)"):
        viz.feature_maps(nn.Sequential(nn.ReLU()), "0", np.zeros(shape, dtype=np.float32))


def test_feature_maps_rejects_a_model_that_is_not_a_module():
    with pytest.raises(TypeError, match="model must be a tinyconv.nn.Module, got function"):
        viz.feature_maps(lambda x: x, "0", digit_like_image())


# -------------------------------------------------------------------------------- figures and files
def test_both_return_a_figure_without_opening_a_pyplot_window():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    figures = [
        viz.filters(nn.Conv2d(1, 2, 3)),
        viz.feature_maps(nn.Sequential(centre_kernels(2)), "0", digit_like_image()),
    ]
    assert all(isinstance(figure, Figure) for figure in figures)
    assert plt.get_fignums() == before


@pytest.mark.parametrize("draw", ["filters", "feature_maps"])
def test_a_path_gets_a_png_and_no_temporary_file_is_left_beside_it(tmp_path, draw):
    path = tmp_path / "new folder" / "picture.png"
    if draw == "filters":
        viz.filters(nn.Conv2d(1, 2, 3), path=path)
    else:
        viz.feature_maps(nn.Sequential(centre_kernels(2)), "0", digit_like_image(), path=str(path))
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert os.listdir(path.parent) == ["picture.png"]


def test_a_save_that_fails_half_way_leaves_neither_the_file_nor_a_temporary_one(tmp_path, monkeypatch):
    def write_half_then_fail(figure, file, **kwargs):
        file.write(PNG_SIGNATURE)
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        viz.filters(nn.Conv2d(1, 2, 3), path=tmp_path / "picture.png")
    assert os.listdir(tmp_path) == []


def test_importing_tinyconv_does_not_import_matplotlib():
    code = "import sys, tinyconv; print('matplotlib' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
