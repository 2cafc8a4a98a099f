"""nn.Parameter and nn.Buffer (tinyconv/nn/parameter.py): a model's parameters are float32 leaves that
require grad; a buffer does not require grad and is saved unless persistent=False. How modules find and
save them is specified with the module (tests/nn/test_module.py).
"""

from __future__ import annotations

import numpy as np

from tinyconv import nn
from tinyconv.models import LeNet5


def test_parameters_are_float32_and_require_grad():
    for p in LeNet5().parameters():
        assert p.dtype == np.float32
        assert p.requires_grad is True


def test_a_buffer_is_persistent_unless_told_otherwise():
    module = nn.Module()
    module.kept = nn.Buffer(np.zeros(2, dtype=np.float32))
    module.cache = nn.Buffer(np.zeros(2, dtype=np.float32), persistent=False)
    assert module.kept.persistent and not module.cache.persistent
    assert not module.cache.requires_grad
    assert list(module.state_dict()) == ["kept"]
    assert [name for name, _ in module.named_buffers()] == ["kept", "cache"]
