"""Download a file from a list of mirrors, verify its content, and only then put it in place.

A dataset file must never look valid when it is not, so `download_verified`
    1. streams the file into a temporary file in the target's own directory (with a progress bar),
    2. checks the SHA-256 digest of its *decompressed* content against the expected one,
    3. renames it to the target name with `os.replace` (atomic on POSIX and Windows),
steps 1 and 3 being `tinyconv.serialization.atomic_write`, which also makes every checkpoint.
Whatever goes wrong (a mirror that answers 404, a connection cut halfway, a file whose digest differs,
Ctrl-C), the temporary file is removed and the target name is never created; the next mirror is tried.

Digests of the decompressed content, not of the `.gz` bytes, let the same table check the `.gz`
file and the raw file a user decompressed by hand. HTTP uses only the standard library (urllib).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Sequence

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


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of `data` as 64 hex digits (the format of `sha256sum`)."""
    return hashlib.sha256(data).hexdigest()


def download_verified(urls: Sequence[str], path, sha256: str) -> None:
    """Fetch `path` from the first of `urls` that delivers content with the expected digest.

    urls:   the same file on several mirrors, tried in order
    path:   where the file goes; its directory is created if needed
    sha256: the expected digest of the file's content, decompressed when the file is gzipped
    Raises DownloadError, listing each URL and why it failed, when none succeeds.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    failures = []
    for url in urls:
        try:
            _download_from(url, path, sha256)
            return
        # OSError covers urllib's URLError and HTTPError, refused connections and timeouts;
        # HTTPException a malformed answer; ValueError a broken gzip or a digest that differs.
        except (OSError, http.client.HTTPException, ValueError) as error:
            failures.append(f"{url}: {error}")
    raise DownloadError(path, failures)


def _download_from(url: str, path: str, sha256: str) -> None:
    """One attempt: fetch into a temporary file next to `path`, verify, rename (atomic_write)."""

    def verify(temporary: str) -> None:
        digest = sha256_hex(read_decompressed(temporary))
        if digest != sha256:
            raise ValueError(f"the SHA-256 of its content is {digest}, expected {sha256}")

    name = os.path.basename(path)
    atomic_write(path, lambda file: _fetch(url, file, description=name), verify=verify)


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
