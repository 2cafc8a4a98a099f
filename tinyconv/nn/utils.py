"""Helpers that act on a model's parameters, as `torch.nn.utils`: `clip_grad_norm_`."""

from __future__ import annotations

import math

from tinyconv.tensor import Tensor


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients down together so that their total norm is about max_norm at most; return it.

        total = ||(g_1, g_2, ..., g_k)||_p       the p-norm of every gradient laid end to end in one vector
              = (sum over all entries |g|^p)^(1/p),   or max |g| for norm_type = inf
        coef = max_norm / (total + 1e-6)
        g_i = g_i * coef   for every gradient, when coef < 1 (as PyTorch; about: when total > max_norm)

    One factor for all gradients keeps the direction of the whole step and caps only its length, so
    a single exploding batch cannot throw the weights far (Pascanu, Mikolov & Bengio, 2013, "On the
    difficulty of training recurrent neural networks"). The 1e-6 keeps coef finite when total is 0.

    parameters: model.parameters(), a list of tensors, or one tensor; those without .grad are skipped.
    Returns the total norm before clipping, as a Python float (PyTorch returns a 0-d tensor).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    for parameter in parameters:
        if not isinstance(parameter, Tensor):
            raise TypeError(
                f"clip_grad_norm_: expected tensors (model.parameters()), got {type(parameter).__name__}"
            )
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be non-negative, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or math.inf), got {norm_type}")
    with_grad = [parameter for parameter in parameters if parameter.grad is not None]
    if not with_grad:
        return 0.0
    if norm_type == math.inf:
        total_norm = max(float(abs(parameter.grad).max()) for parameter in with_grad)
    else:
        total_norm = sum(float((abs(parameter.grad) ** norm_type).sum()) for parameter in with_grad)
        total_norm = total_norm ** (1.0 / norm_type)
    clip_coef = max_norm / (total_norm + 1e-6)
    if clip_coef < 1:
        for parameter in with_grad:
            # A new array rather than *=: the same array may be the .grad of two tensors.
            parameter.grad = parameter.grad * clip_coef
    return total_norm
