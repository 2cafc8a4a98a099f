"""The checks that every op's tests run, written once: its backward against finite differences, its dtype
kept, and the upstream gradient left as it came.

Each test module keeps its own case table (the op, the inputs that suit it) and calls these on its cases.
"""

from __future__ import annotations

import numpy as np

from helpers.tensors import random_array, random_tensor
from tinyconv import Tensor
from tinyconv.gradcheck import gradcheck


def assert_gradcheck(fn, *inputs: Tensor) -> None:
    """fn's backward agrees with central differences (tinyconv.gradcheck, float64) for every input."""
    assert gradcheck(fn, list(inputs)) is True


def assert_keeps_the_floating_dtype(fn, dtype) -> None:
    """fn of a 2 x 3 input of this dtype gives that dtype, and so does the gradient it sends back."""
    x = Tensor(np.array([[0.5, 1.0, 2.0], [1.5, 3.0, 0.25]], dtype=dtype), requires_grad=True)
    y = fn(x)
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype


def assert_leaves_the_upstream_gradient_alone(fn, shape: tuple) -> None:
    """backward through fn reads the upstream gradient and never writes into it (the caller may reuse it)."""
    x = random_tensor(*shape, seed=1)
    y = fn(x)
    upstream = random_array(*y.shape, seed=2)
    kept = upstream.copy()
    y.backward(upstream)
    np.testing.assert_array_equal(upstream, kept)
    assert x.grad is not None
