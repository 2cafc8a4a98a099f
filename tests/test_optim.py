"""SGD and Adam (tinyconv/optim): update rules against the formulas written out in NumPy, and torch.optim."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array

from tinyconv import optim
from tinyconv.nn import Parameter

STEPS = 5


def gradient_sequence(shape: tuple, seed: int = 0) -> list:
    """STEPS gradients, fixed in advance, so a step's update depends only on the optimizer."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(STEPS)]


def run_tinyconv(optimizer_class, start: np.ndarray, grads: list, **hyper) -> list:
    """The parameter after each step when `optimizer_class(**hyper)` receives `grads` one by one."""
    parameter = Parameter(start.copy())
    optimizer = optimizer_class([parameter], **hyper)
    history = []
    for grad in grads:
        parameter.grad = grad.astype(start.dtype)
        optimizer.step()
        history.append(parameter.data.copy())
    return history


# ------------------------------------------------------------------------------ the formulas, in NumPy


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

ADAM_SETTINGS = {
    "defaults": {},
    "large lr, other betas": {"lr": 0.1, "betas": (0.8, 0.99)},
    "weight decay": {"lr": 0.01, "weight_decay": 0.1},
}


@pytest.mark.parametrize("name", list(SGD_SETTINGS))
def test_sgd_follows_the_update_formula(name):
    hyper = SGD_SETTINGS[name]
    start = random_array(3, 4, seed=1)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optim.SGD, start, grads, **hyper)
    expected = sgd_formula(start, grads, **hyper)
    for step in range(STEPS):
        np.testing.assert_allclose(
            ours[step], expected[step], rtol=1e-12, atol=1e-12, err_msg=f"step {step + 1}"
        )


@pytest.mark.parametrize("name", list(ADAM_SETTINGS))
def test_adam_follows_the_update_formula(name):
    hyper = ADAM_SETTINGS[name]
    start = random_array(3, 4, seed=1)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optim.Adam, start, grads, **hyper)
    expected = adam_formula(start, grads, **hyper)
    for step in range(STEPS):
        np.testing.assert_allclose(
            ours[step], expected[step], rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}"
        )


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


def test_first_adam_step_moves_by_the_learning_rate_against_the_gradient_sign():
    # after one step m_hat = g and v_hat = g^2, so the update is lr * g / |g|
    history = run_tinyconv(optim.Adam, np.array([1.0, 1.0]), [np.array([0.5, -3.0])], lr=0.1)
    np.testing.assert_allclose(history[0], [0.9, 1.1], rtol=1e-7)


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


def test_optimizer_zero_grad_sets_every_gradient_to_none():
    parameters = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    optimizer = optim.Adam(parameters)
    for p in parameters:
        p.grad = np.ones(p.shape)
    optimizer.zero_grad()
    assert all(p.grad is None for p in parameters)


def test_step_keeps_float32_parameters_float32():
    parameter = Parameter(np.ones(3, dtype=np.float32))
    optimizer = optim.Adam([parameter], lr=0.1, weight_decay=0.01)
    parameter.grad = np.ones(3, dtype=np.float32)
    optimizer.step()
    assert parameter.dtype == np.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.SGD(p, lr=0.0),
        lambda p: optim.SGD(p, lr=0.1, momentum=-0.5),
        lambda p: optim.SGD(p, lr=0.1, nesterov=True),
        lambda p: optim.Adam(p, lr=-1.0),
        lambda p: optim.Adam(p, betas=(1.0, 0.999)),
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
            "SGD: dampening must be between 0 and 1",
        ),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=1.5), r"between 0 and 1 .*got 1\.5"),
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


# ------------------------------------------------------------------------------ saving and resuming


def quadratic_gradient(parameter, target) -> None:
    """Set the gradient of sum((p - target)^2): it depends on p, so a wrong resume shows up."""
    parameter.grad = 2 * (parameter.data - target)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01),
        lambda p: optim.Adam(p, lr=0.05, weight_decay=0.01),
    ],
    ids=["SGD", "SGD with dampening", "Adam"],
)
def test_a_restored_optimizer_continues_exactly_like_the_original(make):
    target = random_array(4, seed=9)
    original = Parameter(random_array(4, seed=1))
    optimizer = make([original])
    for _ in range(3):
        quadratic_gradient(original, target)
        optimizer.step()
    saved_state = optimizer.state_dict()
    saved_parameter = original.data.copy()

    for _ in range(3):  # the original keeps going (and must not change the saved state)
        quadratic_gradient(original, target)
        optimizer.step()

    restored = Parameter(saved_parameter)
    restored_optimizer = make([restored])
    restored_optimizer.load_state_dict(saved_state)
    for _ in range(3):
        quadratic_gradient(restored, target)
        restored_optimizer.step()
    np.testing.assert_array_equal(restored.data, original.data)


def test_load_state_dict_restores_the_hyper_parameters():
    saved = optim.SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9, dampening=0.2).state_dict()
    optimizer = optim.SGD([Parameter(np.ones(2))], lr=0.5)
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["lr"] == 0.1
    assert optimizer.param_groups[0]["momentum"] == 0.9
    assert optimizer.param_groups[0]["dampening"] == 0.2


def test_sgd_state_saved_before_dampening_existed_loads_and_keeps_the_new_optimizers_dampening():
    # checkpoints written before SGD had `dampening` lack the key; the constructor's value stays
    saved = optim.SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9).state_dict()
    del saved["param_groups"][0]["dampening"]
    optimizer = optim.SGD([Parameter(np.ones(2))], lr=0.5, momentum=0.5)
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["momentum"] == 0.9
    assert optimizer.param_groups[0]["dampening"] == 0.0


def test_load_state_dict_refuses_a_different_number_of_parameters():
    saved = optim.SGD([Parameter(np.ones(2))], lr=0.1).state_dict()
    optimizer = optim.SGD([Parameter(np.ones(2)), Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="\\[1\\].*\\[2\\]"):
        optimizer.load_state_dict(saved)


# ------------------------------------------------------------------------------ against torch.optim


def run_torch(torch, optimizer_class, start: np.ndarray, grads: list, **hyper) -> list:
    parameter = torch.nn.Parameter(torch.tensor(start))
    optimizer = optimizer_class([parameter], **hyper)
    history = []
    for grad in grads:
        parameter.grad = torch.tensor(grad.astype(start.dtype))
        optimizer.step()
        history.append(parameter.detach().numpy().copy())
    return history


@pytest.mark.parametrize("name", list(SGD_SETTINGS))
def test_sgd_matches_torch(name):
    torch = pytest.importorskip("torch")
    hyper = SGD_SETTINGS[name]
    start = random_array(3, 4, seed=1, dtype=np.float32)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optim.SGD, start, grads, **hyper)
    theirs = run_torch(torch, torch.optim.SGD, start, grads, **hyper)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"step {step + 1}")


def test_sgd_called_positionally_matches_torch_called_the_same_way():
    torch = pytest.importorskip("torch")
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


@pytest.mark.parametrize("name", list(ADAM_SETTINGS))
def test_adam_matches_torch(name):
    torch = pytest.importorskip("torch")
    hyper = ADAM_SETTINGS[name]
    start = random_array(3, 4, seed=1, dtype=np.float32)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optim.Adam, start, grads, **hyper)
    theirs = run_torch(torch, torch.optim.Adam, start, grads, **hyper)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"step {step + 1}")


def test_adam_matches_torch_in_float64_to_rounding():
    torch = pytest.importorskip("torch")
    start = random_array(5, seed=2)
    grads = gradient_sequence((5,), seed=3)
    ours = run_tinyconv(optim.Adam, start, grads, lr=0.01)
    theirs = run_torch(torch, torch.optim.Adam, start, grads, lr=0.01)
    assert math.isclose(float(np.abs(ours[-1] - theirs[-1]).max()), 0.0, abs_tol=1e-14)
