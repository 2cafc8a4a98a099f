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
layer, and plots it with the training loss (one PNG, two panels); it ends with a table.

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

import matplotlib

matplotlib.use("Agg")  # write PNG files; no window needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from lenet_mnist import evaluate  # noqa: E402  (the LeNet demo's, beside this file in demos/)

import tinyconv  # noqa: E402
import tinyconv.functional as F  # noqa: E402
from tinyconv import init, nn, optim  # noqa: E402
from tinyconv.data import MNIST, DataLoader, Subset  # noqa: E402
from tinyconv.serialization import atomic_write  # noqa: E402

PLOT_NAME = "resnet_depth.png"
KINDS = ("plain", "residual")
LAST = 50  # the final loss and gradient norm are means over the last this many steps


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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir", default=None, help="folder with the MNIST files (default: $TINYCONV_DATA or ~/.cache)"
    )
    parser.add_argument("--test-limit", type=int, default=None, help="test on the first N test images only")
    parser.add_argument("--out", default=os.path.join("runs", "resnet_depth"), help="output folder")
    parser.add_argument("--smoke", action="store_true", help="tiny settings that run in seconds")
    args = parser.parse_args(argv)
    if args.smoke:
        args.blocks, args.channels, args.steps, args.batch_size, args.test_limit = [9], 8, 100, 32, 500
    for name in ("channels", "steps", "batch_size", "test_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if min(args.blocks) < 1:
        parser.error(f"--blocks must be at least 1, got {args.blocks}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
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


def train(model: DeepNet, train_set, args: argparse.Namespace) -> dict:
    """Adam for args.steps steps; the loss and the stem's gradient norm ||dL/dW_stem|| of every step."""
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    losses, gradient_norms = [], []
    model.train()
    for images, labels in batches(train_set, args.batch_size, args.steps):
        loss = F.cross_entropy(model(images), labels)
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


def save_plot(runs: dict, path: str) -> None:
    """Training loss (left) and first-layer gradient norm on a log scale (right), per step, one PNG."""
    figure, (loss_axes, gradient_axes) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, ((depth, kind), run) in enumerate(sorted(runs.items())):
        style = dict(color=colors[index % len(colors)], linestyle="-" if kind == "residual" else "--")
        label = f"{kind}, {depth} layers"
        steps = np.arange(1, len(run["loss"]) + 1)
        loss_axes.plot(steps, moving_average(run["loss"], 20), label=label, **style)
        gradient_axes.plot(steps, run["gradient_norm"], label=label, linewidth=0.8, **style)
    loss_axes.axhline(math.log(10), color="grey", linewidth=0.8, linestyle=":")
    last_step = max(len(run["loss"]) for run in runs.values())
    loss_axes.text(last_step, math.log(10), "chance: ln 10", ha="right", va="bottom", fontsize=8)
    loss_axes.set(title="training loss (mean of 20 steps)", xlabel="step", ylabel="cross-entropy")
    gradient_axes.set_yscale("log")
    gradient_axes.set(title="gradient reaching the first layer", xlabel="step", ylabel="||dL/dW_stem||")
    loss_axes.legend(fontsize=8)
    gradient_axes.legend(fontsize=8)
    figure.tight_layout()
    atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))
    plt.close(figure)


def main(argv=None) -> dict:
    """Train every (depth, kind); returns {(depth, kind): {loss, gradient_norm, accuracy, seconds}}."""
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    train_set = MNIST(args.data_dir, train=True)
    test_set = MNIST(args.data_dir, train=False)
    if args.test_limit is not None:
        test_set = Subset(test_set, np.arange(min(args.test_limit, len(test_set))))

    print(
        f"{args.steps} Adam steps of {args.batch_size} MNIST images per network, {args.init} initialization, "
        f"no batch norm; testing on {len(test_set):,} images"
    )
    runs = {}
    for blocks in args.blocks:
        depth = 2 * blocks + 2
        for kind in KINDS:
            # The same seed for both kinds: the same initial weights and the same batches in the same order.
            tinyconv.manual_seed(args.seed)
            model = DeepNet(blocks, args.channels, shortcut=kind == "residual", init_name=args.init)
            start = time.perf_counter()
            run = train(model, train_set, args)
            run["seconds"] = time.perf_counter() - start
            run["accuracy"] = evaluate(model, test_set, batch_size=100)
            runs[depth, kind] = run
            print(
                f"  {kind:8s} {depth:2d} layers: loss {np.mean(run['loss'][-LAST:]):.3f}, "
                f"first-layer gradient {run['gradient_norm'][0]:.1e} at step 1, "
                f"test accuracy {run['accuracy']:.4f} ({run['seconds']:.0f} s)"
            )

    save_plot(runs, os.path.join(args.out, PLOT_NAME))
    last = min(LAST, args.steps)
    print(f"\ndepth  network   final loss  ||dL/dW_stem|| at step 1  (last {last} steps)  test accuracy")
    for (depth, kind), run in sorted(runs.items()):
        print(
            f"{depth:5d}  {kind:8s}  {np.mean(run['loss'][-last:]):10.3f}  {run['gradient_norm'][0]:24.1e}  "
            f"{np.mean(run['gradient_norm'][-last:]):16.1e}  {run['accuracy']:13.4f}"
        )
    print(f"plot: {os.path.join(args.out, PLOT_NAME)}")
    return runs


if __name__ == "__main__":
    main()
