"""`MaskedLinear`: a fully connected layer in which a fixed 0/1 mask cuts chosen connections.

    y = x (W * M)^T + b       W, M: (out_features, in_features),  * element by element

Output unit o sees input i only where M[o, i] = 1. This is how an autoregressive network keeps output i
from seeing inputs i, i+1, ... (FVSBN, MADE: Germain, Gregor, Murray, Larochelle, "MADE: Masked
Autoencoder for Distribution Estimation", ICML 2015; tinyconv/models/autoregressive.py builds the masks).

A composition of existing ops, not a new Function: the product W * M and then `linear`. Its gradient
needs no new code and reads as the product rule: with G = dL/dy,
    dL/dW = M * (G^T x)         the masked connections get exactly 0
    dL/dx = G (W * M)           the gradient flows back only along connections that exist
So a masked weight never changes under any optimizer that moves a weight only by its gradient (SGD,
Adam; not decoupled weight decay, which shrinks it but only from 0 to 0). The masked weights are also set
to 0 at construction, so that `weight` shows the network's real connections.
"""

from __future__ import annotations

import numpy

from tinyconv import init
from tinyconv.checks import check_int
from tinyconv.functional.linear import linear
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Buffer, Parameter


class MaskedLinear(Module):
    """y = x (W * M)^T + b with weight and mask (out_features, in_features) and bias (out_features,).

    mask: an array of 0s and 1s (or booleans) of shape (out_features, in_features), the weight's layout;
    fixed at construction and kept as a Buffer, so it is saved in the state_dict (key `mask`) and a
    loaded model has the masks it was trained with.
    Initialization as Linear (He uniform), then the masked weights set to 0; bias 0.
    """

    def __init__(self, in_features: int, out_features: int, mask, bias: bool = True):
        super().__init__()
        self.in_features = check_int("MaskedLinear", "in_features", in_features, minimum=1)
        self.out_features = check_int("MaskedLinear", "out_features", out_features, minimum=1)
        mask = numpy.asarray(mask.numpy() if hasattr(mask, "numpy") else mask)
        expected = (self.out_features, self.in_features)
        if mask.shape != expected:
            raise ValueError(
                f"MaskedLinear: mask must have the weight's shape (out_features, in_features) = {expected}, "
                f"got {mask.shape}"
            )
        if not numpy.isin(mask, (0, 1)).all():
            raise ValueError("MaskedLinear: mask must hold only 0s and 1s (or False and True)")
        self.mask = Buffer(mask.astype(numpy.float32))
        self.weight = Parameter(numpy.empty(expected, dtype=numpy.float32))
        init.kaiming_uniform_(self.weight, nonlinearity="relu")
        self.weight.data *= self.mask.data
        self.bias = Parameter(numpy.zeros(self.out_features, dtype=numpy.float32)) if bias else None

    def forward(self, x):
        return linear(x, self.weight * self.mask, self.bias)

    def extra_repr(self) -> str:
        connections = int(self.mask.data.sum())
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, connections={connections:,} of {self.mask.data.size:,}"
        )
