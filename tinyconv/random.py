"""tinyconv's random number generator: one seedable source for initialization, shuffling, noise.

`manual_seed(s)` makes everything that draws from `generator()` repeatable, as `torch.manual_seed`.
The numbers themselves differ from PyTorch's (a different generator), so seeded runs are
reproducible within tinyconv, not across frameworks.

`Generator().manual_seed(s)` is a generator of one's own, as torch.Generator, for the functions that
take `generator=` (DataLoader, random_split); `numpy_generator` turns that argument into the NumPy
generator to draw from.
"""

from __future__ import annotations

import numpy

from tinyconv.checks import check_int

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reset the global generator to a fixed seed."""
    global _generator
    _generator = numpy.random.default_rng(check_int("manual_seed", "seed", seed, minimum=0))


def generator() -> numpy.random.Generator:
    """The global NumPy generator that tinyconv draws from."""
    return _generator


class Generator:
    """A random number generator of one's own, as torch.Generator: seeded once, it makes a DataLoader's
    shuffling or a random_split repeatable without touching the global generator.

        generator = Generator().manual_seed(42)
        train_set, valid_set = random_split(dataset, [0.8, 0.2], generator=generator)

    It draws from the NumPy generator `numpy_generator`, so its numbers are not PyTorch's.
    """

    def __init__(self):
        self.numpy_generator = numpy.random.default_rng()

    def manual_seed(self, seed: int) -> Generator:
        """Restart from a fixed seed; returns the generator itself, as PyTorch's does."""
        seed = check_int("Generator.manual_seed", "seed", seed, minimum=0)
        self.numpy_generator = numpy.random.default_rng(seed)
        return self


def numpy_generator(generator, owner: str) -> numpy.random.Generator:
    """The NumPy generator to draw from: the global one for None, that of a Generator, or a NumPy one
    given directly (`numpy.random.default_rng(0)`); a TypeError naming `owner` for anything else."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator.numpy_generator
    if isinstance(generator, numpy.random.Generator):
        return generator
    kind = f"{type(generator).__module__}.{type(generator).__name__}"
    raise TypeError(
        f"{owner}: generator must be a tinyconv Generator (Generator().manual_seed(0)) or a NumPy "
        f"Generator (numpy.random.default_rng(0)), got a {kind}"
    )
