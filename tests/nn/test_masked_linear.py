"""nn.MaskedLinear (tinyconv/nn/masked_linear.py): y = x (W * M)^T + b by hand, masked weights zero from the
start and never reached by a gradient (so they stay zero under Adam), the float64 gradient check of the
composition, the mask saved in the state_dict, PyTorch's linear with the masked weight, bad masks.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_tensor
from helpers.op_checks import assert_gradcheck

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn, optim

# Output 0 sees input 0 only, output 1 inputs 1 and 2, output 2 nothing.
MASK = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 0]])


def test_masked_linear_computes_x_times_the_masked_weight_plus_bias():
    layer = nn.MaskedLinear(3, 3, MASK)
    layer.weight.data[...] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
    layer.bias.data[...] = [0.5, 0.0, -1.0]
    y = layer(Tensor(np.array([[1.0, 10.0, 100.0]], dtype=np.float32)))
    np.testing.assert_allclose(y.data, [[1.0 + 0.5, 50.0 + 600.0, -1.0]])


def test_masked_weights_start_at_zero_and_the_others_as_linear():
    tinyconv.manual_seed(0)
    layer = nn.MaskedLinear(3, 3, MASK)
    assert (layer.weight.data[MASK == 0] == 0).all()
    assert (layer.weight.data[MASK == 1] != 0).all()
    assert layer.mask.dtype == np.float32 and not layer.mask.requires_grad


def test_the_gradient_of_a_masked_weight_is_exactly_zero_and_of_the_others_as_linear():
    tinyconv.manual_seed(0)
    layer = nn.MaskedLinear(3, 3, MASK)
    x = Tensor(np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=np.float32))
    grad_out = np.array([[1.0, -2.0, 0.5], [0.25, 1.0, 3.0]], dtype=np.float32)
    layer(x).backward(grad_out)
    np.testing.assert_allclose(layer.weight.grad, MASK * (grad_out.T @ x.data))  # dL/dW = M * (G^T x)
    np.testing.assert_allclose(layer.bias.grad, grad_out.sum(axis=0))


def test_masked_weights_stay_zero_under_adam():
    tinyconv.manual_seed(0)
    layer = nn.MaskedLinear(3, 3, MASK)
    optimizer = optim.Adam(layer.parameters(), lr=0.1)
    for step in range(5):
        x = Tensor(np.random.default_rng(step).standard_normal((4, 3)).astype(np.float32))
        loss = (layer(x) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert (layer.weight.data[MASK == 0] == 0).all()


def test_the_composition_passes_the_float64_gradient_check():
    mask = Tensor(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))
    x, weight, bias = random_tensor(4, 3, seed=1), random_tensor(2, 3, seed=2), random_tensor(2, seed=3)
    assert_gradcheck(lambda x, weight, bias: F.linear(x, weight * mask, bias), x, weight, bias)


def test_the_mask_is_saved_in_the_state_dict_and_loaded_back():
    layer = nn.MaskedLinear(3, 3, MASK)
    state = layer.state_dict()
    assert sorted(state) == ["bias", "mask", "weight"]
    other = nn.MaskedLinear(3, 3, np.ones((3, 3)))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.mask.data, MASK)


def test_boolean_masks_and_tensors_are_accepted():
    layer = nn.MaskedLinear(3, 3, Tensor(MASK.astype(bool)))
    np.testing.assert_array_equal(layer.mask.data, MASK)


def test_repr_counts_the_connections():
    assert repr(nn.MaskedLinear(3, 3, MASK)) == (
        "MaskedLinear(in_features=3, out_features=3, bias=True, connections=3 of 9)"
    )


# ------------------------------------------------------------------------------------------ PyTorch


def test_masked_linear_matches_torch_linear_with_the_masked_weight(torch):
    tinyconv.manual_seed(0)
    layer = nn.MaskedLinear(3, 3, MASK)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    weight = torch.tensor(layer.weight.data, requires_grad=True)
    bias = torch.tensor(layer.bias.data)
    expected = torch.nn.functional.linear(
        torch.tensor(x), weight * torch.tensor(MASK, dtype=torch.float32), bias
    )
    expected.sum().backward()
    y = layer(Tensor(x))
    y.sum().backward()
    np.testing.assert_allclose(y.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.weight.grad, weight.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------- bad input


def test_a_mask_of_the_wrong_shape_is_refused_with_the_expected_one():
    message = r"MaskedLinear: mask must have the weight's shape \(out_features, in_features\) = \(2, 3\), "
    message += r"got \(3, 2\)"
    with pytest.raises(ValueError, match=message):
        nn.MaskedLinear(3, 2, np.ones((3, 2)))


def test_a_mask_with_values_other_than_zero_and_one_is_refused():
    with pytest.raises(ValueError, match="MaskedLinear: mask must hold only 0s and 1s"):
        nn.MaskedLinear(2, 2, np.array([[1.0, 0.5], [0.0, 1.0]]))
