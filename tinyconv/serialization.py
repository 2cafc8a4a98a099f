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


def atomic_write(path, write) -> None:
    """Call `write(file)` on a temporary file next to `path`, then rename it to `path`.

    If `write` raises (or the process dies), `path` is untouched and the temporary file is removed.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def save(obj, path) -> None:
    """Write `obj` (state dicts of NumPy arrays, numbers, lists, dicts) to `path` atomically."""
    atomic_write(path, lambda file: pickle.dump(obj, file, protocol=pickle.HIGHEST_PROTOCOL))


def load(path):
    """Read an object written by `save`. Only load files you trust (pickle can run code)."""
    with open(path, "rb") as file:
        return pickle.load(file)
