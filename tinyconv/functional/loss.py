"""Loss functions, as `torch.nn.functional`, each a Function with its gradient written out:

    classes        cross_entropy, nll_loss (class weights, ignore_index, label smoothing, and inputs
                   (N, C, d1, ...) with one target per position, as segmentation uses), multi_margin_loss
                   (the multiclass SVM loss, PyTorch's) and multiclass_hinge_loss (cs231n's, C times it)
    yes/no         binary_cross_entropy (weight), binary_cross_entropy_with_logits (weight, pos_weight)
    regression     mse_loss, l1_loss, smooth_l1_loss (beta), huber_loss (delta)

The arguments are PyTorch's, in PyTorch's order: (input, target), then `weight` where PyTorch has it. The
options after those are keyword-only (`reduction=`, `ignore_index=`...): in PyTorch two deprecated
arguments (size_average, reduce) sit before them, so a positional value would mean something else there.
huber_loss is the exception, as in PyTorch: huber_loss(input, target, reduction, delta).

reduction: 'mean' (the default) averages the per-element losses, 'sum' adds them, 'none' returns them. As in
PyTorch, the mean of nothing (an empty batch, or every target ignored) is NaN and the sum of nothing is 0.
"""

from __future__ import annotations

import math

from tinyconv.autograd import Function, is_grad_enabled
from tinyconv.backend import get_array_module, is_array
from tinyconv.checks import check_floating, check_real, check_same_dtype, check_tensor, is_int
from tinyconv.functional.activation import stable_sigmoid
from tinyconv.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")

# ------------------------------------------------------------------------------ reductions


def check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def reduce_losses(losses, reduction: str, denominator=None):
    """The per-element `losses` combined as `reduction` says. 'mean' divides their sum by `denominator`
    (by default their count; the sum of the class weights for weighted class losses)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    count = losses.size if denominator is None else denominator
    if count == 0:  # the mean of nothing is 0 / 0: NaN, as in PyTorch (without NumPy's warning)
        return get_array_module(losses).full((), math.nan, dtype=losses.dtype)
    return total / count


def upstream(grad_out, reduction: str, denominator):
    """dL/dloss_i, the gradient reaching each per-element loss: g[i] for 'none', g for 'sum', g / denominator
    for 'mean'. A mean over nothing passes 0 back, as PyTorch does (no element took part in it)."""
    if reduction != "mean":
        return grad_out
    return grad_out / denominator if denominator else grad_out * 0


def constant_array(op: str, name: str, value, input: Tensor):
    """A `weight`, `pos_weight` or probability `target` argument as an array of the input's dtype, on its
    device. No gradient flows to it, so one that requires grad is refused rather than silently ignored."""
    if not isinstance(value, Tensor) and not is_array(value):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")
    value = value if isinstance(value, Tensor) else Tensor(value)
    check_floating(value, op, name)
    check_same_dtype(input, value, op, "input", name)
    if value.device != input.device:
        raise ValueError(
            f"{op}: {name} is on {value.device} but input is on {input.device}; move one of them"
        )
    if value.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"{op}: {name} requires grad, but no gradient flows to it here (to weight and pos_weight, none "
            f"does in PyTorch either); pass {name}.detach()"
        )
    return value.data


# ------------------------------------------------------------------------------ class targets
# An input with classes on dim 1, (N, C) or (N, C, d1, ...), is seen as M = N * d1 * ... rows of C scores
# (an unbatched (C,) is one row). The target becomes Q (M, C): how much each class's log-probability counts
# in each row's loss. An index target t gives one 1 per row, at t; then come the class weights w,
# label smoothing eps and ignore_index:
#     Q[i, k] = w[k] * ((1 - eps) [k == t_i] + eps / C)     and Q[i, :] = 0 where t_i == ignore_index
# A probability target q (M, C) gives Q[i, k] = w[k] * ((1 - eps) q[i, k] + eps / C).
# Every class loss is then -sum_k Q[i, k] log p[i, k]; the weighted mean divides by the sum of w[t_i] over the
# rows not ignored (by M for probability targets), which is PyTorch's definition.


def class_rows(op: str, input: Tensor) -> Tensor:
    """The input (N, C, d1, ...) as rows (M, C), class scores last; (N, C) as it is; (C,) as one row."""
    check_tensor(input, op, "input")
    check_floating(input, op, "input")
    if input.ndim == 0:
        raise ValueError(
            f"{op}: input must hold class scores on dim 1, (N, C) or (N, C, d1, ...), or (C,) for one "
            f"sample; got a 0-d tensor"
        )
    if input.ndim == 1:
        return input.reshape(1, input.shape[0])
    if input.ndim > 2:  # (N, C, d1, ...) -> (N, d1, ..., C): the classes last, each position one row
        input = input.permute(0, *range(2, input.ndim), 1)
    rows = math.prod(input.shape[:-1])
    return input.reshape(rows, input.shape[-1])


def loss_shape(input: Tensor) -> tuple:
    """The shape of the per-element losses (reduction='none'): the input's without the class dim."""
    return input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()


def index_target(op: str, target, input: Tensor, ignore_index=None):
    """The target as an integer array of the loss shape (one class index per row), each index in [0, C) or
    equal to ignore_index; else a clear error."""
    xp = get_array_module(input.data)
    data = target.data if isinstance(target, Tensor) else target
    data = data if is_array(data) else xp.asarray(data)
    if data.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: target must hold integer class indices, got dtype {data.dtype} (class probabilities "
            "of the input's shape are taken by cross_entropy only)"
        )
    expected = loss_shape(input)
    if data.shape != expected:
        raise ValueError(
            f"{op}: target must have shape {expected}, one class index per row of input {input.shape} "
            f"(classes on dim 1), got shape {data.shape}"
        )
    num_classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    valid = (data >= 0) & (data < num_classes)
    if ignore_index is not None:
        valid |= data == ignore_index
    if not bool(valid.all()):
        wrong = sorted({int(value) for value in data[~valid].ravel()[:100].tolist()})[:5]
        also = "" if ignore_index is None else f" (or equal ignore_index={ignore_index})"
        raise ValueError(
            f"{op}: target class indices must lie in [0, {num_classes - 1}] for {num_classes} classes{also}, "
            f"got {', '.join(str(value) for value in wrong)}"
        )
    return xp.asarray(data).ravel()


def class_weights(op: str, weight, input: Tensor, num_classes: int):
    """The `weight` argument as an array of C class weights (None stays None)."""
    if weight is None:
        return None
    weight = constant_array(op, "weight", weight, input)
    if weight.shape != (num_classes,):
        raise ValueError(
            f"{op}: weight must have one value per class, shape ({num_classes},), got shape {weight.shape}"
        )
    return weight


def holds_floats(target) -> bool:
    """True for a Tensor or an array of floating-point values: class probabilities, not class indices."""
    return (isinstance(target, Tensor) or is_array(target)) and target.dtype.kind == "f"


def rows_of(array):
    """An array laid out as the input, (N, C, d1, ...) or (C,), as rows (M, C), the way class_rows does it."""
    xp = get_array_module(array)
    if array.ndim == 1:
        return array.reshape(1, -1)
    return xp.moveaxis(array, 1, -1).reshape(-1, array.shape[1])


def target_weights(op: str, input: Tensor, target, weight, ignore_index, label_smoothing: float):
    """The input as rows (M, C), Q (M, C) and the denominator of the mean, for an index target or a
    probability target (see above)."""
    rows = class_rows(op, input)
    xp = get_array_module(rows.data)
    m, num_classes = rows.shape
    w = class_weights(op, weight, input, num_classes)
    eps = label_smoothing
    if holds_floats(target):
        probabilities = constant_array(op, "target", target, input)
        if probabilities.shape != input.shape:
            raise ValueError(
                f"{op}: a target of class probabilities must have the input's shape {input.shape}, got "
                f"{probabilities.shape} (or give integer class indices of shape {loss_shape(input)})"
            )
        q = rows_of(probabilities) * (1 - eps) + eps / num_classes
        return rows, (q if w is None else q * w), m
    indices = index_target(op, target, input, ignore_index)
    counted = indices != ignore_index
    q = xp.zeros((m, num_classes), dtype=rows.dtype)
    q[xp.arange(m)[counted], indices[counted]] = 1
    if eps:  # in place, so that q keeps the input's dtype
        q *= 1 - eps
        q[counted] += eps / num_classes
    if w is None:
        return rows, q, int(counted.sum())
    return rows, q * w, float(w[indices[counted]].sum())


def weighted_log_likelihood(target_weights, log_p):
    """sum_k Q[i, k] log_p[i, k] for each row i, the terms with Q = 0 left out: a class the target does not
    count costs nothing even where its log-probability is -inf (log 0), as in PyTorch's nll_loss."""
    xp = get_array_module(log_p)
    counted = target_weights != 0
    terms = xp.zeros_like(log_p)
    terms[counted] = target_weights[counted] * log_p[counted]
    return terms.sum(axis=1)


class CrossEntropy(Function):
    """Softmax and the negative log-likelihood of the target, fused, for rows of scores x (M, C):

        log p[i, k]     = x[i, k] - log sum_j e^(x[i, j])                  (the log-softmax of row i)
        loss_i          = -sum_k Q[i, k] log p[i, k]                       (Q: the target, see above)
        dloss_i/dx[i, k] = p[i, k] sum_j Q[i, j] - Q[i, k]
        L = sum_i loss_i / D    for reduction='mean' (D: M, or the sum of the target classes' weights)

    With one target class per row and no options, Q is one-hot: loss_i = -log p[i, t_i] and the gradient is
    (p - onehot) / M, the classic "prediction minus truth", which is why the two steps are fused.
    Label smoothing eps (Szegedy et al. 2016, "Rethinking the Inception architecture", section 7) moves eps
    of the target's mass evenly over the C classes, so the network is never pushed towards infinite logits.
    Shapes: x (M, C) -> (M,) losses for 'none', a scalar otherwise.
    """

    def __init__(self, target_weights, reduction: str, denominator):
        self.target_weights, self.reduction, self.denominator = target_weights, reduction, denominator

    def forward(self, x):
        xp = get_array_module(x)
        shifted = x - x.max(axis=1, keepdims=True)  # e^x cannot overflow
        log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        self.probabilities = xp.exp(log_p)
        losses = -weighted_log_likelihood(self.target_weights, log_p)
        return reduce_losses(losses, self.reduction, self.denominator)

    def backward(self, grad_out):
        q = self.target_weights
        grad = self.probabilities * q.sum(axis=1, keepdims=True) - q
        scale = upstream(grad_out, self.reduction, self.denominator)
        return grad * (scale[:, None] if self.reduction == "none" else scale)


class NLLLoss(Function):
    """The negative log-likelihood of the target, for rows of log-probabilities z (M, C) (usually from
    log_softmax):

        loss_i = -sum_k Q[i, k] z[i, k]          (one-hot Q: loss_i = -z[i, t_i])
        dloss_i/dz[i, k] = -Q[i, k]              (nothing reaches the classes the target does not count)
        L = sum_i loss_i / D for reduction='mean', as CrossEntropy
    log_softmax followed by nll_loss is cross_entropy, computed in two steps.
    """

    def __init__(self, target_weights, reduction: str, denominator):
        self.target_weights, self.reduction, self.denominator = target_weights, reduction, denominator

    def forward(self, z):
        losses = -weighted_log_likelihood(self.target_weights, z)
        return reduce_losses(losses, self.reduction, self.denominator)

    def backward(self, grad_out):
        scale = upstream(grad_out, self.reduction, self.denominator)
        return -self.target_weights * (scale[:, None] if self.reduction == "none" else scale)


def check_class_options(op: str, reduction: str, ignore_index, label_smoothing: float = 0.0) -> float:
    check_reduction(op, reduction)
    if not is_int(ignore_index):
        raise TypeError(f"{op}: ignore_index must be an int, got {ignore_index!r}")
    label_smoothing = check_real(op, "label_smoothing", label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return label_smoothing


def unrows(losses: Tensor, input: Tensor, reduction: str) -> Tensor:
    """Per-row losses (M,) back in the input's layout, (N, d1, ...), for reduction='none'."""
    return losses.reshape(loss_shape(input)) if reduction == "none" else losses


def cross_entropy(
    input: Tensor,
    target,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of raw scores `input` against `target`, as torch.nn.functional.cross_entropy.

    input:  (N, C) scores (logits, not probabilities), (N, C, d1, ...) with the classes on dim 1, or (C,)
    target: integer class indices of shape (N,), (N, d1, ...) or (); or class probabilities of the input's
            shape (a float tensor)
    weight: (C,) a weight per class; the mean then divides by the sum of the target classes' weights
    ignore_index: target positions with this index add nothing and do not count in the mean
    label_smoothing in [0, 1]: the target keeps 1 - label_smoothing and spreads label_smoothing evenly
    reduction: 'mean', 'sum' or 'none' (losses of shape (N, d1, ...))
    Equals nll_loss(log_softmax(input, dim=1), target) for index targets.
    """
    op = "cross_entropy"
    label_smoothing = check_class_options(op, reduction, ignore_index, label_smoothing)
    rows, q, denominator = target_weights(op, input, target, weight, ignore_index, label_smoothing)
    return unrows(CrossEntropy(q, reduction, denominator)(rows), input, reduction)


def nll_loss(
    input: Tensor, target, weight: Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of integer class `target` under log-probabilities `input`.

    input (N, C), (N, C, d1, ...) or (C,), usually from log_softmax; target (N,), (N, d1, ...) or ().
    weight, ignore_index and reduction as in cross_entropy: nll_loss(log_softmax(x, dim=1), t) equals
    cross_entropy(x, t).
    """
    op = "nll_loss"
    check_class_options(op, reduction, ignore_index)
    if holds_floats(target):
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {target.dtype}")
    rows, q, denominator = target_weights(op, input, target, weight, ignore_index, 0.0)
    return unrows(NLLLoss(q, reduction, denominator)(rows), input, reduction)


class MultiMarginLoss(Function):
    """The multiclass SVM loss (Weston and Watkins, 1999), for scores s (N, C) and target classes t (N,):

        z[n, j] = s[n, j] - s[n, t_n] + margin                      how far class j comes within the margin
        loss_n  = w[t_n] / D * sum over j != t_n of max(0, z[n, j])^p
        L       = (1/N) sum_n loss_n                                  (reduction='mean')
        dloss_n/ds[n, j]   = w[t_n] / D * p max(0, z[n, j])^(p-1) [z[n, j] > 0]    for j != t_n
        dloss_n/ds[n, t_n] = -(the sum of those over j)
    Every wrong class scoring within `margin` of the right one adds to the loss and is pushed down; the
    right class is pushed up by as much as all of them together. (At exactly 0 a margin counts as inactive,
    as in PyTorch.) w: a weight per class (all 1 without one); p: 1 (the hinge) or 2 (its square).
    D divides each row: PyTorch's multi_margin_loss divides by the number of classes C, cs231n's SVM loss
    (multiclass_hinge_loss here) does not (D = 1). The mean is over the N rows, weights or not.
    Shapes: s (N, C) -> (N,) losses for 'none', a scalar otherwise.
    """

    def __init__(self, targets, p: int, margin: float, row_weights, divisor: int, reduction: str):
        # row_weights: w[t_n] for each row, (N,), or None for all 1
        self.targets, self.p, self.margin = targets, p, margin
        self.row_weights, self.divisor, self.reduction = row_weights, divisor, reduction

    def forward(self, scores):
        xp = get_array_module(scores)
        rows = xp.arange(scores.shape[0])
        z = scores - scores[rows, self.targets][:, None] + self.margin
        z[rows, self.targets] = 0  # the sum skips j = t_n: that term would always be `margin`
        self.active = xp.maximum(z, 0)  # max(0, z): what backward needs, 0 where the margin is met
        losses = (self.active if self.p == 1 else self.active * self.active).sum(axis=1)
        if self.row_weights is not None:
            losses = losses * self.row_weights
        return reduce_losses(losses / self.divisor, self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        n = self.active.shape[0]
        # d max(0, z)^p / dz: [z > 0] for p = 1, 2 max(0, z) for p = 2
        grad = (self.active > 0).astype(grad_out.dtype) if self.p == 1 else 2 * self.active
        scale = upstream(grad_out, self.reduction, n) / self.divisor  # () or, for 'none', (N,)
        if self.row_weights is not None:
            scale = scale * self.row_weights  # now (N,): one factor per row
        grad = grad * (scale[:, None] if scale.ndim == 1 else scale)
        grad[xp.arange(n), self.targets] = -grad.sum(axis=1)  # s[n, t_n] enters every z[n, j] with a minus
        return grad


def check_multi_margin_power(op: str, p) -> int:
    """p as the int 1 or 2, the powers PyTorch's multi_margin_loss has (2.0 is taken as 2, as there)."""
    if check_real(op, "p", p) not in (1, 2):
        raise ValueError(f"{op}: p must be 1 or 2 (as in PyTorch), got {p!r}")
    return int(p)


def multi_margin_loss(
    input: Tensor,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
) -> Tensor:
    """The multiclass SVM loss as torch.nn.functional.multi_margin_loss: for each sample,

        loss = sum over j != y of w[y] * max(0, margin - x[y] + x[j])^p / C

    input:  (N, C) scores, or (C,) for one sample; target: integer classes (N,), or () for one sample
    p:      1 (the hinge, the default) or 2 (the squared hinge)
    weight: (C,) a weight per class, applied by the target's class; None for all 1
    reduction: 'mean' over the N samples (not over the weights, unlike cross_entropy), 'sum', or 'none'
            (losses (N,), or () for a (C,) input)
    PyTorch divides each sample's sum by C; the SVM loss of the cs231n notes does not, so it is C times
    this: with small random weights it starts near C - 1, this near (C - 1) / C.
    """
    op = "multi_margin_loss"
    check_tensor(input, op, "input")
    check_floating(input, op, "input")
    if input.ndim not in (1, 2):
        raise ValueError(
            f"{op}: expected an input (N, num_classes) or (num_classes,), got shape {input.shape}"
        )
    check_reduction(op, reduction)
    p = check_multi_margin_power(op, p)
    margin = check_real(op, "margin", margin)
    rows = input if input.ndim == 2 else input.reshape(1, input.shape[0])
    targets = index_target(op, target, input)
    weights = class_weights(op, weight, input, rows.shape[1])
    row_weights = None if weights is None else weights[targets]
    losses = MultiMarginLoss(targets, p, margin, row_weights, rows.shape[1], reduction)(rows)
    return unrows(losses, input, reduction)


def multiclass_hinge_loss(input: Tensor, target, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """The multiclass SVM loss of cs231n: sum over wrong classes j of max(0, s_j - s_y + margin).

    input: scores (N, K); target: integer classes (N,). reduction: 'mean' over the batch, 'sum' or 'none'.
    torch.nn.functional.multi_margin_loss (p=1), multi_margin_loss here, also divides each row by the
    number of classes K: multi_margin_loss(s, t) = multiclass_hinge_loss(s, t) / K.
    """
    op = "multiclass_hinge_loss"
    check_tensor(input, op, "input")
    check_floating(input, op, "input")
    if input.ndim != 2:
        raise ValueError(f"{op}: expected a 2-D input (N, num_classes), got shape {input.shape}")
    check_reduction(op, reduction)
    margin = check_real(op, "margin", margin)
    return MultiMarginLoss(index_target(op, target, input), 1, margin, None, 1, reduction)(input)


# ------------------------------------------------------------------------------ binary cross-entropy

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


def weighted(values, weight):
    """values * weight, or the values themselves when there is no weight."""
    return values if weight is None else values * weight


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets y in [0, 1], element by element, each
    element weighted by w (1 without a weight):

        loss_i   = -w_i (y_i log p_i + (1 - y_i) log(1 - p_i)),    each log clamped at -100 (as PyTorch)
        L        = (1/M) sum_i loss_i over all M elements                     (reduction='mean')
        dL/dp_i  = w_i (p_i - y_i) / (p_i (1 - p_i)) / M,  the denominator kept >= 1e-12 (as PyTorch)
        dL/dy_i  = w_i (log(1 - p_i) - log(p_i)) / M,      the clamped logs (PyTorch's are not: it gives
                                                           +-inf where p is exactly 0 or 1)
    p usually comes from a sigmoid; binary_cross_entropy_with_logits fuses the two and is stabler.
    """

    def __init__(self, weight, reduction: str):
        self.weight, self.reduction = weight, reduction

    def forward(self, p, y):
        self.p, self.y = p, y
        losses = -(y * clamped_log(p) + (1 - y) * clamped_log(1 - p))
        return reduce_losses(weighted(losses, self.weight), self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        p, y = self.p, self.y
        scale = weighted(upstream(grad_out, self.reduction, p.size), self.weight)
        grad_p = grad_y = None
        if self.needs_input_grad[0]:
            grad_p = scale * (p - y) / xp.maximum(p * (1 - p), BCE_GRAD_EPSILON)
        if self.needs_input_grad[1]:
            grad_y = scale * (clamped_log(1 - p) - clamped_log(p))
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid followed by binary cross-entropy, fused, for scores x and targets y in [0, 1], with a weight
    w per element and a weight P on the positive term (pos_weight; both 1 when not given):

        loss_i  = -w (P y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
                = w ((1 - y) x + l softplus(-x)),   l = 1 + (P - 1) y,
                  softplus(-x) = log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|)   (no exponential overflows)
        dL/dx_i = w (l sigmoid(x) - P y) / M               P = 1: w (sigmoid(x) - y) / M
        dL/dy_i = w ((P - 1) softplus(-x) - x) / M         P = 1: -w x / M        (reduction='mean')
    Prediction minus truth again, as for softmax and cross_entropy. P > 1 counts each positive P times:
    the usual answer to rare positives (PyTorch's docs: P = negatives / positives).
    """

    def __init__(self, weight, pos_weight, reduction: str):
        self.weight, self.pos_weight, self.reduction = weight, pos_weight, reduction

    def forward(self, x, y):
        xp = get_array_module(x)
        self.x, self.y = x, y
        self.softplus_of_minus_x = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        losses = (1 - y) * x + self.log_weight() * self.softplus_of_minus_x
        return reduce_losses(weighted(losses, self.weight), self.reduction)

    def log_weight(self):
        """l = 1 + (P - 1) y: the factor of softplus(-x), 1 without pos_weight."""
        return 1 if self.pos_weight is None else 1 + (self.pos_weight - 1) * self.y

    def backward(self, grad_out):
        x, y = self.x, self.y
        scale = weighted(upstream(grad_out, self.reduction, x.size), self.weight)
        positive = y if self.pos_weight is None else self.pos_weight * y
        grad_x = grad_y = None
        if self.needs_input_grad[0]:
            grad_x = scale * (self.log_weight() * stable_sigmoid(x) - positive)
        if self.needs_input_grad[1]:
            extra = 0 if self.pos_weight is None else (self.pos_weight - 1) * self.softplus_of_minus_x
            grad_y = scale * (extra - x)
        return grad_x, grad_y


def check_unit_interval(op: str, name: str, data, hint: str = "") -> None:
    """Refuse values outside [0, 1], NaN included: a NaN fails both comparisons, so it is caught too."""
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        xp = get_array_module(data)
        if bool(xp.isnan(data).any()):
            found = "NaN"
        else:
            found = f"values from {float(data.min())} to {float(data.max())}"
        raise ValueError(f"{op}: {name} must lie in [0, 1], got {found}{hint}")


def binary_target(op: str, target, input: Tensor) -> Tensor:
    """The target as a Tensor of the input's shape and dtype with values in [0, 1]: else a clear error."""
    target = target if isinstance(target, Tensor) else Tensor(target)
    check_floating(target, op, "target")
    check_same_dtype(input, target, op, "input", "target")
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: input has shape {input.shape} but target has shape {target.shape}; they must match "
            "(no broadcasting, to avoid silent mistakes)"
        )
    check_unit_interval(op, "target", target.data, " (labels or probabilities)")
    return target


def element_weight(op: str, name: str, value, input: Tensor):
    """A `weight` or `pos_weight` that broadcasts to the input's shape, as an array (None stays None)."""
    if value is None:
        return None
    array = constant_array(op, name, value, input)
    try:
        get_array_module(array).broadcast_to(array, input.shape)
    except ValueError:
        raise ValueError(
            f"{op}: {name} of shape {array.shape} does not broadcast to the input's {input.shape}"
        ) from None
    return array


def binary_cross_entropy(
    input: Tensor, target, weight: Tensor | None = None, *, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy between probabilities `input` in [0, 1] and `target` in [0, 1] of the same shape.

    Each log is clamped at -100, as in PyTorch, so a prediction of exactly 0 or 1 that is wrong costs 100,
    not infinity. weight: multiplies each element's loss (broadcast to the input's shape).
    reduction: 'mean' over all elements (default), 'sum' or 'none'.
    """
    op = "binary_cross_entropy"
    check_tensor(input, op, "input")
    check_floating(input, op, "input")
    check_reduction(op, reduction)
    target = binary_target(op, target, input)
    hint = " (probabilities; for raw scores, use binary_cross_entropy_with_logits)"
    check_unit_interval(op, "input", input.data, hint)
    weight = element_weight(op, "weight", weight, input)
    return BinaryCrossEntropy(weight, reduction)(input, target)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), fused: exact and finite for any scores.

    input: raw scores of any shape; target: values in [0, 1], the same shape.
    weight: multiplies each element's loss; pos_weight: multiplies the positive term y log sigmoid(x), one
    value per class on the last dim, (C,) (both broadcast to the input's shape).
    reduction: 'mean' over all elements (default), 'sum' or 'none'.
    """
    op = "binary_cross_entropy_with_logits"
    check_tensor(input, op, "input")
    check_floating(input, op, "input")
    check_reduction(op, reduction)
    target = binary_target(op, target, input)
    weight = element_weight(op, "weight", weight, input)
    pos_weight = element_weight(op, "pos_weight", pos_weight, input)
    return BinaryCrossEntropyWithLogits(weight, pos_weight, reduction)(input, target)


# ------------------------------------------------------------------------------ regression


class MSELoss(Function):
    """L = (1/M) sum_i (x_i - y_i)^2 over all M elements (reduction='mean').

    dL/dx_i = 2 (x_i - y_i) / M,    dL/dy_i = -2 (x_i - y_i) / M.
    """

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, x, y):
        self.diff = x - y
        return reduce_losses(self.diff * self.diff, self.reduction)

    def backward(self, grad_out):
        grad = 2 * self.diff * upstream(grad_out, self.reduction, self.diff.size)
        return grad, -grad


class L1Loss(Function):
    """L = (1/M) sum_i |x_i - y_i| over all M elements (reduction='mean').

    dL/dx_i = sign(x_i - y_i) / M (0 where they are equal, as PyTorch),    dL/dy_i = -dL/dx_i.
    """

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, x, y):
        xp = get_array_module(x)
        self.diff = x - y
        return reduce_losses(xp.abs(self.diff), self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = xp.sign(self.diff) * upstream(grad_out, self.reduction, self.diff.size)
        return grad, -grad


class HuberLoss(Function):
    """Squared near 0, absolute further out (Huber, 1964), for d = x - y and a threshold delta:

        loss_i = d^2 / 2                    where |d| < delta
               = delta (|d| - delta / 2)    elsewhere        (the two meet, with the same slope, at delta)
        dloss_i/dx_i = clip(d, -delta, delta) = -dloss_i/dy_i
    times `scale`: smooth_l1_loss with beta is the same curve divided by beta (scale = 1 / beta), so its
    squared part is d^2 / (2 beta) and its slope further out is 1. Large errors (outliers) pull with a
    bounded force, unlike MSE's 2d; small ones still shrink smoothly, unlike L1's constant +-1.
    """

    def __init__(self, delta: float, scale: float, reduction: str):
        self.delta, self.scale, self.reduction = delta, scale, reduction

    def forward(self, x, y):
        xp = get_array_module(x)
        self.diff = x - y
        magnitude = xp.abs(self.diff)
        squared = 0.5 * self.diff * self.diff
        losses = xp.where(magnitude < self.delta, squared, self.delta * (magnitude - 0.5 * self.delta))
        return reduce_losses(losses * self.scale, self.reduction)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        slope = xp.clip(self.diff, -self.delta, self.delta) * self.scale
        grad = slope * upstream(grad_out, self.reduction, self.diff.size)
        return grad, -grad


def regression_pair(op: str, input: Tensor, target, reduction: str) -> Tensor:
    """Check a regression loss's arguments; return the target as a Tensor."""
    check_tensor(input, op, "input")
    target = target if isinstance(target, Tensor) else Tensor(target)
    check_floating(input, op, "input")
    check_same_dtype(input, target, op, "input", "target")
    check_reduction(op, reduction)
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input has shape {input.shape} but target has shape {target.shape}; they must match "
            "(no broadcasting, to avoid silent mistakes)"
        )
    return target


def mse_loss(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    """Mean squared error between two tensors of the same shape."""
    target = regression_pair("mse_loss", input, target, reduction)
    return MSELoss(reduction)(input, target)


def l1_loss(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error between two tensors of the same shape."""
    target = regression_pair("l1_loss", input, target, reduction)
    return L1Loss(reduction)(input, target)


def check_beta(op: str, beta) -> float:
    """smooth_l1_loss's beta as a float >= 0 (NaN refused too), else a clear error."""
    beta = check_real(op, "beta", beta)
    if not beta >= 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    return beta


def check_delta(op: str, delta) -> float:
    """huber_loss's delta as a float > 0 (NaN refused too), else a clear error."""
    delta = check_real(op, "delta", delta)
    if not delta > 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    return delta


def smooth_l1_loss(input: Tensor, target, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """d^2 / (2 beta) where |d| < beta, |d| - beta / 2 elsewhere (d = input - target): the Huber curve divided
    by beta (see HuberLoss). beta = 0 is l1_loss, as in PyTorch. (Fast R-CNN's box regression loss.)"""
    op = "smooth_l1_loss"
    target = regression_pair(op, input, target, reduction)
    beta = check_beta(op, beta)
    if beta == 0:
        return L1Loss(reduction)(input, target)
    return HuberLoss(beta, 1 / beta, reduction)(input, target)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """d^2 / 2 where |d| < delta, delta (|d| - delta / 2) elsewhere (d = input - target); see HuberLoss.

    Arguments in PyTorch's order: huber_loss(input, target, reduction, delta). delta must be positive.
    """
    op = "huber_loss"
    target = regression_pair(op, input, target, reduction)
    delta = check_delta(op, delta)
    return HuberLoss(delta, 1.0, reduction)(input, target)
