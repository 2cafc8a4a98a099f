"""`DataLoader`: a dataset cut into batches of Tensors, in order or shuffled, as in `torch.utils.data`.

    loader = DataLoader(MNIST(), batch_size=64, shuffle=True, seed=0)
    for images, labels in loader:        # images (64, 1, 28, 28) float32, labels (64,) int64
        ...

Each epoch (each `for` over the loader) visits every sample exactly once. With shuffle=True an epoch
draws a fresh permutation of 0..N-1; the batches are its consecutive slices of `batch_size` indices,
and each batch is one call `dataset[indices]` (see dataset.py for why batches are looked up whole).
The last batch is smaller when N is not a multiple of batch_size, or left out with drop_last=True.

Repeatability: with `seed=s` the loader owns a generator seeded once with s, so the orders of its
first, second, ... epoch are the same every time such a loader is built. With seed=None it draws from
tinyconv's global generator, so `tinyconv.manual_seed` makes the run repeatable.
"""

from __future__ import annotations

import numpy

from tinyconv.checks import check_int
from tinyconv.random import generator as global_generator
from tinyconv.tensor import Tensor


class DataLoader:
    """Batches of `dataset` as tuples of Tensors; `len(loader)` is the number of batches per epoch.

    dataset:    supports len() and dataset[index_array] -> tuple of batch arrays (MNIST, TensorDataset)
    batch_size: samples per batch, a positive int
    shuffle:    a new random order every epoch (False: 0, 1, 2, ... every time)
    drop_last:  leave out the last batch when it would be smaller than batch_size
    seed:       seeds this loader's own generator; None draws from tinyconv's global one
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        check_int("DataLoader", "batch_size", batch_size, minimum=1)
        if seed is not None:
            check_int("DataLoader", "seed", seed, minimum=0)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.generator = numpy.random.default_rng(int(seed)) if seed is not None else None

    def __len__(self) -> int:
        full, rest = divmod(len(self.dataset), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self):
        order = self.epoch_order()
        stop = len(self) * self.batch_size  # past the end when the last batch is partial; slicing stops at N
        for start in range(0, stop, self.batch_size):
            batch = self.dataset[order[start : start + self.batch_size]]
            yield tuple(Tensor(part) for part in batch)

    def epoch_order(self) -> numpy.ndarray:
        """The indices of one epoch, in the order they are visited (a new draw each call when shuffling)."""
        size = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(size)
        # Looked up at each epoch, not kept: manual_seed replaces the global generator object.
        generator = self.generator if self.generator is not None else global_generator()
        return generator.permutation(size)

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, seed={self.seed})"
        )
