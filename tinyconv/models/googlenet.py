"""GoogLeNet: Inception modules, 22 layers deep with 12 times fewer parameters than AlexNet
(ILSVRC 2014 winner).

Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke, Rabinovich, "Going deeper with
convolutions", CVPR 2015 (arXiv 1409.4842).

The idea: an Inception module looks at its input at several scales at once, with four parallel
branches (1x1, 3x3 and 5x5 convolutions and a 3x3 max pool) whose outputs are joined along the
channel axis (`tinyconv.cat(..., axis=1)`). Run naively, the 5x5 branch on hundreds of channels is
far too expensive, so a 1x1 convolution first reduces the channels (the "bottleneck", with a ReLU
of its own): in inception (3a), 192 channels -> 16 by 1x1, then 16 -> 32 by 5x5, costs
192*16 + 16*25*32 = 15,872 weights against 192*25*32 = 153,600 for the 5x5 on all 192 channels.
The pool branch gets a 1x1 "pool projection" too, so the module's width stays under control.

    Inception(in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        branch1:  1x1 conv -> ch1x1                                   \\
        branch2:  1x1 conv -> ch3x3red, 3x3 conv (pad 1) -> ch3x3       | ReLU after every conv;
        branch3:  1x1 conv -> ch5x5red, 5x5 conv (pad 2) -> ch5x5       | cat along channels:
        branch4:  3x3 max pool (stride 1, pad 1), 1x1 conv -> pool_proj / ch1x1 + ch3x3 + ch5x5 + pool_proj

GoogLeNet as in the paper's Table 1 (input 224x224; the channel columns are the table's, the
parameters counted by tinyconv.summary, biases included). The table's own "params" column is only
approximate: it counts weights in units of 1024 and some entries are off by a few percent (4c: the
columns give 509,440 weights, 497.5K, where the table says 463K; conv1 has 9,408, not 2.7K):

    layer          1x1  3x3red 3x3  5x5red 5x5  pool   output               parameters
    conv1 7x7/2                                        (N, 64, 112, 112)         9,472
    maxpool 3x3/2, LRN                                 (N, 64, 56, 56)
    conv2 1x1                                          (N, 64, 56, 56)           4,160
    conv3 3x3                                          (N, 192, 56, 56)        110,784
    LRN, maxpool 3x3/2                                 (N, 192, 28, 28)
    inception 3a    64    96   128    16    32    32   (N, 256, 28, 28)        163,696
    inception 3b   128   128   192    32    96    64   (N, 480, 28, 28)        388,736
    maxpool 3x3/2                                      (N, 480, 14, 14)
    inception 4a   192    96   208    16    48    64   (N, 512, 14, 14)        376,176
    inception 4b   160   112   224    24    64    64   (N, 512, 14, 14)        449,160
    inception 4c   128   128   256    24    64    64   (N, 512, 14, 14)        510,104
    inception 4d   112   144   288    32    64    64   (N, 528, 14, 14)        605,376
    inception 4e   256   160   320    32   128   128   (N, 832, 14, 14)        868,352
    maxpool 3x3/2                                      (N, 832, 7, 7)
    inception 5a   256   160   320    32   128   128   (N, 832, 7, 7)        1,043,456
    inception 5b   384   192   384    48   128   128   (N, 1024, 7, 7)       1,444,080
    avgpool (global, the paper's 7x7), dropout 40%     (N, 1024, 1, 1)
    fc 1024 -> 1000                                    (N, 1000)             1,025,000
                                                                     total   6,998,552

The max pools of stride 2 use padding 1, which gives the paper's map sizes (112 -> 56 -> 28 -> 14
-> 7); the authors' Caffe model rounds up instead (ceil mode), with the same sizes. Fig. 3 of the
paper puts local response normalization after the first pool and after conv3 (size 5, alpha 1e-4,
beta 0.75, k 1, the values of the BVLC Caffe model; alpha is divided by the size in both).

Auxiliary classifiers (aux_logits=True): small heads on the outputs of 4a and 4d that add a
gradient signal halfway down the network during training: 5x5 average pool of stride 3 (4x4
maps from the 14x14 ones, so they need the 224x224 input), 1x1 conv to 128 + ReLU, fc to 1024 +
ReLU, dropout 70%, fc to the classes (3,188,840 and 3,190,888 parameters for 1000 classes). In train()
mode the model then returns (logits, aux1, aux2), to be trained on loss(logits) + 0.3 * (loss(aux1)
+ loss(aux2)); in eval() mode it returns the logits only, and the heads are discarded at inference.
Weights start from tinyconv's He initialization (ReLU everywhere).
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.functional.activation import relu
from tinyconv.functional.flatten import flatten
from tinyconv.nn import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv2d,
    Dropout,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
)
from tinyconv.ops.join import cat


class ConvReLU(Module):
    """A convolution followed by ReLU: the unit GoogLeNet is built of (every conv has its ReLU)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding)

    def forward(self, x):
        return relu(self.conv(x))


class Inception(Module):
    """Four parallel branches joined along the channel axis (see the module docstring).

    Input (N, in_channels, H, W) -> output (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W): every branch
    keeps H and W, so their maps can be stacked. The backward of the cat hands each branch the slice
    of the gradient that belongs to its channels, and the four gradients reaching x are summed.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
    ):
        super().__init__()
        self.branch1 = ConvReLU(in_channels, ch1x1, 1)
        self.branch2 = Sequential(ConvReLU(in_channels, ch3x3red, 1), ConvReLU(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = Sequential(ConvReLU(in_channels, ch5x5red, 1), ConvReLU(ch5x5red, ch5x5, 5, padding=2))
        self.branch4 = Sequential(MaxPool2d(3, stride=1, padding=1), ConvReLU(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], axis=1)


class InceptionAux(Module):
    """An auxiliary classifier: (N, in_channels, 14, 14) -> (N, num_classes) logits (paper, Section 5)."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.avgpool = AvgPool2d(5, stride=3)
        self.conv = ConvReLU(in_channels, 128, 1)
        self.fc1 = Linear(128 * 4 * 4, 1024)
        self.relu = ReLU()
        self.dropout = Dropout(0.7)
        self.fc2 = Linear(1024, num_classes)

    def forward(self, x):
        if not all(14 <= size <= 16 for size in x.shape[2:]):
            raise ValueError(
                "InceptionAux: expected maps of 14x14 to 16x16, which the 5x5 pooling of stride 3 turns "
                "into the 4x4 its first linear layer takes (GoogLeNet inputs of 212 to 256 pixels), got "
                f"{x.shape[2]}x{x.shape[3]}; use aux_logits=False for other input sizes"
            )
        x = flatten(self.conv(self.avgpool(x)), start_dim=1)
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


class GoogLeNet(Module):
    """GoogLeNet (Inception v1): input (N, in_channels, H, W), output (N, num_classes) logits, or
    (logits, aux1, aux2) in train() mode when aux_logits=True. H and W at least 32 (224 in the paper);
    with the auxiliary classifiers in training, from 212 to 256, as their heads are sized for the 14x14
    maps of a 224x224 image (their 5x5/3 pooling must give 4x4). See the module docstring.
    """

    def __init__(
        self, num_classes: int = 1000, aux_logits: bool = False, in_channels: int = 3, dropout: float = 0.4
    ):
        super().__init__()
        check_int("GoogLeNet", "num_classes", num_classes, minimum=1)
        check_int("GoogLeNet", "in_channels", in_channels, minimum=1)
        self.aux_logits = aux_logits
        self.conv1 = ConvReLU(in_channels, 64, 7, stride=2, padding=3)
        self.maxpool1 = MaxPool2d(3, stride=2, padding=1)
        self.lrn1 = LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.conv2 = ConvReLU(64, 64, 1)
        self.conv3 = ConvReLU(64, 192, 3, padding=1)
        self.lrn2 = LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.maxpool2 = MaxPool2d(3, stride=2, padding=1)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = MaxPool2d(3, stride=2, padding=1)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = MaxPool2d(3, stride=2, padding=1)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.aux1 = InceptionAux(512, num_classes) if aux_logits else None
        self.aux2 = InceptionAux(528, num_classes) if aux_logits else None
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.dropout = Dropout(dropout)
        self.fc = Linear(1024, num_classes)

    def forward(self, x):
        x = self.lrn1(self.maxpool1(self.conv1(x)))
        x = self.maxpool2(self.lrn2(self.conv3(self.conv2(x))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        logits = self.fc(self.dropout(flatten(self.avgpool(x), start_dim=1)))
        if aux1 is not None:
            return logits, aux1, aux2
        return logits
