"""A DCGAN for 28 x 28 images: the generator (the counterfeiter) and the discriminator (the police).

Radford, Metz, Chintala, "Unsupervised Representation Learning with Deep Convolutional Generative
Adversarial Networks", ICLR 2016, scaled down to MNIST and two CPU cores. Their guidelines, kept here:
strided convolutions instead of pooling (the networks learn their own up- and downsampling), batch
norm in the generator, ReLU in the generator and tanh at its output, LeakyReLU in the discriminator, and
every weight initialized from N(0, 0.02).

    DCGANGenerator(latent=64, width=64): z (N, 64) -> image (N, 1, 28, 28) in [-1, 1]
        Linear 64 -> 2w*7*7 (no bias), view (N, 2w, 7, 7), BatchNorm2d, ReLU
        ConvTranspose2d 2w -> w, 4x4, stride 2, pad 1    -> (N, w, 14, 14), BatchNorm2d, ReLU
        ConvTranspose2d w -> 1, 4x4, stride 2, pad 1     -> (N, 1, 28, 28), tanh
    DCGANDiscriminator(width=64): image (N, 1, 28, 28) -> one logit per image (N, 1)
        Conv2d 1 -> w, 4x4, stride 2, pad 1              -> (N, w, 14, 14), LeakyReLU(0.2)
        Conv2d w -> 2w, 4x4, stride 2, pad 1             -> (N, 2w, 7, 7), LeakyReLU(0.2)
        flatten, Linear 2w*7*7 -> 1: the logit of "real"

A bias before a batch norm would be subtracted again with the mean, so those layers have none. The
discriminator has no batch norm: it sees a batch of real and a batch of fake images separately, and
batch statistics would let it tell them apart by the batch rather than by the image.
Output size of each transposed convolution: (H - 1) * 2 - 2 * 1 + 4 = 2H, so 7 -> 14 -> 28.
"""

from __future__ import annotations

from tinyconv import init
from tinyconv.checks import check_int
from tinyconv.functional.activation import leaky_relu, relu, tanh
from tinyconv.functional.flatten import flatten
from tinyconv.nn import BatchNorm2d, Conv2d, ConvTranspose2d, Linear, Module

DCGAN_STD = 0.02  # the paper's initialization: every weight from N(0, 0.02)


def dcgan_init_(module: Module) -> None:
    """Every convolution and linear weight of `module` from N(0, 0.02), biases 0; batch norm scales from
    N(1, 0.02) and shifts 0 (the DCGAN paper's section 4, as its reference code does it)."""
    for layer in module.modules():
        if isinstance(layer, (Conv2d, ConvTranspose2d, Linear)):
            init.normal_(layer.weight, 0.0, DCGAN_STD)
            if layer.bias is not None:
                init.zeros_(layer.bias)
        elif isinstance(layer, BatchNorm2d):
            init.normal_(layer.weight, 1.0, DCGAN_STD)
            init.zeros_(layer.bias)


class DCGANGenerator(Module):
    """z (N, latent) -> images (N, 1, 28, 28) in [-1, 1]; see the module docstring for the layers."""

    def __init__(self, latent: int = 64, width: int = 64):
        super().__init__()
        self.latent = check_int("DCGANGenerator", "latent (the size of z)", latent, minimum=1)
        self.width = check_int("DCGANGenerator", "width", width, minimum=1)
        self.project = Linear(latent, 2 * width * 7 * 7, bias=False)
        self.norm0 = BatchNorm2d(2 * width)
        self.up1 = ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False)
        self.norm1 = BatchNorm2d(width)
        self.up2 = ConvTranspose2d(width, 1, 4, stride=2, padding=1)
        dcgan_init_(self)

    def forward(self, z):
        x = self.project(z).view(-1, 2 * self.width, 7, 7)
        x = relu(self.norm0(x))
        x = relu(self.norm1(self.up1(x)))
        return tanh(self.up2(x))


class DCGANDiscriminator(Module):
    """images (N, 1, 28, 28) in [-1, 1] -> logits (N, 1) of "this image is real"."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.width = check_int("DCGANDiscriminator", "width", width, minimum=1)
        self.down1 = Conv2d(1, width, 4, stride=2, padding=1)
        self.down2 = Conv2d(width, 2 * width, 4, stride=2, padding=1)
        self.classify = Linear(2 * width * 7 * 7, 1)
        dcgan_init_(self)

    def forward(self, x):
        x = leaky_relu(self.down1(x), 0.2)
        x = leaky_relu(self.down2(x), 0.2)
        return self.classify(flatten(x, start_dim=1))
