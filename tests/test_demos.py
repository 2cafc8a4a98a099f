"""The demos run end to end and show what they claim (small runs; the full LeNet run is in CI's log)."""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pytest

import tinyconv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demos"))
import lenet_mnist  # noqa: E402
import xor_mlp  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_DIR = os.environ.get("TINYCONV_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="set TINYCONV_DATA to a folder whose mnist/ holds the MNIST files",
)


def is_png(path: str) -> bool:
    with open(path, "rb") as file:
        return file.read(8) == PNG_SIGNATURE


def test_xor_perceptron_fails_and_mlp_gets_all_four_points(tmp_path):
    results = xor_mlp.main(["--out", str(tmp_path)])
    assert results["single-layer perceptron"] < 1.0
    assert results["2-2-1 MLP (tanh)"] == 1.0
    assert is_png(tmp_path / "xor_decision_boundaries.png")


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
    demo = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demos", "lenet_mnist.py"
    )
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
