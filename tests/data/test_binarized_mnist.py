"""BinarizedMNIST (tinyconv/data/binarized_mnist.py) on small made-up MNIST files: each pixel sampled once to
0 or 1 with probability grey / 255, the same seed giving the same images, each split its own stream, samples
as unnormalized 0.0 / 1.0; dynamic binarization, a new draw at every read; then the real files, when
TINYCONV_DATA holds them.
"""

import hashlib

import numpy
import pytest
from helpers.datasets import idx_bytes, pattern_images, real_data_folder

import tinyconv
from tinyconv.data import MNIST, BinarizedMNIST

TRAIN_IMAGES = pattern_images(5, start=10, image_step=50, row_step=5)
TEST_IMAGES = pattern_images(3, start=200, image_step=50, row_step=5)
CONTENTS = {
    "train-images-idx3-ubyte": idx_bytes(TRAIN_IMAGES),
    "train-labels-idx1-ubyte": idx_bytes(numpy.array([1, 2, 3, 4, 5], dtype=numpy.uint8)),
    "t10k-images-idx3-ubyte": idx_bytes(TEST_IMAGES),
    "t10k-labels-idx1-ubyte": idx_bytes(numpy.array([7, 8, 9], dtype=numpy.uint8)),
}


class SmallBinarizedMNIST(BinarizedMNIST):
    sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in CONTENTS.items()}
    mirrors = ("http://127.0.0.1:9/never-used/",)


@pytest.fixture
def folder(tmp_path):
    for name, content in CONTENTS.items():
        (tmp_path / name).write_bytes(content)
    return tmp_path


def test_pixels_become_zero_or_one_and_black_and_white_stay_as_they_are(folder):
    dataset = SmallBinarizedMNIST(folder, download=False)
    assert set(numpy.unique(dataset.images)) <= {0, 1}
    grey = dataset.grey_images
    assert (dataset.images[grey == 0] == 0).all()  # p = 0: never on
    assert (dataset.images[grey == 255] == 1).all()  # p = 1: always on
    numpy.testing.assert_array_equal(grey, TRAIN_IMAGES)


def test_a_pixel_is_on_with_probability_grey_over_255(tmp_path):
    # Five images of one grey level, 51 = 0.2 * 255: 3,920 draws, of which a fraction 0.2 come out 1,
    # within 4 standard deviations of a fraction of 3,920 (0.026).
    contents = dict(
        CONTENTS, **{"train-images-idx3-ubyte": idx_bytes(numpy.full((5, 28, 28), 51, numpy.uint8))}
    )

    class Grey(SmallBinarizedMNIST):
        sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()}

    for name, content in contents.items():
        (tmp_path / name).write_bytes(content)
    assert Grey(tmp_path, download=False).images.mean() == pytest.approx(0.2, abs=0.026)


def test_the_binarization_is_static_the_same_seed_gives_the_same_images(folder):
    first = SmallBinarizedMNIST(folder, download=False)
    again = SmallBinarizedMNIST(folder, download=False)
    other = SmallBinarizedMNIST(folder, download=False, seed=1)
    numpy.testing.assert_array_equal(first.images, again.images)
    assert (first.images != other.images).any()
    numpy.testing.assert_array_equal(first[0][0], first[0][0])  # reading a sample draws nothing new


def test_the_test_split_is_mnists_test_set_with_its_own_stream(folder):
    test_set = SmallBinarizedMNIST(folder, train=False, download=False)
    assert len(test_set) == 3 and test_set.labels.tolist() == [7, 8, 9]
    numpy.testing.assert_array_equal(test_set.grey_images, TEST_IMAGES)
    expected = numpy.random.default_rng((0, 1)).random(TEST_IMAGES.shape, dtype=numpy.float32) * 255
    numpy.testing.assert_array_equal(test_set.images, (expected < TEST_IMAGES).astype(numpy.uint8))


def test_samples_are_float32_zeros_and_ones_not_normalized(folder):
    dataset = SmallBinarizedMNIST(folder, download=False)
    image, label = dataset[1]
    assert image.shape == (1, 28, 28) and image.dtype == numpy.float32 and label == 2
    numpy.testing.assert_array_equal(image[0], dataset.images[1].astype(numpy.float32))
    images, labels = dataset[numpy.arange(4)]
    assert images.shape == (4, 1, 28, 28) and labels.tolist() == [1, 2, 3, 4]
    assert set(numpy.unique(images)) <= {0.0, 1.0}


def test_dynamic_binarization_draws_anew_at_every_read_repeatably_under_a_seed(folder):
    dataset = SmallBinarizedMNIST(folder, download=False, dynamic=True)
    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)  # the grey pixels are kept
    tinyconv.manual_seed(0)
    first, _ = dataset[numpy.arange(5)]
    second, _ = dataset[numpy.arange(5)]
    assert set(numpy.unique(first)) <= {0.0, 1.0} and (first != second).any()
    tinyconv.manual_seed(0)
    numpy.testing.assert_array_equal(dataset[numpy.arange(5)][0], first)
    assert (first[:, 0][TRAIN_IMAGES == 0] == 0).all() and (first[:, 0][TRAIN_IMAGES == 255] == 1).all()


def test_dynamic_draws_are_on_with_probability_grey_over_255(tmp_path):
    contents = dict(
        CONTENTS, **{"train-images-idx3-ubyte": idx_bytes(numpy.full((5, 28, 28), 51, numpy.uint8))}
    )

    class Grey(SmallBinarizedMNIST):
        sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()}

    for name, content in contents.items():
        (tmp_path / name).write_bytes(content)
    dataset = Grey(tmp_path, download=False, dynamic=True)
    draws = numpy.concatenate([dataset[numpy.arange(5)][0] for _ in range(10)])
    assert draws.mean() == pytest.approx(0.2, abs=0.01)  # 39,200 draws: 4 standard deviations = 0.008


def test_repr_names_the_split_and_the_seed(folder):
    assert "BinarizedMNIST(test, 3 images, seed 4" in repr(SmallBinarizedMNIST(folder, train=False, seed=4))
    assert "BinarizedMNIST(train, 5 images, dynamic" in repr(SmallBinarizedMNIST(folder, dynamic=True))


def test_a_negative_seed_is_refused(folder):
    with pytest.raises(ValueError, match="BinarizedMNIST: seed must be a non-negative int, got -1"):
        SmallBinarizedMNIST(folder, download=False, seed=-1)


def test_missing_files_are_reported_under_the_binarized_name_with_mnists_folder(tmp_path):
    with pytest.raises(Exception, match=r"(?s)BinarizedMNIST: the training files .* mnist"):
        BinarizedMNIST(tmp_path / "empty", download=False)


# ------------------------------------------------------------------------------ the real files


def test_the_real_binarized_mnist_has_a_fifth_of_its_pixels_on_as_its_grey_levels_say():
    folder = real_data_folder("mnist", "the four MNIST files")
    train, test = BinarizedMNIST(folder), BinarizedMNIST(folder, train=False)
    assert len(train) == 60_000 and len(test) == 10_000
    numpy.testing.assert_array_equal(test.labels, MNIST(folder, train=False).labels)
    # The mean grey level of MNIST's training pixels is 0.1307 (MNIST.mean): the binary images keep it.
    assert train.images.mean() == pytest.approx(MNIST.mean, abs=2e-3)
