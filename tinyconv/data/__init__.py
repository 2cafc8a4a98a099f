"""Data: datasets and the loader that batches them, as `torch.utils.data` and `torchvision.datasets`.

from tinyconv.data import MNIST, DataLoader
(`tinyconv.utils.data` is the same loader and datasets under PyTorch's name: torch.utils.data.)

dataset.py     Dataset, TensorDataset, Subset, random_split, DatasetError; what a dataset must provide
collate.py     default_collate: a batch's samples stacked into batch Tensors; detection_collate: the
               images stacked, the targets (boxes of any number) left a list
dataloader.py  DataLoader: shuffled batches of Tensors, repeatable under a seed
mnist.py       MNIST: find, download, verify and read the four MNIST files
fashion_mnist.py  FashionMNIST: Zalando's clothes in MNIST's format (MNIST with other files)
binarized_mnist.py  BinarizedMNIST: MNIST's pixels sampled once to 0 or 1 (fixed seed), for generative models
cifar.py       CIFAR10: download, verify, extract and read the pickled CIFAR-10 batches
download.py    download from mirrors into a temporary file, verify its digest, then rename it; data folders
idx.py         read_idx / write_idx: the IDX file format of MNIST
transforms.py  RandomCrop, RandomHorizontalFlip, Normalize, Compose: augmentation on whole batches
canvas.py      DigitCanvases: a few digits per larger image, a class per pixel and a box per digit;
               DigitDetection: the same canvases as boxes and labels, torchvision's detection format
imagenet.py    imagenet_classes(), IMAGENET_MEAN, IMAGENET_STD: to read and feed ImageNet networks
"""

from tinyconv.data.binarized_mnist import BinarizedMNIST
from tinyconv.data.canvas import DigitCanvases, DigitDetection
from tinyconv.data.cifar import CIFAR10
from tinyconv.data.collate import default_collate, detection_collate
from tinyconv.data.dataloader import DataLoader
from tinyconv.data.dataset import Dataset, DatasetError, Subset, TensorDataset, random_split
from tinyconv.data.fashion_mnist import FashionMNIST
from tinyconv.data.imagenet import IMAGENET_MEAN, IMAGENET_STD, imagenet_classes
from tinyconv.data.mnist import MNIST
from tinyconv.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]
__all__ += ["DatasetError", "MNIST", "FashionMNIST", "CIFAR10", "DigitCanvases", "DigitDetection"]
__all__ += ["detection_collate"]
__all__ += ["BinarizedMNIST"]
__all__ += ["RandomCrop", "RandomHorizontalFlip", "Normalize", "Compose"]
__all__ += ["imagenet_classes", "IMAGENET_MEAN", "IMAGENET_STD"]
