"""AdamW (tinyconv/optim/adamw.py): its update rule against Loshchilov & Hutter's formula written out in
NumPy, decoupled weight decay worked out by hand (and beside Adam's), its arguments, and torch.optim.AdamW.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array
from helpers.optimizers import (
    assert_follows_the_update_formula,
    assert_matches_torch,
    assert_matches_torch_in_float64_to_rounding,
    gradient_sequence,
    run_tinyconv,
)

from tinyconv import optim
from tinyconv.nn import Parameter

# ------------------------------------------------------------------------------ the formula, in NumPy


def adamw_formula(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2) -> list:
    """Loshchilov & Hutter's AdamW: shrink p by (1 - lr * wd), then Adam's step in the paper's arrangement."""
    beta1, beta2 = betas
    m, v = np.zeros_like(p), np.zeros_like(p)
    history = []
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(p)
    return history


# each setting turns on one option of the update rule
ADAMW_SETTINGS = {
    "AdamW defaults": {},
    "AdamW large decay, other betas": {"lr": 0.1, "betas": (0.8, 0.99), "weight_decay": 0.5},
    "AdamW no decay": {"lr": 0.01, "weight_decay": 0.0},
}


@pytest.mark.parametrize("name", list(ADAMW_SETTINGS))
def test_optimizer_follows_the_update_formula(name):
    assert_follows_the_update_formula(optim.AdamW, adamw_formula, ADAMW_SETTINGS[name], rtol=1e-10)


# ------------------------------------------------------------------------------ small cases by hand


def test_adamw_with_zero_gradient_only_shrinks_the_weights_by_one_minus_lr_times_decay():
    history = run_tinyconv(optim.AdamW, np.array([2.0, -4.0]), [np.zeros(2)] * 3, lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(history[-1], np.array([2.0, -4.0]) * 0.95**3, rtol=1e-12)


def test_adamw_decay_does_not_depend_on_the_gradient_scale_unlike_adam_weight_decay():
    # Two weights of the same size whose gradients differ 1000-fold. Adam folds the decay into g
    # and then divides by sqrt(v): the large-gradient weight hardly feels it. AdamW shrinks both by
    # the same factor, so the decay's share of each move is the same lr * wd * p.
    start = np.array([1.0, 1.0])
    grads = [np.array([1000.0, 1.0])]
    decayed = run_tinyconv(optim.AdamW, start, grads, lr=0.1, weight_decay=0.5)[0]
    undecayed = run_tinyconv(optim.AdamW, start, grads, lr=0.1, weight_decay=0.0)[0]
    np.testing.assert_allclose(undecayed - decayed, [0.05, 0.05], rtol=1e-9)
    adam_decayed = run_tinyconv(optim.Adam, start, grads, lr=0.1, weight_decay=0.5)[0]
    adam_undecayed = run_tinyconv(optim.Adam, start, grads, lr=0.1, weight_decay=0.0)[0]
    assert abs(adam_undecayed[0] - adam_decayed[0]) < 1e-9  # the decay vanished under g = 1000


def test_adamw_without_weight_decay_is_adam():
    start = random_array(6, seed=4)
    grads = gradient_sequence((6,), seed=5)
    adamw = run_tinyconv(optim.AdamW, start, grads, lr=0.05, weight_decay=0.0)
    adam = run_tinyconv(optim.Adam, start, grads, lr=0.05)
    np.testing.assert_array_equal(adamw[-1], adam[-1])


# ------------------------------------------------------------------------------ arguments


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.AdamW(p, lr=-1.0), "AdamW: lr must be non-negative"),
        (lambda p: optim.AdamW(p, betas=(0.9, 1.0)), r"AdamW: betas\[1\] must be in \[0, 1\), got 1.0"),
        (lambda p: optim.AdamW(p, weight_decay=-0.01), "AdamW: weight_decay must be non-negative, got -0.01"),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


# ------------------------------------------------------------------------------ against torch.optim


@pytest.mark.parametrize("name", list(ADAMW_SETTINGS))
def test_optimizer_matches_torch(torch, name):
    assert_matches_torch(torch, optim.AdamW, ADAMW_SETTINGS[name])


@pytest.mark.parametrize("name", list(ADAMW_SETTINGS))
def test_optimizer_matches_torch_in_float64_to_rounding(torch, name):
    assert_matches_torch_in_float64_to_rounding(torch, optim.AdamW, ADAMW_SETTINGS[name])
