"""Every hand-written backward against central differences, in float64 (tinyconv/gradcheck.py).

Each case builds fresh inputs and a function of them; `gradcheck` nudges every element of every input
that requires grad and compares with backward under a random upstream gradient. Shapes stay small
(a few hundred elements at most): each element costs two forward passes.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import away_from_zero_tensor, distinct_tensor, random_array, random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.autograd import Function
from tinyconv.gradcheck import GradcheckError, gradcheck


def positive_tensor(*shape: int, seed: int = 0) -> Tensor:
    """float64 values in [0.5, 2]: safe for log, division and a tensor exponent's ln(base)."""
    return Tensor(np.random.default_rng(seed).uniform(0.5, 2.0, size=shape), requires_grad=True)


def check(fn, *inputs) -> None:
    assert gradcheck(fn, list(inputs)) is True


# ------------------------------------------------------------------------------ engine ops

ENGINE_CASES = {
    "add, column + row": (
        lambda a, b: a + b,
        lambda: (random_tensor(3, 1, seed=1), random_tensor(4, seed=2)),
    ),
    "add, row + column": (
        lambda a, b: a + b,
        lambda: (random_tensor(4, seed=1), random_tensor(3, 1, seed=2)),
    ),
    "sub, broadcast over leading axes": (
        lambda a, b: a - b,
        lambda: (random_tensor(2, 3, 4, seed=1), random_tensor(3, 1, seed=2)),
    ),
    "mul, column * row": (
        lambda a, b: a * b,
        lambda: (random_tensor(3, 1, seed=1), random_tensor(1, 4, seed=2)),
    ),
    "mul, scalar * matrix": (
        lambda s, m: s * m,
        lambda: (random_tensor(seed=1), random_tensor(2, 3, seed=2)),
    ),
    "div, broadcast": (lambda a, b: a / b, lambda: (random_tensor(2, 3, seed=1), positive_tensor(3, seed=2))),
    "number / tensor": (lambda x: 2.0 / x, lambda: (positive_tensor(2, 3),)),
    "pow, number exponent": (lambda x: x**3, lambda: (random_tensor(2, 3),)),
    "pow, tensor exponent": (
        lambda a, b: a**b,
        lambda: (positive_tensor(2, 3, seed=1), random_tensor(2, 3, seed=2)),
    ),
    "pow, number base": (lambda x: 2.0**x, lambda: (random_tensor(2, 3),)),
    "neg": (lambda x: -x, lambda: (random_tensor(2, 3),)),
    "exp": (lambda x: x.exp(), lambda: (random_tensor(2, 3),)),
    "log": (lambda x: x.log(), lambda: (positive_tensor(2, 3),)),
    "sum, all": (lambda x: x.sum(), lambda: (random_tensor(2, 3),)),
    "sum, axis": (lambda x: x.sum(axis=1), lambda: (random_tensor(2, 3, 4),)),
    "sum, axes with keepdims": (
        lambda x: x.sum(axis=(0, 2), keepdims=True),
        lambda: (random_tensor(2, 3, 4),),
    ),
    "mean, all": (lambda x: x.mean(), lambda: (random_tensor(2, 3),)),
    "mean, axis": (lambda x: x.mean(axis=-1), lambda: (random_tensor(2, 3, 4),)),
    "max, all": (lambda x: x.max(), lambda: (distinct_tensor(3, 4),)),
    "max, axis": (lambda x: x.max(axis=1), lambda: (distinct_tensor(2, 5, 3),)),
    "max, axis 0 with keepdims": (lambda x: x.max(axis=0, keepdims=True), lambda: (distinct_tensor(4, 3),)),
    "reshape": (lambda x: x.reshape(3, 8), lambda: (random_tensor(2, 3, 4),)),
    "transpose": (lambda x: x.transpose(1, 2, 0), lambda: (random_tensor(2, 3, 4),)),
    "T": (lambda x: x.T, lambda: (random_tensor(2, 3),)),
    "getitem, slices": (lambda x: x[1:, ::2], lambda: (random_tensor(3, 5),)),
    "getitem, repeated integer indices": (
        lambda x: x[np.array([0, 2, 0, 0])],
        lambda: (random_tensor(3, 2),),
    ),
    "getitem, integer arrays in two axes": (
        lambda x: x[np.array([0, 1, 1]), np.array([2, 0, 2])],
        lambda: (random_tensor(2, 3),),
    ),
    "matmul, matrices": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 3, seed=1), random_tensor(3, 4, seed=2)),
    ),
    "matmul, vector @ vector": (
        lambda a, b: a @ b,
        lambda: (random_tensor(4, seed=1), random_tensor(4, seed=2)),
    ),
    "matmul, matrix @ vector": (
        lambda a, b: a @ b,
        lambda: (random_tensor(3, 4, seed=1), random_tensor(4, seed=2)),
    ),
    "matmul, vector @ matrix": (
        lambda a, b: a @ b,
        lambda: (random_tensor(3, seed=1), random_tensor(3, 4, seed=2)),
    ),
    "matmul, batched @ matrix": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 3, 4, seed=1), random_tensor(4, 2, seed=2)),
    ),
    "matmul, broadcast batches": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 1, 3, 4, seed=1), random_tensor(3, 4, 2, seed=2)),
    ),
    "matmul, vector @ batch": (
        lambda a, b: a @ b,
        lambda: (random_tensor(3, seed=1), random_tensor(2, 3, 4, seed=2)),
    ),
    "matmul, batch @ vector": (
        lambda a, b: a @ b,
        lambda: (random_tensor(2, 3, 4, seed=1), random_tensor(4, seed=2)),
    ),
}


@pytest.mark.parametrize("name", list(ENGINE_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = ENGINE_CASES[name]
    check(fn, *make_inputs())


# ------------------------------------------------------------------------------ convolution

# (x shape, weight shape, stride, padding, with bias)
CONV_CASES = {
    "batch 1": ((1, 1, 5, 5), (2, 1, 3, 3), 1, 0, True),
    "non-square image and kernel": ((2, 2, 5, 4), (2, 2, 3, 2), 1, 0, True),
    "stride 2, padding 1": ((1, 2, 6, 5), (3, 2, 3, 3), 2, 1, True),
    "pair stride and padding": ((1, 1, 6, 5), (2, 1, 2, 3), (2, 1), (0, 1), True),
    "kernel 1": ((2, 3, 3, 3), (2, 3, 1, 1), 1, 0, True),
    "padding 2, no bias": ((1, 2, 4, 4), (2, 2, 3, 3), 1, 2, False),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv2d_gradient(name):
    x_shape, w_shape, stride, padding, with_bias = CONV_CASES[name]
    inputs = [random_tensor(*x_shape, seed=1), random_tensor(*w_shape, seed=2)]
    if with_bias:
        inputs.append(random_tensor(w_shape[0], seed=3))
    check(lambda *t: F.conv2d(*t, stride=stride, padding=padding), *inputs)


# ------------------------------------------------------------------------------ pooling

# (x shape, kernel, stride, padding)
POOL_CASES = {
    "batch 1, kernel 2": ((1, 1, 4, 4), 2, None, 0),
    "non-square image, floor mode": ((2, 2, 5, 7), 2, None, 0),
    "overlapping kernel 3 stride 2": ((1, 2, 7, 5), 3, 2, 0),
    "overlapping with padding": ((2, 1, 5, 5), 3, 2, 1),
    "non-square kernel and stride": ((1, 2, 5, 6), (2, 3), (1, 2), (1, 1)),
}


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_max_pool2d_gradient(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    check(lambda x: F.max_pool2d(x, kernel, stride=stride, padding=padding), distinct_tensor(*x_shape))


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_avg_pool2d_gradient(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    check(lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=padding), random_tensor(*x_shape))


# ------------------------------------------------------------------------------ activations and losses

ACTIVATION_CASES = {
    "relu": (F.relu, lambda: away_from_zero_tensor(3, 4)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda: away_from_zero_tensor(3, 4)),
    "sigmoid": (F.sigmoid, lambda: Tensor(3.0 * random_array(3, 4), requires_grad=True)),
    "tanh": (F.tanh, lambda: random_tensor(3, 4)),
    "softmax, last axis": (F.softmax, lambda: random_tensor(3, 4)),
    "softmax, axis 0": (lambda x: F.softmax(x, axis=0), lambda: random_tensor(3, 4)),
    "softmax, middle axis of 3-D": (lambda x: F.softmax(x, axis=1), lambda: random_tensor(2, 3, 4)),
    "log_softmax, last axis": (F.log_softmax, lambda: random_tensor(3, 4)),
    "log_softmax, axis 0": (lambda x: F.log_softmax(x, axis=0), lambda: random_tensor(3, 4)),
    "flatten": (F.flatten, lambda: random_tensor(2, 3, 2, 2)),
}


@pytest.mark.parametrize("name", list(ACTIVATION_CASES))
def test_activation_gradient(name):
    fn, make_input = ACTIVATION_CASES[name]
    check(fn, make_input())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradient(reduction):
    targets = np.array([0, 3, 3, 1, 2])
    check(lambda x: F.cross_entropy(x, targets, reduction=reduction), random_tensor(5, 4))


def test_cross_entropy_gradient_with_batch_1():
    check(lambda x: F.cross_entropy(x, np.array([2])), random_tensor(1, 3))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradient_for_prediction_and_target(reduction):
    prediction, target = random_tensor(3, 4, seed=1), random_tensor(3, 4, seed=2)
    check(lambda p, t: F.mse_loss(p, t, reduction=reduction), prediction, target)


# ------------------------------------------------------------------------------ linear


def test_linear_gradient_with_batch_1():
    check(F.linear, random_tensor(1, 4, seed=1), random_tensor(3, 4, seed=2), random_tensor(3, seed=3))


def test_linear_gradient_for_a_3d_input():
    check(F.linear, random_tensor(2, 3, 4, seed=1), random_tensor(5, 4, seed=2), random_tensor(5, seed=3))


def test_linear_gradient_without_bias():
    check(F.linear, random_tensor(4, 3, seed=1), random_tensor(2, 3, seed=2))


def test_gradient_of_a_weight_used_in_two_linear_calls():
    check(
        lambda x, w: F.linear(F.tanh(F.linear(x, w)), w),
        random_tensor(2, 3, seed=1),
        random_tensor(3, 3, seed=2),
    )


def test_gradient_of_a_kernel_used_in_two_conv2d_calls():
    check(
        lambda x, w: F.conv2d(F.conv2d(x, w, padding=1), w, padding=1),
        random_tensor(1, 2, 4, 4, seed=1),
        random_tensor(2, 2, 3, 3, seed=2),
    )


# ------------------------------------------------------------------------------ nn layers and a whole network


def test_linear_layer_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    layer = nn.Linear(4, 3).double()
    check(lambda x, *params: layer(x), random_tensor(2, 4), layer.weight, layer.bias)


def test_conv2d_layer_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    layer = nn.Conv2d(2, 3, kernel_size=3, stride=2, padding=1).double()
    layer.bias.data[...] = np.array([0.1, -0.2, 0.3])  # a non-zero bias, so the bias path is exercised
    check(lambda x, *params: layer(x), random_tensor(1, 2, 5, 6), layer.weight, layer.bias)


# Layers without parameters: the module must pass its settings (slope, window, stride) on unchanged.
PARAMETER_FREE_LAYERS = {
    "LeakyReLU(0.2)": (nn.LeakyReLU(0.2), lambda: away_from_zero_tensor(2, 3, 4)),
    "Sigmoid": (nn.Sigmoid(), lambda: random_tensor(2, 5)),
    "Tanh": (nn.Tanh(), lambda: random_tensor(1, 2, 3, 4)),
    "MaxPool2d(3, stride=2, padding=1)": (
        nn.MaxPool2d(3, stride=2, padding=1),
        lambda: distinct_tensor(1, 2, 5, 7),
    ),
    "AvgPool2d(2, stride=1)": (nn.AvgPool2d(2, stride=1), lambda: random_tensor(2, 1, 4, 3)),
    "AvgPool2d((2, 3), padding=1)": (nn.AvgPool2d((2, 3), padding=1), lambda: random_tensor(1, 2, 5, 4)),
}


@pytest.mark.parametrize("name", list(PARAMETER_FREE_LAYERS))
def test_parameter_free_layer_gradient(name):
    layer, make_input = PARAMETER_FREE_LAYERS[name]
    check(layer, make_input())


def test_small_network_gradient_for_input_and_every_parameter():
    tinyconv.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * 3 * 3, 3),
    ).double()
    rng = np.random.default_rng(1)
    for parameter in model.parameters():  # random biases too, so every path carries a gradient
        parameter.data[...] = rng.standard_normal(parameter.shape)
    targets = np.array([0, 2])
    params = list(model.parameters())
    assert len(params) == 4
    check(lambda x, *p: F.cross_entropy(model(x), targets), random_tensor(2, 1, 6, 6, seed=2), *params)


# ------------------------------------------------------------------------------ gradcheck itself


class SquareWithWrongBackward(Function):
    """y = x^2 with the factor 2 forgotten in backward: the bug gradcheck exists to catch."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad_out):
        return grad_out * self.x


class MulWithWrongSecondGradient(Function):
    """y = a * b whose gradient for b is g * b instead of g * a (the first input's is right)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_out):
        return grad_out * self.b, grad_out * self.b


def test_gradcheck_catches_a_wrong_backward_and_reports_the_relative_error():
    x = positive_tensor(3)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3,\)\)") as error:
        gradcheck(lambda t: SquareWithWrongBackward()(t), [x])
    # analytic g*x against numeric 2*g*x: |x - 2x| / |2x| = 0.5
    assert "relative error 0.5" in str(error.value)


def test_gradcheck_report_names_the_input_whose_gradient_is_wrong():
    a, b = random_tensor(2, 2, seed=1), random_tensor(2, 2, seed=2)
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda s, t: MulWithWrongSecondGradient()(s, t), [a, b])
    assert "input 1" in str(error.value)
    assert "input 0" not in str(error.value)


def test_gradcheck_refuses_float32_inputs():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x * 2.0, [random_tensor(3, dtype=np.float32)])


def test_gradcheck_refuses_inputs_that_do_not_require_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x * 2.0, [random_tensor(3, requires_grad=False)])


def test_gradcheck_leaves_the_inputs_and_their_grads_as_they_were():
    x = random_tensor(2, 3)
    before = x.data.copy()
    gradcheck(lambda t: t * t, [x])
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_gradcheck_accepts_a_non_contiguous_input():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).T, requires_grad=True)  # a transposed view
    assert gradcheck(lambda t: t * t, [x]) is True
