"""The multiclass SVM loss against softmax cross-entropy, on the same linear classifier: the notes' sanity
check, why the SVM's sum skips the right class, and both trained on MNIST.

    python demos/losses.py                         # everything (defaults below)
    python demos/losses.py --limit 5000 --epochs 1 # a quick run
    python demos/losses.py --no-training           # the sanity check on random data only: no MNIST

A linear classifier gives C scores s = W x + b. For an example of class y (cs231n, "Linear
classification"; the notes, "Loss Functions"):

    multiclass SVM    L = sum over j != y of max(0, s_j - s_y + 1)     every wrong class that comes within
                                                                        a margin of 1 of the right one costs
    softmax           L = -log( e^(s_y) / sum_j e^(s_j) )                 the negative log-probability of y

PyTorch's F.multi_margin_loss / nn.MultiMarginLoss (p=1, margin=1, here as in PyTorch) divides the SVM
sum by the number of classes C:  multi_margin_loss = (1/C) sum over j != y of max(0, 1 - s_y + s_j),
so it is cs231n's loss divided by C, and so are its gradients: training with it at a learning rate lr
takes the steps that cs231n's form takes at lr / C. Both are printed; F.multiclass_hinge_loss is
cs231n's form (tinyconv/functional/loss.py).

1. The sanity check (the notes: "초기 W ... Total loss = (Class 개수) - 1"). With small random weights
   every score is about 0, so each of the C - 1 wrong classes costs max(0, 0 - 0 + 1) = 1: the SVM
   loss starts near C - 1 (9 for MNIST's 10 digits; PyTorch's (C - 1) / C = 0.9), and softmax gives every
   class probability 1/C: -log(1/C) = ln C (2.303). A first loss far from these means a bug in the loss
   or the data. Printed for C = 3, 10 and 100 on random inputs, and for MNIST's first images.
2. Why the sum skips j = y (the notes: "j = yi를 빼는 이유"): its term would be max(0, s_y - s_y + 1) = 1,
   whatever the weights. Every example would cost at least 1, and a classifier that is perfect with
   room to spare would score 1 instead of 0. Shown on perfect scores (10 for the right class, 0 for the
   others) and on the trained classifier: the sum over all j is exactly the loss plus 1.
3. Both trained on MNIST: the same Linear(784, 10), the same start (weights N(0, 0.001^2), biases 0),
   the same batches, SGD with momentum 0.9 at lr 0.01, for --epochs over the first --limit images;
   test accuracy printed after each epoch. The SVM is content once every margin is met (its loss is
   then exactly 0: the share of training images where it is, is printed), while the cross-entropy keeps
   pushing the right class up on every image (its loss is never 0: it prints as 0 only where float32
   rounds p_y to 1). losses.png draws the training curves and accuracies,
   losses_templates.png each class's row of W as a 28x28 image (the "templates" of cs231n).

MEASURED (the default run, seed 0, 2026-12-07, 2-core x86 CPU under a load average of about 17 from
other jobs, OPENBLAS_NUM_THREADS=1, `/usr/bin/time`): 16 s wall, 4.3 s of CPU, 192 MiB peak memory.
The first losses on MNIST's first 1,000 images: SVM 8.9929 (C - 1 = 9), PyTorch's 0.8993 (0.9),
softmax 2.3023 (ln 10 = 2.3026); on random data with C = 3 and 100: 2.0035 and 98.85 (2 and 99), 1.1000
and 4.6041 (ln C = 1.0986 and 4.6052). Perfect scores: 0.0 skipping j = y, 1.0 over all j; on the
trained classifier the difference is 1.000000 for every image. After 3 epochs on all 60,000 images:
test accuracy 0.9183 with the SVM loss, 0.9210 with softmax; the SVM loss is exactly 0 on 77.6% of
the training images, the cross-entropy on 0.1% (where float32 rounds p_y to 1).
"""

from __future__ import annotations

import argparse
import math
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

CURVES_PLOT = "losses.png"
TEMPLATES_PLOT = "losses_templates.png"
SMALL = 0.001  # the standard deviation of the small random starting weights
# The two losses, as PyTorch's functions: F.multi_margin_loss is nn.MultiMarginLoss's computation.
LOSSES = {"multiclass SVM": F.multi_margin_loss, "softmax cross-entropy": F.cross_entropy}


# ----------------------------------------------------------------------- 1. the sanity check
def small_linear(features: int, classes: int) -> nn.Linear:
    """A Linear(features, classes) with weights N(0, SMALL^2) and biases 0: every score starts near 0."""
    linear = nn.Linear(features, classes)
    nn.init.normal_(linear.weight, std=SMALL)
    nn.init.zeros_(linear.bias)
    return linear


def first_losses(scores: tinyconv.Tensor, labels) -> dict:
    """The three losses of the scores (N, C) of an untrained classifier, averaged over the N examples."""
    return {
        "SVM, cs231n's sum": F.multiclass_hinge_loss(scores, labels).item(),
        "SVM, PyTorch's (sum / C)": F.multi_margin_loss(scores, labels).item(),
        "softmax cross-entropy": F.cross_entropy(scores, labels).item(),
    }


def expected_first_losses(classes: int) -> dict:
    """What first_losses should be when every score is 0: C - 1, (C - 1) / C and ln C."""
    return {
        "SVM, cs231n's sum": classes - 1,
        "SVM, PyTorch's (sum / C)": (classes - 1) / classes,
        "softmax cross-entropy": math.log(classes),
    }


def sanity_check_on_random_data(classes: int, rng: np.random.Generator) -> dict:
    """first_losses of a small random Linear(784, classes) on 500 random inputs N(0, 1) and labels."""
    x = tinyconv.Tensor(rng.standard_normal((500, 784)).astype(np.float32))
    labels = rng.integers(0, classes, size=500)
    with tinyconv.no_grad():
        return first_losses(small_linear(784, classes)(x), labels)


def sanity_table(rows: dict) -> str:
    """rows: {row name: (C, measured losses)}; each loss shown next to its expected value."""
    names = list(expected_first_losses(10))
    lines = [f"{'':24s}" + "".join(f"{name:>32s}" for name in names)]
    for row, (classes, measured) in rows.items():
        expected = expected_first_losses(classes)
        cells = "".join(f"{f'{measured[n]:.4f} (expected {expected[n]:.4f})':>32s}" for n in names)
        lines.append(f"{row:24s}{cells}")
    return "\n".join(lines)


# ------------------------------------------------------------------- 2. why j = y is skipped
def svm_sum_over_all_classes(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """sum over every j, j = y included, of max(0, s_j - s_y + 1), per example: the loss without the skip."""
    right = scores[np.arange(len(labels)), labels][:, None]
    return np.maximum(0, scores - right + 1).sum(axis=1)


def perfect_scores(labels: np.ndarray, classes: int) -> np.ndarray:
    """Scores of a classifier right with room to spare: 10 for the right class, 0 for the others."""
    scores = np.zeros((len(labels), classes), dtype=np.float32)
    scores[np.arange(len(labels)), labels] = 10
    return scores


# ------------------------------------------------------------------------ 3. both trained
def train(loss_name: str, model: nn.Module, train_set, test_set, args: argparse.Namespace) -> dict:
    """SGD with momentum 0.9 at lr 0.01 on LOSSES[loss_name]; the loss of every step and the test accuracy
    after every epoch."""
    criterion = LOSSES[loss_name]
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    tinyconv.manual_seed(args.seed)  # the same batches, in the same order, for both losses
    history = {"losses": [], "test_accuracy": []}
    for epoch in range(args.epochs):
        for images, labels in progress_bar(
            DataLoader(train_set, 100, shuffle=True), f"{loss_name} {epoch + 1}"
        ):
            loss = criterion(model(images), labels)
            stop_if_not_finite(loss, f"{loss_name}, epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["losses"].append(loss.item())
        history["test_accuracy"].append(evaluate(model, test_set))
        print(f"  {loss_name:22s} epoch {epoch + 1}: test accuracy {history['test_accuracy'][-1]:.4f}")
    return history


def per_image_losses(model: nn.Module, dataset, loss_name: str) -> np.ndarray:
    """LOSSES[loss_name] of each image of `dataset` (reduction='none'), in batches of 1,000."""
    losses = []
    with tinyconv.no_grad():
        for images, labels in DataLoader(dataset, 1000):
            losses.append(LOSSES[loss_name](model(images), labels, reduction="none").numpy())
    return np.concatenate(losses)


def running_mean(values: list, window: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    window = min(window, len(values))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_curves(histories: dict, first: dict) -> Figure:
    """A panel per loss (every step's loss, faint, their running mean over 50 steps, and the sanity value
    of the start), and the test accuracy after each epoch."""
    figure = Figure(figsize=(15, 4.4), layout="constrained")
    panels = figure.subplots(1, 3)
    for axes, (name, history), color in zip(panels, histories.items(), ("tab:red", "tab:blue")):
        steps = np.arange(1, len(history["losses"]) + 1)
        smooth = running_mean(history["losses"], 50)
        axes.plot(steps, history["losses"], color=color, alpha=0.25, linewidth=0.6)
        axes.plot(steps[len(steps) - len(smooth) :], smooth, color=color, label="mean of 50 steps")
        axes.axhline(
            first[name], color="gray", linestyle="--", label=f"sanity value at the start: {first[name]:.3f}"
        )
        axes.set(
            xlabel="step (batch of 100)",
            ylabel="training loss (each batch)",
            title=name,
            ylim=(0, None),
        )
        axes.legend()
    accuracy_axes = panels[2]
    for (name, history), color in zip(histories.items(), ("tab:red", "tab:blue")):
        epochs = range(1, len(history["test_accuracy"]) + 1)
        accuracy_axes.plot(epochs, history["test_accuracy"], "o-", color=color, label=name)
    accuracy_axes.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.85, 0.95))
    accuracy_axes.set_title("the same linear classifier, two losses")
    accuracy_axes.xaxis.get_major_locator().set_params(integer=True)
    accuracy_axes.legend()
    figure.suptitle(
        "MNIST, Linear(784, 10): multiclass SVM (PyTorch's MultiMarginLoss) and softmax cross-entropy"
    )
    return figure


def plot_templates(weights: dict) -> Figure:
    """Each class's row of W as a 28x28 image, a row of ten per loss (red: positive, blue: negative)."""
    figure = Figure(figsize=(13, 3.4), layout="constrained")
    grid = figure.subplots(len(weights), 10, squeeze=False)
    for row, (name, weight) in enumerate(weights.items()):
        scale = float(np.abs(weight).max())
        for digit, axes in enumerate(grid[row]):
            axes.imshow(weight[digit].reshape(28, 28), cmap="bwr", vmin=-scale, vmax=scale)
            axes.set_xticks([])
            axes.set_yticks([])
            axes.set_title(str(digit), fontsize=9)
            if digit == 0:
                axes.set_ylabel(name.replace(" ", "\n", 1), fontsize=9)
    figure.suptitle(
        "each class's weights W[c] as an image: what a linear classifier matches (cs231n's templates)"
    )
    return figure


# ------------------------------------------------------------------------------------- main
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Multiclass SVM loss against softmax cross-entropy.")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training images")
    parser.add_argument("--no-training", action="store_true", help="the sanity check on random data only")
    add_limit_flag(parser)
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "losses")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, "epochs", "limit")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [CURVES_PLOT, TEMPLATES_PLOT])
    rng = np.random.default_rng(args.seed)
    tinyconv.manual_seed(args.seed)

    sanity = {f"random data, C = {c}": (c, sanity_check_on_random_data(c, rng)) for c in (3, 10, 100)}
    labels = np.arange(1000) % 10
    perfect = perfect_scores(labels, 10)
    skip_j = {
        "skipping j = y": F.multiclass_hinge_loss(tinyconv.Tensor(perfect), labels).item(),
        "over all j": float(svm_sum_over_all_classes(perfect, labels).mean()),
    }
    result = {"sanity": sanity, "perfect": skip_j}
    if not args.no_training:
        train_set = take_first(open_dataset("mnist", args.data_dir, train=True), args.limit)
        test_set = open_dataset("mnist", args.data_dir, train=False)
        tinyconv.manual_seed(args.seed)
        initial = nn.Sequential(nn.Flatten(), small_linear(784, 10))  # both losses start from it
        images, labels = train_set[np.arange(min(1000, len(train_set)))]
        with tinyconv.no_grad():
            sanity["MNIST, first 1,000"] = (10, first_losses(initial(tinyconv.Tensor(images)), labels))

    print("1. the first loss of a classifier with small random weights (every score near 0):")
    print(sanity_table(sanity))
    print(
        f"\n2. perfect scores (10 for the right class, 0 for the others): the SVM loss is "
        f"{skip_j['skipping j = y']:.1f} skipping j = y, {skip_j['over all j']:.1f} summing over all j"
    )
    if args.no_training:
        return result

    print(f"\n3. both losses, Linear(784, 10) on {len(train_set):,} images, {args.epochs} epochs:")
    histories, weights, zero_share, start = {}, {}, {}, time.perf_counter()
    for name in LOSSES:
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        model.load_state_dict(initial.state_dict())
        histories[name] = train(name, model, train_set, test_set, args)
        weights[name] = model[1].weight.numpy().copy()
        zero_share[name] = float((per_image_losses(model, train_set, name) == 0).mean())
        if name == "multiclass SVM":  # the sum over all j against the loss, on the trained classifier
            with tinyconv.no_grad():  # float64 from here: the difference is then 1 to the last digit
                scores = model(tinyconv.Tensor(images)).numpy().astype(np.float64)
            cs231n = F.multiclass_hinge_loss(tinyconv.Tensor(scores), labels, reduction="none").numpy()
            skip_j["trained: over all j minus skipping"] = svm_sum_over_all_classes(scores, labels) - cs231n
    seconds = time.perf_counter() - start
    difference = skip_j["trained: over all j minus skipping"]
    print(
        f"2. again, on the SVM-trained classifier (first 1,000 images): the sum over all j minus the loss is "
        f"{difference.min():.6f} to {difference.max():.6f}: the constant 1 of j = y"
    )
    print(f"\n{'loss':22s} {'test accuracy':>14s} {'training images with a loss of exactly 0':>42s}")
    for name, history in histories.items():
        print(f"{name:22s} {history['test_accuracy'][-1]:14.4f} {zero_share[name]:42.1%}")

    first = {
        "multiclass SVM": sanity["MNIST, first 1,000"][1]["SVM, PyTorch's (sum / C)"],
        "softmax cross-entropy": sanity["MNIST, first 1,000"][1]["softmax cross-entropy"],
    }
    save_figure(plot_curves(histories, first), os.path.join(args.out, CURVES_PLOT))
    save_figure(plot_templates(weights), os.path.join(args.out, TEMPLATES_PLOT))
    print(f"figures: {os.path.join(args.out, CURVES_PLOT)}, {os.path.join(args.out, TEMPLATES_PLOT)}")
    print(time_and_memory_line(seconds))
    return {**result, "histories": histories, "zero_share": zero_share}


if __name__ == "__main__":
    main()
