"""MNIST on the real files, read from the data folder named by TINYCONV_DATA (its mnist/ subfolder).

The expected numbers are facts about MNIST, not about tinyconv: 60,000 + 10,000 images, the first
labels of each split, the count of each digit, and the pixel mean 0.1307 and std 0.3081 that make
the normalized training images centred with unit variance.
"""

import gzip
import os
import shutil

import numpy
import pytest

from tinyconv.data import MNIST, DataLoader

TRAIN_DIGIT_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_DIGIT_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def data_folder() -> str:
    folder = os.environ.get("TINYCONV_DATA")
    if not folder:
        pytest.skip(
            "TINYCONV_DATA is not set: set it to a folder whose mnist/ subfolder holds the MNIST files"
        )
    if not os.path.isdir(os.path.join(folder, "mnist")):
        pytest.skip(f"no MNIST files: TINYCONV_DATA={folder} has no mnist/ subfolder")
    return folder


@pytest.fixture(scope="module")
def train_set(data_folder) -> MNIST:
    return MNIST(train=True, download=False)


@pytest.fixture(scope="module")
def test_set(data_folder) -> MNIST:
    return MNIST(train=False, download=False)


def test_without_root_the_files_come_from_the_mnist_subfolder_of_TINYCONV_DATA(train_set, data_folder):
    assert train_set.root == os.path.abspath(os.path.join(data_folder, "mnist"))


def test_mnist_has_60000_training_and_10000_test_images(train_set, test_set):
    assert len(train_set) == 60000 and train_set.images.shape == (60000, 28, 28)
    assert len(test_set) == 10000 and test_set.images.shape == (10000, 28, 28)


def test_raw_images_are_uint8_and_labels_int64_digits(train_set, test_set):
    for dataset in (train_set, test_set):
        assert dataset.images.dtype == numpy.uint8
        assert dataset.labels.dtype == numpy.int64
        assert dataset.labels.min() == 0 and dataset.labels.max() == 9
    assert len(train_set.classes) == 10 and train_set.classes[3] == "3 - three"


def test_the_first_labels_are_the_known_ones(train_set, test_set):
    assert train_set.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test_set.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_each_digit_occurs_as_often_as_in_mnist(train_set, test_set):
    assert numpy.bincount(train_set.labels).tolist() == TRAIN_DIGIT_COUNTS
    assert numpy.bincount(test_set.labels).tolist() == TEST_DIGIT_COUNTS


def test_one_sample_is_a_normalized_float32_image_and_an_int_label(train_set):
    image, label = train_set[0]

    assert image.shape == (1, 28, 28) and image.dtype == numpy.float32
    assert type(label) is int and label == 5
    expected = (train_set.images[0] / 255 - 0.1307) / 0.3081
    numpy.testing.assert_allclose(image[0], expected, rtol=1e-6, atol=1e-6)


def test_normalized_training_images_have_mean_0_and_std_1(train_set):
    images, labels = train_set[numpy.arange(len(train_set))]

    assert images.shape == (60000, 1, 28, 28) and images.dtype == numpy.float32
    assert labels.shape == (60000,) and labels.dtype == numpy.int64
    assert abs(float(images.mean())) < 1e-3
    assert abs(float(images.std()) - 1) < 1e-3


def test_a_batch_lookup_equals_the_samples_looked_up_one_by_one(test_set):
    indices = numpy.array([9999, 0, 42, 42])
    images, labels = test_set[indices]

    for row, index in enumerate(indices):
        image, label = test_set[int(index)]
        numpy.testing.assert_array_equal(images[row], image)
        assert labels[row] == label


def test_a_loader_over_the_test_set_gives_every_image_once(test_set):
    loader = DataLoader(test_set, batch_size=1000)
    labels = numpy.concatenate([labels.data for _, labels in loader])

    assert len(loader) == 10
    numpy.testing.assert_array_equal(labels, test_set.labels)


def test_root_may_be_the_general_data_folder_holding_an_mnist_subfolder(data_folder, test_set):
    dataset = MNIST(data_folder, train=False, download=False)

    assert dataset.root == os.path.abspath(os.path.join(data_folder, "mnist"))
    numpy.testing.assert_array_equal(dataset.labels, test_set.labels)


def test_decompressed_files_read_the_same_as_the_gzipped_ones(data_folder, test_set, tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(os.path.join(data_folder, "mnist", name + ".gz"), "rb") as source:
            with open(tmp_path / name, "wb") as target:
                shutil.copyfileobj(source, target)

    dataset = MNIST(tmp_path, train=False, download=False)

    assert sorted(os.listdir(tmp_path)) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    numpy.testing.assert_array_equal(dataset.images, test_set.images)
    numpy.testing.assert_array_equal(dataset.labels, test_set.labels)
