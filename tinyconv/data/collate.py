"""`default_collate`: a batch's samples stacked into batch Tensors, as torch.utils.data.default_collate.

A DataLoader over a dataset that gives one sample at a time calls it on the list of a batch's samples
(or calls the `collate_fn` it was given instead). Each sample is built the same way, and the batch
is built the way the samples are, field by field:

    a Tensor or NumPy array of shape S      -> one Tensor (B, *S), stacked along a new first axis
    Python ints / floats / bools            -> a Tensor (B,) of int64 / float64 / bool, as PyTorch
    NumPy numbers (numpy.float32(0.5))      -> a Tensor (B,) of their dtype
    strings                                 -> the list of the B strings
    a dict                                  -> a dict with the same keys, each value collated
    a tuple or list of k fields             -> a tuple or list of k collated fields:
                                               [(image, label), ...] -> (images, labels)

One difference from PyTorch: a tuple sample gives a tuple of fields where PyTorch gives a list (both
unpack alike: `for images, labels in loader`). Tensors are stacked by tinyconv.stack, so a gradient
flows back through the batch to tensors that require one, as torch.stack does.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy

from tinyconv.backend import get_array_module, is_array
from tinyconv.ops.join import stack
from tinyconv.tensor import Tensor

# The dtype a batch of Python numbers gets, by the category of the first: PyTorch's choice.
PYTHON_NUMBER_DTYPES = ((bool, numpy.bool_), (numbers.Integral, numpy.int64), (numbers.Real, numpy.float64))


def default_collate(batch):
    """The samples in the list `batch` stacked into one batch, as described in the module docstring.

    Raises TypeError for a sample of another kind (None, an object, a NumPy array of strings) and
    RuntimeError for samples that do not match: arrays of different shapes, tuples of different lengths.
    """
    first = batch[0]
    if isinstance(first, Tensor) or is_array(first):
        return stack_arrays(batch)
    if isinstance(first, numpy.generic):
        return stack_arrays([numpy.asarray(value) for value in batch])
    if isinstance(first, numbers.Number):
        return python_numbers(batch)
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        lengths = [len(sample) for sample in batch]
        if any(length != lengths[0] for length in lengths):
            raise RuntimeError(
                f"default_collate: every sample of a batch must have the same number of fields, "
                f"got lengths {lengths}"
            )
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if hasattr(first, "_fields"):  # a named tuple: the same type, its fields by position
            return type(first)(*fields)
        return type(first)(fields) if type(first) in (tuple, list) else fields
    raise TypeError(
        f"default_collate: a sample must be made of Tensors, NumPy arrays, numbers, strings, dicts, "
        f"tuples or lists, got {type(first).__name__}"
    )


def stack_arrays(batch: list) -> Tensor:
    """Equally shaped Tensors or arrays stacked into one Tensor (B, ...)."""
    shapes = [tuple(sample.shape) for sample in batch]
    for position, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(
                f"default_collate: the samples of a batch must have equal shapes to be stacked, got "
                f"{shapes[0]} in sample 0 and {shape} in sample {position}"
            )
    if isinstance(batch[0], Tensor):
        return stack(batch)
    if batch[0].dtype.kind in "OSUV":
        raise TypeError(
            f"default_collate: NumPy arrays of dtype {batch[0].dtype} (strings or objects) cannot be "
            "stacked into a Tensor"
        )
    return Tensor(get_array_module(*batch).stack(batch))


def python_numbers(batch: list) -> Tensor:
    """Python numbers as a Tensor (B,) of int64, float64 or bool, the dtype set by the first sample."""
    matches = [(kind, dtype) for kind, dtype in PYTHON_NUMBER_DTYPES if isinstance(batch[0], kind)]
    if not matches:  # complex numbers
        raise TypeError(f"default_collate: cannot make a Tensor of {type(batch[0]).__name__} numbers")
    kind, dtype = matches[0]
    for position, value in enumerate(batch):
        # A float among ints would be truncated, an int among bools made True: refuse, do not convert.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise TypeError(
                f"default_collate: sample 0 is a {type(batch[0]).__name__} but sample {position} is a "
                f"{type(value).__name__} ({value!r}); give every sample the same type of number"
            )
    return Tensor(numpy.array(batch, dtype=dtype))


def detection_collate(batch):
    """(images, targets) of a detection batch, as torchvision's detection references collate:
    [(image, target), ...] -> (the images stacked, (B, C, H, W), the list of the B targets as they are).

    Each image has its own number of boxes, so its target dict cannot be stacked with the others:
    default_collate would refuse the (n, 4) boxes of unequal n.
    """
    return default_collate([image for image, _ in batch]), [target for _, target in batch]
