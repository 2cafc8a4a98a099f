"""The small AlexNet and GoogLeNet against the same networks written here with torch.nn, from their papers:
the same weights in, the same logits, input gradient and parameter gradients out.

tests/test_models.py does the same for ResNet. Both sides run in float64, so they agree to rounding
(1e-9 relative) and any real difference (a wrong LRN constant, a branch in the wrong order) is far
above it. Dropout draws from each library's own generator, so the comparison runs in eval() mode,
where dropout passes its input on; the loss is cross-entropy on fixed labels.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array
from test_models import GOOGLENET_TABLE_1

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.models import AlexNet, GoogLeNet, Inception

torch = pytest.importorskip("torch")
tnn = torch.nn

RTOL, ATOL = 1e-9, 1e-12


# ------------------------------------------------------------------------------ the torch.nn networks


def torch_small_alexnet(in_channels: int, num_classes: int) -> tnn.Module:
    """AlexNet's 32x32 variant (tinyconv/models/alexnet.py's table) with torchvision's indices."""
    # The paper's LRN: n = 5, alpha = 1e-4, beta = 0.75, k = 2; torch divides alpha by n, so it gets 5e-4.
    model = tnn.Module()
    model.features = tnn.Sequential(
        tnn.Conv2d(in_channels, 32, 5, padding=2),
        tnn.ReLU(),
        tnn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0),
        tnn.MaxPool2d(3, stride=2),
        tnn.Conv2d(32, 64, 5, padding=2, groups=2),
        tnn.ReLU(),
        tnn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0),
        tnn.MaxPool2d(3, stride=2),
        tnn.Conv2d(64, 96, 3, padding=1),
        tnn.ReLU(),
        tnn.Conv2d(96, 96, 3, padding=1, groups=2),
        tnn.ReLU(),
        tnn.Conv2d(96, 64, 3, padding=1, groups=2),
        tnn.ReLU(),
        tnn.MaxPool2d(3, stride=2),
    )
    model.classifier = tnn.Sequential(
        tnn.Dropout(),
        tnn.Linear(64 * 3 * 3, 256),
        tnn.ReLU(),
        tnn.Dropout(),
        tnn.Linear(256, 256),
        tnn.ReLU(),
        tnn.Linear(256, num_classes),
    )
    model.forward = lambda x: model.classifier(torch.flatten(model.features(x), 1))
    return model


class TorchConvReLU(tnn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = tnn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)

    def forward(self, x):
        return torch.relu(self.conv(x))


class TorchInception(tnn.Module):
    """Szegedy et al. 2015, Fig. 2b: 1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pool then 1x1."""

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = TorchConvReLU(in_channels, ch1x1, 1)
        self.branch2 = tnn.Sequential(
            TorchConvReLU(in_channels, ch3x3red, 1), TorchConvReLU(ch3x3red, ch3x3, 3, padding=1)
        )
        self.branch3 = tnn.Sequential(
            TorchConvReLU(in_channels, ch5x5red, 1), TorchConvReLU(ch5x5red, ch5x5, 5, padding=2)
        )
        self.branch4 = tnn.Sequential(tnn.MaxPool2d(3, 1, 1), TorchConvReLU(in_channels, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class TorchGoogLeNet(tnn.Module):
    """GoogLeNet as in Table 1 and Fig. 3, with the BVLC Caffe model's LRN (n 5, alpha 1e-4, beta 0.75,
    k 1; Caffe divides alpha by n, as torch does) and padded stride-2 pools (the paper's map sizes)."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.conv1 = TorchConvReLU(3, 64, 7, stride=2, padding=3)
        self.maxpool1 = tnn.MaxPool2d(3, 2, 1)
        self.lrn1 = tnn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.conv2 = TorchConvReLU(64, 64, 1)
        self.conv3 = TorchConvReLU(64, 192, 3, padding=1)
        self.lrn2 = tnn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.maxpool2 = tnn.MaxPool2d(3, 2, 1)
        in_channels = 192  # conv3's output; each module's input is the output depth of the one before
        for name, (*columns, depth) in GOOGLENET_TABLE_1.items():
            setattr(self, name, TorchInception(in_channels, *columns))
            in_channels = depth
        self.maxpool3 = tnn.MaxPool2d(3, 2, 1)
        self.maxpool4 = tnn.MaxPool2d(3, 2, 1)
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.dropout = tnn.Dropout(0.4)
        self.fc = tnn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool2(self.lrn2(self.conv3(self.conv2(self.lrn1(self.maxpool1(self.conv1(x)))))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4d(self.inception4c(self.inception4b(self.inception4a(x))))
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


# ------------------------------------------------------------------------------ comparing


def with_random_biases(model):
    """The model in float64 with biases drawn too (they start at 0, where a missing bias would not show)."""
    model = model.double()
    rng = np.random.default_rng(1)
    for name, parameter in model.named_parameters():
        if name.endswith("bias"):
            parameter.data[...] = 0.1 * rng.standard_normal(parameter.shape)
    return model


def torch_copy(model, reference: tnn.Module) -> tnn.Module:
    """`reference` in float64 with the tinyconv model's weights (their state_dict keys must match)."""
    reference = reference.double()
    reference.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})
    return reference


def assert_same_forward_and_backward(model, reference: tnn.Module, images: np.ndarray) -> None:
    """Logits, the gradient of the loss for the images, and every parameter's gradient agree."""
    model.eval()
    reference.eval()
    labels = np.arange(len(images)) % 10
    x = Tensor(images.copy(), requires_grad=True)
    torch_x = torch.tensor(images, requires_grad=True)
    logits, torch_logits = model(x), reference(torch_x)
    np.testing.assert_allclose(logits.numpy(), torch_logits.detach().numpy(), rtol=RTOL, atol=ATOL)

    F.cross_entropy(logits, labels).backward()
    tnn.functional.cross_entropy(torch_logits, torch.tensor(labels)).backward()
    np.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg="input")
    torch_parameters = dict(reference.named_parameters())
    assert list(torch_parameters) == [name for name, _ in model.named_parameters()]
    for name, parameter in model.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, torch_parameters[name].grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name
        )


# ------------------------------------------------------------------------------ the tests


def test_small_alexnet_forward_and_backward_match_torch_with_the_same_weights():
    tinyconv.manual_seed(0)
    model = with_random_biases(AlexNet(num_classes=10, small=True, in_channels=1))
    reference = torch_copy(model, torch_small_alexnet(in_channels=1, num_classes=10))
    # pixels of a few hundred units: the LRN's alpha * sum(a^2) is then of the order of its k
    images = 100 * random_array(4, 1, 32, 32, seed=2)
    assert_same_forward_and_backward(model, reference, images)


def test_inception_module_forward_and_backward_match_torch_with_the_same_weights():
    tinyconv.manual_seed(0)
    module = with_random_biases(Inception(6, 3, 2, 4, 2, 5, 3))
    reference = torch_copy(module, TorchInception(6, 3, 2, 4, 2, 5, 3))
    x = random_array(2, 6, 5, 7, seed=3)
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    y, torch_y = module(ours), reference(theirs)
    np.testing.assert_allclose(y.numpy(), torch_y.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = random_array(*y.shape, seed=4)
    y.backward(upstream)
    torch_y.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg="input")
    torch_parameters = dict(reference.named_parameters())
    for name, parameter in module.named_parameters():
        np.testing.assert_allclose(
            parameter.grad, torch_parameters[name].grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name
        )


def test_googlenet_forward_and_backward_match_torch_with_the_same_weights():
    # 32x32, GoogLeNet's smallest input: the maps go 16, 8, 4, 2 and 1 pixel wide, every layer runs
    tinyconv.manual_seed(0)
    model = with_random_biases(GoogLeNet(num_classes=10))
    reference = torch_copy(model, TorchGoogLeNet(num_classes=10))
    images = 50 * random_array(2, 3, 32, 32, seed=2)
    assert_same_forward_and_backward(model, reference, images)
