"""tinyconv against torch.nn.functional: same float32 inputs, same outputs and gradients to float32 rounding.

Skipped when PyTorch is not installed; tinyconv itself never depends on it.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, torch_lenet5

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.models import LeNet5

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RTOL, ATOL = 1e-4, 1e-5


def compare_with_torch(tiny_fn, torch_fn, arrays: list, seed: int = 0) -> None:
    """Run both functions on the same float32 arrays and compare outputs and every input's gradient."""
    arrays = [a.astype(np.float32) for a in arrays]
    tiny_inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tiny_out = tiny_fn(*tiny_inputs)
    torch_out = torch_fn(*torch_inputs)
    assert tiny_out.shape == tuple(torch_out.shape)
    np.testing.assert_allclose(
        tiny_out.data, torch_out.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg="output"
    )

    upstream = random_array(*tiny_out.shape, seed=seed + 100, dtype=np.float32)
    tiny_out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for index, (ours, theirs) in enumerate(zip(tiny_inputs, torch_inputs)):
        np.testing.assert_allclose(
            ours.grad, theirs.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=f"gradient of input {index}"
        )


# (x shape, weight shape, stride, padding, with bias)
CONV_CASES = {
    "3x3, batch 2": ((2, 3, 8, 8), (4, 3, 3, 3), 1, 0, True),
    "batch 1, non-square": ((1, 1, 7, 5), (2, 1, 3, 2), 2, 1, True),
    "kernel 1": ((2, 2, 6, 9), (3, 2, 1, 1), 1, 0, True),
    "pair stride and padding": ((1, 3, 7, 8), (2, 3, 4, 3), (2, 1), (0, 2), True),
    "no bias, padding 2": ((2, 2, 5, 5), (3, 2, 5, 5), 1, 2, False),
    "LeNet C3": ((2, 6, 14, 14), (16, 6, 5, 5), 1, 0, True),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv2d_matches_torch(name):
    x_shape, w_shape, stride, padding, with_bias = CONV_CASES[name]
    arrays = [random_array(*x_shape, seed=1), random_array(*w_shape, seed=2)]
    if with_bias:
        arrays.append(random_array(w_shape[0], seed=3))
    compare_with_torch(
        lambda *t: F.conv2d(*t, stride=stride, padding=padding),
        lambda *t: TF.conv2d(*t, stride=stride, padding=padding),
        arrays,
    )


# (x shape, kernel, stride, padding)
POOL_CASES = {
    "kernel 2": ((2, 3, 8, 8), 2, None, 0),
    "odd size, floor mode": ((1, 2, 7, 7), 2, None, 0),
    "overlapping kernel 3 stride 2": ((1, 2, 7, 9), 3, 2, 0),
    "overlapping with padding": ((2, 1, 6, 6), 3, 2, 1),
    "non-square kernel and stride": ((1, 2, 5, 8), (2, 3), (1, 2), (1, 1)),
}


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_max_pool2d_matches_torch(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    compare_with_torch(
        lambda x: F.max_pool2d(x, kernel, stride=stride, padding=padding),
        lambda x: TF.max_pool2d(x, kernel, stride=stride, padding=padding),
        [random_array(*x_shape, seed=4)],
    )


def test_max_pool2d_breaks_ties_like_torch():
    # small integers: most windows hold ties, so both must pick the same winner to agree
    x = np.random.default_rng(5).integers(0, 3, size=(2, 2, 7, 7)).astype(np.float32)
    compare_with_torch(
        lambda t: F.max_pool2d(t, 3, stride=2, padding=1),
        lambda t: TF.max_pool2d(t, 3, stride=2, padding=1),
        [x],
    )


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_avg_pool2d_matches_torch(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    compare_with_torch(
        lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=padding),
        lambda x: TF.avg_pool2d(x, kernel, stride=stride, padding=padding),
        [random_array(*x_shape, seed=4)],
    )


@pytest.mark.parametrize(
    "x_shape, w_shape, with_bias",
    [((4, 5), (3, 5), True), ((2, 3, 5), (4, 5), True), ((1, 5), (2, 5), False)],
    ids=["batch 4", "3-D input", "batch 1, no bias"],
)
def test_linear_matches_torch(x_shape, w_shape, with_bias):
    arrays = [random_array(*x_shape, seed=1), random_array(*w_shape, seed=2)]
    if with_bias:
        arrays.append(random_array(w_shape[0], seed=3))
    compare_with_torch(F.linear, TF.linear, arrays)


ACTIVATIONS = {
    "relu": (F.relu, TF.relu),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "leaky_relu, default slope": (F.leaky_relu, TF.leaky_relu),
    "leaky_relu, slope 0.2": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_torch(name):
    tiny_fn, torch_fn = ACTIVATIONS[name]
    x = 4.0 * random_array(3, 7, seed=6)
    x[0, :3] = [0.0, 30.0, -30.0]  # the kink and saturated values
    compare_with_torch(tiny_fn, torch_fn, [x])


# The layers pass their settings on to the functions above; built with the same arguments as in torch.nn.
LAYERS = {
    "LeakyReLU(0.2)": (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (2, 3, 4)),
    "Sigmoid": (nn.Sigmoid, torch.nn.Sigmoid, (3, 5)),
    "Tanh": (nn.Tanh, torch.nn.Tanh, (3, 5)),
    "MaxPool2d(3, 2, 1)": (lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1), (2, 3, 7, 9)),
    "AvgPool2d((2, 3), 1)": (
        lambda: nn.AvgPool2d((2, 3), 1),
        lambda: torch.nn.AvgPool2d((2, 3), 1),
        (1, 2, 5, 6),
    ),
    "Flatten": (nn.Flatten, torch.nn.Flatten, (2, 3, 4, 5)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_parameter_free_layer_matches_torch(name):
    make_ours, make_theirs, shape = LAYERS[name]
    compare_with_torch(make_ours(), make_theirs(), [3.0 * random_array(*shape, seed=9)])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_matches_torch(axis):
    compare_with_torch(
        lambda x: F.softmax(x, axis=axis), lambda x: TF.softmax(x, dim=axis), [random_array(3, 4, 5, seed=7)]
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_log_softmax_matches_torch(axis):
    compare_with_torch(
        lambda x: F.log_softmax(x, axis=axis),
        lambda x: TF.log_softmax(x, dim=axis),
        [random_array(3, 4, 5, seed=7)],
    )


def test_log_softmax_of_huge_logits_matches_torch():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 500.0]])
    compare_with_torch(F.log_softmax, lambda t: TF.log_softmax(t, dim=-1), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(reduction):
    targets = np.array([0, 6, 3, 3, 1, 2])
    compare_with_torch(
        lambda x: F.cross_entropy(x, targets, reduction=reduction),
        lambda x: TF.cross_entropy(x, torch.tensor(targets), reduction=reduction),
        [3.0 * random_array(6, 7, seed=8)],
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(reduction):
    compare_with_torch(
        lambda p, t: F.mse_loss(p, t, reduction=reduction),
        lambda p, t: TF.mse_loss(p, t, reduction=reduction),
        [random_array(4, 5, seed=9), random_array(4, 5, seed=10)],
    )


def test_flatten_matches_torch():
    compare_with_torch(
        lambda x: F.flatten(x, start_dim=1),
        lambda x: torch.flatten(x, 1),
        [random_array(2, 3, 4, 5, seed=11)],
    )


def test_lenet5_forward_and_backward_match_the_same_model_in_torch():
    tinyconv.manual_seed(0)
    model = LeNet5()
    rng = np.random.default_rng(12)
    for parameter in model.parameters():  # non-zero biases, so every bias gradient path is compared
        if parameter.ndim == 1:
            parameter.data[...] = 0.1 * rng.standard_normal(parameter.shape)
    reference = torch_lenet5(torch)
    reference.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})

    images = random_array(4, 1, 28, 28, seed=13, dtype=np.float32)
    labels = np.array([3, 1, 4, 1])
    logits = model(Tensor(images))
    torch_logits = reference(torch.tensor(images))
    np.testing.assert_allclose(logits.data, torch_logits.detach().numpy(), rtol=RTOL, atol=ATOL)

    F.cross_entropy(logits, labels).backward()
    TF.cross_entropy(torch_logits, torch.tensor(labels)).backward()
    torch_parameters = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, torch_parameters[name].grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name
        )
