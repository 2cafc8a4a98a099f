"""The batch transforms (tinyconv/data/transforms.py): RandomCrop, RandomHorizontalFlip, Normalize and
Compose, checked against NumPy formulas; the random ones repeatable under manual_seed.
"""

from __future__ import annotations

import numpy
import pytest

import tinyconv
from tinyconv.data import Compose, Normalize, RandomCrop, RandomHorizontalFlip


def numbered_batch(batch: int, channels: int, height: int, width: int, start: int = 0) -> numpy.ndarray:
    """Images whose pixels are all different (start, start + 1, ...), so a crop reveals exactly where it
    was cut and no image equals its own mirror image."""
    size = batch * channels * height * width
    return (numpy.arange(size).reshape(batch, channels, height, width) + start).astype(numpy.int64)


# ------------------------------------------------------------------------------ RandomCrop


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
    images = numbered_batch(16, 1, 6, 5, start=1)
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
    images = numbered_batch(3, 1, 4, 4, start=1)
    numpy.testing.assert_array_equal(RandomCrop(4)(images), images)


def test_manual_seed_makes_the_crops_repeatable():
    images = numbered_batch(8, 1, 10, 10, start=1)
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
def test_crop_bad_arguments_get_a_clear_error(arguments, images, message):
    with pytest.raises(ValueError, match=message):
        RandomCrop(*arguments)(images)


def test_flip_mirrors_exactly_the_images_it_flips_left_to_right_and_leaves_the_others():
    images = numbered_batch(32, 3, 4, 5)
    tinyconv.manual_seed(0)

    out = RandomHorizontalFlip()(images)

    assert out.shape == images.shape and out.dtype == images.dtype
    flipped = []
    for image, result in zip(images, out):
        mirrored = image[:, :, ::-1]  # column x goes to column W - 1 - x, in every channel and row
        assert numpy.array_equal(result, image) or numpy.array_equal(result, mirrored)
        flipped.append(numpy.array_equal(result, mirrored))
    assert 0 < sum(flipped) < 32, "with p = 0.5, 32 images should not all get the same draw"


def test_flip_with_p_0_leaves_every_image():
    images = numbered_batch(16, 1, 3, 3)

    numpy.testing.assert_array_equal(RandomHorizontalFlip(p=0)(images), images)


def test_flip_with_p_1_mirrors_every_image():
    images = numbered_batch(16, 2, 3, 4)

    numpy.testing.assert_array_equal(RandomHorizontalFlip(p=1)(images), images[:, :, :, ::-1])


def test_flip_mirrors_each_image_with_probability_p():
    images = numbered_batch(4000, 1, 1, 2)  # row [2k, 2k + 1] becomes [2k + 1, 2k] when flipped
    tinyconv.manual_seed(1)

    out = RandomHorizontalFlip(p=0.25)(images)

    fraction = float(numpy.mean(out[:, 0, 0, 0] > out[:, 0, 0, 1]))
    assert abs(fraction - 0.25) < 0.03  # about 4 standard deviations of a binomial(4000, 0.25) share


def test_flip_does_not_change_the_batch_it_is_given():
    images = numbered_batch(8, 1, 2, 3)
    before = images.copy()

    RandomHorizontalFlip(p=1)(images)

    numpy.testing.assert_array_equal(images, before)


def test_manual_seed_makes_the_flips_repeatable():
    images = numbered_batch(64, 1, 2, 2)
    tinyconv.manual_seed(5)
    first = RandomHorizontalFlip()(images)
    tinyconv.manual_seed(5)
    again = RandomHorizontalFlip()(images)
    tinyconv.manual_seed(6)
    other = RandomHorizontalFlip()(images)

    numpy.testing.assert_array_equal(again, first)
    assert not numpy.array_equal(other, first)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_flip_refuses_a_p_that_is_not_a_probability(p):
    with pytest.raises(ValueError, match="RandomHorizontalFlip: p must be a probability between 0 and 1"):
        RandomHorizontalFlip(p)


@pytest.mark.parametrize("p", ["0.5", None, True])
def test_flip_refuses_a_p_that_is_not_a_number(p):
    with pytest.raises(TypeError, match="RandomHorizontalFlip: p must be a real number"):
        RandomHorizontalFlip(p)


def test_flip_refuses_an_array_that_is_not_a_batch():
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: expected a batch \(B, C, H, W\)"):
        RandomHorizontalFlip()(numpy.zeros((3, 4, 4)))


def test_normalize_subtracts_each_channels_mean_and_divides_by_its_std():
    images = numpy.random.default_rng(0).uniform(0, 1, size=(2, 3, 4, 5)).astype(numpy.float32)
    mean, std = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]

    out = Normalize(mean, std)(images)

    expected = (images.astype(numpy.float64) - numpy.reshape(mean, (1, 3, 1, 1))) / numpy.reshape(
        std, (1, 3, 1, 1)
    )
    assert out.dtype == numpy.float32 and out.shape == images.shape
    numpy.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_normalize_keeps_a_float64_batch_in_float64():
    images = numpy.full((1, 1, 2, 2), 0.75)

    out = Normalize([0.5], [0.25])(images)

    assert out.dtype == numpy.float64
    numpy.testing.assert_array_equal(out, numpy.ones((1, 1, 2, 2)))  # (0.75 - 0.5) / 0.25


def test_normalize_refuses_a_batch_with_another_number_of_channels():
    with pytest.raises(
        ValueError, match=r"the batch has 1 channels \(shape \(2, 1, 4, 4\)\) but mean and std have 3"
    ):
        Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2])(numpy.zeros((2, 1, 4, 4), dtype=numpy.float32))


def test_normalize_refuses_integer_pixels():
    with pytest.raises(TypeError, match="expected a float batch.*got dtype uint8"):
        Normalize([0.5], [0.2])(numpy.zeros((2, 1, 4, 4), dtype=numpy.uint8))


@pytest.mark.parametrize(
    "mean, std, message",
    [
        ([0.5, 0.5], [0.2], "one number per channel"),
        (0.5, 0.2, "one number per channel"),
        ([], [], "one number per channel"),
        ([0.5, 0.5], [0.2, 0.0], "std must be positive"),
    ],
)
def test_normalize_refuses_bad_mean_and_std(mean, std, message):
    with pytest.raises(ValueError, match=message):
        Normalize(mean, std)


def test_compose_applies_the_transforms_in_the_order_given():
    images = numpy.ones((1, 1, 2, 2))

    def add_one(x):
        return x + 1

    def double(x):
        return x * 2

    numpy.testing.assert_array_equal(Compose([add_one, double])(images), numpy.full((1, 1, 2, 2), 4.0))
    numpy.testing.assert_array_equal(Compose([double, add_one])(images), numpy.full((1, 1, 2, 2), 3.0))


def test_compose_of_a_crop_and_a_flip_is_repeatable_under_manual_seed():
    images = numbered_batch(16, 3, 8, 8)
    augment = Compose([RandomCrop(8, padding=2), RandomHorizontalFlip()])

    tinyconv.manual_seed(2)
    first = augment(images)
    tinyconv.manual_seed(2)
    again = augment(images)

    assert first.shape == (16, 3, 8, 8)
    numpy.testing.assert_array_equal(again, first)


def test_compose_refuses_something_that_is_not_callable():
    with pytest.raises(TypeError, match="Compose: every transform must be callable.*item 1 is 0.5"):
        Compose([RandomHorizontalFlip(), 0.5])
