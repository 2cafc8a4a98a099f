"""Data types with PyTorch's names, and PyTorch's rule for the dtype of a mixed operation.

    tinyconv.float32 (= float), float64 (= double), int64 (= long), int32 (= int), int16, int8,
    uint8, bool

Each name is a NumPy dtype, so it works wherever NumPy takes one (`zeros(3, dtype=tinyconv.int64)`,
`x.to(tinyconv.float64)`, `x.dtype == tinyconv.float32`). Python's own types are read as PyTorch reads
them: `float` is float64, `int` is int64, `bool` is bool.

Type promotion. An element-wise operation between two operands of different dtypes computes in one
dtype, chosen as PyTorch does (NumPy's rules differ, and would silently turn float32 into float64):
  - the operands are ranked by category: bool < integer < floating;
  - a Python number counts only through its category: `x * 2.0` keeps x's float32, an int64 tensor
    times 2.5 becomes float32 (the default float), `x + 1` keeps any dtype but bool;
  - a 0-d tensor beside a tensor with dimensions counts like a Python number of its own dtype:
    float32 times a 0-d float64 tensor stays float32;
  - otherwise the higher category wins, and within one category the wider dtype: float32 with
    float64 gives float64, int64 with float32 gives float32.
"""

from __future__ import annotations

import builtins
import functools
import numbers

import numpy

float32 = float = numpy.dtype(numpy.float32)
float64 = double = numpy.dtype(numpy.float64)
int64 = long = numpy.dtype(numpy.int64)
int32 = int = numpy.dtype(numpy.int32)
int16 = short = numpy.dtype(numpy.int16)
int8 = numpy.dtype(numpy.int8)
uint8 = numpy.dtype(numpy.uint8)
bool = numpy.dtype(numpy.bool_)

DEFAULT_FLOAT = float32
SUPPORTED = (float32, float64, int64, int32, int16, int8, uint8, bool)
PYTHON_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool}


def as_dtype(value, where: str) -> numpy.dtype:
    """`value` (tinyconv.float32, numpy.float32, 'float32', Python's float...) as a NumPy dtype, or a
    TypeError naming `where` and the dtypes tinyconv supports."""
    if value in PYTHON_TYPES:
        return PYTHON_TYPES[value]
    try:
        dtype = numpy.dtype(value)
    except TypeError:
        dtype = None
    if dtype not in SUPPORTED:
        names = ", ".join(str(d) for d in SUPPORTED)
        raise TypeError(f"{where}: dtype must be one of {names} (as tinyconv.float32 ...), got {value!r}")
    return dtype


def category(dtype) -> builtins.int:
    """0 for bool, 1 for integers, 2 for floating point: the order promotion climbs."""
    kind = numpy.dtype(dtype).kind
    return {"b": 0, "i": 1, "u": 1, "f": 2}[kind]


def scalar_category(value) -> builtins.int:
    """The category of a Python number: bool 0, int 1, float 2."""
    if isinstance(value, (builtins.bool, numpy.bool_)):
        return 0
    if isinstance(value, numbers.Integral):
        return 1
    if isinstance(value, numbers.Real):
        return 2
    raise TypeError(f"expected a real number, got {value!r} ({type(value).__name__})")


def result_type(*operands) -> numpy.dtype:
    """The dtype PyTorch computes an operation on `operands` in (Tensors, arrays or Python numbers).

    The operands fall in three groups: tensors with dimensions, 0-d tensors, and Python numbers.
    The tensors with dimensions decide, promoted among themselves. A 0-d tensor counts only when its
    category is higher (float32 times a 0-d float64 stays float32; an int64 tensor times a 0-d
    float64 is float64), and a number likewise (an int64 tensor times 2.5 is float32, the default).
    """
    numbers_given = [value for value in operands if is_python_number(value)]
    tensors = [value for value in operands if not is_python_number(value)]
    if not tensors:
        raise TypeError("result_type: at least one operand must be a tensor")
    dimensioned = [t.dtype for t in tensors if t.ndim > 0]
    zero_d = [t.dtype for t in tensors if t.ndim == 0]
    result = functools.reduce(promote_dtypes, dimensioned) if dimensioned else None
    if zero_d:
        zero_d_type = functools.reduce(promote_dtypes, zero_d)
        if result is None or category(zero_d_type) > category(result):
            result = zero_d_type
    for number in numbers_given:
        result = with_number(result, scalar_category(number))
    return numpy.dtype(result)


def with_number(dtype, number_category: builtins.int) -> numpy.dtype:
    """A tensor's dtype combined with a Python number of the given category."""
    if number_category <= category(dtype):
        return numpy.dtype(dtype)
    return DEFAULT_FLOAT if number_category == 2 else int64


def promote_dtypes(a, b) -> numpy.dtype:
    """Two tensors' dtypes: the higher category wins; within one, the wider type (NumPy's rule)."""
    a, b = numpy.dtype(a), numpy.dtype(b)
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return numpy.promote_types(a, b)


def python_dtype(value):
    """The dtype PyTorch reads a Python number as (True: bool, 2: int64, 2.5: float64), else None."""
    if not is_python_number(value):
        return None
    return (bool, int64, float64)[scalar_category(value)]


def is_python_number(value) -> builtins.bool:
    """True for Python numbers and NumPy scalars (`numpy.sqrt(2.0)` is a numpy.float64), False for
    tensors and arrays. PyTorch treats a NumPy scalar as a Python number: `x * numpy.float64(2)` keeps
    x's float32."""
    return isinstance(value, (numbers.Number, numpy.bool_))
