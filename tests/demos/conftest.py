"""The demo tests import the demos as modules (`import lenet_mnist`): put demos/ on the import path,
as Python does when it runs `python demos/lenet_mnist.py`. The marks and helpers the demo tests share
are in demo_testing.py, beside this file."""

from __future__ import annotations

import sys

from .demo_testing import DEMOS

if DEMOS not in sys.path:
    sys.path.insert(0, DEMOS)
