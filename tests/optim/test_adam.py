"""Adam (tinyconv/optim/adam.py): its update rule against Kingma & Ba's formula written out in NumPy, a
step worked out by hand, its arguments, and torch.optim.Adam.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array
from helpers.optimizers import (
    assert_follows_the_update_formula,
    assert_matches_torch,
    gradient_sequence,
    run_tinyconv,
    run_torch,
)

from tinyconv import optim
from tinyconv.nn import Parameter

# ------------------------------------------------------------------------------ the formula, in NumPy


def adam_formula(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) -> list:
    """Kingma & Ba's Adam, in the paper's arrangement: p -= lr * m_hat / (sqrt(v_hat) + eps)."""
    beta1, beta2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    history = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(p)
    return history


ADAM_SETTINGS = {
    "defaults": {},
    "large lr, other betas": {"lr": 0.1, "betas": (0.8, 0.99)},
    "weight decay": {"lr": 0.01, "weight_decay": 0.1},
}


@pytest.mark.parametrize("name", list(ADAM_SETTINGS))
def test_adam_follows_the_update_formula(name):
    assert_follows_the_update_formula(optim.Adam, adam_formula, ADAM_SETTINGS[name], rtol=1e-10)


# ------------------------------------------------------------------------------ small cases by hand


def test_first_adam_step_moves_by_the_learning_rate_against_the_gradient_sign():
    # after one step m_hat = g and v_hat = g^2, so the update is lr * g / |g|
    history = run_tinyconv(optim.Adam, np.array([1.0, 1.0]), [np.array([0.5, -3.0])], lr=0.1)
    np.testing.assert_allclose(history[0], [0.9, 1.1], rtol=1e-7)


def test_step_keeps_float32_parameters_float32():
    parameter = Parameter(np.ones(3, dtype=np.float32))
    optimizer = optim.Adam([parameter], lr=0.1, weight_decay=0.01)
    parameter.grad = np.ones(3, dtype=np.float32)
    optimizer.step()
    assert parameter.dtype == np.float32


# ------------------------------------------------------------------------------ arguments


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.Adam(p, lr=-1.0),
        lambda p: optim.Adam(p, betas=(1.0, 0.999)),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make):
    with pytest.raises(ValueError):
        make([Parameter(np.ones(2))])


# ------------------------------------------------------------------------------ against torch.optim


@pytest.mark.parametrize("name", list(ADAM_SETTINGS))
def test_adam_matches_torch(torch, name):
    assert_matches_torch(torch, optim.Adam, ADAM_SETTINGS[name])


def test_adam_matches_torch_in_float64_to_rounding(torch):
    start = random_array(5, seed=2)
    grads = gradient_sequence((5,), seed=3)
    ours = run_tinyconv(optim.Adam, start, grads, lr=0.01)
    theirs = run_torch(torch, torch.optim.Adam, start, grads, lr=0.01)
    assert math.isclose(float(np.abs(ours[-1] - theirs[-1]).max()), 0.0, abs_tol=1e-14)
