"""MNIST (tinyconv/data/mnist.py): finding, checking and downloading its files, then the real files.

`SmallMNIST` is MNIST with the digests of small IDX files built here byte by byte (six training images,
four test images, 28 x 28), so every check runs in milliseconds and a "mirror" is a server on 127.0.0.1
that the test fills with whatever files (good, truncated, corrupted) the case needs.

At the end, the real files, read from the data folder named by TINYCONV_DATA (its mnist/ subfolder). The
expected numbers there are facts about MNIST, not about tinyconv: 60,000 + 10,000 images, the first labels
of each split, the count of each digit, and the pixel mean 0.1307 and std 0.3081 that make the normalized
training images centred with unit variance.
"""

import gzip
import hashlib
import os
import shutil

import numpy
import pytest
from helpers import closed_port_url
from helpers.datasets import error_of, idx_bytes, pattern_images, real_data_folder

from tinyconv.data import MNIST, DataLoader, DatasetError
from tinyconv.data import download as download_module

TRAIN_IMAGES = pattern_images(6, start=0, image_step=40, row_step=3)
TRAIN_LABELS = numpy.array([3, 1, 4, 1, 5, 9], dtype=numpy.uint8)
TEST_IMAGES = pattern_images(4, start=100, image_step=40, row_step=3)
TEST_LABELS = numpy.array([2, 7, 1, 8], dtype=numpy.uint8)


CONTENTS = {
    "train-images-idx3-ubyte": idx_bytes(TRAIN_IMAGES),
    "train-labels-idx1-ubyte": idx_bytes(TRAIN_LABELS),
    "t10k-images-idx3-ubyte": idx_bytes(TEST_IMAGES),
    "t10k-labels-idx1-ubyte": idx_bytes(TEST_LABELS),
}


TRAIN_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]


TEST_FILES = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


class SmallMNIST(MNIST):
    sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in CONTENTS.items()}
    mirrors = ("http://127.0.0.1:9/never-used/",)  # each download test sets its own


def place(folder, names, gz: bool = True, contents=CONTENTS) -> None:
    """Write the files `names` into `folder`, gzipped (name.gz) or not."""
    os.makedirs(folder, exist_ok=True)
    for name in names:
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(contents[name]))
        else:
            (folder / name).write_bytes(contents[name])


# ------------------------------------------------------------------------------ reading and checking


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "decompressed"])
def test_images_and_labels_are_read_in_file_order_from_gzipped_or_decompressed_files(tmp_path, gz):
    place(tmp_path, TRAIN_FILES + TEST_FILES, gz=gz)

    train, test = SmallMNIST(tmp_path, download=False), SmallMNIST(tmp_path, train=False, download=False)

    numpy.testing.assert_array_equal(train.images, TRAIN_IMAGES)
    numpy.testing.assert_array_equal(train.labels, TRAIN_LABELS)
    numpy.testing.assert_array_equal(test.images, TEST_IMAGES)
    numpy.testing.assert_array_equal(test.labels, TEST_LABELS)
    assert train.labels.dtype == numpy.int64


def test_pixels_are_normalized_with_the_mnist_mean_and_std(tmp_path):
    place(tmp_path, TRAIN_FILES)
    dataset = SmallMNIST(tmp_path, download=False)

    image, label = dataset[2]

    assert image.shape == (1, 28, 28) and image.dtype == numpy.float32 and label == 4
    pixel = (40 * 2 + 3 * 5 + 7) % 256  # image 2, row 5, column 7
    assert image[0, 5, 7] == pytest.approx((pixel / 255 - 0.1307) / 0.3081, rel=1e-6)


def test_an_index_array_or_a_slice_gives_a_batch(tmp_path):
    place(tmp_path, TRAIN_FILES)
    dataset = SmallMNIST(tmp_path, download=False)

    images, labels = dataset[numpy.array([5, 0])]
    sliced_images, sliced_labels = dataset[1:4]

    assert images.shape == (2, 1, 28, 28) and images.dtype == numpy.float32
    assert labels.tolist() == [9, 3] and labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(images[1], dataset[0][0])
    assert sliced_images.shape == (3, 1, 28, 28) and sliced_labels.tolist() == [1, 4, 1]


def test_a_corrupted_file_is_refused_as_corrupt_and_kept_untouched(tmp_path):
    damaged = bytearray(CONTENTS["train-images-idx3-ubyte"])
    damaged[500] ^= 0xFF  # one pixel: the header and the size are still right, only the digest tells
    place(tmp_path, TRAIN_FILES, gz=False, contents={**CONTENTS, "train-images-idx3-ubyte": bytes(damaged)})

    message = error_of(SmallMNIST, tmp_path, download=False)

    path = tmp_path / "train-images-idx3-ubyte"
    assert "corrupt" in message and str(path) in message
    assert "SHA-256" in message and SmallMNIST.sha256["train-images-idx3-ubyte"] in message
    assert "by hand" in message
    assert path.read_bytes() == bytes(damaged)


def test_a_file_with_the_wrong_magic_number_is_refused(tmp_path):
    swapped = {**CONTENTS, "train-images-idx3-ubyte": CONTENTS["train-labels-idx1-ubyte"]}
    place(tmp_path, TRAIN_FILES, contents=swapped)

    message = error_of(SmallMNIST, tmp_path, download=False)

    assert "corrupt" in message and "magic number 2049, expected 2051" in message


def test_a_truncated_file_is_refused_naming_the_sizes(tmp_path):
    cut = {**CONTENTS, "train-images-idx3-ubyte": CONTENTS["train-images-idx3-ubyte"][:-100]}
    place(tmp_path, TRAIN_FILES, gz=False, contents=cut)

    message = error_of(SmallMNIST, tmp_path, download=False)

    assert "corrupt" in message and "is truncated" in message and "(6, 28, 28)" in message


def test_a_truncated_gzip_file_is_refused(tmp_path):
    place(tmp_path, TRAIN_FILES)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])

    message = error_of(SmallMNIST, tmp_path, download=False)

    assert "corrupt" in message and "not a complete gzip file" in message and path.exists()


def test_images_and_labels_must_be_equally_many(tmp_path):
    five_labels = {**CONTENTS, "train-labels-idx1-ubyte": idx_bytes(TRAIN_LABELS[:5])}

    class MismatchedMNIST(SmallMNIST):
        sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in five_labels.items()}

    place(tmp_path, TRAIN_FILES, contents=five_labels)
    with pytest.raises(DatasetError, match="6 images in .* but 5 labels in"):
        MismatchedMNIST(tmp_path, download=False)


def test_missing_files_with_download_false_are_named_with_the_folder_and_how_to_place_them(tmp_path):
    folder = tmp_path / "empty"

    message = error_of(SmallMNIST, folder, download=False)

    assert "download=False" in message and str(folder) in message
    for name in TRAIN_FILES:
        assert name in message and f"{SmallMNIST.mirrors[0]}{name}.gz" in message
    assert "by hand" in message
    assert not folder.exists()


@pytest.mark.parametrize("train", [True, False], ids=["training set", "test set"])
def test_missing_files_of_both_splits_are_all_named_so_one_trip_puts_them_in_place(tmp_path, train):
    message = error_of(SmallMNIST, tmp_path, train=train, download=False)

    wanted, other = ("training", "test") if train else ("test", "training")
    assert f"the {wanted} files" in message and f"(nor are the {other} files" in message
    for name in TRAIN_FILES + TEST_FILES:
        assert f"{SmallMNIST.mirrors[0]}{name}.gz" in message


def test_the_missing_files_error_names_root_tinyconv_data_and_the_demos_data_dir_flag(tmp_path):
    message = error_of(SmallMNIST, tmp_path, download=False)

    assert "root" in message and "$TINYCONV_DATA/mnist" in message and "--data-dir DIR" in message


# ------------------------------------------------------------------------------ where the files are


def test_root_holding_the_files_is_used_itself(tmp_path):
    place(tmp_path, TRAIN_FILES)

    assert SmallMNIST(tmp_path, download=False).root == str(tmp_path)


def test_root_without_the_files_but_with_an_mnist_subfolder_holding_them_uses_the_subfolder(tmp_path):
    place(tmp_path / "mnist", TRAIN_FILES)

    dataset = SmallMNIST(tmp_path, download=False)

    assert dataset.root == str(tmp_path / "mnist")
    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)


def test_root_holding_any_of_the_files_is_not_replaced_by_its_mnist_subfolder(tmp_path):
    place(tmp_path, TEST_FILES)
    place(tmp_path / "mnist", TRAIN_FILES)

    message = error_of(SmallMNIST, tmp_path, train=True, download=False)

    assert f"are not in {tmp_path} and download=False\n" in message  # the test files are there


def test_without_root_the_files_are_looked_for_in_TINYCONV_DATA_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYCONV_DATA", str(tmp_path))
    place(tmp_path / "mnist", TRAIN_FILES)

    dataset = SmallMNIST(download=False)

    assert dataset.root == str(tmp_path / "mnist")
    numpy.testing.assert_array_equal(dataset.labels, TRAIN_LABELS)


def test_without_root_or_TINYCONV_DATA_the_files_are_looked_for_in_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYCONV_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    place(tmp_path / ".cache" / "tinyconv" / "mnist", TRAIN_FILES)

    assert SmallMNIST(download=False).root == str(tmp_path / ".cache" / "tinyconv" / "mnist")


# ------------------------------------------------------------------------------ downloads


def serve(server, folder: str, names, contents=CONTENTS) -> str:
    """Serve the gzipped `names` under /folder/ and return that mirror's URL."""
    for name in names:
        server.routes[f"/{folder}/{name}.gz"] = gzip.compress(contents[name])
    return f"{server.url}/{folder}/"


def test_download_fetches_the_missing_files_into_root_and_the_dataset_loads_them(
    tmp_path, server, monkeypatch
):
    monkeypatch.setattr(SmallMNIST, "mirrors", (serve(server, "mnist", TRAIN_FILES),))
    root = tmp_path / "new" / "folder"

    dataset = SmallMNIST(root)

    assert sorted(os.listdir(root)) == [name + ".gz" for name in TRAIN_FILES]
    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)
    numpy.testing.assert_array_equal(dataset.labels, TRAIN_LABELS)


def test_download_fetches_only_the_files_that_are_missing(tmp_path, server, monkeypatch):
    monkeypatch.setattr(SmallMNIST, "mirrors", (serve(server, "mnist", TRAIN_FILES),))
    place(tmp_path, ["train-labels-idx1-ubyte"])

    SmallMNIST(tmp_path)

    assert server.requests == ["/mnist/train-images-idx3-ubyte.gz"]


def test_download_tries_the_next_mirror_when_one_answers_404(tmp_path, server, monkeypatch):
    good = serve(server, "good", TRAIN_FILES)
    monkeypatch.setattr(SmallMNIST, "mirrors", (f"{server.url}/gone/", good))

    dataset = SmallMNIST(tmp_path)

    assert server.requests[:2] == ["/gone/train-images-idx3-ubyte.gz", "/good/train-images-idx3-ubyte.gz"]
    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)
    assert sorted(os.listdir(tmp_path)) == [name + ".gz" for name in TRAIN_FILES]


def test_download_tries_the_next_mirror_when_one_serves_a_corrupted_file(tmp_path, server, monkeypatch):
    damaged = {**CONTENTS, "train-images-idx3-ubyte": CONTENTS["train-images-idx3-ubyte"][:-1] + b"\x00"}
    bad, good = serve(server, "bad", TRAIN_FILES, contents=damaged), serve(server, "good", TRAIN_FILES)
    monkeypatch.setattr(SmallMNIST, "mirrors", (bad, good))

    dataset = SmallMNIST(tmp_path)

    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)


def assert_failed_download_left_nothing(message: str, root) -> None:
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert os.listdir(root) == []  # neither the file nor a temporary one


def test_download_rejects_a_corrupted_file_and_leaves_nothing_behind(tmp_path, server, monkeypatch):
    damaged = bytearray(CONTENTS["train-images-idx3-ubyte"])
    damaged[500] ^= 0xFF
    mirror = serve(
        server, "mnist", TRAIN_FILES, contents={**CONTENTS, "train-images-idx3-ubyte": bytes(damaged)}
    )
    monkeypatch.setattr(SmallMNIST, "mirrors", (mirror,))

    message = error_of(SmallMNIST, tmp_path)

    assert "SHA-256" in message
    assert_failed_download_left_nothing(message, tmp_path)


def test_download_rejects_a_truncated_gzip_file_and_leaves_nothing_behind(tmp_path, server, monkeypatch):
    mirror = serve(server, "mnist", TRAIN_FILES)
    route = "/mnist/train-images-idx3-ubyte.gz"
    server.routes[route] = server.routes[route][: len(server.routes[route]) // 2]
    monkeypatch.setattr(SmallMNIST, "mirrors", (mirror,))

    message = error_of(SmallMNIST, tmp_path)

    assert "not a complete gzip file" in message
    assert_failed_download_left_nothing(message, tmp_path)


def test_download_rejects_a_connection_cut_short_and_leaves_nothing_behind(tmp_path, server, monkeypatch):
    mirror = serve(server, "mnist", TRAIN_FILES)
    route = "/mnist/train-images-idx3-ubyte.gz"
    full = server.routes[route]
    server.routes[route] = (full[: len(full) // 2], len(full))  # announces the whole file, sends half
    monkeypatch.setattr(SmallMNIST, "mirrors", (mirror,))

    message = error_of(SmallMNIST, tmp_path)

    assert f"after {len(full) // 2} of {len(full)} bytes" in message
    assert_failed_download_left_nothing(message, tmp_path)


def test_an_interrupted_download_leaves_nothing_behind(tmp_path, monkeypatch):
    def interrupted_fetch(url, file, description):
        file.write(gzip.compress(CONTENTS["train-images-idx3-ubyte"])[:100])
        raise KeyboardInterrupt

    monkeypatch.setattr(download_module, "_fetch", interrupted_fetch)

    with pytest.raises(KeyboardInterrupt):
        SmallMNIST(tmp_path)
    assert os.listdir(tmp_path) == []


def test_offline_download_names_the_files_the_folder_and_how_to_place_them(tmp_path, monkeypatch):
    unreachable = closed_port_url("/mnist/")
    monkeypatch.setattr(SmallMNIST, "mirrors", (unreachable,))

    message = error_of(SmallMNIST, tmp_path)

    assert message.startswith("SmallMNIST: could not download train-images-idx3-ubyte.gz")
    assert str(tmp_path) in message and "by hand" in message
    assert f"(nor are the test files {', '.join(TEST_FILES)})" in message
    for name in TRAIN_FILES + TEST_FILES:
        assert f"{unreachable}{name}.gz" in message
    assert "refused" in message.lower()
    assert os.listdir(tmp_path) == []


def test_a_corrupt_local_file_is_not_replaced_by_a_download(tmp_path, server, monkeypatch):
    monkeypatch.setattr(SmallMNIST, "mirrors", (serve(server, "mnist", TRAIN_FILES),))
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03 not really images")

    message = error_of(SmallMNIST, tmp_path)

    assert "corrupt" in message and str(path) in message
    assert path.read_bytes() == b"\x00\x00\x08\x03 not really images"
    assert "/mnist/train-images-idx3-ubyte.gz" not in server.requests


# ------------------------------------------------------------------------------ transforms


def test_mnist_applies_the_transform_to_raw_pixels_before_normalizing(data_folder):
    def all_black(batch):
        assert batch.dtype == numpy.uint8 and batch.shape[1:] == (1, 28, 28)
        return numpy.zeros_like(batch)

    dataset = MNIST(train=False, download=False, transform=all_black)
    images, _ = dataset[numpy.arange(5)]
    black = (0 - MNIST.mean) / MNIST.std
    numpy.testing.assert_allclose(images, black, rtol=1e-6)
    single, _ = dataset[0]
    assert single.shape == (1, 28, 28)
    numpy.testing.assert_allclose(single, black, rtol=1e-6)


# ------------------------------------------------------------------------------ the real files


TRAIN_DIGIT_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


TEST_DIGIT_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def data_folder() -> str:
    return real_data_folder("mnist", "the MNIST files")


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
