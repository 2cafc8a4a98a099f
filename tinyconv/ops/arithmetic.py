"""Arithmetic: +, -, *, /, ** and @ between tensors.

Each backward returns the gradient for the *broadcast* shape of its inputs; the engine
(`autograd.sum_to_shape`) sums it back to each input's own shape.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module, matmul


class Add(Function):
    """y = a + b.    dL/da = g,  dL/db = g   (g = dL/dy)."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad_out):
        return grad_out, grad_out


class Sub(Function):
    """y = a - b.    dL/da = g,  dL/db = -g."""

    def forward(self, a, b):
        return a - b

    def backward(self, grad_out):
        return grad_out, -grad_out


class Mul(Function):
    """y = a * b.    dL/da = g * b,  dL/db = g * a   (each input's gradient is the other input)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_out):
        grad_a = grad_out * self.b if self.needs_input_grad[0] else None
        grad_b = grad_out * self.a if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """y = a / b.    dL/da = g / b,  dL/db = -g * a / b^2 = -g * y / b."""

    def forward(self, a, b):
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, grad_out):
        grad_a = grad_out / self.b if self.needs_input_grad[0] else None
        grad_b = -grad_out * self.y / self.b if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """y = a ** b.    dL/da = g * b * a^(b-1),  dL/db = g * y * ln(a).

    The gradient for the exponent is only computed when the exponent requires grad (as in
    `2 ** x`); ln(a) is undefined for a <= 0, which is why `x ** 2` must not compute it.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, grad_out):
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = grad_out * self.b * self.a ** (self.b - 1)
        if self.needs_input_grad[1]:
            xp = get_array_module(self.a)
            grad_b = grad_out * self.y * xp.log(self.a)
        return grad_a, grad_b


class Maximum(Function):
    """y = max(a, b) element-wise (or min, with smallest=True).

    dL/da = g where a wins, dL/db = g where b wins; where a == b both are the maximum, and each
    receives g / 2. As in PyTorch, a side loses its gradient only where it is strictly beaten, so
    where a NaN is involved (no comparison holds) both sides receive g.
    """

    def __init__(self, smallest: bool = False):
        self.smallest = smallest

    def forward(self, a, b):
        xp = get_array_module(a, b)
        a_beaten, b_beaten = (a > b, a < b) if self.smallest else (a < b, a > b)
        tie = a == b
        y = (xp.minimum if self.smallest else xp.maximum)(a, b)
        share_dtype = y.dtype if y.dtype.kind == "f" else None  # integer inputs get no gradient
        self.share_a = xp.where(tie, 0.5, ~a_beaten).astype(share_dtype)
        self.share_b = xp.where(tie, 0.5, ~b_beaten).astype(share_dtype)
        return y

    def backward(self, grad_out):
        grad_a = grad_out * self.share_a if self.needs_input_grad[0] else None
        grad_b = grad_out * self.share_b if self.needs_input_grad[1] else None
        return grad_a, grad_b


class MatMul(Function):
    """Y = A @ B with NumPy's rules (1-D vectors, stacks of matrices broadcast over leading axes).

    For matrices A (n, k), B (k, m), Y (n, m), with G = dL/dY:
        dL/dA = G @ B^T    (n, m) @ (m, k) -> (n, k)
        dL/dB = A^T @ G    (k, n) @ (n, m) -> (k, m)
    A 1-D operand is treated as a one-row (A) or one-column (B) matrix, as NumPy does, so the same
    two formulas cover every case.
    """

    def forward(self, a, b):
        check_matmul_shapes(a.shape, b.shape)
        self.a, self.b = a, b
        return matmul(a, b)

    def backward(self, grad_out):
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        # Give the gradient back the axes that 1-D operands dropped from the product: B's column
        # axis was the last one, A's row axis the one before it.
        if self.b.ndim == 1:
            grad_out = grad_out[..., None]
        if self.a.ndim == 1:
            grad_out = grad_out[..., None, :]
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = matmul(grad_out, b.swapaxes(-1, -2))
            if self.a.ndim == 1:  # drop the one-row axis again
                grad_a = grad_a[..., 0, :]
        if self.needs_input_grad[1]:
            grad_b = matmul(a.swapaxes(-1, -2), grad_out)
            if self.b.ndim == 1:  # drop the one-column axis again
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def check_matmul_shapes(shape_a: tuple, shape_b: tuple) -> None:
    """Raise a clear error when `A @ B` is impossible (inner sizes differ, or a 0-d operand)."""
    if len(shape_a) == 0 or len(shape_b) == 0:
        raise ValueError(f"matmul: both operands need at least one axis, got shapes {shape_a} and {shape_b}")
    inner_a = shape_a[-1]
    inner_b = shape_b[0] if len(shape_b) == 1 else shape_b[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {shape_a} and {shape_b} do not fit: the last axis of the first "
            f"({inner_a}) must equal the {'only' if len(shape_b) == 1 else 'second-to-last'} axis "
            f"of the second ({inner_b})"
        )
    batch_a, batch_b = shape_a[:-2], shape_b[:-2]
    for size_a, size_b in zip(reversed(batch_a), reversed(batch_b)):
        if size_a != size_b and 1 not in (size_a, size_b):
            raise ValueError(
                f"matmul: the stacks of matrices {batch_a} and {batch_b} (shapes {shape_a} and "
                f"{shape_b}) do not broadcast: each pair of sizes must be equal or contain a 1"
            )
