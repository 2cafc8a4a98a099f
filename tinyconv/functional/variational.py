"""The pieces of variational inference that a VAE is made of (Kingma and Welling, "Auto-Encoding Variational
Bayes", ICLR 2014): a Gaussian sample that gradients pass through, the KL divergence to the prior N(0, I)
in closed form, and the log-densities of an importance-sampled likelihood.

    reparameterize(mu, logvar)         z = mu + exp(logvar / 2) * eps, eps ~ N(0, I)      a Function
    kl_to_standard_normal(mu, logvar)  KL(N(mu, diag exp(logvar)) || N(0, I))              a Function
    gaussian_log_prob(z, mu, logvar)   log N(z; mu, diag exp(logvar))                       composed
    bernoulli_log_prob(logits, x)      log p(x), independent pixels, p(x_i = 1) = sigmoid(logits_i)  composed

A sample is a vector along the last dim: mu, logvar and z are (..., L) for L latent variables, images are
flattened to (..., D) pixels, and every function gives one number per vector, shape (...). The encoder
outputs log sigma^2 rather than sigma: any real number is a valid log-variance, so the network needs no
constraint to keep sigma positive.

The two new operations are Functions with their gradients written out (each a line or two); the two
log-densities are sums of existing operations, used to evaluate a trained model rather than to train one,
so autograd's composition of the existing backwards is all they need and is easier to read.
docs/generative.md derives each formula.
"""

from __future__ import annotations

import math

from tinyconv import random
from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_floating, check_same_dtype, check_tensor
from tinyconv.functional.loss import binary_cross_entropy_with_logits, check_reduction
from tinyconv.tensor import Tensor

LOG_2PI = math.log(2 * math.pi)


class GaussianSample(Function):
    """z = mu + sigma * eps with sigma = exp(logvar / 2) and eps ~ N(0, I) given (drawn once, before).

    The randomness is in eps alone, which does not depend on the parameters, so z is an ordinary
    differentiable function of mu and logvar (the reparameterization trick):
        dz/dmu     = 1                                  dL/dmu     = g
        dz/dlogvar = eps * sigma / 2 = (z - mu) / 2     dL/dlogvar = g * sigma * eps / 2
    Saved for backward: sigma * eps.
    """

    def __init__(self, eps):
        self.eps = eps

    def forward(self, mu, logvar):
        xp = get_array_module(mu)
        self.sigma_eps = xp.exp(0.5 * logvar) * self.eps
        return mu + self.sigma_eps

    def backward(self, grad_out):
        return grad_out, grad_out * 0.5 * self.sigma_eps


def check_mean_and_logvar(op: str, mu: Tensor, logvar: Tensor) -> None:
    check_tensor(mu, op, "mu")
    check_tensor(logvar, op, "logvar")
    check_floating(mu, op, "mu")
    check_same_dtype(mu, logvar, op, "mu", "logvar")
    if mu.shape != logvar.shape:
        raise ValueError(
            f"{op}: mu has shape {mu.shape} but logvar has shape {logvar.shape}; they must match"
        )
    if mu.ndim == 0:
        raise ValueError(f"{op}: mu and logvar must hold vectors (..., L), got 0-d tensors")


def reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
    """A sample z ~ N(mu, diag(exp(logvar))) as z = mu + exp(logvar / 2) * eps, differentiable in mu, logvar.

    mu, logvar: (..., L), the same shape. eps: the standard normal noise, (..., L); by default drawn here
    from tinyconv's seeded generator (tinyconv.manual_seed makes it repeatable). Returns z, (..., L).
    """
    op = "reparameterize"
    check_mean_and_logvar(op, mu, logvar)
    if eps is None:
        noise = random.generator().standard_normal(mu.shape)
        eps_array = get_array_module(mu.data).asarray(noise, dtype=mu.dtype)
    else:
        check_tensor(eps, op, "eps")
        check_same_dtype(mu, eps, op, "mu", "eps")
        if eps.shape != mu.shape:
            raise ValueError(f"{op}: eps has shape {eps.shape} but mu has shape {mu.shape}; they must match")
        eps_array = eps.data
    return GaussianSample(eps_array)(mu, logvar)


class KLToStandardNormal(Function):
    """KL(N(mu, diag sigma^2) || N(0, I)) of each vector, in closed form (docs/generative.md derives it):

        KL = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 - log sigma_j^2),    sigma_j^2 = exp(logvar_j)
        dKL/dmu_j     = mu_j
        dKL/dlogvar_j = (exp(logvar_j) - 1) / 2
    Zero exactly when mu = 0 and logvar = 0: the posterior is the prior. Shapes: (..., L) -> (...), then
    reduced: 'none' keeps one value per vector, 'sum' adds them, 'mean' averages them.
    Saved for backward: mu and exp(logvar).
    """

    def __init__(self, reduction: str):
        self.reduction = reduction

    def forward(self, mu, logvar):
        xp = get_array_module(mu)
        self.mu, self.variance = mu, xp.exp(logvar)
        kl = 0.5 * (self.variance + mu * mu - 1 - logvar).sum(axis=-1)
        if self.reduction == "none":
            return kl
        self.count = kl.size
        return kl.sum() if self.reduction == "sum" else kl.sum() / kl.size

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        if self.reduction == "none":
            grad = xp.expand_dims(grad_out, -1)  # one upstream value per vector, shared by its L entries
        else:
            grad = grad_out if self.reduction == "sum" else grad_out / self.count
        return grad * self.mu, grad * 0.5 * (self.variance - 1)


def kl_to_standard_normal(mu: Tensor, logvar: Tensor, reduction: str = "sum") -> Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) in nats, summed over the last dim (one value per vector).

    mu, logvar: (..., L). reduction: 'sum' (default) adds the values of all vectors, 'mean' averages them
    (the KL per sample of a batch (N, L)), 'none' returns them, shape (...).
    """
    op = "kl_to_standard_normal"
    check_mean_and_logvar(op, mu, logvar)
    check_reduction(op, reduction)
    return KLToStandardNormal(reduction)(mu, logvar)


def gaussian_log_prob(z: Tensor, mu: Tensor | None = None, logvar: Tensor | None = None) -> Tensor:
    """log N(z; mu, diag(exp(logvar))) of each vector, in nats: N(0, I) when mu and logvar are not given.

        log N(z; mu, sigma^2) = -1/2 sum_j (log(2 pi) + logvar_j + (z_j - mu_j)^2 / exp(logvar_j))

    z: (..., L); mu, logvar: (..., L) or anything that broadcasts to it. Returns (...). Composed of
    existing ops (autograd differentiates it), for the importance-sampled likelihood of a VAE.
    """
    op = "gaussian_log_prob"
    check_tensor(z, op, "z")
    check_floating(z, op, "z")
    if z.ndim == 0:
        raise ValueError(f"{op}: z must hold vectors (..., L), got a 0-d tensor")
    if (mu is None) != (logvar is None):
        raise ValueError(f"{op}: give both mu and logvar, or neither (for the standard normal N(0, I))")
    if mu is None:
        return -0.5 * (z * z + LOG_2PI).sum(dim=-1)
    squared_distance = (z - mu) ** 2 / logvar.exp()
    return -0.5 * (squared_distance + logvar + LOG_2PI).sum(dim=-1)


def bernoulli_log_prob(logits: Tensor, x) -> Tensor:
    """log p(x) of each vector x of independent Bernoulli pixels with p(x_i = 1) = sigmoid(logits_i), in nats:

        log p(x) = sum_i (x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i)))
                 = -binary_cross_entropy_with_logits(l, x, reduction='none') summed over the last dim

    logits: (..., D); x: the same shape, every value in [0, 1] (binary pixels; grey levels in [0, 1] are
    accepted as the usual relaxation). Returns (...). Images normalized to mean 0 and variance 1 (as
    MNIST gives them) are not probabilities and are refused, before any work.
    """
    op = "bernoulli_log_prob"
    check_tensor(logits, op, "logits")
    x = x if isinstance(x, Tensor) else Tensor(x)
    data = x.data
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        if bool(get_array_module(data).isnan(data).any()):
            found = "NaN"
        else:
            found = f"values from {float(data.min()):.4g} to {float(data.max()):.4g}"
        raise ValueError(
            f"{op}: a Bernoulli likelihood needs images with every pixel in [0, 1], got {found}. "
            "Normalized images ((pixel / 255 - mean) / std, as MNIST gives them) are not: use "
            "tinyconv.data.BinarizedMNIST, or pixel / 255"
        )
    return -binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)
