"""ImageNet's class names and statistics (tinyconv/data/imagenet.py): 1,000 distinct names in class order,
and the names, mean and std equal to torchvision's where torchvision is installed."""

from __future__ import annotations

import pytest

from tinyconv.data import IMAGENET_MEAN, IMAGENET_STD, imagenet_classes


def test_there_are_1000_distinct_non_empty_names():
    names = imagenet_classes()

    assert len(names) == 1000 == len(set(names))
    assert all(name and name == name.strip() for name in names)


@pytest.mark.parametrize(
    "index, name",
    [
        (0, "tench"),
        (134, "crane bird"),
        (207, "golden retriever"),
        (281, "tabby"),
        (517, "crane"),
        (999, "toilet tissue"),
    ],
)
def test_name_k_is_the_name_of_class_k(index, name):
    assert imagenet_classes()[index] == name


def test_the_names_mean_and_std_are_those_of_torchvisions_imagenet_weights():
    models = pytest.importorskip("torchvision.models")
    weights = models.ResNet18_Weights.IMAGENET1K_V1

    assert imagenet_classes() == weights.meta["categories"]
    assert (tuple(weights.transforms().mean), tuple(weights.transforms().std)) == (
        IMAGENET_MEAN,
        IMAGENET_STD,
    )
