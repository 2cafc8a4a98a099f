"""Name what is in a photo with a network trained on ImageNet: torchvision's published weights, read
without PyTorch, in tinyconv's model of the same name.

    python demos/classify_image.py --model resnet18 --weights resnet18-f37072fd.pth photo.jpg dog.png

prints, for each image, its path, then the five ImageNet classes the network finds most likely, one a
line, most likely first, each after its probability ("  87.65%  tabby").

The weights. torchvision publishes them as files of torch.save (a state_dict); tinyconv.load reads them
without PyTorch, and the models here use torchvision's parameter names, so they load as they are
(DenseNet's after a renaming, see MODELS below). On a machine with internet, download the one for
--model once (about 45 MB for resnet18, 528 MB for vgg16):

    curl -LO https://download.pytorch.org/models/resnet18-f37072fd.pth

docs/pytorch_files.md lists the file of every model below, and the two whose recipe wants --resize 232
or 242. Without --weights the model keeps its random initial weights and the demo says so, loudly: its
classes then mean nothing (the tests run it that way).

The recipe: torchvision's for these weights (`weights.transforms()`, ImageClassification), step by step
in `preprocess`: the image read as RGB in [0, 1]; resized so that its shorter side is 256 (--resize),
bilinear with antialiasing; the centre 224 x 224 cut out; each channel normalized with ImageNet's mean
and std. Then one forward pass in eval mode (batch norm uses its running statistics, dropout is off)
and a softmax over the 1,000 logits.

The resize, written here in NumPy (`resize_matrix`), computes what PIL's bilinear resize computes (the
one torchvision's Resize applies to a PIL image), in floating point, where PIL works in 8-bit integers:
it rounds to whole levels of 1/255 after its horizontal pass and at the end. Measured on matplotlib's
sample photo grace_hopper.jpg (600 high, 512 wide, resized to 300 x 256), after the 224 x 224 crop:
- against torchvision's Resize(256) + CenterCrop(224) on the PIL image: at most 1.0 level of 1/255
  (0.0039) per value, 0.29 levels on average; after normalizing (divided by std), at most 0.018;
- against the same transforms on the image as a float tensor (antialias=True, no rounding): 2.7e-8.
tests/demos/test_classify_image.py checks both where torchvision is installed.

The images are read by matplotlib: PNG by its own reader, JPEG and the other formats Pillow knows
(BMP, GIF, TIFF, WebP...) through Pillow, which matplotlib requires, so it is always there. A grey image
is repeated over the three channels and an alpha channel is dropped, as PIL's convert("RGB") does.

Models: MODELS below, each a tinyconv model with a torchvision counterpart of the same name and the same
parameter names; a new one is one more line there. Two habits of older published files are handled as
torchvision handles them (`torchvision_names`): DenseNet's files name their layers' parts `norm.1`,
`conv.1`... where the models now say `norm1`, `conv1`; and files written before PyTorch 0.4.1 have no
batch-norm counter `num_batches_tracked`.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys

import numpy as np
from common import add_seed_flag
from matplotlib import image as mpimg

import tinyconv
import tinyconv.functional as F
from tinyconv import models
from tinyconv.data import IMAGENET_MEAN, IMAGENET_STD, imagenet_classes
from tinyconv.serialization import CheckpointError

# --model -> the tinyconv builder of torchvision's model of that name.
MODELS = {
    "resnet18": models.ResNet18,
    "resnet34": models.ResNet34,
    "resnet50": models.ResNet50,
    "vgg11": models.vgg11,
    "vgg13": models.vgg13,
    "vgg16": models.vgg16,
    "vgg19": models.vgg19,
    "vgg11_bn": functools.partial(models.vgg11, batch_norm=True),
    "vgg13_bn": functools.partial(models.vgg13, batch_norm=True),
    "vgg16_bn": functools.partial(models.vgg16, batch_norm=True),
    "vgg19_bn": functools.partial(models.vgg19, batch_norm=True),
    "vit_b_16": models.vit_b_16,
    "vit_b_32": models.vit_b_32,
    "vit_l_16": models.vit_l_16,
    "densenet121": models.densenet121,
    "densenet161": models.densenet161,
    "densenet169": models.densenet169,
    "densenet201": models.densenet201,
}
CROP = 224  # the side of the images every one of them was trained on


# ----------------------------------------------------------------------------------------- the image
def read_image(path: str) -> np.ndarray:
    """The image at `path` as an (H, W, 3) float64 array of RGB values in [0, 1], or exit saying why not.

    matplotlib gives 8-bit images (JPEG...) as uint8 0..255 and PNGs as floats in [0, 1], with 1 channel
    (grey, often as (H, W)), 2 (grey and alpha), 3 (RGB) or 4 (RGBA).
    """
    try:
        image = mpimg.imread(path)
    except FileNotFoundError:
        sys.exit(f"IMAGE: there is no file {path}. Give the paths of photos to classify (JPEG, PNG...).")
    except Exception as error:  # Pillow's UnidentifiedImageError, a damaged PNG's ValueError...
        sys.exit(f"IMAGE: cannot read {path} as an image ({type(error).__name__}: {error}).")
    if image.dtype == np.uint8:
        image = image / 255.0
    elif image.dtype.kind != "f":
        sys.exit(f"IMAGE: {path} has {image.dtype} pixels; give an 8-bit image (JPEG, PNG...).")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] in (1, 2):  # grey, or grey and alpha: the grey level in all three channels
        image = np.repeat(image[:, :, :1], 3, axis=2)
    return np.asarray(image[:, :, :3], dtype=np.float64)  # RGBA: the alpha dropped, as convert("RGB")


def resize_matrix(in_size: int, out_size: int) -> np.ndarray:
    """(out_size, in_size) matrix M such that M @ line resizes a line of pixels: PIL's bilinear filter.

    Output pixel i covers the input interval [i * scale, (i + 1) * scale), scale = in_size / out_size; its
    centre sits at (i + 0.5) * scale. Its value is a weighted mean of the input pixels j around it, with
    the triangle ("tent") weight

        w(i, j) = max(0, 1 - |(j + 0.5) - (i + 0.5) * scale| / support),   support = max(scale, 1)

    normalized so that each row sums to 1 (at the borders, over the pixels that exist). Enlarging
    (scale < 1), the tent spans one input pixel each side: plain bilinear interpolation between the two
    nearest. Shrinking, the tent is widened by the scale, so that every input pixel counts (antialiasing):
    plain bilinear reads only the 2 pixels nearest each centre, so a 3000-pixel side shrunk to 256 would
    skip 9 of every 11.7 pixels, and fine stripes would come out as coarse false ones (aliasing).
    """
    scale = in_size / out_size
    support = max(scale, 1.0)
    centres = (np.arange(out_size) + 0.5) * scale
    distance = (np.arange(in_size) + 0.5 - centres[:, None]) / support  # (out, in), in tent half-widths
    weights = np.maximum(0.0, 1.0 - np.abs(distance))
    return weights / weights.sum(axis=1, keepdims=True)


def resized_size(height: int, width: int, shorter: int) -> tuple:
    """(new height, new width) with the shorter side `shorter` and the other scaled and rounded down,
    as torchvision's Resize(int): 512 x 600 -> 256 x 300."""
    if height <= width:
        return shorter, int(shorter * width / height)
    return int(shorter * height / width), shorter


def preprocess(path: str, resize: int = 256) -> np.ndarray:
    """The image at `path` as the network's input (3, 224, 224), float32, torchvision's recipe: read as
    RGB in [0, 1], shorter side resized to `resize`, the centre CROP x CROP, normalized per channel."""
    image = read_image(path)
    height, width = resized_size(image.shape[0], image.shape[1], resize)
    image = np.einsum("oh,hwc->owc", resize_matrix(image.shape[0], height), image)  # the columns
    image = np.einsum("pw,owc->opc", resize_matrix(image.shape[1], width), image)  # then the rows
    # CenterCrop rounds half-pixel offsets as Python's round() does (to even), as torchvision.
    top, left = int(round((height - CROP) / 2.0)), int(round((width - CROP) / 2.0))
    image = image[top : top + CROP, left : left + CROP]
    image = (image - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    return image.transpose(2, 0, 1).astype(np.float32)  # (H, W, C) -> (C, H, W), as networks take it


# ----------------------------------------------------------------------------------------- the network
# A DenseNet layer's parts as torchvision's published DenseNet files name them ('.'s were allowed in
# module names then): features.denseblock1.denselayer1.norm.1.weight, for today's ...denselayer1.norm1.weight.
OLD_DENSE_LAYER_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def torchvision_names(state: dict, model) -> dict:
    """`state` under the names `model` has, as torchvision loads its own files: DenseNet's old names
    renamed (the pattern of torchvision/models/densenet.py, _load_state_dict), and any batch-norm counter
    num_batches_tracked that the file lacks (written before PyTorch 0.4.1) kept as the model has it, as
    PyTorch's BatchNorm does for such files. The counter is only read when training with momentum=None."""
    renamed = {OLD_DENSE_LAYER_KEY.sub(r"\1\2", key): value for key, value in state.items()}
    for key, value in model.state_dict().items():
        if key.endswith(".num_batches_tracked") and key not in renamed:
            renamed[key] = value
    return renamed


def build_model(name: str, weights: str | None):
    """tinyconv's `name`, with the state_dict in the file `weights` (or random weights), in eval mode."""
    model = MODELS[name]()
    if weights is not None:
        try:
            state = tinyconv.load(weights)
        except FileNotFoundError:
            sys.exit(
                f"--weights: there is no file {weights}. Download torchvision's weights for --model {name} "
                "on a machine with internet (docs/pytorch_files.md lists their addresses)."
            )
        except CheckpointError as error:
            sys.exit(f"--weights: {error}")
        if not isinstance(state, dict):
            sys.exit(
                f"--weights: {weights} holds a {type(state).__name__}, not a state_dict (a dict of arrays)"
            )
        try:
            model.load_state_dict(torchvision_names(state, model))
        except (TypeError, ValueError) as error:
            sys.exit(f"--weights: {weights} is not a state_dict of {name} ({str(error):.600})")
    return model.eval()


def classify(model, images: np.ndarray) -> tuple:
    """(logits, probabilities), both (N, 1000), of a batch of preprocessed images (N, 3, 224, 224)."""
    with tinyconv.no_grad():
        logits = model(tinyconv.Tensor(images))
        return logits.numpy(), F.softmax(logits, dim=1).numpy()


def top_lines(probabilities: np.ndarray, names: list, k: int = 5) -> list:
    """The `k` most likely classes of one image, most likely first, as lines '  12.34%  tabby'."""
    best = np.argsort(probabilities)[::-1][:k]
    return [f"  {probabilities[c]:7.2%}  {names[c]}" for c in best]


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="photos to classify (JPEG, PNG...)")
    parser.add_argument("--model", choices=list(MODELS), default="resnet18")
    parser.add_argument("--weights", metavar="FILE.pth", help="torchvision's weights for --model")
    parser.add_argument("--resize", type=int, default=256, help="shorter side before the crop (default 256)")
    add_seed_flag(parser)
    args = parser.parse_args(argv)
    if args.resize < CROP:
        parser.error(f"--resize must be at least the crop, {CROP}, got {args.resize}")

    if args.weights is None:
        print(
            f"WARNING: no --weights given: {args.model} has RANDOM weights (seed {args.seed}), so the "
            "classes below mean nothing. Give torchvision's weights with --weights FILE.pth."
        )
    images = np.stack([preprocess(path, args.resize) for path in args.images])
    tinyconv.manual_seed(args.seed)
    model = build_model(args.model, args.weights)
    _, probabilities = classify(model, images)
    names = imagenet_classes()
    for path, row in zip(args.images, probabilities):
        print(path)
        print("\n".join(top_lines(row, names)))


if __name__ == "__main__":
    main()
