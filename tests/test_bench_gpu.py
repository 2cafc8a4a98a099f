"""benchmarks/bench_gpu.py without a GPU: its arithmetic by hand, its refusal to run without a GPU, and
its whole code path run once at tiny sizes on the CUDA emulator (tests/backend/cuda_emulator.py).

The emulated run proves the plumbing only (the cases, the checks against float64, the tables, the JSON);
its times mean nothing. The numbers themselves need a GPU: `python benchmarks/bench_gpu.py` there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest
from backend.cuda_emulator import compiler_available, install

import tinyconv.functional as F
import tinyconv.functional.conv as conv_module
from tinyconv import Tensor

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_gpu.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()
CASES = bench.CONV_CASES


# ------------------------------------------------------------------------------ the work of a convolution


@pytest.mark.parametrize(
    "name, side", [("LeNet C1", 28), ("LeNet C3", 10), ("VGG 3x3", 56), ("AlexNet conv1", 55)]
)
def test_conv_output_size_of_each_case(name, side):
    assert bench.conv_output_size(CASES[name]) == side


def test_conv_gemms_of_the_vgg_layer_are_forward_dcol_and_dw():
    forward, dcol, dw = bench.conv_gemms("VGG", CASES["VGG 3x3"])
    # K = 128 * 3 * 3 = 1152 rows of the window matrix, P = 56 * 56 = 3136 pixels, 128 filters
    assert (forward.batch, forward.m, forward.n, forward.k) == (64, 128, 3136, 1152)
    assert (dcol.batch, dcol.m, dcol.n, dcol.k) == (64, 1152, 3136, 128)
    assert (dw.batch, dw.m, dw.n, dw.k) == (64, 1152, 128, 3136)
    assert forward.a_shared and dcol.a_shared and dcol.a_transposed and dw.b_transposed


def describe_product(a, b):
    """(batch, m, n, k, a shared, a transposed, b transposed) of a @ b as the kernel would see it."""
    batch_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    batch = int(np.prod(batch_shape))
    a_shared = batch > 1 and int(np.prod(a.shape[:-2])) == 1
    return (
        batch,
        a.shape[-2],
        b.shape[-1],
        a.shape[-1],
        a_shared,
        a.strides[-2] < a.strides[-1],
        b.strides[-2] < b.strides[-1],
    )


@pytest.mark.parametrize("name", list(CASES))
def test_conv_gemms_are_the_products_conv2d_makes(monkeypatch, name):
    case = bench.smoke_case(CASES[name])  # the same layer, small enough to run here
    seen = []
    real_matmul = conv_module.matmul
    monkeypatch.setattr(
        conv_module, "matmul", lambda a, b: seen.append(describe_product(a, b)) or real_matmul(a, b)
    )
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((case["n"], case["c_in"], case["size"], case["size"])), requires_grad=True)
    w = Tensor(rng.standard_normal((case["c_out"], case["c_in"], case["kernel"], case["kernel"])))
    w.requires_grad_()
    y = F.conv2d(x, w, stride=case["stride"], padding=case["padding"])
    y.backward(Tensor(rng.standard_normal(y.shape)))  # a contiguous upstream gradient, as from a layer
    expected = [tuple(g)[1:] for g in bench.conv_gemms(name, case)]
    assert sorted(seen) == sorted(expected)


def test_gemm_flops_of_a_square_product():
    assert bench.gemm_flops(bench.Gemm("square", 1, 1024, 1024, 1024)) == 2_147_483_648


def test_gemm_bytes_of_a_square_product_reads_a_and_b_and_writes_c_once():
    assert bench.gemm_bytes(bench.Gemm("square", 1, 4096, 4096, 4096)) == 3 * 4096 * 4096 * 4


def test_gemm_bytes_counts_a_shared_operand_once():
    # A 3x4 once, then per matrix of the batch: B 4x5 and C 3x5
    assert bench.gemm_bytes(bench.Gemm("shared", 2, 3, 5, 4, a_shared=True)) == 4 * (12 + 2 * (20 + 15))


def test_conv_flops_of_lenet_c1_forward():
    # 64 images x 6 filters x 25 taps x 784 pixels, a multiply and an add each
    assert bench.conv_flops(CASES["LeNet C1"], backward=False) == 15_052_800


@pytest.mark.parametrize("name", list(CASES))
def test_conv_flops_forward_and_backward_is_the_sum_of_its_three_products(name):
    gemms = bench.conv_gemms(name, CASES[name])
    assert bench.conv_flops(CASES[name], backward=True) == sum(bench.gemm_flops(g) for g in gemms)


ONE_PIXEL = dict(n=1, c_in=1, c_out=1, size=3, kernel=3, stride=1, padding=0)  # a 3x3 image, one output


def test_conv_fewest_bytes_by_hand():
    # forward: x 9 + weight 9 + bias 1 + y 1 = 20; backward: G 1 + x 9 + weight 9, dx 9 + dW 9 + db 1 = 38
    assert bench.conv_fewest_bytes(ONE_PIXEL, backward=False) == 4 * 20
    assert bench.conv_fewest_bytes(ONE_PIXEL, backward=True) == 4 * (20 + 38)


def test_conv_tinyconv_bytes_by_hand():
    # col is 9 x 1. forward: im2col 9 + 9, product 9 + 9 + 1, bias add 1 + 1 + 1 = 40.
    # backward: dcol 9 + 1 + 9, col2im 9 + 9, dW 9 + 1 + 9, its sum 9 + 9, transpose 9 + 9, db 1 + 1 = 94
    assert bench.conv_tinyconv_bytes(ONE_PIXEL, backward=False) == 4 * 40
    assert bench.conv_tinyconv_bytes(ONE_PIXEL, backward=True) == 4 * (40 + 94)


def test_lenet5_forward_flops_for_one_image():
    # C1 2*6*25*784 = 235,200; C3 2*16*150*100 = 480,000; linear 2*(400*120 + 120*84 + 84*10) = 117,840
    assert bench.lenet5_forward_flops(1) == 833_040


def test_floor_is_the_arithmetic_time_when_arithmetic_dominates():
    assert bench.floor_ms(2e12, 1e9, peak_flops_per_s=1e12, peak_bytes_per_s=1e12) == pytest.approx(2000.0)


def test_floor_is_the_traffic_time_when_bytes_dominate():
    assert bench.floor_ms(1e9, 3e12, peak_flops_per_s=1e12, peak_bytes_per_s=1e12) == pytest.approx(3000.0)


@pytest.mark.parametrize(
    "nbytes, l2_bytes, copies", [(200e6, 50e6, 1), (30e6, 50e6, 4), (1e3, 50e6, 8), (1e3, 0, 1)]
)
def test_input_copies_overflow_the_l2_cache_twice_within_limits(nbytes, l2_bytes, copies):
    assert bench.input_copies(int(nbytes), int(l2_bytes)) == copies


@pytest.mark.parametrize(
    "measured, target, at_least, expected",
    [(0.6, 0.6, True, "ok"), (0.59, 0.6, True, "MISS"), (3.0, 3.0, False, "ok"), (3.1, 3.0, False, "MISS")],
)
def test_verdict_against_a_target(measured, target, at_least, expected):
    assert bench.verdict(measured, target, at_least) == expected


def test_verdict_is_a_dash_when_nothing_was_measured():
    assert bench.verdict(None, 3.0, at_least=False) == "-"


def test_markdown_table_aligns_its_columns():
    table = bench.markdown_table(["case", "ms"], [["a", "1.5"], ["longer", "10.25"]])
    assert table == (
        "| case   |    ms |\n"  #
        "|--------|-------|\n"
        "| a      |   1.5 |\n"
        "| longer | 10.25 |"
    )


def test_recorded_cpu_epoch_reads_the_row_of_the_benchmarks_page():
    page = "| LeNet-5 training step (batch 64) |  6.352 |\n| LeNet-5 epoch (937 steps), ms | 6081.848 |"
    assert bench.recorded_cpu_epoch(page) == (937, 6081.848)


def test_recorded_cpu_epoch_is_none_without_the_row():
    assert bench.recorded_cpu_epoch("| conv LeNet C1 forward | 0.639 |") is None


def test_docs_benchmarks_page_has_the_cpu_epoch_the_gpu_benchmark_compares_with():
    recorded = bench.recorded_cpu_epoch((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8"))
    assert recorded is not None and recorded[0] == 937 and recorded[1] > 0


def test_smoke_case_keeps_the_layer_and_shrinks_it():
    case = bench.smoke_case(CASES["AlexNet conv1"])
    assert case == dict(n=2, c_in=3, c_out=8, size=23, kernel=11, stride=4, padding=0)
    assert bench.conv_output_size(case) == 4


def test_relative_error_is_the_ratio_of_norms():
    assert bench.relative_error(np.array([3.0, 4.0 + 1e-3]), np.array([3.0, 4.0])) == pytest.approx(2e-4)


# ------------------------------------------------------------------------------ timing helpers


class ScriptedClock:
    """Events that read a counter which the timed function advances: elapsed times are known."""

    def __init__(self):
        self.now = 0.0

    def event(self):
        clock = self

        class Event:
            def record(self):
                self.at = clock.now

            def synchronize(self):
                pass

        return Event()

    def as_clock(self):
        return bench.Clock(self.event, lambda start, end: end.at - start.at)


def test_median_ms_is_the_median_of_the_timed_calls_after_the_warmup():
    scripted = ScriptedClock()
    durations = iter([100.0, 5.0, 1.0, 3.0])  # the first is the warm-up call

    def run():
        scripted.now += next(durations)

    assert bench.median_ms(run, scripted.as_clock(), warmup=1, repeats=3) == 3.0


def test_rotating_runs_each_input_copy_in_turn():
    calls = []
    run = bench.rotating([lambda: calls.append("a"), lambda: calls.append("b")])
    for _ in range(3):
        run()
    assert calls == ["a", "b", "a"]


def test_torch_gpu_reason_without_torch():
    assert bench.torch_gpu_reason(None) == "PyTorch is not installed"


def test_torch_gpu_reason_for_a_cpu_build():
    cpu_torch = types.SimpleNamespace(
        __version__="2.13.0+cpu", cuda=types.SimpleNamespace(is_available=lambda: False)
    )
    assert "sees no GPU" in bench.torch_gpu_reason(cpu_torch)


# ------------------------------------------------------------------------------ the script as a whole


def test_the_benchmark_stops_at_once_saying_there_is_no_gpu():
    environment = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # no GPU, whether CuPy is installed or not
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert run.returncode == 1
    assert "bench_gpu.py: no GPU to benchmark on" in run.stderr
    assert run.stdout == ""


class EmulatedEvent:
    """cupy.cuda.Event on the emulator: the host clock (the emulator runs kernels synchronously)."""

    def record(self):
        self.at = time.perf_counter()

    def synchronize(self):
        pass


@pytest.mark.skipif(not compiler_available(), reason="the CUDA emulator needs g++ (not found)")
def test_the_whole_benchmark_runs_on_the_emulator_at_tiny_sizes(monkeypatch, tmp_path, capsys):
    device = install(monkeypatch)
    monkeypatch.setattr(device.cuda, "Event", EmulatedEvent, raising=False)
    monkeypatch.setattr(device.cuda, "get_elapsed_time", lambda s, e: 1e3 * (e.at - s.at), raising=False)
    monkeypatch.setattr(
        device.cuda.runtime, "getDeviceProperties", lambda i: {"name": b"emulator"}, raising=False
    )
    monkeypatch.setattr(device.cuda.runtime, "runtimeGetVersion", lambda: 0, raising=False)
    monkeypatch.setattr(bench, "import_torch", lambda: None)  # no PyTorch column: its skip is tested
    for name in ("CUPY_TF32", "NVIDIA_TF32_OVERRIDE"):
        monkeypatch.setenv(name, "1")  # main() turns them off; monkeypatch restores them afterwards
    arguments = ["--smoke", "--repeats", "2", "--warmup", "1", "--epoch-repeats", "1", "--cpu-epoch"]

    results = bench.main(arguments + ["--json", str(tmp_path / "results.json")])

    printed = capsys.readouterr().out
    assert os.environ["CUPY_TF32"] == "0" and os.environ["NVIDIA_TF32_OVERRIDE"] == "0"
    assert len(results["gemm"]) == 2 + 3 * len(CASES)  # two square sizes, three products per conv case
    assert all(row["error"] < 1e-5 and row["cublas_error"] < 1e-5 for row in results["gemm"])
    assert len(results["conv"]) == 2 * len(CASES) and all(row["error"] < 1e-5 for row in results["conv"])
    assert results["epoch"]["steps"] == 2 and results["epoch"]["tinyconv_launches_per_step"] > 0
    assert "(no cuDNN column: PyTorch is not installed)" in printed
    for target in ("SGEMM 130", "VGG 3x3 fwd+bwd", "AlexNet conv1 fwd+bwd", "LeNet-5 epoch"):
        assert f"| {target}" in printed
    assert json.loads((tmp_path / "results.json").read_text())["gemm"][0]["name"] == "square 64"
