"""Download a file from a list of mirrors, verify its content, and only then put it in place.

A dataset file must never look valid when it is not, so `download_verified`
    1. streams the file into a temporary file in the target's own directory (with a progress bar),
    2. checks its digest against the expected one (`check_digests`),
    3. renames it to the target name with `os.replace` (atomic on POSIX and Windows),
steps 1 and 3 being `tinyconv.serialization.atomic_write`, which also makes every checkpoint.
Whatever goes wrong (a mirror that answers 404, a connection cut halfway, a file whose digest differs,
Ctrl-C), the temporary file is removed and the target name is never created; the next mirror is tried.

Two kinds of digest, and each dataset lists for each file whichever it knows:
    sha256  the SHA-256 of the file's *content*, decompressed first when it is gzipped. The same digest
            checks the `.gz` file from any mirror, one compressed again, and the raw file a user
            decompressed by hand (MNIST's and Fashion-MNIST's tables).
    md5     the MD5 of the file's bytes exactly as they are: CIFAR-10's batch files as extracted, and
            its archive as the authors serve it (which checks a download).
MD5 is broken for signatures (two files with the same digest can be made), but nobody can make a file
that matches a digest already published, so it still pins the file; SHA-256 is preferred where known.
HTTP uses only the standard library (urllib).

The end of the file says where datasets keep their files: `$TINYCONV_DATA/<folder>`, else
`~/.cache/tinyconv/<folder>`, unless a root folder is given.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Callable, Sequence

from tinyconv.data.idx import read_decompressed
from tinyconv.serialization import atomic_write

TIMEOUT_SECONDS = 30  # per connection attempt and per read: a dead mirror should not hang the run
CHUNK_BYTES = 1 << 16


class DownloadError(RuntimeError):
    """No mirror delivered the file with the expected content; `failures` says why, one line per URL."""

    def __init__(self, path: str, failures: list[str]):
        self.path = path
        self.failures = failures
        super().__init__(f"could not download {path}:\n" + "\n".join(f"  {line}" for line in failures))


class ChecksumError(ValueError):
    """A file whose digest is not the expected one: damaged, truncated, or another file."""


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of `data` as 64 hex digits (the format of `sha256sum`)."""
    return hashlib.sha256(data).hexdigest()


def md5_hex(path) -> str:
    """The MD5 digest of the file at `path` as 32 hex digits (the format of `md5sum`), read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)  # a checksum against damage, not a signature
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_digests(
    path, sha256: str | None = None, md5: str | None = None, content: bytes | None = None
) -> None:
    """Raise ChecksumError unless the file at `path` has every digest given (see the module docstring).

    sha256:  expected SHA-256 of the file's content, decompressed when the file is gzipped
    md5:     expected MD5 of the file's bytes as they are on disk
    content: the file's decompressed content when the caller has read it already (not read again)
    Raises IDXError for a damaged gzip file, TypeError when neither digest is given.
    """
    if sha256 is None and md5 is None:
        raise TypeError(f"check_digests needs sha256 or md5 (or both) to check {os.fspath(path)}")
    if md5 is not None:
        digest = md5_hex(path)
        if digest != md5:
            raise ChecksumError(f"the MD5 of the file is {digest}, expected {md5}")
    if sha256 is not None:
        digest = sha256_hex(read_decompressed(path) if content is None else content)
        if digest != sha256:
            raise ChecksumError(f"the SHA-256 of its content is {digest}, expected {sha256}")


def download_verified(urls: Sequence[str], path, sha256: str | None = None, md5: str | None = None) -> None:
    """Fetch `path` from the first of `urls` that delivers a file with the expected digests.

    urls:   the same file on several mirrors, tried in order
    path:   where the file goes; its directory is created if needed
    sha256: the expected digest of the file's content, decompressed when the file is gzipped
    md5:    the expected digest of the file's bytes as downloaded (give one of the two, or both)
    Raises DownloadError, listing each URL and why it failed, when none succeeds.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    failures = []
    for url in urls:
        try:
            _download_from(url, path, sha256, md5)
            return
        # OSError covers urllib's URLError and HTTPError, refused connections and timeouts;
        # HTTPException a malformed answer; ValueError a broken gzip (IDXError) or a digest that differs
        # (ChecksumError).
        except (OSError, http.client.HTTPException, ValueError) as error:
            failures.append(f"{url}: {error}")
    raise DownloadError(path, failures)


def _download_from(url: str, path: str, sha256: str | None, md5: str | None) -> None:
    """One attempt: fetch into a temporary file next to `path`, verify, rename (atomic_write)."""
    name = os.path.basename(path)
    atomic_write(
        path,
        lambda file: _fetch(url, file, description=name),
        verify=lambda temporary: check_digests(temporary, sha256=sha256, md5=md5),
    )


def _fetch(url: str, file, description: str) -> None:
    """Stream the body of `url` into the open binary `file`, with a tqdm progress bar on stderr."""
    from tqdm import tqdm  # imported here: only a download needs it, not reading files already on disk

    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length is not None else None
        received = 0
        with tqdm(total=expected, unit="B", unit_scale=True, unit_divisor=1024, desc=description) as bar:
            while True:
                chunk = response.read(CHUNK_BYTES)
                if not chunk:
                    break
                file.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    # http.client does not complain when a connection closes early; compare with what was announced.
    if expected is not None and received != expected:
        raise ValueError(f"the connection closed after {received} of {expected} bytes (truncated download)")


# ------------------------------------------------------------------------- where datasets keep files
def data_folder(folder: str) -> str:
    """`$TINYCONV_DATA/folder` when that variable is set, else `~/.cache/tinyconv/folder`, absolute."""
    parent = os.environ.get("TINYCONV_DATA") or os.path.join("~", ".cache", "tinyconv")
    return os.path.abspath(os.path.join(os.path.expanduser(parent), folder))


def choose_root(root, folder: str, holds_files: Callable[[str], bool]) -> str:
    """The folder a dataset reads its files from and downloads them into.

    root=None:  `data_folder(folder)`.
    root given: `root` itself, unless it holds none of the dataset's files but its subfolder `folder`
                does (so a general data folder works too); `holds_files(path)` says whether one does.
    """
    if root is None:
        return data_folder(folder)
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    subfolder = os.path.join(root, folder)
    if not holds_files(root) and holds_files(subfolder):
        return subfolder
    return root


def where_looked_for(folder: str) -> str:
    """The sentence of an error message that repeats `choose_root`'s rule for a dataset's `folder`, and
    names the demos' flag that gives them the folder."""
    return (
        f"(A folder given as root, or to a demo as --data-dir DIR, may also hold them in its {folder}/ "
        f"subfolder; with root=None they are looked for in $TINYCONV_DATA/{folder}, else in "
        f"~/.cache/tinyconv/{folder}.)"
    )
