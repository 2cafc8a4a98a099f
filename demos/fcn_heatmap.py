"""A trained LeNet-5, convolutionalized, slid over a canvas of MNIST test digits in one pass: a heat-map
per class.

    python demos/lenet_mnist.py          # first, once: trains LeNet-5 and saves runs/lenet_mnist/
    python demos/fcn_heatmap.py          # the heat-maps of a 96x96 canvas of 6 test digits
    python demos/fcn_heatmap.py --canvas-size 128 --digits 10 --seed 3
    python demos/fcn_heatmap.py --smoke  # seconds: a quick training and a small canvas

LeNet-5 classifies 28x28 images. tinyconv.models.convolutionalize rewrites its three Linear layers as
convolutions with the same weights: F5 (400 -> 120, reading the 16x5x5 map) becomes a 5x5 convolution
with 120 filters, F6 and the output layer become 1x1 convolutions. On a 28x28 image that gives the
same ten logits, as a 10x1x1 map; on a larger canvas the convolutions go on sliding, and the output
is a 10 x rows x columns map: the classifier's logits for every 28x28 window of the canvas at a step
of 4 pixels, computed in one pass that shares the convolutions of overlapping windows. The softmax
over its ten channels, drawn one class per panel, shows where the network sees each digit.

Which pixels one heat-map pixel sees (its receptive field) and how far apart neighbouring heat-map
pixels are (its stride) follow from the layers, and the demo computes them with
tinyconv.models.receptive_field rather than stating them: 32x32 canvas pixels at a stride of 4 (the
28x28 window and the 2-pixel ring that the first convolution pads: on a canvas it reads the neighbours
instead of zeros), from the two 2x2 poolings' strides and the kernels' reach.

The weights: the checkpoint of demos/lenet_mnist.py (--checkpoint, default that demo's default
runs/lenet_mnist/lenet_mnist.ckpt). Without one, the demo says so and trains LeNet-5 itself for one
epoch (batch 32, Adam 2e-3, 2-pixel random shifts; the first --quick-limit training images).

The canvas: DigitCanvases (tinyconv/data/canvas.py) with MNIST's test split, --digits digits at
LeNet's own scale (28x28), at random places whose ink boxes do not overlap, drawn from --seed. For each
digit the demo reads the heat-map pixel whose window is nearest to the digit's 28x28 square and says
what the network sees there. Output in --out (default runs/fcn_heatmap): fcn_heatmap.png (the canvas
with its digits' boxes, then the ten heat-maps, placed over the canvas's coordinates). The last line is
`digits recognized: K of N`.

MEASURED (the default run, seed 0, 2026-12-07, 2-core x86 CPU under a load average of about 14 from
other jobs, OPENBLAS_NUM_THREADS=1, `/usr/bin/time -v`), without a lenet_mnist.py checkpoint: 77 s of
quick training, 1 min 26 s wall, 188 MiB peak RSS; all 6 digits recognized at their windows (p >= 0.98),
and on the 65 of 324 windows without ink the network still names a digit, mostly 1 (mean p = 0.46).
docs/fcn.md shows the output.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    add_data_flags,
    add_out_flag,
    add_seed_flag,
    add_smoke_flag,
    check_at_least_one,
    check_out_folder,
    open_dataset,
    parse_with_smoke,
    progress_bar,
    read_checkpoint,
    remove_stale_temporaries,
    save_figure,
    stop_if_not_finite,
    take_first,
    time_and_memory_line,
)
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import tinyconv
import tinyconv.functional as F
from tinyconv import optim
from tinyconv.data import DataLoader, RandomCrop
from tinyconv.data.canvas import DigitCanvases
from tinyconv.models import LeNet5, convolutionalize, receptive_field

# demos/lenet_mnist.py's default --out and the name of its checkpoint (a demo never imports another).
LENET_CHECKPOINT = os.path.join("runs", "lenet_mnist", "lenet_mnist.ckpt")
PLOT_NAME = "fcn_heatmap.png"
INPUT_SIZE = 28  # what LeNet-5 was trained on
SMOKE = {"quick_limit": 1000, "canvas_size": 64, "digits": 2}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="A convolutionalized LeNet-5's heat-maps over a canvas of digits."
    )
    parser.add_argument(
        "--checkpoint",
        default=LENET_CHECKPOINT,
        help="demos/lenet_mnist.py's checkpoint (trained here if missing)",
    )
    parser.add_argument("--canvas-size", type=int, default=96, help="side of the canvas, in pixels")
    parser.add_argument(
        "--digits", type=int, default=6, help="test digits on the canvas (fewer if they do not fit)"
    )
    parser.add_argument(
        "--quick-limit",
        type=int,
        default=60000,
        help="without a checkpoint: train one epoch on the first N images",
    )
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "fcn_heatmap")
    add_smoke_flag(parser, SMOKE)
    args = parse_with_smoke(parser, argv, SMOKE)
    check_at_least_one(parser, args, "digits", "quick_limit")
    if args.canvas_size < INPUT_SIZE:
        parser.error(
            f"--canvas-size must be at least LeNet-5's input size {INPUT_SIZE}, got {args.canvas_size}"
        )
    return args


def quick_training(args: argparse.Namespace) -> LeNet5:
    """LeNet-5 trained for one epoch on the first --quick-limit training images (the demo's own loop)."""
    train_set = take_first(
        open_dataset("mnist", args.data_dir, train=True, transform=RandomCrop(28, padding=2)),
        args.quick_limit,
    )
    tinyconv.manual_seed(args.seed)
    model = LeNet5()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    start = time.perf_counter()
    for images, labels in progress_bar(DataLoader(train_set, 32, shuffle=True), "quick training"):
        loss = F.cross_entropy(model(images), labels)
        stop_if_not_finite(loss, "the quick training")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(time_and_memory_line(time.perf_counter() - start))
    return model


def trained_lenet(args: argparse.Namespace) -> LeNet5:
    """The checkpoint's LeNet-5, or, when there is no file at --checkpoint, one trained here (saying so)."""
    if not os.path.exists(args.checkpoint):
        print(
            f"no checkpoint at {args.checkpoint}: training LeNet-5 for one epoch on {args.quick_limit:,} "
            "images instead (python demos/lenet_mnist.py trains the full one, 99.3%)"
        )
        return quick_training(args)
    checkpoint = read_checkpoint(args.checkpoint, "--checkpoint", "", keys=("model",))
    model = LeNet5()
    model.load_state_dict(checkpoint["model"])
    print(f"LeNet-5 from {args.checkpoint}")
    return model


def nearest_pixel(corner: int, stride: int, pixels: int) -> int:
    """The heat-map pixel whose 28x28 window starts closest to `corner` (window i starts at i * stride)."""
    return min(max(round(corner / stride), 0), pixels - 1)


def heatmap_figure(
    canvas: np.ndarray, probabilities: np.ndarray, placements: list, field, title: str
) -> Figure:
    """The canvas with its digits' boxes, then one panel per class: the probability that the window
    centred there holds that digit. Heat-map pixel (i, j) is drawn as the stride x stride square around
    the centre of its window, start + i * stride + (size - 1) / 2, so the panels line up with the canvas."""
    classes, rows, columns = probabilities.shape
    figure = Figure(figsize=(2.4 * 6, 2.9 * 2), layout="constrained")
    axes = figure.add_subplot(2, 6, 1)
    axes.imshow(canvas, cmap="gray")
    for placed in placements:
        top, left, bottom, right = placed.box
        axes.add_patch(
            Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, color="tab:red")
        )
    axes.set(title="canvas", xticks=[], yticks=[])
    centre = [field.start[a] + (field.size[a] - 1) / 2 for a in (0, 1)]
    extent = (
        centre[1] - field.stride[1] / 2,
        centre[1] + (columns - 0.5) * field.stride[1],
        centre[0] + (rows - 0.5) * field.stride[0],
        centre[0] - field.stride[0] / 2,
    )
    for digit in range(classes):
        axes = figure.add_subplot(2, 6, digit + 2 + (digit >= 5))  # panels 2-6, then 8-12
        axes.set_facecolor("black")  # where no window is centred: no score
        axes.imshow(probabilities[digit], cmap="magma", vmin=0, vmax=1, extent=extent)
        for placed in placements:  # where the digits are, for reference
            top, left, bottom, right = placed.box
            axes.add_patch(
                Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, color="0.6")
            )
        axes.set(title=f"p({digit})", xlim=(-0.5, canvas.shape[1] - 0.5), ylim=(canvas.shape[0] - 0.5, -0.5))
        axes.set(xticks=[], yticks=[])
    figure.add_subplot(2, 6, 7).axis("off")
    figure.suptitle(title)
    return figure


def main(argv=None) -> int:
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [PLOT_NAME])
    model = trained_lenet(args).eval()

    fully_convolutional = convolutionalize(model, INPUT_SIZE)
    field = receptive_field(fully_convolutional)
    (rows_start, columns_start), (row_stride, column_stride) = field.start, field.stride
    print(
        f"one heat-map pixel sees {field.size[0]}x{field.size[1]} canvas pixels, and neighbouring heat-map "
        f"pixels are {row_stride} canvas pixels apart: heat-map pixel (i, j) sees canvas rows "
        f"{row_stride}i{rows_start:+d} to {row_stride}i{rows_start + field.size[0] - 1:+d} and columns "
        f"{column_stride}j{columns_start:+d} to {column_stride}j{columns_start + field.size[1] - 1:+d} "
        f"(the {INPUT_SIZE}x{INPUT_SIZE} window at ({row_stride}i, {column_stride}j) and the "
        f"{-rows_start}-pixel ring that the first convolution pads)"
    )

    digits = open_dataset("mnist", args.data_dir, train=False)
    canvases = DigitCanvases(
        digits, 1, args.canvas_size, (args.digits, args.digits), (INPUT_SIZE, INPUT_SIZE), seed=args.seed
    )
    image, _ = canvases[0]
    placements = canvases.placements(0)
    with tinyconv.no_grad():
        logits = fully_convolutional(tinyconv.Tensor(image[None]))  # (1, 10, rows, columns), one pass
    probabilities = F.softmax(logits, axis=1).numpy()[0]
    rows, columns = probabilities.shape[1:]
    print(f"canvas {args.canvas_size}x{args.canvas_size} -> heat-maps {rows}x{columns}, one per class")

    recognized = 0
    for placed in sorted(placements, key=lambda p: (p.top, p.left)):
        i = nearest_pixel(placed.top, field.stride[0], rows)
        j = nearest_pixel(placed.left, field.stride[1], columns)
        seen = int(probabilities[:, i, j].argmax())
        recognized += seen == placed.label
        p_seen, p_label = probabilities[seen, i, j], probabilities[placed.label, i, j]
        print(
            f"a {placed.label} at ({placed.top}, {placed.left}): heat-map pixel ({i}, {j}) sees a {seen} "
            f"(p = {p_seen:.2f}; p({placed.label}) = {p_label:.2f})"
        )

    # A classifier has no class for "no digit here": on a window without ink it still answers.
    pixels, _ = canvases.draw(0)  # the canvas as uint8 pixels
    windows = np.lib.stride_tricks.sliding_window_view(pixels >= 128, (INPUT_SIZE, INPUT_SIZE))
    empty = ~windows[:: field.stride[0], :: field.stride[1]].any(axis=(2, 3))  # (rows, columns)
    if empty.any():
        answers = probabilities[:, empty]  # (10, empty windows)
        most = int(np.bincount(answers.argmax(axis=0), minlength=10).argmax())
        print(
            f"windows without ink: {int(empty.sum())} of {rows * columns}; the network still names a digit "
            f"there, most often {most} (mean p({most}) = {answers[most].mean():.2f})"
        )

    plot_path = os.path.join(args.out, PLOT_NAME)
    title = (
        f"LeNet-5 convolutionalized: receptive field {field.size[0]}x{field.size[1]}, stride {field.stride}"
    )
    save_figure(heatmap_figure(pixels, probabilities, placements, field, title), plot_path)
    print(f"heat-maps: {plot_path}")
    print(f"digits recognized: {recognized} of {len(placements)}")
    return recognized


if __name__ == "__main__":
    main()
