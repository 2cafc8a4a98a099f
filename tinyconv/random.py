"""tinyconv's random number generator: one seedable source for initialization, shuffling, noise.

`manual_seed(s)` makes everything that draws from `generator()` repeatable, as `torch.manual_seed`.
The numbers themselves differ from PyTorch's (a different generator), so seeded runs are
reproducible within tinyconv, not across frameworks.
"""

from __future__ import annotations

import numpy

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reset the global generator to a fixed seed."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = numpy.random.default_rng(int(seed))


def generator() -> numpy.random.Generator:
    """The global NumPy generator that tinyconv draws from."""
    return _generator
