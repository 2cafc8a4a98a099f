"""Normalization layers: `LocalResponseNorm` (AlexNet), `BatchNorm1d` / `BatchNorm2d`, and `LayerNorm`
(Transformers)."""

from __future__ import annotations

import numpy

from tinyconv.checks import check_int, check_real, check_tensor
from tinyconv.functional.normalization import batch_norm, layer_norm, local_response_norm
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Buffer, Parameter


class LocalResponseNorm(Module):
    """b_c = a_c / (k + (alpha / size) * sum of a_c'^2 over `size` neighbouring channels)^beta.

    No parameters. Input (N, C, ...) with at least 3 dimensions, output of the same shape. AlexNet
    uses size=5, alpha=1e-4 * 5 (PyTorch divides alpha by size, the paper does not), beta=0.75, k=2.
    See functional/normalization.py for the window and the backward.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = check_int("LocalResponseNorm", "size (the number of channels in the window)", size, 1)
        # Checked here, where a mistake is made, rather than at the first forward.
        self.alpha = check_real("LocalResponseNorm", "alpha", alpha)
        self.beta = check_real("LocalResponseNorm", "beta", beta)
        self.k = check_real("LocalResponseNorm", "k", k)

    def forward(self, x):
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept.

    y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel (Ioffe & Szegedy 2015).
    Training: mean and var are the batch's (over N and the spatial axes), and the running statistics
    follow them: running = (1 - momentum) * running + momentum * batch (the unbiased variance for
    running_var); momentum=None makes them the plain average of all batches so far, counted in
    `num_batches_tracked`. Evaluation (`eval()`): mean and var are the running statistics, or the
    batch's when track_running_stats=False.

    State, with PyTorch's names and state_dict order: weight (gamma, ones) and bias (beta, zeros) as
    Parameters when affine; running_mean (zeros), running_var (ones), num_batches_tracked (int64 0)
    as Buffers when track_running_stats.
    """

    layouts: dict = {}  # accepted input ndim -> the layout named in errors; set by each subclass

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_int(name, "num_features", num_features, minimum=1)
        if check_real(name, "eps", eps) <= 0:
            raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")
        if momentum is not None:
            check_real(name, "momentum (a number, or None for a cumulative average)", momentum)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = self.bias = None
        if affine:
            self.weight = Parameter(numpy.ones(self.num_features, dtype=numpy.float32))
            self.bias = Parameter(numpy.zeros(self.num_features, dtype=numpy.float32))
        self.running_mean = self.running_var = self.num_batches_tracked = None
        if track_running_stats:
            self.running_mean = Buffer(numpy.zeros(self.num_features, dtype=numpy.float32))
            self.running_var = Buffer(numpy.ones(self.num_features, dtype=numpy.float32))
            self.num_batches_tracked = Buffer(numpy.array(0, dtype=numpy.int64))

    def forward(self, x):
        self.check_input(x)
        updating = self.training and self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if updating and self.momentum is None:  # a cumulative average: batch t gets weight 1 / t
            momentum = 1.0 / (int(self.num_batches_tracked.data) + 1)
        use_batch_statistics = self.training or not self.track_running_stats
        y = batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch_statistics,
            momentum,
            self.eps,
        )
        if updating:  # counted after batch_norm succeeded, so a refused input changes nothing
            self.num_batches_tracked.data += 1
        return y

    def check_input(self, x) -> None:
        """Raise ValueError unless x has an accepted number of dimensions and num_features channels."""
        name = type(self).__name__
        check_tensor(x, name)
        if x.ndim not in self.layouts:
            expected = " or ".join(f"a {n}-D {layout}" for n, layout in self.layouts.items())
            raise ValueError(f"{name}: expected {expected} input, got shape {x.shape} ({x.ndim}-D)")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: input has {x.shape[1]} channels (shape {x.shape}) but the layer was built for "
                f"num_features={self.num_features}"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(BatchNorm):
    """Batch normalization of (N, C) features or (N, C, L) sequences, statistics over N (and L).

    See BatchNorm for the arguments, the modes and the state.
    """

    layouts = {2: "(N, C)", 3: "(N, C, L)"}


class BatchNorm2d(BatchNorm):
    """Batch normalization of (N, C, H, W) feature maps, statistics per channel over N, H and W.

    See BatchNorm for the arguments, the modes and the state.
    """

    layouts = {4: "(N, C, H, W)"}


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims `normalized_shape` of
    each sample, as torch.nn.LayerNorm (see functional/normalization.py for the math and the backward).

    Parameters, PyTorch's names: weight (ones) and bias (zeros), of shape normalized_shape, when
    elementwise_affine (bias=False leaves the bias out). No running statistics: a sample is normalized
    by its own features, the same in training and evaluation.
    """

    def __init__(
        self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = tuple(
            check_int("LayerNorm", "normalized_shape", size, minimum=1) for size in shape
        )
        self.eps = check_real("LayerNorm", "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.weight = self.bias = None
        if elementwise_affine:
            self.weight = Parameter(numpy.ones(self.normalized_shape, dtype=numpy.float32))
            if bias:
                self.bias = Parameter(numpy.zeros(self.normalized_shape, dtype=numpy.float32))

    def forward(self, x):
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
