"""The GPU from the user's side: is there one, and moving data to it and back (as `torch.cuda`).

    tinyconv.cuda.is_available()          True when CuPy is installed and sees a CUDA device
    x = x.to("cuda"), x.cpu()             a tensor's copy on the GPU / back on the CPU (tensor.py)
    model.to("cuda")                      every parameter and buffer, in place (nn/module.py)

Devices have PyTorch's names: "cpu" (NumPy arrays) and "cuda" (CuPy arrays on CuPy's current device;
choose another GPU with `cupy.cuda.Device(i).use()`). Operations never move data on their own: an
operation whose inputs live on two devices raises an error that names them (autograd.py).

Nothing here imports CuPy before it is needed, and importing tinyconv never does.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import device_of
from tinyconv.backend.array_module import cupy_import_error, cupy_module

DEVICES = ("cpu", "cuda")


def unavailable_reason() -> str | None:
    """None when a GPU can be used, else a sentence saying why not (for errors and skipped tests)."""
    cupy = cupy_module()
    if cupy is None:
        error = cupy_import_error()
        if error is not None:  # a wheel for another CUDA, a missing library: tinyconv runs on NumPy
            return (
                f"CuPy is installed but fails to import ({type(error).__name__}: {error}); install the "
                "cupy-cudaXXx wheel that matches the machine's CUDA"
            )
        return (
            "CuPy is not installed (pip install 'tinyconv[gpu]', or the cupy-cudaXXx wheel that matches "
            "the machine's CUDA)"
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device, a driver too old: CuPy raises several kinds
        return f"CuPy is installed but cannot reach a GPU ({type(error).__name__}: {error})"
    if count == 0:
        return "CuPy is installed but finds no CUDA device"
    return None


def is_available() -> bool:
    """True when tensors can be moved to "cuda": CuPy is installed and sees at least one GPU."""
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


def check_device(device, where: str) -> str:
    """`device` if it is "cpu" or "cuda", else a clear TypeError / ValueError."""
    if not isinstance(device, str):
        raise TypeError(f"{where}: device must be a string, 'cpu' or 'cuda', got {device!r}")
    if device not in DEVICES:
        raise ValueError(
            f"{where}: device must be 'cpu' or 'cuda', got {device!r} (tinyconv uses CuPy's current GPU; "
            "choose another with cupy.cuda.Device(i).use())"
        )
    return device


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


class ToDevice(Function):
    """y = x, copied to another device.    dL/dx = dL/dy, copied back to x's device.

    Moving a tensor is an operation like any other, as in PyTorch: a gradient that reaches the copy
    flows back to the original.
    """

    def __init__(self, device: str):
        self.device = device

    def forward(self, x):
        self.source = device_of(x)
        return to_device(x, self.device, f"Tensor.to({self.device!r})")

    def backward(self, grad_out):
        return to_device(grad_out, self.source)
