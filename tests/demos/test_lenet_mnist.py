"""demos/lenet_mnist.py runs end to end and shows what it claims (small runs; the full run is in CI's
log), resumes exactly, and ends with a message, not a traceback, when something the user can fix is
wrong: no dataset, a bad checkpoint, an --out folder it cannot write, a loss that became NaN."""

from __future__ import annotations

import os
import re
import sys

import lenet_mnist
import numpy as np
import pytest
from common import save_checkpoint

import tinyconv
from tinyconv import optim
from tinyconv.models import LeNet5

from .demo_testing import DEMOS, is_png, legend_texts, needs_mnist, offline_environment, run_demo


@needs_mnist
def test_lenet_demo_writes_checkpoint_plot_and_final_accuracy_line(tmp_path, capsys):
    accuracy = lenet_mnist.main(["--epochs", "1", "--limit", "512", "--out", str(tmp_path)])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"test accuracy: 0\.\d{4}", last_line)
    assert float(last_line.split(": ")[1]) == pytest.approx(accuracy, abs=5e-5)
    assert accuracy > 0.2  # 8 Adam steps on 512 images: measured 0.42, against 0.1 for chance
    checkpoint = tinyconv.load(tmp_path / lenet_mnist.CHECKPOINT_NAME)
    assert checkpoint["epoch"] == 1 and len(checkpoint["history"]["test_accuracy"]) == 1
    assert is_png(tmp_path / lenet_mnist.PLOT_NAME)


@needs_mnist
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_lenet_demo_shows_a_progress_bar_with_loss_and_images_per_second_in_a_terminal(tmp_path):
    # The bar is for a person at a terminal (tqdm draws it only on a TTY), so the demo runs on a
    # pseudo-terminal here, as it would in a shell.
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    controller, terminal = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, and tqdm fits its bar to the width: give it 120.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    demo = os.path.join(DEMOS, "lenet_mnist.py")
    command = [sys.executable, demo, "--epochs", "1", "--limit", "2000", "--out", str(tmp_path)]
    process = subprocess.Popen(command, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the demo has exited and closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0
    text = shown.decode("utf-8", "replace")
    assert re.search(r"loss=\d+\.\d{4}", text), text[-2000:]
    assert re.search(r"img_s=\d+", text), text[-2000:]
    assert re.search(r"\d+/63 \[", text)  # n of 63 batches of 32, the bar's count


@needs_mnist
def test_lenet_demo_resume_continues_exactly_where_an_uninterrupted_run_would_be(tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    common = ["--limit", "256", "--batch-size", "32"]
    lenet_mnist.main(common + ["--epochs", "2", "--out", str(straight)])
    lenet_mnist.main(common + ["--epochs", "1", "--out", str(interrupted)])
    # A new process would start here: --resume must restore model, optimizer and schedule.
    lenet_mnist.main(common + ["--epochs", "2", "--out", str(interrupted), "--resume"])

    a = tinyconv.load(straight / lenet_mnist.CHECKPOINT_NAME)
    b = tinyconv.load(interrupted / lenet_mnist.CHECKPOINT_NAME)
    assert b["epoch"] == 2
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key], b["model"][key], err_msg=key)
    assert a["history"]["test_accuracy"] == b["history"]["test_accuracy"]


def test_lenet_demo_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint"):
        lenet_mnist.main(["--resume", "--out", str(tmp_path), "--epochs", "1"])


@needs_mnist
def test_lenet_demo_refuses_to_resume_with_other_settings(tmp_path):
    lenet_mnist.main(
        ["--epochs", "1", "--limit", "64", "--optimizer", "sgd", "--lr", "0.01", "--out", str(tmp_path)]
    )
    with pytest.raises(SystemExit, match="--optimizer was 'sgd', now 'adam'"):
        lenet_mnist.main(
            ["--epochs", "2", "--limit", "64", "--lr", "0.01", "--out", str(tmp_path), "--resume"]
        )


# ------------------------------------------------------------------------------------- the plot
def test_lenet_plot_legend_says_when_training_images_are_augmented():
    history = {"loss": [0.5], "train_accuracy": [0.8], "test_accuracy": [0.9], "seconds": [1.0]}
    augmented = lenet_mnist.plot_curves(history, augmented=True)
    plain = lenet_mnist.plot_curves(history, augmented=False)
    assert legend_texts(augmented.axes[1].get_legend()) == ["train (augmented)", "test"]
    assert legend_texts(plain.axes[1].get_legend()) == ["train", "test"]


# ---------------------------------------------------------------------------- what can go wrong
def saved_run(tmp_path, flags: list, break_weights: bool = False) -> str:
    """A checkpoint, as the demo saves it after epoch 1 of a run with `flags`, written without MNIST;
    with break_weights, conv1's first weight is NaN (a run that diverged)."""
    args = lenet_mnist.parse_args(flags + ["--out", str(tmp_path)])
    tinyconv.manual_seed(0)
    model = LeNet5()
    if break_weights:
        model.features[0].weight.data[0, 0, 0, 0] = np.nan
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    history = {"loss": [1.0], "train_accuracy": [0.5], "test_accuracy": [0.5], "seconds": [1.0]}
    path = os.path.join(args.out, lenet_mnist.CHECKPOINT_NAME)
    save_checkpoint(path, model, optimizer, history, 1, args)
    return path


def test_lenet_demo_refuses_to_resume_from_nan_weights(tmp_path):
    flags = ["--limit", "64", "--epochs", "1"]
    saved_run(tmp_path, flags, break_weights=True)
    expected = r"--resume: the checkpoint at .* holds NaN or infinite values \(in model/features\.0\.weight\)"
    with pytest.raises(SystemExit, match=expected):
        lenet_mnist.main(["--limit", "64", "--epochs", "2", "--resume", "--out", str(tmp_path)])


def test_lenet_demo_refuses_a_damaged_checkpoint(tmp_path):
    path = saved_run(tmp_path, ["--limit", "64", "--epochs", "1"])
    with open(path, "r+b") as file:
        file.truncate(1000)  # a copy that stopped halfway
    with pytest.raises(SystemExit, match="cannot be read as a checkpoint"):
        lenet_mnist.main(["--limit", "64", "--epochs", "2", "--resume", "--out", str(tmp_path)])


def test_lenet_demo_checks_out_before_it_reads_any_data(tmp_path):
    (tmp_path / "file").write_text("")
    # --data-dir points nowhere: reading data first would fail on the data, not on --out.
    with pytest.raises(SystemExit, match="--out: cannot write into"):
        lenet_mnist.main(["--out", str(tmp_path / "file" / "run"), "--data-dir", str(tmp_path / "no-data")])


@needs_mnist
@pytest.mark.filterwarnings(
    "ignore:overflow encountered", "ignore:invalid value encountered"
)  # the NaN's birth
def test_lenet_demo_stops_on_a_nan_loss_and_keeps_the_last_good_checkpoint(tmp_path):
    flags = ["--optimizer", "sgd", "--lr", "0.01", "--limit", "128", "--out", str(tmp_path)]
    lenet_mnist.main(flags + ["--epochs", "1"])
    path = tmp_path / lenet_mnist.CHECKPOINT_NAME
    # The same run, but its saved schedule now starts at a learning rate of 1e9: epoch 2 diverges.
    checkpoint = tinyconv.load(path)
    for group in checkpoint["optimizer"]["param_groups"]:
        group["initial_lr"] = 1e9
    tinyconv.save(checkpoint, path)
    before = path.read_bytes()
    with pytest.raises(SystemExit, match=r"training stopped at epoch 2: the loss is (nan|inf)"):
        lenet_mnist.main(flags + ["--epochs", "3", "--resume"])
    assert path.read_bytes() == before  # not overwritten by the diverged epoch
    assert tinyconv.load(path)["epoch"] == 1


@needs_mnist
def test_lenet_demo_removes_the_temporary_files_an_interrupted_run_left(tmp_path):
    stale = [f".{lenet_mnist.CHECKPOINT_NAME}.x1y2z3.part", f".{lenet_mnist.PLOT_NAME}.a_b.part"]
    for name in stale:
        (tmp_path / name).write_bytes(b"half a file")
    (tmp_path / "notes.txt").write_text("mine")
    lenet_mnist.main(["--epochs", "1", "--limit", "64", "--out", str(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == sorted(
        [lenet_mnist.CHECKPOINT_NAME, lenet_mnist.PLOT_NAME, "notes.txt"]
    )


# -------------------------------------------------- the expected failures, as a user sees them
def assert_friendly_exit(result, *phrases: str) -> None:
    """Exit status 1, a message on stderr with every phrase, and no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_lenet_demo_without_mnist_says_how_to_give_it_and_exits_1(tmp_path):
    result = run_demo(
        "lenet_mnist.py", "--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "run"),
        env=offline_environment(),
    )  # fmt: skip
    assert_friendly_exit(result, "MNIST: could not download", "--data-dir DIR", "TINYCONV_DATA")


def test_lenet_demo_with_a_damaged_checkpoint_exits_1_with_a_message(tmp_path):
    (tmp_path / lenet_mnist.CHECKPOINT_NAME).write_bytes(b"\x80\x05not a pickle")
    result = run_demo("lenet_mnist.py", "--resume", "--out", str(tmp_path))
    assert_friendly_exit(result, "--resume:", "cannot be read as a checkpoint")


def test_lenet_demo_with_an_unwritable_out_exits_1_with_a_message(tmp_path):
    (tmp_path / "file").write_text("")
    result = run_demo("lenet_mnist.py", "--out", str(tmp_path / "file" / "run"))
    assert_friendly_exit(result, "--out: cannot write into")
