"""tinyconv.device (tinyconv/device.py): made from PyTorch's spellings ("cpu", "cuda", "cuda:0", ("cuda", 0),
another device), its type and index, equal to another device of its type and to its name, printed as
PyTorch prints it, accepted wherever a device is taken; and clear errors for devices tinyconv does not have.
"""

from __future__ import annotations

import pytest

import tinyconv
from tinyconv.device import device_type


@pytest.mark.parametrize(
    "args, kind, index",
    [(("cpu",), "cpu", None), (("cuda",), "cuda", None), (("cuda:0",), "cuda", 0), (("cuda", 0), "cuda", 0)],
)
def test_a_device_has_pytorchs_type_and_index(args, kind, index):
    made = tinyconv.device(*args)
    assert made.type == kind and made.index == index


def test_a_device_made_from_a_device_is_the_same_device():
    original = tinyconv.device("cuda:0")
    copy = tinyconv.device(original)
    assert copy == original and copy.index == 0


def test_a_device_equals_another_of_its_type_and_its_name():
    assert tinyconv.device("cpu") == tinyconv.device("cpu")
    assert tinyconv.device("cuda") == tinyconv.device("cuda:0")  # tinyconv has one GPU
    assert tinyconv.device("cuda") == "cuda" and tinyconv.device("cuda") == "cuda:0"
    assert tinyconv.device("cpu") != tinyconv.device("cuda")
    assert tinyconv.device("cpu") != "cuda"


def test_equal_devices_hash_alike():
    assert len({tinyconv.device("cuda"), tinyconv.device("cuda:0")}) == 1


def test_a_device_prints_as_in_pytorch(torch):
    for name in ("cpu", "cuda", "cuda:0"):
        assert str(tinyconv.device(name)) == str(torch.device(name))
        assert repr(tinyconv.device(name)) == repr(torch.device(name))


def test_a_tensors_device_is_a_device_that_equals_its_name():
    x = tinyconv.zeros(2)
    assert isinstance(x.device, tinyconv.device)
    assert x.device == "cpu" and x.device.type == "cpu" and x.device.index is None


def test_a_device_is_accepted_wherever_a_device_name_is():
    cpu = tinyconv.device("cpu")
    assert tinyconv.zeros(2, device=cpu).device == cpu
    assert tinyconv.ones(2).to(cpu).device == "cpu"
    assert device_type(cpu, "test") == "cpu"


@pytest.mark.parametrize("name", ["gpu", "cuda:1", "mps", "cpu:3"])
def test_a_device_tinyconv_does_not_have_is_refused_saying_which_it_has(name):
    with pytest.raises(ValueError, match=f"device must be 'cpu' or 'cuda', got '{name}'"):
        tinyconv.device(name)


def test_a_device_that_is_not_a_name_is_refused():
    with pytest.raises(TypeError, match="device must be 'cpu', 'cuda' or a tinyconv.device, got 0"):
        tinyconv.device(0)


def test_an_index_given_twice_is_refused():
    with pytest.raises(ValueError, match="the index is in 'cuda:0' already"):
        tinyconv.device("cuda:0", 0)
