"""Dense search over unit vectors with FAISS: exact below a size threshold, HNSW above it.

The interface is small on purpose (`search`, `save`, `load`, `count`, `kind`) so another
backend can stand beside this one and pass the same contract tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


class VectorIndex(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def count(self) -> int: ...

    def search(self, queries: npt.NDArray[np.float32], k: int) -> tuple[Scores, Ids]:
        """Inner-product top-k per query row; ids are -1 where fewer than k rows exist."""
        ...

    def all_vectors(self) -> npt.NDArray[np.float32]:
        """Every stored vector, in row order (the ranker's score moments)."""
        ...

    def reconstruct(self, row: int) -> npt.NDArray[np.float32]:
        """The stored vector of one row."""
        ...

    def save(self, path: Path) -> None: ...


class FaissIndex:
    """Inner-product FAISS index: `IndexFlatIP` (exact) or `IndexHNSWFlat` (approximate)."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self._index = index
        self._kind = kind

    @classmethod
    def build(cls, vectors: npt.NDArray[np.float32], hnsw_above: int = 50_000, hnsw_m: int = 32) -> FaissIndex:
        """Exact search up to `hnsw_above` rows; HNSW (M=`hnsw_m`) beyond."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        index: faiss.Index
        if len(vectors) > hnsw_above:
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
            kind = f"hnsw(m={hnsw_m},ef_search=96)"
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "flat_ip"
        index.add(vectors)
        return cls(index, kind)

    @classmethod
    def load(cls, path: Path, kind: str) -> FaissIndex:
        index = faiss.read_index(str(path))
        if "hnsw" in kind:
            hnsw: Any = faiss.downcast_index(index)
            hnsw.hnsw.efSearch = 96
        return cls(index, kind)

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, queries: npt.NDArray[np.float32], k: int) -> tuple[Scores, Ids]:
        queries = np.ascontiguousarray(queries.reshape(-1, self.dim), dtype=np.float32)
        k = max(1, min(k, self.count))
        scores, ids = self._index.search(queries, k)
        return scores, ids

    def all_vectors(self) -> npt.NDArray[np.float32]:
        """Every stored vector, in row order (one call, not one per row)."""
        return np.asarray(self._index.reconstruct_n(0, self.count), dtype=np.float32).reshape(self.count, self.dim)

    def reconstruct(self, row: int) -> npt.NDArray[np.float32]:
        return np.asarray(self._index.reconstruct(int(row)), dtype=np.float32)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))
