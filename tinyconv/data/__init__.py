"""Data: datasets and the loader that batches them, as `torch.utils.data` and `torchvision.datasets`.

from tinyconv.data import MNIST, DataLoader

dataset.py     TensorDataset, Subset, DatasetError; what a dataset must provide
dataloader.py  DataLoader: shuffled batches of Tensors, repeatable under a seed
mnist.py       MNIST: find, download, verify and read the four MNIST files
download.py    download from mirrors into a temporary file, verify its digest, then rename it
idx.py         read_idx / write_idx: the IDX file format of MNIST
transforms.py  RandomCrop: augmentation on whole batches
"""

from tinyconv.data.dataloader import DataLoader
from tinyconv.data.dataset import DatasetError, Subset, TensorDataset
from tinyconv.data.mnist import MNIST
from tinyconv.data.transforms import RandomCrop

__all__ = ["MNIST", "DataLoader", "TensorDataset", "Subset", "DatasetError", "RandomCrop"]
