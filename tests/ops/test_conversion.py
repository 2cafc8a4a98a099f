"""The conversions (tinyconv/ops/conversion.py) and Tensor.to, which reaches them: ToDevice (here on the CPU
only: the GPU side is in tests/backend) and ToDtype (float32 <-> float64 in the graph, the gradient converted
back); Tensor.to in PyTorch's forms (a dtype, a device, both, another tensor, keywords, copy=True), the
shorthands float/double/long/int/bool and type_as, conversions to integers and bools that leave the graph, a
float64 gradient check, torch's results, and clear errors.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
from tinyconv import Tensor

# ------------------------------------------------------------------------------ to a device


def test_to_the_device_it_is_on_returns_the_tensor_itself():
    x = tinyconv.ones(2)
    assert x.to("cpu") is x
    assert x.to(tinyconv.device("cpu")) is x
    assert x.cpu() is x


def test_to_cuda_without_cupy_says_why():
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed here; the GPU side of Tensor.to is tested in tests/backend")
    with pytest.raises(
        RuntimeError, match=r"Tensor.to\('cuda'\): no GPU is available: CuPy is not installed"
    ):
        tinyconv.ones(2).to("cuda")


# ------------------------------------------------------------------------------ to a dtype


def test_to_a_float_dtype_converts_and_the_gradient_comes_back_in_the_original_dtype():
    x = Tensor(np.array([1.5, 2.5], dtype=np.float32), requires_grad=True)
    y = x.to(tinyconv.float64)
    assert y.dtype == tinyconv.float64 and y.grad_fn is not None
    y.backward(np.array([1.0, 2.0]))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_to_its_own_dtype_returns_the_tensor_itself_unless_copy_is_asked():
    x = tinyconv.ones(2)
    assert x.to(tinyconv.float32) is x
    copied = x.to(tinyconv.float32, copy=True)
    assert copied is not x and not np.shares_memory(copied.data, x.data)


def test_to_accepts_a_device_and_a_dtype_together_and_as_keywords():
    x = tinyconv.ones(2)
    assert x.to("cpu", tinyconv.float64).dtype == tinyconv.float64
    assert x.to(device="cpu", dtype=tinyconv.float64).dtype == tinyconv.float64
    assert x.to(tinyconv.device("cpu"), dtype=tinyconv.int64).dtype == tinyconv.int64


def test_to_another_tensor_takes_its_dtype_and_device():
    other = tinyconv.ones(1, dtype=tinyconv.int32)
    assert tinyconv.ones(2).to(other).dtype == tinyconv.int32
    assert tinyconv.ones(2).type_as(other).dtype == tinyconv.int32


def test_to_accepts_numpy_dtypes_and_pythons_types():
    x = tinyconv.ones(2)
    assert x.to(np.float64).dtype == tinyconv.float64
    assert x.to(float).dtype == tinyconv.float64  # Python's float is float64, as in PyTorch
    assert x.to(int).dtype == tinyconv.int64


@pytest.mark.parametrize(
    "method, dtype",
    [("float", "float32"), ("double", "float64"), ("long", "int64"), ("int", "int32"), ("bool", "bool")],
)
def test_the_shorthands_convert_to_their_dtype(method, dtype):
    assert getattr(tinyconv.tensor([0.0, 1.5]), method)().dtype == np.dtype(dtype)


def test_to_an_integer_dtype_truncates_toward_zero_and_leaves_the_graph():
    x = leaf([1.7, -1.7])
    y = x.long()
    assert y.tolist() == [1, -1]
    assert y.requires_grad is False and y.grad_fn is None


def test_to_bool_is_true_for_nonzero_and_back_to_float_is_one_and_zero():
    x = tinyconv.tensor([0.0, 2.0, -0.5])
    assert x.bool().tolist() == [False, True, True]
    assert x.bool().float().tolist() == [0.0, 1.0, 1.0]


def test_float_of_a_comparison_gives_an_accuracy():
    preds, labels = tinyconv.tensor([1, 0, 2, 2]), tinyconv.tensor([1, 1, 2, 0])
    assert (preds == labels).float().mean().item() == 0.5


# ------------------------------------------------------------------------------ gradient checks


# (op, its inputs): each case builds fresh float64 inputs
GRADCHECK_CASES = {
    "to float64 with copy=True": (
        lambda x: x.to(tinyconv.float64, copy=True) * x,
        lambda: (random_tensor(2, 3),),
    ),
    "to device cpu": (lambda x: x.to("cpu") * x, lambda: (random_tensor(2, 3),)),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_engine_op_gradient(name):
    fn, make_inputs = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *make_inputs())


def test_to_float32_and_back_gradient():
    # Through float32 a nudge of 1e-6 is mostly rounding noise, so this check nudges by 1e-2: for a
    # quadratic the central difference is exact at any step, and float32 rounds it by about 1e-5.
    x = random_tensor(2, 3)
    assert tinyconv.gradcheck(lambda x: (x.float() * x.float()).double() * 3.0, [x], eps=1e-2) is True


def test_a_round_trip_through_float32_gives_the_float64_gradient_to_float32_precision():
    x = random_tensor(2, 3)
    upstream = random_array(2, 3, seed=1)
    (x.float() * x.float()).double().backward(upstream)
    np.testing.assert_allclose(x.grad, 2 * x.data * upstream, rtol=1e-6)
    assert x.grad.dtype == np.float64


# ------------------------------------------------------------------------------ against torch


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_conversion_values_equal_torchs(torch, dtype):
    values = np.array([-1.7, -0.5, 0.0, 0.5, 1.7, 255.0])
    if dtype == "uint8":
        values = np.abs(values)  # a negative float to uint8 is undefined in C, and differs by platform
    ours = Tensor(values).to(getattr(tinyconv, dtype))
    theirs = torch.tensor(values).to(getattr(torch, dtype))
    assert ours.tolist() == theirs.tolist()


def test_the_gradient_through_float_and_double_equals_torchs(torch):
    values = random_array(2, 3)
    ours, theirs = Tensor(values.copy(), requires_grad=True), torch.tensor(values, requires_grad=True)
    (ours.float().exp().double() * 3.0).sum().backward()
    (theirs.float().exp().double() * 3.0).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------------------------ bad input


def test_to_an_unsupported_dtype_is_refused_naming_the_supported_ones():
    with pytest.raises(TypeError, match=r"Tensor.to: dtype must be one of float32, float64, .*complex64"):
        tinyconv.ones(2).to(np.complex64)


def test_to_an_unknown_device_is_refused():
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'gpu'"):
        tinyconv.ones(2).to("gpu")


def test_a_dtype_written_as_a_string_is_read_as_a_device_and_refused_as_in_pytorch():
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'float64'"):
        tinyconv.ones(2).to("float64")


def test_to_with_an_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match=r"Tensor.to: unexpected arguments \['memory_format'\]"):
        tinyconv.ones(2).to(memory_format=None)
