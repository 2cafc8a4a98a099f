"""Fixtures shared by the whole suite, and the switch that makes a skipped GPU test a failure.

Its place, tests/conftest.py in a tests/ that is not a package, also puts tests/ on sys.path, so that
`from helpers import ...` works from every folder below.

The GPU tests (marked `gpu`) skip, saying why, on a machine without CuPy or a GPU. On a machine that
has one, a skip means something is broken (a CuPy that fails to import, kernels NVRTC cannot compile),
and a run where every GPU test skips would look green. So a run on a GPU machine sets
TINYCONV_REQUIRE_GPU=1, and then every skipped `gpu` test is reported as failed, with its reason.
"""

import os

import pytest

REQUIRE_GPU = "TINYCONV_REQUIRE_GPU"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gpu: needs CuPy and a GPU (fails instead of skipping with TINYCONV_REQUIRE_GPU=1)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get(REQUIRE_GPU) == "1" and item.get_closest_marker("gpu"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_GPU}=1, but this GPU test was skipped: {reason}"


@pytest.fixture
def torch():
    """PyTorch, for the cross-checks: the test is skipped, saying so, where it is not installed
    (tinyconv itself never depends on it)."""
    return pytest.importorskip("torch")


@pytest.fixture
def torchvision():
    """torchvision, for the detection cross-checks (its ops and models.detection): skipped where absent."""
    return pytest.importorskip("torchvision")
