"""Creating tensors (tinyconv/creation.py), in the module's order: from data (tensor copies, as_tensor and
from_numpy share), filled (zeros, ones, empty, full, eye), ranges (arange's int/float rule, linspace), random
draws (randn, rand, randint in torch's forms, randperm), and tensors like another (zeros_like ...). Each
factory's default dtype, its shape forms (`zeros(2, 3)`, `zeros((2, 3))`, `zeros(size=(2, 3))`) and keywords
(dtype=, device="cpu", requires_grad=), the same results as torch where torch is installed, and clear errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv

# ------------------------------------------------------------------------------ from data


def test_tensor_function_copies_its_data():
    data = np.zeros(3, dtype=np.float32)
    x = tinyconv.tensor(data)
    data[0] = 5.0
    assert x.data[0] == 0.0


def test_tensor_takes_pytorchs_default_dtypes():
    assert tinyconv.tensor([1.0, 2.0]).dtype == tinyconv.float32
    assert tinyconv.tensor([1, 2]).dtype == tinyconv.int64
    assert tinyconv.tensor([True, False]).dtype == tinyconv.bool
    assert tinyconv.tensor([1, 2.5]).dtype == tinyconv.float32
    assert tinyconv.tensor(np.ones(2)).dtype == tinyconv.float64  # an array keeps its dtype


def test_tensor_takes_dtype_device_and_requires_grad():
    x = tinyconv.tensor([1, 2], dtype=tinyconv.float64, device="cpu", requires_grad=True)
    assert x.dtype == tinyconv.float64 and x.device == "cpu" and x.requires_grad and x.is_leaf


def test_tensor_of_a_tensor_is_a_copy_that_leaves_the_graph():
    source = tinyconv.tensor([1.0, 2.0], requires_grad=True)
    copy = tinyconv.tensor(source)
    assert not np.shares_memory(copy.data, source.data) and not copy.requires_grad


def test_as_tensor_shares_an_array_of_the_right_dtype_and_copies_otherwise():
    array = np.ones(3)
    assert np.shares_memory(tinyconv.as_tensor(array).data, array)
    assert not np.shares_memory(tinyconv.as_tensor(array, dtype=tinyconv.float32).data, array)
    assert tinyconv.as_tensor([1.0, 2.0]).dtype == tinyconv.float32


def test_as_tensor_of_a_tensor_is_the_tensor_itself():
    x = tinyconv.ones(2)
    assert tinyconv.as_tensor(x) is x
    assert tinyconv.as_tensor(x, dtype=tinyconv.float64).dtype == tinyconv.float64


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros(3)
    x = tinyconv.from_numpy(array)
    array[0] = 5.0
    x[1] = 7.0
    assert x.tolist() == [5.0, 7.0, 0.0] and array.tolist() == [5.0, 7.0, 0.0]
    assert x.dtype == tinyconv.float64  # the array's own dtype, as torch.from_numpy


# ------------------------------------------------------------------------------ filled


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factory_takes_sizes_a_tuple_a_list_or_size(name):
    factory = getattr(tinyconv, name)
    assert factory(2, 3).shape == (2, 3)
    assert factory((2, 3)).shape == (2, 3)
    assert factory([2, 3]).shape == (2, 3)
    assert factory(size=(2, 3)).shape == (2, 3)
    assert factory(()).shape == ()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factory_makes_float32_by_default_and_takes_dtype_device_requires_grad(name):
    factory = getattr(tinyconv, name)
    assert factory(2).dtype == tinyconv.float32
    x = factory(2, dtype=tinyconv.float64, device="cpu", requires_grad=True)
    assert x.dtype == tinyconv.float64 and x.device == "cpu" and x.requires_grad


def test_zeros_and_ones_values():
    np.testing.assert_array_equal(tinyconv.zeros(2, 3).data, np.zeros((2, 3)))
    np.testing.assert_array_equal(tinyconv.ones((4,)).data, np.ones(4))
    assert tinyconv.zeros(2, dtype=tinyconv.int64).tolist() == [0, 0]


def test_empty_is_filled_with_zeros_here():
    assert tinyconv.empty(3).tolist() == [0.0, 0.0, 0.0]


def test_full_takes_the_dtype_of_its_value():
    assert tinyconv.full((2,), 1.5).dtype == tinyconv.float32
    assert tinyconv.full((2,), 7).dtype == tinyconv.int64
    assert tinyconv.full((2,), True).dtype == tinyconv.bool
    assert tinyconv.full((2, 2), 3.0, dtype=tinyconv.float64).tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_eye_is_the_identity_square_or_not():
    assert tinyconv.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tinyconv.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert tinyconv.eye(2).dtype == tinyconv.float32


# ------------------------------------------------------------------------------ ranges


def test_arange_of_ints_is_int64_and_of_any_float_float32():
    assert tinyconv.arange(5).tolist() == [0, 1, 2, 3, 4] and tinyconv.arange(5).dtype == tinyconv.int64
    assert tinyconv.arange(2, 8, 3).tolist() == [2, 5]
    assert tinyconv.arange(5.0).dtype == tinyconv.float32
    assert tinyconv.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tinyconv.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert tinyconv.arange(3, dtype=tinyconv.float64).dtype == tinyconv.float64


def test_arange_takes_numpy_integers_and_one_element_tensors():
    assert tinyconv.arange(np.int64(3)).tolist() == [0, 1, 2]
    assert tinyconv.arange(tinyconv.tensor(3)).tolist() == [0, 1, 2]


def test_linspace_includes_both_ends():
    x = tinyconv.linspace(0, 1, 5)
    assert x.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and x.dtype == tinyconv.float32


# ------------------------------------------------------------------------------ random


def test_randn_draws_standard_normal_float32_samples():
    tinyconv.manual_seed(0)
    x = tinyconv.randn(200, 500)
    assert x.shape == (200, 500)
    assert x.dtype == np.float32
    assert abs(float(x.data.mean())) < 0.01  # 100,000 samples: the mean's standard error is 0.003
    assert abs(float(x.data.std()) - 1.0) < 0.01


def test_rand_draws_from_zero_to_one():
    tinyconv.manual_seed(0)
    x = tinyconv.rand(10000)
    assert 0.0 <= float(x.data.min()) and float(x.data.max()) < 1.0
    assert abs(float(x.data.mean()) - 0.5) < 0.01


@pytest.mark.parametrize(
    "call, low, high, shape",
    [
        (lambda: tinyconv.randint(10, (300,)), 0, 10, (300,)),
        (lambda: tinyconv.randint(5, 10, (300,)), 5, 10, (300,)),
        (lambda: tinyconv.randint(5, 10, size=(30, 10)), 5, 10, (30, 10)),
        (lambda: tinyconv.randint(10, size=(300,)), 0, 10, (300,)),
        (lambda: tinyconv.randint(low=2, high=4, size=(300,)), 2, 4, (300,)),
        (lambda: tinyconv.randint(high=3, size=[300]), 0, 3, (300,)),
    ],
    ids=["high, size", "low, high, size", "size=", "high, size=", "all keywords", "high=, a list"],
)
def test_randint_in_each_of_torchs_forms(call, low, high, shape):
    tinyconv.manual_seed(0)
    x = call()
    assert x.shape == shape and x.dtype == tinyconv.int64
    assert set(x.data.ravel().tolist()) == set(range(low, high))  # 300 draws: every value comes up


def test_randint_takes_a_dtype():
    assert tinyconv.randint(0, 2, (3,), dtype=tinyconv.float32).dtype == tinyconv.float32


def test_randperm_is_a_permutation():
    tinyconv.manual_seed(0)
    x = tinyconv.randperm(6)
    assert sorted(x.tolist()) == list(range(6)) and x.dtype == tinyconv.int64


def test_the_seed_makes_the_draws_repeatable():
    tinyconv.manual_seed(3)
    first = tinyconv.randn(4).tolist(), tinyconv.randint(100, (4,)).tolist()
    tinyconv.manual_seed(3)
    assert (tinyconv.randn(4).tolist(), tinyconv.randint(100, (4,)).tolist()) == first


# ------------------------------------------------------------------------------ like another tensor


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
def test_like_takes_the_shape_and_dtype_of_the_other(name):
    other = tinyconv.ones(2, 3, dtype=tinyconv.float64)
    x = getattr(tinyconv, name)(other)
    assert x.shape == (2, 3) and x.dtype == tinyconv.float64 and not x.requires_grad
    assert getattr(tinyconv, name)(other, dtype=tinyconv.float32, device="cpu").dtype == tinyconv.float32


def test_like_values():
    other = tinyconv.ones(2, dtype=tinyconv.int64)
    assert tinyconv.zeros_like(other).tolist() == [0, 0]
    assert tinyconv.ones_like(other).tolist() == [1, 1]
    assert tinyconv.full_like(other, 7).tolist() == [7, 7]
    assert tinyconv.zeros_like(tinyconv.ones(2), requires_grad=True).requires_grad


# ------------------------------------------------------------------------------ against torch


# name: a call that reads the same in both libraries, given the library; shapes, dtypes and values agree
TORCH_CASES = {
    "tensor of floats": lambda lib: lib.tensor([1.0, 2.5]),
    "tensor of ints": lambda lib: lib.tensor([[1, 2], [3, 4]]),
    "tensor of bools": lambda lib: lib.tensor([True, False]),
    "tensor of mixed numbers": lambda lib: lib.tensor([1, 2.5, True]),
    "tensor of a float64 array": lambda lib: lib.tensor(np.array([1.0, 2.0])),
    "tensor with a dtype": lambda lib: lib.tensor([1.7, -1.7], dtype=lib.int64),
    "zeros": lambda lib: lib.zeros(2, 3),
    "ones with a dtype": lambda lib: lib.ones((2,), dtype=lib.int32),
    "full, float": lambda lib: lib.full((2, 2), 1.5),
    "full, int": lambda lib: lib.full((2,), 3),
    "full, bool": lambda lib: lib.full((2,), True),
    "eye": lambda lib: lib.eye(2, 3),
    "arange(5)": lambda lib: lib.arange(5),
    "arange(5.0)": lambda lib: lib.arange(5.0),
    "arange(1, 2.5, 0.5)": lambda lib: lib.arange(1, 2.5, 0.5),
    "arange(10, 0, -3)": lambda lib: lib.arange(10, 0, -3),
    "arange(0, 1, 0.1)": lambda lib: lib.arange(0, 1, 0.1),
    "linspace": lambda lib: lib.linspace(-1, 1, 5),
    "zeros_like": lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.float64)),
    "full_like": lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), 7),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_factory_result_equals_torchs(torch, name):
    ours, theirs = TORCH_CASES[name](tinyconv), TORCH_CASES[name](torch)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


# ------------------------------------------------------------------------------ bad input


def test_a_negative_or_fractional_size_is_refused():
    with pytest.raises(ValueError, match=r"shape \(-1,\): each size must be a non-negative int, got -1"):
        tinyconv.zeros(-1)
    with pytest.raises(ValueError, match="each size must be a non-negative int, got 2.5"):
        tinyconv.ones(2.5)


def test_a_shape_given_twice_is_refused():
    with pytest.raises(TypeError, match=r"give the shape once: as sizes \(2,\) or as size=\(3,\)"):
        tinyconv.zeros(2, size=(3,))


def test_arange_with_a_zero_step_or_a_step_the_wrong_way_is_refused():
    with pytest.raises(ValueError, match="step must not be 0"):
        tinyconv.arange(0, 5, 0)
    with pytest.raises(ValueError, match="upper bound and lower bound inconsistent with step sign"):
        tinyconv.arange(5, 0)


def test_arange_of_something_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match="arange: end must be a number, got '5'"):
        tinyconv.arange("5")


def test_randint_with_a_bare_int_size_or_without_high_is_refused():
    with pytest.raises(TypeError, match=r"give high and the size as a tuple, as in randint\(10, \(3,\)\)"):
        tinyconv.randint(10, 3)
    with pytest.raises(TypeError, match="got high=None"):
        tinyconv.randint(size=(3,))


def test_randint_with_high_not_above_low_is_refused():
    with pytest.raises(ValueError, match="randint: high must be an int >= 6, got 5"):
        tinyconv.randint(5, 5, (2,))


def test_from_numpy_of_a_list_is_refused():
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        tinyconv.from_numpy([1.0, 2.0])


def test_requires_grad_on_an_integer_factory_is_refused():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        tinyconv.zeros(2, dtype=tinyconv.int64, requires_grad=True)


def test_a_like_factory_of_something_that_is_not_a_tensor_is_refused():
    with pytest.raises(TypeError, match="zeros_like: expected a Tensor to take the shape of, got ndarray"):
        tinyconv.zeros_like(np.ones(2))
