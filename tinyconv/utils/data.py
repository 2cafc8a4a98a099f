"""torch.utils.data's names for tinyconv's data loading: the same classes and functions as tinyconv.data,
which is where they are written (dataset.py, collate.py, dataloader.py); nothing is defined here.

    from tinyconv.utils.data import DataLoader, TensorDataset, random_split
"""

from tinyconv.data.collate import default_collate
from tinyconv.data.dataloader import DataLoader
from tinyconv.data.dataset import Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]
