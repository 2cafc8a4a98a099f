"""gradcheck itself (tinyconv/gradcheck.py): central differences in float64 against backward, under a
random upstream gradient; the bugs it exists to catch, its report, and the inputs it refuses.

Every op's own gradient checks are in that op's test file (tests/ops/, tests/functional/, tests/nn/),
through helpers/op_checks.py; here, last, one whole network checked for its input and every parameter.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import positive_tensor, random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.autograd import Function
from tinyconv.gradcheck import GradcheckError, gradcheck


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


# ------------------------------------------------------------------------------ a whole network


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
    assert_gradcheck(
        lambda x, *p: F.cross_entropy(model(x), targets), random_tensor(2, 1, 6, 6, seed=2), *params
    )
