"""What the demo tests share: where the demos are, the mark for tests that need the real MNIST, a PNG
check, a demo run in a new process, and an offline stand-in for the dataset mirrors.

Imported as `from .demo_testing import ...` by the tests beside it (tests/demos is a package, as the
other test folders are).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMOS = os.path.join(ROOT, "demos")
DATA_DIR = os.environ.get("TINYCONV_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="set TINYCONV_DATA to a folder whose mnist/ holds the MNIST files",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    with open(path, "rb") as file:
        return file.read(8) == PNG_SIGNATURE


def closed_port_url() -> str:
    """http://127.0.0.1:PORT/ on a port nobody listens on: connecting is refused at once, as offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def run_demo(script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python demos/<script> args...` in a new process, as a user runs it; stdout and stderr as text."""
    command = [sys.executable, os.path.join(DEMOS, script), *args]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)


def offline_environment() -> dict:
    """Environment variables under which every download fails at once: all HTTP(S) goes to a proxy
    on a closed port (urllib reads http_proxy and https_proxy)."""
    proxy = closed_port_url()
    return {
        "http_proxy": proxy,
        "https_proxy": proxy,
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "no_proxy": "",
    }


def rendered(figure) -> np.ndarray:
    """The figure drawn by Agg, as an (H, W, 3) uint8 array of RGB pixels, row 0 at the top."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def legend_texts(legend) -> list:
    return [text.get_text() for text in legend.get_texts()]
