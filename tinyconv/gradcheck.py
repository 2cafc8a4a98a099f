"""Check hand-written gradients against finite differences.

For a function y = fn(x1, x2, ...) and a random upstream gradient G (same shape as y), define the
scalar L = sum(G * y). Its gradient with respect to each input is what backward computes when it
is seeded with G. Numerically, each element of each input is nudged by +-eps:

    dL/dx[i] ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)         (central difference)

whose error shrinks like eps^2. In float32 the two values of L would agree to only ~7 digits and
their difference would be mostly rounding noise, so the check runs in float64.

A random G, rather than G = 1 (plain `sum(y)`), matters: with all-ones upstream gradients a backward
that transposes or permutes its gradient often still gives the right numbers.
"""

from __future__ import annotations

import numpy

from tinyconv.autograd import no_grad
from tinyconv.backend import get_array_module
from tinyconv.tensor import Tensor

TINY = 1e-12


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numeric one; the message says where."""


def relative_error(analytic, numeric):
    """|a - n| / max(|a|, |n|, tiny), element-wise: 0 when equal, about 1 when unrelated."""
    xp = get_array_module(analytic, numeric)
    scale = xp.maximum(xp.maximum(xp.abs(analytic), xp.abs(numeric)), TINY)
    return xp.abs(analytic - numeric) / scale


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0):
    """Compare the analytic gradients of `fn` at `inputs` with central differences.

    fn:      a function of the input tensors returning a Tensor (or a tuple of Tensors).
    inputs:  a Tensor or a sequence of Tensors; those with requires_grad=True are checked and must be
             float64. Other inputs (integer labels, say) are passed through unchanged.
    An element passes when |analytic - numeric| <= atol + rtol * |numeric|.

    Returns True when every element passes; otherwise raises GradcheckError with a report naming
    the input, the worst element, both values and their relative error.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != numpy.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need float64 "
                "inputs (in float32 the numeric gradient is mostly rounding noise)"
            )

    upstream = random_upstream_gradients(fn, inputs, seed)
    analytic = analytic_gradients(fn, inputs, checked, upstream)
    failures = []
    for i in checked:
        numeric = numeric_gradient(fn, inputs, i, upstream, eps)
        report = compare(i, inputs[i].shape, analytic[i], numeric, atol, rtol)
        if report:
            failures.append(report)
    if failures:
        raise GradcheckError("gradcheck failed\n" + "\n".join(failures))
    return True


def outputs_of(fn, inputs) -> tuple:
    """Call fn and return its result as a tuple of Tensors."""
    result = fn(*inputs)
    return result if isinstance(result, tuple) else (result,)


def random_upstream_gradients(fn, inputs, seed: int) -> list:
    """One random array per output of fn: the G of L = sum(G * y)."""
    rng = numpy.random.default_rng(seed)
    with no_grad():
        outputs = outputs_of(fn, inputs)
    upstream = []
    for output in outputs:
        xp = get_array_module(output.data)
        upstream.append(xp.asarray(rng.standard_normal(output.shape), dtype=output.dtype))
    return upstream


def weighted_sum(outputs, upstream) -> float:
    """L = sum over outputs of sum(G * y), as a Python float."""
    return float(sum((output.data * g).sum() for output, g in zip(outputs, upstream)))


def analytic_gradients(fn, inputs, checked, upstream) -> dict:
    """dL/dinput for every checked input, computed by the hand-written backward passes."""
    saved_grads = {i: inputs[i].grad for i in checked}
    for i in checked:
        inputs[i].grad = None
    outputs = outputs_of(fn, inputs)
    total = None
    for output, g in zip(outputs, upstream):
        if output.requires_grad:
            term = (output * Tensor(g)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = {}
    for i in checked:
        xp = get_array_module(inputs[i].data)
        grad = inputs[i].grad
        grads[i] = xp.zeros(inputs[i].shape, dtype=inputs[i].dtype) if grad is None else grad
        inputs[i].grad = saved_grads[i]
    return grads


def numeric_gradient(fn, inputs, index: int, upstream, eps: float):
    """dL/dinputs[index] by central differences, nudging one element at a time."""
    data = inputs[index].data
    xp = get_array_module(data)
    grad = xp.zeros(data.shape, dtype=data.dtype)
    with no_grad():
        # Index the input itself, element by element: a reshape(-1) would be a copy for a
        # non-contiguous input (a transposed view, say), and the nudges would never reach it.
        for position in numpy.ndindex(*data.shape):
            original = data[position].item()
            data[position] = original + eps
            plus = weighted_sum(outputs_of(fn, inputs), upstream)
            data[position] = original - eps
            minus = weighted_sum(outputs_of(fn, inputs), upstream)
            data[position] = original
            grad[position] = (plus - minus) / (2 * eps)
    return grad


def compare(index: int, shape: tuple, analytic, numeric, atol: float, rtol: float) -> str:
    """An empty string if the gradients agree, else a report of where and by how much they differ."""
    xp = get_array_module(analytic, numeric)
    if analytic.shape != numeric.shape:
        return f"input {index}: analytic gradient has shape {analytic.shape}, expected {shape}"
    bad = xp.abs(analytic - numeric) > atol + rtol * xp.abs(numeric)
    if not bool(bad.any()):
        return ""
    errors = relative_error(analytic, numeric)
    worst = numpy.unravel_index(int(xp.where(bad, errors, -1).argmax()), shape)
    lines = [
        f"input {index} (shape {shape}): {int(bad.sum())} of {bad.size} elements differ "
        f"(atol {atol:g}, rtol {rtol:g})",
        f"  worst at {tuple(int(w) for w in worst)}: analytic {float(analytic[worst]):.8g}, "
        f"numeric {float(numeric[worst]):.8g}, relative error {float(errors[worst]):.3g}",
    ]
    return "\n".join(lines)
