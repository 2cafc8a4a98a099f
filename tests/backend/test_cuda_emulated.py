"""The GPU path run on the CPU: kernels/*.cu compiled by g++ and executed by tests/backend/cuda_emulator.py.

No GPU is needed. The emulator stands in for CuPy, so everything tinyconv does on the GPU runs
unchanged (the seam's routing, the launchers' shapes, strides and arguments, the kernels' index
arithmetic, tiling, barriers and gathers) and is compared with the NumPy path. It says nothing about
the real GPU's compiler (NVRTC), memory model or speed: tests/backend/test_gpu.py does, where a GPU is lent.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinyconv
from backend.cuda_emulator import EmulatedModule, FakeCupy, compiler_available, install
from backend.gpu_checks import (
    DEVICE_GRADCHECKS,
    check_gradcheck_on_the_device,
    check_matmul_with_tile,
    parametrize_device_checks,
    parametrize_kernel_checks,
    parametrize_tiles,
)
from tinyconv import checks
from tinyconv.backend import cuda_kernels
from tinyconv.backend.cuda_kernels import kernel_dir

pytestmark = pytest.mark.skipif(not compiler_available(), reason="the CUDA emulator needs g++ (not found)")


@pytest.fixture
def device(monkeypatch):
    """The emulator, installed as CuPy for one test."""
    return install(monkeypatch)


@parametrize_kernel_checks()
def test_kernel_matches_its_numpy_twin(device, check, case, dtype):
    check(device, case, dtype)


@parametrize_tiles()
def test_matmul_with_each_tile_matches_numpy(device, monkeypatch, case, tile):
    check_matmul_with_tile(device, monkeypatch, case, tile)


@parametrize_device_checks()
def test_layers_network_and_devices_on_the_gpu_path(device, monkeypatch, check):
    check(device, monkeypatch)


# The float64 gradient checks that test_gpu.py runs on a GPU. All of them take about 40 s here (every
# launch runs on the CPU), mostly in grouped convolutions and gated cells, so those keep two each.
SLOW_FAMILIES = ("conv2d, groups and dilation:", "cell: lstm", "cell: gru")
SLOW_CASES_KEPT = (
    "conv2d, groups and dilation: two towers, dilation 2, non-square kernel",
    "conv2d, groups and dilation: dilation only",
    "cell: lstm, batch 1, no bias",
    "cell: gru, batch 1, no bias",
)
EMULATED_GRADCHECKS = [
    name for name in DEVICE_GRADCHECKS if not name.startswith(SLOW_FAMILIES) or name in SLOW_CASES_KEPT
]


@pytest.mark.parametrize("name", EMULATED_GRADCHECKS)
def test_gradient_on_the_gpu_path(device, name):
    check_gradcheck_on_the_device(*DEVICE_GRADCHECKS[name]())


@pytest.mark.parametrize("barrier", [0, 1], ids=["slabs copied", "slabs used"])
def test_the_emulator_catches_a_gemm_that_misses_a_barrier(device, barrier):
    """Test equipment that cannot fail proves nothing: drop one __syncthreads() and the product is wrong."""
    parts = (kernel_dir() / "gemm.cu").read_text().split("__syncthreads();")
    assert len(parts) == 3
    source = (
        "__syncthreads();".join(parts[: barrier + 1]) + ";" + "__syncthreads();".join(parts[barrier + 1 :])
    )
    a, b = (
        np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
        for seed, shape in ((0, (40, 70)), (1, (70, 50)))
    )
    c = device.zeros((40, 50), dtype=np.float32)
    plan = cuda_kernels.gemm_plan((), 40, 50, 70, (70, 1), (50, 1))
    kernel = device.RawModule(code=source).get_function("gemm_small")
    kernel(
        cuda_kernels.gemm_grid(40, 50, 1, cuda_kernels.SMALL_TILE),
        (256,),
        (device.asarray(a), device.asarray(b), c) + cuda_kernels.int32(*plan),
    )
    assert np.abs(c - a @ b).max() > 1.0


def test_the_emulator_refuses_a_python_int_where_a_kernel_takes_an_int(device):
    kernel = device.RawModule(code=(kernel_dir() / "bias_relu.cu").read_text()).get_function("relu_backward")
    arrays = [device.zeros(4, dtype=np.float32) for _ in range(3)]
    with pytest.raises(TypeError, match="argument 3 must be a numpy int32 scalar"):
        kernel((1,), (256,), (*arrays, 4))


# ------------------------------------------------------------------------------ launch checks and caching


def pooled_shape(x_shape, kernel, stride, padding) -> tuple:
    return tuple(x_shape[:2]) + cuda_kernels.pooled_size(x_shape, kernel, stride, padding)


# Each launch reads or writes an array larger than its threads cover. (launcher, its arguments)
LARGER_ARRAY_CASES = {
    "im2col: input 1200, window matrix 140 (stride 3, kernel 1)": (
        lambda device: cuda_kernels.im2col(device.zeros((1, 1, 40, 30)), (1, 1), (3, 3), (0, 0))
    ),
    "max_pool2d: input 1200, output 140": (
        lambda device: cuda_kernels.max_pool2d_forward(device.zeros((1, 1, 40, 30)), (1, 1), (3, 3), (0, 0))
    ),
    "avg_pool2d: input 1200, output 140": (
        lambda device: cuda_kernels.avg_pool2d_forward(device.zeros((1, 1, 40, 30)), (1, 1), (3, 3), (0, 0))
    ),
    "max_pool2d backward: dx 961, grad_out and argmax 1024 (padding 1)": (
        lambda device: cuda_kernels.max_pool2d_backward(
            device.zeros(pooled_shape((1, 1, 31, 31), (2, 2), (1, 1), (1, 1))),
            device.zeros(pooled_shape((1, 1, 31, 31), (2, 2), (1, 1), (1, 1)), dtype=np.int32),
            (1, 1, 31, 31),
            (2, 2),
            (1, 1),
            (1, 1),
        )
    ),
}


@pytest.mark.parametrize("launch", LARGER_ARRAY_CASES.values(), ids=LARGER_ARRAY_CASES.keys())
def test_a_launch_is_refused_when_any_array_it_indexes_is_past_the_int_limit(device, monkeypatch, launch):
    """The limit scaled down from 2**31 - 1 to 2**10 - 1, so the arrays stay small."""
    monkeypatch.setattr(checks, "INT32_MAX", 2**10 - 1)
    with pytest.raises(ValueError, match="is more than tinyconv's CUDA kernels can index"):
        launch(device)


def test_a_kernel_is_looked_up_once_and_its_function_reused(device, monkeypatch):
    looked_up = []
    get_function = EmulatedModule.get_function
    monkeypatch.setattr(
        EmulatedModule,
        "get_function",
        lambda module, name: looked_up.append(name) or get_function(module, name),
    )
    grad_out, y = device.ones((2, 3), dtype=np.float32), device.ones((2, 3), dtype=np.float32)
    for _ in range(3):
        cuda_kernels.bias_relu_backward(grad_out, y)
    assert looked_up == ["relu_backward"]


def test_the_stand_in_for_cupy_offers_only_the_names_cupy_12_has():
    """put_along_axis is NumPy's, and CuPy's only from v14: asking the stand-in for it fails, as it would
    on a GPU with CuPy 12 or 13, instead of quietly running NumPy's."""
    fake = FakeCupy()
    with pytest.raises(AttributeError, match="'put_along_axis' in CuPy 12"):
        fake.put_along_axis  # noqa: B018 (the lookup itself is what is tested)
    assert fake.take_along_axis(np.arange(4.0)[None], np.array([[2]]), axis=1).tolist() == [[2.0]]


def test_max_along_a_dim_runs_backward_on_the_emulated_device(device):
    """Max's backward once used put_along_axis; it must run with CuPy 12's names only."""
    x = tinyconv.Tensor(device.asarray(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])), requires_grad=True)
    x.max(dim=1).values.sum().backward()
    assert isinstance(x.grad, device.ndarray)
    np.testing.assert_array_equal(x.grad.get(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
