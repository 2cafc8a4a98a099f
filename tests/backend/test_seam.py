"""The backend seam (tinyconv/backend/__init__.py): the one place that chooses between the CPU code
(backend/cpu.py) and the CUDA kernels (backend/cuda_kernels.py).

A Function never asks which device it runs on: it calls the seam, as conv2d calls im2col. Two copies of
a computation drift apart (max pooling's NaN rule once did: the GPU tests compared the kernel with a
CPU twin that training never ran). So this file checks the rule on the source itself: no module that
computes imports the launchers or the CPU module, or asks `on_gpu`, and each kernel-backed computation
is defined once in cpu.py and once in cuda_kernels.py, behind one function of the seam.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from tinyconv import backend
from tinyconv.backend import cpu

PACKAGE = Path(__file__).resolve().parent.parent.parent / "tinyconv"
# (matmul is left out: tinyconv.matmul, the Tensor function of torch.matmul, shares the name)
KERNEL_BACKED = [
    "im2col",
    "col2im",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "lrn_forward",
    "lrn_backward",
    "bias_relu_forward",
    "bias_relu_backward",
]
DEVICE_CHOICES = {"on_gpu", "cuda_kernels", "cpu"}


def device_choices(source: str) -> list:
    """'line N: what' for every import of the launchers or the CPU module, and every use of on_gpu."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tinyconv.backend"):
            names = [alias.name for alias in node.names]
            if set(names) & DEVICE_CHOICES or node.module.split(".")[-1] in ("cpu", "cuda_kernels"):
                found.append(f"line {node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Name) and node.id == "on_gpu":
            found.append(f"line {node.lineno}: on_gpu")
    return found


def modules_that_compute() -> list:
    """Every module but the backend itself and tinyconv/cuda.py, the GPU's user API (is_available
    compiles a test kernel, so it rightly knows the launchers)."""
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if "backend" not in path.relative_to(PACKAGE).parts and path != PACKAGE / "cuda.py"
    )


def defined_functions(path: Path) -> set:
    """The names of the functions defined at the top level of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_device_choices_finds_imports_of_either_backend_and_on_gpu():
    source = (
        "from tinyconv.backend import cpu, matmul\n"
        "from tinyconv.backend.cuda_kernels import im2col\n"
        "if on_gpu(x):\n    pass\n"
        "from tinyconv.backend import get_array_module\n"
    )
    assert device_choices(source) == [
        "line 1: from tinyconv.backend import cpu, matmul",
        "line 2: from tinyconv.backend.cuda_kernels import im2col",
        "line 3: on_gpu",
    ]


@pytest.mark.parametrize("path", modules_that_compute(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_outside_the_backend_chooses_a_device_itself(path):
    choices = device_choices(path.read_text(encoding="utf-8"))
    where = path.relative_to(PACKAGE)
    assert not choices, f"{where} chooses between CPU and GPU itself: " + "; ".join(choices)


@pytest.mark.parametrize("name", KERNEL_BACKED)
def test_each_kernel_backed_computation_is_defined_once_per_backend_and_nowhere_else(name):
    definitions = [
        path.relative_to(PACKAGE).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if name in defined_functions(path)
    ]
    assert definitions == ["backend/__init__.py", "backend/cpu.py", "backend/cuda_kernels.py"]


def test_numpy_arrays_go_to_the_cpu_backend(monkeypatch):
    calls = []
    monkeypatch.setattr(cpu, "lrn_forward", lambda *args: calls.append(args) or ("y", "scale"))
    x = np.ones((1, 3, 2, 2))
    assert backend.lrn_forward(x, 3, 1e-4, 0.75, 1.0) == ("y", "scale")
    assert calls and calls[0][0] is x
