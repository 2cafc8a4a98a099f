"""The Transformer layers (tinyconv/nn/transformer.py): encoder and decoder layers, their stacks and the
whole nn.Transformer, against torch.nn with the same weights in float64 (outputs and every gradient, both
layouts, post- and pre-norm, relu and gelu, padding and causal masks); PyTorch's state_dict keys; the
parameter count as a formula; the causal mask; independent copies in a stack; the bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array
from helpers.torch_checks import assert_module_matches_torch

import tinyconv
from tinyconv import Tensor
from tinyconv.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)


def padding_mask(batch: int, length: int) -> np.ndarray:
    """True on the last two positions of the second sequence: padding, as MultiheadAttention reads it."""
    mask = np.zeros((batch, length), dtype=bool)
    mask[1, length - 2 :] = True
    return mask


# ------------------------------------------------------------------------------ encoder layer

# (norm_first, activation, batch_first)
ENCODER_CASES = {
    "post-norm, relu, sequence first": (False, "relu", False),
    "post-norm, gelu, batch first": (False, "gelu", True),
    "pre-norm, relu, batch first": (True, "relu", True),
    "pre-norm, gelu, sequence first": (True, "gelu", False),
}


@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_encoder_layer_with_padding_matches_torch(torch, name):
    norm_first, activation, batch_first = ENCODER_CASES[name]
    arguments = dict(dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first)
    ours = TransformerEncoderLayer(8, 2, 16, **arguments)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, **arguments)
    shape = (3, 6, 8) if batch_first else (6, 3, 8)

    def call(module, x, padding):
        return module(x, src_key_padding_mask=padding)

    assert_module_matches_torch(torch, ours, theirs, [random_array(*shape)], [padding_mask(3, 6)], call)


def test_encoder_layer_with_a_causal_mask_matches_torch(torch):
    arguments = dict(dropout=0.0, batch_first=True, norm_first=True)
    ours, theirs = (
        TransformerEncoderLayer(8, 4, 12, **arguments),
        torch.nn.TransformerEncoderLayer(8, 4, 12, **arguments),
    )
    causal = np.triu(np.full((5, 5), -np.inf), k=1)

    def call(module, x, mask):
        return module(x, src_mask=mask, is_causal=True)

    assert_module_matches_torch(torch, ours, theirs, [random_array(2, 5, 8)], [causal], call)


def test_encoder_layer_parameters_are_counted_by_the_formula():
    d, f = 8, 16
    layer = TransformerEncoderLayer(d, 2, f)
    attention, feed_forward, norms = 4 * d * d + 4 * d, 2 * d * f + f + d, 4 * d
    assert sum(p.numel() for p in layer.parameters()) == attention + feed_forward + norms


def test_encoder_layer_without_bias_has_no_bias_anywhere():
    names = [name for name, _ in TransformerEncoderLayer(8, 2, 16, bias=False).named_parameters()]
    assert names and not any(name.endswith("bias") for name in names)


def test_dropout_makes_the_encoder_layer_random_only_while_training():
    tinyconv.manual_seed(0)
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.5).double()
    x = Tensor(random_array(4, 2, 8))
    assert not np.allclose(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)


# ------------------------------------------------------------------------------ decoder layer


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_layer_with_causal_and_padding_masks_matches_torch(torch, norm_first):
    arguments = dict(dropout=0.0, batch_first=True, norm_first=norm_first, activation="gelu")
    ours = TransformerDecoderLayer(8, 2, 16, **arguments)
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, **arguments)
    causal = np.triu(np.ones((4, 4), dtype=bool), k=1)

    def call(module, tgt, memory, mask, memory_padding):
        return module(tgt, memory, tgt_mask=mask, memory_key_padding_mask=memory_padding, tgt_is_causal=True)

    inputs = [random_array(3, 4, 8, seed=1), random_array(3, 6, 8, seed=2)]
    assert_module_matches_torch(torch, ours, theirs, inputs, [causal, padding_mask(3, 6)], call)


# ------------------------------------------------------------------------------ stacks and the Transformer


def test_encoder_stack_with_a_final_norm_matches_torch(torch):
    layer_arguments = dict(dropout=0.0, batch_first=True)
    ours = TransformerEncoder(
        TransformerEncoderLayer(8, 2, 16, **layer_arguments), 3, tinyconv.nn.normalization.LayerNorm(8)
    )
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, **layer_arguments),
        3,
        torch.nn.LayerNorm(8),
        enable_nested_tensor=False,
    )

    def call(module, x, padding):
        return module(x, src_key_padding_mask=padding)

    assert_module_matches_torch(torch, ours, theirs, [random_array(3, 5, 8)], [padding_mask(3, 5)], call)


def test_a_stack_holds_independent_copies_of_its_layer():
    stack = TransformerDecoder(TransformerDecoderLayer(8, 2, 16), 2)
    stack.layers[0].linear1.weight.data[...] = 0
    assert stack.layers[1].linear1.weight.data.any()
    assert list(stack.state_dict())[0].startswith("layers.0.")


@pytest.mark.parametrize("batch_first", [False, True], ids=["sequence first", "batch first"])
def test_transformer_matches_torch(torch, batch_first):
    arguments = dict(dropout=0.0, batch_first=batch_first)
    ours, theirs = Transformer(8, 2, 2, 2, 16, **arguments), torch.nn.Transformer(8, 2, 2, 2, 16, **arguments)
    src_shape, tgt_shape = ((3, 6, 8), (3, 4, 8)) if batch_first else ((6, 3, 8), (4, 3, 8))
    causal = Transformer.generate_square_subsequent_mask(4).data.astype(np.float64)

    def call(module, src, tgt, mask, src_padding):
        return module(
            src, tgt, tgt_mask=mask, src_key_padding_mask=src_padding, memory_key_padding_mask=src_padding
        )

    inputs = [random_array(*src_shape, seed=1), random_array(*tgt_shape, seed=2)]
    assert_module_matches_torch(torch, ours, theirs, inputs, [causal, padding_mask(3, 6)], call)


def test_transformer_state_dict_keys_are_torch_s(torch):
    ours = Transformer(8, 2, 1, 1, 16)
    assert list(ours.state_dict()) == list(torch.nn.Transformer(8, 2, 1, 1, 16).state_dict())


def test_transformer_weight_matrices_start_xavier_uniform():
    tinyconv.manual_seed(0)
    model = Transformer(16, 2, 1, 1, 64)
    weight = model.encoder.layers[0].linear1.weight.data  # (64, 16)
    bound = np.sqrt(6 / (16 + 64))
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound


def test_the_square_subsequent_mask_hides_the_future(torch):
    mask = Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.data, torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert (mask.data[np.tril_indices(4)] == 0).all() and np.isneginf(
        mask.data[np.triu_indices(4, k=1)]
    ).all()


# ------------------------------------------------------------------------------ bad input


def test_an_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable, got 'tanh'"):
        TransformerEncoderLayer(8, 2, activation="tanh")


def test_a_callable_activation_is_used():
    # an activation that outputs 0 leaves the feed-forward block only linear2's bias to add
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=lambda x: x * 0).double()
    x = Tensor(random_array(3, 2, 8))
    h = layer.norm1(x + layer.self_attention_block(x, None, None, False))
    np.testing.assert_allclose(layer(x).data, layer.norm2(h + layer.linear2.bias).data, rtol=1e-12)


def test_transformer_inputs_must_have_d_model_features():
    model = Transformer(8, 2, 1, 1, 16)
    with pytest.raises(
        ValueError,
        match=r"src and tgt must have d_model = 8 features, got shapes \(5, 2, 8\) and \(3, 2, 6\)",
    ):
        model(tinyconv.zeros(5, 2, 8), tinyconv.zeros(3, 2, 6))


def test_transformer_src_and_tgt_must_hold_the_same_number_of_sequences():
    model = Transformer(8, 2, 1, 1, 16)
    with pytest.raises(ValueError, match="same number of sequences"):
        model(tinyconv.zeros(5, 2, 8), tinyconv.zeros(3, 4, 8))


def test_num_layers_must_be_positive():
    with pytest.raises(ValueError, match="num_layers must be a positive int, got 0"):
        TransformerEncoder(TransformerEncoderLayer(8, 2), 0)
