"""Inputs built for a test: seeded, float64 where gradients are checked, tie-free or kink-free where it
matters."""

from __future__ import annotations

import numpy as np

from tinyconv import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    """A leaf Tensor of the given values (float64 unless told) that requires grad."""
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def image(values) -> Tensor:
    """One image with one channel, (1, 1, H, W), from an H x W list: a float64 leaf that requires grad."""
    return Tensor(np.array(values, dtype=np.float64)[None, None], requires_grad=True)


def random_array(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Standard normal samples of the given shape, from a generator seeded for this test only."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def random_tensor(*shape: int, seed: int = 0, dtype=np.float64, requires_grad: bool = True) -> Tensor:
    """A Tensor of standard normal samples (float64 and requiring grad unless told otherwise)."""
    return Tensor(random_array(*shape, seed=seed, dtype=dtype), requires_grad=requires_grad)


def distinct_tensor(*shape: int, seed: int = 0, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor whose values are a random permutation of distinct numbers 0.1 apart.

    Max pooling and max reductions have a kink wherever two inputs tie; a finite-difference nudge of
    1e-6 cannot make two values 0.1 apart swap places, so gradient checks stay away from the kinks.
    """
    size = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(size) * 0.1 - 0.05 * size
    return Tensor(values.reshape(shape).astype(np.float64), requires_grad=requires_grad)


def away_from_zero_tensor(*shape: int, seed: int = 0, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor with |x| >= 0.1 everywhere: ReLU-like kinks at 0 are out of a nudge's reach."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.1, 2.0, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return Tensor(magnitude * sign, requires_grad=requires_grad)


def positive_tensor(*shape: int, seed: int = 0) -> Tensor:
    """float64 values in [0.5, 2]: safe for log, division and a tensor exponent's ln(base)."""
    return Tensor(np.random.default_rng(seed).uniform(0.5, 2.0, size=shape), requires_grad=True)


def uniform_tensor(*shape: int, low: float, high: float, seed: int = 0) -> Tensor:
    """A float64 leaf of uniform samples in [low, high]."""
    return Tensor(np.random.default_rng(seed).uniform(low, high, size=shape), requires_grad=True)


def float32_ones(*shape: int) -> Tensor:
    """A float32 Tensor of ones, not requiring grad: an input whose values do not matter (bad-input tests)."""
    return Tensor(np.ones(shape, dtype=np.float32))
