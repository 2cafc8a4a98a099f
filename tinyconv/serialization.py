"""save / load: write checkpoints (state dicts, training history) to disk atomically, and read them back
without ever running code from the file.

    tinyconv.save(model.state_dict(), "model.ckpt")
    model.load_state_dict(tinyconv.load("model.ckpt", map_location="cpu"))

Writing. An interrupted save must never leave a file that looks like a valid checkpoint, so `save`
writes to a temporary file in the same directory, flushes it to disk, and only then renames it over
the target (`os.replace` is atomic on POSIX and Windows): a reader sees the old file or the new one.

The format is Python's pickle, as torch.save's is. NumPy arrays, numbers, strings and the dicts, lists
and tuples that hold them are pickled as they are. A Tensor (or a Parameter, a Buffer) is written as a
record (kind, data as a NumPy array, device, requires_grad), and so is a CuPy array (kind "array"):
pickle's "persistent id", which keeps the tensor's class and its graph out of the file (a Tensor's
gradient and the operation that made it are not saved, as in PyTorch).

Reading. A pickle is a small program for a stack machine, and one of its instructions is "import this
function and call it with these arguments": that is how NumPy rebuilds an array, and also how a crafted
file runs `os.system("...")` the moment it is unpickled. So `load`, like torch.load since PyTorch 2.6,
unpickles with an allow-list by default (weights_only=True): the only functions and classes a file may
name are in ALLOWED_GLOBALS below, each there because a checkpoint of arrays needs it and because it
only builds data. A file naming anything else is refused before that thing is even imported.

PyTorch's files. `load` also reads what torch.save writes, without PyTorch: the zip archive of
PyTorch 1.6 and later, the legacy format before it, and plain pickles of tensors. Their tensors are
rebuilt from their storages by the stand-ins of torch_format.py (which explains the format), and come
back as NumPy arrays, as Module.state_dict() gives them, so that a torchvision state_dict goes straight
into the tinyconv model of the same name:

    model = tinyconv.models.ResNet18()
    model.load_state_dict(tinyconv.load("resnet18-f37072fd.pth"))
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import tempfile

import numpy

from tinyconv.backend import device_of
from tinyconv.cuda import to_device, unavailable_reason
from tinyconv.device import device_type
from tinyconv.nn.parameter import Buffer, Parameter
from tinyconv.tensor import Tensor
from tinyconv.torch_format import (
    LEGACY_MAGIC_NUMBER,
    LEGACY_PROTOCOL_VERSION,
    TORCH_GLOBALS,
    LegacyStorages,
    TorchArchive,
    TorchFormatError,
)

try:  # NumPy 2 renamed its numpy.core package numpy._core; files name whichever wrote them
    from numpy._core.multiarray import _reconstruct, scalar
    from numpy._core.numeric import _frombuffer
except ImportError:  # NumPy 1
    from numpy.core.multiarray import _reconstruct, scalar
    from numpy.core.numeric import _frombuffer

# (module, name) as a pickle names it -> what it stands for. Nothing else can be unpickled with
# weights_only=True. Numbers, strings, bytes, None, dicts, lists, tuples and sets need no entry: pickle
# has instructions of its own for them (protocol 4 and up; save writes the highest).
ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,  # the type of Module.state_dict()
    ("builtins", "complex"): complex,  # a complex number is pickled as a call complex(real, imag)
    # How NumPy pickles an array: _frombuffer(bytes, dtype, shape, order) for a contiguous array
    # (protocol 5); _reconstruct(ndarray, shape, dtype) then the data for any other. scalar(dtype,
    # bytes) rebuilds a NumPy number (numpy.float64(0.5), a step count). Each makes an array or a number
    # from the bytes it is given and calls nothing else. Both NumPy 1's and NumPy 2's names.
    ("numpy", "ndarray"): numpy.ndarray,
    ("numpy", "dtype"): numpy.dtype,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "scalar"): scalar,
    ("numpy.core.multiarray", "scalar"): scalar,
    # PyTorch's names, in the files torch.save writes: each stands for a function of torch_format.py that
    # rebuilds a tensor as a NumPy array from its storage, or a dtype, a shape, a set, bytes. One more,
    # torch.storage._load_from_bytes (a storage pickled on its own), is CheckpointUnpickler's own method.
    **TORCH_GLOBALS,
}
LOAD_FROM_BYTES = ("torch.storage", "_load_from_bytes")

# The kinds of tensor `save` writes as records, and the class each is rebuilt as.
TENSOR_KINDS = {"Tensor": Tensor, "Parameter": Parameter, "Buffer": Buffer}

ZIP_SIGNATURE = b"PK\x03\x04"  # the first bytes of a zip archive, such as torch.save writes

# First bytes of files that are often mistaken for checkpoints -> what they are and what to do instead.
FOREIGN_FORMATS = {b"\x93NUM": "a NumPy .npy file: read it with numpy.load"}


class CheckpointError(pickle.UnpicklingError):
    """A file that `load` refuses: empty, cut short, damaged, another format (a zip archive that torch.save
    did not write among them), or naming a function or class that weights_only=True does not allow. The
    message names the file and what was wrong."""


class NoGPUError(RuntimeError):
    """`load` was asked to put tensors on a GPU (saved there, or map_location='cuda'), and this machine
    has none it can use; the message says why, and that map_location='cpu' loads them."""


# ------------------------------------------------------------------------------------------ writing
def atomic_write(path, write, verify=None) -> None:
    """Call `write(file)` on a temporary file next to `path`, then rename it to `path`.

    verify: optionally, a function of the temporary file's path that raises if the content is bad
    (a download checks its digest here); `path` is only created once it returns.
    If `write` or `verify` raises (or the process dies), `path` is untouched and the temporary file is
    removed. The temporary name starts with a dot and ends in `.part`, so it never passes for the file.
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if verify is not None:
            verify(temporary)
        # mkstemp creates the file readable by its owner only; give it the mode open() would have.
        os.chmod(temporary, new_file_mode())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):  # still there: something failed (after os.replace it is gone)
            os.remove(temporary)


def new_file_mode() -> int:
    """0o666 without the bits of the process's umask: the permissions of a file made by open()."""
    umask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


class CheckpointPickler(pickle.Pickler):
    """A pickler that writes tensors and GPU arrays as records (see the module docstring)."""

    def persistent_id(self, obj):
        """(kind, NumPy data, device, requires_grad) for a tensor or a CuPy array; None for the rest."""
        if isinstance(obj, Tensor):
            kind = type(obj).__name__
            if TENSOR_KINDS.get(kind) is not type(obj):
                raise TypeError(
                    f"tinyconv.save: cannot save a {kind}, a subclass of Tensor; save a Tensor, a "
                    "Parameter or a Buffer (Tensor(x.data) is a plain Tensor with the same data)"
                )
            return (kind, obj.numpy(), device_of(obj.data), obj.requires_grad)
        if device_of(obj) == "cuda":
            return ("array", obj.get(), "cuda", False)
        return None


def save(obj, f) -> None:
    """Write `obj` to the file at path `f`, atomically, as torch.save(obj, f).

    obj: what a checkpoint holds: a state dict, or a dict of them (model, optimizer, epoch, history),
         made of NumPy arrays, Tensors, numbers, strings, None, and dicts, lists, tuples and sets of them.
         Anything else picklable is written too, but loading it then needs weights_only=False.
    f:   the file's path (a str or a pathlib.Path); its folder is created if needed.
    """
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(
            f"tinyconv.save: f must be a path (str or os.PathLike), got {type(f).__name__}; tinyconv "
            "writes checkpoints atomically, through a temporary file beside the path"
        )
    atomic_write(f, lambda file: CheckpointPickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(obj))


# ------------------------------------------------------------------------------------------ reading
class CheckpointUnpickler(pickle.Unpickler):
    """Unpickles with ALLOWED_GLOBALS only (weights_only=True) or with them and anything else (False).

    Its persistent ids are, in a file of tinyconv.save, the records of tensors and GPU arrays, rebuilt on
    `map_location` (None: the device they were saved from); in a file of torch.save, the storages that
    `storages` (a TorchArchive or LegacyStorages of torch_format.py) reads.
    """

    def __init__(self, file, path: str, map_location: str | None, weights_only: bool, storages=None):
        super().__init__(file)
        self.path = path
        self.map_location = map_location
        self.weights_only = weights_only
        self.storages = storages

    def find_class(self, module: str, name: str):
        if (module, name) == LOAD_FROM_BYTES:
            return self.storage_from_bytes
        if (module, name) in ALLOWED_GLOBALS:
            return ALLOWED_GLOBALS[module, name]
        if self.weights_only:
            raise CheckpointError(
                f"tinyconv.load refused {self.path}: it names {module}.{name}, which is not among the "
                "arrays, tensors, numbers, strings and containers that weights_only=True loads (unpickling "
                "anything else can run code). If you made this file or trust its source, load it with "
                "tinyconv.load(path, weights_only=False)."
            )
        return super().find_class(module, name)

    def storage_from_bytes(self, data):
        """torch.storage._load_from_bytes(data): a storage pickled by pickle.dump(tensor), not torch.save;
        `data` is a legacy torch.save file of that one storage."""
        if not isinstance(data, bytes):
            raise TorchFormatError(f"holds a storage made from {type(data).__name__}, not from bytes")
        return read_pickles(io.BytesIO(data), self.path, None, self.weights_only)

    def persistent_load(self, record):
        if self.storages is not None:  # a file of torch.save: its persistent ids name storages
            return self.storages.storage(record)
        if not (
            isinstance(record, tuple)
            and len(record) == 4
            and (record[0] in TENSOR_KINDS or record[0] == "array")
            and isinstance(record[1], numpy.ndarray)
            and record[2] in ("cpu", "cuda")
            and isinstance(record[3], bool)
        ):
            raise CheckpointError(
                f"tinyconv.load: {self.path} holds a tensor record that tinyconv.save does not write "
                f"({record!r:.80}); the file is damaged or was made by another program"
            )
        kind, data, saved_on, requires_grad = record
        device = self.map_location or saved_on
        no_gpu = unavailable_reason() if device == "cuda" else None
        if no_gpu is not None:
            raise NoGPUError(
                f"tinyconv.load: {self.path} holds tensors saved on the GPU ('cuda'), and this machine "
                f"has no GPU to put them on: {no_gpu}. Load them onto the CPU with "
                "tinyconv.load(path, map_location='cpu')."
            )
        data = to_device(data, device, "tinyconv.load")
        if kind == "array":
            return data
        if kind == "Buffer":
            return Buffer(data)
        return TENSOR_KINDS[kind](data, requires_grad=requires_grad)


def load(f, map_location=None, *, weights_only: bool = True):
    """The object saved in the file at path `f` by `save` or by torch.save, as torch.load(f, map_location,
    weights_only).

    A file of torch.save (its zip archive, its legacy format, or a plain pickle of tensors) is read
    without PyTorch; its tensors come back as NumPy arrays, whatever device they were saved from, as
    Module.state_dict() gives them, and Module.load_state_dict takes them (see torch_format.py).

    map_location: None keeps every tensor on the device it was saved from (a NumPy array is on the CPU);
        "cpu", "cuda" or a tinyconv.device moves every tensor and array there ("cuda" needs a GPU).
        PyTorch's dict and function forms are not supported.
    weights_only: True (the default, as torch.load since PyTorch 2.6) loads only what a checkpoint
        holds: NumPy arrays and numbers, Tensors, Parameters and Buffers, PyTorch's tensors, dtypes and
        shapes, Python numbers, strings, bytes, None, and dicts, OrderedDicts, lists, tuples and sets
        of them. Why: unpickling a file
        runs any function the file names, with the arguments it gives, so a crafted checkpoint can run
        a command (os.system, subprocess) the moment it is loaded. With the allow-list, a file that
        names any other function or class is refused before that function is even imported, and
        nothing of it runs.
        False unpickles anything, running whatever code the file holds: only for files you made or
        whose source you trust (a checkpoint holding objects of your own classes). PyTorch's own
        objects other than tensors (a whole torch.nn.Module saved by torch.save(model)) need PyTorch
        even then: save and load its state_dict().
    Raises CheckpointError, naming the file, when the file is empty, cut short, damaged, of another
    format (a zip archive torch.save did not write, a .npy file, text) or refused by weights_only=True;
    NoGPUError (a
    RuntimeError, as PyTorch's) for tensors to put on a GPU where there is none; FileNotFoundError
    when there is no file.
    """
    target = None if map_location is None else device_type(map_location, "tinyconv.load: map_location")
    if not isinstance(weights_only, bool):
        raise TypeError(f"tinyconv.load: weights_only must be True or False, got {weights_only!r}")
    no_gpu = unavailable_reason() if target == "cuda" else None
    if no_gpu is not None:
        raise NoGPUError(f"tinyconv.load: map_location='cuda' but no GPU is available: {no_gpu}")
    path = os.fspath(f)
    with open(path, "rb") as file:
        kind = file_format(file, path)
        try:
            if kind == "zip":
                obj = read_torch_zip(file, path, weights_only)
            else:
                obj = read_pickles(file, path, target, weights_only)
        # Our own refusals, and tensors saved on a GPU with none here: their messages say it all.
        except (CheckpointError, NoGPUError):
            raise
        # A PyTorch file unlike what torch.save writes: the message goes on from the file's name.
        except TorchFormatError as error:
            raise CheckpointError(f"tinyconv.load: {path} {error}") from None
        # A cut, damaged or crafted file fails in many ways (EOFError, UnpicklingError, BadZipFile,
        # NumPy's TypeError or RuntimeError for arguments it refuses...); to the user they mean the same.
        except Exception as error:
            raise CheckpointError(
                f"tinyconv.load: {path} is cut short or damaged: reading it failed "
                f"({type(error).__name__}: {error})"
            ) from None
    return obj if target != "cuda" else arrays_to_gpu(obj)


def file_format(file, path: str) -> str:
    """The kind of file: 'zip' for a zip archive (torch.save's format), 'pickle' for a pickle of protocol 2
    or higher (0x80, then the protocol number: every file tinyconv.save writes, and PyTorch's legacy
    files). Anything else is refused, naming the file: an empty file, a .npy file, text. The file is read
    from its start."""
    head = file.read(4)
    file.seek(0)
    if not head:
        raise CheckpointError(f"tinyconv.load: {path} is empty (0 bytes), not a checkpoint")
    if head in FOREIGN_FORMATS:
        raise CheckpointError(f"tinyconv.load: {path} is {FOREIGN_FORMATS[head]}")
    if head != ZIP_SIGNATURE and head[0] != 0x80:
        raise CheckpointError(
            f"tinyconv.load: {path} is not a checkpoint: it starts with {head!r}, where a pickle written by "
            "tinyconv.save starts with the byte 0x80 and a file of torch.save with PK (a zip archive)"
        )
    return "zip" if head == ZIP_SIGNATURE else "pickle"


def read_pickles(file, path: str, map_location: str | None, weights_only: bool):
    """The object of a pickle file: tinyconv.save's, a plain pickle, or a legacy file of torch.save,
    whose first pickle is a magic number and whose object comes after it (see torch_format.py)."""
    obj = CheckpointUnpickler(file, path, map_location, weights_only).load()
    if type(obj) is int and obj == LEGACY_MAGIC_NUMBER:
        obj = read_torch_legacy(file, path, weights_only)
    if file.read(1):
        raise CheckpointError(
            f"tinyconv.load: {path} goes on after the end of its pickle, which neither tinyconv.save nor "
            "torch.save ever writes: two files joined, or a file of another program"
        )
    return obj


def read_torch_legacy(file, path: str, weights_only: bool):
    """The object of a legacy torch.save file, read on from its magic number: the format's version, a
    dict about the machine that wrote it (not needed), the object, its storages' keys, their bytes."""

    def next_pickle(storages=None):
        return CheckpointUnpickler(file, path, None, weights_only, storages).load()

    version = next_pickle()
    if type(version) is not int or version != LEGACY_PROTOCOL_VERSION:
        raise TorchFormatError(
            f"is in PyTorch's legacy format, but of version {version!r:.20}, where tinyconv reads "
            f"{LEGACY_PROTOCOL_VERSION}"
        )
    next_pickle()
    start = file.tell()
    storages = LegacyStorages(room=file.seek(0, os.SEEK_END) - start)
    file.seek(start)
    # The storages' bytes come after the object, so the object is read twice: first to learn which
    # storages it names (allocated, empty), then, once they hold their numbers, to build its tensors.
    next_pickle(storages)
    storages.fill(file, next_pickle())
    end = file.tell()
    file.seek(start)
    obj = next_pickle(storages)
    file.seek(end)
    return obj


def read_torch_zip(file, path: str, weights_only: bool):
    """The object of a zip archive written by torch.save: its data.pkl, with its storages' records."""
    archive = TorchArchive(file)
    return CheckpointUnpickler(io.BytesIO(archive.data_pkl), path, None, weights_only, archive).load()


def arrays_to_gpu(obj):
    """`obj` with every NumPy array in its dicts, lists and tuples copied to the GPU (map_location='cuda').

    Tensors are put on the GPU as they are read; plain arrays can only be found afterwards, here.
    """
    if isinstance(obj, numpy.ndarray):
        return to_device(obj, "cuda", "tinyconv.load")
    if type(obj) in (dict, collections.OrderedDict):
        return type(obj)((key, arrays_to_gpu(value)) for key, value in obj.items())
    if type(obj) in (list, tuple):
        return type(obj)(arrays_to_gpu(item) for item in obj)
    return obj
