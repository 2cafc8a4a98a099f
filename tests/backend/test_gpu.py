"""The GPU backend on a real GPU: tinyconv's CUDA kernels through CuPy, against the NumPy path.

Every test here needs CuPy and a CUDA device and is skipped, with the reason, without them (on a GPU
machine, run them with TINYCONV_REQUIRE_GPU=1, so that a skip fails instead). They run unchanged on any
machine that has both:
  - every kernel against its NumPy twin (tests/backend/gpu_checks.py): random inputs, odd sizes, sizes that
    are not multiples of the GEMM tiles (with each tile forced), stride 2, padding, overlapping pools,
    batch 1; relative error under 1e-5 in float32 against a float64 reference;
  - conv2d, linear and a LeNet-5 training step on the GPU against the CPU, and proof that they ran
    tinyconv's kernels and never cupy.matmul (cuBLAS);
  - the float64 gradient checks of the ops' own tests (tests/ops/, tests/functional/, tests/nn/), from
    their case tables (the engine ops, conv2d, pooling and activations, groups and dilation, LRN and batch
    norm, recurrent cells, embedding, joins, pad, adaptive pooling, the losses, bias + ReLU) with every
    input on the GPU;
  - a short LeNet-5 run on MNIST (needs TINYCONV_DATA) reaching the CPU run's accuracy.
tests/backend/test_cuda_emulated.py runs the kernel and model checks without a GPU, on an emulator.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from functional.test_activation import ACTIVATION_CASES as ACTIVATION_FUNCTION_CASES
from functional.test_conv import GRADCHECK_CASES as CONV_CASES
from functional.test_flatten import GRADCHECK_CASES as FLATTEN_CASES
from functional.test_pooling import GRADCHECK_CASES as POOL_CASES
from helpers import distinct_tensor, random_tensor
from ops.test_arithmetic import GRADCHECK_CASES as ARITHMETIC_CASES
from ops.test_reduction import GRADCHECK_CASES as REDUCTION_CASES
from ops.test_shape import GRADCHECK_CASES as SHAPE_CASES
from ops.test_unary import GRADCHECK_CASES as UNARY_CASES

import tinyconv
import tinyconv.functional as F
from backend.gpu_checks import (
    DEVICE_GRADCHECKS,
    check_gradcheck_on_the_device,
    check_matmul_with_tile,
    on_device,
    parametrize_device_checks,
    parametrize_kernel_checks,
    parametrize_tiles,
    relative_error,
)
from tinyconv import Tensor, nn, optim
from tinyconv.backend import cuda_kernels
from tinyconv.backend.array_module import cupy_module
from tinyconv.gradcheck import gradcheck

REASON = tinyconv.cuda.unavailable_reason()
# `gpu`: with TINYCONV_REQUIRE_GPU=1 (a run on a GPU machine) a skip here is a failure (tests/conftest.py).
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(REASON is not None, reason=f"needs CuPy and a GPU: {REASON}"),
]
DATA_DIR = os.environ.get("TINYCONV_DATA")

# the case tables of the ops' gradient checks, each kept by its op's test module
ENGINE_CASES = {**ARITHMETIC_CASES, **UNARY_CASES, **REDUCTION_CASES, **SHAPE_CASES}
ACTIVATION_CASES = {**ACTIVATION_FUNCTION_CASES, **FLATTEN_CASES}


@pytest.fixture
def device():
    return cupy_module()


# ------------------------------------------------------------------------------ kernels against their twins


@parametrize_kernel_checks()
def test_kernel_matches_its_numpy_twin(device, check, case, dtype):
    check(device, case, dtype)


@parametrize_tiles()
def test_matmul_with_each_tile_matches_numpy(device, monkeypatch, case, tile):
    check_matmul_with_tile(device, monkeypatch, case, tile)


@pytest.mark.parametrize("size", [1024, 1000])
def test_large_square_sgemm_matches_numpy(device, size):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    c = cuda_kernels.matmul(device.asarray(a), device.asarray(b))
    assert relative_error(c.get(), a.astype(np.float64) @ b.astype(np.float64)) < 1e-5


def test_a_batch_longer_than_the_grid_is_walked_by_the_blocks(device):
    rng = np.random.default_rng(0)  # gridDim.z stops at 65535; the kernel's z loop covers the rest
    a, b = rng.standard_normal((70_000, 2, 3)), rng.standard_normal((70_000, 3, 2))
    c = cuda_kernels.matmul(device.asarray(a), device.asarray(b))
    assert relative_error(c.get(), a @ b) < 1e-12


# ------------------------------------------------------------------------------ layers, a network, devices


@parametrize_device_checks()
def test_layers_network_and_devices_on_the_gpu(device, monkeypatch, check):
    check(device, monkeypatch)


def test_optimizer_state_dict_holds_host_arrays_after_training_on_the_gpu(device):
    tinyconv.manual_seed(0)
    model = nn.Linear(3, 2).to("cuda")
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    model(Tensor(np.ones((1, 3), np.float32)).to("cuda")).sum().backward()
    optimizer.step()
    assert all(type(state["exp_avg"]) is np.ndarray for state in optimizer.state_dict()["state"].values())


# ------------------------------------------------------------------------------ gradient checks on the GPU


def check_on_gpu(fn, *inputs) -> None:
    check_gradcheck_on_the_device(fn, inputs)


@pytest.mark.parametrize("name", list(ENGINE_CASES))
def test_engine_op_gradient_on_the_gpu(name):
    fn, make_inputs = ENGINE_CASES[name]
    check_on_gpu(fn, *make_inputs())


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv2d_gradient_on_the_gpu(name):
    x_shape, w_shape, stride, padding, with_bias = CONV_CASES[name]
    inputs = [random_tensor(*x_shape, seed=1), random_tensor(*w_shape, seed=2)]
    if with_bias:
        inputs.append(random_tensor(w_shape[0], seed=3))
    check_on_gpu(lambda *t: F.conv2d(*t, stride=stride, padding=padding), *inputs)


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_max_pool2d_gradient_on_the_gpu(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    check_on_gpu(lambda x: F.max_pool2d(x, kernel, stride=stride, padding=padding), distinct_tensor(*x_shape))


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_avg_pool2d_gradient_on_the_gpu(name):
    x_shape, kernel, stride, padding = POOL_CASES[name]
    check_on_gpu(lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=padding), random_tensor(*x_shape))


@pytest.mark.parametrize("name", list(ACTIVATION_CASES))
def test_activation_gradient_on_the_gpu(name):
    fn, make_input = ACTIVATION_CASES[name]
    check_on_gpu(fn, make_input())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradient_on_the_gpu(device, reduction):
    targets = Tensor(np.array([0, 3, 3, 1, 2])).to("cuda")
    check_on_gpu(lambda x: F.cross_entropy(x, targets, reduction=reduction), random_tensor(5, 4))


def test_linear_gradient_for_a_3d_input_on_the_gpu():
    check_on_gpu(
        F.linear, random_tensor(2, 3, 4, seed=1), random_tensor(5, 4, seed=2), random_tensor(5, seed=3)
    )


def test_gradient_of_a_kernel_used_in_two_conv2d_calls_on_the_gpu():
    check_on_gpu(
        lambda x, w: F.conv2d(F.conv2d(x, w, padding=1), w, padding=1),
        random_tensor(1, 2, 4, 4, seed=1),
        random_tensor(2, 2, 3, 3, seed=2),
    )


def test_small_network_gradient_on_the_gpu(device):
    tinyconv.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 3)
    ).double()
    rng = np.random.default_rng(1)
    for parameter in model.parameters():
        parameter.data[...] = rng.standard_normal(parameter.shape)
    model.to("cuda")
    targets = Tensor(np.array([0, 2])).to("cuda")
    inputs = [on_device(random_tensor(2, 1, 6, 6, seed=2)), *model.parameters()]
    assert gradcheck(lambda x, *p: F.cross_entropy(model(x), targets), inputs) is True


@pytest.mark.parametrize("name", list(DEVICE_GRADCHECKS))
def test_gradient_of_the_cpu_suites_on_the_gpu(name):
    check_gradcheck_on_the_device(*DEVICE_GRADCHECKS[name]())


# ------------------------------------------------------------------------------ training on MNIST


@pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="set TINYCONV_DATA to a folder whose mnist/ holds the MNIST files",
)
def test_lenet_on_mnist_reaches_the_cpu_accuracy_on_the_gpu(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demos"))
    import lenet_mnist

    common = ["--epochs", "1", "--limit", "3000", "--batch-size", "32"]
    cpu_accuracy = lenet_mnist.main(common + ["--out", str(tmp_path / "cpu"), "--device", "cpu"])
    gpu_accuracy = lenet_mnist.main(common + ["--out", str(tmp_path / "cuda"), "--device", "cuda"])
    assert gpu_accuracy > 0.8
    assert abs(gpu_accuracy - cpu_accuracy) <= 0.01  # the same run, up to float rounding
