"""The Vision Transformer (tinyconv/models/vit.py): the patch embedding as the notes describe it (cut,
flatten, one linear map), torchvision's parameter counts, names and initialization, a forward and backward
pass against a ViT written here with torch.nn under torchvision's names (float64), torchvision itself
where it is installed, the attention maps and their rollout (tinyconv.viz), the summary table's shares,
and the bad inputs.
"""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from helpers import random_array
from helpers.models import rows_of, without_random_weights
from helpers.torch_checks import assert_same_forward_and_backward, torch_copy, torch_vit, with_random_biases

import tinyconv
from tinyconv import Tensor, viz
from tinyconv.models.vit import VisionTransformer, vit_b_16, vit_b_32

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_vit(**overrides) -> VisionTransformer:
    arguments = dict(
        image_size=16, patch_size=4, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=16, num_classes=5
    )
    return VisionTransformer(**{**arguments, **overrides})


@functools.cache
def built(builder):
    """One ViT-B of each kind for the whole module, with zero weights."""
    return without_random_weights(builder)


# ------------------------------------------------------------------------------ the patch embedding


def test_the_patch_embedding_is_cut_flatten_and_one_linear_map_on_the_notes_example():
    # the notes: a 300 x 300 x 3 image cut into nine 100 x 100 x 3 patches, each flattened to 30,000
    # numbers and projected linearly. The ViT does it as a convolution with kernel = stride = 100.
    model = VisionTransformer(300, 100, 1, 1, 4, 8, num_classes=2)
    image = random_array(1, 3, 300, 300)
    patches = image.reshape(1, 3, 3, 100, 3, 100).transpose(0, 2, 4, 1, 3, 5)  # (1, rows, cols, 3, 100, 100)
    flat = patches.reshape(1, 9, 30_000)  # nine patches, each one vector of 30,000
    weight = model.conv_proj.weight.data.astype(np.float64).reshape(4, 30_000)  # the linear map, D = 4
    expected = flat @ weight.T + model.conv_proj.bias.data
    assert model.conv_proj.weight.shape == (4, 3, 100, 100)
    got = model.double().patches(Tensor(image))
    assert got.shape == (1, 9, 4)
    np.testing.assert_allclose(got.data, expected, rtol=1e-10, atol=1e-12)


def test_tokens_put_the_class_token_before_the_patches():
    model = small_vit()
    model.class_token.data[...] = 7.0
    tokens = model.tokens(tinyconv.randn(2, 3, 16, 16))
    assert tokens.shape == (2, 17, 8)  # 1 + (16 / 4)^2
    assert (tokens.data[:, 0] == 7.0).all()


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    "builder, expected", [(vit_b_16, 86_567_656), (vit_b_32, 88_224_232)], ids=["B/16", "B/32"]
)
def test_parameter_counts_are_the_paper_s_and_torchvision_s(builder, expected):
    assert sum(p.numel() for p in built(builder).parameters()) == expected


def test_vit_b_16_parameters_by_part_add_up():
    d, mlp, blocks, patches = 768, 3072, 12, (224 // 16) ** 2
    parts = {
        "patch embedding": d * 3 * 16 * 16 + d,
        "class token and positions": d + (patches + 1) * d,
        "attention": blocks * (4 * d * d + 4 * d),
        "MLP": blocks * (2 * d * mlp + mlp + d),
        "LayerNorms": blocks * 4 * d + 2 * d,
        "head": d * 1000 + 1000,
    }
    assert sum(parts.values()) == 86_567_656


def test_summary_table_of_vit_b_16_holds_every_parameter():
    rows = rows_of(built(vit_b_16), (3, 224, 224))
    assert sum(row.params for row in rows) == 86_567_656
    conv = next(row for row in rows if row.name == "conv_proj")
    assert conv.output_shape == (1, 768, 14, 14) and conv.params == 590_592
    assert next(row for row in rows if row.name == "heads.head").output_shape == (1, 1000)


def test_state_dict_keys_are_torchvision_s():
    keys = list(small_vit(num_layers=1).state_dict())
    block = "encoder.layers.encoder_layer_0."
    assert keys == [
        "class_token",
        "conv_proj.weight",
        "conv_proj.bias",
        "encoder.pos_embedding",
        *(
            block + name
            for name in (
                "ln_1.weight",
                "ln_1.bias",
                "self_attention.in_proj_weight",
                "self_attention.in_proj_bias",
                "self_attention.out_proj.weight",
                "self_attention.out_proj.bias",
                "ln_2.weight",
                "ln_2.bias",
                "mlp.0.weight",
                "mlp.0.bias",
                "mlp.3.weight",
                "mlp.3.bias",
            )
        ),
        "encoder.ln.weight",
        "encoder.ln.bias",
        "heads.head.weight",
        "heads.head.bias",
    ]


def test_initialization_is_torchvision_s():
    tinyconv.manual_seed(0)
    model = VisionTransformer(32, 8, 1, 2, 64, 128, num_classes=10)
    assert not model.heads.head.weight.data.any() and not model.class_token.data.any()
    std = np.sqrt(1 / (3 * 8 * 8))  # the patch projection: truncated normal, std sqrt(1 / fan_in)
    assert np.abs(model.conv_proj.weight.data).max() <= 2.0 + 1e-6
    assert abs(model.conv_proj.weight.data.std() - std) < 0.1 * std
    assert abs(model.encoder.pos_embedding.data.std() - 0.02) < 0.005
    mlp = model.encoder.layers.encoder_layer_0.mlp
    assert np.abs(mlp[0].bias.data).max() < 1e-5  # N(0, 1e-6^2)
    assert model.encoder.ln.eps == 1e-6


# ------------------------------------------------------------------------------ against PyTorch


def test_vit_matches_a_torch_vit_with_the_same_weights(torch):
    model = with_random_biases(small_vit(num_classes=10))
    rng = np.random.default_rng(3)
    for name in ("class_token", "encoder.pos_embedding", "heads.head.weight"):  # zero at the start
        tensor = dict(model.named_parameters())[name]
        tensor.data[...] = 0.3 * rng.standard_normal(tensor.shape)
    reference = torch_copy(torch, model, torch_vit(torch, 16, 4, 2, 2, 8, 16, 10))
    assert_same_forward_and_backward(torch, model, reference, random_array(3, 3, 16, 16))


def test_a_torchvision_state_dict_gives_the_same_logits():
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    reference = torchvision.models.VisionTransformer(16, 4, 2, 2, 8, 16, num_classes=5)
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))  # the head starts at zero: make it count
    model = small_vit()
    model.load_state_dict({name: value.numpy() for name, value in reference.state_dict().items()})
    images = random_array(2, 3, 16, 16).astype(np.float32)
    reference.eval()
    expected = reference(torch.tensor(images)).detach().numpy()
    np.testing.assert_allclose(model.eval()(Tensor(images)).data, expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------ attention maps


def test_attention_maps_hold_one_distribution_per_token_head_and_block():
    model = small_vit(num_heads=4, hidden_dim=16)
    maps = model.attention_maps(tinyconv.randn(2, 3, 16, 16))
    assert len(maps) == 2 and maps[0].shape == (2, 4, 17, 17)
    np.testing.assert_allclose(maps[1].data.sum(axis=-1), 1, rtol=1e-5)


def test_the_first_block_s_map_is_its_attention_on_the_embedded_tokens():
    model = small_vit().double()
    images = Tensor(random_array(1, 3, 16, 16))
    first = model.attention_maps(images)[0]
    block = model.encoder.layers.encoder_layer_0
    x = block.ln_1(model.tokens(images) + model.encoder.pos_embedding)
    _, expected = block.self_attention(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(first.data, expected.data, rtol=1e-12)


def test_attention_rollout_of_identity_attention_is_the_identity():
    identity = np.tile(np.eye(5), (1, 3, 1, 1))  # one image, three heads, every token looks at itself
    np.testing.assert_allclose(viz.attention_rollout([identity, identity]), np.eye(5)[None], atol=1e-12)


def test_attention_rollout_mixes_in_the_residual_and_chains_the_blocks():
    uniform = np.full((1, 2, 4, 4), 0.25)  # every token looks at every token equally
    one_block = 0.5 * (np.full((4, 4), 0.25) + np.eye(4))  # (A + I), each row summing to 2, halved
    np.testing.assert_allclose(viz.attention_rollout([uniform])[0], one_block, rtol=1e-12)
    np.testing.assert_allclose(
        viz.attention_rollout([uniform, uniform])[0], one_block @ one_block, rtol=1e-12
    )


def test_viz_attention_draws_the_image_the_heads_and_the_rollout(tmp_path):
    figure = viz.attention(
        small_vit(num_heads=2), np.zeros((3, 16, 16), dtype=np.float32), path=tmp_path / "a.png"
    )
    assert [axes.get_title() for axes in figure.axes] == ["image", "head 0", "head 1", "rollout"]
    assert (tmp_path / "a.png").read_bytes()[:8] == PNG_SIGNATURE


def test_viz_attention_refuses_a_model_without_attention_maps():
    with pytest.raises(TypeError, match="viz.attention: model must be a VisionTransformer, got Linear"):
        viz.attention(tinyconv.nn.Linear(2, 2), np.zeros((3, 16, 16)))


# ------------------------------------------------------------------------------ bad input


def test_image_size_must_be_divisible_by_patch_size():
    with pytest.raises(ValueError, match=r"image_size \(30\) must be divisible by patch_size \(7\)"):
        small_vit(image_size=30, patch_size=7)


def test_an_image_of_another_size_is_refused_naming_the_expected_size():
    with pytest.raises(
        ValueError,
        match=r"expected images \(N, 3, 16, 16\), the size it was built for .* got \(1, 3, 20, 20\)",
    ):
        small_vit()(tinyconv.zeros(1, 3, 20, 20))


def test_hidden_dim_must_be_divisible_by_num_heads():
    with pytest.raises(ValueError, match=r"embed_dim \(8\) must be divisible by num_heads \(3\)"):
        small_vit(num_heads=3)


def test_the_summary_of_a_small_vit_prints_its_blocks():
    output = io.StringIO()
    tinyconv.summary(small_vit(), (3, 16, 16), file=output)
    assert "encoder.layers.encoder_layer_1.mlp.3" in output.getvalue()
