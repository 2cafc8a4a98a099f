"""`MultiheadAttention`, as torch.nn.MultiheadAttention: h attention heads side by side, each on its own
projection of the queries, keys and values (Vaswani et al. 2017, section 3.2.2):

    head_i = Attention(Q W_q_i, K W_k_i, V W_v_i)          each head of width E / h
    MultiHead(Q, K, V) = concat(head_1, ..., head_h) W_o

One head averages with one set of weights; several can look for different things at once (one for
the previous word, one for the subject of the sentence...) at the cost of one.
"""

from __future__ import annotations

import math

import numpy

from tinyconv import init
from tinyconv.checks import check_dropout_probability, check_int, check_tensor
from tinyconv.functional.attention import ScaledDotProductAttention
from tinyconv.functional.linear import linear
from tinyconv.nn.linear import Linear
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter
from tinyconv.tensor import Tensor


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's parameters, masks and layouts.

    Parameters (PyTorch's names, so a state_dict loads both ways):
        in_proj_weight (3E, E)   W_q, W_k, W_v stacked: rows 0..E-1 project the queries, and so on
        in_proj_bias   (3E,)     their biases (when bias=True)
        out_proj                 a Linear(E, E): W_o and its bias
    Initialization as PyTorch's: Xavier uniform for in_proj_weight, zeros for both biases, and
    PyTorch's Linear default, U(-1/sqrt(E), 1/sqrt(E)), for out_proj.weight.

    forward(query, key, value) takes (L, N, E), (S, N, E), (S, N, E), or (N, L, E)... with
    batch_first=True, or unbatched (L, E), (S, E), (S, E); it returns (output, weights): output shaped
    like query, weights (N, L, S) averaged over the heads, (N, h, L, S) per head with
    average_attn_weights=False, or None with need_weights=False.

    The masks follow PyTorch's rule for this module, which is the OPPOSITE of
    scaled_dot_product_attention's: a boolean key_padding_mask (N, S) or attn_mask (L, S) or
    (N * h, L, S) is True where attention is NOT allowed (padding to ignore, future positions to hide).
    A float mask is added to the scores (-inf to forbid). A query whose keys are all masked gets NaN
    weights and output when need_weights=True, and 0 when need_weights=False (PyTorch's two paths do
    the same).
    The attention weights are dropped out with probability `dropout` while training.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
    ):
        super().__init__()
        owner = "MultiheadAttention"
        self.embed_dim = check_int(owner, "embed_dim", embed_dim, minimum=1)
        self.num_heads = check_int(owner, "num_heads", num_heads, minimum=1)
        if embed_dim % num_heads:
            raise ValueError(
                f"{owner}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads}): each head "
                "takes an equal share of the width"
            )
        self.head_dim = embed_dim // num_heads
        self.dropout = check_dropout_probability(owner, dropout, name="dropout")
        self.batch_first = bool(batch_first)
        self.in_proj_weight = Parameter(numpy.empty((3 * embed_dim, embed_dim), dtype=numpy.float32))
        init.xavier_uniform_(self.in_proj_weight)
        self.in_proj_bias = Parameter(numpy.zeros(3 * embed_dim, dtype=numpy.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        init.linear_default_(self.out_proj.weight)
        if bias:
            init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        batched = self.check_inputs(query, key, value)
        if not batched:  # (L, E): one sequence, seen as a batch of one
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
        elif self.batch_first:  # (N, L, E) -> (L, N, E), the layout used below
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        length, batch, _ = query.shape
        source = key.shape[0]
        if is_causal and attn_mask is None:
            raise ValueError(
                "MultiheadAttention: is_causal=True is a hint that attn_mask is a causal mask, so attn_mask "
                "must be given too (as in PyTorch); build it with Transformer.generate_square_subsequent_mask"
            )
        mask = self.combined_mask(key_padding_mask, attn_mask, batch, length, source, query)

        # (L, N, E) -> (N, h, L, E/h): one row of queries per head
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = (None, None, None) if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        q = self.heads(linear(query, w_q, b_q), length, batch)
        k = self.heads(linear(key, w_k, b_k), source, batch)
        v = self.heads(linear(value, w_v, b_v), source, batch)

        attention = ScaledDotProductAttention(
            1 / math.sqrt(self.head_dim),
            dropout_p=self.dropout if self.training else 0.0,
            fully_masked="nan" if need_weights else "zero",
        )
        output, weights = attention(q, k, v) if mask is None else attention(q, k, v, mask)
        # (N, h, L, E/h) -> (L, N, E): the heads side by side again, then W_o
        output = self.out_proj(output.permute(2, 0, 1, 3).reshape(length, batch, self.embed_dim))
        if not batched:
            output = output.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return output, weights if batched else weights.squeeze(0)

    def heads(self, x: Tensor, length: int, batch: int) -> Tensor:
        """(length, N, E) -> (N, h, length, E/h)."""
        return x.reshape(length, batch, self.num_heads, self.head_dim).permute(1, 2, 0, 3)

    def combined_mask(self, key_padding_mask, attn_mask, batch: int, length: int, source: int, query: Tensor):
        """The two masks as one float tensor to add to the scores, (N, h, L, S) or broadcastable to it:
        0 where attention is allowed, -inf where a boolean mask says True; float masks as they are."""
        owner = "MultiheadAttention"
        combined = None
        if attn_mask is not None:
            check_tensor(attn_mask, owner, "attn_mask")
            allowed = [(length, source), (batch * self.num_heads, length, source)]
            if attn_mask.shape not in allowed:
                raise ValueError(
                    f"{owner}: attn_mask must have shape (L, S) = {allowed[0]} or (N * num_heads, L, S) = "
                    f"{allowed[1]}, got {attn_mask.shape}"
                )
            combined = additive_mask(owner, "attn_mask", attn_mask, query)
            if combined.ndim == 3:
                combined = combined.view(batch, self.num_heads, length, source)
        if key_padding_mask is not None:
            check_tensor(key_padding_mask, owner, "key_padding_mask")
            if key_padding_mask.shape != (batch, source):
                raise ValueError(
                    f"{owner}: key_padding_mask must have shape (N, S) = {(batch, source)}, one entry per "
                    f"key of each sequence, got {key_padding_mask.shape}"
                )
            padding = additive_mask(owner, "key_padding_mask", key_padding_mask, query).view(
                batch, 1, 1, source
            )
            combined = padding if combined is None else combined + padding
        return combined

    def check_inputs(self, query, key, value) -> bool:
        """Check the three inputs agree with each other and with embed_dim; True when batched (3-D)."""
        owner = "MultiheadAttention"
        for name, tensor in (("query", query), ("key", key), ("value", value)):
            check_tensor(tensor, owner, name)
            if tensor.ndim not in (2, 3) or tensor.ndim != query.ndim:
                raise ValueError(
                    f"{owner}: query, key and value must all be 3-D ({self.batched_layout()}) "
                    f"or all 2-D (L, E), got shapes {query.shape}, {key.shape}, {value.shape}"
                )
            if tensor.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"{owner}: {name} must have embed_dim = {self.embed_dim} features (last dim), got shape "
                    f"{tensor.shape}"
                )
        batch_dim = 0 if self.batch_first else 1
        if query.ndim == 3 and not query.shape[batch_dim] == key.shape[batch_dim] == value.shape[batch_dim]:
            raise ValueError(
                f"{owner}: query, key and value must hold the same number of sequences, got shapes "
                f"{query.shape}, {key.shape}, {value.shape} (batch_first={self.batch_first})"
            )
        length_dim = 1 if self.batch_first and query.ndim == 3 else 0
        if key.shape[length_dim] != value.shape[length_dim]:
            raise ValueError(
                f"{owner}: key and value must have the same length S, got {key.shape} and {value.shape}"
            )
        return query.ndim == 3

    def batched_layout(self) -> str:
        return "(N, L, E)" if self.batch_first else "(L, N, E)"

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


def additive_mask(owner: str, name: str, mask: Tensor, query: Tensor) -> Tensor:
    """A boolean mask (True = not allowed) as a float mask of 0 and -inf; a float mask as it is."""
    if mask.dtype.kind == "b":
        return query.new_zeros(mask.shape).masked_fill(mask, float("-inf"))
    if mask.dtype != query.dtype:
        raise TypeError(f"{owner}: {name} must be bool, or {query.dtype} like the query, got {mask.dtype}")
    return mask
