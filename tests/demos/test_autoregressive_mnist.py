"""demos/autoregressive_mnist.py in a smoke run (seconds; the default run's numbers are in its docstring and
in docs/generative.md): the notes' parameter counts, a briefly trained FVSBN and MADE whose test NLL is far
below a model that knows nothing, the trained MADE's Jacobian (output i does not depend on inputs >= i),
the sample grids as PNGs, the last line; and a judge checkpoint that is not LeNet-5's, refused before work.
"""

from __future__ import annotations

import math
import os
import re

import autoregressive_mnist
import numpy as np
import pytest

import tinyconv
from tinyconv import Tensor
from tinyconv.models import MADE, VAE, LeNet5

from .demo_testing import is_png, needs_mnist

KNOWS_NOTHING = 784 * math.log(2)  # p = 1/2 for every pixel: 543.43 nats per image


def random_judge(tmp_path) -> str:
    """A LeNet-5 checkpoint with random weights: the smoke runs need a judge, not a good one."""
    path = str(tmp_path / "judge.ckpt")
    tinyconv.manual_seed(0)
    tinyconv.save({"model": LeNet5().state_dict()}, path)
    return path


def test_the_notes_parameter_counts():
    counts = list(autoregressive_mnist.parameter_counts(3).values())
    assert counts == [7, 3, 5, 6]  # 2^3 - 1, 3, 2*3 - 1, 3*2/2 + 3
    assert list(autoregressive_mnist.parameter_counts(784).values())[1:] == [784, 1567, 307_720]


@needs_mnist
def test_a_smoke_run_learns_both_models_and_writes_samples_curves_and_the_last_line(tmp_path, capsys):
    out = tmp_path / "run"
    made_nll = autoregressive_mnist.main(["--smoke", "--out", str(out), "--judge", random_judge(tmp_path)])
    printed = capsys.readouterr().out
    lines = printed.strip().splitlines()
    assert re.fullmatch(r"MADE test NLL: \d+\.\d\d nats", lines[-1])
    assert float(lines[-1].split()[3]) == pytest.approx(made_nll, abs=0.005)
    fvsbn_nll = float(re.search(r"FVSBN test NLL: (\d+\.\d\d) nats", printed).group(1))
    # 10 Adam steps on 1,000 images: measured 330 and 323 nats, against 543 for a model that knows nothing
    assert made_nll < KNOWS_NOTHING - 100 and fvsbn_nll < KNOWS_NOTHING - 100
    assert "about 10^236 (a number of 237 digits)" in printed and "1,567" in printed
    assert re.search(r"MADE epoch  1/1 .* time \d+\.\d s", printed)
    assert re.search(r"training time \d+\.\d s, peak memory \d+ MiB", printed)
    for name in [autoregressive_mnist.PLOT_NAME, *autoregressive_mnist.SAMPLE_NAMES.values()]:
        assert is_png(out / name), name
    assert re.search(r"MADE samples \(4\): inception score \d+\.\d\d", printed)

    # The trained MADE is still autoregressive: d logit_i / d x_j = 0 for every j >= i.
    model = MADE(784, [64])
    model.load_state_dict(tinyconv.load(out / autoregressive_mnist.CHECKPOINT_NAMES["made"])["model"])
    x = Tensor(np.random.default_rng(0).random((1, 784)).astype(np.float32), requires_grad=True)
    logits = model(x)
    for i in (0, 1, 27, 28, 400, 783):
        x.grad = None
        logits[0, i].backward(retain_graph=True)
        assert (x.grad[0, i:] == 0).all(), i
        assert i == 0 or (x.grad[0, :i] != 0).any(), i


def test_a_judge_that_is_not_lenet5_stops_the_demo_before_any_training(tmp_path):
    path = str(tmp_path / "vae.ckpt")
    tinyconv.save({"model": VAE().state_dict()}, path)
    with pytest.raises(SystemExit, match="does not hold the weights of LeNet-5"):
        autoregressive_mnist.main(["--smoke", "--out", str(tmp_path / "run"), "--judge", path])
    assert os.listdir(tmp_path / "run") == []


def test_counts_below_one_are_refused(capsys):
    with pytest.raises(SystemExit):
        autoregressive_mnist.parse_args(["--hidden", "0"])
    assert "--hidden must be at least 1, got 0" in capsys.readouterr().err
