"""The FAISS index on random unit vectors: exact search is exact; HNSW finds the same neighbours."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.retrieval.vector_index import FaissIndex


def unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_flat_index_returns_the_exact_top_k() -> None:
    rng = np.random.default_rng(0)
    data, queries = unit(rng, 500), unit(rng, 5)
    index = FaissIndex.build(data)
    scores, ids = index.search(queries, 10)
    truth = np.argsort(-(queries @ data.T), axis=1)[:, :10]
    assert index.kind == "flat_ip" and index.count == 500
    assert (ids == truth).all()
    assert np.allclose(scores, np.take_along_axis(queries @ data.T, truth, axis=1), atol=1e-5)


def test_above_the_threshold_hnsw_is_used_and_recalls_the_neighbours(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data, queries = unit(rng, 3000), unit(rng, 50)
    index = FaissIndex.build(data, hnsw_above=1000)
    assert index.kind.startswith("hnsw")
    assert np.allclose(index.all_vectors(), data)
    index.save(tmp_path / "v.faiss")
    loaded = FaissIndex.load(tmp_path / "v.faiss", index.kind)
    _, ids = loaded.search(queries, 10)
    truth = np.argsort(-(queries @ data.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth, strict=True)])
    assert recall >= 0.95


def test_k_larger_than_the_index_is_clamped() -> None:
    rng = np.random.default_rng(2)
    index = FaissIndex.build(unit(rng, 3))
    _, ids = index.search(unit(rng, 1), 10)
    assert ids.shape == (1, 3) and sorted(ids[0]) == [0, 1, 2]
