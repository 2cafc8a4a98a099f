"""CIFAR10 (tinyconv/data/cifar.py) on a small cifar-10-python.tar.gz built here in the real format,
with a local HTTP server.

The archive holds the folder cifar-10-batches-py/ with the six pickled batches (two images in each
training batch, three in the test batch), each a dict with bytes keys as in the real files.
`SmallCIFAR10` is CIFAR10 with the MD5 digests of this archive and of its batches, so every check
runs in milliseconds. The batches' digests check the content of any archive (one packed again loads);
the archive's own digest checks a download. At the end, tests on the real files, when TINYCONV_DATA
holds them.
"""

import io
import os
import pickle
import tarfile

import numpy
import pytest
from helpers import closed_port_url
from helpers.datasets import error_of, md5_of, pixel_mean_and_std, real_data_folder

import tinyconv.data.cifar as cifar_module
from tinyconv.data import CIFAR10

FOLDER = "cifar-10-batches-py"


ARCHIVE_NAME = "cifar-10-python.tar.gz"


TRAIN_BATCHES = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]


MEAN = numpy.array([0.4914, 0.4822, 0.4465])


STD = numpy.array([0.2470, 0.2435, 0.2616])


def pattern_rows(count: int, start: int) -> numpy.ndarray:
    """`count` rows of 3072 pixels, value (start + 11 k + j) mod 256 at position j of row k."""
    k, j = numpy.ogrid[:count, :3072]
    return ((start + 11 * k + j) % 256).astype(numpy.uint8)


def batch_file(rows: numpy.ndarray, labels: list) -> bytes:
    """A batch as CIFAR-10 pickles it: a dict with bytes keys, the data one row of 3072 values per image."""
    names = [f"image_{k}.png".encode() for k in range(len(rows))]
    batch = {b"batch_label": b"a small batch", b"labels": labels, b"data": rows, b"filenames": names}
    return pickle.dumps(batch, protocol=2)


ROWS = {name: pattern_rows(2, start=40 * k) for k, name in enumerate(TRAIN_BATCHES)}
ROWS["test_batch"] = pattern_rows(3, start=7)


LABELS = {
    "data_batch_1": [6, 9],
    "data_batch_2": [9, 4],
    "data_batch_3": [1, 1],
    "data_batch_4": [2, 7],
    "data_batch_5": [8, 3],
    "test_batch": [3, 8, 0],
}


BATCHES = {name: batch_file(ROWS[name], LABELS[name]) for name in ROWS}


TRAIN_LABELS = [label for name in TRAIN_BATCHES for label in LABELS[name]]


def tar_gz(members: list, compresslevel: int = 9) -> bytes:
    """A tar.gz of `members`, each (name, bytes) for a file, (name, None) for a folder, or a TarInfo."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=compresslevel) as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# The layout of the real archive: the folder, then its files (batches.meta and readme.html too).
MEMBERS = [(FOLDER, None), (f"{FOLDER}/batches.meta", pickle.dumps({b"label_names": []}))]
MEMBERS += [(f"{FOLDER}/{name}", BATCHES[name]) for name in TRAIN_BATCHES + ["test_batch"]]
MEMBERS += [(f"{FOLDER}/readme.html", b"<html></html>")]


ARCHIVE = tar_gz(MEMBERS)


class SmallCIFAR10(CIFAR10):
    archive_md5 = md5_of(ARCHIVE)
    md5 = {name: md5_of(data) for name, data in BATCHES.items()}
    mirrors = ("http://127.0.0.1:9/never-used/",)  # each download test sets its own


def place_archive(folder, data: bytes = ARCHIVE):
    os.makedirs(folder, exist_ok=True)
    path = folder / ARCHIVE_NAME
    path.write_bytes(data)
    return path


def place_extracted(folder, batches=BATCHES) -> None:
    """The folder cifar-10-batches-py/ as a user who extracted the archive by hand would have it."""
    os.makedirs(folder / FOLDER)
    for name, data in batches.items():
        (folder / FOLDER / name).write_bytes(data)


# ------------------------------------------------------------------------------ reading and checking


def test_the_archive_is_checked_extracted_and_the_training_batches_read_in_order(tmp_path):
    place_archive(tmp_path)

    dataset = SmallCIFAR10(tmp_path, download=False)

    expected_rows = numpy.concatenate([ROWS[name] for name in TRAIN_BATCHES])
    assert dataset.images.shape == (10, 3, 32, 32) and dataset.images.dtype == numpy.uint8
    numpy.testing.assert_array_equal(dataset.images.reshape(10, 3072), expected_rows)
    assert dataset.labels.tolist() == TRAIN_LABELS and dataset.labels.dtype == numpy.int64
    assert sorted(os.listdir(tmp_path)) == sorted([ARCHIVE_NAME, FOLDER])  # the archive is kept


def test_the_test_split_is_the_test_batch(tmp_path):
    place_archive(tmp_path)

    dataset = SmallCIFAR10(tmp_path, train=False, download=False)

    numpy.testing.assert_array_equal(dataset.images.reshape(3, 3072), ROWS["test_batch"])
    assert dataset.labels.tolist() == [3, 8, 0]


def test_a_row_holds_the_red_then_the_green_then_the_blue_channel_each_row_by_row(tmp_path):
    place_archive(tmp_path)
    image = SmallCIFAR10(tmp_path, train=False, download=False).images[1]
    row = ROWS["test_batch"][1]

    # channel c, pixel (y, x) is at 1024 c + 32 y + x of the row
    for c, y, x in [(0, 0, 0), (0, 0, 31), (0, 1, 0), (1, 0, 0), (1, 5, 9), (2, 31, 31)]:
        assert image[c, y, x] == row[1024 * c + 32 * y + x]


def test_a_sample_is_normalized_per_channel_with_the_cifar10_statistics(tmp_path):
    place_archive(tmp_path)
    dataset = SmallCIFAR10(tmp_path, download=False)

    image, label = dataset[3]

    assert image.shape == (3, 32, 32) and image.dtype == numpy.float32
    assert type(label) is int and label == 4
    pixels = ROWS["data_batch_2"][1].reshape(3, 32, 32)
    expected = (pixels / 255 - MEAN[:, None, None]) / STD[:, None, None]
    numpy.testing.assert_allclose(image, expected, rtol=1e-5, atol=1e-6)


def test_an_index_array_or_a_slice_gives_a_batch_equal_to_the_samples(tmp_path):
    place_archive(tmp_path)
    dataset = SmallCIFAR10(tmp_path, download=False)

    images, labels = dataset[numpy.array([9, 0])]
    sliced_images, sliced_labels = dataset[2:5]

    assert images.shape == (2, 3, 32, 32) and images.dtype == numpy.float32
    assert labels.tolist() == [3, 6] and labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(images[0], dataset[9][0])
    assert sliced_images.shape == (3, 3, 32, 32) and sliced_labels.tolist() == [9, 4, 1]


def test_the_transform_sees_raw_uint8_pixels_before_they_are_normalized(tmp_path):
    place_archive(tmp_path)
    seen = []

    def all_black(batch):
        seen.append((batch.dtype, batch.shape))
        return numpy.zeros_like(batch)

    dataset = SmallCIFAR10(tmp_path, download=False, transform=all_black)
    images, _ = dataset[numpy.arange(4)]
    single, _ = dataset[0]

    assert seen == [(numpy.uint8, (4, 3, 32, 32)), (numpy.uint8, (1, 3, 32, 32))]
    black = (0 - MEAN) / STD
    numpy.testing.assert_allclose(images, numpy.broadcast_to(black[:, None, None], (4, 3, 32, 32)), rtol=1e-5)
    assert single.shape == (3, 32, 32)


def test_a_folder_extracted_by_hand_is_read_without_the_archive(tmp_path):
    place_extracted(tmp_path)

    dataset = SmallCIFAR10(tmp_path, download=False)

    assert dataset.labels.tolist() == TRAIN_LABELS


def test_a_batch_whose_md5_differs_is_refused_without_being_unpickled(tmp_path):
    class Payload:
        def __reduce__(self):  # unpickling this would create the folder "unpickled"
            return (os.makedirs, (str(tmp_path / "unpickled"),))

    place_extracted(tmp_path, batches={**BATCHES, "data_batch_3": pickle.dumps(Payload())})

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    path = tmp_path / FOLDER / "data_batch_3"
    assert "corrupt" in message and str(path) in message and "not unpickled" in message
    assert "MD5" in message and SmallCIFAR10.md5["data_batch_3"] in message
    assert not (tmp_path / "unpickled").exists()
    assert path.exists()


@pytest.mark.parametrize(
    "kept, missing",
    [
        (TRAIN_BATCHES[:4] + ["test_batch"], ["data_batch_5"]),
        (TRAIN_BATCHES[1:4], ["data_batch_1", "data_batch_5", "test_batch"]),
    ],
    ids=["one", "of both splits"],
)
def test_every_batch_missing_from_the_extracted_folder_is_named(tmp_path, kept, missing):
    place_extracted(tmp_path, batches={name: BATCHES[name] for name in kept})

    message = error_of(SmallCIFAR10, tmp_path, train=False, download=False)

    assert f"the folder {tmp_path / FOLDER} is incomplete: {', '.join(missing)} " in message
    assert "Delete the folder" in message


def test_an_archive_packed_again_with_the_same_batches_loads(tmp_path):
    # Other member order, no readme, another compression level: other bytes and another MD5.
    repacked = tar_gz(list(reversed(MEMBERS[:-1])), compresslevel=1)
    assert md5_of(repacked) != SmallCIFAR10.archive_md5
    place_archive(tmp_path, repacked)

    dataset = SmallCIFAR10(tmp_path, download=False)

    assert dataset.labels.tolist() == TRAIN_LABELS
    assert (tmp_path / ARCHIVE_NAME).read_bytes() == repacked


def test_an_archive_with_a_batch_of_other_content_is_refused_nothing_extracted_nothing_unpickled(tmp_path):
    class Payload:
        def __reduce__(self):  # unpickling this would create the folder "unpickled"
            return (os.makedirs, (str(tmp_path / "unpickled"),))

    members = [
        (name, pickle.dumps(Payload()) if name.endswith("data_batch_2") else data) for name, data in MEMBERS
    ]
    path = place_archive(tmp_path / "root", tar_gz(members))

    message = error_of(SmallCIFAR10, tmp_path / "root", download=False)

    assert "corrupt" in message and str(path) in message and "by hand" in message
    assert (
        f"{FOLDER}/data_batch_2 is not the authors' file" in message
        and SmallCIFAR10.md5["data_batch_2"] in message
    )
    assert os.listdir(tmp_path / "root") == [ARCHIVE_NAME]
    assert not (tmp_path / "unpickled").exists()


def test_an_archive_without_one_of_the_batches_is_refused_and_nothing_extracted(tmp_path):
    place_archive(tmp_path, tar_gz([member for member in MEMBERS if not member[0].endswith("test_batch")]))

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    assert "corrupt" in message and f"it holds no {FOLDER}/test_batch" in message
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]


def test_a_damaged_archive_is_refused_as_corrupt_kept_untouched_and_not_extracted(tmp_path):
    damaged = bytearray(ARCHIVE)
    damaged[len(damaged) // 2] ^= 0xFF
    path = place_archive(tmp_path, bytes(damaged))

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    assert "corrupt" in message and str(path) in message and "by hand" in message
    assert path.read_bytes() == bytes(damaged)
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]


@pytest.mark.parametrize("fraction", [0.5, 0.75])
def test_a_cut_archive_is_refused_as_corrupt_and_leaves_no_folder_behind(tmp_path, fraction):
    place_archive(tmp_path, ARCHIVE[: int(len(ARCHIVE) * fraction)])

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    assert f"corrupt file, not used and not deleted: {tmp_path / ARCHIVE_NAME}" in message
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]  # neither the folder nor a temporary one


# ------------------------------------------------------------------------------ extraction


def test_an_extraction_that_fails_on_a_full_disk_says_it_could_not_extract_not_corrupt(tmp_path, monkeypatch):
    def disk_full(tar, member, into):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cifar_module, "_extract_member", disk_full)
    place_archive(tmp_path)

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    assert (
        f"could not extract {FOLDER}/ from {tmp_path / ARCHIVE_NAME}" in message
        and "No space left" in message
    )
    assert "corrupt" not in message
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]


def test_an_interrupted_extraction_leaves_no_folder_behind(tmp_path, monkeypatch):
    extracted = []

    def interrupted_after_three_members(tar, member, into):
        if len(extracted) == 3:
            raise KeyboardInterrupt
        extracted.append(member.name)
        real_extract_member(tar, member, into)

    real_extract_member = cifar_module._extract_member
    monkeypatch.setattr(cifar_module, "_extract_member", interrupted_after_three_members)
    place_archive(tmp_path)

    with pytest.raises(KeyboardInterrupt):
        SmallCIFAR10(tmp_path, download=False)
    assert len(extracted) == 3
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]


def archive_with(member) -> bytes:
    """The batches, followed by one more member."""
    return tar_gz(MEMBERS + [member])


@pytest.mark.parametrize("name", ["../escaped", f"{FOLDER}/../../escaped", "ABSOLUTE"])
def test_a_member_with_an_absolute_name_or_dot_dot_is_refused_and_nothing_is_written_outside(tmp_path, name):
    root = tmp_path / "root"
    name = str(tmp_path / "escaped") if name == "ABSOLUTE" else name
    place_archive(root, archive_with((name, b"written outside")))

    message = error_of(SmallCIFAR10, root, download=False)

    assert f"refused the member {name!r}" in message
    assert sorted(os.listdir(tmp_path)) == ["root"]
    assert os.listdir(root) == [ARCHIVE_NAME]


def test_a_link_in_the_archive_is_refused(tmp_path):
    link = tarfile.TarInfo(f"{FOLDER}/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    place_archive(tmp_path, archive_with(link))

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    assert "refused the member" in message and "a link" in message
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]


def test_an_archive_without_the_batches_folder_is_refused(tmp_path):
    place_archive(
        tmp_path, tar_gz([("other-folder", None), ("other-folder/data_batch_1", BATCHES["data_batch_1"])])
    )

    message = error_of(SmallCIFAR10, tmp_path, download=False)

    assert f"holds no folder {FOLDER}/" in message
    assert os.listdir(tmp_path) == [ARCHIVE_NAME]


# ------------------------------------------------------------------------------ where the files are


def test_missing_files_with_download_false_are_named_with_the_folder_and_how_to_place_them(tmp_path):
    folder = tmp_path / "empty"

    message = error_of(SmallCIFAR10, folder, download=False)

    assert f"neither {FOLDER}/ nor {ARCHIVE_NAME} is in {folder} and download=False" in message
    assert f"{SmallCIFAR10.mirrors[0]}{ARCHIVE_NAME}" in message and "by hand" in message
    assert "cifar10/" in message and "$TINYCONV_DATA/cifar10" in message and "--data-dir DIR" in message
    assert not folder.exists()


def test_root_without_the_files_but_with_a_cifar10_subfolder_uses_the_subfolder(tmp_path):
    place_archive(tmp_path / "cifar10")

    assert SmallCIFAR10(tmp_path, download=False).root == str(tmp_path / "cifar10")


def test_without_root_the_files_are_looked_for_in_TINYCONV_DATA_cifar10(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYCONV_DATA", str(tmp_path))
    place_extracted(tmp_path / "cifar10")

    assert SmallCIFAR10(download=False).root == str(tmp_path / "cifar10")


# ------------------------------------------------------------------------------ downloads


def serve(server, folder: str, data: bytes = ARCHIVE) -> str:
    """Serve `data` as /folder/cifar-10-python.tar.gz and return that mirror's URL."""
    server.routes[f"/{folder}/{ARCHIVE_NAME}"] = data
    return f"{server.url}/{folder}/"


def test_download_fetches_the_archive_checks_it_and_extracts_it(tmp_path, server, monkeypatch):
    monkeypatch.setattr(SmallCIFAR10, "mirrors", (serve(server, "kriz"),))
    root = tmp_path / "new" / "folder"

    dataset = SmallCIFAR10(root, train=False)

    assert sorted(os.listdir(root)) == sorted([ARCHIVE_NAME, FOLDER])
    assert (root / ARCHIVE_NAME).read_bytes() == ARCHIVE
    assert dataset.labels.tolist() == [3, 8, 0]


def test_download_tries_the_next_mirror_when_one_answers_404(tmp_path, server, monkeypatch):
    monkeypatch.setattr(SmallCIFAR10, "mirrors", (f"{server.url}/gone/", serve(server, "good")))

    SmallCIFAR10(tmp_path)

    assert server.requests == [f"/gone/{ARCHIVE_NAME}", f"/good/{ARCHIVE_NAME}"]


def test_download_rejects_a_corrupted_archive_and_leaves_nothing_behind(tmp_path, server, monkeypatch):
    damaged = bytearray(ARCHIVE)
    damaged[100] ^= 0xFF
    monkeypatch.setattr(SmallCIFAR10, "mirrors", (serve(server, "kriz", bytes(damaged)),))

    message = error_of(SmallCIFAR10, tmp_path)

    assert f"could not download {ARCHIVE_NAME}" in message and "MD5" in message
    assert os.listdir(tmp_path) == []


def test_download_rejects_a_connection_cut_short_and_leaves_nothing_behind(tmp_path, server, monkeypatch):
    mirror = serve(server, "kriz")
    server.routes[f"/kriz/{ARCHIVE_NAME}"] = (ARCHIVE[:500], len(ARCHIVE))  # announces all, sends 500 bytes
    monkeypatch.setattr(SmallCIFAR10, "mirrors", (mirror,))

    message = error_of(SmallCIFAR10, tmp_path)

    assert f"after 500 of {len(ARCHIVE)} bytes" in message
    assert os.listdir(tmp_path) == []


def test_offline_download_names_the_archive_the_folder_and_how_to_place_it(tmp_path, monkeypatch):
    unreachable = closed_port_url("/~kriz/")
    monkeypatch.setattr(SmallCIFAR10, "mirrors", (unreachable,))

    message = error_of(SmallCIFAR10, tmp_path)

    assert message.startswith(f"SmallCIFAR10: could not download {ARCHIVE_NAME} into {tmp_path}")
    assert f"{unreachable}{ARCHIVE_NAME}" in message and "by hand" in message
    assert "refused" in message.lower()
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------ the real files


@pytest.fixture(scope="module")
def real_train_set() -> CIFAR10:
    real_data_folder("cifar10", "cifar-10-python.tar.gz")
    return CIFAR10(train=True, download=False)


def test_real_cifar10_has_50000_training_images_5000_of_each_class(real_train_set):
    assert real_train_set.images.shape == (50000, 3, 32, 32)
    assert numpy.bincount(real_train_set.labels).tolist() == [5000] * 10


def test_real_training_pixels_have_the_channel_means_and_stds_used_to_normalize_them(real_train_set):
    for channel in range(3):
        mean, std = pixel_mean_and_std(real_train_set.images[:, channel])  # 51 million pixels each
        assert mean == pytest.approx(MEAN[channel], abs=1e-4)
        assert std == pytest.approx(STD[channel], abs=1e-4)
