"""Weight initialization, the lecture's experiment: what each starting scale does to the activations
of a deep network, and why equal weights never learn different features.

    python demos/init_activations.py                  # both parts (defaults below)
    python demos/init_activations.py --layers 10      # a deeper stack
    python demos/init_activations.py --no-training    # part 1 only: no MNIST needed

Part 1, the histograms (cs231n lecture 6; Deep Learning from Scratch, section 6.2): 1,000 samples of
100 numbers drawn from N(0, 1) go through --layers layers of y = act(W x), 100 units each, no bias,
with W drawn by each of five rules (tinyconv.nn.init):

    zeros          W = 0                         every unit outputs act(0)
    N(0, 0.01^2)   normal_(W, std=0.01)          "small random numbers"
    N(0, 1)        normal_(W, std=1)
    Xavier         xavier_normal_(W)             std = sqrt(2 / (fan_in + fan_out)) = 0.1 here
    He             kaiming_normal_(W, nonlinearity='relu')   std = sqrt(2 / fan_in) = 0.141 here

A layer multiplies the variance of its input by fan_in * Var(W) (times what the nonlinearity keeps):
100 * 0.01^2 = 0.01, so each layer divides the standard deviation by 10 with N(0, 0.01^2) and the
activations collapse to 0 (and with them the weights' gradients, which are the inputs times the
upstream gradient); 100 * 1 = 100 multiplies it by 10, and tanh saturates at -1 and +1, where its
derivative is 0. Xavier keeps tanh's activations spread over the layers, and He, with the factor 2
for the half of its inputs that ReLU zeroes, keeps ReLU's. init_activations_tanh.png and
init_activations_relu.png are the lecture's grid of histograms (a row per rule, a column per layer);
the standard deviation of every layer's output is printed.

Part 2, symmetry (the notes: "모두 0으로 초기화 ... 모든 뉴런이 같은 일만 하게 되는 문제점"): a tanh MLP
784-100-...-100-10 with --layers hidden layers, trained by SGD (lr 0.1) for --steps steps on the first
--limit MNIST images, from W = 0, from W = 0.01 everywhere (nn.init.constant_), and from He's random W,
biases 0. If two hidden units of a layer have the same incoming and outgoing weights they compute the
same output, receive the same gradient and take the same step: they stay copies. Printed per hidden
layer: how far its weights moved, and how far apart its neurons' incoming weights are (the largest
|W[i, :] - W[0, :]|). From zeros nothing but the output bias ever moves (every hidden gradient is a
product with a zero weight); from a constant the weights move, but the 100 neurons of each layer move
together: they differ only by float32 rounding (about 1e-8, against steps of 1e-2), so the layer is
one neuron repeated 100 times. init_symmetry.png shows what eight neurons of the first layer learned
(W - W_initial, one 28x28 image per neuron): eight copies of one picture from a constant, eight
different pictures from He.

MEASURED (the default run, seed 0, 2026-12-07, 2-core x86 CPU under a load average of about 17 from
other jobs, OPENBLAS_NUM_THREADS=1, `/usr/bin/time`): 20 s wall, 5.5 s of CPU, 240 MiB peak memory.
The standard deviation of layers 1 to 5:
    tanh, N(0, 0.01^2)   0.099  0.010  0.0010  1.0e-4  1.0e-5     (divided by 10 at each layer)
    tanh, N(0, 1)        0.96 at every layer                      (saturated at -1 and +1)
    tanh, Xavier         0.63   0.49   0.41    0.36    0.32
    relu, N(0, 1)        5.9    41     287     2140    13800      (times sqrt(50) = 7.1 at each layer)
    relu, Xavier         0.58   0.41   0.28    0.20    0.15       (ReLU halves the variance: 1/sqrt(2))
    relu, He             0.82   0.79   0.79    0.73    0.70
After 100 steps on 2,000 images (5 hidden layers): from zeros, every hidden weight still exactly 0
and the loss at 2.297 (ln 10 = 2.303: nothing learned but the output bias); from 0.01 everywhere, the
weights moved by up to 0.015 (layer 1) and 3e-4 to 1e-3 (layers 2-5) while the neurons of each layer
differ by at most 6.5e-9 (float32 rounding): loss 1.994; from He, spreads of 0.31 to 0.97 and a loss
of 0.217.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    add_data_flags,
    add_limit_flag,
    add_out_flag,
    add_seed_flag,
    check_at_least_one,
    check_out_folder,
    open_dataset,
    remove_stale_temporaries,
    save_figure,
    stop_if_not_finite,
    take_first,
)
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

import tinyconv
import tinyconv.functional as F
from tinyconv import nn, optim
from tinyconv.data import DataLoader

HISTOGRAM_PLOTS = {"tanh": "init_activations_tanh.png", "relu": "init_activations_relu.png"}
SYMMETRY_PLOT = "init_symmetry.png"
UNITS = 100  # units per layer, and the width of the input
SAMPLES = 1000

# Each rule fills a weight tensor in place, as torch.nn.init does.
INITS = {
    "zeros": nn.init.zeros_,
    "N(0, 0.01\N{SUPERSCRIPT TWO})": lambda weight: nn.init.normal_(weight, std=0.01),
    "N(0, 1)": lambda weight: nn.init.normal_(weight, std=1.0),
    "Xavier": nn.init.xavier_normal_,
    "He": lambda weight: nn.init.kaiming_normal_(weight, nonlinearity="relu"),
}
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
# Part 2's starting points for the weights (biases start at 0 in all three).
SYMMETRY_INITS = {
    "zeros": nn.init.zeros_,
    "constant 0.01": lambda weight: nn.init.constant_(weight, 0.01),
    "He": lambda weight: nn.init.kaiming_normal_(weight, nonlinearity="relu"),
}


# ------------------------------------------------------------------------ part 1: histograms
def stack(activation: str, init: str, layers: int) -> nn.Sequential:
    """`layers` layers of act(W x), 100 units each, no bias, W filled by INITS[init]."""
    modules = []
    for _ in range(layers):
        linear = nn.Linear(UNITS, UNITS, bias=False)
        INITS[init](linear.weight)
        modules += [linear, ACTIVATIONS[activation]()]
    return nn.Sequential(*modules)


def layer_outputs(model: nn.Sequential, x: np.ndarray) -> list:
    """The output of every nonlinearity of `model` for inputs x (N, 100), as arrays, first layer first."""
    outputs, h = [], tinyconv.Tensor(x)
    with tinyconv.no_grad():
        for module in model:
            h = module(h)
            if not isinstance(module, nn.Linear):
                outputs.append(h.numpy())
    return outputs


def all_layer_outputs(layers: int, seed: int) -> dict:
    """{(activation, init): [each layer's output (1000, 100)]}, every stack fed the same N(0, 1) inputs."""
    x = np.random.default_rng(seed).standard_normal((SAMPLES, UNITS)).astype(np.float32)
    tinyconv.manual_seed(seed)
    return {
        (activation, init): layer_outputs(stack(activation, init, layers), x)
        for activation in ACTIVATIONS
        for init in INITS
    }


def std_table(outputs: dict) -> str:
    """The standard deviation of each layer's output, a row per (activation, init)."""
    layers = len(next(iter(outputs.values())))
    lines = [f"{'':22s}" + "".join(f"{f'layer {k}':>10s}" for k in range(1, layers + 1))]
    for (activation, init), values in outputs.items():
        lines.append(f"{activation + ', ' + init:22s}" + "".join(f"{v.std():10.3g}" for v in values))
    return "\n".join(lines)


def plot_histograms(outputs: dict, activation: str) -> Figure:
    """The lecture's grid for one activation: a row per init, a column per layer, each cell the
    histogram of that layer's 100,000 outputs.

    tanh: every cell on [-1, 1]. ReLU: on [0, the row's largest value], so that a row shows the scale
    growing or shrinking with depth; half of ReLU's outputs are exactly 0, so the first bar is cut at the
    height of the others and the share of zeros is written in the cell.
    """
    inits = [init for act, init in outputs if act == activation]
    layers = len(outputs[(activation, inits[0])])
    figure = Figure(figsize=(2.4 * layers + 1, 1.9 * len(inits) + 0.8), layout="constrained")
    grid = figure.subplots(len(inits), layers, squeeze=False)
    for row, init in enumerate(inits):
        values = outputs[(activation, init)]
        top = 1.0 if activation == "tanh" else max(float(v.max()) for v in values) or 1.0
        low = -1.0 if activation == "tanh" else 0.0
        for column, (axes, value) in enumerate(zip(grid[row], values)):
            counts, edges = np.histogram(value, bins=30, range=(low, top))
            shares = counts / value.size
            axes.stairs(shares, edges, fill=True, color="tab:blue")  # one patch, not 30 bars: fast to draw
            if activation == "relu":
                zeros = float((value == 0).mean())
                rest = shares[1:].max() if shares[1:].max() > 0 else shares[0]
                axes.set_ylim(0, 1.15 * rest)
                axes.text(0.97, 0.9, f"{zeros:.0%} are 0", transform=axes.transAxes, ha="right", fontsize=8)
            axes.set_title(f"layer {column + 1}: std {value.std():.2g}", fontsize=9)
            axes.xaxis.set_major_locator(MaxNLocator(4))
            axes.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))  # 1e4, not 100000120000
            axes.tick_params(labelsize=7)
            axes.set_yticks([])
            if column == 0:
                axes.set_ylabel(init, fontsize=10)
    figure.suptitle(
        f"{activation}: the outputs of {layers} layers of {UNITS} units, fed N(0, 1), "
        "a row per initialization (share of outputs per bin)"
    )
    return figure


# -------------------------------------------------------------------------- part 2: symmetry
def tanh_mlp(layers: int, init: str) -> nn.Sequential:
    """784-100-...-100-10 with `layers` hidden tanh layers, weights from SYMMETRY_INITS[init], biases 0."""
    sizes = [784] + [UNITS] * layers + [10]
    modules = [nn.Flatten()]
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        SYMMETRY_INITS[init](linear.weight)
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        if index < layers:
            modules.append(nn.Tanh())
    return nn.Sequential(*modules)


def hidden_weights(model: nn.Sequential) -> list:
    """Copies of the weights (100, fan_in) of the hidden layers (every Linear but the last)."""
    return [module.weight.numpy().copy() for module in model if isinstance(module, nn.Linear)][:-1]


def neuron_spread(weight: np.ndarray) -> float:
    """max over neurons i and inputs j of |W[i, j] - W[0, j]|: 0 when every neuron (row) is neuron 0."""
    return float(np.abs(weight - weight[0]).max())


def train_briefly(model: nn.Module, train_set, steps: int, seed: int) -> float:
    """`steps` SGD steps (lr 0.1, batches of 100, reshuffled each pass); returns the last loss."""
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    tinyconv.manual_seed(seed)  # the same batches for every init
    step, loss = 0, None
    while step < steps:
        for images, labels in DataLoader(train_set, 100, shuffle=True):
            loss = F.cross_entropy(model(images), labels)
            stop_if_not_finite(loss, f"step {step + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == steps:
                break
    return loss.item()


def symmetry_experiment(train_set, layers: int, steps: int, seed: int) -> dict:
    """For each of SYMMETRY_INITS: the hidden layers' weights before and after training, the last loss."""
    results = {}
    for init in SYMMETRY_INITS:
        tinyconv.manual_seed(seed)
        model = tanh_mlp(layers, init)
        before = hidden_weights(model)
        loss = train_briefly(model, train_set, steps, seed)
        results[init] = {"before": before, "after": hidden_weights(model), "loss": loss}
    return results


def symmetry_table(results: dict) -> str:
    """Per init and hidden layer: the largest weight change and the largest difference between neurons."""
    lines = []
    for init, result in results.items():
        moved = [np.abs(a - b).max() for a, b in zip(result["after"], result["before"])]
        spread = [neuron_spread(weight) for weight in result["after"]]
        lines.append(f"{init} (last loss {result['loss']:.3f}), hidden layers 1 to {len(moved)}:")
        lines.append("  largest weight change   " + "".join(f"{value:10.2g}" for value in moved))
        lines.append("  spread between neurons  " + "".join(f"{value:10.2g}" for value in spread))
    return "\n".join(lines)


def plot_symmetry(results: dict, neurons: int = 8) -> Figure:
    """What the first `neurons` units of hidden layer 1 learned, W - W_initial as 28x28 images: a row per
    init, one colour scale per row (red: the weight grew, blue: it shrank, white: unchanged)."""
    figure = Figure(figsize=(1.5 * neurons + 0.8, 1.7 * len(results) + 0.6), layout="constrained")
    grid = figure.subplots(len(results), neurons, squeeze=False)
    for row, (init, result) in enumerate(results.items()):
        change = result["after"][0][:neurons] - result["before"][0][:neurons]
        scale = float(np.abs(change).max()) or 1.0
        for column, axes in enumerate(grid[row]):
            image = axes.imshow(change[column].reshape(28, 28), cmap="bwr", vmin=-scale, vmax=scale)
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_title(f"neuron {column}", fontsize=8)
            if not change[column].any():
                axes.text(14, 14, "no change", ha="center", va="center", fontsize=8)
            if column == 0:
                axes.set_ylabel(init, fontsize=10)
        figure.colorbar(image, ax=grid[row].tolist(), shrink=0.8, label="change")
    figure.suptitle("hidden layer 1 after training: what each neuron's 784 weights learned (W - W_initial)")
    return figure


# ------------------------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Activation histograms per initialization; symmetry.")
    parser.add_argument("--layers", type=int, default=5, help="layers of 100 units (the lecture: 5 to 10)")
    parser.add_argument("--steps", type=int, default=100, help="SGD steps in part 2")
    parser.add_argument("--no-training", action="store_true", help="part 1 only (no MNIST needed)")
    add_limit_flag(parser, default=2000)
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "init_activations")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, "layers", "steps", "limit")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [*HISTOGRAM_PLOTS.values(), SYMMETRY_PLOT])

    outputs = all_layer_outputs(args.layers, args.seed)
    print(f"standard deviation of each layer's output ({SAMPLES} samples of N(0, 1), {UNITS} units a layer):")
    print(std_table(outputs))
    for activation, name in HISTOGRAM_PLOTS.items():
        save_figure(plot_histograms(outputs, activation), os.path.join(args.out, name))
        print(f"histograms: {os.path.join(args.out, name)}")
    if args.no_training:
        return {"outputs": outputs}

    train_set = take_first(open_dataset("mnist", args.data_dir, train=True), args.limit)
    what = f"a tanh MLP, {args.layers} hidden layers, {args.steps} SGD steps on {len(train_set):,} images"
    print(f"\nsymmetry: {what}")
    results = symmetry_experiment(train_set, args.layers, args.steps, args.seed)
    print(symmetry_table(results))
    save_figure(plot_symmetry(results), os.path.join(args.out, SYMMETRY_PLOT))
    print(f"first layer's neurons: {os.path.join(args.out, SYMMETRY_PLOT)}")
    return {"outputs": outputs, "symmetry": results}


if __name__ == "__main__":
    main()
