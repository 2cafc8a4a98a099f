"""save / load: write checkpoints (state dicts, training history) to disk, atomically.

An interrupted save must never leave a file that looks like a valid checkpoint, so `save` writes to
a temporary file in the same directory, flushes it to disk, and only then renames it over the
target (`os.replace` is atomic on POSIX and Windows): a reader sees the old file or the new one.

The format is Python's pickle, as `torch.save` uses; like `torch.load`, `load` can run code hidden in
a malicious file, so only load checkpoints you made or trust.
"""

from __future__ import annotations

import os
import pickle
import tempfile


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


def save(obj, path) -> None:
    """Write `obj` (state dicts of NumPy arrays, numbers, lists, dicts) to `path` atomically."""
    atomic_write(path, lambda file: pickle.dump(obj, file, protocol=pickle.HIGHEST_PROTOCOL))


def load(path):
    """Read an object written by `save`. Only load files you trust (pickle can run code)."""
    with open(path, "rb") as file:
        return pickle.load(file)
