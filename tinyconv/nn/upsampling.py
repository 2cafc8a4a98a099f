"""`Upsample`: resize images in a network, as torch.nn.Upsample (see functional/interpolate.py)."""

from __future__ import annotations

from tinyconv.functional.interpolate import MODES, interpolate
from tinyconv.nn.module import Module


class Upsample(Module):
    """interpolate(x, size, scale_factor, mode, align_corners) as a layer; no parameters.

    Give `size` (an int or (OH, OW)) or `scale_factor` (a number or a pair), not both; mode "nearest"
    (the default, as PyTorch) or "bilinear".
    """

    def __init__(
        self, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None
    ):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"Upsample: mode must be one of {MODES}, got {mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        given = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{given}, mode={self.mode!r}"
