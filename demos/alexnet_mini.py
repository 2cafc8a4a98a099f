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

The training loop is the LeNet demo's (demos/lenet_mnist.py): its helpers (train_one_epoch, evaluate,
the checkpoint check, the plot) are imported from there, and the epochs are written out below:
data -> model -> loss -> backward -> optimizer step; per epoch the loss, train and test accuracy and
time; the learning rate on a cosine from --lr to 0; a checkpoint (model, optimizer, history, settings)
and a plot of the curves in --out (default runs/alexnet_mini), both written atomically; --resume
refuses a checkpoint trained with other settings. The last line is `test accuracy: 0.XXXX`.

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
generated files in its format (tests/test_issue3_demos.py), so no accuracy is claimed for it here.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

# The LeNet demo's training machinery: the same progress bar, checkpoints and plots. It lies beside this
# file, in demos/, which Python puts on the import path when it runs this file.
from lenet_mnist import evaluate, load_checkpoint_to_resume, make_optimizer, save_plot, train_one_epoch

import tinyconv
from tinyconv import optim
from tinyconv.data import MNIST, Compose, DataLoader, FashionMNIST, RandomCrop, RandomHorizontalFlip, Subset
from tinyconv.models import AlexNet

CHECKPOINT_NAME = "alexnet_mini.ckpt"
PLOT_NAME = "alexnet_mini_curves.png"
DATASETS = {"mnist": MNIST, "fashion": FashionMNIST}
# Settings a resumed run must share with the checkpoint's run (--epochs may grow, --data-dir move).
RESUME_MUST_MATCH = ("dataset", "optimizer", "lr", "batch_size", "seed", "limit", "test_limit", "augment")
# Test images per forward pass. Larger batches are slower per image on the CPU: the im2col matrix of
# conv1 for 1,000 images (25 x 1,024,000 floats) no longer fits in the cache.
EVAL_BATCH = 100


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the small AlexNet on MNIST or Fashion-MNIST.")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3, help="initial learning rate (try 0.01 for sgd)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the dataset's files (default: $TINYCONV_DATA or ~/.cache/tinyconv)",
    )
    parser.add_argument("--limit", type=int, default=20000, help="train on the first N images only")
    parser.add_argument("--test-limit", type=int, default=None, help="test on the first N test images only")
    parser.add_argument("--out", default=os.path.join("runs", "alexnet_mini"), help="output folder")
    parser.add_argument(
        "--resume", action="store_true", help="continue from the checkpoint in --out (same settings)"
    )
    parser.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="random 2-pixel shifts (and, on Fashion-MNIST, mirror images)",
    )
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "limit", "test_limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
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


def main(argv=None) -> float:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    checkpoint_path = os.path.join(args.out, CHECKPOINT_NAME)
    checkpoint = load_checkpoint_to_resume(args, checkpoint_path, RESUME_MUST_MATCH) if args.resume else None

    dataset_class = DATASETS[args.dataset]
    train_transform, test_transform = make_transforms(args.dataset, args.augment)
    train_set = dataset_class(args.data_dir, train=True, transform=train_transform)
    test_set = dataset_class(args.data_dir, train=False, transform=test_transform)
    if args.limit is not None:
        train_set = Subset(train_set, np.arange(min(args.limit, len(train_set))))
    if args.test_limit is not None:
        test_set = Subset(test_set, np.arange(min(args.test_limit, len(test_set))))

    tinyconv.manual_seed(args.seed)
    model = AlexNet(num_classes=10, small=True, in_channels=1)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": [], "seconds": []}
    start_epoch = 0
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])  # its groups keep 'initial_lr'
        history, start_epoch = checkpoint["history"], checkpoint["epoch"]
        print(f"resumed from {checkpoint_path} after epoch {start_epoch}")
    # Epoch e (0-based) trains at args.lr * (1 + cos(pi * e / epochs)) / 2: one step() per epoch.
    # On --resume, last_epoch picks the schedule up after the finished epochs, stretched over this
    # run's --epochs (PyTorch's way to continue a scheduler; the optimizer's state holds the rest).
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs, last_epoch=start_epoch - 1)

    title = f"small AlexNet on {dataset_class.__name__}"
    print(
        f"training the {title} ({sum(p.numel() for p in model.parameters()):,} parameters) on "
        f"{len(train_set):,} images, testing on {len(test_set):,}"
    )
    for epoch in range(start_epoch, args.epochs):
        # The random order, shifts, flips and dropout masks of each epoch depend only on (seed, epoch),
        # so --resume replays the epochs of an uninterrupted run exactly.
        tinyconv.manual_seed(args.seed * 1000 + epoch)
        loader = DataLoader(train_set, args.batch_size, shuffle=True)
        start = time.perf_counter()
        loss, train_accuracy = train_one_epoch(model, loader, optimizer, f"epoch {epoch + 1}/{args.epochs}")
        seconds = time.perf_counter() - start
        scheduler.step()
        test_accuracy = evaluate(model, test_set, batch_size=EVAL_BATCH)
        for key, value in zip(history, (loss, train_accuracy, test_accuracy, seconds)):
            history[key].append(value)
        print(
            f"epoch {epoch + 1:2d}/{args.epochs}  loss {loss:.4f}  train accuracy {train_accuracy:.4f}  "
            f"test accuracy {test_accuracy:.4f}  time {seconds:.1f} s"
        )
        tinyconv.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "history": history,
                "epoch": epoch + 1,
                "args": vars(args),
            },
            checkpoint_path,
        )
        save_plot(
            history, os.path.join(args.out, PLOT_NAME), title, train_label="train (dropout on, augmented)"
        )

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(
        f"checkpoint: {checkpoint_path}\ncurves: {os.path.join(args.out, PLOT_NAME)}\n"
        f"training time {sum(history['seconds']):.1f} s, peak memory {peak_mib:.0f} MiB"
    )
    final = (
        history["test_accuracy"][-1] if history["test_accuracy"] else evaluate(model, test_set, EVAL_BATCH)
    )
    print(f"test accuracy: {final:.4f}")
    return final


if __name__ == "__main__":
    main()
