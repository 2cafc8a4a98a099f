"""Activation functions, the lecture's comparison: each function and its derivative, the sigmoid's three
problems measured, the gradient that reaches the first layer of a deep sigmoid network against a ReLU
one, and ReLUs killed by too large a learning rate.

    python demos/activations.py                        # everything (defaults below)
    python demos/activations.py --no-training          # parts 1 and 2 only: no MNIST needed

Part 1, the functions (tinyconv.functional; each derivative is tinyconv's own backward, obtained by
autograd as x.grad after f(x).sum().backward(), not a formula typed in here):

    sigmoid     1 / (1 + e^-x)                   derivative s (1 - s), at most 1/4 (at x = 0)
    tanh        (e^x - e^-x) / (e^x + e^-x)       1 - tanh^2, at most 1; tanh(x) = 2 sigmoid(2x) - 1
    ReLU        max(0, x)                        1 for x > 0, 0 for x < 0 (PyTorch takes 0 at 0)
    Leaky ReLU  x for x > 0, 0.1 x below          the slope drawn is 0.1 to be visible; PyTorch's default
                                                 negative_slope is 0.01
    ELU         x for x > 0, e^x - 1 below        (alpha 1) smooth, negative outputs down to -1
    GELU        x Phi(x), Phi the normal CDF      the Transformers' choice; slightly negative for x < 0
drawn in activations.png, with the table of each derivative's largest value printed.

Part 2, the sigmoid's three problems (cs231n lecture 6; the notes: "3가지 단점"), measured:
  1. Saturation kills gradients. sigma'(z) < 0.01 once |z| > 4.6; a unit summing 100 inputs of N(0, 1)
     with weights of N(0, 1) sees z ~ N(0, 100), and then 65% of its inputs land there. Printed for
     z ~ N(0, s^2), s = 1, 2, 5, 10.
  2. Its outputs are all positive (mean 0.5, not 0). The gradient on a weight w_i of the next layer is
     delta * h_i; with every h_i > 0, all the weights of one neuron get gradients of the sign of delta,
     so each step moves them all up or all down together (the zig-zag of the lecture's figure). Measured
     on a Linear(100, 10) fed sigmoid or tanh of N(0, 1), one sample at a time: the share of neurons whose
     100 weight gradients all have one sign.
  3. exp() costs more than max(): 1 / (1 + np.exp(-x)) against np.maximum(x, 0), and F.sigmoid against
     F.relu, on a layer's 1000 x 100 float32 pre-activations, the fastest of --repeats runs each.
     tinyconv's sigmoid does more than the formula: |x|, exp, a division and a `where` that picks the
     overflow-free form for each sign (see stable_sigmoid), each a pass over the array.
activations_sigmoid.png draws the three.

Part 3 (MNIST), depth. A 784-100-...-100-10 network with 10 hidden layers, sigmoid with Xavier weights
against ReLU with He weights (each its usual initialization), one batch of 256 images: the norm of
the loss's gradient on each layer's weights. Backpropagation multiplies by sigma' <= 1/4 at each
sigmoid layer, so the first layers of the sigmoid network receive a vanishing gradient; ReLU passes 1
where it is active. Then dead ReLUs: a 784-100-100-10 ReLU MLP trained by Adam for --epochs on the
first --limit images at lr 1e-3 and at lr 0.02 (too large: big steps push some units' inputs below 0
for every image, where the gradient is 0 and nothing brings them back). A unit is dead when it
outputs 0 for all of the first 1,000 test images. activations_depth.png draws both.

MEASURED (the default run, seed 0, 2026-12-07, 2-core x86 CPU under a load average of about 17 from
other jobs, OPENBLAS_NUM_THREADS=1, `/usr/bin/time`): 13 s wall, 3.5 s of CPU, 202 MiB peak memory.
The largest derivatives: sigmoid 0.2500 and tanh 1.0000 at x = 0, GELU 1.1289 at x = 1.41. Saturated
(sigmoid' < 0.01): 0.0%, 2.2%, 36.0% and 64.9% of the inputs for s = 1, 2, 5, 10. Mean output 0.501
after the sigmoid, 0.002 after tanh; weight gradients of one sign in 100% of the neurons after the
sigmoid, 0% after tanh. The fastest of 50 runs on 1000 x 100 numbers: 1 / (1 + np.exp(-x)) 0.22 ms
against np.maximum 0.07 ms (3.0 times as long), F.sigmoid 0.72 ms against F.relu 0.09 ms (7.8 times).
The gradient on layer 1 of the 10-hidden-layer network: 3.1e-6 with sigmoid (7e-6 of hidden layer 10's,
1.4 at the output layer), 4.3 with ReLU (1.2 times layer 10's). Dead ReLUs (5,000 images, 2 epochs):
3% and 3% of the two hidden layers at lr 1e-3, 79% and 14% at lr 0.02 (seeds 1 and 2: 61%/12%, 61%/20%).
"""

from __future__ import annotations

import argparse
import os
import time

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

import tinyconv
import tinyconv.functional as F
from tinyconv import nn, optim
from tinyconv.data import DataLoader

FUNCTIONS_PLOT = "activations.png"
SIGMOID_PLOT = "activations_sigmoid.png"
DEPTH_PLOT = "activations_depth.png"

FUNCTIONS = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "ReLU": F.relu,
    "Leaky ReLU (0.1)": lambda x: F.leaky_relu(x, 0.1),
    "ELU": F.elu,
    "GELU": F.gelu,
}
SATURATED = 0.01  # a derivative below this passes on less than 1% of the gradient
SCALES = (1, 2, 5, 10)  # standard deviations of the sigmoid's inputs in problem 1
DEEP_LAYERS = 10
LEARNING_RATES = {"sane": 1e-3, "too large": 0.02}  # Adam's, for the dead ReLUs


# ------------------------------------------------------------------------- part 1: functions
def value_and_derivative(function, x: np.ndarray) -> tuple:
    """f(x) and f'(x) at the points x, f' from tinyconv's backward: d/dx_i of sum_j f(x_j) is f'(x_i)."""
    point = tinyconv.Tensor(x, requires_grad=True)
    y = function(point)
    y.sum().backward()
    return y.numpy(), point.grad.copy()


def plot_functions(x: np.ndarray, curves: dict) -> Figure:
    """A panel per activation: the function and its derivative (from backward) over x."""
    figure = Figure(figsize=(13, 7), layout="constrained")
    for axes, (name, (y, dy)) in zip(figure.subplots(2, 3).flat, curves.items()):
        axes.axhline(0, color="gray", linewidth=0.6)
        axes.axvline(0, color="gray", linewidth=0.6)
        axes.plot(x, y, color="tab:blue", linewidth=2, label="f(x)")
        axes.plot(x, dy, color="tab:red", linestyle="--", linewidth=2, label="f'(x), by backward")
        axes.set(title=f"{name}: largest f' = {dy.max():.3g}", xlabel="x", ylim=(-1.6, 3.1))
        axes.legend(loc="upper left", fontsize=8)
    figure.suptitle("activation functions and their derivatives (tinyconv's backward, through autograd)")
    return figure


# ---------------------------------------------------------------- part 2: the sigmoid's three problems
def saturated_share(scale: float, samples: int, rng: np.random.Generator) -> float:
    """The share of z ~ N(0, scale^2) where sigmoid'(z), from backward, is below SATURATED."""
    z = (scale * rng.standard_normal(samples)).astype(np.float32)
    _, slope = value_and_derivative(F.sigmoid, z)
    return float((slope < SATURATED).mean())


def one_sign_share(activation, samples: int, rng: np.random.Generator) -> tuple:
    """Feed activation(z), z ~ N(0, 1) of 100 numbers, to a Linear(100, 10), one sample at a time, with a
    random upstream gradient; returns (the mean input to the layer, the share of (sample, neuron) pairs
    whose 100 weight gradients all have the same sign)."""
    layer = nn.Linear(100, 10)
    z = rng.standard_normal((samples, 100)).astype(np.float32)
    upstream = rng.standard_normal((samples, 10)).astype(np.float32)
    h = activation(tinyconv.Tensor(z)).detach()
    one_sign = 0
    for n in range(samples):
        layer.zero_grad()
        layer(h[n : n + 1]).backward(upstream[n : n + 1])
        grad = layer.weight.grad  # (10, 100): row k is delta_k * h
        one_sign += int(((grad > 0).all(axis=1) | (grad < 0).all(axis=1)).sum())
    return float(h.numpy().mean()), one_sign / (samples * 10)


def fastest(run, repeats: int) -> float:
    """The shortest of `repeats` timings of run(), in seconds: the others were slowed by something else."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def exp_against_max(repeats: int, rng: np.random.Generator) -> dict:
    """Seconds for a sigmoid and a ReLU of a layer's pre-activations, 1000 samples x 100 units in float32:
    bare NumPy, and tinyconv's ops. (On 10^6 numbers the allocation of F.sigmoid's four temporaries of
    4 MB each, fresh pages from the system every time, outweighs the arithmetic.)"""
    array = rng.standard_normal((1000, 100)).astype(np.float32)
    x = tinyconv.Tensor(array)
    with tinyconv.no_grad():
        return {
            "1 / (1 + np.exp(-x))": fastest(lambda: 1 / (1 + np.exp(-array)), repeats),
            "np.maximum(x, 0)": fastest(lambda: np.maximum(array, 0), repeats),
            "F.sigmoid(x)": fastest(lambda: F.sigmoid(x), repeats),
            "F.relu(x)": fastest(lambda: F.relu(x), repeats),
        }


def plot_sigmoid_problems(saturation: dict, centring: dict, timings: dict) -> Figure:
    """Three panels: sigmoid' with its saturated region and the inputs' share there; the sign of the
    gradients on the next layer's weights; the time of exp against max."""
    figure = Figure(figsize=(16, 4.8), layout="constrained")
    slope_axes, sign_axes, time_axes = figure.subplots(1, 3)
    z = np.linspace(-10, 10, 801).astype(np.float32)
    _, slope = value_and_derivative(F.sigmoid, z)
    slope_axes.fill_between(
        z, 0, 0.27, where=slope < SATURATED, color="gray", alpha=0.25, label="sigmoid' < 0.01"
    )
    for scale, share in saturation.items():
        density = np.exp(-0.5 * (z / scale) ** 2)  # the shape of N(0, scale^2), drawn to peak at 0.25
        label = f"inputs z ~ N(0, {scale}\N{SUPERSCRIPT TWO}): {share:.0%} in the grey"
        slope_axes.plot(z, 0.25 * density, linewidth=1, label=label)
    slope_axes.plot(z, slope, color="black", linewidth=2.5, label="sigmoid'(z), by backward")
    slope_axes.set(title="1. saturation: no gradient at large |z|", xlabel="z", ylim=(0, 0.27))
    slope_axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2)

    names = list(centring)
    shares = [centring[name][1] for name in names]
    sign_axes.bar(names, shares, color=["tab:red", "tab:blue"])
    for k, name in enumerate(names):
        text = f"{shares[k]:.0%}\nmean input {centring[name][0]:.2f}"
        sign_axes.text(k, shares[k], text, ha="center", va="bottom")
    sign_axes.set(ylim=(0, 1.3), ylabel="share of (sample, neuron) pairs")
    sign_axes.set_title(
        "2. not zero-centred: every weight gradient of a neuron\nhas the same sign (next layer)"
    )

    labels = list(timings)
    milliseconds = [1e3 * timings[label] for label in labels]
    time_axes.barh(labels, milliseconds, color=["tab:red", "tab:blue"] * 2)
    for k, value in enumerate(milliseconds):
        time_axes.text(value, k, f" {value:.2f} ms", va="center")
    time_axes.set_xscale("log")
    time_axes.set_xlim(0.5 * min(milliseconds), 5 * max(milliseconds))
    time_axes.set(
        xlabel="milliseconds for 1000 x 100 float32 numbers (fastest run)", title="3. exp costs more than max"
    )
    time_axes.invert_yaxis()
    return figure


# ----------------------------------------------------------------------- part 3: depth, dead units
def deep_network(activation: str, hidden: int) -> nn.Sequential:
    """784 -> `hidden` layers of 100 units -> 10; sigmoid with Xavier weights or ReLU with He weights,
    biases 0."""
    sizes = [784] + [100] * hidden + [10]
    modules = [nn.Flatten()]
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        if activation == "sigmoid":
            nn.init.xavier_normal_(linear.weight)
        else:
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        if index < hidden:
            modules.append(nn.Sigmoid() if activation == "sigmoid" else nn.ReLU())
    return nn.Sequential(*modules)


def gradient_norms(model: nn.Sequential, images, labels) -> list:
    """||dL/dW|| of every Linear layer's weight, first layer first, for the cross-entropy on one batch."""
    model.zero_grad()
    F.cross_entropy(model(images), labels).backward()
    return [float(np.linalg.norm(m.weight.grad)) for m in model if isinstance(m, nn.Linear)]


def relu_mlp() -> nn.Sequential:
    """784-100-100-10 with ReLU (tinyconv's default He initialization)."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10)
    )


def dead_shares(model: nn.Sequential, images) -> list:
    """For each ReLU layer, the share of its units that output 0 for every one of `images`."""
    shares, h = [], tinyconv.Tensor(images)
    with tinyconv.no_grad():
        for module in model:
            h = module(h)
            if isinstance(module, nn.ReLU):
                shares.append(float((h.numpy().max(axis=0) == 0).mean()))
    return shares


def train_relu_mlp(train_set, lr: float, epochs: int, seed: int) -> nn.Sequential:
    """The ReLU MLP after `epochs` of Adam at `lr` (batches of 100), its weights and batches from `seed`."""
    tinyconv.manual_seed(seed)
    model = relu_mlp()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        for images, labels in DataLoader(train_set, 100, shuffle=True):
            loss = F.cross_entropy(model(images), labels)
            stop_if_not_finite(loss, f"lr {lr}, epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def plot_depth(norms: dict, dead: dict) -> Figure:
    """Left: the gradient norm at each layer, sigmoid against ReLU; right: dead units per ReLU layer."""
    figure = Figure(figsize=(13, 4.6), layout="constrained")
    norm_axes, dead_axes = figure.subplots(1, 2)
    for name, values in norms.items():
        norm_axes.semilogy(range(1, len(values) + 1), values, "o-", label=name)
    norm_axes.set(xlabel=f"layer (1: next to the input, {len(values)}: the output)", ylabel="||dL/dW||")
    norm_axes.set_title("the gradient on each layer's weights (one batch)")
    norm_axes.legend()
    width = 0.38
    for k, (name, shares) in enumerate(dead.items()):
        positions = np.arange(len(shares)) + (k - 0.5) * width
        dead_axes.bar(positions, shares, width, label=f"Adam, lr {LEARNING_RATES[name]:g} ({name})")
        for position, share in zip(positions, shares):
            dead_axes.text(position, share, f"{share:.0%}", ha="center", va="bottom")
    dead_axes.set_xticks(range(len(next(iter(dead.values())))), [f"hidden layer {k + 1}" for k in range(2)])
    dead_axes.set(ylim=(0, 1.1), ylabel="share of units dead on 1,000 test images")
    dead_axes.set_title("dead ReLUs after training")
    dead_axes.legend()
    return figure


# ------------------------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Activation functions: shapes, sigmoid's problems, depth.")
    parser.add_argument("--samples", type=int, default=100_000, help="inputs drawn for problem 1")
    parser.add_argument("--repeats", type=int, default=50, help="timings of problem 3; the fastest counts")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the dead-ReLU training")
    parser.add_argument("--no-training", action="store_true", help="parts 1 and 2 only (no MNIST needed)")
    add_limit_flag(parser, default=5000)
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "activations")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, "samples", "repeats", "epochs", "limit")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [FUNCTIONS_PLOT, SIGMOID_PLOT, DEPTH_PLOT])
    rng = np.random.default_rng(args.seed)
    tinyconv.manual_seed(args.seed)

    x = np.linspace(-5, 5, 1001).astype(np.float32)
    curves = {name: value_and_derivative(function, x) for name, function in FUNCTIONS.items()}
    print("the largest derivative (by backward) on [-5, 5], and where:")
    for name, (_, dy) in curves.items():
        print(f"  {name:17s} {dy.max():.4f} at x = {x[dy.argmax()]:.2f}")
    save_figure(plot_functions(x, curves), os.path.join(args.out, FUNCTIONS_PLOT))

    print("\nthe sigmoid's problems")
    saturation = {scale: saturated_share(scale, args.samples, rng) for scale in SCALES}
    for scale, share in saturation.items():
        print(f"  1. z ~ N(0, {scale}^2): sigmoid'(z) < {SATURATED} for {share:.1%} of the inputs")
    centring = {"sigmoid": one_sign_share(F.sigmoid, 200, rng), "tanh": one_sign_share(F.tanh, 200, rng)}
    for name, (mean, share) in centring.items():
        print(
            f"  2. {name:7s} mean output {mean:+.3f}; weight gradients of one sign in {share:.1%} of neurons"
        )
    timings = exp_against_max(args.repeats, rng)
    for sigmoid, relu in (("1 / (1 + np.exp(-x))", "np.maximum(x, 0)"), ("F.sigmoid(x)", "F.relu(x)")):
        ratio = timings[sigmoid] / timings[relu]
        print(
            f"  3. on 1000 x 100 float32: {sigmoid} {1e3 * timings[sigmoid]:.2f} ms, "
            f"{relu} {1e3 * timings[relu]:.2f} ms: {ratio:.1f} times as long"
        )
    save_figure(plot_sigmoid_problems(saturation, centring, timings), os.path.join(args.out, SIGMOID_PLOT))
    result = {"curves": curves, "saturation": saturation, "centring": centring, "timings": timings}
    if args.no_training:
        return result

    train_set = take_first(open_dataset("mnist", args.data_dir, train=True), args.limit)
    test_set = open_dataset("mnist", args.data_dir, train=False)
    images, labels = train_set[np.arange(256)]
    norms = {}
    for name, label in (("sigmoid", "sigmoid, Xavier"), ("relu", "ReLU, He")):
        tinyconv.manual_seed(args.seed)
        norms[label] = gradient_norms(deep_network(name, DEEP_LAYERS), tinyconv.Tensor(images), labels)
    print(f"\n||dL/dW|| per layer, {DEEP_LAYERS} hidden layers, one batch of 256 (layer 1 first):")
    for label, values in norms.items():
        print(f"  {label:16s}" + "".join(f"{value:9.2g}" for value in values))
    for label, values in norms.items():
        print(
            f"  {label}: layer 1 gets {values[0] / values[-2]:.2g} times the gradient of layer {DEEP_LAYERS}"
        )

    test_images = test_set[np.arange(1000)][0]
    dead = {}
    for name, lr in LEARNING_RATES.items():
        model = train_relu_mlp(train_set, lr, args.epochs, args.seed)
        dead[name] = dead_shares(model, test_images)
        shares = ", ".join(f"layer {k + 1} {share:.0%}" for k, share in enumerate(dead[name]))
        print(f"dead ReLUs after Adam at lr {lr:g} ({name}): {shares}")
    save_figure(plot_depth(norms, dead), os.path.join(args.out, DEPTH_PLOT))
    print(f"figures: {args.out}/{{{FUNCTIONS_PLOT}, {SIGMOID_PLOT}, {DEPTH_PLOT}}}")
    return {**result, "norms": norms, "dead": dead}


if __name__ == "__main__":
    main()
