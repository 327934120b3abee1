"""Knowledge gaps: the messages nothing answered, clustered by meaning and ranked by how many asked.

A gap is one question asked in different words, not a theme. The vectors of the unanswerable
messages are first *centred*: the shop's common direction (`centre`, the mean of its knowledge's
key vectors; the messages' own mean when there is none) is taken out and they are normalised
again. The bundled e5 model puts every short message close to every other (unrelated pairs at
cosine distance 0.10-0.15, paraphrases at 0.02-0.11: a threshold cannot tell them apart); once
centred, paraphrases sit at 0.1-0.65 (能开发票吗 and 发票怎么开 at 0.654) and unrelated pairs mostly
at 0.7-1.0 (想买床厚被子 and 你们家有没有儿童床垫 at 0.728). They are then clustered with
scikit-learn's `AgglomerativeClustering` (cosine distance, *complete* linkage, cut at `distance`):
every two messages of a gap are within the cut, so a gap never chains 想买床厚被子 to 儿童床垫 to
a cat-scratched quilt through their averages (a user test saw those three as one gap of 8, and a
birthday-gift hurry with 能不能给我便宜20块). The number of gaps is not fixed in advance and a
one-off message stays a cluster of one (dropped below `min_count`). Two messages that share no
content character (`content_units`) are as far apart as can be (a last check: 好的那快点 and
今天天气怎么样 sat at 0.885 uncentred). `huashu eval gaps --labelled` measures the purity on an
authored set of paraphrase groups. Each gap lists how many messages asked it, a few examples (the
most central first; every other distinct wording is kept in `Gap.more`), the replies agents actually
gave (most common first) and when it was last seen; gaps are ranked by count, then by how recent
they are.

Meaning alone splits some questions: 北京有线下店吗 and 你们有实体店吗 (a user test) were two gaps,
or one a message left alone, though agents answered both 我们暂时没有线下店哦，只在网店销售. Messages
that got the same substantive reply ask the same thing, so the clusters (a lone message too) that
one such reply was sent to are merged into one gap (`merged_by_reply`); a stock reply (稍等, 好的,
还有什么可以帮您, 祝您生活愉快) or a short one (可以的亲, 暂时没有货哦) merges nothing (`merging_reply`).
The messages asked once that are in no gap are listed apart (`GapFindings.asked_once`), the most
recent first: a small shop sees what nothing answered before anyone asked it twice, and once a
second customer asks, the message moves into the gap.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.learning.similarity import reply_chars
from assistant.learning.turns import agent_answer, turn_kind
from assistant.retrieval.text import plain_text


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
    examples: tuple[str, ...]  # the first `GapRules.examples` distinct wordings, the most central first
    replies: tuple[tuple[str, int], ...]
    last_seen: float
    # the distinct wordings past `examples`, in the same order: a FAQ written from the gap takes
    # them too (a user test: a gap of 6 messages listed 5, and its FAQ lost 能开增值税专票吗)
    more: tuple[str, ...] = ()

    @property
    def wordings(self) -> tuple[str, ...]:
        """Every distinct wording of the gap's messages (without markup), the most central first."""
        return self.examples + self.more

    @classmethod
    def of_one(cls, message: UnansweredMessage) -> Gap:
        """A message asked once as a gap of one wording, so what asks a gap's wordings again (is it
        answered now, `answered_gaps`) asks it the same way."""
        return cls(1, (message.text,), (), message.at)

    @property
    def suggested_reply(self) -> str | None:
        """The agents' most common reply, the pre-filled answer of a new FAQ entry, when it is
        common: sent at least `SHARED_REPLY` times. One reply to one message answers that message,
        maybe a stray one, whatever the gap's size (user tests: 你们招不招兼职客服, clustered with
        complaints about the service, had its recruitment reply published as their answer; so did a
        gap of two, 什么垃圾客服 beside it, when one reply of two still counted as half the gap)."""
        if not self.replies:
            return None
        text, sent = self.replies[0]
        return text if sent >= SHARED_REPLY else None


@dataclass(frozen=True, slots=True)
class GapRules:
    distance: float = 0.7  # cosine distance of centred vectors past which two messages ask different things
    # complete: every pair of a gap within `distance` (average lets unrelated messages chain into one gap)
    linkage: Literal["complete", "average", "single"] = "complete"
    centred: bool = True  # take the common direction out first (see the module docstring)
    min_count: int = 2
    examples: int = 5  # the wordings a gap lists as its examples (`Gap.more` holds the rest)
    replies: int = 3
    max_messages: int = 5000  # the most recent ones; agglomerative clustering is quadratic
    merge_by_reply: bool = True  # one gap of the clusters a substantive reply was sent to (`merged_by_reply`)
    asked_once: int = 20  # the messages asked once listed apart (`GapFindings.asked_once`), the latest first


@dataclass(frozen=True, slots=True)
class GapFindings:
    """The gaps among unanswered messages, and the messages asked once, in no gap."""

    gaps: list[Gap]  # largest first, then the most recent
    # the latest first, at most `GapRules.asked_once`, each without markup (`plain_text`), with content
    # words (`has_content_words`) and the agent's reply (None when there was none)
    asked_once: list[UnansweredMessage]


_FUNCTION = frozenset("的了吗呢吧啊呀哦嘛么是在有我你他她它们这那个怎什还就都也和与及或请亲")
_LATIN = re.compile(r"[a-z]{2,}")
# fmt: off
_LATIN_FUNCTION = frozenset({
    "an", "the", "is", "are", "am", "was", "were", "be", "been", "do", "does", "did", "can", "could",
    "will", "would", "shall", "should", "may", "might", "must", "me", "my", "we", "us", "our", "you",
    "your", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their", "this", "that", "these",
    "those", "there", "to", "of", "in", "on", "at", "by", "for", "from", "with", "about", "as", "into", "than",
    "and", "or", "but", "not", "no", "if", "so", "what", "which", "who", "how", "when", "where", "why", "have",
    "has", "had", "get", "any", "some", "please", "hi", "hello",
    # what [a-z]{2,} leaves of contractions (don't, doesn't, I'll, we've, you're)
    "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "wouldn", "couldn", "shouldn", "ll", "ve", "re",
})
# fmt: on
"""English words that carry no content (a user test: two English questions shared only `the`)."""


def content_units(text: str) -> frozenset[str]:
    """The Chinese characters of `text` that carry content (function characters left out) and its
    Latin words (lower case, function words left out); digits are left out (15 in iphone 15 and in
    15号 say nothing alike)."""
    lowered = text.lower()
    chars = {c for c in lowered if "\u4e00" <= c <= "\u9fff" and c not in _FUNCTION}
    return frozenset(chars | {w for w in _LATIN.findall(lowered) if w not in _LATIN_FUNCTION})


# Stickers and emoji codes of the chat apps ([微笑], [捂脸], [强]): no content (anonymised numbers
# such as [订单x] end in x and are kept).
_STICKER = re.compile(r"\[[\u4e00-\u9fff]{1,4}\]")


def has_content_words(text: str) -> bool:
    """Whether `text` says anything a gap could be about: its `content_units` once sticker codes are
    taken out hold a Latin word, or two content characters or more. No gap is made of sticker codes,
    of particles and pronouns alone (啊啊啊啊, 我我我…), of one character repeated (急急急) or of marks
    (a user test listed [微笑] + 啊啊啊啊, and a 999-character 我我我… as its example, as gaps)."""
    units = content_units(unicodedata.normalize("NFKC", _STICKER.sub("", text)))
    return len(units) >= 2 or any(len(unit) > 1 for unit in units)


EXAMPLE_CHARS = 60
"""Characters of an example shown in a list (the report, the CLI); a longer one ends in …."""


def clip_example(text: str, most: int = EXAMPLE_CHARS) -> str:
    """`text` on one line, cut to `most` characters with an ellipsis when longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= most else flat[: most - 1] + "…"


def _distances(matrix: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """Cosine distances of unit vectors; 1 (unrelated) between two messages that both carry content
    units and share none (emoji-only or digits-only messages keep their cosine)."""
    units = [content_units(unicodedata.normalize("NFKC", t)) for t in texts]
    vocabulary = {u: i for i, u in enumerate(sorted(set().union(*units)))}
    rows = [i for i, found in enumerate(units) for _ in found]
    cols = [vocabulary[u] for found in units for u in found]
    shape = (len(texts), len(vocabulary))
    from scipy import sparse  # here, not at the top: every `huashu` command would wait for it

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


def centred(matrix: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Unit vectors of `matrix` less `centre` (a vector equal to the centre stays as it was)."""
    moved = matrix - np.asarray(centre, dtype=np.float32).reshape(1, -1)
    norms = np.linalg.norm(moved, axis=1, keepdims=True)
    out: np.ndarray = np.where(norms > 1e-6, moved / np.maximum(norms, 1e-6), matrix)
    return out.astype(np.float32)


REPLY_UNITS = 6
"""Content units (`content_units`) of what a reply says beyond its stock phrases (`turns.agent_answer`)
before it may merge gaps. Two different questions get one short reply: 可以的亲 (none), 暂时没有货哦
(4) and 亲，暂时不支持哦 (5) answer a question about any product or any payment; six units is a yes or
a no with what it is about (暂时没有线下店: 6; 不支持数字人民币: 8)."""


def merging_reply(reply: str | None) -> str | None:
    """The key (`similarity.reply_chars`) a reply merges gaps by, or None for a reply that merges
    nothing: none, a stock one (an acknowledgement, a thanks or a closing as `turns.turn_kind` reads
    it; a greeting, a hold, 还有什么可以帮您 or 祝您生活愉快: nothing is left of it by
    `turns.agent_answer`) or a short one (fewer than `REPLY_UNITS` content units left)."""
    if not reply or turn_kind(reply) is not None:
        return None
    if len(content_units(agent_answer(reply))) < REPLY_UNITS:
        return None
    return reply_chars(reply) or None


def merged_by_reply(clusters: Sequence[Sequence[int]], replies: Sequence[str | None]) -> list[list[int]]:
    """`clusters` (each a list of message indices into `replies`, lone messages as clusters of one)
    with the clusters a merging reply (`merging_reply`) was sent to made one, once per reply: the
    reply sent to most messages first, and a cluster takes part in one merge at most, so a merged gap
    is the clusters of one reply. Not the transitive closure (merging again through any reply a merged
    gap holds): complete linkage keeps every message of a cluster within the cut of the others, and
    one merge keeps any two messages of a gap one step apart, one cluster or one shared reply; a
    closure would chain 实体店 to 发票 through one message that asked both and got a reply about each,
    and on through the next reply, until a gap is a theme again (what complete linkage was chosen
    against). The merged clusters come in the order of their first cluster; the others as they were."""
    reach: dict[str, list[int]] = {}
    sent: Counter[str] = Counter()
    for c, members in enumerate(clusters):
        for i in members:
            key = merging_reply(replies[i])
            if key is None:
                continue
            sent[key] += 1
            if c not in reach.setdefault(key, []):
                reach[key].append(c)
    into: dict[int, int] = {}  # cluster -> the first cluster of its merge
    for key in sorted((k for k, found in reach.items() if len(found) > 1), key=lambda k: (-sent[k], -len(reach[k]), k)):
        free = [c for c in reach[key] if c not in into]
        if len(free) > 1:
            into.update((c, free[0]) for c in free)
    merged: dict[int, list[int]] = {}
    for c, members in enumerate(clusters):
        merged.setdefault(into.get(c, c), []).extend(members)
    return list(merged.values())


def _groups(
    messages: Sequence[UnansweredMessage], vectors: np.ndarray, rules: GapRules, centre: np.ndarray | None
) -> list[list[int]]:
    """Every group among the `max_messages` latest `messages`, lone messages too: each one's message
    indices, the most central first."""
    if len(messages) != len(vectors):
        raise ValueError(f"{len(messages)} messages but {len(vectors)} vectors")
    order = np.array(sorted(range(len(messages)), key=lambda i: messages[i].at)[-rules.max_messages :], dtype=int)
    if len(order) < 2:
        return [[int(i)] for i in order]
    matrix = np.asarray(vectors, dtype=np.float32)[order]
    if rules.centred:
        matrix = centred(matrix, matrix.mean(axis=0) if centre is None else centre)
    # scikit-learn takes seconds to import: only the commands that cluster wait for it
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage=rules.linkage, distance_threshold=rules.distance
    ).fit_predict(_distances(matrix, [messages[i].text for i in order]))
    clusters = [np.flatnonzero(labels == label).tolist() for label in np.unique(labels)]
    if rules.merge_by_reply:
        clusters = merged_by_reply(clusters, [messages[i].reply for i in order])
    found = []
    for group in clusters:
        members = np.array(group, dtype=int)
        middle = matrix[members].mean(axis=0)
        found.append([int(order[i]) for i in members[np.argsort(-(matrix[members] @ middle), kind="stable")]])
    return found


def gap_members(
    messages: Sequence[UnansweredMessage],
    vectors: np.ndarray,
    rules: GapRules | None = None,
    centre: np.ndarray | None = None,
) -> list[list[int]]:
    """The clusters of at least `min_count` among `messages` (one unit vector each, same order), merged
    by the substantive replies agents sent to them (`merged_by_reply`): each one's message indices,
    the most central first. `centre`: the shop's common direction
    (`suggest.answered_gaps.knowledge_centre`), else the messages' own mean."""
    rules = rules or GapRules()
    return [g for g in _groups(messages, vectors, rules, centre) if len(g) >= rules.min_count]


def knowledge_gaps(
    messages: Sequence[UnansweredMessage],
    vectors: np.ndarray,
    rules: GapRules | None = None,
    centre: np.ndarray | None = None,
) -> GapFindings:
    """The gaps among `messages` (`gap_members`), largest first, and the messages asked once."""
    rules = rules or GapRules()
    groups = _groups(messages, vectors, rules, centre)
    gaps = []
    for members in (g for g in groups if len(g) >= rules.min_count):
        wordings = tuple(dict.fromkeys(plain_text(messages[i].text) for i in members))
        replies = _common_replies([messages[i].reply for i in members], rules.replies)
        last_seen = max(messages[i].at for i in members)
        shown, more = wordings[: rules.examples], wordings[rules.examples :]
        gaps.append(Gap(len(members), shown, replies, last_seen, more))
    lone = [messages[g[0]] for g in groups if len(g) == 1 and has_content_words(plain_text(messages[g[0]].text))]
    lone.sort(key=lambda m: -m.at)
    once = [UnansweredMessage(plain_text(m.text), m.at, (m.reply or "").strip() or None) for m in lone]
    return GapFindings(sorted(gaps, key=lambda g: (-g.count, -g.last_seen)), once[: rules.asked_once])


def find_gaps(
    messages: Sequence[UnansweredMessage],
    vectors: np.ndarray,
    rules: GapRules | None = None,
    centre: np.ndarray | None = None,
) -> list[Gap]:
    """The gaps among `messages` (`knowledge_gaps` less the messages asked once), largest first."""
    return knowledge_gaps(messages, vectors, rules, centre).gaps


def _common_replies(replies: Sequence[str | None], n: int) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    forms: dict[str, str] = {}
    for reply in replies:
        if reply and reply_chars(reply):
            key = reply_chars(reply)
            counts[key] += 1
            forms.setdefault(key, reply.strip())
    return tuple((forms[key], count) for key, count in counts.most_common(n))
