"""ResNet: residual learning with identity shortcuts (ILSVRC 2015 winner, 152 layers).

He, Zhang, Ren, Sun, "Deep residual learning for image recognition", CVPR 2016 (arXiv 1512.03385).

The problem: past about 20 layers, a plain stack of convolutions trains *worse* as it gets deeper,
on the training set too, so it is not overfitting but optimization. The idea: let each block learn
a residual F(x) and output F(x) + x. The shortcut is the identity, so it costs nothing, a block can
be the identity by driving F to 0, and the gradient reaches early layers undiminished through the
sum:  d(F(x) + x)/dx = dF/dx + 1.  Where a block changes the shape (stride 2, more channels), the
shortcut becomes a 1x1 convolution of stride 2 plus batch norm (the paper's option B, `downsample`).

    BasicBlock (ResNet-18/34):  3x3 conv, BN, ReLU, 3x3 conv, BN, + shortcut, ReLU
    Bottleneck (ResNet-50+):    1x1 conv down to `planes`, BN, ReLU, 3x3 conv, BN, ReLU,
                                1x1 conv up to 4 * planes, BN, + shortcut, ReLU
The bottleneck does its 3x3 work on 4 times fewer channels. As in torchvision (ResNet v1.5) its
stride sits on the 3x3 convolution; the paper put it on the first 1x1.

Layout and state dict keys are torchvision's: conv1, bn1, layer1.0.conv1, layer1.0.bn1, ...,
layer2.0.downsample.0 (the 1x1 conv) and .1 (its BN), fc. Input (N, 3, H, W): 224x224 in the paper;
adaptive average pooling before fc lets 32x32 through too. ResNet-18 counted by tinyconv.summary
(224x224, 1000 classes):

    stage    layers                                      output               parameters
    conv1    7x7, 64, stride 2, BN, ReLU                 (N, 64, 112, 112)         9,536
    maxpool  3x3, stride 2, pad 1                        (N, 64, 56, 56)
    layer1   2 x BasicBlock(64)                          (N, 64, 56, 56)         147,968
    layer2   2 x BasicBlock(128), first of stride 2      (N, 128, 28, 28)        525,568
    layer3   2 x BasicBlock(256), first of stride 2      (N, 256, 14, 14)      2,099,712
    layer4   2 x BasicBlock(512), first of stride 2      (N, 512, 7, 7)        8,393,728
    avgpool  global average                              (N, 512, 1, 1)
    fc       512 -> 1000                                 (N, 1000)               513,000
                                                                         total  11,689,512

ResNet-34 has 3, 4, 6, 3 BasicBlocks per stage (21,797,672 parameters); ResNet-50 3, 4, 6, 3
Bottlenecks, whose outputs have 256, 512, 1024, 2048 channels and fc 2048 -> 1000 (25,557,032).

Initialization: convolutions and fc from tinyconv's He initialization (torchvision uses He normal
with fan_out for the convolutions), batch norm weight 1 and bias 0.
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.functional.activation import relu
from tinyconv.functional.flatten import flatten
from tinyconv.nn import AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> Conv2d:
    """3x3 convolution, padding 1, no bias (the batch norm that follows has one)."""
    return Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> Conv2d:
    """1x1 convolution, no bias: mixes channels at each pixel (and subsamples with stride 2)."""
    return Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)


class BasicBlock(Module):
    """y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), two 3x3 convolutions.

    in_channels -> planes channels; stride 2 halves H and W. shortcut(x) is x itself, or
    `downsample(x)` (1x1 conv + BN) when given, to match the shape of the residual.
    """

    expansion = 1  # output channels = expansion * planes

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: Module | None = None):
        super().__init__()
        self.conv1 = conv3x3(in_channels, planes, stride)
        self.bn1 = BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(out + shortcut)


class Bottleneck(Module):
    """y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x)).

    conv1 1x1 in_channels -> planes, conv2 3x3 planes -> planes (with the stride), conv3 1x1 planes ->
    4 * planes. shortcut as in BasicBlock.
    """

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: Module | None = None):
        super().__init__()
        self.conv1 = conv1x1(in_channels, planes)
        self.bn1 = BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = BatchNorm2d(planes * self.expansion)
        self.downsample = downsample

    def forward(self, x):
        out = relu(self.bn1(self.conv1(x)))
        out = relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(out + shortcut)


class ResNet(Module):
    """A ResNet of `block`s (BasicBlock or Bottleneck), `layers[i]` of them in stage i + 1.

    Input (N, in_channels, H, W), H and W at least 32; output (N, num_classes) logits.
    ResNet18/34/50 below fix block and layers.
    """

    def __init__(self, block: type, layers, num_classes: int = 1000, in_channels: int = 3):
        super().__init__()
        if block not in (BasicBlock, Bottleneck):
            raise TypeError(f"ResNet: block must be BasicBlock or Bottleneck, got {block!r}")
        if len(layers) != 4:
            raise ValueError(
                f"ResNet: layers must give the number of blocks of each of 4 stages, got {layers!r}"
            )
        check_int("ResNet", "num_classes", num_classes, minimum=1)
        check_int("ResNet", "in_channels", in_channels, minimum=1)
        self.inplanes = 64  # channels entering the next stage (torchvision's name); grows as stages are built
        self.conv1 = Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(64)
        self.relu = ReLU()
        self.maxpool = MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self.make_stage(block, 64, layers[0], stride=1)
        self.layer2 = self.make_stage(block, 128, layers[1], stride=2)
        self.layer3 = self.make_stage(block, 256, layers[2], stride=2)
        self.layer4 = self.make_stage(block, 512, layers[3], stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512 * block.expansion, num_classes)

    def make_stage(self, block: type, planes: int, blocks: int, stride: int) -> Sequential:
        """`blocks` blocks; the first changes stride and channels, with a projection shortcut if needed."""
        check_int("ResNet", "blocks per stage", blocks, minimum=1)
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                BatchNorm2d(planes * block.expansion),
            )
        stage = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            stage.append(block(self.inplanes, planes))
        return Sequential(*stage)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(flatten(self.avgpool(x), start_dim=1))


class ResNet18(ResNet):
    """ResNet-18: BasicBlocks, 2 2 2 2 (11,689,512 parameters for 1000 classes)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3):
        super().__init__(BasicBlock, [2, 2, 2, 2], num_classes, in_channels)


class ResNet34(ResNet):
    """ResNet-34: BasicBlocks, 3 4 6 3 (21,797,672 parameters for 1000 classes)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3):
        super().__init__(BasicBlock, [3, 4, 6, 3], num_classes, in_channels)


class ResNet50(ResNet):
    """ResNet-50: Bottlenecks, 3 4 6 3 (25,557,032 parameters for 1000 classes)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3):
        super().__init__(Bottleneck, [3, 4, 6, 3], num_classes, in_channels)
