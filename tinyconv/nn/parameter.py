"""`Parameter`: a tensor that a Module learns (weights and biases)."""

from __future__ import annotations

from tinyconv.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with requires_grad=True that `Module.parameters()` finds and optimizers update."""

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
