"""F.conv2d (tinyconv/functional/conv.py): its whole specification, in the order of conv.py.

Layouts and formulas pinned by hand-computed cases (a cross-correlation, weight (C_out, C_in, kH, kW),
stride, padding, groups, dilation); dtypes kept and the upstream gradient left alone; float64 gradient
checks; equality with the naive loops of functional/reference.py; PyTorch's conv2d where it is installed;
and clear errors for bad input.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import float32_ones, image, random_array, random_tensor
from helpers.op_checks import (
    assert_gradcheck,
    assert_keeps_the_floating_dtype,
    assert_leaves_the_upstream_gradient_alone,
)
from helpers.torch_checks import compare_with_torch

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.functional.reference import conv2d_reference
from tinyconv.gradcheck import gradcheck

# ------------------------------------------------------------------------------ by hand


def kernel(values) -> Tensor:
    """One filter over one channel, (1, 1, kH, kW), from a kH x kW list (the same layout as an image)."""
    return image(values)


NINE = np.arange(9.0).reshape(3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_conv2d_sums_each_window_times_the_kernel():
    y = F.conv2d(image(NINE), kernel(np.ones((2, 2))))
    np.testing.assert_array_equal(y.data, [[[[8.0, 12.0], [20.0, 24.0]]]])


def test_conv2d_is_a_cross_correlation_the_kernel_is_not_flipped():
    y = F.conv2d(image(NINE), kernel([[1.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(y.data, [[[[0.0, 1.0], [3.0, 4.0]]]])  # the top-left of every window


def test_conv2d_adds_one_bias_per_output_channel():
    weight = Tensor(np.ones((2, 1, 1, 1)))
    y = F.conv2d(image(NINE[:2, :2]), weight, Tensor(np.array([10.0, -10.0])))
    np.testing.assert_array_equal(y.data[0, 0], [[10.0, 11.0], [13.0, 14.0]])
    np.testing.assert_array_equal(y.data[0, 1], [[-10.0, -9.0], [-7.0, -6.0]])


def test_conv2d_weight_layout_is_out_channels_then_in_channels():
    x = Tensor(np.array([1.0, 10.0]).reshape(1, 2, 1, 1))
    weight = Tensor(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).reshape(3, 2, 1, 1))
    np.testing.assert_array_equal(F.conv2d(x, weight).data.reshape(3), [1.0, 10.0, 11.0])


def test_conv2d_padding_adds_zeros_on_every_side():
    y = F.conv2d(image(np.ones((2, 2))), kernel(np.ones((3, 3))), padding=1)
    np.testing.assert_array_equal(y.data, np.full((1, 1, 2, 2), 4.0))


def test_conv2d_stride_skips_windows():
    x = image(np.arange(25.0).reshape(5, 5))
    y = F.conv2d(x, kernel([[1.0]]), stride=2)
    np.testing.assert_array_equal(y.data[0, 0], [[0.0, 2.0, 4.0], [10.0, 12.0, 14.0], [20.0, 22.0, 24.0]])


def test_conv2d_takes_stride_and_padding_as_height_width_pairs():
    x = image(np.arange(12.0).reshape(3, 4))
    y = F.conv2d(x, kernel([[1.0]]), stride=(2, 1), padding=(0, 1))
    # rows 0 and 2 of the input, between two columns of zero padding
    expected = [[0.0, 0.0, 1.0, 2.0, 3.0, 0.0], [0.0, 8.0, 9.0, 10.0, 11.0, 0.0]]
    np.testing.assert_array_equal(y.data[0, 0], expected)


def test_conv2d_output_size_uses_floor():
    # (7 + 2*1 - 3) // 2 + 1 = 4 rows; (6 + 0 - 2) // 3 + 1 = 2 columns
    y = F.conv2d(random_tensor(2, 3, 7, 6), random_tensor(5, 3, 3, 2), stride=(2, 3), padding=(1, 0))
    assert y.shape == (2, 5, 4, 2)


def test_conv2d_gradients_of_a_single_window():
    # One output pixel, y = sum(W * x) + b: dy/dx = W, dy/dW = x, dy/db = 1.
    x_values = np.array([[1.0, 2.0], [3.0, 4.0]])
    w_values = np.array([[5.0, 6.0], [7.0, 8.0]])
    x, weight = image(x_values), kernel(w_values)
    bias = Tensor(np.array([0.5]), requires_grad=True)
    y = F.conv2d(x, weight, bias)
    assert y.item() == 70.5
    y.backward(np.array([[[[2.0]]]]))
    np.testing.assert_array_equal(x.grad[0, 0], 2 * w_values)
    np.testing.assert_array_equal(weight.grad[0, 0], 2 * x_values)
    np.testing.assert_array_equal(bias.grad, [2.0])


def test_conv2d_input_gradient_counts_every_window_a_pixel_is_in():
    # With an all-ones kernel and upstream gradient, dL/dx[p] is the number of windows that cover p.
    x = image(np.zeros((3, 3)))
    F.conv2d(x, kernel(np.ones((2, 2)))).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])


def test_conv2d_without_bias_returns_gradients_for_input_and_weight():
    x = random_tensor(1, 2, 4, 4, seed=1)
    weight = random_tensor(3, 2, 3, 3, seed=2)
    F.conv2d(x, weight).sum().backward()
    assert x.grad.shape == x.shape
    assert weight.grad.shape == weight.shape


def test_groups_keep_the_towers_apart():
    # Two groups: output channel 0 must not depend on input channel 1 at all.
    x = random_tensor(1, 2, 5, 5)
    weight = random_tensor(2, 1, 3, 3, seed=1)
    F.conv2d(x, weight, groups=2)[:, 0].sum().backward()
    assert np.all(x.grad[0, 1] == 0) and np.any(x.grad[0, 0] != 0)


def test_conv2d_accepts_an_empty_batch():
    x, w = tinyconv.zeros(0, 2, 5, 5, requires_grad=True), tinyconv.zeros(3, 2, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    assert y.shape == (0, 3, 3, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 2, 5, 5) and np.all(w.grad == 0)


# --------------------------------------------------------------------------- dtypes and the upstream gradient


# a float32 input gives a float32 output and gradient, a float64 one float64
DTYPE_CASES = {
    "conv2d": lambda x: F.conv2d(
        x.reshape(1, 1, 2, 3), Tensor(np.ones((2, 1, 2, 2), dtype=x.dtype)), padding=1
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_op_keeps_the_floating_dtype_of_its_input(name, dtype):
    assert_keeps_the_floating_dtype(DTYPE_CASES[name], dtype)


W_CONV = random_array(2, 2, 3, 3, seed=12)


# (op, input shape): backward must read the upstream gradient and never write into it
UPSTREAM_CASES = {
    "conv2d": (lambda x: F.conv2d(x, Tensor(W_CONV), Tensor(np.ones(2)), padding=1), (1, 2, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(UPSTREAM_CASES))
def test_backward_does_not_modify_the_upstream_gradient(name):
    fn, shape = UPSTREAM_CASES[name]
    assert_leaves_the_upstream_gradient_alone(fn, shape)


# ------------------------------------------------------------------------------ gradient checks


# (x shape, weight shape, stride, padding, with bias)
GRADCHECK_CASES = {
    "batch 1": ((1, 1, 5, 5), (2, 1, 3, 3), 1, 0, True),
    "non-square image and kernel": ((2, 2, 5, 4), (2, 2, 3, 2), 1, 0, True),
    "stride 2, padding 1": ((1, 2, 6, 5), (3, 2, 3, 3), 2, 1, True),
    "pair stride and padding": ((1, 1, 6, 5), (2, 1, 2, 3), (2, 1), (0, 1), True),
    "kernel 1": ((2, 3, 3, 3), (2, 3, 1, 1), 1, 0, True),
    "padding 2, no bias": ((1, 2, 4, 4), (2, 2, 3, 3), 1, 2, False),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_conv2d_gradient(name):
    x_shape, w_shape, stride, padding, with_bias = GRADCHECK_CASES[name]
    inputs = [random_tensor(*x_shape, seed=1), random_tensor(*w_shape, seed=2)]
    if with_bias:
        inputs.append(random_tensor(w_shape[0], seed=3))
    assert_gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding), *inputs)


def test_gradient_of_a_kernel_used_in_two_conv2d_calls():
    assert_gradcheck(
        lambda x, w: F.conv2d(F.conv2d(x, w, padding=1), w, padding=1),
        random_tensor(1, 2, 4, 4, seed=1),
        random_tensor(2, 2, 3, 3, seed=2),
    )


# (N, C, H, W, C_out, kH, kW, stride, padding, dilation, groups)
GROUPS_DILATION_CASES = {
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


@pytest.mark.parametrize("case", GROUPS_DILATION_CASES.values(), ids=GROUPS_DILATION_CASES.keys())
def test_groups_and_dilation_gradients_match_finite_differences(case):
    x, weight, bias = tensors(case, seed=3)
    stride, padding, dilation, groups = case[7:]
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), [x, weight, bias])


# --------------------------------------------------------- against the naive loops of functional/reference.py


# (x shape, weight shape, stride, padding, with bias)
REFERENCE_CASES = {
    "batch 1, square": ((1, 1, 6, 6), (2, 1, 3, 3), 1, 0, True),
    "non-square image": ((2, 3, 7, 5), (4, 3, 3, 3), 1, 0, True),
    "stride 2": ((2, 2, 9, 8), (3, 2, 3, 3), 2, 0, True),
    "padding 2": ((1, 2, 5, 6), (3, 2, 5, 5), 1, 2, True),
    "stride 2 and padding 1": ((2, 3, 8, 7), (2, 3, 3, 3), 2, 1, False),
    "kernel 1": ((2, 4, 5, 3), (3, 4, 1, 1), 1, 0, True),
    "non-square kernel": ((1, 2, 7, 9), (3, 2, 2, 4), 1, 0, True),
    "pair stride and padding": ((2, 2, 8, 9), (2, 2, 3, 2), (2, 3), (1, 0), True),
    "kernel as large as the padded input": ((1, 1, 3, 4), (2, 1, 5, 6), 1, 1, True),
    "LeNet C1": ((2, 1, 28, 28), (6, 1, 5, 5), 1, 2, True),
}


@pytest.mark.parametrize("name", list(REFERENCE_CASES))
def test_conv2d_matches_the_reference_loops(name):
    x_shape, w_shape, stride, padding, with_bias = REFERENCE_CASES[name]
    x = random_array(*x_shape, seed=1)
    weight = random_array(*w_shape, seed=2)
    bias = random_array(w_shape[0], seed=3) if with_bias else None
    expected = conv2d_reference(x, weight, bias, stride=stride, padding=padding)
    fast = F.conv2d(
        Tensor(x), Tensor(weight), None if bias is None else Tensor(bias), stride=stride, padding=padding
    )
    assert fast.shape == expected.shape
    np.testing.assert_allclose(fast.data, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_matches_the_reference_in_float32():
    x = random_array(2, 3, 8, 8, seed=6, dtype=np.float32)
    weight = random_array(4, 3, 3, 3, seed=7, dtype=np.float32)
    expected = conv2d_reference(x, weight, stride=2, padding=1)
    fast = F.conv2d(Tensor(x), Tensor(weight), stride=2, padding=1)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast.data, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", GROUPS_DILATION_CASES.values(), ids=GROUPS_DILATION_CASES.keys())
def test_im2col_path_equals_the_naive_loop(case):
    x, weight, bias = tensors(case)
    stride, padding, dilation, groups = case[7:]
    expected = conv2d_reference(x.data, weight.data, bias.data, stride, padding, dilation, groups)
    actual = F.conv2d(x, weight, bias, stride, padding, dilation, groups).data
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------ against PyTorch


# (x shape, weight shape, stride, padding, with bias)
TORCH_CASES = {
    "3x3, batch 2": ((2, 3, 8, 8), (4, 3, 3, 3), 1, 0, True),
    "batch 1, non-square": ((1, 1, 7, 5), (2, 1, 3, 2), 2, 1, True),
    "kernel 1": ((2, 2, 6, 9), (3, 2, 1, 1), 1, 0, True),
    "pair stride and padding": ((1, 3, 7, 8), (2, 3, 4, 3), (2, 1), (0, 2), True),
    "no bias, padding 2": ((2, 2, 5, 5), (3, 2, 5, 5), 1, 2, False),
    "LeNet C3": ((2, 6, 14, 14), (16, 6, 5, 5), 1, 0, True),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_conv2d_matches_torch(torch, name):
    x_shape, w_shape, stride, padding, with_bias = TORCH_CASES[name]
    arrays = [random_array(*x_shape, seed=1), random_array(*w_shape, seed=2)]
    if with_bias:
        arrays.append(random_array(w_shape[0], seed=3))
    compare_with_torch(
        torch,
        lambda *t: F.conv2d(*t, stride=stride, padding=padding),
        lambda *t: torch.nn.functional.conv2d(*t, stride=stride, padding=padding),
        arrays,
    )


@pytest.mark.parametrize("case", GROUPS_DILATION_CASES.values(), ids=GROUPS_DILATION_CASES.keys())
def test_outputs_and_gradients_match_torch(torch, case):
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


# ------------------------------------------------------------------------------ bad input


def test_conv2d_refuses_a_weight_with_no_filters():
    with pytest.raises(ValueError, match=r"conv2d: weight of shape \(0, 1, 3, 3\) has no filters"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(0, 1, 3, 3))


def test_conv2d_refuses_an_empty_kernel():
    with pytest.raises(ValueError, match=r"weight of shape \(2, 1, 0, 3\) has no filters or an empty kernel"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(2, 1, 0, 3))


def test_conv2d_channel_mismatch_names_both_channel_counts():
    with pytest.raises(ValueError, match="input has 3 channels but weight expects 1"):
        F.conv2d(float32_ones(1, 3, 5, 5), float32_ones(2, 1, 3, 3))


def test_conv2d_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        F.conv2d(float32_ones(1, 1, 2, 2), float32_ones(1, 1, 5, 5), padding=1)


def test_conv2d_non_4d_input_names_the_expected_layout_and_the_shape_received():
    with pytest.raises(ValueError, match=r"4-D input \(N, C, H, W\), got shape \(1, 28, 28\)"):
        F.conv2d(float32_ones(1, 28, 28), float32_ones(6, 1, 5, 5))


def test_conv2d_non_4d_weight():
    with pytest.raises(ValueError, match=r"4-D weight.*got shape \(6, 25\)"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(6, 25))


@pytest.mark.parametrize("stride", [0, -1, (1, 0)])
def test_conv2d_stride_must_be_positive(stride):
    with pytest.raises(ValueError, match="conv2d: stride must be positive"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(1, 1, 3, 3), stride=stride)


def test_conv2d_negative_padding():
    with pytest.raises(ValueError, match="conv2d: padding must be non-negative, got \\(-1, -1\\)"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(1, 1, 3, 3), padding=-1)


def test_conv2d_bias_with_the_wrong_length():
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\).*got \(3,\)"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(2, 1, 3, 3), float32_ones(3))


def test_conv2d_stride_that_is_not_an_int():
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints, got 1.5"):
        F.conv2d(float32_ones(1, 1, 5, 5), float32_ones(1, 1, 3, 3), stride=1.5)


def test_conv2d_input_and_weight_dtypes_must_match():
    with pytest.raises(TypeError, match="input has dtype float32 but weight has dtype float64"):
        F.conv2d(float32_ones(1, 1, 5, 5), Tensor(np.ones((1, 1, 3, 3))))


def test_conv2d_input_must_be_a_tensor():
    with pytest.raises(TypeError, match="must be a tinyconv.Tensor, got ndarray"):
        F.conv2d(np.ones((1, 1, 5, 5), dtype=np.float32), float32_ones(1, 1, 3, 3))


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
