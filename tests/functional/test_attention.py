"""Scaled dot-product attention (tinyconv/functional/attention.py): by hand (uniform scores, the scale,
masks of both kinds, the causal triangle, a fully masked row), float64 gradient checks at several shapes
(masks, broadcast leading dims, a float mask that learns, dropout with a fixed draw), PyTorch's
scaled_dot_product_attention, and the bad inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.torch_checks import NETWORK_ATOL, NETWORK_RTOL

import tinyconv
from tinyconv import Tensor
from tinyconv.functional import attention
from tinyconv.functional.attention import scaled_dot_product_attention as sdpa

# ------------------------------------------------------------------------------ by hand


def test_equal_scores_average_the_values():
    q = Tensor(np.zeros((1, 2, 3)))  # every score is 0: each query weighs the 4 keys equally
    k = random_tensor(1, 4, 3)
    v = Tensor(np.arange(8.0).reshape(1, 4, 2))
    np.testing.assert_allclose(sdpa(q, k, v).data, np.tile(v.data.mean(axis=1), (1, 2, 1)))


def test_the_default_scale_is_one_over_the_square_root_of_the_width():
    q = Tensor(np.array([[[1.0, 1.0, 1.0, 1.0]]]))  # E = 4: the scale is 1/2
    k = Tensor(np.array([[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]]))  # scores 4 and 0, scaled 2 and 0
    v = Tensor(np.array([[[1.0], [0.0]]]))
    expected = math.exp(2) / (math.exp(2) + 1)  # the weight of the first value
    assert sdpa(q, k, v).item() == pytest.approx(expected, rel=1e-12)
    assert sdpa(q, k, v, scale=1.0).item() == pytest.approx(math.exp(4) / (math.exp(4) + 1), rel=1e-12)


def test_a_boolean_mask_marks_the_keys_that_take_part():
    q, k = Tensor(np.zeros((1, 1, 2))), random_tensor(1, 3, 2)
    v = Tensor(np.array([[[1.0], [10.0], [100.0]]]))
    mask = Tensor(np.array([[True, False, True]]))  # True = attend: this function's rule
    assert sdpa(q, k, v, attn_mask=mask).item() == pytest.approx((1.0 + 100.0) / 2)


def test_a_float_mask_is_added_to_the_scores():
    q, k = Tensor(np.zeros((1, 1, 2))), random_tensor(1, 2, 2)
    v = Tensor(np.array([[[1.0], [0.0]]]))
    mask = Tensor(np.array([[math.log(3.0), 0.0]]))  # the first key's weight becomes 3 to 1
    assert sdpa(q, k, v, attn_mask=mask).item() == pytest.approx(0.75)


def test_is_causal_lets_query_i_see_keys_0_to_i():
    q, k = Tensor(np.zeros((1, 3, 2))), random_tensor(1, 3, 2)
    v = Tensor(np.array([[[3.0], [6.0], [9.0]]]))
    np.testing.assert_allclose(sdpa(q, k, v, is_causal=True).data[0, :, 0], [3.0, 4.5, 6.0])


def test_a_query_whose_keys_are_all_masked_gets_zero_output_and_zero_gradient():
    q, k, v = random_tensor(1, 2, 3, seed=1), random_tensor(1, 4, 3, seed=2), random_tensor(1, 4, 3, seed=3)
    mask = Tensor(np.array([[True, True, False, False], [False, False, False, False]]))
    out = sdpa(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.data[0, 1], np.zeros(3))
    assert np.isfinite(out.data).all()
    out.sum().backward()
    np.testing.assert_array_equal(q.grad[0, 1], np.zeros(3))


def test_the_weights_kept_for_backward_are_one_l_by_s_matrix_per_batch_element():
    function = attention.ScaledDotProductAttention(0.5)
    q, k, v = random_tensor(2, 3, 5, 4), random_tensor(2, 3, 7, 4), random_tensor(2, 3, 7, 6)
    function(q, k, v)
    assert function.p.shape == (2, 3, 5, 7)


# ------------------------------------------------------------------------------ gradient checks

BOOLEAN_MASK = np.array([[1, 0, 1], [1, 1, 0]], dtype=bool)  # (L, S) = (2, 3), True = attend

# (fn of q, k, v, shapes of q, k, v)
GRADCHECK_CASES = {
    "batch 1, one head": (lambda q, k, v: sdpa(q, k, v), ((1, 1, 3, 4), (1, 1, 3, 4), (1, 1, 3, 4))),
    "L != S and E != Ev": (lambda q, k, v: sdpa(q, k, v), ((2, 5, 3), (2, 4, 3), (2, 4, 6))),
    "keys broadcast over heads": (lambda q, k, v: sdpa(q, k, v), ((2, 3, 4, 5), (2, 1, 6, 5), (2, 1, 6, 2))),
    "no batch dims": (lambda q, k, v: sdpa(q, k, v, scale=0.3), ((4, 3), (5, 3), (5, 2))),
    "causal": (lambda q, k, v: sdpa(q, k, v, is_causal=True), ((2, 4, 3), (2, 6, 3), (2, 6, 3))),
    "boolean mask": (
        lambda q, k, v: sdpa(
            q, k, v, attn_mask=Tensor(np.array([[1, 0, 1], [1, 1, 0]], dtype=bool)).to(q.device)
        ),
        ((3, 2, 4), (3, 3, 4), (3, 3, 2)),
    ),
}


def gradcheck_case(name: str) -> tuple:
    """(fn, inputs) for one GRADCHECK_CASES entry (the GPU checks run the same cases on the device)."""
    fn, shapes = GRADCHECK_CASES[name]
    return fn, [random_tensor(*shape, seed=seed) for seed, shape in enumerate(shapes)]


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_scaled_dot_product_attention_gradient(name):
    fn, inputs = gradcheck_case(name)
    assert_gradcheck(fn, *inputs)


def test_a_float_mask_that_requires_grad_gets_the_gradient_of_the_scores():
    q, k, v = random_tensor(2, 3, 4, seed=1), random_tensor(2, 5, 4, seed=2), random_tensor(2, 5, 3, seed=3)
    mask = random_tensor(3, 5, seed=4)
    assert_gradcheck(lambda q, k, v, m: sdpa(q, k, v, attn_mask=m), q, k, v, mask)


def test_dropout_gradient_with_the_draw_fixed(monkeypatch):
    # every call draws the same keep mask, so the function is deterministic and can be differentiated
    monkeypatch.setattr(attention.random, "generator", lambda: np.random.default_rng(7))
    q, k, v = random_tensor(2, 4, 3, seed=1), random_tensor(2, 5, 3, seed=2), random_tensor(2, 5, 3, seed=3)
    assert_gradcheck(lambda q, k, v: sdpa(q, k, v, dropout_p=0.4), q, k, v)


def test_dropout_zeroes_weights_and_scales_the_others(monkeypatch):
    monkeypatch.setattr(attention.random, "generator", lambda: np.random.default_rng(7))
    keep = np.random.default_rng(7).random((1, 2, 4)) >= 0.5
    q, k, v = random_tensor(1, 2, 3, seed=1), random_tensor(1, 4, 3, seed=2), random_tensor(1, 4, 2, seed=3)
    scores = q.data @ k.data.swapaxes(-1, -2) / math.sqrt(3)
    weights = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    expected = (weights * keep / 0.5) @ v.data
    np.testing.assert_allclose(sdpa(q, k, v, dropout_p=0.5).data, expected, rtol=1e-12)


# ------------------------------------------------------------------------------ against PyTorch

# (keyword arguments, shapes of q, k, v); masks are made in the test
TORCH_CASES = {
    "plain": ({}, ((2, 2, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3))),
    "scale": ({"scale": 0.7}, ((2, 5, 4), (2, 6, 4), (2, 6, 3))),
    "causal, L < S": ({"is_causal": True}, ((2, 3, 4), (2, 5, 4), (2, 5, 4))),
    "causal, L > S": ({"is_causal": True}, ((2, 5, 4), (2, 3, 4), (2, 3, 4))),
    "boolean mask with an empty row": ({"mask": "bool"}, ((2, 5, 4), (2, 6, 4), (2, 6, 3))),
    "float mask": ({"mask": "float"}, ((2, 5, 4), (2, 6, 4), (2, 6, 3))),
}


def torch_case_mask(kind, length: int, source: int):
    if kind == "bool":
        mask = np.random.default_rng(3).random((length, source)) > 0.4
        mask[1] = False  # a query that sees nothing
        return mask
    return random_array(length, source, seed=3)


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_scaled_dot_product_attention_matches_torch(torch, name):
    arguments, shapes = TORCH_CASES[name]
    arguments = dict(arguments)
    kind = arguments.pop("mask", None)
    arrays = [random_array(*shape, seed=seed) for seed, shape in enumerate(shapes)]
    mask = None if kind is None else torch_case_mask(kind, shapes[0][-2], shapes[1][-2])
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = sdpa(*ours, attn_mask=None if mask is None else Tensor(mask), **arguments)
    torch_out = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask), **arguments
    )
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)
    upstream = random_array(*out.shape, seed=9)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)


# ------------------------------------------------------------------------------ bad input


def three(q_shape=(2, 3, 4), k_shape=(2, 5, 4), v_shape=(2, 5, 3), dtype=np.float64):
    return tuple(Tensor(np.zeros(shape, dtype=dtype)) for shape in (q_shape, k_shape, v_shape))


def test_query_and_key_widths_must_match():
    with pytest.raises(ValueError, match=r"same width E \(last dim\), got 4 \(query \(2, 3, 4\)\) and 5"):
        sdpa(*three(k_shape=(2, 5, 5)))


def test_key_and_value_lengths_must_match():
    with pytest.raises(ValueError, match=r"key and value must have the same length S"):
        sdpa(*three(v_shape=(2, 6, 3)))


def test_a_mask_of_the_wrong_shape_names_the_expected_one():
    with pytest.raises(
        ValueError,
        match=r"attn_mask must broadcast to \(\.\.\., L, S\) = \(\.\.\., 3, 5\), got shape \(3, 4\)",
    ):
        sdpa(*three(), attn_mask=Tensor(np.ones((3, 4), dtype=bool)))


def test_a_mask_of_another_float_dtype_is_refused():
    with pytest.raises(TypeError, match="attn_mask must be bool or float64 like the query, got float32"):
        sdpa(*three(), attn_mask=tinyconv.zeros(3, 5))


def test_is_causal_and_a_mask_together_are_refused():
    with pytest.raises(ValueError, match="either attn_mask or is_causal=True, not both"):
        sdpa(*three(), attn_mask=Tensor(np.ones((3, 5), dtype=bool)), is_causal=True)


@pytest.mark.parametrize("dropout_p", [1.0, -0.1, float("nan")])
def test_dropout_p_must_be_a_probability_below_one(dropout_p):
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\)"):
        sdpa(*three(), dropout_p=dropout_p)


def test_inputs_of_different_dtypes_are_refused():
    q, k, v = three()
    with pytest.raises(TypeError, match="query has dtype float64 but key has dtype float32"):
        sdpa(q, tinyconv.zeros(2, 5, 4), v)


def test_integer_inputs_are_refused():
    with pytest.raises(TypeError, match="query must be a floating-point tensor"):
        sdpa(*three(dtype=np.int64))
