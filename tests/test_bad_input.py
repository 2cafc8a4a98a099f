"""Wrong input gets a clear error that names what was expected and what arrived."""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv.functional as F
from tinyconv import Tensor, nn


def images(*shape: int) -> Tensor:
    return Tensor(np.ones(shape, dtype=np.float32))


# ------------------------------------------------------------------------------ convolution


def test_conv2d_channel_mismatch_names_both_channel_counts():
    with pytest.raises(ValueError, match="input has 3 channels but weight expects 1"):
        F.conv2d(images(1, 3, 5, 5), images(2, 1, 3, 3))


def test_conv2d_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        F.conv2d(images(1, 1, 2, 2), images(1, 1, 5, 5), padding=1)


def test_conv2d_non_4d_input_names_the_expected_layout_and_the_shape_received():
    with pytest.raises(ValueError, match=r"4-D input \(N, C, H, W\), got shape \(1, 28, 28\)"):
        F.conv2d(images(1, 28, 28), images(6, 1, 5, 5))


def test_conv2d_non_4d_weight():
    with pytest.raises(ValueError, match=r"4-D weight.*got shape \(6, 25\)"):
        F.conv2d(images(1, 1, 5, 5), images(6, 25))


@pytest.mark.parametrize("stride", [0, -1, (1, 0)])
def test_conv2d_stride_must_be_positive(stride):
    with pytest.raises(ValueError, match="conv2d: stride must be positive"):
        F.conv2d(images(1, 1, 5, 5), images(1, 1, 3, 3), stride=stride)


def test_conv2d_negative_padding():
    with pytest.raises(ValueError, match="conv2d: padding must be non-negative, got \\(-1, -1\\)"):
        F.conv2d(images(1, 1, 5, 5), images(1, 1, 3, 3), padding=-1)


def test_conv2d_bias_with_the_wrong_length():
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\).*got \(3,\)"):
        F.conv2d(images(1, 1, 5, 5), images(2, 1, 3, 3), images(3))


def test_conv2d_stride_that_is_not_an_int():
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints, got 1.5"):
        F.conv2d(images(1, 1, 5, 5), images(1, 1, 3, 3), stride=1.5)


def test_conv2d_input_and_weight_dtypes_must_match():
    with pytest.raises(TypeError, match="input has dtype float32 but weight has dtype float64"):
        F.conv2d(images(1, 1, 5, 5), Tensor(np.ones((1, 1, 3, 3))))


def test_conv2d_input_must_be_a_tensor():
    with pytest.raises(TypeError, match="must be a tinyconv.Tensor, got ndarray"):
        F.conv2d(np.ones((1, 1, 5, 5), dtype=np.float32), images(1, 1, 3, 3))


def test_conv2d_layer_rejects_a_zero_stride():
    with pytest.raises(ValueError, match="stride"):
        nn.Conv2d(1, 2, kernel_size=3, stride=0)


@pytest.mark.parametrize("layer", [nn.MaxPool2d, nn.AvgPool2d])
@pytest.mark.parametrize("stride", [0, -2])
def test_pooling_layer_rejects_a_stride_that_is_not_positive(layer, stride):
    with pytest.raises(ValueError, match=f"{layer.__name__}: stride must be positive"):
        layer(2, stride=stride)


# ------------------------------------------------------------------------------ pooling


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_non_4d_input(pool):
    with pytest.raises(ValueError, match=r"4-D input \(N, C, H, W\), got shape \(4, 4\)"):
        pool(images(4, 4), 2)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@pytest.mark.parametrize("stride", [0, -2])
def test_pooling_stride_must_be_positive(pool, stride):
    with pytest.raises(ValueError, match=f"stride must be positive, got \\({stride}, {stride}\\)"):
        pool(images(1, 1, 4, 4), 2, stride=stride)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pooling_kernel_larger_than_the_input(pool):
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        pool(images(1, 1, 4, 4), 5)


def test_max_pool_padding_larger_than_half_the_kernel():
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the kernel size \(2, 2\)"):
        F.max_pool2d(images(1, 1, 4, 4), 2, padding=2)


# ------------------------------------------------------------------------------ losses and linear


def test_cross_entropy_label_too_large_names_the_valid_range():
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes, got values from 0 to 3"):
        F.cross_entropy(images(2, 3), np.array([0, 3]))


def test_cross_entropy_negative_label():
    with pytest.raises(ValueError, match=r"\[0, 2\] for 3 classes, got values from -1 to 1"):
        F.cross_entropy(images(2, 3), np.array([1, -1]))


def test_cross_entropy_non_integer_labels():
    with pytest.raises(TypeError, match="integer class indices, got dtype float64"):
        F.cross_entropy(images(2, 3), np.array([0.0, 1.0]))


def test_cross_entropy_one_label_per_row():
    with pytest.raises(ValueError, match=r"shape \(2,\).*got shape \(3,\)"):
        F.cross_entropy(images(2, 3), np.array([0, 1, 2]))


def test_cross_entropy_logits_must_be_2d():
    with pytest.raises(ValueError, match=r"2-D logits \(N, num_classes\), got shape \(6,\)"):
        F.cross_entropy(images(6), np.array([0]))


def test_cross_entropy_unknown_reduction():
    with pytest.raises(ValueError, match="reduction must be one of.*got 'avg'"):
        F.cross_entropy(images(2, 3), np.array([0, 1]), reduction="avg")


def test_mse_loss_shapes_must_match():
    with pytest.raises(ValueError, match=r"prediction has shape \(2, 3\) but target has shape \(3, 2\)"):
        F.mse_loss(images(2, 3), images(3, 2))


def test_linear_feature_mismatch():
    with pytest.raises(ValueError, match=r"input has 4 features.*weight expects 5"):
        F.linear(images(2, 4), images(3, 5))


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4, 5\) do not fit"):
        images(2, 3) @ images(4, 5)


def test_matmul_vector_length_mismatch():
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(4,\) do not fit"):
        images(3) @ images(4)


def test_reshape_to_a_different_number_of_elements():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"):
        images(2, 3).reshape(4, 2)


def test_operator_with_an_unsupported_operand():
    with pytest.raises(TypeError, match="operand of type str"):
        images(2) + "one"


# ------------------------------------------------------------------------------ backward and state dicts


def test_backward_on_a_non_scalar_without_a_gradient():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"needs a gradient argument for a tensor of shape \(2, 3\)"):
        y.backward()


def lenet_like():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))


def test_load_state_dict_missing_key_is_named():
    state = lenet_like().state_dict()
    del state["3.bias"]
    with pytest.raises(ValueError, match=r"missing keys \['3.bias'\]"):
        lenet_like().load_state_dict(state)


def test_load_state_dict_unexpected_key_is_named():
    state = lenet_like().state_dict()
    state["4.weight"] = np.zeros((3, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"unexpected keys \['4.weight'\]"):
        lenet_like().load_state_dict(state)


def test_load_state_dict_wrong_shape_names_the_key_and_both_shapes():
    state = lenet_like().state_dict()
    state["0.weight"] = np.zeros((2, 1, 5, 5), dtype=np.float32)
    with pytest.raises(ValueError, match=r"'0.weight'.*\(2, 1, 5, 5\).*\(2, 1, 3, 3\)"):
        lenet_like().load_state_dict(state)
