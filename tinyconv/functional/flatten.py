"""flatten: turn feature maps into feature vectors before the fully connected layers."""

from __future__ import annotations

import math

from tinyconv.checks import check_tensor, normalize_dim
from tinyconv.tensor import Tensor


def flatten(x: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge the axes start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default, as nn.Flatten.

    (torch.flatten, and tinyconv.flatten, start at dim 0 by default.) A reshape, so its backward is a
    reshape back (ops/shape.py). The merged size is computed, not left to -1, so that an empty batch
    (N = 0) flattens too: (0, 16, 5, 5) -> (0, 400), as in PyTorch.
    """
    check_tensor(x, "flatten")
    if x.ndim == 0:
        return x.reshape(1)
    start = normalize_dim(start_dim, x.ndim, "flatten")
    end = normalize_dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {x.shape})")
    merged = math.prod(x.shape[start : end + 1])
    return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1 :])
