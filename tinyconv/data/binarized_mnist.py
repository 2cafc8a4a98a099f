"""Binarized MNIST: each MNIST pixel turned into 0 or 1 once, at random, for models of binary images.

The generative models of the notes (autoregressive models, the VAE with a Bernoulli decoder) give each
pixel a probability of being on, so their data must be binary. The standard benchmark (Salakhutdinov
and Murray, "On the quantitative analysis of deep belief networks", ICML 2008; Larochelle and Murray,
"The Neural Autoregressive Distribution Estimator", AISTATS 2011) binarizes by *sampling*: a pixel of
grey level p / 255 becomes 1 with probability p / 255. Thresholding at 0.5 instead would give cleaner
but less varied digits and likelihoods that cannot be compared with the papers'.

Static binarization: every pixel is sampled once, with a fixed seed, when the dataset is made, so the
training set is the same 60,000 binary images in every epoch and every run, as in the benchmark (whose
test numbers are on a fixed binary test set). Dynamic binarization, a new sample every epoch, is a
regularizer that lowers test likelihoods by a nat or two; with a fixed set, likelihoods from different
runs and models are comparable. The draw here cannot be the benchmark's own file (which is not MNIST's
split: 50,000 / 10,000 / 10,000 from MNIST's training and test sets), so numbers are close to the papers'
rather than equal: the test split is MNIST's own 10,000 test images, binarized with their own seed.
"""

from __future__ import annotations

import numpy

from tinyconv.checks import check_int
from tinyconv.data.mnist import MNIST


class BinarizedMNIST(MNIST):
    """MNIST with each pixel sampled once to 0 or 1: p(pixel = 1) = grey level / 255, a fixed seed.

        dataset = BinarizedMNIST()              # the 60,000 training images, binarized with seed 0
        image, label = dataset[0]               # (1, 28, 28) float32 of 0.0 and 1.0, an int
        test_set = BinarizedMNIST(train=False)  # MNIST's 10,000 test images

    A subclass of MNIST, not an option of it: the files, their checks and their download are MNIST's, but
    a sample is something else, a binary image in {0, 1} and not normalized (a Bernoulli likelihood needs
    its pixels in [0, 1]; normalized pixels would be refused). The binary pixels are drawn in __init__
    from numpy.random.default_rng((seed, split)), split 0 for train and 1 for test, so that the two splits
    have their own streams and the same seed always gives the same images. `images` holds them as uint8 0
    and 1; `grey_images`, the original pixels. A `transform` sees the binary pixels, 0 and 1.
    """

    def __init__(self, root=None, train: bool = True, download: bool = True, transform=None, seed: int = 0):
        super().__init__(root, train=train, download=download, transform=transform)
        self.seed = check_int("BinarizedMNIST", "seed", seed, minimum=0)
        generator = numpy.random.default_rng((self.seed, 0 if train else 1))
        self.grey_images = self.images
        on = generator.random(self.images.shape, dtype=numpy.float32) * 255 < self.images
        self.images = on.astype(numpy.uint8)

    def normalize(self, pixels: numpy.ndarray) -> numpy.ndarray:
        """The binary pixels as float32 0.0 and 1.0, unchanged: no mean is subtracted."""
        return pixels.astype(numpy.float32)

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{self._name}({split}, {len(self)} images, seed {self.seed}, from {self.root})"
