"""Datasets: what a DataLoader draws batches from, as in torch.utils.data.

A dataset is any object with
    len(dataset)              the number of samples
    dataset[i]                one sample for an int i: a tuple such as (image, label), a dict, an array
Subclass `Dataset` and define those two, as in PyTorch; the DataLoader asks for each sample of a batch
and stacks them (default_collate, collate.py).

A dataset held in memory as arrays (TensorDataset, MNIST, CIFAR10, and a Subset of one) also answers
    dataset[indices]          a whole batch at once, a tuple of arrays or Tensors whose first axis is the
                              batch, for an integer array (or a slice) of indices
and says so with `supports_batch_indexing = True`; the DataLoader then makes each batch with that one
call. That is what makes loading fast: one NumPy fancy-indexing step per batch instead of a Python
loop over its samples, which with data already in memory would cost more than the model's small
layers. It is a promise a dataset makes, never guessed: a PyTorch-style `__getitem__` handed an
index array could return something batch-shaped but wrong (one random crop for the whole batch).

random_split cuts a dataset at random into Subsets.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy

from tinyconv.random import numpy_generator
from tinyconv.tensor import Tensor


class DatasetError(RuntimeError):
    """A dataset's files are missing, corrupt, or could not be downloaded; the message says what to do."""


def is_single_index(index) -> bool:
    """True for an int (Python or NumPy) that picks one sample; False for a slice or an index array."""
    return isinstance(index, numbers.Integral)


class Dataset:
    """The base class of datasets, as torch.utils.data.Dataset: a subclass defines __len__ and
    __getitem__(i), which returns sample i (applying the dataset's transform, when it has one).

        class Squares(Dataset):
            def __len__(self):
                return 100
            def __getitem__(self, i):
                return numpy.float32(i), i * i     # a DataLoader batches these into (x, y) Tensors

    supports_batch_indexing: False; True in a subclass whose __getitem__ also takes an index array and
    returns the whole batch (see the module docstring).
    """

    supports_batch_indexing = False

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__(index)")


class TensorDataset(Dataset):
    """Samples made of the rows of equally long tensors, as torch.utils.data.TensorDataset.

        dataset = TensorDataset(images, labels)     # images (N, 1, 28, 28), labels (N,)
        dataset[3]                                  # (images[3], labels[3]), two Tensors
        dataset[numpy.array([3, 5])]                # (images[[3, 5]], labels[[3, 5]])

    Takes Tensors (kept as they are, on their device, in `tensors`), NumPy arrays and anything
    `numpy.asarray` takes. A tensor that requires grad is refused: a dataset holds data, and the rows
    it gives out are new Tensors through which no gradient would flow back (pass `x.detach()`).
    """

    supports_batch_indexing = True

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for position, tensor in enumerate(tensors):
            if isinstance(tensor, Tensor) and tensor.requires_grad:
                raise ValueError(
                    f"TensorDataset: tensor {position} requires grad, but no gradient would flow back "
                    "to it through the dataset's rows; give tensor.detach()"
                )
        self.tensors = tuple(
            tensor if isinstance(tensor, Tensor) else Tensor(numpy.asarray(tensor)) for tensor in tensors
        )
        shapes = [tensor.shape for tensor in self.tensors]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(f"TensorDataset needs tensors with a first (sample) axis, got shapes {shapes}")
        lengths = [shape[0] for shape in shapes]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"TensorDataset needs tensors with the same first dimension (one row per sample), "
                f"got first dimensions {lengths} (shapes {shapes})"
            )

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index) -> tuple:
        return tuple(Tensor(tensor.data[index]) for tensor in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(str(tensor.shape) for tensor in self.tensors)
        return f"TensorDataset({len(self)} samples; shapes {shapes})"


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order, as torch.utils.data.Subset.

        first_thousand = Subset(train_set, numpy.arange(1000))

    `subset[i]` is `dataset[indices[i]]`. When `dataset` supports batch indexing, so does the subset:
    an index array becomes one batch lookup in `dataset`.
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

    @property
    def supports_batch_indexing(self) -> bool:
        return getattr(self.dataset, "supports_batch_indexing", False)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if is_single_index(index):
            return self.dataset[int(self.indices[index])]  # a Python int, as PyTorch passes
        return self.dataset[self.indices[index]]

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {len(self.dataset)} samples of {self.dataset!r})"


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """`dataset` cut at random into Subsets of the given lengths, as torch.utils.data.random_split.

        train_set, valid_set = random_split(dataset, [50000, 10000])
        train_set, valid_set = random_split(dataset, [0.8, 0.2], generator=Generator().manual_seed(42))

    lengths: ints that add up to len(dataset), or fractions that add up to 1 (PyTorch's rule: subset k
        gets floor(fraction_k * len(dataset)) samples, then the samples left over go one each to the
        subsets in turn from the first; a subset left empty is warned about).
    generator: draws the random order: a Generator, a NumPy Generator, or None for tinyconv's global
        generator (which manual_seed seeds). The order is not PyTorch's (another generator).
    Every sample goes to exactly one subset.
    """
    lengths = list(lengths)
    size = len(dataset)
    for position, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, numbers.Real) or not length >= 0:
            raise ValueError(
                f"random_split: lengths must be non-negative ints or fractions, got {length!r} at "
                f"position {position}"
            )
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = split_fractions(lengths, size)
    elif not all(isinstance(length, numbers.Integral) for length in lengths) or total != size:
        raise ValueError(
            f"random_split: lengths must be ints that add up to the dataset's {size} samples, or "
            f"fractions that add up to 1, got {lengths} (sum {total})"
        )
    order = numpy_generator(generator, "random_split").permutation(size)
    ends = numpy.cumsum(lengths)
    return [Subset(dataset, order[end - length : end]) for end, length in zip(ends, lengths)]


def split_fractions(fractions: list, size: int) -> list[int]:
    """The lengths of the subsets that `fractions` (adding up to 1) ask of `size` samples."""
    lengths = [math.floor(size * fraction) for fraction in fractions]
    for position in range(size - sum(lengths)):  # fewer than len(fractions) samples are left over
        lengths[position % len(lengths)] += 1
    for position, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"random_split: the subset at position {position} is empty", stacklevel=3)
    return lengths
