"""save / load (tinyconv/serialization.py): round trips, an interrupted save never leaves a file that
looks valid, and a checkpoint gets the permissions open() would give.
"""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import tinyconv
from tinyconv.serialization import atomic_write


class ExplodesWhenPickled:
    def __reduce__(self):
        raise RuntimeError("interrupted in the middle of writing")


def test_save_then_load_gives_back_equal_arrays_and_values(tmp_path):
    state = {"weight": np.arange(6, dtype=np.float32).reshape(2, 3), "epoch": 3, "history": [0.5, 0.25]}
    tinyconv.save(state, tmp_path / "checkpoint.ckpt")
    loaded = tinyconv.load(tmp_path / "checkpoint.ckpt")
    np.testing.assert_array_equal(loaded["weight"], state["weight"])
    assert loaded["weight"].dtype == np.float32
    assert loaded["epoch"] == 3 and loaded["history"] == [0.5, 0.25]


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


def test_model_state_dict_survives_a_save_load_round_trip(tmp_path):
    from tinyconv.models import LeNet5

    tinyconv.manual_seed(1)
    model = LeNet5()
    tinyconv.save(model.state_dict(), tmp_path / "lenet.ckpt")
    tinyconv.manual_seed(2)
    other = LeNet5()
    other.load_state_dict(tinyconv.load(tmp_path / "lenet.ckpt"))
    x = tinyconv.randn(2, 1, 28, 28)
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())
