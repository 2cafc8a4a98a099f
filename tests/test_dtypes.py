"""Data types (tinyconv/dtypes.py): PyTorch's names, usable wherever a dtype is taken, and PyTorch's rule for
the dtype of a mixed operation.

The rule is specified twice: by hand, on the cases a learner meets (x * 2.0 stays float32, an int64 tensor
times a float32 one is float32...), and against torch, on every pair among bool, uint8, int32, int64,
float32 and float64 tensors, 0-d tensors of those dtypes, and Python's bool, int and float, for + - * / and
the comparisons, both ways round. Then the operations that refuse mixed dtypes instead (@, as torch), and
clear errors for dtypes tinyconv does not have.
"""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest

import tinyconv
from tinyconv import dtypes

# ------------------------------------------------------------------------------ the names


@pytest.mark.parametrize(
    "name, numpy_dtype",
    [
        ("float32", np.float32),
        ("float", np.float32),
        ("float64", np.float64),
        ("double", np.float64),
        ("int64", np.int64),
        ("long", np.int64),
        ("int32", np.int32),
        ("int", np.int32),
        ("int16", np.int16),
        ("short", np.int16),
        ("int8", np.int8),
        ("uint8", np.uint8),
        ("bool", np.bool_),
    ],
)
def test_each_name_is_the_numpy_dtype_of_pytorchs_meaning(name, numpy_dtype):
    assert getattr(tinyconv, name) == np.dtype(numpy_dtype)


def test_a_tensors_dtype_compares_equal_to_the_name():
    assert tinyconv.zeros(2).dtype == tinyconv.float32
    assert tinyconv.tensor([1, 2]).dtype == tinyconv.int64
    assert (tinyconv.zeros(2) > 0).dtype == tinyconv.bool


def test_the_names_work_wherever_a_dtype_is_taken():
    assert tinyconv.zeros(3, dtype=tinyconv.int64).dtype == np.int64
    assert tinyconv.tensor([1.0], dtype=tinyconv.float64).dtype == np.float64
    assert tinyconv.ones(2).to(tinyconv.float64).dtype == np.float64
    assert tinyconv.arange(3, dtype=tinyconv.float32).dtype == np.float32


def test_pythons_types_are_read_as_pytorch_reads_them():
    assert dtypes.as_dtype(float, "test") == np.float64
    assert dtypes.as_dtype(int, "test") == np.int64
    assert dtypes.as_dtype(bool, "test") == np.bool_


def test_an_unsupported_dtype_is_refused_naming_the_supported_ones():
    with pytest.raises(
        TypeError, match=r"zeros-ish: dtype must be one of float32, float64, int64, .*got .*complex"
    ):
        dtypes.as_dtype(np.complex64, "zeros-ish")
    with pytest.raises(TypeError, match="tensor creation: dtype must be one of"):
        tinyconv.zeros(2, dtype="float16")


# ------------------------------------------------------------------------------ promotion, by hand


def tensor_of(dtype, zero_d: bool = False):
    """A tensor of ones of the dtype: shape (2,), or () for a 0-d tensor."""
    return tinyconv.ones(*(() if zero_d else (2,)), dtype=dtype)


# name: (expression, expected dtype), each one of PyTorch's rules
PROMOTION_CASES = {
    "float32 * a Python float stays float32": (lambda: tensor_of(tinyconv.float32) * 2.5, "float32"),
    "float32 * a NumPy float64 scalar stays float32": (
        lambda: tensor_of(tinyconv.float32) * np.float64(2.5),
        "float32",
    ),
    "float64 + a Python int stays float64": (lambda: tensor_of(tinyconv.float64) + 1, "float64"),
    "int64 * a Python float is float32, the default": (lambda: tensor_of(tinyconv.int64) * 2.5, "float32"),
    "int32 + a Python int stays int32": (lambda: tensor_of(tinyconv.int32) + 7, "int32"),
    "uint8 + a Python int stays uint8": (lambda: tensor_of(tinyconv.uint8) + 7, "uint8"),
    "bool + a Python int is int64": (lambda: tensor_of(tinyconv.bool) + 1, "int64"),
    "bool + a Python bool stays bool": (lambda: tensor_of(tinyconv.bool) + True, "bool"),
    "int64 + float32 is float32": (
        lambda: tensor_of(tinyconv.int64) + tensor_of(tinyconv.float32),
        "float32",
    ),
    "float32 + float64 is float64": (
        lambda: tensor_of(tinyconv.float32) + tensor_of(tinyconv.float64),
        "float64",
    ),
    "int32 + int64 is int64": (lambda: tensor_of(tinyconv.int32) + tensor_of(tinyconv.int64), "int64"),
    "uint8 + int8 is int16": (lambda: tensor_of(tinyconv.uint8) + tensor_of(tinyconv.int8), "int16"),
    "float32 * a 0-d float64 stays float32": (
        lambda: tensor_of(tinyconv.float32) * tensor_of(tinyconv.float64, zero_d=True),
        "float32",
    ),
    "int64 * a 0-d float64 is float64": (
        lambda: tensor_of(tinyconv.int64) * tensor_of(tinyconv.float64, zero_d=True),
        "float64",
    ),
    "two 0-d tensors promote as usual": (
        lambda: tensor_of(tinyconv.float32, True) * tensor_of(tinyconv.float64, True),
        "float64",
    ),
    "int64 / int64 is float32": (lambda: tensor_of(tinyconv.int64) / tensor_of(tinyconv.int64), "float32"),
    "int64 / a Python int is float32": (lambda: tensor_of(tinyconv.int64) / 2, "float32"),
    "float64 / a Python int stays float64": (lambda: tensor_of(tinyconv.float64) / 2, "float64"),
    "a comparison is bool": (lambda: tensor_of(tinyconv.float32) < 2.5, "bool"),
    "int64 ** a Python int stays int64": (lambda: tensor_of(tinyconv.int64) ** 2, "int64"),
    "a Python int ** float32 is float32": (lambda: 2 ** tensor_of(tinyconv.float32), "float32"),
}


@pytest.mark.parametrize("name", list(PROMOTION_CASES))
def test_promotion_rule(name):
    expression, expected = PROMOTION_CASES[name]
    assert expression().dtype == np.dtype(expected)


def test_a_comparison_across_dtypes_compares_the_values_not_the_bits():
    assert (tinyconv.tensor([1, 2]) == tinyconv.tensor([1.0, 2.5])).tolist() == [True, False]
    assert (tinyconv.tensor([2]) < 2.5).tolist() == [True]


def test_result_type_of_several_operands_lets_the_dimensioned_tensors_decide():
    int_tensor, float64_0d = tensor_of(tinyconv.int64), tensor_of(tinyconv.float64, zero_d=True)
    assert dtypes.result_type(int_tensor, float64_0d, 2.5) == np.float64
    assert dtypes.result_type(tensor_of(tinyconv.float32), float64_0d, 1) == np.float32
    assert dtypes.result_type(tensor_of(tinyconv.int32), 1, True) == np.int32


def test_subtraction_with_a_bool_tensor_is_refused_as_in_pytorch():
    mask = tinyconv.tensor([True, False])
    with pytest.raises(TypeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        tinyconv.ones(2) - mask
    with pytest.raises(TypeError, match="use the `~` or `logical_not\\(\\)` operator"):
        1 - mask


# ------------------------------------------------------------------------------ promotion, against torch


NAMES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
# the other operand: a tensor with dims, a 0-d tensor, or a Python number
OTHERS = [(name, "tensor") for name in NAMES] + [(name, "0-d tensor") for name in NAMES]
OTHERS += [(True, "Python bool"), (2, "Python int"), (2.5, "Python float")]
OPERATIONS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "==": operator.eq,
    "<": operator.lt,
    ">=": operator.ge,
}


def make_operand(library, value, kind: str):
    """The operand in one library: ones of a dtype, shaped (2,) or (), or the Python number itself."""
    if kind.startswith("Python"):
        return value
    shape = () if kind == "0-d tensor" else (2,)
    return library.ones(shape, dtype=getattr(library, value))


def apply(operation, reverse: bool, library, name: str, other, kind: str):
    """`ones(2, dtype=name) op other` in one library, or `other op ones(...)` when reverse."""
    a, b = library.ones(2, dtype=getattr(library, name)), make_operand(library, other, kind)
    return operation(b, a) if reverse else operation(a, b)


def outcome(compute) -> str:
    """The result's dtype name, or 'refused' if the operation raises."""
    try:
        return str(compute().dtype).removeprefix("torch.")
    except (TypeError, RuntimeError):
        return "refused"


@pytest.mark.parametrize("other, kind", OTHERS, ids=[f"{kind} {value}" for value, kind in OTHERS])
@pytest.mark.parametrize("name", NAMES)
def test_result_dtype_of_every_operation_equals_torchs(torch, name, other, kind):
    differences = []
    for symbol, operation in OPERATIONS.items():
        for reverse in (False, True):
            ours = outcome(functools.partial(apply, operation, reverse, tinyconv, name, other, kind))
            theirs = outcome(functools.partial(apply, operation, reverse, torch, name, other, kind))
            if ours != theirs:
                order = f"{kind} {symbol} {name}" if reverse else f"{name} {symbol} {kind}"
                differences.append(f"{order}: tinyconv {ours}, torch {theirs}")
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("name", NAMES)
def test_values_of_mixed_arithmetic_equal_torchs(torch, name):
    values = np.array([0, 1, 3, 7])
    for other_name in NAMES:
        a = (
            tinyconv.tensor(values).to(getattr(tinyconv, name)),
            torch.tensor(values).to(getattr(torch, name)),
        )
        b = (
            tinyconv.tensor(values + 1).to(getattr(tinyconv, other_name)),
            torch.tensor(values + 1).to(getattr(torch, other_name)),
        )
        for operation in (operator.add, operator.mul, operator.truediv):
            np.testing.assert_allclose(
                operation(a[0], b[0]).data,
                operation(a[1], b[1]).numpy(),
                rtol=1e-6,
                err_msg=f"{name}, {other_name}",
            )


# ------------------------------------------------------------------------------ operations that refuse a mix


def test_matmul_of_float32_with_float64_is_refused_as_in_pytorch():
    with pytest.raises(
        TypeError, match="matmul: expected both operands to have the same dtype, but got float32 and float64"
    ):
        tinyconv.ones(2, 2) @ tinyconv.ones(2, 2, dtype=tinyconv.float64)


def test_matmul_refuses_the_same_mix_as_torch(torch):
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="same dtype"):
        tinyconv.ones(2, 2) @ tinyconv.ones(2, 2, dtype=tinyconv.float64)
