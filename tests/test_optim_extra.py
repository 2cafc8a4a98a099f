"""Adagrad, RMSprop and AdamW (tinyconv/optim): update rules against the formulas in NumPy and torch.optim."""

from __future__ import annotations

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


def run_torch(torch, optimizer_class, start: np.ndarray, grads: list, **hyper) -> list:
    parameter = torch.nn.Parameter(torch.tensor(start))
    optimizer = optimizer_class([parameter], **hyper)
    history = []
    for grad in grads:
        parameter.grad = torch.tensor(grad.astype(start.dtype))
        optimizer.step()
        history.append(parameter.detach().numpy().copy())
    return history


# ------------------------------------------------------------------------------ the formulas, in NumPy


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


# (optimizer, formula, settings): each setting turns on one option of the update rule.
CASES = {
    "Adagrad defaults": (optim.Adagrad, adagrad_formula, {}),
    "Adagrad lr decay": (optim.Adagrad, adagrad_formula, {"lr": 0.1, "lr_decay": 0.5}),
    "Adagrad weight decay": (optim.Adagrad, adagrad_formula, {"lr": 0.1, "weight_decay": 0.1}),
    "Adagrad initial accumulator": (
        optim.Adagrad,
        adagrad_formula,
        {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
    ),
    "RMSprop defaults": (optim.RMSprop, rmsprop_formula, {}),
    "RMSprop alpha and eps": (optim.RMSprop, rmsprop_formula, {"lr": 0.05, "alpha": 0.9, "eps": 1e-3}),
    "RMSprop weight decay": (optim.RMSprop, rmsprop_formula, {"weight_decay": 0.1}),
    "RMSprop momentum": (optim.RMSprop, rmsprop_formula, {"momentum": 0.9}),
    "RMSprop centered": (optim.RMSprop, rmsprop_formula, {"centered": True}),
    "RMSprop centered, momentum, decay": (
        optim.RMSprop,
        rmsprop_formula,
        {"lr": 0.02, "alpha": 0.8, "centered": True, "momentum": 0.5, "weight_decay": 0.05},
    ),
    "AdamW defaults": (optim.AdamW, adamw_formula, {}),
    "AdamW large decay, other betas": (
        optim.AdamW,
        adamw_formula,
        {"lr": 0.1, "betas": (0.8, 0.99), "weight_decay": 0.5},
    ),
    "AdamW no decay": (optim.AdamW, adamw_formula, {"lr": 0.01, "weight_decay": 0.0}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_optimizer_follows_the_update_formula(name):
    optimizer_class, formula, hyper = CASES[name]
    start = random_array(3, 4, seed=1)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optimizer_class, start, grads, **hyper)
    expected = formula(start, grads, **hyper)
    for step in range(STEPS):
        np.testing.assert_allclose(
            ours[step], expected[step], rtol=1e-10, atol=1e-12, err_msg=f"step {step + 1}"
        )


@pytest.mark.parametrize("name", list(CASES))
def test_optimizer_matches_torch(name):
    torch = pytest.importorskip("torch")
    optimizer_class, _, hyper = CASES[name]
    torch_class = getattr(torch.optim, optimizer_class.__name__)
    start = random_array(3, 4, seed=1, dtype=np.float32)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optimizer_class, start, grads, **hyper)
    theirs = run_torch(torch, torch_class, start, grads, **hyper)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name", list(CASES))
def test_optimizer_matches_torch_in_float64_to_rounding(name):
    torch = pytest.importorskip("torch")
    optimizer_class, _, hyper = CASES[name]
    torch_class = getattr(torch.optim, optimizer_class.__name__)
    start = random_array(5, seed=2)
    grads = gradient_sequence((5,), seed=3)
    ours = run_tinyconv(optimizer_class, start, grads, **hyper)
    theirs = run_torch(torch, torch_class, start, grads, **hyper)
    np.testing.assert_allclose(ours[-1], theirs[-1], rtol=1e-13, atol=1e-14)


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
def test_parameter_groups_have_their_own_learning_rates(optimizer_class):
    slow, fast = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    optimizer = optimizer_class([{"params": [slow]}, {"params": [fast], "lr": 0.1}], lr=0.001)
    slow.grad, fast.grad = np.array([1.0]), np.array([1.0])
    optimizer.step()
    # the same gradient and state, so the moves differ by exactly the ratio of the learning rates
    assert (1.0 - fast.data[0]) / (1.0 - slow.data[0]) == pytest.approx(100.0, rel=1e-9)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.Adagrad(p, lr=0.0), "Adagrad: learning rate must be positive, got 0.0"),
        (lambda p: optim.Adagrad(p, lr_decay=-0.1), "Adagrad: lr_decay must be non-negative"),
        (lambda p: optim.Adagrad(p, weight_decay=-1), "Adagrad: weight_decay must be non-negative"),
        (
            lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
            "Adagrad: initial_accumulator_value must be non-negative",
        ),
        (lambda p: optim.Adagrad(p, eps=-1e-10), "Adagrad: eps must be non-negative"),
        (lambda p: optim.RMSprop(p, lr=-0.01), "RMSprop: learning rate must be positive"),
        (lambda p: optim.RMSprop(p, alpha=1.0), r"RMSprop: alpha .* must lie in \[0, 1\), got 1.0"),
        (lambda p: optim.RMSprop(p, alpha=-0.5), r"RMSprop: alpha .* must lie in \[0, 1\)"),
        (lambda p: optim.RMSprop(p, eps=-1.0), "RMSprop: eps must be non-negative"),
        (lambda p: optim.RMSprop(p, momentum=-0.9), "RMSprop: momentum must be non-negative"),
        (lambda p: optim.RMSprop(p, weight_decay=-0.1), "RMSprop: weight_decay must be non-negative"),
        (lambda p: optim.AdamW(p, lr=0.0), "AdamW: learning rate must be positive"),
        (lambda p: optim.AdamW(p, betas=(0.9, 1.0)), r"AdamW: betas must lie in \[0, 1\)"),
        (lambda p: optim.AdamW(p, weight_decay=-0.01), "AdamW: eps and weight_decay must be non-negative"),
    ],
)
def test_optimizers_refuse_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


# ------------------------------------------------------------------------------ saving and resuming


def quadratic_gradient(parameter, target) -> None:
    """Set the gradient of sum((p - target)^2): it depends on p, so a wrong resume shows up."""
    parameter.grad = 2 * (parameter.data - target)


RESUMABLE = {
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


def test_adamw_state_cannot_be_loaded_into_adam():
    # the same state keys, but a different update: the kind is checked, not only the keys
    parameter = Parameter(np.ones(2))
    adamw = optim.AdamW([parameter])
    parameter.grad = np.ones(2)
    adamw.step()
    with pytest.raises(ValueError, match="saved by AdamW"):
        optim.Adam([Parameter(np.ones(2))]).load_state_dict(adamw.state_dict())
