"""Modules (tinyconv/nn), initialization (tinyconv/init.py) and the LeNet5 model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_array, torch_lenet5

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn
from tinyconv.models import LeNet5

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


class Doubler(nn.Module):
    def forward(self, x, scale=2.0):
        return x * scale


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.activation = nn.ReLU()
        self.second = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.second(self.activation(self.first(x)))


# ------------------------------------------------------------------------------ calling and walking the tree


def test_calling_a_module_runs_its_forward_with_all_arguments():
    x = Tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(Doubler()(x).data, [2.0, 4.0])
    np.testing.assert_array_equal(Doubler()(x, scale=10.0).data, [10.0, 20.0])


def test_sequential_feeds_each_module_into_the_next():
    tinyconv.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = Tensor(random_array(5, 3, dtype=np.float32))
    hidden = np.maximum(x.data @ model[0].weight.data.T + model[0].bias.data, 0)
    expected = hidden @ model[2].weight.data.T + model[2].bias.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)


def test_named_parameters_follow_attribute_order_with_dotted_names():
    names = [name for name, _ in TwoLayers().named_parameters()]
    assert names == ["first.weight", "first.bias", "second.weight"]


def test_parameters_are_the_named_parameters_in_the_same_order():
    model = TwoLayers()
    assert list(model.parameters()) == [p for _, p in model.named_parameters()]
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4)]


def test_a_shared_parameter_is_listed_once():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_children_are_the_direct_submodules_in_order():
    model = TwoLayers()
    assert list(model.children()) == [model.first, model.activation, model.second]


def test_modules_lists_the_module_and_everything_below_it_depth_first():
    model = LeNet5()
    names = [type(m).__name__ for m in model.modules()]
    assert names == [
        "LeNet5",
        "Sequential",
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Conv2d",
        "ReLU",
        "MaxPool2d",
        "Sequential",
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]


def test_sequential_supports_len_indexing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[2] is layers[2]
    assert list(model) == layers


def test_eval_and_train_reach_every_submodule():
    model = LeNet5()
    assert model.eval() is model
    assert all(m.training is False for m in model.modules())
    model.train()
    assert all(m.training is True for m in model.modules())


def test_module_zero_grad_sets_every_gradient_to_none():
    model = TwoLayers()
    model(Tensor(np.ones((1, 3), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_double_converts_every_parameter_to_float64():
    model = TwoLayers().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(Tensor(np.ones((1, 3)))).dtype == np.float64


# ------------------------------------------------------------------------------ state_dict


def test_lenet5_state_dict_keys_are_pytorch_style():
    assert list(LeNet5().state_dict()) == LENET5_KEYS


def test_lenet5_state_dict_keys_and_shapes_match_the_same_model_in_torch():
    torch = pytest.importorskip("torch")
    torch_state = torch_lenet5(torch).state_dict()
    tiny_state = LeNet5().state_dict()
    assert list(tiny_state) == list(torch_state)
    assert [v.shape for v in tiny_state.values()] == [tuple(v.shape) for v in torch_state.values()]


def test_state_dict_holds_copies_of_the_parameters():
    model = TwoLayers()
    state = model.state_dict()
    state["first.bias"][...] = 7.0
    assert not np.any(model.first.bias.data == 7.0)


def test_load_state_dict_round_trip_reproduces_the_model():
    tinyconv.manual_seed(1)
    source = LeNet5()
    tinyconv.manual_seed(2)
    target = LeNet5()
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    x = Tensor(random_array(2, 1, 28, 28, dtype=np.float32))
    np.testing.assert_array_equal(source(x).data, target(x).data)


def test_load_state_dict_copies_rather_than_shares_the_arrays():
    source, target = TwoLayers(), TwoLayers()
    state = source.state_dict()
    target.load_state_dict(state)
    state["first.weight"][...] = 0.0
    assert np.any(target.first.weight.data != 0.0)


def test_load_state_dict_non_strict_accepts_missing_and_unexpected_keys():
    tinyconv.manual_seed(1)
    source = TwoLayers()
    target = TwoLayers()
    kept_second = target.second.weight.data.copy()
    state = source.state_dict()
    del state["second.weight"]
    state["third.weight"] = np.zeros((2, 2), dtype=np.float32)
    missing, unexpected = target.load_state_dict(state, strict=False)
    assert missing == ["second.weight"]
    assert unexpected == ["third.weight"]
    np.testing.assert_array_equal(target.first.weight.data, source.first.weight.data)
    np.testing.assert_array_equal(target.second.weight.data, kept_second)


def test_load_state_dict_non_strict_still_refuses_a_wrong_shape():
    state = TwoLayers().state_dict()
    state["first.bias"] = np.zeros(5, dtype=np.float32)
    with pytest.raises(ValueError, match="first.bias"):
        TwoLayers().load_state_dict(state, strict=False)


def test_a_failed_load_state_dict_leaves_the_model_unchanged():
    target = TwoLayers()
    before = {name: p.data.copy() for name, p in target.named_parameters()}
    state = {name: np.zeros_like(value) for name, value in TwoLayers().state_dict().items()}
    state["second.weight"] = np.zeros((3, 3), dtype=np.float32)  # the last key is wrong
    with pytest.raises(ValueError):
        target.load_state_dict(state)
    for name, p in target.named_parameters():
        np.testing.assert_array_equal(p.data, before[name], err_msg=name)


# ------------------------------------------------------------------------------ repr


def test_repr_shows_the_layers_with_their_arguments():
    text = repr(LeNet5())
    assert "(features): Sequential(" in text
    assert "(0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in text
    assert "(2): MaxPool2d(kernel_size=2, stride=2, padding=0)" in text
    assert "(0): Linear(in_features=400, out_features=120, bias=True)" in text
    assert "(1): ReLU()" in text


def test_repr_of_a_layer_without_bias_says_so():
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    assert repr(nn.Conv2d(1, 2, 3, bias=False)).endswith("bias=False)")


# ------------------------------------------------------------------------------ initialization


def test_linear_weight_has_the_he_standard_deviation():
    tinyconv.manual_seed(0)
    weight = nn.Linear(1000, 500).weight.data
    # 500,000 samples: the empirical std is within a fraction of a percent of sqrt(2 / fan_in)
    assert math.isclose(float(weight.std()), math.sqrt(2 / 1000), rel_tol=0.02)
    assert abs(float(weight.mean())) < 1e-3


def test_linear_weight_is_uniform_within_the_he_bound():
    tinyconv.manual_seed(0)
    weight = nn.Linear(200, 300).weight.data
    bound = math.sqrt(6 / 200)
    assert float(np.abs(weight).max()) <= bound
    assert float(np.abs(weight).max()) > 0.99 * bound  # 60,000 uniform samples reach the edge


def test_conv2d_weight_std_uses_fan_in_of_channels_times_kernel_area():
    tinyconv.manual_seed(0)
    weight = nn.Conv2d(16, 64, kernel_size=5).weight.data  # fan_in = 16 * 5 * 5 = 400
    assert weight.shape == (64, 16, 5, 5)
    assert math.isclose(float(weight.std()), math.sqrt(2 / 400), rel_tol=0.03)


def test_biases_start_at_zero():
    assert not np.any(nn.Linear(5, 4).bias.data)
    assert not np.any(nn.Conv2d(2, 3, 3).bias.data)


def test_parameters_are_float32_and_require_grad():
    for p in LeNet5().parameters():
        assert p.dtype == np.float32
        assert p.requires_grad is True


def test_same_seed_gives_identical_weights():
    tinyconv.manual_seed(7)
    first = LeNet5().state_dict()
    tinyconv.manual_seed(7)
    second = LeNet5().state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_different_seeds_give_different_weights():
    tinyconv.manual_seed(7)
    first = nn.Linear(10, 10).weight.data
    tinyconv.manual_seed(8)
    second = nn.Linear(10, 10).weight.data
    assert not np.array_equal(first, second)


# ------------------------------------------------------------------------------ LeNet5


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


def test_lenet5_parameter_count_matches_torch():
    torch = pytest.importorskip("torch")
    assert sum(p.numel() for p in torch_lenet5(torch).parameters()) == sum(
        p.numel() for p in LeNet5().parameters()
    )


def test_lenet5_maps_mnist_images_to_ten_logits():
    logits = LeNet5()(Tensor(random_array(3, 1, 28, 28, dtype=np.float32)))
    assert logits.shape == (3, 10)
    assert logits.dtype == np.float32


def test_lenet5_backward_fills_every_parameter_gradient():
    tinyconv.manual_seed(0)
    model = LeNet5()
    F.cross_entropy(model(Tensor(random_array(2, 1, 28, 28, dtype=np.float32))), np.array([3, 7])).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.any(p.grad != 0), name


# ------------------------------------------------------------------------------ buffers and ModuleList
class RunningMean(nn.Module):
    """A module with a parameter and two buffers, one of them an integer counter."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.running_mean = nn.Buffer(np.zeros(3, dtype=np.float32))
        self.count = nn.Buffer(np.array(0, dtype=np.int64))


def test_buffers_are_saved_after_the_parameters_of_their_module_but_are_not_parameters():
    model = nn.Sequential(RunningMean(), nn.Linear(3, 2))
    assert [name for name, _ in model.named_parameters()] == ["0.scale", "1.weight", "1.bias"]
    assert [name for name, _ in model.named_buffers()] == ["0.running_mean", "0.count"]
    assert list(model.state_dict()) == ["0.scale", "0.running_mean", "0.count", "1.weight", "1.bias"]


def test_load_state_dict_restores_buffers_and_rejects_a_mis_shaped_one():
    source, target = RunningMean(), RunningMean()
    source.running_mean.data[...] = [1.0, 2.0, 3.0]
    source.count.data[...] = 7
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target.running_mean.numpy(), [1.0, 2.0, 3.0])
    assert target.count.item() == 7
    bad = source.state_dict()
    bad["running_mean"] = np.zeros(4, dtype=np.float32)
    with pytest.raises(ValueError, match="running_mean"):
        target.load_state_dict(bad)


def test_double_converts_floating_buffers_but_keeps_integer_counters():
    module = RunningMean().double()
    assert module.running_mean.dtype == np.float64 and module.scale.dtype == np.float64
    assert module.count.dtype == np.int64


def test_module_list_registers_its_modules_under_their_index():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])

    model = Stack()
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
    ]  # fmt: skip
    assert len(model.layers) == 2 and isinstance(model.layers[1], nn.Linear)
    with pytest.raises(TypeError, match="item 0 must be a Module"):
        nn.ModuleList([3])


def test_forward_hooks_see_each_call_and_can_be_removed():
    layer = nn.Linear(3, 2)
    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append((module, output.shape)))
    layer(tinyconv.randn(4, 3))
    layer(tinyconv.randn(5, 3))
    assert seen == [(layer, (4, 2)), (layer, (5, 2))]
    handle.remove()
    layer(tinyconv.randn(1, 3))
    assert len(seen) == 2
