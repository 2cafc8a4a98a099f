"""The lecture's optimizers side by side: their paths on an ill-conditioned bowl, then their training
curves on a 5-layer MLP on MNIST.

    python demos/optimizers.py                          # both parts (defaults below)
    python demos/optimizers.py --limit 2000 --epochs 1  # a quick run
    python demos/optimizers.py --bowl-only              # the bowl alone: no MNIST needed

The seven optimizers are tinyconv.optim's classes, which follow torch.optim's formulas (their
docstrings have them in full); for a parameter p with gradient g, step after step:

    SGD        p -= lr g
    Momentum   v = 0.9 v + g;  p -= lr v                   SGD(momentum=0.9): v is a velocity
    Nesterov   v = 0.9 v + g;  p -= lr (g + 0.9 v)         SGD(momentum=0.9, nesterov=True): look ahead
    AdaGrad    s += g^2;  p -= lr g / (sqrt(s) + eps)      Adagrad: a step size per weight, shrinking
    RMSprop    s = 0.99 s + 0.01 g^2;  p -= lr g / (sqrt(s) + eps)   a running mean instead of a sum
    Adam       m, v: running means of g and g^2 (bias-corrected); p -= lr m / (sqrt(v) + eps)
    AdamW      Adam, and p -= lr * 0.01 p besides: weight decay kept out of the moments

Part 1, the bowl f(x, y) = x^2 / 20 + y^2 (the lecture's example, and Deep Learning from Scratch's,
section 6.1): its gradient is (x / 10, 2 y), twenty times steeper across (y) than along (x). SGD's
step is lr times the gradient, so a learning rate large enough to move along x overshoots across y:
with lr 0.95, y <- (1 - 2 * 0.95) y = -0.9 y flips sign at every step (the zig-zag), while
x <- (1 - 0.095) x creeps towards 0. Momentum averages the zig-zag out of its velocity; AdaGrad,
RMSprop and Adam divide each coordinate by the size of its own gradients, so both directions move at
a similar pace. Every optimizer starts at (-7, 2) and takes --steps steps, each at the learning rate
of the BOWL_LR table (chosen, as in the book, so that each shows its character in 30 steps); the
paths are drawn over the contours of f in optimizers_bowl.png, with f along each path in a last panel.

Part 2, MNIST: a 784-100-100-100-100-10 MLP (five Linear layers, ReLU, He initialization) trained
from the same initial weights on the same batches (the first --limit training images, --epochs
passes, batches of --batch-size) by each optimizer at the MNIST_LR of the table (0.01 for the SGD
family and AdaGrad, 0.001 for RMSprop and the Adams, their usual values). optimizers_mnist.png shows
each one's training loss (a running mean over 20 steps) and its test accuracy; the table printed at
the end gives the mean loss of the first and of the last epoch and the test accuracy.

MEASURED (the default run, seed 0, 2026-12-07, 2-core x86 CPU under a load average of about 17 from
other jobs, OPENBLAS_NUM_THREADS=1, `/usr/bin/time`): 43 s wall, 12 s of CPU, 32 s of it training the
seven MLPs, 205 MiB peak memory. On the bowl, after 30 steps: SGD at (-0.350, 0.085), its y having
changed sign at every one of the 30 steps; Momentum at (0.896, 0.088), past the minimum and swinging
back; AdaGrad nearest to it (f = 7.2e-4); AdaGrad and RMSprop reach y = 0 in a few steps and never
cross it; Adam and AdamW still curving in (f = 0.10). On MNIST (20,000 images, 3 epochs, 600 steps
each), the last epoch's mean loss and the test accuracy:
    SGD 0.272, 0.9197     Momentum 0.119, 0.9438   Nesterov 0.108, 0.9462   AdaGrad 0.118, 0.9502
    RMSprop 0.125, 0.9418 Adam 0.109, 0.9472       AdamW 0.110, 0.9481
Plain SGD is far behind and the others close together, as in the lecture's figure. With OpenBLAS's
default two threads fighting the other jobs for the two cores, a short run (--limit 2000 --epochs 1)
took 93 s instead of 13 s: on a busy machine, run with OPENBLAS_NUM_THREADS=1.
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
    evaluate,
    open_dataset,
    progress_bar,
    remove_stale_temporaries,
    save_figure,
    stop_if_not_finite,
    take_first,
    time_and_memory_line,
)
from matplotlib.figure import Figure

import tinyconv
import tinyconv.functional as F
from tinyconv import nn, optim
from tinyconv.data import DataLoader

BOWL_PLOT = "optimizers_bowl.png"
MNIST_PLOT = "optimizers_mnist.png"

# Each optimizer as PyTorch code would build it, from its parameters and its learning rate.
OPTIMIZERS = {
    "SGD": lambda parameters, lr: optim.SGD(parameters, lr=lr),
    "Momentum": lambda parameters, lr: optim.SGD(parameters, lr=lr, momentum=0.9),
    "Nesterov": lambda parameters, lr: optim.SGD(parameters, lr=lr, momentum=0.9, nesterov=True),
    "AdaGrad": lambda parameters, lr: optim.Adagrad(parameters, lr=lr),
    "RMSprop": lambda parameters, lr: optim.RMSprop(parameters, lr=lr),
    "Adam": lambda parameters, lr: optim.Adam(parameters, lr=lr),
    "AdamW": lambda parameters, lr: optim.AdamW(parameters, lr=lr),
}
# Learning rates on the bowl: SGD, Momentum, AdaGrad and Adam as in Deep Learning from Scratch's figure
# 6-8; RMSprop's first step is 10 lr (its running mean of g^2 starts at 0 and holds 1% of g^2 after one
# step, with no bias correction), so it gets a third of Adam's rate.
BOWL_LR = {
    "SGD": 0.95, "Momentum": 0.1, "Nesterov": 0.1, "AdaGrad": 1.5, "RMSprop": 0.1, "Adam": 0.3, "AdamW": 0.3,
}  # fmt: skip
MNIST_LR = {
    "SGD": 0.01, "Momentum": 0.01, "Nesterov": 0.01, "AdaGrad": 0.01, "RMSprop": 1e-3, "Adam": 1e-3,
    "AdamW": 1e-3,
}  # fmt: skip

# ------------------------------------------------------------------------------------ the bowl
START = (-7.0, 2.0)
BOWL_WEIGHTS = np.array([1 / 20, 1.0])  # f(x, y) = x^2 / 20 + y^2 = sum of BOWL_WEIGHTS * (x, y)^2
X_RANGE, Y_RANGE = (-8.0, 8.0), (-3.0, 3.0)  # the window drawn: every default path stays inside


def bowl(point: tinyconv.Tensor) -> tinyconv.Tensor:
    """f(x, y) = x^2 / 20 + y^2 at point (2,), as a tinyconv expression, so that backward gives
    its gradient (x / 10, 2 y)."""
    return (point * point * BOWL_WEIGHTS).sum()


def path_on_bowl(name: str, lr: float, steps: int) -> np.ndarray:
    """The points (steps + 1, 2) that optimizer `name` visits on the bowl from START, in float64."""
    point = tinyconv.tensor(START, dtype=tinyconv.float64, requires_grad=True)
    optimizer = OPTIMIZERS[name]([point], lr)
    path = [point.data.copy()]
    for _ in range(steps):
        loss = bowl(point)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(point.data.copy())
    return np.array(path)


def bowl_values(points: np.ndarray) -> np.ndarray:
    """f at each of `points` (..., 2)."""
    return (points * points * BOWL_WEIGHTS).sum(axis=-1)


def sign_changes(values: np.ndarray) -> int:
    """How often consecutive values have opposite signs: a count of the zig-zags across the valley."""
    return int((values[1:] * values[:-1] < 0).sum())


def plot_bowl(paths: dict) -> Figure:
    """A panel per optimizer, its path over the contours of f, and a last panel with f along every path."""
    xs, ys = np.meshgrid(np.linspace(*X_RANGE, 321), np.linspace(*Y_RANGE, 121))
    surface = bowl_values(np.stack([xs, ys], axis=-1))
    levels = [0.05, 0.2, 0.5, 1, 2, 3, 4, 6, 8]
    figure = Figure(figsize=(18, 5.2), layout="constrained")
    all_axes = figure.subplots(2, 4)
    for axes, (name, path) in zip(all_axes.flat, paths.items()):
        axes.contour(xs, ys, surface, levels=levels, colors="lightgray", linewidths=0.8)
        axes.plot(path[:, 0], path[:, 1], "o-", color="tab:red", markersize=3, linewidth=1)
        axes.plot(0, 0, "+", color="black", markersize=10)
        axes.plot(*START, "s", color="tab:blue", markersize=6)
        axes.set(xlim=X_RANGE, ylim=Y_RANGE, aspect="equal", xlabel="x", ylabel="y")
        axes.set_title(f"{name} (lr {BOWL_LR[name]}): f = {bowl_values(path[-1]):.1e} after {len(path) - 1}")
    last = all_axes.flat[-1]
    for name, path in paths.items():
        last.semilogy(bowl_values(path), label=name)
    last.set(xlabel="step", ylabel="f(x, y)", title="f along each path")
    last.legend(fontsize=8, ncols=2)
    figure.suptitle(
        "f(x, y) = x\N{SUPERSCRIPT TWO}/20 + y\N{SUPERSCRIPT TWO} from (-7, 2): "
        "the same bowl, seven optimizers (blue square: start, cross: the minimum)"
    )
    return figure


# ------------------------------------------------------------------------------------ MNIST
def mlp() -> nn.Sequential:
    """784-100-100-100-100-10: five Linear layers with ReLU between them, He-initialized (weights
    N(0, 2 / fan_in), biases 0), the lecture's and the book's network for this comparison."""
    sizes = [784, 100, 100, 100, 100, 10]
    layers = [nn.Flatten()]
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def running_mean(values: list, window: int) -> np.ndarray:
    """The mean of each `window` consecutive values (fewer values than that: their one mean)."""
    values = np.asarray(values, dtype=np.float64)
    window = min(window, len(values))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_mnist(results: dict) -> Figure:
    """Left: each optimizer's training loss per step (a running mean of 20); right: test accuracies."""
    figure = Figure(figsize=(14, 5), layout="constrained")
    curves, bars = figure.subplots(1, 2, width_ratios=[2, 1])
    for name, result in results.items():
        smooth = running_mean(result["losses"], 20)
        curves.plot(np.arange(len(smooth)) + len(result["losses"]) - len(smooth) + 1, smooth, label=name)
    curves.set_yscale("log")
    curves.set(xlabel="step (one batch)", ylabel="training loss (cross-entropy, mean of 20 steps)")
    curves.set_title("5-layer MLP on MNIST: the same start, the same batches")
    curves.legend()
    names = list(results)
    accuracies = [results[name]["test_accuracy"] for name in names]
    bars.barh(names, accuracies, color=[f"C{k}" for k in range(len(names))])
    for row, accuracy in enumerate(accuracies):
        bars.text(accuracy, row, f" {accuracy:.4f}", va="center")
    bars.set(xlim=(0, 1.15), xlabel="test accuracy", title="after training")
    bars.invert_yaxis()  # the table's order, top to bottom
    return figure


def results_table(results: dict) -> str:
    """The final numbers, one row per optimizer."""
    header = ("optimizer", "lr", "loss, 1st epoch", "loss, last epoch", "test accuracy")
    lines = ["{:10s} {:>7s} {:>16s} {:>17s} {:>14s}".format(*header)]
    for name, result in results.items():
        first, last, accuracy = result["epoch_losses"][0], result["epoch_losses"][-1], result["test_accuracy"]
        lines.append(f"{name:10s} {MNIST_LR[name]:7g} {first:16.4f} {last:17.4f} {accuracy:14.4f}")
    return "\n".join(lines)


def train(name: str, model: nn.Module, train_set, args: argparse.Namespace) -> dict:
    """Train `model` with optimizer `name`; its loss at every step and the mean loss of every epoch."""
    optimizer = OPTIMIZERS[name](model.parameters(), MNIST_LR[name])
    tinyconv.manual_seed(args.seed)  # the same batches, in the same order, for every optimizer
    losses, epoch_losses = [], []
    for epoch in range(args.epochs):
        loader = DataLoader(train_set, args.batch_size, shuffle=True)
        first = len(losses)
        for images, labels in progress_bar(loader, f"{name}, epoch {epoch + 1}"):
            loss = F.cross_entropy(model(images), labels)
            stop_if_not_finite(loss, f"{name}, step {len(losses) + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        epoch_losses.append(float(np.mean(losses[first:])))
    return {"losses": losses, "epoch_losses": epoch_losses}


# ------------------------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SGD to AdamW: paths on a bowl, training curves on MNIST.")
    parser.add_argument("--steps", type=int, default=30, help="steps of each optimizer on the bowl")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the MNIST images")
    parser.add_argument("--batch-size", type=int, default=100)
    add_limit_flag(parser, default=20000)
    parser.add_argument("--bowl-only", action="store_true", help="draw the bowl's paths only (no MNIST)")
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "optimizers")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, "steps", "epochs", "batch_size", "limit")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [BOWL_PLOT, MNIST_PLOT])

    print(f"the bowl f(x, y) = x^2/20 + y^2, {args.steps} steps from {START}:")
    paths = {name: path_on_bowl(name, BOWL_LR[name], args.steps) for name in OPTIMIZERS}
    for name, path in paths.items():
        x, y = path[-1]
        print(
            f"  {name:9s} lr {BOWL_LR[name]:<5g} ends at ({x:7.3f}, {y:7.3f})  "
            f"f {bowl_values(path[-1]):.2e}  y changed sign {sign_changes(path[:, 1])} times"
        )
    save_figure(plot_bowl(paths), os.path.join(args.out, BOWL_PLOT))
    print(f"paths: {os.path.join(args.out, BOWL_PLOT)}")
    if args.bowl_only:
        return {"paths": paths}

    train_set = take_first(open_dataset("mnist", args.data_dir, train=True), args.limit)
    test_set = open_dataset("mnist", args.data_dir, train=False)
    tinyconv.manual_seed(args.seed)
    initial = mlp()  # one set of starting weights, copied into each optimizer's model
    setting = f"{len(train_set):,} images, {args.epochs} epochs, batches of {args.batch_size}"
    print(f"\nMNIST: a 5-layer MLP, {setting}")
    results, start = {}, time.perf_counter()
    for name in OPTIMIZERS:
        model = mlp()
        model.load_state_dict(initial.state_dict())
        results[name] = train(name, model, train_set, args)
        results[name]["test_accuracy"] = evaluate(model, test_set)
        print(f"  {name:9s} trained: last epoch's mean loss {results[name]['epoch_losses'][-1]:.4f}")
    seconds = time.perf_counter() - start
    save_figure(plot_mnist(results), os.path.join(args.out, MNIST_PLOT))
    print(f"curves: {os.path.join(args.out, MNIST_PLOT)}")
    print(time_and_memory_line(seconds))
    print(results_table(results))
    return {"paths": paths, "mnist": results}


if __name__ == "__main__":
    main()
