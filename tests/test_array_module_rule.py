"""The array-module rule: ops reach NumPy only through the array module (`xp`) of their inputs.

A stray `np.zeros` inside an op makes a NumPy array where a CuPy one was needed, and the op breaks
on the GPU. So the modules that compute (tinyconv/ops, tinyconv/functional, tinyconv/backend/cpu.py)
must not import NumPy at all; they call `get_array_module(x)` and use what it returns.

backend/array_module.py is left out on purpose: it is the one place that decides between NumPy
and CuPy, so it has to import NumPy to answer "numpy" for NumPy arrays.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tinyconv"
NUMPY_NAMES = {"np", "numpy"}


def modules_under_the_rule() -> list:
    files = sorted((PACKAGE / "ops").glob("*.py")) + sorted((PACKAGE / "functional").glob("*.py"))
    return files + [PACKAGE / "backend" / "cpu.py"]


def numpy_uses(source: str) -> list:
    """'line N: what' for every import of numpy and every `np.x` / `numpy.x` in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "numpy":
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.module and node.module.split(".")[0] == "numpy":
                found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in NUMPY_NAMES:
                found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_rule_covers_the_op_modules():
    names = {path.relative_to(PACKAGE).as_posix() for path in modules_under_the_rule()}
    assert {"ops/arithmetic.py", "functional/conv.py", "functional/pooling.py", "backend/cpu.py"} <= names
    assert all(path.is_file() for path in modules_under_the_rule())


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import numpy as np\n", ["line 1: import numpy"]),
        ("from numpy.lib import stride_tricks\n", ["line 1: from numpy.lib import ..."]),
        ("def f(x):\n    return np.zeros(3)\n", ["line 2: np.zeros"]),
        ("y = numpy.float32\n", ["line 1: numpy.float32"]),
        ("def f(x):\n    xp = get_array_module(x)\n    return xp.zeros(3)\n", []),
    ],
    ids=["import", "from-import", "np call", "numpy attribute", "xp is fine"],
)
def test_numpy_uses_finds_imports_and_attribute_access(source, expected):
    assert numpy_uses(source) == expected


@pytest.mark.parametrize("path", modules_under_the_rule(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_op_module_does_not_use_numpy_directly(path):
    uses = numpy_uses(path.read_text(encoding="utf-8"))
    assert not uses, f"{path.relative_to(PACKAGE)} reaches NumPy directly: " + "; ".join(uses)


# ------------------------------------------------------------------------------ CuPy 12's names
# What `xp` may offer is bounded by the oldest CuPy tinyconv supports, CuPy 12: a NumPy function that
# CuPy gained later (put_along_axis, v14) works on the CPU and breaks on a GPU with an older CuPy.


def array_module_calls(source: str) -> set:
    """The names the source looks up on an array module: `xp.NAME`, `cupy.NAME` and
    `get_array_module(...).NAME`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("xp", "cupy"):
            names.add(node.attr)
        elif isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "get_array_module":
            names.add(node.attr)
    return names


def cupy_12_names() -> set:
    text = (Path(__file__).resolve().parent / "backend" / "cupy12_names.txt").read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def test_array_module_calls_finds_the_three_spellings():
    source = "xp.exp(x)\ncupy.cuda.Device()\nget_array_module(a).maximum(a, b)\nnp.zeros(3)\nx.xp\n"
    assert array_module_calls(source) == {"exp", "cuda", "maximum"}


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_every_array_function_the_package_calls_exists_in_cupy_12(path):
    missing = array_module_calls(path.read_text(encoding="utf-8")) - cupy_12_names()
    assert not missing, f"{path.relative_to(PACKAGE)} calls xp.{sorted(missing)}, which CuPy 12 does not have"
