"""The autograd engine (tinyconv/autograd.py): how backward() walks the graph, in the module's order.

Recording or not (no_grad, enable_grad, set_grad_enabled, inference_mode, as blocks and decorators); a
Function's PyTorch spelling (apply) and the PyTorch way of writing one (refused, showing tinyconv's); what a
Function keeps and frees, and the gradients it must return; gradients summed back over broadcast axes; the
walk in topological order (deep chains, diamonds, tensors used twice); gradients accumulated into the
leaves, in their dtype and memory of their own; backward's starting gradient, retain_graph and retain_grad,
on the backprop lecture's example; and an upstream gradient that is never written into. (The version
counters that refuse a backward through an input changed in place are specified with the in-place
operations, in tests/ops/test_inplace.py.)
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from helpers import random_array, random_tensor

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.autograd import Function

# --------------------------------------------------------------------------- no_grad and the other grad modes


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


def test_no_grad_works_as_a_decorator_without_parentheses():
    @tinyconv.no_grad
    def double(t):
        return t * 2.0

    assert double(random_tensor(3)).requires_grad is False
    assert tinyconv.is_grad_enabled() is True


def test_enable_grad_records_again_inside_no_grad():
    x = random_tensor(3)
    with tinyconv.no_grad():
        with tinyconv.enable_grad():
            assert tinyconv.is_grad_enabled() is True
            y = x * 2.0
        assert tinyconv.is_grad_enabled() is False
    assert y.requires_grad and y.grad_fn is not None


def test_enable_grad_works_as_a_decorator_inside_no_grad():
    @tinyconv.enable_grad()
    def double(t):
        return t * 2.0

    with tinyconv.no_grad():
        assert double(random_tensor(3)).requires_grad is True


def test_set_grad_enabled_as_a_call_switches_at_once():
    try:
        tinyconv.set_grad_enabled(False)
        assert tinyconv.is_grad_enabled() is False
        assert (random_tensor(3) * 2.0).requires_grad is False
    finally:
        tinyconv.set_grad_enabled(True)
    assert tinyconv.is_grad_enabled() is True


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_as_a_with_block_switches_back_at_its_end(mode):
    with tinyconv.no_grad():
        with tinyconv.set_grad_enabled(mode):
            assert tinyconv.is_grad_enabled() is mode
            y = random_tensor(3) * 2.0
        assert tinyconv.is_grad_enabled() is False
    assert y.requires_grad is mode


def test_set_grad_enabled_as_a_decorator_switches_only_during_each_call():
    @tinyconv.set_grad_enabled(False)
    def double(t):
        return t * 2.0

    assert tinyconv.is_grad_enabled() is True  # decorating switched nothing
    assert double(random_tensor(3)).requires_grad is False
    assert tinyconv.is_grad_enabled() is True


def test_inference_mode_is_no_grad_and_with_false_records():
    x = random_tensor(3)
    with tinyconv.inference_mode():
        assert (x * 2.0).requires_grad is False
    with tinyconv.no_grad(), tinyconv.inference_mode(False):
        assert (x * 2.0).requires_grad is True
    assert tinyconv.is_grad_enabled() is True


def test_the_grad_modes_behave_as_torchs(torch):
    def modes(library) -> list:
        seen = []
        with library.no_grad():
            seen.append(library.is_grad_enabled())
            with library.enable_grad():
                seen.append(library.is_grad_enabled())
            with library.set_grad_enabled(True):
                seen.append(library.is_grad_enabled())
            seen.append(library.is_grad_enabled())
        with library.inference_mode():
            seen.append(library.is_grad_enabled())
        seen.append(library.is_grad_enabled())
        return seen

    assert modes(tinyconv) == modes(torch) == [False, True, True, False, False, True]


# ------------------------------------------------------------------------------ Function


class Cube(Function):
    """y = x^3.    dL/dx = g * 3 x^2."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad_out):
        return grad_out * 3 * self.x**2


def test_apply_is_pytorchs_spelling_of_calling_a_new_instance():
    x = tinyconv.tensor([1.0, 2.0], dtype=tinyconv.float64, requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y.grad_fn, Cube) and y.tolist() == [1.0, 8.0]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    assert tinyconv.gradcheck(Cube.apply, [x]) is True


def test_a_function_written_the_pytorch_way_is_refused_when_defined_showing_the_tinyconv_way():
    with pytest.raises(TypeError) as refused:

        class Square(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad_out):
                (x,) = ctx.saved_tensors
                return 2 * x * grad_out

    message = str(refused.value)
    assert message.startswith(
        "Square: this is PyTorch's way of writing a Function (a static forward(ctx, ...))"
    )
    assert "class Square(tinyconv.autograd.Function):" in message
    assert "def forward(self, x):" in message and "def backward(self, grad_out):" in message
    assert "Square()(x) or Square.apply(x)" in message and "docs/engine.md" in message


def test_backward_frees_what_forward_saved_even_while_the_output_lives():
    x, w = tinyconv.randn(2, 1, 8, 8), tinyconv.randn(3, 1, 3, 3, requires_grad=True)
    hidden = F.conv2d(x, w)
    hidden.sum().backward()
    assert not hasattr(hidden.grad_fn, "col") and not hasattr(hidden.grad_fn, "weight")
    with pytest.raises(RuntimeError, match="already freed"):
        hidden.backward(np.ones(hidden.shape, dtype=np.float32))


def test_a_custom_function_returning_a_wrong_shaped_gradient_is_named():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            return grad_out.T  # wrong shape for a non-square input

    x = tinyconv.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(3, 2\)"):
        Broken()(x).sum().backward()


# ---------------------------------------------------- gradients summed back to the shape of a broadcast input


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


# ------------------------------------------------------------------------------ the leaves' .grad


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


# ------------------------------------------------------------------------------ backward()


def test_backward_of_a_scalar_starts_from_one():
    x = Tensor(np.array(3.0), requires_grad=True)
    (x * x).backward()
    assert x.grad == 6.0


def test_backward_of_a_non_scalar_without_a_gradient_raises():
    y = random_tensor(3) * 2.0
    with pytest.raises(ValueError, match="gradient argument.*shape \\(3,\\)"):
        y.backward()


def test_backward_on_a_non_scalar_without_a_gradient():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"needs a gradient argument for a tensor of shape \(2, 3\)"):
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


def test_a_retained_graph_gives_the_same_gradient_on_every_backward():
    x = random_tensor(1, 2, 5, 5, seed=3)
    weight = random_tensor(3, 2, 3, 3, seed=4)
    loss = F.cross_entropy(F.flatten(F.max_pool2d(F.conv2d(x, weight, padding=1), 2)), np.array([1]))
    loss.backward(retain_graph=True)
    first = weight.grad.copy()
    weight.grad = None
    loss.backward()
    np.testing.assert_array_equal(weight.grad, first)


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
