"""Adagrad (tinyconv/optim/adagrad.py): its update rule against Duchi et al.'s formula written out in
NumPy, steps worked out by hand, its arguments, and torch.optim.Adagrad.
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


def adagrad_formula(
    p, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10
) -> list:
    """Duchi et al.'s Adagrad as PyTorch writes it: p -= lr_t * g / (sqrt(sum of g^2 so far) + eps)."""
    accumulated = np.full_like(p, initial_accumulator_value)
    history = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        accumulated = accumulated + g**2
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(accumulated) + eps)
        history.append(p)
    return history


# each setting turns on one option of the update rule
ADAGRAD_SETTINGS = {
    "Adagrad defaults": {},
    "Adagrad lr decay": {"lr": 0.1, "lr_decay": 0.5},
    "Adagrad weight decay": {"lr": 0.1, "weight_decay": 0.1},
    "Adagrad initial accumulator": {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
}


@pytest.mark.parametrize("name", list(ADAGRAD_SETTINGS))
def test_optimizer_follows_the_update_formula(name):
    assert_follows_the_update_formula(optim.Adagrad, adagrad_formula, ADAGRAD_SETTINGS[name], rtol=1e-10)


# ------------------------------------------------------------------------------ small cases by hand


def test_first_adagrad_step_moves_by_the_learning_rate_against_the_gradient_sign():
    # after one step sum = g^2, so the update is lr * g / |g|
    history = run_tinyconv(optim.Adagrad, np.array([1.0, 1.0]), [np.array([0.5, -3.0])], lr=0.1)
    np.testing.assert_allclose(history[0], [0.9, 1.1], rtol=1e-9)


def test_adagrad_steps_shrink_as_squared_gradients_accumulate():
    # the same gradient 1 every step: sum = t, so step t moves lr / sqrt(t)
    history = run_tinyconv(optim.Adagrad, np.array([0.0]), [np.array([1.0])] * 4, lr=1.0)
    moves = -np.diff(np.concatenate([[0.0], np.concatenate(history)]))
    np.testing.assert_allclose(moves, 1 / np.sqrt([1.0, 2.0, 3.0, 4.0]), rtol=1e-9)


# ------------------------------------------------------------------------------ arguments


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.Adagrad(p, lr=-0.1), "Adagrad: lr must be non-negative, got -0.1"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), "Adagrad: lr_decay must be non-negative"),
        (lambda p: optim.Adagrad(p, weight_decay=-1), "Adagrad: weight_decay must be non-negative"),
        (
            lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
            "Adagrad: initial_accumulator_value must be non-negative",
        ),
        (lambda p: optim.Adagrad(p, eps=-1e-10), "Adagrad: eps must be non-negative"),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


# ------------------------------------------------------------------------------ against torch.optim


@pytest.mark.parametrize("name", list(ADAGRAD_SETTINGS))
def test_optimizer_matches_torch(torch, name):
    assert_matches_torch(torch, optim.Adagrad, ADAGRAD_SETTINGS[name])


@pytest.mark.parametrize("name", list(ADAGRAD_SETTINGS))
def test_optimizer_matches_torch_in_float64_to_rounding(torch, name):
    assert_matches_torch_in_float64_to_rounding(torch, optim.Adagrad, ADAGRAD_SETTINGS[name])
