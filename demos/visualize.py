"""Look inside a trained LeNet-5: its first-layer filters and the feature maps of a layer, as PNG files.

    python demos/visualize.py                                   # train briefly (10 s), then draw
    python demos/visualize.py --checkpoint runs/lenet_mnist/lenet_mnist.ckpt   # the LeNet demo's net
    python demos/visualize.py --layer features.3 --index 7      # conv2's 16 maps for test image 7

Zeiler and Fergus ("Visualizing and understanding convolutional networks", ECCV 2014) looked at what
every layer of a trained network responds to, found dead and aliased filters in AlexNet's first layers,
and changed them: ZFNet. This demo draws the two simplest such pictures with tinyconv.viz:

  - filters.png: conv1's 6 filters (5x5 weights), each rescaled to its own [0, 1]: the strokes and
    edges the first layer looks for (tinyconv.viz.filters(model.features[0]));
  - feature_maps.png: what the layer named by --layer puts out for one test image, one map per channel
    on a shared colour scale (tinyconv.viz.feature_maps(model, "features.0", image));
  - input.png: that test image, with its label and the network's prediction.

Layer names are the dotted names of state_dict keys: LeNet5's features.0 is conv1 (6 maps 28x28),
features.1 its ReLU, features.2 the pooling (14x14), features.3 conv2 (16 maps 10x10), features.4
its ReLU, features.5 the pooling (5x5). The maps of conv1 are the image cross-correlated with each
filter, plus its bias: compare the two pictures.

Without --checkpoint the demo trains a LeNet-5 for one epoch on the 60,000 training images (or the
first --limit), with Adam as the LeNet demo, in about 10 seconds; with it, it loads the model the LeNet
demo saved and trains nothing. Either way it prints the model's test accuracy, so you know what kind
of network you are looking at.

MEASURED (the default run, seed 0, 2026-11-23, 2-core x86 CPU, `/usr/bin/time -v`): 9.6 s wall,
187 MiB peak RSS; after its one epoch the LeNet-5 has 0.9765 test accuracy, and test image 0 (a 7)
is predicted 7. Its conv1 maps show the idea: filter 2 lights up on the 7's horizontal bar (and goes
negative just under it), filter 3 on the diagonal stroke.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from common import (  # demos/common.py, beside this file: the plumbing every demo shares
    add_data_flags,
    add_limit_flag,
    add_out_flag,
    add_seed_flag,
    check_at_least_one,
    check_out_folder,
    check_positive,
    evaluate,
    open_dataset,
    read_checkpoint,
    remove_stale_temporaries,
    save_figure,
    stop_if_not_finite,
    take_first,
)
from matplotlib.figure import Figure

import tinyconv
import tinyconv.functional as F
from tinyconv import optim, viz
from tinyconv.data import DataLoader
from tinyconv.models import LeNet5

FILTERS_NAME = "filters.png"
MAPS_NAME = "feature_maps.png"
INPUT_NAME = "input.png"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Draw LeNet-5's first-layer filters and a layer's maps.")
    parser.add_argument("--checkpoint", default=None, help="a checkpoint of demos/lenet_mnist.py to load")
    parser.add_argument("--layer", default="features.0", help="dotted name of the layer whose maps to draw")
    parser.add_argument("--index", type=int, default=0, help="which test image to run through the net")
    add_limit_flag(parser)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    add_seed_flag(parser)
    add_data_flags(parser)
    add_out_flag(parser, "visualize")
    args = parser.parse_args(argv)
    check_at_least_one(parser, args, "limit", "batch_size")
    if args.index < 0:
        parser.error(f"--index must be non-negative, got {args.index}")
    check_positive(parser, args, "lr")
    return args


def load_lenet(path: str) -> LeNet5:
    """The LeNet5 saved by demos/lenet_mnist.py at `path`, or exit with a message saying what is wrong."""
    checkpoint = read_checkpoint(
        path, "--checkpoint", "run demos/lenet_mnist.py first, or train here without it"
    )
    model = LeNet5()
    try:
        model.load_state_dict(checkpoint["model"])
    except ValueError as error:  # another demo's model: the keys or shapes differ
        sys.exit(f"--checkpoint: {path} does not hold a LeNet-5 ({error})")
    return model


def train_briefly(args: argparse.Namespace, train_set) -> LeNet5:
    """A LeNet5 after one epoch of Adam on the training images (the first args.limit of them, if given)."""
    tinyconv.manual_seed(args.seed)
    model = LeNet5()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    train_set = take_first(train_set, args.limit)
    model.train()
    for step, (images, labels) in enumerate(DataLoader(train_set, args.batch_size, shuffle=True), start=1):
        loss = F.cross_entropy(model(images), labels)
        stop_if_not_finite(loss, f"step {step}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"trained LeNet-5 for one epoch on {len(train_set):,} images (last batch loss {loss.item():.3f})")
    return model


def input_figure(image: np.ndarray, title: str) -> Figure:
    """The (1, 28, 28) image in grey, titled."""
    figure = Figure(figsize=(2.6, 2.9))
    axes = figure.add_subplot()
    axes.imshow(image[0], cmap="gray", interpolation="nearest")
    axes.set_title(title, fontsize=9)
    axes.set_axis_off()
    return figure


def main(argv=None) -> dict:
    """Draw the three pictures; returns their paths (keys filters, feature_maps, input), the image's label
    and prediction, and the model's test accuracy."""
    args = parse_args(argv)
    check_out_folder(args.out)
    remove_stale_temporaries(args.out, [FILTERS_NAME, MAPS_NAME, INPUT_NAME])
    test_set = open_dataset("mnist", args.data_dir, train=False)
    if args.index >= len(test_set):
        sys.exit(f"--index must be below the {len(test_set):,} images of the test set, got {args.index}")
    if args.checkpoint is not None:
        model = load_lenet(args.checkpoint)
        print(f"loaded LeNet-5 from {args.checkpoint}")
    else:
        model = train_briefly(args, open_dataset("mnist", args.data_dir, train=True))
    accuracy = evaluate(model, test_set)
    print(f"test accuracy: {accuracy:.4f}")

    image, label = test_set[args.index]  # (1, 28, 28) float32, normalized as in training
    with tinyconv.no_grad():
        prediction = int(model(tinyconv.Tensor(image[None])).data.argmax())
    paths = {
        "filters": os.path.join(args.out, FILTERS_NAME),
        "feature_maps": os.path.join(args.out, MAPS_NAME),
        "input": os.path.join(args.out, INPUT_NAME),
    }
    try:
        viz.feature_maps(model, args.layer, image, path=paths["feature_maps"])
    except ValueError as error:  # an unknown layer name, or a layer without (N, C, H, W) maps
        sys.exit(f"--layer: {error}")
    viz.filters(model.features[0], path=paths["filters"])
    title = f"test image {args.index}: label {label}, predicted {prediction}"
    save_figure(input_figure(image, title), paths["input"])
    for name, path in paths.items():
        print(f"{name}: {path}")
    return {**paths, "label": label, "prediction": prediction, "accuracy": accuracy}


if __name__ == "__main__":
    main()
