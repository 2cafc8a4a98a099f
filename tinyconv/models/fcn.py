"""A small fully convolutional network for semantic segmentation, FCN-8s's design at the size of MNIST.

Long, Shelhamer, Darrell, "Fully convolutional networks for semantic segmentation", CVPR 2015.

A classifier's feature maps shrink: each pooling halves them, so after three poolings one map pixel
stands for an 8x8 block of the input. That is what lets a deep pixel see a whole digit (its
receptive field), and also why its prediction is coarse: one class per 8x8 block. FCN's answer is a
decoder that goes back up, step by step, and at each step adds a prediction made from the encoder's
map of that resolution, which saw less of the image but knows where the edges are (a *skip*):

    encoder                                   decoder (K = num_classes)
    x        (N, C, H, W)
    stage1   conv 3x3 + ReLU  -> (N, w1, H, W)  --- score[0] 1x1 -> K -------------------(+)-> (N, K, H, W)
    stage2   pool, 2x (conv 3x3 + ReLU) -> H/2  --- score[1] 1x1 -> K ----------(+)-> up[0] ^
    stage3   pool, 2x (conv 3x3 + ReLU) -> H/4  --- score[2] 1x1 -> K --(+)-> up[1] ^
    stage4   pool, 2x (conv 3x3 + ReLU) -> H/8  --- score[3] 1x1 -> K -> up[2] ^

Each `up` is a transposed convolution, kernel 4, stride 2, padding 1, which exactly doubles the size
((n - 1) * 2 - 2 + 4 = 2n), started as bilinear upsampling (init.bilinear_, FCN's initialization) and
then learned. The skip scores start at zero, so at first the output is the coarse prediction
upsampled, and the finer stages learn what to add to it (FCN-8s initialized its new score layers the
same way).

Where this differs from FCN-8s: FCN-8s fuses strides 32, 16 and 8 of VGG-16 and then upsamples by 8
with fixed bilinear weights; its objects are large, and finer skips gained little on PASCAL VOC. MNIST
strokes are 2-3 pixels wide, so a label map at 1/8 resolution cannot draw them: this network fuses
every stride down to 1 (8, 4, 2 and the full resolution), and needs no final fixed upsampling.
Receptive field of the coarsest score (tinyconv.models.receptive_field computes it): 3 (stage1's
3x3) + 1 (the first pooling) + 2 * 2 * 2 (stage2's two 3x3, on pixels 2 apart) + 2 (the second
pooling) + 2 * 2 * 4 + 4 + 2 * 2 * 8 = 66 pixels: a whole digit of up to 36 pixels and its surroundings.

Input: (N, in_channels, H, W) with H and W multiples of 8; output: (N, num_classes, H, W) scores.
"""

from __future__ import annotations

from tinyconv import init
from tinyconv.checks import check_int
from tinyconv.nn import BatchNorm2d, Conv2d, ConvTranspose2d, MaxPool2d, Module, ModuleList, ReLU, Sequential

DOWNSAMPLING = 8  # three 2x2 poolings: the input's sides must be multiples of this


def conv_relu(in_channels: int, out_channels: int, batch_norm: bool) -> list:
    """A 3x3 convolution that keeps the size (padding 1), a BatchNorm2d if asked, and a ReLU."""
    if batch_norm:  # the normalization's shift does the bias's job
        return [
            Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            BatchNorm2d(out_channels),
            ReLU(),
        ]
    return [Conv2d(in_channels, out_channels, 3, padding=1), ReLU()]


class FCN(Module):
    """The network drawn in the module docstring.

    num_classes:  the classes of each pixel (11 for background + ten digits)
    in_channels:  1 for grey images
    widths:       the channels of stage1 to stage4
    """

    def __init__(
        self,
        num_classes: int = 11,
        in_channels: int = 1,
        widths: tuple = (16, 32, 64, 96),
        batch_norm: bool = False,
    ):
        super().__init__()
        check_int("FCN", "num_classes", num_classes, minimum=1)
        check_int("FCN", "in_channels", in_channels, minimum=1)
        if len(widths) != 4:
            raise ValueError(f"FCN: widths must give the channels of the 4 stages, got {widths!r}")
        w1, w2, w3, w4 = (check_int("FCN", "widths", w, minimum=1) for w in widths)
        bn = batch_norm
        self.stage1 = Sequential(*conv_relu(in_channels, w1, bn))
        self.stage2 = Sequential(MaxPool2d(2), *conv_relu(w1, w2, bn), *conv_relu(w2, w2, bn))
        self.stage3 = Sequential(MaxPool2d(2), *conv_relu(w2, w3, bn), *conv_relu(w3, w3, bn))
        self.stage4 = Sequential(MaxPool2d(2), *conv_relu(w3, w4, bn), *conv_relu(w4, w4, bn))
        # score[k]: stage k + 1's own prediction, a 1x1 convolution to class scores
        self.score = ModuleList([Conv2d(width, num_classes, 1) for width in (w1, w2, w3, w4)])
        for skip in self.score[:3]:  # the skips start silent: see the module docstring
            init.zeros_(skip.weight)
            init.zeros_(skip.bias)
        # up[k]: doubles the scores from stage k + 2's resolution to stage k + 1's
        self.up = ModuleList(
            [ConvTranspose2d(num_classes, num_classes, 4, stride=2, padding=1, bias=False) for _ in range(3)]
        )
        for layer in self.up:
            init.bilinear_(layer.weight)

    def forward(self, x):
        if x.ndim != 4 or x.shape[2] % DOWNSAMPLING or x.shape[3] % DOWNSAMPLING:
            raise ValueError(
                f"FCN: expected images (N, C, H, W) with H and W multiples of {DOWNSAMPLING}, "
                f"got shape {x.shape}"
            )
        stage1 = self.stage1(x)
        stage2 = self.stage2(stage1)
        stage3 = self.stage3(stage2)
        stage4 = self.stage4(stage3)
        scores = self.score[3](stage4)  # 1/8 of the input's size
        scores = self.up[2](scores) + self.score[2](stage3)  # 1/4
        scores = self.up[1](scores) + self.score[1](stage2)  # 1/2
        return self.up[0](scores) + self.score[0](stage1)  # full size
