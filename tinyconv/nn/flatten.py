"""`Flatten`: the bridge from convolutional feature maps to fully connected layers."""

from __future__ import annotations

from tinyconv.functional.flatten import flatten
from tinyconv.nn.module import Module


class Flatten(Module):
    """(N, C, H, W) -> (N, C*H*W): merges the axes start_dim..end_dim (from 1 to the last by default)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
