"""The CUDA code quoted in docs/*.md (```cuda blocks) is still, word for word, in kernels/*.cu.

tests/test_docs.py keeps the ```python excerpts true against tinyconv/; this does the same for the
kernels, so that docs/gpu.md cannot drift from the code it explains.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```(\w*)\n(.*?)```", flags=re.S)
KERNEL_SOURCES = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "kernels").glob("*.cu"))]
EXCERPTS = [
    (f"{page.name}#{k}", body)
    for page in sorted((ROOT / "docs").glob("*.md"))
    for k, (language, body) in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")))
    if language == "cuda"
]


def test_the_gpu_page_quotes_the_kernels():
    assert any(case.startswith("gpu.md#") for case, _ in EXCERPTS)


@pytest.mark.parametrize("body", [body for _, body in EXCERPTS], ids=[case for case, _ in EXCERPTS])
def test_cuda_excerpt_is_in_a_kernel(body):
    assert any(body in source for source in KERNEL_SOURCES), "quoted CUDA code not found in kernels/*.cu"
