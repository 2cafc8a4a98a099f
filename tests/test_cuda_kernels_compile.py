"""Every kernels/*.cu compiles with nvcc for the GPUs tinyconv targets, so a broken kernel fails the
tests even on a machine without a GPU (.ci/run compiles them too).

Each file is compiled to PTX for sm_80 (A100) and sm_90 (H100), in both element types
backend/cuda_kernels.py builds (-DSCALAR=float and -DSCALAR=double), with warnings as errors, and its PTX
must hold every extern "C" kernel of the source under its own name: that is what
cupy.RawModule.get_function looks up.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tinyconv.backend.cuda_kernels import kernel_dir

NVCC = shutil.which("nvcc")
KERNELS = sorted(kernel_dir().glob("*.cu"))
KERNEL_NAME = re.compile(r'extern "C" __global__ void (\w+)\(')

pytestmark = pytest.mark.skipif(NVCC is None, reason="nvcc not found (the CUDA toolkit is not installed)")


def test_there_are_kernels_to_compile():
    assert {path.name for path in KERNELS} >= {"im2col.cu", "col2im.cu", "gemm.cu", "pool.cu", "lrn.cu"}


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("kernel", KERNELS, ids=[path.name for path in KERNELS])
def test_kernel_compiles_to_ptx_in_float_and_double(kernel, arch, tmp_path):
    builds = {}
    for scalar in ("float", "double"):  # both at once: nvcc is slow to start, the machine has 2 cores
        ptx = tmp_path / f"{kernel.stem}.{scalar}.ptx"
        command = [NVCC, "--ptx", f"-arch={arch}", f"-DSCALAR={scalar}", "-Werror", "all-warnings"]
        builds[scalar] = (
            ptx,
            subprocess.Popen(command + ["-o", str(ptx), str(kernel)], stderr=subprocess.PIPE),
        )
    names = KERNEL_NAME.findall(kernel.read_text(encoding="utf-8"))
    assert names, f'{kernel.name} declares no extern "C" __global__ kernel'
    for scalar, (ptx, process) in builds.items():
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, f"{kernel.name} ({arch}, {scalar}):\n{errors.decode()}"
        entries = re.findall(r"\.entry (\w+)\(", ptx.read_text())
        assert sorted(entries) == sorted(names), f"{kernel.name} ({arch}, {scalar})"
