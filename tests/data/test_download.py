"""Checking downloaded files (tinyconv/data/download.py): which digest checks which bytes.

The datasets' own tests (test_mnist.py, test_fashion_mnist.py, test_cifar.py) download through it from a
local server: mirrors tried in turn, damaged and cut files refused, nothing left behind.
"""

import gzip
import hashlib

import numpy
import pytest
from helpers.datasets import idx_bytes, md5_of

from tinyconv.data.download import ChecksumError, check_digests

# The labels file of a small Fashion-MNIST test split, as stored (gzipped; mtime=0, so the bytes and their
# MD5 are fixed, as a published file's are) and as read (decompressed).
LABELS = idx_bytes(numpy.array([9, 2, 1], dtype=numpy.uint8))
LABELS_GZ = gzip.compress(LABELS, mtime=0)


def test_md5_checks_the_file_as_stored_and_sha256_checks_its_decompressed_content(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(LABELS_GZ)
    content = LABELS

    check_digests(path, md5=md5_of(LABELS_GZ))
    check_digests(path, sha256=hashlib.sha256(content).hexdigest())
    with pytest.raises(ChecksumError, match="the MD5 of the file is"):
        check_digests(path, md5=md5_of(content))
