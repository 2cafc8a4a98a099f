"""`Identity`: a layer that returns its input unchanged."""

from __future__ import annotations

from tinyconv.nn.module import Module


class Identity(Module):
    """y = x. A placeholder where a model's structure wants a layer but the computation wants none:
    a ResNet shortcut without projection, a classifier head removed to extract features.

    Like PyTorch's, it accepts and ignores any constructor arguments, so code that builds layers
    with a common set of arguments can swap it in.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
