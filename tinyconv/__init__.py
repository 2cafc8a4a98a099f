"""tinyconv: a deep-learning framework written to be read.

    import tinyconv
    import tinyconv.functional as F
    from tinyconv import nn, optim

A map of the package for a reader:
    tensor.py            Tensor: an array that remembers how it was made
    autograd.py          Function, the backward pass (the chain rule), no_grad
    ops/                 the Functions behind + - * / ** @, sum/mean/max, reshape, indexing, cat/split
    functional/          conv2d (im2col), pooling, normalization, dropout, activations, losses,
                         recurrent cells, embedding: each with its backward
    backend/             get_array_module and the im2col / col2im / matmul seam: NumPy, or CuPy with
                         tinyconv's own CUDA kernels (kernels/*.cu)
    cuda.py              is_available(), the devices "cpu" and "cuda"
    nn/                  Module, Parameter, layers built on functional (conv to LSTM)
    optim/               SGD, Adagrad, RMSprop, Adam, AdamW; learning-rate schedulers
    init.py              initializers (He/Kaiming, Xavier, constants)
    data/                MNIST, Fashion-MNIST, CIFAR-10, the DataLoader, augmentation
    gradcheck.py         compares every hand-written backward with finite differences
    serialization.py     save / load checkpoints atomically
    models/              LeNet-5 to ResNet; summary(model, input_shape) tables any model's layers
    viz.py               a layer's filters and feature maps drawn as images (imports matplotlib when used)
"""

# tensor.py first: the autograd engine and the ops it imports at its end all build on Tensor.
from tinyconv.tensor import Tensor  # isort: skip
from tinyconv.autograd import is_grad_enabled, no_grad
from tinyconv.creation import ones, randn, tensor, zeros
from tinyconv.gradcheck import GradcheckError, gradcheck  # the function shadows its module's name
from tinyconv.models.summary import summary
from tinyconv.ops.join import cat, split, stack
from tinyconv.random import manual_seed
from tinyconv.serialization import load, save

# Cheap to import: viz imports matplotlib only when it draws a figure.
from tinyconv import viz  # isort: skip

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "randn",
    "manual_seed",
    "no_grad",
    "is_grad_enabled",
    "save",
    "load",
    "gradcheck",
    "GradcheckError",
    "cat",
    "stack",
    "split",
    "summary",
    "viz",
]
