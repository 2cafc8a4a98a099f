"""demos/yolo_mnist.py: a smoke run prints its step and evaluation times and the AP of every digit, ends
with `mAP@0.5: 0.XXXX` and writes a checkpoint and two PNGs; its test canvases hold MNIST's test digits
only, drawn from the seed, with boxes tight around each digit's ink; --resume goes on from the
checkpoint and refuses other settings."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yolo_mnist

import tinyconv
from tinyconv.data.canvas import resized

from .demo_testing import is_png, needs_mnist


@needs_mnist
def test_smoke_run_writes_its_files_and_ends_with_the_map_line(tmp_path, capsys):
    final = yolo_mnist.main(["--smoke", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"mAP@0\.5: [01]\.\d{4}", lines[-1])
    assert float(lines[-1].split(": ")[1]) == pytest.approx(final, abs=5e-5)
    digits = re.fullmatch(r"AP per digit: (.*)", lines[-2])[1].split(", ")
    assert [entry.split()[0] for entry in digits] == sorted({entry.split()[0] for entry in digits})
    assert re.fullmatch(
        r"mAP evaluation of 16 canvases: \d+\.\d s \(network \d+\.\d s, decoding and NMS \d+\.\d s, "
        r"mAP \d+\.\d s\)",
        lines[-3],
    )
    assert re.fullmatch(r"training step: \d+ ms per batch of 16 \(forward, loss, backward, Adam\)", lines[-4])
    assert re.fullmatch(r"epoch  1/1  loss \d+\.\d{4}  test mAP [01]\.\d{4}  time .*", lines[1])
    checkpoint = tinyconv.load(tmp_path / yolo_mnist.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 1 and checkpoint["history"]["steps"] == [4]  # 64 canvases, batches of 16
    assert set(checkpoint["history"]) >= {"xy", "wh", "confidence_object", "confidence_no_object", "classes"}
    assert is_png(tmp_path / yolo_mnist.PLOT_NAME) and is_png(tmp_path / yolo_mnist.PICTURE_NAME)


@needs_mnist
def test_test_canvases_hold_test_digits_only_with_boxes_tight_around_their_ink():
    train, test = yolo_mnist.make_canvases(yolo_mnist.parse_args(["--smoke"]))
    assert (train.canvases.digits.train, test.canvases.digits.train) == (True, False)
    assert (len(train), len(test)) == (64, 16)
    for index in range(4):
        pixels = test.canvases.draw(index)[0]
        target = test.target(index)
        for placed, (x1, y1, x2, y2), label in zip(
            test.canvases.placements(index), target["boxes"].astype(int), target["labels"]
        ):
            source = resized(test.canvases.digits.images[placed.source], placed.side)  # a *test* image
            assert label == test.canvases.digits.labels[placed.source]
            ink = source >= 0.5 * 255
            rows, columns = np.nonzero(ink)
            # the box is the ink's extent, moved to where the digit was put
            assert (x1, y1, x2, y2) == (
                placed.left + columns.min(),
                placed.top + rows.min(),
                placed.left + columns.max() + 1,
                placed.top + rows.max() + 1,
            )
            np.testing.assert_array_equal(
                pixels[y1:y2, x1:x2] >= 0.5 * 255,
                ink[y1 - placed.top : y2 - placed.top, x1 - placed.left : x2 - placed.left],
            )


@needs_mnist
def test_the_same_seed_draws_the_same_canvases_and_another_seed_others():
    first, again, other = (
        yolo_mnist.make_canvases(yolo_mnist.parse_args(["--smoke", *flags]))[1]
        for flags in ([], [], ["--seed", "1"])
    )
    for index in range(3):
        np.testing.assert_array_equal(first.target(index)["boxes"], again.target(index)["boxes"])
        np.testing.assert_array_equal(first[index][0], again[index][0])
    assert any(
        first.target(index)["boxes"].shape != other.target(index)["boxes"].shape
        or not np.array_equal(first.target(index)["boxes"], other.target(index)["boxes"])
        for index in range(3)
    )


@needs_mnist
def test_resume_goes_on_after_the_finished_epochs_and_refuses_other_settings(tmp_path, capsys):
    flags = ["--smoke", "--limit", "32", "--out", str(tmp_path)]
    yolo_mnist.main(flags)
    yolo_mnist.main([*flags, "--epochs", "2", "--resume"])
    out = capsys.readouterr().out
    assert f"resumed from {tmp_path / yolo_mnist.CHECKPOINT_NAME} after epoch 1" in out
    checkpoint = tinyconv.load(tmp_path / yolo_mnist.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 2 and len(checkpoint["history"]["test_mAP"]) == 2
    with pytest.raises(SystemExit, match="--batch-size was 16, now 8"):
        yolo_mnist.main([*flags, "--epochs", "3", "--batch-size", "8", "--resume"])


def test_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint"):
        yolo_mnist.main(["--smoke", "--resume", "--out", str(tmp_path)])


@pytest.mark.parametrize("flag", ["--limit", "--test-canvases", "--epochs"])
def test_counts_below_one_are_usage_errors(flag, capsys):
    with pytest.raises(SystemExit):
        yolo_mnist.parse_args([flag, "0"])
    assert f"{flag} must be at least 1, got 0" in capsys.readouterr().err
