"""Embedding: a lookup table of learned vectors, one row per token (a word, a character).

    y[...] = W[indices[...]]        indices: integers of any shape S; W (V, D); y (*S, D)

It is the same as multiplying a one-hot vector by W (one_hot(k) W = row k of W), without building
the one-hot vectors. Its backward is the transpose of that product: the gradient of each output
vector is added to the row it was read from,

    dL/dW[k] = sum of dL/dy[p] over every position p with indices[p] = k      (zero for unused rows)

A token that appears several times in a batch collects the sum of all its gradients, so the scatter
must add (`add.at`); a plain assignment would keep only one of them.
"""

from __future__ import annotations

from tinyconv.autograd import Function
from tinyconv.backend import get_array_module
from tinyconv.checks import check_floating, check_ndim, check_tensor
from tinyconv.tensor import Tensor


class Embedding(Function):
    """y = W[indices].    dL/dW = zeros (V, D), then dL/dy[p] added into row indices[p], for every p."""

    def __init__(self, indices):
        self.indices = indices  # an integer array: not an input of the Function, it gets no gradient

    def forward(self, weight):
        self.num_embeddings = weight.shape[0]
        return weight[self.indices]

    def backward(self, grad_out):
        xp = get_array_module(grad_out)
        grad_weight = xp.zeros((self.num_embeddings, grad_out.shape[-1]), dtype=grad_out.dtype)
        xp.add.at(grad_weight, self.indices, grad_out)
        return grad_weight


def embedding(indices, weight: Tensor) -> Tensor:
    """Rows of `weight` (V, D) picked by integer `indices` of any shape S: a tensor (*S, D).

    indices: an integer Tensor or array with values in [0, V), as torch.nn.functional.embedding.
    """
    op = "embedding"
    check_tensor(weight, op, "weight")
    check_floating(weight, op, "weight")
    check_ndim(weight, 2, op, "(num_embeddings, embedding_dim)", "weight")
    index_array = indices.data if isinstance(indices, Tensor) else indices
    if not hasattr(index_array, "dtype") or index_array.dtype.kind not in "iu":
        kind = getattr(index_array, "dtype", type(index_array).__name__)
        raise TypeError(f"{op}: indices must be an integer Tensor or array, got {kind}")
    if index_array.size:
        low, high = int(index_array.min()), int(index_array.max())
        if low < 0 or high >= weight.shape[0]:
            bad = low if low < 0 else high
            raise ValueError(
                f"{op}: index {bad} is out of range for a table of {weight.shape[0]} embeddings "
                f"(valid indices: 0 to {weight.shape[0] - 1})"
            )
    return Embedding(index_array)(weight)
