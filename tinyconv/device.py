"""`tinyconv.device`: where a tensor lives, with PyTorch's names, "cpu" and "cuda".

    tinyconv.device("cpu"), tinyconv.device("cuda"), tinyconv.device("cuda:0")
    x.device == "cuda"           a device compares equal to its name
    x.device.type                "cpu" or "cuda", as in PyTorch

"cuda" is CuPy's current GPU (choose another with `cupy.cuda.Device(i).use()`), so the only index
tinyconv takes is that of the current one, written "cuda" or "cuda:0".
"""

from __future__ import annotations

DEVICE_TYPES = ("cpu", "cuda")


class device:  # noqa: N801 (PyTorch's name: torch.device)
    """A device, as torch.device: made from "cpu", "cuda", "cuda:0", ("cuda", 0), or another device.

    `type` is "cpu" or "cuda"; `index` is the GPU's number where one was given (always 0 here), else
    None, as in PyTorch. Two devices are equal when their types are (tinyconv has one GPU).
    """

    def __init__(self, type, index=None):  # noqa: A002 (PyTorch's argument name)
        if isinstance(type, str) and ":" in type and index is not None:
            raise ValueError(
                f"tinyconv.device: the index is in {type!r} already, and given again as {index!r}"
            )
        if index is not None:
            type = f"{type}:{index}" if isinstance(type, str) else type
        self.type = device_type(type, "tinyconv.device")
        if isinstance(type, device):
            self.index = type.index
        else:
            self.index = 0 if isinstance(type, str) and ":" in type else None

    def __eq__(self, other) -> bool:
        if isinstance(other, device):
            return self.type == other.type
        if isinstance(other, str):
            return other in (self.type, f"{self.type}:0")
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


def device_type(name, where: str) -> str:
    """'cpu' or 'cuda' for a device or its name, else a TypeError / ValueError that names `where`."""
    if isinstance(name, device):
        return name.type
    if not isinstance(name, str):
        raise TypeError(f"{where}: device must be 'cpu', 'cuda' or a tinyconv.device, got {name!r}")
    kind, _, index = name.partition(":")
    if kind not in DEVICE_TYPES or (index and index != "0"):
        raise ValueError(
            f"{where}: device must be 'cpu' or 'cuda', got {name!r} (tinyconv uses CuPy's current GPU, "
            "named 'cuda' or 'cuda:0'; choose another GPU with cupy.cuda.Device(i).use())"
        )
    return kind
