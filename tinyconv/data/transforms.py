"""Data augmentation on whole batches of images (B, C, H, W), drawn from tinyconv's seeded generator.

Augmentation shows the network a slightly different version of each image every epoch: a digit moved
by two pixels is still the same digit, and a model that has seen such moves generalizes better (on
MNIST, LeNet-5's test error drops by about a third). Transforms work on batches because the data path
does: a dataset looks up a whole batch at once (see dataset.py).
"""

from __future__ import annotations

import numpy

from tinyconv import random
from tinyconv.shapes import check_int


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
