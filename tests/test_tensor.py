"""The Tensor (tinyconv/tensor.py), in the module's order: what it holds (data, shape, dtype, the float32
default) and what it refuses to hold (objects, strings, ragged lists); its size, dim and numel; its
conversions back to NumPy and Python (item, tolist, float/int/bool of one element only, len, iteration,
indexes, its repr, as PyTorch's); the autograd attributes (detach, requires_grad_, retain_grad); the
operators it hooks (`+ - * / ** @` and unary minus, with Python numbers, NumPy scalars and arrays on either
side) with their values and gradients, and broadcasting errors that name both shapes; comparisons that give
bool tensors (the accuracy idioms of a training loop) and the logical operators; the method forms of the
activations; and new tensors like this one. Each op's own behaviour is in tests/ops/.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import float32_ones, leaf, random_array, random_tensor

import tinyconv
from tinyconv import Tensor

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


def test_numpy_scalars_keep_their_dtype():
    assert Tensor(np.float64(1.5)).dtype == np.float64
    assert Tensor(np.int32(3)).dtype == np.int32


def test_size_follows_pytorch_and_numel_counts_elements():
    x = tinyconv.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4 and x.numel() == 24


def test_dim_is_the_number_of_dims():
    assert tinyconv.zeros(2, 3, 4).dim() == 3 and tinyconv.tensor(1.0).dim() == 0


def test_a_tensor_is_hashed_by_identity_so_sets_and_dicts_work():
    a, b = tinyconv.zeros(2), tinyconv.zeros(2)
    assert len({a, b, a}) == 2
    assert {a: "a"}[a] == "a"


@pytest.mark.parametrize(
    "data, error, message",
    [
        (
            np.array([1, "a"], dtype=object),
            TypeError,
            r"expected numbers \(bool, int or float\), got array\(\[1, 'a'\], dtype=object\)",
        ),
        (np.array([1, 2], dtype=object), TypeError, "of dtype object"),
        (["a", "b"], TypeError, r"got \['a', 'b'\] of dtype <U1"),
        ("a", TypeError, "got 'a' of dtype <U1"),
        (
            [[1, 2], [3]],
            ValueError,
            r"cannot make a tensor of \[\[1, 2\], \[3\]\]: a nested list must be rectangular",
        ),
        ([1, None], TypeError, r"got \[1, None\] of dtype object"),
        ([1 + 2j], TypeError, "of dtype complex128"),
    ],
    ids=["object array", "object array of numbers", "strings", "a string", "ragged list", "None", "complex"],
)
@pytest.mark.parametrize(
    "make", [Tensor, tinyconv.tensor, tinyconv.as_tensor], ids=["Tensor", "tensor", "as_tensor"]
)
def test_data_that_is_not_numbers_is_refused_naming_what_was_given(make, data, error, message):
    with pytest.raises(error, match=message):
        make(data)


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


def test_item_of_a_tensor_with_several_elements_raises_pytorchs_error():
    with pytest.raises(
        RuntimeError, match=r"a Tensor with 3 elements cannot be converted to Scalar .*\(3,\)"
    ):
        Tensor(np.ones(3)).item()


def test_tolist_gives_nested_python_numbers_and_a_number_for_0d():
    assert tinyconv.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert tinyconv.tensor(2.5).tolist() == 2.5
    assert type(tinyconv.tensor([1.0]).tolist()[0]) is float


def test_float_int_and_bool_of_one_element():
    assert float(tinyconv.tensor([[2.5]])) == 2.5
    assert int(tinyconv.tensor(2.7)) == 2 and int(tinyconv.tensor(-2.7)) == -2
    assert bool(tinyconv.tensor([0.0])) is False and bool(tinyconv.tensor(3)) is True


@pytest.mark.parametrize("convert", [float, int], ids=["float", "int"])
def test_float_and_int_of_several_elements_raise_pytorchs_error(convert):
    with pytest.raises(ValueError, match=r"only one element tensors can be converted to Python scalars"):
        convert(tinyconv.ones(2, 2))


def test_bool_of_several_elements_or_none_raises_pytorchs_error():
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(tinyconv.ones(2))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(tinyconv.ones(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        assert tinyconv.ones(2) in [tinyconv.ones(2)]  # `in` compares with ==, element-wise


def test_the_python_conversions_raise_what_torch_raises(torch):
    for convert in (float, int, bool, lambda t: t.item()):
        for shape in ((2,), (0,)):
            with pytest.raises(Exception) as ours:
                convert(tinyconv.zeros(*shape))
            with pytest.raises(Exception) as theirs:
                convert(torch.zeros(*shape))
            assert type(ours.value) is type(theirs.value)


def test_an_integer_tensor_of_one_element_is_an_index():
    assert list(range(tinyconv.tensor(3))) == [0, 1, 2]
    assert [10, 11, 12][tinyconv.tensor(1)] == 11
    with pytest.raises(TypeError, match="only integer tensors of a single element can be used as an index"):
        [10, 11][tinyconv.tensor(1.0)]


def test_len_and_iteration_go_over_the_first_dim():
    x = tinyconv.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(x) == 3
    rows = list(x)
    assert [row.tolist() for row in rows] == [[1, 2], [3, 4], [5, 6]]
    assert all(isinstance(row, Tensor) for row in rows)


def test_iteration_keeps_the_graph():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    sum(row * k for k, row in enumerate(x)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [1.0, 1.0]])


def test_len_and_iteration_of_a_0d_tensor_raise_pytorchs_errors():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tinyconv.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tinyconv.tensor(1.0))


def test_setitem_of_a_number_writes_in_place():
    t = tinyconv.zeros(3)
    t[0] = 5
    t[1:] = tinyconv.tensor([1.0, 2.0])
    assert t.tolist() == [5.0, 1.0, 2.0]


def test_repr_names_the_dtype_only_when_pytorch_does(torch):
    # (floats are printed as NumPy prints them, not to PyTorch's 4 decimals)
    for values in ([1, 2], [True, False], 3, [[1, -2]], [[1.0]]):
        assert repr(tinyconv.tensor(values)) == repr(torch.tensor(values))
    assert repr(tinyconv.tensor([1.0, 2.0], dtype=tinyconv.float64)).endswith("dtype=float64)")
    assert repr(tinyconv.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"


# ------------------------------------------------------------------------------ autograd attributes


def test_detach_shares_the_data_but_leaves_the_graph():
    x = random_tensor(3)
    y = x * 2.0
    detached = y.detach()
    assert detached.data is y.data
    assert detached.requires_grad is False
    assert detached.grad_fn is None


def test_requires_grad_underscore_sets_it_on_a_leaf_and_returns_the_tensor():
    x = tinyconv.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False).requires_grad is False


def test_requires_grad_underscore_on_a_computed_tensor_is_refused():
    y = random_tensor(2) * 2.0
    with pytest.raises(RuntimeError, match="only be set on a leaf tensor.*detach\\(\\).requires_grad_\\(\\)"):
        y.requires_grad_(False)


def test_is_leaf_and_grad_fn_say_how_a_tensor_was_made():
    x = random_tensor(2)
    y = x * 2.0
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and type(y.grad_fn).__name__ == "Mul"


# ------------------------------------------------------------------------------ operators with numbers


X_VALUES = [1.0, 2.0, 4.0]


x_np = np.array(X_VALUES)


# name: (expression, expected value, expected d(sum of expression)/dx), the last two written by hand.
SCALAR_OPERATOR_CASES = {
    "x + 2": (lambda x: x + 2, x_np + 2, np.ones(3)),
    "2 + x": (lambda x: 2 + x, x_np + 2, np.ones(3)),
    "x - 2": (lambda x: x - 2, x_np - 2, np.ones(3)),
    "2 - x": (lambda x: 2 - x, 2 - x_np, -np.ones(3)),
    "x * 3": (lambda x: x * 3, 3 * x_np, 3 * np.ones(3)),
    "3 * x": (lambda x: 3 * x, 3 * x_np, 3 * np.ones(3)),
    "x / 2": (lambda x: x / 2, x_np / 2, np.full(3, 0.5)),
    "2 / x": (lambda x: 2 / x, [2.0, 1.0, 0.5], [-2.0, -0.5, -0.125]),  # -2 / x^2
    "x ** 2": (lambda x: x**2, [1.0, 4.0, 16.0], [2.0, 4.0, 8.0]),  # 2x
    "2 ** x": (lambda x: 2**x, [2.0, 4.0, 16.0], np.log(2) * np.array([2.0, 4.0, 16.0])),  # 2^x ln 2
    "-x": (lambda x: -x, -x_np, -np.ones(3)),
}


@pytest.mark.parametrize("name", list(SCALAR_OPERATOR_CASES))
def test_operator_with_a_python_number_value(name):
    fn, expected, _ = SCALAR_OPERATOR_CASES[name]
    np.testing.assert_allclose(fn(leaf(X_VALUES)).data, expected, rtol=1e-12)


@pytest.mark.parametrize("name", list(SCALAR_OPERATOR_CASES))
def test_operator_with_a_python_number_gradient(name):
    fn, _, expected_grad = SCALAR_OPERATOR_CASES[name]
    x = leaf(X_VALUES)
    fn(x).sum().backward()
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-12)


# ------------------------------------------------------------------------------ operators with arrays


ARRAY = np.array([3.0, -1.0, 0.5])


BASES = np.array([2.0, 0.5, 1.0])


EXPONENTS = np.array([2.0, -1.0, 1.5])


ARRAY_OPERATOR_CASES = {
    "array + x": (lambda x: ARRAY + x, ARRAY + x_np, np.ones(3)),
    "array - x": (lambda x: ARRAY - x, ARRAY - x_np, -np.ones(3)),
    "x - array": (lambda x: x - ARRAY, x_np - ARRAY, np.ones(3)),
    "array * x": (lambda x: ARRAY * x, ARRAY * x_np, ARRAY),
    "x * array": (lambda x: x * ARRAY, ARRAY * x_np, ARRAY),
    "array / x": (lambda x: ARRAY / x, ARRAY / x_np, -ARRAY / x_np**2),
    "x / array": (lambda x: x / ARRAY, x_np / ARRAY, 1 / ARRAY),
    # Powers on a positive base, so that every value is real: d(b^x)/dx = b^x ln b, d(x^e)/dx = e x^(e-1).
    "array ** x": (lambda x: BASES**x, [2.0, 0.25, 1.0], [2.0 * np.log(2.0), 0.25 * np.log(0.5), 0.0]),
    "x ** array": (lambda x: x**EXPONENTS, [1.0, 0.5, 8.0], [2.0, -0.25, 3.0]),
}


@pytest.mark.parametrize("name", list(ARRAY_OPERATOR_CASES))
def test_operator_with_an_ndarray_on_either_side(name):
    fn, expected, expected_grad = ARRAY_OPERATOR_CASES[name]
    x = leaf(X_VALUES)
    y = fn(x)
    assert isinstance(y, Tensor)  # NumPy must not absorb the tensor into an object array
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-12)


def test_operator_with_an_unsupported_operand():
    with pytest.raises(TypeError, match="operand of type str"):
        float32_ones(2) + "one"


def test_operator_with_a_numpy_scalar_treats_it_as_a_number():
    x = tinyconv.ones(2)
    y = x * np.float64(2.5)
    assert y.dtype == tinyconv.float32 and y.tolist() == [2.5, 2.5]
    assert (np.float64(1.0) + x).dtype == tinyconv.float32
    assert (x == np.float32(1.0)).tolist() == [True, True]


def test_arithmetic_never_runs_on_an_object_array():
    with pytest.raises(TypeError, match="expected numbers .*dtype object"):
        tinyconv.ones(2) + np.array([1, 2], dtype=object)
    with pytest.raises(TypeError, match="expected numbers .*dtype <U1"):
        np.array(["a", "b"]) * tinyconv.ones(2)


@pytest.mark.parametrize(
    "shape_a, shape_b, message",
    [
        (
            (2, 3),
            (4, 3),
            r"tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 0",
        ),
        ((2, 3), (2,), r"tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
        (
            (5, 2, 3),
            (4, 1),
            r"tensor a \(2\) must match the size of tensor b \(4\) at non-singleton dimension 1",
        ),
    ],
)
def test_shapes_that_do_not_broadcast_are_named_with_the_dim_that_disagrees(shape_a, shape_b, message):
    both = rf"\(shapes {re.escape(str(shape_a))} and {re.escape(str(shape_b))} do not broadcast\)"
    with pytest.raises(ValueError, match=r"^\+: the size of " + message + " " + both):
        tinyconv.zeros(*shape_a) + tinyconv.zeros(*shape_b)
    with pytest.raises(ValueError, match=r"^\*: the size of " + message):
        tinyconv.zeros(*shape_a) * tinyconv.zeros(*shape_b)


# ------------------------------------------------------------------------------ comparisons and logic


def test_comparisons_give_bool_tensors_without_gradient():
    x = leaf([1.0, 2.0, 3.0])
    for result in (x == 2.0, x != 2.0, x < 2.0, x <= 2.0, x > 2.0, x >= 2.0):
        assert result.dtype == tinyconv.bool and not result.requires_grad
    assert (x > 0).tolist() == [True, True, True]
    assert (x <= 2.0).tolist() == [True, True, False]
    assert (2.0 < x).tolist() == [False, False, True]  # a number on the left


def test_the_named_comparisons_equal_the_operators():
    a, b = tinyconv.tensor([1, 2, 3]), tinyconv.tensor([3, 2, 1])
    assert a.eq(b).tolist() == [False, True, False] and a.ne(b).tolist() == [True, False, True]
    assert a.lt(b).tolist() == [True, False, False] and a.le(b).tolist() == [True, True, False]
    assert a.gt(b).tolist() == [False, False, True] and a.ge(b).tolist() == [False, True, True]


def test_the_accuracy_idioms_of_a_training_loop():
    out = tinyconv.tensor([[0.1, 0.9], [0.8, 0.2], [0.4, 0.6]])
    y = tinyconv.tensor([1, 1, 1])
    _, pred = out.max(1)
    assert (pred == y).sum().item() == 2
    assert sum([pred == y]).tolist() == [1, 0, 1]  # Python's sum over a list of one bool tensor
    assert (out.argmax(1) == y).float().mean().item() == pytest.approx(2 / 3)


def test_comparing_with_none_or_a_string_is_false_as_in_pytorch():
    x = tinyconv.ones(2)
    assert (x == None) is False  # noqa: E711 (what the test is about)
    assert (x != "a") is True
    with pytest.raises(TypeError):
        x < "a"  # noqa: B015


def test_comparisons_equal_torchs(torch):
    a, b = np.array([1.0, 2.0, np.nan, 4.0]), np.array([1.0, 3.0, np.nan, 2.0])
    for compare in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        ours = getattr(Tensor(a), compare)(Tensor(b)).tolist()
        theirs = getattr(torch.tensor(a), compare)(torch.tensor(b)).tolist()
        assert ours == theirs, compare


def test_logical_operators_on_bool_and_integer_tensors():
    p, q = tinyconv.tensor([True, True, False]), tinyconv.tensor([True, False, False])
    assert (p & q).tolist() == [True, False, False]
    assert (p | q).tolist() == [True, True, False]
    assert (p ^ q).tolist() == [False, True, False]
    assert (~p).tolist() == [False, False, True]
    assert tinyconv.tensor([0, 2]).logical_not().tolist() == [True, False]
    assert (tinyconv.tensor([6]) & tinyconv.tensor([3])).tolist() == [2]


def test_logical_operators_on_float_tensors_are_refused():
    with pytest.raises(TypeError, match="& needs bool or integer tensors, got float32"):
        tinyconv.ones(2) & tinyconv.ones(2)
    with pytest.raises(TypeError, match="~ needs a bool or integer tensor, got float32"):
        ~tinyconv.ones(2)


def test_isnan_isfinite_and_equal():
    x = tinyconv.tensor([1.0, np.nan, np.inf])
    assert x.isnan().tolist() == [False, True, False]
    assert x.isfinite().tolist() == [True, False, False]
    assert tinyconv.tensor([1, 2]).equal(tinyconv.tensor([1, 2])) is True
    assert tinyconv.tensor([1, 2]).equal(tinyconv.tensor([[1, 2]])) is False


# --------------------------------------------------------------------------- method forms of the activations


def test_the_activation_methods_equal_the_functions():
    x = Tensor(random_array(2, 3))
    np.testing.assert_array_equal(x.relu().data, np.maximum(x.data, 0))
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp(-x.data)))
    np.testing.assert_allclose(x.tanh().data, np.tanh(x.data))
    expected = np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.softmax(dim=1).data, expected)
    np.testing.assert_allclose(x.log_softmax(1).data, np.log(expected))
    np.testing.assert_allclose(x.softmax(0).data.sum(axis=0), [1.0, 1.0, 1.0])


# ------------------------------------------------------------------------------ new tensors like this one


def test_new_zeros_ones_and_full_take_this_tensors_dtype():
    x = tinyconv.ones(2, dtype=tinyconv.float64)
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2,)).dtype == tinyconv.float64
    assert x.new_ones(3).tolist() == [1.0, 1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
