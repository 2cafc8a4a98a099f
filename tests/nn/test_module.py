"""nn.Module (tinyconv/nn/module.py): calling a module, walking its tree of submodules and parameters,
train and eval, zero_grad and double, state_dict and load_state_dict (buffers included, with clear errors),
its repr, and forward hooks.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import random_array

import tinyconv
from tinyconv import Tensor, nn
from tinyconv.models import AlexNet, GoogLeNet, LeNet5, ResNet18


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


# ------------------------------------------------------------------------------ buffers


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


# ------------------------------------------------------------------------------ state_dict


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


def test_load_state_dict_accepts_tinyconv_tensors_as_values():
    source, target = nn.Linear(2, 2), nn.Linear(2, 2)
    target.load_state_dict({k: Tensor(v) for k, v in source.state_dict().items()})
    np.testing.assert_array_equal(target.weight.data, source.weight.data)


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


@pytest.mark.parametrize(
    "build, head",
    [
        (lambda classes: ResNet18(num_classes=classes), "fc.weight"),
        (lambda classes: GoogLeNet(num_classes=classes), "fc.weight"),
        (lambda classes: AlexNet(num_classes=classes, small=True), "classifier.6.weight"),
    ],
)
def test_model_for_1000_classes_refuses_a_10_class_state_dict(build, head):
    ten_classes = build(10).state_dict()
    with pytest.raises(ValueError, match=f"shape mismatch for '{head}': the state dict has \\(10, "):
        build(1000).load_state_dict(ten_classes)


# ------------------------------------------------------------------------------ repr


def test_repr_shows_the_layers_with_their_arguments():
    text = repr(LeNet5())
    assert "(features): Sequential(" in text
    assert "(0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in text
    assert "(2): MaxPool2d(kernel_size=2, stride=2, padding=0)" in text
    assert "(0): Linear(in_features=400, out_features=120, bias=True)" in text
    assert "(1): ReLU()" in text


# ------------------------------------------------------------------------------ hooks


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
