"""VGG: depth from stacks of small 3x3 convolutions (ILSVRC 2014, second in classification).

Simonyan, Zisserman, "Very deep convolutional networks for large-scale image recognition", ICLR 2015
(arXiv 1409.1556).

The idea: use only 3x3 convolutions (stride 1, padding 1) and 2x2 max pooling, and go deep. Two
stacked 3x3 layers see a 5x5 field and three see 7x7, with fewer weights than one big filter (for C
channels in and out: 2 * 9C^2 = 18C^2 against 25C^2, 3 * 9C^2 = 27C^2 against 49C^2) and a ReLU
between them, so the stack is more non-linear too. Every pooling halves the map and the next block
doubles the channels, 64 -> 128 -> 256 -> 512 -> 512.

Configurations as torchvision defines them (the paper's columns A, B, D, E; numbers are the channels
of 3x3 conv + ReLU layers, M a 2x2 max pool of stride 2):

    VGG-11  64 M 128 M 256 256 M 512 512 M 512 512 M
    VGG-13  64 64 M 128 128 M 256 256 M 512 512 M 512 512 M
    VGG-16  64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M
    VGG-19  64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M

then adaptive average pooling to 7x7 (the identity for the paper's 224x224 input; it also lets
smaller images through, 32x32 CIFAR for instance, whose 1x1 maps it repeats to 7x7), and the
classifier fc 25088 -> 4096, ReLU, dropout, fc 4096 -> 4096, ReLU, dropout, fc 4096 -> classes.
batch_norm=True puts a BatchNorm2d between each convolution and its ReLU (torchvision's vgg16_bn).

VGG-16 counted by tinyconv.summary (224x224 input, 1000 classes):

    block   layers                          output               parameters
    1       conv 64, conv 64, pool          (N, 64, 112, 112)        38,720
    2       conv 128, conv 128, pool        (N, 128, 56, 56)        221,440
    3       conv 256 x 3, pool              (N, 256, 28, 28)      1,475,328
    4       conv 512 x 3, pool              (N, 512, 14, 14)      5,899,776
    5       conv 512 x 3, pool              (N, 512, 7, 7)        7,079,424
    avgpool adaptive 7x7                    (N, 512, 7, 7)
    fc6     25088 -> 4096                   (N, 4096)           102,764,544
    fc7     4096 -> 4096                    (N, 4096)            16,781,312
    fc8     4096 -> 1000                    (N, 1000)             4,097,000
                                                          total 138,357,544

The three fully connected layers hold 89% of the parameters (fc6 alone 74%); the thirteen
convolutions hold 11% but do almost all of the multiply-adds. Totals of the other depths: VGG-11
132,863,336, VGG-13 133,047,848, VGG-19 143,667,240. State dict keys are torchvision's
(`features.0.weight`, ..., `classifier.6.bias`).
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.functional.flatten import flatten
from tinyconv.nn import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Linear,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
)

POOL = "M"
CONFIGURATIONS = {
    11: [64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    13: [64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    16: [64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL, 512, 512, 512, POOL],
    19: [
        64, 64, POOL, 128, 128, POOL, 256, 256, 256, 256, POOL,
        512, 512, 512, 512, POOL, 512, 512, 512, 512, POOL,
    ],
}  # fmt: skip


def make_features(configuration: list, in_channels: int, batch_norm: bool) -> Sequential:
    """The convolutional part: 3x3 conv (+ BatchNorm2d) + ReLU per number, a 2x2 max pool per POOL."""
    layers = []
    for item in configuration:
        if item == POOL:
            layers.append(MaxPool2d(2, stride=2))
            continue
        layers.append(Conv2d(in_channels, item, 3, padding=1))
        if batch_norm:
            layers.append(BatchNorm2d(item))
        layers.append(ReLU())
        in_channels = item
    return Sequential(*layers)


class VGG(Module):
    """VGG-`depth` (11, 13, 16 or 19): input (N, in_channels, H, W) with H, W >= 32, output
    (N, num_classes) logits. See the module docstring for the configurations.

    batch_norm: BatchNorm2d after every convolution (torchvision's vgg*_bn); dropout: the
    probability in the classifier (0.5 in the paper).
    """

    def __init__(
        self,
        depth: int = 16,
        num_classes: int = 1000,
        batch_norm: bool = False,
        in_channels: int = 3,
        dropout: float = 0.5,
    ):
        super().__init__()
        if depth not in CONFIGURATIONS:
            raise ValueError(f"VGG: depth must be one of {sorted(CONFIGURATIONS)}, got {depth!r}")
        check_int("VGG", "num_classes", num_classes, minimum=1)
        check_int("VGG", "in_channels", in_channels, minimum=1)
        self.depth = depth
        self.features = make_features(CONFIGURATIONS[depth], in_channels, batch_norm)
        self.avgpool = AdaptiveAvgPool2d((7, 7))
        self.classifier = Sequential(
            Linear(512 * 7 * 7, 4096),
            ReLU(),
            Dropout(dropout),
            Linear(4096, 4096),
            ReLU(),
            Dropout(dropout),
            Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(flatten(self.avgpool(self.features(x)), start_dim=1))


def vgg11(**kwargs) -> VGG:
    """VGG-11 (configuration A); keyword arguments as VGG's."""
    return VGG(11, **kwargs)


def vgg13(**kwargs) -> VGG:
    """VGG-13 (configuration B); keyword arguments as VGG's."""
    return VGG(13, **kwargs)


def vgg16(**kwargs) -> VGG:
    """VGG-16 (configuration D); keyword arguments as VGG's."""
    return VGG(16, **kwargs)


def vgg19(**kwargs) -> VGG:
    """VGG-19 (configuration E); keyword arguments as VGG's."""
    return VGG(19, **kwargs)
