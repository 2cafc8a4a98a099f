"""demos/fcn_heatmap.py: a smoke run ends with its `digits recognized: K of N` line and a PNG, states the
receptive field and stride it computed, draws its canvas from MNIST's test split, loads
demos/lenet_mnist.py's checkpoint from where that demo writes it, and trains quickly (saying so) when
there is none."""

from __future__ import annotations

import os
import re

import fcn_heatmap
import lenet_mnist
import numpy as np
import pytest
from common import save_checkpoint

import tinyconv
from tinyconv import optim
from tinyconv.data.canvas import DigitCanvases
from tinyconv.models import LeNet5

from .demo_testing import is_png, needs_mnist


def test_the_default_checkpoint_is_where_lenet_mnist_saves_it():
    lenet_defaults = lenet_mnist.parse_args([])
    assert fcn_heatmap.LENET_CHECKPOINT == os.path.join(lenet_defaults.out, lenet_mnist.CHECKPOINT_NAME)
    assert fcn_heatmap.parse_args([]).checkpoint == fcn_heatmap.LENET_CHECKPOINT


@needs_mnist
def test_smoke_run_trains_quickly_without_a_checkpoint_and_ends_with_the_count_line(tmp_path, capsys):
    missing = tmp_path / "none.ckpt"
    recognized = fcn_heatmap.main(["--smoke", "--checkpoint", str(missing), "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"no checkpoint at {missing}: training LeNet-5 for one epoch on 1,000 images")
    match = re.fullmatch(r"digits recognized: (\d+) of (\d+)", lines[-1])
    assert match and int(match[1]) == recognized <= int(match[2]) <= 2
    # From the layers: 5 + 1 + 4 * 2 + 1 * 2 + 4 * 4 = 32 pixels; the two 2x2 poolings make the stride 4.
    assert lines[2].startswith(
        "one heat-map pixel sees 32x32 canvas pixels, and neighbouring heat-map pixels are 4 canvas pixels "
        "apart: heat-map pixel (i, j) sees canvas rows 4i-2 to 4i+29"
    )
    assert "canvas 64x64 -> heat-maps 10x10, one per class" in lines  # (64 - 28) / 4 + 1 = 10
    assert is_png(tmp_path / fcn_heatmap.PLOT_NAME)


@needs_mnist
def test_the_canvas_is_drawn_from_the_test_split(tmp_path, capsys, monkeypatch):
    sources = []

    class Recorded(DigitCanvases):
        def __init__(self, digits, *args, **kwargs):
            sources.append(digits)
            super().__init__(digits, *args, **kwargs)

    monkeypatch.setattr(fcn_heatmap, "DigitCanvases", Recorded)
    fcn_heatmap.main(["--smoke", "--checkpoint", str(tmp_path / "none.ckpt"), "--out", str(tmp_path)])
    assert [digits.train for digits in sources] == [False] and len(sources[0]) == 10_000


def test_the_weights_are_the_checkpoints_and_nothing_is_trained(tmp_path, capsys):
    tinyconv.manual_seed(3)
    saved = LeNet5()
    path = str(tmp_path / "lenet.ckpt")
    save_checkpoint(path, saved, optim.Adam(saved.parameters()), {}, 1, lenet_mnist.parse_args([]))
    model = fcn_heatmap.trained_lenet(fcn_heatmap.parse_args(["--checkpoint", path]))
    for key, value in saved.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value, err_msg=key)
    assert capsys.readouterr().out == f"LeNet-5 from {path}\n"


def test_a_checkpoint_that_cannot_be_read_ends_with_a_message(tmp_path):
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit, match="--checkpoint: .*broken.ckpt cannot be read as a checkpoint"):
        fcn_heatmap.main(["--checkpoint", str(broken), "--out", str(tmp_path)])


def test_a_canvas_smaller_than_lenets_input_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        fcn_heatmap.parse_args(["--canvas-size", "20"])
    assert "--canvas-size must be at least LeNet-5's input size 28, got 20" in capsys.readouterr().err


def test_the_heat_map_pixel_nearest_a_digit_is_the_window_that_starts_nearest_it():
    assert [fcn_heatmap.nearest_pixel(corner, 4, 10) for corner in (0, 1, 2, 3, 6, 40, 100)] == [
        0,
        0,
        0,
        1,
        2,
        9,
        9,
    ]
