"""LeNet-5 in its common modern form (ReLU and max pooling instead of the 1998 paper's scaled tanh,
trainable subsampling and RBF output; the classic network is a separate model).

LeCun, Bottou, Bengio, Haffner, "Gradient-based learning applied to document recognition", 1998.

    input     (N, 1, 28, 28)     MNIST digits; padding 2 gives the paper's 32x32 input
    C1  conv 5x5, 6 maps,  pad 2 -> (N, 6, 28, 28)     6 * (1*5*5 + 1)   =    156 parameters
    S2  max pool 2x2             -> (N, 6, 14, 14)
    C3  conv 5x5, 16 maps        -> (N, 16, 10, 10)    16 * (6*5*5 + 1)  =  2,416 (all maps connected)
    S4  max pool 2x2             -> (N, 16, 5, 5)
    flatten                      -> (N, 400)
    F5  linear 400 -> 120                                120 * (400 + 1) = 48,120
    F6  linear 120 -> 84                                  84 * (120 + 1) = 10,164
    out linear 84 -> 10                                   10 * (84 + 1)  =    850
                                                                   total = 61,706
"""

from __future__ import annotations

from tinyconv.functional.flatten import flatten
from tinyconv.nn import Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential


class LeNet5(Module):
    """The modern LeNet-5; state_dict keys are `features.0.weight` ... `classifier.4.bias`."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = Sequential(
            Conv2d(1, 6, kernel_size=5, padding=2),
            ReLU(),
            MaxPool2d(2),
            Conv2d(6, 16, kernel_size=5),
            ReLU(),
            MaxPool2d(2),
        )
        self.classifier = Sequential(
            Linear(16 * 5 * 5, 120),
            ReLU(),
            Linear(120, 84),
            ReLU(),
            Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(flatten(self.features(x), start_dim=1))
