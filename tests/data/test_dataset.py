"""TensorDataset and Subset (tinyconv/data/dataset.py): rows and batches, and their error messages.

The samples identify themselves: sample i is an image filled with the value i and the label i.
"""

from __future__ import annotations

import numpy
import pytest
from helpers.datasets import numbered_dataset

import tinyconv
from tinyconv.data import DataLoader, Subset, TensorDataset

# ------------------------------------------------------------------------------ TensorDataset


def test_tensor_dataset_gives_a_tuple_of_rows_for_an_int_and_of_batches_for_an_index_array():
    points = numpy.arange(12).reshape(6, 2)
    targets = numpy.array([10, 11, 12, 13, 14, 15])
    dataset = TensorDataset(points, targets)

    point, target = dataset[2]
    batch_points, batch_targets = dataset[numpy.array([4, 0])]

    assert len(dataset) == 6
    assert point.tolist() == [4, 5] and target == 12
    assert batch_points.tolist() == [[8, 9], [0, 1]] and batch_targets.tolist() == [14, 10]


def test_tensor_dataset_accepts_tensors():
    dataset = TensorDataset(tinyconv.tensor([[1.0, 2.0], [3.0, 4.0]]), numpy.array([0, 1]))

    assert dataset[1][0].tolist() == [3.0, 4.0]


def test_tensor_dataset_refuses_arrays_of_different_first_dimensions():
    with pytest.raises(ValueError, match=r"same first dimension.*\[3, 2\]"):
        TensorDataset(numpy.zeros((3, 5)), numpy.zeros(2))


def test_tensor_dataset_refuses_no_arrays_and_scalars():
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(ValueError, match="first \\(sample\\) axis"):
        TensorDataset(numpy.float32(1.0))


# ------------------------------------------------------------------------------ Subset


def test_subset_maps_its_indices_to_the_datasets_samples_one_at_a_time_and_in_batches():
    subset = Subset(numbered_dataset(10), [7, 2, 5])

    assert len(subset) == 3
    assert subset[0][1] == 7
    assert subset[numpy.array([2, 1])][1].tolist() == [5, 2]
    assert [labels.data.tolist() for _, labels in DataLoader(subset, batch_size=2)] == [[7, 2], [5]]


def test_subset_refuses_indices_outside_the_dataset():
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of 10 samples"):
        Subset(numbered_dataset(10), [0, 10])
