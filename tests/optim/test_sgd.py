"""SGD (tinyconv/optim/sgd.py): its update rule against PyTorch's documented formula written out in
NumPy, steps worked out by hand, its arguments, and torch.optim.SGD.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array
from helpers.optimizers import (
    assert_follows_the_update_formula,
    assert_matches_torch,
    gradient_sequence,
    run_tinyconv,
)

from tinyconv import optim
from tinyconv.nn import Parameter

# ------------------------------------------------------------------------------ the formula, in NumPy


def sgd_formula(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False) -> list:
    """PyTorch's documented SGD, with d the step direction and b the velocity:

    d = g + wd * p;  b = d on the first step, mu * b + (1 - dampening) * d afterwards;
    d = d + mu * b (Nesterov) or b.
    """
    history, velocity = [], None
    for g in grads:
        d = g + weight_decay * p
        if momentum:
            velocity = d if velocity is None else momentum * velocity + (1 - dampening) * d
            d = d + momentum * velocity if nesterov else velocity
        p = p - lr * d
        history.append(p)
    return history


SGD_SETTINGS = {
    "plain": {"lr": 0.1},
    "momentum": {"lr": 0.1, "momentum": 0.9},
    "nesterov": {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    "weight decay": {"lr": 0.1, "weight_decay": 0.01},
    "momentum and weight decay": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05},
    "dampening": {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
    "dampening and weight decay": {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05},
    "nesterov and weight decay": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
}


@pytest.mark.parametrize("name", list(SGD_SETTINGS))
def test_sgd_follows_the_update_formula(name):
    assert_follows_the_update_formula(optim.SGD, sgd_formula, SGD_SETTINGS[name], rtol=1e-12)


# ------------------------------------------------------------------------------ small cases by hand


def test_plain_sgd_step_is_learning_rate_times_gradient():
    history = run_tinyconv(optim.SGD, np.array([1.0, -1.0]), [np.array([0.5, 2.0])], lr=0.1)
    np.testing.assert_allclose(history[0], [0.95, -1.2])


def test_sgd_momentum_accumulates_velocity():
    history = run_tinyconv(optim.SGD, np.array([1.0]), [np.array([1.0])] * 2, lr=0.1, momentum=0.9)
    # velocity 1 then 0.9 * 1 + 1 = 1.9: the parameter moves 0.1, then 0.19
    np.testing.assert_allclose(np.concatenate(history), [0.9, 0.71])


def test_sgd_nesterov_looks_ahead_along_the_velocity():
    history = run_tinyconv(
        optim.SGD, np.array([1.0]), [np.array([1.0])] * 2, lr=0.1, momentum=0.9, nesterov=True
    )
    # step 1: v = 1, d = 1 + 0.9 * 1 = 1.9; step 2: v = 1.9, d = 1 + 0.9 * 1.9 = 2.71
    np.testing.assert_allclose(np.concatenate(history), [0.81, 0.539])


def test_sgd_dampening_scales_the_new_gradient_from_the_second_step_on():
    history = run_tinyconv(
        optim.SGD, np.array([1.0]), [np.array([1.0])] * 2, lr=0.1, momentum=0.9, dampening=0.5
    )
    # step 1: v = g = 1 (no dampening on the first step); step 2: v = 0.9 * 1 + (1 - 0.5) * 1 = 1.4
    np.testing.assert_allclose(np.concatenate(history), [0.9, 0.76])


def test_sgd_weight_decay_adds_decay_times_parameter_to_the_gradient():
    history = run_tinyconv(optim.SGD, np.array([2.0]), [np.array([0.0])], lr=0.5, weight_decay=0.1)
    np.testing.assert_allclose(history[0], [1.9])


def test_step_leaves_a_parameter_without_gradient_alone():
    with_grad = Parameter(np.array([1.0]))
    without_grad = Parameter(np.array([1.0]))
    optimizer = optim.SGD([with_grad, without_grad], lr=0.1, momentum=0.9)
    with_grad.grad = np.array([1.0])
    optimizer.step()
    assert with_grad.data[0] == 0.9
    assert without_grad.data[0] == 1.0


def test_parameter_groups_have_their_own_learning_rates():
    slow, fast = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    optimizer = optim.SGD([{"params": [slow]}, {"params": [fast], "lr": 1.0}], lr=0.1)
    slow.grad, fast.grad = np.array([1.0]), np.array([1.0])
    optimizer.step()
    assert (slow.data[0], fast.data[0]) == (0.9, 0.0)


# ------------------------------------------------------------------------------ arguments


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.SGD(p, lr=-0.1),
        lambda p: optim.SGD(p, lr=0.1, momentum=-0.5),
        lambda p: optim.SGD(p, lr=0.1, nesterov=True),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make):
    with pytest.raises(ValueError):
        make([Parameter(np.ones(2))])


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
            "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum 0.9 and dampening 0.1",
        ),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "needs momentum > 0 and dampening 0, got momentum 0"),
        (
            lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=-0.5),
            r"SGD: dampening .* must be in \[0, 1\], got -0.5",
        ),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=1.5), r"must be in \[0, 1\], got 1\.5"),
    ],
)
def test_sgd_explains_which_hyper_parameter_is_invalid(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


def test_sgd_refuses_a_nesterov_flag_that_is_not_a_bool():
    # 1e-4 in fifth place was weight decay in tinyconv's old argument order; it must not pass as True
    with pytest.raises(TypeError, match=r"SGD: nesterov must be True or False, got 0\.0001"):
        optim.SGD([Parameter(np.ones(2))], lr=0.1, nesterov=1e-4)


def test_sgd_positional_arguments_follow_torchs_order():
    # torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)
    optimizer = optim.SGD([Parameter(np.ones(2))], 0.1, 0.9, 0, 1e-4)
    group = optimizer.param_groups[0]
    assert (group["lr"], group["momentum"], group["dampening"]) == (0.1, 0.9, 0)
    assert (group["weight_decay"], group["nesterov"]) == (1e-4, False)


def test_sgd_state_saved_before_dampening_existed_loads_and_keeps_the_new_optimizers_dampening():
    # checkpoints written before SGD had `dampening` lack the key; the constructor's value stays
    saved = optim.SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9).state_dict()
    del saved["param_groups"][0]["dampening"]
    optimizer = optim.SGD([Parameter(np.ones(2))], lr=0.5, momentum=0.5)
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["momentum"] == 0.9
    assert optimizer.param_groups[0]["dampening"] == 0.0


# ------------------------------------------------------------------------------ against torch.optim


@pytest.mark.parametrize("name", list(SGD_SETTINGS))
def test_sgd_matches_torch(torch, name):
    assert_matches_torch(torch, optim.SGD, SGD_SETTINGS[name])


def test_sgd_called_positionally_matches_torch_called_the_same_way(torch):
    start = random_array(3, 4, seed=1)
    grads = gradient_sequence((3, 4))
    ours, theirs = Parameter(start.copy()), torch.nn.Parameter(torch.tensor(start))
    our_optimizer = optim.SGD([ours], 0.1, 0.9, 0, 1e-4)
    their_optimizer = torch.optim.SGD([theirs], 0.1, 0.9, 0, 1e-4)
    their_group = their_optimizer.param_groups[0]
    assert {key: their_group[key] for key in our_optimizer.defaults} == our_optimizer.defaults
    for step, grad in enumerate(grads, start=1):
        ours.grad, theirs.grad = grad, torch.tensor(grad)
        our_optimizer.step()
        their_optimizer.step()
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, err_msg=f"step {step}")
