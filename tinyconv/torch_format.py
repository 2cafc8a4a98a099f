"""PyTorch's checkpoint files, read without PyTorch: what torch.save writes, and how tinyconv.load turns
it into NumPy arrays.

    state = tinyconv.load("resnet18-f37072fd.pth")  # torchvision's published weights: an OrderedDict
    model = tinyconv.models.ResNet18()
    model.load_state_dict(state)

The file (PyTorch 1.6 and later). torch.save writes a zip archive, uncompressed, whose records all sit
in one folder named after the file (`archive/`, `resnet18-f37072fd/`):

    archive/data.pkl     the pickle of the saved object: a state_dict is an OrderedDict name -> tensor
    archive/data/0       the raw bytes of storage "0", one record per storage
    archive/data/1       ...
    archive/byteorder    "little" or "big": the byte order of those bytes (files before PyTorch 1.10
                         have none, and are little-endian)
    archive/version      and .format_version, .storage_alignment (each record starts at a multiple
                         of 64 bytes, so it can be memory-mapped), .data/serialization_id: not needed

Storages. A storage is a flat, one-dimensional run of numbers of one dtype: the memory a tensor looks
into. A tensor is a view of a storage: element (i0, i1, ...) of a tensor is

    storage[offset + i0 * stride[0] + i1 * stride[1] + ...]

A transposed tensor is the same storage with its strides swapped; a slice is the same storage from
another offset. So a tensor and its views share one storage, and torch.save writes each storage once.

data.pkl. A tensor is pickled as a call that rebuilds it:

    torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)

where `storage` is a "persistent id", pickle's way of saying "this object is kept outside the pickle":
the tuple ('storage', torch.FloatStorage, '0', 'cpu', 12) reads "the storage in record data/0: 12
float32 numbers, saved from the CPU". The storage class names the dtype (FloatStorage float32,
HalfStorage float16, LongStorage int64...). The dtypes that have no such class (uint16, uint32,
uint64) go through _rebuild_tensor_v3, which names an untyped storage (bytes) and passes the dtype
as one more argument. A torch.nn.Parameter is _rebuild_parameter(tensor, requires_grad, hooks).

Rebuilt with NumPy. Each storage becomes a 1-D array read from its record, once per storage; each
tensor becomes numpy.lib.stride_tricks.as_strided(storage[offset:], size, stride * itemsize), after a
check that every element it reaches lies inside the storage (as_strided checks nothing: a crafted file
could otherwise make it read memory beyond the array). So a view and its base come back as NumPy views
of one array, as in PyTorch, and a transposed tensor comes back transposed (not contiguous).

The legacy format (torch.save before PyTorch 1.6, or with _use_new_zipfile_serialization=False) is
one file of several pickles in a row: a magic number, the format's version (1001), a dict describing
the machine, the object (its storages named by persistent ids as above, without their data), the list
of the storages' keys; then each storage's bytes in that order, after its element count (8 bytes,
little-endian). So tinyconv reads the object twice: once to learn which storages it names (they are
allocated, empty), then, once the storages hold their numbers, to build its tensors.

A plain pickle of a tensor (pickle.dump(tensor), not torch.save) holds each storage as a call
torch.storage._load_from_bytes(b"...") whose bytes are a legacy file of that one storage.

Safety. Every function or class a PyTorch file names is looked up in TORCH_GLOBALS below, where each
stands for a small function written here that builds arrays, numbers or containers and calls nothing
else: no PyTorch code runs (PyTorch need not be installed), and a file naming anything else is refused
by tinyconv.load (see serialization.py) before that name is even imported.

What comes back: NumPy arrays, in native byte order, whatever device they were saved from (the
tinyconv.load's map_location puts them on the GPU). NumPy has no bfloat16: a bfloat16 tensor comes
back as float32, exactly (a bfloat16 is the upper half of a float32). requires_grad is dropped (a
state_dict's tensors have none).
"""

from __future__ import annotations

import zipfile

import numpy


class TorchFormatError(ValueError):
    """A PyTorch file that is not what torch.save writes. The message goes on from the file's name ("has
    no record archive/data/7, which its data.pkl names"): tinyconv.load puts the name in front of it and
    raises CheckpointError."""


class StorageType:
    """What a storage class named in a pickle (torch.FloatStorage, ...) stands for here.

    dtype: the NumPy array the storage becomes; in_file: the numbers as the file stores them (the same,
    except for bfloat16, stored as 2-byte patterns and widened to float32).
    """

    def __init__(self, name: str, dtype: str, in_file: str | None = None):
        self.name = name
        self.dtype = numpy.dtype(dtype)
        self.in_file = numpy.dtype(in_file or dtype)

    def decode(self, raw: bytes, byteorder: str) -> numpy.ndarray:
        """The numbers in `raw` (byteorder '<' or '>') as a new, writable array of self.dtype."""
        numbers = numpy.frombuffer(raw, dtype=self.in_file.newbyteorder(byteorder))
        if self.name == "BFloat16Storage":
            # A bfloat16 is the sign, exponent and top 7 mantissa bits of a float32: put its 16 bits
            # back in the upper half of a 32-bit word, zeros below, and read that word as a float32.
            return (numbers.astype(numpy.uint32) << 16).view(numpy.float32)
        return numbers.astype(self.dtype)

    def __repr__(self) -> str:
        return f"torch.{self.name}"


# torch's storage classes -> the NumPy dtype of their numbers. The quantized ones (QInt8Storage...)
# have no NumPy meaning and are left out, so a file naming them is refused.
STORAGE_TYPES = {
    name: StorageType(name, dtype, in_file)
    for name, dtype, in_file in [
        ("DoubleStorage", "float64", None),
        ("FloatStorage", "float32", None),
        ("HalfStorage", "float16", None),
        ("BFloat16Storage", "float32", "uint16"),
        ("LongStorage", "int64", None),
        ("IntStorage", "int32", None),
        ("ShortStorage", "int16", None),
        ("CharStorage", "int8", None),
        ("ByteStorage", "uint8", None),
        ("BoolStorage", "bool", None),
        ("ComplexFloatStorage", "complex64", None),
        ("ComplexDoubleStorage", "complex128", None),
    ]
}
UNTYPED_STORAGE = StorageType("UntypedStorage", "uint8")  # bytes; _rebuild_tensor_v3 gives the dtype

# torch's dtypes that NumPy has, by the name a pickle gives them (torch.float32 is pickled as the
# global `torch float32`): _rebuild_tensor_v3 takes one, and a checkpoint may hold one as a setting.
TORCH_DTYPES = [
    "float64", "float32", "float16", "int64", "int32", "int16", "int8",
    "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128",
]  # fmt: skip


# ------------------------------------------------------------------------------ the stand-ins
def view_of(storage: numpy.ndarray, offset: int, size: tuple, stride: tuple) -> numpy.ndarray:
    """The tensor that looks into `storage` from element `offset` with shape `size` and strides `stride`
    (in elements, as PyTorch counts them): a NumPy view of `storage`, refused if it reaches outside it.

    The last element a tensor reaches is offset + sum((size[d] - 1) * stride[d]); an empty tensor reaches
    none. NumPy counts strides in bytes, so each stride is multiplied by the storage's itemsize.
    """
    if not (isinstance(storage, numpy.ndarray) and storage.ndim == 1 and storage.flags.c_contiguous):
        raise TorchFormatError(f"rebuilds a tensor from {type(storage).__name__}, not from a storage")
    counts = (offset, *size, *stride)
    if not (all(type(n) is int and n >= 0 for n in counts) and len(size) == len(stride)):
        raise TorchFormatError(
            f"holds a tensor with offset {offset!r}, size {size!r} and stride {stride!r}, where "
            "torch.save writes whole numbers >= 0 and as many strides as sizes"
        )
    if 0 in size:
        last = offset - 1  # reaches nothing; its offset must still be inside or at the end
    else:
        last = offset + sum((n - 1) * step for n, step in zip(size, stride))
    if last >= len(storage):
        raise TorchFormatError(
            f"holds a tensor of size {size} and stride {stride} from element {offset} of a storage of "
            f"{len(storage)} elements, which reaches element {last}, past the storage's end"
        )
    strides = tuple(step * storage.itemsize for step in stride)
    return numpy.lib.stride_tricks.as_strided(storage[offset:], shape=size, strides=strides)


def with_metadata(tensor: numpy.ndarray, metadata) -> numpy.ndarray:
    """Apply PyTorch's lazy bits: {'conj': True} for a conjugate view (x.conj() of a complex tensor),
    {'neg': True} for a negative view. PyTorch keeps the storage and flips a bit; NumPy needs a new array."""
    if not metadata:
        return tensor
    if not (isinstance(metadata, dict) and set(metadata) <= {"conj", "neg"}):
        raise TorchFormatError(
            f"holds tensor metadata {metadata!r:.80}, where PyTorch writes conj and neg only"
        )
    if metadata.get("conj"):
        tensor = numpy.conj(tensor)
    if metadata.get("neg"):
        tensor = numpy.negative(tensor)
    return tensor


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """torch._utils._rebuild_tensor_v2: a tensor as a view of its (typed) storage.

    requires_grad is dropped (arrays have none); backward_hooks is always an empty OrderedDict in what
    torch.save writes (hooks are functions, which the allow-list would refuse anyway)."""
    return with_metadata(view_of(storage, storage_offset, size, stride), metadata)


def rebuild_tensor_v3(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
):
    """torch._utils._rebuild_tensor_v3: the same, from an untyped storage (bytes) and a dtype."""
    if not (
        isinstance(dtype, numpy.dtype) and isinstance(storage, numpy.ndarray) and storage.dtype == "uint8"
    ):
        raise TorchFormatError(f"rebuilds a tensor of dtype {dtype!r} from {type(storage).__name__}")
    if len(storage) % dtype.itemsize:
        raise TorchFormatError(
            f"views a storage of {len(storage)} bytes as {dtype}, {dtype.itemsize} bytes each"
        )
    return with_metadata(view_of(storage.view(dtype), storage_offset, size, stride), metadata)


def rebuild_parameter(data, requires_grad, backward_hooks):
    """torch._utils._rebuild_parameter: a saved torch.nn.Parameter is its tensor, here its array."""
    return data


def latin1_bytes(text, encoding):
    """_codecs.encode(text, 'latin1'): how pickle protocol 2 (torch.save's) writes a bytes object, as
    text whose characters are the bytes. Only latin-1, the one encoding pickle uses for it."""
    if not (isinstance(text, str) and encoding == "latin1"):
        raise TorchFormatError(
            f"encodes {type(text).__name__} as {encoding!r}, where pickle writes latin1 text"
        )
    return text.encode("latin1")


# (module, name) as a pickle names it -> the stand-in it gets. tinyconv.load allows these and its own
# (serialization.ALLOWED_GLOBALS), and refuses everything else. torch.storage._load_from_bytes is there
# too, but its stand-in reads a legacy file, so it lives beside the reader: serialization.py.
TORCH_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,  # every tensor
    ("torch._utils", "_rebuild_tensor_v3"): rebuild_tensor_v3,  # a tensor of uint16, uint32 or uint64
    ("torch._utils", "_rebuild_parameter"): rebuild_parameter,  # a torch.nn.Parameter saved as such
    ("torch.storage", "UntypedStorage"): UNTYPED_STORAGE,  # names the bytes behind a v3 tensor
    **{("torch", name): storage_type for name, storage_type in STORAGE_TYPES.items()},  # a storage's dtype
    **{("torch", name): numpy.dtype(name) for name in TORCH_DTYPES},  # a dtype, in v3 or as a setting
    ("torch", "Size"): tuple,  # a shape someone stored (torch.Size is a tuple)
    # Pickle protocol 2, torch.save's, has no instruction for sets and bytes: it calls set(list) and
    # _codecs.encode(text, 'latin1'), naming set by its Python 2 module too.
    ("builtins", "set"): set,
    ("__builtin__", "set"): set,
    ("_codecs", "encode"): latin1_bytes,
}


# ------------------------------------------------------------------------------ the storages
def storage_id(record, length: int) -> tuple:
    """(storage type, key, number of elements) of a persistent id, ('storage', type, key, location,
    numel) in a zip file and one more item, None, in a legacy file (`length` 5 or 6). The location
    ('cpu', 'cuda:0') does not matter: the bytes are the same, and tinyconv puts them in NumPy arrays."""
    if not (
        isinstance(record, tuple)
        and len(record) == length
        and record[0] == "storage"
        and isinstance(record[1], StorageType)
        and isinstance(record[2], str)
        and isinstance(record[3], str)
        and type(record[4]) is int
        and record[4] >= 0
        and (length == 5 or record[5] is None)
    ):
        raise TorchFormatError(f"names a storage in a way torch.save does not write ({record!r:.100})")
    return record[1], record[2], record[4]


class TorchArchive:
    """The zip file torch.save writes, open for reading: its data.pkl, its byte order, and its storages,
    each read from its record on first use and then shared by every tensor that views it."""

    def __init__(self, file):
        self.zip = zipfile.ZipFile(file)
        names = self.zip.namelist()
        pickles = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
        if len(pickles) != 1:
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            raise TorchFormatError(
                f"is a zip archive with {len(pickles)} FOLDER/data.pkl records, where a file written by "
                f"torch.save has one (its records: {shown or 'none'})"
            )
        self.prefix = pickles[0][: -len("data.pkl")]
        self.data_pkl = self.zip.read(pickles[0])
        byteorder = (
            self.zip.read(self.prefix + "byteorder") if self.prefix + "byteorder" in names else b"little"
        )
        if byteorder not in (b"little", b"big"):
            raise TorchFormatError(f"gives its byte order as {byteorder[:20]!r}, not 'little' or 'big'")
        self.byteorder = "<" if byteorder == b"little" else ">"
        self.storages = {}  # key -> (storage type, array)

    def storage(self, record) -> numpy.ndarray:
        """The storage a persistent id names, as a 1-D array of its dtype."""
        storage_type, key, numel = storage_id(record, length=5)
        if key not in self.storages:
            if storage_type is UNTYPED_STORAGE and self.byteorder == ">":
                raise TorchFormatError(
                    "holds an untyped storage (of a uint16, uint32 or uint64 tensor) in big-endian byte "
                    "order, which tinyconv does not read: its bytes cannot be swapped without a dtype"
                )
            name = f"{self.prefix}data/{key}"
            expected = numel * storage_type.in_file.itemsize
            try:
                size = self.zip.getinfo(name).file_size
            except KeyError:
                raise TorchFormatError(f"has no record {name}, which its data.pkl names") from None
            if size != expected:
                raise TorchFormatError(
                    f"has {size} bytes in {name}, where its data.pkl says {numel} {storage_type} "
                    f"numbers ({expected} bytes)"
                )
            self.storages[key] = (storage_type, storage_type.decode(self.zip.read(name), self.byteorder))
        return same_type(self.storages[key], storage_type, key)


def same_type(known: tuple, storage_type: StorageType, key: str) -> numpy.ndarray:
    """The array of `known` (storage type, array), if a later mention of storage `key` gives the same type."""
    if known[0] is not storage_type:
        raise TorchFormatError(f"names storage {key} as {known[0]} and as {storage_type}")
    return known[1]


# The first pickle of a legacy file: this number, as torch.save writes it (protocol 2).
LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001


class LegacyStorages:
    """The storages of a legacy file: allocated, empty, as its object is first unpickled (their bytes come
    after it), then filled by `fill`. At most `room` bytes in all: no storage larger than the file."""

    def __init__(self, room: int):
        self.room = room
        self.storages = {}  # key -> (storage type, array)

    def storage(self, record) -> numpy.ndarray:
        storage_type, key, numel = storage_id(record, length=6)
        if key not in self.storages:
            self.room -= numel * storage_type.in_file.itemsize
            if self.room < 0:
                raise TorchFormatError(f"names storages larger than the file itself (storage {key})")
            self.storages[key] = (storage_type, numpy.empty(numel, dtype=storage_type.dtype))
        return same_type(self.storages[key], storage_type, key)

    def fill(self, file, keys) -> None:
        """Read each storage's bytes, in the order of `keys` (the pickle after the object), into it."""
        if not (isinstance(keys, list) and sorted(keys) == sorted(self.storages)):
            raise TorchFormatError(
                f"lists storages {keys!r:.100}, where its pickle names {sorted(self.storages)!r:.100}"
            )
        for key in keys:
            storage_type, storage = self.storages[key]
            count = int.from_bytes(read_exactly(file, 8, key), "little")
            if count != len(storage):
                raise TorchFormatError(
                    f"has {count} numbers for storage {key}, where its pickle says {len(storage)}"
                )
            raw = read_exactly(file, count * storage_type.in_file.itemsize, key)
            storage[...] = storage_type.decode(raw, "<")  # legacy files are little-endian


def read_exactly(file, size: int, key: str) -> bytes:
    """`size` bytes from `file`, or a TorchFormatError saying the file ends inside storage `key`."""
    data = file.read(size)
    if len(data) != size:
        raise TorchFormatError(f"ends inside the bytes of storage {key}: it is cut short")
    return data
