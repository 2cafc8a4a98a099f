"""The programs beside this file, run as they are, each in its own Python, and what they print checked:
PyTorch code with `import tinyconv as torch` runs as written, and learns.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA_DIR = os.environ.get("TINYCONV_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="set TINYCONV_DATA to a folder whose mnist/ holds the MNIST files",
)


def run(program: str, *arguments: str) -> str:
    """The program's standard output; a failure shows its standard error."""
    done = subprocess.run(
        [sys.executable, str(HERE / program), *arguments], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def number_after(label: str, output: str) -> float:
    return float(re.search(rf"^{label} (\S+)$", output, flags=re.M).group(1))


def test_the_polynomial_fit_of_the_autograd_tutorial_learns_sin():
    output = run("polynomial_fit.py")
    # the tutorial's own run ends near 8.8; a loss of sum over 2,000 points of the gap to sin(x)
    assert number_after("final loss", output) < 12.0
    assert "leaves True True" in output  # `w -= lr * w.grad` under no_grad kept the leaves leaves
    losses = [float(line.split()[1]) for line in output.splitlines() if re.match(r"^\d+ ", line)]
    assert len(losses) == 20 and losses[-1] < losses[0] / 10


def test_a_custom_module_saved_and_loaded_gives_the_same_outputs(tmp_path):
    output = run("custom_module.py", str(tmp_path))
    assert "same outputs True" in output
    # the persistent buffer was saved after one call and loaded, then counted one more
    assert "calls 1 2" in output
    keys = re.search(r"^keys (.*)$", output, flags=re.M).group(1).split(",")
    assert "calls" in keys and "scale" not in keys  # the non-persistent buffer is not in the state_dict
    assert "layers.2.weight" in keys and "norm.bias" in keys
    assert "buffers ['calls', 'scale']" in output
    assert number_after("bias", output) == pytest.approx(0.01)  # apply(init_weights) reached every Linear


@needs_mnist
def test_the_nn_tutorial_trains_logistic_regression_on_mnist():
    output = run("nn_tutorial.py")
    assert number_after("validation accuracy", output) > 0.85
    epoch_losses = [float(line.split()[1]) for line in output.splitlines() if re.match(r"^[01] ", line)]
    assert len(epoch_losses) == 2 and epoch_losses[1] < epoch_losses[0]


@needs_mnist
def test_the_mnist_example_passes_90_percent_after_one_epoch_on_2000_images():
    output = run("mnist_example.py")
    assert number_after("test accuracy", output) > 0.90
    assert number_after("learning rate after the epoch", output) == pytest.approx(0.7)  # StepLR's gamma
    assert "Test set: Average loss:" in output
