"""In-place operations (tinyconv/ops/inplace.py): the three cases of apply_in_place, as PyTorch has them.

1. Outside the graph (under no_grad, or nothing requires grad): the tensor's own memory is written, and it
   keeps its identity, leaf status and requires_grad; the tutorial's hand-written optimizer step trains.
2. A leaf that requires grad, with recording on: PyTorch's error, and nothing changed.
3. Inside the graph: the tensor takes the result as its new value and history (gradients checked against
   finite differences and torch); a tensor with no history has its memory written; refused where tinyconv
   would otherwise differ from PyTorch (a tensor already used by a recorded operation, a view made in the
   graph).

Then the version counters that make backward refuse a saved input changed since, each in-place method in
turn, dtypes (a float into an int tensor: refused for arrays, truncated for a number, as torch), shapes (an
in-place result cannot grow its tensor) and expand()'s read-only views.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.same_as_torch import assert_same_as_torch

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ 1. outside the graph


def test_under_no_grad_an_update_writes_the_same_memory_and_keeps_identity_leaf_and_requires_grad():
    w = leaf([1.0, 2.0])
    array, identity = w.data, id(w)
    with tinyconv.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 1.5]
    assert id(w) == identity and w.data is array
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_a_tensor_that_does_not_require_grad_is_updated_in_place_without_no_grad():
    x = tinyconv.tensor([1.0, 2.0])
    array = x.data
    x += 1.0
    assert x.tolist() == [2.0, 3.0] and x.data is array and x.grad_fn is None


def test_a_numpy_array_that_shares_the_memory_sees_the_update():
    array = np.zeros(3)
    x = tinyconv.from_numpy(array)
    x.add_(2.0)
    x[0] = 7.0
    np.testing.assert_array_equal(array, [7.0, 2.0, 2.0])


def test_the_tutorial_loop_keeps_the_parameters_and_trains():
    # a line fitted by hand, as the autograd tutorial writes it: backward, a step under no_grad, grad = None
    rng = np.random.default_rng(0)
    x = tinyconv.tensor(rng.uniform(-1, 1, size=32))
    y = 3.0 * x - 0.5
    a, b = tinyconv.zeros(1, requires_grad=True), tinyconv.zeros(1, requires_grad=True)
    identities = (id(a), id(b))
    losses = []
    for _ in range(50):
        loss = ((a * x + b - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with tinyconv.no_grad():
            a -= 0.1 * a.grad
            b -= 0.1 * b.grad
        a.grad = None
        b.grad = None
    assert (id(a), id(b)) == identities and a.is_leaf and a.requires_grad and b.requires_grad
    assert losses[-1] < 0.01 * losses[0]


# ------------------------------------------------------------------------------ 2. a leaf that requires grad


def test_an_update_of_a_leaf_that_requires_grad_is_refused_with_pytorchs_message():
    w = leaf([1.0, 2.0])
    with pytest.raises(
        RuntimeError, match="add_: a leaf tensor that requires grad is being used in an in-place"
    ):
        w += 1
    assert w.tolist() == [1.0, 2.0] and w._version == 0


@pytest.mark.parametrize(
    "update",
    [lambda w: w.zero_(), lambda w: w.mul_(2.0), lambda w: w.__setitem__(0, 5.0), lambda w: w.normal_()],
    ids=["zero_", "mul_", "setitem", "normal_"],
)
def test_every_in_place_method_refuses_a_leaf_that_requires_grad(update):
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad is being used in an in-place"):
        update(w)
    assert w.tolist() == [1.0, 2.0]


# ------------------------------------------------------------------------------ 3. inside the graph


def test_an_update_inside_the_graph_gives_the_right_gradient():
    a = leaf([1.0, 2.0])
    h = a * 2
    h += 1  # h = 2a + 1
    (h * h).sum().backward()  # d/da = 2 h * 2
    np.testing.assert_array_equal(a.grad, [12.0, 20.0])
    assert not h.is_leaf and type(h.grad_fn).__name__ == "Add"


def test_an_update_inside_the_graph_gives_torchs_gradient(torch):
    def chain(a, b):
        h = a * 2
        h *= b
        h -= a
        h /= 3.0
        return h

    assert_same_as_torch(torch, chain, chain, random_array(2, 3, seed=1), random_array(2, 3, seed=2))


def test_updates_inside_the_graph_pass_a_gradient_check():
    def chain(a, b):
        h = a.sin()
        h += b
        h.mul_(a)
        h.clamp_(min=-0.5)
        return h

    assert_gradcheck(chain, random_tensor(3, 4, seed=1), random_tensor(3, 4, seed=2))


def test_an_update_of_a_tensor_already_used_by_a_recorded_operation_is_refused():
    a = leaf([1.0, 2.0])
    h = a * 2
    y = h * h  # Mul used h: its gradient must reach the h it saw
    with pytest.raises(
        RuntimeError, match=r"add_: this tensor was already used by 2 operation\(s\) recorded"
    ):
        h += 1
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [8.0, 16.0])  # 2 h * 2, with h as it was


def test_an_update_of_a_view_made_in_the_graph_is_refused_rather_than_leave_its_base_unchanged():
    a = leaf([1.0, 2.0, 3.0, 4.0])
    h = a * 2
    row = h.view(2, 2)[0]  # in PyTorch, changing row would change h too
    with pytest.raises(RuntimeError, match="mul_: this tensor is a view of another one"):
        row.mul_(10)
    assert h.tolist() == [2.0, 4.0, 6.0, 8.0]


def test_a_tensor_with_no_history_updated_with_one_that_requires_grad_is_written_in_place():
    array = np.zeros((2, 3))
    out = tinyconv.from_numpy(array)
    w = leaf([1.0, 2.0])
    out[:, 0] += w  # Python reads out[:, 0], adds, and writes it back
    np.testing.assert_array_equal(array[:, 0], [1.0, 2.0])  # the memory itself was written
    assert out.requires_grad and not out.is_leaf
    (out * 3.0).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_filling_a_buffer_row_by_row_passes_a_gradient_check():
    def assemble(w):
        out = tinyconv.zeros(3, 2, dtype=tinyconv.float64)
        for t in range(3):
            out[t] = w * (t + 1.0)
        return out.tanh()

    assert_gradcheck(assemble, random_tensor(2))


def test_setitem_inside_the_graph_sends_gradients_to_the_value_and_around_the_overwritten_places():
    def overwrite(x, value):
        h = x * 1.0
        h[0, 1:] = value
        return h * x

    assert_gradcheck(overwrite, random_tensor(2, 3, seed=1), random_tensor(2, seed=2))


# ------------------------------------------------------------------------------ version counters


def test_a_saved_input_changed_in_place_under_no_grad_makes_backward_refuse():
    w = tinyconv.tensor([1.0, 2.0], requires_grad=True)
    x = tinyconv.tensor([3.0, 4.0])
    y = (w * x).sum()  # Mul keeps x: it is the gradient of w
    with tinyconv.no_grad():
        x.mul_(2)
    with pytest.raises(
        RuntimeError, match=r"input 1 of Mul \(shape \(2,\)\) was changed by an in-place operation"
    ):
        y.backward()


def test_an_input_changed_in_place_that_backward_does_not_need_is_fine():
    w = leaf([1.0, 2.0])
    x = tinyconv.tensor([3.0, 4.0])
    y = (w + x).sum()  # Add keeps nothing
    x += 1
    y.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_every_in_place_change_counts_a_version():
    x = tinyconv.zeros(2)
    x += 1
    x[0] = 3.0
    x.zero_()
    assert x._version == 3


# ------------------------------------------------------------------------------ each in-place method


def values_after(update, start=(1.0, -2.0, 4.0)):
    """The values of a fresh float32 tensor after `update`, and whether it kept its identity and memory."""
    x = tinyconv.tensor(list(start))
    identity, array = id(x), x.data
    result = update(x)
    return x.tolist(), result is x and id(x) == identity and x.data is array


# name: (update, expected values), starting from [1, -2, 4]
METHOD_CASES = {
    "add_": (lambda x: x.add_(tinyconv.tensor([1.0, 1.0, 1.0])), [2.0, -1.0, 5.0]),
    "add_ with alpha": (lambda x: x.add_(tinyconv.ones(3), alpha=2), [3.0, 0.0, 6.0]),
    "sub_": (lambda x: x.sub_(1.0), [0.0, -3.0, 3.0]),
    "mul_": (lambda x: x.mul_(tinyconv.tensor([2.0, 3.0, 0.5])), [2.0, -6.0, 2.0]),
    "div_": (lambda x: x.div_(2.0), [0.5, -1.0, 2.0]),
    "pow_": (lambda x: x.pow_(2), [1.0, 4.0, 16.0]),
    "zero_": (lambda x: x.zero_(), [0.0, 0.0, 0.0]),
    "fill_": (lambda x: x.fill_(7.0), [7.0, 7.0, 7.0]),
    "fill_ with a 0-d tensor": (lambda x: x.fill_(tinyconv.tensor(5.0)), [5.0, 5.0, 5.0]),
    "copy_": (lambda x: x.copy_(tinyconv.tensor([9.0, 8.0, 7.0])), [9.0, 8.0, 7.0]),
    "copy_, broadcast": (lambda x: x.copy_(tinyconv.tensor([3.0])), [3.0, 3.0, 3.0]),
    "clamp_": (lambda x: x.clamp_(-1.0, 2.0), [1.0, -1.0, 2.0]),
    "masked_fill_": (lambda x: x.masked_fill_(tinyconv.tensor([True, False, True]), 0.0), [0.0, -2.0, 0.0]),
    "+=": (lambda x: x.__iadd__(1.0), [2.0, -1.0, 5.0]),
    "-=": (lambda x: x.__isub__(np.array([1.0, 1.0, 1.0])), [0.0, -3.0, 3.0]),
    "*=": (lambda x: x.__imul__(2.0), [2.0, -4.0, 8.0]),
    "/=": (lambda x: x.__itruediv__(4.0), [0.25, -0.5, 1.0]),
}


@pytest.mark.parametrize("name", list(METHOD_CASES))
def test_in_place_method_changes_the_values_and_keeps_the_tensor(name):
    update, expected = METHOD_CASES[name]
    values, kept = values_after(update)
    assert values == expected
    assert kept


def test_uniform_draws_into_the_same_tensor_within_its_bounds():
    tinyconv.manual_seed(0)
    values, kept = values_after(lambda x: x.uniform_(2.0, 3.0), start=[0.0] * 1000)
    assert kept and all(2.0 <= v < 3.0 for v in values)
    assert abs(np.mean(values) - 2.5) < 0.05


def test_normal_draws_into_the_same_tensor_with_the_asked_mean_and_std():
    tinyconv.manual_seed(0)
    values, kept = values_after(lambda x: x.normal_(1.0, 0.5), start=[0.0] * 10000)
    assert kept
    assert abs(np.mean(values) - 1.0) < 0.02 and abs(np.std(values) - 0.5) < 0.02


def test_normal_under_no_grad_initializes_a_parameter():
    w = leaf(np.zeros((100, 100)))
    with tinyconv.no_grad():
        w.normal_(0.0, 0.02)
    assert w.is_leaf and w.requires_grad and abs(float(np.std(w.data)) - 0.02) < 0.002


def test_copy_inside_the_graph_sends_the_gradient_to_the_source_and_none_to_the_old_value():
    a, b = leaf([1.0, 2.0]), leaf([5.0, 6.0])
    h = a * 2
    h.copy_(b)
    (h * 3.0).sum().backward()
    np.testing.assert_array_equal(b.grad, [3.0, 3.0])
    np.testing.assert_array_equal(a.grad, [0.0, 0.0])


def test_zero_inside_the_graph_cuts_the_gradient():
    a = leaf([1.0, 2.0])
    h = a * 2
    h.zero_()
    (h + a).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])  # only through `+ a`


# ------------------------------------------------------------------------------ dtypes


def test_writing_a_float_array_into_an_int_tensor_is_refused():
    x = tinyconv.zeros(3, dtype=tinyconv.int64)
    with pytest.raises(
        RuntimeError, match="values of dtype float32 cannot be written into a tensor of dtype int64"
    ):
        x[:] = tinyconv.tensor([1.5, 2.5, 3.5])
    assert x.tolist() == [0, 0, 0]


def test_writing_a_float_number_into_an_int_tensor_truncates_as_pytorch():
    x = tinyconv.zeros(3, dtype=tinyconv.int64)
    x[0] = 2.7
    x[1] = -2.7
    assert x.tolist() == [2, -2, 0] and x.dtype == tinyconv.int64


def test_an_update_whose_result_is_float_is_refused_for_an_int_tensor():
    x = tinyconv.zeros(3, dtype=tinyconv.int64)
    with pytest.raises(
        RuntimeError, match="add_: the result has dtype float32, which cannot be written into a tensor"
    ):
        x += 1.5
    assert x.tolist() == [0, 0, 0]


def test_an_update_keeps_the_tensors_float_dtype():
    x = tinyconv.zeros(3)
    x += tinyconv.ones(3, dtype=tinyconv.float64)
    assert x.dtype == tinyconv.float32 and x.tolist() == [1.0, 1.0, 1.0]


def test_writing_into_an_int_tensor_with_an_int_keeps_it_int():
    x = tinyconv.zeros(2, dtype=tinyconv.int64)
    x += 3
    x[1] = 5
    assert x.tolist() == [3, 5] and x.dtype == tinyconv.int64


# ------------------------------------------------------------------------------ shapes and memory


def test_an_update_may_broadcast_the_other_operand():
    x = tinyconv.zeros(2, 3)
    x += tinyconv.tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_an_update_that_would_grow_the_tensor_is_refused():
    x = tinyconv.zeros(3)
    with pytest.raises(
        RuntimeError, match=r"the result has shape \(2, 3\), which does not fit the tensor's shape \(3,\)"
    ):
        x += tinyconv.ones(2, 3)
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_writing_into_an_expanded_view_is_refused_pointing_at_clone():
    x = tinyconv.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match=r"broadcast view from expand\(\).*use \.clone\(\) first"):
        x += 1
    with pytest.raises(RuntimeError, match=r"use \.clone\(\) first"):
        x[0, 0] = 1.0
    y = x.clone()
    y += 1
    assert y.tolist() == [[1.0] * 4] * 3


def test_a_view_updated_outside_the_graph_changes_its_base_as_in_pytorch():
    base = tinyconv.zeros(2, 3)
    row = base[1]
    row += 5.0
    base.view(6)[0] = 1.0
    assert base.tolist() == [[1.0, 0.0, 0.0], [5.0, 5.0, 5.0]]


def test_an_update_with_a_value_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match="unsupported operand of type str"):
        tinyconv.zeros(2).add_("1")


def test_a_leaf_that_requires_grad_can_be_written_once_detached():
    w = leaf([1.0, 2.0])
    w.detach().zero_()  # the PyTorch habit for an update outside the graph: the same memory
    assert w.tolist() == [0.0, 0.0] and w.requires_grad


def test_the_same_in_place_updates_as_torch_outside_the_graph(torch):
    values = random_array(2, 3)
    ours, theirs = Tensor(values.copy()), torch.tensor(values)
    for x in (ours, theirs):
        x.add_(1.0, alpha=2.0)
        x.mul_(x)
        x.clamp_(max=4.0)
        x[0, 1] = -1.0
        x[:, 2] += 3.0
        x.masked_fill_(x > 3.5, 0.5)
        x.div_(2.0)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
