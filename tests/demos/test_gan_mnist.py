"""demos/gan_mnist.py in a smoke run (seconds; the default run's numbers are in its docstring and in
docs/generative.md): both players learn (the discriminator scores real digits above the generator's), the
judge's lines, the sample grids and the losses as PNGs, the last line; bad settings refused.
"""

from __future__ import annotations

import re

import gan_mnist
import numpy as np
import pytest

import tinyconv
from tinyconv.data import MNIST
from tinyconv.models import DCGANDiscriminator, DCGANGenerator, LeNet5

from .demo_testing import is_png, needs_mnist


def random_judge(tmp_path) -> str:
    path = str(tmp_path / "judge.ckpt")
    tinyconv.manual_seed(0)
    tinyconv.save({"model": LeNet5().state_dict()}, path)
    return path


@needs_mnist
def test_a_smoke_run_trains_both_players_and_writes_the_judges_verdict_and_pictures(tmp_path, capsys):
    out = tmp_path / "run"
    score = gan_mnist.main(["--smoke", "--out", str(out), "--judge", random_judge(tmp_path)])
    printed = capsys.readouterr().out
    last = printed.strip().splitlines()[-1]
    assert re.fullmatch(r"inception score: \d+\.\d\d", last)
    assert float(last.split()[2]) == pytest.approx(score, abs=0.005)
    assert re.search(
        r"epoch  1/1  loss D \d\.\d{4}  loss G \d\.\d{4}  time \d+\.\d s  judge on 1,000", printed
    )
    assert re.search(
        r"GAN, 200 samples: inception score \d+\.\d\d, Frechet distance \d+\.\d\d, digits 0-9", printed
    )
    assert "real test images (the judge's ceiling)" in printed
    for name in (gan_mnist.LOSSES_NAME, gan_mnist.FINAL_SAMPLES_NAME, gan_mnist.EPOCH_SAMPLES.format(1)):
        assert is_png(out / name), name

    # 32 steps were enough for the police to tell: real test digits score above the counterfeits
    # (measured: mean logits 1.21 against 0.05).
    checkpoint = tinyconv.load(out / gan_mnist.CHECKPOINT_NAME)
    generator, discriminator = DCGANGenerator(64, 8).eval(), DCGANDiscriminator(8).eval()
    generator.load_state_dict(checkpoint["generator"])
    discriminator.load_state_dict(checkpoint["discriminator"])
    real = tinyconv.Tensor(MNIST(train=False).images[:500, None] / np.float32(127.5) - 1)
    with tinyconv.no_grad():
        fake = generator(tinyconv.randn(500, 64))
        assert discriminator(real).numpy().mean() > discriminator(fake).numpy().mean() + 0.2


def test_generated_images_come_back_in_zero_one_without_a_graph():
    tinyconv.manual_seed(0)
    images = gan_mnist.generate(DCGANGenerator(8, 4), tinyconv.randn(3, 8))
    assert isinstance(images, np.ndarray) and images.shape == (3, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


def test_generating_in_chunks_gives_the_images_of_one_pass():
    # Eval-mode batch norm uses running statistics, so each image depends on its own code alone: 7 codes
    # in chunks of 3 (3 + 3 + 1) must give what one pass gives. Training once first moves the running
    # statistics away from their initial 0 and 1, so that a chunk using its own statistics would differ.
    tinyconv.manual_seed(0)
    generator = DCGANGenerator(8, 4)
    generator(tinyconv.randn(16, 8) * 3 + 1)  # train mode: updates the running mean and variance
    noise = tinyconv.randn(7, 8)
    chunked = gan_mnist.generate(generator, noise, chunk=3)
    assert chunked.shape == (7, 1, 28, 28)
    np.testing.assert_allclose(chunked, gan_mnist.generate(generator, noise, chunk=7), rtol=1e-5, atol=1e-6)
    assert generator.training  # left as it was found, ready for the next step


def test_beta1_outside_zero_one_is_refused(capsys):
    with pytest.raises(SystemExit):
        gan_mnist.parse_args(["--beta1", "1.0"])
    assert "--beta1 must be in [0, 1), got 1.0" in capsys.readouterr().err
