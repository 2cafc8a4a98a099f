"""demos/vit_vs_cnn.py: its --smoke run trains both networks on every size and prints the table and the
plot; the ViT is demos/vit_mnist.py's, trained by the same schedule; the table and the plot show the
numbers of the runs."""

from __future__ import annotations

import re

import numpy as np
import pytest
import vit_mnist
import vit_vs_cnn

from .demo_testing import is_png, needs_mnist


@needs_mnist
def test_vit_vs_cnn_smoke_run_trains_both_networks_on_each_size_and_tables_them(tmp_path, capsys):
    runs = vit_vs_cnn.main(["--smoke", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    sizes = vit_vs_cnn.SMOKE["sizes"]
    assert sorted(runs) == sorted((size, name) for size in sizes for name in vit_vs_cnn.NETWORKS)
    # 20 steps of 32 images: LeNet-5 learns something on 400 images (measured 0.53 against 0.1 for chance)
    assert runs[400, "LeNet-5"]["test_accuracy"] > 0.3
    for (size, name), run in runs.items():
        shown = f"{run['test_accuracy']:.4f} ({run['train_accuracy']:.4f})"
        row = re.search(rf"^ +{size:,}  .*$", out, flags=re.M)[0]
        assert shown in row, (size, name, row)
    gap = runs[400, "small ViT"]["test_accuracy"] - runs[400, "LeNet-5"]["test_accuracy"]
    assert re.search(rf"^ +400  .* {gap:+.4f}$", out, flags=re.M)
    assert "20 AdamW steps of 32 images for each network and size; testing on 300 images" in out
    assert is_png(tmp_path / vit_vs_cnn.PLOT_NAME)


def test_vit_vs_cnn_smoke_keeps_the_flags_given():
    args = vit_vs_cnn.parse_args(["--smoke", "--steps", "7", "--sizes", "50"])
    assert (args.steps, args.sizes) == (7, [50])  # given: kept
    assert (args.batch_size, args.test_limit) == (32, 300)  # not given: the smoke settings


def test_the_vit_compared_is_the_vit_of_the_vit_mnist_demo():
    theirs = vit_mnist.small_vit(vit_mnist.parse_args([])).state_dict()
    ours = vit_vs_cnn.NETWORKS["small ViT"]().state_dict()
    assert [(key, value.shape) for key, value in ours.items()] == [
        (key, value.shape) for key, value in theirs.items()
    ]
    assert ours["conv_proj.weight"].shape == (64, 1, 7, 7)


def test_vit_vs_cnn_plot_draws_each_network_s_test_accuracy_against_the_sizes():
    runs = {
        (size, name): {"test_accuracy": accuracy, "train_accuracy": 1.0}
        for size, name, accuracy in [
            (1000, "LeNet-5", 0.9),
            (1000, "small ViT", 0.8),
            (5000, "LeNet-5", 0.95),
            (5000, "small ViT", 0.9),
        ]
    }
    axes = vit_vs_cnn.plot_runs(runs, [1000, 5000]).axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert list(lines) == ["LeNet-5", "small ViT"]
    np.testing.assert_array_equal(lines["small ViT"].get_xdata(), [1000, 5000])
    np.testing.assert_array_equal(lines["small ViT"].get_ydata(), [0.8, 0.9])
    assert axes.get_xscale() == "log"


@pytest.mark.parametrize("sizes", [["0"], ["70000"]])
def test_vit_vs_cnn_refuses_sizes_mnist_does_not_have(sizes, capsys):
    with pytest.raises(SystemExit):
        vit_vs_cnn.parse_args(["--sizes", *sizes])
    assert "--sizes must be between 1 and 60000" in capsys.readouterr().err
