"""one_hot: class indices as vectors with a single 1, as torch.nn.functional.one_hot."""

from __future__ import annotations

from tinyconv import dtypes
from tinyconv.backend import get_array_module
from tinyconv.checks import check_int, check_tensor
from tinyconv.tensor import Tensor


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """out[..., k] = 1 if tensor[...] == k else 0: an int64 tensor of shape tensor.shape + (num_classes,).

    tensor: integer class indices, each in [0, num_classes). num_classes=-1 takes the largest index + 1.
    Not differentiable (nor is PyTorch's): the indices are not something a gradient can move. Turned
    into floats, `one_hot(t, C).float()` is the y of "prediction minus truth", p - y.
    """
    op = "one_hot"
    check_tensor(tensor, op, "tensor")
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"{op}: tensor must hold integer class indices, got dtype {tensor.dtype}")
    num_classes = check_int(op, "num_classes", num_classes, minimum=-1)
    indices = tensor.data
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError(
                f"{op}: cannot infer the number of classes from an empty tensor; give num_classes"
            )
        num_classes = int(indices.max()) + 1
    if indices.size and not (int(indices.min()) >= 0 and int(indices.max()) < num_classes):
        raise ValueError(
            f"{op}: class indices must lie in [0, {num_classes - 1}] for num_classes={num_classes}, "
            f"got values from {int(indices.min())} to {int(indices.max())}"
        )
    xp = get_array_module(indices)
    # Comparing each index with 0, 1, ..., C - 1 (broadcast along a new last dim) marks its class.
    return Tensor((indices[..., None] == xp.arange(num_classes)).astype(dtypes.int64))
