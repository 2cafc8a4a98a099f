"""Object detection from scratch: YOLO v1 finds and names every digit on canvases of MNIST digits.

    python demos/yolo_mnist.py              # the default run (mAP@0.5 0.938 in 9 min 19 s, below)
    python demos/yolo_mnist.py --smoke      # seconds
    python demos/yolo_mnist.py --resume     # continue from the last checkpoint

The data: DigitCanvases (tinyconv/data/canvas.py) seen through DigitDetection: 96 x 96 canvases of 1 to
5 MNIST digits at random places and sizes (a digit's 28 x 28 image resized to 24 to 48 pixels), whose
ink boxes never overlap; each canvas comes with a box (x1, y1, x2, y2) tight around each digit's ink
and its label 0-9, torchvision's detection format. Every canvas is drawn from a generator seeded with
(its set's seed, its index): --limit training canvases from MNIST's training digits, --test-canvases
from its test digits only (with another seed, so that test canvas i does not share training canvas
i's layout). detection_collate batches them: the images stacked, the targets a list.

The network: tinyconv.models.YOLOv1, a 6 x 6 grid of 16-pixel cells, B = 2 boxes and C = 10 classes
per cell: each canvas becomes a 6 x 6 x 20 tensor (the paper's 7 x 7 x 30 for PASCAL VOC). The loss:
YOLO v1's sum-squared error, term by term (tinyconv/detection/yolo.py): λ_coord = 5 on the centre and
on the square roots of the size of the box responsible for each object, its confidence against its
IoU, λ_noobj = 0.5 on every other box's confidence, and the class probabilities of the cells that
hold an object. yolo_targets writes each batch's boxes into the grid, for the loss.

The score: mean average precision at IoU 0.5 on the test canvases (detection.mean_average_precision,
COCO's computation, as torchmetrics'): yolo_decode scores each box for each class by confidence x
class probability, and NMS within each class keeps the best of overlapping boxes.

Each epoch prints its loss, the test mAP and its time; the run writes a checkpoint and curves (the
five loss terms and the mAP) into --out (default runs/yolo_mnist), then a picture of test canvases,
their true boxes beside the predicted ones with label and score, the time of a training step and of
the evaluation, the AP of every digit, and ends with the line `mAP@0.5: 0.XXXX`.

The default run: 24,000 training canvases, 3 epochs of batch 16 (4,500 Adam steps from 3e-3 down a
cosine to 0), 1,000 test canvases, seed 0. MEASURED (`python demos/yolo_mnist.py`, 2026-12-07, 2-core
x86_64 AMD EPYC, one thread: OPENBLAS_NUM_THREADS=1 through the machine's slot runner, `/usr/bin/time`):
    epoch   loss    xy     wh    conf. object  conf. no object  classes   test mAP@0.5   time
      1    3.4685  0.622  0.217     0.320          0.388         1.921       0.8189      195 s
      2    1.6502  0.209  0.036     0.334          0.315         0.756       0.9159      162 s
      3    1.3785  0.141  0.023     0.354          0.340         0.521       0.9381      167 s
    AP per digit: 0 0.962, 1 0.800, 2 0.954, 3 0.967, 4 0.947, 5 0.941, 6 0.951, 7 0.959, 8 0.954, 9 0.945
    training step: 116 ms per batch of 16; mAP evaluation of the 1,000 canvases 6.0 s (network 2.1 s,
    decoding and NMS 3.2 s, mAP 0.8 s)
The whole run took 9 min 19 s of wall time (559 s) and 511 s of CPU time (507 s user, 3 s system),
within the 15-minute target, peak memory 313 MiB; the last line is `mAP@0.5: 0.9381`. The 1s have the
lowest AP: their boxes are 9 pixels wide (median; the other digits' 19), so an error of a few pixels
across costs them IoU 0.5. The two confidence terms stay near 0.33 per canvas while the others fall.
How the settings were found (the same network and loss): 10,000 canvases in batches of 32 from 2e-3
(939 steps, 6 min) stopped at mAP 0.376 with the class term the largest (66% of the objects' cells
took the right digit). In short probes, a step of 16 canvases took 108 ms against 240 ms for 32, so the
same time buys more than twice the steps (500 steps of 16 reached mAP 0.132 in 54 s, 250 of 32 0.034
in 60 s), and 5e-3 beat 2e-3 (0.078 against 0.034 after 250 steps of 32).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    EpochStats,
    add_data_flags,
    add_limit_flag,
    add_out_flag,
    add_resume_flag,
    add_seed_flag,
    add_smoke_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    count_parameters,
    curves_figure,
    epoch_line,
    open_dataset,
    parse_with_smoke,
    progress_bar,
    remove_stale_temporaries,
    restore,
    resume_checkpoint,
    save_checkpoint,
    save_figure,
    stop_if_not_finite,
    time_and_memory_line,
)
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import tinyconv
from tinyconv import optim
from tinyconv.data import DataLoader, DigitCanvases, DigitDetection, detection_collate
from tinyconv.detection import mean_average_precision, yolo_decode, yolo_loss_terms, yolo_targets
from tinyconv.models import YOLOv1

CHECKPOINT_NAME = "yolo_mnist.ckpt"
PLOT_NAME = "yolo_mnist_curves.png"
PICTURE_NAME = "yolo_mnist_detections.png"
# Settings a resumed run must share with the checkpoint's run (--epochs may grow, --data-dir move).
RESUME_MUST_MATCH = ("lr", "batch_size", "seed", "limit", "test_canvases")
SMOKE = {"epochs": 1, "limit": 64, "test_canvases": 16}
CANVAS_SIZE, DIGITS_PER_CANVAS, DIGIT_SIZES = 96, (1, 5), (24, 48)
GRID_SIZE, NUM_BOXES, NUM_CLASSES = 6, 2, 10  # S, B and C: 16-pixel cells, two boxes each, ten digits
TEST_SEED_OFFSET = 1000  # the test canvases' seed is --seed + this
EVAL_BATCH = 100  # test canvases per forward pass
SHOWN = 6  # test canvases in the picture
SHOWN_SCORE = 0.3  # the picture draws predictions scored at least this,
SHOWN_MOST = 10  # the best 10 at most (an untrained network scores hundreds of boxes above 0.3)
TEXT_HEIGHT = 10  # canvas pixels that a box's text takes above it


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train YOLO v1 to find the digits on canvases of MNIST.")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training canvases")
    add_limit_flag(parser, default=24000, what="training canvases (drawn from MNIST's training digits)")
    parser.add_argument("--test-canvases", type=int, default=1000, help="canvases drawn from test digits")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's initial learning rate")
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "yolo_mnist")
    add_resume_flag(parser)
    add_smoke_flag(parser, SMOKE)
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(parser, args, "epochs", "limit", "test_canvases", "batch_size")
    check_positive(parser, args, "lr")
    return args


def make_canvases(args: argparse.Namespace) -> tuple:
    """(training canvases from MNIST's training digits, test canvases from its test digits), as
    DigitDetection datasets drawn from --seed: canvas i of either set is the same in every run."""
    settings = dict(size=CANVAS_SIZE, digits_per_canvas=DIGITS_PER_CANVAS, digit_sizes=DIGIT_SIZES)
    training_digits = open_dataset("mnist", args.data_dir, train=True)
    test_digits = open_dataset("mnist", args.data_dir, train=False)
    return (
        DigitDetection(DigitCanvases(training_digits, args.limit, seed=args.seed, **settings)),
        DigitDetection(
            DigitCanvases(test_digits, args.test_canvases, seed=args.seed + TEST_SEED_OFFSET, **settings)
        ),
    )


def detect(model, canvases: DigitDetection) -> tuple:
    """(mAP@0.5, {digit: AP}, the detections of every canvas, seconds of the network, seconds of
    decoding and NMS, seconds of the mAP), in eval mode and without a graph."""
    model.eval()
    detections, targets = [], []
    network_seconds = decoding_seconds = 0.0
    with tinyconv.no_grad():
        for images, batch_targets in DataLoader(canvases, EVAL_BATCH, collate_fn=detection_collate):
            start = time.perf_counter()
            output = model(images)  # (N, S, S, B * 5 + C)
            middle = time.perf_counter()
            detections += yolo_decode(output, NUM_BOXES, CANVAS_SIZE)
            network_seconds += middle - start
            decoding_seconds += time.perf_counter() - middle
            targets += batch_targets
    start = time.perf_counter()
    mean_ap, per_class = mean_average_precision(detections, targets, iou_threshold=0.5)
    return mean_ap, per_class, detections, network_seconds, decoding_seconds, time.perf_counter() - start


def draw_boxes(axes, boxes, labels, scores=None, colour: str = "lime") -> None:
    """Rectangles with their digit (and score) written above them, on an axes showing a canvas.

    Pixel k of imshow covers k - 0.5 to k + 0.5, so the box (x1, y1, x2, y2), x2 and y2 excluded, runs
    from x1 - 0.5 to x2 - 0.5: its edges lie between pixels, around the ink. A box at the top of the
    canvas has its text inside it, under its top edge, not over the panel's title.
    """
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        axes.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, color=colour, lw=1.2))
        text = f"{labels[k]}" if scores is None else f"{labels[k]} {scores[k]:.2f}"
        above = y1 >= TEXT_HEIGHT
        axes.text(
            x1, y1 - 1.5 if above else y1, text, color=colour, fontsize=7, va="bottom" if above else "top"
        )


def detections_figure(canvases: DigitDetection, detections: list) -> Figure:
    """For each of the first SHOWN test canvases: the truth (its boxes and digits) beside the prediction
    (the best SHOWN_MOST boxes scored at least SHOWN_SCORE, with digit and score)."""
    rows = (SHOWN + 1) // 2
    figure = Figure(figsize=(8.8, 2.3 * rows))
    for index in range(min(SHOWN, len(detections))):
        pixels = canvases.canvases.draw(index)[0]
        target, found = canvases.target(index), detections[index]
        confident = numpy.nonzero(found["scores"].numpy() >= SHOWN_SCORE)[0][:SHOWN_MOST]  # best first
        panels = [
            ("truth", target["boxes"], target["labels"], None, "deepskyblue"),
            (
                "prediction",
                found["boxes"].numpy()[confident],
                found["labels"].numpy()[confident],
                found["scores"].numpy()[confident],
                "lime",
            ),
        ]
        for side, (title, boxes, labels, scores, colour) in enumerate(panels):
            axes = figure.add_subplot(rows, 4, 2 * index + side + 1)
            axes.imshow(pixels, cmap="gray", vmin=0, vmax=255)
            draw_boxes(axes, boxes, labels, scores, colour)
            axes.set(xticks=[], yticks=[], title=f"{title} (canvas {index})")
            axes.title.set_fontsize(8)
    figure.suptitle(f"test canvases: true boxes, and predicted ones scored at least {SHOWN_SCORE}")
    figure.tight_layout()
    return figure


def main(argv=None) -> float:
    args = parse_args(argv)
    check_out_folder(args.out)
    paths = {name: os.path.join(args.out, name) for name in (CHECKPOINT_NAME, PLOT_NAME, PICTURE_NAME)}
    remove_stale_temporaries(args.out, list(paths))
    checkpoint = resume_checkpoint(paths[CHECKPOINT_NAME], args, RESUME_MUST_MATCH) if args.resume else None

    train_canvases, test_canvases = make_canvases(args)

    tinyconv.manual_seed(args.seed)
    model = YOLOv1(num_classes=NUM_CLASSES, grid_size=GRID_SIZE, num_boxes=NUM_BOXES)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    terms = ("xy", "wh", "confidence_object", "confidence_no_object", "classes")
    history = {"loss": [], **{name: [] for name in terms}, "test_mAP": [], "seconds": [], "steps": []}
    start_epoch = 0
    if checkpoint is not None:
        history, start_epoch = restore(checkpoint, model, optimizer)
        print(f"resumed from {paths[CHECKPOINT_NAME]} after epoch {start_epoch}")
    # The learning rate follows a cosine from --lr to 0 over all the steps of all the epochs, one
    # scheduler step per batch.
    steps_per_epoch = -(-len(train_canvases) // args.batch_size)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.epochs * steps_per_epoch, last_epoch=start_epoch * steps_per_epoch - 1
    )

    print(
        f"training YOLOv1 ({count_parameters(model):,} parameters, a {GRID_SIZE}x{GRID_SIZE} grid of "
        f"{NUM_BOXES} boxes and {NUM_CLASSES} classes) on {len(train_canvases):,} canvases "
        f"of {CANVAS_SIZE}x{CANVAS_SIZE}, testing on {len(test_canvases):,}"
    )
    for epoch in range(start_epoch, args.epochs):
        tinyconv.manual_seed(args.seed * 1000 + epoch)  # the epoch's order depends only on (seed, epoch)
        model.train()
        stats = EpochStats()
        sums = dict.fromkeys(terms, 0.0)
        loader = DataLoader(train_canvases, args.batch_size, shuffle=True, collate_fn=detection_collate)
        batches = progress_bar(loader, f"epoch {epoch + 1}")
        for images, targets in batches:
            output = model(images)  # (N, 6, 6, 20)
            target = yolo_targets(targets, GRID_SIZE, NUM_CLASSES, CANVAS_SIZE)  # (N, 6, 6, 15)
            loss_terms = yolo_loss_terms(output, target)  # the five terms of the paper, each a scalar
            loss = sum(loss_terms.values())
            stop_if_not_finite(loss, f"epoch {epoch + 1}")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            stats.add(loss.item(), len(targets))
            for name, term in loss_terms.items():
                sums[name] += term.item() * len(targets)
            batches.set_postfix(stats.postfix())
        seconds = stats.seconds

        mean_ap = detect(model, test_canvases)[0]
        row = dict(loss=stats.loss, test_mAP=mean_ap, seconds=seconds)
        for name, value in {**row, **{name: sums[name] / stats.seen for name in terms}}.items():
            history[name].append(value)
        history["steps"].append(len(loader))
        print(epoch_line(epoch + 1, args.epochs, row))
        save_checkpoint(paths[CHECKPOINT_NAME], model, optimizer, history, epoch + 1, args)
        curves = {"loss terms (per canvas)": {name: history[name] for name in terms}}
        curves["test canvases"] = {"mAP@0.5": history["test_mAP"]}
        save_figure(curves_figure(curves, "YOLO v1 on canvases of MNIST digits"), paths[PLOT_NAME])

    mean_ap, per_class, detections, network, decoding, scoring = detect(model, test_canvases)
    save_figure(detections_figure(test_canvases, detections), paths[PICTURE_NAME])
    print(f"checkpoint: {paths[CHECKPOINT_NAME]}\ncurves: {paths[PLOT_NAME]}")
    print(f"detections: {paths[PICTURE_NAME]}")
    print(time_and_memory_line(sum(history["seconds"])))
    if history["steps"]:
        step = sum(history["seconds"]) / sum(history["steps"])
        batch = args.batch_size
        print(f"training step: {1000 * step:.0f} ms per batch of {batch} (forward, loss, backward, Adam)")
    print(
        f"mAP evaluation of {len(test_canvases):,} canvases: {network + decoding + scoring:.1f} s (network "
        f"{network:.1f} s, decoding and NMS {decoding:.1f} s, mAP {scoring:.1f} s)"
    )
    print("AP per digit: " + ", ".join(f"{digit} {value:.3f}" for digit, value in sorted(per_class.items())))
    print(f"mAP@0.5: {mean_ap:.4f}")
    return mean_ap


if __name__ == "__main__":
    main()
