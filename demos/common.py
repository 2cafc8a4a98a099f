"""What every demo needs around its training loop: flags, data, checkpoints, progress, plots, errors.

A demo imports the pieces it needs and writes its own loop (data -> model -> loss -> backward -> step)
in its own file, where a reader sees it on one screen. Everything else, which is the same in every
demo, lives here, one plain function per job:

    flags        add_seed_flag, add_out_flag, add_data_flags, add_limit_flag, add_test_limit_flag,
                 add_resume_flag, add_smoke_flag + parse_with_smoke, check_at_least_one, check_positive
    --out        check_out_folder (before the first epoch), remove_stale_temporaries
    data         open_dataset (the library's message plus the demo's --data-dir flag), take_first
    one epoch    progress_bar, EpochStats, count_correct, stop_if_not_finite, evaluate, epoch_line
    checkpoints  save_checkpoint, read_checkpoint (+ non_finite_arrays), resume_checkpoint, restore,
                 make_optimizer (--optimizer), warmup_cosine and linear_warmup_then_cosine (learning-rate
                 schedules for LambdaLR)
    pictures     curves_figure, image_grid, save_figure
    the end      count_parameters, peak_memory_mib, time_and_memory_line

Expected failures (no dataset, a bad checkpoint, an --out folder that cannot be written, a loss that
became NaN) end the demo with `sys.exit(message)`: Python prints the message, a paragraph that says what
went wrong and what to do, on stderr and exits with status 1, without a traceback. A traceback means a
bug; a message means something the user can fix.

The demos run as scripts (`python demos/lenet_mnist.py`): Python puts demos/ on the import path, so
`from common import ...` finds this file. It is not part of the tinyconv package, because none of it is
deep learning: it is argparse, tqdm, pickle files and matplotlib, which a user's own project organizes
its own way.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import resource
import sys
import tempfile
import time

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from tqdm import tqdm

import tinyconv
from tinyconv import optim
from tinyconv.data import MNIST, BinarizedMNIST, DataLoader, DatasetError, FashionMNIST, Subset
from tinyconv.serialization import atomic_write

# The names open_dataset (and --dataset) accepts.
DATASETS = {"mnist": MNIST, "fashion": FashionMNIST, "binarized-mnist": BinarizedMNIST}


# ----------------------------------------------------------------------------------------- flags
def flag(name: str) -> str:
    """The command-line flag of an argparse destination: 'batch_size' -> '--batch-size'."""
    return "--" + name.replace("_", "-")


def add_seed_flag(parser: argparse.ArgumentParser) -> None:
    """--seed: the seed of every random draw (initial weights, batch order, augmentation)."""
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw")


def add_out_flag(parser: argparse.ArgumentParser, demo: str) -> None:
    """--out: the folder the demo writes into, runs/<demo> by default."""
    parser.add_argument("--out", default=os.path.join("runs", demo), help="output folder")


def add_data_flags(parser: argparse.ArgumentParser, datasets: tuple = ("mnist",)) -> None:
    """--data-dir, and --dataset when the demo can train on more than one of DATASETS."""
    if len(datasets) > 1:
        parser.add_argument("--dataset", choices=datasets, default=datasets[0])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the dataset's files (default: $TINYCONV_DATA or ~/.cache/tinyconv)",
    )


def add_limit_flag(parser: argparse.ArgumentParser, default: int | None = None, what: str = "images") -> None:
    """--limit: train on the first N training images (or other `what`) only (all of them by default)."""
    parser.add_argument("--limit", type=int, default=default, help=f"train on the first N {what} only")


def add_test_limit_flag(parser: argparse.ArgumentParser) -> None:
    """--test-limit: test on the first N test images only (all of them by default)."""
    parser.add_argument("--test-limit", type=int, default=None, help="test on the first N test images only")


def add_resume_flag(parser: argparse.ArgumentParser) -> None:
    """--resume: continue from the checkpoint in --out, with the same settings (see resume_checkpoint)."""
    parser.add_argument(
        "--resume", action="store_true", help="continue from the checkpoint in --out (same settings)"
    )


def add_smoke_flag(parser: argparse.ArgumentParser, smoke: dict) -> None:
    """--smoke: tiny settings that run in seconds; its help lists them. Parse with parse_with_smoke."""
    settings = " ".join(
        f"{flag(name)} {' '.join(map(str, value)) if isinstance(value, list) else value}"
        for name, value in smoke.items()
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny settings that run in seconds ({settings}); flags given win",
    )


def parse_with_smoke(parser: argparse.ArgumentParser, argv: list | None, smoke: dict) -> argparse.Namespace:
    """parser.parse_args(argv), where --smoke makes `smoke` ({name: value}) the defaults.

    The smoke settings replace only the defaults, never a flag the user typed: `--smoke --steps 5` runs
    5 steps. (Setting them on the parsed arguments instead would silently overwrite the user's flags.)
    """
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args(argv)
    return args


def check_at_least_one(parser: argparse.ArgumentParser, args: argparse.Namespace, *names: str) -> None:
    """Stop with a usage error if one of the count flags `names` is below 1 (None means 'not given')."""
    for name in names:
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"{flag(name)} must be at least 1, got {value}")


def check_positive(parser: argparse.ArgumentParser, args: argparse.Namespace, *names: str) -> None:
    """Stop with a usage error if one of the flags `names` (a learning rate, a temperature) is not > 0."""
    for name in names:
        value = getattr(args, name)
        if not value > 0:  # `not >` also refuses NaN
            parser.error(f"{flag(name)} must be positive, got {value}")


# ----------------------------------------------------------------------------------------- --out
def check_out_folder(folder: str) -> None:
    """Create `folder` if needed and make sure a file can be written in it, or exit saying why.

    Called before the first epoch, so that a typo in --out or a read-only folder stops the run at once,
    not after an epoch of training that then cannot be saved.
    """
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):  # a nameless file, gone when closed
            pass
    except OSError as error:
        sys.exit(f"--out: cannot write into {folder} ({error}). Give a folder you can write to: --out DIR")


def remove_stale_temporaries(folder: str, names: list) -> list:
    """Delete the temporary files that an interrupted write of one of `names` left in `folder`.

    Every file a demo writes goes through tinyconv.serialization.atomic_write, which writes into
    `.<name>.<random>.part` beside the target and renames it when complete; a run killed in between
    leaves that file behind. Only this demo's own names are touched. Returns the paths removed.
    """
    removed = []
    for name in names:
        for path in glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.*.part")):
            os.remove(path)
            removed.append(path)
            print(f"removed {path}, left by an interrupted run")
    return removed


# ------------------------------------------------------------------------------------------ data
def open_dataset(name: str, data_dir: str | None, train: bool, transform=None, **options) -> MNIST:
    """The training (train=True) or test set of DATASETS[name] (MNIST or a subclass), read from `data_dir`;
    `options` go to the dataset's class (BinarizedMNIST's dynamic=True).

    If the files are missing, corrupt or cannot be downloaded, exit with the library's message (which
    says where it looked and how to place the files by hand) and the demo's own flag for the folder.
    """
    try:
        return DATASETS[name](data_dir, train=train, transform=transform, **options)
    except DatasetError as error:
        sys.exit(
            f"{error}\nTo use files elsewhere, give this demo their folder with --data-dir DIR "
            f"(or set TINYCONV_DATA to the folder that holds {DATASETS[name].folder}/)."
        )


def take_first(dataset, limit: int | None):
    """The first `limit` samples of `dataset`; all of them when `limit` is None or larger."""
    if limit is None:
        return dataset
    return Subset(dataset, np.arange(min(limit, len(dataset))))


# ------------------------------------------------------------------------------------- one epoch
def progress_bar(batches, description: str) -> tqdm:
    """`batches` wrapped in a progress bar that the loop updates with `set_postfix`.

    disable=None: a live bar in a terminal, nothing in a log file (CI), where its \\r updates are noise.
    leave=False: the bar disappears at the end of the epoch; the epoch's line (epoch_line) stays.
    """
    return tqdm(batches, desc=description, leave=False, mininterval=0.5, file=sys.stdout, disable=None)


class EpochStats:
    """Running totals of one epoch, updated after every batch: mean loss, accuracy, images per second.

        stats = EpochStats()
        for images, labels in batches:
            ...
            stats.add(loss.item(), len(labels), count_correct(logits, labels))
        print(stats.loss, stats.accuracy, stats.seconds)

    The time counts from the moment it is made, so make it just before the epoch's first batch.
    """

    def __init__(self):
        self.start = time.perf_counter()
        self.loss_sum, self.correct, self.seen, self.last_loss = 0.0, 0, 0, math.nan

    def add(self, loss: float, batch_size: int, correct: int = 0) -> None:
        """Count one batch: its mean loss, its size, and how many of its samples were classified right."""
        self.loss_sum += loss * batch_size
        self.correct += correct
        self.seen += batch_size
        self.last_loss = loss

    @property
    def loss(self) -> float:
        return self.loss_sum / self.seen

    @property
    def accuracy(self) -> float:
        return self.correct / self.seen

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def postfix(self) -> dict:
        """What the progress bar shows after its count: the last batch's loss and the images per second."""
        return {"loss": f"{self.last_loss:.4f}", "img_s": f"{self.seen / self.seconds:.0f}"}


def count_correct(logits, labels) -> int:
    """How many rows of `logits` (N, classes) have their largest score at the label (N,)."""
    return int((logits.data.argmax(axis=1) == labels.data).sum())


def stop_if_not_finite(loss, where: str) -> None:
    """Exit with a message if `loss` (a Tensor) is NaN or infinite, before it reaches backward and step.

    Once the loss is NaN every gradient and then every weight becomes NaN: training on would waste the
    rest of the run and overwrite the last good checkpoint with a broken one.
    """
    value = loss.item()
    if not math.isfinite(value):
        sys.exit(
            f"training stopped at {where}: the loss is {value}. Nothing of this epoch was saved, so a "
            "checkpoint already in --out still holds the last finished one. A learning rate too large "
            "is the usual cause: try a smaller one."
        )


def evaluate(model, dataset, batch_size: int = 1000, device: str = "cpu") -> float:
    """Accuracy of `model` on `dataset`, in eval mode (no dropout), without recording a graph."""
    model.eval()
    correct = 0
    with tinyconv.no_grad():
        for images, labels in DataLoader(dataset, batch_size=batch_size):
            images, labels = images.to(device), labels.to(device)
            correct += count_correct(model(images), labels)
    return correct / len(dataset)


def epoch_line(epoch: int, epochs: int, row: dict) -> str:
    """One row of the per-epoch table: 'epoch  3/15  loss 0.0412  test accuracy 0.9871  time 9.8 s'.

    row: {name: value}; 'seconds' is shown as the time, every other value with 4 decimals.
    """
    cells = [f"epoch {epoch:2d}/{epochs}"]
    for name, value in row.items():
        if name == "seconds":
            cells.append(f"time {value:.1f} s")
        else:
            cells.append(f"{name.replace('_', ' ')} {value:.4f}")
    return "  ".join(cells)


# ----------------------------------------------------------------------------------- checkpoints
def save_checkpoint(path: str, model, optimizer, history: dict, epoch: int, args: argparse.Namespace) -> None:
    """Write model, optimizer state, history, the number of finished epochs and the settings to `path`.

    tinyconv.save writes atomically (a temporary file, then a rename): a run killed while saving leaves
    the previous checkpoint whole. Arrays are copied to the host, so a GPU run's checkpoint loads anywhere.
    """
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "history": history,
        "epoch": epoch,
        "args": vars(args),
    }
    tinyconv.save(checkpoint, path)


def non_finite_arrays(tree, name: str = "") -> list:
    """The names ('model/features.0.weight', ...) of the arrays in nested dicts and lists that hold a NaN
    or an infinity."""
    if isinstance(tree, np.ndarray):
        is_float = np.issubdtype(tree.dtype, np.floating)
        return [name] if is_float and not np.isfinite(tree).all() else []
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, (list, tuple)):
        items = enumerate(tree)
    else:
        return []
    names = []
    for key, value in items:
        names += non_finite_arrays(value, f"{name}/{key}" if name else str(key))
    return names


def read_checkpoint(path: str, flag_name: str, if_missing: str, keys: tuple = ("model",)) -> dict:
    """The checkpoint at `path`, or exit with a message that names `flag_name` and says what is wrong.

    Refused: no file (`if_missing` says what to do instead), a file that cannot be read as a checkpoint
    (cut short, or not one), a checkpoint without `keys`, and one whose arrays hold NaN or infinities,
    which a run that diverged could have saved: training from them only spreads the NaN.
    """
    if not os.path.exists(path):
        sys.exit(f"{flag_name}: no checkpoint to load: no file at {path}; {if_missing}")
    try:
        checkpoint = tinyconv.load(path)
    # Unpickling fails in many ways (a file cut short, not a pickle, ...); to the user they all mean the same.
    except Exception as error:
        sys.exit(
            f"{flag_name}: {path} cannot be read as a checkpoint ({type(error).__name__}: {error}); it is "
            "damaged or another kind of file. Delete it, or give another one."
        )
    if not isinstance(checkpoint, dict) or not all(key in checkpoint for key in keys):
        wanted = ", ".join(repr(key) for key in keys)
        sys.exit(f"{flag_name}: {path} is not a checkpoint of this demo (it should hold {wanted})")
    broken = non_finite_arrays(checkpoint)
    if broken:
        sys.exit(
            f"{flag_name}: the checkpoint at {path} holds NaN or infinite values (in {', '.join(broken[:3])}"
            f"{' and more' if len(broken) > 3 else ''}): the run that saved it had diverged. Start a new run."
        )
    return checkpoint


def resume_checkpoint(path: str, args: argparse.Namespace, must_match: tuple) -> dict:
    """The checkpoint to --resume from, checked by read_checkpoint, or exit if its settings differ from
    `args` in any of `must_match` (the settings that change what the epochs compute: --epochs may grow,
    --data-dir move)."""
    keys = ("model", "optimizer", "history", "epoch", "args")  # what save_checkpoint writes
    checkpoint = read_checkpoint(path, "--resume", "run without --resume first", keys)
    changed = [
        f"{flag(name)} was {checkpoint['args'].get(name)!r}, now {getattr(args, name)!r}"
        for name in must_match
        if checkpoint["args"].get(name) != getattr(args, name)
    ]
    if changed:
        sys.exit(
            f"--resume: the checkpoint at {path} was trained with other settings ({'; '.join(changed)}). "
            "Resume with the same settings, or start a new run in another --out folder."
        )
    return checkpoint


def restore(checkpoint: dict, model, optimizer) -> tuple:
    """Load a checkpoint's weights into `model` and its state into `optimizer` (its moments, and each
    group's 'initial_lr' for the scheduler); returns (history, epochs finished)."""
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["history"], checkpoint["epoch"]


def make_optimizer(name: str, parameters, lr: float) -> optim.Optimizer:
    """--optimizer: 'adam' (Adam) or 'sgd' (SGD with Nesterov momentum 0.9)."""
    if name == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=0.9, nesterov=True)
    return optim.Adam(parameters, lr=lr)


def warmup_cosine(total_steps: int, warmup_fraction: float = 0.1):
    """The learning rate's factor at each step, for LambdaLR(optimizer, warmup_cosine(total_steps)):
    a straight line up over the first tenth of the steps (a warm-up: early on, Adam's moment estimates
    are noisy and a large step can throw a Transformer off), then half a cosine down to 0.

    OneCycleLR has the same shape, but divides by zero when its warm-up is shorter than 2 steps (as
    PyTorch's does), which a short run (--smoke, --limit) reaches.
    """
    warmup = max(1, round(warmup_fraction * total_steps))
    return lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / total_steps))


def linear_warmup_then_cosine(warmup_steps: int, total_steps: int):
    """The learning rate's factor at each step, for LambdaLR (which multiplies --lr by it), as the two ViT
    demos use it: a straight line up to 1 over the warm-up (1/w, 2/w, ..., 1), then half a cosine from 1
    down to 0 at total_steps (warmup_cosine above instead multiplies the warm-up line into one cosine
    over the whole run).

    (OneCycleLR draws nearly this curve, but like PyTorch's it divides by zero when the warm-up is
    exactly one step; written out, the schedule has no such corner and shows its formula.)
    """

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


# -------------------------------------------------------------------------------------- pictures
def curves_figure(panels: dict, title: str) -> Figure:
    """Curves against the epoch, one panel per entry of `panels`, side by side.

    panels: {panel title: {line label: [value after epoch 1, after epoch 2, ...]}}.
    Every value is drawn as a dot on its line, so a run of one epoch still shows its point, and the
    x axis is marked at whole epochs only (there is no epoch 1.5).
    """
    figure = Figure(figsize=(5 * len(panels), 4))
    for index, (panel_title, lines) in enumerate(panels.items()):
        axes = figure.add_subplot(1, len(panels), index + 1)
        for label, values in lines.items():
            axes.plot(range(1, len(values) + 1), values, marker="o", label=label)
        epochs = max(len(values) for values in lines.values())
        axes.set(title=panel_title, xlabel="epoch", xlim=(0.5, epochs + 0.5))
        # min_n_ticks=1: with the default 2, a one-epoch axis (0.5 to 1.5) falls back to 0.9, 1.1, ...
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        if len(lines) > 1:  # a panel of one line says what it is in its title
            axes.legend()
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def image_grid(images, columns: int, title: str) -> Figure:
    """A grid of N square greyscale images with pixels in [0, 1], `columns` to a row: generated digits,
    their reconstructions, the originals (black 0, white 1, no smoothing). images: (N, side * side),
    (N, side, side) or (N, 1, side, side)."""
    images = np.asarray(images)
    side = math.isqrt(images[0].size)
    images = images.reshape(len(images), side, side)
    rows = math.ceil(len(images) / columns)
    figure = Figure(figsize=(max(columns * 0.6, 4.0), rows * 0.6 + 0.4))  # wide enough for the title
    for index, image in enumerate(images):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        axes.set_axis_off()
    figure.suptitle(title, fontsize=9)
    figure.subplots_adjust(
        left=0.01, right=0.99, bottom=0.01, top=1 - 0.4 / (rows * 0.6 + 0.4), wspace=0.05, hspace=0.05
    )
    return figure


def save_figure(figure: Figure, path: str) -> None:
    """Write `figure` as a PNG at `path`, atomically (an interrupted run never leaves half a picture)."""
    atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))


# --------------------------------------------------------------------------------------- the end
def count_parameters(model) -> int:
    """The number of trainable numbers in `model`."""
    return sum(parameter.numel() for parameter in model.parameters())


def peak_memory_mib() -> float:
    """The most memory this process has held so far (its peak resident set size), in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # macOS counts bytes, Linux KiB


def time_and_memory_line(training_seconds: float) -> str:
    """'training time 123.4 s, peak memory 310 MiB': what a run cost."""
    return f"training time {training_seconds:.1f} s, peak memory {peak_memory_mib():.0f} MiB"
