"""demos/vae_mnist.py in a smoke run (seconds; the default run's numbers are in its docstring and in
docs/generative.md): the VAE's test negative ELBO far below a model that knows nothing, the importance-
sampled log-likelihood above the ELBO, the judge's lines for both decoders, the PNGs (the latent plane with
--latent 2), the last line; the evaluation by hand on a model whose every term is known; bad input.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import vae_mnist

import tinyconv
from tinyconv.data import TensorDataset
from tinyconv.models import VAE, LeNet5

from .demo_testing import is_png, needs_mnist

KNOWS_NOTHING = 784 * math.log(2)  # p = 1/2 for every pixel: 543.43 nats per image


def random_judge(tmp_path) -> str:
    path = str(tmp_path / "judge.ckpt")
    tinyconv.manual_seed(0)
    tinyconv.save({"model": LeNet5().state_dict()}, path)
    return path


@needs_mnist
def test_a_smoke_run_learns_and_reports_the_elbo_the_likelihood_the_judge_and_pictures(tmp_path, capsys):
    out = tmp_path / "run"
    negative_elbo = vae_mnist.main(
        ["--smoke", "--latent", "2", "--out", str(out), "--judge", random_judge(tmp_path)]
    )
    printed = capsys.readouterr().out
    last = printed.strip().splitlines()[-1]
    assert re.fullmatch(r"test negative ELBO: \d+\.\d\d nats", last)
    assert float(last.split()[3]) == pytest.approx(negative_elbo, abs=0.005)
    assert negative_elbo < KNOWS_NOTHING - 200  # 40 Adam steps: measured 236.56 nats
    log_likelihood = float(re.search(r"importance sampling, k = 8: (-\d+\.\d\d) nats", printed).group(1))
    assert -negative_elbo <= log_likelihood  # the importance-sampled estimate is the tighter bound
    assert re.search(r"VAE epoch  1/1  reconstruction -\d+\.\d{4}  kl \d+\.\d{4}  negative elbo", printed)
    assert re.search(r"autoencoder epoch  1/1  reconstruction -\d+\.\d{4}  time", printed)
    for decoder in ("VAE", "autoencoder"):
        assert re.search(
            rf"{decoder} decoder on z ~ N\(0, I\): inception score \d+\.\d\d, Frechet distance", printed
        )
    assert re.search(r"training time \d+\.\d s, peak memory \d+ MiB", printed)
    for name in vae_mnist.PICTURES.values():
        assert is_png(out / name), name


def test_the_evaluation_by_hand_on_a_model_that_ignores_its_code():
    # A VAE whose encoder gives mu = 0, logvar = 0 (q = the prior) and whose decoder gives logits 0 (every
    # pixel 1/2) for any z: the KL is 0, every weight w_k = p(x | z_k) = 2^-784, so the ELBO and the
    # importance-sampled log-likelihood are both exactly -784 log 2.
    model = VAE(num_pixels=784, hidden=4, latent=3)
    for parameter in model.parameters():
        parameter.data[...] = 0
    images = (np.random.default_rng(0).random((5, 1, 28, 28)) > 0.5).astype(np.float32)
    result = vae_mnist.evaluate(
        model, TensorDataset(images, np.zeros(5, dtype=np.int64)), importance_samples=7
    )
    assert result["kl"] == 0
    for name in ("reconstruction", "elbo", "log_likelihood"):
        assert result[name] == pytest.approx(-KNOWS_NOTHING, rel=1e-6), name


def test_a_latent_size_below_one_is_refused_before_any_work(capsys):
    with pytest.raises(SystemExit):
        vae_mnist.parse_args(["--latent", "0"])
    assert "--latent must be at least 1, got 0" in capsys.readouterr().err
