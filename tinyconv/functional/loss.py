"""Loss functions: cross-entropy, NLL and hinge for classification, binary cross-entropy for yes/no
targets, mean squared error for regression."""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, is_array
from tinyconv.checks import check_floating, check_ndim, check_real, check_same_dtype, check_tensor
from tinyconv.functional.activation import stable_sigmoid
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

    Label smoothing eps (Szegedy et al., "Rethinking the Inception architecture", 2016, section 7)
    replaces the one-hot truth by q[n, k] = (1 - eps) [k == t_n] + eps / K, PyTorch's definition:
        loss_n = -sum_k q[n, k] log p[n, k] = (1 - eps) (-log p[n, t_n]) + eps * mean_k (-log p[n, k])
        dL/dx[n, k] = (p[n, k] - q[n, k]) / N                (still prediction minus truth)
    so the network is never pushed towards infinitely confident logits.
    """

    def __init__(self, targets, reduction: str, label_smoothing: float = 0.0):
        self.targets, self.reduction, self.label_smoothing = targets, reduction, label_smoothing

    def forward(self, logits):
        xp = get_array_module(logits)
        n = logits.shape[0]
        shifted = logits - logits.max(axis=1, keepdims=True)  # e^x cannot overflow
        log_sum_exp = xp.log(xp.exp(shifted).sum(axis=1))
        losses = log_sum_exp - shifted[xp.arange(n), self.targets]
        if self.label_smoothing:
            # -mean_k log p[n, k] = log_sum_exp - mean_k shifted[n, k]
            uniform_losses = log_sum_exp - shifted.mean(axis=1)
            eps = self.label_smoothing
            losses = (1 - eps) * losses + eps * uniform_losses
        self.probabilities = xp.exp(shifted - log_sum_exp[:, None])
        return reduce_losses(losses, self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n, num_classes = self.probabilities.shape
        eps = self.label_smoothing
        grad = self.probabilities - eps / num_classes  # p - q, built up: first the eps / K everywhere
        grad[xp.arange(n), self.targets] -= 1 - eps
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


def class_targets(op: str, targets, logits: Tensor, input_name: str = "logits"):
    """The targets as an integer array of shape (N,) with values in [0, K): else a clear error.

    `logits` is the (N, K) input the targets index into; `input_name` names it in the messages.
    """
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
            f"{op}: targets must have shape ({n},), one class index per row of {input_name} "
            f"{logits.shape}, got shape {data.shape}"
        )
    if n and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(
            f"{op}: target class indices must lie in [0, {num_classes - 1}] for {num_classes} "
            f"classes, got values from {int(data.min())} to {int(data.max())}"
        )
    return data


def cross_entropy(logits: Tensor, targets, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of raw scores `logits` (N, K) against integer class `targets` (N,).

    Equals nll(log_softmax(logits), targets); like torch.nn.functional.cross_entropy, it takes
    unnormalized scores, not probabilities. reduction: 'mean' (default), 'sum' or 'none'.
    label_smoothing in [0, 1]: the target puts 1 - label_smoothing on the true class and spreads
    label_smoothing evenly over all K classes (PyTorch's definition; see CrossEntropy).
    """
    op = "cross_entropy"
    check_tensor(logits, op, "logits")
    check_ndim(logits, 2, op, "(N, num_classes)", name="logits")
    check_floating(logits, op, "logits")
    check_reduction(op, reduction)
    label_smoothing = check_real(op, "label_smoothing", label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return CrossEntropy(class_targets(op, targets, logits), reduction, label_smoothing)(logits)


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


# ------------------------------------------------------------------------------ more classification losses


class NLLLoss(Function):
    """Negative log-likelihood of the target class, for inputs that are already log-probabilities.

    For log_probs z (N, K) (usually log_softmax of the scores) and integer targets t (N,):
        loss_n = -z[n, t_n],     L = (1/N) sum_n loss_n                  (reduction='mean')
        dL/dz[n, k] = -[k == t_n] / N                                    (nothing reaches the others)
    log_softmax followed by nll_loss is cross_entropy, computed in two steps.
    """

    def __init__(self, targets, reduction: str):
        self.targets, self.reduction = targets, reduction

    def forward(self, log_probs):
        xp = get_array_module(log_probs)
        self.input_shape = log_probs.shape
        return reduce_losses(-log_probs[xp.arange(log_probs.shape[0]), self.targets], self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n = self.input_shape[0]
        grad = xp.zeros(self.input_shape, dtype=grad_out.dtype)
        grad[xp.arange(n), self.targets] = -per_sample_grad(grad_out, n, self.reduction)
        return grad


# PyTorch's floor for the logarithms of binary_cross_entropy: log(0) = -inf would make the loss of
# one confidently wrong prediction (p = 0 when the target is 1, which a float32 sigmoid returns for
# x below about -103) infinite, and the mean over the batch with it. Clamped, it is at most 100.
LOG_FLOOR = -100.0
# PyTorch's floor for p (1 - p) in the gradient of binary_cross_entropy, so that p = 0 or 1 gives a
# large finite gradient instead of a division by zero.
BCE_GRAD_EPSILON = 1e-12


def clamped_log(values):
    """max(log(values), -100) for values in [0, 1], without the divide-by-zero warning of log(0)."""
    xp = get_array_module(values)
    positive = values > 0
    return xp.where(positive, xp.maximum(xp.log(xp.where(positive, values, 1)), LOG_FLOOR), LOG_FLOOR)


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets y in [0, 1], element by element:

        loss_i   = -(y_i log p_i + (1 - y_i) log(1 - p_i)),    each log clamped at -100 (as PyTorch)
        L        = (1/M) sum_i loss_i over all M elements                  (reduction='mean')
        dL/dp_i  = (p_i - y_i) / (p_i (1 - p_i)) / M,  the denominator kept >= 1e-12 (as PyTorch)
        dL/dy_i  = (log(1 - p_i) - log(p_i)) / M,      the clamped logs (PyTorch's are not: it gives
                                                       +-inf where p is exactly 0 or 1)
    p usually comes from a sigmoid; binary_cross_entropy_with_logits fuses the two and is stabler.
    """

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, probabilities, targets):
        self.probabilities, self.targets = probabilities, targets
        losses = -(targets * clamped_log(probabilities) + (1 - targets) * clamped_log(1 - probabilities))
        return reduce_losses(losses, self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        p, y = self.probabilities, self.targets
        weight = per_sample_grad(grad_out, p.size, self.reduction)
        grad_p = grad_y = None
        if self.needs_input_grad[0]:
            grad_p = weight * (p - y) / xp.maximum(p * (1 - p), BCE_GRAD_EPSILON)
        if self.needs_input_grad[1]:
            grad_y = weight * (clamped_log(1 - p) - clamped_log(p))
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid followed by binary cross-entropy, fused. For scores x and targets y in [0, 1]:

        loss_i  = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) = log(1 + e^x) - x y
                = max(x, 0) - x y + log(1 + e^-|x|)            (no exponential can overflow)
        dL/dx_i = (sigmoid(x_i) - y_i) / M,    dL/dy_i = -x_i / M       (reduction='mean')
    Prediction minus truth again, as for softmax and cross_entropy.
    """

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, logits, targets):
        xp = get_array_module(logits)
        self.logits, self.targets = logits, targets
        losses = xp.maximum(logits, 0) - logits * targets + xp.log1p(xp.exp(-xp.abs(logits)))
        return reduce_losses(losses, self.reduction)

    def backward(self, grad_out):
        weight = per_sample_grad(grad_out, self.logits.size, self.reduction)
        grad_x = weight * (stable_sigmoid(self.logits) - self.targets) if self.needs_input_grad[0] else None
        grad_y = -weight * self.logits if self.needs_input_grad[1] else None
        return grad_x, grad_y


class MulticlassHingeLoss(Function):
    """The multiclass SVM loss of cs231n (Weston and Watkins, 1999), for scores s (N, K), targets t:

        loss_n = sum over j != t_n of max(0, s[n, j] - s[n, t_n] + margin)
        L      = (1/N) sum_n loss_n                                       (reduction='mean')
        dL/ds[n, j]   = [s[n, j] - s[n, t_n] + margin > 0] / N            for j != t_n
        dL/ds[n, t_n] = -(number of such active margins in row n) / N
    Every wrong class scoring within `margin` of the right one adds to the loss and is pushed down;
    the right class is pushed up once for each. (At exactly 0 a margin counts as inactive.)
    """

    def __init__(self, targets, margin: float, reduction: str):
        self.targets, self.margin, self.reduction = targets, margin, reduction

    def forward(self, scores):
        xp = get_array_module(scores)
        rows = xp.arange(scores.shape[0])
        margins = xp.maximum(scores - scores[rows, self.targets][:, None] + self.margin, 0)
        margins[rows, self.targets] = 0  # the sum skips j = t_n
        self.active = margins > 0
        return reduce_losses(margins.sum(axis=1), self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n = self.active.shape[0]
        grad = self.active.astype(grad_out.dtype)
        grad[xp.arange(n), self.targets] = -self.active.sum(axis=1)
        weight = per_sample_grad(grad_out, n, self.reduction)
        return grad * (weight[:, None] if self.reduction == "none" else weight)


def class_scores_input(op: str, scores, name: str) -> None:
    """Check an (N, K) floating-point input of a classification loss."""
    check_tensor(scores, op, name)
    check_ndim(scores, 2, op, "(N, num_classes)", name=name)
    check_floating(scores, op, name)


def nll_loss(log_probs: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class `targets` (N,) under `log_probs` (N, K).

    log_probs are log-probabilities, usually from log_softmax: nll_loss(log_softmax(x), t) equals
    cross_entropy(x, t). reduction: 'mean' (default), 'sum' or 'none'.
    """
    op = "nll_loss"
    class_scores_input(op, log_probs, "log_probs")
    check_reduction(op, reduction)
    return NLLLoss(class_targets(op, targets, log_probs, "log_probs"), reduction)(log_probs)


def binary_targets(op: str, targets, inputs: Tensor, input_name: str) -> Tensor:
    """The targets as a Tensor of the input's shape and dtype with values in [0, 1]: else a clear error."""
    targets = targets if isinstance(targets, Tensor) else Tensor(targets)
    check_floating(targets, op, "targets")
    check_same_dtype(inputs, targets, op, input_name, "targets")
    if targets.shape != inputs.shape:
        raise ValueError(
            f"{op}: {input_name} has shape {inputs.shape} but targets have shape {targets.shape}; "
            "they must match (no broadcasting, to avoid silent mistakes)"
        )
    if targets.data.size and (float(targets.data.min()) < 0 or float(targets.data.max()) > 1):
        raise ValueError(
            f"{op}: targets must lie in [0, 1] (labels or probabilities), got values from "
            f"{float(targets.data.min())} to {float(targets.data.max())}"
        )
    return targets


def binary_cross_entropy(probabilities: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities in [0, 1] and targets in [0, 1] of the same shape.

    Each log is clamped at -100, as in PyTorch, so a prediction of exactly 0 or 1 that is wrong
    costs 100, not infinity. reduction: 'mean' over all elements (default), 'sum' or 'none'.
    """
    op = "binary_cross_entropy"
    check_tensor(probabilities, op, "probabilities")
    check_floating(probabilities, op, "probabilities")
    check_reduction(op, reduction)
    targets = binary_targets(op, targets, probabilities, "probabilities")
    data = probabilities.data
    if data.size and (float(data.min()) < 0 or float(data.max()) > 1):
        raise ValueError(
            f"{op}: probabilities must lie in [0, 1], got values from {float(data.min())} to "
            f"{float(data.max())} (for raw scores, use binary_cross_entropy_with_logits)"
        )
    return BinaryCrossEntropy(reduction)(probabilities, targets)


def binary_cross_entropy_with_logits(logits: Tensor, targets, reduction: str = "mean") -> Tensor:
    """binary_cross_entropy(sigmoid(logits), targets), fused: exact and finite for any logits.

    logits: raw scores of any shape; targets: values in [0, 1], the same shape.
    reduction: 'mean' over all elements (default), 'sum' or 'none'.
    """
    op = "binary_cross_entropy_with_logits"
    check_tensor(logits, op, "logits")
    check_floating(logits, op, "logits")
    check_reduction(op, reduction)
    targets = binary_targets(op, targets, logits, "logits")
    return BinaryCrossEntropyWithLogits(reduction)(logits, targets)


def multiclass_hinge_loss(scores: Tensor, targets, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """The multiclass SVM loss of cs231n: sum over wrong classes j of max(0, s_j - s_y + margin).

    scores (N, K), integer targets (N,). reduction: 'mean' over the batch (default), 'sum' or 'none'.
    torch.nn.functional.multi_margin_loss (p=1) also divides each row by the number of classes K:
    multi_margin_loss(s, t) = multiclass_hinge_loss(s, t) / K.
    """
    op = "multiclass_hinge_loss"
    class_scores_input(op, scores, "scores")
    check_reduction(op, reduction)
    margin = check_real(op, "margin", margin)
    return MulticlassHingeLoss(class_targets(op, targets, scores, "scores"), margin, reduction)(scores)
