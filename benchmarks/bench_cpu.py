"""CPU benchmark: tinyconv against PyTorch on the same work, in the same run.

    MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 python benchmarks/bench_cpu.py

Times (median over repeated runs, after warm-up):
  conv2d forward, and forward + backward (gradients for input, weight and bias), at
      LeNet C1   N=64, 1 -> 6,   28x28, 5x5, padding 2
      LeNet C3   N=64, 6 -> 16,  14x14, 5x5
      VGG 3x3    N=32, 64 -> 64, 32x32, 3x3, padding 1
  conv_transpose2d forward, and forward + backward, at a DCGAN generator's layer
      N=64, 128 -> 64, 7x7 -> 14x14, 4x4, stride 2, padding 1
  max_pool2d 2x2 forward + backward at LeNet's two pooling shapes,
  roi_align forward + backward, N=2, C=256, 50x50, K=128 boxes, 7x7, against torchvision.ops.roi_align
      where torchvision imports (its time in the torch column),
  one LeNet-5 training step (batch 64, Adam), and, with --epoch, one full MNIST training epoch
  (data in memory, the same model, batch size and optimizer on both sides),
  one GAN training step of demos/gan_mnist.py (the discriminator's update, then the generator's;
      DCGAN width 32, latent 64, batch 64, Adam at 1e-3 with beta1 0.5), the same weights on both sides,
  DenseNet-121's forward in eval mode, batch 8, 224x224 (the same weights on both sides),
  MultiheadAttention forward + backward and a TransformerEncoderLayer forward + backward
      N=64, L=50, E=128, 4 heads (feed-forward 512, dropout 0), the same weights on both sides,
  one training step of demos/vit_mnist.py's ViT (7x7 patches, 4 blocks of width 64, 4 heads, MLP 128;
      batch 128, AdamW), the same weights on both sides.

PyTorch runs with torch.set_num_threads equal to the BLAS threads NumPy uses; the two are timed in
alternating blocks (see time_in_blocks), so that a noisy neighbour slows both. Why the malloc
variables: glibc returns large freed blocks to the OS after every step, and the page faults of
getting them back make timings bimodal; the variables keep freed memory in the process. The output
says which setting was used.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

import tinyconv
import tinyconv.functional as F
from tinyconv import optim
from tinyconv.models import DCGANDiscriminator, DCGANGenerator, LeNet5, VisionTransformer, densenet121

try:
    import torch
except ImportError:  # the comparison is optional; tinyconv's own times are still printed
    torch = None

# The PyTorch LeNet-5 that the tests compare against: one definition, shared.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from helpers import torch_lenet5  # noqa: E402
from helpers.torch_checks import torch_vit  # noqa: E402
from helpers.torch_dcgan import torch_dcgan  # noqa: E402
from helpers.torch_densenet import torch_densenet  # noqa: E402

CONV_CASES = {
    "conv LeNet C1": dict(n=64, c_in=1, c_out=6, size=28, kernel=5, padding=2),
    "conv LeNet C3": dict(n=64, c_in=6, c_out=16, size=14, kernel=5, padding=0),
    "conv VGG 3x3": dict(n=32, c_in=64, c_out=64, size=32, kernel=3, padding=1),
}
POOL_CASES = {"max_pool 2x2 after C1": (64, 6, 28, 28), "max_pool 2x2 after C3": (64, 16, 10, 10)}


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses: its environment variables, else every core."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name):
            return int(os.environ[name])
    return os.cpu_count() or 1


def cpu_busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine from /proc/stat, in clock ticks."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def time_in_blocks(functions: dict, repeats: int, blocks: int = 3, warmup: int = 3) -> dict:
    """Median seconds per call of each function, timed in alternating blocks of consecutive calls.

    Blocks rather than a, b, a, b: after each call, OpenBLAS's and PyTorch's worker threads spin for
    a while waiting for more work, and with strict alternation each side's spinning threads steal
    the other's cores (measured here: PyTorch's LeNet step looked 2.7x slower than it is). Several
    blocks per side, alternating, still let a noisy neighbour slow both sides alike.
    """
    samples = {name: [] for name in functions}
    per_block = max(1, repeats // blocks)
    for _ in range(blocks):
        for name, function in functions.items():
            for _ in range(warmup):
                function()
            for _ in range(per_block):
                start = time.perf_counter()
                function()
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


# ------------------------------------------------------------------------------------ the work
def conv_functions(case: dict, rng) -> dict:
    """Forward and forward+backward closures for tinyconv and (if present) PyTorch."""
    x = rng.standard_normal((case["n"], case["c_in"], case["size"], case["size"])).astype(np.float32)
    w = rng.standard_normal((case["c_out"], case["c_in"], case["kernel"], case["kernel"])).astype(np.float32)
    b = rng.standard_normal(case["c_out"]).astype(np.float32)
    out_size = case["size"] + 2 * case["padding"] - case["kernel"] + 1
    g = rng.standard_normal((case["n"], case["c_out"], out_size, out_size)).astype(np.float32)
    pad = case["padding"]
    tx, tw, tb = (tinyconv.Tensor(a, requires_grad=True) for a in (x, w, b))

    def tc_forward():
        with tinyconv.no_grad():
            F.conv2d(tx, tw, tb, padding=pad)

    def tc_backward():
        tx.grad = tw.grad = tb.grad = None
        F.conv2d(tx, tw, tb, padding=pad).backward(g)

    functions = {"forward": {"tinyconv": tc_forward}, "forward+backward": {"tinyconv": tc_backward}}
    if torch is not None:
        px, pw, pb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
        pg = torch.from_numpy(g)

        def torch_forward():
            with torch.no_grad():
                torch.nn.functional.conv2d(px, pw, pb, padding=pad)

        def torch_backward():
            px.grad = pw.grad = pb.grad = None
            torch.nn.functional.conv2d(px, pw, pb, padding=pad).backward(pg)

        functions["forward"]["torch"] = torch_forward
        functions["forward+backward"]["torch"] = torch_backward
    return functions


# A DCGAN generator's upsampling layer: 128 maps of 7x7 become 64 maps of 14x14 ((7 - 1) * 2 - 2 + 4 = 14).
CONV_TRANSPOSE_CASE = dict(n=64, c_in=128, c_out=64, size=7, kernel=4, stride=2, padding=1)


def conv_transpose_functions(rng) -> dict:
    """conv_transpose2d forward and forward+backward closures for tinyconv and (if present) PyTorch, at
    CONV_TRANSPOSE_CASE; the weight in PyTorch's layout (C_in, C_out, kH, kW) on both sides."""
    case = CONV_TRANSPOSE_CASE
    x = rng.standard_normal((case["n"], case["c_in"], case["size"], case["size"])).astype(np.float32)
    w = rng.standard_normal((case["c_in"], case["c_out"], case["kernel"], case["kernel"])).astype(np.float32)
    b = rng.standard_normal(case["c_out"]).astype(np.float32)
    out_size = (case["size"] - 1) * case["stride"] - 2 * case["padding"] + case["kernel"]
    g = rng.standard_normal((case["n"], case["c_out"], out_size, out_size)).astype(np.float32)
    stride, pad = case["stride"], case["padding"]
    tx, tw, tb = (tinyconv.Tensor(a, requires_grad=True) for a in (x, w, b))

    def tc_forward():
        with tinyconv.no_grad():
            F.conv_transpose2d(tx, tw, tb, stride=stride, padding=pad)

    def tc_backward():
        tx.grad = tw.grad = tb.grad = None
        F.conv_transpose2d(tx, tw, tb, stride=stride, padding=pad).backward(g)

    functions = {"forward": {"tinyconv": tc_forward}, "forward+backward": {"tinyconv": tc_backward}}
    if torch is not None:
        px, pw, pb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
        pg = torch.from_numpy(g)

        def torch_forward():
            with torch.no_grad():
                torch.nn.functional.conv_transpose2d(px, pw, pb, stride=stride, padding=pad)

        def torch_backward():
            px.grad = pw.grad = pb.grad = None
            torch.nn.functional.conv_transpose2d(px, pw, pb, stride=stride, padding=pad).backward(pg)

        functions["forward"]["torch"] = torch_forward
        functions["forward+backward"]["torch"] = torch_backward
    return functions


def pool_functions(shape: tuple, rng) -> dict:
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(np.float32)
    tx = tinyconv.Tensor(x, requires_grad=True)

    def tc_pool():
        tx.grad = None
        F.max_pool2d(tx, 2).backward(g)

    functions = {"tinyconv": tc_pool}
    if torch is not None:
        px, pg = torch.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(g)

        def torch_pool():
            px.grad = None
            torch.nn.functional.max_pool2d(px, 2).backward(pg)

        functions["torch"] = torch_pool
    return functions


def classifier_step_functions(model, optimizer, torch_side, images, labels, batch_size: int) -> dict:
    """One cross-entropy training step per call, cycling through the given batches, on both sides.

    torch_side() builds the PyTorch twin and its optimizer, (reference, torch_optimizer); the twin is
    given tinyconv's weights, so that both sides start from the same point.
    """
    batches = len(images) // batch_size
    position = {"tinyconv": 0, "torch": 0}

    def next_batch(side):
        start = (position[side] % batches) * batch_size
        position[side] += 1
        return images[start : start + batch_size], labels[start : start + batch_size]

    def tc_step():
        x, y = next_batch("tinyconv")
        loss = F.cross_entropy(model(tinyconv.Tensor(x)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    functions = {"tinyconv": tc_step}
    if torch is not None:
        reference, torch_optimizer = torch_side()
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})

        def torch_step():
            x, y = next_batch("torch")
            loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(y))
            torch_optimizer.zero_grad()
            loss.backward()
            torch_optimizer.step()

        functions["torch"] = torch_step
    return functions


def lenet_step_functions(images: np.ndarray, labels: np.ndarray, batch_size: int) -> dict:
    """One Adam training step of LeNet-5 per call, on both sides."""
    model = LeNet5()

    def torch_side():
        reference = torch_lenet5(torch)
        return reference, torch.optim.Adam(reference.parameters(), lr=1e-3)

    return classifier_step_functions(
        model, optim.Adam(model.parameters(), lr=1e-3), torch_side, images, labels, batch_size
    )


ATTENTION_CASE = dict(n=64, length=50, width=128, heads=4, feed_forward=512)


def attention_functions(module_name: str, rng) -> dict:
    """Forward + backward of nn.MultiheadAttention or nn.TransformerEncoderLayer (batch first) on both
    sides, with torch's weights copied into tinyconv's module."""
    case = ATTENTION_CASE
    x = rng.standard_normal((case["n"], case["length"], case["width"])).astype(np.float32)
    if module_name == "MultiheadAttention":
        ours = tinyconv.nn.MultiheadAttention(case["width"], case["heads"], batch_first=True)
    else:
        ours = tinyconv.nn.TransformerEncoderLayer(
            case["width"], case["heads"], case["feed_forward"], dropout=0.0, batch_first=True
        )

    def run(module, tensor):
        if module_name == "MultiheadAttention":
            return module(tensor, tensor, tensor, need_weights=False)[0]
        return module(tensor)

    tx = tinyconv.Tensor(x, requires_grad=True)

    def tc_step():
        tx.grad = None
        run(ours, tx).sum().backward()

    functions = {"tinyconv": tc_step}
    if torch is not None:
        if module_name == "MultiheadAttention":
            theirs = torch.nn.MultiheadAttention(case["width"], case["heads"], batch_first=True)
        else:
            theirs = torch.nn.TransformerEncoderLayer(
                case["width"], case["heads"], case["feed_forward"], dropout=0.0, batch_first=True
            )
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
        px = torch.from_numpy(x.copy()).requires_grad_()

        def torch_step():
            px.grad = None
            run(theirs, px).sum().backward()

        functions["torch"] = torch_step
    return functions


# demos/vit_mnist.py's default ViT and batch size, for 1-channel 28 x 28 images and 10 classes
VIT_CASE = dict(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128)
VIT_BATCH = 128


def vit_step_functions(images: np.ndarray, labels: np.ndarray) -> dict:
    """One training step of the demo's ViT per call (AdamW, cross-entropy), on both sides."""
    model = VisionTransformer(**VIT_CASE, num_classes=10, in_channels=1)

    def torch_side():
        reference = torch_vit(torch, *VIT_CASE.values(), num_classes=10, in_channels=1)
        return reference, torch.optim.AdamW(reference.parameters(), lr=1e-3, weight_decay=0.05)

    optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    return classifier_step_functions(model, optimizer, torch_side, images, labels, VIT_BATCH)


# demos/gan_mnist.py's default networks and batch size
GAN_LATENT, GAN_WIDTH, GAN_BATCH = 64, 32, 64


def gan_step_functions(rng) -> dict:
    """One GAN training step of demos/gan_mnist.py per call (the discriminator's update, then the
    generator's: two Adams with beta1 = 0.5, BCE with logits), DCGAN width 32, latent 64, batch 64, on both
    sides; torch's networks start from tinyconv's weights and see the same images and noise."""
    generator, discriminator = DCGANGenerator(GAN_LATENT, GAN_WIDTH), DCGANDiscriminator(GAN_WIDTH)
    real = rng.uniform(-1, 1, (GAN_BATCH, 1, 28, 28)).astype(np.float32)
    noise = rng.standard_normal((GAN_BATCH, GAN_LATENT)).astype(np.float32)
    real_label, fake_label = np.ones((GAN_BATCH, 1), np.float32), np.zeros((GAN_BATCH, 1), np.float32)
    g_optimizer = optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
    d_optimizer = optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))

    def tc_step():
        bce = F.binary_cross_entropy_with_logits
        fake = generator(tinyconv.Tensor(noise))
        loss_d = bce(discriminator(tinyconv.Tensor(real)), real_label)
        loss_d = loss_d + bce(discriminator(fake.detach()), fake_label)
        d_optimizer.zero_grad()
        loss_d.backward()
        d_optimizer.step()
        loss_g = bce(discriminator(fake), real_label)
        g_optimizer.zero_grad()
        loss_g.backward()
        g_optimizer.step()

    functions = {"tinyconv": tc_step}
    if torch is not None:
        torch_generator, torch_discriminator = torch_dcgan(torch, GAN_LATENT, GAN_WIDTH)
        for reference, model in ((torch_generator, generator), (torch_discriminator, discriminator)):
            reference.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
        torch_g_optimizer = torch.optim.Adam(torch_generator.parameters(), lr=1e-3, betas=(0.5, 0.999))
        torch_d_optimizer = torch.optim.Adam(torch_discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999))
        ones, zeros = torch.from_numpy(real_label), torch.from_numpy(fake_label)

        def torch_step():
            bce = torch.nn.functional.binary_cross_entropy_with_logits
            fake = torch_generator(torch.from_numpy(noise))
            loss_d = bce(torch_discriminator(torch.from_numpy(real)), ones)
            loss_d = loss_d + bce(torch_discriminator(fake.detach()), zeros)
            torch_d_optimizer.zero_grad()
            loss_d.backward()
            torch_d_optimizer.step()
            loss_g = bce(torch_discriminator(fake), ones)
            torch_g_optimizer.zero_grad()
            loss_g.backward()
            torch_g_optimizer.step()

        functions["torch"] = torch_step
    return functions


def densenet121_forward_functions(rng) -> dict:
    """DenseNet-121's forward without a graph, in eval mode, on a batch of 8 images of 224x224, on both
    sides; torch's DenseNet (torchvision's, written with torch.nn) starts from tinyconv's weights."""
    model = densenet121().eval()
    images = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
    x = tinyconv.Tensor(images)

    def tc_forward():
        with tinyconv.no_grad():
            model(x)

    functions = {"tinyconv": tc_forward}
    if torch is not None:
        reference = torch_densenet(torch, 32, (6, 12, 24, 16), 64).eval()
        reference.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
        px = torch.from_numpy(images)

        def torch_forward():
            with torch.no_grad():
                reference(px)

        functions["torch"] = torch_forward
    return functions


# Fast R-CNN's RoI head after a stride-16 backbone on an 800 x 800 image: a 50 x 50 map of 256 channels and
# 128 proposals of 32 to 480 pixels, each cut to 7 x 7 with 2 x 2 samples per bin (torchvision's Faster R-CNN)
ROI_ALIGN_CASE = dict(n=2, channels=256, size=50, boxes=128, output=7, spatial_scale=1 / 16, sampling_ratio=2)


def roi_align_functions(rng) -> dict:
    """roi_align forward + backward at ROI_ALIGN_CASE for tinyconv and, where torchvision imports,
    torchvision.ops.roi_align, on the same feature maps, boxes and upstream gradient."""
    case = ROI_ALIGN_CASE
    count, channels, size, out = case["boxes"], case["channels"], case["size"], case["output"]
    x = rng.standard_normal((case["n"], channels, size, size)).astype(np.float32)
    corner = rng.uniform(0, 640, size=(count, 2))
    far_corner = np.minimum(corner + rng.uniform(32, 480, size=(count, 2)), 800)
    boxes = np.concatenate([rng.integers(0, case["n"], size=(count, 1)), corner, far_corner], axis=1)
    boxes = boxes.astype(np.float32)
    g = rng.standard_normal((count, channels, out, out)).astype(np.float32)
    arguments = dict(output_size=out, spatial_scale=case["spatial_scale"])
    arguments["sampling_ratio"] = case["sampling_ratio"]
    tx = tinyconv.Tensor(x, requires_grad=True)

    def tc_step():
        tx.grad = None
        F.roi_align(tx, boxes, **arguments).backward(g)

    functions = {"tinyconv": tc_step}
    try:
        from torchvision.ops import roi_align
    except ImportError:  # PyTorch alone, or neither: tinyconv's time only
        return functions
    px, pboxes, pg = torch.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(boxes), torch.from_numpy(g)

    def torch_step():
        px.grad = None
        roi_align(px, pboxes, **arguments).backward(pg)

    functions["torch"] = torch_step
    return functions


def mnist_in_memory():
    """The normalized MNIST training set as arrays, or None when the files are not available."""
    from tinyconv.data import MNIST, DatasetError

    try:
        train = MNIST(train=True, download=False)
    except DatasetError as error:
        print(f"(no MNIST for the epoch benchmark: {str(error).splitlines()[0]})")
        return None
    return train[np.arange(len(train))]


# ------------------------------------------------------------------------------------ reporting
def row(name: str, times: dict, target: float | None) -> str:
    mine = times["tinyconv"] * 1e3
    if "torch" not in times:
        return f"| {name:34s} | {mine:10.3f} | {'-':>10s} | {'-':>6s} | {'-':>6s} |"
    theirs = times["torch"] * 1e3
    ratio = mine / theirs
    verdict = "-" if target is None else ("ok" if ratio <= target else "MISS")
    return f"| {name:34s} | {mine:10.3f} | {theirs:10.3f} | {ratio:6.2f} | {verdict:>6s} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per case (median reported)")
    parser.add_argument("--epoch", action="store_true", help="also time one full MNIST epoch on each side")
    args = parser.parse_args()

    threads = blas_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    malloc = {k: os.environ.get(k, "unset") for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    print(
        f"date {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, NumPy {np.__version__} with {threads} BLAS threads, "
        f"PyTorch {torch.__version__ if torch else 'not installed'}"
    )
    print("malloc: " + ", ".join(f"{k}={v}" for k, v in malloc.items()))

    rng = np.random.default_rng(0)
    tinyconv.manual_seed(0)
    busy_before, total_before = cpu_busy_jiffies()
    own_before = sum(os.times()[:2])
    wall_before = time.perf_counter()

    lines = []
    for name, case in CONV_CASES.items():
        repeats = max(5, args.repeats // 3) if case["c_in"] > 16 else args.repeats
        for kind, functions in conv_functions(case, rng).items():
            target = 2.0 if kind == "forward+backward" else None
            lines.append(row(f"{name} {kind}", time_in_blocks(functions, repeats), target))
    for kind, functions in conv_transpose_functions(rng).items():
        times = time_in_blocks(functions, max(5, args.repeats // 3))
        lines.append(row(f"conv_transpose DCGAN {kind.replace('forward+backward', 'fwd+bwd')}", times, 2.0))
    for name, shape in POOL_CASES.items():
        lines.append(row(f"{name} fwd+bwd", time_in_blocks(pool_functions(shape, rng), args.repeats), None))

    data = mnist_in_memory()
    if data is None:
        images = rng.standard_normal((6400, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, 6400)
    else:
        images, labels = data
    step_functions = lenet_step_functions(images, labels, 64)
    lines.append(
        row("LeNet-5 training step (batch 64)", time_in_blocks(step_functions, 10 * args.repeats), 2.0)
    )
    if args.epoch and data is not None:
        steps = len(images) // 64
        epoch_functions = {
            side: (lambda f=function: [f() for _ in range(steps)])
            for side, function in step_functions.items()
        }
        lines.append(
            row(
                f"LeNet-5 epoch ({steps} steps), ms",
                time_in_blocks(epoch_functions, 2, blocks=2, warmup=0),
                2.0,
            )
        )

    densenet_times = time_in_blocks(densenet121_forward_functions(rng), repeats=3, warmup=1)
    lines.append(row("DenseNet-121 fwd, batch 8, 224x224", densenet_times, 2.0))
    for module_name in ("MultiheadAttention", "TransformerEncoderLayer"):
        functions = attention_functions(module_name, rng)
        lines.append(row(f"{module_name} fwd+bwd", time_in_blocks(functions, args.repeats), 2.0))
    lines.append(row("roi_align fwd+bwd", time_in_blocks(roi_align_functions(rng), args.repeats), 3.0))
    gan_times = time_in_blocks(gan_step_functions(rng), args.repeats)
    lines.append(row(f"GAN demo training step, D + G (batch {GAN_BATCH})", gan_times, 2.0))
    vit_functions = vit_step_functions(images, labels)
    lines.append(
        row(f"ViT demo training step (batch {VIT_BATCH})", time_in_blocks(vit_functions, args.repeats), 2.0)
    )

    wall = time.perf_counter() - wall_before
    busy_after, total_after = cpu_busy_jiffies()
    ticks = os.sysconf("SC_CLK_TCK")
    others = ((busy_after - busy_before) / ticks - (sum(os.times()[:2]) - own_before)) / wall
    print()
    print(f"| {'case':34s} | {'tinyconv':>10s} | {'torch':>10s} | {'ratio':>6s} | {'<=2x':>6s} |")
    print(f"|{'-' * 36}|{'-' * 12}|{'-' * 12}|{'-' * 8}|{'-' * 8}|")
    print("\n".join(lines))
    print(
        f"\ntimes in ms (median); other processes used {max(others, 0):.2f} cores on average during the run"
    )


if __name__ == "__main__":
    main()
