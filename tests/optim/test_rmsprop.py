"""RMSprop (tinyconv/optim/rmsprop.py): its update rule against the formula PyTorch documents, written
out in NumPy, steps worked out by hand (and beside Adagrad's), its arguments, and torch.optim.RMSprop.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.optimizers import (
    assert_follows_the_update_formula,
    assert_matches_torch,
    assert_matches_torch_in_float64_to_rounding,
    run_tinyconv,
)

from tinyconv import optim
from tinyconv.nn import Parameter

# ------------------------------------------------------------------------------ the formula, in NumPy


def rmsprop_formula(
    p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
) -> list:
    """RMSprop as PyTorch documents it: divide g by the running RMS (or running std, centered) of g."""
    mean_square, mean, velocity = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    history = []
    for g in grads:
        g = g + weight_decay * p
        mean_square = alpha * mean_square + (1 - alpha) * g**2
        mean = alpha * mean + (1 - alpha) * g
        spread = np.sqrt(mean_square - mean**2) if centered else np.sqrt(mean_square)
        if momentum:
            velocity = momentum * velocity + g / (spread + eps)
            p = p - lr * velocity
        else:
            p = p - lr * g / (spread + eps)
        history.append(p)
    return history


# each setting turns on one option of the update rule
RMSPROP_SETTINGS = {
    "RMSprop defaults": {},
    "RMSprop alpha and eps": {"lr": 0.05, "alpha": 0.9, "eps": 1e-3},
    "RMSprop weight decay": {"weight_decay": 0.1},
    "RMSprop momentum": {"momentum": 0.9},
    "RMSprop centered": {"centered": True},
    "RMSprop centered, momentum, decay": {
        "lr": 0.02,
        "alpha": 0.8,
        "centered": True,
        "momentum": 0.5,
        "weight_decay": 0.05,
    },
}


@pytest.mark.parametrize("name", list(RMSPROP_SETTINGS))
def test_optimizer_follows_the_update_formula(name):
    assert_follows_the_update_formula(optim.RMSprop, rmsprop_formula, RMSPROP_SETTINGS[name], rtol=1e-10)


# ------------------------------------------------------------------------------ small cases by hand


def test_first_rmsprop_step_is_learning_rate_over_the_root_of_one_minus_alpha():
    # square_avg = (1 - alpha) g^2 after one step, so the update is lr * sign(g) / sqrt(1 - alpha)
    history = run_tinyconv(optim.RMSprop, np.array([1.0, 1.0]), [np.array([2.0, -0.5])], lr=0.01, alpha=0.99)
    np.testing.assert_allclose(history[0], [0.9, 1.1], rtol=1e-6)


def test_rmsprop_steps_keep_their_size_where_adagrad_steps_die_out():
    grads = [np.array([1.0])] * 200
    adagrad = run_tinyconv(optim.Adagrad, np.array([0.0]), grads, lr=0.1)
    rmsprop = run_tinyconv(optim.RMSprop, np.array([0.0]), grads, lr=0.01, alpha=0.9)
    last_adagrad_move = float(adagrad[-2][0] - adagrad[-1][0])  # lr / sqrt(200) = 0.0071
    last_rmsprop_move = float(rmsprop[-2][0] - rmsprop[-1][0])  # lr / sqrt(mean of g^2) = lr = 0.01
    assert last_adagrad_move == pytest.approx(0.1 / np.sqrt(200), rel=1e-6)
    assert last_rmsprop_move == pytest.approx(0.01, rel=1e-6)


# ------------------------------------------------------------------------------ arguments


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.RMSprop(p, lr=-0.01), "RMSprop: lr must be non-negative, got -0.01"),
        (lambda p: optim.RMSprop(p, alpha=1.0), r"RMSprop: alpha .* must be in \[0, 1\), got 1.0"),
        (lambda p: optim.RMSprop(p, alpha=-0.5), r"RMSprop: alpha .* must be in \[0, 1\), got -0.5"),
        (lambda p: optim.RMSprop(p, eps=-1.0), "RMSprop: eps must be non-negative"),
        (lambda p: optim.RMSprop(p, momentum=-0.9), "RMSprop: momentum must be non-negative"),
        (lambda p: optim.RMSprop(p, weight_decay=-0.1), "RMSprop: weight_decay must be non-negative"),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


# ------------------------------------------------------------------------------ against torch.optim


@pytest.mark.parametrize("name", list(RMSPROP_SETTINGS))
def test_optimizer_matches_torch(torch, name):
    assert_matches_torch(torch, optim.RMSprop, RMSPROP_SETTINGS[name])


@pytest.mark.parametrize("name", list(RMSPROP_SETTINGS))
def test_optimizer_matches_torch_in_float64_to_rounding(torch, name):
    assert_matches_torch_in_float64_to_rounding(torch, optim.RMSprop, RMSPROP_SETTINGS[name])
