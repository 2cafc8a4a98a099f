"""Layers and models, as `torch.nn`: `from tinyconv import nn`.

    module.py      Module: parameters, train/eval, state_dict, repr
    parameter.py   Parameter: a tensor the model learns; Buffer: state it keeps but does not learn
    container.py   Sequential, ModuleList
    linear.py      Linear            conv.py     Conv2d
    pooling.py     MaxPool2d, AvgPool2d
    activation.py  ReLU, LeakyReLU, Sigmoid, Tanh
    flatten.py     Flatten
Initializers are in tinyconv/init.py (also reachable as `nn.init`).
"""

from tinyconv import init
from tinyconv.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from tinyconv.nn.container import ModuleList, Sequential
from tinyconv.nn.conv import Conv2d
from tinyconv.nn.flatten import Flatten
from tinyconv.nn.linear import Linear
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Buffer, Parameter
from tinyconv.nn.pooling import AvgPool2d, MaxPool2d

__all__ = [
    "init",
    "Module",
    "Parameter",
    "Buffer",
    "Sequential",
    "ModuleList",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
]
