"""Fixtures shared by the whole suite.

Its place, tests/conftest.py in a tests/ that is not a package, also puts tests/ on sys.path, so that
`from helpers import ...` works from every folder below.
"""

import pytest


@pytest.fixture
def torch():
    """PyTorch, for the cross-checks: the test is skipped, saying so, where it is not installed
    (tinyconv itself never depends on it)."""
    return pytest.importorskip("torch")
