"""Fashion-MNIST: 70,000 greyscale 28 x 28 pictures of Zalando's articles of clothing, in ten classes.

Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning
Algorithms" (2017); https://github.com/zalandoresearch/fashion-mnist. Made as a drop-in replacement for
MNIST, which is too easy to tell models apart: the same four IDX files under the same names, the same
60,000 / 10,000 split and the same image size. So it is MNIST (mnist.py) with other mirrors, digests,
class names and statistics; finding, downloading and checking the files are MNIST's own code.

The authors publish MD5 digests of their `.gz` files. Those check only the exact bytes the authors
compressed: a copy that was decompressed, or compressed again (other software, another level, another
timestamp in the gzip header), is refused although its content is the same. So, as for MNIST, what is
checked here is the SHA-256 of each file's decompressed content, and any genuine copy loads.
"""

from __future__ import annotations

from tinyconv.data.mnist import MNIST


class FashionMNIST(MNIST):
    """The Fashion-MNIST training set (`train=True`) or test set, held in memory as uint8 pixels.

        dataset = FashionMNIST()                # the training set, downloaded if needed
        image, label = dataset[0]               # (1, 28, 28) float32, an int; classes[label] names it

    Everything works as in MNIST (see its docstring; the files may be gzipped or not), with two
    differences:
        the folder is `fashion-mnist` (`$TINYCONV_DATA/fashion-mnist`, `~/.cache/tinyconv/fashion-mnist`,
            or `root/fashion-mnist`);
        pixels are normalized with Fashion-MNIST's own statistics:
            x = (pixel / 255 - mean) / std,    mean = 0.2860, std = 0.3530
    """

    folder = "fashion-mnist"
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # the authors' site, as in torchvision
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",  # their repo
    )
    # SHA-256 of each file's decompressed content (the .gz files whose MD5s the authors publish in their
    # README, decompressed; public projects list the same values).
    sha256 = {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }
    # The labels 0-9, as numbered in the authors' README.
    classes = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip
    # The mean and standard deviation of all 60,000 x 784 training pixels divided by 255, as MNIST's 0.1307
    # and 0.3081 are: 0.28604 and 0.35302 to five places (the values in common use with PyTorch; the test on
    # the real files checks that they centre the training pixels with unit variance). Clothes fill more of
    # each picture than a digit's strokes do, hence the larger mean.
    mean = 0.2860
    std = 0.3530
