"""DenseNet: every layer sees the feature maps of all layers before it in its block (CVPR 2017).

Huang, Liu, van der Maaten, Weinberger, "Densely connected convolutional networks", CVPR 2017
(arXiv 1608.06993). The memory-efficient backward: Pleiss, Chen, Huang, Li, van der Maaten,
Weinberger, "Memory-efficient implementation of DenseNets", 2017 (arXiv 1707.06990).

The idea: ResNet adds a block's input to its output, x_l = H_l(x_{l-1}) + x_{l-1}. DenseNet
concatenates instead, along the channels, and not just the last map but all of them:

    x_l = H_l([x_0, x_1, ..., x_{l-1}])        [ ] = cat along the channel axis

Nothing is summed away: every layer reads the block's input and every earlier layer's output as they
are, and the gradient reaches each of them directly through the concatenation. Each H_l adds only
k new channels (the growth rate, k = 32 in DenseNet-121), so a layer is narrow; the block is wide.

The growth of channels, in DenseNet-121 (k = 32; 224x224 input):

    where                     channels in                         channels out       maps
    conv0 7x7/2, pool0 3x3/2  3                                   64                 56x56
    denseblock1, 6 layers     layer i reads 64 + 32(i - 1):       64 + 6 * 32 = 256  56x56
                              64, 96, 128, 160, 192, 224
    transition1               256, halved by a 1x1 conv           128                28x28
    denseblock2, 12 layers    128, 160, ..., 480                  128 + 12 * 32 = 512
    transition2                                                   256                14x14
    denseblock3, 24 layers    256, 288, ..., 992                  256 + 24 * 32 = 1024
    transition3                                                   512                7x7
    denseblock4, 16 layers    512, 544, ..., 992                  512 + 16 * 32 = 1024
    norm5, ReLU, global average pool, classifier 1024 -> 1000

A layer's input grows linearly with its depth in the block, so the weights of a convolution on it
grow linearly too and the block's total quadratically. Two 1x1 convolutions keep that in check
(DenseNet-BC, the "B" and the "C"):

    bottleneck   H_l = BN-ReLU-conv1x1 to bn_size * k = 128 channels, then BN-ReLU-conv3x3 to k:
                 the 3x3 convolution always reads 128 channels, however wide the input; only the
                 1x1 grows (C_in * 128 weights, against C_in * 9 * 32 = C_in * 288 for a 3x3 on it)
    compression  each transition is BN-ReLU-conv1x1 halving the channels, then 2x2 average pooling

docs/densenet.md counts both with tinyconv.summary, and concatenation against addition.

Parameters (tinyconv.summary; 1000 classes): DenseNet-121 7,978,856, DenseNet-169 14,149,480
(blocks 6, 12, 32, 32), DenseNet-201 20,013,928 (6, 12, 48, 32), DenseNet-161 28,681,000 (k = 48,
blocks 6, 12, 36, 24, 96 channels out of conv0): torchvision's counts. The input must be at least
2^(T+2) - 3 pixels high and wide for T transitions (29 for four blocks): the stem divides the maps
by 4 (rounding up), each transition halves them.

Module names, state_dict keys and initialization are torchvision's: features.conv0, features.norm0,
features.relu0, features.pool0, features.denseblock1.denselayer1.norm1 / relu1 / conv1 / norm2 /
relu2 / conv2, features.transition1.norm / relu / conv / pool, ..., features.norm5, classifier;
convolutions He normal (std sqrt(2 / fan_in)), batch norm weight 1 and bias 0, the classifier's
weight as PyTorch's default Linear (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and its bias 0. So a
torchvision DenseNet's state_dict loads here and gives the same logits.

Memory. Concatenation copies: layer l's input is a new array of C_0 + (l - 1)k channels, and plain
autograd keeps it, and the batch norm, ReLU and 1x1 convolution made of it, until backward. Over a
block of L layers that is a sum of L growing copies: memory quadratic in L. memory_efficient=True
computes layer l's bottleneck conv1(relu1(norm1(cat(...)))) with RecomputedBottleneck, which keeps
none of those maps and recomputes them in backward (Pleiss et al.): what the graph holds grows
linearly. Same outputs and gradients; one more concatenation, batch norm, ReLU and 1x1 convolution
per layer in backward. docs/densenet.md measures both.
"""

from __future__ import annotations

from collections import OrderedDict

from tinyconv import init
from tinyconv.autograd import Function
from tinyconv.checks import check_dropout_probability, check_int, check_ndim, check_tensor
from tinyconv.functional.activation import ReLU as ReLUFunction
from tinyconv.functional.activation import relu
from tinyconv.functional.conv import Conv2d as Conv2dFunction
from tinyconv.functional.dropout import dropout
from tinyconv.functional.flatten import flatten
from tinyconv.functional.normalization import (
    BatchNormInference,
    BatchNormTraining,
    update_running_statistics,
)
from tinyconv.functional.pooling import adaptive_avg_pool2d
from tinyconv.nn import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Linear,
    MaxPool2d,
    Module,
    ModuleDict,
    ReLU,
    Sequential,
)
from tinyconv.ops.join import Cat, cat
from tinyconv.tensor import Tensor

# ------------------------------------------------------------------------- the memory-efficient bottleneck


class RecomputedBottleneck(Function):
    """y = conv1x1(relu(batch_norm(cat(x_0, ..., x_{m-1})))), keeping none of the maps in between.

    Shapes: x_j (N, C_j, H, W); gamma, beta (C,) with C = sum of the C_j; weight (C_out, C, 1, 1);
    y (N, C_out, H, W). Forward, per channel c of the concatenation x, over the M = N*H*W values:

        x      = cat(x_0, ..., x_{m-1})               (N, C, H, W), a new array
        x_hat  = (x - mean_c) * invstd_c              the batch's mean and variance in training,
                                                      the running ones in evaluation
        z      = gamma_c * x_hat + beta_c
        a      = max(z, 0)
        y[n]   = W a[n]                               W = weight as a (C_out, C) matrix, a[n] as (C, H*W)

    Each of x, x_hat, z and a has C channels, and C grows with the layer's depth. Plain autograd keeps
    them all for backward; this Function keeps only references to its inputs, which exist anyway.
    Backward first runs the same forward again (the same numbers: the same arrays in, the same
    statistics), this time keeping what each step's backward needs, then the steps' backward rules in
    reverse order, with g = dL/dy:

        dL/dW       = sum over n of g[n] a[n]^T          dL/da = W^T g          (the 1x1 convolution)
        dL/dz       = dL/da where z > 0, else 0                                 (ReLU)
        dL/dgamma_c = sum of dL/dz * x_hat               dL/dbeta_c = sum of dL/dz
        dL/dx       = (invstd / M) (M g_hat - sum g_hat - x_hat sum(g_hat x_hat)),  g_hat = gamma dL/dz
                      in training (the terms through the batch mean and variance), and
                      g_hat * invstd in evaluation                              (batch norm)
        dL/dx_j     = the channels of dL/dx that x_j filled                      (cat)

    The steps are the Functions that compute them everywhere else (ops/join.py's Cat,
    functional/normalization.py's batch norms, functional/activation.py's ReLU, functional/conv.py's
    Conv2d, whose docstrings derive each rule), called on arrays: one implementation of each.

    The cost: the concatenation, batch norm, ReLU and 1x1 convolution run twice. The saving: none of
    x, x_hat, z, a (nor the 1x1 convolution's copy of a) stays alive between forward and backward.
    Pleiss et al. also write every layer's concatenation into one shared buffer; here NumPy frees the
    forward's arrays when forward returns and hands the memory to the next layer, which comes to the same.

    eps: batch norm's epsilon. running_mean, running_var: None in training (the batch's statistics are
    used, and kept in `batch_mean`, `batch_var` for the caller to update the running ones with), else
    arrays (C,) of the statistics to normalize with; copies, so that backward sees the same ones as
    forward even if the module's are updated in between.
    """

    def __init__(self, eps: float, running_mean=None, running_var=None):
        self.eps, self.running_mean, self.running_var = eps, running_mean, running_var

    def steps(self) -> tuple:
        """Fresh Functions for the four steps, told which gradients backward must compute."""
        if self.running_mean is None:
            norm = BatchNormTraining(self.eps)
        else:
            norm = BatchNormInference(self.running_mean, self.running_var, self.eps)
        conv = Conv2dFunction(stride=(1, 1), padding=(0, 0))
        *_, gamma_needed, beta_needed, weight_needed = self.needs_input_grad
        norm.needs_input_grad = (True, gamma_needed, beta_needed)
        conv.needs_input_grad = (True, weight_needed)
        return Cat(axis=1), norm, ReLUFunction(), conv

    def run(self, steps: tuple, features, gamma, beta, weight):
        """The four steps' forward in turn: x, z, a, y. Each step keeps on itself what its backward needs."""
        concatenate, norm, rectify, conv = steps
        x = concatenate.forward(*features)
        a = rectify.forward(norm.forward(x, gamma, beta))
        return conv.forward(a, weight)

    def forward(self, *arrays):
        *features, gamma, beta, weight = arrays
        self.features, self.gamma, self.beta, self.weight = features, gamma, beta, weight  # references
        steps = self.steps()
        y = self.run(steps, features, gamma, beta, weight)
        if self.running_mean is None:
            self.batch_mean, self.batch_var = steps[1].batch_mean, steps[1].batch_var
        return y  # the steps, and every map they saved (x_hat, the ReLU's mask, a as im2col), go here

    def backward(self, grad_out):
        steps = self.steps()
        self.run(steps, self.features, self.gamma, self.beta, self.weight)  # recompute, keeping the maps
        concatenate, norm, rectify, conv = steps
        grad_a, grad_weight = conv.backward(grad_out)
        grad_x, grad_gamma, grad_beta = norm.backward(rectify.backward(grad_a))
        return (*concatenate.backward(grad_x), grad_gamma, grad_beta, grad_weight)


def recomputed_bottleneck(features: list, norm: BatchNorm2d, weight: Tensor) -> Tensor:
    """conv2d(relu(norm(cat(features, axis=1))), weight) through RecomputedBottleneck.

    The same result as the three modules called in turn, and the same updates of `norm`'s running
    statistics and num_batches_tracked as BatchNorm2d.forward makes in training mode.
    """
    if not norm.training and norm.track_running_stats:
        statistics = (norm.running_mean.data.copy(), norm.running_var.data.copy())
        return RecomputedBottleneck(norm.eps, *statistics)(*features, norm.weight, norm.bias, weight)
    function = RecomputedBottleneck(norm.eps)
    y = function(*features, norm.weight, norm.bias, weight)
    if norm.training and norm.track_running_stats:
        count = y.shape[0] * y.shape[2] * y.shape[3]  # values per channel, M = N * H * W
        batches = int(norm.num_batches_tracked.data)
        momentum = norm.momentum if norm.momentum is not None else 1.0 / (batches + 1)
        update_running_statistics(
            norm.running_mean, norm.running_var, function.batch_mean, function.batch_var, count, momentum
        )
        norm.num_batches_tracked.data += 1
    return y


# ------------------------------------------------------------------------------------------ the layers


class DenseLayer(Module):
    """H_l: BN-ReLU-conv1x1 to bn_size * growth_rate channels, BN-ReLU-conv3x3 to growth_rate.

    Input: the list of the block's maps so far, [x_0, ..., x_{l-1}], each (N, C_j, H, W) with the
    C_j adding up to num_input_features (or one tensor, x_0 alone). Output: the layer's own new maps,
    (N, growth_rate, H, W); the block appends them to the list. Dropout of drop_rate on the output in
    training, as torchvision. memory_efficient: the first half through RecomputedBottleneck.
    """

    def __init__(
        self,
        num_input_features: int,
        growth_rate: int,
        bn_size: int,
        drop_rate: float,
        memory_efficient: bool = False,
    ):
        super().__init__()
        bottleneck = bn_size * growth_rate
        self.norm1 = BatchNorm2d(num_input_features)
        self.relu1 = ReLU()
        self.conv1 = Conv2d(num_input_features, bottleneck, 1, bias=False)
        self.norm2 = BatchNorm2d(bottleneck)
        self.relu2 = ReLU()
        self.conv2 = Conv2d(bottleneck, growth_rate, 3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bottleneck(self, features: list) -> Tensor:
        """conv1(relu1(norm1(cat(features)))): (N, bn_size * growth_rate, H, W)."""
        if self.memory_efficient:
            return recomputed_bottleneck(features, self.norm1, self.conv1.weight)
        return self.conv1(self.relu1(self.norm1(cat(features, axis=1))))

    def forward(self, features):
        features = [features] if isinstance(features, Tensor) else list(features)
        for x in features:
            check_tensor(x, "DenseLayer")
            check_ndim(x, 4, "DenseLayer", "(N, C, H, W)")
        channels = [x.shape[1] for x in features]
        if sum(channels) != self.norm1.num_features:
            raise ValueError(
                f"DenseLayer: the maps given have {' + '.join(map(str, channels))} = {sum(channels)} "
                f"channels in all, but the layer was built for num_input_features={self.norm1.num_features}"
            )
        new_features = self.conv2(self.relu2(self.norm2(self.bottleneck(features))))
        if self.drop_rate > 0:
            new_features = dropout(new_features, self.drop_rate, training=self.training)
        return new_features


class DenseBlock(ModuleDict):
    """num_layers DenseLayers (denselayer1, denselayer2, ...), each fed all the maps before it.

    Input (N, C_0, H, W) -> output (N, C_0 + num_layers * growth_rate, H, W): the input and every
    layer's growth_rate new channels, concatenated in that order. Layer i (from 1) reads
    C_0 + (i - 1) * growth_rate channels.
    """

    def __init__(
        self,
        num_layers: int,
        num_input_features: int,
        bn_size: int,
        growth_rate: int,
        drop_rate: float,
        memory_efficient: bool = False,
    ):
        super().__init__()
        for i in range(num_layers):
            layer = DenseLayer(
                num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate, memory_efficient
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, axis=1)


class Transition(Sequential):
    """Between two blocks: BN, ReLU, 1x1 conv to num_output_features (half the channels in
    DenseNet-BC), 2x2 average pooling of stride 2. (N, C, H, W) -> (N, C_out, H // 2, W // 2)."""

    def __init__(self, num_input_features: int, num_output_features: int):
        super().__init__(
            OrderedDict(
                norm=BatchNorm2d(num_input_features),
                relu=ReLU(),
                conv=Conv2d(num_input_features, num_output_features, 1, bias=False),
                pool=AvgPool2d(2, stride=2),
            )
        )


# ------------------------------------------------------------------------------------------ the network


class DenseNet(Module):
    """DenseNet-BC as torchvision's: a stem, len(block_config) dense blocks with transitions between
    them, a final batch norm, and a linear classifier on the globally average-pooled maps.

    growth_rate:       k, the channels each layer adds (32)
    block_config:      the number of layers of each block ((6, 12, 24, 16): DenseNet-121)
    num_init_features: the channels conv0 makes (64)
    bn_size:           the bottleneck's width in multiples of k (4: the 1x1 makes 4k channels)
    drop_rate:         dropout after each layer, in training (0)
    num_classes:       the logits (1000)
    memory_efficient:  recompute each layer's bottleneck in backward (linear memory; see the top)
    in_channels:       the input's channels (3; 1 for MNIST). Not in torchvision, whose conv0 takes 3.

    Input (N, in_channels, H, W) with H, W >= 2^(T+2) - 3 for T = len(block_config) - 1 transitions;
    output (N, num_classes) logits.
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: tuple = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0,
        num_classes: int = 1000,
        memory_efficient: bool = False,
        in_channels: int = 3,
    ):
        super().__init__()
        growth_rate = check_int("DenseNet", "growth_rate", growth_rate, minimum=1)
        if isinstance(block_config, (str, bytes)) or not hasattr(block_config, "__len__") or not block_config:
            raise ValueError(
                "DenseNet: block_config must give the number of layers of each block, such as "
                f"(6, 12, 24, 16), got {block_config!r}"
            )
        block_config = tuple(check_int("DenseNet", "layers per block", n, minimum=1) for n in block_config)
        num_init_features = check_int("DenseNet", "num_init_features", num_init_features, minimum=1)
        bn_size = check_int("DenseNet", "bn_size", bn_size, minimum=1)
        drop_rate = check_dropout_probability("DenseNet", drop_rate, name="drop_rate")
        check_int("DenseNet", "num_classes", num_classes, minimum=1)
        in_channels = check_int("DenseNet", "in_channels", in_channels, minimum=1)
        if not isinstance(memory_efficient, bool):
            raise TypeError(f"DenseNet: memory_efficient must be True or False, got {memory_efficient!r}")
        self.transitions = len(block_config) - 1
        self.min_size = 2 ** (self.transitions + 2) - 3  # see the module docstring

        self.features = Sequential(
            OrderedDict(
                conv0=Conv2d(in_channels, num_init_features, 7, stride=2, padding=3, bias=False),
                norm0=BatchNorm2d(num_init_features),
                relu0=ReLU(),
                pool0=MaxPool2d(3, stride=2, padding=1),
            )
        )
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, channels, bn_size, growth_rate, drop_rate, memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", Transition(channels, channels // 2))
                channels //= 2
        self.features.add_module("norm5", BatchNorm2d(channels))
        self.classifier = Linear(channels, num_classes)

        # torchvision's initialization (BatchNorm2d already starts at weight 1, bias 0).
        for module in self.modules():
            if isinstance(module, Conv2d):
                init.kaiming_normal_(module.weight)
            elif isinstance(module, Linear):
                init.linear_default_(module.weight)
                init.zeros_(module.bias)

    def forward(self, x):
        check_tensor(x, "DenseNet")
        check_ndim(x, 4, "DenseNet", "(N, C, H, W)")
        if min(x.shape[2:]) < self.min_size:
            raise ValueError(
                f"DenseNet: an input of {x.shape[2]}x{x.shape[3]} is too small: the stem divides the maps by "
                f"4 and each of the {self.transitions} transitions halves them, which needs "
                f"at least {self.min_size}x{self.min_size}"
            )
        out = relu(self.features(x))
        return self.classifier(flatten(adaptive_avg_pool2d(out, (1, 1)), start_dim=1))


def densenet121(**kwargs) -> DenseNet:
    """DenseNet-121: k = 32, blocks 6, 12, 24, 16, 64 initial channels (7,978,856 parameters)."""
    return DenseNet(32, (6, 12, 24, 16), 64, **kwargs)


def densenet161(**kwargs) -> DenseNet:
    """DenseNet-161: k = 48, blocks 6, 12, 36, 24, 96 initial channels (28,681,000 parameters)."""
    return DenseNet(48, (6, 12, 36, 24), 96, **kwargs)


def densenet169(**kwargs) -> DenseNet:
    """DenseNet-169: k = 32, blocks 6, 12, 32, 32, 64 initial channels (14,149,480 parameters)."""
    return DenseNet(32, (6, 12, 32, 32), 64, **kwargs)


def densenet201(**kwargs) -> DenseNet:
    """DenseNet-201: k = 32, blocks 6, 12, 48, 32, 64 initial channels (20,013,928 parameters)."""
    return DenseNet(32, (6, 12, 48, 32), 64, **kwargs)
