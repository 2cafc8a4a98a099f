"""Memory of a DenseNet's training step against its depth, with memory_efficient off and on.

    python benchmarks/densenet_memory.py                 # the table in docs/densenet.md
    python benchmarks/densenet_memory.py --depths 6 12   # other depths; --no-densenet121 to skip it

Each row is one dense block of L layers as in DenseNet-121's first block (64 channels in, growth rate
32, bottleneck 128), on a batch of 8 maps of 16x16, float32; the last row is all of DenseNet-121 on a
batch of 8 images of 224x224. For each, one forward and backward of the sum of the output (block) or
of the cross-entropy (network), in training mode, and two figures, from tracemalloc:

    held after forward   the memory the forward allocated that is still alive when it returns: what the
                         graph keeps for backward (and the output itself)
    peak                 the highest total during forward + backward, above what existed before

NumPy reports every array it allocates to tracemalloc, so the figures count the arrays (and the Python
objects) of this process alone, whatever else runs on the machine and whatever the allocator caches.
The seconds are the CPU time of a second forward and backward, run without tracemalloc, summed over
the process's threads: the work done, which a busy machine stretches less than the wall-clock time
(the load is printed at the end).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np

import tinyconv
import tinyconv.functional as F
from tinyconv.models import DenseBlock, densenet121

MIB = 2**20


def measure(model, x: tinyconv.Tensor, loss_of) -> tuple:
    """(held after forward, peak, CPU seconds) of a forward and backward of loss_of(model(x)): the bytes
    from one pass under tracemalloc, the seconds from a second pass without it (tracing slows Python)."""
    tracemalloc.start()
    try:
        start_bytes = tracemalloc.get_traced_memory()[0]
        out = model(x)
        held = tracemalloc.get_traced_memory()[0] - start_bytes
        loss_of(out).backward()
        peak = tracemalloc.get_traced_memory()[1] - start_bytes
    finally:
        tracemalloc.stop()
    del out
    start = time.process_time()
    loss_of(model(x)).backward()
    return held, peak, time.process_time() - start


def block_row(depth: int, memory_efficient: bool) -> tuple:
    tinyconv.manual_seed(0)
    block = DenseBlock(depth, 64, bn_size=4, growth_rate=32, drop_rate=0, memory_efficient=memory_efficient)
    x = tinyconv.randn(8, 64, 16, 16, requires_grad=True)
    return measure(block, x, lambda out: out.sum())


def densenet121_row(memory_efficient: bool) -> tuple:
    tinyconv.manual_seed(0)
    model = densenet121(memory_efficient=memory_efficient)
    images = tinyconv.randn(8, 3, 224, 224)
    labels = np.arange(8)
    return measure(model, images, lambda logits: F.cross_entropy(logits, labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[6, 12, 24, 48], help="layers per block")
    parser.add_argument(
        "--densenet121", action=argparse.BooleanOptionalAction, default=True, help="also all of DenseNet-121"
    )
    args = parser.parse_args()
    cases = [(f"block of {depth} layers", lambda me, d=depth: block_row(d, me)) for depth in args.depths]
    if args.densenet121:
        cases.append(("DenseNet-121, batch 8, 224x224", densenet121_row))

    print(
        f"date {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, NumPy {np.__version__}; memory in MiB\n"
    )
    columns = ["network", "held, plain", "held, efficient", "ratio", "peak, plain", "peak, efficient"]
    columns += ["CPU s, plain", "CPU s, efficient"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("-" * (len(column) + 2) for column in columns) + "|")
    for name, run in cases:
        (held, peak, seconds), (held_e, peak_e, seconds_e) = run(False), run(True)
        cells = [f"{held / MIB:.1f}", f"{held_e / MIB:.1f}", f"{held / held_e:.1f}x", f"{peak / MIB:.1f}"]
        cells += [f"{peak_e / MIB:.1f}", f"{seconds:.2f}", f"{seconds_e:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nload average (1, 5, 15 minutes) at the end: {' '.join(map(str, os.getloadavg()))}")


if __name__ == "__main__":
    main()
