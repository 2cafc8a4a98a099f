"""The Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"), laid out as
torchvision's VisionTransformer, names included, so that a state_dict moves both ways.

The recipe, step by step:
    1. cut the image into P x P patches: a 224 x 224 image in 16 x 16 patches is a 14 x 14 grid;
    2. flatten each patch into one vector of C * P * P numbers and project it linearly to the width D
       (the patch embedding). Done for every patch at once, this is a convolution with kernel = stride
       = P (`conv_proj`): each output pixel is one patch dotted with each of D filters;
    3. put a learned class token in front of the (14 * 14 = 196) patch vectors, and add a learned
       position embedding to each of the 197 (attention itself does not know where a token came from);
    4. run a Transformer encoder (pre-norm blocks: LayerNorm, multi-head self-attention, LayerNorm,
       MLP with GELU, each around a residual connection), then a final LayerNorm;
    5. classify from the class token alone (`heads.head`).

Against a CNN: a convolution knows from its shape that neighbouring pixels belong together and that a
pattern means the same anywhere (locality, translation equivariance). The ViT knows neither; it must
learn them from data. With enough data that freedom pays (the paper: JFT-300M); with little, a CNN wins.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy

from tinyconv import init
from tinyconv.checks import check_dropout_probability, check_int
from tinyconv.nn.activation import GELU
from tinyconv.nn.attention import MultiheadAttention
from tinyconv.nn.container import Sequential
from tinyconv.nn.conv import Conv2d
from tinyconv.nn.dropout import Dropout
from tinyconv.nn.linear import Linear
from tinyconv.nn.module import Module
from tinyconv.nn.normalization import LayerNorm
from tinyconv.nn.parameter import Parameter
from tinyconv.ops.join import cat
from tinyconv.tensor import Tensor

LAYER_NORM_EPS = 1e-6  # torchvision's ViT uses LayerNorm(eps=1e-6), not the default 1e-5


class MLPBlock(Sequential):
    """Linear(D, mlp_dim), GELU, Dropout, Linear(mlp_dim, D), Dropout: keys `mlp.0.*` and `mlp.3.*`.

    Initialized as torchvision's: Xavier-uniform weights, biases from N(0, 1e-6^2).
    """

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float):
        super().__init__(
            Linear(in_dim, mlp_dim), GELU(), Dropout(dropout), Linear(mlp_dim, in_dim), Dropout(dropout)
        )
        for linear in (self[0], self[3]):
            init.xavier_uniform_(linear.weight)
            init.normal_(linear.bias, std=1e-6)


class EncoderBlock(Module):
    """One pre-norm Transformer block: x + attention(ln_1(x)), then y + mlp(ln_2(y))."""

    def __init__(
        self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float, attention_dropout: float
    ):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = LayerNorm(hidden_dim, eps=LAYER_NORM_EPS)
        self.self_attention = MultiheadAttention(
            hidden_dim, num_heads, dropout=attention_dropout, batch_first=True
        )
        self.dropout = Dropout(dropout)
        self.ln_2 = LayerNorm(hidden_dim, eps=LAYER_NORM_EPS)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.attend(x)[0]

    def attend(self, x: Tensor, need_weights: bool = False) -> tuple:
        """(the block's output, the attention weights per head (N, heads, S, S) or None)."""
        normalized = self.ln_1(x)
        attended, weights = self.self_attention(
            normalized, normalized, normalized, need_weights=need_weights, average_attn_weights=False
        )
        x = x + self.dropout(attended)
        return x + self.mlp(self.ln_2(x)), weights


class Encoder(Module):
    """Position embeddings added, dropout, the blocks (`layers.encoder_layer_0`, ...), a final LayerNorm."""

    def __init__(
        self,
        seq_length: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float,
        attention_dropout: float,
    ):
        super().__init__()
        self.pos_embedding = Parameter(numpy.empty((1, seq_length, hidden_dim), dtype=numpy.float32))
        init.normal_(self.pos_embedding, std=0.02)  # from BERT, as torchvision
        self.dropout = Dropout(dropout)
        blocks = [
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout))
            for i in range(num_layers)
        ]
        self.layers = Sequential(OrderedDict(blocks))
        self.ln = LayerNorm(hidden_dim, eps=LAYER_NORM_EPS)

    def forward(self, x: Tensor) -> Tensor:
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class VisionTransformer(Module):
    """ViT as torchvision.models.VisionTransformer: forward(images (N, C, H, W)) -> logits (N, classes).

    Parameters, torchvision's names: conv_proj (the patch embedding), class_token (1, 1, D),
    encoder.pos_embedding (1, 1 + (H / P)^2, D), encoder.layers.encoder_layer_{i}.{ln_1, self_attention,
    ln_2, mlp.0, mlp.3}, encoder.ln, heads.head. `in_channels` (3 by default, as torchvision's) lets it
    read 1-channel MNIST. The head starts at zero, as torchvision's.
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
        in_channels: int = 3,
    ):
        super().__init__()
        owner = "VisionTransformer"
        self.image_size = check_int(owner, "image_size", image_size, minimum=1)
        self.patch_size = check_int(owner, "patch_size", patch_size, minimum=1)
        if image_size % patch_size:
            raise ValueError(
                f"{owner}: image_size ({image_size}) must be divisible by patch_size ({patch_size}), so that "
                "the patches tile the image"
            )
        self.hidden_dim = check_int(owner, "hidden_dim", hidden_dim, minimum=1)
        self.mlp_dim = check_int(owner, "mlp_dim", mlp_dim, minimum=1)
        self.in_channels = check_int(owner, "in_channels", in_channels, minimum=1)
        self.num_classes = check_int(owner, "num_classes", num_classes, minimum=1)
        check_int(owner, "num_layers", num_layers, minimum=1)
        check_dropout_probability(owner, dropout, name="dropout")
        check_dropout_probability(owner, attention_dropout, name="attention_dropout")

        self.conv_proj = Conv2d(in_channels, hidden_dim, kernel_size=patch_size, stride=patch_size)
        fan_in = in_channels * patch_size * patch_size
        init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        init.zeros_(self.conv_proj.bias)
        self.seq_length = (image_size // patch_size) ** 2 + 1  # the patches and the class token
        self.class_token = Parameter(numpy.zeros((1, 1, hidden_dim), dtype=numpy.float32))
        self.encoder = Encoder(
            self.seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout
        )
        self.heads = Sequential(OrderedDict([("head", Linear(hidden_dim, num_classes))]))
        init.zeros_(self.heads.head.weight)
        init.zeros_(self.heads.head.bias)

    def patches(self, images: Tensor) -> Tensor:
        """Step 1 and 2: images (N, C, H, W) -> patch vectors projected to D, (N, (H / P)^2, D)."""
        self.check_images(images)
        projected = self.conv_proj(images)  # (N, D, H / P, W / P): one D-vector per patch
        return projected.flatten(2).transpose(1, 2)

    def tokens(self, images: Tensor) -> Tensor:
        """Step 3 before the positions: the class token in front of the patch vectors, (N, 1 + patches, D)."""
        patches = self.patches(images)
        return cat([self.class_token.expand(patches.shape[0], -1, -1), patches], dim=1)

    def forward(self, images: Tensor) -> Tensor:
        encoded = self.encoder(self.tokens(images))
        return self.heads(encoded[:, 0])  # the class token's final vector

    def attention_maps(self, images: Tensor) -> list:
        """The attention weights of every block, for a forward pass of `images`: a list with one
        (N, heads, S, S) tensor per block, S = 1 + number of patches; row 0 is the class token's
        attention over the class token and the patches. (The same computation as forward, with the
        weights kept; viz.attention_rollout combines them across blocks.)"""
        x = self.encoder.dropout(self.tokens(images) + self.encoder.pos_embedding)
        maps = []
        for block in self.encoder.layers:
            x, weights = block.attend(x, need_weights=True)
            maps.append(weights)
        return maps

    def check_images(self, images: Tensor) -> None:
        expected = (self.in_channels, self.image_size, self.image_size)
        if not isinstance(images, Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != expected:
            got = images.shape if isinstance(images, Tensor) else type(images).__name__
            raise ValueError(
                f"VisionTransformer: expected images (N, {expected[0]}, {expected[1]}, {expected[2]}), the "
                f"size it was built for (it has position embeddings for {self.seq_length - 1} patches), "
                f"got {got}"
            )


def vision_transformer(
    patch_size: int, num_layers: int, num_heads: int, hidden_dim: int, mlp_dim: int, **kwargs
):
    """A VisionTransformer with torchvision's default image_size 224, overridable."""
    image_size = kwargs.pop("image_size", 224)
    return VisionTransformer(image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, **kwargs)


def vit_b_16(**kwargs) -> VisionTransformer:
    """ViT-Base/16: 12 blocks of width 768, 12 heads, MLP 3072, 16x16 patches (86,567,656 parameters)."""
    return vision_transformer(16, 12, 12, 768, 3072, **kwargs)


def vit_b_32(**kwargs) -> VisionTransformer:
    """ViT-Base/32: as ViT-B/16 with 32x32 patches (88,224,232 parameters: the larger patch projection)."""
    return vision_transformer(32, 12, 12, 768, 3072, **kwargs)


def vit_l_16(**kwargs) -> VisionTransformer:
    """ViT-Large/16: 24 blocks of width 1024, 16 heads, MLP 4096, 16x16 patches."""
    return vision_transformer(16, 24, 16, 1024, 4096, **kwargs)
