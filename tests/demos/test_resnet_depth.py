"""demos/resnet_depth.py: in its --smoke run the deep plain net's gradient vanishes and the same net
with shortcuts learns; the two nets differ only by the shortcut; the table and the loss curve agree."""

from __future__ import annotations

import math
import re

import numpy as np
import resnet_depth

import tinyconv

from .demo_testing import is_png, needs_mnist


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


def test_resnet_depth_loss_curve_ends_at_the_final_loss_of_the_table(capsys):
    # Losses 0, 1, ..., 99: the mean of the last 50 is 74.5; a curve averaged over 20 steps ends at 89.5.
    runs = {
        (4, kind): {"loss": list(range(100)), "gradient_norm": [1.0] * 100, "accuracy": 0.5}
        for kind in ("plain", "residual")
    }
    resnet_depth.print_table(runs, last=50)
    rows = re.findall(r"^ +4  (plain|residual) +(\d+\.\d+) ", capsys.readouterr().out, flags=re.M)
    assert [float(value) for _, value in rows] == [74.5, 74.5]
    loss_axes = resnet_depth.plot_runs(runs, last=50).axes[0]
    for line in loss_axes.get_lines()[:2]:  # the two runs' curves (then the chance line)
        assert line.get_ydata()[-1] == 74.5
    assert "last 50 steps" in loss_axes.get_title()


def test_resnet_depth_smoke_keeps_the_flags_given():
    args = resnet_depth.parse_args(["--smoke", "--steps", "7", "--blocks", "2"])
    assert (args.steps, args.blocks) == (7, [2])  # given: kept
    assert (args.channels, args.batch_size, args.test_limit) == (8, 32, 500)  # not given: the smoke settings
