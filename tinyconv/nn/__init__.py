"""Layers and models, as `torch.nn`: `from tinyconv import nn`.

    module.py      Module: parameters, train/eval, state_dict, repr
    parameter.py   Parameter: a tensor the model learns; Buffer: state it keeps but does not learn
    container.py   Sequential, ModuleList, ModuleDict, ParameterList
    linear.py      Linear            conv.py     Conv2d, ConvTranspose2d
    masked_linear.py  MaskedLinear: a Linear whose fixed 0/1 mask cuts connections (MADE)
    upsampling.py  Upsample
    pooling.py     MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
    activation.py  ReLU, LeakyReLU, Sigmoid, Tanh, ELU, GELU, Softplus, Softmax
    flatten.py     Flatten
    identity.py    Identity
    rnn.py         RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU
    embedding.py   Embedding
    normalization.py  LocalResponseNorm, BatchNorm1d, BatchNorm2d, LayerNorm
    attention.py   MultiheadAttention
    transformer.py TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
                   TransformerDecoder, Transformer
    dropout.py     Dropout, Dropout2d
    loss.py        CrossEntropyLoss, NLLLoss, MultiMarginLoss, MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss,
                   SmoothL1Loss, HuberLoss
    utils.py       clip_grad_norm_ (`nn.utils`)
Initializers are in tinyconv/init.py, and `tinyconv.nn.init` is that same module (as torch.nn.init);
`tinyconv.nn.functional` is tinyconv.functional (as torch.nn.functional), so `import
tinyconv.nn.functional as F` works as PyTorch code writes it.
"""

import sys

from tinyconv import functional, init
from tinyconv.nn import utils
from tinyconv.nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from tinyconv.nn.attention import MultiheadAttention
from tinyconv.nn.container import ModuleDict, ModuleList, ParameterList, Sequential
from tinyconv.nn.conv import Conv2d, ConvTranspose2d
from tinyconv.nn.dropout import Dropout, Dropout2d
from tinyconv.nn.embedding import Embedding
from tinyconv.nn.flatten import Flatten
from tinyconv.nn.identity import Identity
from tinyconv.nn.linear import Linear
from tinyconv.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
)
from tinyconv.nn.masked_linear import MaskedLinear
from tinyconv.nn.module import Module
from tinyconv.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm, LocalResponseNorm
from tinyconv.nn.parameter import Buffer, Parameter
from tinyconv.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinyconv.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from tinyconv.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from tinyconv.nn.upsampling import Upsample

# So that `import tinyconv.nn.init` and `from tinyconv.nn.init import kaiming_normal_` find it too, as
# PyTorch code writes them: one module under both names, not a copy. Likewise tinyconv.nn.functional.
sys.modules[__name__ + ".init"] = init
sys.modules[__name__ + ".functional"] = functional

__all__ = [
    "ELU",
    "GELU",
    "Softplus",
    "Softmax",
    "AdaptiveAvgPool2d",
    "Identity",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RNN",
    "LSTM",
    "GRU",
    "Embedding",
    "LocalResponseNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "ConvTranspose2d",
    "Upsample",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
    "Dropout",
    "Dropout2d",
    "init",
    "functional",
    "utils",
    "Module",
    "Parameter",
    "Buffer",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "CrossEntropyLoss",
    "NLLLoss",
    "MultiMarginLoss",
    "MSELoss",
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "SmoothL1Loss",
    "HuberLoss",
    "Linear",
    "MaskedLinear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
]
