"""The CPU backend (tinyconv/backend/cpu.py): the one NumPy implementation of each kernel-backed
operation. Its results are specified through the ops that use it (tests/functional/test_conv.py,
test_pooling.py, test_normalization.py, test_bias_relu.py) and compared with the CUDA kernels in
gpu_checks.py; here are the pieces of its own that those tests reach only indirectly, in the module's
order, and the proof that the ops really run this code on the CPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv.functional as F
from tinyconv import Tensor
from tinyconv.backend import cpu


def test_pad_image_surrounds_the_image_with_the_value_and_copies_nothing_without_padding():
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    padded = cpu.pad_image(x, (1, 2), value=-1.0)
    assert padded.shape == (1, 1, 4, 6)
    np.testing.assert_array_equal(padded[0, 0, 1:3, 2:4], x[0, 0])
    assert (padded[0, 0, 0] == -1.0).all() and (padded[0, 0, :, :2] == -1.0).all()
    assert cpu.pad_image(x, (0, 0)) is x


def test_window_offsets_are_numbered_in_row_major_order():
    assert cpu.window_offsets((2, 3)) == [(0, 0, 0), (1, 0, 1), (2, 0, 2), (3, 1, 0), (4, 1, 1), (5, 1, 2)]


def test_offset_slice_holds_one_pixel_of_every_window():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    # 2x2 windows with stride 3 start at rows and columns 0 and 3; offset (1, 0) is one row down
    np.testing.assert_array_equal(x[cpu.offset_slice(1, 0, (3, 3), (2, 2))][0, 0], [[6.0, 9.0], [24.0, 27.0]])


def test_first_real_offset_skips_the_padded_rows_and_columns_of_each_window():
    # 3x3 windows, stride 2, padding 1: the first window starts one row and one column into the
    # padding, so its first real pixel is offset (1, 1) = 4; the others start on real rows or columns.
    first = cpu.first_real_offset((2, 3), (3, 3), (2, 2), (1, 1), np)
    np.testing.assert_array_equal(first, [[4, 3, 3], [1, 0, 0]])
    np.testing.assert_array_equal(cpu.first_real_offset((2, 2), (2, 2), (2, 2), (0, 0), np), np.zeros((2, 2)))


def test_max_pool2d_forward_uses_a_byte_for_the_argmax_of_windows_up_to_16x16():
    x = np.random.default_rng(0).standard_normal((1, 1, 34, 34))
    assert cpu.max_pool2d_forward(x, (16, 16), (16, 16), (0, 0))[1].dtype == np.uint8
    assert cpu.max_pool2d_forward(x, (17, 17), (17, 17), (0, 0))[1].dtype == np.int32


@pytest.mark.parametrize("before, after", [(2, 2), (2, 1), (1, 2), (0, 0), (4, 4)])
def test_channel_window_sum_adds_the_channels_that_exist_around_each_channel(before, after):
    values = np.random.default_rng(1).standard_normal((2, 5, 3))
    expected = np.zeros_like(values)
    for c in range(5):
        for neighbour in range(max(0, c - before), min(5, c + after + 1)):
            expected[:, c] += values[:, neighbour]
    np.testing.assert_allclose(cpu.channel_window_sum(values, before, after), expected, rtol=1e-12)


# ------------------------------------------------------------------------------ the code that trains

OPS_AND_THEIR_CPU_FUNCTIONS = {
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), ["max_pool2d_forward", "max_pool2d_backward"]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), ["avg_pool2d_forward", "avg_pool2d_backward"]),
    "local_response_norm": (lambda x: F.local_response_norm(x, 3), ["lrn_forward", "lrn_backward"]),
    "conv2d": (lambda x: F.conv2d(x, Tensor(np.ones((2, 3, 3, 3)))), ["im2col", "col2im"]),
}


@pytest.mark.parametrize("name", list(OPS_AND_THEIR_CPU_FUNCTIONS))
def test_the_op_runs_the_cpu_backend_forward_and_backward(monkeypatch, name):
    """What trains on the CPU is this module's code, the same that the GPU kernels are compared with."""
    op, functions = OPS_AND_THEIR_CPU_FUNCTIONS[name]
    called = []
    for function in functions:
        original = getattr(cpu, function)
        monkeypatch.setattr(
            cpu, function, lambda *args, _f=original, _n=function: called.append(_n) or _f(*args)
        )
    x = Tensor(np.random.default_rng(2).standard_normal((2, 3, 6, 6)), requires_grad=True)
    op(x).sum().backward()
    assert called == functions
