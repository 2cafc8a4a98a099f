"""The unary ops (tinyconv/ops/unary.py): Neg, Exp and Log, their values and gradients, dtypes kept and
the upstream gradient left alone, and float64 gradient checks.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, positive_tensor, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)


def test_exp_value_and_gradient():
    x = leaf([0.0, 1.0])
    y = x.exp()
    np.testing.assert_allclose(y.data, [1.0, np.e])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, np.e])


def test_log_value_and_gradient():
    x = leaf([1.0, np.e, 4.0])
    y = x.log()
    np.testing.assert_allclose(y.data, [0.0, 1.0, np.log(4.0)])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1 / np.e, 0.25])


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "-x": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "neg": (lambda x: -x, (2, 3)),
    "exp": (lambda x: x.exp(), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# (op, its inputs): each case builds fresh float64 inputs that suit the op
GRADCHECK_CASES = {
    "neg": (lambda x: -x, lambda: (random_tensor(2, 3),)),
    "exp": (lambda x: x.exp(), lambda: (random_tensor(2, 3),)),
    "log": (lambda x: x.log(), lambda: (positive_tensor(2, 3),)),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())
