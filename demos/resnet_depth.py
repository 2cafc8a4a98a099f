"""Why ResNet's skip connections matter: a deep plain CNN cannot learn, the same CNN with shortcuts can.

    python demos/resnet_depth.py                   # depths 4 and 20, plain and residual (about 4 minutes)
    python demos/resnet_depth.py --blocks 1 5 9    # depths 4, 12 and 20
    python demos/resnet_depth.py --init he         # the same with tinyconv's He initialization
    python demos/resnet_depth.py --smoke           # a few seconds

He, Zhang, Ren, Sun, "Deep residual learning for image recognition" (CVPR 2016) found that stacking more
layers made a network train *worse*, and fixed it with blocks that output F(x) + x. The backward pass
of a sum copies the gradient to both terms, so through each block

    dL/dx = dL/dy * (dF/dx + 1)        (residual: y = relu(F(x) + x), where relu lets it through)
    dL/dx = dL/dy * dF/dx              (plain:    y = relu(F(x)))

A plain stack multiplies the gradient by one Jacobian dF/dx per block; when those shrink it, the
product shrinks geometrically with depth and the first layers stop learning (the vanishing gradient).
The "+ 1" gives the gradient a path around every block.

The networks, on MNIST: a stem (3x3 convolution, 16 channels, stride 2: 28x28 -> 14x14, ReLU), then
`--blocks` blocks of two 3x3 convolutions with 16 channels (conv, ReLU, conv, then ReLU of the sum),
then global average pooling and a linear layer to 10 classes: depth = 2 * blocks + 2 weight layers
(9 blocks: 20 layers, as the paper's ResNet-20 for CIFAR-10). The plain and the residual network of
one depth have the same layers and start from the same weights; the only difference is the "+ x".
Both are trained by Adam for --steps steps of --batch-size images, in the same order. After every
backward pass the demo records ||dL/dW|| of the stem's weight, the gradient that reaches the first
layer, and plots it with the training loss (one PNG, two panels); it ends with a table. Its "final
loss" is the mean loss of the last 50 steps, and the loss curve is that running mean: it ends at the
table's value.

What is chosen, and why, so that the effect is the real one and not staged:
  - No batch norm. The paper's networks have it, and it is itself a cure for vanishing gradients
    (it rescales every layer's output to unit variance), so with it this short run would show little;
    the paper's own plain nets with batch norm degrade too, but only over long training.
  - The initialization is PyTorch's default for nn.Conv2d and nn.Linear (kaiming_uniform_ with
    a = sqrt(5): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), variance 1 / (3 fan_in)), the one most deep
    nets built without thought start from. Each convolution + ReLU then multiplies the mean square
    of the signal by fan_in * Var(W) / 2 = 1/6 on the way forward and that of the gradient by about
    as much on the way back, so 19 convolutions leave about 6^-9.5 ~ 4e-8 of the gradient's size.
    tinyconv's default He initialization (Var(W) = 2 / fan_in) was designed to keep that factor at 1
    (He et al. 2015): with --init he the plain net of depth 20 learns too (measured below).
  - No biases in the convolutions (ResNet's convolutions have none either). Without batch norm a bias
    would dominate the fading signal of a plain net, and a negative one switches its channel off for
    good: in a trial run with biases the plain net failed too, its gradient exactly 0 within 150 steps.
  - Adam, whose steps do not shrink with the gradient (SGD would move the first layer by the learning
    rate times 1e-9). Even so the deep plain net stays at chance in this run: its gradient is too
    small and too noisy to point anywhere (in the plot it flares up to 1e-3 once, then sinks back).

MEASURED (the default run, seed 0, 2026-11-23, 2-core x86 CPU, `/usr/bin/time -v`): 3 min 47 s wall,
300 MiB peak RSS (each 20-layer net trains in about 100 s, each 4-layer one in 8 s).

    depth  network   final loss  ||dL/dW_stem|| at step 1  (last 50 steps)  test accuracy
        4  plain          0.875                   1.0e-02           6.4e-01         0.7928
        4  residual       1.087                   8.9e-02           7.5e-01         0.6796
       20  plain          2.300                   1.6e-09           2.6e-09         0.1135
       20  residual       0.164                   7.0e-02           5.4e-01         0.9557

At 4 layers both nets learn, the plain one a little faster here: the shortcut is not needed yet.
At 20 layers the plain net's first layer gets 1.6e-9 where the residual net's gets 7.0e-2, 7.6
orders of magnitude less; its loss stays at ln 10 = 2.303 and its accuracy at chance, while the
same layers with shortcuts reach 95.6%. With --init he --blocks 9 (same date and machine): plain
loss 0.300, first gradient 6.5e-1, accuracy 0.9072; residual loss 0.300, first gradient 4.3e+1 (66
times the plain net's: without batch norm each block adds its branch to the shortcut, and the signal
grows with depth), accuracy 0.9294.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    add_data_flags,
    add_out_flag,
    add_seed_flag,
    add_smoke_flag,
    add_test_limit_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    evaluate,
    open_dataset,
    parse_with_smoke,
    remove_stale_temporaries,
    save_figure,
    stop_if_not_finite,
    take_first,
)
from matplotlib.figure import Figure

import tinyconv
import tinyconv.functional as F
from tinyconv import init, nn, optim
from tinyconv.data import DataLoader

PLOT_NAME = "resnet_depth.png"
KINDS = ("plain", "residual")
LAST = 50  # the final loss and gradient norm are means over the last this many steps
SMOKE = dict(blocks=[9], channels=8, steps=100, batch_size=32, test_limit=500)  # --smoke: seconds


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A deep plain CNN against the same CNN with shortcuts.")
    parser.add_argument(
        "--blocks", type=int, nargs="+", default=[1, 9], help="blocks of each depth (depth = 2 * blocks + 2)"
    )
    parser.add_argument("--channels", type=int, default=16, help="channels of every convolution")
    parser.add_argument("--steps", type=int, default=500, help="training steps of each network")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    parser.add_argument(
        "--init", choices=["pytorch", "he"], default="pytorch", help="weight initialization (see above)"
    )
    add_seed_flag(parser)
    add_data_flags(parser)
    add_test_limit_flag(parser)
    add_out_flag(parser, "resnet_depth")
    add_smoke_flag(parser, SMOKE)
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(parser, args, "channels", "steps", "batch_size", "test_limit")
    if min(args.blocks) < 1:
        parser.error(f"--blocks must be at least 1, got {args.blocks}")
    check_positive(parser, args, "lr")
    return args


class Block(nn.Module):
    """conv 3x3 -> ReLU -> conv 3x3, then y = relu(F(x) + x) with the shortcut or y = relu(F(x)) without.

    (N, C, H, W) -> (N, C, H, W). Built from tinyconv layers rather than the model zoo's BasicBlock,
    which has batch norm (see the module docstring).
    """

    def __init__(self, channels: int, shortcut: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.shortcut = shortcut

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + x if self.shortcut else out)


class DeepNet(nn.Module):
    """stem conv (1 -> C, stride 2) -> `blocks` Blocks -> global average pool -> linear C -> 10.

    Input (N, 1, 28, 28) -> logits (N, 10); 2 * blocks + 2 weight layers.
    """

    def __init__(self, blocks: int, channels: int, shortcut: bool, init_name: str):
        super().__init__()
        self.stem = nn.Conv2d(1, channels, 3, stride=2, padding=1, bias=False)
        self.blocks = nn.Sequential(*[Block(channels, shortcut) for _ in range(blocks)])
        self.fc = nn.Linear(channels, 10)
        if init_name == "pytorch":  # nn.Conv2d and nn.Linear start from He init (init="he") otherwise
            for parameter in self.parameters():
                if parameter.ndim > 1:  # weights; the fc's bias stays at 0
                    init.kaiming_uniform_(parameter, a=math.sqrt(5))

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1)  # (N, C, 1, 1)
        return self.fc(x.reshape(x.shape[0], -1))


def batches(dataset, batch_size: int, steps: int):
    """`steps` shuffled batches, going through `dataset` again when one pass is not enough."""
    given = 0
    while True:
        for batch in DataLoader(dataset, batch_size, shuffle=True):
            if given == steps:
                return
            given += 1
            yield batch


def train(model: DeepNet, train_set, args: argparse.Namespace, name: str) -> dict:
    """Adam for args.steps steps; the loss and the stem's gradient norm ||dL/dW_stem|| of every step."""
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    losses, gradient_norms = [], []
    model.train()
    for step, (images, labels) in enumerate(batches(train_set, args.batch_size, args.steps), start=1):
        loss = F.cross_entropy(model(images), labels)
        stop_if_not_finite(loss, f"step {step} of the {name}")
        optimizer.zero_grad()
        loss.backward()
        gradient = model.stem.weight.grad.astype(np.float64)  # float64: the squares of 1e-9 stay > 0
        gradient_norms.append(float(np.sqrt((gradient**2).sum())))
        losses.append(loss.item())
        optimizer.step()
    return {"loss": losses, "gradient_norm": gradient_norms}


def moving_average(values: list, window: int) -> np.ndarray:
    """Mean of each `window` consecutive values (the first ones over fewer): a loss curve without noise."""
    sums = np.cumsum(np.insert(np.asarray(values, dtype=np.float64), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def final_loss(run: dict, last: int) -> float:
    """The mean loss of the last `last` steps: the table's "final loss", where the loss curve ends."""
    return float(np.mean(run["loss"][-last:]))


def plot_runs(runs: dict, last: int) -> Figure:
    """Training loss (left, the running mean of `last` steps) and first-layer gradient norm on a log scale
    (right), per step."""
    figure = Figure(figsize=(11, 4.2))
    loss_axes, gradient_axes = figure.subplots(1, 2)
    for index, ((depth, kind), run) in enumerate(sorted(runs.items())):
        style = dict(color=f"C{index % 10}", linestyle="-" if kind == "residual" else "--")  # C0..C9: tab10
        label = f"{kind}, {depth} layers"
        steps = np.arange(1, len(run["loss"]) + 1)
        loss_axes.plot(steps, moving_average(run["loss"], last), label=label, **style)
        gradient_axes.plot(steps, run["gradient_norm"], label=label, linewidth=0.8, **style)
    loss_axes.axhline(math.log(10), color="grey", linewidth=0.8, linestyle=":")
    last_step = max(len(run["loss"]) for run in runs.values())
    loss_axes.text(last_step, math.log(10), "chance: ln 10", ha="right", va="bottom", fontsize=8)
    loss_axes.set(
        title=f"training loss (mean of the last {last} steps)", xlabel="step", ylabel="cross-entropy"
    )
    gradient_axes.set_yscale("log")
    gradient_axes.set(title="gradient reaching the first layer", xlabel="step", ylabel="||dL/dW_stem||")
    loss_axes.legend(fontsize=8)
    gradient_axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def print_table(runs: dict, last: int) -> None:
    """One row per network: final loss, first-layer gradient at step 1 and over the last steps, accuracy."""
    print(f"\nfinal loss: the mean of the last {last} steps' losses, where each loss curve ends")
    print(f"depth  network   final loss  ||dL/dW_stem|| at step 1  (last {last} steps)  test accuracy")
    for (depth, kind), run in sorted(runs.items()):
        print(
            f"{depth:5d}  {kind:8s}  {final_loss(run, last):10.3f}  {run['gradient_norm'][0]:24.1e}  "
            f"{np.mean(run['gradient_norm'][-last:]):16.1e}  {run['accuracy']:13.4f}"
        )


def main(argv=None) -> dict:
    """Train every (depth, kind); returns {(depth, kind): {loss, gradient_norm, accuracy, seconds}}."""
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [PLOT_NAME])
    train_set = open_dataset("mnist", args.data_dir, train=True)
    test_set = take_first(open_dataset("mnist", args.data_dir, train=False), args.test_limit)

    print(
        f"{args.steps} Adam steps of {args.batch_size} MNIST images per network, {args.init} initialization, "
        f"no batch norm; testing on {len(test_set):,} images"
    )
    last = min(LAST, args.steps)
    runs = {}
    for blocks in args.blocks:
        depth = 2 * blocks + 2
        for kind in KINDS:
            # The same seed for both kinds: the same initial weights and the same batches in the same order.
            tinyconv.manual_seed(args.seed)
            model = DeepNet(blocks, args.channels, shortcut=kind == "residual", init_name=args.init)
            start = time.perf_counter()
            run = train(model, train_set, args, f"{kind} net of {depth} layers")
            run["seconds"] = time.perf_counter() - start
            run["accuracy"] = evaluate(model, test_set, batch_size=100)
            runs[depth, kind] = run
            print(
                f"  {kind:8s} {depth:2d} layers: loss {final_loss(run, last):.3f}, "
                f"first-layer gradient {run['gradient_norm'][0]:.1e} at step 1, "
                f"test accuracy {run['accuracy']:.4f} ({run['seconds']:.0f} s)"
            )

    plot_path = os.path.join(args.out, PLOT_NAME)
    save_figure(plot_runs(runs, last), plot_path)
    print_table(runs, last)
    print(f"plot: {plot_path}")
    return runs


if __name__ == "__main__":
    main()
