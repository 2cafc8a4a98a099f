"""ImageNet's 1,000 class names, and the mean and standard deviation its networks were trained with:
what a network trained on ImageNet (torchvision's published weights) needs to prepare its input and
to name its output.

    names = imagenet_classes()   # names[k] is the name of output k: names[207] == 'golden retriever'
    x = (image - mean[c]) / std[c] for each colour channel c, image in [0, 1], mean and std below

imagenet_classes.txt, beside this file, holds the names one per line, line k + 1 for class k, in the
order of ImageNet-1k's class indices (its synsets' WordNet ids sorted, n01440764 'tench' first). It is
torchvision's list (torchvision/models/_meta.py, _IMAGENET_CATEGORIES, the `categories` in the meta of
every ImageNet weights), written from torchvision 0.29.1 with

    python -c "from torchvision.models import ResNet18_Weights;
               print(*ResNet18_Weights.IMAGENET1K_V1.meta['categories'], sep='\\n')"

torchvision gives each class one short name, all 1,000 different (WordNet's synonyms, "tench, Tinca
tinca", are cut to the first; its two "crane"s are "crane bird", class 134, and "crane", the machine, 517).
"""

from __future__ import annotations

import os

# The mean and standard deviation of each colour channel (R, G, B) over ImageNet's training images, in
# [0, 1]: torchvision's ImageNet weights expect (image - IMAGENET_MEAN) / IMAGENET_STD.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

CLASSES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet_classes.txt")


def imagenet_classes() -> list:
    """The 1,000 ImageNet class names, the name of class k at index k (see the module docstring)."""
    with open(CLASSES_FILE, encoding="utf-8") as file:
        return file.read().splitlines()
