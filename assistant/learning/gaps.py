"""Knowledge gaps: the messages nothing answered, clustered by meaning and ranked by how many asked.

The vectors of the unanswerable messages are clustered with scikit-learn's
`AgglomerativeClustering` (cosine distance, average linkage, cut at `distance`), so the number of
gaps is not fixed in advance and a one-off message stays a cluster of one (dropped below
`min_count`). Two messages that share no content character (`content_units`) are as far apart as
can be: the bundled e5 model puts unrelated short messages as close as paraphrases (好的那快点 and
今天天气怎么样 at 0.885, 能开发票吗 and 发票怎么开 at 0.893), and a user test saw such pairs shown, and
pre-filled with one agent's reply, as one gap. Each gap lists how many messages asked it, a few
examples (the most central first), the replies agents actually gave (most common first) and when
it was last seen; gaps are ranked by count, then by how recent they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering

from assistant.learning.similarity import reply_chars


@dataclass(frozen=True, slots=True)
class UnansweredMessage:
    """A customer message no suggestion answered, the agent's real reply to it (if any), and when."""

    text: str
    at: float
    reply: str | None = None


SHARED_REPLY = 2
"""Times a reply was sent to a gap's messages before it is offered as the gap's answer (see `Gap`)."""


@dataclass(frozen=True, slots=True)
class Gap:
    """One cluster of unanswered messages."""

    count: int
    examples: tuple[str, ...]
    replies: tuple[tuple[str, int], ...]
    last_seen: float

    @property
    def suggested_reply(self) -> str | None:
        """The agents' most common reply, the pre-filled answer of a new FAQ entry, when it is
        common: sent at least `SHARED_REPLY` times or to half the gap's messages. One reply to one
        message of a larger gap answers that message, maybe a stray one (a user test: 你们招不招兼职客服,
        clustered with complaints about the service, had its recruitment reply published as their answer)."""
        if not self.replies:
            return None
        text, sent = self.replies[0]
        return text if sent >= SHARED_REPLY or 2 * sent >= self.count else None


@dataclass(frozen=True, slots=True)
class GapRules:
    distance: float = 0.12  # cosine distance at which clusters stop merging (e5 vectors sit close)
    min_count: int = 2
    examples: int = 5
    replies: int = 3
    max_messages: int = 5000  # the most recent ones; agglomerative clustering is quadratic


_FUNCTION = frozenset("的了吗呢吧啊呀哦嘛么是在有我你他她它们这那个怎什还就都也和与及或请亲")
_LATIN = re.compile(r"[a-z]{2,}")


def content_units(text: str) -> frozenset[str]:
    """The Chinese characters of `text` that carry content (function characters left out) and its
    Latin words (lower case); digits are left out (15 in iphone 15 and in 15号 say nothing alike)."""
    lowered = text.lower()
    chars = {c for c in lowered if "\u4e00" <= c <= "\u9fff" and c not in _FUNCTION}
    return frozenset(chars | set(_LATIN.findall(lowered)))


def _distances(matrix: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """Cosine distances of unit vectors; 1 (unrelated) between two messages that both carry content
    units and share none (emoji-only or digits-only messages keep their cosine)."""
    units = [content_units(unicodedata.normalize("NFKC", t)) for t in texts]
    vocabulary = {u: i for i, u in enumerate(sorted(set().union(*units)))}
    rows = [i for i, found in enumerate(units) for _ in found]
    cols = [vocabulary[u] for found in units for u in found]
    shape = (len(texts), len(vocabulary))
    incidence = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    apart = (incidence @ incidence.T).toarray() == 0
    empty = np.array([not found for found in units])
    apart[empty, :] = False
    apart[:, empty] = False
    distances: np.ndarray = matrix @ matrix.T
    np.subtract(1.0, distances, out=distances)
    np.clip(distances, 0.0, 2.0, out=distances)
    distances[apart] = 1.0
    np.fill_diagonal(distances, 0.0)
    return distances


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
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=rules.distance
    ).fit_predict(_distances(matrix, [m.text for m in picked]))
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
