"""Normalization across channels: local response normalization (AlexNet) and batch normalization.

Both take inputs laid out as PyTorch does, (N, C, ...): a batch of N examples with C channels and any
number of spatial axes after them ((N, C, L) for sequences, (N, C, H, W) for images).

    local_response_norm   each value divided by the energy of its neighbouring channels at the same
                          position (Krizhevsky, Sutskever, Hinton 2012, section 3.3)
    batch_norm            each channel shifted and scaled to zero mean and unit variance over the
                          batch, then by a learned gamma and beta (Ioffe & Szegedy 2015)
"""

from __future__ import annotations

from tinyconv import backend
from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_floating, check_int, check_real, check_same_dtype, check_tensor
from tinyconv.tensor import Tensor

# --------------------------------------------------------------------------------- local response norm


class LocalResponseNorm(Function):
    """b_c = a_c / d_c^beta,   d_c = k + (alpha / size) * sum over c' in window(c) of a_c'^2.

    Shapes: a and b are (N, C, ...); the sum runs over channels only, at the same (n, position).
    window(c) holds `size` channels, c - size//2 to c + (size - 1)//2 (PyTorch's choice: an even size
    reaches one channel further back than forward); channels past either edge count as zeros.

    Backward. b_i depends on a_j in two ways: directly when i = j, and through d_i when j is in
    window(i), with dd_i/da_j = (2 alpha / size) a_j. So, with g = dL/db,
        dL/da_j = g_j d_j^-beta  -  (2 alpha beta / size) a_j * sum over {i : j in window(i)} of
                                                                 g_i a_i d_i^(-beta - 1).
    The second term is how the gradient flows through the normalizers of the neighbouring channels.
    j is in window(i) exactly when i runs from j - (size - 1)//2 to j + size//2: the same window sum
    with its two halves swapped.

    Saved for backward: the input a and the normalizer d. The arrays are handled by the backend: on
    the CPU, tinyconv/backend/cpu.py (one shifted slice of the channel axis per offset of the window,
    `channel_window_sum`), on the GPU kernels/lrn.cu (one thread per element).
    """

    def __init__(self, size: int, alpha: float, beta: float, k: float):
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        self.x = x
        y, self.scale = backend.lrn_forward(x, self.size, self.alpha, self.beta, self.k)
        return y

    def backward(self, grad_out):
        return backend.lrn_backward(grad_out, self.x, self.scale, self.size, self.alpha, self.beta)


def local_response_norm(
    x: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Local response normalization across channels, as torch.nn.functional.local_response_norm.

        b_c = a_c / (k + (alpha / size) * sum over the `size` channels around c of a_c'^2)^beta

    x: (N, C, ...) with at least 3 dimensions; returns the same shape. AlexNet (Krizhevsky,
    Sutskever, Hinton 2012, section 3.3) uses size 5, alpha 1e-4, beta 0.75, k 2. Note that the
    paper multiplies the sum by alpha, while PyTorch (and tinyconv) multiply it by alpha / size: the
    paper's alpha = 1e-4 is alpha = 5e-4 here.
    """
    size = check_lrn_arguments(x, size, alpha, beta, k)
    return LocalResponseNorm(size, alpha, beta, k)(x)


def check_lrn_arguments(x, size, alpha, beta, k) -> int:
    """Every way local_response_norm's arguments can be wrong; returns size as an int."""
    op = "local_response_norm"
    size = check_int(op, "size (the number of channels in the window)", size, minimum=1)
    for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
        check_real(op, name, value)
    check_tensor(x, op)
    check_floating(x, op)
    if x.ndim < 3:
        raise ValueError(
            f"{op}: expected an input of at least 3 dimensions (N, C, ...), got shape {x.shape} "
            f"({x.ndim}-D); add a length-1 spatial axis to a (N, C) batch"
        )
    return size


# --------------------------------------------------------------------------------- batch norm


def statistics_axes(ndim: int) -> tuple:
    """The axes a channel's statistics run over: the batch and every spatial axis, (0, 2, 3, ...)."""
    return (0,) + tuple(range(2, ndim))


def per_channel(values, ndim: int):
    """A (C,) array reshaped to (1, C, 1, ...) so that it broadcasts against an (N, C, ...) input."""
    return values.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNormTraining(Function):
    """Batch normalization with the statistics of the batch itself (training mode).

    Per channel c, over the M = N * (product of the spatial sizes) values x_i of that channel:
        mu = (1/M) sum_i x_i,   var = (1/M) sum_i (x_i - mu)^2   (biased: divided by M)
        x_hat_i = (x_i - mu) * invstd,   invstd = 1 / sqrt(var + eps)
        y_i = gamma * x_hat_i + beta
    Shapes: x, y (N, C, ...); gamma, beta (C,), or None (gamma = 1, beta = 0).

    Backward, with g = dL/dy and g_hat = g * gamma = dL/dx_hat. Every x_hat_i depends on every x_j of
    its channel through mu and var: dmu/dx_j = 1/M, dvar/dx_j = (2/M)(x_j - mu), so
        dx_hat_i/dx_j = invstd (delta_ij - 1/M) - (x_i - mu) invstd^3 (x_j - mu) / M
                      = (invstd / M) (M delta_ij - 1 - x_hat_i x_hat_j),
    and summing g_hat_i times that over i:
        dL/dx_j   = (invstd / M) * (M g_hat_j - sum_i g_hat_i - x_hat_j * sum_i g_hat_i x_hat_i)
        dL/dgamma = sum_i g_i x_hat_i        dL/dbeta = sum_i g_i
    (sums over the M values of each channel). The two sums remove from the gradient the parts that
    would change the batch's mean and variance, which normalization undoes anyway.

    Saved for backward: x_hat, invstd and gamma. The batch mean and biased variance are kept as well,
    in `batch_mean` and `batch_var` (C,), for batch_norm to update the running statistics with.
    """

    def __init__(self, eps: float):
        self.eps = eps

    def forward(self, x, weight, bias):
        xp = get_array_module(x)
        axes = statistics_axes(x.ndim)
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        self.invstd = 1 / xp.sqrt(var + self.eps)
        self.x_hat = centered * self.invstd
        self.weight = weight
        self.batch_mean, self.batch_var = mean.reshape(-1), var.reshape(-1)
        return affine(self.x_hat, weight, bias)

    def backward(self, grad_out):
        axes = statistics_axes(grad_out.ndim)
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            g_hat = grad_out if self.weight is None else grad_out * per_channel(self.weight, grad_out.ndim)
            count = grad_out.size // grad_out.shape[1]  # M
            sum_g_hat = g_hat.sum(axis=axes, keepdims=True)
            sum_g_hat_x_hat = (g_hat * self.x_hat).sum(axis=axes, keepdims=True)
            grad_x = (self.invstd / count) * (count * g_hat - sum_g_hat - self.x_hat * sum_g_hat_x_hat)
        if self.needs_input_grad[1]:
            grad_weight = (grad_out * self.x_hat).sum(axis=axes)
        if self.needs_input_grad[2]:
            grad_bias = grad_out.sum(axis=axes)
        return grad_x, grad_weight, grad_bias


class BatchNormInference(Function):
    """Batch normalization with fixed statistics (evaluation mode): an affine map of each channel.

        x_hat = (x - running_mean) * invstd,   invstd = 1 / sqrt(running_var + eps)
        y = gamma * x_hat + beta
    The statistics are constants here, not functions of x, so with g = dL/dy:
        dL/dx = g * gamma * invstd     dL/dgamma = sum of g * x_hat     dL/dbeta = sum of g
    (sums over the batch and spatial axes). Shapes as in BatchNormTraining; the statistics are (C,).
    Saved for backward: x_hat, invstd and gamma.
    """

    def __init__(self, running_mean, running_var, eps: float):
        self.running_mean, self.running_var, self.eps = running_mean, running_var, eps

    def forward(self, x, weight, bias):
        xp = get_array_module(x)
        mean = per_channel(self.running_mean.astype(x.dtype, copy=False), x.ndim)
        var = per_channel(self.running_var.astype(x.dtype, copy=False), x.ndim)
        self.invstd = 1 / xp.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.invstd
        self.weight = weight
        return affine(self.x_hat, weight, bias)

    def backward(self, grad_out):
        axes = statistics_axes(grad_out.ndim)
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            grad_x = grad_out * self.invstd
            if self.weight is not None:
                grad_x = grad_x * per_channel(self.weight, grad_out.ndim)
        if self.needs_input_grad[1]:
            grad_weight = (grad_out * self.x_hat).sum(axis=axes)
        if self.needs_input_grad[2]:
            grad_bias = grad_out.sum(axis=axes)
        return grad_x, grad_weight, grad_bias


def affine(x_hat, weight, bias):
    """gamma * x_hat + beta per channel; a missing gamma is 1 and a missing beta 0."""
    y = x_hat if weight is None else x_hat * per_channel(weight, x_hat.ndim)
    return y if bias is None else y + per_channel(bias, x_hat.ndim)


def update_running_statistics(running_mean, running_var, batch_mean, batch_var, count: int, momentum):
    """running = (1 - momentum) * running + momentum * batch, in place, for the mean and the variance.

    The running variance averages the *unbiased* batch variance, var * M / (M - 1), as PyTorch does:
    it estimates the variance of the whole data set, while training normalizes by the batch's own.
    """
    unbiased_var = batch_var * (count / (count - 1))
    running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * batch_mean
    running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased_var


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization (Ioffe & Szegedy 2015), as torch.nn.functional.batch_norm.

    x: (N, C, ...) with at least 2 dimensions; running_mean, running_var, weight (gamma), bias (beta):
    (C,) or None. Returns y of x's shape, y = gamma * (x - mean) / sqrt(var + eps) + beta per channel.

    training=True: mean and var are the batch's own (biased variance), over the batch and spatial
    axes, and the gradient flows through them (BatchNormTraining). The running statistics, when
    given, are updated in place: running = (1 - momentum) * running + momentum * batch, with the
    unbiased batch variance for running_var.
    training=False: mean and var are running_mean and running_var, which are then required.
    """
    check_batch_norm_arguments(x, running_mean, running_var, weight, bias, training)
    if not training:
        normalize = BatchNormInference(running_mean.data, running_var.data, eps)
        return normalize(x, weight, bias)
    normalize = BatchNormTraining(eps)
    y = normalize(x, weight, bias)
    if running_mean is not None:
        count = x.numel() // x.shape[1]
        update_running_statistics(
            running_mean, running_var, normalize.batch_mean, normalize.batch_var, count, momentum
        )
    return y


def check_batch_norm_arguments(x, running_mean, running_var, weight, bias, training: bool) -> None:
    """Every way batch_norm's arguments can be wrong, each with its own message."""
    op = "batch_norm"
    check_tensor(x, op)
    check_floating(x, op)
    if x.ndim < 2:
        raise ValueError(
            f"{op}: expected an input of at least 2 dimensions (N, C, ...), got shape {x.shape} ({x.ndim}-D)"
        )
    channels = x.shape[1]
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")
    if running_mean is None and not training:
        raise ValueError(
            f"{op}: evaluation mode (training=False) normalizes with running_mean and running_var, "
            "but they are None"
        )
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        if value is not None:
            check_tensor(value, op, name)
            check_channels(op, name, value, x)
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None:
            check_tensor(value, op, name)
            check_same_dtype(x, value, op, "input", name)
            check_channels(op, name, value, x)
    values_per_channel = x.numel() // channels if channels else 0
    if training and values_per_channel < 2:
        raise ValueError(
            f"{op}: training needs more than one value per channel to compute a variance, got input "
            f"shape {x.shape} ({values_per_channel} value per channel)"
        )


def check_channels(op: str, name: str, value: Tensor, x: Tensor) -> None:
    """Raise ValueError unless `value` holds one number per channel of x: shape (C,)."""
    channels = x.shape[1]
    if value.shape != (channels,):
        raise ValueError(
            f"{op}: input has {channels} channels (shape {x.shape}) so {name} must have shape "
            f"({channels},), got {value.shape}"
        )


# --------------------------------------------------------------------------------- layer norm


class LayerNormalization(Function):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta, the statistics taken over the last D dims of
    each sample (Ba, Kiros, Hinton 2016, "Layer Normalization").

    Shapes: x (..., *normalized_shape), gamma and beta `normalized_shape` (or None), y as x.
    With n the number of normalized elements, x_hat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps)
    (the biased variance, dividing by n), and g_hat = dL/dy * gamma:
        dL/dx     = invstd * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))
        dL/dgamma = sum over the leading dims of dL/dy * x_hat,    dL/dbeta = sum of dL/dy
    The means are over the normalized dims. The two subtracted terms are the gradient flowing through
    the mean and through the variance: shifting every input of a sample by the same amount, or
    scaling them all, does not change x_hat, so those directions get no gradient.

    Against batch norm (BatchNormTraining above): batch norm takes each feature's statistics over the
    batch, so a sample's output depends on the others, and keeps running statistics for evaluation;
    layer norm takes each sample's statistics over its own features, so it computes the same in
    training and evaluation, for a batch of 1 as for 1,000, and keeps nothing.
    Saved for backward: x_hat, invstd and gamma.
    """

    def __init__(self, dims: tuple, eps: float):
        self.dims, self.eps = dims, eps

    def forward(self, x, weight, bias):
        xp = get_array_module(x)
        mean = x.mean(axis=self.dims, keepdims=True)
        centered = x - mean
        self.invstd = 1 / xp.sqrt((centered * centered).mean(axis=self.dims, keepdims=True) + self.eps)
        self.x_hat = centered * self.invstd
        self.weight = weight
        y = self.x_hat if weight is None else self.x_hat * weight
        return y if bias is None else y + bias

    def backward(self, grad_out):
        leading = tuple(range(grad_out.ndim - len(self.dims)))
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            g_hat = grad_out if self.weight is None else grad_out * self.weight
            mean_g_hat = g_hat.mean(axis=self.dims, keepdims=True)
            mean_g_hat_x_hat = (g_hat * self.x_hat).mean(axis=self.dims, keepdims=True)
            grad_x = self.invstd * (g_hat - mean_g_hat - self.x_hat * mean_g_hat_x_hat)
        if self.needs_input_grad[1]:
            grad_weight = (grad_out * self.x_hat).sum(axis=leading)
        if self.needs_input_grad[2]:
            grad_bias = grad_out.sum(axis=leading)
        return grad_x, grad_weight, grad_bias


def layer_norm(
    x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """Layer normalization over the trailing dims `normalized_shape`, as torch.nn.functional.layer_norm.

    x (..., *normalized_shape) -> the same shape; weight and bias, if given, have `normalized_shape`.
    """
    op = "layer_norm"
    check_tensor(x, op)
    check_floating(x, op)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or any(isinstance(size, bool) or not isinstance(size, int) for size in shape):
        raise TypeError(
            f"{op}: normalized_shape must be an int or a non-empty tuple of ints, got {normalized_shape!r}"
        )
    if x.shape[x.ndim - len(shape) :] != shape or x.ndim < len(shape):
        raise ValueError(
            f"{op}: normalized_shape {shape} must be the input's trailing dims, but the input has shape "
            f"{x.shape}"
        )
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None:
            check_tensor(value, op, name)
            check_same_dtype(x, value, op, "input", name)
            if value.shape != shape:
                raise ValueError(
                    f"{op}: {name} must have shape {shape} (normalized_shape), got {value.shape}"
                )
    eps = check_real(op, "eps", eps)
    if not eps >= 0:  # written so that a NaN fails it too
        raise ValueError(f"{op}: eps must be non-negative, got {eps}")
    dims = tuple(range(x.ndim - len(shape), x.ndim))
    return LayerNormalization(dims, eps)(x, weight, bias)
