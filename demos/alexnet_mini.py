"""Train the small AlexNet on MNIST or Fashion-MNIST with tinyconv, on the CPU, in a few minutes.

    python demos/alexnet_mini.py                                 # the default run (about 4 minutes)
    python demos/alexnet_mini.py --dataset fashion               # Zalando's clothes instead of digits
    python demos/alexnet_mini.py --limit 60000 --epochs 10       # all 60,000 images (~37 minutes, estimated)
    python demos/alexnet_mini.py --epochs 1 --limit 1024 --test-limit 500  # a smoke run (seconds)
    python demos/alexnet_mini.py --resume --epochs 5             # continue from the last checkpoint

The network is `AlexNet(small=True, in_channels=1)` from tinyconv/models/alexnet.py: every idea of
Krizhevsky, Sutskever and Hinton (2012) at a size a laptop trains. ReLU, local response normalization
after conv1 and conv2, overlapping 3x3 max pooling of stride 2, conv2/4/5 as two towers (groups=2),
dropout 0.5 before fc6 and fc7, and data augmentation: each training image is shifted by up to 2 pixels
in each direction, a new shift every epoch, and on Fashion-MNIST also mirrored left to right half of
the time (a shoe facing left is still a shoe; a mirrored 3 is no digit, so MNIST gets no flip).

The training loop is the LeNet demo's, written out in main(): data -> model -> loss -> backward ->
optimizer step; per epoch the loss, train and test accuracy and time; the learning rate on a cosine
from --lr to 0; a checkpoint (model, optimizer, history, settings) and a plot of the curves in --out
(default runs/alexnet_mini), both written atomically; --resume refuses a checkpoint trained with other
settings. The plumbing (flags, progress bar, checkpoints, plot) is demos/common.py's, shared by every
demo. The last line is `test accuracy: 0.XXXX`.

The default run trains on the first 20,000 training images (--limit) for 3 epochs and tests on all
10,000: the small AlexNet has 367,242 parameters, six times LeNet-5's, and trains at about 285 images
a second on 2 cores, so all 60,000 would take 3.5 minutes an epoch. The training accuracy printed is
counted while training, with dropout on and on shifted images, so it sits below the test accuracy.

MEASURED (the default run, seed 0, 2026-11-23, 2-core x86 CPU, `/usr/bin/time -v`): 4 min 11 s wall,
252 MiB peak RSS; 212 s of it training, the rest reading MNIST and testing after each epoch.
    epoch   loss    train accuracy   test accuracy
      1    0.8066       0.7270           0.9704
      2    0.1779       0.9474           0.9816
      3    0.1089       0.9685           0.9854      -> `test accuracy: 0.9854`
Fashion-MNIST is not on the machine this was measured on: --dataset fashion has run only on small
generated files in its format (tests/demos/test_alexnet_mini.py), so no accuracy is claimed for it here.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    DATASETS,
    EpochStats,
    add_data_flags,
    add_limit_flag,
    add_out_flag,
    add_resume_flag,
    add_seed_flag,
    add_test_limit_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    count_correct,
    count_parameters,
    curves_figure,
    epoch_line,
    evaluate,
    make_optimizer,
    open_dataset,
    progress_bar,
    remove_stale_temporaries,
    restore,
    resume_checkpoint,
    save_checkpoint,
    save_figure,
    stop_if_not_finite,
    take_first,
    time_and_memory_line,
)
from matplotlib.figure import Figure

import tinyconv
import tinyconv.functional as F
from tinyconv import optim
from tinyconv.data import Compose, DataLoader, RandomCrop, RandomHorizontalFlip
from tinyconv.models import AlexNet

CHECKPOINT_NAME = "alexnet_mini.ckpt"
PLOT_NAME = "alexnet_mini_curves.png"
# Settings a resumed run must share with the checkpoint's run (--epochs may grow, --data-dir move).
RESUME_MUST_MATCH = ("dataset", "optimizer", "lr", "batch_size", "seed", "limit", "test_limit", "augment")
# Test images per forward pass. Larger batches are slower per image on the CPU: the im2col matrix of
# conv1 for 1,000 images (25 x 1,024,000 floats) no longer fits in the cache.
EVAL_BATCH = 100


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the small AlexNet on MNIST or Fashion-MNIST.")
    add_data_flags(parser, datasets=("mnist", "fashion"))
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3, help="initial learning rate (try 0.01 for sgd)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    add_seed_flag(parser)
    add_limit_flag(parser, default=20000)
    add_test_limit_flag(parser)
    add_out_flag(parser, "alexnet_mini")
    add_resume_flag(parser)
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="random 2-pixel shifts (and, on Fashion-MNIST, mirror images)",
    )
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, "epochs", "batch_size", "limit", "test_limit")
    check_positive(parser, args, "lr")
    return args


def pad_to_32(images: np.ndarray) -> np.ndarray:
    """Raw pixel batches (B, 1, 28, 28) -> (B, 1, 32, 32), with 2 black pixels on every side.

    The small AlexNet, like LeNet-5 in 1998, takes 32x32 inputs; MNIST's 28x28 digits sit in the middle
    with their border of background. Padding here, as a transform, rather than with F.pad inside the
    model: the transform sees raw pixels, so 0 is black, the background itself; after normalization
    the background is -mean/std, and F.pad's zeros would draw a grey frame around every image.
    """
    return np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))


def make_transforms(dataset: str, augment: bool) -> tuple:
    """(training transform, test transform) for raw uint8 batches of `dataset`."""
    if not augment:
        return pad_to_32, pad_to_32
    steps = [pad_to_32, RandomCrop(32, padding=2)]  # a shift of -2..+2 pixels each way
    if dataset == "fashion":
        steps.append(RandomHorizontalFlip())
    return Compose(steps), pad_to_32


def plot_curves(history: dict, title: str, augmented: bool) -> Figure:
    """The loss and the train and test accuracy per epoch, as a matplotlib Figure.

    The training accuracy is counted while training: with dropout on, and on augmented images if so.
    """
    train_label = "train (dropout on, augmented)" if augmented else "train (dropout on)"
    return curves_figure(
        {
            "training loss (cross-entropy)": {"train": history["loss"]},
            "accuracy (fraction correct)": {
                train_label: history["train_accuracy"],
                "test": history["test_accuracy"],
            },
        },
        title,
    )


def main(argv=None) -> float:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [CHECKPOINT_NAME, PLOT_NAME])
    checkpoint_path, plot_path = os.path.join(args.out, CHECKPOINT_NAME), os.path.join(args.out, PLOT_NAME)
    checkpoint = resume_checkpoint(checkpoint_path, args, RESUME_MUST_MATCH) if args.resume else None

    train_transform, test_transform = make_transforms(args.dataset, args.augment)
    train_set = open_dataset(args.dataset, args.data_dir, train=True, transform=train_transform)
    test_set = open_dataset(args.dataset, args.data_dir, train=False, transform=test_transform)
    train_set, test_set = take_first(train_set, args.limit), take_first(test_set, args.test_limit)

    tinyconv.manual_seed(args.seed)
    model = AlexNet(num_classes=10, small=True, in_channels=1)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": [], "seconds": []}
    start_epoch = 0
    if checkpoint is not None:
        history, start_epoch = restore(checkpoint, model, optimizer)
        print(f"resumed from {checkpoint_path} after epoch {start_epoch}")
    # Epoch e (0-based) trains at args.lr * (1 + cos(pi * e / epochs)) / 2: one step() per epoch.
    # On --resume, last_epoch picks the schedule up after the finished epochs, stretched over this
    # run's --epochs (PyTorch's way to continue a scheduler; the optimizer's state holds the rest).
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs, last_epoch=start_epoch - 1)

    title = f"small AlexNet on {DATASETS[args.dataset].__name__}"
    print(
        f"training the {title} ({count_parameters(model):,} parameters) on "
        f"{len(train_set):,} images, testing on {len(test_set):,}"
    )
    for epoch in range(start_epoch, args.epochs):
        # The random order, shifts, flips and dropout masks of each epoch depend only on (seed, epoch),
        # so --resume replays the epochs of an uninterrupted run exactly.
        tinyconv.manual_seed(args.seed * 1000 + epoch)
        model.train()  # dropout on
        stats = EpochStats()
        loader = DataLoader(train_set, args.batch_size, shuffle=True)
        batches = progress_bar(loader, f"epoch {epoch + 1}/{args.epochs}")
        for images, labels in batches:
            logits = model(images)
            loss = F.cross_entropy(logits, labels)
            stop_if_not_finite(loss, f"epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats.add(loss.item(), len(labels), count_correct(logits, labels))
            batches.set_postfix(stats.postfix())
        seconds = stats.seconds
        scheduler.step()

        test_accuracy = evaluate(model, test_set, batch_size=EVAL_BATCH)  # in eval mode: dropout off
        row = dict(
            loss=stats.loss, train_accuracy=stats.accuracy, test_accuracy=test_accuracy, seconds=seconds
        )
        for name, value in row.items():
            history[name].append(value)
        print(epoch_line(epoch + 1, args.epochs, row))
        save_checkpoint(checkpoint_path, model, optimizer, history, epoch + 1, args)
        save_figure(plot_curves(history, title, args.augment), plot_path)

    print(f"checkpoint: {checkpoint_path}\ncurves: {plot_path}")
    print(time_and_memory_line(sum(history["seconds"])))
    # After a --resume with nothing left to train, the history's last epoch is the model's accuracy.
    final = (
        history["test_accuracy"][-1] if history["test_accuracy"] else evaluate(model, test_set, EVAL_BATCH)
    )
    print(f"test accuracy: {final:.4f}")
    return final


if __name__ == "__main__":
    main()
