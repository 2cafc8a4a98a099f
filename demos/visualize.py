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

import matplotlib

matplotlib.use("Agg")  # write PNG files; no window needed
import numpy as np  # noqa: E402
from lenet_mnist import evaluate  # noqa: E402  (the LeNet demo's, beside this file in demos/)
from matplotlib.figure import Figure  # noqa: E402

import tinyconv  # noqa: E402
import tinyconv.functional as F  # noqa: E402
from tinyconv import optim, viz  # noqa: E402
from tinyconv.data import MNIST, DataLoader, Subset  # noqa: E402
from tinyconv.models import LeNet5  # noqa: E402
from tinyconv.serialization import atomic_write  # noqa: E402

FILTERS_NAME = "filters.png"
MAPS_NAME = "feature_maps.png"
INPUT_NAME = "input.png"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Draw LeNet-5's first-layer filters and a layer's maps.")
    parser.add_argument("--checkpoint", default=None, help="a checkpoint of demos/lenet_mnist.py to load")
    parser.add_argument("--layer", default="features.0", help="dotted name of the layer whose maps to draw")
    parser.add_argument("--index", type=int, default=0, help="which test image to run through the net")
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir", default=None, help="folder with the MNIST files (default: $TINYCONV_DATA or ~/.cache)"
    )
    parser.add_argument("--out", default=os.path.join("runs", "visualize"), help="output folder")
    args = parser.parse_args(argv)
    for name in ("limit", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.index < 0:
        parser.error(f"--index must be non-negative, got {args.index}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    return args


def load_lenet(path: str) -> LeNet5:
    """The LeNet5 saved by demos/lenet_mnist.py at `path`, or exit with a message saying what is wrong."""
    if not os.path.exists(path):
        sys.exit(f"--checkpoint: no file at {path}; run demos/lenet_mnist.py first, or train here without it")
    checkpoint = tinyconv.load(path)
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        sys.exit(f"--checkpoint: {path} is not a checkpoint of demos/lenet_mnist.py (it has no 'model')")
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
    if args.limit is not None:
        train_set = Subset(train_set, np.arange(min(args.limit, len(train_set))))
    model.train()
    for images, labels in DataLoader(train_set, args.batch_size, shuffle=True):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"trained LeNet-5 for one epoch on {len(train_set):,} images (last batch loss {loss.item():.3f})")
    return model


def save_input(image: np.ndarray, title: str, path: str) -> None:
    """The (1, 28, 28) image in grey, titled, as a PNG written atomically."""
    figure = Figure(figsize=(2.6, 2.9))
    axes = figure.add_subplot()
    axes.imshow(image[0], cmap="gray", interpolation="nearest")
    axes.set_title(title, fontsize=9)
    axes.set_axis_off()
    atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))


def main(argv=None) -> dict:
    """Draw the three pictures; returns their paths (keys filters, feature_maps, input), the image's label
    and prediction, and the model's test accuracy."""
    args = parse_args(argv)
    test_set = MNIST(args.data_dir, train=False)
    if args.index >= len(test_set):
        sys.exit(f"--index must be below the {len(test_set):,} images of the test set, got {args.index}")
    if args.checkpoint is not None:
        model = load_lenet(args.checkpoint)
        print(f"loaded LeNet-5 from {args.checkpoint}")
    else:
        model = train_briefly(args, MNIST(args.data_dir, train=True))
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
    save_input(image, f"test image {args.index}: label {label}, predicted {prediction}", paths["input"])
    for name, path in paths.items():
        print(f"{name}: {path}")
    return {**paths, "label": label, "prediction": prediction, "accuracy": accuracy}


if __name__ == "__main__":
    main()
