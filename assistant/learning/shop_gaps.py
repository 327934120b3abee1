"""A shop's knowledge gaps from its records, and the FAQ entry that closes one.

The unanswered messages are the substantive customer messages (not 好的 / 谢谢 / a greeting:
`turns.is_stock`; not keyboard junk such as asdfgh or jjjjj: `turns.is_keyboard_junk`; not a
message without content words such as [微笑], 啊啊啊啊 or 急急急: `gaps.has_content_words`; not praise
that asks nothing, every clause of it praising: `is_praise`) for
which the service found no answerable suggestion, each with the first reply a human agent gave
before the customer's next message. `learning.gaps.knowledge_gaps` clusters them (and lists the
messages asked once apart); a gap is named by a short hash of its most central example, so the
same gap keeps its id while it grows.

Closing a gap writes a FAQ entry: the most central example as the question, the other
examples as the wordings customers really used, and the agents' most common reply as the
answer (the admin may change any of them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from assistant.learning.analytics import by_conversation
from assistant.learning.faq_drafts import FaqDraft, faq_row
from assistant.learning.gaps import SHARED_REPLY, Gap, UnansweredMessage, has_content_words
from assistant.learning.shop_candidates import candidate_id
from assistant.learning.turns import content, is_keyboard_junk, is_stock
from assistant.storage.records import ShopHistory, epoch

GAPS_FILE = "faq/gaps.yaml"  # where closed gaps are written in the shop's knowledge
GAP_CATEGORY = "知识缺口"
GAP_VARIANTS = 100
"""The most variants an entry written from a gap takes (the first ones: the admin's choice, else
the most typical wordings): a gap can hold thousands of messages (`GapRules.max_messages`), and each
variant is one more passage in the shop's index that nobody may have read (a second reading)."""


def unanswered_messages(history: ShopHistory, refused: Collection[str] = ()) -> list[UnansweredMessage]:
    """The substantive customer messages of `history` nothing answered, with the agent's reply.
    `refused`: the candidate ids (`shop_candidates.candidate_id`) an admin rejected; such a reply
    counts as none, so it is neither listed with a gap nor pre-filled as its answer (a user test:
    a rejected 亲，暂时不招哦 became the answer of 什么垃圾客服 by a close without a body)."""
    unanswered = {(a.platform, a.conversation_id, a.message_id): a for a in history.answers if not a.answerable}
    found = []
    for messages in by_conversation(history.messages).values():
        for i, message in enumerate(messages):
            key = (message.platform, message.conversation_id, message.message_id)
            if message.role != "customer" or key not in unanswered or not is_question(message.text):
                continue
            if is_praise(message.text, unanswered[key].cue_details):
                continue
            reply = None
            for later in messages[i + 1 :]:
                if later.role == "customer":
                    break
                if later.role == "agent":
                    reply = None if candidate_id(later.text) in refused else later.text
                    break
            found.append(UnansweredMessage(message.text, epoch(message.received_at), reply))
    return found


_ASKS = re.compile(
    r"[?？]|吗|嘛|(?<![这那多])么|呢|哪|几|多少|什么|啥|怎|如何|是否|能不能|可不可以|有没有|会不会|是不是|请问"
)
_CLAUSE = re.compile(r"[^，,。.！!？?；;～~…\s]+")
CLAUSE_LETTERS = 3
"""Letters of a clause that says something (笑死, 哈哈 say nothing of their own)."""


def is_praise(text: str, cues: Sequence[Mapping[str, object]]) -> bool:
    """Praise, no knowledge gap: satisfaction is the only cue shown (`cues`: as the answer record
    keeps them, with their evidence), nothing is asked, and every clause that says something holds
    its words (笑死，这被子也太好看了吧哈哈哈, 质量真好，好评; a user test listed the first among the
    questions asked once). 东西很好，麻烦开一下发票 and 很满意，七天无理由可以吧 ask in a clause of their own."""
    if {cue.get("name") for cue in cues} != {"satisfaction"} or _ASKS.search(text):
        return False
    spans = [
        (int(e["start"]), int(e["end"])) for cue in cues for e in cast(list[dict[str, int]], cue.get("evidence") or [])
    ]
    return bool(spans) and all(
        any(start < clause.end() and clause.start() < end for start, end in spans)
        for clause in _CLAUSE.finditer(text)
        if len(content(clause.group())) >= CLAUSE_LETTERS
    )


def is_question(text: str) -> bool:
    """A customer message that can be a knowledge gap: not a stock turn, not keyboard junk, with
    content words (`gaps.has_content_words`)."""
    return not is_stock(text) and not is_keyboard_junk(text) and has_content_words(text)


def gap_id(gap: Gap) -> str:
    """A short stable name of a gap: the hash of its most central example."""
    return hashlib.sha256(gap.examples[0].encode("utf-8")).hexdigest()[:12]


def gap_entry_id(gap: str) -> str:
    """The id of the FAQ entry that closes gap `gap` (so a closed gap is known by its entry)."""
    return f"faq-gap-{gap}"


def gap_faq_row(gap: Gap, chosen: FaqDraft | None = None) -> dict[str, Any]:
    """The FAQ row (`faq_drafts.faq_row`) that closes `gap`, pre-filled with the agents' most common
    reply, with at most `GAP_VARIANTS` variants; `ValueError` when there is no answer (no agent
    replied and the admin gave none)."""
    chosen = chosen or FaqDraft(stage="pre_sale")
    # a user test: three messages, each answered in other words, were told "no agent replied"
    replied = sum(sent for _, sent in gap.replies)
    no_answer = (
        "no agent replied to these messages: give the answer"
        if not gap.replies
        else f"agents replied {replied} time(s) but no reply was sent {SHARED_REPLY} times: "
        "give the answer (the replies they sent are listed with the gap)"
    )
    wordings = gap.wordings  # every distinct one, not only the examples listed
    row = faq_row(gap_entry_id(gap_id(gap)), chosen, gap.suggested_reply or "", wordings, GAP_CATEGORY, no_answer)
    row["variants"] = row["variants"][:GAP_VARIANTS]
    return row
