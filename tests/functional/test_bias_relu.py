"""F.bias_relu (tinyconv/functional/bias_relu.py): max(x + bias[c], 0) as one op.

Checked by hand, against relu(x + bias) composed from tinyconv's primitives, against finite
differences in float64, and against PyTorch where it is installed. The GPU kernel runs the same checks
in tests/backend/gpu_checks.py (on a GPU in test_gpu.py, on the emulator in test_cuda_emulated.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import away_from_zero_tensor, random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.gradcheck import gradcheck


def channel_shape(x_shape: tuple) -> tuple:
    """(1, C, 1, ...): a (C,) bias reshaped to broadcast over an x of this shape."""
    return (1, x_shape[1]) + (1,) * (len(x_shape) - 2)


def composed(x: Tensor, bias: Tensor) -> Tensor:
    """relu(x + bias) from two primitive ops, each with its own tested backward."""
    return F.relu(x + bias.reshape(*channel_shape(x.shape)))


def inputs_away_from_the_kink(x_shape: tuple, seed: int = 0) -> tuple[Tensor, Tensor]:
    """x and bias with |x + bias| >= 0.1 everywhere: a finite-difference nudge never crosses y = 0."""
    bias = random_array(x_shape[1], seed=seed + 1)
    total = away_from_zero_tensor(*x_shape, seed=seed).data
    x = Tensor(total - bias.reshape(channel_shape(x_shape)), requires_grad=True)
    return x, Tensor(bias, requires_grad=True)


# ------------------------------------------------------------------------------ values


def test_bias_relu_adds_each_channels_bias_then_clamps_at_zero():
    x = Tensor(np.array([[1.0, -2.0, 0.5], [-1.0, 3.0, -0.5]]))
    bias = Tensor(np.array([0.5, 1.0, -1.0]))
    # x + bias = [[1.5, -1.0, -0.5], [-0.5, 4.0, -1.5]]
    np.testing.assert_array_equal(F.bias_relu(x, bias).data, [[1.5, 0.0, 0.0], [0.0, 4.0, 0.0]])


def test_bias_relu_gradients_by_hand():
    x = Tensor(np.array([[1.0, -2.0], [-1.0, 3.0]]), requires_grad=True)
    bias = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    # x + bias = [[1.5, -1.0], [-0.5, 4.0]]: only (0, 0) and (1, 1) pass their gradient
    F.bias_relu(x, bias).backward(np.array([[10.0, 20.0], [30.0, 40.0]]))
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0], [0.0, 40.0]])
    np.testing.assert_array_equal(bias.grad, [10.0, 40.0])


def test_bias_relu_passes_no_gradient_where_x_plus_bias_is_exactly_zero():
    x, bias = Tensor(np.array([[-1.0]]), requires_grad=True), Tensor(np.array([1.0]), requires_grad=True)
    F.bias_relu(x, bias).backward(np.array([[5.0]]))
    assert x.grad[0, 0] == 0.0 and bias.grad[0] == 0.0  # the derivative at 0 is taken as 0, as in F.relu


def test_bias_relu_keeps_float32():
    x, bias = random_tensor(2, 3, dtype=np.float32), random_tensor(3, dtype=np.float32)
    assert F.bias_relu(x, bias).dtype == np.float32


# ------------------------------------------------------------------------------ against the composed op

SHAPES = {
    "linear-like (N, C)": (5, 4),
    "sequences (N, C, L)": (2, 3, 6),
    "images (N, C, H, W)": (2, 3, 4, 5),
    "batch 1": (1, 3, 2, 2),
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_bias_relu_equals_relu_of_x_plus_bias_in_value_and_gradients(shape):
    upstream = random_array(*shape, seed=7)
    results = []
    for function in (F.bias_relu, composed):
        x, bias = random_tensor(*shape, seed=1), random_tensor(shape[1], seed=2)
        y = function(x, bias)
        y.backward(upstream)
        results.append((y.data, x.grad, bias.grad))
    (y, grad_x, grad_bias), (y_composed, grad_x_composed, grad_bias_composed) = results
    np.testing.assert_array_equal(y, y_composed)
    np.testing.assert_array_equal(grad_x, grad_x_composed)
    np.testing.assert_allclose(grad_bias, grad_bias_composed, rtol=1e-12)  # sums in another order


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_bias_relu_gradient_matches_finite_differences(shape):
    assert gradcheck(F.bias_relu, list(inputs_away_from_the_kink(shape))) is True


def test_bias_relu_gradient_with_the_bias_frozen():
    x, bias = inputs_away_from_the_kink((3, 4, 2))
    bias.requires_grad = False
    assert gradcheck(F.bias_relu, [x, bias]) is True


def test_bias_relu_matches_torch(torch):
    x, bias = random_array(2, 3, 4, 5, dtype=np.float32), random_array(3, seed=1, dtype=np.float32)
    upstream = random_array(2, 3, 4, 5, seed=2, dtype=np.float32)
    ours_x, ours_bias = Tensor(x, requires_grad=True), Tensor(bias, requires_grad=True)
    ours = F.bias_relu(ours_x, ours_bias)
    ours.backward(upstream)
    theirs_x, theirs_bias = torch.tensor(x, requires_grad=True), torch.tensor(bias, requires_grad=True)
    theirs = torch.relu(theirs_x + theirs_bias.view(1, 3, 1, 1))
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours_bias.grad, theirs_bias.grad.numpy(), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.bias_relu(np.zeros((2, 3)), random_tensor(3)),
            TypeError,
            "bias_relu: input must be a tinyconv.Tensor, got ndarray",
        ),
        (
            lambda: F.bias_relu(random_tensor(2, 3), np.zeros(3)),
            TypeError,
            "bias_relu: bias must be a tinyconv.Tensor, got ndarray",
        ),
        (
            lambda: F.bias_relu(Tensor(np.zeros((2, 3), np.int64)), Tensor(np.zeros(3, np.int64))),
            TypeError,
            "bias_relu: input must be a floating-point tensor, got dtype int64",
        ),
        (
            lambda: F.bias_relu(random_tensor(2, 3), random_tensor(3, dtype=np.float32)),
            TypeError,
            "bias_relu: input has dtype float64 but bias has dtype float32",
        ),
        (
            lambda: F.bias_relu(random_tensor(3), random_tensor(3)),
            ValueError,
            r"bias_relu: expected an input \(N, C, ...\) with at least 2 axes, got shape \(3,\) \(1-D\)",
        ),
        (
            lambda: F.bias_relu(random_tensor(2, 3, 4, 4), random_tensor(4)),
            ValueError,
            r"bias_relu: bias must have shape \(3,\), one value per channel of the input "
            r"\(shape \(2, 3, 4, 4\)\), got \(4,\)",
        ),
        (
            lambda: F.bias_relu(random_tensor(2, 3), random_tensor(1, 3)),
            ValueError,
            r"bias_relu: bias must have shape \(3,\), .* got \(1, 3\)",
        ),
    ],
    ids=[
        "input not a tensor",
        "bias not a tensor",
        "integer input",
        "dtypes differ",
        "1-D input",
        "bias for the wrong channel count",
        "bias not 1-D",
    ],
)
def test_bad_arguments_get_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
