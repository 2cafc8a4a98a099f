"""RandomCrop: a random window of the padded image, per image, repeatable under manual_seed."""

from __future__ import annotations

import os

import numpy
import pytest

import tinyconv
from tinyconv.data import MNIST, RandomCrop


def numbered_batch(batch: int, height: int, width: int) -> numpy.ndarray:
    """Images whose pixels are all different, so a crop reveals exactly where it was cut."""
    return (numpy.arange(batch * height * width).reshape(batch, 1, height, width) + 1).astype(numpy.int64)


def offsets_of(crop: numpy.ndarray, padded: numpy.ndarray) -> list:
    """Every (top, left) at which `crop` appears inside `padded` (both 2-D)."""
    size = crop.shape[0]
    return [
        (top, left)
        for top in range(padded.shape[0] - size + 1)
        for left in range(padded.shape[1] - size + 1)
        if numpy.array_equal(padded[top : top + size, left : left + size], crop)
    ]


def test_each_crop_is_a_window_of_its_own_zero_padded_image():
    images = numbered_batch(16, 6, 5)
    tinyconv.manual_seed(0)
    crops = RandomCrop(5, padding=2)(images)
    assert crops.shape == (16, 1, 5, 5) and crops.dtype == images.dtype
    seen = set()
    for image, crop in zip(images[:, 0], crops[:, 0]):
        padded = numpy.pad(image, 2)
        found = offsets_of(crop, padded)
        assert len(found) == 1, "the crop must be a window of this image's padded version"
        seen.add(found[0])
    assert len(seen) > 1, "16 images should not all get the same shift"


def test_padding_uses_the_fill_value():
    images = numpy.ones((200, 1, 4, 4), dtype=numpy.uint8)
    tinyconv.manual_seed(1)
    crops = RandomCrop(4, padding=1, fill=7)(images)
    assert set(numpy.unique(crops)) == {1, 7}  # some crops reach into the border, all keep some image


def test_no_padding_and_full_size_leaves_the_images_unchanged():
    images = numbered_batch(3, 4, 4)
    numpy.testing.assert_array_equal(RandomCrop(4)(images), images)


def test_manual_seed_makes_the_crops_repeatable():
    images = numbered_batch(8, 10, 10)
    tinyconv.manual_seed(5)
    first = RandomCrop(8, padding=1)(images)
    tinyconv.manual_seed(5)
    numpy.testing.assert_array_equal(RandomCrop(8, padding=1)(images), first)


@pytest.mark.parametrize(
    "arguments, images, message",
    [
        ((9,), numpy.zeros((1, 1, 8, 8)), "does not fit"),
        ((4, -1), numpy.zeros((1, 1, 8, 8)), "padding must be a non-negative int"),
        ((0,), numpy.zeros((1, 1, 8, 8)), "size must be a positive int"),
        ((4,), numpy.zeros((8, 8)), r"expected a batch \(B, C, H, W\)"),
    ],
)
def test_bad_arguments_get_a_clear_error(arguments, images, message):
    with pytest.raises(ValueError, match=message):
        RandomCrop(*arguments)(images)


@pytest.mark.skipif(
    not os.path.isdir(os.path.join(os.environ.get("TINYCONV_DATA", "/nonexistent"), "mnist")),
    reason="set TINYCONV_DATA to a folder whose mnist/ holds the MNIST files",
)
def test_mnist_applies_the_transform_to_raw_pixels_before_normalizing():
    def all_black(batch):
        assert batch.dtype == numpy.uint8 and batch.shape[1:] == (1, 28, 28)
        return numpy.zeros_like(batch)

    dataset = MNIST(train=False, download=False, transform=all_black)
    images, _ = dataset[numpy.arange(5)]
    black = (0 - MNIST.mean) / MNIST.std
    numpy.testing.assert_allclose(images, black, rtol=1e-6)
    single, _ = dataset[0]
    assert single.shape == (1, 28, 28)
    numpy.testing.assert_allclose(single, black, rtol=1e-6)
