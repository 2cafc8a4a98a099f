"""What every optimizer inherits from Optimizer (tinyconv/optim/optimizer.py): its parameters and
groups, hyper-parameters checked in every group (NaN, wrong types, betas of the wrong length) with
PyTorch's defaults, zero_grad, steps that skip parameters without a gradient and keep float32, and saving
and resuming through state_dict (a foreign dict says what is missing).
"""

from __future__ import annotations

import math

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


@pytest.mark.parametrize("optimizer_class", [optim.Adagrad, optim.RMSprop, optim.AdamW, optim.Adadelta])
def test_parameter_groups_have_their_own_learning_rates(optimizer_class):
    slow, fast = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    optimizer = optimizer_class([{"params": [slow]}, {"params": [fast], "lr": 0.1}], lr=0.001)
    slow.grad, fast.grad = np.array([1.0]), np.array([1.0])
    optimizer.step()
    # the same gradient and state, so the moves differ by exactly the ratio of the learning rates
    assert (1.0 - fast.data[0]) / (1.0 - slow.data[0]) == pytest.approx(100.0, rel=1e-9)


# ------------------------------------------------------------------------------ hyper-parameters


OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad, optim.RMSprop, optim.Adadelta]


def hyper_parameter_cases() -> list:
    """(optimizer, argument name) for every number argument an optimizer takes (not betas)."""
    cases = []
    for optimizer_class in OPTIMIZERS:
        defaults = optimizer_class([Parameter(np.ones(1))]).defaults
        cases += [(optimizer_class, name) for name, value in defaults.items() if type(value) in (int, float)]
    return cases


HYPER_PARAMETERS = hyper_parameter_cases()


def test_every_optimizer_has_lr_eps_or_momentum_and_weight_decay_in_the_table():
    names = {(cls.__name__, name) for cls, name in HYPER_PARAMETERS}
    assert {("SGD", "momentum"), ("RMSprop", "momentum"), ("Adam", "eps"), ("Adadelta", "rho")} <= names
    assert all(
        (cls.__name__, "lr") in names and (cls.__name__, "weight_decay") in names for cls in OPTIMIZERS
    )


@pytest.mark.parametrize("optimizer_class, name", HYPER_PARAMETERS, ids=lambda x: getattr(x, "__name__", x))
def test_a_nan_hyper_parameter_is_refused_naming_it(optimizer_class, name):
    with pytest.raises(ValueError, match=f"{optimizer_class.__name__}: {name}.* got nan"):
        optimizer_class([Parameter(np.ones(2))], **{name: math.nan})


@pytest.mark.parametrize("optimizer_class, name", HYPER_PARAMETERS, ids=lambda x: getattr(x, "__name__", x))
def test_a_hyper_parameter_of_the_wrong_type_is_refused_naming_it(optimizer_class, name):
    with pytest.raises(
        TypeError, match=f"{optimizer_class.__name__}: {name}.* must be a real number, got '0.1'"
    ):
        optimizer_class([Parameter(np.ones(2))], **{name: "0.1"})


@pytest.mark.parametrize("optimizer_class", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize(
    "betas, error, message",
    [
        ((0.9,), TypeError, r"betas must be a pair \(beta1, beta2\) of numbers in \[0, 1\), got \(0.9,\)"),
        ((0.9, 0.99, 0.999), TypeError, "betas must be a pair"),
        (0.9, TypeError, "betas must be a pair"),
        ((math.nan, 0.999), ValueError, r"betas\[0\] must be in \[0, 1\), got nan"),
        ((0.9, "0.999"), TypeError, r"betas\[1\] must be a real number, got '0.999'"),
    ],
)
def test_bad_betas_are_refused_naming_them(optimizer_class, betas, error, message):
    with pytest.raises(error, match=f"{optimizer_class.__name__}: {message}"):
        optimizer_class([Parameter(np.ones(2))], betas=betas)


def test_the_settings_of_every_group_are_checked_not_only_the_defaults():
    groups = [{"params": [Parameter(np.ones(1))]}, {"params": [Parameter(np.ones(1))], "lr": math.nan}]
    with pytest.raises(ValueError, match="SGD: lr must be non-negative, got nan"):
        optim.SGD(groups, lr=0.1)


@pytest.mark.parametrize("optimizer_class", OPTIMIZERS)
def test_defaults_are_pytorchs(torch, optimizer_class):
    ours = optimizer_class([Parameter(np.ones(1))]).defaults
    theirs = getattr(torch.optim, optimizer_class.__name__)([torch.nn.Parameter(torch.ones(1))]).defaults
    assert ours == {key: theirs[key] for key in ours}


def test_optimizer_zero_grad_sets_every_gradient_to_none():
    parameters = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    optimizer = optim.Adam(parameters)
    for p in parameters:
        p.grad = np.ones(p.shape)
    optimizer.zero_grad()
    assert all(p.grad is None for p in parameters)


def test_optimizer_zero_grad_without_set_to_none_zeroes_the_arrays_in_place():
    parameters = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    optimizer = optim.SGD(parameters, lr=0.1)
    grads = [np.ones(2), np.ones(3)]
    for p, g in zip(parameters, grads):
        p.grad = g
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(parameters, grads))


# ------------------------------------------------------------------------------ a step


@pytest.mark.parametrize("optimizer_class", [optim.Adagrad, optim.RMSprop, optim.AdamW, optim.Adadelta])
def test_step_leaves_a_parameter_without_gradient_alone(optimizer_class):
    with_grad, without_grad = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    optimizer = optimizer_class([with_grad, without_grad])
    with_grad.grad = np.array([1.0])
    optimizer.step()
    assert with_grad.data[0] < 1.0
    assert without_grad.data[0] == 1.0
    assert without_grad not in optimizer.state


@pytest.mark.parametrize("optimizer_class", [optim.Adagrad, optim.RMSprop, optim.AdamW, optim.Adadelta])
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
    "Adadelta": lambda p: optim.Adadelta(p, lr=0.5, rho=0.8, weight_decay=0.01),
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


def saved_sgd_state() -> dict:
    parameter = Parameter(np.ones(2))
    optimizer = optim.SGD([parameter], lr=0.1, momentum=0.9)
    parameter.grad = np.ones(2)
    optimizer.step()
    return optimizer.state_dict()


@pytest.mark.parametrize(
    "spoil, error, message",
    [
        (lambda state: state.pop("optimizer"), ValueError, r"has no \['optimizer'\] entry"),
        (lambda state: state.pop("param_groups"), ValueError, r"has no \['param_groups'\] entry"),
        (
            lambda state: state["param_groups"][0].pop("params"),
            ValueError,
            r"param_groups\[0\] has no 'params'",
        ),
        (
            lambda state: state["state"].update({5: {}}),
            ValueError,
            r"entry for parameter 5, .* parameters \[0\]",
        ),
        (
            lambda state: state["param_groups"][0].update(lr=math.nan),
            ValueError,
            "SGD: lr must be non-negative",
        ),
        (
            lambda state: state["param_groups"][0].update(momentum="0.9"),
            TypeError,
            "SGD: momentum must be a real number",
        ),
    ],
    ids=["no kind", "no groups", "a group without params", "an unknown parameter", "a NaN lr", "a string"],
)
def test_a_foreign_state_says_what_is_wrong_and_changes_nothing(spoil, error, message):
    parameter = Parameter(np.ones(2))
    optimizer = optim.SGD([parameter], lr=0.5, momentum=0.5)
    state = saved_sgd_state()
    spoil(state)
    with pytest.raises(error, match=message):
        optimizer.load_state_dict(state)
    assert optimizer.param_groups[0]["lr"] == 0.5 and optimizer.param_groups[0]["momentum"] == 0.5
    assert optimizer.state == {}


def test_a_torch_optimizer_state_is_recognized_and_refused(torch):
    their_optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="a torch.optim state dict cannot be loaded"):
        optim.SGD([Parameter(np.ones(2))], lr=0.1).load_state_dict(their_optimizer.state_dict())


def test_load_state_dict_needs_a_dict():
    with pytest.raises(
        TypeError, match="expected the dict that optimizer.state_dict\\(\\) returns, got list"
    ):
        optim.SGD([Parameter(np.ones(2))], lr=0.1).load_state_dict([])
