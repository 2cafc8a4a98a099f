"""demos/visualize.py draws a LeNet-5's filters, a layer's feature maps and the input as PNG files,
after training briefly or from the LeNet demo's checkpoint, which it checks before use."""

from __future__ import annotations

import os

import alexnet_mini
import numpy as np
import pytest
import visualize

import tinyconv
from tinyconv.models import LeNet5

from .demo_testing import is_png, needs_mnist


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


def test_visualize_refuses_a_checkpoint_with_infinite_weights(tmp_path):
    tinyconv.manual_seed(0)
    model = LeNet5()
    model.classifier[0].bias.data[3] = np.inf
    tinyconv.save({"model": model.state_dict()}, tmp_path / "lenet_mnist.ckpt")
    with pytest.raises(
        SystemExit, match=r"--checkpoint: .* NaN or infinite values \(in model/classifier\.0\.bias\)"
    ):
        visualize.load_lenet(str(tmp_path / "lenet_mnist.ckpt"))


def test_visualize_checks_out_before_it_reads_any_data(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit, match="--out: cannot write into"):
        visualize.main(["--out", str(tmp_path / "file" / "run"), "--data-dir", str(tmp_path / "no-data")])
