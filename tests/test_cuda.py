"""tinyconv/cuda.py, the GPU from the user's side: is_available() says yes only when CuPy imports, sees a
device, and compiles and runs a small kernel with the right answer; unavailable_reason() says why not,
including the cases a bare import hides (two CuPy wheels over each other, kernels NVRTC cannot compile).

The "yes" case runs on the CUDA emulator (tests/backend/cuda_emulator.py), which compiles the real
kernels/bias_relu.cu with g++; the failures are made by breaking one piece of that stand-in.
"""

from __future__ import annotations

import types

import pytest
from backend.cuda_emulator import compiler_available, install

import tinyconv
from tinyconv.backend import array_module, cuda_kernels

needs_emulator = pytest.mark.skipif(
    not compiler_available(), reason="the CUDA emulator needs g++ (not found)"
)


@pytest.fixture
def no_cupy(monkeypatch):
    """tinyconv as on a machine without CuPy (whatever this one has)."""
    monkeypatch.setattr(array_module, "_cupy", None)
    monkeypatch.setattr(array_module, "_cupy_checked", True)
    monkeypatch.setattr(array_module, "_cupy_import_error", None)


def test_without_cupy_the_reason_names_the_extra_for_each_cuda(no_cupy):
    reason = tinyconv.cuda.unavailable_reason()
    assert reason.startswith("CuPy is not installed")
    assert "tinyconv[gpu]' for CUDA 12" in reason and "'tinyconv[gpu-cuda13]' for CUDA 13" in reason
    assert not tinyconv.cuda.is_available() and tinyconv.cuda.device_count() == 0


def test_two_cupy_wheels_over_each_other_are_named_in_the_reason(no_cupy, monkeypatch):
    monkeypatch.setattr(array_module, "_cupy_import_error", ImportError("cannot import name '_core'"))
    monkeypatch.setattr(tinyconv.cuda, "installed_cupy_wheels", lambda: ["cupy-cuda12x", "cupy-cuda13x"])
    reason = tinyconv.cuda.unavailable_reason()
    assert "fails to import (ImportError: cannot import name '_core')" in reason
    assert "2 CuPy wheels are installed (cupy-cuda12x, cupy-cuda13x): uninstall them all" in reason


def test_installed_cupy_wheels_lists_cupy_distributions_only(monkeypatch):
    names = ["numpy", "cupy-cuda13x", "cupy", "cupy-cuda12x", "cupyx-extra", "torch"]
    fake = [types.SimpleNamespace(metadata={"Name": name}) for name in names]
    monkeypatch.setattr(tinyconv.cuda.importlib.metadata, "distributions", lambda: fake)
    assert tinyconv.cuda.installed_cupy_wheels() == ["cupy", "cupy-cuda12x", "cupy-cuda13x"]


@needs_emulator
def test_a_gpu_whose_test_kernel_runs_right_is_available(monkeypatch):
    install(monkeypatch)
    assert tinyconv.cuda.unavailable_reason() is None
    assert tinyconv.cuda.is_available() and tinyconv.cuda.device_count() == 1


@needs_emulator
def test_the_test_kernel_is_not_counted_among_the_program_s_launches(monkeypatch):
    device = install(monkeypatch)
    before = sum(cuda_kernels.launch_counts.values())
    assert cuda_kernels.kernel_failure(device) is None
    assert sum(cuda_kernels.launch_counts.values()) == before


@needs_emulator
def test_kernels_that_do_not_compile_make_the_gpu_unavailable_and_the_reason_says_so(monkeypatch):
    device = install(monkeypatch)

    def failing_compiler(code, options=()):
        raise RuntimeError('NVRTC_ERROR_COMPILATION: cannot open source file "cuda_fp16.h"')

    monkeypatch.setattr(device, "RawModule", failing_compiler)
    reason = tinyconv.cuda.unavailable_reason()
    assert reason.startswith("CuPy sees a GPU but cannot compile and run tinyconv's CUDA kernels")
    assert "RuntimeError: NVRTC_ERROR_COMPILATION" in reason and "[ctk]" in reason
    assert not tinyconv.cuda.is_available()
    with pytest.raises(RuntimeError, match="no GPU is available: CuPy sees a GPU but cannot compile"):
        tinyconv.zeros(2).to("cuda")


@needs_emulator
def test_a_test_kernel_with_a_wrong_answer_makes_the_gpu_unavailable(monkeypatch):
    device = install(monkeypatch)

    def bias_without_relu(grid, block, args):
        x, bias, y = args[:3]
        y[...] = x + bias  # a kernel that forgot its max(., 0)

    monkeypatch.setattr(cuda_kernels, "kernel_function", lambda cupy, stem, scalar, name: bias_without_relu)
    reason = cuda_kernels.kernel_failure(device)
    assert reason == "a test kernel computed max([[-1, 2]] + 0.5, 0) as [[-0.5, 2.5]], not [[0.0, 2.5]]"
