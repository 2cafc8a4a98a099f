"""Adadelta (tinyconv/optim/adadelta.py): its update rule against Zeiler's formula written out in NumPy, a
first step worked out by hand, its arguments and defaults, and torch.optim.Adadelta step by step.
"""

from __future__ import annotations

import math

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


def adadelta_formula(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0) -> list:
    """Zeiler's Adadelta (his Algorithm 1, with PyTorch's lr and weight decay), RMS[y] = sqrt(E[y^2] + eps):
    E[g^2] = rho E[g^2] + (1 - rho) g^2;  dx = -RMS[dx]_{t-1} / RMS[g]_t g;
    E[dx^2] = rho E[dx^2] + (1 - rho) dx^2;  x += lr dx."""
    mean_square_grad = np.zeros_like(p)
    mean_square_update = np.zeros_like(p)
    history = []
    for g in grads:
        g = g + weight_decay * p
        mean_square_grad = rho * mean_square_grad + (1 - rho) * g**2
        update = -np.sqrt(mean_square_update + eps) / np.sqrt(mean_square_grad + eps) * g
        mean_square_update = rho * mean_square_update + (1 - rho) * update**2
        p = p + lr * update
        history.append(p)
    return history


# each setting turns on one option of the update rule
ADADELTA_SETTINGS = {
    "Adadelta defaults": {},
    "Adadelta lr and rho": {"lr": 0.5, "rho": 0.5},
    "Adadelta eps": {"eps": 1e-3},
    "Adadelta weight decay": {"lr": 0.1, "weight_decay": 0.1},
}


@pytest.mark.parametrize("name", list(ADADELTA_SETTINGS))
def test_optimizer_follows_the_update_formula(name):
    assert_follows_the_update_formula(optim.Adadelta, adadelta_formula, ADADELTA_SETTINGS[name], rtol=1e-10)


# ------------------------------------------------------------------------------ small cases by hand


def test_first_adadelta_step_is_root_eps_over_the_gradients_rms_times_the_gradient():
    # step 1: E[g^2] = 0.1 g^2 and E[dx^2] = 0, so the step is sqrt(eps) / sqrt(0.1 g^2 + eps) * g
    g = np.array([0.5, -3.0])
    history = run_tinyconv(optim.Adadelta, np.array([1.0, 1.0]), [g])
    expected = 1.0 - math.sqrt(1e-6) / np.sqrt(0.1 * g**2 + 1e-6) * g
    np.testing.assert_allclose(history[0], expected, rtol=1e-12)


def test_adadelta_keeps_its_running_means_in_its_state():
    parameter = Parameter(np.array([1.0]))
    optimizer = optim.Adadelta([parameter], rho=0.5)
    parameter.grad = np.array([2.0])
    optimizer.step()
    state = optimizer.state[parameter]
    assert state["step"] == 1
    np.testing.assert_allclose(state["square_avg"], [0.5 * 4.0])
    delta = math.sqrt(1e-6) / math.sqrt(2.0 + 1e-6) * 2.0
    np.testing.assert_allclose(state["acc_delta"], [0.5 * delta**2])


# ------------------------------------------------------------------------------ arguments


def test_adadelta_defaults_are_pytorchs(torch):
    theirs = torch.optim.Adadelta([torch.nn.Parameter(torch.ones(1))]).defaults
    ours = optim.Adadelta([Parameter(np.ones(1))]).defaults
    assert (
        ours == {key: theirs[key] for key in ours} == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0}
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.Adadelta(p, lr=-1.0), "Adadelta: lr must be non-negative, got -1.0"),
        (lambda p: optim.Adadelta(p, rho=1.5), r"Adadelta: rho .* must be in \[0, 1\], got 1.5"),
        (lambda p: optim.Adadelta(p, rho=math.nan), r"Adadelta: rho .* must be in \[0, 1\], got nan"),
        (lambda p: optim.Adadelta(p, eps=-1e-6), "Adadelta: eps must be non-negative"),
        (lambda p: optim.Adadelta(p, weight_decay=-0.1), "Adadelta: weight_decay must be non-negative"),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


# ------------------------------------------------------------------------------ against torch.optim


@pytest.mark.parametrize("name", list(ADADELTA_SETTINGS))
def test_optimizer_matches_torch(torch, name):
    assert_matches_torch(torch, optim.Adadelta, ADADELTA_SETTINGS[name])


@pytest.mark.parametrize("name", list(ADADELTA_SETTINGS))
def test_optimizer_matches_torch_in_float64_to_rounding(torch, name):
    assert_matches_torch_in_float64_to_rounding(torch, optim.Adadelta, ADADELTA_SETTINGS[name])
