"""`Parameter` and `Buffer`: the tensors a Module keeps, learned or not.

Both are found by looking through a module's attributes (no registration step) and both are saved in
its `state_dict`; only Parameters are returned by `parameters()` and updated by optimizers.
"""

from __future__ import annotations

from tinyconv.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with requires_grad=True that `Module.parameters()` finds and optimizers update."""

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor that is part of a module's state but not learned by gradient descent.

    Example: BatchNorm's running mean and variance, which the forward pass updates itself and which a
    checkpoint must keep (`state_dict` key `bn.running_mean`, as in PyTorch's `nn.Buffer`).
    persistent=False keeps a buffer out of the state_dict (a cache that the module can recompute).
    """

    def __init__(self, data, persistent: bool = True):
        super().__init__(data, requires_grad=False)
        self.persistent = persistent

    def __repr__(self) -> str:
        return "Buffer containing:\n" + super().__repr__()
