"""Knowledge gaps on replayed chats: what customers asked that a shop's knowledge did not answer.

Every substantive customer turn of the sessions (stock turns such as 好的 or 谢谢 are not
questions) is suggested for by the shop's pipeline; the turns it finds no answerable suggestion
for, less keyboard junk such as asdfgh (`turns.is_keyboard_junk`), are clustered by meaning
(`learning.gaps`), each with the agents' real replies, and ranked by how many asked. `at` is
the turn's position in the file (sessions carry no clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.evaluation.datasets import ChatSession
from assistant.evaluation.replay import encode_requests, replay_turns
from assistant.learning.gaps import Gap, GapRules, UnansweredMessage, find_gaps
from assistant.learning.turns import is_keyboard_junk
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder
from assistant.suggest.pipeline import Suggester


@dataclass(frozen=True, slots=True)
class GapReport:
    turns: int
    substantive: int
    unanswered: int
    gaps: list[Gap]


def replay_gaps(
    suggester: Suggester,
    sessions: Sequence[ChatSession],
    embedder: Embedder,
    cache: EmbeddingCache,
    rules: GapRules | None = None,
) -> GapReport:
    """Replay `sessions` through `suggester` and cluster the substantive turns it could not answer."""
    turns = replay_turns(sessions)
    substantive = [t for t in turns if not t.stock]
    vectors = encode_requests(suggester, substantive, embedder, cache)
    unanswered: list[UnansweredMessage] = []
    message_vectors = []
    for position, (turn, v) in enumerate(zip(substantive, vectors, strict=True)):
        if not is_keyboard_junk(turn.text) and not suggester.rank(turn.request(), v, read_emotion=False).answerable:
            unanswered.append(UnansweredMessage(turn.text, float(position), turn.replies[0]))
            message_vectors.append(v[0])
    matrix = np.asarray(message_vectors, dtype=np.float32).reshape(len(unanswered), embedder.dim)
    found = find_gaps(unanswered, matrix, rules)
    return GapReport(len(turns), len(substantive), len(unanswered), found)
