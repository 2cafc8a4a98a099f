"""Datasets: what a DataLoader can draw batches from.

A dataset is any object with
    len(dataset)              the number of samples
    dataset[i]                one sample, a tuple such as (image, label), for an int i
    dataset[indices]          a whole batch at once, a tuple of arrays whose first axis is the batch, for an
                              integer array (or a slice) of indices
The batch form is what makes loading fast: one NumPy fancy-indexing step per batch instead of a Python
loop over its samples. (PyTorch's DataLoader calls `dataset[i]` once per sample and stacks the results;
with data already in memory, as here, that loop would cost more than the model's small layers.)
"""

from __future__ import annotations

import numbers

import numpy

from tinyconv.tensor import Tensor


class DatasetError(RuntimeError):
    """A dataset's files are missing, corrupt, or could not be downloaded; the message says what to do."""


def is_single_index(index) -> bool:
    """True for an int (Python or NumPy) that picks one sample; False for a slice or an index array."""
    return isinstance(index, numbers.Integral)


class TensorDataset:
    """Samples made of the rows of equally long arrays, as `torch.utils.data.TensorDataset`.

        dataset = TensorDataset(images, labels)     # images (N, 1, 28, 28), labels (N,)
        dataset[3]                                  # (images[3], labels[3])
        dataset[numpy.array([3, 5])]                # (images[[3, 5]], labels[[3, 5]])

    Accepts NumPy arrays, anything `numpy.asarray` takes, and tinyconv Tensors (their data is used).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(
            array.numpy() if isinstance(array, Tensor) else numpy.asarray(array) for array in arrays
        )
        if any(array.ndim == 0 for array in self.arrays):
            shapes = [array.shape for array in self.arrays]
            raise ValueError(f"TensorDataset needs arrays with a first (sample) axis, got shapes {shapes}")
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) > 1:
            shapes = [array.shape for array in self.arrays]
            raise ValueError(
                f"TensorDataset needs arrays with the same first dimension (one row per sample), "
                f"got first dimensions {lengths} (shapes {shapes})"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index) -> tuple:
        return tuple(array[index] for array in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return f"TensorDataset({len(self)} samples; shapes {shapes})"


class Subset:
    """The samples of `dataset` at `indices`, in that order, as `torch.utils.data.Subset`.

        first_thousand = Subset(train_set, numpy.arange(1000))

    `subset[i]` is `dataset[indices[i]]`, and an index array becomes one batch lookup in `dataset`.
    """

    def __init__(self, dataset, indices):
        indices = numpy.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise ValueError(
                f"Subset: indices must be a 1-D sequence of ints, got an array of shape {indices.shape} "
                f"and dtype {indices.dtype}"
            )
        indices = indices.astype(numpy.int64)
        size = len(dataset)
        outside = indices[(indices < -size) | (indices >= size)]
        if outside.size:
            raise IndexError(
                f"Subset: index {outside[0]} is out of range for a dataset of {size} samples "
                f"(valid: {-size} to {size - 1})"
            )
        self.dataset = dataset
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples of {self.dataset!r})"
