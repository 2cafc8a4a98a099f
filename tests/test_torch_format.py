"""PyTorch's files read without PyTorch (tinyconv/torch_format.py, through tinyconv.load), in its order:
the stand-ins by hand, the committed files that PyTorch wrote (read where PyTorch is not installed),
files written by torch.save in the test (where it is), and crafted files refused with nothing run.

The crafted files are written with CraftingPickler below, which can name any module.name in a pickle,
whether or not that module exists here, as torch.save names torch._utils._rebuild_tensor_v2: so these
tests run without PyTorch. The committed files are in tests/fixtures/, with the script that made them.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tinyconv
from tinyconv import nn
from tinyconv.serialization import CheckpointError
from tinyconv.torch_format import (
    STORAGE_TYPES,
    LegacyStorages,
    TorchFormatError,
    latin1_bytes,
    rebuild_tensor_v2,
    rebuild_tensor_v3,
    view_of,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
FIXTURE_FILES = ["torch_checkpoint.pt", "torch_checkpoint_legacy.pt", "torch_checkpoint.pkl"]


def refusal(path, **load_args) -> str:
    with pytest.raises(CheckpointError) as caught:
        tinyconv.load(path, **load_args)
    return str(caught.value)


# ------------------------------------------------------------------------------ crafting files


class Global:
    """module.name as a crafted pickle names it, whether or not that module exists here."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *arguments):
        raise AssertionError("a Global is only ever pickled")


class Call:
    """Pickles as a call of `function` with `arguments`, as torch.save writes a tensor."""

    def __init__(self, function: Global, *arguments):
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


class StorageId:
    """Pickles as the persistent id `record`: ('storage', storage class, key, location, numel)."""

    def __init__(self, *record):
        self.record = record


class CraftingPickler(pickle._Pickler):
    """Python's own pickler (protocol 2, torch.save's), writing a Global as the GLOBAL instruction."""

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        else:
            super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        return obj.record if isinstance(obj, StorageId) else None


def crafted_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    CraftingPickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def tensor(key="0", storage="FloatStorage", numel=4, offset=0, size=(4,), stride=(1,), location="cpu"):
    """What torch.save writes for a tensor: _rebuild_tensor_v2(storage id, offset, size, stride, ...)."""
    storage_id = StorageId("storage", Global("torch", storage), key, location, numel)
    rebuild = Global("torch._utils", "_rebuild_tensor_v2")
    return Call(rebuild, storage_id, offset, size, stride, False, collections.OrderedDict())


def write_torch_zip(path, obj, records: dict, byteorder: bytes | None = b"little") -> None:
    """A zip archive laid out as torch.save's: archive/data.pkl, archive/data/<key>, archive/byteorder."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", crafted_pickle(obj))
        if byteorder is not None:
            archive.writestr("archive/byteorder", byteorder)
        for key, raw in records.items():
            archive.writestr(f"archive/data/{key}", raw)


FOUR_FLOATS = np.arange(4, dtype="<f4").tobytes()


# ------------------------------------------------------------------------------ the stand-ins, by hand


def test_a_tensor_is_a_view_of_its_storage_from_its_offset_with_its_strides():
    storage = np.arange(12.0)

    transposed = view_of(storage, 0, (4, 3), (1, 4))
    corner = view_of(storage, 6, (2, 2), (4, 1))

    assert transposed.tolist() == np.arange(12.0).reshape(3, 4).T.tolist()
    assert corner.tolist() == [[6.0, 7.0], [10.0, 11.0]]
    assert np.shares_memory(transposed, storage) and np.shares_memory(corner, storage)


def test_a_0d_an_empty_and_a_broadcast_tensor_are_views_too():
    storage = np.array([5.0, 6.0])

    assert view_of(storage, 1, (), ()).shape == () and view_of(storage, 1, (), ()) == 6.0
    assert view_of(storage, 2, (0, 3), (3, 1)).shape == (0, 3)  # empty: reaches nothing, even at the end
    assert view_of(storage, 0, (3, 2), (0, 1)).tolist() == [[5.0, 6.0]] * 3


@pytest.mark.parametrize(
    "offset, size, stride, last",
    [(0, (3, 6), (4, 1), 13), (10, (3,), (1,), 12), (0, (2, 2), (1, 11), 12), (13, (0,), (1,), 12)],
    ids=["too wide", "offset near the end", "stride too long", "empty past the end"],
)
def test_a_tensor_that_reaches_past_its_storage_is_refused(offset, size, stride, last):
    with pytest.raises(TorchFormatError, match=f"which reaches element {last}, past the storage's end"):
        view_of(np.arange(12.0), offset, size, stride)


@pytest.mark.parametrize(
    "offset, size, stride",
    [(-1, (2,), (1,)), (0, (2,), (-1,)), (0, (2, 2), (1,)), (0, (2.0,), (1,)), (True, (2,), (1,))],
    ids=["negative offset", "negative stride", "fewer strides", "a float size", "a bool offset"],
)
def test_offsets_sizes_and_strides_must_be_whole_numbers_at_least_0(offset, size, stride):
    with pytest.raises(TorchFormatError, match="where torch.save writes whole numbers >= 0"):
        view_of(np.arange(12.0), offset, size, stride)


def test_bfloat16_numbers_become_the_float32_numbers_they_are_exactly():
    bit_patterns = np.array([0x3F80, 0xBE20, 0x7F7F, 0x0001], dtype="<u2")  # 1, -0.15625, max, tiny

    numbers = STORAGE_TYPES["BFloat16Storage"].decode(bit_patterns.tobytes(), "<")

    expected = (bit_patterns.astype(np.uint32) << 16).view(np.float32)
    assert numbers.dtype == np.float32 and numbers.tolist() == expected.tolist()
    assert numbers[:2].tolist() == [1.0, -0.15625] and numbers[2] == np.float32(3.3895314e38)


def test_big_endian_numbers_come_back_in_native_byte_order_and_writable():
    numbers = STORAGE_TYPES["IntStorage"].decode(np.array([1, -2], dtype=">i4").tobytes(), ">")

    assert numbers.tolist() == [1, -2] and numbers.dtype == np.dtype("int32") and numbers.flags.writeable


def test_rebuild_tensor_v3_views_bytes_as_its_dtype():
    storage = np.array([1, 2, 65535], dtype="<u2").view(np.uint8)

    rebuilt = rebuild_tensor_v3(storage, 1, (2,), (1,), False, collections.OrderedDict(), np.dtype("uint16"))

    assert rebuilt.dtype == np.uint16 and rebuilt.tolist() == [2, 65535]


def test_rebuild_tensor_v3_refuses_bytes_that_do_not_divide_into_its_dtype():
    with pytest.raises(TorchFormatError, match="views a storage of 3 bytes as uint16, 2 bytes each"):
        rebuild_tensor_v3(np.zeros(3, np.uint8), 0, (1,), (1,), False, {}, np.dtype("uint16"))


def test_conj_and_neg_metadata_give_the_conjugate_and_the_negative():
    storage = np.array([1 + 2j, -3j], dtype=np.complex64)

    conjugate = rebuild_tensor_v2(storage, 0, (2,), (1,), False, {}, {"conj": True})
    negative = rebuild_tensor_v2(storage, 0, (2,), (1,), False, {}, {"neg": True})

    assert conjugate.tolist() == [1 - 2j, 3j] and negative.tolist() == [-1 - 2j, 3j]
    with pytest.raises(TorchFormatError, match="where PyTorch writes conj and neg only"):
        rebuild_tensor_v2(storage, 0, (2,), (1,), False, {}, {"sparse": True})


def test_bytes_in_pickle_protocol_2_are_latin1_text_and_nothing_else():
    assert latin1_bytes("\x00\xff", "latin1") == b"\x00\xff"
    with pytest.raises(TorchFormatError, match="encodes str as 'zlib'"):
        latin1_bytes("x", "zlib")


def test_legacy_storages_refuse_to_allocate_more_than_the_file_can_hold():
    storages = LegacyStorages(room=100)
    storages.storage(("storage", STORAGE_TYPES["FloatStorage"], "a", "cpu", 25, None))  # 100 bytes: fits

    with pytest.raises(TorchFormatError, match="names storages larger than the file itself"):
        storages.storage(("storage", STORAGE_TYPES["ByteStorage"], "b", "cpu", 1, None))


# ------------------------------------------------------------------------------ files PyTorch wrote


def expected_state_dict() -> dict:
    """What make_torch_checkpoints.py saved, spelled out in NumPy."""
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    return {
        "base": base,
        "transposed": base.T,
        "corner": base[1:, 2:],
        "broadcast": np.array([[1.0, 2.0]] * 3, dtype=np.float32),
        "float64": np.array([1 / 3, -1e300]),
        "float16": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
        "bfloat16": np.array([1.0, -0.15625, 2.0**100], dtype=np.float32),  # NumPy has no bfloat16
        "int64": np.array([-(2**62), 7]),
        "int32": np.array([-(2**31), 2**31 - 1], dtype=np.int32),
        "int16": np.array([-(2**15), 2**15 - 1], dtype=np.int16),
        "int8": np.array([-128, 127], dtype=np.int8),
        "uint8": np.array([0, 255], dtype=np.uint8),
        "uint16": np.array([1, 2, 65535], dtype=np.uint16),
        "bool": np.array([True, False, True]),
        "complex64": np.array([1 + 2j, -3j], dtype=np.complex64),
        "conjugate": np.array([1 - 2j, 3j], dtype=np.complex64),
        "scalar": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "parameter": np.full(2, 0.25, dtype=np.float32),
    }


@pytest.fixture(params=FIXTURE_FILES)
def fixture_checkpoint(request) -> dict:
    return tinyconv.load(os.path.join(FIXTURES, request.param))


@pytest.mark.parametrize("key", list(expected_state_dict()))
def test_each_tensor_of_the_committed_files_has_its_values_dtype_and_shape(fixture_checkpoint, key):
    loaded = fixture_checkpoint["state_dict"][key]
    expected = expected_state_dict()[key]

    assert type(loaded) is np.ndarray and loaded.dtype == expected.dtype and loaded.shape == expected.shape
    np.testing.assert_array_equal(loaded, expected)


def test_a_transposed_tensor_comes_back_with_its_strides_not_made_contiguous(fixture_checkpoint):
    transposed = fixture_checkpoint["state_dict"]["transposed"]

    assert not transposed.flags.c_contiguous and transposed.strides == (4, 16)


@pytest.mark.parametrize("file", ["torch_checkpoint.pt", "torch_checkpoint_legacy.pt"])
def test_views_saved_by_torch_save_share_one_array_as_in_pytorch(file):
    checkpoint = tinyconv.load(os.path.join(FIXTURES, file))
    state = checkpoint["state_dict"]

    state["base"][2, 3] = -1.0

    assert np.shares_memory(state["transposed"], state["base"])
    assert state["transposed"][3, 2] == -1.0 and state["corner"][1, 1] == -1.0
    assert checkpoint["nested"]["row"][3] == -1.0  # a view in another container shares it too


def test_a_plain_pickle_copies_each_storage_as_pytorch_does():
    # pickle.dump pickles a tensor's storage on its own, once per tensor: PyTorch loses the sharing too
    state = tinyconv.load(os.path.join(FIXTURES, "torch_checkpoint.pkl"))["state_dict"]

    assert not np.shares_memory(state["transposed"], state["base"])


def test_the_containers_and_settings_of_a_checkpoint_come_back_as_python_values(fixture_checkpoint):
    checkpoint = fixture_checkpoint

    assert type(checkpoint["state_dict"]) is collections.OrderedDict and checkpoint["epoch"] == 7
    assert checkpoint["optimizer"]["param_groups"] == [
        {"lr": 0.1, "momentum": 0.9, "nesterov": False, "params": [0]}
    ]
    assert checkpoint["optimizer"]["state"][0]["step"] == np.float32(10.0)
    nested = checkpoint["nested"]
    assert nested["list"][0].tolist() == [1, 2] and nested["list"][1] == ("text", None, 2.5)
    assert nested["set"] == {1, 2, 3} and nested["bytes"] == b"\x00\xff"
    assert nested["size"] == (2, 3) and type(nested["size"]) is tuple
    assert nested["dtype"] == np.dtype("float16")


def test_map_location_cpu_reads_a_pytorch_file_as_it_is():
    checkpoint = tinyconv.load(os.path.join(FIXTURES, "torch_checkpoint.pt"), map_location="cpu")

    assert checkpoint["state_dict"]["base"].tolist() == expected_state_dict()["base"].tolist()


def test_reading_a_pytorch_file_imports_nothing_of_pytorch():
    code = (
        "import sys, tinyconv\n"
        f"for name in {FIXTURE_FILES!r}:\n"
        f"    tinyconv.load({FIXTURES!r} + '/' + name)\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert run.stdout == "[]\n", run.stderr


def test_a_crafted_big_endian_file_is_read_in_native_byte_order(tmp_path):
    big = np.array([1.5, -2.0, 3.0, 4.0], dtype=">f4").tobytes()
    write_torch_zip(tmp_path / "big.pt", {"w": tensor(size=(2, 2), stride=(1, 2))}, {"0": big}, b"big")

    loaded = tinyconv.load(tmp_path / "big.pt")["w"]

    assert loaded.tolist() == [[1.5, 3.0], [-2.0, 4.0]] and loaded.dtype == np.dtype("float32")


def test_a_file_without_a_byteorder_record_is_little_endian(tmp_path):
    write_torch_zip(tmp_path / "old.pt", {"w": tensor()}, {"0": FOUR_FLOATS}, byteorder=None)

    assert tinyconv.load(tmp_path / "old.pt")["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


# ------------------------------------------------------------------------------ files torch.save writes here


@pytest.fixture(params=["zip", "legacy", "pickle"])
def saved_by_torch(request, torch, tmp_path):
    """A function that saves an object with PyTorch in one of its three ways and reads it with tinyconv."""

    def saved_and_loaded(obj):
        path = tmp_path / "saved.pt"
        if request.param == "pickle":
            path.write_bytes(pickle.dumps(obj, protocol=2))
        else:
            torch.save(obj, path, _use_new_zipfile_serialization=request.param == "zip")
        return tinyconv.load(path)

    return saved_and_loaded


def test_every_tensor_torch_save_writes_comes_back_equal(saved_by_torch, torch):
    generator = torch.Generator().manual_seed(0)
    state = {
        "weight": torch.randn(5, 3, 3, 3, generator=generator),
        "transposed": torch.randn(4, 6, generator=generator).t(),
        "sliced": torch.randn(8, 8, generator=generator)[1::2, ::3],
        "half": torch.randn(7, generator=generator).half(),
        "double": torch.randn(2, 2, generator=generator).double(),
        "bfloat16": torch.randn(6, generator=generator).bfloat16(),
        "counts": torch.randint(-100, 100, (3, 4), generator=generator),
        "mask": torch.randn(10, generator=generator) > 0,
        "pixels": torch.randint(0, 256, (2, 3), generator=generator, dtype=torch.uint8),
    }

    loaded = saved_by_torch(state)

    for key, value in state.items():
        expected = value.float().numpy() if value.dtype == torch.bfloat16 else value.numpy()
        assert loaded[key].dtype == expected.dtype, key
        np.testing.assert_array_equal(loaded[key], expected, err_msg=key)


def test_a_torch_state_dict_loads_into_the_same_tinyconv_model_and_gives_its_outputs(saved_by_torch, torch):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 3),
    )
    reference[1].running_mean.uniform_(-1, 1)  # statistics other than their start, so loading them shows
    reference[1].running_var.uniform_(0.5, 2)
    reference[1].num_batches_tracked += 5
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3))
    images = np.random.default_rng(0).standard_normal((2, 2, 6, 6)).astype(np.float32)

    model.load_state_dict(saved_by_torch(reference.state_dict()))

    expected = reference.eval()(torch.from_numpy(images)).detach().numpy()
    np.testing.assert_allclose(model.eval()(tinyconv.Tensor(images)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_the_committed_files_hold_what_their_script_writes_with_this_pytorch(tmp_path, torch):
    script = os.path.join(FIXTURES, "make_torch_checkpoints.py")
    run = subprocess.run([sys.executable, script, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr

    for name in FIXTURE_FILES:
        committed = tinyconv.load(os.path.join(FIXTURES, name))
        written = tinyconv.load(tmp_path / name)
        for key, expected in written["state_dict"].items():
            np.testing.assert_array_equal(committed["state_dict"][key], expected, err_msg=f"{name}: {key}")
        assert {k: v for k, v in committed.items() if k != "state_dict"}.keys() == written.keys() - {
            "state_dict"
        }
        assert (
            committed["nested"]["set"] == written["nested"]["set"] and committed["epoch"] == written["epoch"]
        )


def test_a_whole_torch_module_is_refused_naming_its_class(tmp_path, torch):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")

    assert "it names torch.nn.modules.linear.Linear," in refusal(tmp_path / "module.pt")


# ------------------------------------------------------------------------------ crafted files refused


def marker_payloads(marker) -> dict:
    """name -> the Call that would create the file `marker` if it ran."""
    python_creates_marker = f"{sys.executable} -c \"open({str(marker)!r}, 'w').close()\""
    return {
        "os.system": Call(Global("os", "system"), python_creates_marker),
        "builtins.exec": Call(Global("builtins", "exec"), f"open({str(marker)!r}, 'w').close()"),
        "os.makedirs": Call(Global("os", "makedirs"), str(marker)),
    }


def test_the_payloads_are_live_weights_only_false_runs_them(tmp_path):
    marker = tmp_path / "marker"
    checkpoint = {"w": tensor(), "epoch": marker_payloads(marker)["os.makedirs"]}
    write_torch_zip(tmp_path / "crafted.pt", checkpoint, {"0": FOUR_FLOATS})

    tinyconv.load(tmp_path / "crafted.pt", weights_only=False)

    assert marker.exists()


@pytest.mark.parametrize("payload", list(marker_payloads("marker")))
def test_a_zip_file_whose_data_pkl_calls_a_function_is_refused_naming_it_and_nothing_runs(tmp_path, payload):
    marker = tmp_path / "marker"
    state = collections.OrderedDict(weight=tensor(), bias=marker_payloads(marker)[payload])
    write_torch_zip(tmp_path / "crafted.pt", {"state_dict": state, "epoch": 3}, {"0": FOUR_FLOATS})

    message = refusal(tmp_path / "crafted.pt")

    assert message.startswith(f"tinyconv.load refused {tmp_path / 'crafted.pt'}: it names {payload},")
    assert not marker.exists()


def test_a_legacy_file_whose_object_calls_a_function_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "marker"
    header = [pickle.dumps(n, protocol=2) for n in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True})]
    body = crafted_pickle({"w": marker_payloads(marker)["os.makedirs"]}) + pickle.dumps([], protocol=2)
    (tmp_path / "crafted.pt").write_bytes(b"".join(header) + body)

    assert "it names os.makedirs," in refusal(tmp_path / "crafted.pt")
    assert not marker.exists()


def test_a_payload_inside_a_storage_pickled_as_bytes_is_refused_and_nothing_runs(tmp_path):
    # torch.storage._load_from_bytes(b"...") reads a legacy file: the same allow-list applies inside it
    marker = tmp_path / "marker"
    header = [pickle.dumps(n, protocol=2) for n in (0x1950A86A20F9469CFC6C, 1001, {})]
    inner = b"".join(header) + crafted_pickle(marker_payloads(marker)["os.makedirs"])
    storage = Call(Global("torch.storage", "_load_from_bytes"), inner)
    rebuild = Global("torch._utils", "_rebuild_tensor_v2")
    outer = Call(rebuild, storage, 0, (1,), (1,), False, collections.OrderedDict())
    (tmp_path / "crafted.pkl").write_bytes(crafted_pickle({"w": outer}))

    assert "it names os.makedirs," in refusal(tmp_path / "crafted.pkl")
    assert not marker.exists()


@pytest.mark.parametrize(
    "module, name",
    [("torch", "QInt8Storage"), ("torch", "device"), ("torch", "bfloat16"), ("no_such_module", "run")],
)
def test_names_off_the_list_are_refused_before_their_module_is_imported(tmp_path, module, name):
    write_torch_zip(tmp_path / "other.pt", {"x": Global(module, name)}, {})

    assert f"it names {module}.{name}," in refusal(tmp_path / "other.pt")


def test_a_tensor_reaching_past_its_storage_is_refused_before_memory_beyond_it_is_read(tmp_path):
    write_torch_zip(tmp_path / "crafted.pt", {"w": tensor(size=(1000,))}, {"0": FOUR_FLOATS})

    assert refusal(tmp_path / "crafted.pt") == (
        f"tinyconv.load: {tmp_path / 'crafted.pt'} holds a tensor of size (1000,) and stride (1,) from "
        "element 0 of a storage of 4 elements, which reaches element 999, past the storage's end"
    )


def test_a_storage_record_missing_from_the_archive_is_refused_naming_it(tmp_path):
    write_torch_zip(tmp_path / "crafted.pt", {"w": tensor(key="7")}, {"0": FOUR_FLOATS})

    assert refusal(tmp_path / "crafted.pt").endswith("has no record archive/data/7, which its data.pkl names")


def test_a_storage_record_of_the_wrong_size_is_refused(tmp_path):
    write_torch_zip(tmp_path / "crafted.pt", {"w": tensor(numel=5)}, {"0": FOUR_FLOATS})

    assert refusal(tmp_path / "crafted.pt").endswith(
        "has 16 bytes in archive/data/0, where its data.pkl says 5 torch.FloatStorage numbers (20 bytes)"
    )


def test_one_storage_named_with_two_dtypes_is_refused(tmp_path):
    both = {"a": tensor(), "b": tensor(storage="IntStorage")}
    write_torch_zip(tmp_path / "crafted.pt", both, {"0": FOUR_FLOATS})

    assert "names storage 0 as torch.FloatStorage and as torch.IntStorage" in refusal(tmp_path / "crafted.pt")


def test_a_persistent_id_that_is_not_a_storage_is_refused(tmp_path):
    write_torch_zip(tmp_path / "crafted.pt", {"w": StorageId("module", "source code")}, {})

    assert "names a storage in a way torch.save does not write" in refusal(tmp_path / "crafted.pt")


def test_a_zip_archive_with_two_data_pkl_records_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "two.pt", "w") as archive:
        archive.writestr("a/data.pkl", pickle.dumps(1, protocol=2))
        archive.writestr("b/data.pkl", pickle.dumps(2, protocol=2))

    assert "is a zip archive with 2 FOLDER/data.pkl records" in refusal(tmp_path / "two.pt")


def test_a_byteorder_other_than_little_or_big_is_refused(tmp_path):
    write_torch_zip(tmp_path / "crafted.pt", {"w": tensor()}, {"0": FOUR_FLOATS}, b"middle")

    assert "gives its byte order as b'middle', not 'little' or 'big'" in refusal(tmp_path / "crafted.pt")


def test_an_untyped_storage_in_a_big_endian_file_is_refused(tmp_path):
    storage_id = StorageId("storage", Global("torch.storage", "UntypedStorage"), "0", "cpu", 4)
    rebuild = Global("torch._utils", "_rebuild_tensor_v3")
    v3 = Call(rebuild, storage_id, 0, (2,), (1,), False, collections.OrderedDict(), Global("torch", "uint16"))
    write_torch_zip(tmp_path / "crafted.pt", {"w": v3}, {"0": b"\x00\x01\x00\x02"}, b"big")

    assert "holds an untyped storage" in refusal(tmp_path / "crafted.pt")


def test_a_damaged_zip_archive_is_refused_as_cut_short_or_damaged(tmp_path):
    data = open(os.path.join(FIXTURES, "torch_checkpoint.pt"), "rb").read()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])

    assert refusal(tmp_path / "cut.pt").startswith(
        f"tinyconv.load: {tmp_path / 'cut.pt'} is cut short or damaged"
    )


@pytest.mark.parametrize("fraction", [0.3, 0.9, 0.999])
def test_a_legacy_file_cut_short_is_refused_naming_the_file(tmp_path, fraction):
    data = open(os.path.join(FIXTURES, "torch_checkpoint_legacy.pt"), "rb").read()
    (tmp_path / "cut.pt").write_bytes(data[: int(len(data) * fraction)])

    assert str(tmp_path / "cut.pt") in refusal(tmp_path / "cut.pt")


def test_a_legacy_file_of_another_version_is_refused_saying_which(tmp_path):
    header = [pickle.dumps(n, protocol=2) for n in (0x1950A86A20F9469CFC6C, 1002)]
    (tmp_path / "future.pt").write_bytes(b"".join(header))

    assert "is in PyTorch's legacy format, but of version 1002, where tinyconv reads 1001" in refusal(
        tmp_path / "future.pt"
    )


def test_a_legacy_file_whose_storage_list_differs_from_its_object_is_refused(tmp_path):
    header = [pickle.dumps(n, protocol=2) for n in (0x1950A86A20F9469CFC6C, 1001, {})]
    storage_id = StorageId("storage", Global("torch", "FloatStorage"), "0", "cpu", 1, None)
    rebuild = Global("torch._utils", "_rebuild_tensor_v2")
    obj = {"w": Call(rebuild, storage_id, 0, (1,), (1,), False, collections.OrderedDict())}
    data = b"".join(header) + crafted_pickle(obj) + pickle.dumps(["1"], protocol=2)
    (tmp_path / "crafted.pt").write_bytes(data + (1).to_bytes(8, "little") + b"\x00" * 4)

    assert "lists storages ['1'], where its pickle names ['0']" in refusal(tmp_path / "crafted.pt")
