"""GPU benchmark: tinyconv's own CUDA kernels against cuBLAS and cuDNN, in one run.

    python benchmarks/bench_gpu.py                  # the full run (a few minutes)
    python benchmarks/bench_gpu.py --cpu-epoch      # also time tinyconv's CPU epoch on this machine
    python benchmarks/bench_gpu.py --smoke          # tiny sizes: checks the plumbing, times mean nothing

Needs CuPy and a GPU (it stops at once, saying why, without them); PyTorch with CUDA is optional (its
columns are skipped, with a note, without it). Everything runs on random data, float32, and is timed
with CUDA events: warm-up runs first (kernel compilation, cuBLAS handles, cuDNN's algorithm search stay
out of the numbers), then the median of many timed calls. Small inputs are rotated among several copies
so that repeated calls do not just re-read the L2 cache. Before any timing, each result is checked
against a float64 reference: ||out - ref|| / ||ref||.

What is timed:
  1. SGEMM: tinyconv.backend.cuda_kernels.matmul (kernels/gemm.cu) against cupy.matmul (cuBLAS), square at
     1024 to 8192, and at the three matrix products Conv2d makes (forward, dcol, dW) for the conv cases;
  2. conv2d forward, and forward + backward (gradients of input, weight, bias), tinyconv against
     PyTorch's cuDNN path (torch.backends.cudnn.benchmark = True: its fastest algorithm), for
     LeNet's C1 and C3, a VGG 3x3 layer and AlexNet's conv1;
  3. a LeNet-5 epoch on MNIST (Adam, batch 64; random images if MNIST is absent), each batch moved to
     the GPU as it is used, tinyconv against the same model in PyTorch.
The table at the end checks the issue's targets: SGEMM at 4096 >= 60% of cuBLAS, conv forward +
backward within 3x of cuDNN on the VGG and AlexNet shapes, the GPU epoch >= 5x faster than tinyconv's
CPU epoch (measured with --cpu-epoch, else the figure recorded in docs/benchmarks.md). Each row shows
its FLOP count, the bytes it must move and the floor those give at the GPU's measured peaks (a large
copy for bandwidth, cuBLAS's best SGEMM for arithmetic), so that a miss can be explained.

TF32 is off on both sides, so that float32 is compared with float32: CUPY_TF32=0 (CuPy reads it at its
first float32 matmul; 0 keeps cuBLAS's default float32 compute type), NVIDIA_TF32_OVERRIDE=0 (cuBLAS
and cuDNN themselves refuse TF32), TORCH_ALLOW_TF32_CUBLAS_OVERRIDE unset, and in PyTorch
torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False. The cuBLAS error
column shows it held: TF32 gives errors near 3e-4, float32 under 1e-5.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # tinyconv from this checkout; tests/helpers/

import tinyconv  # noqa: E402
import tinyconv.functional as F  # noqa: E402
from tinyconv import Tensor, optim  # noqa: E402
from tinyconv.backend import cuda_kernels, set_gpu_matmul  # noqa: E402
from tinyconv.models import LeNet5  # noqa: E402

SQUARE_SIZES = (1024, 2048, 4096, 8192)
CONV_CASES = {
    "LeNet C1": dict(n=64, c_in=1, c_out=6, size=28, kernel=5, stride=1, padding=2),
    "LeNet C3": dict(n=64, c_in=6, c_out=16, size=14, kernel=5, stride=1, padding=0),
    "VGG 3x3": dict(n=64, c_in=128, c_out=128, size=56, kernel=3, stride=1, padding=1),
    "AlexNet conv1": dict(n=64, c_in=3, c_out=96, size=227, kernel=11, stride=4, padding=0),
}
TARGET_SGEMM_SIZE = 4096
EPOCH_BATCH = 64  # as the CPU epoch of docs/benchmarks.md
CPU_EPOCH_ROW = re.compile(r"\|\s*LeNet-5 epoch \((\d+) steps\), ms\s*\|\s*([0-9.]+)\s*\|")
FLOAT32_BYTES = 4


# ------------------------------------------------------------------------------ arithmetic (no GPU needed)
# tests/test_bench_gpu.py checks these against hand-counted values.


class Gemm(NamedTuple):
    """One matrix product C = A @ B, `batch` times: A (m, k), B (k, n).

    a_shared: one A for the whole batch (conv's weight); a_transposed / b_transposed: the operand is a
    transposed view of a contiguous array, as conv's backward passes it to the kernel.
    """

    name: str
    batch: int
    m: int
    n: int
    k: int
    a_shared: bool = False
    a_transposed: bool = False
    b_transposed: bool = False


def conv_output_size(case: dict) -> int:
    """OH = OW = (size + 2 padding - kernel) // stride + 1 (square images and kernels)."""
    return (case["size"] + 2 * case["padding"] - case["kernel"]) // case["stride"] + 1


def conv_gemms(name: str, case: dict) -> list[Gemm]:
    """The three matrix products tinyconv's Conv2d makes (functional/conv.py), with their layouts.

    With K = C * kH * kW (rows of the window matrix) and P = OH * OW (its columns), per image:
      forward  y = W_mat @ col          (C_out x K) @ (K x P), one W_mat for the batch
      dcol       = W_mat^T @ G          (K x C_out) @ (C_out x P), W_mat^T a transposed view
      dW         = col @ G^T            (K x P) @ (P x C_out), G^T a transposed view
    """
    rows = case["c_in"] * case["kernel"] ** 2
    pixels = conv_output_size(case) ** 2
    n, c_out = case["n"], case["c_out"]
    return [
        Gemm(f"{name} forward", n, c_out, pixels, rows, a_shared=True),
        Gemm(f"{name} dcol", n, rows, pixels, c_out, a_shared=True, a_transposed=True),
        Gemm(f"{name} dW", n, rows, c_out, pixels, b_transposed=True),
    ]


def gemm_flops(gemm: Gemm) -> int:
    """2 m n k per product (a multiply and an add per term), times the batch."""
    return 2 * gemm.m * gemm.n * gemm.k * gemm.batch


def gemm_bytes(gemm: Gemm) -> int:
    """The fewest bytes a product must move: A, B read once, C written once (a shared A once)."""
    a = gemm.m * gemm.k * (1 if gemm.a_shared else gemm.batch)
    return FLOAT32_BYTES * (a + gemm.batch * (gemm.k * gemm.n + gemm.m * gemm.n))


def conv_flops(case: dict, backward: bool) -> int:
    """2 N C_out K P for the forward product; forward + backward adds dcol's and dW's: three times."""
    forward = gemm_flops(conv_gemms("", case)[0])
    return 3 * forward if backward else forward


def conv_sizes(case: dict) -> dict:
    """Elements of every array a convolution touches: x, weight, bias, y, and im2col's window matrix."""
    out = conv_output_size(case)
    rows = case["c_in"] * case["kernel"] ** 2
    return {
        "x": case["n"] * case["c_in"] * case["size"] ** 2,
        "weight": case["c_out"] * rows,
        "bias": case["c_out"],
        "y": case["n"] * case["c_out"] * out**2,
        "col": case["n"] * rows * out**2,
    }


def conv_fewest_bytes(case: dict, backward: bool) -> int:
    """What any convolution must move: forward reads x, weight, bias and writes y; backward reads G,
    x, weight and writes dx, dW, db."""
    s = conv_sizes(case)
    forward = s["x"] + s["weight"] + s["bias"] + s["y"]
    if not backward:
        return FLOAT32_BYTES * forward
    return FLOAT32_BYTES * (forward + s["y"] + 2 * s["x"] + 2 * s["weight"] + s["bias"])


def conv_tinyconv_bytes(case: dict, backward: bool) -> int:
    """What tinyconv's im2col path moves, each pass reading and writing its arrays once.

    forward:  im2col (x -> col), the product (W, col -> y), the bias add (y, b -> y);
    backward: dcol (W, G -> dcol), col2im (dcol -> dx), dW per image (col, G -> N x W), its sum over
              the batch (N x W -> W) and the copy of its transpose (W -> W), db (G -> b).
    The window matrix col is kH * kW / stride^2 times the size of x: it is what the path pays for
    turning convolution into one matrix product.
    """
    s = conv_sizes(case)
    forward = (s["x"] + s["col"]) + (s["weight"] + s["col"] + s["y"]) + (2 * s["y"] + s["bias"])
    if not backward:
        return FLOAT32_BYTES * forward
    n = case["n"]
    grads = (
        (s["weight"] + s["y"] + s["col"])
        + (s["col"] + s["x"])
        + (s["col"] + s["y"] + n * s["weight"])
        + (n * s["weight"] + s["weight"])
        + 2 * s["weight"]
        + (s["y"] + s["bias"])
    )
    return FLOAT32_BYTES * (forward + grads)


def lenet5_forward_flops(batch: int) -> int:
    """LeNet-5's forward multiply-adds, times 2: C1 and C3 as convolutions, then 400-120-84-10."""
    c1 = dict(n=batch, c_in=1, c_out=6, size=28, kernel=5, stride=1, padding=2)
    c3 = dict(n=batch, c_in=6, c_out=16, size=14, kernel=5, stride=1, padding=0)
    linear = 2 * batch * (400 * 120 + 120 * 84 + 84 * 10)
    return conv_flops(c1, backward=False) + conv_flops(c3, backward=False) + linear


def floor_ms(flops: int, nbytes: int, peak_flops_per_s: float, peak_bytes_per_s: float) -> float:
    """The time no version can beat: the larger of arithmetic at peak and traffic at full bandwidth."""
    return 1e3 * max(flops / peak_flops_per_s, nbytes / peak_bytes_per_s)


def input_copies(nbytes: int, l2_bytes: int, most: int = 8) -> int:
    """How many copies of the inputs to rotate through so that together they overflow the L2 cache
    twice: 1 for inputs that do it alone, up to `most`."""
    return max(1, min(most, math.ceil(2 * l2_bytes / max(nbytes, 1))))


def verdict(measured: float | None, target: float, at_least: bool) -> str:
    """'ok' if `measured` meets the target (>= target when at_least, else <=), 'MISS' if not, '-' if
    there is nothing to judge (the comparison could not run)."""
    if measured is None:
        return "-"
    return "ok" if (measured >= target if at_least else measured <= target) else "MISS"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table with aligned columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        padded = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def recorded_cpu_epoch(markdown: str) -> tuple[int, float] | None:
    """(steps, ms) of the tinyconv CPU epoch row in docs/benchmarks.md, or None if it has none."""
    match = CPU_EPOCH_ROW.search(markdown)
    return (int(match.group(1)), float(match.group(2))) if match else None


def smoke_case(case: dict) -> dict:
    """A tiny version of a conv case, the same kind of layer: batch 2, at most 3 -> 8 channels, and
    the image cut to kernel + 3 strides (3 or more output pixels a side)."""
    size = min(case["size"], case["kernel"] + 3 * case["stride"])
    return dict(case, n=2, c_in=min(case["c_in"], 3), c_out=min(case["c_out"], 8), size=size)


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# ------------------------------------------------------------------------------ timing on the GPU


class Clock(NamedTuple):
    """CUDA events of one library: new() makes an event, elapsed_ms(start, end) reads two of them."""

    new: object
    elapsed_ms: object


def cupy_clock(cupy) -> Clock:
    return Clock(cupy.cuda.Event, cupy.cuda.get_elapsed_time)


def torch_clock(torch) -> Clock:
    return Clock(lambda: torch.cuda.Event(enable_timing=True), lambda start, end: start.elapsed_time(end))


def median_ms(run, clock: Clock, warmup: int, repeats: int) -> float:
    """Median milliseconds of `run()` over `repeats` calls timed with CUDA events, after `warmup` calls.

    The events are recorded in the GPU's queue around the call, so the time is what the GPU saw:
    the kernels and any gap while Python prepared the next launch (for small layers, mostly that).
    """
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeats):
        start, end = clock.new(), clock.new()
        start.record()
        run()
        end.record()
        end.synchronize()
        samples.append(clock.elapsed_ms(start, end))
    return statistics.median(samples)


def rotating(calls: list):
    """A function that runs the next of `calls` each time it is called (one per input copy)."""
    position = [0]

    def run():
        calls[position[0] % len(calls)]()
        position[0] += 1

    return run


def relative_error(got, reference) -> float:
    """||got - reference|| / ||reference||, in float64, for arrays of any library."""
    got, reference = (np.asarray(a, dtype=np.float64).ravel() for a in (got, reference))
    return float(np.linalg.norm(got - reference) / max(np.linalg.norm(reference), 1e-300))


def to_host(array) -> np.ndarray:
    return array.get() if hasattr(array, "get") else np.asarray(array)


def poison_memory_pool(cupy, shape, dtype) -> None:
    """Fill a block of the output's size with NaN and free it: CuPy's memory pool usually hands that
    block to the next allocation of the same size, so an output element the kernel never wrote shows
    up as NaN rather than as a stale right answer."""
    cupy.full(shape, np.nan, dtype=dtype)


# ------------------------------------------------------------------------------ the benchmarks


def describe_gpu(cupy) -> dict:
    device = cupy.cuda.Device()
    properties = cupy.cuda.runtime.getDeviceProperties(device.id)
    name = properties["name"]
    return {
        "name": name.decode() if isinstance(name, bytes) else str(name),
        "multiprocessors": int(device.attributes["MultiProcessorCount"]),
        "l2_bytes": int(device.attributes.get("L2CacheSize", 0)),
        "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
        "cupy": getattr(cupy, "__version__", "?"),
        "cublas_compute_type": cublas_compute_type(cupy),
    }


def cublas_compute_type(cupy) -> str:
    """CuPy's compute type for float32 products (a private CuPy function: 'unknown' if it moved)."""
    try:
        from cupy._core import _routines_linalg as linalg

        return linalg.compute_type_to_str(linalg.get_compute_type(np.float32))
    except (ImportError, AttributeError):
        return "unknown"


def measure_bandwidth(cupy, elements: int, warmup: int, repeats: int) -> float:
    """Bytes per second of a device-to-device copy, counting the bytes read and the bytes written."""
    source = cupy.asarray(np.random.default_rng(1).standard_normal(elements, dtype=np.float32))
    target = cupy.empty_like(source)
    ms = median_ms(lambda: cupy.copyto(target, source), cupy_clock(cupy), warmup, repeats)
    return 2 * source.nbytes / (ms / 1e3)


def gemm_operands(xp, gemm: Gemm, rng) -> tuple:
    """Random operands on the device of `xp` (numpy or cupy), in the layout Conv2d passes them.

    A transposed operand is a transposed view of a contiguous array (the kernel follows its strides);
    a shared A has no batch axis and is broadcast against B's, as conv's weight is.
    """
    a_shape = (gemm.k, gemm.m) if gemm.a_transposed else (gemm.m, gemm.k)
    b_shape = (gemm.n, gemm.k) if gemm.b_transposed else (gemm.k, gemm.n)
    batch = () if gemm.batch == 1 else (gemm.batch,)
    a = xp.asarray(rng.standard_normal(a_shape if gemm.a_shared else batch + a_shape, dtype=np.float32))
    b = xp.asarray(rng.standard_normal(batch + b_shape, dtype=np.float32))
    return (a.swapaxes(-1, -2) if gemm.a_transposed else a), (b.swapaxes(-1, -2) if gemm.b_transposed else b)


def bench_gemm(cupy, gemm: Gemm, gpu: dict, args, rng) -> dict:
    """tinyconv's kernel against cupy.matmul on the same operands: errors first, then times."""
    first = gemm_operands(cupy, gemm, rng)
    copies = input_copies(FLOAT32_BYTES * (first[0].size + first[1].size), gpu["l2_bytes"])
    operands = [first] + [gemm_operands(cupy, gemm, rng) for _ in range(copies - 1)]
    a, b = first
    reference = cupy.matmul(a.astype(np.float64), b.astype(np.float64))
    poison_memory_pool(cupy, reference.shape, np.float32)
    error = relative_error(to_host(cuda_kernels.matmul(a, b)), to_host(reference))
    cublas_error = relative_error(to_host(cupy.matmul(a, b)), to_host(reference))
    del reference

    clock = cupy_clock(cupy)
    ours = rotating([lambda a=a, b=b: cuda_kernels.matmul(a, b) for a, b in operands])
    theirs = rotating([lambda a=a, b=b: cupy.matmul(a, b) for a, b in operands])
    return dict(
        gemm._asdict(),
        flops=gemm_flops(gemm),
        bytes=gemm_bytes(gemm),
        tinyconv_ms=median_ms(ours, clock, args.warmup, args.repeats),
        cublas_ms=median_ms(theirs, clock, args.warmup, args.repeats),
        error=error,
        cublas_error=cublas_error,
    )


def torch_gpu_reason(torch) -> str | None:
    """None when PyTorch can run on the GPU, else why not."""
    if torch is None:
        return "PyTorch is not installed"
    if not torch.cuda.is_available():
        return f"PyTorch {torch.__version__} sees no GPU (a CPU build?)"
    return None


def bench_conv(cupy, torch, name: str, case: dict, gpu: dict, args, rng) -> list[dict]:
    """Forward and forward + backward of one conv case, tinyconv against cuDNN when torch has a GPU."""
    out = conv_output_size(case)
    stride, padding = case["stride"], case["padding"]
    host = {
        "x": rng.standard_normal((case["n"], case["c_in"], case["size"], case["size"]), dtype=np.float32),
        "w": rng.standard_normal(
            (case["c_out"], case["c_in"], case["kernel"], case["kernel"]), dtype=np.float32
        ),
        "b": rng.standard_normal(case["c_out"], dtype=np.float32),
        "g": rng.standard_normal((case["n"], case["c_out"], out, out), dtype=np.float32),
    }
    copies = input_copies(FLOAT32_BYTES * host["x"].size, gpu["l2_bytes"])
    leaves = [[Tensor(host[k]).to("cuda").requires_grad_() for k in "xwb"] for _ in range(copies)]
    grad_out = Tensor(host["g"]).to("cuda")

    def tinyconv_forward(x, w, b):
        with tinyconv.no_grad():
            F.conv2d(x, w, b, stride=stride, padding=padding)

    def tinyconv_backward(x, w, b):
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, stride=stride, padding=padding).backward(grad_out)

    # The check: the first image against tinyconv's NumPy path in float64 (images are independent).
    as64 = {k: host[k].astype(np.float64) for k in "xwb"}
    with tinyconv.no_grad():
        y = F.conv2d(*leaves[0], stride=stride, padding=padding).numpy()
        reference = F.conv2d(
            *(Tensor(as64[k][:1] if k == "x" else as64[k]) for k in "xwb"), stride=stride, padding=padding
        )
    error = relative_error(y[:1], reference.numpy())

    clock = cupy_clock(cupy)
    rows = []
    for kind, function in (("forward", tinyconv_forward), ("forward+backward", tinyconv_backward)):
        ours = median_ms(
            rotating([lambda t=t, f=function: f(*t) for t in leaves]), clock, args.warmup, args.repeats
        )
        backward = kind != "forward"
        rows.append(
            dict(
                case,
                case=name,
                kind=kind,
                flops=conv_flops(case, backward),
                bytes=conv_fewest_bytes(case, backward),
                tinyconv_bytes=conv_tinyconv_bytes(case, backward),
                tinyconv_ms=ours,
                cudnn_ms=None,
                error=error,
            )
        )
    if torch_gpu_reason(torch) is None:
        torch_leaves = [
            [torch.from_numpy(host[k]).to("cuda").requires_grad_() for k in "xwb"] for _ in range(copies)
        ]
        torch_grad = torch.from_numpy(host["g"]).to("cuda")

        def torch_forward(x, w, b):
            with torch.no_grad():
                torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding)

        def torch_backward(x, w, b):
            x.grad = w.grad = b.grad = None
            torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding).backward(torch_grad)

        for row, function in zip(rows, (torch_forward, torch_backward)):
            calls = [lambda t=t, f=function: f(*t) for t in torch_leaves]
            row["cudnn_ms"] = median_ms(rotating(calls), torch_clock(torch), args.warmup, args.repeats)
    return rows


def mnist_or_random(samples: int, rng) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST's training set in memory (normalized), or random images of its shape when it is absent."""
    from tinyconv.data import MNIST, DatasetError

    try:
        train = MNIST(train=True, download=False)
        images, labels = train[np.arange(min(samples, len(train)))]
        return images, labels, "MNIST"
    except DatasetError:
        images = rng.standard_normal((samples, 1, 28, 28), dtype=np.float32)
        return images, rng.integers(0, 10, samples), "random images (MNIST not found: set TINYCONV_DATA)"


def tinyconv_step(model, optimizer, device: str):
    """One Adam step of `model` on a host batch, moved to `device` first (as demos/lenet_mnist.py)."""

    def step(images, labels):
        loss = F.cross_entropy(model(Tensor(images).to(device)), Tensor(labels).to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def run_epoch(step, images, labels, batch: int) -> None:
    for start in range(0, len(images) - batch + 1, batch):
        step(images[start : start + batch], labels[start : start + batch])


def bench_epoch(cupy, torch, images, labels, batch: int, args) -> dict:
    """One epoch (len(images) // batch Adam steps), tinyconv on the GPU against PyTorch on the GPU."""
    tinyconv.manual_seed(0)
    model = LeNet5()
    weights = model.state_dict()  # both sides start from the same weights
    model.to("cuda")
    step = tinyconv_step(model, optim.Adam(model.parameters(), lr=1e-3), "cuda")
    warmup = max(1, args.warmup) * batch
    run_epoch(step, images[:warmup], labels[:warmup], batch)  # compiles the kernels
    before = sum(cuda_kernels.launch_counts.values())
    run_epoch(step, images[:batch], labels[:batch], batch)
    steps = len(images) // batch
    result = {
        "steps": steps,
        "flops": 3 * lenet5_forward_flops(batch) * steps,  # forward, and backward's two products per layer
        "bytes": None,  # not the limit: see the launches
        "tinyconv_launches_per_step": sum(cuda_kernels.launch_counts.values()) - before,
        "tinyconv_ms": median_ms(
            lambda: run_epoch(step, images, labels, batch), cupy_clock(cupy), 0, args.epoch_repeats
        ),
        "torch_ms": None,
    }
    if torch_gpu_reason(torch) is None:
        from helpers import torch_lenet5

        reference = torch_lenet5(torch)
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
        reference.to("cuda")
        torch_optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3)

        def torch_step(x, y):
            logits = reference(torch.from_numpy(x).to("cuda"))
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y).to("cuda"))
            torch_optimizer.zero_grad()
            loss.backward()
            torch_optimizer.step()

        run_epoch(torch_step, images[:warmup], labels[:warmup], batch)
        result["torch_ms"] = median_ms(
            lambda: run_epoch(torch_step, images, labels, batch), torch_clock(torch), 0, args.epoch_repeats
        )
    return result


def cpu_epoch_ms(images, labels, batch: int) -> float:
    """tinyconv's epoch on the CPU, on this machine: the same model, optimizer and batches."""
    tinyconv.manual_seed(0)
    model = LeNet5()
    step = tinyconv_step(model, optim.Adam(model.parameters(), lr=1e-3), "cpu")
    run_epoch(step, images[: 3 * batch], labels[: 3 * batch], batch)
    start = time.perf_counter()
    run_epoch(step, images, labels, batch)
    return 1e3 * (time.perf_counter() - start)


# ------------------------------------------------------------------------------ the report
# Each table is a list of columns: a heading and how a row's cell is computed from its numbers.


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or denominator is None else numerator / denominator


GEMM_COLUMNS = [
    ("SGEMM", lambda r: r["name"]),
    ("M x N x K", lambda r: f"{r['m']}x{r['n']}x{r['k']}" + (f" x{r['batch']}" if r["batch"] > 1 else "")),
    ("GFLOP", lambda r: fmt(r["flops"] / 1e9, 2)),
    ("MB", lambda r: fmt(r["bytes"] / 1e6, 1)),
    ("tinyconv ms", lambda r: fmt(r["tinyconv_ms"])),
    ("cuBLAS ms", lambda r: fmt(r["cublas_ms"])),
    ("tinyconv TFLOP/s", lambda r: fmt(r["flops"] / r["tinyconv_ms"] / 1e9, 2)),
    ("cuBLAS TFLOP/s", lambda r: fmt(r["flops"] / r["cublas_ms"] / 1e9, 2)),
    ("of cuBLAS", lambda r: f"{100 * r['cublas_ms'] / r['tinyconv_ms']:.0f}%"),
    ("floor ms", lambda r: fmt(r["floor_ms"])),
    ("err", lambda r: f"{r['error']:.1e}"),
    ("cuBLAS err", lambda r: f"{r['cublas_error']:.1e}"),
]
CONV_COLUMNS = [
    ("conv2d", lambda r: f"{r['case']} {r['kind']}"),
    ("GFLOP", lambda r: fmt(r["flops"] / 1e9, 2)),
    ("fewest MB", lambda r: fmt(r["bytes"] / 1e6, 1)),
    ("tinyconv MB", lambda r: fmt(r["tinyconv_bytes"] / 1e6, 1)),
    ("tinyconv ms", lambda r: fmt(r["tinyconv_ms"])),
    ("cuDNN ms", lambda r: fmt(r["cudnn_ms"])),
    ("ratio", lambda r: fmt(ratio(r["tinyconv_ms"], r["cudnn_ms"]), 2)),
    ("floor ms", lambda r: fmt(r["floor_ms"])),
    ("err", lambda r: f"{r['error']:.1e}"),
]
TARGET_COLUMNS = [
    ("target", lambda r: r["target"]),
    ("measured", lambda r: fmt(r["measured"], 2)),
    ("goal", lambda r: r["goal"]),
    ("verdict", lambda r: r["verdict"]),
    ("GFLOP", lambda r: fmt(r["flops"] / 1e9, 1)),
    ("fewest MB", lambda r: fmt(r["bytes"] and r["bytes"] / 1e6, 1)),
    ("tinyconv ms", lambda r: fmt(r["tinyconv_ms"], 1)),
    ("floor ms", lambda r: fmt(r["floor_ms"])),
]


def error_summary(gemm_rows: list[dict], conv_rows: list[dict]) -> str:
    """The largest errors against float64, with a warning where they say something went wrong."""
    ours = max(r["error"] for r in gemm_rows + conv_rows)
    cublas = max(r["cublas_error"] for r in gemm_rows)
    line = f"largest relative error against float64: tinyconv {ours:.1e}, cuBLAS {cublas:.1e}"
    if ours > 1e-4:
        line += "; tinyconv's results are WRONG (run tests/backend/test_gpu.py)"
    if cublas > 5e-5:
        line += "; cuBLAS's are near TF32's 3e-4: TF32 was not off"
    return line


def table(columns: list, rows: list[dict]) -> str:
    return markdown_table(
        [heading for heading, _ in columns], [[cell(r) for _, cell in columns] for r in rows]
    )


def targets(gemms: list[dict], convs: list[dict], epoch: dict, cpu_epoch: tuple | None) -> list[dict]:
    """The issue's targets, each with what was measured and the work behind it."""
    squares = [r for r in gemms if r["name"].startswith("square") and r["m"] <= TARGET_SGEMM_SIZE]
    rows = []
    for r in squares[-1:]:  # 4096, or the largest below it in a smoke run
        share = ratio(r["cublas_ms"], r["tinyconv_ms"])
        rows.append(
            dict(
                r,
                target=f"SGEMM {r['m']}: cuBLAS time / tinyconv time",
                measured=share,
                goal=">= 0.60",
                verdict=verdict(share, 0.6, at_least=True),
            )
        )
    for r in convs:
        if r["case"] in ("VGG 3x3", "AlexNet conv1") and r["kind"] == "forward+backward":
            slower = ratio(r["tinyconv_ms"], r["cudnn_ms"])
            rows.append(
                dict(
                    r,
                    target=f"{r['case']} fwd+bwd: tinyconv time / cuDNN time",
                    measured=slower,
                    goal="<= 3",
                    verdict=verdict(slower, 3.0, at_least=False),
                )
            )
    # Per step, in case the CPU figure counts other steps (a smoke run's epoch is short).
    cpu_step_ms = cpu_epoch and cpu_epoch[1] / cpu_epoch[0]
    speedup = ratio(cpu_step_ms, epoch["tinyconv_ms"] / epoch["steps"])
    rows.append(
        dict(
            epoch,
            target="LeNet-5 epoch: CPU time / GPU time",
            measured=speedup,
            goal=">= 5",
            verdict=verdict(speedup, 5.0, at_least=True),
        )
    )
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per case (median reported)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls before each case")
    parser.add_argument("--epoch-repeats", type=int, default=3, help="timed epochs per side")
    parser.add_argument("--cpu-epoch", action="store_true", help="time tinyconv's CPU epoch here too")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the plumbing quickly")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)

    # TF32 off everywhere, before CuPy or PyTorch create a cuBLAS or cuDNN handle (see the docstring).
    os.environ["CUPY_TF32"] = "0"
    os.environ["NVIDIA_TF32_OVERRIDE"] = "0"
    os.environ.pop("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE", None)
    reason = tinyconv.cuda.unavailable_reason()
    if reason is not None:
        raise SystemExit(f"bench_gpu.py: no GPU to benchmark on: {reason}")
    cupy = tinyconv.cuda.require_gpu("bench_gpu.py")
    torch = import_torch()
    # Conv2d and Linear on kernels/gemm.cu, whatever the environment variable TINYCONV_MATMUL says.
    previous_matmul = set_gpu_matmul("tinyconv")
    try:
        results = run(cupy, torch, args)
    finally:
        set_gpu_matmul(previous_matmul)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def import_torch():
    """PyTorch with TF32 off and cuDNN's algorithm search on, or None if it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    return torch


def run(cupy, torch, args) -> dict:
    """Every benchmark, then the tables; returns every number."""
    gpu = describe_gpu(cupy)
    torch_note = (
        torch_gpu_reason(torch) or f"PyTorch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}"
    )
    print(
        f"{time.strftime('%Y-%m-%d')}: {gpu['name']}, {gpu['multiprocessors']} SMs, "
        f"L2 {gpu['l2_bytes'] >> 20} MiB, CUDA runtime {gpu['cuda_runtime']}, CuPy {gpu['cupy']} "
        f"(float32 compute type {gpu['cublas_compute_type']}); {torch_note}"
    )
    if args.smoke:
        print("smoke run: tiny sizes, so the times and verdicts below mean nothing")
    rng = np.random.default_rng(0)

    bandwidth = measure_bandwidth(cupy, 2**14 if args.smoke else 2**28, args.warmup, args.repeats)
    cases = {name: smoke_case(case) if args.smoke else case for name, case in CONV_CASES.items()}
    gemms = [
        Gemm(f"square {size}", 1, size, size, size) for size in ((64, 130) if args.smoke else SQUARE_SIZES)
    ]
    gemms += [gemm for name, case in cases.items() for gemm in conv_gemms(name, case)]
    gemm_rows = [bench_gemm(cupy, gemm, gpu, args, rng) for gemm in gemms]
    conv_rows = [
        row for name, case in cases.items() for row in bench_conv(cupy, torch, name, case, gpu, args, rng)
    ]

    batch = 2 if args.smoke else EPOCH_BATCH
    images, labels, data_note = mnist_or_random(2 * batch if args.smoke else 60000, rng)
    epoch = bench_epoch(cupy, torch, images, labels, batch, args)
    if args.cpu_epoch:
        cpu_epoch = (epoch["steps"], cpu_epoch_ms(images, labels, batch))
        cpu_note = "measured here (--cpu-epoch)"
    else:
        cpu_epoch = recorded_cpu_epoch((ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8"))
        cpu_note = "recorded in docs/benchmarks.md, on another machine" if cpu_epoch else "none recorded"

    # The floors: arithmetic at cuBLAS's best square SGEMM rate, traffic at the copy's bandwidth.
    peak_flops = max(r["flops"] / (r["cublas_ms"] / 1e3) for r in gemm_rows if r["name"].startswith("square"))
    for r in gemm_rows + conv_rows + [epoch]:
        r["floor_ms"] = floor_ms(r["flops"], r["bytes"] or 0, peak_flops, bandwidth)
    print(
        f"\npeaks measured here: copy {bandwidth / 1e9:.0f} GB/s (bytes read + written), cuBLAS SGEMM "
        f"{peak_flops / 1e12:.1f} TFLOP/s; floor ms = max(FLOP / peak, fewest bytes / bandwidth)"
    )
    print("\n" + table(GEMM_COLUMNS, gemm_rows))
    print("\n" + table(CONV_COLUMNS, conv_rows))
    print(error_summary(gemm_rows, conv_rows))
    if torch_gpu_reason(torch):
        print(f"(no cuDNN column: {torch_gpu_reason(torch)})")
    print(
        f"\nLeNet-5 epoch: {epoch['steps']} Adam steps of batch {batch} on {data_note}, each batch moved "
        f"to the GPU as it is used; tinyconv {fmt(epoch['tinyconv_ms'], 1)} ms "
        f"({epoch['tinyconv_launches_per_step']} launches of tinyconv's kernels a step, CuPy's own not "
        f"counted), PyTorch {fmt(epoch['torch_ms'], 1)} ms; tinyconv's CPU epoch "
        f"{fmt(cpu_epoch and cpu_epoch[1], 1)} ms ({cpu_note})"
    )
    print("\nTargets (issue 5), with the work behind each and its floor at the peaks above")
    print(table(TARGET_COLUMNS, targets(gemm_rows, conv_rows, epoch, cpu_epoch)))
    return {
        "gpu": gpu,
        "peaks": {"flops_per_s": peak_flops, "bytes_per_s": bandwidth},
        "gemm": gemm_rows,
        "conv": conv_rows,
        "epoch": epoch,
        "cpu_epoch": cpu_epoch,
        "data": data_note,
        "smoke": args.smoke,
    }


if __name__ == "__main__":
    main()
