"""FCN (tinyconv/models/fcn.py): a score map of the input's size, the skips silent at the start (the
output is the coarse score, upsampled by the bilinear transposed convolutions), gradients reaching every
parameter, the receptive field the docstring states, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
import tinyconv.functional as F
from tinyconv import nn
from tinyconv.models import receptive_field
from tinyconv.models.fcn import FCN

RNG = np.random.default_rng(0)


def images(*shape) -> tinyconv.Tensor:
    return tinyconv.Tensor(RNG.standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("height, width", [(64, 64), (32, 48), (8, 8)])
def test_fcn_gives_a_score_per_class_and_pixel(height, width):
    assert FCN(num_classes=11)(images(2, 1, height, width)).shape == (2, 11, height, width)


def test_at_the_start_the_output_is_the_coarsest_score_upsampled_three_times():
    model = FCN(num_classes=5, widths=(4, 4, 6, 8))
    x = images(1, 1, 16, 24)
    with tinyconv.no_grad():
        coarse = model.score[3](model.stage4(model.stage3(model.stage2(model.stage1(x)))))
        expected = model.up[0](model.up[1](model.up[2](coarse)))
        np.testing.assert_array_equal(model(x).numpy(), expected.numpy())


def test_each_upsampling_starts_as_bilinear_interpolation_away_from_the_border():
    # The bilinear kernel of size 4, stride 2, padding 1 is F.interpolate's bilinear x2 (align_corners
    # False) wherever a pixel has neighbours on both sides; at the border, the missing neighbour is 0.
    up = FCN(num_classes=3).up[0]
    scores = images(1, 3, 6, 6)
    with tinyconv.no_grad():
        got = up(scores).numpy()
        bilinear = F.interpolate(scores, scale_factor=2, mode="bilinear").numpy()
    np.testing.assert_allclose(got[:, :, 1:-1, 1:-1], bilinear[:, :, 1:-1, 1:-1], rtol=1e-5, atol=1e-6)


def test_one_backward_pass_reaches_every_parameter_the_silent_skips_included():
    model = FCN(num_classes=4, widths=(4, 4, 6, 8))
    target = tinyconv.Tensor(RNG.integers(0, 4, (2, 16, 16)))
    F.cross_entropy(model(images(2, 1, 16, 16)), target).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and np.abs(parameter.grad).sum() > 0, name


def test_batch_norm_puts_one_after_every_convolution_of_the_encoder():
    model = FCN(batch_norm=True)
    encoder = [layer for stage in (model.stage1, model.stage2, model.stage3, model.stage4) for layer in stage]
    convolutions = [k for k, layer in enumerate(encoder) if isinstance(layer, nn.Conv2d)]
    assert len(convolutions) == 7
    assert all(isinstance(encoder[k + 1], nn.BatchNorm2d) and encoder[k].bias is None for k in convolutions)
    assert FCN(batch_norm=True)(images(2, 1, 16, 16)).shape == (2, 11, 16, 16)


def test_the_coarsest_score_sees_66_pixels_as_the_docstring_says():
    model = FCN()
    encoder = nn.Sequential(model.stage1, model.stage2, model.stage3, model.stage4, model.score[3])
    field = receptive_field(encoder)
    assert (field.size, field.stride) == ((66, 66), (8, 8))


@pytest.mark.parametrize("shape", [(1, 1, 60, 64), (1, 1, 64, 12), (1, 64, 64)])
def test_an_input_whose_sides_are_not_multiples_of_8_is_refused(shape):
    with pytest.raises(ValueError, match="FCN: expected images \\(N, C, H, W\\) with H and W multiples of 8"):
        FCN()(images(*shape))


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(num_classes=0), "num_classes"),
        (dict(widths=(8, 8, 8)), "widths must give the channels of the 4"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        FCN(**settings)
