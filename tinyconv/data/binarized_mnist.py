"""Binarized MNIST: each MNIST pixel turned into 0 or 1 once, at random, for models of binary images.

The generative models of the notes (autoregressive models, the VAE with a Bernoulli decoder) give each
pixel a probability of being on, so their data must be binary. The standard benchmark (Salakhutdinov
and Murray, "On the quantitative analysis of deep belief networks", ICML 2008; Larochelle and Murray,
"The Neural Autoregressive Distribution Estimator", AISTATS 2011) binarizes by *sampling*: a pixel of
grey level p / 255 becomes 1 with probability p / 255. Thresholding at 0.5 instead would give cleaner
but less varied digits and likelihoods that cannot be compared with the papers'.

Static binarization (the default): every pixel is sampled once, with a fixed seed, when the dataset is
made, so the set is the same binary images in every epoch and every run, as in the benchmark, whose test
numbers are on a fixed binary test set: likelihoods from different runs and models are comparable. The
draw here cannot be the benchmark's own file (which is not MNIST's split: 50,000 / 10,000 / 10,000 from
MNIST's training and test sets), so numbers are close to the papers' rather than equal: the test split
is MNIST's own 10,000 test images, binarized with their own seed.

Dynamic binarization (dynamic=True): a new draw every time an image is read, so every epoch sees other
binary versions of the same digits. For a training set that is a regularizer (a model cannot memorize
the noise of one draw); measured with MADE, it is what keeps the test NLL falling after a few epochs of
Adam (docs/generative.md). Test sets stay static.
"""

from __future__ import annotations

import numpy

from tinyconv import random
from tinyconv.checks import check_int
from tinyconv.data.mnist import MNIST


class BinarizedMNIST(MNIST):
    """MNIST with each pixel sampled once to 0 or 1: p(pixel = 1) = grey level / 255, a fixed seed.

        dataset = BinarizedMNIST()              # the 60,000 training images, binarized with seed 0
        image, label = dataset[0]               # (1, 28, 28) float32 of 0.0 and 1.0, an int
        test_set = BinarizedMNIST(train=False)  # MNIST's 10,000 test images

    A subclass of MNIST, not an option of it: the files, their checks and their download are MNIST's, but
    a sample is something else, a binary image in {0, 1} and not normalized (a Bernoulli likelihood needs
    its pixels in [0, 1]; normalized pixels would be refused). Static: the binary pixels are drawn in
    __init__ from numpy.random.default_rng((seed, split)), split 0 for train and 1 for test, so that the
    two splits have their own streams and the same seed always gives the same images; `images` holds them
    as uint8 0 and 1. dynamic=True: `images` keeps the grey pixels and every read draws anew, from
    tinyconv's generator (tinyconv.manual_seed makes the draws repeatable); `seed` is not used.
    `grey_images` holds the original pixels either way. A `transform` sees the pixels before the draw
    when dynamic, the binary ones when static.
    """

    def __init__(
        self,
        root=None,
        train: bool = True,
        download: bool = True,
        transform=None,
        seed: int = 0,
        dynamic: bool = False,
    ):
        super().__init__(root, train=train, download=download, transform=transform)
        self.seed = check_int("BinarizedMNIST", "seed", seed, minimum=0)
        self.dynamic = bool(dynamic)
        self.grey_images = self.images
        if not self.dynamic:
            generator = numpy.random.default_rng((self.seed, 0 if train else 1))
            self.images = binarize(self.images, generator).astype(numpy.uint8)

    def normalize(self, pixels: numpy.ndarray) -> numpy.ndarray:
        """The binary pixels as float32 0.0 and 1.0 (drawn now from the grey ones when dynamic); no mean
        is subtracted."""
        if self.dynamic:
            return binarize(pixels, random.generator()).astype(numpy.float32)
        return pixels.astype(numpy.float32)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        binarization = "dynamic" if self.dynamic else f"seed {self.seed}"
        return f"{self._name}({split}, {len(self)} images, {binarization}, from {self.root})"


def binarize(grey: numpy.ndarray, generator: numpy.random.Generator) -> numpy.ndarray:
    """True where a uniform draw u in [0, 1) is below grey / 255, for each pixel: P(True) = grey / 255."""
    return generator.random(grey.shape, dtype=numpy.float32) * 255 < grey
