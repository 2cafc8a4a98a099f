"""DigitCanvases (tinyconv/data/canvas.py): canvases are the same for the same seed, whatever is read
with them; every placed digit is one of the source's images, resized as F.interpolate would, with
ink boxes that do not overlap; the mask labels exactly the drawn strokes; the errors. DigitDetection:
the same canvases with a box tight around each digit's ink and its label, batched by detection_collate."""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
import tinyconv.functional as F
from tinyconv.data import MNIST, DataLoader, DigitDetection, detection_collate
from tinyconv.data.canvas import BACKGROUND, DigitCanvases, boxes_overlap, ink_box, resized


class Digits:
    """A stand-in for MNIST: 40 made-up 28x28 images (random strokes in the middle), labels k mod 10,
    and MNIST's normalization."""

    mean, std = MNIST.mean, MNIST.std
    normalize = MNIST.normalize

    def __init__(self, count: int = 40):
        rng = np.random.default_rng(7)
        self.images = np.zeros((count, 28, 28), dtype=np.uint8)
        self.images[:, 4:24, 6:22] = (rng.random((count, 20, 16)) < 0.4) * 255
        self.labels = np.arange(count, dtype=np.int64) % 10


DIGITS = Digits()
THRESHOLD = 0.5 * 255


def canvases(**settings) -> DigitCanvases:
    return DigitCanvases(DIGITS, **{"count": 30, "seed": 3, **settings})


def test_a_canvas_is_a_normalized_image_and_a_mask_of_classes():
    image, mask = canvases()[0]
    assert image.shape == (1, 64, 64) and image.dtype == np.float32
    assert mask.shape == (64, 64) and mask.dtype == np.int64
    assert image.min() == pytest.approx((0 - MNIST.mean) / MNIST.std)  # the background is MNIST's black
    assert set(np.unique(mask)) <= set(range(11)) and BACKGROUND in mask


def test_the_same_seed_gives_the_same_canvases_and_another_seed_others():
    first, again, other = canvases()[np.arange(5)], canvases()[np.arange(5)], canvases(seed=4)[np.arange(5)]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_a_canvas_is_the_same_alone_in_a_batch_or_from_a_dataset_of_another_length():
    batch_images, batch_masks = canvases()[np.array([7, 2, 7])]
    alone_image, alone_mask = canvases(count=8)[7]
    np.testing.assert_array_equal(batch_images[0], alone_image)
    np.testing.assert_array_equal(batch_masks[2], alone_mask)
    np.testing.assert_array_equal(canvases()[2][1], batch_masks[1])


def test_placements_are_source_digits_of_the_drawn_sizes_with_ink_boxes_that_do_not_overlap():
    dataset = canvases(digits_per_canvas=(2, 4), digit_sizes=(22, 30))
    counts = []
    for index in range(len(dataset)):
        placements = dataset.placements(index)
        counts.append(len(placements))
        for k, placed in enumerate(placements):
            assert placed.label == DIGITS.labels[placed.source]
            assert 22 <= placed.side <= 30
            assert 0 <= placed.top <= 64 - placed.side and 0 <= placed.left <= 64 - placed.side
            inside = ink_box(resized(DIGITS.images[placed.source], placed.side) >= THRESHOLD)
            assert placed.box == (
                placed.top + inside[0],
                placed.left + inside[1],
                placed.top + inside[2],
                placed.left + inside[3],
            )
            assert not any(boxes_overlap(placed.box, other.box) for other in placements[:k])
    assert min(counts) >= 1 and max(counts) <= 4 and len(set(counts)) > 1


def test_the_mask_labels_exactly_the_strokes_of_each_placed_digit():
    dataset = canvases()
    for index in range(len(dataset)):
        pixels, mask = dataset.draw(index)
        covered = np.zeros_like(mask, dtype=bool)
        for placed in dataset.placements(index):
            top, left, bottom, right = placed.box
            image = resized(DIGITS.images[placed.source], placed.side)
            stroke = (
                image[top - placed.top : bottom - placed.top, left - placed.left : right - placed.left]
                >= THRESHOLD
            )
            np.testing.assert_array_equal(
                mask[top:bottom, left:right], np.where(stroke, placed.label + 1, BACKGROUND)
            )
            # The digit's own pixels where it has ink: the source image, resized, nothing else on top.
            np.testing.assert_array_equal(
                pixels[top:bottom, left:right][stroke],
                image[top - placed.top : bottom - placed.top, left - placed.left : right - placed.left][
                    stroke
                ],
            )
            covered[top:bottom, left:right] = True
        assert (mask[~covered] == BACKGROUND).all()
        np.testing.assert_array_equal(
            mask != BACKGROUND, pixels >= THRESHOLD
        )  # ink is exactly the bright pixels


def test_resizing_uses_the_bilinear_weights_of_interpolate():
    image = DIGITS.images[3]
    expected = F.interpolate(
        tinyconv.Tensor(image[None, None].astype(np.float32)), size=(33, 33), mode="bilinear"
    )
    np.testing.assert_array_equal(resized(image, 33), np.round(expected.numpy()[0, 0]).astype(np.uint8))


def test_a_data_loader_batches_canvases_in_one_call():
    images, masks = next(iter(DataLoader(canvases(), batch_size=4)))
    assert images.shape == (4, 1, 64, 64) and masks.shape == (4, 64, 64)
    np.testing.assert_array_equal(masks.numpy()[3], canvases()[3][1])


def test_a_canvas_index_out_of_range_is_an_index_error():
    with pytest.raises(IndexError, match="index 30 is out of range for 30 canvases"):
        canvases()[30]
    np.testing.assert_array_equal(canvases()[-1][1], canvases()[29][1])


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(count=0), "count"),
        (
            dict(digit_sizes=(20, 65)),
            r"digit_sizes must be a pair \(low, high\) of ints with 1 <= low <= high and at most 64",
        ),
        (dict(digit_sizes=(30, 20)), "digit_sizes"),
        (dict(digits_per_canvas=(0, 2)), "digits_per_canvas"),
        (dict(digits_per_canvas=3), "digits_per_canvas"),
        (dict(ink_threshold=0.0), r"ink_threshold must be in \(0, 1\]"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        canvases(**settings)


# ------------------------------------------------------------------------------ DigitDetection
def detection(**settings) -> DigitDetection:
    return DigitDetection(canvases(**{"size": 96, "digits_per_canvas": (1, 5), **settings}))


def test_a_detection_item_is_the_canvas_and_its_boxes_and_labels_in_torchvisions_format():
    dataset = detection()
    image, target = dataset[4]
    np.testing.assert_array_equal(image, dataset.canvases[4][0])
    placements = dataset.canvases.placements(4)
    assert target["boxes"].dtype == np.float32 and target["labels"].dtype == np.int64
    assert target["boxes"].shape == (len(placements), 4) and target["labels"].shape == (len(placements),)
    for (x1, y1, x2, y2), label, placed in zip(target["boxes"], target["labels"], placements):
        assert (y1, x1, y2, x2) == placed.box and label == placed.label  # Placement.box is (top, left, ...)


def test_detection_boxes_are_tight_around_the_ink_and_cover_all_of_it():
    dataset = detection()
    for index in range(len(dataset)):
        ink = dataset.canvases.draw(index)[0] >= THRESHOLD
        covered = np.zeros_like(ink)
        for x1, y1, x2, y2 in dataset.target(index)["boxes"].astype(int):
            inside = ink[y1:y2, x1:x2]
            # every edge row and column of the box holds ink: one pixel less on any side would cut some
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            covered[y1:y2, x1:x2] = True
        assert not (ink & ~covered).any()  # no ink outside the boxes


def test_detection_targets_are_the_same_for_the_same_seed_and_others_for_another():
    first, again, other = detection(), detection(), detection(seed=4)
    boxes = [[d.target(i)["boxes"].tolist() for i in range(10)] for d in (first, again, other)]
    assert boxes[0] == boxes[1] and boxes[0] != boxes[2]


def test_a_data_loader_batches_detection_items_with_detection_collate():
    images, targets = next(iter(DataLoader(detection(), batch_size=5, collate_fn=detection_collate)))
    assert images.shape == (5, 1, 96, 96) and len(targets) == 5
    np.testing.assert_array_equal(targets[2]["labels"], detection().target(2)["labels"])


def test_detection_refuses_what_is_not_canvases_and_batch_indices():
    with pytest.raises(TypeError, match="canvases must be a DigitCanvases, got Digits"):
        DigitDetection(DIGITS)
    with pytest.raises(TypeError, match="collate_fn=detection_collate"):
        detection()[np.arange(3)]
