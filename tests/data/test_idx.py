"""The IDX reader and writer (tinyconv/data/idx.py): the byte layout, round trips, and clear errors for
damaged files.
"""

import gzip
import struct

import numpy
import pytest

from tinyconv.data.idx import IDXError, read_idx, write_idx


def test_write_idx_lays_out_the_header_and_values_as_the_format_says(tmp_path):
    path = tmp_path / "tiny-idx2-ubyte"
    write_idx(path, numpy.array([[1, 2, 3], [4, 5, 6]], dtype=numpy.uint8))

    # 00 00, type 08 (uint8), 2 dimensions, sizes 2 and 3 as big-endian uint32, then the values row by row
    assert path.read_bytes() == bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])


def test_write_idx_stores_multi_byte_values_big_endian(tmp_path):
    path = tmp_path / "values-idx1-int"
    write_idx(path, numpy.array([1, -2], dtype=numpy.int32))

    assert path.read_bytes() == bytes([0, 0, 0x0C, 1, 0, 0, 0, 2]) + struct.pack(">ii", 1, -2)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["values-idx3", "values-idx3.gz"])
def test_read_idx_gives_back_what_write_idx_wrote(tmp_path, dtype, name):
    array = (numpy.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / name, array)

    result = read_idx(tmp_path / name)

    assert result.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(result, array)


def test_write_idx_gzips_files_named_gz(tmp_path):
    write_idx(tmp_path / "labels.gz", numpy.array([7, 2, 1], dtype=numpy.uint8))

    assert gzip.decompress((tmp_path / "labels.gz").read_bytes()) == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])


def test_write_idx_refuses_a_dtype_idx_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", numpy.arange(3, dtype=numpy.int64))


def test_read_idx_refuses_a_file_with_a_bad_magic_number(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"PK\x03\x04 a zip file, not IDX")

    with pytest.raises(IDXError, match=r"not-idx is not an IDX file: its magic number is 1347093252"):
        read_idx(path)


def test_read_idx_refuses_an_unknown_type_code(tmp_path):
    path = tmp_path / "odd-type"
    path.write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 0]))

    with pytest.raises(IDXError, match="not an IDX file"):
        read_idx(path)


def test_read_idx_refuses_a_truncated_payload_naming_the_sizes(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(5))

    with pytest.raises(
        IDXError, match=r"is truncated: its header promises shape \(2, 2, 2\).*8 bytes.*but 5"
    ):
        read_idx(path)


def test_read_idx_refuses_extra_bytes_after_the_payload(tmp_path):
    path = tmp_path / "long-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2]) + bytes(3))

    with pytest.raises(IDXError, match="has extra bytes at the end"):
        read_idx(path)


def test_read_idx_refuses_a_truncated_header(tmp_path):
    path = tmp_path / "cut-header"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 2]))

    with pytest.raises(IDXError, match="announces 3 dimensions"):
        read_idx(path)


def test_read_idx_refuses_a_truncated_gzip_file(tmp_path):
    path = tmp_path / "cut.gz"
    write_idx(path, numpy.arange(200, dtype=numpy.uint8))
    path.write_bytes(path.read_bytes()[:-10])

    with pytest.raises(IDXError, match="cut.gz is not a complete gzip file"):
        read_idx(path)
