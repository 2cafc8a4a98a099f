"""Convolutionalization: a classifier's fully connected layers rewritten as convolutions, so that the
same network, with the same weights, slides over an image of any size and gives a map of class
scores, one heat-map per class.

Long, Shelhamer, Darrell, "Fully convolutional networks for semantic segmentation", CVPR 2015,
Section 3.1; Sermanet et al., "OverFeat", ICLR 2014, Section 3.5.

Why it is exact. Say the convolutional features of a classifier end with a C x h x w map, which is
flattened and fed to a Linear layer with weight W (out, C*h*w). Flattening lists the map channel by
channel, row by row, so W reshaped to (out, C, h, w) holds, for output unit o, one h x w kernel per
channel, and

    Linear:       y[o] = b[o] + sum over c, i, j of W[o, c, i, j] * map[c, i, j]

is exactly a convolution with that kernel, evaluated where the kernel covers the whole map. On a
larger input the map is larger, and the convolution is evaluated at every position where it fits:
each output pixel is the Linear layer applied to one h x w window of the map. The Linear layers
after it take a vector of `in` numbers at each such position: they become 1x1 convolutions, weight
(out, in, 1, 1). Activations and dropout work number by number, on a vector as on a map.

What the result computes. One output pixel depends on a window of the input, its *receptive field*
(see `receptive_field`): a window as large as the classifier's input (plus the context that padding
layers read, see below), placed at a multiple of the network's total stride. So on a canvas the
network gives, in one pass that shares all the convolutions of overlapping windows, the classifier's
logits for every window at that stride: an (N, classes, rows, columns) map. On an input of exactly
`input_size` there is one window, and the map is (N, classes, 1, 1): the classifier's logits.

Padding. A layer that pads reads zeros around a lone image, but on a canvas it reads the neighbouring
pixels instead, except at the canvas's own border. So an output pixel equals the classifier applied
to its window cut out of the canvas only when no layer pads; with LeNet-5 (its first convolution
pads by 2) it is the classifier applied to the window *in its context*: the 28x28 window plus the
2-pixel ring around it, 32x32 in all, which is what the receptive field says.

The rules, layer by layer (anything else is refused with a message, before any work):
  - Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, LocalResponseNorm, activations, Dropout, Dropout2d,
    Identity before the first Linear: copied as they are (they already slide over any size).
  - Flatten: left out; the convolution that replaces the next Linear reads the map unflattened.
  - AdaptiveAvgPool2d just before the classifier (VGG's, pooling to 7x7): at `input_size` its input
    has a fixed size h x w, so it is a fixed linear map, each output pixel the mean of a fixed window
    (averaging matrices A_h (oh, h) and A_w (ow, w): pooled = A_h @ map @ A_w^T). A Linear after a
    linear map is still linear in the map, so the pooling is folded into the first convolution:
    kernel K[o, c] = A_h^T @ W[o, c] @ A_w, of size h x w. That keeps the sliding-window equivalence
    exact: every window of the canvas is pooled exactly as the lone input was. (Left in place, the
    adaptive pooling would squeeze any canvas to 7x7 and there would be no sliding window at all;
    replaced by a fixed AvgPool2d it would only work when h is a multiple of oh.)
  - The first Linear: a convolution with the kernel of the map entering it (h x w), the others 1x1.
  - Dropout and activations between and after the Linear layers: copied.
The weights are copies: the original model is left as it was. The result keeps the original's
training or eval mode, and its state-dict keys where it can (`features.0.weight` is the same array,
`classifier.0.weight` the first Linear's, now shaped as a convolution's).

Which models: an nn.Sequential (a Flatten before its first Linear), or a model with the children
`features`, optionally `avgpool`, and `classifier`, computed as classifier(flatten(avgpool(features(x))))
(torchvision's VGG and AlexNet, and LeNet5 here).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from tinyconv.backend import get_array_module
from tinyconv.checks import pair
from tinyconv.functional.pooling import adaptive_output_size, averaging_matrix, pooling_window
from tinyconv.nn import (
    ELU,
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Dropout2d,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LocalResponseNorm,
    MaxPool2d,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
)

# Layers that work number by number (or, for the normalizations, pixel by pixel across channels):
# they keep the map's size and work on any size.
ELEMENTWISE = (ReLU, LeakyReLU, Sigmoid, Tanh, ELU, GELU, Softplus, Dropout, Identity)
PIXELWISE = ELEMENTWISE + (Dropout2d, BatchNorm2d, LocalResponseNorm)
SLIDING = (Conv2d, MaxPool2d, AvgPool2d)


class FullyConvolutional(Module):
    """What `convolutionalize` returns: `features` (the model's convolutional layers, copied) followed
    by `classifier` (its fully connected layers as convolutions). Input (N, C, H, W) of at least the
    classifier's input size; output (N, classes, rows, columns) of class scores."""

    def __init__(self, features: Sequential, classifier: Sequential):
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, x):
        return self.classifier(self.features(x))


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels one output pixel depends on, as (rows, columns) pairs: output pixel i of an
    axis sees the input pixels start + i * stride, ..., start + i * stride + size - 1 of that axis.
    A negative start means the window reaches into the padding."""

    size: tuple
    stride: tuple
    start: tuple


def window_of(layer: Module) -> tuple:
    """(kernel, stride, padding, dilation) of a layer that slides a window, each a (rows, columns) pair;
    a 1x1 window of stride 1 for a pixel-wise layer."""
    if isinstance(layer, Conv2d):
        return layer.kernel_size, layer.stride, layer.padding, layer.dilation
    if isinstance(layer, (MaxPool2d, AvgPool2d)):
        kernel, stride, padding = pooling_window(
            type(layer).__name__, layer.kernel_size, layer.stride, layer.padding
        )
        return kernel, stride, padding, (1, 1)
    return (1, 1), (1, 1), (0, 0), (1, 1)


def output_side(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """The output size along one axis: floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def receptive_field(model: Module) -> ReceptiveField:
    """The receptive field of one output pixel of a network of sliding and pixel-wise layers (what
    `convolutionalize` returns, or an nn.Sequential of such layers).

    Layer by layer, with `jump` the distance in input pixels between neighbouring pixels of the current
    map (the product of the strides so far):
        size  += dilation * (kernel - 1) * jump    the window reaches (kernel - 1) more map pixels
        start -= padding * jump                    padding shifts the first window up and left
        jump  *= stride
    starting from size 1, start 0, jump 1 at the input. The final jump is the output's stride.
    Example (LeNet-5 convolutionalized): conv 5x5 pad 2 -> size 5, start -2; pool 2 -> 6, jump 2;
    conv 5x5 -> 6 + 4 * 2 = 14; pool 2 -> 16, jump 4; the 5x5 convolution that was F5 -> 16 + 4 * 4
    = 32; the 1x1 ones add nothing: 32x32 pixels at stride 4, starting 2 pixels above and left.
    """
    sizes, jumps, starts = [1, 1], [1, 1], [0, 0]
    for name, layer in layer_sequence(model, "receptive_field"):
        if not isinstance(layer, SLIDING + PIXELWISE):
            raise ValueError(
                f"receptive_field: {name} ({type(layer).__name__}) is not a sliding or pixel-wise layer; "
                "convolutionalize the model first"
            )
        kernel, stride, padding, dilation = window_of(layer)
        for axis in (0, 1):
            sizes[axis] += dilation[axis] * (kernel[axis] - 1) * jumps[axis]
            starts[axis] -= padding[axis] * jumps[axis]
            jumps[axis] *= stride[axis]
    return ReceptiveField(size=tuple(sizes), stride=tuple(jumps), start=tuple(starts))


def layer_sequence(model: Module, op: str) -> list:
    """(name, layer) for every layer of `model`, in the order it applies them: a Sequential's own layers,
    or features', then avgpool (if any), then classifier's for a model with those children; a Sequential
    inside is opened up in place. Names are the state-dict prefixes ('features.0', 'avgpool',
    'classifier.3', 'features.2.0' for a layer of a nested Sequential)."""
    if isinstance(model, Sequential):
        return in_order("", model)
    children = dict(model.named_children())
    if set(children) not in ({"features", "classifier"}, {"features", "avgpool", "classifier"}):
        raise ValueError(
            f"{op}: {type(model).__name__} is neither an nn.Sequential nor a model made of "
            f"`features`, optional `avgpool` and `classifier` (its children are {sorted(children)}); "
            "write its layers as one nn.Sequential, with a Flatten before the first Linear"
        )
    layers = []
    for part in ("features", "avgpool", "classifier"):
        if part in children:
            layers += in_order(part, children[part])
    return layers


def in_order(name: str, layer: Module) -> list:
    """[(name, layer)] for a layer; for a Sequential, its layers in order, nested ones opened up too."""
    if not isinstance(layer, Sequential):
        return [(name, layer)]
    layers = []
    for index, inner in enumerate(layer):
        layers += in_order(f"{name}.{index}" if name else str(index), inner)
    return layers


@dataclass
class Plan:
    """What convolutionalize found while checking the model, before it copies anything."""

    features: list  # (name, layer) copied as they are: the part that slides
    classifier: list  # (name, layer) from the first layer after the features: Dropout, Linear, ReLU...
    channels: int  # C of the C x h x w map that enters the first Linear (after the pooling, if any)
    map_size: tuple  # (h, w) of the map the first convolution's kernel covers (before the pooling)
    pooling: AdaptiveAvgPool2d | None  # the adaptive pooling folded into that convolution, if any
    pooled_size: tuple  # (oh, ow): the map's size after the pooling (map_size when there is none)


def plan(model: Module, input_size: tuple) -> Plan:
    """Follow the map's shape from an input of `input_size` (H, W) to the first Linear and check every
    layer against the rules of the module docstring; raise a ValueError naming the layer otherwise."""
    layers = layer_sequence(model, "convolutionalize")
    name_of = type(model).__name__
    first_linear = next((k for k, (_, layer) in enumerate(layers) if isinstance(layer, Linear)), None)
    if first_linear is None:
        raise ValueError(
            f"convolutionalize: {name_of} has no Linear layer, so there is nothing to turn into a "
            "convolution (a network without one already slides over any input size)"
        )
    size, channels = list(input_size), None
    features, classifier, pooling, map_size, flattened = [], [], None, None, False
    for name, layer in layers[:first_linear]:
        # Once the map has been pooled to a fixed size or flattened (or the classifier section begins),
        # only number-by-number layers may come before the first Linear.
        in_bridge = flattened or pooling is not None or name.startswith("classifier")
        if isinstance(layer, Flatten):
            if layer.start_dim != 1 or layer.end_dim != -1:
                raise ValueError(
                    f"convolutionalize: {name} flattens axes {layer.start_dim} to {layer.end_dim}; only a "
                    "Flatten of everything but the batch (start_dim=1, end_dim=-1) can be left out"
                )
            flattened = True
        elif isinstance(layer, AdaptiveAvgPool2d) and not in_bridge:
            pooling, map_size = layer, tuple(size)
            wanted = adaptive_output_size("AdaptiveAvgPool2d", layer.output_size)
            size = [size[axis] if wanted[axis] is None else wanted[axis] for axis in (0, 1)]
        elif isinstance(layer, ELEMENTWISE) and in_bridge:
            classifier.append((name, layer))
        elif isinstance(layer, SLIDING + PIXELWISE) and not in_bridge:
            kernel, stride, padding, dilation = window_of(layer)
            before = tuple(size)
            size = [output_side(size[a], kernel[a], stride[a], padding[a], dilation[a]) for a in (0, 1)]
            if min(size) < 1:
                raise ValueError(
                    f"convolutionalize: input_size {input_size[0]}x{input_size[1]} is too small for "
                    f"{name_of}: {name} ({type(layer).__name__}) gets a {before[0]}x{before[1]} map and "
                    "would leave nothing"
                )
            if isinstance(layer, Conv2d):
                channels = layer.out_channels
            features.append((name, layer))
        else:
            where = (
                "after the map was flattened or pooled to a fixed size" if in_bridge else "in the features"
            )
            raise ValueError(
                f"convolutionalize: {name} ({type(layer).__name__}) {where} is not supported: before the "
                "first Linear only Conv2d, pooling, normalization, activations, Dropout, Flatten and one "
                "AdaptiveAvgPool2d just before the classifier can be kept or folded"
            )
    if isinstance(model, Sequential) and not flattened:
        raise ValueError(
            f"convolutionalize: no Flatten before {layers[first_linear][0]} (Linear): in an nn.Sequential "
            "the first Linear must read the flattened map (a Linear on a map acts on its last axis only)"
        )
    for name, layer in layers[first_linear:]:
        if not isinstance(layer, (Linear,) + ELEMENTWISE):
            raise ValueError(
                f"convolutionalize: {name} ({type(layer).__name__}) comes after the first Linear, where only "
                "Linear layers, activations and Dropout can be turned into layers that work on a map"
            )
        classifier.append((name, layer))
    map_size = tuple(size) if map_size is None else map_size
    check_first_linear(layers[first_linear], channels, tuple(size), input_size, name_of)
    in_features = layers[first_linear][1].in_features
    channels = in_features // (size[0] * size[1]) if channels is None else channels
    return Plan(features, classifier, channels, map_size, pooling, tuple(size))


def check_first_linear(named_linear: tuple, channels, size: tuple, input_size: tuple, name_of: str) -> None:
    """The first Linear must take exactly the C x h x w numbers of the map that reaches it."""
    name, linear = named_linear
    values = size[0] * size[1]
    if channels is None:  # no convolution before it: the channels are what the Linear's width implies
        if linear.in_features % values == 0:
            return
        arriving = f"a map of {size[0]}x{size[1]} pixels"
    elif channels * values == linear.in_features:
        return
    else:
        arriving = f"a {channels}x{size[0]}x{size[1]} map ({channels * values} numbers)"
    raise ValueError(
        f"convolutionalize: input_size {input_size[0]}x{input_size[1]} does not fit {name_of}: its features "
        f"give {arriving}, but {name} (Linear) takes {linear.in_features} inputs. input_size must be the "
        "size the classifier was built for"
    )


def convolutionalize(model: Module, input_size) -> FullyConvolutional:
    """A copy of `model` whose Linear layers are convolutions: same weights, same logits on inputs of
    `input_size` (as an (N, classes, 1, 1) map), a map of logits per window on larger inputs.

    model:       an nn.Sequential, or a model with children features, [avgpool], classifier (see the
                 module docstring for what each kind of layer becomes)
    input_size:  the (H, W) (or one int for a square) of the images the classifier was built for,
                 e.g. 28 for LeNet5, 224 for VGG, 227 for AlexNet
    Raises ValueError, before copying anything, for a model without a Linear layer, a layer that
    cannot work on a map, or an input_size whose feature map does not match the first Linear.
    """
    height, width = pair(input_size, "convolutionalize: input_size")
    if min(height, width) < 1:
        raise ValueError(f"convolutionalize: input_size must be positive, got {input_size!r}")
    found = plan(model, (height, width))
    features = Sequential(*(copy.deepcopy(layer) for _, layer in found.features))
    classifier = []
    first = True
    for _, layer in found.classifier:
        if isinstance(layer, Linear) and first:
            classifier.append(first_convolution(layer, found))
            first = False
        elif isinstance(layer, Linear):
            classifier.append(one_by_one_convolution(layer))
        else:
            classifier.append(copy.deepcopy(layer))
    return FullyConvolutional(features, Sequential(*classifier)).train(model.training)


def first_convolution(linear: Linear, found: Plan) -> Conv2d:
    """The Linear that reads the flattened C x oh x ow map, as a convolution with an h x w kernel.

    W (out, C*oh*ow) is reshaped to (out, C, oh, ow): flattening listed the map channel by channel, row
    by row, in that order. With an adaptive pooling before it, the kernel is A_h^T @ W[o, c] @ A_w
    (h x w): the pooling's averages folded into the weights (see the module docstring).
    """
    out, (oh, ow), (h, w) = linear.out_features, found.pooled_size, found.map_size
    weight = linear.weight.data.reshape(out, found.channels, oh, ow)
    if found.pooling is not None:
        xp = get_array_module(weight)
        rows = averaging_matrix(h, oh, xp, weight.dtype)  # A_h (oh, h)
        columns = averaging_matrix(w, ow, xp, weight.dtype)  # A_w (ow, w)
        weight = rows.T @ weight @ columns  # (h, oh) @ (out, C, oh, ow) @ (ow, w) -> (out, C, h, w)
    return convolution_with(weight, linear.bias, linear.weight.requires_grad)


def one_by_one_convolution(linear: Linear) -> Conv2d:
    """A Linear (out, in) as a 1x1 convolution: weight (out, in, 1, 1), the same numbers."""
    weight = linear.weight.data.reshape(linear.out_features, linear.in_features, 1, 1)
    return convolution_with(weight, linear.bias, linear.weight.requires_grad)


def convolution_with(weight, bias, requires_grad: bool) -> Conv2d:
    """A Conv2d (stride 1, no padding) holding copies of `weight` (out, in, kH, kW) and of the Linear's
    bias (a Parameter or None), on their device and in their dtype."""
    out, channels, kernel_h, kernel_w = weight.shape
    conv = Conv2d(channels, out, (kernel_h, kernel_w), bias=bias is not None)
    conv.weight = Parameter(weight.copy(), requires_grad=requires_grad)
    if bias is not None:
        conv.bias = Parameter(bias.data.copy(), requires_grad=bias.requires_grad)
    return conv
