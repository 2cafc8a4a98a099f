"""Cutting boxes out of a feature map at one fixed size: `roi_pool` (Fast R-CNN) and `roi_align` (Mask
R-CNN), as torchvision.ops.roi_pool and torchvision.ops.roi_align.

Fast R-CNN runs the convolutional network once over the whole image, then turns each proposed box
(a "region of interest") into a (C, PH, PW) block of the feature map, whatever the box's size, so that
one classifier head can follow. Box coordinates are in the image's pixels; `spatial_scale` maps them to
the feature map's (1/16 after a backbone of stride 16).

    input   (N, C, H, W)     a batch of feature maps
    boxes   (K, 5)           rows (batch index, x1, y1, x2, y2), a Tensor, an array or a nested list;
                             or a list with one (L_i, 4) Tensor or array of (x1, y1, x2, y2) rows per
                             image, whose rows get batch index i
    output  (K, C, PH, PW)   one pooled block per box, in the order of the rows

Both divide a box into PH x PW bins and reduce each bin to one number; they differ in where the bins are.

RoI pooling quantizes twice. The box's corners are rounded to whole feature-map pixels, as C's `round`
does: halves away from zero (2.5 -> 3, -2.5 -> -3; NumPy's round sends halves to the even neighbour,
2.5 -> 2, and would shift some boxes by a pixel). The rounded box covers
    width = x2 - x1 + 1 pixels (both ends included: a box of zero size is one pixel)
and bin j of PW spans the columns from floor(j * width / PW) to ceil((j + 1) * width / PW), exclusive,
shifted by x1 and clipped to the map; rows likewise. A bin's output is the maximum of its pixels (0 for
an empty bin, outside the map). Between the box drawn and the pixels pooled, up to half a pixel is lost
on each side, and the bins are uneven: a 1/16 pixel of the feature map is 8 pixels of the image.

RoIAlign quantizes nothing. Bin (i, j) is the exact rectangle of size (h / PH) x (w / PW) at its place in
the box, and its output is the mean of the feature map sampled at a grid of points inside it (2 x 2 for
`sampling_ratio=2`; for `sampling_ratio <= 0`, ceil(h / PH) x ceil(w / PW) points, one per pixel or so),
each sample read by bilinear interpolation between the four pixels around it. `aligned=True` moves the
box by half a pixel, so that pixel centres, not corners, sit at whole coordinates (Detectron2's fix);
without it, a box smaller than one pixel is stretched to one pixel.

The gradient goes to the input only: as in torchvision, the boxes get none.
"""

from __future__ import annotations

import math

from tinyconv.autograd import Function
from tinyconv.backend import device_of, get_array_module, is_array, matmul
from tinyconv.checks import check_floating, check_ndim, check_tensor, is_int
from tinyconv.tensor import Tensor

# -FLT_MAX, where torchvision's roi_pool starts each bin's running maximum, in float32 and float64 alike:
# a value wins a bin only if it is greater, so NaN and -inf never win.
LOWEST = -3.4028234663852886e38


# ------------------------------------------------------------------------------ RoI pooling


def round_half_away_from_zero(values, xp):
    """C's round(): the nearest integer, halves away from zero (0.5 -> 1, 2.5 -> 3, -2.5 -> -3).

    Written with trunc rather than floor(v + 0.5): that sum is itself rounded, and sends the largest
    double below 0.5 up to 1.
    """
    whole = xp.trunc(values)
    return whole + xp.sign(values) * (xp.abs(values - whole) >= 0.5)


def pooling_bins(start, end, out_size: int, size: int, xp):
    """RoI pooling's bins along one axis, for every box: (first, stop), two (K, out_size) int arrays.

    start, end: (K,) the rounded corners (whole pixels). Bin i covers [first, stop) of this axis; the
    bin size is computed in the boxes' float dtype, as torchvision computes it.
    """
    length = end - start + 1  # both ends included; x1 <= x2 was checked, so never below 1
    bin_size = (length / out_size).astype(start.dtype)[:, None]
    index = xp.arange(out_size, dtype=start.dtype)
    first = xp.floor(index * bin_size) + start[:, None]
    stop = xp.ceil((index + 1) * bin_size) + start[:, None]
    return xp.clip(first, 0, size).astype(xp.int64), xp.clip(stop, 0, size).astype(xp.int64)


class RoIPool(Function):
    """y[k, c, i, j] = max of x[b_k, c, h, w] over the pixels (h, w) of bin (i, j) of box k; 0 for an
    empty bin (see the module docstring for the bins).

    One box at a time, all its bins at once: the pixels of every bin are gathered into one array
    (C, PH, PW, bin height * bin width), each bin padded to the box's largest bin with -inf, which never
    wins; then one argmax finds each bin's first maximum in row-major order, as torchvision's loop does.

    Backward, as for max pooling: the whole gradient of each output goes to the pixel that was its
    maximum, nothing to the others; a pixel that is the maximum of several bins (overlapping boxes, or
    neighbouring bins sharing a row) adds up what each sends.
        dL/dx[b_k, c, argmax[k, c, i, j]] += g[k, c, i, j]
    A bin whose pixels are all NaN, or -inf, has no maximum in torchvision's sense (nothing is greater
    than -FLT_MAX): it outputs -FLT_MAX and sends no gradient.
    """

    def __init__(self, rois, output_size: tuple, spatial_scale: float):
        self.rois, self.output_size, self.spatial_scale = rois, output_size, spatial_scale

    def forward(self, x):
        xp = get_array_module(x)
        (channels, height, width), (out_h, out_w) = x.shape[1:], self.output_size
        corners = round_half_away_from_zero(self.rois[:, 1:] * x.dtype.type(self.spatial_scale), xp)
        top, bottom = pooling_bins(corners[:, 1], corners[:, 3], out_h, height, xp)  # (K, PH) each
        left, right = pooling_bins(corners[:, 0], corners[:, 2], out_w, width, xp)  # (K, PW) each
        tallest = xp.maximum((bottom - top).max(axis=1), 1).tolist()  # each box's largest bin
        widest = xp.maximum((right - left).max(axis=1), 1).tolist()
        self.batch_index = self.rois[:, 0].astype(xp.int64)
        self.x_shape = x.shape

        # torchvision's running maximum starts at -FLT_MAX and takes only greater values, so NaN and -inf
        # never win; one more row and column of -inf, below and to the right, stand for "past the bin".
        candidates = xp.full((len(x), channels, height + 1, width + 1), -xp.inf, dtype=x.dtype)
        candidates[:, :, :height, :width] = xp.where(x > LOWEST, x, LOWEST)
        y = xp.empty((len(self.rois), channels, out_h, out_w), dtype=x.dtype)
        argmax = xp.empty(y.shape, dtype=xp.int64)  # per output, h * W + w of its winner in the image
        for k, b in enumerate(self.batch_index.tolist()):
            rows = top[k][:, None] + xp.arange(tallest[k])  # (PH, bin height): the rows of each row bin,
            rows = xp.where(rows < bottom[k][:, None], rows, height)  # padded with the row of -inf
            columns = left[k][:, None] + xp.arange(widest[k])  # (PW, bin width)
            columns = xp.where(columns < right[k][:, None], columns, width)
            windows = candidates[b][:, rows[:, None, :, None], columns[None, :, None, :]]  # (C, PH, PW, h, w)
            windows = windows.reshape(channels, out_h, out_w, -1)
            y[k] = windows.max(axis=3)
            winner = (windows == y[k][..., None]).argmax(axis=3)  # the first maximum, in row-major order
            row, column = divmod(winner, widest[k])
            argmax[k] = (top[k][:, None] + row) * width + left[k][None, :] + column
        empty = ((bottom <= top)[:, :, None] | (right <= left)[:, None, :])[:, None]  # (K, 1, PH, PW)
        self.argmax = xp.where(empty | (y <= LOWEST), -1, argmax)  # -1: no gradient
        return xp.where(empty, 0, y).astype(x.dtype)

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        batch, channels, height, width = self.x_shape
        grad_x = xp.zeros(batch * channels * height * width, dtype=grad_out.dtype)
        # The flat index of each output's winner in x: ((b * C + c) * H + h) * W + w
        image_channel = self.batch_index[:, None, None, None] * channels + xp.arange(channels)[:, None, None]
        target = image_channel * (height * width) + self.argmax
        routed = self.argmax >= 0
        # add.at, not grad_x[target] += g: one pixel can win several bins, and every win must count
        xp.add.at(grad_x, target[routed], grad_out[routed])
        return grad_x.reshape(self.x_shape)


# ------------------------------------------------------------------------------ RoIAlign
#
# Bilinear interpolation is separable: the sample at (y, x) reads pixel (r, c) with weight
#     w_rows(y)[r] * w_columns(x)[c],
# where w(t) puts 1 - (t - floor t) on floor t and t - floor t on floor t + 1, and torchvision's edge
# rules are per coordinate too (a sample with y < -1 or y > H, or x < -1 or x > W, reads nothing; one
# between -1 and 0 reads the first pixel; one past the last pixel's centre reads the last). A bin's mean
# over its grid of samples is then a sum over rows times a sum over columns, so for one box
#     y[k, c] = A_y[k] @ x[b_k, c] @ A_x[k]^T                        (PH, H) @ (H, W) @ (W, PW)
# where row i of A_y[k] holds the mean interpolation weights of bin row i's sampling rows, and A_x[k]
# likewise for the columns. The backward is the transpose, as for interpolate and adaptive pooling:
#     dL/dx[b_k, c] += A_y[k]^T @ g[k, c] @ A_x[k]                   (H, PH) @ (PH, PW) @ (PW, W)
# Only the rows and columns a box samples have non-zero weights, so both products run on that patch.


def sampling_matrices(start, length, out_size: int, size: int, sampling_ratio: int, xp):
    """A (K, out_size, size) array per axis: row i of box k holds the weights with which the mean of bin
    i's samples reads each pixel of this axis (the A_y or A_x above).

    start, length: (K,) the box's first coordinate and its extent on this axis, in the feature map's
    pixels and the input's dtype. Sample s of bin i (s < n, n samples per bin) sits at
        t = start + i * bin + (s + 0.5) * bin / n,        bin = length / out_size
    with n = sampling_ratio, or ceil(bin) when sampling_ratio <= 0 (0 for an empty box: its bins are 0).
    """
    dtype = start.dtype
    bin_size = (length / out_size).astype(dtype)
    if sampling_ratio > 0:
        samples = xp.full(start.shape, sampling_ratio, dtype=xp.int64)
    else:
        samples = xp.ceil(bin_size).astype(xp.int64)
    divisor = xp.maximum(samples, 1).astype(dtype)[:, None]
    bins = xp.arange(out_size, dtype=dtype)[None, :]
    pixels = xp.arange(size)
    matrix = xp.zeros((len(start), out_size, size), dtype=dtype)
    for s in range(int(samples.max()) if len(start) else 0):
        t = start[:, None] + bins * bin_size[:, None] + (s + 0.5) * bin_size[:, None] / divisor  # (K, out)
        reads = (t >= -1) & (t <= size) & (s < samples)[:, None]  # outside, or no sample s: nothing
        t = xp.maximum(t, 0)
        low = xp.minimum(t.astype(xp.int64), size - 1)  # t >= 0, so the cast is floor
        high = xp.minimum(low + 1, size - 1)
        # past the last pixel's centre, all of the weight goes to the last pixel, as in torchvision
        fraction = xp.where(low == size - 1, 0, t - low.astype(dtype))
        weights = (pixels == low[..., None]) * (1 - fraction)[..., None] + (pixels == high[..., None]) * (
            fraction[..., None]
        )
        matrix += xp.where(reads[..., None], weights, 0).astype(dtype)
    return matrix / divisor[..., None]


def spans(matrix) -> list:
    """For each box, the slice of pixels with a non-zero weight (A's non-zero columns), or None."""
    used = (matrix != 0).any(axis=1)  # (K, size)
    size = used.shape[1]
    first = used.argmax(axis=1).tolist()
    stop = (size - used[:, ::-1].argmax(axis=1)).tolist()
    return [
        slice(a, b) if any_used else None for a, b, any_used in zip(first, stop, used.any(axis=1).tolist())
    ]


class RoIAlign(Function):
    """y[k, c] = A_y[k] @ x[b_k, c] @ A_x[k]^T: each bin the mean of its bilinear samples (see above).

    Backward: dL/dx[b_k, c] = sum over the boxes k of image b of A_y[k]^T @ g[k, c] @ A_x[k], each sample
    sending its share of g back to its four pixels with the weights it read them with.
    """

    def __init__(self, rois, output_size: tuple, spatial_scale: float, sampling_ratio: int, aligned: bool):
        self.rois, self.output_size, self.spatial_scale = rois, output_size, spatial_scale
        self.sampling_ratio, self.aligned = sampling_ratio, aligned

    def forward(self, x):
        xp = get_array_module(x)
        (channels, height, width), (out_h, out_w) = x.shape[1:], self.output_size
        # In the input's dtype, in torchvision's order of operations: the samples land where its do.
        offset = x.dtype.type(0.5 if self.aligned else 0.0)
        x1, y1, x2, y2 = (self.rois[:, i] * x.dtype.type(self.spatial_scale) - offset for i in range(1, 5))
        box_w, box_h = x2 - x1, y2 - y1
        if not self.aligned:  # the original RoIAlign stretches a box smaller than a pixel to one pixel
            box_w, box_h = xp.maximum(box_w, 1), xp.maximum(box_h, 1)
        self.rows = sampling_matrices(y1, box_h, out_h, height, self.sampling_ratio, xp)  # (K, PH, H)
        self.columns = sampling_matrices(x1, box_w, out_w, width, self.sampling_ratio, xp)  # (K, PW, W)
        batch_index = self.rois[:, 0].astype(xp.int64).tolist()
        self.patches = list(zip(batch_index, spans(self.rows), spans(self.columns)))  # (b, rows, columns)
        self.x_shape = x.shape

        y = xp.zeros((len(self.rois), channels, out_h, out_w), dtype=x.dtype)
        for k, (b, rows, columns) in enumerate(self.patches):
            if rows is not None and columns is not None:
                patch = x[b, :, rows, columns]  # (C, h, w)
                y[k] = matmul(matmul(self.rows[k][:, rows], patch), self.columns[k][:, columns].T)
        return y

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad_x = xp.zeros(self.x_shape, dtype=grad_out.dtype)
        for k, (b, rows, columns) in enumerate(self.patches):
            if rows is not None and columns is not None:
                grad_x[b, :, rows, columns] += matmul(
                    matmul(self.rows[k][:, rows].T, grad_out[k]), self.columns[k][:, columns]
                )
        return grad_x


# ------------------------------------------------------------------------------ the functions, their checks


def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """RoI max pooling, as torchvision.ops.roi_pool: (N, C, H, W) and K boxes -> (K, C, PH, PW).

    boxes: (K, 5) rows (batch index, x1, y1, x2, y2), or a list of (L_i, 4) per image; output_size: PH or
    (PH, PW); spatial_scale: feature-map pixels per image pixel. See the module docstring for the bins.
    """
    op = "roi_pool"
    output_size, spatial_scale = roi_arguments(op, input, output_size, spatial_scale)
    return RoIPool(roi_rows(op, boxes, input), output_size, spatial_scale)(input)


def roi_align(
    input: Tensor,
    boxes,
    output_size,
    spatial_scale: float = 1.0,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> Tensor:
    """RoIAlign, as torchvision.ops.roi_align: (N, C, H, W) and K boxes -> (K, C, PH, PW).

    boxes: (K, 5) rows (batch index, x1, y1, x2, y2), or a list of (L_i, 4) per image; output_size: PH or
    (PH, PW); spatial_scale: feature-map pixels per image pixel; sampling_ratio: samples per bin along
    each axis (<= 0: ceil(box size / output size)); aligned: shift the box by -0.5 pixel.
    """
    op = "roi_align"
    output_size, spatial_scale = roi_arguments(op, input, output_size, spatial_scale)
    if not is_int(sampling_ratio):
        raise TypeError(f"{op}: sampling_ratio must be an int (<= 0 for adaptive), got {sampling_ratio!r}")
    rois = roi_rows(op, boxes, input)
    return RoIAlign(rois, output_size, spatial_scale, int(sampling_ratio), bool(aligned))(input)


def roi_arguments(op: str, input, output_size, spatial_scale) -> tuple:
    """Check the input and the sizes; return (output_size as a pair, spatial_scale as a float)."""
    check_tensor(input, op)
    check_floating(input, op)
    check_ndim(input, 4, op, "(N, C, H, W)")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2 or not all(is_int(size) and size >= 1 for size in sizes):
        raise ValueError(f"{op}: output_size must be a positive int or a pair of them, got {output_size!r}")
    if isinstance(spatial_scale, bool) or not isinstance(spatial_scale, (int, float)):
        raise TypeError(f"{op}: spatial_scale must be a number, got {spatial_scale!r}")
    if not (math.isfinite(spatial_scale) and spatial_scale > 0):
        raise ValueError(
            f"{op}: spatial_scale must be positive (feature-map pixels per image pixel), "
            f"got {spatial_scale!r}"
        )
    return (int(sizes[0]), int(sizes[1])), float(spatial_scale)


def array_of(op: str, name: str, boxes, input: Tensor):
    """A Tensor's array, an array, or a nested list as an array on the input's device."""
    array = boxes.data if isinstance(boxes, Tensor) else boxes
    xp = get_array_module(input.data)
    if hasattr(array, "dtype") and device_of(array) != device_of(input.data):
        raise ValueError(f"{op}: {name} is on {device_of(array)} but the input is on {device_of(input.data)}")
    return xp.asarray(array)


def roi_rows(op: str, boxes, input: Tensor):
    """The boxes as one (K, 5) array of rows (batch index, x1, y1, x2, y2) in the input's dtype, checked.

    A list (or tuple) of Tensors or arrays is torchvision's one-per-image form; a nested list of numbers
    is read as the (K, 5) rows themselves.
    """
    xp = get_array_module(input.data)
    per_image = isinstance(boxes, (list, tuple)) and all(isinstance(b, Tensor) or is_array(b) for b in boxes)
    if per_image:
        parts = []
        for i, image_boxes in enumerate(boxes):
            array = array_of(op, f"boxes[{i}]", image_boxes, input)
            if array.ndim != 2 or array.shape[1] != 4:
                raise ValueError(
                    f"{op}: boxes[{i}] must be an (L, 4) array of (x1, y1, x2, y2) rows, "
                    f"got shape {array.shape}"
                )
            index = xp.full((len(array), 1), i, dtype=input.dtype)
            parts.append(xp.concatenate([index, array.astype(input.dtype)], axis=1))
        rois = xp.concatenate(parts) if parts else xp.zeros((0, 5), dtype=input.dtype)
    else:
        rois = array_of(op, "boxes", boxes, input)
        if rois.ndim != 2 or rois.shape[1] != 5:
            raise ValueError(
                f"{op}: boxes must be a (K, 5) array of (batch index, x1, y1, x2, y2) rows, or a list of "
                f"(L, 4) arrays, one per image; got shape {rois.shape}"
            )
        rois = rois.astype(input.dtype)
    check_rois(op, rois, len(input), xp)
    return rois


def check_rois(op: str, rois, batch: int, xp) -> None:
    """Finite coordinates, whole batch indices in [0, N), x1 <= x2 and y1 <= y2; the first bad row named."""
    problems = [
        (~xp.isfinite(rois).all(axis=1), "is not finite"),
        (
            (rois[:, 0] != xp.floor(rois[:, 0])) | (rois[:, 0] < 0) | (rois[:, 0] >= batch),
            f"has a batch index that is not an integer from 0 to {batch - 1}",
        ),
        (rois[:, 3] < rois[:, 1], "has x2 < x1"),
        (rois[:, 4] < rois[:, 2], "has y2 < y1"),
    ]
    for bad, what in problems:
        if bad.any():
            k = int(bad.argmax())
            raise ValueError(f"{op}: box {k}, (batch index, x1, y1, x2, y2) = {rois[k].tolist()}, {what}")
