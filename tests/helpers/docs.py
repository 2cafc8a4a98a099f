"""The docs' code blocks, read and checked: written once for tests/test_docs.py (the English pages) and
tests/docs/test_korean_translations.py (their Korean translations, which must run the same way).

A snippet is a ```python block that starts with an import; the ```text block right after it is its
expected output. Any other ```python block is an excerpt of the source, which must appear in tinyconv/
word for word. Timings are compared with their digits masked. A snippet that reads MNIST needs
TINYCONV_DATA, and is skipped, saying so, without it.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
BLOCK = re.compile(r"```(\w*)\n(.*?)```", flags=re.S)


def is_snippet(body: str) -> bool:
    return body.startswith("import") or (body.startswith("from") and "\nprint" in body)


def python_blocks(page: str) -> Iterator[tuple[str, str, str, str | None]]:
    """(case id, kind, code, expected output) for every ```python block of one page, in order.

    The case id is the page's path below docs/ and the block's position among all fenced blocks
    (`engine.md#3`, `ko/engine.md#3`); kind is "snippet" or "excerpt"; expected is the ```text block
    right after a snippet, or None where there is none (an error for a snippet, see check_python_block).
    """
    with open(page, encoding="utf-8") as file:
        blocks = BLOCK.findall(file.read())
    name = os.path.relpath(page, DOCS).replace(os.sep, "/")
    for k, (language, body) in enumerate(blocks):
        if language != "python":
            continue
        case = f"{name}#{k}"
        if is_snippet(body):
            following = blocks[k + 1] if k + 1 < len(blocks) else ("", None)
            yield case, "snippet", body, following[1] if following[0] == "text" else None
        else:
            yield case, "excerpt", body, None


@functools.cache
def tinyconv_sources() -> tuple[str, ...]:
    """The text of every module of the package, read once per test session."""
    paths = sorted(glob.glob(os.path.join(ROOT, "tinyconv", "**", "*.py"), recursive=True))
    return tuple(open(path, encoding="utf-8").read() for path in paths)


def check_python_block(kind: str, code: str, expected: str | None) -> None:
    """Assert that an excerpt is found in tinyconv/, or that a snippet, run from the repository root in a
    fresh interpreter, prints exactly its expected output."""
    if kind == "excerpt":
        assert any(code in source for source in tinyconv_sources()), "quoted code not found in tinyconv/"
        return
    assert expected is not None, "a runnable snippet must be followed by a ```text block of its output"
    if "MNIST(" in code and not os.path.isdir(os.path.join(os.environ.get("TINYCONV_DATA", ""), "mnist")):
        pytest.skip("this snippet reads MNIST: set TINYCONV_DATA to a folder whose mnist/ holds it")
    run = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, cwd=ROOT)
    got = run.stdout + run.stderr
    if "perf_counter" in code:  # a timing: only the shape of the output can match
        got, expected = (re.sub(r" +", " ", re.sub(r"[0-9.]+", "#", t)) for t in (got, expected))
    assert got == expected
