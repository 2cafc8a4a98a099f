"""Fashion-MNIST: 70,000 greyscale 28 x 28 pictures of Zalando's articles of clothing, in ten classes.

Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning
Algorithms" (2017); https://github.com/zalandoresearch/fashion-mnist. Made as a drop-in replacement for
MNIST, which is too easy to tell models apart: the same four IDX files under the same names, the same
60,000 / 10,000 split and the same image size. So it is MNIST (mnist.py) with other mirrors, digests,
class names and statistics; finding, downloading and checking the files are MNIST's own code.
"""

from __future__ import annotations

from tinyconv.data.mnist import MNIST


class FashionMNIST(MNIST):
    """The Fashion-MNIST training set (`train=True`) or test set, held in memory as uint8 pixels.

        dataset = FashionMNIST()                # the training set, downloaded if needed
        image, label = dataset[0]               # (1, 28, 28) float32, an int; classes[label] names it

    Everything works as in MNIST (see its docstring), with three differences:
        the folder is `fashion-mnist` (`$TINYCONV_DATA/fashion-mnist`, `~/.cache/tinyconv/fashion-mnist`,
            or `root/fashion-mnist`);
        the files must stay gzipped: the digests the authors publish are MD5s of the `.gz` files,
            which cannot check a decompressed file;
        pixels are normalized with Fashion-MNIST's own statistics:
            x = (pixel / 255 - mean) / std,    mean = 0.2860, std = 0.3530
    """

    folder = "fashion-mnist"
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # the authors' site, as in torchvision
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",  # their repo
    )
    sha256: dict[str, str] = {}
    # MD5 of each .gz file as published: the table "Get the Data" in the authors' README
    # (github.com/zalandoresearch/fashion-mnist), the same as `resources` in torchvision's datasets/mnist.py.
    md5 = {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
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
