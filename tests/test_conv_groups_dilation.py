"""conv2d with groups (AlexNet's towers, depthwise) and dilation: spec, gradients, PyTorch, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor

import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.functional.reference import conv2d_reference
from tinyconv.gradcheck import gradcheck

# (N, C, H, W, C_out, kH, kW, stride, padding, dilation, groups)
CASES = {
    "two towers, dilation 2, non-square kernel": (2, 4, 7, 6, 6, 3, 2, 1, 1, 2, 2),
    "depthwise, stride 2, padding 2": (1, 6, 9, 8, 6, 3, 3, 2, 2, 1, 6),
    "1x1 in 4 groups": (2, 4, 5, 5, 8, 1, 1, 1, 0, 1, 4),
    "pairs everywhere": (1, 3, 10, 9, 6, 3, 3, (2, 1), (1, 2), (2, 3), 3),
    "dilation only": (2, 2, 9, 9, 3, 3, 3, 1, 0, 3, 1),
}


def tensors(case, seed=0):
    n, c, h, w, c_out, k_h, k_w, *_, groups = case
    x = random_tensor(n, c, h, w, seed=seed)
    weight = random_tensor(c_out, c // groups, k_h, k_w, seed=seed + 1)
    bias = random_tensor(c_out, seed=seed + 2)
    return x, weight, bias


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_im2col_path_equals_the_naive_loop(case):
    x, weight, bias = tensors(case)
    stride, padding, dilation, groups = case[7:]
    expected = conv2d_reference(x.data, weight.data, bias.data, stride, padding, dilation, groups)
    actual = F.conv2d(x, weight, bias, stride, padding, dilation, groups).data
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_gradients_match_finite_differences(case):
    x, weight, bias = tensors(case, seed=3)
    stride, padding, dilation, groups = case[7:]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), [x, weight, bias])


def test_groups_keep_the_towers_apart():
    # Two groups: output channel 0 must not depend on input channel 1 at all.
    x = random_tensor(1, 2, 5, 5)
    weight = random_tensor(2, 1, 3, 3, seed=1)
    F.conv2d(x, weight, groups=2)[:, 0].sum().backward()
    assert np.all(x.grad[0, 1] == 0) and np.any(x.grad[0, 0] != 0)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_outputs_and_gradients_match_torch(case):
    torch = pytest.importorskip("torch")
    stride, padding, dilation, groups = case[7:]
    x, weight, bias = (Tensor(t.data.astype(np.float32), requires_grad=True) for t in tensors(case))
    y = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    grad = random_array(*y.shape, seed=9, dtype=np.float32)
    y.backward(grad)
    tx, tw, tb = (torch.from_numpy(t.data.copy()).requires_grad_() for t in (x, weight, bias))
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    ty.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    for ours, theirs in ((x, tx), (weight, tw), (bias, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv2d_layer_with_groups_has_the_pytorch_weight_shape_and_repr():
    layer = nn.Conv2d(96, 256, 5, padding=2, groups=2)  # AlexNet's conv2 on two GPUs
    assert layer.weight.shape == (256, 48, 5, 5)
    assert "groups=2" in repr(layer)
    assert nn.Conv2d(8, 8, 3, dilation=2).weight.shape == (8, 8, 3, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nn.Conv2d(6, 4, 3, groups=4), r"groups=4 must divide both in_channels \(6\)"),
        (
            lambda: F.conv2d(Tensor(np.zeros((1, 6, 5, 5))), Tensor(np.zeros((4, 3, 3, 3))), groups=4),
            r"groups=4 must divide both the input channels \(6\) and the output channels \(4\)",
        ),
        (
            lambda: F.conv2d(Tensor(np.zeros((1, 6, 5, 5))), Tensor(np.zeros((4, 2, 3, 3))), groups=2),
            r"input has 6 channels but weight expects 4 \(2 per group x 2 groups\)",
        ),
        (
            lambda: F.conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3, 3))), dilation=3),
            "larger than the padded input",
        ),
        (
            lambda: F.conv2d(Tensor(np.zeros((1, 1, 5, 5))), Tensor(np.zeros((1, 1, 3, 3))), dilation=0),
            "dilation must be positive",
        ),
    ],
)
def test_bad_groups_and_dilation_get_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
