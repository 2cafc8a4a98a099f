"""Run kernels/*.cu on the CPU, through a stand-in for CuPy, so the GPU path executes without a GPU.

This is test equipment, not a GPU. Each .cu file is compiled by g++ as C++ with a small header that
plays CUDA's part: `blockIdx` and `threadIdx` are global variables set before each thread runs,
`__shared__` memory is a static array shared by the threads of the one block that runs at a time, and
in a kernel that synchronizes, the threads of a block are fibers (coroutines) that hand over to each
other at every `__syncthreads()`, so that all of them reach a barrier before any passes it. A missing
barrier then shows, every time, as a wrong answer (tests/backend/test_cuda_emulated.py checks that it does).

`FakeCupy` stands in for the `cupy` module: its arrays are NumPy arrays of a distinct type
(`FakeDeviceArray`), so `get_array_module` tells them apart and tinyconv routes them to its CUDA
backend, whose launchers then run unchanged. It offers only the names that the oldest CuPy tinyconv
supports has (CuPy 12, listed in cupy12_names.txt beside this file): a NumPy function that CuPy lacks
(`put_along_axis`, which CuPy has only from v14) fails here as it would on a GPU, instead of quietly
running NumPy's. Each launch is checked against the kernel's C signature
(the number of arguments, a pointer for each array of the right element type, `numpy.int32` for each
`int`, the right float type for each `scalar_t`), which is what real CuPy needs and cannot check.

What this shows: the kernels' index arithmetic, bounds, tiling, barriers and gathers, and the
launchers' shapes, strides and arguments, compute the same numbers as the NumPy twins. What it cannot
show: anything about the real GPU (NVRTC, the memory model, warps, speed). test_gpu.py does that.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import types
from pathlib import Path

import numpy

HEADER = r"""
#include <ucontext.h>
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>
using std::isnan; using std::max; using std::min; using std::pow;
struct uint3 { unsigned int x, y, z; };
uint3 threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __shared__ static

// The threads of a block that synchronizes run as fibers (coroutines) on one OS thread: each runs
// until its next __syncthreads(), then hands over to the next, so every thread reaches a barrier
// before any passes it. A missing barrier lets a thread run ahead of data the others have not
// written yet, and the numbers come out wrong: the same thing every run.
static ucontext_t scheduler;
static std::vector<ucontext_t> fibers;
static std::vector<std::vector<char>> stacks;
static std::vector<bool> finished;
static unsigned current;
static const std::function<void()>* fiber_job;

inline void __syncthreads() { swapcontext(&fibers[current], &scheduler); }

static void fiber_entry() {
    (*fiber_job)();
    finished[current] = true;  // returning resumes the scheduler (uc_link)
}

static void run_block_as_fibers(unsigned threads, const std::function<void()>& thread) {
    fibers.resize(threads);
    stacks.resize(threads);
    finished.assign(threads, false);
    fiber_job = &thread;
    for (unsigned t = 0; t < threads; ++t) {
        stacks[t].resize(1 << 16);
        getcontext(&fibers[t]);
        fibers[t].uc_stack.ss_sp = stacks[t].data();
        fibers[t].uc_stack.ss_size = stacks[t].size();
        fibers[t].uc_link = &scheduler;
        makecontext(&fibers[t], fiber_entry, 0);
    }
    for (bool running = true; running;) {  // one round: every thread up to its next barrier
        running = false;
        for (unsigned t = 0; t < threads; ++t) {
            if (finished[t]) continue;
            current = t;
            threadIdx = {t, 0, 0};
            swapcontext(&scheduler, &fibers[t]);
            running = running || !finished[t];
        }
    }
}

// Run `thread` for every thread of every block, one block at a time (so `static` is block-shared).
static void run_grid(unsigned gx, unsigned gy, unsigned gz, unsigned threads, bool synchronizes,
                     const std::function<void()>& thread) {
    gridDim = {gx, gy, gz};
    blockDim = {threads, 1, 1};
    for (unsigned z = 0; z < gz; ++z)
        for (unsigned y = 0; y < gy; ++y)
            for (unsigned x = 0; x < gx; ++x) {
                blockIdx = {x, y, z};
                if (synchronizes) {
                    run_block_as_fibers(threads, thread);
                    continue;
                }
                for (unsigned t = 0; t < threads; ++t) {
                    threadIdx = {t, 0, 0};
                    thread();
                }
            }
}
"""

# One entry point per kernel, generated from its signature: unpacks the arguments and runs the grid.
LAUNCHER = """
extern "C" void emulate_{name}(unsigned gx, unsigned gy, unsigned gz, unsigned threads, int synchronizes,
                              void** args) {{
    run_grid(gx, gy, gz, threads, synchronizes, [&] {{ {name}({arguments}); }});
}}
"""

SCALARS = {"float": numpy.float32, "double": numpy.float64}
CTYPES = {numpy.dtype(numpy.int32): ctypes.c_int, numpy.dtype(numpy.float32): ctypes.c_float}
CTYPES[numpy.dtype(numpy.float64)] = ctypes.c_double
KERNEL_SIGNATURE = re.compile(r'extern "C" __global__ void (\w+)\((.*?)\)', flags=re.S)


def compiler_available() -> bool:
    return shutil.which("g++") is not None


class FakeDeviceArray(numpy.ndarray):
    """An array in the emulator's "device memory": NumPy memory, but not a plain numpy.ndarray."""

    def get(self) -> numpy.ndarray:
        """A host copy, as `cupy.ndarray.get()`."""
        return numpy.array(self, copy=True).view(numpy.ndarray)


def to_device(value):
    """Views of NumPy arrays in the result as FakeDeviceArray; everything else unchanged."""
    if isinstance(value, numpy.ndarray) and not isinstance(value, FakeDeviceArray):
        return value.view(FakeDeviceArray)
    if isinstance(value, tuple):
        return tuple(to_device(v) for v in value)
    return value


class Signature:
    """The parameters of one extern "C" kernel: for each, 'pointer' or 'value', and its element type."""

    def __init__(self, name: str, parameters: str, scalar: str):
        self.name = name
        self.kinds = []
        self.c_types = []
        for parameter in parameters.split(","):
            self.c_types.append(re.fullmatch(r"\s*(.*?)\s*\w+\s*", parameter, flags=re.S).group(1))
            words = parameter.replace("*", " * ").split()
            base = next(w for w in words if w in ("scalar_t", "int", "float", "double"))
            dtype = numpy.dtype(
                numpy.int32 if base == "int" else SCALARS[scalar if base == "scalar_t" else base]
            )
            self.kinds.append(("pointer" if "*" in words else "value", dtype))

    def launcher_source(self) -> str:
        arguments = ", ".join(
            f"*reinterpret_cast<{c_type}*>(args[{i}])" for i, c_type in enumerate(self.c_types)
        )
        return LAUNCHER.format(name=self.name, arguments=arguments)

    def ctypes_arguments(self, args) -> list:
        if len(args) != len(self.kinds):
            raise TypeError(f"{self.name}: {len(args)} arguments for {len(self.kinds)} parameters")
        converted = []
        for position, (arg, (kind, dtype)) in enumerate(zip(args, self.kinds)):
            where = f"{self.name}: argument {position}"
            if kind == "pointer":
                if not isinstance(arg, FakeDeviceArray):
                    raise TypeError(f"{where} must be a device array, got {type(arg).__name__}")
                if arg.dtype != dtype:
                    raise TypeError(f"{where} points to {dtype}, got an array of {arg.dtype}")
                converted.append(ctypes.c_void_p(arg.ctypes.data))
            else:
                if not isinstance(arg, numpy.generic) or arg.dtype != dtype:
                    raise TypeError(
                        f"{where} must be a numpy {dtype} scalar, got {arg!r} ({type(arg).__name__})"
                    )
                converted.append(CTYPES[dtype](arg.item()))
        return converted


class EmulatedKernel:
    """A kernel of an emulated module, called like a CuPy RawKernel: kernel(grid, block, args)."""

    def __init__(self, library, signature: Signature, synchronizes: bool):
        self.entry = getattr(library, f"emulate_{signature.name}")
        self.entry.restype = None
        self.signature, self.synchronizes = signature, synchronizes

    def __call__(self, grid, block, args, shared_mem: int = 0):
        grid = tuple(grid) + (1,) * (3 - len(grid))
        block = tuple(block) + (1,) * (3 - len(block))
        if block[1:] != (1, 1) or not 1 <= block[0] <= 1024:
            raise ValueError(
                f"{self.signature.name}: the emulator runs 1-D blocks of 1..1024 threads, got {block}"
            )
        if not all(1 <= g for g in grid) or grid[1] > 65535 or grid[2] > 65535:
            raise ValueError(f"{self.signature.name}: invalid grid {grid}")
        values = self.signature.ctypes_arguments(args)
        pointers = (ctypes.c_void_p * len(values))(
            *(ctypes.cast(ctypes.pointer(v), ctypes.c_void_p) for v in values)
        )
        self.entry(
            *(ctypes.c_uint(g) for g in grid),
            ctypes.c_uint(block[0]),
            ctypes.c_int(self.synchronizes),
            pointers,
        )


class EmulatedModule:
    """`cupy.RawModule(code=..., options=...)`: the source compiled by g++ into a shared library."""

    # Kept between runs (named by a hash of the source), so that each file is compiled only once.
    build_dir = Path(tempfile.gettempdir()) / "tinyconv-cuda-emulator"

    def __init__(self, code: str, options: tuple = ()):
        scalar = "float"
        for option in options:
            match = re.fullmatch(r"-DSCALAR=(\w+)", option)
            if not match:
                raise ValueError(f"the emulator understands only -DSCALAR=..., got option {option!r}")
            scalar = match.group(1)
        signatures = {
            name: Signature(name, parameters, scalar) for name, parameters in KERNEL_SIGNATURE.findall(code)
        }
        launchers = "".join(signature.launcher_source() for signature in signatures.values())
        digest = hashlib.sha256((HEADER + code + launchers + scalar).encode()).hexdigest()[:16]
        library = self.build_dir / f"{digest}.so"
        if not library.exists():
            self.build_dir.mkdir(exist_ok=True)
            source = self.build_dir / f"{digest}.{os.getpid()}.cpp"
            source.write_text(HEADER + f"#define SCALAR {scalar}\n" + code + launchers)
            partial = library.with_suffix(f".{os.getpid()}.tmp")
            command = ["g++", "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-Wno-unknown-pragmas"]
            subprocess.run(
                command + ["-o", str(partial), str(source)], check=True, capture_output=True, text=True
            )
            os.replace(partial, library)  # atomic: a test run beside this one never loads half a file
        self.library = ctypes.CDLL(str(library))
        self.signatures = signatures
        self.synchronizes = "__syncthreads" in code

    def get_function(self, name: str) -> EmulatedKernel:
        return EmulatedKernel(self.library, self.signatures[name], self.synchronizes)


class FakeDevice:
    """`cupy.cuda.Device()`: a pretend GPU with a fixed number of multiprocessors."""

    attributes = {"MultiProcessorCount": 4}

    def __init__(self, device_id: int = 0):
        self.id = device_id

    def synchronize(self) -> None:
        pass


def cupy_names() -> frozenset:
    """The public names of the `cupy` module in CuPy 12 (cupy12_names.txt; `#` lines are comments)."""
    lines = (Path(__file__).parent / "cupy12_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


CUPY_NAMES = cupy_names()


class FakeCupy(types.ModuleType):
    """A stand-in for the `cupy` module: NumPy's functions, returning FakeDeviceArray, for the names
    CuPy 12 has."""

    ndarray = FakeDeviceArray
    RawModule = EmulatedModule

    def __init__(self):
        super().__init__("cupy")
        self.cuda = types.SimpleNamespace(
            Device=FakeDevice,
            runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
        )

    def __getattr__(self, name: str):
        if name not in CUPY_NAMES:
            raise AttributeError(
                f"module 'cupy' has no attribute '{name}' in CuPy 12, the oldest CuPy tinyconv supports "
                "(the emulator offers only the names in tests/backend/cupy12_names.txt)"
            )
        value = getattr(numpy, name)
        if isinstance(value, (type, numpy.ufunc)) or not callable(value):
            return value  # ufuncs keep the array type of their inputs, and their methods (add.at)

        def on_device(*args, **kwargs):
            return to_device(value(*args, **kwargs))

        return on_device

    def asarray(self, value, dtype=None):
        return to_device(numpy.array(value, dtype=dtype, copy=True))

    def asnumpy(self, value):
        return numpy.array(value, copy=True).view(numpy.ndarray)


def install(monkeypatch) -> FakeCupy:
    """Make tinyconv see the emulator as CuPy for the rest of a test (pytest's monkeypatch undoes it)."""
    from tinyconv.backend import array_module

    fake = FakeCupy()
    monkeypatch.setattr(array_module, "_cupy", fake)
    monkeypatch.setattr(array_module, "_cupy_checked", True)
    return fake
