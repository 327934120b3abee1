"""Replay evaluation: would Huashu have suggested what agents really sent, on real chats?

A shop is built from a library of chats (harvested past replies as the index, quick replies and
priors learned from the same chats), then every customer turn of the TEST sessions that an agent
answered is suggested for, with the earlier turns as context, and scored the way Smart Reply is
scored: a suggestion *matches* when its character F1 with the agent's real reply (or one of the
turn's `alternatives`) reaches 0.5 (also reported at 0.3). Reported per system: top-1 and top-3
match rates over all turns, stock turns (acknowledgements, thanks, closings, greetings, order
cards: `learning.turns`) and substantive turns, each with a 95 % bootstrap interval over
sessions; and the coverage ceiling (a matching reply existed in the library at all).

Systems, all over the same shop:
* `huashu`: the shipped pipeline (`Suggester`) before learning;
* `huashu_learned`: the same with the shop's learning (quick replies, priors from replaying the
  library through the pipeline and matching the agents' real replies: `learning.acceptance`);
* `bm25`: BM25 over the customers' wordings (the index's lexical signal alone);
* `dense`: the message's vector against the wordings (the dense signal alone);
* `most_frequent`: always the 3 replies agents sent most in the library.
Nothing here is fitted on the TEST sessions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.datasets import ChatSession
from assistant.knowledge.harvest import Harvest, entries_from_harvest, harvest_sessions, reply_key
from assistant.knowledge.loader import KnowledgeBase
from assistant.learning.acceptance import Shown, match_reply
from assistant.learning.hit_rates import EDGES, Observation, SlotRates, fit_slot_rates, marginal
from assistant.learning.priors import ReplyPriors, priors_from
from assistant.learning.quick_replies import quick_reply_rows, slot_of
from assistant.learning.reranking import ShopLearning, first_customer_turn
from assistant.learning.similarity import best_f1, reply_chars
from assistant.learning.turns import turn_kind
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder, Vectors
from assistant.retrieval.snapshot import build_snapshot, load_snapshot
from assistant.retrieval.types import SuggestRequest, Turn
from assistant.suggest.pipeline import Suggester

THRESHOLDS = (0.5, 0.3)
CONTEXT_TURNS = 6
TOP = 3
SHOP = "replay"


@dataclass(frozen=True, slots=True)
class ReplayTurn:
    """A customer turn an agent answered: what was said before, and the acceptable replies."""

    session: str
    text: str
    context: tuple[Turn, ...]
    replies: tuple[str, ...]
    stock: bool

    def request(self, k: int = TOP) -> SuggestRequest:
        return SuggestRequest(self.text, context=self.context, k=k)


def replay_turns(sessions: Sequence[ChatSession]) -> list[ReplayTurn]:
    """Every customer turn directly followed by an agent turn, with up to 6 earlier turns."""
    out = []
    for session in sessions:
        turns = [t for t in session.turns if t.text.strip()]
        for i in range(len(turns) - 1):
            said, answer = turns[i], turns[i + 1]
            if said.role == "customer" and answer.role == "agent":
                context = tuple(Turn("customer" if t.role == "customer" else "agent", t.text)
                                for t in turns[max(0, i - CONTEXT_TURNS) : i])  # fmt: skip
                replies = (answer.text, *answer.alternatives)
                out.append(ReplayTurn(session.session, said.text, context, replies, turn_kind(said.text) is not None))
    return out


def split_sessions(sessions: Sequence[ChatSession], share: float = 0.8) -> tuple[list[ChatSession], list[ChatSession]]:
    """The first `share` of the sessions (file order) as the library, the rest as TEST."""
    cut = int(len(sessions) * share)
    return list(sessions[:cut]), list(sessions[cut:])


@dataclass(frozen=True, slots=True)
class ReplayShop:
    """A shop built from a library of chats."""

    suggester: Suggester
    learned: Suggester
    harvest: Harvest
    library_replies: tuple[str, ...]
    learned_from: LibraryReplay


def encode_requests(
    suggester: Suggester, turns: Sequence[ReplayTurn], embedder: Embedder, cache: EmbeddingCache
) -> list[Vectors]:
    """The query vectors of every turn's request, encoded in one pass through the cache."""
    texts = [suggester.query_texts(t.request()) for t in turns]
    flat = cache.encode(embedder, [x for group in texts for x in group], "query")
    out, start = [], 0
    for group in texts:
        out.append(flat[start : start + len(group)])
        start += len(group)
    return out


@dataclass(frozen=True, slots=True)
class LibraryReplay:
    """What replaying the library through the pipeline before learning taught the shop."""

    priors: ReplyPriors
    rates: SlotRates | None


def learn_from_library(
    suggester: Suggester, turns: Sequence[ReplayTurn], vectors: Sequence[Vectors], sources: dict[str, set[str]]
) -> LibraryReplay:
    """Replay the library through the pipeline before learning, leaving out of each turn's
    suggestions the entries harvested from that turn's own session only (an entry cannot teach
    that it answers the very chat it came from); match each real reply to what was shown
    (used / edited / not used) and fold that into the shop's priors and its marginal match rates
    per slot and place (`hit_rates`), as the service does from its stored outcomes."""
    acceptances = []
    observations: list[Observation] = []
    for turn, v in zip(turns, vectors, strict=True):
        pool = suggester.rank(turn.request(k=TOP * 3), v, read_emotion=False).suggestions
        shown = [s for s in pool if sources.get(s.entry_id, set()) - {turn.session}][:TOP]
        acceptances.append((match_reply(turn.replies[0], [Shown(s.entry_id, s.text) for s in shown]), 0.0))
        slot = slot_of(turn.text, first_customer_turn(turn.request()))
        matched = marginal([best_f1(s.text, turn.replies) >= THRESHOLDS[0] for s in shown])
        observations += [Observation(slot, i, s.score, m) for i, (s, m) in enumerate(zip(shown, matched, strict=True))]
    return LibraryReplay(priors_from(SHOP, acceptances), fit_slot_rates(observations))


def entry_sessions(harvest: Harvest, library: Sequence[ChatSession]) -> dict[str, set[str]]:
    """For each entry `entries_from_harvest` makes, the sessions its pairs were harvested from."""
    by_line = {str(s.line): s.session for s in library}
    first_id: dict[str, str] = {}
    out: dict[str, set[str]] = {}
    for row in harvest.rows:
        entry_id = first_id.setdefault(reply_key(row["reply"]), row["id"])
        line = row["why"].split("; ")[0].rsplit(":", 1)[-1]
        out.setdefault(entry_id, set()).add(by_line.get(line, line))
    return out


def build_shop(
    library: Sequence[ChatSession], embedder: Embedder, cache: EmbeddingCache, workdir: Path, source: str
) -> ReplayShop:
    """Harvest the library, index it (a snapshot in `workdir`) and learn from it."""
    harvest = harvest_sessions(((s.line, [(t.role, t.text) for t in s.turns]) for s in library), source)
    entries = entries_from_harvest(harvest.rows)
    digest = hashlib.sha256("\n".join(e.reply for e in entries).encode()).hexdigest()
    build_snapshot(KnowledgeBase(SHOP, entries, {source: digest}), workdir, embedder, cache)
    suggester = Suggester.from_snapshot(load_snapshot(workdir, model=embedder.name, dimension=embedder.dim))
    turns = replay_turns(library)
    vectors = encode_requests(suggester, turns, embedder, cache)
    learned = learn_from_library(suggester, turns, vectors, entry_sessions(harvest, library))
    learning = ShopLearning(harvest.quick, learned.priors, learned.rates, clock=lambda: 0.0)
    replies = tuple(t.replies[0] for t in turns)
    return ReplayShop(suggester, suggester.with_learning(learning), harvest, replies, learned)


def most_frequent(replies: Sequence[str], n: int = TOP) -> list[str]:
    """The `n` replies sent most (compared on their characters), each in its most common form."""
    counts = Counter(reply_chars(r) for r in replies if reply_chars(r))
    forms: dict[str, Counter[str]] = {}
    for r in replies:
        forms.setdefault(reply_chars(r), Counter())[r.strip()] += 1
    return [forms[key].most_common(1)[0][0] for key, _ in counts.most_common(n)]


def _distinct(texts: Sequence[str], n: int = TOP) -> list[str]:
    return list(dict.fromkeys(texts))[:n]


def _f1_ceiling(turns: Sequence[ReplayTurn], pool: Sequence[str], at: float = 0.5) -> list[bool]:
    """For each turn, whether any text of `pool` matches one of its replies at F1 >= `at`."""
    bags = [(len(k), Counter(k)) for k in {reply_chars(p) for p in pool} if k]
    out = []
    for turn in turns:
        found = False
        for reply in turn.replies:
            key = reply_chars(reply)
            n, bag = len(key), Counter(key)
            for m, other in bags:
                # F1 = 2·overlap/(n+m) and overlap <= min(n, m): skip pairs that cannot reach `at`
                if 2 * min(n, m) < at * (n + m):
                    continue
                if 2 * sum((bag & other).values()) >= at * (n + m):
                    found = True
                    break
            if found:
                break
        out.append(found)
    return out


System = Callable[[int, ReplayTurn], list[str]]


def systems_for(shop: ReplayShop, vectors: Sequence[Vectors]) -> dict[str, System]:
    ranker = shop.suggester.ranker
    entries = ranker.snapshot.entries
    frequent = most_frequent(shop.library_replies)
    learning = shop.learned.learning
    without_priors = dataclasses.replace(learning, priors=None) if learning is not None else None

    def pipeline(suggester: Suggester) -> System:
        return lambda i, t: [s.text for s in suggester.rank(t.request(), vectors[i]).suggestions][:TOP]

    return {
        "huashu": pipeline(shop.suggester),
        "huashu_learned": pipeline(shop.learned),
        "learned_without_priors": pipeline(shop.learned.with_learning(without_priors)),
        "bm25": lambda i, t: _distinct([entries[r].reply for r, _ in ranker.lexical_ranking(t.text)]),
        "dense": lambda i, t: _distinct([entries[r].reply for r, _ in ranker.dense_ranking(vectors[i][:1])]),
        "most_frequent": lambda i, t: frequent,
    }


def _interval(values: np.ndarray, clusters: np.ndarray, rounds: int, seed: int) -> tuple[float, float, float]:
    """Mean and 95 % bootstrap interval, resampling whole sessions (turns of a chat are not independent)."""
    if len(values) == 0:
        return 0.0, 0.0, 0.0
    ids, inverse = np.unique(clusters, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(ids))
    counts = np.bincount(inverse, minlength=len(ids)).astype(float)
    picks = np.random.default_rng(seed).integers(0, len(ids), (rounds, len(ids)))
    means = sums[picks].sum(axis=1) / np.maximum(counts[picks].sum(axis=1), 1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate_replay(
    library: Sequence[ChatSession],
    test: Sequence[ChatSession],
    embedder: Embedder,
    cache: EmbeddingCache,
    source: str = "library",
    rounds: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Build the shop from `library`, replay `test`, score every system (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="huashu-replay-") as tmp:
        shop = build_shop(library, embedder, cache, Path(tmp), source)
    turns = replay_turns(test)
    vectors = encode_requests(shop.suggester, turns, embedder, cache)
    shown = {name: [system(i, t) for i, t in enumerate(turns)] for name, system in systems_for(shop, vectors).items()}
    f1 = {name: [[best_f1(s, t.replies) for s in top] for top, t in zip(lists, turns, strict=True)]
          for name, lists in shown.items()}  # fmt: skip
    clusters = np.asarray([t.session for t in turns])
    parts = {"all": np.ones(len(turns), bool), "stock": np.asarray([t.stock for t in turns], bool)}
    parts["substantive"] = ~parts["stock"]
    shop_pool = [e.reply for e in shop.suggester.ranker.snapshot.entries]
    shop_pool += [str(row["reply"]) for row in quick_reply_rows(shop.harvest.quick)]
    ceilings = {
        "library_replies": np.asarray(_f1_ceiling(turns, shop.library_replies), float),
        "shop_suggestions": np.asarray(_f1_ceiling(turns, shop_pool), float),
    }

    def stats(values: np.ndarray, mask: np.ndarray) -> list[float]:
        return [round(x, 4) for x in _interval(values[mask], clusters[mask], rounds, seed)]

    systems: dict[str, Any] = {}
    for name, scores in f1.items():
        metrics: dict[str, Any] = {}
        for at in THRESHOLDS:
            top1 = np.asarray([bool(s) and s[0] >= at for s in scores], float)
            top3 = np.asarray([any(x >= at for x in s[:TOP]) for s in scores], float)
            for part, mask in parts.items():
                metrics.setdefault(part, {})[f"top1@{at}"] = stats(top1, mask)
                metrics[part][f"top3@{at}"] = stats(top3, mask)
        systems[name] = metrics
    rates = shop.learned_from.rates
    return {
        "library_sessions": len(library),
        "test_sessions": len(test),
        "turns": {part: int(mask.sum()) for part, mask in parts.items()},
        "index_entries": len(shop.suggester.ranker.snapshot.entries),
        "quick_replies": {slot: [q.text for q in qs] for slot, qs in shop.harvest.quick.by_slot.items()},
        "learning": {
            "entries_with_evidence": len(shop.learned_from.priors.evidence),
            "match_rate_by_slot_place_relevance": None if rates is None else rates.table(),
            "relevance_bins_from": [0.0, *EDGES],
            "shown_in_library_replay": 0 if rates is None else rates.observations,
        },
        "ceiling": {
            name: {part: stats(values, mask) for part, mask in parts.items()} for name, values in ceilings.items()
        },
        "systems": systems,
        "model": embedder.name,
        "bootstrap": {"rounds": rounds, "resampled": "sessions", "interval": "95 %"},
    }
