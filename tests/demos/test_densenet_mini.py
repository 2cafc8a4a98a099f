"""demos/densenet_mini.py trains its small DenseNet in a CI-sized run and shows what it claims (the default
run's numbers are in its docstring): the configuration and its parameter count against LeNet-5's, the
accuracy line, the checkpoint and plot, --resume, --memory-efficient giving the same weights, and
Fashion-MNIST read from small files in its format, made here as the dataset tests make them."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re

import densenet_mini
import numpy as np
import pytest
from helpers.datasets import idx_bytes

import tinyconv
from tinyconv.data import FashionMNIST
from tinyconv.models import DenseNet, LeNet5

from .demo_testing import is_png, legend_texts, needs_mnist


def test_densenet_demo_smoke_flag_gives_its_documented_settings_and_flags_given_win():
    args = densenet_mini.parse_args(["--smoke"])
    settings = (args.epochs, args.limit, args.batch_size, args.augment, args.test_limit)
    assert settings == (1, 1024, 16, False, 500)
    assert densenet_mini.parse_args(["--smoke", "--epochs", "2"]).epochs == 2
    default = densenet_mini.parse_args([])
    assert (default.epochs, default.limit, default.augment, default.size) == (5, None, False, 28)


def test_densenet_demo_model_is_the_documented_configuration_with_fewer_parameters_than_lenet5():
    model = DenseNet(**densenet_mini.CONFIGURATION, in_channels=1, num_classes=10)
    parameters = sum(p.numel() for p in model.parameters())
    assert parameters == 36_082 < sum(p.numel() for p in LeNet5().parameters()) == 61_706
    assert model.features.denseblock1.denselayer4.conv1.weight.shape == (24, 24 + 3 * 12, 1, 1)
    assert model.classifier.weight.shape == (10, 36 + 4 * 12)  # 72 channels halved, then 4 layers of 12
    assert model(tinyconv.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_densenet_demo_size_40_enlarges_the_images_so_that_block1_sees_10x10_maps_instead_of_7x7():
    images = tinyconv.full((3, 1, 28, 28), 0.25)
    assert densenet_mini.enlarge(images, 28) is images
    bigger = densenet_mini.enlarge(images, 40)
    assert bigger.shape == (3, 1, 40, 40)
    np.testing.assert_allclose(bigger.numpy(), 0.25, rtol=1e-6)  # interpolating a constant keeps it
    model = DenseNet(**densenet_mini.CONFIGURATION, in_channels=1, num_classes=10)
    for size, block1, block2 in ((28, 7, 3), (40, 10, 5)):
        rows = tinyconv.summary(model, (1, size, size), file=io.StringIO())
        shape = {row.name: row.output_shape for row in rows}
        assert shape["features.pool0"][1:] == (24, block1, block1)  # what block 1 reads
        assert shape["features.denseblock1.denselayer4.conv2"][1:] == (12, block1, block1)
        assert shape["features.transition1.pool"][1:] == (36, block2, block2)  # what block 2 reads


def test_densenet_demo_refuses_to_shrink_the_images(capsys):
    with pytest.raises(SystemExit):
        densenet_mini.parse_args(["--size", "20"])
    error = capsys.readouterr().err
    assert "--size must be at least 28 (the images are enlarged, never shrunk), got 20" in error


def test_densenet_demo_mirrors_fashion_images_but_never_digits():
    tinyconv.manual_seed(0)
    pixels = np.zeros((64, 1, 28, 28), dtype=np.uint8)
    pixels[..., :14] = 255  # a bright left half: a shift moves the edge, a mirror image swaps the halves
    for dataset, flips_expected in (("mnist", False), ("fashion", True)):
        out = densenet_mini.make_transform(dataset, augment=True)(pixels)
        assert out.shape == (64, 1, 28, 28)
        mirrored = out[..., 14:].sum(axis=(1, 2, 3)) > out[..., :14].sum(axis=(1, 2, 3))
        assert mirrored.any() == flips_expected
    assert densenet_mini.make_transform("fashion", augment=False) is None


@needs_mnist
def test_densenet_demo_learns_writes_checkpoint_and_plot_and_ends_with_the_accuracy_line(tmp_path, capsys):
    accuracy = densenet_mini.main(["--smoke", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "small DenseNet on MNIST (36,082 parameters) on 1,024 images, testing on 500" in out
    last_line = out.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last_line)
    assert float(last_line.split(": ")[1]) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.5  # measured 0.69, against 0.1 for chance
    checkpoint = tinyconv.load(tmp_path / densenet_mini.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 1 and checkpoint["args"]["dataset"] == "mnist"
    assert checkpoint["model"]["features.denseblock2.denselayer4.conv2.weight"].shape == (12, 24, 3, 3)
    assert checkpoint["model"]["features.norm5.num_batches_tracked"] == 64  # one per training batch
    assert set(checkpoint["optimizer"]) >= {"state", "param_groups"}
    assert is_png(tmp_path / densenet_mini.PLOT_NAME)
    assert sorted(os.listdir(tmp_path)) == [densenet_mini.CHECKPOINT_NAME, densenet_mini.PLOT_NAME]


@needs_mnist
def test_densenet_demo_memory_efficient_run_trains_the_same_weights(tmp_path):
    common = ["--epochs", "1", "--limit", "96", "--batch-size", "32", "--test-limit", "100"]
    plain = densenet_mini.main(common + ["--out", str(tmp_path / "plain")])
    efficient = densenet_mini.main(common + ["--out", str(tmp_path / "efficient"), "--memory-efficient"])
    assert plain == efficient
    a = tinyconv.load(tmp_path / "plain" / densenet_mini.CHECKPOINT_NAME)["model"]
    b = tinyconv.load(tmp_path / "efficient" / densenet_mini.CHECKPOINT_NAME)["model"]
    for key in a:  # the same operations on the same numbers: the same bits
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@needs_mnist
def test_densenet_demo_resume_continues_exactly_where_an_uninterrupted_run_would_be(tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    common = ["--limit", "96", "--test-limit", "100", "--batch-size", "32", "--augment"]  # shifts replayed
    densenet_mini.main(common + ["--epochs", "2", "--out", str(straight)])
    densenet_mini.main(common + ["--epochs", "1", "--out", str(interrupted)])
    densenet_mini.main(common + ["--epochs", "2", "--out", str(interrupted), "--resume"])

    a = tinyconv.load(straight / densenet_mini.CHECKPOINT_NAME)
    b = tinyconv.load(interrupted / densenet_mini.CHECKPOINT_NAME)
    assert b["epoch"] == 2
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    assert a["history"]["loss"] == b["history"]["loss"]


@needs_mnist
def test_densenet_demo_refuses_to_resume_with_another_dataset_rate_or_size(tmp_path):
    densenet_mini.main(["--epochs", "1", "--limit", "32", "--test-limit", "50", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="--dataset was 'mnist', now 'fashion'; --lr was 0.002, now 0.01"):
        densenet_mini.main(
            ["--epochs", "2", "--limit", "32", "--test-limit", "50", "--dataset", "fashion", "--lr", "0.01"]
            + ["--out", str(tmp_path), "--resume"]
        )
    with pytest.raises(SystemExit, match="--size was 28, now 40"):
        densenet_mini.main(
            ["--epochs", "2", "--limit", "32", "--test-limit", "50", "--size", "40", "--out", str(tmp_path)]
            + ["--resume"]
        )


def test_densenet_demo_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint"):
        densenet_mini.main(["--resume", "--out", str(tmp_path)])


@pytest.mark.parametrize("flag", ["--epochs", "--limit", "--test-limit", "--batch-size"])
def test_densenet_demo_rejects_a_count_below_one(flag, capsys):
    with pytest.raises(SystemExit):
        densenet_mini.parse_args([flag, "0"])
    assert f"{flag} must be at least 1, got 0" in capsys.readouterr().err


def test_densenet_demo_rejects_a_learning_rate_that_is_not_positive(capsys):
    with pytest.raises(SystemExit):
        densenet_mini.parse_args(["--lr", "0"])
    assert "--lr must be positive, got 0.0" in capsys.readouterr().err


def tiny_fashion_mnist(folder) -> dict:
    """A Fashion-MNIST of 40 training and 20 test images, gzipped IDX files in `folder`; returns the
    SHA-256 of each file's content, which FashionMNIST checks."""
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
        content = idx_bytes(array)
        (folder / (name + ".gz")).write_bytes(gzip.compress(content, mtime=0))
        digests[name] = hashlib.sha256(content).hexdigest()
    return digests


def test_densenet_demo_trains_on_fashion_mnist_files_from_data_dir(tmp_path, monkeypatch, capsys):
    digests = tiny_fashion_mnist(tmp_path / "data" / "fashion-mnist")
    # FashionMNIST with the made-up files' digests in place of the published ones; nothing else changes.
    monkeypatch.setitem(
        densenet_mini.DATASETS, "fashion", type("TinyFashionMNIST", (FashionMNIST,), {"sha256": digests})
    )
    accuracy = densenet_mini.main(
        ["--dataset", "fashion", "--epochs", "1", "--data-dir", str(tmp_path / "data")]
        + ["--out", str(tmp_path / "run")]
    )
    out = capsys.readouterr().out
    assert "small DenseNet on TinyFashionMNIST" in out
    assert "on 40 images, testing on 20" in out
    assert accuracy in {k / 20 for k in range(21)}
    assert is_png(tmp_path / "run" / densenet_mini.PLOT_NAME)


def test_densenet_plot_legend_says_the_training_accuracy_is_on_augmented_images_when_it_is():
    history = {"loss": [0.5, 0.4], "train_accuracy": [0.8, 0.85], "test_accuracy": [0.9, 0.92]}
    augmented = densenet_mini.plot_curves(history, "small DenseNet on MNIST", augmented=True)
    plain = densenet_mini.plot_curves(history, "small DenseNet on MNIST", augmented=False)
    assert legend_texts(augmented.axes[1].get_legend()) == ["train (augmented)", "test"]
    assert legend_texts(plain.axes[1].get_legend()) == ["train", "test"]
