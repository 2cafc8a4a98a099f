"""The Transformer (Vaswani et al. 2017) as torch.nn has it: encoder and decoder layers, their stacks,
and the whole encoder-decoder model, with PyTorch's arguments, submodule names and state_dict keys
(`layers.0.self_attn.in_proj_weight`, `layers.0.linear1.weight`, `layers.0.norm1.weight`, ...).

An encoder layer is two sub-layers, each wrapped in a residual connection and a LayerNorm:
    self-attention     every position looks at every position of the same sequence
    feed-forward       the same two-layer MLP applied to each position on its own
Post-norm (the paper's, norm_first=False):  x = norm(x + sublayer(x))
Pre-norm (norm_first=True):                 x = x + sublayer(norm(x))
Pre-norm keeps an untouched path from the input to the output (the residual stream), which makes deep
stacks train without a learning-rate warm-up; the Vision Transformer and GPT use it.
A decoder layer adds, between the two, cross-attention: its queries come from the decoder, its keys
and values from the encoder's output (`memory`).

Parameters of one encoder layer of width d with feed-forward width f (both with biases):
    self-attention  4 d^2 + 4 d       (in_proj 3d x d + 3d, out_proj d x d + d)
    feed-forward    2 d f + f + d     (linear1 f x d + f, linear2 d x f + d)
    two LayerNorms  4 d
"""

from __future__ import annotations

import copy

import numpy

import tinyconv.functional as F
from tinyconv import init
from tinyconv.checks import check_dropout_probability, check_int, check_real
from tinyconv.nn.attention import MultiheadAttention
from tinyconv.nn.container import ModuleList
from tinyconv.nn.dropout import Dropout
from tinyconv.nn.linear import Linear
from tinyconv.nn.module import Module
from tinyconv.nn.normalization import LayerNorm
from tinyconv.tensor import Tensor

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def feed_forward_activation(owner: str, activation):
    """'relu', 'gelu' or a callable (a function or a module), as PyTorch takes it."""
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"{owner}: activation must be 'relu', 'gelu' or a callable, got {activation!r}")
    return ACTIVATIONS[activation]


def torch_linear(in_features: int, out_features: int, bias: bool) -> Linear:
    """A Linear with PyTorch's default initialization (tinyconv's own Linear starts He-initialized)."""
    layer = Linear(in_features, out_features, bias=bias)
    init.linear_default_(layer.weight, layer.bias)
    return layer


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward network, each with a residual connection and a LayerNorm.

    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False): src (S, N, E), or
    (N, S, E) with batch_first=True, or (S, E); the masks as MultiheadAttention's (True = not allowed).
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ):
        super().__init__()
        owner = "TransformerEncoderLayer"
        d_model = check_int(owner, "d_model", d_model, minimum=1)
        dim_feedforward = check_int(owner, "dim_feedforward", dim_feedforward, minimum=1)
        dropout = check_dropout_probability(owner, dropout, name="dropout")
        layer_norm_eps = check_real(owner, "layer_norm_eps", layer_norm_eps)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first
        )
        self.linear1 = torch_linear(d_model, dim_feedforward, bias)
        self.dropout = Dropout(dropout)
        self.linear2 = torch_linear(dim_feedforward, d_model, bias)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = feed_forward_activation(owner, activation)

    def forward(
        self, src: Tensor, src_mask=None, src_key_padding_mask=None, is_causal: bool = False
    ) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self.self_attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self.feed_forward_block(self.norm2(x))
        else:
            x = self.norm1(x + self.self_attention_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self.feed_forward_block(x))
        return x

    def self_attention_block(self, x, attn_mask, key_padding_mask, is_causal) -> Tensor:
        attended, _ = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )
        return self.dropout1(attended)

    def feed_forward_block(self, x) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, cross-attention over the encoder's output (`memory`), and a feed-forward network,
    each with a residual connection and a LayerNorm (norm1, norm2, norm3).

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False).
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ):
        super().__init__()
        owner = "TransformerDecoderLayer"
        d_model = check_int(owner, "d_model", d_model, minimum=1)
        dim_feedforward = check_int(owner, "dim_feedforward", dim_feedforward, minimum=1)
        dropout = check_dropout_probability(owner, dropout, name="dropout")
        layer_norm_eps = check_real(owner, "layer_norm_eps", layer_norm_eps)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first
        )
        self.linear1 = torch_linear(d_model, dim_feedforward, bias)
        self.dropout = Dropout(dropout)
        self.linear2 = torch_linear(dim_feedforward, d_model, bias)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = feed_forward_activation(owner, activation)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self.self_attention_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self.cross_attention_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self.feed_forward_block(self.norm3(x))
        else:
            x = self.norm1(x + self.self_attention_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self.cross_attention_block(
                    x, memory, memory_mask, memory_key_padding_mask, memory_is_causal
                )
            )
            x = self.norm3(x + self.feed_forward_block(x))
        return x

    def self_attention_block(self, x, attn_mask, key_padding_mask, is_causal) -> Tensor:
        attended, _ = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )
        return self.dropout1(attended)

    def cross_attention_block(self, x, memory, attn_mask, key_padding_mask, is_causal) -> Tensor:
        attended, _ = self.multihead_attn(
            x,
            memory,
            memory,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )
        return self.dropout2(attended)

    def feed_forward_block(self, x) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def copies(owner: str, layer: Module, num_layers: int) -> ModuleList:
    """num_layers independent copies of `layer` (each with its own weights), as PyTorch makes them."""
    num_layers = check_int(owner, "num_layers", num_layers, minimum=1)
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


class TransformerEncoder(Module):
    """num_layers copies of an encoder layer applied in turn (`layers.0`, `layers.1`, ...), then an
    optional final LayerNorm (`norm`). forward(src, mask=None, src_key_padding_mask=None, is_causal=None)."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = copies("TransformerEncoder", encoder_layer, num_layers)
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(self, src: Tensor, mask=None, src_key_padding_mask=None, is_causal=None) -> Tensor:
        output = src
        for layer in self.layers:
            output = layer(
                output, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal)
            )
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """num_layers copies of a decoder layer applied in turn, each attending to the same `memory`, then an
    optional final LayerNorm (`norm`)."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None):
        super().__init__()
        self.layers = copies("TransformerDecoder", decoder_layer, num_layers)
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer of the paper, as torch.nn.Transformer: an encoder stack (with a
    final LayerNorm, `encoder.norm`) reads the source, a decoder stack (`decoder.norm`) writes the
    target while attending to the encoder's output. No embeddings and no output layer: those are the
    user's (token embeddings, positions, a Linear to the vocabulary), as in PyTorch.

    Every weight matrix starts Xavier-uniform, as PyTorch's Transformer re-initializes them.
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
    ):
        super().__init__()
        layer_arguments = dict(
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
        )
        encoder_layer = TransformerEncoderLayer(d_model, nhead, **layer_arguments)
        self.encoder = TransformerEncoder(
            encoder_layer, num_encoder_layers, LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        )
        decoder_layer = TransformerDecoderLayer(d_model, nhead, **layer_arguments)
        self.decoder = TransformerDecoder(
            decoder_layer, num_decoder_layers, LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        )
        self.d_model, self.nhead, self.batch_first = d_model, nhead, bool(batch_first)
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform_(parameter)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise ValueError(
                f"Transformer: src and tgt must hold the same number of sequences, got shapes {src.shape} "
                f"and {tgt.shape} (batch_first={self.batch_first})"
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer: src and tgt must have d_model = {self.d_model} features, got shapes "
                f"{src.shape} and {tgt.shape}"
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, dtype=numpy.float32) -> Tensor:
        """The causal mask of a sequence of length sz, as a float mask: 0 on and below the diagonal
        (position i may see 0..i), -inf above it (the future), as PyTorch returns it."""
        sz = check_int("generate_square_subsequent_mask", "sz", sz, minimum=1)
        future = numpy.triu(numpy.ones((sz, sz), dtype=bool), k=1)
        return Tensor(numpy.where(future, -numpy.inf, 0.0).astype(dtype))
