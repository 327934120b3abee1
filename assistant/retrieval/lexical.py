"""BM25 over Chinese tokens (jieba words + character n-grams), with bm25s."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from assistant.retrieval.text import tokens


class LexicalIndex:
    """BM25 (bm25s, Lucene variant) over the tokens of each indexed text."""

    def __init__(self, retriever: bm25s.BM25, vocab: frozenset[str], count: int) -> None:
        self._bm25 = retriever
        self._vocab = vocab
        self._count = count

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        token_lists = [tokens(t) or ["∅"] for t in texts]
        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index(token_lists, show_progress=False)
        vocab = frozenset(w for ts in token_lists for w in ts)
        return cls(retriever, vocab, len(texts))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(directory), load_corpus=False)
        vocab = frozenset(retriever.vocab_dict)
        count = int(retriever.scores["num_docs"])
        return cls(retriever, vocab, count)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory))

    @property
    def count(self) -> int:
        return self._count

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every token of the indexed texts."""
        return self._vocab

    def scores(self, text: str) -> npt.NDArray[np.float32]:
        """BM25 score of every indexed text for a raw query text (zeros when nothing matches)."""
        query = [t for t in tokens(text) if t in self._vocab]
        if not query:
            return np.zeros(self._count, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query), dtype=np.float32)
