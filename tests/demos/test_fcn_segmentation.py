"""demos/fcn_segmentation.py: a smoke run ends with `mean IoU: 0.XXXX` and writes a checkpoint and two
PNGs; its training canvases come from MNIST's training digits and its test canvases from the test
digits only, both drawn from --seed, with masks that label exactly the strokes of the digits drawn;
--resume goes on from the checkpoint; a bad canvas size is a usage error."""

from __future__ import annotations

import re

import fcn_segmentation
import numpy as np
import pytest

import tinyconv
from tinyconv.data.canvas import BACKGROUND, resized

from .demo_testing import is_png, needs_mnist


@needs_mnist
def test_smoke_run_writes_its_files_and_ends_with_the_mean_iou_line(tmp_path, capsys):
    final = fcn_segmentation.main(["--smoke", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"mean IoU: [01]\.\d{4}", lines[-1])
    assert float(lines[-1].split(": ")[1]) == pytest.approx(final, abs=5e-5)
    assert re.fullmatch(r"pixel accuracy: 0\.\d{4}", lines[-2])
    assert lines[-3].startswith("IoU per class: background 0.") and ", 9 " in lines[-3]
    assert re.fullmatch(
        r"epoch  1/1  loss \d+\.\d{4}  pixel accuracy 0\.\d{4}  mean IoU [01]\.\d{4}  time .*", lines[1]
    )
    checkpoint = tinyconv.load(tmp_path / fcn_segmentation.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["mean_IoU"]) == 1
    assert is_png(tmp_path / fcn_segmentation.PLOT_NAME) and is_png(tmp_path / fcn_segmentation.PICTURE_NAME)


def smoke_canvases(*flags: str) -> tuple:
    """(training canvases, test canvases) as the demo makes them with --smoke and `flags`."""
    return fcn_segmentation.make_canvases(fcn_segmentation.parse_args(["--smoke", *flags]))


@needs_mnist
def test_training_canvases_hold_training_digits_and_test_canvases_test_digits_from_the_seed():
    train, test = smoke_canvases("--seed", "5")
    assert (train.digits.train, test.digits.train) == (True, False)
    assert (len(train), len(test)) == (64, 16) and train.seed == test.seed == 5


@needs_mnist
def test_the_test_masks_label_exactly_the_strokes_of_the_test_digits_drawn():
    test = smoke_canvases()[1]
    for index in range(4):
        pixels, mask = test.draw(index)
        labelled = np.zeros_like(mask)
        for placed in test.placements(index):
            image = resized(test.digits.images[placed.source], placed.side)  # a test image
            window = (
                slice(placed.top, placed.top + placed.side),
                slice(placed.left, placed.left + placed.side),
            )
            labelled[window][image >= 0.5 * 255] = placed.label + 1
        np.testing.assert_array_equal(mask, labelled)
        assert (mask != BACKGROUND).any()
        np.testing.assert_array_equal(mask != BACKGROUND, pixels >= 0.5 * 255)


@needs_mnist
def test_the_same_seed_draws_the_same_canvases_and_another_seed_others():
    first, again, other = smoke_canvases(), smoke_canvases(), smoke_canvases("--seed", "1")
    for a, b, c in zip(first, again, other):
        np.testing.assert_array_equal(a[np.arange(8)][1], b[np.arange(8)][1])
        assert not np.array_equal(a[np.arange(8)][1], c[np.arange(8)][1])


@needs_mnist
def test_resume_goes_on_after_the_finished_epochs(tmp_path, capsys):
    fcn_segmentation.main(["--smoke", "--out", str(tmp_path)])
    fcn_segmentation.main(["--smoke", "--epochs", "2", "--resume", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert f"resumed from {tmp_path / fcn_segmentation.CHECKPOINT_NAME} after epoch 1" in out
    assert tinyconv.load(tmp_path / fcn_segmentation.CHECKPOINT_NAME)["epoch"] == 2
    with pytest.raises(SystemExit, match="--lr was 0.002, now 0.001"):
        fcn_segmentation.main(
            ["--smoke", "--epochs", "3", "--lr", "0.001", "--resume", "--out", str(tmp_path)]
        )


def test_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint"):
        fcn_segmentation.main(["--smoke", "--resume", "--out", str(tmp_path)])


@pytest.mark.parametrize("size", ["60", "32"])
def test_a_canvas_size_the_network_cannot_take_is_a_usage_error(size, capsys):
    with pytest.raises(SystemExit):
        fcn_segmentation.parse_args(["--canvas-size", size])
    assert (
        f"--canvas-size must be a multiple of 8 and at least 40 (digits up to 36), got {size}"
        in capsys.readouterr().err
    )
