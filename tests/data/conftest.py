"""The dataset tests' local mirror: a file server on 127.0.0.1 that each download test fills."""

import pytest
from helpers import file_server


@pytest.fixture
def server():
    """A running file server (helpers/downloads.py): `routes` maps a path to a body, or to (body, announced
    length); `requests` lists the paths asked for."""
    with file_server() as running:
        yield running
