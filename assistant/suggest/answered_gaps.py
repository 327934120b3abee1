"""Which knowledge gaps a shop's snapshot answers now, and the shop's common direction.

A gap lists messages nothing answered when they came; an entry added by hand, an approved
candidate or an edit may answer them since. Each of a gap's wordings (`Gap.examples`: up to five
distinct ones, the most typical first) is asked again, alone, as a live message would be, and
the gap counts as answered when the `Suggester`'s ranking is `answerable` for at least half of
them: an entry written for one wording of an impure or stray-laden gap answers the gap when
its wordings are mostly the same question (a user test: an entry answering one wording at
1.00 left the gap listed, since only its first wording was asked). The admin API's gap list and
`huashu report weekly` both leave such gaps out. The caller encodes (the service reuses the
vectors it clustered with, the CLI its embedding cache); ranking here is CPU only, so the
service runs it off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.learning.gaps import Gap
from assistant.retrieval.embedders import Vectors
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester

ASKED_K = 3  # suggestions ranked for each wording (answerable: one of them reaches the threshold)


def knowledge_centre(suggester: Suggester) -> np.ndarray:
    """The shop's common direction: the mean of its snapshot's key vectors (`gaps.find_gaps` takes
    it out of the messages' vectors before clustering them)."""
    centre: np.ndarray = np.asarray(suggester.ranker.snapshot.keys.all_vectors(), dtype=np.float32).mean(axis=0)
    return centre


def gap_wordings(gaps: Sequence[Gap]) -> list[str]:
    """Every wording `answered_gaps` asks, gap after gap (`Gap.examples`)."""
    return [text for g in gaps for text in g.examples]


def gap_queries(suggester: Suggester, gaps: Sequence[Gap]) -> list[str]:
    """What to embed (`encode_queries`) for `answered_gaps`: each of `gap_wordings` as a query."""
    return [suggester.query_texts(SuggestRequest(t, (), ASKED_K))[0] for t in gap_wordings(gaps)]


def answered_gaps(suggester: Suggester, gaps: Sequence[Gap], vectors: Vectors) -> list[bool]:
    """Whether `suggester` answers each of `gaps` now (half of its wordings or more); `vectors`
    holds one query vector per `gap_wordings` text, in the same order."""
    wordings = gap_wordings(gaps)
    if len(wordings) != len(vectors):
        raise ValueError(f"{len(wordings)} wordings but {len(vectors)} vectors")
    asked = [
        suggester.rank(SuggestRequest(t, (), ASKED_K), v[None, :], read_emotion=False).answerable
        for t, v in zip(wordings, vectors, strict=True)
    ]
    answered, start = [], 0
    for gap in gaps:
        yes = sum(asked[start : start + len(gap.examples)])
        answered.append(2 * yes >= len(gap.examples) > 0)
        start += len(gap.examples)
    return answered
