"""demos/param_counts.py counts, with real tinyconv modules, what the CNN design claims say: stacked 3x3
convolutions, the 1x1 bottleneck, VGG-16's fully connected share; every count against its formula."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import param_counts
import pytest

from tinyconv import init
from tinyconv.models import vgg16

# Expected counts from the formulas: a convolution with C_in inputs and C_out k x k filters holds
# C_out * (C_in * k * k + 1) parameters and does C_in * k * k multiply-adds per output value.


def conv_weights(c_in: int, c_out: int, k: int) -> int:
    return c_out * c_in * k * k


def zero_weights(tensor, *args, **kwargs):
    """Stands in for init.kaiming_uniform_: zeros, which cost nothing until they are written."""
    tensor.data = np.zeros(tensor.shape, dtype=tensor.dtype)
    return tensor


def vgg16_with_zero_weights(**kwargs):
    """VGG-16 without drawing its 138 million random weights (8 s and 1.7 GB in the demo's default run):
    the demo counts parameters and multiply-adds, which do not depend on the values."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(init, "kaiming_uniform_", zero_weights)
        return vgg16(**kwargs)


@pytest.fixture(scope="module")
def param_counts_run():
    """(what param_counts.main returns, what it prints) for C = 4 and a 32x32 VGG-16 input."""
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(param_counts, "vgg16", vgg16_with_zero_weights)
        results = param_counts.main(["--channels", "4", "--vgg-input", "32"])
    return results, printed.getvalue()


def stack_result(results: dict, kernel: int, depth: int) -> dict:
    (row,) = [row for row in results["stacks"] if (row["kernel"], row["depth"]) == (kernel, depth)]
    return row


@pytest.mark.parametrize("depth, large", [(2, 5), (3, 7)])
def test_param_counts_stacked_3x3_convolutions_see_as_far_as_one_large_one(param_counts_run, depth, large):
    results, _ = param_counts_run
    stacked, single = stack_result(results, 3, depth), stack_result(results, large, 1)
    # each 3x3 layer widens the field by 2 pixels: 1 + 2 * depth = large
    assert stacked["field"] == single["field"] == 1 + 2 * depth == large
    assert stacked["measured"] == single["measured"] == (large, large)


@pytest.mark.parametrize("depth, large, printed_ratio", [(2, 5, "1.39"), (3, 7, "1.81")])
def test_param_counts_stacked_3x3_convolutions_hold_fewer_weights(
    param_counts_run, depth, large, printed_ratio
):
    # C channels in and out: depth * 9C^2 weights against large^2 C^2 (18 vs 25, 27 vs 49)
    results, printed = param_counts_run
    assert stack_result(results, 3, depth)["per_c2"] == depth * 3 * 3 == {2: 18, 3: 27}[depth]
    assert stack_result(results, large, 1)["per_c2"] == large * large == {5: 25, 7: 49}[large]
    assert (
        f"{depth} x 3x3 vs 1 x {large}x{large}: the same {large}x{large} field with {depth * 9}C^2 "
        f"instead of {large * large}C^2 weights, {printed_ratio}x fewer"
    ) in printed


def test_param_counts_1x1_bottleneck_cuts_the_5x5_branch_by_the_formulas_factor(param_counts_run):
    results, printed = param_counts_run
    # inception (3a): 192 channels, reduced to 16 by a 1x1 convolution, then a 5x5 convolution to 32
    straight_params = conv_weights(192, 32, 5) + 32
    bottleneck_params = conv_weights(192, 16, 1) + 16 + conv_weights(16, 32, 5) + 32
    straight_macs, bottleneck_macs = 192 * 25 * 32, 192 * 16 + 16 * 25 * 32  # per output pixel
    assert (straight_params, bottleneck_params) == (153_632, 15_920)  # the demo's docstring
    factors = results["bottleneck"]
    assert factors["branch_params"] == pytest.approx(straight_params / bottleneck_params, rel=1e-12)
    assert factors["branch_macs"] == pytest.approx(straight_macs / bottleneck_macs, rel=1e-12)
    assert "the bottleneck branch: 9.65x fewer parameters, 9.68x fewer multiply-adds" in printed


def test_param_counts_inception_module_is_cheaper_than_the_naive_one_by_the_formulas_factor(param_counts_run):
    results, printed = param_counts_run
    naive_params = (
        conv_weights(192, 64, 1) + conv_weights(192, 128, 3) + conv_weights(192, 32, 5) + 64 + 128 + 32
    )
    module_params = (
        conv_weights(192, 64, 1)
        + conv_weights(192, 96, 1)
        + conv_weights(96, 128, 3)
        + conv_weights(192, 16, 1)
        + conv_weights(16, 32, 5)
        + conv_weights(192, 32, 1)
        + 64 + 96 + 128 + 16 + 32 + 32
    )  # fmt: skip
    # per output pixel, a convolution's weights are its multiply-adds (every branch keeps the map size)
    naive_macs = naive_params - (64 + 128 + 32)
    module_macs = module_params - (64 + 96 + 128 + 16 + 32 + 32)
    assert (naive_params, module_params) == (387_296, 163_696)  # the demo's docstring
    factors = results["bottleneck"]
    assert factors["module_params"] == pytest.approx(naive_params / module_params, rel=1e-12)
    assert factors["module_macs"] == pytest.approx(naive_macs / module_macs, rel=1e-12)
    assert "the module: 2.37x fewer parameters, 2.37x fewer multiply-adds, and 256 output channels" in printed


VGG16_WIDTHS = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG16_FULLY_CONNECTED = 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000


def vgg16_convolution_multiply_adds(side: int) -> int:
    """Multiply-adds of VGG-16's 3x3 convolutions for one side x side image (each pool halves the side)."""
    total, c_in = 0, 3
    for item in VGG16_WIDTHS:
        if item == "M":
            side //= 2
        else:
            total += c_in * 9 * item * side * side
            c_in = item
    return total


def test_param_counts_vgg16_fully_connected_layers_hold_89_percent_of_the_parameters(param_counts_run):
    results, printed = param_counts_run
    params = results["vgg16"]["params"]
    assert params["Linear"] == VGG16_FULLY_CONNECTED == 123_642_856
    assert params["Linear"] + params["Conv2d"] == 138_357_544
    assert params["Linear"] / 138_357_544 == pytest.approx(0.894, abs=0.0005)
    assert results["vgg16"]["fc6"] == 25088 * 4096 + 4096
    assert "fc6 alone (25088 -> 4096): 102,764,544 parameters, 74.3% of the network" in printed


def test_param_counts_vgg16_multiply_adds_follow_the_formula(param_counts_run):
    results, _ = param_counts_run
    macs = results["vgg16"]["macs"]
    assert macs["Conv2d"] == vgg16_convolution_multiply_adds(32)
    # the classifier sees 512 x 7 x 7 values whatever the input (adaptive pooling): in * out per layer
    assert macs["Linear"] == 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    # the same formula at 224x224 gives the docstring's default run: 15.35 G of 15.47 G, 99.2%
    convolutions = vgg16_convolution_multiply_adds(224)
    assert round(convolutions / 1e9, 2) == 15.35
    assert round((convolutions + macs["Linear"]) / 1e9, 2) == 15.47


def test_param_counts_refuses_a_vgg_input_too_small_for_five_poolings(capsys):
    with pytest.raises(SystemExit):
        param_counts.parse_args(["--vgg-input", "16"])
    assert "--vgg-input must be at least 32 (five 2x2 poolings), got 16" in capsys.readouterr().err
