"""Loss modules, as torch.nn's: each keeps its options and calls the function of the same name in
functional/loss.py, where the formulas and the gradients are.

    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    loss = criterion(model(images), labels)      # forward(input, target)

The arguments are PyTorch's, with PyTorch's defaults. The options after `weight` are keyword-only: in
PyTorch two deprecated arguments (size_average, reduce) come first, so a positional value would mean
something else (HuberLoss(reduction, delta) is positional in both). As in PyTorch, `weight` and
`pos_weight` are buffers: they are in the state_dict (keys 'weight', 'pos_weight') and move with `.to()`.
"""

from __future__ import annotations

from tinyconv.checks import check_real
from tinyconv.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_beta,
    check_class_options,
    check_delta,
    check_multi_margin_power,
    check_reduction,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from tinyconv.nn.module import Module
from tinyconv.tensor import Tensor


class Loss(Module):
    """What every loss module has: `reduction` ('mean', 'sum' or 'none'), checked when it is built."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class WeightedLoss(Loss):
    """A loss with an optional `weight` tensor, kept as a buffer (as PyTorch's _WeightedLoss)."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(WeightedLoss):
    """F.cross_entropy(input, target, weight, ignore_index=, reduction=, label_smoothing=) as a module.

    input (N, C) or (N, C, d1, ...) scores; target class indices (N,) or (N, d1, ...), or class
    probabilities of the input's shape. See functional/loss.py.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, reduction)
        self.label_smoothing = check_class_options(
            type(self).__name__, reduction, ignore_index, label_smoothing
        )
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:
        return cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(WeightedLoss):
    """F.nll_loss(input, target, weight, ignore_index=, reduction=) as a module: input holds
    log-probabilities (from log_softmax), target class indices."""

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        check_class_options(type(self).__name__, reduction, ignore_index)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MultiMarginLoss(WeightedLoss):
    """F.multi_margin_loss(input, target, p, margin, weight, reduction=) as a module: the multiclass SVM
    loss, sum over wrong classes j of w[y] * max(0, margin - x[y] + x[j])^p, divided by the number of
    classes C (cs231n's SVM loss is C times it). input (N, C) or (C,) scores, target class indices."""

    def __init__(
        self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, *, reduction: str = "mean"
    ):
        super().__init__(weight, reduction)
        self.p = check_multi_margin_power("MultiMarginLoss", p)
        self.margin = check_real("MultiMarginLoss", "margin", margin)

    def forward(self, input: Tensor, target) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class MSELoss(Loss):
    """F.mse_loss as a module: the mean of (input - target)^2."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Tensor, target) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(Loss):
    """F.l1_loss as a module: the mean of |input - target|."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Tensor, target) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class BCELoss(WeightedLoss):
    """F.binary_cross_entropy as a module: input holds probabilities in [0, 1] (after a sigmoid)."""

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean"):
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(WeightedLoss):
    """F.binary_cross_entropy_with_logits as a module: input holds raw scores; pos_weight (C,) weighs
    the positive term of each class (a buffer, as `weight`)."""

    def __init__(
        self, weight: Tensor | None = None, *, reduction: str = "mean", pos_weight: Tensor | None = None
    ):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target) -> Tensor:
        return binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class SmoothL1Loss(Loss):
    """F.smooth_l1_loss as a module: squared below beta, absolute above (beta = 0: L1Loss)."""

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = check_beta(type(self).__name__, beta)

    def forward(self, input: Tensor, target) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(Loss):
    """F.huber_loss as a module: squared below delta, delta times absolute above. HuberLoss(reduction, delta),
    positional as in PyTorch."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = check_delta(type(self).__name__, delta)

    def forward(self, input: Tensor, target) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)
