"""TINYCONV_REQUIRE_GPU=1 turns a skipped GPU test into a failure (tests/conftest.py), so that a run on a
GPU machine where CuPy is broken cannot pass by skipping everything. Checked here on this machine, where
the GPU tests skip: in a pytest run of its own, one of them, with and without the variable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tinyconv

TESTS = Path(__file__).resolve().parent.parent
ONE_GPU_TEST = "backend/test_gpu.py::test_a_batch_longer_than_the_grid_is_walked_by_the_blocks"


def run_one_gpu_test(require_gpu: bool) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "TINYCONV_REQUIRE_GPU"}
    if require_gpu:
        environment["TINYCONV_REQUIRE_GPU"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_GPU_TEST]
    return subprocess.run(command, cwd=TESTS, env=environment, capture_output=True, text=True, timeout=300)


pytestmark = pytest.mark.skipif(
    tinyconv.cuda.is_available(), reason="a GPU is here, so the GPU tests run instead of skipping"
)


def test_a_gpu_test_skips_without_a_gpu_by_default():
    run = run_one_gpu_test(require_gpu=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout


def test_with_require_gpu_a_skipped_gpu_test_fails_and_says_why():
    run = run_one_gpu_test(require_gpu=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 error" in run.stdout  # the skip comes from the module's skipif, in the test's setup
    assert "TINYCONV_REQUIRE_GPU=1, but this GPU test was skipped: needs CuPy and a GPU" in run.stdout
