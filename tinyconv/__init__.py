"""tinyconv: a deep-learning framework written to be read.

    import tinyconv
    import tinyconv.functional as F
    from tinyconv import nn, optim

A map of the package for a reader:
    tensor.py            Tensor: an array that remembers how it was made
    autograd.py          Function, the backward pass (the chain rule), no_grad
    ops/                 the Functions behind the tensor methods: + - * / ** @, reductions, shapes,
                         indexing, where/gather, cat/split, in-place updates, conversions
    creation.py          tensor, zeros, arange, rand... (PyTorch's factory functions)
    functions.py         tinyconv.exp(x), tinyconv.max(x, 1)...: the methods as package functions
    dtypes.py            tinyconv.float32, int64, bool...; PyTorch's type promotion
    functional/          conv2d (im2col), pooling, normalization, dropout, activations, losses,
                         recurrent cells, embedding: each with its backward
    backend/             the one seam between NumPy (backend/cpu.py, the CPU implementation of every
                         kernel) and CuPy with tinyconv's own CUDA kernels (cuda_kernels.py, kernels/*.cu)
    checks.py            the input checks shared by every op: one clear error before any work
    cuda.py, device.py   is_available(), the devices "cpu" and "cuda"
    nn/                  Module, Parameter, layers built on functional (conv to LSTM)
    optim/               SGD, Adagrad, RMSprop, Adam, AdamW; learning-rate schedulers
    init.py              initializers (He/Kaiming, Xavier, constants)
    data/                MNIST, Fashion-MNIST, CIFAR-10, the DataLoader, augmentation
    gradcheck.py         compares every hand-written backward with finite differences
    serialization.py     save / load checkpoints atomically; load reads torch.save's files too
    torch_format.py      PyTorch's file format, and its tensors rebuilt as NumPy arrays without PyTorch
    models/              LeNet-5 to ResNet; summary(model, input_shape) tables any model's layers
    detection/           boxes, IoU, NMS, anchors, box coding, mAP (torchvision's names; RoI pooling and
                         RoIAlign are functional/roi.py's)
    viz/                 filters, feature maps, attention and the computational graph, drawn (imports
                         matplotlib when used)
"""

# tensor.py first: the autograd engine and the ops it imports at its end all build on Tensor.
from tinyconv.tensor import Tensor  # isort: skip
from tinyconv import cuda
from tinyconv.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from tinyconv.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from tinyconv.device import device
from tinyconv.dtypes import (
    bool,
    double,
    float,
    float32,
    float64,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from tinyconv.functions import (
    abs,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    bmm,
    chunk,
    clamp,
    clip,
    clone,
    cos,
    cumsum,
    equal,
    exp,
    flatten,
    flip,
    gather,
    isfinite,
    isnan,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    narrow,
    norm,
    permute,
    prod,
    relu,
    reshape,
    roll,
    rsqrt,
    scatter_add,
    sigmoid,
    sin,
    softmax,
    sqrt,
    squeeze,
    std,
    sum,
    t,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from tinyconv.gradcheck import GradcheckError, gradcheck  # the function shadows its module's name
from tinyconv.models.summary import summary
from tinyconv.ops.join import cat, split, stack, unbind
from tinyconv.random import Generator, manual_seed
from tinyconv.serialization import load, save

# Cheap to import: viz imports matplotlib only when it draws a figure; utils.data is tinyconv.data.
from tinyconv import utils, viz  # isort: skip

__version__ = "0.1.0"

# Everything above is tinyconv's public surface, as torch.* is PyTorch's.
__all__ = [
    "Tensor",
    "cuda",
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "is_tensor",
    "linspace",
    "numel",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
    "device",
    "bool",
    "double",
    "float",
    "float32",
    "float64",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
    "abs",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "bmm",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "cos",
    "cumsum",
    "equal",
    "exp",
    "flatten",
    "flip",
    "gather",
    "isfinite",
    "isnan",
    "log",
    "log_softmax",
    "logsumexp",
    "masked_fill",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "narrow",
    "norm",
    "permute",
    "prod",
    "relu",
    "reshape",
    "roll",
    "rsqrt",
    "scatter_add",
    "sigmoid",
    "sin",
    "softmax",
    "sqrt",
    "squeeze",
    "std",
    "sum",
    "t",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "where",
    "GradcheckError",
    "gradcheck",
    "summary",
    "cat",
    "split",
    "stack",
    "unbind",
    "Generator",
    "manual_seed",
    "load",
    "save",
    "utils",
    "viz",
]
