"""Loss functions: cross-entropy for classification, mean squared error for regression."""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, is_array
from tinyconv.functional.checks import check_floating, check_ndim, check_same_dtype, check_tensor
from tinyconv.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def reduce_losses(losses, reduction: str):
    """Combine per-sample losses as PyTorch's `reduction` argument says."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def per_sample_grad(grad_out, count: int, reduction: str):
    """dL/dloss_n for each sample: g/N for a mean, g for a sum, g[n] with no reduction."""
    if reduction == "mean":
        return grad_out / count
    return grad_out


class CrossEntropy(Function):
    """Softmax followed by the negative log-likelihood of the target class, fused.

    For logits x (N, K) and integer targets t (N,), with p = softmax(x_n):
        loss_n = -log p[n, t_n] = log(sum_k e^(x[n, k])) - x[n, t_n]
        L      = (1/N) sum_n loss_n                          (reduction='mean')
        dL/dx[n, k] = (p[n, k] - [k == t_n]) / N             (probability minus one-hot)
    The gradient is the classic "prediction minus truth", which is why the two steps are fused.
    """

    def __init__(self, targets, reduction: str):
        self.targets, self.reduction = targets, reduction

    def forward(self, logits):
        xp = get_array_module(logits)
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)  # e^x cannot overflow
        log_sum_exp = xp.log(xp.exp(shifted).sum(axis=1))
        losses = log_sum_exp - shifted[xp.arange(n), self.targets]
        self.probabilities = xp.exp(shifted - log_sum_exp[:, None])
        return reduce_losses(losses, self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n = self.probabilities.shape[0]
        grad = self.probabilities.copy()
        grad[xp.arange(n), self.targets] -= 1
        weight = per_sample_grad(grad_out, n, self.reduction)
        return grad * (weight[:, None] if self.reduction == "none" else weight)


class MSELoss(Function):
    """L = (1/M) sum_i (x_i - y_i)^2 over all M elements (reduction='mean').

    dL/dx_i = 2 (x_i - y_i) / M,    dL/dy_i = -2 (x_i - y_i) / M.
    """

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, prediction, target):
        self.diff = prediction - target
        return reduce_losses(self.diff * self.diff, self.reduction)

    def backward(self, grad_out):
        grad = 2 * self.diff * per_sample_grad(grad_out, self.diff.size, self.reduction)
        return grad, -grad


def check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def class_targets(op: str, targets, logits: Tensor):
    """The targets as an integer array of shape (N,) with values in [0, K): else a clear error."""
    data = targets.data if isinstance(targets, Tensor) else targets
    if not is_array(data):
        xp = get_array_module(logits.data)
        data = xp.asarray(data)
    if data.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: targets must be integer class indices, got dtype {data.dtype} "
            "(for one-hot or probability targets, compute the loss from log_softmax)"
        )
    n, num_classes = logits.shape
    if data.shape != (n,):
        raise ValueError(
            f"{op}: targets must have shape ({n},), one class index per row of logits "
            f"{logits.shape}, got shape {data.shape}"
        )
    if n and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(
            f"{op}: target class indices must lie in [0, {num_classes - 1}] for {num_classes} "
            f"classes, got values from {int(data.min())} to {int(data.max())}"
        )
    return data


def cross_entropy(logits: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Cross-entropy of raw scores `logits` (N, K) against integer class `targets` (N,).

    Equals nll(log_softmax(logits), targets); like torch.nn.functional.cross_entropy, it takes
    unnormalized scores, not probabilities. reduction: 'mean' (default), 'sum' or 'none'.
    """
    op = "cross_entropy"
    check_tensor(logits, op, "logits")
    check_ndim(logits, 2, op, "(N, num_classes)", name="logits")
    check_floating(logits, op, "logits")
    check_reduction(op, reduction)
    return CrossEntropy(class_targets(op, targets, logits), reduction)(logits)


def mse_loss(prediction: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error between two tensors of the same shape."""
    op = "mse_loss"
    check_tensor(prediction, op, "prediction")
    target = target if isinstance(target, Tensor) else Tensor(target)
    check_floating(prediction, op, "prediction")
    check_same_dtype(prediction, target, op, "prediction", "target")
    check_reduction(op, reduction)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: prediction has shape {prediction.shape} but target has shape "
            f"{target.shape}; they must match (no broadcasting, to avoid silent mistakes)"
        )
    return MSELoss(reduction)(prediction, target)
