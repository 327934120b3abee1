"""Which knowledge gaps a shop's snapshot answers now.

A gap lists messages nothing answered when they came; an entry added by hand, an approved
candidate or an edit may answer it since. Each gap's most typical wording (`examples[0]`) is
asked again, alone, as a live message would be, and the gap counts as answered when the
`Suggester`'s ranking is `answerable`. The admin API's gap list and `huashu report weekly` both
leave such gaps out. The caller encodes (the service on its model thread, the CLI with its
embedder); ranking here is CPU only, so the service runs it off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.learning.gaps import Gap
from assistant.retrieval.embedders import Vectors
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester

ASKED_K = 3  # suggestions ranked for each wording (answerable: one of them reaches the threshold)


def gap_queries(suggester: Suggester, gaps: Sequence[Gap]) -> list[str]:
    """What to embed (`encode_queries`) for `answered_gaps`: each gap's most typical wording."""
    return [suggester.query_texts(SuggestRequest(g.examples[0], (), ASKED_K))[0] for g in gaps]


def answered_gaps(suggester: Suggester, gaps: Sequence[Gap], vectors: Vectors) -> list[bool]:
    """Whether `suggester` answers each of `gaps` now; `vectors` holds one query vector per gap,
    of its `gap_queries` text, in the same order."""
    if len(gaps) != len(vectors):
        raise ValueError(f"{len(gaps)} gaps but {len(vectors)} vectors")
    requests = [SuggestRequest(g.examples[0], (), ASKED_K) for g in gaps]
    return [
        suggester.rank(r, v[None, :], read_emotion=False).answerable for r, v in zip(requests, vectors, strict=True)
    ]
