"""Autoregressive models of binarized MNIST, trained by exact maximum likelihood: FVSBN and MADE.

    python demos/autoregressive_mnist.py                   # the default run (see MEASURED below)
    python demos/autoregressive_mnist.py --smoke           # a few seconds: tiny settings, see --help

The study notes count what a distribution over n binary pixels costs: a table of the joint needs 2^n - 1
numbers, independent pixels n, a Markov chain 2n - 1; the demo prints these for n = 784. Then it models
all 784 pixels without any independence assumption, by the chain rule

    p(x) = p(x_1) p(x_2 | x_1) ... p(x_784 | x_1 .. x_783),    p(x_i = 1 | x_<i) = sigmoid(logit_i(x_<i))

with two networks whose output i is wired to see only the pixels before i (tinyconv/models/
autoregressive.py): FVSBN, a logistic regression per pixel, and MADE, a masked MLP (one hidden layer of
--hidden units, plus FVSBN's direct connections, as in the MADE paper's experiments). log p(x) is then
exact, a sum of 784 Bernoulli log-probabilities, so training minimizes the negative log-likelihood itself,
in nats per image: -sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)] (F.bernoulli_log_prob). The test NLL
is the same number on the 10,000 test images, comparable with the papers' (lower is better).

Each model trains with Adam at --lr on a cosine schedule; each epoch prints its train and test NLL and
time. At the end: 100 samples of each model drawn pixel by pixel (784 forward passes), saved as a grid,
scored by the judge (demos/judge.py: LeNet-5's inception score and class fractions; 100 samples make it a
rough figure), the curves, both checkpoints, the time and peak memory, and the last line
`MADE test NLL: XX.XX nats`.

Published (binarized MNIST of Larochelle and Murray 2011; the test set here is MNIST's own, binarized
with a fixed seed, see tinyconv/data/binarized_mnist.py): FVSBN 97.45 nats (Larochelle and Murray 2011),
MADE with one hidden layer of 500 units and one mask 88.40 (Germain et al. 2015).
MEASURED (the defaults: FVSBN 10 epochs, MADE with one hidden layer of 500 units 20 epochs, Adam 5e-3 on
a cosine, batch 100, dynamic binarization, seed 0; 2026-12-07, 2-core x86_64 AMD EPYC, one thread:
OPENBLAS_NUM_THREADS=1 through the machine's slot runner, `/usr/bin/time`):
    model    test NLL after epoch 1, 5, 10, 20            published           samples (judge, 100 of them)
    FVSBN    125.04, 99.87, 98.05                    97.45 (Larochelle, Murray)   inception score 4.09
    MADE      99.29, 92.05, 90.63, 88.86             88.40 (Germain et al.)       inception score 6.89
    -> `MADE test NLL: 88.86 nats`, `FVSBN test NLL: 98.05 nats`; in no epoch is a test NLL more than
    0.3 nats above the training NLL (no overfitting: the training images are redrawn at every read).
Epochs took 6 to 11 s (FVSBN) and 13 to 25 s (MADE); training 400 s in all, and the whole run (with the
judge and the 2 x 784 sampling passes) 6 min 55 s of wall time (415 s) for 308 s of CPU, 472 MiB peak:
within the 10-minute target. The real test digits score 9.71 with the same judge. FVSBN's samples are
speckled strokes in the middle of the frame, rarely a digit (the judge calls a third of them 3s); about
half of MADE's are readable (0s, 1s, 6s, 7s, 9s), the rest broken strokes, over all ten classes.
"""

from __future__ import annotations

import argparse
import math
import os

from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    EpochStats,
    add_data_flags,
    add_limit_flag,
    add_out_flag,
    add_seed_flag,
    add_smoke_flag,
    add_test_limit_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    count_parameters,
    curves_figure,
    epoch_line,
    image_grid,
    open_dataset,
    parse_with_smoke,
    progress_bar,
    remove_stale_temporaries,
    save_checkpoint,
    save_figure,
    stop_if_not_finite,
    take_first,
    time_and_memory_line,
)
from judge import add_judge_flag, load_judge, real_test_reference

import tinyconv
import tinyconv.functional as F
from tinyconv import optim
from tinyconv.data import DataLoader
from tinyconv.models import FVSBN, MADE
from tinyconv.models.autoregressive import sample
from tinyconv.nn import MaskedLinear

PIXELS = 28 * 28
MODELS = ("fvsbn", "made")
PLOT_NAME = "autoregressive_mnist_curves.png"
SAMPLE_NAMES = {name: f"autoregressive_mnist_{name}_samples.png" for name in MODELS}
CHECKPOINT_NAMES = {name: f"autoregressive_mnist_{name}.ckpt" for name in MODELS}
SMOKE = {"fvsbn_epochs": 1, "made_epochs": 1, "limit": 1000, "test_limit": 500, "hidden": 64, "samples": 4}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="FVSBN and MADE on binarized MNIST, by maximum likelihood.")
    parser.add_argument("--fvsbn-epochs", type=int, default=10, help="passes over the training set for FVSBN")
    parser.add_argument("--made-epochs", type=int, default=20, help="passes over the training set for MADE")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--lr", type=float, default=5e-3, help="Adam's learning rate at the start of the cosine"
    )
    parser.add_argument("--hidden", type=int, default=500, help="MADE's hidden units")
    parser.add_argument("--samples", type=int, default=100, help="samples drawn from each model at the end")
    parser.add_argument(
        "--binarization",
        choices=["dynamic", "static"],
        default="dynamic",
        help="of the training images: a new draw every epoch, or one fixed draw (the test set: static)",
    )
    add_seed_flag(parser)
    add_data_flags(parser)
    add_limit_flag(parser)
    add_test_limit_flag(parser)
    add_out_flag(parser, "autoregressive_mnist")
    add_judge_flag(parser)
    add_smoke_flag(parser, SMOKE)
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(parser, args, "fvsbn_epochs", "made_epochs", "batch_size", "hidden", "samples")
    check_at_least_one(parser, args, "limit", "test_limit")
    check_positive(parser, args, "lr")
    return args


def parameter_counts(n: int) -> dict:
    """The notes' parameter counts for a distribution over n binary pixels, and the two models' own.

    joint table: one probability per configuration, 2^n of them, minus 1 because they sum to 1;
    independent: p(x_i = 1) for each pixel; Markov chain: p(x_1) and, for each later pixel,
    p(x_i = 1 | x_{i-1}) for both values of x_{i-1}: 1 + 2(n - 1) = 2n - 1;
    FVSBN: a weight for each pair j < i and a bias per pixel.
    """
    return {
        "full joint table, 2^n - 1": 2**n - 1,
        "independent pixels, n": n,
        "Markov chain, 2n - 1": 2 * n - 1,
        "FVSBN (logistic regressions), n(n-1)/2 + n": n * (n - 1) // 2 + n,
    }


def print_parameter_counts(n: int) -> None:
    print(f"parameters of a distribution over n = {n} binary pixels:")
    for name, count in parameter_counts(n).items():
        digits = len(str(count))
        shown = f"{count:,}" if digits <= 15 else f"about 10^{digits - 1} (a number of {digits} digits)"
        print(f"  {name:<44} {shown}")


def unmasked_parameters(model) -> int:
    """The parameters FVSBN or MADE really uses (all of them are in MaskedLinear layers, which store their
    masked weights too, as zeros): the weights the masks keep, plus the biases."""
    layers = [layer for layer in model.modules() if isinstance(layer, MaskedLinear)]
    return sum(
        int(layer.mask.data.sum()) + (0 if layer.bias is None else layer.bias.numel()) for layer in layers
    )


@tinyconv.no_grad()
def test_nll(model, test_set) -> float:
    """-log p(x) in nats, averaged over the images of `test_set` (exact for these models)."""
    model.eval()
    total = 0.0
    for images, _ in DataLoader(test_set, batch_size=1000):
        x = images.flatten(1)
        total -= F.bernoulli_log_prob(model(x), x).sum().item()
    return total / len(test_set)


def train(name: str, model, epochs: int, train_set, test_set, args: argparse.Namespace, path: str) -> dict:
    """Maximum likelihood: minimize the exact negative log-likelihood of the training images; a checkpoint
    at `path` after every epoch. Returns the history {'train_nll': [...], 'test_nll': [...], 'seconds':
    [...]}, one value per epoch."""
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = {"train_nll": [], "test_nll": [], "seconds": []}
    print(
        f"training {name} ({count_parameters(model):,} parameters, {unmasked_parameters(model):,} of them "
        f"not masked) for {epochs} epochs"
    )
    for epoch in range(epochs):
        tinyconv.manual_seed(args.seed * 1000 + epoch)  # the batch order depends only on (seed, epoch)
        model.train()
        stats = EpochStats()
        batches = progress_bar(DataLoader(train_set, args.batch_size, shuffle=True), f"{name} {epoch + 1}")
        for images, _ in batches:
            x = images.flatten(1)  # (B, 784) of 0.0 and 1.0
            logits = model(x)  # logit i sees x_1 .. x_{i-1} only
            loss = -F.bernoulli_log_prob(logits, x).mean()  # the exact NLL, nats per image
            stop_if_not_finite(loss, f"{name} epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats.add(loss.item(), len(x))
            batches.set_postfix(stats.postfix())
        scheduler.step()
        row = dict(train_nll=stats.loss, test_nll=test_nll(model, test_set), seconds=stats.seconds)
        for key, value in row.items():
            history[key].append(value)
        print(f"{name} " + epoch_line(epoch + 1, epochs, row))
        save_checkpoint(path, model, optimizer, history, epoch + 1, args)
    return history


def main(argv=None) -> float:
    args = parse_args(argv)
    check_out_folder(args.out)
    names = [PLOT_NAME, *SAMPLE_NAMES.values(), *CHECKPOINT_NAMES.values()]
    remove_stale_temporaries(args.out, names)
    judge = load_judge(args.judge, args.data_dir)
    print_parameter_counts(PIXELS)

    dynamic = args.binarization == "dynamic"
    train_set = open_dataset("binarized-mnist", args.data_dir, train=True, dynamic=dynamic)
    train_set = take_first(train_set, args.limit)
    test_set = take_first(open_dataset("binarized-mnist", args.data_dir, train=False), args.test_limit)
    print(
        f"binarized MNIST: {len(train_set):,} training images ({args.binarization} binarization), "
        f"{len(test_set):,} test images (static)"
    )
    tinyconv.manual_seed(args.seed)
    models = {"fvsbn": FVSBN(PIXELS), "made": MADE(PIXELS, [args.hidden])}
    epochs = {"fvsbn": args.fvsbn_epochs, "made": args.made_epochs}
    histories = {}
    for name, model in models.items():
        path = os.path.join(args.out, CHECKPOINT_NAMES[name])
        histories[name] = train(name.upper(), model, epochs[name], train_set, test_set, args, path)

    real_features, ceiling = real_test_reference(judge, args.data_dir, args.test_limit)
    print(ceiling.line("real test images (the judge's ceiling)"))
    for name, model in models.items():
        tinyconv.manual_seed(args.seed)
        samples = sample(model, args.samples, PIXELS)
        columns = math.ceil(math.sqrt(args.samples))
        title = f"{name.upper()}: samples drawn pixel by pixel"
        save_figure(image_grid(samples, columns, title), os.path.join(args.out, SAMPLE_NAMES[name]))
        print(judge.score(samples, real_features).line(f"{name.upper()} samples ({args.samples})"))

    panels = {"test NLL (nats per image)": {name.upper(): histories[name]["test_nll"] for name in MODELS}}
    panels["training NLL (nats per image)"] = {name.upper(): histories[name]["train_nll"] for name in MODELS}
    save_figure(curves_figure(panels, "FVSBN and MADE on binarized MNIST"), os.path.join(args.out, PLOT_NAME))
    print(f"samples: {', '.join(SAMPLE_NAMES.values())}; curves: {PLOT_NAME}; in {args.out}")
    print(time_and_memory_line(sum(sum(history["seconds"]) for history in histories.values())))
    fvsbn_nll, made_nll = histories["fvsbn"]["test_nll"][-1], histories["made"]["test_nll"][-1]
    print(f"FVSBN test NLL: {fvsbn_nll:.2f} nats (published 97.45)")
    print(f"MADE test NLL: {made_nll:.2f} nats")
    return made_nll


if __name__ == "__main__":
    main()
