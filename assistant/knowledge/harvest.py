"""Harvesting candidate past replies (customer message → the agent's answer) from chat logs.

Input: JSONL sessions, one per line: `{"session": ..., "turns": [{"role": "customer"|"agent",
"text": ...}, ...]}` (the format of the JDDC sample). Consecutive turns of one side are joined.
A pair is kept only when both sides carry content: greetings, "在吗", order-number-only lines,
the agent's stock openers and closers, and replies too short to help are not candidates, nor are
replies so frequent across the log that they are templates, nor exact duplicates (placeholders
such as `[数字x]` are ignored when comparing). Those short replies and closings are what agents
send most, so they are not thrown away: `harvest_chats` learns the shop's quick replies from
every pair (assistant/learning/quick_replies.py).
The candidates go to review (`knowledge/candidates/`), not straight into the library;
`entries_from_harvest` groups them by reply into knowledge entries for a replay.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.knowledge.model import KnowledgeEntry, SourceKind
from assistant.knowledge.rows import json_problem
from assistant.learning.quick_replies import ChatPair, QuickReplies, QuickReplyRules, learn_quick_replies
from assistant.retrieval.text import clean

# Messages that carry no question: greetings, pings, thanks, acknowledgements.
_CHAFF = re.compile(
    r"^(人工|人工客服|转人工|客服|在吗|在不在|在么|有人吗|你好|您好|hi|hello|哈喽|嗯+|哦+|好+|好的|"
    r"ok|okay|谢谢|谢谢你|多谢|谢了|感谢|好的谢谢|没有了|没了|是的|对|对的|行|可以|收到|知道了|明白了|"
    r"嗯嗯好的|拜拜|再见|亲|你好在吗|您好在吗)$"
)
_AGENT_STOCK = re.compile(
    r"(有什么(问题)?(可以|我可以)?(帮|为)您|(请)?(您)?稍等|正在为您(查询|核实)|还有其他(问题)?(需要|可以)|"
    r"感谢您的(耐心)?(等待|支持|咨询)|祝您(生活|购物)?愉快|很高兴为您服务|请问还有什么)"
)
_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fff]{1,4}x\]")


@dataclass(frozen=True, slots=True)
class HarvestRules:
    """Thresholds of the chaff filters."""

    min_customer_chars: int = 4
    max_customer_chars: int = 120
    min_reply_chars: int = 12
    max_reply_chars: int = 300
    template_share: float = 0.005  # a reply seen in more than this share of pairs is a template
    context_turns: int = 2


@dataclass
class HarvestStats:
    sessions: int = 0
    pairs: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Harvest:
    """What a chat log yields: candidate past replies, the shop's quick replies, and counts."""

    rows: list[dict[str, Any]]
    quick: QuickReplies
    stats: HarvestStats


class ChatLogError(Exception):
    """A chat log row is malformed; the message names file and line."""


Session = tuple[int, list[tuple[str, str]]]


def read_chat_log(path: Path) -> list[Session]:
    """(line number, turns as (role, text)) for each session of a JSONL chat log."""
    return list(_sessions(path))


def turn_problem(turn: object) -> str | None:
    """What is wrong with one turn of a chat log (`role` customer|agent and `text`), or None. A turn
    that says `sender` (the webhook's word for who wrote a message) is told it is `role` here."""
    if isinstance(turn, dict) and turn.get("role") in ("customer", "agent") and isinstance(turn.get("text"), str):
        return None
    hint = (
        " (`sender` is spelt `role` here)" if isinstance(turn, dict) and "sender" in turn and "role" not in turn else ""
    )
    return f"needs role customer|agent and text{hint}"


def _sessions(path: Path) -> Iterator[Session]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ChatLogError(f"{path}:{number}: not valid JSON ({json_problem(exc)})") from exc
            turns = row.get("turns") if isinstance(row, dict) else None
            if not isinstance(turns, list):
                raise ChatLogError(f"{path}:{number}: expected an object with a `turns` list")
            out = []
            for i, turn in enumerate(turns, start=1):
                if (problem := turn_problem(turn)) is not None:
                    raise ChatLogError(f"{path}:{number}: turn {i} {problem}")
                out.append((turn["role"], turn["text"].strip()))
            yield number, out


def _merged(turns: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for role, text in turns:
        if not text:
            continue
        if merged and merged[-1][0] == role:
            merged[-1] = (role, merged[-1][1] + " " + text)
        else:
            merged.append((role, text))
    return merged


def reply_key(text: str) -> str:
    """What two replies are compared on when grouping: placeholders, marks and spaces ignored."""
    return _content(text)


def _content(text: str) -> str:
    return clean(_PLACEHOLDER.sub(" ", text)).replace(" ", "")


def chaff_reason(customer: str, reply: str, rules: HarvestRules) -> str | None:
    """Why a pair is not worth keeping, or None when it is."""
    said = _content(customer)
    if not said or _CHAFF.match(said):
        return "customer_chaff"
    if said.isdigit() or len(said) < rules.min_customer_chars:
        return "customer_too_short"
    if len(said) > rules.max_customer_chars:
        return "customer_too_long"
    answer = _content(reply)
    if len(answer) < rules.min_reply_chars:
        return "reply_too_short"
    if len(answer) > rules.max_reply_chars:
        return "reply_too_long"
    if _AGENT_STOCK.search(reply) and len(_AGENT_STOCK.sub("", answer)) < rules.min_reply_chars:
        return "reply_stock_phrase"
    return None


def harvest(path: Path, rules: HarvestRules | None = None) -> tuple[list[dict[str, Any]], HarvestStats]:
    """Candidate past replies from a chat log, and counts of what was kept and dropped why."""
    result = harvest_chats(path, rules)
    return result.rows, result.stats


def harvest_chats(path: Path, rules: HarvestRules | None = None, quick_rules: QuickReplyRules | None = None) -> Harvest:
    """Candidate past replies and quick replies from a chat log file."""
    return harvest_sessions(_sessions(path), path.name, rules, quick_rules)


def harvest_sessions(
    sessions: Iterable[Session],
    source: str,
    rules: HarvestRules | None = None,
    quick_rules: QuickReplyRules | None = None,
) -> Harvest:
    """Candidate past replies and quick replies from sessions read from `source` (a file name)."""
    rules = rules or HarvestRules()
    stats = HarvestStats()
    pairs: list[tuple[int, str, str, list[str]]] = []
    chat_pairs: list[ChatPair] = []
    for number, turns in sessions:
        stats.sessions += 1
        merged = _merged(turns)
        first = True
        for i in range(len(merged) - 1):
            if merged[i][0] == "customer" and merged[i + 1][0] == "agent":
                context = [t for _, t in merged[max(0, i - rules.context_turns) : i]]
                pairs.append((number, merged[i][1], merged[i + 1][1], context))
                chat_pairs.append((merged[i][1], merged[i + 1][1], first, str(number)))
                first = False
    stats.pairs = len(pairs)
    quick = learn_quick_replies(chat_pairs, quick_rules)
    reply_counts = Counter(_content(reply) for _, _, reply, _ in pairs)
    template_at = max(3, int(rules.template_share * len(pairs)))
    seen: set[tuple[str, str]] = set()
    out = []
    for number, customer, reply, context in pairs:
        reason = chaff_reason(customer, reply, rules)
        if reason is None and reply_counts[_content(reply)] > template_at:
            reason = "reply_template"
        key = (_content(customer), _content(reply))
        if reason is None and key in seen:
            reason = "duplicate"
        if reason:
            stats.dropped[reason] += 1
            continue
        seen.add(key)
        digest = hashlib.sha256(f"{customer}\x00{reply}".encode()).hexdigest()[:10]
        out.append({
            "id": f"harvest-{digest}", "customer": customer, "reply": reply, "context": context,
            "why": f"harvested from {source}:{number}; review before use", "tags": [],
        })  # fmt: skip
    stats.kept = len(out)
    return Harvest(out, quick, stats)


def entries_from_harvest(rows: Iterable[dict[str, Any]], max_keys: int = 20) -> tuple[KnowledgeEntry, ...]:
    """Harvested pairs as knowledge entries: one entry per reply (compared without placeholders,
    spaces and marks), keyed by every customer wording that got it, in first-seen order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(_content(row["reply"]), []).append(row)
    entries = []
    for group in grouped.values():
        first = group[0]
        wordings = list(dict.fromkeys(r["customer"] for r in group))[:max_keys]
        entries.append(
            KnowledgeEntry(
                id=first["id"],
                kind=SourceKind.PAST_REPLY,
                questions=tuple(wordings),
                reply=first["reply"],
                origin=first["why"].split("; ")[0].removeprefix("harvested from "),
                context=tuple(first["context"]),
            )
        )
    return tuple(entries)
