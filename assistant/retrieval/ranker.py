"""Ranking reply suggestions for one customer message: hybrid retrieval, fusion, emotion, diversity.

Signals, each a ranking of knowledge entries:

1. dense: the message against every question key (customer wordings, embedded as queries,
   which is how e5 is meant to match text against text of the same kind); an entry scores its
   best key;
2. lexical: BM25 over jieba words and character n-grams of the same keys;
3. reply: the message against each entry's reply text (embedded as a passage);
4. context: when earlier turns are given, the recent customer turns plus the message, as one
   more dense query, so "那呢？" after "运费谁出" still finds the freight answer. For a follow-up
   that leans on the turn before (`follow_up`: 那西藏呢), the score shown is the better of the
   message's and the context's match confidence, for an entry the message itself points at
   (`FOLLOW_UP_FLOOR`): alone, 那西藏呢 matches nothing well.

Messages are embedded as `normalise` leaves them (no emoticon codes, emoji, runs of
punctuation, traditional characters); the lexical index cleans them itself. Every signal reads a
message with its mistyped homophones of the shop's words put right first (`spelled`: 电热谈 → 电热毯)
and without the places the shop's wordings do not name (the customer's own address, `read`).

They are fused by `zscore_fusion` (weights in `RankingWeights`): each signal is standardised
with the mean and spread of its scores over the whole index for this query (for the dense
signals these come from the key vectors' first two moments, so they are exact and cost
O(dim²) whatever the index size), nudged by the emotion reading (apologies first for an angry
customer) and made diverse by MMR over the replies' vectors. The fusion only orders; the score
shown is the calibrated match confidence of `calibration.py`, read from the raw evidence of each
suggested entry. See docs/retrieval.md for what was measured.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from assistant.emotion.types import NO_EMOTION, EmotionReading
from assistant.knowledge.loader import QA_MARK
from assistant.knowledge.model import KnowledgeEntry, SourceKind
from assistant.retrieval.calibration import (
    CONFIDENCE_MODEL,
    CONTAINED_MIN,
    OTHER_PRODUCT_CONFIDENCE,
    OTHER_SIZE_CONFIDENCE,
    ConfidenceModel,
    MatchEvidence,
    share_found,
)
from assistant.retrieval.diversity import maximal_marginal_relevance
from assistant.retrieval.embedders import Vectors
from assistant.retrieval.fusion import ScoreStats, standardise, top_per_item, zscore_fusion
from assistant.retrieval.products import (
    ProductNames,
    named_products,
    product_names,
    product_of,
    products_about,
    products_in_view,
    without_products,
)
from assistant.retrieval.quantities import Quantity, other_size, quantities
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.spelling import HomophoneSpeller
from assistant.retrieval.text import compact, embedding_text, normalise, tokens, without_places
from assistant.retrieval.types import Suggestion, SuggestRequest, Turn

_NUMBER = re.compile(r"\d")
"""A token holding a digit (an order number, a date, a size) is the customer's own detail: it
says nothing of which entry answers, so `coverage` and `known` leave it out (a user test:
鹅绒被17号什么时候发货呀 0.19 against 0.82 without 17号)."""
_PARTICLES = "呢吗嘛啊呀哦啦么"
_KEYWORD = re.compile(r"[\u4e00-\u9fff]+(?<![呢吗吧啊呀哦嘛啦么了])")
"""A one-keyword message (`MatchEvidence.keyword`): Chinese characters only, not ending on a particle
(然后呢 and 人呢 lean on the turn before; 好吗 and 不要了 ask nothing by themselves)."""
_NOT_KEYWORDS = frozenset({
    "可以", "没有", "不是", "是的", "对的", "好的", "不行", "不用", "知道", "明白", "多少",
    "什么", "怎么", "怎么办", "怎么样", "为什么", "为啥", "然后", "所以", "但是", "还有", "已经",
    "现在", "今天", "明天", "一下", "这个", "那个", "哪个", "需要", "不要", "想要", "谢谢",
    "算了", "没事", "随便", "行吧", "好吧", "真的", "这样", "那样"
})  # fmt: skip
"""Words that name no topic (a reply to the agent, a question word, a time): 可以, 没有 or 怎么办 alone
read 0.5 for whichever entry's wording held them (a review of the keyword rule)."""
TagBias = Callable[[EmotionReading, frozenset[str], "str | None"], float]
_CLOSEST_PAST_OFF = 32
"""Keys searched past the closest for one of an entry in season (`_closest`): past them, nothing counts as
closer (behind 0)."""
PRODUCT_TURNS = 3
"""How many of the customer's earlier turns a message that names no product is read with for the
product it is about (`products_in_view`)."""
FOLLOW_UP_FLOOR = 0.1
"""A follow-up takes the context's confidence only for an entry its own words point at, however
weakly (那西藏呢 → the remote-shipping answer, 0.20 alone): after 这个被子多重, 那西藏呢 must not
make the duvet's weight answer (the context's exact match, 0.0 alone) sure."""


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """How much each signal counts in the fusion, and how the top is diversified."""

    dense: float = 0.6
    lexical: float = 0.4
    reply: float = 0.15
    context: float = 0.25
    candidates: int = 50
    diversity: float = 0.15
    duplicate_at: float = 0.97
    context_turns: int = 2
    # The order may blend the fused relevance with the calibrated match confidence of the best
    # `confidence_pool` candidates: order = confidence·c + (1 − confidence)·relevance (+ emotion
    # nudge). Measured at 0.3 (docs/retrieval.md): bq_faq R@3 −0.010, the demo wordings +1 of 45,
    # and a confidence that is wrong (评价怎么样 → 评价改好了 at 0.88) moves a wrong reply first.
    # So the order ships without it (0).
    confidence: float = 0.0
    confidence_pool: int = 20
    # What each signal's z-scores are taken against: its scores over the whole index for this
    # query ("index", shipped) or over its own candidate list only ("candidates", the former).
    standardise_over: Literal["index", "candidates"] = "index"


def _no_bias(reading: EmotionReading, tags: frozenset[str], stage: str | None) -> float:
    return 0.0


class SuggestionRanker:
    """Ranks the entries of one snapshot for a customer message. Safe to share across calls."""

    def __init__(
        self,
        snapshot: Snapshot,
        weights: RankingWeights | None = None,
        tag_bias: TagBias | None = None,
        confidence_model: ConfidenceModel = CONFIDENCE_MODEL,
    ) -> None:
        self.snapshot = snapshot
        self.weights = weights or RankingWeights()
        self._tag_bias = tag_bias or _no_bias
        self._confidence = confidence_model
        self._key_texts = snapshot.key_texts()
        self._speller = HomophoneSpeller(snapshot.lexical.vocabulary)
        self._entry_rows: dict[str, int] | None = None
        # Lexical tokens of each entry's question keys, filled as entries get suggested.
        self._entry_tokens: dict[int, frozenset[str]] = {}
        # Character grams of each question key of an entry, filled as entries get suggested.
        self._key_grams: dict[int, list[list[str]]] = {}
        self._key_gram_sets: dict[int, list[frozenset[str]]] = {}
        self._compact_keys: dict[int, list[str]] = {}
        # The sizes each product entry's keys and reply name, filled as products get suggested.
        self._sizes: dict[int, frozenset[Quantity]] = {}
        self._product_names: dict[str, ProductNames] | None = None
        # The products each entry is about (`products.products_about`), filled as entries get suggested.
        self._about: dict[int, frozenset[str]] = {}
        # Keys are stored entry by entry: entry i owns key rows [starts[i], starts[i + 1]).
        self._key_starts = np.searchsorted(snapshot.key_entry, np.arange(len(snapshot.entries) + 1))
        # First two moments of the key vectors: for a query v, the mean of its scores over all
        # keys is v·μ and their variance vᵀMv − (v·μ)², without scoring every key.
        keys = snapshot.keys.all_vectors().astype(np.float64)
        self._key_mean: npt.NDArray[np.float64] = keys.mean(axis=0)
        self._key_moment: npt.NDArray[np.float64] = keys.T @ keys / max(1, len(keys))

    @property
    def version(self) -> str:
        return self.snapshot.version

    def entry_rows(self) -> dict[str, int]:
        """Each entry's row in the snapshot, by id."""
        if self._entry_rows is None:
            self._entry_rows = {entry.id: row for row, entry in enumerate(self.snapshot.entries)}
        return self._entry_rows

    @property
    def embedder_name(self) -> str:
        return str(self.snapshot.manifest["model"])

    def spelled(self, text: str) -> str:
        """`text` with mistyped homophones of the shop's words put right (电热谈 → 电热毯), as every
        signal reads it (`spelling.HomophoneSpeller`)."""
        return self._speller.correct(text)

    def read(self, text: str) -> str:
        """`text` as every signal reads it: without the places the shop's wordings do not name (the
        customer's own address, `text.without_places`), its homophone typos put right (`spelled`)."""
        return self.spelled(without_places(text, self.snapshot.lexical.vocabulary))

    def context_text(self, request: SuggestRequest) -> str | None:
        """The recent customer turns and the message as one text, or None without context."""
        turns = [normalise(self.read(t.text)) for t in request.context if t.role == "customer"]
        recent = [t for t in turns if t][-self.weights.context_turns :]
        return "，".join([*recent, embedding_text(self.read(request.text))]) if recent else None

    def query_texts(self, request: SuggestRequest) -> list[str]:
        """What to embed (with `encode_queries`) for this request, in the order `rank` expects."""
        context = self.context_text(request)
        message = embedding_text(self.read(request.text))
        return [message] if context is None else [message, context]

    def dense_stats(self, vector: Vectors) -> ScoreStats:
        """Mean and spread of a query vector's scores over every key (exact, from the moments)."""
        v = np.asarray(vector, dtype=np.float64).reshape(-1)
        mean = float(v @ self._key_mean)
        return mean, math.sqrt(max(0.0, float(v @ self._key_moment @ v) - mean * mean))

    def dense_ranking(self, vector: Vectors) -> list[tuple[int, float]]:
        n = self.weights.candidates * 4
        scores, rows = self.snapshot.keys.search(vector, n)
        pairs = [(int(self.snapshot.key_entry[r]), float(s)) for s, r in zip(scores[0], rows[0], strict=True) if r >= 0]
        return top_per_item(pairs)[: self.weights.candidates]

    def lexical_ranking(self, text: str) -> list[tuple[int, float]]:
        return self._lexical(text)[0]

    def _lexical(self, text: str) -> tuple[list[tuple[int, float]], ScoreStats]:
        scores = self.snapshot.lexical.scores(text)
        n = min(len(scores), self.weights.candidates * 4)
        if n == 0 or not scores.any():
            return [], (0.0, 0.0)
        rows = np.argpartition(-scores, n - 1)[:n]
        pairs = [(int(self.snapshot.key_entry[r]), float(scores[r])) for r in rows if scores[r] > 0]
        return top_per_item(pairs)[: self.weights.candidates], (
            float(scores.mean()),
            float(scores.std()),
        )

    def _reply(self, vector: Vectors) -> tuple[list[tuple[int, float]], ScoreStats]:
        scores = self.snapshot.replies @ vector.reshape(-1)
        n = min(len(scores), self.weights.candidates)
        if n == 0:
            return [], (0.0, 0.0)
        rows = np.argpartition(-scores, n - 1)[:n]
        ranking = sorted(((int(r), float(scores[r])) for r in rows), key=lambda kv: kv[1], reverse=True)
        return ranking, (float(scores.mean()), float(scores.std()))

    def fused(self, request: SuggestRequest, vectors: Vectors) -> list[tuple[int, float]]:
        """The fused relevance of candidate entries (entry row, score), best first."""
        w = self.weights
        lexical, lexical_stats = self._lexical(self.read(request.text))
        reply, reply_stats = self._reply(vectors[0])
        rankings = [self.dense_ranking(vectors[0]), lexical, reply]
        stats = [self.dense_stats(vectors[0]), lexical_stats, reply_stats]
        weights = [w.dense, w.lexical, w.reply]
        if len(vectors) > 1:
            rankings.append(self.dense_ranking(vectors[1]))
            stats.append(self.dense_stats(vectors[1]))
            weights.append(w.context)
        if w.standardise_over == "candidates":
            return zscore_fusion(rankings, weights)
        return zscore_fusion(rankings, weights, stats)

    def rank(
        self,
        request: SuggestRequest,
        query_vectors: Vectors,
        reading: EmotionReading = NO_EMOTION,
        *,
        follow_up: bool = False,
        off: frozenset[str] = frozenset(),
    ) -> list[Suggestion]:
        """Top `request.k` suggestions; `query_vectors` = `encode_queries(query_texts(request))`;
        `follow_up`: the message leans on the earlier turns (see the module doc); `off`: the ids of
        entries not suggested today (out of season), which `MatchEvidence.behind` is not measured from."""
        vectors = np.asarray(query_vectors, dtype=np.float32).reshape(-1, self.snapshot.replies.shape[1])
        fused = self.fused(request, vectors)[: self.weights.candidates]
        if not fused:
            return []
        # The order: how far above the pack a candidate stands, as the logistic of its fused
        # score standardised over the fused candidates (whatever scale the fusion used), so the
        # emotion nudge (±0.3) keeps one meaning. It orders only; it is not the score shown.
        pack, _ = standardise(fused)
        relevance = {row: 1.0 / (1.0 + math.exp(-(pack[row] - 1.0))) for row, _ in fused}
        entries = self.snapshot.entries
        a = self.weights.confidence
        pool = [row for row, _ in fused[: max(self.weights.confidence_pool, request.k)]] if a > 0 else []
        confidence, best_key = self._confidences(request, vectors, pool, follow_up=follow_up, off=off)
        # The order weighs the customer's emotion (apologies first for an angry customer); the
        # score shown is the calibrated match confidence, so a nudged reply does not pose as a match.
        order = sorted(
            (
                (
                    row,
                    a * confidence.get(row, 0.0)
                    + (1.0 - a) * value
                    + (self._bias(reading, entries[row]) if reading.cues else 0.0),
                )
                for row, value in relevance.items()
            ),
            key=lambda kv: kv[1],
            reverse=True,
        )
        replies = self.snapshot.replies
        chosen = maximal_marginal_relevance(
            order,
            lambda a, b: float(replies[a] @ replies[b]),
            k=request.k,
            diversity=self.weights.diversity,
            duplicate_at=self.weights.duplicate_at,
        )
        missing = [row for row, _ in chosen if row not in confidence]
        if missing:
            more, more_keys = self._confidences(request, vectors, missing, follow_up=follow_up, off=off)
            confidence.update(more)
            best_key.update(more_keys)
        return [self._suggestion(row, confidence[row], best_key[row][0], value) for row, value in chosen]

    def _suggestion(self, row: int, confidence: float, key: int, order: float) -> Suggestion:
        entry = self.snapshot.entries[row]
        return Suggestion(
            entry_id=entry.id,
            text=entry.reply,
            score=round(confidence, 4),
            kind=entry.kind,
            tags=tuple(sorted(entry.tags)),
            matched=self._key_texts[key],
            origin=entry.origin,
            order=round(order, 4),
        )

    def nearest(self, vector: Vectors, n: int, off: frozenset[str] = frozenset()) -> list[int]:
        """The `n` entry rows whose closest question key is nearest a query vector, out-of-season
        entries (`off`) left out."""
        entries = self.snapshot.entries
        rows = (row for row, _ in self.dense_ranking(np.asarray(vector, dtype=np.float32).reshape(1, -1)))
        return [row for row in rows if entries[row].id not in off][:n]

    def suggestion_for(self, vector: Vectors, row: int, score: float) -> Suggestion:
        """Entry `row` as a suggestion scored `score` (a confidence the caller read), its matched
        wording the one closest to the query vector `vector`."""
        key, _ = self._best_keys(np.asarray(vector, dtype=np.float32), [row])[row]
        return self._suggestion(row, score, key, score)

    def _confidences(
        self,
        request: SuggestRequest,
        vectors: Vectors,
        rows: list[int],
        *,
        follow_up: bool,
        off: frozenset[str] = frozenset(),
    ) -> tuple[dict[int, float], dict[int, tuple[int, float]]]:
        """The calibrated match confidence of each entry row, and its best key; a follow-up takes
        the context's confidence where its own words point at the entry (`FOLLOW_UP_FLOOR`)."""
        best_key = self._best_keys(vectors[0], rows)
        named = self.products_in_view(request.text, request.context)
        evidence = self._evidence(request.text, best_key, self._closest(vectors[0], off), named)
        confidence = {row: self._confidence.confidence(evidence[row]) for row in rows}
        context = self.context_text(request) if follow_up and len(vectors) > 1 else None
        if context is not None:
            leaning = self._evidence(context, self._best_keys(vectors[1], rows), self._closest(vectors[1], off))
            confidence = {
                row: max(c, self._confidence.confidence(leaning[row])) if c >= FOLLOW_UP_FLOOR else c
                for row, c in confidence.items()
            }
        return confidence, best_key

    def confidences(
        self, text: str, vector: Vectors, rows: list[int], off: frozenset[str] = frozenset()
    ) -> dict[int, float]:
        """The calibrated match confidence of each entry row for the message `text` (embedded as
        `vector`), read as if it had been typed alone."""
        evidence = self.match_evidence(text, vector, rows, off)
        return {row: self._confidence.confidence(found) for row, found in evidence.items()}

    def match_evidence(
        self, text: str, vector: Vectors, rows: list[int], off: frozenset[str] = frozenset()
    ) -> dict[int, MatchEvidence]:
        """The raw evidence that each entry row answers the message `text` (embedded as `vector`)."""
        return self._evidence(text, self._best_keys(vector, rows), self._closest(vector, off))

    def _closest(self, vector: Vectors, off: frozenset[str] = frozenset()) -> float:
        """The cosine of the shop's closest question key to a query vector, of any entry but those
        `off` (out of season: an ended promotion kept for next year made the live answers near it
        unsure, 定金膨胀怎么算 → the presale refund answer 0.98 → 0.54, a second reading)."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self.snapshot.keys.search(query, 1 + _CLOSEST_PAST_OFF * bool(off))
        entries = self.snapshot.entries
        for score, row in zip(scores[0], rows[0], strict=True):
            if row >= 0 and entries[int(self.snapshot.key_entry[row])].id not in off:
                return float(score)
        return -1.0

    def _evidence(
        self,
        text: str,
        best_key: dict[int, tuple[int, float]],
        closest: float,
        named: frozenset[str] | None = None,
    ) -> dict[int, MatchEvidence]:
        """The evidence for each entry row (its best key and cosine given); `closest`: the cosine of
        the shop's closest key to the message, which `MatchEvidence.behind` is measured from; `named`:
        the products the message is about (`products_in_view`), by default those it names."""
        text = self.read(text)
        message = [t for t in tokens(text) if not _NUMBER.search(t)]
        grams = [t for t in message if t.startswith("#")]
        found_in_message = frozenset(grams)
        known = share_found(message, self.snapshot.lexical.vocabulary)
        said = compact(text)
        stretch = len(said) >= CONTAINED_MIN
        # 我的快递呢 asks what 我的快递到哪里了 asks: a subject and a closing particle opens the wording
        asked = said.rstrip(_PARTICLES)
        opens = asked != said and len(asked) >= CONTAINED_MIN
        keyword = 2 <= len(said) < CONTAINED_MIN and _KEYWORD.fullmatch(said) is not None and said not in _NOT_KEYWORDS
        sizes = quantities(text)
        named = self.named_products(text) if named is None else named

        # per key of each entry: (share of the message's grams in it, share of its grams in the message)
        shares = {
            row: [
                (share_found(grams, key_set), share_found(key, found_in_message))
                for key, key_set in zip(self._key_grams_of(row), self._key_gram_sets_of(row), strict=True)
            ]
            for row in best_key
        }
        return {
            row: MatchEvidence(
                dense=cosine,
                coverage=share_found(grams, self._tokens_of(row)),
                known=known,
                behind=max(0.0, closest - cosine),
                other_size=bool(sizes) and other_size(sizes, self._sizes_of(row)),
                other_product=self._other_product(row, named),
                covered=max((pair[1] for pair in shares[row]), default=0.0),
                # the key sharing most with the message both ways (`MatchEvidence.wording`)
                wording=max(shares[row], key=lambda pair: pair[0] * pair[1], default=(0.0, 0.0)),
                contained=any(
                    (stretch and said in key) or (opens and key.startswith(asked)) for key in self._compact_keys_of(row)
                ),
                keyword=keyword and any(said in key for key in self._compact_keys_of(row)),
            )
            for row, (_, cosine) in best_key.items()
        }

    def whole_message_caps(self, text: str, rows: Iterable[int], context: Sequence[Turn] = ()) -> dict[int, float]:
        """The most each of `rows` may be sure of any clause of the message `text`, for the rows the
        whole message caps: a product `text` names a size of that it does not come in
        (`MatchEvidence.other_size`), or an answer about other products than the message is about
        (`MatchEvidence.other_product`, `products_in_view`: with the earlier turns of `context`)."""
        sizes, named = quantities(text), self.products_in_view(text, context)
        caps: dict[int, float] = {}
        for row in rows:
            if sizes and other_size(sizes, self._sizes_of(row)):
                caps[row] = OTHER_SIZE_CONFIDENCE
            if self._other_product(row, named):
                caps[row] = min(caps.get(row, 1.0), OTHER_PRODUCT_CONFIDENCE)
        return caps

    def named_products(self, text: str) -> frozenset[str]:
        """The shop's products `text` names (`products.named_products`)."""
        return named_products(text, self._names())

    def _names(self) -> dict[str, ProductNames]:
        """The shop's products' names, read from the snapshot once (`products.product_names`)."""
        if self._product_names is None:
            self._product_names = product_names(self.snapshot.entries)
        return self._product_names

    def products_in_view(self, text: str, context: Sequence[Turn] = ()) -> frozenset[str]:
        """The shop's products the message `text` is about: those it names, else those the customer
        named last among the earlier turns of `context` (`products.products_in_view`)."""
        earlier = [t.text for t in context if t.role == "customer"][-PRODUCT_TURNS:]
        return products_in_view(text, earlier, self._names())

    def without_products(self, text: str) -> str | None:
        """`text` with the shop's products it names taken out (`products.without_products`)."""
        return without_products(text, self._names())

    def _other_product(self, row: int, named: frozenset[str]) -> bool:
        """Entry `row` is about products (`about`) and none of those `named`."""
        if not named:
            return False
        about = self.about(row)
        return bool(about) and not about & named

    def about(self, row: int) -> frozenset[str]:
        """The products entry `row` is about: a product's entries their product; another entry the
        products most of its wordings name, or its product category's (`products.products_about`);
        none for most."""
        found = self._about.get(row)
        if found is None:
            entry = self.snapshot.entries[row]
            product = product_of(entry)
            if product is not None:
                found = frozenset({product})
            else:
                found = products_about(entry.questions, entry.category, self._names())
            self._about[row] = found
        return found

    def _sizes_of(self, row: int) -> frozenset[Quantity]:
        """The sizes a product's overview (its keys and its reply: name, specs, price of every
        size) names; none for other entries: a policy or an FAQ answer may name a size as an
        example and answers for every size, and a product's question and answer names sizes in
        passing (身高170cm以下的裹身刚好)."""
        found = self._sizes.get(row)
        if found is None:
            entry = self.snapshot.entries[row]
            keys = self._key_texts[int(self._key_starts[row]) : int(self._key_starts[row + 1])]
            is_product = entry.kind == SourceKind.PRODUCT and QA_MARK not in entry.id
            found = self._sizes[row] = quantities(" ".join([*keys, entry.reply])) if is_product else frozenset()
        return found

    def _compact_keys_of(self, row: int) -> list[str]:
        """The question keys of entry `row` as `compact` leaves them."""
        found = self._compact_keys.get(row)
        if found is None:
            keys = self._key_texts[int(self._key_starts[row]) : int(self._key_starts[row + 1])]
            found = self._compact_keys[row] = [compact(key) for key in keys]
        return found

    def _key_grams_of(self, row: int) -> list[list[str]]:
        """The character grams of each question key of entry `row`."""
        found = self._key_grams.get(row)
        if found is None:
            keys = self._key_texts[int(self._key_starts[row]) : int(self._key_starts[row + 1])]
            found = self._key_grams[row] = [[t for t in tokens(key) if t.startswith("#")] for key in keys]
        return found

    def _key_gram_sets_of(self, row: int) -> list[frozenset[str]]:
        """The character grams of each question key of entry `row`, as sets."""
        found = self._key_gram_sets.get(row)
        if found is None:
            found = self._key_gram_sets[row] = [frozenset(grams) for grams in self._key_grams_of(row)]
        return found

    def _tokens_of(self, row: int) -> frozenset[str]:
        found = self._entry_tokens.get(row)
        if found is None:
            keys = self._key_texts[int(self._key_starts[row]) : int(self._key_starts[row + 1])]
            found = self._entry_tokens[row] = frozenset(t for key in keys for t in tokens(key))
        return found

    def _bias(self, reading: EmotionReading, entry: KnowledgeEntry) -> float:
        stage = entry.stage
        return self._tag_bias(reading, entry.tags, stage.value if stage is not None else None)

    def _best_keys(self, vector: Vectors, rows: list[int]) -> dict[int, tuple[int, float]]:
        """For each entry row, its question key closest to the message: (key row, cosine)."""
        best: dict[int, tuple[int, float]] = {}
        for row in rows:
            key_rows = range(int(self._key_starts[row]), int(self._key_starts[row + 1]))
            keys = np.stack([self.snapshot.keys.reconstruct(k) for k in key_rows])
            cosines = keys @ vector.reshape(-1)
            best[row] = (key_rows[int(np.argmax(cosines))], float(cosines.max()))
        return best
