"""ZFNet: AlexNet retuned by looking at what its layers had learned (ILSVRC 2013 winner).

Zeiler, Fergus, "Visualizing and understanding convolutional networks", ECCV 2014 (arXiv 1311.2901).

The idea: project a layer's activations back to pixel space (with a "deconvnet": unpooling with the
recorded max positions, ReLU, transposed filters) to see which input patterns each feature map
responds to. Doing that to AlexNet showed first-layer filters that were either very high or very low
frequency, with few in between, and aliasing in the second layer from the large stride. The fix, and
this architecture: conv1 with 7x7 filters at stride 2 instead of 11x11 at stride 4, conv2 with stride
2, and dense connections in conv3-conv5 (one GPU, no groups). To look at a layer's feature maps in
tinyconv, a forward hook (`Module.register_forward_hook`) captures them as the image passes.

The network of the paper's Fig. 3 (input 224x224). The paper does not give its padding; padding 1
on conv1 and on the first two max pools reproduces the map sizes it reports (110, 55, 26, 13, 6).
Normalization is "contrast normalization across feature maps": LocalResponseNorm with AlexNet's
constants, here after the pooling, as in the figure. Parameters counted by tinyconv.summary:

    layer                                              output              parameters
    input                                              (N, 3, 224, 224)
    conv1   96 @ 7x7, stride 2, pad 1  + ReLU          (N, 96, 110, 110)        14,208
    pool    3x3, stride 2, pad 1       + LRN           (N, 96, 55, 55)
    conv2  256 @ 5x5, stride 2         + ReLU          (N, 256, 26, 26)        614,656
    pool    3x3, stride 2, pad 1       + LRN           (N, 256, 13, 13)
    conv3  384 @ 3x3, pad 1            + ReLU          (N, 384, 13, 13)        885,120
    conv4  384 @ 3x3, pad 1            + ReLU          (N, 384, 13, 13)      1,327,488
    conv5  256 @ 3x3, pad 1            + ReLU          (N, 256, 13, 13)        884,992
    pool    3x3, stride 2                              (N, 256, 6, 6)
    flatten                                            (N, 9216)
    dropout, fc6 9216 -> 4096 + ReLU                   (N, 4096)            37,752,832
    dropout, fc7 4096 -> 4096 + ReLU                   (N, 4096)            16,781,312
    fc8 4096 -> 1000                                   (N, 1000)             4,097,000
                                                                     total  62,357,608

Attribute names follow AlexNet's (`features.0` is conv1, `classifier.6` the last layer).
"""

from __future__ import annotations

from tinyconv.checks import check_int
from tinyconv.functional.flatten import flatten
from tinyconv.models.alexnet import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE
from tinyconv.nn import Conv2d, Dropout, Linear, LocalResponseNorm, MaxPool2d, Module, ReLU, Sequential


class ZFNet(Module):
    """ZFNet for 224x224 images: input (N, in_channels, 224, 224), output (N, num_classes) logits.

    See the module docstring for the architecture. dropout: the probability used before fc6 and fc7.
    """

    input_size = 224

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5):
        super().__init__()
        check_int("ZFNet", "num_classes", num_classes, minimum=1)
        check_int("ZFNet", "in_channels", in_channels, minimum=1)
        self.features = Sequential(
            Conv2d(in_channels, 96, 7, stride=2, padding=1),
            ReLU(),
            MaxPool2d(3, stride=2, padding=1),
            LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA, beta=LRN_BETA, k=LRN_K),
            Conv2d(96, 256, 5, stride=2),
            ReLU(),
            MaxPool2d(3, stride=2, padding=1),
            LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA, beta=LRN_BETA, k=LRN_K),
            Conv2d(256, 384, 3, padding=1),
            ReLU(),
            Conv2d(384, 384, 3, padding=1),
            ReLU(),
            Conv2d(384, 256, 3, padding=1),
            ReLU(),
            MaxPool2d(3, stride=2),
        )
        self.classifier = Sequential(
            Dropout(dropout),
            Linear(256 * 6 * 6, 4096),
            ReLU(),
            Dropout(dropout),
            Linear(4096, 4096),
            ReLU(),
            Linear(4096, num_classes),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[2:] != (self.input_size, self.input_size):
            raise ValueError(f"ZFNet: expected images (N, C, 224, 224), got shape {x.shape}")
        return self.classifier(flatten(self.features(x), start_dim=1))
