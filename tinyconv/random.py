"""tinyconv's random number generator: one seedable source for initialization, shuffling, noise.

`manual_seed(s)` makes everything that draws from `generator()` repeatable, as `torch.manual_seed`.
The numbers themselves differ from PyTorch's (a different generator), so seeded runs are
reproducible within tinyconv, not across frameworks.
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
