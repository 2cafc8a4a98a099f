"""AlexNet: the network that won ILSVRC 2012 and started the deep-learning era of computer vision.

Krizhevsky, Sutskever, Hinton, "ImageNet classification with deep convolutional neural networks",
NIPS 2012.

What it introduced, or first made work at scale:
  - ReLU instead of tanh: non-saturating, so deep nets train several times faster (its Fig. 1).
  - Local response normalization (LRN) after conv1 and conv2: each activation is divided by the
    energy of the same pixel in the 5 neighbouring channels, a "lateral inhibition" between feature
    maps (-1.4% top-1 error in the paper).
  - Overlapping max pooling: 3x3 windows with stride 2, so neighbouring windows share a row and a
    column (-0.4% top-1 error compared with 2x2 windows of stride 2).
  - Dropout (p = 0.5) in the first two fully connected layers (the three hold 96% of the parameters).
  - Two GPUs of 3 GB each: every layer is split into two towers of half the channels, and conv2,
    conv4 and conv5 only see the maps of their own tower. That is a grouped convolution, groups=2,
    which halves those layers' weights; conv3 and the fully connected layers cross between the GPUs.

The paper's network, `AlexNet()`: input 227x227 (the paper's text says 224, but 11x11 filters with
stride 4 only give its 55x55 maps from 227 pixels). LRN with size 5, alpha 1e-4 in the paper's
formula (tinyconv, like PyTorch, divides alpha by the size: alpha = 5e-4 here), beta 0.75, k 2.
Parameters counted by tinyconv.summary:

    layer                                          output              parameters
    input                                          (N, 3, 227, 227)
    conv1   96 @ 11x11, stride 4  + ReLU + LRN      (N, 96, 55, 55)          34,944
    pool    3x3, stride 2                          (N, 96, 27, 27)
    conv2  256 @ 5x5, pad 2, groups 2 + ReLU + LRN (N, 256, 27, 27)        307,456
    pool    3x3, stride 2                          (N, 256, 13, 13)
    conv3  384 @ 3x3, pad 1           + ReLU       (N, 384, 13, 13)        885,120
    conv4  384 @ 3x3, pad 1, groups 2 + ReLU       (N, 384, 13, 13)        663,936
    conv5  256 @ 3x3, pad 1, groups 2 + ReLU       (N, 256, 13, 13)        442,624
    pool    3x3, stride 2                          (N, 256, 6, 6)
    flatten                                        (N, 9216)
    dropout, fc6 9216 -> 4096 + ReLU               (N, 4096)            37,752,832
    dropout, fc7 4096 -> 4096 + ReLU               (N, 4096)            16,781,312
    fc8 4096 -> 1000                               (N, 1000)             4,097,000
                                                                 total  60,965,224

The small variant, `AlexNet(small=True, in_channels=1)`, keeps every idea (ReLU, LRN, overlapping
pooling, groups=2 towers, dropout) at a size that trains on a laptop CPU: 32x32 inputs (MNIST or
Fashion-MNIST padded by 2, or CIFAR-10 with in_channels=3), 5x5 filters at stride 1 instead of 11x11
at stride 4, about a tenth of the channels. For in_channels=1 and 10 classes:

    layer                                          output              parameters
    input                                          (N, 1, 32, 32)
    conv1   32 @ 5x5, pad 2           + ReLU + LRN (N, 32, 32, 32)             832
    pool    3x3, stride 2                          (N, 32, 15, 15)
    conv2   64 @ 5x5, pad 2, groups 2 + ReLU + LRN (N, 64, 15, 15)          25,664
    pool    3x3, stride 2                          (N, 64, 7, 7)
    conv3   96 @ 3x3, pad 1           + ReLU       (N, 96, 7, 7)            55,392
    conv4   96 @ 3x3, pad 1, groups 2 + ReLU       (N, 96, 7, 7)            41,568
    conv5   64 @ 3x3, pad 1, groups 2 + ReLU       (N, 64, 7, 7)            27,712
    pool    3x3, stride 2                          (N, 64, 3, 3)
    flatten                                        (N, 576)
    dropout, fc6 576 -> 256 + ReLU                 (N, 256)                147,712
    dropout, fc7 256 -> 256 + ReLU                 (N, 256)                 65,792
    fc8 256 -> 10                                  (N, 10)                   2,570
                                                                 total     367,242

Both use torchvision's attribute names and indices: `features.0` is conv1, `features.4` conv2,
`features.8`, `.10`, `.12` conv3-5, `classifier.1`, `.4`, `.6` fc6-8. Weights start from tinyconv's
He initialization (the paper used N(0, 0.01^2) and biases of 1 in some layers).
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.functional.flatten import flatten
from tinyconv.nn import Conv2d, Dropout, Linear, LocalResponseNorm, MaxPool2d, Module, ReLU, Sequential

# The paper's LRN: k = 2, n = 5, alpha = 1e-4, beta = 0.75, with alpha multiplied by n because
# tinyconv (like PyTorch and Caffe) divides it by the window size.
LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 1e-4 * 5, 0.75, 2.0

# Per variant: input side; conv1 (channels, kernel, stride, padding); conv2 (channels, kernel, padding);
# the channels of conv3-conv5; the side of the last pooled maps; the width of fc6 and fc7.
CONFIGURATIONS = {
    "paper": dict(
        size=227, conv1=(96, 11, 4, 0), conv2=(256, 5, 2), widths=(384, 384, 256), pooled=6, fc=4096
    ),
    "small": dict(size=32, conv1=(32, 5, 1, 2), conv2=(64, 5, 2), widths=(96, 96, 64), pooled=3, fc=256),
}


class AlexNet(Module):
    """AlexNet; `small=False` (default) is the paper's 227x227 ImageNet network, `small=True` the
    32x32 variant. See the module docstring for both architectures.

    num_classes: size of the output (1000 for ImageNet)
    in_channels: 3 for color images, 1 for MNIST (the small variant)
    dropout:     probability of dropping a unit of fc6's and fc7's input (0.5 in the paper)
    Input (N, in_channels, 227, 227) or, small, (N, in_channels, 32, 32); output (N, num_classes) logits.
    """

    def __init__(
        self, num_classes: int = 1000, small: bool = False, in_channels: int = 3, dropout: float = 0.5
    ):
        super().__init__()
        check_int("AlexNet", "num_classes", num_classes, minimum=1)
        check_int("AlexNet", "in_channels", in_channels, minimum=1)
        config = CONFIGURATIONS["small" if small else "paper"]
        self.input_size = config["size"]
        channels1, kernel1, stride1, padding1 = config["conv1"]
        channels2, kernel2, padding2 = config["conv2"]
        channels3, channels4, channels5 = config["widths"]
        pooled, width = config["pooled"], config["fc"]
        self.features = Sequential(
            Conv2d(in_channels, channels1, kernel1, stride=stride1, padding=padding1),
            ReLU(),
            LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA, beta=LRN_BETA, k=LRN_K),
            MaxPool2d(3, stride=2),  # overlapping: windows of 3, stride 2
            Conv2d(channels1, channels2, kernel2, padding=padding2, groups=2),  # two towers
            ReLU(),
            LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA, beta=LRN_BETA, k=LRN_K),
            MaxPool2d(3, stride=2),
            Conv2d(channels2, channels3, 3, padding=1),  # crosses between the towers
            ReLU(),
            Conv2d(channels3, channels4, 3, padding=1, groups=2),
            ReLU(),
            Conv2d(channels4, channels5, 3, padding=1, groups=2),
            ReLU(),
            MaxPool2d(3, stride=2),
        )
        self.classifier = Sequential(
            Dropout(dropout),
            Linear(channels5 * pooled * pooled, width),
            ReLU(),
            Dropout(dropout),
            Linear(width, width),
            ReLU(),
            Linear(width, num_classes),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[2:] != (self.input_size, self.input_size):
            raise ValueError(
                f"AlexNet: expected images (N, C, {self.input_size}, {self.input_size}), got shape {x.shape}"
            )
        return self.classifier(flatten(self.features(x), start_dim=1))
