"""Transposed convolution (tinyconv/functional/conv_transpose.py): its output size, the adjoint of conv2d
and not its inverse, the checkerboard of a stride-2 kernel-3 layer, built from conv2d's pieces (im2col,
col2im, the matrix product through the backend seam), float64 gradient checks at several shapes,
PyTorch's conv_transpose2d, and the bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor
from helpers.op_checks import assert_gradcheck
from helpers.torch_checks import NETWORK_ATOL, NETWORK_RTOL

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.backend import cpu

# ------------------------------------------------------------------------------ by hand


def test_output_size_follows_the_formula():
    # (H - 1) s - 2p + d (k - 1) + output_padding + 1 = (5 - 1) 2 - 2 + 2 (3 - 1) + 1 + 1 = 12
    x, weight = tinyconv.zeros(1, 2, 5, 4), tinyconv.zeros(2, 3, 3, 2)
    y = F.conv_transpose2d(x, weight, stride=2, padding=1, output_padding=1, dilation=2)
    assert y.shape == (1, 3, 12, (4 - 1) * 2 - 2 + 2 * (2 - 1) + 1 + 1)


def test_each_input_pixel_spreads_a_copy_of_the_kernel():
    x = Tensor(np.zeros((1, 1, 2, 2)))
    x.data[0, 0, 1, 0] = 2.0  # one pixel at (1, 0)
    weight = Tensor(np.arange(1.0, 5.0).reshape(1, 1, 2, 2))  # [[1, 2], [3, 4]]
    y = F.conv_transpose2d(x, weight, stride=2).data[0, 0]
    expected = np.zeros((4, 4))
    expected[2:4, 0:2] = 2.0 * weight.data[0, 0]  # stride 2: the patch lands at (2, 0)
    np.testing.assert_array_equal(y, expected)


def test_it_is_the_adjoint_of_conv2d():
    # <conv2d(x), y> = <x, conv_transpose2d(y)> for every x and y, with the same weight
    x, y = random_array(2, 3, 9, 8, seed=1), random_array(2, 4, 5, 4, seed=2)  # conv2d maps 9x8 to 5x4
    weight = Tensor(random_array(4, 3, 3, 3, seed=3))
    forward = F.conv2d(Tensor(x), weight, stride=2, padding=1).data
    back = F.conv_transpose2d(Tensor(y), weight, stride=2, padding=1, output_padding=(0, 1)).data
    assert back.shape == x.shape
    assert np.sum(forward * y) == pytest.approx(np.sum(x * back), rel=1e-12)


def test_it_is_not_the_inverse_of_conv2d():
    x = Tensor(random_array(1, 1, 6, 6))
    weight = Tensor(random_array(1, 1, 3, 3, seed=1))
    round_trip = F.conv_transpose2d(
        F.conv2d(x, weight, stride=2, padding=1), weight, stride=2, padding=1, output_padding=1
    )
    assert round_trip.shape == x.shape
    assert np.abs(round_trip.data - x.data).max() > 0.5


def test_a_stride_2_kernel_3_layer_leaves_a_checkerboard():
    # with every input 1 and every weight 1, each output pixel counts the patches that cover it:
    # the interior alternates 1, 2, 1, 2 in each direction, so a flat input comes out checkered
    y = F.conv_transpose2d(tinyconv.ones(1, 1, 4, 4), tinyconv.ones(1, 1, 3, 3), stride=2).data[0, 0]
    np.testing.assert_array_equal(y[1:8, 1:8], np.outer([1, 2, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2, 1]))


def test_it_runs_im2col_col2im_and_the_matrix_product_of_the_backend(monkeypatch):
    called = []
    for name in ("im2col", "col2im", "matmul"):
        original = getattr(cpu, name)
        monkeypatch.setattr(cpu, name, lambda *args, _f=original, _n=name: called.append(_n) or _f(*args))
    x, weight = random_tensor(1, 2, 4, 4), random_tensor(2, 3, 3, 3, seed=1)
    F.conv_transpose2d(x, weight, stride=2).sum().backward()
    assert called[:2] == ["matmul", "col2im"] and "im2col" in called[2:]


# ------------------------------------------------------------------------------ gradient checks

# (x shape, weight shape, keyword arguments)
GRADCHECK_CASES = {
    "stride 1, batch 1": ((1, 2, 4, 4), (2, 3, 3, 3), {}),
    "stride 2, padding 1, output_padding 1": (
        (2, 3, 3, 4),
        (3, 2, 3, 3),
        {"stride": 2, "padding": 1, "output_padding": 1},
    ),
    "stride 3, non-square kernel": ((1, 2, 3, 2), (2, 2, 2, 4), {"stride": (3, 2), "padding": (1, 0)}),
    "groups 2": ((2, 4, 3, 3), (4, 3, 3, 3), {"stride": 2, "groups": 2}),
    "dilation 2": ((1, 2, 4, 3), (2, 2, 3, 3), {"dilation": 2, "padding": 1}),
}


def gradcheck_case(name: str, with_bias: bool = True) -> tuple:
    """(fn, inputs) for one GRADCHECK_CASES entry: x, weight and (with_bias) a bias."""
    x_shape, w_shape, arguments = GRADCHECK_CASES[name]
    inputs = [random_tensor(*x_shape, seed=1), random_tensor(*w_shape, seed=2)]
    if with_bias:
        inputs.append(random_tensor(w_shape[1] * arguments.get("groups", 1), seed=3))
    return (lambda *tensors: F.conv_transpose2d(*tensors, **arguments)), inputs


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_conv_transpose2d_gradient(name):
    fn, inputs = gradcheck_case(name)
    assert_gradcheck(fn, *inputs)


def test_conv_transpose2d_gradient_without_bias():
    fn, inputs = gradcheck_case("stride 2, padding 1, output_padding 1", with_bias=False)
    assert_gradcheck(fn, *inputs)


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_conv_transpose2d_matches_torch(torch, name):
    fn, inputs = gradcheck_case(name)
    x_shape, w_shape, arguments = GRADCHECK_CASES[name]
    theirs = [torch.tensor(t.data, requires_grad=True) for t in inputs]
    out, torch_out = fn(*inputs), torch.nn.functional.conv_transpose2d(*theirs, **arguments)
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)
    upstream = random_array(*out.shape, seed=9)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    for mine, reference in zip(inputs, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=NETWORK_RTOL, atol=NETWORK_ATOL)


# ------------------------------------------------------------------------------ bad input


def test_output_padding_must_be_smaller_than_the_stride_or_the_dilation():
    with pytest.raises(
        ValueError, match=r"output_padding \(2, 2\) must be smaller than either the stride \(2, 2\)"
    ):
        F.conv_transpose2d(tinyconv.zeros(1, 2, 3, 3), tinyconv.zeros(2, 2, 3, 3), stride=2, output_padding=2)


def test_the_input_channels_must_match_the_weight_s_first_axis():
    with pytest.raises(
        ValueError, match=r"input has 3 channels but weight expects 2 \(the weight's first axis"
    ):
        F.conv_transpose2d(tinyconv.zeros(1, 3, 3, 3), tinyconv.zeros(2, 4, 3, 3))


def test_groups_must_divide_the_input_channels():
    with pytest.raises(ValueError, match=r"groups=2 must divide the weight's input channels \(3\)"):
        F.conv_transpose2d(tinyconv.zeros(1, 3, 3, 3), tinyconv.zeros(3, 2, 3, 3), groups=2)


def test_the_bias_must_have_one_value_per_output_channel():
    with pytest.raises(ValueError, match=r"bias must have shape \(6,\)"):
        F.conv_transpose2d(
            tinyconv.zeros(1, 4, 3, 3), tinyconv.zeros(4, 3, 3, 3), tinyconv.zeros(4), groups=2
        )


def test_too_much_padding_for_the_output_is_refused():
    with pytest.raises(ValueError, match=r"the output would be -2x-2: the padding \(2, 2\) is too large"):
        F.conv_transpose2d(tinyconv.zeros(1, 1, 1, 1), tinyconv.zeros(1, 1, 2, 2), padding=2)
