"""`Suggester`: encode → rank → read emotion for one shop's snapshot.

The service encodes on its model thread (batched, cached) and calls `rank` on its ranking
thread; the CLI and the evaluations call `suggest`, which encodes with the embedder it is given.
Both paths run the same ranking, calibration and emotion reading. The reading also checks the
situation: for a calm message, a reply matched through an upset customer's wording (a threat of a
bad review for 你们家有没有差评) goes last and is never sure (`calm_first`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.ranking import tag_bias
from assistant.emotion.types import NO_EMOTION, EmotionReading
from assistant.learning.reranking import ShopLearning
from assistant.learning.turns import is_follow_up
from assistant.retrieval.calibration import DEFAULT_THRESHOLD, answerable
from assistant.retrieval.embedders import Embedder, Vectors
from assistant.retrieval.ranker import RankingWeights, SuggestionRanker
from assistant.retrieval.snapshot import Snapshot, load_snapshot
from assistant.retrieval.types import Suggestion, SuggestRequest, Turn

UPSET_CUES = frozenset({"complaint_risk", "anger"})
"""Cues that say a wording is an upset customer's (a threat, an outburst), not a question."""
UPSET_ONLY_CAP = 0.15
"""The most a reply matched only through an upset wording scores for a calm message: shown, never
sure (half the default threshold)."""


class EmotionReader(Protocol):
    """What the pipeline needs of the emotion detector."""

    def read(self, text: str, context: Sequence[Turn], query_vector: Any = None) -> EmotionReading: ...


def build_detector() -> EmotionReader:
    """The emotion detector: authored lexicon and context rules. Its optional embedding
    prototypes measured within noise and raised false cues on plain questions ("快递几天能到"),
    so nothing ships them (docs/emotion.md)."""
    return EmotionDetector()


@dataclass(frozen=True, slots=True)
class SuggestOutcome:
    """What the pipeline answers for one message."""

    suggestions: tuple[Suggestion, ...]
    reading: EmotionReading
    answerable: bool
    index_version: str


class Suggester:
    """One shop's snapshot with the shipped ranker and emotion reader. Safe to share across calls."""

    def __init__(
        self,
        ranker: SuggestionRanker,
        detector: EmotionReader | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        learning: ShopLearning | None = None,
    ) -> None:
        self.ranker = ranker
        self.detector = detector if detector is not None else build_detector()
        self.threshold = threshold
        self.learning = learning
        self._upset_wordings: dict[str, bool] = {}

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Snapshot,
        detector: EmotionReader | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        weights: RankingWeights | None = None,
        learning: ShopLearning | None = None,
    ) -> Suggester:
        """The shipped ranker over `snapshot`: emotion cues move apologies first for an angry customer;
        with `learning`, the shop's quick replies and priors (assistant/learning/reranking.py)."""
        ranker = SuggestionRanker(snapshot, weights=weights, tag_bias=tag_bias)
        return cls(ranker, detector, threshold, learning)

    def with_learning(self, learning: ShopLearning | None) -> Suggester:
        """The same snapshot and reader with another shop's learning (or none)."""
        return Suggester(self.ranker, self.detector, self.threshold, learning)

    @property
    def index_version(self) -> str:
        return self.ranker.version

    def query_texts(self, request: SuggestRequest) -> list[str]:
        """What to embed (with `encode_queries`) for this request, in the order `rank` expects."""
        return self.ranker.query_texts(request)

    def rank(self, request: SuggestRequest, query_vectors: Vectors, *, read_emotion: bool = True) -> SuggestOutcome:
        """Rank with the vectors of `query_texts(request)`; no encoding here (CPU only)."""
        reading = NO_EMOTION
        if read_emotion:
            reading = self.detector.read(request.text, request.context, query_vector=query_vectors[0])
        follow_up = is_follow_up(request.text)
        if self.learning is None:
            ranked = self.ranker.rank(request, query_vectors, reading, follow_up=follow_up)
            if read_emotion:
                ranked = self.calm_first(ranked, reading)
            return SuggestOutcome(tuple(ranked), reading, answerable(ranked, self.threshold), self.index_version)
        pooled = replace(request, k=self.learning.pool_size(request.k))
        pool = self.ranker.rank(pooled, query_vectors, reading, follow_up=follow_up)
        calm = read_emotion and not any(cue.name in UPSET_CUES for cue in reading.cues)
        if calm:
            pool = [self._capped(s) for s in pool]
        found = answerable(pool, self.threshold)
        suggestions = self.learning.apply(request, pool, found)
        if calm:  # the same k as without learning, then the upset-matched ones last
            suggestions = tuple(self.calm_first(list(suggestions), reading))
        return SuggestOutcome(suggestions, reading, found or self.learning.stock_turn(request), self.index_version)

    def calm_first(self, suggestions: list[Suggestion], reading: EmotionReading) -> list[Suggestion]:
        """For a calm message (no `UPSET_CUES` read), a reply matched through an upset customer's
        wording answers another situation: 你们家有没有差评 asks about the shop's reviews, the
        script matched through 我要给你们差评 answers a threat. It goes after the others, its score
        at most `UPSET_ONLY_CAP`."""
        if any(cue.name in UPSET_CUES for cue in reading.cues):
            return suggestions
        capped = [self._capped(s) for s in suggestions]
        return [s for s in capped if not self._upset(s.matched)] + [s for s in capped if self._upset(s.matched)]

    def _capped(self, suggestion: Suggestion) -> Suggestion:
        if not self._upset(suggestion.matched) or suggestion.score <= UPSET_ONLY_CAP:
            return suggestion
        return replace(suggestion, score=UPSET_ONLY_CAP)

    def _upset(self, wording: str) -> bool:
        found = self._upset_wordings.get(wording)
        if found is None:
            cues = self.detector.read(wording, ()).cues
            found = self._upset_wordings[wording] = any(
                c.name in UPSET_CUES and c.level in ("medium", "high") for c in cues
            )
        return found

    def suggest(self, request: SuggestRequest, embedder: Embedder) -> SuggestOutcome:
        """Encode with `embedder`, then rank: the synchronous path of the CLI and the evaluations."""
        return self.rank(request, embedder.encode_queries(self.query_texts(request)))


def load_suggester(
    index_dir: Path, embedder: Embedder, detector: EmotionReader | None = None, threshold: float = DEFAULT_THRESHOLD
) -> Suggester:
    """The current snapshot of `index_dir` for `embedder`; `SnapshotError` says what is wrong."""
    snapshot = load_snapshot(index_dir, model=embedder.name, dimension=embedder.dim)
    return Suggester.from_snapshot(snapshot, detector, threshold)
