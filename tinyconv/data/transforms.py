"""Data augmentation on whole batches of images (B, C, H, W), drawn from tinyconv's seeded generator.

Augmentation shows the network a slightly different version of each image every epoch: a digit moved
by two pixels is still the same digit, and a model that has seen such moves generalizes better (on
MNIST, LeNet-5's test error drops by about a third). Transforms work on batches because the data path
does: a dataset looks up a whole batch at once (see dataset.py).

    RandomCrop            a random shift of each image (pad, then cut a window)
    RandomHorizontalFlip  each image mirrored left to right with probability p (a cat facing left is a cat)
    Normalize             (x - mean[c]) / std[c] for each channel c, on float batches
    Compose               several transforms, one after the other

Random choices are made per image and drawn from `tinyconv.random.generator()`, so `tinyconv.manual_seed`
makes them repeatable. A transform never changes the array it is given: it returns a new one.
"""

from __future__ import annotations

import numpy

from tinyconv import random
from tinyconv.checks import check_int, check_real


class RandomCrop:
    """Pad each image by `padding` pixels of `fill`, then cut a random `size` x `size` window from it.

    With size equal to the image size and padding p, this moves each image by a random shift of
    -p..+p pixels in each direction, a different shift per image (torchvision's RandomCrop(size, p)).

        images (B, C, H, W) -> (B, C, size, size), the same dtype
    """

    def __init__(self, size: int, padding: int = 0, fill=0):
        self.size = check_int("RandomCrop", "size", size, minimum=1)
        self.padding = check_int("RandomCrop", "padding", padding, minimum=0)
        self.fill = fill

    def __call__(self, images: numpy.ndarray) -> numpy.ndarray:
        if images.ndim != 4:
            raise ValueError(f"RandomCrop: expected a batch (B, C, H, W), got shape {images.shape}")
        batch, channels, height, width = images.shape
        p, size = self.padding, self.size
        if size > height + 2 * p or size > width + 2 * p:
            raise ValueError(
                f"RandomCrop: a {size}x{size} crop does not fit in {height}x{width} images padded by {p}"
            )
        padded = numpy.full((batch, channels, height + 2 * p, width + 2 * p), self.fill, dtype=images.dtype)
        padded[:, :, p : p + height, p : p + width] = images
        top = random.generator().integers(0, height + 2 * p - size + 1, size=batch)
        left = random.generator().integers(0, width + 2 * p - size + 1, size=batch)
        # One fancy-indexing step for the whole batch: rows[b] and columns[b] are image b's window.
        rows = top[:, None] + numpy.arange(size)  # (B, size)
        columns = left[:, None] + numpy.arange(size)  # (B, size)
        picked = padded[
            numpy.arange(batch)[:, None, None, None],
            numpy.arange(channels)[None, :, None, None],
            rows[:, None, :, None],
            columns[:, None, None, :],
        ]
        return picked

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill})"


def check_batch(owner: str, images: numpy.ndarray) -> None:
    """A ValueError naming `owner` unless `images` is a batch (B, C, H, W)."""
    if images.ndim != 4:
        raise ValueError(f"{owner}: expected a batch (B, C, H, W), got shape {images.shape}")


class RandomHorizontalFlip:
    """Mirror each image left to right with probability `p`, a fresh draw per image (torchvision's).

        out[b] = images[b, :, :, ::-1]   where the draw for image b came out below p
        out[b] = images[b]               elsewhere
        images (B, C, H, W) -> (B, C, H, W), the same dtype

    Right for photographs (CIFAR-10: a car facing left is still a car), wrong for digits and letters,
    whose mirror images are not the same symbol.
    """

    def __init__(self, p: float = 0.5):
        self.p = check_real("RandomHorizontalFlip", "p", p)
        if not 0 <= self.p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be a probability between 0 and 1, got {p!r}")

    def __call__(self, images: numpy.ndarray) -> numpy.ndarray:
        check_batch("RandomHorizontalFlip", images)
        # Uniform draws in [0, 1): below p with probability p; never for p = 0, always for p = 1.
        flip = random.generator().random(len(images)) < self.p
        out = images.copy()
        out[flip] = images[flip][..., ::-1]
        return out

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Normalize:
    """Subtract each channel's mean and divide by its standard deviation, as torchvision's Normalize.

        out[b, c] = (images[b, c] - mean[c]) / std[c]
        images (B, C, H, W) float -> (B, C, H, W), the same dtype;  mean, std: C numbers each

    For batches you scale to [0, 1] yourself (a TensorDataset); MNIST, FashionMNIST and CIFAR10
    normalize their pixels already, after their transform, which sees raw uint8 pixels.
    """

    def __init__(self, mean, std):
        self.mean = numpy.asarray(mean, dtype=numpy.float64)
        self.std = numpy.asarray(std, dtype=numpy.float64)
        if self.mean.ndim != 1 or self.std.ndim != 1 or len(self.mean) != len(self.std) or not len(self.mean):
            raise ValueError(
                f"Normalize: mean and std must be two sequences with one number per channel, "
                f"got mean {mean!r} and std {std!r}"
            )
        if numpy.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive for every channel, got {std!r}")

    def __call__(self, images: numpy.ndarray) -> numpy.ndarray:
        check_batch("Normalize", images)
        if images.dtype.kind != "f":
            raise TypeError(
                f"Normalize: expected a float batch (pixels scaled to [0, 1]), got dtype {images.dtype}"
            )
        channels = images.shape[1]
        if channels != len(self.mean):
            raise ValueError(
                f"Normalize: the batch has {channels} channels (shape {images.shape}) but mean and std "
                f"have {len(self.mean)} values, one per channel"
            )
        mean = self.mean.astype(images.dtype)[:, None, None]  # (C, 1, 1): broadcast over B, H, W
        std = self.std.astype(images.dtype)[:, None, None]
        return (images - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Compose:
    """Apply `transforms` one after the other, as torchvision's Compose:

    Compose([RandomCrop(32, padding=4), RandomHorizontalFlip()])(images)
        == RandomHorizontalFlip()(RandomCrop(32, padding=4)(images))
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for position, transform in enumerate(self.transforms):
            if not callable(transform):
                raise TypeError(
                    f"Compose: every transform must be callable on a batch, but item {position} is "
                    f"{transform!r} ({type(transform).__name__})"
                )

    def __call__(self, images: numpy.ndarray) -> numpy.ndarray:
        for transform in self.transforms:
            images = transform(images)
        return images

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(transform) for transform in self.transforms) + "])"
