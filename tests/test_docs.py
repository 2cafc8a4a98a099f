"""The docs stay true: every runnable snippet in docs/*.md prints what the page shows, and every
quoted code excerpt still appears, word for word, in tinyconv's source.

A snippet is a ```python block that starts with an import; the ```text block right after it is its
expected output. Any other ```python block is an excerpt of the source. Timings are compared with
their digits masked. The page on pooling reads MNIST, so those snippets need TINYCONV_DATA.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"```(\w*)\n(.*?)```", flags=re.S)


def is_snippet(body: str) -> bool:
    return body.startswith("import") or (body.startswith("from") and "\nprint" in body)


def doc_blocks():
    """(case id, kind, code, expected output) for every python block of every page."""
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        with open(page, encoding="utf-8") as file:
            blocks = BLOCK.findall(file.read())
        for k, (language, body) in enumerate(blocks):
            if language != "python":
                continue
            case = f"{os.path.basename(page)}#{k}"
            if is_snippet(body):
                following = blocks[k + 1] if k + 1 < len(blocks) else ("", None)
                yield case, "snippet", body, following[1] if following[0] == "text" else None
            else:
                yield case, "excerpt", body, None


CASES = list(doc_blocks())
SOURCES = {
    path: open(path, encoding="utf-8").read()
    for path in glob.glob(os.path.join(ROOT, "tinyconv", "**", "*.py"), recursive=True)
}


@pytest.mark.parametrize("kind, code, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_doc_block_is_true(kind, code, expected):
    if kind == "excerpt":
        assert any(code in source for source in SOURCES.values()), "quoted code not found in tinyconv/"
        return
    assert expected is not None, "a runnable snippet must be followed by a ```text block of its output"
    if "MNIST(" in code and not os.path.isdir(os.path.join(os.environ.get("TINYCONV_DATA", ""), "mnist")):
        pytest.skip("this snippet reads MNIST: set TINYCONV_DATA to a folder whose mnist/ holds it")
    run = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, cwd=ROOT)
    got = run.stdout + run.stderr
    if "perf_counter" in code:  # a timing: only the shape of the output can match
        got, expected = (re.sub(r" +", " ", re.sub(r"[0-9.]+", "#", t)) for t in (got, expected))
    assert got == expected
