"""Which array library owns an array: NumPy on the CPU, CuPy on the GPU."""

from __future__ import annotations

import importlib.util

import numpy

_cupy = None
_cupy_checked = False


def cupy_module():
    """Return the `cupy` module if it is installed, else None (looked up once, imported lazily)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        if importlib.util.find_spec("cupy") is not None:
            import cupy

            _cupy = cupy
    return _cupy


def get_array_module(*arrays):
    """Return `numpy` or `cupy`: the module that owns the given arrays.

    Arguments that are not CuPy arrays (NumPy arrays, Python numbers, None) are ignored, so the
    answer is `numpy` unless a CuPy array is among them.
    """
    cupy = cupy_module()
    if cupy is not None:
        for array in arrays:
            if isinstance(array, cupy.ndarray):
                return cupy
    return numpy


def is_array(value) -> bool:
    """True for a NumPy or CuPy ndarray."""
    if isinstance(value, numpy.ndarray):
        return True
    cupy = cupy_module()
    return cupy is not None and isinstance(value, cupy.ndarray)
