"""The GPU checks that test_gpu.py (real CuPy on a GPU) and test_cuda_emulated.py (the CPU emulator),
beside this file, both run: every CUDA kernel against the CPU code of the same computation, max pooling
of tied and NaN inputs against the CPU's F.max_pool2d, then layers and a network against the CPU, and
float64 gradient checks on the device.

A kernel check takes `device`, the CuPy module (or its stand-in), builds random float32 or float64 inputs
on the host, runs the launcher of tinyconv/backend/cuda_kernels.py on device copies, and compares with the
function of the same name in tinyconv/backend/cpu.py (the one CPU implementation, which is also what
trains on the CPU) run in float64 on the same values. The error measure is

    relative_error(got, reference) = max |got - reference| / max |reference|

(over the whole array, so that a sum that happens to be near zero does not blow it up), and it must
stay under 1e-5 for float32 and 1e-12 for float64. Sizes are odd and not multiples of the GEMM tiles;
the cases include batch 1, stride 2, padding, overlapping windows and dilation.
"""

from __future__ import annotations

import collections
import functools

import numpy as np
import pytest
from detection.test_boxes import GRADCHECK_CASES as BOX_CASES
from detection.test_boxes import gradcheck_case as box_case
from functional.test_activation import GRADIENT_CASES as ACTIVATION_EXTRA_CASES
from functional.test_attention import GRADCHECK_CASES as ATTENTION_CASES
from functional.test_attention import gradcheck_case as attention_case
from functional.test_bias_relu import SHAPES as BIAS_RELU_SHAPES
from functional.test_bias_relu import inputs_away_from_the_kink
from functional.test_conv import GROUPS_DILATION_CASES as CONV_GROUPS_CASES
from functional.test_conv import tensors as conv_groups_tensors
from functional.test_conv_transpose import GRADCHECK_CASES as CONV_TRANSPOSE_CASES
from functional.test_conv_transpose import gradcheck_case as conv_transpose_case
from functional.test_embedding import table as embedding_table
from functional.test_interpolate import CASES as INTERPOLATE_CASES
from functional.test_interpolate import gradcheck_case as interpolate_case
from functional.test_loss import CLASS_GRADCHECK_CASES, REGRESSION_LOSSES, hinge_scores, regression_inputs
from functional.test_normalization import (
    LAYER_NORM_CASES,
    LRN_GRADCHECK_CASES,
    TRAINING_SHAPES,
    layer_norm_case,
)
from functional.test_padding import MODE_CASES as PAD_MODE_CASES
from functional.test_padding import PAD_CASES
from functional.test_pooling import ADAPTIVE_CASES
from functional.test_recurrent import GATES as CELL_GATES
from functional.test_recurrent import GRADCHECK_CASES as RNN_GRADCHECK_CASES
from functional.test_recurrent import gradcheck_case as rnn_cell_case
from functional.test_roi import GRADCHECK_CASES as ROI_CASES
from functional.test_roi import gradcheck_case as roi_case
from functional.test_similarity import GRADCHECK_CASES as SIMILARITY_CASES
from helpers import random_array, random_tensor, uniform_tensor
from nn.test_activation import PARAMETER_FREE_LAYERS as PARAMETER_FREE_ACTIVATION_LAYERS
from nn.test_pooling import PARAMETER_FREE_LAYERS as PARAMETER_FREE_POOLING_LAYERS

import tinyconv
import tinyconv.functional as F
from tinyconv import Tensor, nn, optim
from tinyconv.backend import cpu, cuda_kernels, set_gpu_matmul
from tinyconv.gradcheck import gradcheck
from tinyconv.models import LeNet5

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def relative_error(got, reference) -> float:
    got, reference = np.asarray(got, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    assert got.shape == reference.shape, f"shape {got.shape}, expected {reference.shape}"
    scale = np.abs(reference).max() if reference.size else 0.0
    return float(np.abs(got - reference).max() / max(scale, 1e-30)) if reference.size else 0.0


def random(shape, dtype, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def host(array) -> np.ndarray:
    """A device array's values as a plain NumPy array."""
    return np.asarray(array.get()).view(np.ndarray)


# (x shape, kernel, stride, padding, dilation)
WINDOW_CASES = {
    "odd sizes, padding 1": ((2, 3, 7, 5), (3, 3), (1, 1), (1, 1), (1, 1)),
    "batch 1, stride 2": ((1, 2, 9, 8), (3, 3), (2, 2), (1, 1), (1, 1)),
    "non-square kernel, stride and padding": ((3, 1, 6, 9), (2, 3), (2, 1), (0, 2), (1, 1)),
    "dilation 2": ((2, 2, 8, 7), (3, 2), (1, 2), (2, 1), (2, 1)),
    "kernel 1": ((1, 4, 3, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
}

# (shape of a, shape of b, a is a transposed view, b is a transposed view)
GEMM_CASES = {
    "odd sizes": ((37, 29), (29, 45), False, False),
    "not multiples of either tile": ((130, 17), (17, 129), False, False),
    "A transposed": ((37, 29), (29, 45), True, False),
    "B transposed": ((37, 29), (29, 45), False, True),
    "both transposed": ((66, 21), (21, 70), True, True),
    "one row": ((1, 50), (50, 70), False, False),
    "vector @ vector": ((13,), (13,), False, False),
    "matrix @ vector": ((9, 13), (13,), False, False),
    "vector @ batch": ((5,), (3, 5, 4), False, False),
    "broadcast batches": ((2, 1, 3, 4), (3, 4, 2), False, False),
    "conv forward: one weight, a batch of windows": ((1, 6, 25), (2, 1, 25, 70), False, False),
    "conv dW: batch @ transposed batch": ((2, 1, 25, 70), (2, 1, 70, 6), False, True),
    "Linear on a 3-D input: batch folded into rows": ((2, 3, 10), (10, 7), False, True),
    "three batch axes that do not merge": ((2, 3, 4, 5, 6), (3, 1, 6, 7), False, False),
}

# (x shape, kernel, stride, padding)
POOL_CASES = {
    "2x2, odd width": ((2, 3, 8, 7), (2, 2), (2, 2), (0, 0)),
    "batch 1, floor mode": ((1, 2, 7, 9), (2, 2), (2, 2), (0, 0)),
    "overlapping 3x3 stride 2, padding 1": ((2, 2, 9, 7), (3, 3), (2, 2), (1, 1)),
    "non-square kernel and stride": ((3, 1, 6, 8), (3, 2), (1, 2), (1, 1)),
    "kernel 1": ((1, 1, 4, 5), (1, 1), (1, 1), (0, 0)),
}

# (x shape, size, alpha, beta, k)
LRN_CASES = {
    "AlexNet's size 5": ((2, 7, 5, 4), 5, 1e-2, 0.75, 2.0),
    "even size": ((1, 6, 3, 5), 4, 0.1, 0.75, 1.0),
    "window wider than the channels": ((2, 3, 4, 3), 5, 0.2, 0.5, 1.0),
    "size 1": ((1, 4, 3, 3), 1, 0.3, 0.75, 1.0),
    "sequences (N, C, L)": ((2, 5, 7), 3, 0.2, 0.75, 1.0),
}

# (how x is drawn, x shape, kernel, stride, padding): windows whose maximum appears several times, or is
# NaN, or whose real pixels are all -inf: where the rules of the kernel and of the CPU code must agree
MAX_POOL_TIE_CASES = {
    "zeros after a ReLU, 2x2": ("relu", (2, 3, 8, 7), (2, 2), (2, 2), (0, 0)),
    "zeros after a ReLU, overlapping 3x3 stride 2, padding 1": ("relu", (2, 3, 9, 7), (3, 3), (2, 2), (1, 1)),
    "all zeros, overlapping 3x3 stride 1, padding 1": ("zeros", (1, 2, 5, 6), (3, 3), (1, 1), (1, 1)),
    "small integers, 2x2": ("integers", (2, 3, 8, 7), (2, 2), (2, 2), (0, 0)),
    "small integers, overlapping 3x2 stride 1, padding 1": ("integers", (1, 2, 7, 6), (3, 2), (1, 1), (1, 1)),
    "NaN among small integers, 2x2": ("nan", (2, 3, 8, 7), (2, 2), (2, 2), (0, 0)),
    "NaN among small integers, overlapping 3x3 stride 2, padding 1": (
        "nan",
        (2, 3, 9, 7),
        (3, 3),
        (2, 2),
        (1, 1),
    ),
    "-inf everywhere, overlapping 3x3 stride 2, padding 1": ("-inf", (1, 2, 5, 6), (3, 3), (2, 2), (1, 1)),
}

# x shape
BIAS_RELU_CASES = {
    "after a convolution": (2, 5, 7, 3),
    "after a linear layer": (4, 9),
    "one pixel": (1, 3, 1, 1),
}


def check_im2col(device, case, dtype) -> None:
    x_shape, *window = WINDOW_CASES[case]
    x = random(x_shape, dtype)
    col = cuda_kernels.im2col(device.asarray(x), *window)
    assert col.dtype == dtype
    assert relative_error(host(col), cpu.im2col(x.astype(np.float64), *window)) == 0  # copies are exact


def check_col2im(device, case, dtype) -> None:
    x_shape, *window = WINDOW_CASES[case]
    col_shape = cpu.im2col(np.zeros(x_shape), *window).shape
    col = random(col_shape, dtype, seed=1)
    dx = cuda_kernels.col2im(device.asarray(col), x_shape, *window)
    reference = cpu.col2im(col.astype(np.float64), x_shape, *window)
    assert relative_error(host(dx), reference) < TOLERANCE[dtype]


def swap_last(shape: tuple) -> tuple:
    return shape[:-2] + (shape[-1], shape[-2])


def transposed_view(array, transposed: bool):
    return array.swapaxes(-1, -2) if transposed else array


def check_matmul(device, case, dtype) -> None:
    a_shape, b_shape, transpose_a, transpose_b = GEMM_CASES[case]
    # A transposed operand is stored as its transpose and multiplied as a view of it, so the kernel
    # has to follow its strides (as in conv's backward and in Linear, where weight.T is a view).
    a = random(swap_last(a_shape) if transpose_a else a_shape, dtype, seed=2)
    b = random(swap_last(b_shape) if transpose_b else b_shape, dtype, seed=3)
    c = cuda_kernels.matmul(
        transposed_view(device.asarray(a), transpose_a), transposed_view(device.asarray(b), transpose_b)
    )
    reference = transposed_view(a.astype(np.float64), transpose_a) @ transposed_view(
        b.astype(np.float64), transpose_b
    )
    assert c.dtype == dtype
    assert relative_error(host(c), reference) < TOLERANCE[dtype]


def check_max_pool_forward(device, case, dtype) -> None:
    x_shape, *window = POOL_CASES[case]
    x = random(x_shape, dtype)
    y, argmax = cuda_kernels.max_pool2d_forward(device.asarray(x), *window)
    y_reference, argmax_reference = cpu.max_pool2d_forward(x.astype(np.float64), *window)
    assert relative_error(host(y), y_reference) == 0  # the maximum is one of the inputs, exactly
    np.testing.assert_array_equal(host(argmax), argmax_reference)


def check_max_pool_backward(device, case, dtype) -> None:
    x_shape, *window = POOL_CASES[case]
    x = random(x_shape, dtype)
    _, argmax = cpu.max_pool2d_forward(x, *window)
    grad_out = random(argmax.shape, dtype, seed=1)
    dx = cuda_kernels.max_pool2d_backward(device.asarray(grad_out), device.asarray(argmax), x_shape, *window)
    reference = cpu.max_pool2d_backward(grad_out.astype(np.float64), argmax, x_shape, *window)
    assert relative_error(host(dx), reference) < TOLERANCE[dtype]


def small_integers(shape, seed: int = 0) -> np.ndarray:
    """Integers from -2 to 2 as float64: many ties, and sums of them are exact in float32 too."""
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


def tied_input(kind: str, shape) -> np.ndarray:
    if kind == "relu":  # about half the pixels are exactly 0, and so is every window of them
        return np.maximum(random(shape, np.float64), 0)
    if kind == "nan":  # about one pixel in six is NaN, so some windows hold one and some two
        x = small_integers(shape)
        x[np.random.default_rng(2).random(shape) < 1 / 6] = np.nan
        return x
    if kind == "-inf":  # padding is -inf as well: every window must still name a real pixel
        return np.full(shape, -np.inf)
    return np.zeros(shape) if kind == "zeros" else small_integers(shape)


def check_max_pool_ties_match_the_cpu(device, case, dtype) -> None:
    """F.max_pool2d on the device (kernels/pool.cu) against F.max_pool2d on the CPU (backend/cpu.py), on
    tied, NaN and -inf inputs.

    Both give a window's gradient to its first maximum in row-major order, to its last NaN when it holds
    one (its output is NaN), and to its first real pixel when they are all -inf. grad_out holds small
    integers, so every pixel's sum of gradients is exact and the two dx must be equal.
    """
    kind, x_shape, *window = MAX_POOL_TIE_CASES[case]
    x = tied_input(kind, x_shape).astype(dtype)
    reference = Tensor(x, requires_grad=True)
    y_reference = F.max_pool2d(reference, *window)
    grad_out = small_integers(y_reference.shape, seed=1).astype(dtype)
    y_reference.backward(grad_out)
    tensor = Tensor(x).to("cuda").requires_grad_()
    outputs = []

    def forward_and_backward():
        outputs.append(F.max_pool2d(tensor, *window))
        outputs[0].backward(Tensor(grad_out).to("cuda"))

    launched = kernels_launched_by(forward_and_backward)
    assert launched["max_pool_forward"] == 1 and launched["max_pool_backward"] == 1
    np.testing.assert_array_equal(outputs[0].numpy(), y_reference.data)
    np.testing.assert_array_equal(host(tensor.grad), reference.grad)


def check_avg_pool_forward(device, case, dtype) -> None:
    x_shape, *window = POOL_CASES[case]
    x = random(x_shape, dtype)
    y = cuda_kernels.avg_pool2d_forward(device.asarray(x), *window)
    assert relative_error(host(y), cpu.avg_pool2d_forward(x.astype(np.float64), *window)) < TOLERANCE[dtype]


def check_avg_pool_backward(device, case, dtype) -> None:
    x_shape, *window = POOL_CASES[case]
    out_shape = cpu.avg_pool2d_forward(np.zeros(x_shape), *window).shape
    grad_out = random(out_shape, dtype, seed=1)
    dx = cuda_kernels.avg_pool2d_backward(device.asarray(grad_out), x_shape, *window)
    reference = cpu.avg_pool2d_backward(grad_out.astype(np.float64), x_shape, *window)
    assert relative_error(host(dx), reference) < TOLERANCE[dtype]


def check_lrn_forward(device, case, dtype) -> None:
    x_shape, *constants = LRN_CASES[case]
    x = random(x_shape, dtype)
    y, scale = cuda_kernels.lrn_forward(device.asarray(x), *constants)
    y_reference, scale_reference = cpu.lrn_forward(x.astype(np.float64), *constants)
    assert relative_error(host(y), y_reference) < TOLERANCE[dtype]
    assert relative_error(host(scale), scale_reference) < TOLERANCE[dtype]


def check_lrn_backward(device, case, dtype) -> None:
    x_shape, size, alpha, beta, k = LRN_CASES[case]
    x, grad_out = random(x_shape, dtype), random(x_shape, dtype, seed=1)
    _, scale = cpu.lrn_forward(x, size, alpha, beta, k)
    dx = cuda_kernels.lrn_backward(*(device.asarray(a) for a in (grad_out, x, scale)), size, alpha, beta)
    as64 = [a.astype(np.float64) for a in (grad_out, x, scale)]
    assert relative_error(host(dx), cpu.lrn_backward(*as64, size, alpha, beta)) < TOLERANCE[dtype]


def check_bias_relu_forward(device, case, dtype) -> None:
    x_shape = BIAS_RELU_CASES[case]
    x, bias = random(x_shape, dtype), random(x_shape[1], dtype, seed=1)
    y = cuda_kernels.bias_relu_forward(device.asarray(x), device.asarray(bias))
    reference = cpu.bias_relu_forward(x.astype(np.float64), bias.astype(np.float64))
    assert relative_error(host(y), reference) < TOLERANCE[dtype]


def check_bias_relu_backward(device, case, dtype) -> None:
    x_shape = BIAS_RELU_CASES[case]
    y = np.maximum(random(x_shape, dtype), 0)
    grad_out = random(x_shape, dtype, seed=1)
    grad_x, grad_bias = cuda_kernels.bias_relu_backward(device.asarray(grad_out), device.asarray(y))
    grad_x_reference, grad_bias_reference = cpu.bias_relu_backward(grad_out.astype(np.float64), y)
    assert relative_error(host(grad_x), grad_x_reference) == 0
    assert relative_error(host(grad_bias), grad_bias_reference) < TOLERANCE[dtype]


# check function -> the cases it runs
KERNEL_CHECKS = {
    check_im2col: WINDOW_CASES,
    check_col2im: WINDOW_CASES,
    check_matmul: GEMM_CASES,
    check_max_pool_forward: POOL_CASES,
    check_max_pool_backward: POOL_CASES,
    check_avg_pool_forward: POOL_CASES,
    check_avg_pool_backward: POOL_CASES,
    check_lrn_forward: LRN_CASES,
    check_lrn_backward: LRN_CASES,
    check_bias_relu_forward: BIAS_RELU_CASES,
    check_bias_relu_backward: BIAS_RELU_CASES,
    check_max_pool_ties_match_the_cpu: MAX_POOL_TIE_CASES,
}


def parametrize_kernel_checks(dtypes=(np.float32, np.float64)):
    """pytest.mark.parametrize over every check, its cases and the dtypes, as (check, case, dtype)."""
    values, ids = [], []
    for check, cases in KERNEL_CHECKS.items():
        for case in cases:
            for dtype in dtypes:
                values.append((check, case, dtype))
                ids.append(f"{check.__name__[6:]}-{case}-{np.dtype(dtype).name}")
    return pytest.mark.parametrize("check, case, dtype", values, ids=ids)


def check_matmul_with_tile(device, monkeypatch, case, tile) -> None:
    """check_matmul in float32 with the GEMM tile forced, whatever gemm_tile would choose."""
    monkeypatch.setattr(cuda_kernels, "gemm_tile", lambda *sizes: tile)
    check_matmul(device, case, np.float32)


def parametrize_tiles():
    """pytest.mark.parametrize over both GEMM tiles and every GEMM case, as (case, tile)."""
    values = [
        (case, tile) for tile in (cuda_kernels.SMALL_TILE, cuda_kernels.LARGE_TILE) for case in GEMM_CASES
    ]
    return pytest.mark.parametrize(
        "case, tile", values, ids=[f"{tile.kernel}-{case}" for case, tile in values]
    )


# ------------------------------------------------------------------------------ layers and a network
# Through the public API (tensors moved with .to("cuda"), layers, autograd, optimizers): the device in
# float32 against the CPU in float64, with CuPy's matrix products made to fail, so that a path reaching
# cuBLAS through them would raise.

# Where Python code reaches cuBLAS through CuPy: its product functions, and `@` and .dot on its arrays.
CUBLAS_FUNCTIONS = ("matmul", "dot", "vdot", "inner", "tensordot", "einsum")
CUBLAS_METHODS = ("__matmul__", "__rmatmul__", "dot")


def refuse_cublas(device, monkeypatch) -> None:
    """Make every CuPy matrix product tinyconv could call raise, for the rest of the test.

    cupy.ndarray has been a Python subclass of the Cython class `_ndarray_base` since CuPy 11 (every
    CuPy for CUDA 12 or 13 is newer), so its operators can be replaced on the class like any other
    class's: `a @ b` then calls the replacement. What CuPy does inside its own functions, in Cython,
    is not seen: the guard covers the names through which Python code asks CuPy for a product.
    """

    def refusing(name: str):
        def refuse(*args, **kwargs):
            raise AssertionError(f"{name} was called: the GPU path fell back to cuBLAS")

        return refuse

    for name in CUBLAS_FUNCTIONS:
        monkeypatch.setattr(device, name, refusing(f"cupy.{name}"))
    for name in CUBLAS_METHODS:
        monkeypatch.setattr(device.ndarray, name, refusing(f"cupy.ndarray.{name}"))


def device_leaf(array: np.ndarray, dtype=np.float32) -> Tensor:
    """A leaf tensor on the GPU holding `array`'s values in `dtype`, requiring grad."""
    return Tensor(array.astype(dtype)).to("cuda").requires_grad_()


def kernels_launched_by(run) -> collections.Counter:
    """Run `run()` and return how many times it launched each of tinyconv's kernels."""
    before = collections.Counter(cuda_kernels.launch_counts)
    run()
    return cuda_kernels.launch_counts - before


def compare_with_the_cpu(function, arrays: list, grad_out: np.ndarray) -> collections.Counter:
    """Run `function(*tensors)` forward and backward (upstream gradient grad_out) on the CPU in float64
    and on the GPU in float32; check that the output and every input's gradient agree to 1e-5, and
    return how many times the GPU run launched each kernel."""
    reference = [Tensor(a, requires_grad=True) for a in arrays]
    y_reference = function(*reference)
    y_reference.backward(grad_out)
    tensors = [device_leaf(a) for a in arrays]
    outputs = []

    def forward_and_backward():
        outputs.append(function(*tensors))
        outputs[0].backward(Tensor(grad_out.astype(np.float32)).to("cuda"))

    launched = kernels_launched_by(forward_and_backward)
    assert outputs[0].device == "cuda"
    assert relative_error(outputs[0].numpy(), y_reference.data) < 1e-5
    for tensor, expected in zip(tensors, reference):
        assert relative_error(host(tensor.grad), expected.grad) < 1e-5
    return launched


def check_conv2d_runs_on_tinyconv_kernels(device, monkeypatch) -> None:
    refuse_cublas(device, monkeypatch)
    x, weight, bias = (
        random((2, 3, 9, 8), np.float64),
        random((4, 3, 3, 3), np.float64, 1),
        random(4, np.float64, 2),
    )
    grad_out = random((2, 4, 5, 4), np.float64, 3)
    launched = compare_with_the_cpu(
        lambda *tensors: F.conv2d(*tensors, stride=2, padding=1), [x, weight, bias], grad_out
    )
    # forward: im2col, one GEMM; backward: a GEMM for dx, then col2im, and a GEMM for dW
    assert launched["im2col"] == 1 and launched["col2im"] == 1
    assert launched["gemm_small"] + launched["gemm_large"] == 3


def check_pooling_and_lrn_run_on_tinyconv_kernels(device, monkeypatch) -> None:
    """Overlapping max pool with padding, average pool and LRN through F, on the GPU against the CPU."""
    x = random((2, 5, 9, 7), np.float64)
    grad_out = random((2, 5, 2, 2), np.float64, 1)

    def network(t):
        t = F.max_pool2d(t, kernel_size=3, stride=2, padding=1)  # (2, 5, 5, 4)
        t = F.local_response_norm(t, size=3, alpha=0.5, beta=0.75, k=2.0)
        return F.avg_pool2d(t, kernel_size=2, stride=2)  # (2, 5, 2, 2)

    launched = compare_with_the_cpu(network, [x], grad_out)
    for kernel in ("max_pool_forward", "max_pool_backward", "lrn_forward", "lrn_backward"):
        assert launched[kernel] == 1, kernel
    assert launched["avg_pool_forward"] == 1 and launched["avg_pool_backward"] == 1


def check_adaptive_avg_pool2d_runs_on_tinyconv_gemm(device, monkeypatch) -> None:
    """Adaptive average pooling is two matrix products each way: on the GPU, kernels/gemm.cu."""
    refuse_cublas(device, monkeypatch)
    x = random((2, 3, 7, 5), np.float64)
    grad_out = random((2, 3, 3, 4), np.float64, 1)

    def network(t):
        return F.adaptive_avg_pool2d(t, (3, 4))  # overlapping windows down, repeated pixels across

    launched = compare_with_the_cpu(network, [x], grad_out)
    assert launched["gemm_small"] + launched["gemm_large"] == 4  # A_h @ x @ A_w^T, A_h^T @ g @ A_w


def check_bias_relu_runs_on_the_fused_kernel(device, monkeypatch) -> None:
    """F.bias_relu on the GPU in float32 against the CPU in float64: one kernel forward, one backward."""
    x, bias = random((2, 5, 4, 3), np.float64), random(5, np.float64, 1)
    grad_out = random(x.shape, np.float64, 2)
    launched = compare_with_the_cpu(F.bias_relu, [x, bias], grad_out)
    assert launched["bias_relu_forward"] == 1 and launched["relu_backward"] == 1


def check_linear_runs_on_tinyconv_kernels(device, monkeypatch) -> None:
    refuse_cublas(device, monkeypatch)
    x, weight, bias = random((5, 7), np.float64), random((3, 7), np.float64, 1), random(3, np.float64, 2)
    launched = compare_with_the_cpu(F.linear, [x, weight, bias], np.ones((5, 3)))  # the gradient of y.sum()
    assert launched["gemm_small"] + launched["gemm_large"] == 3  # y, dx, dW


def check_lenet_training_step_matches_the_cpu(device, monkeypatch) -> None:
    refuse_cublas(device, monkeypatch)
    tinyconv.manual_seed(0)
    reference = LeNet5().double()
    model = LeNet5()
    model.load_state_dict(reference.state_dict())
    model.to("cuda")
    images, labels = random((3, 1, 28, 28), np.float64, 1), np.array([3, 1, 7])

    reference_loss = F.cross_entropy(reference(Tensor(images)), labels)
    reference_loss.backward()
    optim.SGD(reference.parameters(), lr=0.1, momentum=0.9).step()

    losses = []

    def training_step():
        losses.append(
            F.cross_entropy(model(Tensor(images.astype(np.float32)).to("cuda")), Tensor(labels).to("cuda"))
        )
        losses[0].backward()
        optim.SGD(model.parameters(), lr=0.1, momentum=0.9).step()

    launched = kernels_launched_by(training_step)
    loss = losses[0]
    assert abs(loss.item() - reference_loss.item()) < 1e-5 * abs(reference_loss.item())
    for (name, parameter), expected in zip(model.named_parameters(), reference.parameters()):
        assert parameter.device == "cuda", name
        assert relative_error(host(parameter.grad), expected.grad) < 1e-4, name
        assert relative_error(host(parameter.data), expected.data) < 1e-5, name
    # Two convolutions: forward, dW, and dx for the second only (the images need no gradient); three
    # Linear layers: y, dx, dW each. So 2 + 3 + 9 products, and a col2im for the second conv only.
    assert launched["gemm_small"] + launched["gemm_large"] == 14
    assert launched["im2col"] == 2 and launched["col2im"] == 1


def check_conv2d_gradients_pass_gradcheck_in_float64(device, monkeypatch) -> None:
    x, weight = (
        device_leaf(random((1, 2, 5, 4), np.float64), np.float64),
        device_leaf(random((3, 2, 3, 3), np.float64, 1), np.float64),
    )
    assert gradcheck(lambda a, b: F.conv2d(a, b, stride=2, padding=1), [x, weight]) is True


def check_set_gpu_matmul_cupy_sends_products_to_cupy_matmul(device, monkeypatch) -> None:
    calls = []
    real_matmul = device.matmul
    monkeypatch.setattr(device, "matmul", lambda a, b: calls.append(a.shape) or real_matmul(a, b))
    previous = set_gpu_matmul("cupy")
    try:
        y = F.linear(
            Tensor(np.ones((2, 3), np.float32)).to("cuda"), Tensor(np.ones((4, 3), np.float32)).to("cuda")
        )
    finally:
        set_gpu_matmul(previous)
    assert calls == [(2, 3)]
    np.testing.assert_array_equal(y.numpy(), np.full((2, 4), 3.0))


def check_state_dict_stays_on_the_host_and_optimizer_state_on_the_device(device, monkeypatch) -> None:
    tinyconv.manual_seed(0)
    model = nn.Linear(3, 2).to("cuda")
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    model(Tensor(np.ones((1, 3), np.float32)).to("cuda")).sum().backward()
    optimizer.step()
    assert all(type(value) is np.ndarray for value in model.state_dict().values())
    assert isinstance(optimizer.state[model.weight]["exp_avg"], device.ndarray)


def check_moving_the_model_after_a_step_is_refused_by_the_optimizer(device, monkeypatch) -> None:
    model = nn.Linear(3, 2)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(Tensor(np.ones((1, 3), np.float32))).sum().backward()
    optimizer.step()  # the momentum buffers are NumPy arrays now
    model.to("cuda")
    model(Tensor(np.ones((1, 3), np.float32)).to("cuda")).sum().backward()
    with pytest.raises(
        RuntimeError, match="'momentum_buffer' of a parameter is on cpu but the parameter is on cuda"
    ):
        optimizer.step()


def check_gradient_flows_back_through_to_cuda_to_the_cpu_tensor(device, monkeypatch) -> None:
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (x.to("cuda") * 3.0).sum().backward()
    assert type(x.grad) is np.ndarray
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def check_an_op_on_two_devices_raises_naming_both(device, monkeypatch) -> None:
    with pytest.raises(ValueError, match="input 0 is on cuda and input 1 is on cpu"):
        Tensor(np.ones(2)).to("cuda") + Tensor(np.ones(2))


DEVICE_CHECKS = [
    check_conv2d_runs_on_tinyconv_kernels,
    check_pooling_and_lrn_run_on_tinyconv_kernels,
    check_adaptive_avg_pool2d_runs_on_tinyconv_gemm,
    check_bias_relu_runs_on_the_fused_kernel,
    check_linear_runs_on_tinyconv_kernels,
    check_lenet_training_step_matches_the_cpu,
    check_conv2d_gradients_pass_gradcheck_in_float64,
    check_set_gpu_matmul_cupy_sends_products_to_cupy_matmul,
    check_state_dict_stays_on_the_host_and_optimizer_state_on_the_device,
    check_moving_the_model_after_a_step_is_refused_by_the_optimizer,
    check_gradient_flows_back_through_to_cuda_to_the_cpu_tensor,
    check_an_op_on_two_devices_raises_naming_both,
]


def parametrize_device_checks():
    """pytest.mark.parametrize over DEVICE_CHECKS, named after them."""
    return pytest.mark.parametrize(
        "check", DEVICE_CHECKS, ids=[check.__name__[6:] for check in DEVICE_CHECKS]
    )


# ------------------------------------------------------------------------------ gradient checks on the device
# The float64 gradient checks of the CPU test modules, rerun with every input on the GPU. Each entry of
# DEVICE_GRADCHECKS builds (fn, inputs) as its test module does, from that module's case table where it
# has one; class targets and embedding indices are made on the device, where the op's other inputs are.


def on_device(value):
    """A CPU Tensor's float64 copy on the GPU, a new leaf that requires grad if the original did; a
    Tensor on the GPU already (a layer's parameter moved with .to) and any other value stay as they are."""
    if isinstance(value, Tensor) and value.device == "cpu":
        return Tensor(value.data).to("cuda").requires_grad_(value.requires_grad)
    return value


def check_gradcheck_on_the_device(fn, inputs) -> None:
    """tinyconv.gradcheck of fn with its inputs on the GPU: central differences in float64 there."""
    assert gradcheck(fn, [on_device(value) for value in inputs]) is True


def device_indices(values) -> Tensor:
    """Integer class targets or embedding indices, as a tensor on the GPU."""
    return Tensor(np.asarray(values)).to("cuda")


def layer_case(layer, x: Tensor) -> tuple:
    """(fn, inputs) for a layer in float64 on the GPU: the input, then every parameter."""
    layer.double().to("cuda")
    return (lambda x, *parameters: layer(x)), [x, *layer.parameters()]


# functional/test_loss.py, functional/test_linear.py, nn/test_linear.py, nn/test_conv.py,
# nn/test_activation.py, nn/test_pooling.py: the tests without a case table; the parameter-free layers

PARAMETER_FREE_LAYERS = {**PARAMETER_FREE_ACTIVATION_LAYERS, **PARAMETER_FREE_POOLING_LAYERS}


def cross_entropy_batch_1_case() -> tuple:
    return (lambda x: F.cross_entropy(x, device_indices([2]))), [random_tensor(1, 3)]


def mse_loss_case(reduction: str) -> tuple:
    inputs = [random_tensor(3, 4, seed=1), random_tensor(3, 4, seed=2)]
    return (lambda p, t: F.mse_loss(p, t, reduction=reduction)), inputs


def linear_case(*shapes) -> tuple:
    return F.linear, [random_tensor(*shape, seed=k + 1) for k, shape in enumerate(shapes)]


def linear_weight_used_twice_case() -> tuple:
    inputs = [random_tensor(2, 3, seed=1), random_tensor(3, 3, seed=2)]
    return (lambda x, w: F.linear(F.tanh(F.linear(x, w)), w)), inputs


def linear_layer_case() -> tuple:
    tinyconv.manual_seed(0)
    return layer_case(nn.Linear(4, 3), random_tensor(2, 4))


def conv2d_layer_case() -> tuple:
    tinyconv.manual_seed(0)
    layer = nn.Conv2d(2, 3, kernel_size=3, stride=2, padding=1)
    layer.bias.data[...] = np.array([0.1, -0.2, 0.3])
    return layer_case(layer, random_tensor(1, 2, 5, 6))


def parameter_free_layer_case(name: str) -> tuple:
    layer, make_input = PARAMETER_FREE_LAYERS[name]
    return layer, [make_input()]


# functional/test_conv.py (groups, dilation), functional/test_normalization.py, functional/test_recurrent.py


def conv_groups_dilation_case(name: str) -> tuple:
    case = CONV_GROUPS_CASES[name]
    stride, padding, dilation, groups = case[7:]
    inputs = list(conv_groups_tensors(case, seed=3))
    return (lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)), inputs


def lrn_case(name: str) -> tuple:
    shape, size = LRN_GRADCHECK_CASES[name]
    return (lambda x: F.local_response_norm(x, size, alpha=2.0, beta=0.75, k=1.0)), [random_tensor(*shape)]


def affine_inputs(shape) -> list:
    """x, weight and bias for batch norm over the channels of an x of this shape."""
    return [random_tensor(*shape, seed=1), random_tensor(shape[1], seed=2), random_tensor(shape[1], seed=3)]


def running_statistics(channels: int) -> tuple:
    """A running mean and a positive running variance, on the GPU."""
    mean = Tensor(random_array(channels, seed=4)).to("cuda")
    return mean, Tensor(np.random.default_rng(5).uniform(0.5, 2.0, channels)).to("cuda")


def batch_norm_training_case(shape) -> tuple:
    return (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)), affine_inputs(shape)


def batch_norm_training_without_affine_case(shape) -> tuple:
    return (lambda x: F.batch_norm(x, None, None, training=True)), [random_tensor(*shape)]


def batch_norm_training_weight_only_case() -> tuple:
    inputs = [random_tensor(3, 2, 4, seed=1), random_tensor(2, seed=2)]
    return (lambda x, w: F.batch_norm(x, None, None, w, training=True)), inputs


def batch_norm_eval_case(shape) -> tuple:
    mean, variance = running_statistics(shape[1])
    return (lambda x, w, b: F.batch_norm(x, mean, variance, w, b)), affine_inputs(shape)


def batch_norm_eval_without_affine_case() -> tuple:
    mean, variance = running_statistics(2)
    return (lambda x: F.batch_norm(x, mean, variance)), [random_tensor(3, 2, 2, 3)]


def batch_norm_module_case() -> tuple:
    layer = nn.BatchNorm2d(2)
    layer.weight.data[...] = [1.5, -0.5]
    layer.bias.data[...] = [0.2, 0.1]
    return layer_case(layer, random_tensor(2, 2, 3, 2))


# functional/test_embedding.py, ops/test_join.py, functional/test_padding.py, functional/test_pooling.py

EMBEDDING_INDICES = {"vector": [2, 0, 2], "matrix": [[1, 4], [4, 4]], "scalar": 3}

# (fn, the shapes of its inputs)
JOIN_CASES = {
    "cat three": (lambda a, b, c: tinyconv.cat([a, b, c], axis=1), [(2, 1, 3), (2, 4, 3), (2, 2, 3)]),
    "stack": (lambda a, b: tinyconv.stack([a, b], axis=1), [(3, 2), (3, 2)]),
    "cat with a repeated input": (lambda a, b: tinyconv.cat([a, a * b], axis=0), [(2, 3), (2, 3)]),
    "split, one piece unused": (lambda x: tinyconv.split(x, [1, 2, 3], axis=1)[0::2], [(4, 6)]),
    "split by size": (lambda x: tinyconv.split(x, 2, axis=0)[1] * 3.0, [(4, 6)]),
}


def embedding_case(name: str) -> tuple:
    return (lambda w: F.embedding(device_indices(EMBEDDING_INDICES[name]), w)), [embedding_table()]


def join_case(name: str) -> tuple:
    fn, shapes = JOIN_CASES[name]
    return fn, [random_tensor(*shape, seed=k) for k, shape in enumerate(shapes)]


def pad_case(name: str) -> tuple:
    shape, amounts = PAD_CASES[name]
    return (lambda x: F.pad(x, amounts, value=0.5)), [random_tensor(*shape)]


def adaptive_avg_pool2d_case(name: str) -> tuple:
    shape, output_size = ADAPTIVE_CASES[name]
    return (lambda x: F.adaptive_avg_pool2d(x, output_size)), [random_tensor(*shape)]


# functional/test_loss.py, functional/test_activation.py, functional/test_bias_relu.py


def class_targets(shape) -> list:
    return list(np.arange(shape[0]) % shape[1])


def nll_loss_case(shape, reduction: str) -> tuple:
    def fn(log_probs):
        return F.nll_loss(log_probs, device_indices(class_targets(shape)), reduction=reduction)

    return fn, [random_tensor(*shape)]


def label_smoothing_case(shape, reduction: str, smoothing: float) -> tuple:
    def fn(x):
        targets = device_indices(class_targets(shape))
        return F.cross_entropy(x, targets, reduction=reduction, label_smoothing=smoothing)

    return fn, [random_tensor(*shape)]


def binary_cross_entropy_case(shape, reduction: str) -> tuple:
    inputs = [
        uniform_tensor(*shape, low=0.1, high=0.9, seed=1),
        uniform_tensor(*shape, low=0.0, high=1.0, seed=2),
    ]
    return (lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction)), inputs


def binary_cross_entropy_with_logits_case(shape, reduction: str) -> tuple:
    logits = Tensor(4.0 * random_array(*shape, seed=1), requires_grad=True)
    inputs = [logits, uniform_tensor(*shape, low=0.0, high=1.0, seed=2)]
    return (lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction)), inputs


def hinge_loss_case(shape, margin: float, reduction: str) -> tuple:
    def fn(scores):
        targets = device_indices(class_targets(shape))
        return F.multiclass_hinge_loss(scores, targets, margin=margin, reduction=reduction)

    return fn, [hinge_scores(*shape, seed=3)]


def class_loss_case(name: str) -> tuple:
    """cross_entropy with class weights, ignore_index, smoothing, (N, C, d1, ...) inputs: targets and weights
    made on the device."""
    shape, target, weight, options = CLASS_GRADCHECK_CASES[name]

    def fn(x):
        weight_on_device = None if weight is None else Tensor(weight).to("cuda")
        return F.cross_entropy(x, device_indices(target), weight_on_device, **options)

    return fn, [random_tensor(*shape)]


def probability_target_case() -> tuple:
    def fn(x):
        q = Tensor(np.random.default_rng(1).uniform(0, 1, size=(2, 3, 2))).to("cuda")
        weight = Tensor(np.array([1.0, 0.5, 2.0])).to("cuda")
        return F.cross_entropy(x, q, weight, label_smoothing=0.1)

    return fn, [random_tensor(2, 3, 2)]


def pos_weight_case() -> tuple:
    def fn(x, y):
        weight, pos_weight = (
            Tensor(np.linspace(0.5, 2.0, 4)).to("cuda"),
            Tensor(np.linspace(3.0, 0.25, 4)).to("cuda"),
        )
        return F.binary_cross_entropy_with_logits(x, y, weight, pos_weight=pos_weight)

    logits = Tensor(4.0 * random_array(2, 3, 4, seed=1), requires_grad=True)
    return fn, [logits, uniform_tensor(2, 3, 4, low=0.0, high=1.0, seed=2)]


def regression_loss_case(name: str) -> tuple:
    loss = REGRESSION_LOSSES[name]
    return (lambda x, y: loss(x, y, "mean")), list(regression_inputs(3, 4))


def similarity_case(name: str) -> tuple:
    fn, shapes = SIMILARITY_CASES[name]
    return fn, [random_tensor(*shape, seed=k) for k, shape in enumerate(shapes)]


def pad_mode_case(mode: str, name: str) -> tuple:
    shape, amounts = PAD_MODE_CASES[name]
    return (lambda x: F.pad(x, amounts, mode)), [random_tensor(*shape)]


def activation_case(name: str) -> tuple:
    fn, make_input = ACTIVATION_EXTRA_CASES[name]
    return fn, [make_input()]


def bias_relu_case(name: str) -> tuple:
    return F.bias_relu, list(inputs_away_from_the_kink(BIAS_RELU_SHAPES[name]))


def named_cases(prefix: str, build, names) -> dict:
    """{'prefix: name': build(name), deferred} for every name of a case table."""
    return {f"{prefix}: {name}": functools.partial(build, name) for name in names}


def grid_cases(prefix: str, build, argument_tuples) -> dict:
    """{'prefix: a, b': build(a, b), deferred} for every tuple of arguments."""
    return {
        f"{prefix}: {', '.join(map(str, args))}": functools.partial(build, *args) for args in argument_tuples
    }


REDUCTIONS = ("mean", "sum", "none")
LOSS_SHAPES = [(5, 4), (1, 3)]  # (N, classes), batch 1 included
ELEMENTWISE_LOSS_SHAPES = [(6,), (2, 3, 4)]

# name -> a function of no arguments returning (fn, inputs); called in the test, with the device there
DEVICE_GRADCHECKS = {
    "cross_entropy, batch 1": cross_entropy_batch_1_case,
    **named_cases("mse_loss", mse_loss_case, REDUCTIONS),
    "linear, batch 1": functools.partial(linear_case, (1, 4), (3, 4), (3,)),
    "linear, no bias": functools.partial(linear_case, (4, 3), (2, 3)),
    "linear, one weight used twice": linear_weight_used_twice_case,
    "nn.Linear, input and parameters": linear_layer_case,
    "nn.Conv2d, input and parameters": conv2d_layer_case,
    **named_cases("parameter-free layer", parameter_free_layer_case, PARAMETER_FREE_LAYERS),
    **named_cases("conv2d, groups and dilation", conv_groups_dilation_case, CONV_GROUPS_CASES),
    **named_cases("local_response_norm", lrn_case, LRN_GRADCHECK_CASES),
    **named_cases("layer_norm", layer_norm_case, LAYER_NORM_CASES),
    **named_cases("conv_transpose2d", conv_transpose_case, CONV_TRANSPOSE_CASES),
    **named_cases("interpolate", interpolate_case, INTERPOLATE_CASES),
    **named_cases("roi", roi_case, ROI_CASES),
    **named_cases("boxes", box_case, BOX_CASES),
    **named_cases("scaled_dot_product_attention", attention_case, ATTENTION_CASES),
    **named_cases("batch_norm, training", batch_norm_training_case, TRAINING_SHAPES),
    **named_cases(
        "batch_norm, training without affine", batch_norm_training_without_affine_case, [(5, 3), (2, 3, 4, 3)]
    ),
    "batch_norm, training with the weight only": batch_norm_training_weight_only_case,
    **named_cases("batch_norm, eval", batch_norm_eval_case, [(4, 3), (1, 3), (1, 3, 4), (2, 3, 4, 5)]),
    "batch_norm, eval without affine": batch_norm_eval_without_affine_case,
    "nn.BatchNorm2d, updating its statistics": batch_norm_module_case,
    **grid_cases(
        "cell", rnn_cell_case, [(kind, case) for kind in CELL_GATES for case in RNN_GRADCHECK_CASES]
    ),
    **named_cases("embedding", embedding_case, EMBEDDING_INDICES),
    **named_cases("join", join_case, JOIN_CASES),
    **named_cases("pad", pad_case, PAD_CASES),
    **named_cases("adaptive_avg_pool2d", adaptive_avg_pool2d_case, ADAPTIVE_CASES),
    **grid_cases("nll_loss", nll_loss_case, [(shape, r) for shape in LOSS_SHAPES for r in REDUCTIONS]),
    **grid_cases(
        "cross_entropy with label smoothing",
        label_smoothing_case,
        [(shape, r, eps) for shape in LOSS_SHAPES for r in ("mean", "none") for eps in (0.0, 0.1)],
    ),
    **grid_cases(
        "binary_cross_entropy",
        binary_cross_entropy_case,
        [(shape, r) for shape in ELEMENTWISE_LOSS_SHAPES for r in ("mean", "none")],
    ),
    **grid_cases(
        "binary_cross_entropy_with_logits",
        binary_cross_entropy_with_logits_case,
        [(shape, r) for shape in ELEMENTWISE_LOSS_SHAPES for r in REDUCTIONS],
    ),
    **grid_cases(
        "multiclass_hinge_loss",
        hinge_loss_case,
        [((5, 4), 1.05, "mean"), ((1, 6), 0.45, "mean"), ((4, 3), 1.05, "none"), ((3, 5), 0.75, "sum")],
    ),
    **named_cases("cross_entropy", class_loss_case, CLASS_GRADCHECK_CASES),
    "cross_entropy, probability targets": probability_target_case,
    "binary_cross_entropy_with_logits, weight and pos_weight": pos_weight_case,
    **named_cases("regression loss", regression_loss_case, REGRESSION_LOSSES),
    **named_cases("similarity", similarity_case, SIMILARITY_CASES),
    **grid_cases(
        "pad",
        pad_mode_case,
        [(mode, name) for mode in ("reflect", "replicate", "circular") for name in PAD_MODE_CASES],
    ),
    **named_cases("activation", activation_case, ACTIVATION_EXTRA_CASES),
    **named_cases("bias_relu", bias_relu_case, BIAS_RELU_SHAPES),
}
