"""The package functions (tinyconv/functions.py, and the joins tinyconv.cat/stack from ops/join.py):
`tinyconv.exp(x)` is `x.exp()`, `tinyconv.max(x, 1)` is `x.max(1)`... Each function gives what the method
it wraps gives, takes torch's arguments in torch's order (the same call on torch gives the same numbers),
and refuses, naming itself, an argument that is not a tensor.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array

import tinyconv
from tinyconv import Tensor

X = random_array(2, 3, 4, seed=1) * 0.9  # within (-3, 3); positive where a function needs it
POSITIVE = np.abs(X) + 0.5
MATRIX = random_array(3, 3, seed=2)

# name: (the input array, the arguments after it); `tinyconv.name(x, *args)` must equal `x.name(*args)`
# and `torch.name(x, *args)`
METHOD_FUNCTIONS = {
    "exp": (X, ()),
    "log": (POSITIVE, ()),
    "sqrt": (POSITIVE, ()),
    "rsqrt": (POSITIVE, ()),
    "abs": (X, ()),
    "sin": (X, ()),
    "cos": (X, ()),
    "tanh": (X, ()),
    "sigmoid": (X, ()),
    "relu": (X, ()),
    "softmax": (X, (1,)),
    "log_softmax": (X, (-1,)),
    "clamp": (X, (-0.5, 0.5)),
    "clip": (X, (None, 0.5)),
    "sum": (X, (1, True)),
    "mean": (X, ((0, 2),)),
    "prod": (X, (1,)),
    "var": (X, (1, False, True)),
    "std": (X, (2,)),
    "max": (X, (1,)),
    "min": (X, (-1, True)),
    "amax": (X, ((0, 1),)),
    "amin": (X, (2,)),
    "argmax": (X, (1,)),
    "argmin": (X, ()),
    "logsumexp": (X, (2, True)),
    "norm": (X, (1, 2)),
    "cumsum": (X, (0,)),
    "all": (X > 0, (1,)),
    "any": (X > 0, ()),
    "isnan": (X, ()),
    "isfinite": (X, ()),
    "reshape": (X, ((4, 6),)),
    "flatten": (X, (1,)),
    "squeeze": (X[:, :1], (1,)),
    "unsqueeze": (X, (-1,)),
    "transpose": (X, (0, 2)),
    "permute": (X, ((2, 0, 1),)),
    "t": (MATRIX, ()),
    "flip": (X, ((0, 2),)),
    "roll": (X, (1, 2)),
    "chunk": (X, (2, 1)),
    "narrow": (X, (2, 1, 2)),
    "clone": (X, ()),
}


def as_arrays(result) -> list:
    """A function's result as a list of NumPy arrays (several for (values, indices) or chunks)."""
    results = result if isinstance(result, (tuple, list)) else (result,)
    return [r.numpy() if hasattr(r, "numpy") else np.asarray(r) for r in results]


@pytest.mark.parametrize("name", list(METHOD_FUNCTIONS))
def test_the_function_equals_the_method_it_wraps(name):
    array, args = METHOD_FUNCTIONS[name]
    x = Tensor(array.copy())
    for ours, method in zip(as_arrays(getattr(tinyconv, name)(x, *args)), as_arrays(getattr(x, name)(*args))):
        np.testing.assert_array_equal(ours, method)


@pytest.mark.parametrize("name", list(METHOD_FUNCTIONS))
def test_the_function_equals_torchs(torch, name):
    array, args = METHOD_FUNCTIONS[name]
    ours = as_arrays(getattr(tinyconv, name)(Tensor(array.copy()), *args))
    theirs = as_arrays(getattr(torch, name)(torch.tensor(array), *args))
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape and mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)


def test_max_and_min_of_two_tensors_are_element_wise():
    a, b = tinyconv.tensor([1.0, 5.0]), tinyconv.tensor([3.0, 2.0])
    assert tinyconv.max(a, b).tolist() == [3.0, 5.0]
    assert tinyconv.min(a, b).tolist() == [1.0, 2.0]
    assert tinyconv.maximum(a, b).tolist() == [3.0, 5.0]
    assert tinyconv.minimum(a, b).tolist() == [1.0, 2.0]


def test_max_of_a_dim_is_the_named_pair():
    values, indices = tinyconv.max(tinyconv.tensor([[1.0, 3.0], [4.0, 2.0]]), 1)
    assert values.tolist() == [3.0, 4.0] and indices.tolist() == [1, 0]


def test_where_gather_scatter_add_and_masked_fill_equal_their_methods():
    x = Tensor(X[0].copy())
    mask = x > 0
    index = tinyconv.tensor([[0, 3], [2, 2], [1, 0]])
    assert (
        tinyconv.where(mask, x, 0.0).tolist() == x.where(mask, tinyconv.zeros(3, 4, dtype=x.dtype)).tolist()
    )
    assert tinyconv.gather(x, 1, index).tolist() == x.gather(1, index).tolist()
    src = tinyconv.ones(3, 2, dtype=tinyconv.float64)
    assert tinyconv.scatter_add(x, 1, index, src).tolist() == x.scatter_add(1, index, src).tolist()
    assert tinyconv.masked_fill(x, mask, 1.0).tolist() == x.masked_fill(mask, 1.0).tolist()


def test_matmul_mm_and_bmm_multiply_matrices():
    a, b = Tensor(random_array(2, 3, seed=1)), Tensor(random_array(3, 4, seed=2))
    np.testing.assert_allclose(tinyconv.matmul(a, b).data, a.data @ b.data)
    np.testing.assert_allclose(tinyconv.mm(a, b).data, a.data @ b.data)
    batch_a, batch_b = Tensor(random_array(2, 2, 3, seed=3)), Tensor(random_array(2, 3, 1, seed=4))
    np.testing.assert_allclose(tinyconv.bmm(batch_a, batch_b).data, batch_a.data @ batch_b.data)


def test_mm_and_bmm_refuse_the_wrong_number_of_dims():
    with pytest.raises(ValueError, match=r"mm: expected two matrices, got shapes \(2, 3, 4\) and \(4, 2\)"):
        tinyconv.mm(tinyconv.zeros(2, 3, 4), tinyconv.zeros(4, 2))
    with pytest.raises(ValueError, match=r"bmm: expected two 3-D batches of matrices"):
        tinyconv.bmm(tinyconv.zeros(3, 4), tinyconv.zeros(4, 2))


def test_equal_and_allclose_compare_whole_tensors():
    a = tinyconv.tensor([1.0, 2.0])
    assert tinyconv.equal(a, tinyconv.tensor([1.0, 2.0])) is True
    assert tinyconv.equal(a, tinyconv.tensor([1.0, 2.0, 3.0])) is False
    assert tinyconv.allclose(a, a + 1e-9) is True and tinyconv.allclose(a, a + 1e-3) is False


def test_cat_and_stack_take_dim_as_torch():
    a, b = tinyconv.zeros(2, 3), tinyconv.ones(2, 3)
    assert tinyconv.cat([a, b], dim=1).shape == (2, 6)
    assert tinyconv.stack([a, b], dim=1).shape == (2, 2, 3)
    assert tinyconv.cat([a, b], 0).tolist() == [[0.0] * 3] * 2 + [[1.0] * 3] * 2


def test_cat_and_stack_equal_torchs(torch):
    arrays = [random_array(2, 3, seed=k) for k in range(3)]
    for dim in (0, 1, -1):
        np.testing.assert_array_equal(
            tinyconv.cat([Tensor(a) for a in arrays], dim=dim).data,
            torch.cat([torch.tensor(a) for a in arrays], dim=dim),
        )
        np.testing.assert_array_equal(
            tinyconv.stack([Tensor(a) for a in arrays], dim).data,
            torch.stack([torch.tensor(a) for a in arrays], dim),
        )


def test_the_functions_keep_the_graph():
    x = tinyconv.tensor([1.0, 2.0], requires_grad=True)
    tinyconv.sum(tinyconv.exp(x) * tinyconv.clamp(x, max=1.5)).backward()
    np.testing.assert_allclose(x.grad, [np.e * 1 + np.e, np.exp(2.0) * 1.5])


@pytest.mark.parametrize(
    "name, args",
    [("exp", ()), ("sum", ()), ("max", ()), ("reshape", ((2,),)), ("clamp", (0.0,)), ("transpose", (0, 1))],
)
def test_a_function_given_something_other_than_a_tensor_names_itself(name, args):
    with pytest.raises(TypeError, match=f"{name}: expected a tinyconv.Tensor, got list"):
        getattr(tinyconv, name)([1.0, 2.0], *args)
