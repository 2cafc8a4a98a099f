"""Ready-made networks built from tinyconv's own layers, in the order of their papers.

Each file cites its paper and tables its network's layers, output shapes and parameter counts:

    lenet.py      LeNet5 (modern: ReLU, max pooling), LeNet5Classic (1998: scaled tanh, trainable
                  subsampling, the C3 connection table, the RBF output)                   1998
    alexnet.py    AlexNet: ReLU, LRN, overlapping pooling, dropout, two towers; a 32x32 variant  2012
    zfnet.py      ZFNet: AlexNet retuned by visualizing its features                              2013
    vgg.py        VGG 11/13/16/19: stacks of 3x3 convolutions                                     2014
    googlenet.py  Inception module (1x1 bottlenecks, branches joined by cat), GoogLeNet           2014
    resnet.py     BasicBlock, Bottleneck, ResNet18/34/50: identity shortcuts                      2015
    densenet.py   DenseNet, densenet121/161/169/201: each layer fed all earlier maps (cat)        2016
    vit.py        VisionTransformer, vit_b_16/b_32/l_16: image patches through a Transformer      2021
    autoregressive.py  FVSBN, MADE (masks from degrees), sample: p(x) = prod p(x_i | x_<i)   1992, 2015
    vae.py        VAE: the variational autoencoder, MLP encoder and Bernoulli decoder             2014
    dcgan.py      DCGANGenerator, DCGANDiscriminator: a GAN's two players for 28x28 images        2016
    summary.py    summary(model, input_shape): each layer's output shape and parameter count
    convolutionalize.py  convolutionalize(model, input_size): Linear layers as convolutions, so a
                  classifier slides over a larger image and gives a heat-map per class (FCN)  2015
    fcn.py        FCN: a small fully convolutional segmenter, FCN-8s's skips down to stride 1  2015
    yolo.py       YOLOv1: one pass writes S x S x (B * 5 + C), boxes and classes per grid cell   2016
"""

from tinyconv.models.alexnet import AlexNet
from tinyconv.models.autoregressive import FVSBN, MADE
from tinyconv.models.convolutionalize import (
    FullyConvolutional,
    ReceptiveField,
    convolutionalize,
    receptive_field,
)
from tinyconv.models.dcgan import DCGANDiscriminator, DCGANGenerator
from tinyconv.models.densenet import (
    DenseBlock,
    DenseLayer,
    DenseNet,
    densenet121,
    densenet161,
    densenet169,
    densenet201,
)
from tinyconv.models.fcn import FCN
from tinyconv.models.googlenet import GoogLeNet, Inception
from tinyconv.models.lenet import LeNet5, LeNet5Classic
from tinyconv.models.resnet import BasicBlock, Bottleneck, ResNet, ResNet18, ResNet34, ResNet50
from tinyconv.models.summary import summary
from tinyconv.models.vae import VAE
from tinyconv.models.vgg import VGG, vgg11, vgg13, vgg16, vgg19
from tinyconv.models.vit import VisionTransformer, vit_b_16, vit_b_32, vit_l_16
from tinyconv.models.yolo import YOLOv1
from tinyconv.models.zfnet import ZFNet

__all__ = [
    "LeNet5",
    "LeNet5Classic",
    "AlexNet",
    "ZFNet",
    "VGG",
    "vgg11",
    "vgg13",
    "vgg16",
    "vgg19",
    "Inception",
    "GoogLeNet",
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "ResNet18",
    "ResNet34",
    "ResNet50",
    "DenseLayer",
    "DenseBlock",
    "DenseNet",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
    "VisionTransformer",
    "vit_b_16",
    "vit_b_32",
    "vit_l_16",
    "summary",
    "convolutionalize",
    "FCN",
    "receptive_field",
    "FullyConvolutional",
    "ReceptiveField",
    "YOLOv1",
    "FVSBN",
    "MADE",
    "VAE",
    "DCGANGenerator",
    "DCGANDiscriminator",
]
