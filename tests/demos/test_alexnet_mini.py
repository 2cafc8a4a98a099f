"""demos/alexnet_mini.py trains the small AlexNet in a CI-sized run and shows what it claims (the
default run's numbers are in its docstring); Fashion-MNIST is read from small files in its format,
made here as the dataset tests make them."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import struct

import alexnet_mini
import numpy as np
import pytest

import tinyconv
from tinyconv.data import FashionMNIST

from .demo_testing import is_png, legend_texts, needs_mnist

# A small AlexNet run: 64 Adam steps of 16 images without augmentation, tested on 500 (3-7 s on 2 cores).
ALEXNET_SMOKE = ["--epochs", "1", "--limit", "1024", "--batch-size", "16", "--no-augment"]
ALEXNET_SMOKE += ["--test-limit", "500"]


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
    returns the SHA-256 of each file's content, as FashionMNIST checks the real files."""
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
        (folder / (name + ".gz")).write_bytes(gzip.compress(idx, mtime=0))
        digests[name] = hashlib.sha256(idx).hexdigest()
    return digests


def test_alexnet_demo_trains_on_fashion_mnist_files_from_data_dir(tmp_path, monkeypatch, capsys):
    digests = fashion_files(tmp_path / "data" / "fashion-mnist")
    # FashionMNIST with the made-up files' digests in place of the published ones; nothing else changes.
    tiny_fashion = type("TinyFashionMNIST", (FashionMNIST,), {"sha256": digests})
    monkeypatch.setitem(alexnet_mini.DATASETS, "fashion", tiny_fashion)
    data_dir = tmp_path / "data"
    accuracy = alexnet_mini.main(
        ["--dataset", "fashion", "--epochs", "1", "--data-dir", str(data_dir), "--out", str(tmp_path / "run")]
    )
    out = capsys.readouterr().out
    assert "small AlexNet on TinyFashionMNIST" in out and "on 40 images, testing on 20" in out
    assert accuracy in {k / 20 for k in range(21)}
    assert is_png(tmp_path / "run" / alexnet_mini.PLOT_NAME)


def test_alexnet_plot_legend_says_the_training_accuracy_has_dropout_on_and_augmentation_when_used():
    history = {"loss": [0.5, 0.4], "train_accuracy": [0.8, 0.85], "test_accuracy": [0.9, 0.92]}
    augmented = alexnet_mini.plot_curves(history, "small AlexNet on MNIST", augmented=True)
    plain = alexnet_mini.plot_curves(history, "small AlexNet on MNIST", augmented=False)
    assert legend_texts(augmented.axes[1].get_legend()) == ["train (dropout on, augmented)", "test"]
    assert legend_texts(plain.axes[1].get_legend()) == ["train (dropout on)", "test"]
