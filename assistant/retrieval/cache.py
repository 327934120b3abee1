"""A persistent embedding cache, so a rebuild embeds only what is new or changed.

Keyed by (model name, side, SHA-256 of the text); the vectors are float32 blobs in SQLite.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.retrieval.embedders import Embedder, Vectors

Side = Literal["query", "passage"]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors already computed, per model and side, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, side TEXT NOT NULL,"
            " key TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, side, key))"
        )
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        self._db.close()

    def encode(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        side: Side,
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> Vectors:
        """Vectors for `texts`, embedding (in batches) only those not cached yet."""
        keys = [text_key(t) for t in texts]
        found: dict[str, Vectors] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vector FROM embeddings WHERE model=? AND side=? AND key IN ({marks})",
                (embedder.name, side, *chunk),
            )
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (embedder.dim,):
                    found[key] = vector
        missing = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        self.hits += len(texts) - sum(1 for k in keys if k not in found)
        self.misses += len(missing)
        if progress:
            progress(len(texts) - len(missing))
        encode = embedder.encode_queries if side == "query" else embedder.encode_passages
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            vectors = encode([t for _, t in batch])
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                    [(embedder.name, side, k, v.tobytes()) for (k, _), v in zip(batch, vectors, strict=True)],
                )
            found.update((k, v) for (k, _), v in zip(batch, vectors, strict=True))
            if progress:
                progress(len(batch))
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
