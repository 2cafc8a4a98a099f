"""GoogLeNet (tinyconv/models/googlenet.py): the Inception module (its four branches joined in order, its
gradient), Table 1's depths and parameter counts, the BVLC Caffe model's LRN, the auxiliary classifiers, and
the Inception module and the whole network against the same ones written with torch.nn from the paper
(float64: the same logits, input gradient and parameter gradients).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.models import LRN_PIXEL, conv_params, count, linear_params, lrn_by_the_formula, zeros
from helpers.torch_checks import (
    NETWORK_ATOL,
    NETWORK_RTOL,
    assert_same_forward_and_backward,
    assert_same_parameter_gradients,
    torch_copy,
    with_random_biases,
)

import tinyconv
from tinyconv import Tensor
from tinyconv.gradcheck import gradcheck
from tinyconv.models import GoogLeNet, Inception

# Table 1 of Szegedy et al. 2015: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj, output depth.
GOOGLENET_TABLE_1 = {
    "inception3a": (64, 96, 128, 16, 32, 32, 256),
    "inception3b": (128, 128, 192, 32, 96, 64, 480),
    "inception4a": (192, 96, 208, 16, 48, 64, 512),
    "inception4b": (160, 112, 224, 24, 64, 64, 512),
    "inception4c": (128, 128, 256, 24, 64, 64, 512),
    "inception4d": (112, 144, 288, 32, 64, 64, 528),
    "inception4e": (256, 160, 320, 32, 128, 128, 832),
    "inception5a": (256, 160, 320, 32, 128, 128, 832),
    "inception5b": (384, 192, 384, 48, 128, 128, 1024),
}


def inception_params(c_in, ch1, red3, ch3, red5, ch5, proj) -> int:
    return (
        conv_params(c_in, ch1, 1)
        + conv_params(c_in, red3, 1)
        + conv_params(red3, ch3, 3)
        + conv_params(c_in, red5, 1)
        + conv_params(red5, ch5, 5)
        + conv_params(c_in, proj, 1)
    )


def test_inception_joins_its_four_branches_along_channels_in_order():
    tinyconv.manual_seed(0)
    module = Inception(3, 2, 2, 4, 1, 3, 5)
    x = random_tensor(2, 3, 6, 5, dtype=np.float32, requires_grad=False)
    y = module(x).numpy()
    assert y.shape == (2, 2 + 4 + 3 + 5, 6, 5)
    branches = [module.branch1(x), module.branch2(x), module.branch3(x), module.branch4(x)]
    np.testing.assert_array_equal(y, np.concatenate([b.numpy() for b in branches], axis=1))


def test_inception_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    module = Inception(2, 1, 1, 2, 1, 1, 1).double()
    for parameter in module.parameters():
        if parameter.ndim == 1:
            parameter.data[...] = 0.1
    params = list(module.parameters())
    assert gradcheck(lambda x, *p: module(x), [random_tensor(1, 2, 4, 3)] + params)


def test_googlenet_inception_modules_have_table_1s_output_depths_and_parameter_counts():
    model = GoogLeNet()
    c_in = 192
    for name, (*columns, depth) in GOOGLENET_TABLE_1.items():
        module = getattr(model, name)
        assert module.out_channels == depth, name
        assert count(module) == inception_params(c_in, *columns), name
        c_in = depth


def test_googlenet_parameter_count_follows_from_table_1():
    stem = conv_params(3, 64, 7) + conv_params(64, 64, 1) + conv_params(64, 192, 3)
    inceptions, c_in = 0, 192
    for *columns, depth in GOOGLENET_TABLE_1.values():
        inceptions += inception_params(c_in, *columns)
        c_in = depth
    assert count(GoogLeNet()) == stem + inceptions + linear_params(1024, 1000) == 6_998_552


def test_googlenet_lrn_is_the_bvlc_caffe_models_with_k_1_n_5_alpha_1e_4_beta_0_75():
    # Caffe's LRN divides alpha by n, as tinyconv does: the paper's formula with alpha / n
    model = GoogLeNet(num_classes=10)
    expected = lrn_by_the_formula(LRN_PIXEL, n=5, alpha=1e-4 / 5, beta=0.75, k=1.0)
    for norm in (model.lrn1, model.lrn2):
        assert (norm.size, norm.alpha, norm.beta, norm.k) == (5, 1e-4, 0.75, 1.0)
        b = norm(Tensor(LRN_PIXEL.reshape(1, 7, 1, 1))).numpy().reshape(7)
        np.testing.assert_allclose(b, expected, rtol=1e-12)


def test_googlenet_maps_two_32x32_images_to_logits():
    model = GoogLeNet(num_classes=10).eval()
    assert model(zeros(2, 3, 32, 32)).shape == (2, 10)


def test_googlenet_auxiliary_classifiers_answer_in_training_only():
    model = GoogLeNet(aux_logits=True)
    x = zeros(1, 3, 224, 224)
    with tinyconv.no_grad():
        outputs = model.train()(x)
        assert [output.shape for output in outputs] == [(1, 1000)] * 3
        assert model.eval()(x).shape == (1, 1000)


@pytest.mark.parametrize("size, maps", [(96, "6x6"), (64, "4x4")])
def test_googlenet_auxiliary_classifiers_name_the_input_sizes_they_take(size, maps):
    model = GoogLeNet(num_classes=2, aux_logits=True).train()
    expected = rf"InceptionAux: expected maps of 14x14 to 16x16, .* 212 to 256 pixels\), got {maps}"
    with pytest.raises(ValueError, match=expected):
        with tinyconv.no_grad():
            model(Tensor(np.zeros((1, 3, size, size), dtype=np.float32)))


# ------------------------------------------------------------------------------ against torch.nn


def torch_googlenet_modules(torch):
    """(Inception, GoogLeNet) written with torch.nn from the paper (torch passed in: it is optional)."""
    tnn = torch.nn

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

    return TorchInception, TorchGoogLeNet


def test_inception_module_forward_and_backward_match_torch_with_the_same_weights(torch):
    TorchInception, _ = torch_googlenet_modules(torch)
    tinyconv.manual_seed(0)
    module = with_random_biases(Inception(6, 3, 2, 4, 2, 5, 3))
    reference = torch_copy(torch, module, TorchInception(6, 3, 2, 4, 2, 5, 3))
    x = random_array(2, 6, 5, 7, seed=3)
    ours, theirs = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    y, torch_y = module(ours), reference(theirs)
    np.testing.assert_allclose(y.numpy(), torch_y.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)
    upstream = random_array(*y.shape, seed=4)
    y.backward(upstream)
    torch_y.backward(torch.tensor(upstream))
    np.testing.assert_allclose(
        ours.grad, theirs.grad.numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL, err_msg="input"
    )
    assert_same_parameter_gradients(module, reference)


def test_googlenet_forward_and_backward_match_torch_with_the_same_weights(torch):
    # 32x32, GoogLeNet's smallest input: the maps go 16, 8, 4, 2 and 1 pixel wide, every layer runs
    _, TorchGoogLeNet = torch_googlenet_modules(torch)
    tinyconv.manual_seed(0)
    model = with_random_biases(GoogLeNet(num_classes=10))
    reference = torch_copy(torch, model, TorchGoogLeNet(num_classes=10))
    images = 50 * random_array(2, 3, 32, 32, seed=2)
    assert_same_forward_and_backward(torch, model, reference, images)
