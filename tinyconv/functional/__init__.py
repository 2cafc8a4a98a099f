"""Differentiable operations on tensors, as `torch.nn.functional`: `import tinyconv.functional as F`.

Each op is a Function with a hand-written backward, in the file named for it:
    conv.py        conv2d by im2col + one matrix product
    pooling.py     max_pool2d, avg_pool2d
    activation.py  relu, leaky_relu, sigmoid, tanh, softmax, log_softmax
    loss.py        cross_entropy, mse_loss
    linear.py      linear
    flatten.py     flatten
    reference.py   naive loop conv2d and max_pool2d: the specification the fast ones are tested against
"""

from tinyconv.functional.activation import (
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from tinyconv.functional.conv import conv2d
from tinyconv.functional.flatten import flatten
from tinyconv.functional.linear import linear
from tinyconv.functional.loss import cross_entropy, mse_loss
from tinyconv.functional.pooling import avg_pool2d, max_pool2d

__all__ = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "relu",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "linear",
    "flatten",
    "cross_entropy",
    "mse_loss",
]
