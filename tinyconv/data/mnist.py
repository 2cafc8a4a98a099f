"""MNIST: 70,000 handwritten digits, 28 x 28 grey pixels, 60,000 for training and 10,000 for testing.

LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document recognition" (1998);
http://yann.lecun.com/exdb/mnist/. The four files are in the IDX format (see idx.py).

Every file is checked before use: its magic number, that its size matches its header, the SHA-256 of
its content, and that the images and labels are equally many. The digests are written below, so a
damaged or substituted file is refused with a message saying how to fix it, never used. They are
digests of the decompressed content, not of the `.gz` files: a gzipped copy from any mirror, a copy
compressed again by other software, and a decompressed one all pass, being the same content.

Fashion-MNIST and its kin share the file names and the format; such a dataset is a subclass that sets
other `folder`, `mirrors`, `sha256`, `classes`, `mean` and `std` (see fashion_mnist.py).
"""

from __future__ import annotations

import os

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
from tinyconv.data.idx import IDXError, magic_number, parse_idx, read_decompressed

IMAGES_MAGIC = 2051  # 0x00000803: uint8 values, 3 dimensions (N, rows, cols)
LABELS_MAGIC = 2049  # 0x00000801: uint8 values, 1 dimension (N)


class MNIST(Dataset):
    """The MNIST training set (`train=True`) or test set, held in memory as uint8 pixels.

        dataset = MNIST()                       # the training set, downloaded if needed
        image, label = dataset[0]               # (1, 28, 28) float32, an int
        images, labels = dataset[numpy.arange(64)]   # (64, 1, 28, 28) float32, (64,) int64

    Pixels are normalized as they are read, per sample or per batch, not stored normalized:
        x = (pixel / 255 - mean) / std,    mean = 0.1307, std = 0.3081
    the mean and standard deviation of the training pixels, so inputs are centred with unit variance.

    Where the files are (gzipped `.gz` or decompressed, either works):
        root given:  in `root` itself; if `root` holds none of the four files but `root/mnist` does,
                     in `root/mnist` (so a general data folder works too). Downloads go into the
                     folder so chosen: `root` itself when neither holds any file yet.
        root=None:   in `$TINYCONV_DATA/mnist` when that variable is set, else `~/.cache/tinyconv/mnist`.
    Missing files are downloaded (download=True) from the first of `mirrors` that delivers the right
    content. Files on disk that fail a check are reported as corrupt and left alone, neither used nor
    deleted: delete or replace them by hand.

    transform: a function applied to every batch of raw pixels (B, 1, 28, 28) uint8 before they are
    normalized, for augmentation: `MNIST(transform=RandomCrop(28, padding=2))`.

    Attributes:
        images   (N, 28, 28) uint8, the raw pixels
        labels   (N,) int64, the digits 0-9
        classes  the ten class names, indexed by label
        root     the folder the files were read from
    Raises DatasetError when files are missing, corrupt, or cannot be downloaded.
    """

    supports_batch_indexing = True  # dataset[index_array] is a whole batch (see dataset.py)
    folder = "mnist"  # the subfolder of a data folder ($TINYCONV_DATA, ~/.cache/tinyconv) with the files
    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    # split -> (images file, labels file); the mirrors serve each as name + ".gz"
    files = {
        "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
    # The SHA-256 of each file's decompressed content, so the .gz file and the decompressed one both pass.
    sha256 = {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }
    classes = [
        "0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
        "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine",
    ]  # fmt: skip
    mean = 0.1307
    std = 0.3081

    def __init__(self, root=None, train: bool = True, download: bool = True, transform=None):
        self.train = train
        self.transform = transform
        self.root = self._find_root(root)
        images_name, labels_name = self.files["train" if train else "test"]
        self._download_missing((images_name, labels_name), download)
        self.images = self._load(images_name, IMAGES_MAGIC)
        self.labels = self._load(labels_name, LABELS_MAGIC).astype(numpy.int64)
        if len(self.images) != len(self.labels):
            raise DatasetError(
                f"{self._name}: {len(self.images)} images in {self._path_of(images_name)} but "
                f"{len(self.labels)} labels in {self._path_of(labels_name)}; they must be equally many "
                f"(one file is corrupt or from another dataset)\n"
                + self._how_to_place((images_name, labels_name))
            )

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------------------ the samples
    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        """(image, label) for an int; (images (B, 1, 28, 28), labels (B,)) for an index array or a slice."""
        if is_single_index(index):
            return self.normalize(self.pixels(self.images[index][None, None])[0]), int(self.labels[index])
        return self.normalize(self.pixels(self.images[index][:, None])), self.labels[index]

    def pixels(self, batch: numpy.ndarray) -> numpy.ndarray:
        """The raw uint8 batch (B, 1, 28, 28), after `transform` when there is one.

        The transform sees pixels, before normalization, so that padding with 0 means black.
        """
        return batch if self.transform is None else self.transform(batch)

    def normalize(self, pixels: numpy.ndarray) -> numpy.ndarray:
        """(pixels / 255 - mean) / std as float32, computed in place on one new array."""
        x = pixels.astype(numpy.float32)
        x /= 255
        x -= self.mean
        x /= self.std
        return x

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{self._name}({split}, {len(self)} images, from {self.root})"

    # ---------------------------------------------------------------------- the files
    def _all_file_names(self) -> list[str]:
        return [name for pair in self.files.values() for name in pair]

    def _find_root(self, root) -> str:
        """The folder to read from and download into; see the class docstring for the rule."""
        return choose_root(root, self.folder, self._holds_any_file)

    def _holds_any_file(self, folder: str) -> bool:
        return any(
            os.path.isfile(os.path.join(folder, name + suffix))
            for name in self._all_file_names()
            for suffix in ("", ".gz")
        )

    def _path_of(self, name: str) -> str | None:
        """The file `name` in root, decompressed or `.gz` (the decompressed one when both are there)."""
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.root, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _download_missing(self, names: tuple, download: bool) -> None:
        missing = [name for name in names if self._path_of(name) is None]
        if not missing:
            return
        split = "training" if self.train else "test"
        # The other split's missing files are named too, so that one trip puts all four in place.
        other_split = "test" if self.train else "training"
        others = [
            name for name in self.files["test" if self.train else "train"] if self._path_of(name) is None
        ]
        not_either = f" (nor are the {other_split} files {', '.join(others)})" if others else ""
        if not download:
            raise DatasetError(
                f"{self._name}: the {split} files {', '.join(missing)} are not in {self.root} "
                f"and download=False{not_either}\n" + self._how_to_place(missing + others)
            )
        for name in missing:
            try:
                urls = [mirror + name + ".gz" for mirror in self.mirrors]
                path = os.path.join(self.root, name + ".gz")
                download_verified(urls, path, sha256=self.sha256[name])
            except DownloadError as error:
                raise DatasetError(
                    f"{self._name}: could not download {name}.gz into {self.root} from any mirror "
                    f"(offline?); the {split} files {', '.join(missing)} are missing{not_either}\n"
                    + "\n".join(f"  {line}" for line in error.failures)
                    + "\n"
                    + self._how_to_place(missing + others)
                ) from None  # the message already holds every mirror's reason

    def _load(self, name: str, expected_magic: int) -> numpy.ndarray:
        """The array in file `name` after every check: gzip, magic number, size, digest."""
        path = self._path_of(name)
        try:
            data = read_decompressed(path)
            magic = magic_number(data)
            if magic != expected_magic:
                kind = "images" if expected_magic == IMAGES_MAGIC else "labels"
                raise IDXError(f"{path} starts with magic number {magic}, expected {expected_magic} ({kind})")
            array = parse_idx(data, source=path)
            try:
                check_digests(path, sha256=self.sha256[name], content=data)
            except ChecksumError as error:
                raise IDXError(f"{path}: {error}") from None
        except IDXError as error:
            raise DatasetError(
                f"{self._name}: corrupt file, not used and not deleted: {error}\n"
                f"Delete it (download=True then fetches a fresh copy) or replace it by hand.\n"
                + self._how_to_place([name])
            ) from None  # the reason is in the message
        return array

    def _how_to_place(self, names) -> str:
        """The paragraph of an error message that says how to put the files in place by hand."""
        first, *others = self.mirrors
        lines = [f"To place the files by hand, download into {self.root}:"]
        lines += [f"  {first}{name}.gz" for name in names]
        if others:
            lines.append(f"(or the same names from {' or '.join(others)})")
        lines.append("Keep them gzipped or decompress them, either works.")
        lines.append(where_looked_for(self.folder))
        return "\n".join(lines)
