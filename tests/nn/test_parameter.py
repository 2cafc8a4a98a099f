"""nn.Parameter (tinyconv/nn/parameter.py): a model's parameters are float32 leaves that require grad.
Buffers, the module state that is not trained, are specified with the module (tests/nn/test_module.py).
"""

from __future__ import annotations

import numpy as np

from tinyconv.models import LeNet5


def test_parameters_are_float32_and_require_grad():
    for p in LeNet5().parameters():
        assert p.dtype == np.float32
        assert p.requires_grad is True
