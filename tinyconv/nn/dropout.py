"""`Dropout` and `Dropout2d`: random zeroing during training, the identity in evaluation mode."""

from __future__ import annotations

from tinyconv.checks import check_dropout_probability
from tinyconv.functional.dropout import dropout, dropout2d
from tinyconv.nn.activation import check_inplace
from tinyconv.nn.module import Module


class Dropout(Module):
    """Zero each value with probability p while training, scaling the others by 1 / (1 - p).

    Inverted dropout (see functional/dropout.py): after `model.eval()` it passes its input through
    unchanged. The mask comes from tinyconv's seeded generator (`tinyconv.manual_seed`). inplace=True
    writes the result into the input, as in PyTorch.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = check_dropout_probability("Dropout", p)
        self.inplace = check_inplace("Dropout", inplace)

    def forward(self, x):
        return dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Module):
    """Zero whole channels of an (N, C, H, W) input with probability p while training.

    The kept channels are scaled by 1 / (1 - p); after `model.eval()` it is the identity.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = check_dropout_probability("Dropout2d", p)
        self.inplace = check_inplace("Dropout2d", inplace)

    def forward(self, x):
        return dropout2d(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
