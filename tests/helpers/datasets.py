"""Small datasets, and small dataset files in the real formats built byte by byte, for tests/data/.

The MNIST, Fashion-MNIST and CIFAR-10 tests build tiny files with these, so every check runs in
milliseconds; their tests on the real files find them through TINYCONV_DATA and skip, saying so,
without them.
"""

from __future__ import annotations

import hashlib
import os
import struct

import numpy
import pytest

from tinyconv.data import DatasetError, TensorDataset


def numbered_dataset(size: int) -> TensorDataset:
    """Samples that identify themselves: sample i is a 1 x 2 x 2 image filled with the value i, label i."""
    images = numpy.empty((size, 1, 2, 2), dtype=numpy.float32)
    images[...] = numpy.arange(size)[:, None, None, None]
    labels = numpy.arange(size, dtype=numpy.int64)
    return TensorDataset(images, labels)


def idx_bytes(array: numpy.ndarray) -> bytes:
    """An IDX uint8 file written out by hand: 00 00 08 ndim, the sizes, the values."""
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def pattern_images(count: int, start: int, image_step: int, row_step: int) -> numpy.ndarray:
    """28 x 28 images whose pixel (k, row, col) is (start + image_step k + row_step row + col) mod 256,
    so that a mix-up of images, rows or columns shows."""
    k, row, col = numpy.ogrid[:count, :28, :28]
    return ((start + image_step * k + row_step * row + col) % 256).astype(numpy.uint8)


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def error_of(dataset_class, *args, **kwargs) -> str:
    """The message of the DatasetError that `dataset_class(*args, **kwargs)` raises."""
    with pytest.raises(DatasetError) as caught:
        dataset_class(*args, **kwargs)
    return str(caught.value)


def real_data_folder(subfolder: str, holding: str) -> str:
    """TINYCONV_DATA, where its `subfolder` exists; otherwise the test is skipped, saying what to set."""
    folder = os.environ.get("TINYCONV_DATA")
    if not folder:
        pytest.skip(f"TINYCONV_DATA is not set: set it to a folder whose {subfolder}/ holds {holding}")
    if not os.path.isdir(os.path.join(folder, subfolder)):
        pytest.skip(f"TINYCONV_DATA={folder} has no {subfolder}/ subfolder: it should hold {holding}")
    return folder


def pixel_mean_and_std(images: numpy.ndarray) -> tuple:
    """Mean and standard deviation of uint8 pixels scaled to [0, 1], from their histogram: exact, and no
    float copy of millions of pixels."""
    counts = numpy.bincount(images.ravel(), minlength=256)
    values = numpy.arange(256) / 255
    mean = (counts * values).sum() / counts.sum()
    std = numpy.sqrt((counts * (values - mean) ** 2).sum() / counts.sum())
    return mean, std
