"""F.normalize and F.cosine_similarity (tinyconv/functional/similarity.py): unit vectors and the cosine of
an angle, by hand; the eps floor on short vectors; broadcasting; float64 gradient checks (the clamped case
included); PyTorch's functions; bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import leaf, random_array, random_tensor
from helpers.op_checks import assert_gradcheck, assert_keeps_the_floating_dtype
from helpers.torch_checks import compare_with_torch

import tinyconv.functional as F
from tinyconv import Tensor

# ------------------------------------------------------------------------------ normalize


def test_normalize_scales_each_row_to_length_one():
    y = F.normalize(leaf([[3.0, 4.0], [0.0, -2.0]]))
    np.testing.assert_allclose(y.data, [[0.6, 0.8], [0.0, -1.0]])


def test_normalize_along_another_dim_and_with_the_1_norm():
    x = leaf([[3.0, 1.0], [-1.0, 1.0]])
    by_column = [[3 / math.sqrt(10), 1 / math.sqrt(2)], [-1 / math.sqrt(10), 1 / math.sqrt(2)]]
    np.testing.assert_allclose(F.normalize(x, dim=0).data, by_column)
    np.testing.assert_allclose(F.normalize(x, p=1.0).data, [[0.75, 0.25], [-0.5, 0.5]])


def test_normalize_divides_a_vector_shorter_than_eps_by_eps():
    y = F.normalize(leaf([[1e-13, 0.0]]), eps=1e-12)
    np.testing.assert_allclose(y.data, [[0.1, 0.0]])


def test_normalize_gradient_removes_the_part_along_the_vector():
    # p = 2: dL/dx = (g - y (g . y)) / |x|; x = (3, 4), y = (0.6, 0.8), g = (1, 0): g . y = 0.6
    x = leaf([[3.0, 4.0]])
    F.normalize(x).backward(np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(x.grad, [[(1 - 0.36) / 5, -0.48 / 5]])


# ------------------------------------------------------------------------------ cosine_similarity


def test_cosine_similarity_of_rows():
    x1 = leaf([[1.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    x2 = leaf([[0.0, 2.0], [6.0, 8.0], [-1.0, -1.0]])
    np.testing.assert_allclose(F.cosine_similarity(x1, x2).data, [0.0, 1.0, -1.0], atol=1e-15)


def test_cosine_similarity_broadcasts_its_inputs():
    x1 = random_tensor(2, 3, 4, seed=1)
    x2 = random_tensor(3, 1, seed=2)
    c = F.cosine_similarity(x1, x2, dim=1)
    assert c.shape == (2, 4)
    a, b = x1.data[1, :, 2], x2.data[:, 0]
    assert math.isclose(c.data[1, 2], a @ b / np.linalg.norm(a) / np.linalg.norm(b), rel_tol=1e-12)


def test_cosine_similarity_floors_each_length_at_eps():
    c = F.cosine_similarity(leaf([[1e-10, 0.0]]), leaf([[1.0, 1.0]]), eps=1e-8)
    np.testing.assert_allclose(c.data, [1e-10 / (1e-8 * math.sqrt(2))])


def test_cosine_similarity_gradient_is_perpendicular_to_the_vector():
    # moving x1 along itself does not change the angle: dc/dx1 . x1 = 0
    x1, x2 = random_tensor(1, 5, seed=3), random_tensor(1, 5, seed=4)
    F.cosine_similarity(x1, x2).backward(np.ones(1))
    assert abs(x1.grad @ x1.data.T) < 1e-12


# --------------------------------------------------------------------------------- dtypes, gradient checks

DTYPE_CASES = {
    "normalize": F.normalize,
    "cosine_similarity": lambda x: F.cosine_similarity(x, x.detach() + 1),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


# name -> (function, input shapes); "short" inputs have a row below eps, where the length is the constant eps
GRADCHECK_CASES = {
    "normalize (N, D)": (F.normalize, [(4, 3)]),
    "normalize p=1, dim 0": (lambda x: F.normalize(x, p=1.0, dim=0), [(3, 4)]),
    "normalize p=3, (N, C, H, W) dim 1": (lambda x: F.normalize(x, p=3.0), [(2, 3, 2, 2)]),
    "normalize batch 1": (lambda x: F.normalize(x, dim=-1), [(1, 5)]),
    "normalize of a short vector": (lambda x: F.normalize(x * 1e-3, eps=0.01), [(2, 3)]),
    "cosine_similarity (N, D)": (F.cosine_similarity, [(4, 3), (4, 3)]),
    "cosine_similarity broadcast": (lambda a, b: F.cosine_similarity(a, b, dim=1), [(2, 3, 4), (3, 1)]),
    "cosine_similarity dim 0": (lambda a, b: F.cosine_similarity(a, b, dim=0), [(5,), (5,)]),
    "cosine_similarity of a short vector": (
        lambda a, b: F.cosine_similarity(a * 1e-3, b, eps=0.01),
        [(2, 3), (2, 3)],
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_gradient(name):
    fn, shapes = GRADCHECK_CASES[name]
    assert_gradcheck(fn, *(random_tensor(*shape, seed=k) for k, shape in enumerate(shapes)))


# ------------------------------------------------------------------------------ against PyTorch

TORCH_CASES = {
    "normalize": (F.normalize, lambda torch: torch.nn.functional.normalize, [(4, 3)]),
    "normalize p=1, dim 0": (
        lambda x: F.normalize(x, 1.0, 0),
        lambda torch: lambda x: torch.nn.functional.normalize(x, 1.0, 0),
        [(3, 4)],
    ),
    "normalize, a short row": (
        lambda x: F.normalize(x * Tensor(np.array([[1e-14], [1.0]], dtype=np.float32))),
        lambda torch: lambda x: torch.nn.functional.normalize(x * torch.tensor([[1e-14], [1.0]])),
        [(2, 3)],
    ),
    "cosine_similarity": (
        F.cosine_similarity,
        lambda torch: torch.nn.functional.cosine_similarity,
        [(4, 3)] * 2,
    ),
    "cosine_similarity broadcast, dim 0": (
        lambda a, b: F.cosine_similarity(a, b, dim=0),
        lambda torch: lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=0),
        [(3, 2, 4), (3, 1, 4)],
    ),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_matches_torch(torch, name):
    ours, theirs, shapes = TORCH_CASES[name]
    arrays = [random_array(*shape, seed=k + 5) for k, shape in enumerate(shapes)]
    compare_with_torch(torch, ours, theirs(torch), arrays)


def test_cosine_similarity_below_eps_has_torchs_value_but_the_true_derivative(torch):
    # PyTorch clamps the norm outside autograd: same value, another gradient in that corner
    a = np.array([[1e-10, 0.0]])
    b = np.array([[1.0, 1.0]])
    theirs = torch.nn.functional.cosine_similarity(torch.tensor(a), torch.tensor(b), eps=1e-8)
    ours = F.cosine_similarity(leaf(a), leaf(b), eps=1e-8)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    x1 = leaf(a)
    F.cosine_similarity(x1, leaf(b), eps=1e-8).backward(np.ones(1))
    np.testing.assert_allclose(x1.grad, b / (1e-8 * math.sqrt(2)))  # x2 / (eps |x2|): the length is constant


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("p", [0.5, math.inf, math.nan])
def test_normalize_p_must_be_a_finite_norm(p):
    with pytest.raises(ValueError, match="normalize: p must be a finite number >= 1"):
        F.normalize(random_tensor(2, 3), p=p)


@pytest.mark.parametrize("op", [F.normalize, lambda x, eps: F.cosine_similarity(x, x, eps=eps)])
def test_eps_must_be_positive(op):
    with pytest.raises(ValueError, match="eps must be positive, got 0.0"):
        op(random_tensor(2, 3), eps=0.0)


def test_normalize_dim_out_of_range():
    with pytest.raises(IndexError, match="normalize: dimension out of range"):
        F.normalize(random_tensor(3))  # dim=1 of a 1-D tensor, as PyTorch says too


def test_cosine_similarity_shapes_must_broadcast():
    with pytest.raises(
        ValueError, match=r"cosine_similarity: .*shapes \(2, 3\) and \(2, 4\) do not broadcast"
    ):
        F.cosine_similarity(random_tensor(2, 3), random_tensor(2, 4))


def test_cosine_similarity_dtypes_must_match():
    with pytest.raises(TypeError, match="x1 has dtype float64 but x2 has dtype float32"):
        F.cosine_similarity(random_tensor(2, 3), random_tensor(2, 3, dtype=np.float32))
