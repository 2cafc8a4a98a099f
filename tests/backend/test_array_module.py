"""The array module (tinyconv/backend/array_module.py): NumPy or CuPy, from the inputs. A CuPy that is
installed but fails to import counts as no CuPy: NumPy work goes on, and tinyconv.cuda says why.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Run in a fresh interpreter whose sys.path starts with a fake `cupy` package that raises on import,
# as a wheel for another CUDA does: NumPy work must go on, and the reason must reach the user.
BROKEN_CUPY_SCRIPT = """
import numpy as np
import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor

x = Tensor(np.array([[-1.0, 2.0]]), requires_grad=True)
F.relu(x * 3.0).sum().backward()
print(x.grad.tolist(), tinyconv.cuda.is_available(), tinyconv.cuda.device_count())
print(tinyconv.cuda.unavailable_reason())
"""


@pytest.mark.parametrize(
    "raise_statement, shown",
    [
        (
            "raise ImportError('libcudart.so.13: cannot open shared object file')",
            "ImportError: libcudart.so.13",
        ),
        (
            "raise OSError('CUDA driver version is insufficient')",
            "OSError: CUDA driver version is insufficient",
        ),
    ],
    ids=["ImportError", "OSError"],
)
def test_a_cupy_that_fails_to_import_counts_as_no_cupy_and_the_reason_says_why(
    tmp_path, raise_statement, shown
):
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text(raise_statement + "\n")
    run = subprocess.run(
        [sys.executable, "-c", BROKEN_CUPY_SCRIPT],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    gradient, reason = run.stdout.splitlines()
    assert gradient == "[[0.0, 3.0]] False 0"
    assert reason.startswith("CuPy is installed but fails to import")
    assert shown in reason
