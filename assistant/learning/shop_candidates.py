"""A shop's candidate replies from its records, and the FAQ entry that publishes one.

Every human agent's first reply after a customer message becomes a `candidates.ReplyEvent`: the
customer's wording, the reply, the agent (their label and their platform id: different agents are
different ids, whatever their names; by name only where the platform sends no id), whether the
service found the message answerable, and how the reply compares with the suggestions shown for
it (`acceptance.match_reply`). The events feed `candidates.collect_candidates` (replies to
unanswerable messages, heavy edits); a candidate is named by a short hash of its reply's
characters, so it keeps its id while it gathers wordings, and is left out once its reply is in
the shop's knowledge.

Approving a candidate writes a FAQ entry: the customers' wordings as the question and its
variants, the reply as the answer (the admin may edit any of them), filed under a category that
says where it came from, at the stage the admin gives or else the candidate's own (`inferred_stage`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from assistant.learning.acceptance import Shown, match_reply
from assistant.learning.agents import agent_labels
from assistant.learning.analytics import agent_of, by_conversation
from assistant.learning.candidates import Candidate, CandidateRules, ReplyEvent, candidate_reason, collect_candidates
from assistant.learning.faq_drafts import FaqDraft, faq_row
from assistant.learning.similarity import reply_chars
from assistant.storage.records import ShopHistory, SuggestionRecord

APPROVED_FILE = "faq/approved_replies.yaml"  # where approved candidates are written
APPROVED_CATEGORY = "客服回复（审核通过）"
DEFAULT_STAGE = "pre_sale"  # a candidate's stage when nothing it touched has one (as a closed gap's)
REASONS = {"unanswerable": "agents' reply where nothing answered", "heavy_edit": "agents' heavy edit of a suggestion"}


DECISIONS = "candidate_decisions"  # the shop setting holding the admins' decisions: id → status


def decisions_of(settings: Mapping[str, Any]) -> dict[str, str]:
    """A shop's decisions on its candidates (candidate id → `approved` / `rejected`)."""
    raw = settings.get(DECISIONS, {})
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def rejected_of(settings: Mapping[str, Any]) -> frozenset[str]:
    """The candidates (ids) an admin rejected: their reply is no gap's pre-filled answer either."""
    return frozenset(cid for cid, status in decisions_of(settings).items() if status == "rejected")


APPROVED_ENTRY_PREFIX = "faq-cand-"
"""The entry id of an approved candidate is this prefix and the candidate's id."""


def withheld_from_quick(decisions: Mapping[str, str], served_entries: Collection[str]) -> frozenset[str]:
    """The candidates whose reply is no longer offered as a quick reply: the rejected ones, and
    the approved ones once the snapshot being served holds their entry (until then the quick
    reply keeps serving it, so an approval never leaves a gap while the index rebuilds)."""
    return frozenset(
        cid
        for cid, status in decisions.items()
        if status != "approved" or f"{APPROVED_ENTRY_PREFIX}{cid}" in served_entries
    )


def candidate_id(reply: str) -> str:
    return hashlib.sha256(reply_chars(reply).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class ShopCandidate:
    """A candidate reply of one shop, with where it came from and what was decided."""

    id: str
    reply: str
    reason: str
    wordings: tuple[str, ...]
    agents: tuple[str, ...]  # one label per different agent (`agents.agent_labels`)
    count: int
    edited_entries: tuple[str, ...]
    conversations: tuple[str, ...]  # where it was sent (the first few)
    last_seen: str
    status: str  # pending, approved or rejected
    stage: str = DEFAULT_STAGE  # what its entry is published at unless the admin says (`inferred_stage`)

    def meets_rule(self, agents: int) -> bool:
        """The optional auto-approval rule: sent by at least `agents` different agents (ids)."""
        return agents > 0 and len(self.agents) >= agents

    @property
    def source(self) -> str:
        """Where the reply came from, as the published entry cites it."""
        return (
            f"{REASONS.get(self.reason, self.reason)}: sent {self.count}× by {len(self.agents)} agent(s), "
            f"last {self.last_seen[:10]}"
        )


def reply_events(
    history: ShopHistory, entry_texts: Mapping[str, str]
) -> list[tuple[ReplyEvent, str, str, tuple[str, ...]]]:
    """(event, conversation id, time, entries shown) for every human agent's first reply after a
    customer message; the entries are those suggested for the message, best first."""
    shown: dict[tuple[str, str, str], list[SuggestionRecord]] = {}
    for s in history.suggestions:
        shown.setdefault((s.platform, s.conversation_id, s.message_id), []).append(s)
    answerable = {(a.platform, a.conversation_id, a.message_id): a.answerable for a in history.answers}
    events = []
    for messages in by_conversation(history.messages).values():
        customer = None
        for message in messages:
            if message.role == "customer":
                customer = message
            elif message.role == "agent" and customer is not None:
                key = (customer.platform, customer.conversation_id, customer.message_id)
                ranked = sorted(shown.get(key, []), key=lambda s: s.rank)
                pending = [Shown(s.entry_id, entry_texts[s.entry_id]) for s in ranked if s.entry_id in entry_texts]
                acceptance = match_reply(message.text, pending) if pending else None
                event = ReplyEvent(
                    customer.text,
                    message.text,
                    agent_of(message),
                    answerable.get(key, True),
                    acceptance,
                    message.agent_id,
                )
                shown_ids = tuple(s.entry_id for s in ranked)
                events.append((event, message.conversation_id, message.received_at, shown_ids))
                customer = None  # only the first reply answers the message
    return events


def shop_candidates(
    history: ShopHistory,
    entry_texts: Mapping[str, str],
    decisions: Mapping[str, str] | None = None,
    rules: CandidateRules | None = None,
    knowledge_texts: Iterable[str] | None = None,
    knowledge_questions: Iterable[Iterable[str]] = (),
    entry_stages: Mapping[str, str] | None = None,
) -> list[ShopCandidate]:
    """The shop's candidates (most sent first), without those whose reply is already in the
    knowledge (`knowledge_texts`; all of `entry_texts` when not given), nor the pending replies to
    unanswered messages that an entry of the knowledge now answers (`knowledge_questions`, each
    entry's question and variants: most of the entry's are the candidate's wordings; a gap closed
    with an answer of the admin's own took them as its questions, and approving the agents' reply
    as well would answer them twice).
    `entry_texts` also holds what was shown beside the knowledge (learned quick replies): a reply
    the service learned to offer stays a candidate until it is published. `decisions` maps a
    candidate id to `approved` or `rejected`. `entry_stages` (entry id → stage) gives each
    candidate its stage (`inferred_stage`)."""
    decisions = decisions or {}
    rules = rules or CandidateRules()
    events = reply_events(history, entry_texts)
    # Where each candidate was sent: only the sends it counts (the same reply sent where the
    # service had an answer is no part of it), so its conversations agree with its count.
    seen: dict[str, list[tuple[str, str]]] = {}
    stages = entry_stages or {}
    nearest: dict[str, list[str]] = {}  # per candidate, the best shown entry with a stage, per send
    for event, conversation, at, shown in events:
        if candidate_reason(event, rules) is not None:
            key = reply_chars(event.reply)
            seen.setdefault(key, []).append((conversation, at))
            first = next((e for e in shown if stages.get(e)), None)
            if first is not None:
                nearest.setdefault(key, []).append(first)
    known = {reply_chars(text) for text in (entry_texts.values() if knowledge_texts is None else knowledge_texts)}
    asked = [{reply_chars(q) for q in questions} for questions in knowledge_questions]
    found: list[Candidate] = collect_candidates((e for e, *_ in events), rules)
    out = []
    for c in found:
        key = reply_chars(c.reply)
        cid = candidate_id(c.reply)
        if key in known and decisions.get(cid) != "approved":
            continue
        if cid not in decisions and c.reason == "unanswerable" and _answered_by(c.wordings, asked):
            continue
        where = seen.get(key, [])
        out.append(
            ShopCandidate(
                cid,
                c.reply,
                c.reason,
                tuple(c.wordings),
                agent_labels(c.agents),
                c.count,
                tuple(sorted(c.edited_entries)),
                tuple(dict.fromkeys(conv for conv, _ in where))[:5],
                max((at for _, at in where), default=""),
                decisions.get(cid, "pending"),
                inferred_stage(c.edited_entries, nearest.get(key, []), stages),
            )
        )
    return out


def inferred_stage(edited: Iterable[str], nearest: Iterable[str], stages: Mapping[str, str]) -> str:
    """The stage of a candidate's entry when the admin gives none: the most common stage of the
    entries it rewrote (a heavy edit answers their question), else of the entries the service
    ranked first for the messages it answered (what their wordings are closest to in the
    knowledge, even below the threshold), else `DEFAULT_STAGE` (as a closed gap's). Entries with
    no stage (policies, learned quick replies) have no say; a tie goes to the first one seen."""
    for entries in (edited, nearest):
        votes = Counter(stages[e] for e in entries if stages.get(e))
        if votes:
            return votes.most_common(1)[0][0]
    return DEFAULT_STAGE


def _answered_by(wordings: Iterable[str], entries: Iterable[AbstractSet[str]]) -> bool:
    """True when most of one entry's questions are among the wordings: the entry was written for
    them (a gap's entry holds at most a few of a much-asked candidate's wordings; one that also
    took a stray wording of another candidate does not answer that one)."""
    keys = {reply_chars(w) for w in wordings}
    return any(questions and 2 * len(keys & questions) > len(questions) for questions in entries)


def candidate_faq_row(candidate: ShopCandidate, chosen: FaqDraft | None = None) -> dict[str, Any]:
    """The FAQ row that publishes `candidate` (`faq_drafts.faq_row`); `ValueError` on an empty answer."""
    entry_id = f"{APPROVED_ENTRY_PREFIX}{candidate.id}"
    return faq_row(
        entry_id,
        chosen or FaqDraft(),
        candidate.reply,
        candidate.wordings,
        APPROVED_CATEGORY,
        "the answer is empty",
        stage=candidate.stage,
    )
