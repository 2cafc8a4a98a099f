"""What every optimizer inherits from Optimizer (tinyconv/optim/optimizer.py): its parameters and
groups, zero_grad, steps that skip parameters without a gradient and keep float32, and saving and
resuming through state_dict.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array
from helpers.optimizers import quadratic_gradient

import tinyconv
import tinyconv.functional as F
from tinyconv import nn, optim
from tinyconv.nn import Parameter

# ------------------------------------------------------------------------------ parameters and groups


def test_an_optimizer_given_one_tensor_instead_of_a_list_says_so():
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="got a single Tensor; wrap it in a list"):
        optim.SGD(layer.weight, lr=0.1)


def test_an_optimizer_refuses_non_leaf_tensors():
    w = tinyconv.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


@pytest.mark.parametrize("optimizer_class", [optim.Adagrad, optim.RMSprop, optim.AdamW])
def test_parameter_groups_have_their_own_learning_rates(optimizer_class):
    slow, fast = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    optimizer = optimizer_class([{"params": [slow]}, {"params": [fast], "lr": 0.1}], lr=0.001)
    slow.grad, fast.grad = np.array([1.0]), np.array([1.0])
    optimizer.step()
    # the same gradient and state, so the moves differ by exactly the ratio of the learning rates
    assert (1.0 - fast.data[0]) / (1.0 - slow.data[0]) == pytest.approx(100.0, rel=1e-9)


def test_optimizer_zero_grad_sets_every_gradient_to_none():
    parameters = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    optimizer = optim.Adam(parameters)
    for p in parameters:
        p.grad = np.ones(p.shape)
    optimizer.zero_grad()
    assert all(p.grad is None for p in parameters)


# ------------------------------------------------------------------------------ a step


@pytest.mark.parametrize("optimizer_class", [optim.Adagrad, optim.RMSprop, optim.AdamW])
def test_step_leaves_a_parameter_without_gradient_alone(optimizer_class):
    with_grad, without_grad = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    optimizer = optimizer_class([with_grad, without_grad])
    with_grad.grad = np.array([1.0])
    optimizer.step()
    assert with_grad.data[0] < 1.0
    assert without_grad.data[0] == 1.0
    assert without_grad not in optimizer.state


@pytest.mark.parametrize("optimizer_class", [optim.Adagrad, optim.RMSprop, optim.AdamW])
def test_step_keeps_float32_parameters_float32(optimizer_class):
    parameter = Parameter(np.ones(3, dtype=np.float32))
    optimizer = optimizer_class([parameter], weight_decay=0.01)
    parameter.grad = np.ones(3, dtype=np.float32)
    optimizer.step()
    assert parameter.dtype == np.float32
    assert all(
        value.dtype == np.float32 for value in optimizer.state[parameter].values() if hasattr(value, "dtype")
    )


# ------------------------------------------------------------------------------ saving and resuming


RESUMABLE = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "SGD with dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01),
    "Adam": lambda p: optim.Adam(p, lr=0.05, weight_decay=0.01),
    "Adagrad": lambda p: optim.Adagrad(
        p, lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.1
    ),
    "RMSprop centered with momentum": lambda p: optim.RMSprop(
        p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01
    ),
    "AdamW": lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_a_restored_optimizer_continues_exactly_like_the_original(name):
    make = RESUMABLE[name]
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


def test_load_state_dict_refuses_a_different_number_of_parameters():
    saved = optim.SGD([Parameter(np.ones(2))], lr=0.1).state_dict()
    optimizer = optim.SGD([Parameter(np.ones(2)), Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="\\[1\\].*\\[2\\]"):
        optimizer.load_state_dict(saved)


def test_optimizer_state_cannot_be_loaded_into_another_kind_of_optimizer():
    layer = nn.Linear(3, 2)
    sgd = optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    F.mse_loss(layer(tinyconv.randn(4, 3)), tinyconv.randn(4, 2)).backward()
    sgd.step()
    with pytest.raises(ValueError, match="saved by SGD; it can only be loaded into a SGD"):
        optim.Adam(layer.parameters()).load_state_dict(sgd.state_dict())


def test_adamw_state_cannot_be_loaded_into_adam():
    # the same state keys, but a different update: the kind is checked, not only the keys
    parameter = Parameter(np.ones(2))
    adamw = optim.AdamW([parameter])
    parameter.grad = np.ones(2)
    adamw.step()
    with pytest.raises(ValueError, match="saved by AdamW"):
        optim.Adam([Parameter(np.ones(2))]).load_state_dict(adamw.state_dict())
