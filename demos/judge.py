"""The judge of generated digits: tinyconv's LeNet-5, trained on MNIST, scoring a set of 28 x 28 images.

The Inception score and the FID judge generated photographs with an ImageNet network (Inception-v3).
For digits, the same two ideas work with a digit classifier, here the project's own LeNet-5; the numbers
are a stand-in, comparable between the demos of this project, not with published Inception scores or
FIDs (which depend on the Inception network's features).

    "MNIST inception score"  IS = exp(E_x KL(p(y | x) || p(y))),  p(y) = E_x p(y | x)
        High when each image is classified confidently (p(y | x) peaked) AND the images spread over the
        classes (p(y) flat): at most 10, for 10 equally frequent, unmistakable digits; 1 when every image
        looks the same to the judge. Blind to variety within a class: ten perfect copies of ten digits
        score 10.
    class fractions          the share of images the judge calls 0, 1, ..., 9: mode collapse shows here
                             (a GAN that makes only 1s and 7s).
    Frechet distance         between Gaussians fitted to the judge's penultimate-layer features (the 84
                             ReLU outputs of F6) of generated and of real test images:
                             d^2 = |mu_g - mu_r|^2 + Tr(S_g + S_r - 2 (S_r^1/2 S_g S_r^1/2)^1/2)
                             0 for the same distribution; lower is better; it does see variety within a
                             class (the covariances), and blur (blurry digits have other features).

The real test set's own inception score is printed as the ceiling, and the Frechet distance between
10,000 real training images and the test set as the floor: what real digits score.

Which LeNet-5: --judge PATH, or else the LeNet demo's checkpoint (runs/lenet_mnist/lenet_mnist.ckpt,
from `python demos/lenet_mnist.py`), or else ~/.cache/tinyconv/judge/lenet5_mnist.ckpt, which is trained
(3 epochs, about 98.9% on the test set) and saved there the first time a demo needs a judge and has none.
A checkpoint whose weights are not LeNet-5's is refused with a message, before any scoring.

Imported by the three generative demos (`from judge import ...`), as demos/common.py is: it is evaluation
plumbing of these demos, not part of the library (PyTorch has no such metric either).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import numpy as np
from common import (
    EpochStats,
    evaluate,
    open_dataset,
    progress_bar,
    read_checkpoint,
    save_checkpoint,
    take_first,
)

import tinyconv
import tinyconv.functional as F
from tinyconv import optim
from tinyconv.data import MNIST, DataLoader
from tinyconv.models import LeNet5

LENET_DEMO_CHECKPOINT = os.path.join("runs", "lenet_mnist", "lenet_mnist.ckpt")
JUDGE_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "tinyconv", "judge", "lenet5_mnist.ckpt")
JUDGE_EPOCHS = (
    3  # measured: 98.9% test accuracy (Adam 2e-3, batch 64, cosine); the LeNet demo's 15 give 99.3%
)
REAL_TRAINING_IMAGES = 10_000  # compared with the test set for the Frechet distance's floor


def add_judge_flag(parser: argparse.ArgumentParser) -> None:
    """--judge PATH: the LeNet-5 checkpoint that scores the generated digits."""
    parser.add_argument(
        "--judge",
        default=None,
        help=f"LeNet-5 checkpoint that scores the samples (default: {LENET_DEMO_CHECKPOINT} if present, else "
        f"{JUDGE_CACHE}, trained there on first use)",
    )


# ----------------------------------------------------------------------------------- the scores
def inception_score(probabilities: np.ndarray) -> float:
    """exp(mean over images x of KL(p(y | x) || p(y))) for probabilities (N, classes), p(y) their mean."""
    p = probabilities.astype(np.float64)
    marginal = p.mean(axis=0)
    # 0 log 0 = 0: a class with p(y | x) = 0 adds nothing to the KL, so its log is never taken (log 1 instead)
    log_ratio = np.log(np.where(p > 0, p, 1.0)) - np.log(np.where(marginal > 0, marginal, 1.0))
    return float(np.exp((p * log_ratio).sum(axis=1).mean()))


def class_fractions(probabilities: np.ndarray) -> np.ndarray:
    """The fraction of images whose most probable class is 0, 1, ..., classes - 1 (they sum to 1)."""
    classes = probabilities.shape[1]
    return np.bincount(probabilities.argmax(axis=1), minlength=classes) / len(probabilities)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """The Frechet (2-Wasserstein) distance squared between Gaussians fitted to two sets of features (N, K):

        |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a^1/2 S_b S_a^1/2)^1/2)

    (the last trace is Tr((S_a S_b)^1/2) of the FID, written with symmetric matrices so that eigh, for
    symmetric matrices, computes both square roots; tiny negative eigenvalues from rounding count as 0).
    """
    a, b = features_a.astype(np.float64), features_b.astype(np.float64)
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T  # S_a^1/2
    inner = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    cross = np.sqrt(np.clip(inner, 0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


@dataclass
class Score:
    """What the judge says of a set of images."""

    inception: float  # the MNIST inception score, 1 to 10
    fractions: np.ndarray  # (10,) the share of each predicted digit
    frechet: float  # the Frechet distance of the features to the real test set's

    def line(self, name: str) -> str:
        """'GAN samples: inception score 9.12, Frechet distance 3.4, digits 0-9 9.8% 11.0% ...'"""
        shares = " ".join(f"{100 * fraction:.1f}%" for fraction in self.fractions)
        return (
            f"{name}: inception score {self.inception:.2f}, Frechet distance {self.frechet:.2f}, "
            f"digits 0-9 {shares}"
        )


# ------------------------------------------------------------------------------------ the judge
class Judge:
    """A trained LeNet-5 that looks at images in [0, 1] (N, 1, 28, 28) or (N, 784) and scores them."""

    def __init__(self, model: LeNet5):
        self.model = model.eval()

    @tinyconv.no_grad()
    def look(self, images, batch_size: int = 1000) -> tuple:
        """(p(y | x) (N, 10), penultimate features (N, 84)) of images with pixels in [0, 1].

        The pixels are normalized as LeNet-5 was trained on them: (x - MNIST.mean) / MNIST.std.
        """
        images = np.asarray(images, dtype=np.float32)
        if images.size % 784 or images.size == 0:
            raise ValueError(
                f"judge: expected 28 x 28 images, (N, 1, 28, 28) or (N, 784), got shape {images.shape}"
            )
        if not ((images >= 0) & (images <= 1)).all():
            raise ValueError("judge: images must have pixels in [0, 1] (map tanh outputs with (x + 1) / 2)")
        images = (images.reshape(-1, 1, 28, 28) - MNIST.mean) / MNIST.std
        probabilities, features = [], []
        for start in range(0, len(images), batch_size):
            x = tinyconv.Tensor(images[start : start + batch_size])
            h = self.model.features(x).flatten(1)
            h = self.model.classifier[:-1](h)  # F5, ReLU, F6, ReLU: the 84 features
            features.append(h.numpy())
            probabilities.append(F.softmax(self.model.classifier[-1](h), dim=1).numpy())
        return np.concatenate(probabilities), np.concatenate(features)

    def score(self, images, real_features: np.ndarray) -> Score:
        """The inception score, class fractions and Frechet distance to `real_features` of `images`."""
        probabilities, features = self.look(images)
        return Score(
            inception_score(probabilities),
            class_fractions(probabilities),
            frechet_distance(features, real_features),
        )


def real_test_reference(judge: Judge, data_dir: str | None, limit: int | None = None) -> tuple:
    """(features of the 10,000 real test images, their Score: the ceiling of the inception score, and the
    Frechet distance between 10,000 real training images and the test set as the floor).

    limit: use only the first `limit` test images and as many training images (a demo's --test-limit,
    for quick runs; the scores of the default runs use all 10,000)."""
    count = REAL_TRAINING_IMAGES if limit is None else min(limit, REAL_TRAINING_IMAGES)
    test_images = open_dataset("mnist", data_dir, train=False).images[:limit] / 255.0
    train_images = open_dataset("mnist", data_dir, train=True).images[:count] / 255.0
    probabilities, test_features = judge.look(test_images)
    train_features = judge.look(train_images)[1]
    ceiling = Score(
        inception_score(probabilities),
        class_fractions(probabilities),
        frechet_distance(train_features, test_features),
    )
    return test_features, ceiling


# ------------------------------------------------------------------------ finding or training it
def load_judge(path: str | None, data_dir: str | None) -> Judge:
    """The judge from `path` (--judge); without one, from the LeNet demo's checkpoint, else from the cache,
    trained there first if it is not there yet. Exits with a message for a file that is not LeNet-5's."""
    if path is None:
        path = LENET_DEMO_CHECKPOINT if os.path.exists(LENET_DEMO_CHECKPOINT) else JUDGE_CACHE
        if not os.path.exists(path):
            train_judge(path, data_dir)
    checkpoint = read_checkpoint(
        path, "--judge", "train one with python demos/lenet_mnist.py, or leave --judge out"
    )
    model = LeNet5()
    try:
        model.load_state_dict(checkpoint["model"])
    except ValueError as error:
        sys.exit(
            f"--judge: {path} does not hold the weights of LeNet-5 (tinyconv.models.LeNet5), which the judge "
            f"is: {error}. Give the checkpoint of demos/lenet_mnist.py, or leave --judge out."
        )
    print(f"judge: LeNet-5 from {path}")
    return Judge(model)


def train_judge(
    path: str, data_dir: str | None, epochs: int = JUDGE_EPOCHS, limit: int | None = None
) -> None:
    """Train LeNet-5 on MNIST (Adam 2e-3, batch 64, cosine schedule; on the first `limit` images if given)
    and save it at `path` as the LeNet demo saves its checkpoints."""
    print(f"judge: no LeNet-5 checkpoint yet; training one for {epochs} epochs and saving it to {path}")
    train_set = take_first(open_dataset("mnist", data_dir, train=True), limit)
    tinyconv.manual_seed(0)
    model = LeNet5()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        stats = EpochStats()
        batches = progress_bar(DataLoader(train_set, 64, shuffle=True), f"judge epoch {epoch + 1}/{epochs}")
        for images, labels in batches:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats.add(loss.item(), len(labels))
        scheduler.step()
        print(f"judge epoch {epoch + 1}/{epochs}: loss {stats.loss:.4f}, {stats.seconds:.1f} s")
    print(f"judge: test accuracy {evaluate(model, open_dataset('mnist', data_dir, train=False)):.4f}")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    settings = argparse.Namespace(epochs=epochs, lr=2e-3, batch_size=64, limit=limit, seed=0)
    save_checkpoint(path, model, optimizer, {}, epochs, settings)
