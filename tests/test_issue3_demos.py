"""Issue 3's demos (small AlexNet, plain against residual depth, filters and feature maps, parameter
counts) run end to end in CI-sized runs and show what they claim (the default runs' numbers are in the
demos' docstrings). Fashion-MNIST is read from small files in its format, made here as
tests/test_data_fashion.py makes them.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import math
import os
import re
import struct
import sys

import numpy as np
import pytest

import tinyconv
from tinyconv import init
from tinyconv.data import FashionMNIST
from tinyconv.models import vgg16

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demos"))
import alexnet_mini  # noqa: E402
import param_counts  # noqa: E402
import resnet_depth  # noqa: E402
import visualize  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_DIR = os.environ.get("TINYCONV_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="set TINYCONV_DATA to a folder whose mnist/ holds the MNIST files",
)
# A small AlexNet run: 64 Adam steps of 16 images without augmentation, tested on 500 (3-7 s on 2 cores).
ALEXNET_SMOKE = ["--epochs", "1", "--limit", "1024", "--batch-size", "16", "--no-augment"]
ALEXNET_SMOKE += ["--test-limit", "500"]


def is_png(path) -> bool:
    with open(path, "rb") as file:
        return file.read(8) == PNG_SIGNATURE


# ------------------------------------------------------------------------------------- alexnet_mini
def test_alexnet_demo_pads_mnist_with_black_to_the_32x32_the_network_expects():
    pixels = np.full((2, 1, 28, 28), 200, dtype=np.uint8)
    padded = alexnet_mini.pad_to_32(pixels)
    assert padded.shape == (2, 1, 32, 32) and padded.dtype == np.uint8
    np.testing.assert_array_equal(padded[:, :, 2:30, 2:30], pixels)
    assert padded.sum() == pixels.sum()  # the 2-pixel frame is 0: black, MNIST's background


def test_alexnet_demo_mirrors_fashion_images_but_never_digits():
    tinyconv.manual_seed(0)
    # A batch whose left half is bright: a shift of 2 pixels moves the edge, a mirror image swaps the halves.
    pixels = np.zeros((64, 1, 28, 28), dtype=np.uint8)
    pixels[..., :14] = 255
    for dataset, flips_expected in (("mnist", False), ("fashion", True)):
        train_transform, _ = alexnet_mini.make_transforms(dataset, augment=True)
        out = train_transform(pixels)
        assert out.shape == (64, 1, 32, 32)
        mirrored = out[..., 16:].sum(axis=(1, 2, 3)) > out[..., :16].sum(axis=(1, 2, 3))
        assert mirrored.any() == flips_expected


@needs_mnist
def test_alexnet_demo_learns_writes_checkpoint_and_plot_and_ends_with_the_accuracy_line(tmp_path, capsys):
    accuracy = alexnet_mini.main(ALEXNET_SMOKE + ["--out", str(tmp_path)])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last_line)
    assert float(last_line.split(": ")[1]) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.25  # measured 0.37, against 0.1 for chance
    checkpoint = tinyconv.load(tmp_path / alexnet_mini.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 1 and checkpoint["args"]["dataset"] == "mnist"
    assert checkpoint["model"]["features.4.weight"].shape == (64, 16, 5, 5)  # conv2's two towers
    assert set(checkpoint["optimizer"]) >= {"state", "param_groups"}
    assert is_png(tmp_path / alexnet_mini.PLOT_NAME)
    assert sorted(os.listdir(tmp_path)) == [alexnet_mini.CHECKPOINT_NAME, alexnet_mini.PLOT_NAME]


@needs_mnist
def test_alexnet_demo_resume_continues_exactly_where_an_uninterrupted_run_would_be(tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    common = ["--limit", "96", "--test-limit", "100"]
    alexnet_mini.main(common + ["--epochs", "2", "--out", str(straight)])
    alexnet_mini.main(common + ["--epochs", "1", "--out", str(interrupted)])
    alexnet_mini.main(common + ["--epochs", "2", "--out", str(interrupted), "--resume"])

    a = tinyconv.load(straight / alexnet_mini.CHECKPOINT_NAME)
    b = tinyconv.load(interrupted / alexnet_mini.CHECKPOINT_NAME)
    assert b["epoch"] == 2
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    assert a["history"]["loss"] == b["history"]["loss"]


@needs_mnist
def test_alexnet_demo_refuses_to_resume_with_another_dataset_or_limit(tmp_path):
    alexnet_mini.main(["--epochs", "1", "--limit", "32", "--test-limit", "50", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="--dataset was 'mnist', now 'fashion'; --limit was 32, now 64"):
        alexnet_mini.main(
            ["--epochs", "2", "--limit", "64", "--test-limit", "50", "--dataset", "fashion"]
            + ["--out", str(tmp_path), "--resume"]
        )


def test_alexnet_demo_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint"):
        alexnet_mini.main(["--resume", "--out", str(tmp_path)])


@pytest.mark.parametrize("flag", ["--epochs", "--limit", "--test-limit", "--batch-size"])
def test_alexnet_demo_rejects_a_count_below_one(flag, capsys):
    with pytest.raises(SystemExit):
        alexnet_mini.parse_args([flag, "0"])
    assert f"{flag} must be at least 1, got 0" in capsys.readouterr().err


def fashion_files(folder) -> dict:
    """Write a tiny Fashion-MNIST (40 training and 20 test images, gzipped IDX) into `folder`;
    returns the MD5 of each .gz file, as the authors' table gives them for the real files."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 40, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 20, dtype=np.uint8),
    }
    os.makedirs(folder)
    digests = {}
    for name, array in arrays.items():
        idx = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
        data = gzip.compress(idx, mtime=0)
        (folder / (name + ".gz")).write_bytes(data)
        digests[name] = hashlib.md5(data).hexdigest()
    return digests


def test_alexnet_demo_trains_on_fashion_mnist_files_from_data_dir(tmp_path, monkeypatch, capsys):
    digests = fashion_files(tmp_path / "data" / "fashion-mnist")
    # FashionMNIST with the made-up files' digests in place of the published ones; nothing else changes.
    tiny_fashion = type("TinyFashionMNIST", (FashionMNIST,), {"md5": digests})
    monkeypatch.setitem(alexnet_mini.DATASETS, "fashion", tiny_fashion)
    data_dir = tmp_path / "data"
    accuracy = alexnet_mini.main(
        ["--dataset", "fashion", "--epochs", "1", "--data-dir", str(data_dir), "--out", str(tmp_path / "run")]
    )
    out = capsys.readouterr().out
    assert "small AlexNet on TinyFashionMNIST" in out and "on 40 images, testing on 20" in out
    assert accuracy in {k / 20 for k in range(21)}
    assert is_png(tmp_path / "run" / alexnet_mini.PLOT_NAME)


# ------------------------------------------------------------------------------------- resnet_depth
@needs_mnist
def test_resnet_depth_smoke_run_shows_the_vanishing_gradient_and_the_shortcut_curing_it(tmp_path, capsys):
    runs = resnet_depth.main(["--smoke", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    plain, residual = runs[20, "plain"], runs[20, "residual"]
    # PyTorch's default init shrinks the gradient by about sqrt(6) per convolution, 19 of them: measured
    # 2e-9 against 5e-2 at the first step, and the plain net's stays below 1e-5 all along.
    assert plain["gradient_norm"][0] < 1e-5 * residual["gradient_norm"][0]
    assert max(plain["gradient_norm"]) < 1e-3 * min(residual["gradient_norm"])
    assert abs(np.mean(plain["loss"][-20:]) - math.log(10)) < 0.01  # the plain net stays at chance
    assert np.mean(residual["loss"][-20:]) < math.log(10) - 0.05
    assert residual["accuracy"] > plain["accuracy"] + 0.08  # measured 0.27 against 0.13
    assert "depth  network   final loss" in out and re.search(r"\n +20  plain +2\.30\d", out)
    assert is_png(tmp_path / resnet_depth.PLOT_NAME)


def test_resnet_depth_plain_and_residual_nets_differ_only_by_the_shortcut():
    nets = {}
    for shortcut in (False, True):
        tinyconv.manual_seed(0)
        nets[shortcut] = resnet_depth.DeepNet(blocks=2, channels=4, shortcut=shortcut, init_name="pytorch")
    plain, residual = nets[False].state_dict(), nets[True].state_dict()
    assert list(plain) == list(residual)
    for key in plain:
        np.testing.assert_array_equal(plain[key], residual[key], err_msg=key)
    x = tinyconv.Tensor(np.random.default_rng(0).standard_normal((2, 4, 5, 5)).astype(np.float32))
    block_plain, block_residual = nets[False].blocks[0], nets[True].blocks[0]
    inner = block_plain.conv2(tinyconv.functional.relu(block_plain.conv1(x))).data
    np.testing.assert_allclose(block_plain(x).data, np.maximum(inner, 0), rtol=1e-6)
    np.testing.assert_allclose(block_residual(x).data, np.maximum(inner + x.data, 0), rtol=1e-6)


def test_resnet_depth_pytorch_init_draws_weights_within_one_over_root_fan_in():
    tinyconv.manual_seed(0)
    net = resnet_depth.DeepNet(blocks=1, channels=8, shortcut=False, init_name="pytorch")
    bound = 1 / math.sqrt(8 * 3 * 3)  # U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in * 3 * 3
    weight = net.blocks[0].conv1.weight.data
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound


def test_resnet_depth_moving_average_is_the_mean_of_the_last_window_values():
    np.testing.assert_allclose(resnet_depth.moving_average([1, 3, 5, 7], 2), [1, 2, 4, 6])
    np.testing.assert_allclose(resnet_depth.moving_average([4, 2], 5), [4, 3])


# ---------------------------------------------------------------------------------------- visualize
@needs_mnist
def test_visualize_trains_briefly_and_writes_filters_maps_and_input_as_png(tmp_path):
    result = visualize.main(["--limit", "2000", "--index", "0", "--out", str(tmp_path)])
    for name in ("filters", "feature_maps", "input"):
        assert is_png(result[name]), name
    assert sorted(os.listdir(tmp_path)) == ["feature_maps.png", "filters.png", "input.png"]
    assert result["accuracy"] > 0.8  # 63 Adam steps: measured 0.86
    assert result["label"] == 7 and result["prediction"] == 7  # test image 0 is a clear 7


@needs_mnist
def test_visualize_loads_the_lenet_demo_checkpoint_instead_of_training(tmp_path, capsys):
    from tinyconv.models import LeNet5

    tinyconv.manual_seed(3)
    saved = LeNet5()
    tinyconv.save({"model": saved.state_dict()}, tmp_path / "lenet_mnist.ckpt")
    visualize.main(
        ["--checkpoint", str(tmp_path / "lenet_mnist.ckpt"), "--layer", "features.3"]
        + ["--out", str(tmp_path / "pictures")]
    )
    out = capsys.readouterr().out
    assert "loaded LeNet-5" in out and "trained" not in out
    assert is_png(tmp_path / "pictures" / "feature_maps.png")


@needs_mnist
def test_visualize_names_the_valid_layers_when_the_layer_is_unknown(tmp_path):
    expected = r"--layer: .*no layer named 'conv1'; its layers: 'features', 'features.0', "
    with pytest.raises(SystemExit, match=expected):
        visualize.main(["--layer", "conv1", "--limit", "32", "--out", str(tmp_path)])


@needs_mnist
def test_visualize_refuses_a_checkpoint_that_does_not_hold_a_lenet(tmp_path):
    alexnet_mini.main(["--epochs", "1", "--limit", "32", "--test-limit", "50", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="does not hold a LeNet-5"):
        visualize.main(["--checkpoint", str(tmp_path / alexnet_mini.CHECKPOINT_NAME), "--out", str(tmp_path)])


def test_visualize_says_when_the_checkpoint_is_missing(tmp_path):
    with pytest.raises(SystemExit, match="no file at .*run demos/lenet_mnist.py first"):
        visualize.load_lenet(str(tmp_path / "missing.ckpt"))


# ------------------------------------------------------------------------------------- param_counts
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
