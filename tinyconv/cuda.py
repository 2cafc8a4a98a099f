"""The GPU from the user's side: is there one, and moving data to it and back (as `torch.cuda`).

    tinyconv.cuda.is_available()          True when CuPy is installed, sees a CUDA device, and can
                                          compile and run tinyconv's kernels on it
    x = x.to("cuda"), x.cpu()             a tensor's copy on the GPU / back on the CPU (tensor.py)
    model.to("cuda")                      every parameter and buffer, in place (nn/module.py)

Devices have PyTorch's names: "cpu" (NumPy arrays) and "cuda" (CuPy arrays on CuPy's current device;
choose another GPU with `cupy.cuda.Device(i).use()`). Operations never move data on their own: an
operation whose inputs live on two devices raises an error that names them (autograd.py).

Nothing here imports CuPy before it is needed, and importing tinyconv never does.
"""

from __future__ import annotations

import importlib.metadata
import re

from tinyconv.backend import cuda_kernels, device_of
from tinyconv.backend.array_module import cupy_import_error, cupy_module


def installed_cupy_wheels() -> list[str]:
    """The names of the installed CuPy distributions (cupy-cuda12x, cupy-cuda13x, cupy...), sorted."""
    names = {dist.metadata["Name"] for dist in importlib.metadata.distributions()}
    return sorted(name for name in names if name and re.fullmatch(r"cupy(-cuda\w+)?", name.lower()))


def unavailable_reason() -> str | None:
    """None when a GPU can be used, else a sentence saying why not (for errors and skipped tests)."""
    cupy = cupy_module()
    if cupy is None:
        error = cupy_import_error()
        if error is not None:  # a wheel for another CUDA, a missing library: tinyconv runs on NumPy
            wheels = installed_cupy_wheels()
            if len(wheels) > 1:  # they install into the same `cupy` folder and overwrite each other
                advice = (
                    f"{len(wheels)} CuPy wheels are installed ({', '.join(wheels)}): uninstall them all, "
                )
                advice += "then install the one that matches the machine's CUDA"
            else:
                advice = "install the cupy-cudaXXx wheel that matches the machine's CUDA"
            return f"CuPy is installed but fails to import ({type(error).__name__}: {error}); {advice}"
        return (
            "CuPy is not installed (pip install 'tinyconv[gpu]' for CUDA 12, 'tinyconv[gpu-cuda13]' for "
            "CUDA 13, or the cupy-cudaXXx wheel that matches the machine's CUDA)"
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device, a driver too old: CuPy raises several kinds
        return f"CuPy is installed but cannot reach a GPU ({type(error).__name__}: {error})"
    if count == 0:
        return "CuPy is installed but finds no CUDA device"
    failure = cuda_kernels.kernel_failure(cupy)
    if failure is not None:
        return (
            f"CuPy sees a GPU but cannot compile and run tinyconv's CUDA kernels ({failure}). CuPy "
            "compiles them at run time with NVRTC, which needs the CUDA headers: install a CUDA toolkit, "
            "or the CuPy wheel's own (pip install 'cupy-cuda13x[ctk]', or cupy-cuda12x[ctk], whichever "
            "matches the driver), and only one CuPy wheel"
        )
    return None


def is_available() -> bool:
    """True when tensors can be moved to "cuda": CuPy is installed, sees at least one GPU, and a small
    test kernel compiles and runs on it (so a machine that can import CuPy but not compile says no)."""
    return unavailable_reason() is None


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or without a GPU)."""
    return 0 if unavailable_reason() else cupy_module().cuda.runtime.getDeviceCount()


def require_gpu(where: str):
    """The `cupy` module, or a RuntimeError that says why there is no GPU to use."""
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"{where}: no GPU is available: {reason}")
    return cupy_module()


def synchronize() -> None:
    """Wait until the GPU has finished all the work queued so far (kernels run asynchronously)."""
    require_gpu("tinyconv.cuda.synchronize").cuda.Device().synchronize()


def to_device(array, device: str, where: str = "to"):
    """`array` itself if it is on `device` already, else a copy there (a NumPy array for "cpu")."""
    if device_of(array) == device:
        return array
    if device == "cpu":
        return array.get()
    return require_gpu(where).asarray(array)


def to_host(array):
    """A NumPy copy of `array`, wherever it lives: what checkpoints store."""
    return array.get() if device_of(array) == "cuda" else array.copy()
