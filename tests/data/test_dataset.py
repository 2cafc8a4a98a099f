"""Dataset, TensorDataset, Subset and random_split (tinyconv/data/dataset.py): samples and batches, the
promise of batch indexing, PyTorch's rule for split lengths, and their error messages.

The samples identify themselves: sample i is an image filled with the value i and the label i.
"""

from __future__ import annotations

import numpy
import pytest
from helpers.datasets import numbered_dataset

import tinyconv
from tinyconv.data import DataLoader, Dataset, Subset, TensorDataset, random_split
from tinyconv.random import Generator

# ------------------------------------------------------------------------------ Dataset


def test_a_dataset_without_getitem_says_so():
    class Unfinished(Dataset):
        def __len__(self):
            return 3

    with pytest.raises(NotImplementedError, match=r"Unfinished does not define __getitem__\(index\)"):
        Unfinished()[0]


def test_a_dataset_does_not_promise_batch_indexing_unless_it_says_so():
    assert Dataset.supports_batch_indexing is False
    assert TensorDataset.supports_batch_indexing is True


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


def test_tensor_dataset_gives_rows_as_tensors_as_pytorchs_does():
    dataset = TensorDataset(numpy.arange(6.0).reshape(3, 2), numpy.array([7, 8, 9]))

    point, target = dataset[1]

    assert isinstance(point, tinyconv.Tensor) and isinstance(target, tinyconv.Tensor)
    assert point.shape == (2,) and target.shape == () and target.dtype == numpy.int64
    assert target.item() == 8


def test_tensor_dataset_keeps_the_tensors_it_is_given():
    images = tinyconv.tensor([[1.0, 2.0], [3.0, 4.0]])
    dataset = TensorDataset(images, numpy.array([0, 1]))

    assert dataset.tensors[0] is images
    assert dataset[1][0].tolist() == [3.0, 4.0]
    assert dataset.tensors[1].tolist() == [0, 1]


def test_tensor_dataset_refuses_a_tensor_that_requires_grad():
    weights = tinyconv.Tensor(numpy.ones((3, 2)), requires_grad=True)

    with pytest.raises(ValueError, match=r"tensor 1 requires grad.*tensor.detach\(\)"):
        TensorDataset(numpy.zeros(3), weights)


def test_tensor_dataset_refuses_arrays_of_different_first_dimensions():
    with pytest.raises(ValueError, match=r"same first dimension.*\[3, 2\]"):
        TensorDataset(numpy.zeros((3, 5)), numpy.zeros(2))


def test_tensor_dataset_refuses_no_arrays_and_scalars():
    with pytest.raises(ValueError, match="at least one tensor"):
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


def test_subset_hands_a_python_int_to_its_dataset_and_supports_batch_indexing_when_it_does():
    class OneAtATime(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return type(i), i

    subset = Subset(OneAtATime(), numpy.array([4, 2]))

    assert subset[1] == (int, 2)
    assert subset.supports_batch_indexing is False
    assert Subset(numbered_dataset(5), [4, 2]).supports_batch_indexing is True


def test_subset_refuses_indices_outside_the_dataset():
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of 10 samples"):
        Subset(numbered_dataset(10), [0, 10])


# ------------------------------------------------------------------------------ random_split


def labels_of(subset) -> list[int]:
    return [int(subset[i][1]) for i in range(len(subset))]


def test_random_split_with_lengths_gives_disjoint_subsets_covering_the_dataset():
    parts = random_split(numbered_dataset(10), [6, 3, 1])

    assert [len(part) for part in parts] == [6, 3, 1]
    assert sorted(label for part in parts for label in labels_of(part)) == list(range(10))
    assert all(isinstance(part, Subset) for part in parts)


@pytest.mark.parametrize(
    "size, fractions, expected",
    [
        (10, [0.8, 0.2], [8, 2]),
        (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # floors 3, 3, 3; the one left over goes to the first
        (11, [0.5, 0.5], [6, 5]),
        (7, [0.25, 0.25, 0.25, 0.25], [2, 2, 2, 1]),  # floors 1 each; three left over
    ],
)
def test_random_split_with_fractions_floors_each_then_hands_out_the_rest_from_the_first(
    size, fractions, expected
):
    assert [len(part) for part in random_split(numbered_dataset(size), fractions)] == expected


@pytest.mark.parametrize("size, fractions", [(10, [0.33, 0.33, 0.34]), (7, [0.25] * 4), (11, [0.5, 0.5])])
def test_random_split_lengths_from_fractions_are_pytorchs(torch, size, fractions):
    theirs = torch.utils.data.random_split(range(size), fractions)

    assert [len(part) for part in random_split(numbered_dataset(size), fractions)] == [len(p) for p in theirs]


def test_random_split_warns_about_an_empty_subset():
    # floors 1, 0, 0; the two left over go to the first and the second
    with pytest.warns(UserWarning, match="the subset at position 2 is empty"):
        parts = random_split(numbered_dataset(3), [0.5, 0.25, 0.25])

    assert [len(part) for part in parts] == [2, 1, 0]


def test_random_split_is_repeatable_with_a_generator_and_with_manual_seed():
    def split(**kwargs):
        return [labels_of(part) for part in random_split(numbered_dataset(20), [10, 10], **kwargs)]

    assert split(generator=Generator().manual_seed(1)) == split(generator=Generator().manual_seed(1))
    assert split(generator=Generator().manual_seed(1)) != split(generator=Generator().manual_seed(2))
    tinyconv.manual_seed(3)
    first = split()
    tinyconv.manual_seed(3)
    assert split() == first


@pytest.mark.parametrize(
    "lengths, match",
    [
        ([6, 3], r"ints that add up to the dataset's 10 samples.*got \[6, 3\] \(sum 9\)"),
        ([0.5, 0.4], r"or fractions that add up to 1"),
        ([5.0, 5.0], r"ints that add up"),
        ([12, -2], r"non-negative ints or fractions, got -2 at position 1"),
        ([True, 9], r"got True at position 0"),
        (["5", 5], r"got '5' at position 0"),
    ],
)
def test_random_split_refuses_lengths_that_do_not_split_the_dataset(lengths, match):
    with pytest.raises(ValueError, match=match):
        random_split(numbered_dataset(10), lengths)
