"""One computation in tinyconv and in PyTorch, in float64, outputs and gradients compared closely.

Where helpers/torch_checks.py compares in float32 (the precision the two libraries train in), this
compares in float64, tightly: for the shape, selection and reduction ops of the Tensor, whose results
must be the same numbers, and for their rules at the edges (which of two tied maxima gets the
gradient, what a NaN does). torch is passed in (the `torch` fixture skips a test without it).
"""

from __future__ import annotations

import numpy as np

from helpers.tensors import random_array
from tinyconv import Tensor

RTOL, ATOL = 1e-10, 1e-12


def assert_same_as_torch(torch, ours, theirs, *arrays, seed: int = 0) -> None:
    """ours(*tinyconv tensors) and theirs(*torch tensors), on float64 leaves made from the same arrays,
    give the same outputs (a tensor or a tuple of them, integer outputs exactly), and, under the same
    random upstream gradient for every floating-point output, the same gradient for every input.

    An integer array is passed as a tensor that does not require grad (an index, say)."""
    arrays = [np.asarray(a) for a in arrays]
    floating = [a.dtype.kind == "f" for a in arrays]
    tiny_inputs = [
        Tensor(a.astype(np.float64) if f else a.copy(), requires_grad=f) for a, f in zip(arrays, floating)
    ]
    torch_inputs = [
        torch.tensor(a.astype(np.float64) if f else a, requires_grad=f) for a, f in zip(arrays, floating)
    ]
    tiny_outputs, torch_outputs = as_tuple(ours(*tiny_inputs)), as_tuple(theirs(*torch_inputs))
    assert len(tiny_outputs) == len(torch_outputs), "number of outputs"

    tiny_loss = torch_loss = None
    for k, (mine, reference) in enumerate(zip(tiny_outputs, torch_outputs)):
        assert mine.shape == tuple(reference.shape), f"shape of output {k}"
        expected = reference.detach().numpy()
        assert mine.dtype == expected.dtype, f"dtype of output {k}"
        np.testing.assert_allclose(mine.data, expected, rtol=RTOL, atol=ATOL, err_msg=f"output {k}")
        if mine.requires_grad:
            upstream = random_array(*mine.shape, seed=seed + 100 + k)
            tiny_term, torch_term = (mine * upstream).sum(), (reference * torch.tensor(upstream)).sum()
            tiny_loss = tiny_term if tiny_loss is None else tiny_loss + tiny_term
            torch_loss = torch_term if torch_loss is None else torch_loss + torch_term
    if tiny_loss is None:
        return
    tiny_loss.backward()
    torch_loss.backward()
    for k, (mine, reference) in enumerate(zip(tiny_inputs, torch_inputs)):
        if not mine.requires_grad:
            continue
        expected = np.zeros(mine.shape) if reference.grad is None else reference.grad.numpy()
        actual = np.zeros(mine.shape) if mine.grad is None else mine.grad
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=f"gradient of input {k}")


def as_tuple(result) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)
