"""save / load (tinyconv/serialization.py), in its order: round trips of what checkpoints hold, atomic
writes, map_location, weights_only refusing crafted files with nothing run, and files that are not
checkpoints.

The crafted files are the real attack: an object whose `__reduce__` tells pickle to call os.system,
eval, subprocess... with arguments that would create a marker file. Each test asserts the file is
refused with an error naming the function, and that the marker does not exist; one test shows that the
same payload does run under weights_only=False, so the marker checks can fail.
"""

from __future__ import annotations

import builtins
import collections
import os
import pickle
import stat
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tinyconv
from tinyconv import nn, optim
from tinyconv.serialization import CheckpointError, NoGPUError, _reconstruct, atomic_write, scalar


class ExplodesWhenPickled:
    def __reduce__(self):
        raise RuntimeError("interrupted in the middle of writing")


def saved_and_loaded(obj, tmp_path, **load_args):
    tinyconv.save(obj, tmp_path / "checkpoint.ckpt")
    return tinyconv.load(tmp_path / "checkpoint.ckpt", **load_args)


# ------------------------------------------------------------------------------ round trips


def test_save_then_load_gives_back_equal_arrays_and_values(tmp_path):
    state = {"weight": np.arange(6, dtype=np.float32).reshape(2, 3), "epoch": 3, "history": [0.5, 0.25]}
    loaded = saved_and_loaded(state, tmp_path)
    np.testing.assert_array_equal(loaded["weight"], state["weight"])
    assert loaded["weight"].dtype == np.float32
    assert loaded["epoch"] == 3 and loaded["history"] == [0.5, 0.25]


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12.0).reshape(3, 4).T,  # not contiguous: pickled by _reconstruct, not _frombuffer
        np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
        np.arange(4, dtype=">i4"),  # big-endian
        np.array(2.5, dtype=np.float64),  # 0-d
        np.zeros((0, 3), dtype=np.float32),  # empty
        np.array([True, False]),
        np.array([1 + 2j, 3j], dtype=np.complex64),
        np.array([1, "one", None], dtype=object),
    ],
    ids=["transposed", "fortran", "big-endian", "0-d", "empty", "bool", "complex", "object"],
)
def test_every_kind_of_numpy_array_loads_back_equal_with_its_dtype_and_shape(tmp_path, array):
    loaded = saved_and_loaded({"array": array}, tmp_path)["array"]

    assert type(loaded) is np.ndarray and loaded.dtype == array.dtype and loaded.shape == array.shape
    assert loaded.tolist() == array.tolist()


def test_numbers_strings_and_containers_load_back_with_their_types(tmp_path):
    state = {
        "numpy numbers": [np.float64(0.5), np.int64(7), np.float32(1.5), np.bool_(True)],
        "python values": [1, 2.5, 1 + 2j, True, None, "text", b"bytes", bytearray(b"buffer")],
        "containers": (collections.OrderedDict(a=1), {1, 2}, frozenset({3}), ("nested", ["list"])),
        "dtype": np.dtype("float32"),
    }
    loaded = saved_and_loaded(state, tmp_path)

    assert loaded == state
    assert [type(value) for value in loaded["numpy numbers"]] == [np.float64, np.int64, np.float32, np.bool_]
    assert [type(value) for value in loaded["containers"]] == [collections.OrderedDict, set, frozenset, tuple]
    assert type(loaded["python values"][7]) is bytearray


def test_tensors_parameters_and_buffers_load_back_as_themselves(tmp_path):
    data = np.array([[1.0, -2.0], [0.5, 4.0]], dtype=np.float32)
    state = {
        "tensor": tinyconv.Tensor(data),
        "requires grad": tinyconv.Tensor(data * 2, requires_grad=True),
        "parameter": nn.Parameter(data + 1),
        "buffer": nn.Buffer(np.array([3, 4], dtype=np.int64)),
    }
    loaded = saved_and_loaded(state, tmp_path)

    kinds = {name: type(value) for name, value in loaded.items()}
    assert kinds == {
        "tensor": tinyconv.Tensor,
        "requires grad": tinyconv.Tensor,
        "parameter": nn.Parameter,
        "buffer": nn.Buffer,
    }
    assert [value.requires_grad for value in loaded.values()] == [False, True, True, False]
    np.testing.assert_array_equal(loaded["requires grad"].data, [[2.0, -4.0], [1.0, 8.0]])
    assert loaded["parameter"].dtype == np.float32 and loaded["buffer"].dtype == np.int64
    assert all(value.is_leaf and value.grad is None for value in loaded.values())


def test_a_tensors_gradient_and_graph_are_not_saved(tmp_path):
    x = tinyconv.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3
    y.sum().backward()

    loaded = saved_and_loaded({"x": x, "y": y}, tmp_path)

    assert loaded["x"].grad is None
    assert loaded["y"].is_leaf and loaded["y"].requires_grad
    np.testing.assert_array_equal(loaded["y"].data, [3.0, 6.0])


def test_a_subclass_of_tensor_other_than_parameter_and_buffer_is_refused_before_writing(tmp_path):
    class Special(tinyconv.Tensor):
        pass

    with pytest.raises(TypeError, match="cannot save a Special, a subclass of Tensor"):
        tinyconv.save({"x": Special(np.zeros(2))}, tmp_path / "checkpoint.ckpt")
    assert os.listdir(tmp_path) == []


def test_model_state_dict_survives_a_save_load_round_trip(tmp_path):
    from tinyconv.models import LeNet5

    tinyconv.manual_seed(1)
    model = LeNet5()
    tinyconv.manual_seed(2)
    other = LeNet5()
    other.load_state_dict(saved_and_loaded(model.state_dict(), tmp_path))
    x = tinyconv.randn(2, 1, 28, 28)
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())


def test_an_optimizer_state_dict_loads_into_a_fresh_optimizer_that_then_steps_the_same(tmp_path):
    def model_and_adam():
        tinyconv.manual_seed(0)
        model = nn.Linear(2, 3)
        return model, optim.Adam(model.parameters(), lr=0.1)

    def step(model, optimizer):
        optimizer.zero_grad()
        model(tinyconv.Tensor(np.array([[1.0, -1.0]], dtype=np.float32))).sum().backward()
        optimizer.step()

    model, adam = model_and_adam()
    step(model, adam)
    checkpoint = saved_and_loaded({"model": model.state_dict(), "optimizer": adam.state_dict()}, tmp_path)
    resumed, resumed_adam = model_and_adam()
    resumed.load_state_dict(checkpoint["model"])
    resumed_adam.load_state_dict(checkpoint["optimizer"])
    step(model, adam)
    step(resumed, resumed_adam)

    assert checkpoint["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(resumed.weight.data, model.weight.data)


def test_a_checkpoint_written_by_plain_pickle_as_the_previous_save_did_still_loads(tmp_path):
    state = collections.OrderedDict(weight=np.ones((2, 2), dtype=np.float32), step=np.int64(4))
    (tmp_path / "old.ckpt").write_bytes(pickle.dumps(state, protocol=5))

    loaded = tinyconv.load(tmp_path / "old.ckpt")

    assert type(loaded) is collections.OrderedDict and loaded["step"] == 4
    np.testing.assert_array_equal(loaded["weight"], np.ones((2, 2)))


def with_numpy1_module_names(data: bytes) -> bytes:
    """A protocol-5 pickle (one frame) with NumPy 2's module names numpy._core.* turned into NumPy 1's
    numpy.core.*, as a file written under NumPy 1 has them; the lengths before each name are fixed."""
    assert data[2] == 0x95  # FRAME, then its 8-byte length: one frame holds the whole pickle
    body = data[11:]
    for module in (b"numpy._core.numeric", b"numpy._core.multiarray"):
        old = module.replace(b"numpy.core.", b"numpy._core.")
        new = module.replace(b"numpy._core.", b"numpy.core.")
        body = body.replace(bytes([0x8C, len(old)]) + old, bytes([0x8C, len(new)]) + new)
    return data[:2] + b"\x95" + struct.pack("<Q", len(body)) + body


def test_a_file_written_under_numpy_1_with_its_numpy_core_names_loads(tmp_path):
    state = {"contiguous": np.arange(3.0), "transposed": np.ones((2, 3)).T, "step": np.int64(5)}
    data = with_numpy1_module_names(pickle.dumps(state, protocol=5))
    assert b"numpy.core.numeric" in data and b"numpy._core" not in data
    (tmp_path / "numpy1.ckpt").write_bytes(data)

    loaded = tinyconv.load(tmp_path / "numpy1.ckpt")

    assert loaded["contiguous"].tolist() == [0.0, 1.0, 2.0] and loaded["transposed"].shape == (3, 2)
    assert loaded["step"] == 5 and type(loaded["step"]) is np.int64


# ------------------------------------------------------------------------------ atomic writes


def test_an_interrupted_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "checkpoint.ckpt"
    tinyconv.save({"epoch": 1}, path)
    with pytest.raises(RuntimeError, match="interrupted"):
        tinyconv.save({"epoch": 2, "bad": ExplodesWhenPickled()}, path)
    assert tinyconv.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["checkpoint.ckpt"]


def test_an_interrupted_first_save_leaves_no_file_at_all(tmp_path):
    def write_half_then_fail(file):
        file.write(b"half a checkpoint")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "new.ckpt", write_half_then_fail)
    assert os.listdir(tmp_path) == []


def test_saved_checkpoints_get_the_permissions_open_would_give(tmp_path):
    tinyconv.save({"epoch": 1}, tmp_path / "model.ckpt")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "model.ckpt").st_mode) == 0o666 & ~umask


def test_save_to_a_file_object_is_refused_saying_it_takes_a_path(tmp_path):
    with open(tmp_path / "opened.ckpt", "wb") as file, pytest.raises(TypeError, match="f must be a path"):
        tinyconv.save({"epoch": 1}, file)
    assert (tmp_path / "opened.ckpt").read_bytes() == b""


# ------------------------------------------------------------------------------ map_location


class SavedOnTheGPU:
    """Stands for a tensor saved from a GPU: pickled as the record save writes for one, so that the file
    can be made on a machine without a GPU."""

    def __init__(self, data):
        self.data = data


class GPURecordPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ("Tensor", obj.data, "cuda", False) if isinstance(obj, SavedOnTheGPU) else None


def write_gpu_checkpoint(path, data) -> None:
    with open(path, "wb") as file:
        GPURecordPickler(file, protocol=5).dump({"weight": SavedOnTheGPU(data)})


@pytest.mark.parametrize("map_location", ["cpu", tinyconv.device("cpu")], ids=["name", "device"])
def test_map_location_cpu_puts_tensors_saved_on_the_gpu_on_the_cpu(tmp_path, map_location):
    write_gpu_checkpoint(tmp_path / "gpu.ckpt", np.array([1.0, 2.0], dtype=np.float32))

    weight = tinyconv.load(tmp_path / "gpu.ckpt", map_location=map_location)["weight"]

    assert type(weight.data) is np.ndarray and weight.tolist() == [1.0, 2.0]


@pytest.mark.skipif(tinyconv.cuda.is_available(), reason="tests the error of a machine without a GPU")
def test_tensors_saved_on_the_gpu_without_a_gpu_here_name_the_reason_and_map_location_cpu(tmp_path):
    write_gpu_checkpoint(tmp_path / "gpu.ckpt", np.zeros(2, dtype=np.float32))

    with pytest.raises(NoGPUError) as caught:
        tinyconv.load(tmp_path / "gpu.ckpt")

    message = str(caught.value)
    assert str(tmp_path / "gpu.ckpt") in message and "map_location='cpu'" in message
    assert tinyconv.cuda.unavailable_reason() in message


@pytest.mark.skipif(tinyconv.cuda.is_available(), reason="tests the error of a machine without a GPU")
def test_map_location_cuda_without_a_gpu_is_refused_with_the_reason_before_reading(tmp_path):
    with pytest.raises(NoGPUError) as caught:
        tinyconv.load(tmp_path / "no such file", map_location="cuda")

    assert "map_location='cuda'" in str(caught.value)
    assert tinyconv.cuda.unavailable_reason() in str(caught.value)


@pytest.mark.skipif(not tinyconv.cuda.is_available(), reason="needs a GPU")
def test_gpu_tensors_and_arrays_come_back_on_the_gpu_or_on_the_cpu_with_map_location(tmp_path):
    import cupy

    state = {
        "tensor": tinyconv.Tensor(np.arange(3.0)).to("cuda"),
        "array": cupy.arange(2.0),
        "host": np.ones(2),
    }
    tinyconv.save(state, tmp_path / "gpu.ckpt")

    as_saved = tinyconv.load(tmp_path / "gpu.ckpt")
    on_cpu = tinyconv.load(tmp_path / "gpu.ckpt", map_location="cpu")
    on_gpu = tinyconv.load(tmp_path / "gpu.ckpt", map_location="cuda")

    assert as_saved["tensor"].device == "cuda" and isinstance(as_saved["array"], cupy.ndarray)
    assert type(as_saved["host"]) is np.ndarray
    assert on_cpu["tensor"].device == "cpu" and type(on_cpu["array"]) is np.ndarray
    assert isinstance(on_gpu["host"], cupy.ndarray) and on_gpu["array"].get().tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "map_location, error, match",
    [
        ("tpu", ValueError, "map_location: device must be 'cpu' or 'cuda', got 'tpu'"),
        ({"cuda:0": "cpu"}, TypeError, "map_location: device must be 'cpu', 'cuda' or a tinyconv.device"),
        (lambda storage, location: storage, TypeError, "map_location: device must be"),
    ],
    ids=["unknown device", "dict", "function"],
)
def test_map_location_other_than_a_device_is_refused_before_the_file_is_read(
    tmp_path, map_location, error, match
):
    with pytest.raises(error, match=match):
        tinyconv.load(tmp_path / "no such file", map_location=map_location)


# ------------------------------------------------------------------------------ weights_only


def marker_payloads(marker) -> dict:
    """name -> (function, arguments): calls that would each create the file `marker` if they ran."""
    python_creates_marker = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    return {
        "os.system": (os.system, (subprocess.list2cmdline(python_creates_marker),)),
        "builtins.eval": (builtins.eval, (f"open({str(marker)!r}, 'w').close()",)),
        "builtins.exec": (builtins.exec, (f"open({str(marker)!r}, 'w').close()",)),
        "subprocess.Popen": (subprocess.Popen, (python_creates_marker,)),
        "subprocess.run": (subprocess.run, (python_creates_marker,)),
        "os.makedirs": (os.makedirs, (str(marker),)),
    }


class Payload:
    """An object that, unpickled, calls `function(*arguments)`: what a crafted checkpoint holds."""

    def __init__(self, function, arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


def pickled_name(function) -> str:
    """module.name as pickle writes it (os.system is posix.system on Linux, nt.system on Windows)."""
    return f"{function.__module__}.{function.__qualname__}"


def test_the_payloads_are_live_weights_only_false_runs_them(tmp_path):
    marker = tmp_path / "marker"
    function, arguments = marker_payloads(marker)["os.makedirs"]
    (tmp_path / "crafted.ckpt").write_bytes(pickle.dumps({"epoch": 1, "x": Payload(function, arguments)}))

    tinyconv.load(tmp_path / "crafted.ckpt", weights_only=False)

    assert marker.exists()


@pytest.mark.parametrize("payload", list(marker_payloads("marker")))
def test_a_crafted_file_is_refused_naming_the_function_and_nothing_runs(tmp_path, payload):
    marker = tmp_path / "marker"
    function, arguments = marker_payloads(marker)[payload]
    path = tmp_path / "crafted.ckpt"
    data = pickle.dumps(Payload(function, arguments), protocol=5)
    path.write_bytes(data)

    with pytest.raises(CheckpointError) as caught:
        tinyconv.load(path)

    message = str(caught.value)
    assert f"refused {path}: it names {pickled_name(function)}," in message
    assert "weights_only=False" in message
    assert not marker.exists()
    assert path.read_bytes() == data


def test_a_payload_hidden_deep_in_a_real_looking_checkpoint_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "marker"
    function, arguments = marker_payloads(marker)["os.system"]
    model = collections.OrderedDict([("fc.weight", np.ones((2, 2), dtype=np.float32))])
    model["fc.bias"] = Payload(function, arguments)
    checkpoint = {"model": model, "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}, "epoch": 3}
    (tmp_path / "model.ckpt").write_bytes(pickle.dumps(checkpoint, protocol=5))

    with pytest.raises(CheckpointError, match=f"it names {pickled_name(function)},"):
        tinyconv.load(tmp_path / "model.ckpt")
    assert not marker.exists()


@pytest.mark.parametrize(
    "module, name",
    [("os", "system"), ("builtins", "getattr"), ("numpy", "load"), ("no_such_module_anywhere", "run")],
)
def test_a_global_off_the_list_is_refused_before_its_module_is_imported(tmp_path, module, name):
    # Written by hand: PROTO 2, GLOBAL "module\nname\n", STOP. Refusing means never importing it, so
    # even a module that does not exist gives the refusal, not a ModuleNotFoundError.
    (tmp_path / "crafted.ckpt").write_bytes(b"\x80\x02c" + f"{module}\n{name}\n".encode() + b".")

    with pytest.raises(CheckpointError, match=f"it names {module}.{name},"):
        tinyconv.load(tmp_path / "crafted.ckpt")


@pytest.mark.parametrize(
    "function, arguments",
    [
        (_reconstruct, ("not a class", (2,), b"b")),  # NumPy raises TypeError
        (scalar, (np.dtype([("field", "O")]), b"\x01" * 8)),  # NumPy raises RuntimeError
    ],
    ids=["TypeError", "RuntimeError"],
)
def test_an_allowed_function_called_with_arguments_numpy_refuses_gives_one_error_naming_the_file(
    tmp_path, function, arguments
):
    (tmp_path / "crafted.ckpt").write_bytes(pickle.dumps(Payload(function, arguments), protocol=5))

    assert refusal(tmp_path / "crafted.ckpt").startswith(
        f"tinyconv.load: {tmp_path / 'crafted.ckpt'} is cut short or damaged"
    )


def test_a_tensor_record_that_save_does_not_write_is_refused(tmp_path):
    class OddRecordPickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("Tensor", "not an array", "cpu", False) if obj == "placeholder" else None

    with open(tmp_path / "odd.ckpt", "wb") as file:
        OddRecordPickler(file, protocol=5).dump({"x": "placeholder"})

    with pytest.raises(CheckpointError, match="holds a tensor record that tinyconv.save does not write"):
        tinyconv.load(tmp_path / "odd.ckpt")


@pytest.mark.parametrize("weights_only", [None, "False", 0])
def test_weights_only_must_be_true_or_false(tmp_path, weights_only):
    tinyconv.save({"epoch": 1}, tmp_path / "checkpoint.ckpt")

    with pytest.raises(TypeError, match="weights_only must be True or False"):
        tinyconv.load(tmp_path / "checkpoint.ckpt", weights_only=weights_only)


# ------------------------------------------------------------------------------ not checkpoints


def refusal(path) -> str:
    with pytest.raises(CheckpointError) as caught:
        tinyconv.load(path)
    return str(caught.value)


def test_an_empty_file_is_refused_as_empty(tmp_path):
    (tmp_path / "empty.ckpt").write_bytes(b"")

    assert (
        refusal(tmp_path / "empty.ckpt")
        == f"tinyconv.load: {tmp_path / 'empty.ckpt'} is empty (0 bytes), not a checkpoint"
    )


def test_a_text_file_is_refused_showing_how_it_starts(tmp_path):
    (tmp_path / "notes.txt").write_text("epoch 3: loss 0.1\n")

    message = refusal(tmp_path / "notes.txt")

    assert str(tmp_path / "notes.txt") in message and "b'epoc'" in message and "0x80" in message


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_a_checkpoint_cut_short_is_refused_naming_the_file(tmp_path, fraction):
    tinyconv.save({"weight": np.arange(100.0), "epoch": 3}, tmp_path / "full.ckpt")
    data = (tmp_path / "full.ckpt").read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(data[: int(len(data) * fraction)])

    message = refusal(tmp_path / "cut.ckpt")

    assert message.startswith(f"tinyconv.load: {tmp_path / 'cut.ckpt'} is cut short or damaged")


def test_a_checkpoint_with_bytes_after_its_end_is_refused(tmp_path):
    tinyconv.save({"epoch": 3}, tmp_path / "checkpoint.ckpt")
    data = (tmp_path / "checkpoint.ckpt").read_bytes()
    (tmp_path / "joined.ckpt").write_bytes(data + data)

    assert "goes on after the end of its pickle" in refusal(tmp_path / "joined.ckpt")


def test_a_zip_file_that_torch_save_did_not_write_is_refused_saying_so(tmp_path):
    # PyTorch's own files, zip archives too, are read: tests/test_torch_format.py
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.writestr("holiday/beach.txt", b"sand")

    message = refusal(tmp_path / "photos.zip")

    assert message == (
        f"tinyconv.load: {tmp_path / 'photos.zip'} is a zip archive with 0 FOLDER/data.pkl records, "
        "where a file written by torch.save has one (its records: holiday/beach.txt)"
    )


def test_a_npy_file_is_refused_pointing_at_numpy_load(tmp_path):
    np.save(tmp_path / "weights.npy", np.ones(3))

    assert "read it with numpy.load" in refusal(tmp_path / "weights.npy")


def test_a_missing_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.ckpt"):
        tinyconv.load(tmp_path / "nothing.ckpt")
