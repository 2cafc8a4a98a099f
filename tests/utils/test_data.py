"""tinyconv.utils.data (tinyconv/utils/data.py): torch.utils.data's names give tinyconv.data's own
classes and functions, one implementation under two spellings."""

from __future__ import annotations

import numpy
import pytest

import tinyconv.data
import tinyconv.utils
from tinyconv.utils.data import DataLoader, TensorDataset, random_split


@pytest.mark.parametrize(
    "name", ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]
)
def test_each_name_is_the_same_object_as_in_tinyconv_data(name):
    assert getattr(tinyconv.utils.data, name) is getattr(tinyconv.data, name)


def test_pytorch_style_imports_load_and_split_a_dataset():
    dataset = TensorDataset(numpy.arange(20.0).reshape(10, 2), numpy.arange(10))
    train_set, valid_set = random_split(dataset, [0.8, 0.2])

    batches = list(DataLoader(train_set, batch_size=3, shuffle=True))

    assert [len(labels) for _, labels in batches] == [3, 3, 2]
    assert len(valid_set) == 2
