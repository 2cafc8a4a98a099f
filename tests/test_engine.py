"""The autograd engine: what a Tensor holds, and how backward() walks the graph (tensor.py, autograd.py)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from helpers import random_array, random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn

# ------------------------------------------------------------------------------ construction


def test_tensor_exposes_data_shape_ndim_and_dtype():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = Tensor(data)
    assert x.data is data
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.dtype == np.float32


def test_python_floats_become_float32():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.5]).dtype == np.float32
    assert tinyconv.tensor([[1.0, 2.0]]).dtype == np.float32


def test_python_ints_become_int64():
    assert Tensor([1, 2, 3]).dtype == np.int64


def test_float64_arrays_stay_float64():
    x = Tensor(np.ones(3, dtype=np.float64))
    assert x.dtype == np.float64
    assert tinyconv.tensor(np.ones(3, dtype=np.float64)).dtype == np.float64


def test_tensor_function_copies_its_data():
    data = np.zeros(3, dtype=np.float32)
    x = tinyconv.tensor(data)
    data[0] = 5.0
    assert x.data[0] == 0.0


def test_zeros_and_ones_accept_sizes_or_a_shape_tuple():
    assert tinyconv.zeros(2, 3).shape == (2, 3)
    assert tinyconv.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(tinyconv.zeros(2, 3).data, np.zeros((2, 3)))
    np.testing.assert_array_equal(tinyconv.ones((4,)).data, np.ones(4))
    assert tinyconv.ones(2).dtype == np.float32


def test_randn_draws_standard_normal_float32_samples():
    tinyconv.manual_seed(0)
    x = tinyconv.randn(200, 500)
    assert x.shape == (200, 500)
    assert x.dtype == np.float32
    assert abs(float(x.data.mean())) < 0.01  # 100,000 samples: the mean's standard error is 0.003
    assert abs(float(x.data.std()) - 1.0) < 0.01


def test_manual_seed_makes_randn_repeatable():
    tinyconv.manual_seed(123)
    first = tinyconv.randn(5).data.copy()
    tinyconv.manual_seed(123)
    second = tinyconv.randn(5).data.copy()
    np.testing.assert_array_equal(first, second)


def test_different_seeds_give_different_randn():
    tinyconv.manual_seed(1)
    first = tinyconv.randn(5).data.copy()
    tinyconv.manual_seed(2)
    second = tinyconv.randn(5).data.copy()
    assert not np.array_equal(first, second)


def test_only_floating_point_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        Tensor([1, 2], requires_grad=True)


# ------------------------------------------------------------------------------ conversions


def test_numpy_returns_the_values_as_an_ndarray():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    result = x.numpy()
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, [1.0, 2.0])


def test_item_returns_a_python_number():
    value = Tensor(np.array([[2.5]], dtype=np.float32)).item()
    assert isinstance(value, float)
    assert value == 2.5


def test_item_of_a_tensor_with_several_elements_raises():
    with pytest.raises(ValueError, match="one element.*\\(3,\\)"):
        Tensor(np.ones(3)).item()


def test_detach_shares_the_data_but_leaves_the_graph():
    x = random_tensor(3)
    y = x * 2.0
    detached = y.detach()
    assert detached.data is y.data
    assert detached.requires_grad is False
    assert detached.grad_fn is None


# ------------------------------------------------------------------------------ .grad


def test_grad_is_none_until_backward_reaches_it():
    used = random_tensor(3, seed=1)
    unused = random_tensor(3, seed=2)
    assert used.grad is None
    (used * 2.0).sum().backward()
    assert used.grad is not None
    assert unused.grad is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_has_the_shape_and_dtype_of_its_tensor(dtype):
    x = random_tensor(2, 3, dtype=dtype)
    (x * x).sum().backward()
    assert x.grad.shape == (2, 3)
    assert x.grad.dtype == dtype


def test_leaf_grad_keeps_the_leaf_dtype_when_an_operand_is_float64():
    # float32 * float64 array is float64 (NumPy's promotion), but the gradient of a float32 leaf is
    # float32, as in PyTorch: .grad always has the dtype of its tensor.
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (x * np.array([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


# ------------------------------------------------------------------------------ backward()


def test_backward_of_a_scalar_starts_from_one():
    x = Tensor(np.array(3.0), requires_grad=True)
    (x * x).backward()
    assert x.grad == 6.0


def test_backward_of_a_non_scalar_without_a_gradient_raises():
    y = random_tensor(3) * 2.0
    with pytest.raises(ValueError, match="gradient argument.*shape \\(3,\\)"):
        y.backward()


def test_backward_with_an_explicit_gradient_weights_each_output():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0, 600.0])  # g * 2x


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    y = random_tensor(3) * 2.0
    with pytest.raises(ValueError, match="\\(2,\\).*\\(3,\\)"):
        y.backward(np.ones(2))


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor(np.ones(2)) * 2.0).sum().backward()


# ------------------------------------------------------------------------------ the lecture example


def lecture_graph():
    """cs231n's backprop example: q = x + y, f = q * z at x = -2, y = 5, z = -4."""
    x = Tensor(np.array(-2.0), requires_grad=True)
    y = Tensor(np.array(5.0), requires_grad=True)
    z = Tensor(np.array(-4.0), requires_grad=True)
    q = x + y
    f = q * z
    return x, y, z, q, f


def test_lecture_example_forward_value():
    *_, f = lecture_graph()
    assert f.item() == -12.0


def test_lecture_example_gradients():
    x, y, z, _, f = lecture_graph()
    f.backward()
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)  # df/dx = z, df/dy = z, df/dz = q


def test_retain_grad_keeps_an_intermediate_gradient():
    *_, q, f = lecture_graph()
    q.retain_grad()
    f.backward()
    assert q.grad == -4.0


def test_intermediate_gradients_are_not_kept_without_retain_grad():
    *_, q, f = lecture_graph()
    f.backward()
    assert q.grad is None


# ------------------------------------------------------------------------------ walking the graph


def test_backward_through_a_5000_node_chain_does_not_hit_the_recursion_limit():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.001
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default: a recursive walk of 5,000 nodes would exceed it
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(previous_limit)
    assert math.isclose(x.grad.item(), 1.001**5000, rel_tol=1e-9)


def test_gradients_add_up_when_a_tensor_feeds_several_ops():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, -3.0, 7.0])  # 2x + 1


def test_gradients_add_up_through_a_diamond():
    x = Tensor(np.array(2.0), requires_grad=True)
    a = x * 3.0
    (a * a + a).backward()  # f = 9x^2 + 3x, df/dx = 18x + 3
    assert x.grad == 39.0


def test_broadcast_column_plus_row_sums_each_gradient_back_to_its_shape():
    column = random_tensor(3, 1, seed=1)
    row = random_tensor(4, seed=2)
    upstream = random_array(3, 4, seed=3)
    (column + row).backward(upstream)
    np.testing.assert_allclose(column.grad, upstream.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(row.grad, upstream.sum(axis=0))


def test_broadcast_column_times_row_sums_each_gradient_back_to_its_shape():
    column = random_tensor(3, 1, seed=1)
    row = random_tensor(4, seed=2)
    upstream = random_array(3, 4, seed=3)
    (column * row).backward(upstream)
    np.testing.assert_allclose(column.grad, (upstream * row.data).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(row.grad, (upstream * column.data).sum(axis=0))


def test_scalar_plus_matrix_gradient_is_summed_to_a_scalar():
    scalar = Tensor(np.array(2.0), requires_grad=True)
    matrix = random_tensor(2, 3)
    upstream = random_array(2, 3, seed=5)
    (scalar + matrix).backward(upstream)
    assert scalar.grad.shape == ()
    np.testing.assert_allclose(scalar.grad, upstream.sum())
    np.testing.assert_allclose(matrix.grad, upstream)


def test_the_graph_is_released_after_backward():
    x = random_tensor(3)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # 2 * 2x


# ------------------------------------------------------------------------------ no_grad


def test_no_grad_builds_no_graph():
    x = random_tensor(3)
    with tinyconv.no_grad():
        assert tinyconv.is_grad_enabled() is False
        y = x * 2.0
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert tinyconv.is_grad_enabled() is True


def test_no_grad_works_as_a_decorator():
    @tinyconv.no_grad()
    def double(t):
        return t * 2.0

    y = double(random_tensor(3))
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert tinyconv.is_grad_enabled() is True


def test_no_grad_restores_recording_after_an_exception():
    with pytest.raises(KeyError), tinyconv.no_grad():
        raise KeyError("inside")
    assert tinyconv.is_grad_enabled() is True


# ------------------------------------------------------------------------------ accumulation


def test_gradients_accumulate_across_backward_calls():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_zero_grad_then_a_second_pass_gives_exactly_the_same_gradients():
    tinyconv.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = Tensor(random_array(5, 4, dtype=np.float32))
    targets = np.array([0, 1, 1, 0, 1])

    F.cross_entropy(model(x), targets).backward()
    first = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    F.cross_entropy(model(x), targets).backward()
    second = [p.grad for p in model.parameters()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------------- the upstream gradient is read-only

W_LINEAR = random_array(3, 4, seed=11)
W_CONV = random_array(2, 2, 3, 3, seed=12)

UPSTREAM_CASES = {
    "add": (lambda x: x + x, (2, 3)),
    "sub": (lambda x: x - 1.0, (2, 3)),
    "mul": (lambda x: x * x, (2, 3)),
    "div": (lambda x: x / 2.0, (2, 3)),
    "pow": (lambda x: x**2, (2, 3)),
    "neg": (lambda x: -x, (2, 3)),
    "exp": (lambda x: x.exp(), (2, 3)),
    "sum": (lambda x: x.sum(axis=0), (2, 3)),
    "mean": (lambda x: x.mean(axis=1), (2, 3)),
    "max": (lambda x: x.max(axis=1), (2, 3)),
    "reshape": (lambda x: x.reshape(3, 2), (2, 3)),
    "transpose": (lambda x: x.T, (2, 3)),
    "getitem": (lambda x: x[[0, 0, 1]], (2, 3)),
    "matmul": (lambda x: x @ x.T, (2, 3)),
    "linear": (lambda x: F.linear(x, Tensor(W_LINEAR), Tensor(np.ones(3))), (2, 4)),
    "conv2d": (lambda x: F.conv2d(x, Tensor(W_CONV), Tensor(np.ones(2)), padding=1), (1, 2, 4, 4)),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), (1, 2, 4, 4)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), (1, 2, 4, 4)),
    "relu": (F.relu, (2, 3)),
    "leaky_relu": (F.leaky_relu, (2, 3)),
    "sigmoid": (F.sigmoid, (2, 3)),
    "tanh": (F.tanh, (2, 3)),
    "softmax": (F.softmax, (2, 3)),
    "log_softmax": (F.log_softmax, (2, 3)),
    "cross_entropy_none": (lambda x: F.cross_entropy(x, np.array([0, 2]), reduction="none"), (2, 3)),
    "mse_loss_none": (lambda x: F.mse_loss(x, Tensor(np.ones((2, 3))), reduction="none"), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    x = random_tensor(*shape, seed=1)
    y = fn(x)
    upstream = random_array(*y.shape, seed=2)
    kept = upstream.copy()
    y.backward(upstream)
    np.testing.assert_array_equal(upstream, kept)
    assert x.grad is not None


def test_a_leaf_gradient_does_not_share_memory_with_the_upstream_gradient():
    x = random_tensor(2, 3)
    upstream = np.ones((2, 3))
    x.reshape(6).reshape(2, 3).backward(upstream)
    upstream[0, 0] = 100.0
    assert x.grad[0, 0] == 1.0


def test_two_leaves_added_together_get_separate_gradient_arrays():
    a = random_tensor(3, seed=1)
    b = random_tensor(3, seed=2)
    (a + b).backward(np.ones(3))
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


def test_a_retained_graph_gives_the_same_gradient_on_every_backward():
    x = random_tensor(1, 2, 5, 5, seed=3)
    weight = random_tensor(3, 2, 3, 3, seed=4)
    loss = F.cross_entropy(F.flatten(F.max_pool2d(F.conv2d(x, weight, padding=1), 2)), np.array([1]))
    loss.backward(retain_graph=True)
    first = weight.grad.copy()
    weight.grad = None
    loss.backward()
    np.testing.assert_array_equal(weight.grad, first)
