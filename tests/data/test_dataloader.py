"""DataLoader (tinyconv/data/dataloader.py): batching, shuffling, generators and seeds, the two ways a
batch is made (one batch lookup, or sample by sample and collate_fn), and its error messages.

The samples identify themselves: sample i is an image filled with the value i and the label i, so every
batch shows which indices it holds.
"""

from __future__ import annotations

import numpy
import pytest
from helpers.datasets import numbered_dataset

import tinyconv
from tinyconv import Tensor
from tinyconv.data import DataLoader, Dataset, Subset
from tinyconv.random import Generator


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


class CountingDataset:
    """numbered_dataset(10), recording the index of every request; it supports batch indexing when told."""

    def __init__(self, supports_batch_indexing: bool):
        self.inner = numbered_dataset(10)
        self.supports_batch_indexing = supports_batch_indexing
        self.requests = []

    def __len__(self):
        return len(self.inner)

    def __getitem__(self, index):
        self.requests.append(index)
        return self.inner[index]


def test_a_dataset_that_supports_batch_indexing_is_asked_for_each_batch_in_one_call():
    dataset = CountingDataset(supports_batch_indexing=True)
    loader = DataLoader(dataset, batch_size=4, shuffle=True, seed=0)
    list(loader)

    assert len(dataset.requests) == len(loader) == 3
    assert all(isinstance(index, numpy.ndarray) for index in dataset.requests)


def test_any_other_dataset_is_asked_for_one_sample_at_a_time_with_python_ints():
    dataset = CountingDataset(supports_batch_indexing=False)
    batches = list(DataLoader(dataset, batch_size=4))

    assert dataset.requests == list(range(10)) and all(type(index) is int for index in dataset.requests)
    assert [labels.tolist() for _, labels in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


class DoubledSquares(Dataset):
    """A dataset written PyTorch's way: one sample per call, its transform applied to that sample."""

    def __init__(self, transform=None):
        self.transform = transform

    def __len__(self):
        return 6

    def __getitem__(self, i):
        image = numpy.full((1, 2, 2), i * i, dtype=numpy.float32)
        return (self.transform(image) if self.transform else image), i


def test_a_pytorch_style_dataset_gives_its_transformed_samples_stacked_into_tensors():
    loader = DataLoader(DoubledSquares(transform=lambda image: image * 2), batch_size=4)

    (images, labels), (last_images, last_labels) = list(loader)

    assert images.shape == (4, 1, 2, 2) and images.dtype == numpy.float32
    assert images.data[:, 0, 0, 0].tolist() == [0.0, 2.0, 8.0, 18.0]
    assert labels.dtype == numpy.int64 and labels.tolist() == [0, 1, 2, 3]
    assert last_images.shape == (2, 1, 2, 2) and last_labels.tolist() == [4, 5]


def test_batch_lookup_and_sample_by_sample_give_the_same_batches():
    fast = list(DataLoader(CountingDataset(supports_batch_indexing=True), batch_size=4))
    sample_by_sample = list(DataLoader(CountingDataset(supports_batch_indexing=False), batch_size=4))

    for (images, labels), (other_images, other_labels) in zip(fast, sample_by_sample):
        assert images.dtype == other_images.dtype and labels.dtype == other_labels.dtype
        numpy.testing.assert_array_equal(images.data, other_images.data)
        numpy.testing.assert_array_equal(labels.data, other_labels.data)


def test_a_subset_of_a_pytorch_style_dataset_is_loaded_sample_by_sample():
    loader = DataLoader(Subset(DoubledSquares(), [5, 0, 3]), batch_size=2)

    assert [labels.tolist() for _, labels in loader] == [[5, 0], [3]]


def test_a_list_of_samples_is_a_dataset_too():
    samples = [(numpy.array([k, -k], dtype=numpy.float32), k % 2) for k in range(5)]

    (points, labels), _ = list(DataLoader(samples, batch_size=3))

    assert points.tolist() == [[0.0, 0.0], [1.0, -1.0], [2.0, -2.0]] and labels.tolist() == [0, 1, 0]


def test_collate_fn_gets_the_list_of_samples_and_its_result_is_the_batch():
    seen = []

    def count_samples(samples):
        seen.append(samples)
        return len(samples)

    loader = DataLoader(numbered_dataset(5), batch_size=2, collate_fn=count_samples)

    assert list(loader) == [2, 2, 1]
    assert len(seen[0]) == 2 and [int(label) for _, label in seen[0]] == [0, 1]


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


def test_a_generator_makes_the_sequence_of_epochs_repeatable_as_seed_does():
    def three_epochs(**seeding):
        loader = DataLoader(numbered_dataset(50), batch_size=8, shuffle=True, **seeding)
        return [epoch_labels(loader) for _ in range(3)]

    with_generator = three_epochs(generator=Generator().manual_seed(7))

    assert with_generator == three_epochs(generator=Generator().manual_seed(7))
    assert with_generator == three_epochs(seed=7)
    assert with_generator != three_epochs(generator=Generator().manual_seed(8))
    assert three_epochs(generator=numpy.random.default_rng(7)) == with_generator


def test_generator_and_seed_together_are_refused():
    with pytest.raises(ValueError, match="give generator or seed, not both"):
        DataLoader(numbered_dataset(4), shuffle=True, generator=Generator(), seed=0)


def test_a_generator_of_another_kind_is_refused_when_the_loader_is_built(torch):
    with pytest.raises(TypeError, match="DataLoader: generator must be a tinyconv Generator.*torch"):
        DataLoader(numbered_dataset(4), shuffle=True, generator=torch.Generator())


def test_num_workers_pin_memory_and_worker_init_fn_are_accepted_and_change_nothing():
    def never_called(worker_id):
        raise AssertionError("worker_init_fn was called")

    plain = [labels.tolist() for _, labels in DataLoader(numbered_dataset(10), batch_size=4)]
    with_workers = DataLoader(
        numbered_dataset(10), batch_size=4, num_workers=4, pin_memory=True, worker_init_fn=never_called
    )

    assert [labels.tolist() for _, labels in with_workers] == plain


@pytest.mark.parametrize("dataset", [5, None, iter(range(3))], ids=["int", "None", "iterator"])
def test_something_that_is_not_a_dataset_is_refused_when_the_loader_is_built(dataset):
    with pytest.raises(TypeError, match=r"DataLoader: dataset must have len\(\) and dataset\[i\]"):
        DataLoader(dataset)


@pytest.mark.parametrize("argument", ["sampler", "batch_sampler"])
def test_samplers_are_refused_pointing_at_subset_and_shuffle(argument):
    with pytest.raises(NotImplementedError, match=r"Subset\(dataset, indices\).*shuffle"):
        DataLoader(numbered_dataset(4), **{argument: [0, 1, 2, 3]})


@pytest.mark.parametrize("name, value", [("shuffle", "yes"), ("drop_last", 1.0)])
def test_shuffle_and_drop_last_must_be_true_or_false(name, value):
    with pytest.raises(TypeError, match=f"{name} must be True or False, got {value!r}"):
        DataLoader(numbered_dataset(4), **{name: value})


def test_negative_num_workers_is_refused():
    with pytest.raises(ValueError, match="num_workers must be a non-negative int, got -1"):
        DataLoader(numbered_dataset(4), num_workers=-1)


def test_a_collate_fn_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="collate_fn must be a function"):
        DataLoader(numbered_dataset(4), collate_fn="stack")


def test_an_empty_dataset_gives_no_batches():
    loader = DataLoader(numbered_dataset(0), batch_size=4, shuffle=True, seed=0)

    assert len(loader) == 0
    assert list(loader) == []
