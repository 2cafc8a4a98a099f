"""YOLOv1: a detector in one pass, at the size of MNIST canvases.

Redmon, Divvala, Girshick, Farhadi, "You Only Look Once: Unified, Real-Time Object Detection", CVPR 2016.

R-CNN and its successors propose regions first and then classify each; YOLO reads the whole image once
and writes, for every cell of an S x S grid over it, B boxes (x, y, √w, √h, confidence) and C class
probabilities: a tensor of S x S x (B * 5 + C), with no proposal step (the notes: "reason propose에
대한 step이 없다"). What the numbers mean, the targets, the loss and the decoding are in
tinyconv/detection/yolo.py; this file is the network that writes the tensor.

The paper's network reads 448 x 448 images with 24 convolutions (7x7 stride 2 first, then 3x3 and 1x1
layers, four 2x2 max poolings: a stride of 64, 448 / 64 = 7 = S), then two fully connected layers (4096
and 7 * 7 * 30) whose output is reshaped to 7 x 7 x 30. This one reads (1, 16 S, 16 S) canvases, 96 x 96
for S = 6, with five 3x3 convolutions (LeakyReLU 0.1, the paper's activation):

    layer                          output (N, C, H, W), S = 6, widths (16, 32, 64, 128)
    conv 3x3 stride 2 + BN + leaky   (N, 16, 48, 48)      the paper's 7x7 stride-2 entry, at MNIST's size
    conv 3x3 stride 2 + BN + leaky   (N, 32, 24, 24)
    conv 3x3 + BN + leaky, pool 2    (N, 64, 12, 12)
    conv 3x3 + BN + leaky, pool 2    (N, 128, 6, 6)       one position per cell: stride 16
    conv 3x3 + BN + leaky            (N, 128, 6, 6)
    head: conv 1x1                   (N, B * 5 + C, 6, 6) -> permuted to (N, 6, 6, 20)

Two changes from the paper, both to train in minutes on a CPU:
  - the head is a 1x1 convolution, the same small layer at every cell, where the paper's two fully
    connected layers give each cell weights of its own (7 * 7 * 30 = 1,470 outputs from 4,096 numbers:
    6 million weights in the last layer alone; here 128 * 20 + 20 = 2,580). The digits sit anywhere,
    so what a cell must do is the same everywhere, and a cell sees 75 x 75 pixels around it (its
    receptive field, tinyconv.models.receptive_field), its digit and the digit's surroundings. YOLO
    v2 made the same change.
  - batch normalization after each convolution (also YOLO v2's), so Adam can take large steps from the
    first batch.
The head stays linear, as the paper's last layer: the loss is squared error on every number.

Input: (N, in_channels, 16 S, 16 S); output: (N, S, S, B * 5 + C), a cell's numbers on the last axis.
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.nn import BatchNorm2d, Conv2d, LeakyReLU, MaxPool2d, Module, Sequential

CELL = 16  # pixels per grid cell: two stride-2 convolutions and two 2x2 poolings


def conv_bn_leaky(in_channels: int, out_channels: int, stride: int = 1) -> list:
    """A 3x3 convolution (padding 1: the size is kept, or halved with stride 2), BatchNorm2d, LeakyReLU(0.1).
    No bias: the normalization's shift does its job."""
    return [
        Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        BatchNorm2d(out_channels),
        LeakyReLU(0.1),
    ]


class YOLOv1(Module):
    """The network drawn in the module docstring.

    num_classes:  C, the classes of objects (10 digits)
    grid_size:    S, the grid is S x S cells of 16 pixels, so the images are 16 S pixels square
    num_boxes:    B, boxes predicted per cell
    in_channels:  1 for grey images
    widths:       the channels of the four stages (the last is also the head's input)
    """

    def __init__(
        self,
        num_classes: int = 10,
        grid_size: int = 6,
        num_boxes: int = 2,
        in_channels: int = 1,
        widths: tuple = (16, 32, 64, 128),
    ):
        super().__init__()
        self.num_classes = check_int("YOLOv1", "num_classes", num_classes, minimum=1)
        self.grid_size = check_int("YOLOv1", "grid_size", grid_size, minimum=1)
        self.num_boxes = check_int("YOLOv1", "num_boxes", num_boxes, minimum=1)
        self.in_channels = check_int("YOLOv1", "in_channels", in_channels, minimum=1)
        if not isinstance(widths, (tuple, list)) or len(widths) != 4:
            raise ValueError(f"YOLOv1: widths must give the channels of the 4 stages, got {widths!r}")
        w1, w2, w3, w4 = (check_int("YOLOv1", "widths", w, minimum=1) for w in widths)
        self.features = Sequential(
            *conv_bn_leaky(in_channels, w1, stride=2),
            *conv_bn_leaky(w1, w2, stride=2),
            *conv_bn_leaky(w2, w3),
            MaxPool2d(2),
            *conv_bn_leaky(w3, w4),
            MaxPool2d(2),
            *conv_bn_leaky(w4, w4),
        )
        self.head = Conv2d(w4, num_boxes * 5 + num_classes, 1)

    @property
    def image_size(self) -> int:
        """The side of the images the network reads: 16 pixels per cell."""
        return CELL * self.grid_size

    def forward(self, x):
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"YOLOv1: expected images (N, {', '.join(map(str, expected))}) for a {self.grid_size}x"
                f"{self.grid_size} grid of {CELL}-pixel cells, got shape {tuple(x.shape)}"
            )
        scores = self.head(self.features(x))  # (N, B * 5 + C, S, S)
        return scores.permute(0, 2, 3, 1)  # (N, S, S, B * 5 + C): the paper's layout, a cell's numbers last
