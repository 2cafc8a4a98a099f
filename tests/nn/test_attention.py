"""nn.MultiheadAttention (tinyconv/nn/attention.py): PyTorch's parameters and initialization, its mask
rule (True = not allowed, the opposite of scaled_dot_product_attention's), its layouts (sequence first,
batch first, unbatched) and attention weights; the same outputs and gradients as torch.nn's with the
same weights; dropout; the bad inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.torch_checks import assert_module_matches_torch

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.functional.attention import scaled_dot_product_attention
from tinyconv.nn.attention import MultiheadAttention

# ------------------------------------------------------------------------------ parameters


def test_parameters_have_pytorch_s_names_and_shapes():
    attention = MultiheadAttention(12, 3)
    assert [(name, p.shape) for name, p in attention.named_parameters()] == [
        ("in_proj_weight", (36, 12)),
        ("in_proj_bias", (36,)),
        ("out_proj.weight", (12, 12)),
        ("out_proj.bias", (12,)),
    ]
    assert [name for name, _ in MultiheadAttention(12, 3, bias=False).named_parameters()] == [
        "in_proj_weight",
        "out_proj.weight",
    ]


def test_initialization_is_pytorch_s():
    tinyconv.manual_seed(0)
    attention = MultiheadAttention(64, 4)
    xavier_bound = math.sqrt(6 / (64 + 3 * 64))  # fan_in 64, fan_out 192: the (3E, E) matrix as a whole
    assert np.abs(attention.in_proj_weight.data).max() <= xavier_bound
    assert np.abs(attention.in_proj_weight.data).max() > 0.9 * xavier_bound
    assert np.abs(attention.out_proj.weight.data).max() <= 1 / math.sqrt(64)  # PyTorch's Linear default
    assert not attention.in_proj_bias.data.any() and not attention.out_proj.bias.data.any()


# ------------------------------------------------------------------------------ forward by hand


def test_one_head_is_scaled_dot_product_attention_between_the_projections():
    attention = MultiheadAttention(4, 1, batch_first=True).double()
    x = random_tensor(2, 5, 4, requires_grad=False)
    w_q, w_k, w_v = (Tensor(w) for w in np.split(attention.in_proj_weight.data, 3))
    b_q, b_k, b_v = (Tensor(b) for b in np.split(attention.in_proj_bias.data, 3))
    expected = scaled_dot_product_attention(
        F.linear(x, w_q, b_q), F.linear(x, w_k, b_k), F.linear(x, w_v, b_v)
    )
    output, _ = attention(x, x, x)
    np.testing.assert_allclose(output.data, attention.out_proj(expected).data, rtol=1e-12)


def test_the_weights_are_averaged_over_the_heads_unless_asked_per_head():
    attention = MultiheadAttention(8, 2, batch_first=True).double()
    q, k = random_tensor(3, 4, 8, seed=1), random_tensor(3, 6, 8, seed=2)
    _, per_head = attention(q, k, k, average_attn_weights=False)
    _, averaged = attention(q, k, k)
    assert per_head.shape == (3, 2, 4, 6) and averaged.shape == (3, 4, 6)
    np.testing.assert_allclose(averaged.data, per_head.data.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(per_head.data.sum(axis=-1), 1, rtol=1e-12)
    assert attention(q, k, k, need_weights=False)[1] is None


def test_the_boolean_mask_trap_true_means_ignore_here_and_attend_in_sdpa():
    # the same boolean mask, True on key 0, means "ignore key 0" here and "only key 0" in sdpa
    attention = MultiheadAttention(4, 1, batch_first=True).double()
    x = random_tensor(1, 3, 4, requires_grad=False)
    mask = Tensor(np.array([[True, False, False]]))
    _, weights = attention(x, x, x, key_padding_mask=mask)
    assert (weights.data[0, :, 0] == 0).all() and (weights.data[0, :, 1:] > 0).all()
    q = Tensor(np.zeros((1, 3, 4)))
    only_key_0 = scaled_dot_product_attention(q, x, x, attn_mask=Tensor(np.array([[True, False, False]])))
    np.testing.assert_allclose(only_key_0.data[0], np.tile(x.data[0, 0], (3, 1)), rtol=1e-12)


def test_unbatched_input_gives_unbatched_output_and_weights():
    attention = MultiheadAttention(6, 2).double()
    q, k = random_tensor(4, 6, seed=1), random_tensor(5, 6, seed=2)
    output, weights = attention(q, k, k)
    batched_output, batched_weights = attention(q.unsqueeze(1), k.unsqueeze(1), k.unsqueeze(1))
    assert output.shape == (4, 6) and weights.shape == (4, 5)
    np.testing.assert_allclose(output.data, batched_output.data[:, 0], rtol=1e-12)
    np.testing.assert_allclose(weights.data, batched_weights.data[0], rtol=1e-12)


def test_a_query_that_may_attend_nothing_gives_nan_with_weights_and_zero_without():
    attention = MultiheadAttention(4, 2, batch_first=True).double()
    x = random_tensor(2, 3, 4, requires_grad=False)
    padding = Tensor(np.array([[True, True, True], [False, False, True]]))  # sequence 0 is all padding
    output, weights = attention(x, x, x, key_padding_mask=padding)
    assert np.isnan(output.data[0]).all() and np.isnan(weights.data[0]).all()
    assert np.isfinite(output.data[1]).all()
    output, _ = attention(x, x, x, key_padding_mask=padding, need_weights=False)
    np.testing.assert_allclose(output.data[0], np.tile(attention.out_proj.bias.data, (3, 1)), atol=1e-15)


def test_dropout_acts_while_training_only():
    tinyconv.manual_seed(0)
    attention = MultiheadAttention(4, 1, dropout=0.5, batch_first=True).double()
    x = random_tensor(1, 6, 4, requires_grad=False)
    first, second = attention(x, x, x)[1].data, attention(x, x, x)[1].data
    assert not np.allclose(first, second) and (first == 0).any()
    attention.eval()
    np.testing.assert_array_equal(attention(x, x, x)[1].data, attention(x, x, x)[1].data)


# ------------------------------------------------------------------------------ against PyTorch

# (batch_first, query shape, key shape, masks): masks are built by name in the test
TORCH_CASES = {
    "sequence first": (False, (5, 2, 8), (7, 2, 8), ()),
    "batch first": (True, (2, 5, 8), (2, 7, 8), ()),
    "key padding mask": (True, (2, 5, 8), (2, 7, 8), ("key_padding_mask",)),
    "boolean attn_mask": (False, (5, 2, 8), (7, 2, 8), ("attn_mask",)),
    "float attn_mask per head": (True, (2, 5, 8), (2, 7, 8), ("attn_mask per head",)),
    "both masks": (True, (2, 5, 8), (2, 7, 8), ("key_padding_mask", "attn_mask")),
    "unbatched": (False, (5, 8), (7, 8), ()),
}


def torch_case_masks(names, batch: int, length: int, source: int) -> dict:
    masks = {}
    if "key_padding_mask" in names:
        padding = np.zeros((batch, source), dtype=bool)
        padding[1, source - 2 :] = True
        masks["key_padding_mask"] = padding
    if "attn_mask" in names:
        masks["attn_mask"] = np.triu(np.ones((length, source), dtype=bool), k=3)
    if "attn_mask per head" in names:
        masks["attn_mask"] = random_array(batch * 2, length, source, seed=8)
    return masks


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_multihead_attention_matches_torch(torch, name):
    batch_first, q_shape, k_shape, mask_names = TORCH_CASES[name]
    batch = q_shape[0] if batch_first else (q_shape[1] if len(q_shape) == 3 else 1)
    length, source = q_shape[1 if batch_first else 0], k_shape[1 if batch_first else 0]
    masks = torch_case_masks(mask_names, batch, length, source)
    inputs = [random_array(*q_shape, seed=1), random_array(*k_shape, seed=2), random_array(*k_shape, seed=3)]
    names = list(masks)

    def call(module, q, k, v, *mask_values):
        return module(q, k, v, **dict(zip(names, mask_values)))

    ours, theirs = (
        MultiheadAttention(8, 2, batch_first=batch_first),
        torch.nn.MultiheadAttention(8, 2, batch_first=batch_first),
    )
    assert_module_matches_torch(torch, ours, theirs, inputs, [masks[name] for name in names], call)


def test_per_head_weights_and_their_gradient_match_torch(torch):
    arrays = [random_array(2, 4, 8, seed=1), random_array(2, 6, 8, seed=2), random_array(2, 6, 8, seed=3)]
    ours, theirs = (
        MultiheadAttention(8, 4, batch_first=True),
        torch.nn.MultiheadAttention(8, 4, batch_first=True),
    )
    theirs = theirs.double()
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    ours.double()
    mine = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    weights = ours(*mine, average_attn_weights=False)[1]
    torch_weights = theirs(*reference, average_attn_weights=False)[1]
    np.testing.assert_allclose(weights.data, torch_weights.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = random_array(*weights.shape, seed=5)
    weights.backward(upstream)
    torch_weights.backward(torch.tensor(upstream))
    for x, torch_x in zip(mine[:2], reference[:2]):  # the weights depend on the queries and keys only
        np.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_state_dict_keys_are_torch_s(torch):
    ours = MultiheadAttention(8, 2)
    assert list(ours.state_dict()) == list(torch.nn.MultiheadAttention(8, 2).state_dict())


# ------------------------------------------------------------------------------ bad input


def test_embed_dim_must_be_divisible_by_num_heads():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        MultiheadAttention(10, 3)


def test_inputs_must_have_embed_dim_features():
    with pytest.raises(
        ValueError, match=r"key must have embed_dim = 8 features \(last dim\), got shape \(7, 2, 6\)"
    ):
        MultiheadAttention(8, 2)(tinyconv.zeros(5, 2, 8), tinyconv.zeros(7, 2, 6), tinyconv.zeros(7, 2, 8))


def test_key_padding_mask_must_be_n_by_s():
    attention = MultiheadAttention(8, 2, batch_first=True)
    x = tinyconv.zeros(2, 5, 8)
    with pytest.raises(
        ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 5\), one entry per key"
    ):
        attention(x, x, x, key_padding_mask=Tensor(np.zeros((5, 2), dtype=bool)))


def test_attn_mask_must_be_l_by_s_or_one_per_head():
    attention = MultiheadAttention(8, 2)
    q, k = tinyconv.zeros(4, 3, 8), tinyconv.zeros(6, 3, 8)
    with pytest.raises(
        ValueError,
        match=r"attn_mask must have shape \(L, S\) = \(4, 6\) or \(N \* num_heads, L, S\) = \(6, 4, 6\)",
    ):
        attention(q, k, k, attn_mask=Tensor(np.zeros((6, 4), dtype=bool)))


def test_a_mask_of_another_float_dtype_is_refused():
    attention = MultiheadAttention(8, 2)
    x = tinyconv.zeros(4, 3, 8)
    with pytest.raises(TypeError, match="attn_mask must be bool, or float32 like the query, got float64"):
        attention(x, x, x, attn_mask=Tensor(np.zeros((4, 4))))


def test_query_and_key_must_hold_the_same_number_of_sequences():
    attention = MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match="same number of sequences"):
        attention(tinyconv.zeros(2, 4, 8), tinyconv.zeros(3, 4, 8), tinyconv.zeros(3, 4, 8))


def test_is_causal_needs_the_mask_as_in_pytorch():
    attention = MultiheadAttention(8, 2)
    x = tinyconv.zeros(4, 3, 8)
    with pytest.raises(ValueError, match="is_causal=True is a hint that attn_mask is a causal mask"):
        attention(x, x, x, is_causal=True)
