"""CIFAR-10: 60,000 colour photographs of 32 x 32 pixels in ten classes, 50,000 to train on, 10,000 to test.

Krizhevsky, "Learning Multiple Layers of Features from Tiny Images" (2009);
https://www.cs.toronto.edu/~kriz/cifar.html. Its "python version" is one archive, cifar-10-python.tar.gz,
holding a folder cifar-10-batches-py/ with six pickled batches of 10,000 images: data_batch_1 to
data_batch_5 for training and test_batch for testing. Each batch is a dict with
    b"data"    uint8 (10000, 3072): one image per row, its 1024 red values, then the green, then the blue,
               each channel row by row, so a row reshapes to (3, 32, 32) in PyTorch's channel-first layout
    b"labels"  a list of 10,000 ints 0-9
Its keys are bytes: the batches were pickled by Python 2, whose strings are read back with encoding="bytes".

Nothing is used before its digest matched the published one, and the digests checked are those of the
content, the six batch files, not of the archive that carries them: a genuine archive that was packed
again (other compression, another order of its members) is the same data and loads, and an extracted
folder put in place by hand is checked the same way. Each batch is checked before it is unpickled.
That matters more here than for MNIST's plain arrays: unpickling runs whatever code a file asks for, so
a pickle is only safe to read when it is known to be the authors' file. (The archive's own published
MD5 checks a download, which comes from the authors' server: a transfer cut or damaged is retried on
the next mirror and never written in place.)
"""

from __future__ import annotations

import codecs
import gzip
import os
import pickle
import shutil
import tarfile
import tempfile
import zlib

import numpy

from tinyconv.data.dataset import Dataset, DatasetError, is_single_index
from tinyconv.data.download import (
    ChecksumError,
    DownloadError,
    check_digests,
    choose_root,
    download_verified,
    where_looked_for,
)
from tinyconv.serialization import ALLOWED_GLOBALS


class CIFAR10(Dataset):
    """The CIFAR-10 training set (`train=True`) or test set, held in memory as uint8 pixels.

        dataset = CIFAR10()                          # the training set, downloaded if needed
        image, label = dataset[0]                    # (3, 32, 32) float32, an int
        images, labels = dataset[numpy.arange(64)]   # (64, 3, 32, 32) float32, (64,) int64

    Pixels are normalized per channel c (red, green, blue) as they are read, not stored normalized:
        x[c] = (pixel[c] / 255 - mean[c]) / std[c],   mean = (0.4914, 0.4822, 0.4465),
                                                        std = (0.2470, 0.2435, 0.2616)
    the mean and standard deviation of each channel over all training pixels, so that every channel of
    the inputs is centred with unit variance.

    Where the files are:
        root given:  in `root` itself; if `root` holds neither the archive nor the extracted folder but
                     `root/cifar10` does, in `root/cifar10`. Downloads go into the folder so chosen.
        root=None:   in `$TINYCONV_DATA/cifar10` when that variable is set, else `~/.cache/tinyconv/cifar10`.
    In that folder the batches are read from `cifar-10-batches-py/`. When that folder is not there, it
    is extracted from the archive `cifar-10-python.tar.gz`, after downloading it (download=True) when it
    is missing too, and put in place only once every batch in it has passed its check. The archive is
    kept: delete it by hand to save 163 MB. Files that fail their check are reported as corrupt and left
    alone, neither used nor deleted.

    transform: a function applied to every batch of raw pixels (B, 3, 32, 32) uint8 before they are
    normalized, for augmentation: `CIFAR10(transform=Compose([RandomCrop(32, padding=4),
    RandomHorizontalFlip()]))`.

    Attributes:
        images   (N, 3, 32, 32) uint8, the raw pixels
        labels   (N,) int64, the classes 0-9
        classes  the ten class names, indexed by label
        root     the folder holding the archive and the extracted folder
    Raises DatasetError when files are missing, corrupt, or cannot be downloaded or extracted.
    """

    supports_batch_indexing = True  # dataset[index_array] is a whole batch (see dataset.py)
    folder = "cifar10"  # the subfolder of a data folder ($TINYCONV_DATA, ~/.cache/tinyconv) with the files
    mirrors = ("https://www.cs.toronto.edu/~kriz/",)
    archive = "cifar-10-python.tar.gz"
    # MD5 of the archive, from the table "Version / Size / md5sum" on https://www.cs.toronto.edu/~kriz/cifar.html
    # (also `tgz_md5` in torchvision's datasets/cifar.py): it checks a download only.
    archive_md5 = "c58f30108f718f92721af3b95e74349a"
    extracted = "cifar-10-batches-py"  # the folder the archive holds
    files = {
        "train": ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"),
        "test": ("test_batch",),
    }
    # MD5 of each batch file as extracted, from `train_list` and `test_list` in torchvision's
    # datasets/cifar.py: they check the batches of any archive, and a folder extracted by hand.
    md5 = {
        "data_batch_1": "c99cafc152244af753f735de768cd75f",
        "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
        "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
        "data_batch_4": "634d18415352ddfa80567beed471001a",
        "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
        "test_batch": "40351d587109b95175f43aff81a1287e",
    }
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    mean = (0.4914, 0.4822, 0.4465)
    std = (0.2470, 0.2435, 0.2616)

    def __init__(self, root=None, train: bool = True, download: bool = True, transform=None):
        self.train = train
        self.transform = transform
        self.root = choose_root(root, self.folder, self._holds_files)
        if not os.path.isdir(self._batches_folder):
            self._extract(download)
        self._check_complete()
        batches = [self._load_batch(name) for name in self.files["train" if train else "test"]]
        self.images = numpy.concatenate([images for images, _ in batches])
        self.labels = numpy.concatenate([labels for _, labels in batches])

    @property
    def _name(self) -> str:
        return type(self).__name__

    @property
    def _batches_folder(self) -> str:
        return os.path.join(self.root, self.extracted)

    # ------------------------------------------------------------------------ the samples
    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        """(image, label) for an int; (images (B, 3, 32, 32), labels (B,)) for an index array or a slice."""
        if is_single_index(index):
            return self.normalize(self.pixels(self.images[index][None])[0]), int(self.labels[index])
        return self.normalize(self.pixels(self.images[index])), self.labels[index]

    def pixels(self, batch: numpy.ndarray) -> numpy.ndarray:
        """The raw uint8 batch (B, 3, 32, 32), after `transform` when there is one.

        The transform sees pixels, before normalization, so that padding with 0 means black.
        """
        return batch if self.transform is None else self.transform(batch)

    def normalize(self, pixels: numpy.ndarray) -> numpy.ndarray:
        """(pixels / 255 - mean[c]) / std[c] for each channel c, as float32, in place on one new array."""
        x = pixels.astype(numpy.float32)
        x /= 255
        x -= numpy.array(self.mean, dtype=numpy.float32)[:, None, None]  # (3, 1, 1): one value per channel
        x /= numpy.array(self.std, dtype=numpy.float32)[:, None, None]
        return x

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{self._name}({split}, {len(self)} images, from {self.root})"

    # ---------------------------------------------------------------------- the files
    def _holds_files(self, folder: str) -> bool:
        """Whether `folder` holds the archive or the folder extracted from it."""
        archive, extracted = os.path.join(folder, self.archive), os.path.join(folder, self.extracted)
        return os.path.isfile(archive) or os.path.isdir(extracted)

    def _extract(self, download: bool) -> None:
        """Make `cifar-10-batches-py/` from the archive, downloaded first when it is not on disk; the
        folder is put in place only once each of its batches has passed its check."""
        archive = os.path.join(self.root, self.archive)
        if not os.path.isfile(archive):
            self._download(archive, download)
        try:
            extract_folder(archive, self.extracted, self.root, verify=self._check_batches)
        # The archive is damaged or not CIFAR-10: a digest that differs (ChecksumError), a damaged tar
        # (TarError) or gzip stream (EOFError, zlib.error, BadGzipFile), a refused member (ValueError).
        except (ValueError, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DatasetError(
                f"{self._name}: corrupt file, not used and not deleted: {archive}: {error}\n"
                f"Delete it (download=True then fetches a fresh copy) or replace it by hand.\n"
                + self._how_to_place()
            ) from None
        except OSError as error:  # the archive may be fine: a full disk, a folder that cannot be written
            raise DatasetError(
                f"{self._name}: could not extract {self.extracted}/ from {archive}: {error}\n"
                + self._how_to_place()
            ) from None

    def _download(self, archive: str, download: bool) -> None:
        """Fetch the archive into `archive`, checked against its published MD5, or say why it cannot be."""
        if not download:
            raise DatasetError(
                f"{self._name}: neither {self.extracted}/ nor {self.archive} is in {self.root} "
                f"and download=False\n" + self._how_to_place()
            )
        try:
            download_verified(
                [mirror + self.archive for mirror in self.mirrors], archive, md5=self.archive_md5
            )
        except DownloadError as error:
            raise DatasetError(
                f"{self._name}: could not download {self.archive} into {self.root} from any mirror "
                f"(offline?)\n"
                + "\n".join(f"  {line}" for line in error.failures)
                + "\n"
                + self._how_to_place()
            ) from None  # the message already holds every mirror's reason

    def _check_batches(self, folder: str) -> None:
        """Raise ValueError (ChecksumError for a digest) unless `folder` holds the six batches, each
        with its published MD5."""
        for name in self._batch_names():
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise ValueError(f"it holds no {self.extracted}/{name}")
            try:
                check_digests(path, md5=self.md5[name])
            except ChecksumError as error:
                raise ChecksumError(
                    f"its {self.extracted}/{name} is not the authors' file: {error}"
                ) from None

    def _batch_names(self) -> list[str]:
        return [name for split in self.files.values() for name in split]

    def _check_complete(self) -> None:
        """Refuse an extracted folder that lacks batches, naming every missing one (training and test)."""
        missing = [
            name
            for name in self._batch_names()
            if not os.path.isfile(os.path.join(self._batches_folder, name))
        ]
        if missing:
            raise DatasetError(
                f"{self._name}: the folder {self._batches_folder} is incomplete: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing\n"
                + self._delete_folder
                + self._how_to_place()
            )

    @property
    def _delete_folder(self) -> str:
        """The sentence of an error message that says what to do about a bad extracted folder."""
        return (
            f"Delete the folder {self._batches_folder} (it is extracted again from the archive, which "
            f"download=True fetches when it is missing) or replace the file by hand.\n"
        )

    def _load_batch(self, name: str) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The images (10000, 3, 32, 32) uint8 and labels (10000,) int64 of one batch file, once checked."""
        path = os.path.join(self._batches_folder, name)
        try:
            check_digests(path, md5=self.md5[name])
        except ChecksumError as error:
            raise DatasetError(
                f"{self._name}: corrupt file, not unpickled and not deleted: {path}: {error}\n"
                + self._delete_folder
                + self._how_to_place()
            ) from None
        # Its MD5 is the published one, so this is the authors' file; it is still read with an allow-list
        # (pickle.load would run whatever a file asks for): a batch is a dict of bytes, lists and arrays.
        with open(path, "rb") as file:
            batch = BatchUnpickler(file, path, encoding="bytes").load()
        images = numpy.asarray(batch[b"data"], dtype=numpy.uint8).reshape(-1, 3, 32, 32)
        return images, numpy.asarray(batch[b"labels"], dtype=numpy.int64)

    def _how_to_place(self) -> str:
        """The paragraph of an error message that says how to put the files in place by hand."""
        first, *others = self.mirrors
        lines = [f"To place the files by hand, download into {self.root}:", f"  {first}{self.archive}"]
        if others:
            lines.append(f"(or the same name from {' or '.join(others)})")
        lines.append(
            f"It is checked and extracted there; or put there the folder {self.extracted}/ that it holds."
        )
        lines.append(where_looked_for(self.folder))
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ extraction
def extract_folder(archive, folder: str, into, verify=None) -> None:
    """Extract the tar.gz `archive` into the folder `into`, all or nothing; it must hold `folder`/.

    The members are written into a temporary folder inside `into` (a dot name ending in `.part`), and
    `folder` is renamed from there to `into/folder` only once every member is out and `verify`, when
    given, has returned: it is called with the path of the extracted `folder` and raises if its content
    is bad. An interrupted or failed extraction never leaves a folder that looks complete, and the
    temporary one is removed. Only
    files and folders are extracted; a member with an absolute name or one that climbs out with `..`
    is refused, so an archive cannot write outside `into` (the "tar slip").
    Raises ValueError for a refused member or an archive without `folder`/, tarfile's errors for a
    damaged one.
    """
    archive, into = os.fspath(archive), os.fspath(into)
    temporary = tempfile.mkdtemp(dir=into, prefix=f".{folder}.", suffix=".part")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                _extract_member(tar, member, temporary)
        extracted = os.path.join(temporary, folder)
        if not os.path.isdir(extracted):
            raise ValueError(f"{archive} holds no folder {folder}/")
        if verify is not None:
            verify(extracted)
        os.rename(extracted, os.path.join(into, folder))
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, into: str) -> None:
    """Write one member of `tar` under the folder `into`, after checking that it stays inside it."""
    # Either slash separates folders on Windows, so both count; a drive ("C:") makes a name absolute there.
    parts = member.name.replace("\\", "/").split("/")
    if member.name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise ValueError(f"refused the member {member.name!r}: it would be written outside the folder")
    path = os.path.join(into, *[part for part in parts if part not in ("", ".")])
    if member.isdir():
        os.makedirs(path, exist_ok=True)
    elif member.isfile():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tar.extractfile(member) as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
            target.flush()
            os.fsync(target.fileno())  # on disk before the rename makes the folder look complete
    else:
        raise ValueError(f"refused the member {member.name!r}: a link or special file, not a file or folder")


class BatchUnpickler(pickle.Unpickler):
    """Unpickles what a CIFAR batch holds and nothing else: dicts, lists, numbers, bytes and NumPy arrays.

    The globals a file may name are tinyconv.serialization's ALLOWED_GLOBALS (how NumPy pickles an array)
    and _codecs.encode, which pickle protocol 2 calls to rebuild bytes; any other is refused before it is
    imported, so a file cannot run code of its own.
    """

    def __init__(self, file, path: str, encoding: str):
        super().__init__(file, encoding=encoding)
        self.path = path

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[module, name]
        if (module, name) == ("_codecs", "encode"):
            return codecs.encode
        raise DatasetError(
            f"CIFAR: {self.path} names {module}.{name}, which a batch of images and labels never holds; "
            "not unpickled"
        )
