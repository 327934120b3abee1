"""Candidate replies: what agents wrote where the library had nothing, or rewrote heavily.

Two sources, both keyed by the customer's wording: an agent's reply to a message that was not
answerable, and a suggestion the agent edited heavily (similarity below `heavy_below`) before
sending. Candidates with the same reply (compared on their characters) are merged, with every
customer wording and every agent who sent it; they wait for an admin, and `meets_rule` says when
the optional "used by N different agents" rule approves one. Different agents are different
`agents.agent_key`s: different agent ids, whatever their display names (a shop's agents may all
go by one persona name, 小暖); by name only where the platform sends no agent id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.learning.acceptance import Acceptance, Outcome
from assistant.learning.agents import agent_key
from assistant.learning.reranking import QUICK_PREFIX
from assistant.learning.similarity import reply_chars
from assistant.retrieval.text import plain_text


@dataclass(frozen=True, slots=True)
class ReplyEvent:
    """An agent's real reply to a customer message, and what the pipeline made of that message.
    `agent` names the agent to people (`agents.agent_label`); `agent_id` is the platform's id of
    the agent (empty when it sent none: the agent is then told apart by `agent` alone)."""

    customer: str
    reply: str
    agent: str
    answerable: bool
    acceptance: Acceptance | None = None
    agent_id: str = ""

    @property
    def agent_key(self) -> str:
        """Who sent it, to count different agents (`agents.agent_key`): the id, else the name."""
        return agent_key(self.agent, self.agent_id)


@dataclass
class Candidate:
    """A reply waiting for review, keyed by the customer wordings it answered."""

    reply: str
    reason: str  # "unanswerable" or "heavy_edit"
    wordings: list[str] = field(default_factory=list)
    agents: dict[str, str] = field(default_factory=dict)  # `agent_key` → the agent's label
    edited_entries: set[str] = field(default_factory=set)
    count: int = 0

    def meets_rule(self, agents: int) -> bool:
        """The optional auto-approval rule: sent by at least `agents` different agents (ids)."""
        return agents > 0 and len(self.agents) >= agents


@dataclass(frozen=True, slots=True)
class CandidateRules:
    heavy_below: float = 0.8  # an edit keeping less than this similarity rewrote the suggestion
    min_chars: int = 4  # replies shorter than this are quick replies, not knowledge


def candidate_reason(event: ReplyEvent, rules: CandidateRules) -> str | None:
    """Why this reply should become a candidate, or None."""
    if len(reply_chars(event.reply)) < rules.min_chars:
        return None
    accepted = event.acceptance
    if accepted is not None and accepted.outcome is Outcome.EDITED and accepted.similarity < rules.heavy_below:
        return "heavy_edit"
    if not event.answerable and (accepted is None or accepted.outcome is Outcome.NOT_USED):
        return "unanswerable"
    return None


def collect_candidates(events: Iterable[ReplyEvent], rules: CandidateRules | None = None) -> list[Candidate]:
    """Candidate replies from reply events, merged by reply, most sent first."""
    rules = rules or CandidateRules()
    merged: dict[str, Candidate] = {}
    for event in events:
        reason = candidate_reason(event, rules)
        if reason is None:
            continue
        candidate = merged.setdefault(reply_chars(event.reply), Candidate(event.reply.strip(), reason))
        wording = plain_text(event.customer)  # the key it joins the index with: no pasted markup
        if wording and wording not in candidate.wordings:
            candidate.wordings.append(wording)
        candidate.agents[event.agent_key] = event.agent  # one per agent id, not per display name
        edited = event.acceptance.entry_id if event.acceptance is not None else ""
        if reason == "heavy_edit" and edited and not edited.startswith(QUICK_PREFIX):
            # a quick reply is learned from chats, no entry of the knowledge: nothing to replace
            # (a user test: 替换原条目 quick-e8ef86d02d could only answer 404)
            candidate.edited_entries.add(edited)
        candidate.count += 1
    return sorted(merged.values(), key=lambda c: (-c.count, -len(c.agents)))
