"""Constant padding of any tensor, with PyTorch's `pad` tuple: F.pad(x, (left, right, top, bottom)).

The tuple lists (before, after) pairs starting from the LAST axis and moving backwards:
    pad = (1, 2)              the last axis gets 1 value before and 2 after
    pad = (1, 1, 2, 0)        the last axis 1 on each side, the one before it 2 on top, 0 below
Axes with no pair are left alone, so a 4-D image batch (N, C, H, W) padded with (l, r, t, b) keeps
N and C. A negative entry crops that many entries from that side instead, as in PyTorch.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_real, check_tensor, is_int
from tinyconv.tensor import Tensor


class ConstantPad(Function):
    """y = x surrounded by `value` (and cropped where an amount is negative).

    Both directions are one slice assignment. Per axis, with amounts (before, after) and size S:
        kept  = x[max(-before, 0) : S - max(-after, 0)]        what survives the cropping
        y[max(before, 0) : max(before, 0) + len(kept)] = kept  the rest of y is `value`
    Backward: every kept entry of x appears once in y, the padding depends on no input, and the
    cropped entries never reach y, so
        dL/dx[kept] = g[where kept went],    dL/dx = 0 on the cropped entries.
    """

    def __init__(self, output_shape: tuple, source: tuple, destination: tuple, value: float):
        self.output_shape, self.value = output_shape, value
        self.source, self.destination = source, destination

    def forward(self, x):
        xp = get_array_module(x)
        self.x_shape = x.shape
        y = xp.full(self.output_shape, self.value, dtype=x.dtype)
        y[self.destination] = x[self.source]
        return y

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = xp.zeros(self.x_shape, dtype=grad_out.dtype)
        grad[self.source] = grad_out[self.destination]
        return grad


def pad_amounts(x: Tensor, pad) -> list:
    """Check `pad` against x and return the (before, after) amount of every axis of x, first to last."""
    if not isinstance(pad, (tuple, list)) or not all(is_int(amount) for amount in pad):
        raise TypeError(f"pad: pad must be a tuple of ints (left, right, top, bottom, ...), got {pad!r}")
    if len(pad) % 2:
        raise ValueError(
            f"pad: pad must have an even length, one (before, after) pair per padded axis, got {len(pad)} "
            f"entries {tuple(pad)}"
        )
    if len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: {len(pad) // 2} (before, after) pairs for an input of only {x.ndim} axes "
            f"(shape {x.shape}); pad has at most 2 entries per axis"
        )
    # pad[0:2] is the last axis, pad[2:4] the one before it...
    pairs = [(int(pad[2 * k]), int(pad[2 * k + 1])) for k in range(len(pad) // 2)]
    amounts = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    for axis, ((before, after), size) in enumerate(zip(amounts, x.shape)):
        if size + min(before, 0) + min(after, 0) < 0:
            raise ValueError(
                f"pad: axis {axis} of size {size} cannot be cropped by {-min(before, 0)} before and "
                f"{-min(after, 0)} after: that is more than its size "
                f"(input shape {x.shape}, pad {tuple(pad)})"
            )
    return amounts


def pad(x: Tensor, pad, value: float = 0.0) -> Tensor:
    """x padded with the constant `value`, as torch.nn.functional.pad(x, pad, mode='constant').

    pad: (before, after) pairs from the last axis backwards: (left, right) pads the width of
    (N, C, H, W), (left, right, top, bottom) the width and the height. Negative amounts crop.
    Output size per axis: size + before + after.
    """
    check_tensor(x, "pad")
    amounts = pad_amounts(x, pad)
    value = check_real("pad", "value", value)
    output_shape, source, destination = [], [], []
    for (before, after), size in zip(amounts, x.shape):
        kept_start, kept_stop = max(-before, 0), size - max(-after, 0)
        start = max(before, 0)
        output_shape.append(size + before + after)
        source.append(slice(kept_start, kept_stop))
        destination.append(slice(start, start + kept_stop - kept_start))
    return ConstantPad(tuple(output_shape), tuple(source), tuple(destination), value)(x)
