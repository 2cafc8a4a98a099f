"""Input builders shared by the tests: seeded, float64 where gradients are checked, tie-free where it matters.

Imported as `from helpers import ...`: pytest puts this folder on sys.path (its default "prepend"
import mode), so no conftest.py is needed.
"""

from __future__ import annotations

import numpy as np

from tinyconv import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    """A leaf Tensor of the given values (float64 unless told) that requires grad."""
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def image(values) -> Tensor:
    """One image with one channel, (1, 1, H, W), from an H x W list: a float64 leaf that requires grad."""
    return Tensor(np.array(values, dtype=np.float64)[None, None], requires_grad=True)


def random_array(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Standard normal samples of the given shape, from a generator seeded for this test only."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def random_tensor(*shape: int, seed: int = 0, dtype=np.float64, requires_grad: bool = True) -> Tensor:
    """A Tensor of standard normal samples (float64 and requiring grad unless told otherwise)."""
    return Tensor(random_array(*shape, seed=seed, dtype=dtype), requires_grad=requires_grad)


def distinct_tensor(*shape: int, seed: int = 0, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor whose values are a random permutation of distinct numbers 0.1 apart.

    Max pooling and max reductions have a kink wherever two inputs tie; a finite-difference nudge of
    1e-6 cannot make two values 0.1 apart swap places, so gradient checks stay away from the kinks.
    """
    size = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(size) * 0.1 - 0.05 * size
    return Tensor(values.reshape(shape).astype(np.float64), requires_grad=requires_grad)


def away_from_zero_tensor(*shape: int, seed: int = 0, requires_grad: bool = True) -> Tensor:
    """A float64 Tensor with |x| >= 0.1 everywhere: ReLU-like kinks at 0 are out of a nudge's reach."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.1, 2.0, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return Tensor(magnitude * sign, requires_grad=requires_grad)


def torch_lenet5(torch):
    """The same LeNet-5 as tinyconv.models.LeNet5, written with torch.nn (torch passed in: it is optional)."""
    nn = torch.nn

    class TorchLeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(6, 16, kernel_size=5),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Linear(16 * 5 * 5, 120),
                nn.ReLU(),
                nn.Linear(120, 84),
                nn.ReLU(),
                nn.Linear(84, 10),
            )

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    return TorchLeNet5()
