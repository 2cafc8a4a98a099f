"""demos/vit_mnist.py trains the small ViT in a CI-sized run and shows what it claims (the default run's
numbers are in its docstring): the last line, the checkpoint, the curves and the attention maps as
PNGs, a --resume that replays an uninterrupted run (the schedule changes every batch) and refuses
other settings, the warm-up and cosine of the learning rate, and a stop on a NaN loss."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest
import vit_mnist
from common import save_checkpoint

import tinyconv
from tinyconv import optim

from .demo_testing import is_png, legend_texts, needs_mnist

# 64 AdamW steps of 32 images at a larger rate than the default, tested on 200 (a few seconds on 2 cores,
# the 4 attention pictures included). A ViT starts slowly (its head starts at zero, its attention uniform).
VIT_SMOKE = ["--epochs", "1", "--limit", "2048", "--batch-size", "32", "--lr", "3e-3", "--warmup", "0.25"]
VIT_SMOKE += ["--test-limit", "200"]


@needs_mnist
def test_vit_demo_learns_and_writes_checkpoint_curves_and_attention_maps(tmp_path, capsys):
    accuracy = vit_mnist.main(VIT_SMOKE + ["--out", str(tmp_path)])
    out = capsys.readouterr().out
    last_line = out.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last_line)
    assert float(last_line.split(": ")[1]) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.18  # measured 0.255 (seeds 1 and 2: 0.295, 0.28), against 0.1 for chance
    assert "small ViT on MNIST (139,018 parameters) on 2,048 images, testing on 200" in out
    checkpoint = tinyconv.load(tmp_path / vit_mnist.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 1 and checkpoint["args"]["patch_size"] == 7
    assert checkpoint["model"]["encoder.pos_embedding"].shape == (1, 17, 64)  # 16 patches + class token
    expected = [vit_mnist.CHECKPOINT_NAME, vit_mnist.PLOT_NAME, *vit_mnist.ATTENTION_NAMES]
    assert sorted(os.listdir(tmp_path)) == sorted(expected)
    for name in expected[1:]:
        assert is_png(tmp_path / name), name


@needs_mnist
def test_vit_demo_resume_continues_exactly_where_an_uninterrupted_run_would_be(tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    common = ["--limit", "96", "--batch-size", "32", "--test-limit", "2", "--depth", "1", "--warmup", "1"]
    vit_mnist.main(common + ["--epochs", "2", "--out", str(straight)])
    vit_mnist.main(common + ["--epochs", "1", "--out", str(interrupted)])
    # A new process would start here: --resume must restore the weights, AdamW's moments and the
    # learning rate of the step where the first run stopped.
    vit_mnist.main(common + ["--epochs", "2", "--out", str(interrupted), "--resume"])

    a = tinyconv.load(straight / vit_mnist.CHECKPOINT_NAME)
    b = tinyconv.load(interrupted / vit_mnist.CHECKPOINT_NAME)
    assert b["epoch"] == 2
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    assert a["history"]["loss"] == b["history"]["loss"]


def saved_run(tmp_path, flags: list) -> None:
    """A checkpoint, as the demo saves it after epoch 1 of a run with `flags`, written without MNIST."""
    args = vit_mnist.parse_args(flags + ["--out", str(tmp_path)])
    tinyconv.manual_seed(0)
    model = vit_mnist.small_vit(args)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr)
    history = {"loss": [1.0], "train_accuracy": [0.5], "test_accuracy": [0.5], "seconds": [1.0]}
    save_checkpoint(os.path.join(args.out, vit_mnist.CHECKPOINT_NAME), model, optimizer, history, 1, args)


def test_vit_demo_refuses_to_resume_with_another_model_or_recipe(tmp_path):
    saved_run(tmp_path, ["--epochs", "1", "--depth", "2", "--lr", "0.001"])
    expected = r"--lr was 0\.001, now 0\.002; --depth was 2, now 4"  # the defaults now
    with pytest.raises(SystemExit, match=expected):
        vit_mnist.main(["--epochs", "2", "--out", str(tmp_path), "--resume"])


def test_vit_demo_checks_out_before_it_reads_any_data(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit, match="--out: cannot write into"):
        vit_mnist.main(["--out", str(tmp_path / "file" / "run"), "--data-dir", str(tmp_path / "no-data")])


@needs_mnist
@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_vit_demo_stops_on_a_nan_loss_and_keeps_the_last_good_checkpoint(tmp_path):
    flags = ["--limit", "64", "--batch-size", "32", "--test-limit", "50", "--depth", "1"]
    flags += ["--out", str(tmp_path)]
    vit_mnist.main(flags + ["--epochs", "1", "--warmup", "0"])
    path = tmp_path / vit_mnist.CHECKPOINT_NAME
    # The same run, but its saved schedule now peaks at an infinite learning rate: the first step of
    # epoch 2 makes the weights infinite, and the loss of its second batch is NaN. (A merely huge rate,
    # 1e9, is not enough: AdamW's steps are at most lr long and the LayerNorms rescale what they get, so
    # the loss can stay finite for a whole epoch, and that epoch is rightly saved.)
    checkpoint = tinyconv.load(path)
    for group in checkpoint["optimizer"]["param_groups"]:
        group["initial_lr"] = math.inf
    tinyconv.save(checkpoint, path)
    before = path.read_bytes()
    with pytest.raises(SystemExit, match=r"training stopped at epoch 2: the loss is (nan|inf)"):
        vit_mnist.main(flags + ["--epochs", "3", "--warmup", "0", "--resume"])
    assert path.read_bytes() == before  # not overwritten by the diverged epoch
    assert tinyconv.load(path)["epoch"] == 1


def test_vit_plot_names_the_loss_it_drew_and_the_augmented_training_accuracy():
    history = {"loss": [0.5, 0.4], "train_accuracy": [0.8, 0.85], "test_accuracy": [0.9, 0.92]}
    plain = vit_mnist.plot_curves(history, "small ViT on MNIST", augmented=False, label_smoothing=0.0)
    smoothed = vit_mnist.plot_curves(history, "small ViT on MNIST", augmented=True, label_smoothing=0.1)
    assert plain.axes[0].get_title() == "training loss (cross-entropy)"
    assert smoothed.axes[0].get_title() == "training loss (cross-entropy, label smoothing 0.1)"
    assert legend_texts(plain.axes[1].get_legend()) == ["train", "test"]
    assert legend_texts(smoothed.axes[1].get_legend()) == ["train (augmented)", "test"]


# ------------------------------------------------------------------------------- the recipe's parts
def test_vit_demo_shifts_digits_and_mirrors_clothes_but_never_digits():
    tinyconv.manual_seed(0)
    # A batch whose left half is bright: a shift of 2 pixels moves the edge, a mirror image swaps the halves.
    pixels = np.zeros((64, 1, 28, 28), dtype=np.uint8)
    pixels[..., :14] = 255
    for dataset, flips_expected in (("mnist", False), ("fashion", True)):
        out = vit_mnist.make_transform(dataset, augment=True)(pixels)
        assert out.shape == (64, 1, 28, 28)
        mirrored = out[..., 14:].sum(axis=(1, 2, 3)) > out[..., :14].sum(axis=(1, 2, 3))
        assert mirrored.any() == flips_expected
    assert vit_mnist.make_transform("mnist", augment=False) is None


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--patch-size", "5"], "--patch-size must divide 28"),
        (["--width", "64", "--heads", "3"], "--heads must divide --width"),
        (["--epochs", "2", "--warmup", "3"], r"--warmup must be between 0 and --epochs \(2\)"),
        (["--label-smoothing", "1"], r"--label-smoothing must be in \[0, 1\)"),
        (["--depth", "0"], "--depth must be at least 1"),
    ],
)
def test_vit_demo_rejects_settings_it_cannot_train_with(flags, message, capsys):
    with pytest.raises(SystemExit):
        vit_mnist.parse_args(flags)
    assert re.search(message, capsys.readouterr().err)
