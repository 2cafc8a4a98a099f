"""DataLoader (tinyconv/data/dataloader.py): batching, shuffling, seeds, and its error messages.

The samples identify themselves: sample i is an image filled with the value i and the label i, so every
batch shows which indices it holds.
"""

from __future__ import annotations

import numpy
import pytest
from helpers.datasets import numbered_dataset

import tinyconv
from tinyconv import Tensor
from tinyconv.data import DataLoader


def epoch_labels(loader: DataLoader) -> list[int]:
    return [int(label) for _, labels in loader for label in labels.data]


def test_loader_yields_tensor_batches_with_the_datasets_shapes_and_dtypes():
    batches = list(DataLoader(numbered_dataset(10), batch_size=4))

    assert [images.shape for images, _ in batches] == [(4, 1, 2, 2), (4, 1, 2, 2), (2, 1, 2, 2)]
    for images, labels in batches:
        assert isinstance(images, Tensor) and isinstance(labels, Tensor)
        assert images.dtype == numpy.float32 and labels.dtype == numpy.int64
        numpy.testing.assert_array_equal(images.data[:, 0, 0, 0], labels.data)


def test_loader_without_shuffle_visits_samples_in_order_with_a_smaller_last_batch():
    loader = DataLoader(numbered_dataset(10), batch_size=4)

    assert [labels.data.tolist() for _, labels in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last_leaves_out_the_partial_last_batch():
    loader = DataLoader(numbered_dataset(10), batch_size=4, drop_last=True)

    assert [labels.data.tolist() for _, labels in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(
    "size, batch_size, drop_last, expected",
    [
        (10, 4, False, 3),
        (10, 4, True, 2),
        (12, 4, False, 3),
        (12, 4, True, 3),
        (3, 4, False, 1),
        (3, 4, True, 0),
    ],
)
def test_len_of_a_loader_is_its_number_of_batches(size, batch_size, drop_last, expected):
    loader = DataLoader(numbered_dataset(size), batch_size=batch_size, drop_last=drop_last)

    assert len(loader) == expected
    assert len(list(loader)) == expected


def test_shuffle_visits_every_sample_exactly_once_per_epoch_in_a_new_order():
    loader = DataLoader(numbered_dataset(50), batch_size=8, shuffle=True, seed=0)

    first, second = epoch_labels(loader), epoch_labels(loader)

    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != list(range(50))
    assert first != second


def test_same_seed_gives_the_same_sequence_of_epochs_every_time_the_loader_is_built():
    def three_epochs(seed):
        loader = DataLoader(numbered_dataset(50), batch_size=8, shuffle=True, seed=seed)
        return [epoch_labels(loader) for _ in range(3)]

    assert three_epochs(seed=7) == three_epochs(seed=7)
    assert three_epochs(seed=7) != three_epochs(seed=8)


def test_without_a_seed_manual_seed_makes_the_shuffle_repeatable():
    loader = DataLoader(numbered_dataset(50), batch_size=8, shuffle=True)

    tinyconv.manual_seed(3)
    first = [epoch_labels(loader), epoch_labels(loader)]
    tinyconv.manual_seed(3)
    again = [epoch_labels(loader), epoch_labels(loader)]
    tinyconv.manual_seed(4)
    other = [epoch_labels(loader), epoch_labels(loader)]

    assert first == again
    assert first != other


def test_loader_asks_the_dataset_for_each_batch_in_one_call_with_an_index_array():
    class CountingDataset:
        def __init__(self):
            self.inner = numbered_dataset(10)
            self.requests = []

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, index):
            self.requests.append(index)
            return self.inner[index]

    dataset = CountingDataset()
    loader = DataLoader(dataset, batch_size=4, shuffle=True, seed=0)
    list(loader)

    assert len(dataset.requests) == len(loader) == 3
    assert all(isinstance(index, numpy.ndarray) for index in dataset.requests)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "4", None, True])
def test_invalid_batch_size_is_refused_with_a_message_naming_it(batch_size):
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got " + repr(batch_size)):
        DataLoader(numbered_dataset(4), batch_size=batch_size)


def test_a_numpy_integer_batch_size_is_accepted():
    assert len(DataLoader(numbered_dataset(10), batch_size=numpy.int64(5))) == 2


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_invalid_seed_is_refused_with_a_message_naming_it(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        DataLoader(numbered_dataset(4), shuffle=True, seed=seed)


def test_an_empty_dataset_gives_no_batches():
    loader = DataLoader(numbered_dataset(0), batch_size=4, shuffle=True, seed=0)

    assert len(loader) == 0
    assert list(loader) == []
