"""Padding of any tensor, as PyTorch's F.pad(x, (left, right, top, bottom), mode="constant", value=0).

The tuple lists (before, after) pairs starting from the LAST axis and moving backwards:
    pad = (1, 2)              the last axis gets 1 value before and 2 after
    pad = (1, 1, 2, 0)        the last axis 1 on each side, the one before it 2 on top, 0 below
Axes with no pair are left alone, so a 4-D image batch (N, C, H, W) padded with (l, r, t, b) keeps
N and C. A negative entry crops that many entries from that side instead, as in PyTorch.

The modes fill the new border, shown for the row [1, 2, 3] padded by 2 on each side:
    constant     value  value  1 2 3  value value      (value defaults to 0)
    reflect      3 2    1 2 3    2 1                    a mirror at the edge, the edge not repeated
    replicate    1 1    1 2 3    3 3                    the edge repeated
    circular     2 3    1 2 3    1 2                    the row wrapped around, as on a torus
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_real, check_tensor, is_int
from tinyconv.tensor import Tensor

MODES = ("constant", "reflect", "replicate", "circular")


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


class IndexPad(Function):
    """y = x with every axis read through an index: y[i, j, ...] = x[index_0[i], index_1[j], ...].

    reflect, replicate and circular padding all copy entries of x into the border, so each output position
    along an axis reads one input position: index = (-before, ..., size + after - 1) folded back into
    [0, size) the mode's way (a cropped axis simply starts or ends inside). Backward: an input entry copied
    to several places receives the sum of their gradients. Per axis that sum is a matrix product with the
    one-hot matrix S[j, index[j]] = 1 of shape (out, in): dL/dx = g @ S along the axis.
    """

    def __init__(self, indices: list):
        self.indices = indices  # one list of input positions per axis

    def forward(self, x):
        xp = get_array_module(x)
        self.x_shape = x.shape
        for axis, index in enumerate(self.indices):
            x = xp.take(x, xp.asarray(index), axis=axis)
        return x

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad = grad_out
        for axis, (index, size) in enumerate(zip(self.indices, self.x_shape)):
            picks = (xp.asarray(index)[:, None] == xp.arange(size)).astype(grad_out.dtype)  # S: (out, in)
            grad = xp.moveaxis(xp.moveaxis(grad, axis, -1) @ picks, -1, axis)
        return grad


def border_index(mode: str, size: int, before: int, after: int):
    """For each output position along one axis, the input position it copies (see IndexPad)."""
    if mode == "circular":  # as PyTorch: crop first, then wrap around what is left
        kept = range(max(-before, 0), size - max(-after, 0))
        return [kept[p % len(kept)] for p in range(-max(before, 0), len(kept) + max(after, 0))]
    positions = range(-before, size + after)
    if mode == "replicate":
        return [min(max(p, 0), size - 1) for p in positions]
    # reflect: -1 -> 1, -2 -> 2, ...; size -> size - 2, ...: a mirror through the edge entry
    return [abs(size - 1 - abs(p - (size - 1))) for p in positions]


def check_border(mode: str, axis: int, size: int, before: int, after: int, x: Tensor, pad) -> None:
    """The border of reflect and circular padding is made of the input's own entries: there must be enough."""
    largest = max(before, after)
    if mode == "reflect" and largest >= size:
        raise ValueError(
            f"pad: reflect padding of {largest} along axis {axis} must be less than its size {size} "
            f"(input shape {x.shape}, pad {tuple(pad)})"
        )
    kept = size + min(before, 0) + min(after, 0)
    if mode == "circular" and largest > kept:
        raise ValueError(
            f"pad: circular padding of {largest} along axis {axis} must be at most its size {kept} after "
            f"cropping (input shape {x.shape}, pad {tuple(pad)})"
        )
    if mode == "replicate" and size == 0 and largest > 0:
        raise ValueError(f"pad: replicate padding of axis {axis} of size 0: there is no edge to repeat")


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


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """input padded as torch.nn.functional.pad(input, pad, mode, value).

    pad: (before, after) pairs from the last axis backwards: (left, right) pads the width of
    (N, C, H, W), (left, right, top, bottom) the width and the height. Negative amounts crop.
    mode: 'constant' (with `value`, default 0), 'reflect', 'replicate' or 'circular' (see the top).
    Output size per axis: size + before + after.
    """
    check_tensor(input, "pad")
    amounts = pad_amounts(input, pad)
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if mode != "constant":
        if value is not None:
            raise ValueError(f"pad: value={value} is only used by mode='constant', not by mode={mode!r}")
        for axis, ((before, after), size) in enumerate(zip(amounts, input.shape)):
            check_border(mode, axis, size, before, after, input, pad)
        indices = [
            border_index(mode, size, before, after) for (before, after), size in zip(amounts, input.shape)
        ]
        return IndexPad(indices)(input)
    value = 0.0 if value is None else check_real("pad", "value", value)
    output_shape, source, destination = [], [], []
    for (before, after), size in zip(amounts, input.shape):
        kept_start, kept_stop = max(-before, 0), size - max(-after, 0)
        start = max(before, 0)
        output_shape.append(size + before + after)
        source.append(slice(kept_start, kept_stop))
        destination.append(slice(start, start + kept_stop - kept_start))
    return ConstantPad(tuple(output_shape), tuple(source), tuple(destination), value)(input)
