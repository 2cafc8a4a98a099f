"""Helpers shared by the tests, each written once.

Imported as `from helpers import ...` or `from helpers.<module> import ...`: pytest puts tests/ on
sys.path (its default "prepend" import mode, for tests/conftest.py: tests/ itself is not a package).

    helpers/tensors.py        inputs built for a test: seeded, float64 where gradients are checked,
                              tie-free or kink-free where it matters (also importable from `helpers`)
    helpers/op_checks.py      the checks every op's tests run: gradcheck, dtype kept, upstream untouched
    helpers/torch_checks.py   the same computation in tinyconv and in PyTorch, compared
    helpers/same_as_torch.py  the same, in float64 and tightly, for the Tensor's ops and their edge rules
    helpers/torch_densenet.py torchvision's DenseNet written with torch.nn (for the tests and the benchmark)
    helpers/models.py         parameter counts from the layer formulas, models built without random weights
    helpers/optimizers.py     an optimizer run step by step, in tinyconv and in torch.optim
    helpers/downloads.py      a local file server and an unreachable URL, for download tests
    helpers/dataset_files.py  small dataset files in the real formats, and the folder of the real ones
    helpers/docs.py           the docs' python blocks: a runnable snippet and its output, or a quoted excerpt
"""

from helpers.downloads import closed_port_url, file_server
from helpers.tensors import (
    away_from_zero_tensor,
    distinct_tensor,
    float32_ones,
    image,
    leaf,
    positive_tensor,
    random_array,
    random_tensor,
    uniform_tensor,
)
from helpers.torch_checks import torch_lenet5

__all__ = [
    "away_from_zero_tensor",
    "closed_port_url",
    "distinct_tensor",
    "file_server",
    "float32_ones",
    "image",
    "leaf",
    "positive_tensor",
    "random_array",
    "random_tensor",
    "torch_lenet5",
    "uniform_tensor",
]
