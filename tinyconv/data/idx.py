"""The IDX file format: how MNIST (and Fashion-MNIST) store their images and labels.

An IDX file is a small big-endian header followed by the raw values, row-major:
    bytes 0-1     0x00 0x00
    byte  2       type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3       number of dimensions d
    4 * d bytes   the size of each dimension, unsigned 32-bit big-endian
    the rest      prod(sizes) values of that type, big-endian

Read as one 32-bit integer, the first four bytes are the "magic number": 2051 = 0x00000803 (uint8, three
dimensions: N x rows x cols) for MNIST's images, 2049 = 0x00000801 (uint8, one dimension: N) for its
labels. The format is described at http://yann.lecun.com/exdb/mnist/.

The files are distributed gzipped; `read_idx` accepts both the `.gz` file and the decompressed one.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy

GZIP_MAGIC = b"\x1f\x8b"  # the first two bytes of every gzip file

# type code -> element type, big-endian as stored in the file
DTYPES = {
    0x08: numpy.dtype("u1"),
    0x09: numpy.dtype("i1"),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


class IDXError(ValueError):
    """A file that is not a valid IDX file: bad magic number, truncated, broken gzip."""


def read_decompressed(path) -> bytes:
    """The bytes of a file, decompressed first when it is gzipped.

    A gzip file is recognised by its first two bytes (1f 8b), not by its name, so a renamed file still
    reads. Raises IDXError for a gzip file that is truncated or damaged.
    """
    with open(path, "rb") as file:
        raw = file.read()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:  # EOFError: the stream ends early (truncated)
        raise IDXError(f"{os.fspath(path)} is not a complete gzip file ({error})") from error


def magic_number(data: bytes) -> int:
    """The first four bytes of an IDX file as a big-endian integer (0 when there are fewer)."""
    return int.from_bytes(data[:4], "big") if len(data) >= 4 else 0


def parse_idx(data: bytes, source: str = "IDX data") -> numpy.ndarray:
    """The array stored in the (decompressed) bytes of an IDX file, in native byte order.

    Checks the magic number (two zero bytes, then a known type code) and that the payload holds exactly
    the number of values the header promises; `source` names the file in the error messages.
    """
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in DTYPES:
        raise IDXError(
            f"{source} is not an IDX file: its magic number is {magic_number(data)} "
            f"(first bytes {data[:4].hex(' ') or 'none'}); an IDX file starts with 00 00, a type code "
            f"(08 for uint8) and the number of dimensions"
        )
    dtype, ndim = DTYPES[data[2]], data[3]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXError(
            f"{source} is truncated: its header announces {ndim} dimensions ({header_size} header bytes) "
            f"but the file holds only {len(data)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    count = math.prod(shape)
    expected, actual = count * dtype.itemsize, len(data) - header_size
    if actual != expected:
        problem = "is truncated" if actual < expected else "has extra bytes at the end"
        raise IDXError(
            f"{source} {problem}: its header promises shape {shape} of {dtype.name} "
            f"({expected} bytes after the header) but {actual} bytes follow it"
        )
    values = numpy.frombuffer(data, dtype=dtype, count=count, offset=header_size)
    # astype copies into a writable array in the machine's byte order (the file's is big-endian).
    return values.reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path) -> numpy.ndarray:
    """The array stored in an IDX file, gzipped or not. Raises IDXError for a malformed file."""
    return parse_idx(read_decompressed(path), source=os.fspath(path))


def write_idx(path, array) -> None:
    """Write `array` as an IDX file; gzipped when `path` ends in `.gz`.

    The inverse of `read_idx`: `read_idx(path)` gives back an equal array of the same dtype. Accepts the
    dtypes IDX knows (uint8, int8, int16, int32, float32, float64).
    """
    array = numpy.asarray(array)
    type_codes = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
    dtype = array.dtype.newbyteorder("=")
    if dtype not in type_codes:
        known = ", ".join(stored.name for stored in DTYPES.values())
        raise TypeError(f"write_idx: IDX cannot store dtype {array.dtype}; it stores {known}")
    if array.ndim > 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(f"write_idx: shape {array.shape} does not fit an IDX header (< 256 dims of < 2**32)")
    code = type_codes[dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = numpy.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "wb") as file:
        file.write(header + payload)
