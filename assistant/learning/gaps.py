"""Knowledge gaps: the messages nothing answered, clustered by meaning and ranked by how many asked.

The vectors of the unanswerable messages are clustered with scikit-learn's
`AgglomerativeClustering` (cosine distance, average linkage, cut at `distance`), so the number of
gaps is not fixed in advance and a one-off message stays a cluster of one (dropped below
`min_count`). Each gap lists how many messages asked it, a few examples (the most central
first), the replies agents actually gave (most common first) and when it was last seen; gaps
are ranked by count, then by how recent they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from assistant.learning.similarity import reply_chars


@dataclass(frozen=True, slots=True)
class UnansweredMessage:
    """A customer message no suggestion answered, the agent's real reply to it (if any), and when."""

    text: str
    at: float
    reply: str | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """One cluster of unanswered messages."""

    count: int
    examples: tuple[str, ...]
    replies: tuple[tuple[str, int], ...]
    last_seen: float

    @property
    def suggested_reply(self) -> str | None:
        """The agents' most common reply: the pre-filled answer of a new FAQ entry."""
        return self.replies[0][0] if self.replies else None


@dataclass(frozen=True, slots=True)
class GapRules:
    distance: float = 0.12  # cosine distance at which clusters stop merging (e5 vectors sit close)
    min_count: int = 2
    examples: int = 5
    replies: int = 3
    max_messages: int = 5000  # the most recent ones; agglomerative clustering is quadratic


def find_gaps(messages: Sequence[UnansweredMessage], vectors: np.ndarray, rules: GapRules | None = None) -> list[Gap]:
    """The gaps among `messages` (one unit vector each, same order), largest first."""
    rules = rules or GapRules()
    if len(messages) != len(vectors):
        raise ValueError(f"{len(messages)} messages but {len(vectors)} vectors")
    order = sorted(range(len(messages)), key=lambda i: messages[i].at)[-rules.max_messages :]
    if len(order) < 2:
        return []
    picked = [messages[i] for i in order]
    matrix = np.asarray(vectors, dtype=np.float32)[order]
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=rules.distance
    ).fit_predict(matrix)
    gaps = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < rules.min_count:
            continue
        centre = matrix[members].mean(axis=0)
        central = members[np.argsort(-(matrix[members] @ centre))]
        examples = list(dict.fromkeys(picked[i].text.strip() for i in central))[: rules.examples]
        replies = _common_replies([picked[i].reply for i in members], rules.replies)
        last_seen = max(picked[i].at for i in members)
        gaps.append(Gap(len(members), tuple(examples), replies, last_seen))
    return sorted(gaps, key=lambda g: (-g.count, -g.last_seen))


def _common_replies(replies: Sequence[str | None], n: int) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    forms: dict[str, str] = {}
    for reply in replies:
        if reply and reply_chars(reply):
            key = reply_chars(reply)
            counts[key] += 1
            forms.setdefault(key, reply.strip())
    return tuple((forms[key], count) for key, count in counts.most_common(n))
