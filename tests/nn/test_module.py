"""nn.Module (tinyconv/nn/module.py), in the module's order: calling a module, assigning attributes (a
parameter or buffer keeps its kind), PyTorch's registration methods (register_buffer with persistent,
register_parameter, add_module, get_submodule), walking its tree of submodules and parameters, train and
eval, apply, requires_grad_, zero_grad, double, to(device or dtype), state_dict and load_state_dict
(buffers included; every key, shape and dtype checked before anything is copied), its repr, and forward
hooks.
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


# ------------------------------------------------------------------------------ attributes keep their kind


class WithRunningMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("mean", tinyconv.zeros(2))

    def forward(self, x):
        with tinyconv.no_grad():
            self.mean = 0.5 * self.mean + 0.5 * x.mean(dim=0)  # the usual running-statistic update
        return x * self.weight


def test_a_tensor_assigned_over_a_buffer_stays_a_buffer_in_the_state_dict():
    module = WithRunningMean()
    module(Tensor(np.array([[2.0, 4.0]], dtype=np.float32)))
    assert isinstance(module.mean, nn.Buffer)
    np.testing.assert_array_equal(module.state_dict()["mean"], [1.0, 2.0])


def test_a_tensor_that_requires_grad_assigned_over_a_buffer_is_refused():
    module = WithRunningMean()
    with pytest.raises(RuntimeError, match=r"buffer 'mean': got a tensor that requires grad.*detach\(\)"):
        module.mean = tinyconv.zeros(2, requires_grad=True) * 2


def test_a_plain_tensor_assigned_over_a_parameter_is_refused_as_pytorch_does():
    module = WithRunningMean()
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        module.weight = tinyconv.ones(2)
    module.weight = nn.Parameter(np.zeros(2, dtype=np.float32))  # a Parameter replaces it
    module.weight = None  # and None removes it, as in PyTorch
    assert [name for name, _ in module.named_parameters()] == []


# ------------------------------------------------------------------------------ registering, PyTorch's way


class Registered(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_parameter("scale", nn.Parameter(np.ones(3, dtype=np.float32)))
        self.register_buffer("running", tinyconv.zeros(3))
        self.register_buffer("cache", tinyconv.ones(3), persistent=False)
        self.register_buffer("absent", None)
        self.add_module("head", nn.Linear(3, 2))


def test_registered_tensors_and_modules_are_found_under_their_names():
    module = Registered()
    assert [name for name, _ in module.named_parameters()] == ["scale", "head.weight", "head.bias"]
    assert [name for name, _ in module.named_buffers()] == ["running", "cache"]
    assert module.absent is None
    assert module.get_submodule("head") is module.head


def test_a_non_persistent_buffer_is_left_out_of_the_state_dict_but_moves_with_the_module():
    module = Registered()
    assert list(module.state_dict()) == ["scale", "running", "head.weight", "head.bias"]
    module.double()
    assert module.cache.dtype == np.float64
    module.load_state_dict(Registered().state_dict())  # strict: "cache" is neither missing nor expected


def test_register_buffer_shares_the_tensors_data():
    values = tinyconv.zeros(3)
    module = nn.Module()
    module.register_buffer("values", values)
    values.data[0] = 5.0
    assert module.values.data[0] == 5.0


@pytest.mark.parametrize(
    "register, error, message",
    [
        (lambda m: m.register_buffer("a.b", tinyconv.zeros(1)), KeyError, "non-empty string without a dot"),
        (
            lambda m: m.register_buffer("", tinyconv.zeros(1)),
            KeyError,
            "non-empty string without a dot, got ''",
        ),
        (
            lambda m: m.register_buffer("x", np.zeros(1)),
            TypeError,
            "cannot assign ndarray object to buffer 'x'",
        ),
        (lambda m: m.register_buffer("head", tinyconv.zeros(1)), KeyError, "attribute 'head' already exists"),
        (
            lambda m: m.register_buffer("train", tinyconv.zeros(1)),
            KeyError,
            "attribute 'train' already exists",
        ),
        (
            lambda m: m.register_parameter("w", tinyconv.ones(1)),
            TypeError,
            "cannot assign Tensor object to param",
        ),
        (lambda m: m.register_parameter("running", None), KeyError, "attribute 'running' already exists"),
        (lambda m: m.add_module("layer", "relu"), TypeError, "add_module: str is not a Module subclass"),
        (lambda m: m.add_module(3, nn.ReLU()), TypeError, "module name should be a string, got int"),
    ],
)
def test_registration_refuses_what_pytorch_refuses(register, error, message):
    with pytest.raises(error, match=message):
        register(Registered())


def test_get_submodule_follows_a_dotted_path():
    model = LeNet5()
    assert model.get_submodule("features.3") is model.features[3]
    assert model.get_submodule("") is model
    with pytest.raises(AttributeError, match="Sequential has no attribute `9`"):
        model.get_submodule("features.9")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        model.get_submodule("features.0.weight")


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


def test_children_list_a_module_held_under_two_names_once_as_pytorch():
    model = nn.Module()
    model.first = model.second = nn.ReLU()
    assert [name for name, _ in model.named_children()] == ["first"]


def test_apply_calls_the_function_on_the_children_first_then_the_module_and_returns_it():
    model = TwoLayers()
    seen = []
    assert model.apply(lambda module: seen.append(type(module).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "TwoLayers"]


def test_apply_with_an_init_function_reaches_every_layer():
    def init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.5)

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
    model.apply(init_weights)
    assert all((layer.weight.data == 0.5).all() for layer in (model[0], model[2][0]))


def test_requires_grad_false_freezes_every_parameter():
    model = TwoLayers()
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    out = model(Tensor(np.ones((1, 3), dtype=np.float32)))
    assert not out.requires_grad
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_module_zero_grad_sets_every_gradient_to_none():
    model = TwoLayers()
    model(Tensor(np.ones((1, 3), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_zero_grad_without_set_to_none_zeroes_the_arrays_in_place():
    model = TwoLayers()
    model(Tensor(np.ones((1, 3), dtype=np.float32))).sum().backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(model.parameters(), grads))


def test_double_converts_every_parameter_to_float64():
    model = TwoLayers().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(Tensor(np.ones((1, 3)))).dtype == np.float64


# ------------------------------------------------------------------------------ to(device or dtype)


def test_to_takes_a_dtype_and_converts_parameters_and_their_gradients():
    model = TwoLayers()
    model(Tensor(np.ones((1, 3), dtype=np.float32))).sum().backward()
    weight = model.first.weight
    assert model.to(tinyconv.float64) is model
    assert model.first.weight is weight  # the same objects: an optimizer keeps them
    assert weight.dtype == np.float64 and weight.grad.dtype == np.float64


def test_to_takes_a_device_object_or_its_name():
    model = TwoLayers()
    weight = model.first.weight.data
    assert model.to(tinyconv.device("cpu")) is model
    assert model.to("cpu").first.weight.data is weight  # already there: nothing copied
    assert model.to(device="cpu", dtype=tinyconv.float32).first.weight.data is weight


def test_to_another_tensor_takes_its_dtype():
    model = TwoLayers().to(tinyconv.zeros(1, dtype=tinyconv.float64))
    assert model.second.weight.dtype == np.float64


def test_to_a_dtype_leaves_integer_buffers_alone():
    module = RunningMean().to(tinyconv.float64)
    assert module.count.dtype == np.int64 and module.running_mean.dtype == np.float64


@pytest.mark.parametrize(
    "argument, error, message",
    [
        (tinyconv.int64, TypeError, "TwoLayers.to: only floating-point dtypes are accepted"),
        ("gpu", ValueError, "TwoLayers.to: device must be 'cpu' or 'cuda', got 'gpu'"),
        (np.float16, TypeError, "TwoLayers.to: dtype must be one of"),
    ],
)
def test_to_refuses_what_it_cannot_do(argument, error, message):
    with pytest.raises(error, match=message):
        TwoLayers().to(argument)


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
    "bad_value, message",
    [
        (np.array(["a", "b"]), "'0.bias' holds <U1 values, not numbers"),
        (np.zeros(2, dtype=np.complex64), "'0.bias' holds complex64 values, not numbers"),
        (np.array([object(), object()]), "'0.bias' holds object values, not numbers"),
        ([[1.0], [2.0, 3.0]], "'0.bias' is not an array"),
        (np.zeros(3, dtype=np.float32), r"shape mismatch for '0.bias': the state dict has \(3,\)"),
    ],
)
def test_load_state_dict_refuses_a_value_that_is_not_an_array_of_numbers_of_the_right_shape(
    bad_value, message
):
    state = lenet_like().state_dict()
    state["0.bias"] = bad_value
    with pytest.raises(ValueError, match=message):
        lenet_like().load_state_dict(state)


def test_load_state_dict_refuses_floats_for_an_integer_counter():
    state = RunningMean().state_dict()
    state["count"] = np.array(2.5)
    with pytest.raises(
        ValueError, match="'count' holds float64 values, which cannot go into the model's int64"
    ):
        RunningMean().load_state_dict(state)


def test_load_state_dict_converts_float64_values_to_the_parameters_float32():
    source = TwoLayers()
    state = {key: value.astype(np.float64) for key, value in source.state_dict().items()}
    target = TwoLayers()
    target.load_state_dict(state)
    assert target.first.weight.dtype == np.float32
    np.testing.assert_array_equal(target.first.weight.data, source.first.weight.data)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda state: state.update({"3.bias": np.array(["x", "y", "z"])}),
        lambda state: state.update({"3.bias": np.zeros(3, dtype=np.complex128)}),
        lambda state: state.update({"3.weight": np.zeros((3, 9), dtype=np.float32)}),
        lambda state: state.pop("3.bias"),
        lambda state: state.update({"5.weight": np.zeros(1, dtype=np.float32)}),
    ],
    ids=["a string array", "a complex array", "a wrong shape", "a missing key", "an unexpected key"],
)
def test_a_refused_load_state_dict_changes_no_array_of_the_module(spoil):
    # every key but one (the last, in the order of copying) is fine and differs from the module's: none
    # of them may be copied
    target = lenet_like()
    before = {key: value.copy() for key, value in target.state_dict().items()}
    state = {key: value + 1.0 for key, value in lenet_like().state_dict().items()}
    spoil(state)
    with pytest.raises(ValueError, match="nothing was loaded"):
        target.load_state_dict(state)
    after = target.state_dict()
    assert list(after) == list(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_load_state_dict_needs_a_dict():
    with pytest.raises(TypeError, match="expected a dict of arrays .*got list"):
        lenet_like().load_state_dict([np.zeros(2)])


def test_load_state_dict_takes_a_torch_state_dict(torch):
    model = lenet_like()
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 3)
    )
    model.load_state_dict(reference.state_dict())
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value.numpy(), err_msg=key)


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


def test_repr_of_a_module_with_extra_lines_and_children_indents_both_as_pytorch():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "scale=2\nshift=1"

    assert repr(Scaled()) == "Scaled(\n  scale=2\n  shift=1\n  (inner): ReLU()\n)"


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
