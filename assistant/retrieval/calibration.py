"""Whether a ranked suggestion is good enough to offer as an answer.

`DEFAULT_THRESHOLD` splits confident suggestions from the rest: a message is *answerable* when
its best suggestion's score reaches the shop's threshold (this value unless the shop sets one).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.retrieval.types import Suggestion

DEFAULT_THRESHOLD = 0.5


def answerable(suggestions: Sequence[Suggestion], threshold: float = DEFAULT_THRESHOLD) -> bool:
    """True when at least one suggestion reaches the threshold."""
    return any(s.score >= threshold for s in suggestions)
