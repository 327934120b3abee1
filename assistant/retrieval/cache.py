"""A persistent embedding cache, so a rebuild embeds only what is new or changed.

Keyed by (model name, side, SHA-256 of the text); the vectors are float32 blobs in SQLite. A cache
may be *seeded* by other cache files of the same index folder (read only): a text another build
already embedded with the same model is copied from there instead of embedded again, so
`huashu index build` after `huashu serve` (or the other way round) does not embed the demo
shop twice.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.retrieval.embedders import Embedder, Vectors

Side = Literal["query", "passage"]

log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors already computed, per model and side, in one SQLite file."""

    def __init__(self, path: Path, seeds: Iterable[Path] = ()) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        own = path.resolve()
        self._seeds = [p for p in seeds if p.is_file() and p.resolve() != own]
        self._db = sqlite3.connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, side TEXT NOT NULL,"
            " key TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, side, key))"
        )
        self.hits = 0
        self.misses = 0
        self.seeded = 0
        """Texts found in a seed cache (counted among `hits`) and copied into this one."""

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _lookup(db: sqlite3.Connection, model: str, side: Side, dim: int, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT key, vector FROM embeddings WHERE model=? AND side=? AND key IN ({marks})",
                (model, side, *chunk),
            )
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (dim,):
                    found[key] = vector
        return found

    def _from_seeds(self, model: str, side: Side, dim: int, keys: Sequence[str]) -> dict[str, Vectors]:
        """Vectors for `keys` found in the seed caches, copied into this cache. A seed that cannot
        be read (locked, damaged, another schema) is skipped: it only ever saves work."""
        found: dict[str, Vectors] = {}
        for seed in self._seeds:
            wanted = [k for k in keys if k not in found]
            if not wanted:
                break
            try:
                db = sqlite3.connect(f"{seed.resolve().as_uri()}?mode=ro", uri=True)
                try:
                    found.update(self._lookup(db, model, side, dim, wanted))
                finally:
                    db.close()
            except sqlite3.Error as exc:
                log.warning("embedding cache %s not read: %s", seed, exc)
        if found:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                    [(model, side, k, v.tobytes()) for k, v in found.items()],
                )
        self.seeded += len(found)
        return found

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
        unique = list(dict.fromkeys(keys))
        found = self._lookup(self._db, embedder.name, side, embedder.dim, unique)
        if self._seeds and len(found) < len(unique):
            found.update(self._from_seeds(embedder.name, side, embedder.dim, [k for k in unique if k not in found]))
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
