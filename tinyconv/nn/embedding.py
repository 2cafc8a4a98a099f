"""`Embedding`: a learned vector for each token of a vocabulary (see functional/embedding.py)."""

from __future__ import annotations

import numpy

from tinyconv import init
from tinyconv.checks import check_int
from tinyconv.functional.embedding import embedding
from tinyconv.nn.module import Module
from tinyconv.nn.parameter import Parameter


class Embedding(Module):
    """A table `weight` (num_embeddings, embedding_dim); `Embedding(V, D)(indices)` is weight[indices].

    indices: integers in [0, V) of any shape S; the output has shape (*S, D). Initialized from
    N(0, 1), as PyTorch: the rows are unrelated to begin with, and training pulls them into place.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__()
        self.num_embeddings = check_int("Embedding", "num_embeddings", num_embeddings, minimum=1)
        self.embedding_dim = check_int("Embedding", "embedding_dim", embedding_dim, minimum=1)
        self.weight = Parameter(numpy.empty((self.num_embeddings, self.embedding_dim), dtype=numpy.float32))
        init.normal_(self.weight)

    def forward(self, indices):
        return embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
