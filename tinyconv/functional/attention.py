"""Scaled dot-product attention (Vaswani et al. 2017, "Attention Is All You Need", section 3.2.1).

Attention is a soft dictionary lookup. Each query asks a question; each key says what its position
holds; the scores Q K^T say how well each query matches each key; a softmax turns every query's row
of scores into weights that sum to 1; and the answer is the weighted average of the values:

    Attention(Q, K, V) = softmax(Q K^T / sqrt(E)) V

Dividing by sqrt(E) keeps the scores' spread independent of the width E (a sum of E products of
unit-variance numbers has variance E), so the softmax does not saturate for wide heads.
The matrix products go through the backend seam (tinyconv.backend.matmul): on a GPU they run on
tinyconv's own GEMM kernel.
"""

from __future__ import annotations

import math

from tinyconv import random
from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, matmul
from tinyconv.checks import check_floating, check_real, check_same_dtype, check_tensor
from tinyconv.tensor import Tensor, check_broadcast

FULLY_MASKED_ROWS = ("zero", "nan")


class ScaledDotProductAttention(Function):
    """(O, P~) = attention of queries Q over keys K and values V, with an optional mask and dropout.

    Shapes: Q (..., L, E), K (..., S, E), V (..., S, Ev); O (..., L, Ev) and the weights P~ (..., L, S).
    The leading dims (batch, heads) broadcast. Forward:
        S  = scale * Q @ K^T              (..., L, S)  score of query i against key j
        S  = S + M                        M: 0 where query i may see key j, -inf where not (a boolean
                                          mask becomes that); a float mask is added as it is
        P  = softmax(S) along the keys    every row sums to 1
        P~ = P * D / (1 - p)              dropout while training (D: the 0/1 keep mask), else P
        O  = P~ @ V
    Backward, with G = dL/dO (and G_P = dL/dP~, when the weights themselves were used):
        dV  = P~^T @ G                                     (..., S, Ev)
        dP~ = G @ V^T + G_P,   dP = dP~ * D / (1 - p)      (..., L, S)
        dS  = P * (dP - rowsum(dP * P))                    the softmax's Jacobian times dP
        dQ  = scale * dS @ K,   dK = scale * dS^T @ Q,   dM = dS (a float mask that requires grad)
    The softmax line: y = softmax(s) has dy_i/ds_j = y_i (delta_ij - y_j), so for an upstream row g,
    dL/ds_j = sum_i g_i y_i (delta_ij - y_j) = y_j (g_j - sum_i g_i y_i): one row sum, no L x S x S
    Jacobian is ever built.

    A query row whose keys are all masked has no distribution to take. fully_masked="zero" gives it
    weights 0, an output of 0 and no gradient (torch's scaled_dot_product_attention since 2.5);
    "nan" gives NaN weights and output (torch's MultiheadAttention with need_weights=True).

    Memory: forward keeps P (and D) for backward, one L x S matrix per batch element and head; that,
    not the products, is what limits the sequence length on a small machine.
    """

    def __init__(self, scale: float, mask=None, dropout_p: float = 0.0, fully_masked: str = "zero"):
        self.scale, self.mask, self.dropout_p, self.fully_masked = scale, mask, dropout_p, fully_masked

    def forward(self, q, k, v, float_mask=None):
        xp = get_array_module(q)
        self.q, self.k, self.v = q, k, v
        scores = self.scale * matmul(q, k.swapaxes(-1, -2))
        if self.mask is not None:  # a boolean mask, True where attention is allowed
            scores = xp.where(self.mask, scores, -xp.inf)
        if float_mask is not None:
            scores = scores + float_mask
        self.p = self.softmax(scores, xp)
        weights = self.p
        if self.dropout_p > 0:
            keep = random.generator().random(self.p.shape) >= self.dropout_p
            self.scaled_keep = xp.asarray(keep, dtype=q.dtype) * (1 / (1 - self.dropout_p))
            weights = self.p * self.scaled_keep
        self.weights = weights
        return matmul(weights, v), weights

    def softmax(self, scores, xp):
        """softmax along the last axis, stable (the row's largest score subtracted first)."""
        largest = scores.max(axis=-1, keepdims=True)
        masked_row = xp.isneginf(largest)  # every key of the row is masked
        e = xp.exp(scores - xp.where(masked_row, 0, largest))
        weights = e / xp.where(masked_row, 1, e.sum(axis=-1, keepdims=True))  # zeros in the masked rows
        return xp.where(masked_row, xp.nan, weights) if self.fully_masked == "nan" else weights

    def backward(self, grad_out, grad_weights):
        grad_weights = grad_weights + matmul(grad_out, self.v.swapaxes(-1, -2))  # dL/dP~
        grad_p = grad_weights if self.dropout_p == 0 else grad_weights * self.scaled_keep
        grad_scores = self.p * (grad_p - (grad_p * self.p).sum(axis=-1, keepdims=True))
        grad_q = self.scale * matmul(grad_scores, self.k) if self.needs_input_grad[0] else None
        grad_k = (
            self.scale * matmul(grad_scores.swapaxes(-1, -2), self.q) if self.needs_input_grad[1] else None
        )
        grad_v = matmul(self.weights.swapaxes(-1, -2), grad_out) if self.needs_input_grad[2] else None
        if len(self.needs_input_grad) == 3:  # no float mask among the inputs
            return grad_q, grad_k, grad_v
        return grad_q, grad_k, grad_v, grad_scores if self.needs_input_grad[3] else None


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading dims broadcast.
    scale defaults to 1 / sqrt(E). attn_mask broadcasts to (..., L, S): a *boolean* mask marks the
    pairs that take part (True = attend: this function's rule, the opposite of MultiheadAttention's),
    a float mask is added to the scores. is_causal=True lets query i see keys 0..i only (the lower
    triangle, PyTorch's rule for L != S too), and cannot be combined with attn_mask. dropout_p drops
    attention weights (pass 0 when evaluating: the function has no training flag, as in PyTorch).
    A query whose keys are all masked gets an output of 0, as in PyTorch.
    """
    op = "scaled_dot_product_attention"
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        check_tensor(tensor, op, name)
        check_floating(tensor, op, name)
        if tensor.ndim < 2:
            raise ValueError(
                f"{op}: {name} must have at least 2 dims (..., length, width), got shape {tensor.shape}"
            )
    check_same_dtype(query, key, op, "query", "key")
    check_same_dtype(query, value, op, "query", "value")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"{op}: query and key must have the same width E (last dim), got {query.shape[-1]} "
            f"(query {query.shape}) and {key.shape[-1]} (key {key.shape})"
        )
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"{op}: key and value must have the same length S (second-to-last dim), got key {key.shape} "
            f"and value {value.shape}"
        )
    check_broadcast(query.shape[:-2], key.shape[:-2], op)
    check_broadcast(query.shape[:-2], value.shape[:-2], op)
    dropout_p = check_real(op, "dropout_p", dropout_p)
    if not 0 <= dropout_p < 1:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else check_real(op, "scale", scale)
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: give either attn_mask or is_causal=True, not both")
    mask, float_mask = None, None
    if is_causal:
        mask = query.xp.tril(query.xp.ones((length, source), dtype=bool))
    elif attn_mask is not None:
        mask, float_mask = split_mask(op, "attn_mask", attn_mask, query, (length, source))
    inputs = (query, key, value) if float_mask is None else (query, key, value, float_mask)
    output, _ = ScaledDotProductAttention(scale, mask, dropout_p)(*inputs)
    return output


def split_mask(op: str, name: str, mask, query: Tensor, expected: tuple) -> tuple:
    """(boolean array or None, float Tensor or None) from a mask given as a bool or float Tensor.

    Checked here: its dtype (bool, or query's float dtype) and that its shape broadcasts to
    (..., L, S) = (..., *expected).
    """
    check_tensor(mask, op, name)
    if mask.device != query.device:
        raise ValueError(
            f"{op}: {name} is on {mask.device} but the query is on {query.device}; move it with .to()"
        )
    if mask.ndim < 2 or mask.shape[-2:] not in (expected, (1, expected[1]), (expected[0], 1), (1, 1)):
        raise ValueError(
            f"{op}: {name} must broadcast to (..., L, S) = (..., {expected[0]}, {expected[1]}), "
            f"got shape {mask.shape}"
        )
    check_broadcast(mask.shape[:-2], query.shape[:-2], op)
    if mask.dtype.kind == "b":
        return mask.data, None
    if mask.dtype != query.dtype:
        raise TypeError(f"{op}: {name} must be bool or {query.dtype} like the query, got {mask.dtype}")
    return None, mask
