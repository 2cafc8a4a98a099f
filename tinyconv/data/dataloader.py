"""`DataLoader`: a dataset cut into batches of Tensors, in order or shuffled, as torch.utils.data.DataLoader.

    loader = DataLoader(MNIST(), batch_size=64, shuffle=True)
    for images, labels in loader:        # images (64, 1, 28, 28) float32, labels (64,) int64
        ...

Each epoch (each `for` over the loader) visits every sample exactly once. With shuffle=True an epoch
draws a fresh permutation of 0..N-1; the batches are its consecutive slices of `batch_size` indices.
The last batch is smaller when N is not a multiple of batch_size, or left out with drop_last=True.

How a batch is made from its indices:
    a dataset that supports batch indexing (TensorDataset, MNIST, CIFAR10, a Subset of one; see
        dataset.py): one call `dataset[indices]`, whose arrays become Tensors;
    any other dataset, or whenever collate_fn is given: `dataset[i]` for each index i, then
        `collate_fn(samples)` (default_collate, which stacks them, when collate_fn is None).

Repeatability: with generator=Generator().manual_seed(s) (or seed=s, the same) the orders of the
loader's first, second, ... epoch are the same every time such a loader is built. Without either it
draws from tinyconv's global generator, so `tinyconv.manual_seed` makes the run repeatable.

Every batch is made in the calling process, when the loop asks for it: there are no worker processes.
"""

from __future__ import annotations

import numpy

from tinyconv.checks import check_int
from tinyconv.data.collate import default_collate
from tinyconv.random import Generator, numpy_generator
from tinyconv.tensor import Tensor


class DataLoader:
    """Batches of `dataset`; `len(loader)` is the number of batches per epoch.

    dataset:     has len() and dataset[i] (a Dataset, TensorDataset, MNIST, a list of samples...)
    batch_size:  samples per batch, a positive int
    shuffle:     a new random order every epoch (False or None: 0, 1, 2, ... every time)
    collate_fn:  makes a batch from the list of its samples (None: default_collate)
    drop_last:   leave out the last batch when it would be smaller than batch_size
    generator:   draws the shuffled orders: a Generator, a NumPy Generator, or None for the global one
    seed:        tinyconv's shorthand for generator=Generator().manual_seed(seed)

    Accepted and ignored, because they change how fast batches come, never what they hold:
    num_workers (PyTorch's worker processes; tinyconv has none), pin_memory, and worker_init_fn,
    which PyTorch too never calls without workers. Refused: sampler and batch_sampler (choose the
    samples with Subset, their order with shuffle).
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool | None = False,
        *,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        worker_init_fn=None,
        generator=None,
        seed: int | None = None,
    ):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must have len() and dataset[i] (a Dataset, a TensorDataset, MNIST, "
                f"a list of samples...), got {dataset!r:.60} of type {type(dataset).__name__}"
            )
        check_int("DataLoader", "batch_size", batch_size, minimum=1)
        # isinstance, not `in (True, False)`: 1.0 == True, and "no" is truthy
        if not (isinstance(shuffle, (bool, numpy.bool_)) or shuffle is None):
            raise TypeError(f"DataLoader: shuffle must be True or False, got {shuffle!r}")
        if not isinstance(drop_last, (bool, numpy.bool_)):
            raise TypeError(f"DataLoader: drop_last must be True or False, got {drop_last!r}")
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError(
                "DataLoader: sampler and batch_sampler are not supported; choose which samples to use "
                "with Subset(dataset, indices) and their order with shuffle=True or False"
            )
        check_int("DataLoader", "num_workers", num_workers, minimum=0)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(
                f"DataLoader: collate_fn must be a function of the list of samples, got {collate_fn!r:.60}"
            )
        if seed is not None:
            if generator is not None:
                raise ValueError(
                    "DataLoader: give generator or seed, not both (seed=s means a generator seeded with s)"
                )
            generator = Generator().manual_seed(check_int("DataLoader", "seed", seed, minimum=0))
        numpy_generator(
            generator, "DataLoader"
        )  # a generator of the wrong kind is refused now, not at the first epoch
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.collate_fn = collate_fn
        self.drop_last = bool(drop_last)
        self.generator = generator

    def __len__(self) -> int:
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self):
        order = self.epoch_order()
        batched = self.collate_fn is None and getattr(self.dataset, "supports_batch_indexing", False)
        collate = self.collate_fn or default_collate
        stop = len(self) * self.batch_size  # past the end when the last batch is partial; slicing stops at N
        for start in range(0, stop, self.batch_size):
            indices = order[start : start + self.batch_size]
            if batched:
                batch = self.dataset[indices]
                yield tuple(part if isinstance(part, Tensor) else Tensor(part) for part in batch)
            else:
                yield collate([self.dataset[int(index)] for index in indices])

    def epoch_order(self) -> numpy.ndarray:
        """The indices of one epoch, in the order they are visited (a new draw each call when shuffling)."""
        size = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(size)
        # Looked up at each epoch, not kept: manual_seed replaces the global generator object.
        return numpy_generator(self.generator, "DataLoader").permutation(size)

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )
