"""LeNet-5 (tinyconv/models/lenet.py): the modern LeNet5 (PyTorch's keys, its 61,706 parameters, a
forward and backward pass equal to the same network in torch.nn), then the 1998 LeNet5Classic and its own
layers: Table I's C3 connections, subsampling, the scaled tanh and the Euclidean RBF output.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array, random_tensor, torch_lenet5
from helpers.models import conv_params, count, linear_params, rows_of, zeros
from helpers.torch_checks import ATOL, RTOL, assert_same_parameter_gradients

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, optim
from tinyconv.gradcheck import gradcheck
from tinyconv.models import LeNet5, LeNet5Classic
from tinyconv.models.lenet import EuclideanRBF, ScaledTanh, Subsampling, TableConv2d

# ------------------------------------------------------------------------------ LeNet5


LENET5_KEYS = [
    "features.0.weight",
    "features.0.bias",
    "features.3.weight",
    "features.3.bias",
    "classifier.0.weight",
    "classifier.0.bias",
    "classifier.2.weight",
    "classifier.2.bias",
    "classifier.4.weight",
    "classifier.4.bias",
]


def test_lenet5_state_dict_keys_are_pytorch_style():
    assert list(LeNet5().state_dict()) == LENET5_KEYS


def test_lenet5_state_dict_keys_and_shapes_match_the_same_model_in_torch(torch):
    torch_state = torch_lenet5(torch).state_dict()
    tiny_state = LeNet5().state_dict()
    assert list(tiny_state) == list(torch_state)
    assert [v.shape for v in tiny_state.values()] == [tuple(v.shape) for v in torch_state.values()]


def lenet5_count_from_shapes() -> int:
    """out * (in * k * k + 1) per convolution, out * (in + 1) per linear layer."""
    convolutions = [(1, 6, 5), (6, 16, 5)]
    linears = [(16 * 5 * 5, 120), (120, 84), (84, 10)]
    return sum(c_out * (c_in * k * k + 1) for c_in, c_out, k in convolutions) + sum(
        n_out * (n_in + 1) for n_in, n_out in linears
    )


def test_lenet5_has_61706_parameters():
    assert lenet5_count_from_shapes() == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert sum(p.numel() for p in LeNet5().parameters()) == 61706


def test_lenet5_parameter_count_matches_torch(torch):
    assert sum(p.numel() for p in torch_lenet5(torch).parameters()) == sum(
        p.numel() for p in LeNet5().parameters()
    )


def test_lenet5_maps_mnist_images_to_ten_logits():
    logits = LeNet5()(Tensor(random_array(3, 1, 28, 28, dtype=np.float32)))
    assert logits.shape == (3, 10)
    assert logits.dtype == np.float32


def test_an_empty_batch_flows_through_lenet5_and_its_loss_as_in_pytorch():
    model = LeNet5()
    images = Tensor(np.zeros((0, 1, 28, 28), dtype=np.float32), requires_grad=True)
    logits = model(images)
    assert logits.shape == (0, 10)
    labels = np.zeros(0, dtype=np.int64)
    assert np.isnan(F.cross_entropy(logits, labels).item())  # the mean of nothing
    total = F.cross_entropy(logits, labels, reduction="sum")
    assert total.item() == 0.0
    total.backward()
    assert images.grad.shape == (0, 1, 28, 28)
    assert all(not p.grad.any() for p in model.parameters())


def test_lenet5_backward_fills_every_parameter_gradient():
    tinyconv.manual_seed(0)
    model = LeNet5()
    F.cross_entropy(model(Tensor(random_array(2, 1, 28, 28, dtype=np.float32))), np.array([3, 7])).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.any(p.grad != 0), name


def test_lenet5_forward_and_backward_match_the_same_model_in_torch(torch):
    tinyconv.manual_seed(0)
    model = LeNet5()
    rng = np.random.default_rng(12)
    for parameter in model.parameters():  # non-zero biases, so every bias gradient path is compared
        if parameter.ndim == 1:
            parameter.data[...] = 0.1 * rng.standard_normal(parameter.shape)
    reference = torch_lenet5(torch)
    reference.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})

    images = random_array(4, 1, 28, 28, seed=13, dtype=np.float32)
    labels = np.array([3, 1, 4, 1])
    logits = model(Tensor(images))
    torch_logits = reference(torch.tensor(images))
    np.testing.assert_allclose(logits.data, torch_logits.detach().numpy(), rtol=RTOL, atol=ATOL)

    F.cross_entropy(logits, labels).backward()
    torch.nn.functional.cross_entropy(torch_logits, torch.tensor(labels)).backward()
    assert_same_parameter_gradients(model, reference, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------------ LeNet5Classic, as in the 1998 paper


# Table I of LeCun et al. 1998 as printed: a row per S2 map, a column per C3 map, X = connected.
TABLE_I = [
    "X . . . X X X . . X X X X . X X",
    "X X . . . X X X . . X X X X . X",
    "X X X . . . X X X . . X . X X X",
    ". X X X . . X X X X . . X . X X",
    ". . X X X . . X X X X . X X . X",
    ". . . X X X . . X X X X . X X X",
]


CONNECTED = np.array([[cell == "X" for cell in row.split()] for row in TABLE_I]).T  # (C3 map, S2 map)


def test_lenet5_classic_layers_have_the_papers_parameter_counts():
    rows = rows_of(LeNet5Classic(), (1, 32, 32))
    counts = {row.name: row.params for row in rows if row.params}
    expected = {
        "c1": conv_params(1, 6, 5),
        "s2": 6 * 2,
        "c3": int(CONNECTED.sum()) * 5 * 5 + 16,
        "s4": 16 * 2,
        "c5": conv_params(16, 120, 5),
        "f6": linear_params(120, 84),
    }
    assert counts == expected
    assert counts == {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}


def test_lenet5_classic_has_60000_trainable_parameters_and_no_others():
    model = LeNet5Classic()
    assert count(model) == 60_000
    assert all(p.requires_grad for p in model.parameters())


def test_lenet5_classic_maps_have_the_papers_sizes():
    rows = rows_of(LeNet5Classic(), (1, 32, 32))
    shapes = {row.name: row.output_shape for row in rows if row.name != "squash"}
    assert shapes == {
        "c1": (1, 6, 28, 28),
        "s2": (1, 6, 14, 14),
        "c3": (1, 16, 10, 10),
        "s4": (1, 16, 5, 5),
        "c5": (1, 120, 1, 1),
        "f6": (1, 84),
        "output": (1, 10),
    }


def test_lenet5_classic_c3_filter_bank_is_zero_exactly_where_table_1_has_no_connection():
    full = LeNet5Classic().c3.full_weight().numpy()  # (16, 6, 5, 5)
    nonzero = np.abs(full).sum(axis=(2, 3)) > 0
    np.testing.assert_array_equal(nonzero, CONNECTED)


def test_lenet5_classic_c3_maps_ignore_the_s2_maps_they_are_not_connected_to():
    c3 = LeNet5Classic().c3
    x = random_tensor(1, 6, 14, 14, dtype=np.float32, requires_grad=False)
    changed = Tensor(x.data.copy())
    changed.data[:, 5] += 1.0  # change S2 map 5 only
    moved = np.abs(c3(changed).numpy() - c3(x).numpy()).max(axis=(0, 2, 3)) > 1e-6
    np.testing.assert_array_equal(moved, CONNECTED[:, 5])


def test_table_conv2d_equals_a_dense_convolution_with_its_kernels_in_table_order():
    connections = ((0, 1), (1, 2), (0, 2), (0, 1, 2))
    tinyconv.manual_seed(0)
    layer = TableConv2d(3, connections, kernel_size=(2, 3))
    layer.bias.data[...] = [0.1, -0.2, 0.3, 0.4]
    dense = np.zeros((4, 3, 2, 3), dtype=np.float32)
    kernels = iter(layer.weight.numpy())
    for o, inputs in enumerate(connections):
        for c in inputs:
            dense[o, c] = next(kernels)
    x = random_tensor(2, 3, 5, 4, dtype=np.float32, requires_grad=False)
    expected = F.conv2d(x, Tensor(dense), Tensor(layer.bias.numpy()))
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_table_conv2d_gradient_for_input_and_parameters():
    tinyconv.manual_seed(0)
    layer = TableConv2d(3, ((0, 1), (1, 2), (0, 2), (0, 1, 2)), kernel_size=(2, 3)).double()
    layer.bias.data[...] = [0.1, -0.2, 0.3, 0.4]
    assert gradcheck(lambda x, *p: layer(x), [random_tensor(2, 3, 5, 4), layer.weight, layer.bias])


def test_table_conv2d_rejects_a_connection_to_a_missing_input_map():
    with pytest.raises(
        ValueError, match=r"TableConv2d: output map 1 must list distinct input maps in \[0, 3\)"
    ):
        TableConv2d(3, ((0, 1), (2, 3)), kernel_size=5)


def test_subsampling_sums_each_window_times_the_maps_coefficient_plus_its_bias():
    layer = Subsampling(2)
    layer.coefficient.data[...] = [2.0, -1.0]
    layer.bias.data[...] = [0.5, 10.0]
    x = Tensor(np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4))
    # Map 0, top-left window: 0 + 1 + 4 + 5 = 10 -> 2 * 10 + 0.5. Map 1, bottom-right: 26+27+30+31 = 114.
    y = layer(x).numpy()
    assert y.shape == (1, 2, 2, 2)
    assert y[0, 0, 0, 0] == 2 * 10 + 0.5
    assert y[0, 1, 1, 1] == -1 * 114 + 10.0


@pytest.mark.parametrize("shape", [(1, 2, 4, 4), (2, 3, 6, 4), (1, 1, 5, 7)])
def test_subsampling_gradient_for_input_coefficient_and_bias(shape):
    tinyconv.manual_seed(0)
    layer = Subsampling(shape[1]).double()
    layer.bias.data[...] = np.linspace(-0.5, 0.5, shape[1])
    assert gradcheck(lambda x, *p: layer(x), [random_tensor(*shape), layer.coefficient, layer.bias])


def test_scaled_tanh_maps_plus_and_minus_one_to_about_themselves():
    y = ScaledTanh()(Tensor(np.array([-1.0, 0.0, 1.0]))).numpy()
    np.testing.assert_allclose(y, 1.7159 * np.tanh(2 / 3 * np.array([-1.0, 0.0, 1.0])))
    np.testing.assert_allclose(y, [-1.0, 0.0, 1.0], atol=1e-4)


def test_scaled_tanh_gradient():
    assert gradcheck(lambda x: ScaledTanh()(x), [random_tensor(3, 4)])


def test_euclidean_rbf_gives_the_squared_distance_to_each_prototype():
    prototypes = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, -1.0]])
    x = np.array([[1.0, -1.0, 1.0], [0.0, 2.0, 0.5]])
    y = EuclideanRBF(prototypes)(Tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(y, [[0.0, 8.0], [1 + 9 + 0.25, 1 + 9 + 2.25]])


def test_euclidean_rbf_gradient():
    layer = EuclideanRBF(np.sign(np.random.default_rng(0).standard_normal((4, 6)))).double()
    assert gradcheck(lambda x: layer(x), [random_tensor(3, 6)])


def test_lenet5_classic_prototypes_are_fixed_distinct_plus_minus_one_bitmaps_saved_as_a_buffer():
    model = LeNet5Classic()
    prototypes = model.state_dict()["output.prototypes"]
    assert prototypes.shape == (10, 7 * 12)
    assert set(np.unique(prototypes)) == {-1.0, 1.0}
    assert len({row.tobytes() for row in prototypes}) == 10
    assert all(p is not model.output.prototypes for p in model.parameters())


def test_lenet5_classic_gives_one_distance_per_digit():
    assert LeNet5Classic()(zeros(2, 1, 32, 32)).shape == (2, 10)


def test_lenet5_classic_rejects_unpadded_28x28_digits():
    with pytest.raises(ValueError, match=r"LeNet5Classic: expected images \(N, 1, 32, 32\)"):
        LeNet5Classic()(zeros(1, 1, 28, 28))


def test_lenet5_classic_learns_with_cross_entropy_on_negative_distances():
    tinyconv.manual_seed(0)
    model = LeNet5Classic()
    images = random_tensor(16, 1, 32, 32, seed=3, dtype=np.float32, requires_grad=False)
    labels = np.arange(16) % 10
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(-model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
