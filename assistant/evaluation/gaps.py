"""Knowledge gaps on replayed chats: what customers asked that a shop's knowledge did not answer.

Every substantive customer turn of the sessions (stock turns such as 好的 or 谢谢 are not
questions) is suggested for by the shop's pipeline; the turns it finds no answerable suggestion
for, less keyboard junk such as asdfgh and messages without content words such as [微笑] or
啊啊啊啊 (`shop_gaps.is_question`, as the service and the weekly report leave them out), are clustered by meaning
(`learning.gaps`), each with the agents' real replies, and ranked by how many asked. `at` is
the turn's position in the file (sessions carry no clock).

`labelled_purity` measures how tight the gaps are on messages labelled with the question they ask
(tests/data/gap_labels.jsonl, authored: paraphrase groups beside near but different questions,
some with the reply an agent gave: the same substantive reply to paraphrases the vectors split,
and stock or short replies sent to different questions, which must merge nothing): the share of
the grouped messages that ask their gap's most common question, and the precision and recall of
the pairs put in one gap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.evaluation.datasets import ChatSession, DatasetError, jsonl
from assistant.evaluation.replay import encode_requests, replay_turns
from assistant.learning.gaps import Gap, GapRules, UnansweredMessage, find_gaps, gap_members
from assistant.learning.shop_gaps import is_question
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder
from assistant.suggest.answered_gaps import knowledge_centre
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
        if is_question(turn.text) and not suggester.rank(turn.request(), v, read_emotion=False).answerable:
            unanswered.append(UnansweredMessage(turn.text, float(position), turn.replies[0]))
            message_vectors.append(v[0])
    matrix = np.asarray(message_vectors, dtype=np.float32).reshape(len(unanswered), embedder.dim)
    found = find_gaps(unanswered, matrix, rules, knowledge_centre(suggester))
    return GapReport(len(turns), len(substantive), len(unanswered), found)


@dataclass(frozen=True, slots=True)
class Purity:
    messages: int
    questions: int
    gaps: int
    mixed: int  # gaps holding more than one question
    grouped: int  # messages in a gap
    purity: float  # grouped messages asking their gap's most common question, over the grouped ones
    pair_precision: float  # pairs in one gap that ask one question, over the pairs in one gap
    pair_recall: float  # pairs asking one question that are in one gap, over the pairs asking one question


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    text: str
    question: str  # the name of what it asks
    reply: str | None = None  # the agent's reply to it, if any


def read_labelled(path: Path) -> list[LabelledMessage]:
    """Rows of `text`, `question` (the name of what it asks) and, optional, `reply`."""
    out = []
    for number, row in jsonl(path):
        text, question, reply = row.get("text"), row.get("question"), row.get("reply")
        if not isinstance(text, str) or not isinstance(question, str) or not text.strip():
            raise DatasetError(f"{path}:{number}: needs a text and a question")
        if reply is not None and not isinstance(reply, str):
            raise DatasetError(f"{path}:{number}: reply must be a text")
        out.append(LabelledMessage(text, question, reply))
    return out


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def labelled_purity(
    labelled: Sequence[LabelledMessage], vectors: np.ndarray, rules: GapRules | None, centre: np.ndarray | None
) -> Purity:
    """How tight the gaps found among `labelled` messages (one vector each, merged by their replies) are."""
    messages = [UnansweredMessage(m.text, float(i), m.reply) for i, m in enumerate(labelled)]
    groups = gap_members(messages, vectors, rules, centre)
    questions = [m.question for m in labelled]
    counts = [Counter(questions[i] for i in members) for members in groups]
    grouped = sum(len(m) for m in groups)
    same = sum(_pairs(n) for c in counts for n in c.values())
    together = sum(_pairs(len(m)) for m in groups)
    asked = sum(_pairs(n) for n in Counter(questions).values())
    return Purity(
        len(labelled),
        len(set(questions)),
        len(groups),
        sum(len(c) > 1 for c in counts),
        grouped,
        round(sum(c.most_common(1)[0][1] for c in counts) / grouped, 4) if grouped else 1.0,
        round(same / together, 4) if together else 1.0,
        round(same / asked, 4) if asked else 0.0,
    )
