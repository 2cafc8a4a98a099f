"""Activation functions and softmax, each with its derivative written out; and erf, for the exact GELU."""

from __future__ import annotations

import math
import warnings

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_floating, check_real, check_tensor, dim_argument, normalize_dim
from tinyconv.tensor import Tensor


class ReLU(Function):
    """y = max(x, 0).    dL/dx = g where x > 0, else 0 (the derivative at exactly 0 is taken as 0)."""

    def forward(self, x):
        self.mask = x > 0
        return get_array_module(x).maximum(x, 0)  # not x * mask: -inf * 0 would be NaN

    def backward(self, grad_out):
        return grad_out * self.mask


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x.    dL/dx = g if x > 0 else slope * g (slope at exactly 0)."""

    def __init__(self, negative_slope: float):
        self.negative_slope = negative_slope

    def forward(self, x):
        # The local derivative dy/dx, exactly 1 where x > 0 and exactly the slope elsewhere (True + 0 = 1,
        # False + slope = slope), so that y = x * slope_factor and dL/dx = g * slope_factor. Arithmetic, not
        # xp.where, for the reason pick() below gives (a DCGAN layer of 64 x 32 x 14 x 14: where 3.85 ms,
        # this 0.59 ms); not pick(x > 0, x, slope * x) itself, which turns x = inf into NaN (inf * False).
        positive = x > 0
        self.slope_factor = positive + ~positive * x.dtype.type(self.negative_slope)
        return x * self.slope_factor

    def backward(self, grad_out):
        return grad_out * self.slope_factor


class Sigmoid(Function):
    """y = 1 / (1 + e^-x).    dL/dx = g * y * (1 - y).

    Computed as e^x / (1 + e^x) for negative x, so that e^-x never overflows.
    """

    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1 - self.y)


class Tanh(Function):
    """y = tanh(x).    dL/dx = g * (1 - y^2)."""

    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1 - self.y * self.y)


class Softmax(Function):
    """y_i = e^(x_i) / sum_j e^(x_j) along `axis`.

    dL/dx_i = y_i * (g_i - sum_j g_j y_j): the Jacobian dy_i/dx_j = y_i (delta_ij - y_j) applied to g.
    The maximum is subtracted first; softmax does not change, and e^x cannot overflow.
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, grad_out):
        dot = (grad_out * self.y).sum(axis=self.axis, keepdims=True)
        return self.y * (grad_out - dot)


class LogSoftmax(Function):
    """y_i = x_i - log(sum_j e^(x_j)) along `axis`, computed as (x_i - m) - log(sum_j e^(x_j - m)).

    With m = max_j x_j the largest exponent is e^0 = 1, so logits of +-1000 stay finite.
    dL/dx_i = g_i - softmax(x)_i * sum_j g_j.
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.softmax = xp.exp(y)
        return y

    def backward(self, grad_out):
        return grad_out - self.softmax * grad_out.sum(axis=self.axis, keepdims=True)


def activation_input(op: str, x) -> Tensor:
    """Check that x is a floating-point Tensor."""
    check_tensor(x, op)
    check_floating(x, op)
    return x


def softmax_dim(op: str, x: Tensor, dim, axis) -> int:
    """The one dim softmax runs along, as a non-negative int (`axis=` is accepted as another name).

    Without one, PyTorch's old implicit choice, with PyTorch's warning: dim 0 for 0-, 1- and 3-D
    inputs, else dim 1 (the classes of an (N, C) or (N, C, H, W) batch).
    """
    dim = dim_argument(op, dim, axis)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
        warnings.warn(
            f"Implicit dimension choice for {op} has been deprecated. Change the call to include "
            f"dim={dim} as an argument.",
            UserWarning,
            stacklevel=3,
        )
    return normalize_dim(dim, x.ndim, op)


def relu(x: Tensor) -> Tensor:
    """max(x, 0), element-wise."""
    return ReLU()(activation_input("relu", x))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere (PyTorch's default slope 0.01)."""
    negative_slope = check_real("leaky_relu", "negative_slope", negative_slope)
    return LeakyReLU(negative_slope)(activation_input("leaky_relu", x))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x), element-wise."""
    return Sigmoid()(activation_input("sigmoid", x))


def tanh(x: Tensor) -> Tensor:
    """tanh(x), element-wise."""
    return Tanh()(activation_input("tanh", x))


def softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Probabilities along `dim`: positive, summing to 1 (as torch.nn.functional.softmax)."""
    x = activation_input("softmax", x)
    return Softmax(softmax_dim("softmax", x, dim, axis))(x)


def log_softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably (finite for logits of +-1000)."""
    x = activation_input("log_softmax", x)
    return LogSoftmax(softmax_dim("log_softmax", x, dim, axis))(x)


# ------------------------------------------------------------------------------ ELU, GELU, Softplus


def stable_sigmoid(z):
    """1 / (1 + e^-z) on an array, the one sigmoid every op uses (Sigmoid, Softplus's slope, the gates of
    the recurrent cells, BCE with logits).

    Written through e = e^-|z|, which is at most 1, so no exponential overflows: for z >= 0 it is
    1 / (1 + e), for z < 0 it is e / (1 + e), the same function multiplied by e^z / e^z. Both stay
    accurate to the last bit for large |z| (sigmoid(-40) = 4.2e-18, not 0, as in PyTorch).
    """
    xp = get_array_module(z)
    e = xp.exp(-xp.abs(z))
    reciprocal = 1 / (1 + e)
    return xp.where(z >= 0, reciprocal, e * reciprocal)


class ELU(Function):
    """y = x if x > 0 else alpha (e^x - 1).    dL/dx = g if x > 0 else g alpha e^x = g (y + alpha).

    Clevert, Unterthiner and Hochreiter, "Fast and accurate deep network learning by exponential
    linear units (ELUs)", ICLR 2016: negative outputs push the mean activation towards zero, and
    the curve saturates at -alpha instead of cutting off. At x = 0 the slope is taken from the
    negative side, alpha, as PyTorch does.
    """

    def __init__(self, alpha: float):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        positive = x > 0
        # expm1 keeps e^x - 1 accurate for small |x|; the minimum keeps e^x from overflowing on the
        # positive side, whose values are thrown away.
        negative_part = self.alpha * xp.expm1(xp.minimum(x, 0))
        self.slope = xp.where(positive, 1, negative_part + self.alpha)  # dy/dx
        return xp.where(positive, x, negative_part)

    def backward(self, grad_out):
        return grad_out * self.slope


SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)  # the standard normal density's factor
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_TANH_CUBIC = 0.044715  # the tanh approximation's cubic coefficient, from the GELU paper


class GELU(Function):
    """y = x Phi(x), with Phi(x) = P(Z <= x) = (1 + erf(x / sqrt 2)) / 2 the standard normal CDF.

        dL/dx = g (Phi(x) + x phi(x)),    phi(x) = e^(-x^2/2) / sqrt(2 pi)   (product rule)

    Hendrycks and Gimpel, "Gaussian Error Linear Units (GELUs)", 2016: the input scaled by the
    probability that a standard normal variable is below it (BERT's and GPT's activation).
    Phi is computed as erfc(-x / sqrt 2) / 2, which keeps its full relative accuracy for very
    negative x, where 1 + erf(...) would cancel to 0.
    """

    def forward(self, x):
        self.x = x
        self.cdf = 0.5 * erfc(-x * SQRT_HALF)
        return x * self.cdf

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        pdf = xp.exp(-0.5 * self.x * self.x) * INV_SQRT_2PI
        return grad_out * (self.cdf + self.x * pdf)


class GELUTanh(Function):
    """GELU's tanh approximation (approximate='tanh'), as in the GELU paper and GPT-2:

        y = x (1 + t) / 2,    t = tanh(u),    u = sqrt(2/pi) (x + 0.044715 x^3)
        dL/dx = g ((1 + t) / 2 + x (1 - t^2) / 2 * sqrt(2/pi) (1 + 3 * 0.044715 x^2))

    It stays within 5e-4 of the exact GELU; models trained with it (GPT-2) need it to match.
    """

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        self.t = xp.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x))
        return 0.5 * x * (1 + self.t)

    def backward(self, grad_out):
        du_dx = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_CUBIC * self.x * self.x)
        return grad_out * (0.5 * (1 + self.t) + 0.5 * self.x * (1 - self.t * self.t) * du_dx)


class Softplus(Function):
    """y = (1/beta) log(1 + e^(beta x)), a smooth ReLU; y = x where beta x > threshold (as PyTorch).

        dL/dx = g sigmoid(beta x)      (g where beta x > threshold)

    log(1 + e^z) is computed as max(z, 0) + log(1 + e^-|z|): e^-|z| is at most 1, so nothing
    overflows for large z, and log1p keeps the tiny values of very negative z accurate. Above the
    threshold (20 by default) log(1 + e^z) and z differ by less than e^-20 ~ 2e-9, and PyTorch
    returns x itself.
    """

    def __init__(self, beta: float, threshold: float):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        z = self.beta * x
        linear = z > self.threshold
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / self.beta
        self.slope = xp.where(linear, 1, stable_sigmoid(z))  # dy/dx
        return xp.where(linear, x, soft)

    def backward(self, grad_out):
        return grad_out * self.slope


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, alpha * (e^x - 1) elsewhere (PyTorch's default alpha 1)."""
    x = activation_input("elu", x)
    return ELU(check_real("elu", "alpha", alpha))(x)


GELU_APPROXIMATIONS = ("none", "tanh")


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh formula instead."""
    x = activation_input("gelu", x)
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(f"gelu: approximate must be one of {GELU_APPROXIMATIONS}, got {approximate!r}")
    return GELU()(x) if approximate == "none" else GELUTanh()(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/beta) * log(1 + e^(beta x)), and x itself where beta * x > threshold (PyTorch's defaults)."""
    x = activation_input("softplus", x)
    beta = check_real("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero (the formula divides by it), got 0")
    return Softplus(beta, check_real("softplus", "threshold", threshold))(x)


# ------------------------------------------------------------------------------ the error function
#
# The exact GELU needs erf. NumPy has no erf (SciPy has, but it is not a dependency), so here is
# W. J. Cody's, the one behind many math libraries:
#     W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
#     631-638; coefficients from his Fortran routine CALERF (SPECFUN package on netlib, 1990).
# Each of three intervals of |x| gets its own rational function R = P/Q (a ratio of polynomials,
# chosen to minimize the largest relative error), good to about 18 significant digits in exact
# arithmetic, so float64 rounding is all that is left:
#     |x| <= 0.46875        erf(x)    = x R1(x^2)
#     0.46875 < |x| <= 4    erfc(|x|) = e^(-x^2) R2(|x|)
#     |x| > 4               erfc(|x|) = e^(-x^2) / |x| * (1/sqrt(pi) - R3(1/x^2) / x^2)
# and erfc(x) = 1 - erf(x), erf(-x) = -erf(x), erfc(-x) = 2 - erfc(x).
# Coefficients are listed from the highest power down (Horner's order); each Q is monic.

ERF_SMALL_P = (
    1.85777706184603153e-1,
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
)
ERF_SMALL_Q = (
    1.0,
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
ERFC_MIDDLE_P = (
    2.15311535474403846e-8,
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
)
ERFC_MIDDLE_Q = (
    1.0,
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
ERFC_TAIL_P = (
    1.63153871373020978e-2,
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
)
ERFC_TAIL_Q = (
    1.0,
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
ERF_SMALL_END = 0.46875  # where the first interval ends
ERFC_MIDDLE_END = 4.0
ERFC_ZERO_FROM = 26.543  # erfc(x) < 2.2e-308, the smallest normal float64, from here on: Cody returns 0

INV_SQRT_PI = 1 / math.sqrt(math.pi)


def rational(p: tuple, q: tuple, t):
    """P(t) / Q(t), both polynomials evaluated by Horner's rule: (((c0 t + c1) t + c2) t + ...)."""
    numerator, denominator = p[0], q[0]
    for coefficient in p[1:]:
        numerator = numerator * t + coefficient
    for coefficient in q[1:]:
        denominator = denominator * t + coefficient
    return numerator / denominator


def exp_minus_square(y):
    """e^(-y^2), without the error of rounding y^2 first.

    y^2 rounded to floating point is off by up to y^2 * 2^-53, and e^(-y^2) inherits that as a
    relative error: 8e-14 at y = 26. Cody splits y^2 = s^2 + (y - s)(y + s), s = y rounded down to a
    multiple of 1/16: s^2 is exact (few significant bits) and the remainder is small and accurate.
    """
    xp = get_array_module(y)
    s = xp.trunc(y * 16) / 16
    return xp.exp(-s * s) * xp.exp(-(y - s) * (y + s))


def erfc_of_magnitude(y):
    """erfc(y) for y = |x| beyond the first interval, by the middle and tail formulas.

    Vectorized code evaluates both formulas on every element and keeps one (`pick`), so each sees
    its inputs clipped into its own interval first: outside it a polynomial could overflow (and
    warn) on values that are thrown away anyway.
    """
    xp = get_array_module(y)
    middle = rational(ERFC_MIDDLE_P, ERFC_MIDDLE_Q, xp.clip(y, ERF_SMALL_END, ERFC_MIDDLE_END))
    far = xp.clip(y, ERFC_MIDDLE_END, ERFC_ZERO_FROM)
    inv_square = 1 / (far * far)
    tail = (INV_SQRT_PI - inv_square * rational(ERFC_TAIL_P, ERFC_TAIL_Q, inv_square)) / far
    scaled = pick(y <= ERFC_MIDDLE_END, middle, tail)  # erfc(y) e^(y^2)
    value = exp_minus_square(xp.minimum(y, ERFC_ZERO_FROM)) * scaled
    return value * (y < ERFC_ZERO_FROM)  # 0 from there on; NaN stays NaN (NaN * False is NaN)


def pick(condition, chosen, other):
    """xp.where(condition, chosen, other) done by arithmetic, for the erf formulas' candidates, which are
    finite (each formula sees its inputs clipped into its interval) or NaN on both sides (a NaN input):

        chosen * condition + other * (not condition)

    Exact: a product with True is the value itself, with False a zero, and adding a zero changes
    nothing (but the sign of a zero result). Why not where: NumPy's where branches on every element,
    and on a condition that changes at random along the array, as the sign of x does on a layer's
    activations, the processor mispredicts about half of those branches. Measured on 278,528 float32
    (128 x 17 x 128, the MLP activations of demos/vit_mnist.py's ViT), median times: where 2.13 ms
    on a random condition but 0.34 ms on the same condition sorted; this arithmetic 0.36 ms and
    0.33 ms. F.gelu forward + backward on that array: 13.2 ms with pick against 15.5 ms with where;
    the demo's whole training step: 122 ms against 149 ms (2026-12-07, one thread, 2-core x86_64;
    the two versions timed in alternating blocks of calls on the same arrays).
    """
    return chosen * condition + other * ~condition


def erf_near_zero(x):
    """erf(x) for |x| <= 0.46875 (other entries are clipped there: the caller discards them)."""
    xp = get_array_module(x)
    near = xp.clip(x, -ERF_SMALL_END, ERF_SMALL_END)
    return near * rational(ERF_SMALL_P, ERF_SMALL_Q, near * near)


def erf(x):
    """The error function erf(x) = (2 / sqrt(pi)) * integral from 0 to x of e^(-t^2) dt, on an array.

    Cody's rational approximations (see above): within a few float64 roundings of the true value.
    Works on NumPy and CuPy arrays and keeps their floating dtype; not a Tensor op (no gradient).
    """
    xp = get_array_module(x)
    y = xp.abs(x)
    complement = erfc_of_magnitude(y)
    far = pick(x < 0, complement - 1, 1 - complement)
    return pick(y <= ERF_SMALL_END, erf_near_zero(x), far)


def erfc(x):
    """The complementary error function erfc(x) = 1 - erf(x), on an array, with full relative
    accuracy in the right tail (where 1 - erf(x) would cancel to 0): erfc(10) = 2.09e-45."""
    xp = get_array_module(x)
    y = xp.abs(x)
    complement = erfc_of_magnitude(y)
    far = pick(x < 0, 2 - complement, complement)
    return pick(y <= ERF_SMALL_END, 1 - erf_near_zero(x), far)
