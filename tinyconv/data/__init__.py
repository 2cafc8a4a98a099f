"""Data: datasets and the loader that batches them, as `torch.utils.data` and `torchvision.datasets`.

from tinyconv.data import MNIST, DataLoader

dataset.py     TensorDataset, Subset, DatasetError; what a dataset must provide
dataloader.py  DataLoader: shuffled batches of Tensors, repeatable under a seed
mnist.py       MNIST: find, download, verify and read the four MNIST files
fashion_mnist.py  FashionMNIST: Zalando's clothes in MNIST's format (MNIST with other files)
cifar.py       CIFAR10: download, verify, extract and read the pickled CIFAR-10 batches
download.py    download from mirrors into a temporary file, verify its digest, then rename it; data folders
idx.py         read_idx / write_idx: the IDX file format of MNIST
transforms.py  RandomCrop, RandomHorizontalFlip, Normalize, Compose: augmentation on whole batches
"""

from tinyconv.data.cifar import CIFAR10
from tinyconv.data.dataloader import DataLoader
from tinyconv.data.dataset import DatasetError, Subset, TensorDataset
from tinyconv.data.fashion_mnist import FashionMNIST
from tinyconv.data.mnist import MNIST
from tinyconv.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip

__all__ = ["MNIST", "DataLoader", "TensorDataset", "Subset", "DatasetError", "RandomCrop"]
__all__ += ["FashionMNIST", "CIFAR10", "RandomHorizontalFlip", "Normalize", "Compose"]
