"""Which array library owns an array: NumPy on the CPU, CuPy on the GPU."""

from __future__ import annotations

import importlib.util

import numpy

_cupy = None
_cupy_checked = False
_cupy_import_error = None


def cupy_module():
    """Return the `cupy` module if it is installed and imports, else None (looked up once, lazily).

    A CuPy that is installed but fails to import (a wheel built for another CUDA, a missing driver
    library) counts as no CuPy: every op asks this question, so an exception here would break plain
    NumPy work too. `cupy_import_error()` keeps what the import raised, for the message that says why
    there is no GPU.
    """
    global _cupy, _cupy_checked, _cupy_import_error
    if not _cupy_checked:
        _cupy_checked = True
        if importlib.util.find_spec("cupy") is not None:
            try:
                import cupy
            except Exception as error:  # ImportError, OSError from a shared library, RuntimeError...
                _cupy_import_error = error
            else:
                _cupy = cupy
    return _cupy


def cupy_import_error() -> Exception | None:
    """The exception raised by importing an installed CuPy, or None (not installed, or it imported)."""
    cupy_module()
    return _cupy_import_error


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
