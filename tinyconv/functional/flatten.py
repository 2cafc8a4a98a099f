"""flatten: turn feature maps into feature vectors before the fully connected layers."""

from __future__ import annotations

from tinyconv.checks import check_tensor
from tinyconv.tensor import Tensor


def flatten(x: Tensor, start_dim: int = 1) -> Tensor:
    """Merge the axes from `start_dim` on into one: (N, C, H, W) -> (N, C*H*W) by default.

    A reshape, so its backward is a reshape back (ops/shape.py).
    """
    check_tensor(x, "flatten")
    if not -x.ndim <= start_dim < x.ndim:
        raise ValueError(f"flatten: start_dim {start_dim} is out of range for shape {x.shape}")
    start = start_dim % x.ndim
    return x.reshape(x.shape[:start] + (-1,))
