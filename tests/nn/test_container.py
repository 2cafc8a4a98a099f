"""The containers (tinyconv/nn/container.py), in the module's order: ModuleList and Sequential register
their modules under their index (or, for Sequential, the names of an OrderedDict), feed each module into
the next, and behave as lists (len, indexing, slicing, append, extend, insert, pop, item assignment and
deletion); ModuleDict behaves as a dict; ParameterList holds parameters. Every container's state_dict keys
are PyTorch's.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from helpers import random_array

import tinyconv
from tinyconv import Tensor, nn


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


def test_sequential_feeds_each_module_into_the_next():
    tinyconv.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = Tensor(random_array(5, 3, dtype=np.float32))
    hidden = np.maximum(x.data @ model[0].weight.data.T + model[0].bias.data, 0)
    expected = hidden @ model[2].weight.data.T + model[2].bias.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)


def test_sequential_supports_len_indexing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert model[2] is layers[2]
    assert list(model) == layers


def test_slicing_a_sequential_gives_a_sequential_that_runs_those_layers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    x = tinyconv.randn(4, 2)
    np.testing.assert_array_equal(head(x).data, model[1](model[0](x)).data)


def test_slicing_keeps_the_names_as_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert list(model[1:].state_dict()) == ["2.weight", "2.bias"]


def test_sequential_takes_an_ordered_dict_of_named_modules():
    model = nn.Sequential(
        OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))])
    )
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert model[0] is model.hidden and model[-1] is model.out
    x = tinyconv.randn(4, 2)
    np.testing.assert_array_equal(model(x).data, model.out(model.act(model.hidden(x))).data)


# ------------------------------------------------------------------------------ ModuleList as a list


def three_layers():
    return [nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 2)]


def test_module_list_indexing_negative_indices_and_slices():
    layers = three_layers()
    modules = nn.ModuleList(layers)
    assert modules[-1] is layers[2]
    assert isinstance(modules[1:], nn.ModuleList) and list(modules[1:]) == layers[1:]
    with pytest.raises(IndexError, match="index 3 is out of range for ModuleList of length 3"):
        modules[3]


def test_module_list_append_extend_insert_and_pop_renumber_as_a_list():
    a, b, c, d = nn.Linear(1, 1), nn.Linear(1, 2), nn.Linear(2, 1), nn.Linear(1, 3)
    modules = nn.ModuleList([a])
    modules.append(b).extend([c])
    modules.insert(1, d)
    assert list(modules) == [a, d, b, c]
    assert [name.split(".")[0] for name in modules.state_dict()][::2] == ["0", "1", "2", "3"]
    assert modules.state_dict()["1.weight"].shape == (3, 1)  # d, renumbered into place
    assert modules.pop(0) is a
    assert list(modules) == [d, b, c] and len(modules) == 3
    modules += [a]
    assert modules[3] is a


def test_module_list_item_assignment_and_deletion():
    layers = three_layers()
    modules = nn.ModuleList(layers)
    new = nn.Tanh()
    modules[1] = new
    assert list(modules) == [layers[0], new, layers[2]]
    del modules[0]
    assert list(modules) == [new, layers[2]]
    assert list(modules.state_dict()) == ["1.weight", "1.bias"]  # renumbered, as in PyTorch


def test_a_module_list_may_hold_one_module_twice():
    layer = nn.Linear(2, 2)
    modules = nn.ModuleList([layer, layer])
    assert len(modules) == 2 and list(modules) == [layer, layer]
    assert list(modules.state_dict()) == ["0.weight", "0.bias"]  # its parameters once, as in PyTorch


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.append(3),
        lambda m: m.extend([nn.ReLU(), "relu"]),
        lambda m: m.insert(0, None),
        lambda m: m.__setitem__(0, 1.0),
    ],
)
def test_module_list_refuses_what_is_not_a_module(call):
    with pytest.raises(TypeError, match="must be a Module"):
        call(nn.ModuleList(three_layers()))


def test_module_list_keys_match_torch(torch):
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 2))])

    class TorchStack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList(
                [torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 2))]
            )

    assert list(Stack().state_dict()) == list(TorchStack().state_dict())


# ------------------------------------------------------------------------------ ModuleDict


def test_module_dict_holds_modules_under_their_keys_in_order():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 10), "box": nn.Linear(4, 4)})
    assert list(heads) == ["cls", "box"] and len(heads) == 2
    assert "box" in heads and "mask" not in heads
    assert heads["cls"].out_features == 10
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias", "box.weight", "box.bias"]
    assert [key for key, _ in heads.items()] == heads.keys()
    assert heads.values() == [heads["cls"], heads["box"]]


def test_module_dict_assignment_update_pop_and_clear():
    heads = nn.ModuleDict()
    heads["a"] = nn.ReLU()
    heads.update([("b", nn.Tanh()), ("a", nn.Sigmoid())])
    assert heads.keys() == ["a", "b"] and isinstance(heads["a"], nn.Sigmoid)
    assert isinstance(heads.pop("b"), nn.Tanh) and heads.keys() == ["a"]
    del heads["a"]
    assert len(heads) == 0
    heads.update({"c": nn.ReLU()})
    heads.clear()
    assert heads.keys() == []


def test_module_dict_refuses_a_key_that_names_one_of_its_methods_as_pytorch():
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        nn.ModuleDict({"keys": nn.ReLU()})


def test_module_dict_missing_key():
    with pytest.raises(KeyError, match="missing"):
        nn.ModuleDict()["missing"]


def test_module_dict_keys_match_torch(torch):
    ours = nn.ModuleDict({"encoder": nn.Linear(2, 3), "decoder": nn.Linear(3, 2)})
    theirs = torch.nn.ModuleDict({"encoder": torch.nn.Linear(2, 3), "decoder": torch.nn.Linear(3, 2)})
    assert list(ours.state_dict()) == list(theirs.state_dict())


# ------------------------------------------------------------------------------ ParameterList


def test_parameter_list_holds_parameters_that_the_parent_learns_and_saves():
    class Scales(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(np.ones(2, dtype=np.float32)) for _ in range(2)])
            self.scales.append(tinyconv.zeros(3))  # a tensor becomes a Parameter, as in PyTorch

    model = Scales()
    assert [name for name, _ in model.named_parameters()] == ["scales.0", "scales.1", "scales.2"]
    assert isinstance(model.scales[2], nn.Parameter) and model.scales[2].requires_grad
    assert len(model.scales) == 3 and [p.shape for p in model.scales] == [(2,), (2,), (3,)]
    model.scales[0] = nn.Parameter(np.full(2, 5.0, dtype=np.float32))
    np.testing.assert_array_equal(model.state_dict()["scales.0"], [5.0, 5.0])


def test_parameter_list_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="ParameterList: items must be Parameters or tensors, got list"):
        nn.ParameterList([[1.0, 2.0]])


def test_parameter_list_repr_as_pytorch():
    assert repr(nn.ParameterList([nn.Parameter(np.ones((2, 3), dtype=np.float32))])) == (
        "ParameterList((0): Parameter containing: [float32 of size 2x3])"
    )


def test_parameter_list_keys_match_torch(torch):
    ours = nn.ParameterList(
        [nn.Parameter(np.ones(2, dtype=np.float32)), nn.Parameter(np.ones(1, dtype=np.float32))]
    )
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(1))])
    assert list(ours.state_dict()) == list(theirs.state_dict())
