"""FashionMNIST (tinyconv/data/fashion_mnist.py) on small made-up files in the real format, with a local
HTTP server as its mirror.

`SmallFashionMNIST` is FashionMNIST with the SHA-256 digests of the content of small IDX files built
here byte by byte (five training images, three test images, 28 x 28). The authors publish MD5s of
their `.gz` files, which would refuse a genuine copy compressed again; these tests show that the
content is what is checked: the `.gz` as published, one compressed again, and a decompressed file all
load, and a file whose content differs is refused. At the end, tests on the real files, when
TINYCONV_DATA holds them.
"""

import gzip
import hashlib
import os

import numpy
import pytest
from helpers import closed_port_url
from helpers.datasets import error_of, idx_bytes, pattern_images, pixel_mean_and_std, real_data_folder

from tinyconv.data import FashionMNIST

TRAIN_IMAGES = pattern_images(5, start=10, image_step=50, row_step=5)
TRAIN_LABELS = numpy.array([9, 0, 0, 3, 8], dtype=numpy.uint8)
TEST_IMAGES = pattern_images(3, start=200, image_step=50, row_step=5)
TEST_LABELS = numpy.array([9, 2, 1], dtype=numpy.uint8)


CONTENTS = {
    "train-images-idx3-ubyte": idx_bytes(TRAIN_IMAGES),
    "train-labels-idx1-ubyte": idx_bytes(TRAIN_LABELS),
    "t10k-images-idx3-ubyte": idx_bytes(TEST_IMAGES),
    "t10k-labels-idx1-ubyte": idx_bytes(TEST_LABELS),
}


# As the authors' files: gzipped with mtime=0. RECOMPRESSED: the same content gzipped at another level
# with another timestamp, as any re-packaging of the files produces: other bytes, other MD5s.
GZIPPED = {name: gzip.compress(content, mtime=0) for name, content in CONTENTS.items()}
RECOMPRESSED = {name: gzip.compress(content, compresslevel=1, mtime=1) for name, content in CONTENTS.items()}


TRAIN_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]


TEST_FILES = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


class SmallFashionMNIST(FashionMNIST):
    sha256 = {name: hashlib.sha256(content).hexdigest() for name, content in CONTENTS.items()}
    mirrors = ("http://127.0.0.1:9/never-used/",)  # each download test sets its own


def place(folder, names, gzipped=GZIPPED) -> None:
    """Write the `.gz` files `names` into `folder`."""
    os.makedirs(folder, exist_ok=True)
    for name in names:
        (folder / (name + ".gz")).write_bytes(gzipped[name])


# ------------------------------------------------------------------------------ the published digests


def test_the_digests_are_the_sha256_of_the_authors_files_decompressed():
    # The SHA-256 of the four files of github.com/zalandoresearch/fashion-mnist, decompressed, as public
    # projects list them.
    assert FashionMNIST.sha256 == {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }


# ------------------------------------------------------------------------------ reading and checking


def test_training_and_test_files_are_read_in_file_order(tmp_path):
    place(tmp_path, TRAIN_FILES + TEST_FILES)

    train = SmallFashionMNIST(tmp_path, download=False)
    test = SmallFashionMNIST(tmp_path, train=False, download=False)

    numpy.testing.assert_array_equal(train.images, TRAIN_IMAGES)
    numpy.testing.assert_array_equal(train.labels, TRAIN_LABELS)
    numpy.testing.assert_array_equal(test.images, TEST_IMAGES)
    numpy.testing.assert_array_equal(test.labels, TEST_LABELS)
    assert train.labels.dtype == numpy.int64


def test_pixels_are_normalized_with_fashion_mnists_own_mean_and_std(tmp_path):
    place(tmp_path, TRAIN_FILES)
    dataset = SmallFashionMNIST(tmp_path, download=False)

    image, label = dataset[3]

    assert image.shape == (1, 28, 28) and image.dtype == numpy.float32 and label == 3
    pixel = (10 + 50 * 3 + 5 * 4 + 6) % 256  # image 3, row 4, column 6
    assert image[0, 4, 6] == pytest.approx((pixel / 255 - 0.2860) / 0.3530, rel=1e-6)


def test_labels_name_the_articles_of_clothing_in_the_authors_order(tmp_path):
    place(tmp_path, TRAIN_FILES)
    dataset = SmallFashionMNIST(tmp_path, download=False)

    names = [dataset.classes[label] for label in dataset.labels]

    assert names == ["Ankle boot", "T-shirt/top", "T-shirt/top", "Dress", "Bag"]


def test_an_index_array_gives_a_batch(tmp_path):
    place(tmp_path, TRAIN_FILES)
    dataset = SmallFashionMNIST(tmp_path, download=False)

    images, labels = dataset[numpy.array([4, 1])]

    assert images.shape == (2, 1, 28, 28) and labels.tolist() == [8, 0]
    numpy.testing.assert_array_equal(images[1], dataset[1][0])


def test_a_genuine_copy_compressed_again_loads(tmp_path):
    assert RECOMPRESSED["train-images-idx3-ubyte"] != GZIPPED["train-images-idx3-ubyte"]
    place(tmp_path, TRAIN_FILES, gzipped=RECOMPRESSED)

    dataset = SmallFashionMNIST(tmp_path, download=False)

    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)


def test_decompressed_files_load(tmp_path):
    for name in TRAIN_FILES:
        (tmp_path / name).write_bytes(CONTENTS[name])

    dataset = SmallFashionMNIST(tmp_path, download=False)

    numpy.testing.assert_array_equal(dataset.labels, TRAIN_LABELS)


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "decompressed"])
def test_a_file_whose_content_differs_is_refused_as_corrupt_and_kept_untouched(tmp_path, gz):
    damaged = bytearray(CONTENTS["train-images-idx3-ubyte"])
    damaged[600] ^= 0xFF  # one pixel: a valid IDX file, only the digest tells
    data = gzip.compress(bytes(damaged)) if gz else bytes(damaged)
    place(tmp_path, ["train-labels-idx1-ubyte"])
    path = tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(data)

    message = error_of(SmallFashionMNIST, tmp_path, download=False)

    assert "corrupt" in message and str(path) in message
    assert "SHA-256" in message and SmallFashionMNIST.sha256["train-images-idx3-ubyte"] in message
    assert "by hand" in message
    assert path.read_bytes() == data


def test_a_truncated_gz_file_is_refused_as_corrupt(tmp_path):
    place(tmp_path, TRAIN_FILES)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(GZIPPED["train-labels-idx1-ubyte"][:-8])

    message = error_of(SmallFashionMNIST, tmp_path, download=False)

    assert "corrupt" in message and str(path) in message and path.exists()


def test_missing_files_with_download_false_are_all_named_with_the_folder_and_how_to_place_them(tmp_path):
    folder = tmp_path / "empty"

    message = error_of(SmallFashionMNIST, folder, download=False)

    assert "download=False" in message and str(folder) in message
    for name in TRAIN_FILES + TEST_FILES:
        assert f"{SmallFashionMNIST.mirrors[0]}{name}.gz" in message
    assert "by hand" in message and "fashion-mnist/" in message and "--data-dir" in message
    assert not folder.exists()


# ------------------------------------------------------------------------------ where the files are


def test_without_root_the_files_are_looked_for_in_TINYCONV_DATA_fashion_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYCONV_DATA", str(tmp_path))
    place(tmp_path / "fashion-mnist", TRAIN_FILES)
    place(tmp_path / "mnist", TRAIN_FILES)  # MNIST's folder is not Fashion-MNIST's

    dataset = SmallFashionMNIST(download=False)

    assert dataset.root == str(tmp_path / "fashion-mnist")


def test_root_without_the_files_but_with_a_fashion_mnist_subfolder_uses_the_subfolder(tmp_path):
    place(tmp_path / "fashion-mnist", TRAIN_FILES)

    assert SmallFashionMNIST(tmp_path, download=False).root == str(tmp_path / "fashion-mnist")


# ------------------------------------------------------------------------------ downloads


def serve(server, folder: str, names, gzipped=GZIPPED) -> str:
    """Serve the `.gz` files `names` under /folder/ and return that mirror's URL."""
    for name in names:
        server.routes[f"/{folder}/{name}.gz"] = gzipped[name]
    return f"{server.url}/{folder}/"


def test_download_fetches_the_gz_files_as_published_and_the_dataset_loads_them(tmp_path, server, monkeypatch):
    monkeypatch.setattr(SmallFashionMNIST, "mirrors", (serve(server, "fashion", TRAIN_FILES),))

    dataset = SmallFashionMNIST(tmp_path / "new")

    for name in TRAIN_FILES:
        assert (tmp_path / "new" / (name + ".gz")).read_bytes() == GZIPPED[name]
    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)


def test_download_takes_a_copy_compressed_again_from_the_first_mirror(tmp_path, server, monkeypatch):
    mirror = serve(server, "repacked", TRAIN_FILES, gzipped=RECOMPRESSED)
    monkeypatch.setattr(SmallFashionMNIST, "mirrors", (mirror, serve(server, "authors", TRAIN_FILES)))

    dataset = SmallFashionMNIST(tmp_path)

    assert server.requests == [f"/repacked/{name}.gz" for name in TRAIN_FILES]
    numpy.testing.assert_array_equal(dataset.images, TRAIN_IMAGES)


def test_download_tries_the_next_mirror_when_one_serves_other_content(tmp_path, server, monkeypatch):
    damaged = bytearray(CONTENTS["train-images-idx3-ubyte"])
    damaged[600] ^= 0xFF
    other = {**GZIPPED, "train-images-idx3-ubyte": gzip.compress(bytes(damaged), mtime=0)}
    bad, good = serve(server, "bad", TRAIN_FILES, gzipped=other), serve(server, "good", TRAIN_FILES)
    monkeypatch.setattr(SmallFashionMNIST, "mirrors", (bad, good))

    SmallFashionMNIST(tmp_path)

    assert server.requests[:2] == ["/bad/train-images-idx3-ubyte.gz", "/good/train-images-idx3-ubyte.gz"]
    assert (tmp_path / "train-images-idx3-ubyte.gz").read_bytes() == GZIPPED["train-images-idx3-ubyte"]


def test_download_rejects_a_truncated_file_and_leaves_nothing_behind(tmp_path, server, monkeypatch):
    mirror = serve(server, "fashion", TRAIN_FILES)
    route = "/fashion/train-images-idx3-ubyte.gz"
    server.routes[route] = server.routes[route][:-20]
    monkeypatch.setattr(SmallFashionMNIST, "mirrors", (mirror,))

    message = error_of(SmallFashionMNIST, tmp_path)

    assert (
        "could not download train-images-idx3-ubyte.gz" in message and "not a complete gzip file" in message
    )
    assert os.listdir(tmp_path) == []


def test_offline_download_names_the_files_the_folder_and_how_to_place_them(tmp_path, monkeypatch):
    unreachable = closed_port_url("/fashion/")
    monkeypatch.setattr(SmallFashionMNIST, "mirrors", (unreachable,))

    message = error_of(SmallFashionMNIST, tmp_path)

    assert message.startswith("SmallFashionMNIST: could not download train-images-idx3-ubyte.gz")
    assert str(tmp_path) in message and "by hand" in message and "refused" in message.lower()
    for name in TRAIN_FILES:
        assert f"{unreachable}{name}.gz" in message
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------ the real files


@pytest.fixture(scope="module")
def real_train_set() -> FashionMNIST:
    real_data_folder("fashion-mnist", "the Fashion-MNIST .gz files")
    return FashionMNIST(train=True, download=False)


def test_real_fashion_mnist_has_60000_training_images_6000_of_each_class(real_train_set):
    assert real_train_set.images.shape == (60000, 28, 28)
    assert numpy.bincount(real_train_set.labels).tolist() == [6000] * 10


def test_real_training_pixels_have_the_mean_and_std_used_to_normalize_them(real_train_set):
    mean, std = pixel_mean_and_std(real_train_set.images)  # the 47 million pixels

    assert mean == pytest.approx(FashionMNIST.mean, abs=1e-4)
    assert std == pytest.approx(FashionMNIST.std, abs=1e-4)
