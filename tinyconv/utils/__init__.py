"""tinyconv.utils: PyTorch's `torch.utils` names, so that `from torch.utils.data import DataLoader`
becomes `from tinyconv.utils.data import DataLoader`.

data.py   the datasets and the loader of tinyconv/data, under their torch.utils.data names
"""

from tinyconv.utils import data

__all__ = ["data"]
