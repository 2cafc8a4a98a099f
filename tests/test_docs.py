"""The docs stay true: every runnable snippet in docs/*.md prints what the page shows, and every
quoted code excerpt still appears, word for word, in tinyconv's source.

A snippet is a ```python block that starts with an import; the ```text block right after it is its
expected output. Any other ```python block is an excerpt of the source. Timings are compared with
their digits masked. The page on pooling reads MNIST, so those snippets need TINYCONV_DATA. (How a
block is read and checked is in tests/helpers/docs.py, shared with the Korean translations' test.)
A link to a file's lines, `path#L10-L20`, must name lines that exist, and the ```python excerpt right
after it must be those lines exactly, so that line numbers cannot drift from the code.
"""

from __future__ import annotations

import glob
import os
import re

import pytest
from helpers.docs import DOCS, check_python_block, python_blocks

PAGES = sorted(glob.glob(os.path.join(DOCS, "*.md")))
CASES = [case for page in PAGES for case in python_blocks(page)]


@pytest.mark.parametrize("kind, code, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_doc_block_is_true(kind, code, expected):
    check_python_block(kind, code, expected)


# `[tinyconv/models/vgg.py#L73-L85](../tinyconv/models/vgg.py#L73-L85)`, or `#L73` for one line. A
# ```python block "right after" the link has nothing but a colon and blank lines before it.
LINE_LINK = re.compile(r"\]\(([^()\s#]+)#L(\d+)(?:-L(\d+))?\)")
BLOCK_AFTER_LINK = re.compile(r":?\s*```python\n(.*?)```", flags=re.S)


def line_links():
    """(case id, target path, first line, last line, the python block right after the link or None)."""
    for page in PAGES:
        with open(page, encoding="utf-8") as file:
            text = file.read()
        for link in LINE_LINK.finditer(text):
            first, last = int(link[2]), int(link[3] or link[2])
            target = os.path.normpath(os.path.join(os.path.dirname(page), link[1]))
            block = BLOCK_AFTER_LINK.match(text, link.end())
            case = f"{os.path.basename(page)}:{link[1]}#L{first}-L{last}"
            yield case, target, first, last, block[1] if block else None


LINKS = list(line_links())
EXCERPT_LINKS = [link for link in LINKS if link[4] is not None]


def test_the_architecture_pages_quote_their_code_by_line():
    pages = {case.split(":")[0] for case, *_ in EXCERPT_LINKS}
    assert {"lenet.md", "alexnet.md", "zfnet.md", "vgg.md", "googlenet.md", "resnet.md"} <= pages


@pytest.mark.parametrize("target, first, last", [c[1:4] for c in LINKS], ids=[c[0] for c in LINKS])
def test_line_link_names_lines_that_exist(target, first, last):
    assert os.path.isfile(target), f"the link points to {target}, which does not exist"
    with open(target, encoding="utf-8") as file:
        length = len(file.read().splitlines())
    assert 1 <= first <= last <= length, f"lines {first}-{last} of a file of {length} lines"


@pytest.mark.parametrize(
    "target, first, last, excerpt", [c[1:] for c in EXCERPT_LINKS], ids=[c[0] for c in EXCERPT_LINKS]
)
def test_excerpt_after_a_line_link_is_found_at_those_lines(target, first, last, excerpt):
    with open(target, encoding="utf-8") as file:
        source = file.read()
    at_those_lines = "\n".join(source.splitlines()[first - 1 : last]) + "\n"
    where = source.find(excerpt)
    now_at = source[:where].count("\n") + 1
    moved = f" (it now starts at line {now_at})" if where >= 0 else ""
    assert at_those_lines == excerpt, f"the excerpt is not at lines {first}-{last}{moved}"
