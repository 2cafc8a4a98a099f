"""`Linear`: a fully connected layer, y = x W^T + b."""

from __future__ import annotations

import numpy

from tinyconv import init
from tinyconv.checks import check_int
from tinyconv.functional.linear import linear
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter


class Linear(Module):
    """y = x W^T + b with weight (out_features, in_features) and bias (out_features,), as PyTorch.

    Initialization: W ~ He uniform for ReLU, U(-sqrt(6 / in), +sqrt(6 / in)); b = 0.
    (PyTorch's default is U(-1/sqrt(in), +1/sqrt(in)) for both; He keeps the variance of ReLU
    activations steady through depth, see tinyconv/init.py. Call `init.*_` to choose another.)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = check_int("Linear", "in_features", in_features, minimum=1)
        self.out_features = check_int("Linear", "out_features", out_features, minimum=1)
        self.weight = Parameter(numpy.empty((self.out_features, self.in_features), dtype=numpy.float32))
        init.kaiming_uniform_(self.weight, nonlinearity="relu")
        self.bias = None
        if bias:
            self.bias = Parameter(numpy.zeros(self.out_features, dtype=numpy.float32))

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )
