"""Count, with real tinyconv modules, the three design claims every CNN course makes.

    python demos/param_counts.py                 # C = 64 channels for part 1, VGG-16 at 224x224
    python demos/param_counts.py --channels 128  # the ratios of part 1 do not depend on C

1. VGG: stacked 3x3 convolutions. Two 3x3 layers see a 5x5 patch of the input, three see 7x7, and
   with C channels in and out they hold 2 * 9C^2 = 18C^2 and 27C^2 weights, against 25C^2 for one
   5x5 layer and 49C^2 for one 7x7. The weights are counted on nn.Conv2d stacks (bias=False: the
   weights alone, as in the formula); the receptive field is computed twice: from the layer
   arithmetic (each layer widens it by dilation * (k - 1) input steps, an input step being the
   product of the strides before it), and measured, as the patch of input pixels that get a
   non-zero gradient from the centre pixel of the last layer's output.
2. GoogLeNet: a 1x1 bottleneck. In inception (3a) (28x28 maps of 192 channels), the 5x5 branch first
   reduces 192 channels to 16 with a 1x1 convolution, then runs the 5x5 convolution to 32 channels.
   Against a 5x5 convolution straight from 192 channels to 32, parameters and multiply-adds shrink by
   the factor printed. The branch is tinyconv.models.Inception's own `branch3`; multiply-adds are
   counted from each convolution's output shape (as tinyconv.summary records it): a convolution does
   C_in / groups * kH * kW multiply-adds per output value, N * C_out * OH * OW values. The same
   count for the whole module, against the paper's "naive" Inception (its Fig. 2a: no 1x1
   reductions, the pooled input passed on whole).
3. VGG-16 (tinyconv.models.vgg16, 224x224, 1000 classes): the parameters summed by layer type. The
   three fully connected layers hold most of them, the convolutions do most of the multiply-adds.

Measured with the defaults on a 2-core machine (8 s, most of it spent initializing VGG-16's 138
million weights; 1.7 GiB of memory at the peak):
  1. 18.0 C^2 vs 25.0 C^2 weights (a 1.39x saving) for 5x5, 27.0 C^2 vs 49.0 C^2 (1.81x) for 7x7;
     both fields 5x5 and 7x7 by arithmetic and by gradient.
  2. the 5x5 branch: 153,632 parameters and 120.4 M multiply-adds straight, 15,920 and 12.4 M with
     the bottleneck: 9.65x fewer parameters, 9.68x fewer multiply-adds. The module: 387,296
     parameters and 303.5 M multiply-adds naive, 163,696 and 128.0 M as in GoogLeNet (2.37x fewer).
  3. VGG-16: fully connected layers 123,642,856 parameters (89.4%), convolutions 14,714,688 (10.6%);
     the convolutions do 15.35 G of the 15.47 G multiply-adds (99.2%).
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from common import add_seed_flag, count_parameters  # demos/common.py, beside this file

import tinyconv
from tinyconv import nn
from tinyconv.functional import relu
from tinyconv.models import Inception, vgg16
from tinyconv.ops.join import cat

INCEPTION_3A = dict(in_channels=192, ch1x1=64, ch3x3red=96, ch3x3=128, ch5x5red=16, ch5x5=32, pool_proj=32)
INCEPTION_3A_SIZE = 28  # inception (3a) sees 28x28 maps


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Count parameters and multiply-adds of CNN building blocks.")
    parser.add_argument("--channels", type=int, default=64, help="C, the channels of part 1's stacks")
    parser.add_argument("--vgg-input", type=int, default=224, help="VGG-16's input side for multiply-adds")
    add_seed_flag(parser)
    args = parser.parse_args(argv)
    if args.channels < 1:
        parser.error(f"--channels must be at least 1, got {args.channels}")
    if args.vgg_input < 32:
        parser.error(f"--vgg-input must be at least 32 (five 2x2 poolings), got {args.vgg_input}")
    return args


# ----------------------------------------------------------------------------- counting


def receptive_field(layers) -> int:
    """The side of the input patch one output pixel of `layers` (Conv2d and pooling) depends on.

    field = 1 + sum over layers of dilation * (kernel - 1) * jump, where jump (the distance, in input
    pixels, between neighbouring positions of that layer's input) is the product of earlier strides.
    """
    field, jump = 1, 1
    for layer in layers:
        kernel, stride = layer.kernel_size, layer.stride
        kernel = kernel[0] if isinstance(kernel, tuple) else kernel
        stride = stride[0] if isinstance(stride, tuple) else stride
        dilation = getattr(layer, "dilation", (1, 1))[0]
        field += dilation * (kernel - 1) * jump
        jump *= stride
    return field


def measured_receptive_field(stack: nn.Module, channels: int, size: int) -> tuple:
    """(height, width) of the patch of input pixels whose gradient from the centre output pixel is not 0."""
    x = tinyconv.randn(1, channels, size, size, requires_grad=True)
    y = stack(x)
    centre = y[:, :, y.shape[2] // 2, y.shape[3] // 2].sum()
    centre.backward()
    reached = np.abs(x.grad).sum(axis=(0, 1)) > 0  # (size, size): pixels the centre output depends on
    rows, columns = np.nonzero(reached)
    return int(np.ptp(rows)) + 1, int(np.ptp(columns)) + 1


def multiply_adds(model: nn.Module, input_shape: tuple) -> dict:
    """Multiply-adds of each Conv2d and Linear of `model` for one input, from the output shapes.

    tinyconv.summary runs the model once and records each layer's output shape; a Conv2d computes
    N * C_out * OH * OW values of C_in / groups * kH * kW multiply-adds each, a Linear N * out values
    of `in` each. Returns {layer name: (type, multiply-adds)}.
    """
    rows = tinyconv.summary(model, input_shape, file=io.StringIO())  # the table itself is not needed
    modules = {name or "(model)": module for name, module in model.named_modules()}  # summary's names
    counts = {}
    for row in rows:
        layer = modules.get(row.name)
        if isinstance(layer, nn.Conv2d):
            k_h, k_w = layer.kernel_size
            per_value = layer.in_channels // layer.groups * k_h * k_w
        elif isinstance(layer, nn.Linear):
            per_value = layer.weight.shape[1]
        else:
            continue
        counts[row.name] = (row.type, int(np.prod(row.output_shape)) * per_value)
    return counts


# ----------------------------------------------------------------------------- 1. stacked 3x3


def conv_stack(channels: int, kernel: int, depth: int) -> nn.Sequential:
    """`depth` convolutions C -> C with `kernel` x `kernel` filters, padding that keeps the size."""
    return nn.Sequential(
        *[nn.Conv2d(channels, channels, kernel, padding=kernel // 2, bias=False) for _ in range(depth)]
    )


def stacked_convolutions(channels: int) -> list:
    print(f"1. Stacked 3x3 convolutions against one large one (C = {channels} channels in and out)\n")
    print(f"{'stack':<16}{'field (arithmetic)':>20}{'field (gradient)':>18}{'weights':>13}{'/ C^2':>8}")
    results = []
    for kernel, depth in ((3, 2), (5, 1), (3, 3), (7, 1)):
        stack = conv_stack(channels, kernel, depth)
        field = receptive_field(list(stack))
        # On 2 channels: the field depends on the wiring, not on the width.
        height, width = measured_receptive_field(conv_stack(2, kernel, depth), 2, 2 * field + 1)
        weights = count_parameters(stack)
        per_c2 = weights / channels**2
        name = f"{depth} x conv {kernel}x{kernel}"
        print(f"{name:<16}{f'{field}x{field}':>20}{f'{height}x{width}':>18}{weights:>13,}{per_c2:>8.1f}")
        results.append(dict(kernel=kernel, depth=depth, field=field, measured=(height, width), per_c2=per_c2))
    for small, large in ((results[0], results[1]), (results[2], results[3])):
        print(
            f"{small['depth']} x 3x3 vs 1 x {large['kernel']}x{large['kernel']}: the same "
            f"{small['field']}x{small['field']} field with {small['per_c2']:.0f}C^2 instead of "
            f"{large['per_c2']:.0f}C^2 weights, {large['per_c2'] / small['per_c2']:.2f}x fewer"
        )
    return results


# ----------------------------------------------------------------------------- 2. 1x1 bottleneck


class NaiveInception(nn.Module):
    """The paper's Fig. 2a: 1x1, 3x3 and 5x5 convolutions straight on the input, and its 3x3 max pool
    passed on whole (no 1x1 reductions, no pool projection); outputs joined along the channels."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int):
        super().__init__()
        self.branch1 = nn.Conv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Conv2d(in_channels, ch3x3, 3, padding=1)
        self.branch3 = nn.Conv2d(in_channels, ch5x5, 5, padding=2)
        self.branch4 = nn.MaxPool2d(3, stride=1, padding=1)

    def forward(self, x):
        convolved = [relu(self.branch1(x)), relu(self.branch2(x)), relu(self.branch3(x))]
        return cat(convolved + [self.branch4(x)], axis=1)


def bottleneck(size: int = INCEPTION_3A_SIZE) -> dict:
    config = INCEPTION_3A
    shape = (config["in_channels"], size, size)
    print(f"\n2. A 1x1 bottleneck before a 5x5 convolution: GoogLeNet's inception (3a) at {size}x{size}\n")
    module = Inception(**config)
    naive = NaiveInception(config["in_channels"], config["ch1x1"], config["ch3x3"], config["ch5x5"])
    direct = nn.Conv2d(config["in_channels"], config["ch5x5"], 5, padding=2)
    candidates = {
        f"5x5 straight: {config['in_channels']} -> {config['ch5x5']}": direct,
        f"1x1 then 5x5: {config['in_channels']} -> {config['ch5x5red']} -> {config['ch5x5']}": module.branch3,
        "naive Inception module (Fig. 2a)": naive,
        "GoogLeNet's Inception module": module,
    }
    print(f"{'':<36}{'parameters':>12}{'multiply-adds':>16}{'output':>19}")
    rows = {}
    for label, candidate in candidates.items():
        params = count_parameters(candidate)
        macs = sum(count for _, count in multiply_adds(candidate, shape).values())
        with tinyconv.no_grad():
            out_shape = candidate(tinyconv.zeros(1, *shape)).shape
        rows[label] = (params, macs, out_shape[1])
        print(f"{label:<36}{params:>12,}{macs:>16,}{str(out_shape):>19}")
    (
        (direct_p, direct_m, _),
        (branch_p, branch_m, _),
        (naive_p, naive_m, naive_c),
        (module_p, module_m, module_c),
    ) = rows.values()
    factors = dict(
        branch_params=direct_p / branch_p,
        branch_macs=direct_m / branch_m,
        module_params=naive_p / module_p,
        module_macs=naive_m / module_m,
    )
    print(
        f"the bottleneck branch: {factors['branch_params']:.2f}x fewer parameters, "
        f"{factors['branch_macs']:.2f}x fewer multiply-adds\n"
        f"the module: {factors['module_params']:.2f}x fewer parameters, {factors['module_macs']:.2f}x "
        f"fewer multiply-adds, and {module_c} output channels instead of {naive_c} (the pool projection "
        "keeps the width down)"
    )
    return factors


# ----------------------------------------------------------------------------- 3. VGG-16


def vgg16_by_layer_type(input_size: int) -> dict:
    print(
        f"\n3. Where VGG-16's parameters and multiply-adds are "
        f"({input_size}x{input_size} input, 1000 classes)\n"
    )
    model = vgg16()
    params = {}
    for module in model.modules():
        own = sum(value.numel() for value in vars(module).values() if isinstance(value, nn.Parameter))
        if own:
            params[type(module).__name__] = params.get(type(module).__name__, 0) + own
    macs = {}
    for layer_type, count in multiply_adds(model, (3, input_size, input_size)).values():
        macs[layer_type] = macs.get(layer_type, 0) + count
    total_params, total_macs = sum(params.values()), sum(macs.values())
    print(f"{'layer type':<12}{'parameters':>14}{'share':>8}{'multiply-adds':>18}{'share':>8}")
    for layer_type in params:
        print(
            f"{layer_type:<12}{params[layer_type]:>14,}{params[layer_type] / total_params:>8.1%}"
            f"{macs[layer_type]:>18,}{macs[layer_type] / total_macs:>8.1%}"
        )
    print(f"{'total':<12}{total_params:>14,}{'':>8}{total_macs:>18,}")
    fc6 = model.classifier[0].weight.numel() + model.classifier[0].bias.numel()
    print(f"fc6 alone (25088 -> 4096): {fc6:,} parameters, {fc6 / total_params:.1%} of the network")
    return dict(params=params, macs=macs, fc6=fc6)


def main(argv=None) -> dict:
    args = parse_args(argv)
    tinyconv.manual_seed(args.seed)
    results = dict(stacks=stacked_convolutions(args.channels), bottleneck=bottleneck())
    results["vgg16"] = vgg16_by_layer_type(args.vgg_input)
    return results


if __name__ == "__main__":
    main()
