"""An optimizer run step by step on a fixed sequence of gradients, in tinyconv and in torch.optim.

The gradients are drawn in advance, so a step's update depends only on the optimizer; each optimizer's
test module compares the runs with its update rule written out in NumPy, and with torch.optim.
"""

from __future__ import annotations

import numpy as np

from helpers.tensors import random_array
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
    """The same run with a torch.optim class (torch passed in: it is optional)."""
    parameter = torch.nn.Parameter(torch.tensor(start))
    optimizer = optimizer_class([parameter], **hyper)
    history = []
    for grad in grads:
        parameter.grad = torch.tensor(grad.astype(start.dtype))
        optimizer.step()
        history.append(parameter.detach().numpy().copy())
    return history


def quadratic_gradient(parameter, target) -> None:
    """Set the gradient of sum((p - target)^2): it depends on p, so a wrong resume shows up."""
    parameter.grad = 2 * (parameter.data - target)


def assert_follows_the_update_formula(optimizer_class, formula, hyper: dict, rtol: float) -> None:
    """Five steps on a 3 x 4 float64 parameter equal `formula(start, grads, **hyper)` step by step."""
    start = random_array(3, 4, seed=1)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optimizer_class, start, grads, **hyper)
    expected = formula(start, grads, **hyper)
    for step in range(STEPS):
        np.testing.assert_allclose(
            ours[step], expected[step], rtol=rtol, atol=1e-12, err_msg=f"step {step + 1}"
        )


def assert_matches_torch(torch, optimizer_class, hyper: dict) -> None:
    """Five float32 steps equal those of the torch.optim class of the same name, to float32 rounding."""
    torch_class = getattr(torch.optim, optimizer_class.__name__)
    start = random_array(3, 4, seed=1, dtype=np.float32)
    grads = gradient_sequence((3, 4))
    ours = run_tinyconv(optimizer_class, start, grads, **hyper)
    theirs = run_torch(torch, torch_class, start, grads, **hyper)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"step {step + 1}")


def assert_matches_torch_in_float64_to_rounding(torch, optimizer_class, hyper: dict) -> None:
    """Five float64 steps on a 5-vector end where torch's do, to the last bits."""
    torch_class = getattr(torch.optim, optimizer_class.__name__)
    start = random_array(5, seed=2)
    grads = gradient_sequence((5,), seed=3)
    ours = run_tinyconv(optimizer_class, start, grads, **hyper)
    theirs = run_torch(torch, torch_class, start, grads, **hyper)
    np.testing.assert_allclose(ours[-1], theirs[-1], rtol=1e-13, atol=1e-14)
