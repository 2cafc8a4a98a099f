"""DigitCanvases: larger images made of a few MNIST digits, each at its own place and size, with a
class per pixel (for semantic segmentation) and a box per digit (for detection: DigitDetection).

    test_canvases = DigitCanvases(MNIST(train=False), count=500, seed=1)
    canvas, mask = test_canvases[0]        # (1, 64, 64) float32, (64, 64) int64
    canvases, masks = test_canvases[numpy.arange(32)]      # a batch: (32, 1, 64, 64), (32, 64, 64)
    test_canvases.placements(0)            # what was drawn where: digit, label, source index, box

How canvas i is made (all of it drawn from a random generator seeded with (seed, i), so canvas i is
the same every time, whatever else is asked for, and canvases need no memory until they are read):
  1. the number of digits, uniform in digits_per_canvas (1 to 4 by default);
  2. for each digit: a source image, uniform over `digits` (so canvases made from MNIST's test split
     hold test digits only), and a side, uniform in digit_sizes; the 28x28 image is resized to side x
     side by bilinear interpolation (the weights of F.interpolate, align_corners=False);
  3. a place, uniform over the positions where the resized image fits in the canvas, accepted if the
     digit's *ink box* (the smallest box around its pixels of at least ink_threshold * 255) overlaps
     no ink box placed before it; after `tries` refusals the digit is left out (rare with the
     defaults, but it means a canvas can hold fewer digits than it drew).
The canvas is the brightest of the digits at every pixel. A pixel is labelled 1 + the digit (class
1 for a 0, ..., class 10 for a 9) when it is at least ink_threshold * 255 in that digit's resized
image, and 0 (background) otherwise. Ink boxes never overlap, so a pixel is ink of at most one digit,
and the ink of the mask is exactly the canvas pixels at or above the threshold: the faint edge of a
digit can lie under another digit's stroke, but never reaches the threshold on its own.

Canvases are normalized like the digits they come from (`digits.normalize`: MNIST's mean and
standard deviation), so a network trained on MNIST sees the background and ink values it knows.
`digits.transform` (augmentation) is not applied: the placement and scaling are the augmentation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy

from tinyconv.checks import check_int
from tinyconv.data.dataset import Dataset, is_single_index
from tinyconv.functional.interpolate import linear_weights

BACKGROUND = 0  # the class of every pixel that is not a digit's stroke; digit d is class d + 1


@dataclass(frozen=True)
class Placement:
    """One digit on a canvas: its label (0-9), the index of its image in the source dataset, where its
    side x side image was put (top, left), and its ink box (top, left, bottom, right), in canvas
    pixels, bottom and right excluded, as numpy slices and torchvision's boxes (x1, y1, x2, y2) count."""

    label: int
    source: int
    top: int
    left: int
    side: int
    box: tuple


@functools.cache
def resize_matrix(in_size: int, out_size: int) -> numpy.ndarray:
    """(out_size, in_size): the bilinear weights that resize one axis, F.interpolate's own."""
    return linear_weights(in_size, out_size, in_size / out_size, False, numpy, numpy.float32)


def resized(image: numpy.ndarray, side: int) -> numpy.ndarray:
    """A (H, W) uint8 image resized to (side, side) bilinearly: R_h @ image @ R_w^T, rounded to uint8
    (each output is a weighted mean of inputs, so it stays in 0..255)."""
    rows, columns = resize_matrix(image.shape[0], side), resize_matrix(image.shape[1], side)
    return numpy.round(rows @ image.astype(numpy.float32) @ columns.T).astype(numpy.uint8)


def ink_box(ink: numpy.ndarray) -> tuple:
    """(top, left, bottom, right) of the True pixels of a 2-D mask, bottom and right excluded."""
    rows, columns = numpy.nonzero(ink.any(axis=1))[0], numpy.nonzero(ink.any(axis=0))[0]
    return int(rows[0]), int(columns[0]), int(rows[-1]) + 1, int(columns[-1]) + 1


def boxes_overlap(a: tuple, b: tuple) -> bool:
    """Whether two (top, left, bottom, right) boxes share a pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class DigitCanvases(Dataset):
    """`count` canvases of digits from `digits` (an MNIST or Fashion-MNIST dataset; see the module
    docstring for how each is drawn), for segmentation: canvas i is (image (1, size, size) float32,
    mask (size, size) int64 with classes 0 = background, d + 1 = digit d).

    digits:             the source dataset; its split is the canvases' split
    count:              how many canvases (len of the dataset)
    size:               the side of a canvas, in pixels
    digits_per_canvas:  (fewest, most) digits drawn per canvas
    digit_sizes:        (smallest, largest) side of a digit's resized 28x28 image
    seed:               canvas i is drawn from numpy.random.default_rng((seed, i))
    ink_threshold:      the fraction of full brightness from which a pixel is a digit's stroke
    tries:              places tried per digit before it is left out
    """

    supports_batch_indexing = True
    num_classes = 11
    classes = ("background",) + tuple(str(digit) for digit in range(10))

    def __init__(
        self,
        digits,
        count: int,
        size: int = 64,
        digits_per_canvas: tuple = (1, 4),
        digit_sizes: tuple = (20, 36),
        seed: int = 0,
        ink_threshold: float = 0.5,
        tries: int = 50,
    ):
        self.digits = digits
        self.count = check_int("DigitCanvases", "count", count, minimum=1)
        self.size = check_int("DigitCanvases", "size", size, minimum=1)
        self.digits_per_canvas = self.check_range("digits_per_canvas", digits_per_canvas, 1, None)
        self.digit_sizes = self.check_range("digit_sizes", digit_sizes, 1, self.size)
        self.seed = check_int("DigitCanvases", "seed", seed, minimum=0)
        if not 0 < ink_threshold <= 1:
            raise ValueError(f"DigitCanvases: ink_threshold must be in (0, 1], got {ink_threshold!r}")
        self.ink_threshold = ink_threshold
        self.tries = check_int("DigitCanvases", "tries", tries, minimum=1)

    @staticmethod
    def check_range(name: str, value, lowest: int, highest: int | None) -> tuple:
        """A (low, high) pair of ints with lowest <= low <= high (<= highest), or a ValueError."""
        if (
            not isinstance(value, (tuple, list))
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or not lowest <= value[0] <= value[1]
            or (highest is not None and value[1] > highest)
        ):
            bound = f" and at most {highest}" if highest is not None else ""
            raise ValueError(
                f"DigitCanvases: {name} must be a pair (low, high) of ints with {lowest} <= low <= high"
                f"{bound}, got {value!r}"
            )
        return tuple(value)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):
        """(canvas (1, size, size), mask (size, size)) for an int; stacked batches for an index array or
        a slice."""
        if is_single_index(index):
            pixels, mask = self.draw(self.checked(index))
            return self.digits.normalize(pixels[None]), mask
        indices = numpy.arange(self.count)[index]
        drawn = [self.draw(self.checked(int(i))) for i in indices]
        pixels = numpy.stack([canvas for canvas, _ in drawn])[:, None]
        return self.digits.normalize(pixels), numpy.stack([mask for _, mask in drawn])

    def checked(self, index: int) -> int:
        """index as a position in 0..count-1 (negative ones count from the end), or an IndexError."""
        if not -self.count <= index < self.count:
            raise IndexError(f"DigitCanvases: index {index} is out of range for {self.count} canvases")
        return index % self.count

    def placements(self, index: int) -> list:
        """The digits of canvas `index`, in the order they were drawn, as Placements."""
        return self.layout(self.checked(index))[0]

    def layout(self, index: int) -> tuple:
        """(placements, the resized image of each) of canvas `index`, drawn from its own generator."""
        rng = numpy.random.default_rng((self.seed, index))
        wanted = int(rng.integers(self.digits_per_canvas[0], self.digits_per_canvas[1] + 1))
        placements, images = [], []
        for _ in range(wanted):
            source = int(rng.integers(len(self.digits.images)))
            side = int(rng.integers(self.digit_sizes[0], self.digit_sizes[1] + 1))
            image = resized(self.digits.images[source], side)
            ink = image >= self.ink_threshold * 255
            if not ink.any():  # a digit too faint to leave a stroke: nothing to place
                continue
            inside = ink_box(ink)
            for _ in range(self.tries):
                top, left = (int(v) for v in rng.integers(0, self.size - side + 1, size=2))
                box = (top + inside[0], left + inside[1], top + inside[2], left + inside[3])
                if not any(boxes_overlap(box, placed.box) for placed in placements):
                    label = int(self.digits.labels[source])
                    placements.append(Placement(label, source, top, left, side, box))
                    images.append(image)
                    break
        return placements, images

    def draw(self, index: int) -> tuple:
        """(pixels (size, size) uint8, mask (size, size) int64) of canvas `index`."""
        canvas = numpy.zeros((self.size, self.size), dtype=numpy.uint8)
        mask = numpy.full((self.size, self.size), BACKGROUND, dtype=numpy.int64)
        placements, images = self.layout(index)
        for placed, image in zip(placements, images):
            rows = slice(placed.top, placed.top + placed.side)
            columns = slice(placed.left, placed.left + placed.side)
            numpy.maximum(canvas[rows, columns], image, out=canvas[rows, columns])
            mask[rows, columns][image >= self.ink_threshold * 255] = placed.label + 1
        return canvas, mask

    def __repr__(self) -> str:
        return (
            f"DigitCanvases({self.count} canvases of {self.size}x{self.size}, {self.digits_per_canvas[0]}-"
            f"{self.digits_per_canvas[1]} digits of {self.digit_sizes[0]}-{self.digit_sizes[1]} pixels, "
            f"seed {self.seed}, from {self.digits!r})"
        )


class DigitDetection(Dataset):
    """The canvases of a DigitCanvases as a detection dataset, in torchvision's format: item i is
    (image (1, size, size) float32, {"boxes": (n, 4) float32, "labels": (n,) int64}), one box per digit
    drawn, (x1, y1, x2, y2) in pixels around its ink (the pixels of at least ink_threshold * 255 of its
    resized image: the faint rim of a stroke lies outside), and its label 0-9.

        canvases = DigitCanvases(MNIST(train=False), count=1000, size=96, digits_per_canvas=(1, 5), seed=1)
        loader = DataLoader(DigitDetection(canvases), 32, collate_fn=detection_collate)
        for images, targets in loader:     # (32, 1, 96, 96), a list of 32 dicts
            ...

    The number of boxes differs from canvas to canvas, so a batch cannot stack them: detection_collate
    (tinyconv/data/collate.py) stacks the images and keeps the targets as a list, as torchvision's
    detection references do. A model turns the list into what it learns from (YOLO: yolo_targets, an
    S x S grid that depends on the model's S, not on the data), and mean_average_precision reads it as
    it is.
    """

    num_classes = 10
    classes = tuple(str(digit) for digit in range(10))

    def __init__(self, canvases: DigitCanvases):
        if not isinstance(canvases, DigitCanvases):
            raise TypeError(
                f"DigitDetection: canvases must be a DigitCanvases, got {type(canvases).__name__}"
            )
        self.canvases = canvases

    def __len__(self) -> int:
        return len(self.canvases)

    def __getitem__(self, index: int) -> tuple:
        if not is_single_index(index):
            raise TypeError(
                f"DigitDetection: index one canvas at a time (an int), got {type(index).__name__}; batch "
                "them with DataLoader(..., collate_fn=detection_collate)"
            )
        return self.canvases[index][0], self.target(index)

    def target(self, index: int) -> dict:
        """{"boxes": (n, 4) float32 xyxy, "labels": (n,) int64} of canvas `index`, in drawing order."""
        placements = self.canvases.placements(index)
        # Placement.box is (top, left, bottom, right); torchvision's boxes are (x1, y1, x2, y2)
        boxes = [(p.box[1], p.box[0], p.box[3], p.box[2]) for p in placements]
        return {
            "boxes": numpy.array(boxes, dtype=numpy.float32).reshape(-1, 4),
            "labels": numpy.array([p.label for p in placements], dtype=numpy.int64),
        }

    def __repr__(self) -> str:
        return f"DigitDetection({self.canvases!r})"
