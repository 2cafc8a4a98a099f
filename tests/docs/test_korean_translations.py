"""The Korean translations say what the English says: docs/ko/engine.md translates docs/engine.md, and
docs/ko/quickstart.md translates README.md's quickstart and reader's map.

A translation changes the prose, never the code: every code block (fenced, or indented by four spaces)
is the English one character for character and in the same order, so an English page whose code changes
fails here until its translation follows. The Korean engine page's python blocks are then run exactly as
tests/test_docs.py runs the English ones (tests/helpers/docs.py). The quickstart names every command,
flag and path the README's does, and each row of the reader's map at least the paths of the same English
row. Every link of a translation leads to a file that exists (the q*z picture is the English page's own
file), and each translation links back to the Korean guide, docs/ko/README.md.
"""

from __future__ import annotations

import os
import re

import pytest
from helpers.docs import BLOCK, ROOT, check_python_block, python_blocks

ENGLISH_ENGINE, KOREAN_ENGINE = "docs/engine.md", "docs/ko/engine.md"
README, QUICKSTART = "README.md", "docs/ko/quickstart.md"
KOREAN_GUIDE = "docs/ko/README.md"
# README's sections that docs/ko/quickstart.md translates, with their Korean headings.
QUICKSTART_SECTIONS = {"Quickstart": "빠르게 시작하기", "A map for the reader": "코드 읽기 지도"}

SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^()\s]+)\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^()\s]+)\)")
HEADING = re.compile(r"^(#+) (.+)$", flags=re.M)


def read(path: str) -> str:
    with open(os.path.join(ROOT, path), encoding="utf-8") as file:
        return file.read()


def code_blocks(markdown: str) -> list[str]:
    """Every code block of a page, in order: a fenced block with its fence lines (so its language too),
    an indented block (four spaces, after a blank line) as its lines."""
    lines, blocks, k = markdown.splitlines(), [], 0
    while k < len(lines):
        if lines[k].startswith("```"):
            end = next(j for j in range(k + 1, len(lines)) if lines[j].startswith("```"))
            blocks.append("\n".join(lines[k : end + 1]))
            k = end + 1
        elif lines[k].startswith("    ") and (k == 0 or not lines[k - 1].strip()):
            end = k
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            blocks.append("\n".join(lines[k:end]).rstrip())
            k = end
        else:
            k += 1
    return blocks


def prose(markdown: str) -> str:
    """The page without its fenced blocks, whose `#` comments would read as headings."""
    return BLOCK.sub("", markdown)


def section(markdown: str, heading: str) -> str:
    """The text under `## heading`, up to the next heading of level 2 or higher."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^#{{1,2}} |\Z)", markdown, flags=re.M | re.S)
    assert match, f"no section '## {heading}'"
    return match[1]


def spans(text: str) -> list[str]:
    """The backticked spans (paths, commands, flags, names), a line break inside one read as a space."""
    return [" ".join(span.split()) for span in SPAN.findall(text)]


def table_rows(text: str) -> list[str]:
    """The body rows of the first table in text (its header and separator line left out)."""
    return [line for line in text.splitlines() if line.startswith("|")][2:]


def first_difference(english: list[str], korean: list[str]) -> str:
    for k, (a, b) in enumerate(zip(english, korean)):
        if a != b:
            return f"code block {k} differs:\n--- English\n{a}\n--- Korean\n{b}"
    return f"the English has {len(english)} code blocks, the Korean {len(korean)}"


def test_korean_engine_page_has_the_english_code_blocks_in_order():
    english, korean = code_blocks(read(ENGLISH_ENGINE)), code_blocks(read(KOREAN_ENGINE))
    assert len(english) > 40, "the English page's code blocks were not found"
    assert english == korean, first_difference(english, korean)


def test_korean_engine_page_has_a_heading_for_every_english_one():
    english, korean = (HEADING.findall(prose(read(page))) for page in (ENGLISH_ENGINE, KOREAN_ENGINE))
    assert [len(marks) for marks, _ in korean] == [len(marks) for marks, _ in english]


KOREAN_ENGINE_BLOCKS = list(python_blocks(os.path.join(ROOT, KOREAN_ENGINE)))


@pytest.mark.parametrize(
    "kind, code, expected", [c[1:] for c in KOREAN_ENGINE_BLOCKS], ids=[c[0] for c in KOREAN_ENGINE_BLOCKS]
)
def test_korean_engine_python_block_is_true(kind, code, expected):
    check_python_block(kind, code, expected)


@pytest.mark.parametrize("english, korean", QUICKSTART_SECTIONS.items(), ids=list(QUICKSTART_SECTIONS))
def test_quickstart_section_has_the_readmes_code_blocks(english, korean):
    expected = code_blocks(section(read(README), english))
    assert code_blocks(section(read(QUICKSTART), korean)) == expected


def test_readmes_quickstart_commands_are_found():
    commands = code_blocks(section(read(README), "Quickstart"))
    assert len(commands) >= 2 and all(c.strip().startswith("pip install") for c in commands)


@pytest.mark.parametrize("english, korean", QUICKSTART_SECTIONS.items(), ids=list(QUICKSTART_SECTIONS))
def test_quickstart_section_names_every_command_flag_and_path_of_the_readme(english, korean):
    korean_spans = spans(section(read(QUICKSTART), korean))
    missing = [span for span in spans(section(read(README), english)) if span not in korean_spans]
    assert not missing, f"README's '{english}' names these, its translation does not: {missing}"


def test_reader_map_rows_name_the_paths_of_the_english_rows():
    english = table_rows(section(read(README), "A map for the reader"))
    korean = table_rows(section(read(QUICKSTART), QUICKSTART_SECTIONS["A map for the reader"]))
    assert len(english) > 20, "README's map was not found"
    assert len(korean) == len(english), f"README's map has {len(english)} rows, the Korean {len(korean)}"
    for english_row, korean_row in zip(english, korean):
        missing = [span for span in spans(english_row) if span not in spans(korean_row)]
        assert not missing, f"the row {english_row.split('|')[1].strip()!r} lacks {missing} in Korean"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (letters of any script kept),
    spaces turned into hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def anchors(path: str) -> set[str]:
    return {github_anchor(title) for _, title in HEADING.findall(prose(read(path)))}


@pytest.mark.parametrize("page", [KOREAN_ENGINE, QUICKSTART])
def test_translation_links_lead_to_files_and_headings_that_exist(page):
    for target in LINK.findall(prose(read(page))):
        if target.startswith(("http://", "https://")):
            continue
        file_part, _, anchor = target.partition("#")
        path = os.path.normpath(os.path.join(os.path.dirname(page), file_part)) if file_part else page
        assert os.path.isfile(os.path.join(ROOT, path)), f"{page} links to {target}: no such file"
        if anchor and path.endswith(".md"):
            assert anchor in anchors(path), f"{page} links to {target}: {path} has no such heading"


def test_korean_engine_page_shows_the_english_pages_pictures():
    def pictures(page: str) -> list[str]:
        return [os.path.normpath(os.path.join(os.path.dirname(page), p)) for p in IMAGE.findall(read(page))]

    assert pictures(ENGLISH_ENGINE) == ["docs/images/qz_graph.png"]
    assert pictures(KOREAN_ENGINE) == pictures(ENGLISH_ENGINE)


@pytest.mark.parametrize("page", [KOREAN_ENGINE, QUICKSTART])
def test_translation_links_back_to_the_korean_guide(page):
    targets = [os.path.normpath(os.path.join(os.path.dirname(page), t)) for t in LINK.findall(read(page))]
    assert KOREAN_GUIDE in targets
