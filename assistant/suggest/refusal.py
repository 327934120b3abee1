"""Was a request refused? What a conversation says, and what a reply takes for granted.

A reply written for a refused return or refund is wrong for a customer who has not asked yet:
亲，抱歉给您带来困扰～被拒一般是因为… answers 退货申请没通过, not 我想申请退货 (a user test saw it
at 0.94 beside the 0.83 how-to). Both sides are read from the text with authored patterns:

* `states_refusal(text)`: the text says a request was refused or failed: 被拒, 拒绝了, 驳回,
  没通过 / 不通过 / 未通过, 审核失败 / 申请失败了, 审核没过, 不给退. Not when the refusal is
  wished away, feared or supposed (我不想被拒, 怕被驳回, 会不会被拒, 万一退款被拒, 被拒的话) or
  denied (没被拒, 不是没通过); a question about it (被拒了吗) still raises it. 拒收 / 拒签 (the customer
  refusing a parcel) and 付款失败 (a payment, no request) are no refusal.
* `conversation_refusal(message, earlier)`: the message or one of the recent turns (either
  speaker: the agent's 您的申请被驳回了 counts) states one, read more broadly (`_FAILED`: also 失败,
  不成功, 没过, 不足, as in 借款审核不成功, 评分不足): a reply for a refusal is out of place only when
  nothing in the conversation says something failed (bq_faq lost 7 queries to the narrow reading).
* `presupposes_refusal(questions)`: most of an entry's customer wordings state one (退款被拒,
  为啥驳回我的退款, 退货申请没通过: the entry answers a refusal, whatever the reply says).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

RECENT_TURNS = 6
"""The earlier turns (from the newest, either speaker) in which a stated refusal still counts."""
PRESUPPOSED_SHARE = 2 / 3
"""The share of an entry's customer wordings that must state a refusal for the entry to presuppose
one: all or most of them (a single wording of a past reply: that one)."""

_STOP = r"，。,.!！?？;；~～\s"
"""What ends a clause: a wish or a denial before it no longer reaches a refusal after it."""
_CHANNEL = "淘宝|天猫|京东|拼多多|平台|快递|物流|微信|支付宝|银行|电话|短信|第三方|中间|别的|其他|客服"
"""What 通过 goes by way of (不通过淘宝，直接转账): no outcome."""
_REFUSED = re.compile(
    rf"被[^{_STOP}]{{0,3}}?(拒(?![收签])|驳回)"  # 被拒, 被拒绝, 被商家拒绝, 被驳回 (not 被拒收)
    r"|拒绝(?![收签])"  # 拒绝了, 拒绝退款, 为啥拒绝我退款
    r"|驳回"
    rf"|(没有?|未|末|不)(能|会)?通过(?!{_CHANNEL})"  # 没通过, 审核不通过, 末通过 (for 未); not 不通过快递
    r"|(审核|申请|退款|退货|换货|售后|提交)(已经?|都|又|还是|也)?失败"  # 审核失败, not 付款失败
    r"|(审核|申请)(没有?|未|不)过"  # 审核没过
    r"|不(给|让)我?(退|换)"  # 不给退, 不让退货
    r"|不同意(我的?)?(退|换|申请|售后)"
)
_FAILED = re.compile(
    rf"{_REFUSED.pattern}"
    r"|拒(?![收签])|失败|(没有?|未|不)成功|没过(?!期|多|来|去|了?[一两三几半])|不足"
)
"""What the message side also reads as a failed request (`conversation_refusal`): broader than what
makes an entry presuppose one (付款一直失败 is no refused request, but a customer who says 借款审核不成功
or 评分不足 was refused, and the reply for a refusal is no longer out of place)."""
_SUPPOSED = re.compile(
    r"(不想|不要|不希望|别|怕|担心|害怕|以免|免得|避免|防止|以防|万一|如果|要是|假如|是否|能不能|才能|才不会"
    r"|会不会|(?<!怎么)(?<!为什么)(?<!为啥)(?<!咋)会)"
    rf"[^{_STOP}]{{0,2}}$"
)
"""A wish, a fear or a supposition just before (at most two characters between): 我不想被拒,
怕又被驳回, 万一退款被拒, 会不会被拒; not 怎么会被拒 (a statement)."""
_DENIED = re.compile(r"(不|没有?|未|不是|并非|无法|没法|不能|不可能)[再又会]?$")
"""A denial right before: 没被拒, 不会被拒 (with `_SUPPOSED`), 不是没通过, 无法驳回."""
_IF_SO = re.compile(r"^了?的话")
"""A condition right after: 被拒的话怎么办."""


def states_refusal(text: str, pattern: re.Pattern[str] = _REFUSED) -> bool:
    """`text` says a request was refused or failed (see the module doc); `pattern` is what it reads
    as one (`_REFUSED`, or the broader `_FAILED`)."""
    for found in pattern.finditer(text):
        clause = re.split(rf"[{_STOP}]", text[: found.start()])[-1]
        if _SUPPOSED.search(clause) or _DENIED.search(clause) or _IF_SO.match(text[found.end() :]):
            continue
        return True
    return False


def conversation_refusal(message: str, earlier: Sequence[str]) -> bool:
    """The message or one of the `RECENT_TURNS` latest earlier turns states a refusal or a failure
    (`_FAILED`)."""
    return any(states_refusal(text, _FAILED) for text in (message, *earlier[-RECENT_TURNS:]))


def presupposes_refusal(questions: Iterable[str]) -> bool:
    """All or most (`PRESUPPOSED_SHARE`) of an entry's customer wordings state a refusal."""
    wordings = [q for q in questions if q.strip()]
    stating = sum(states_refusal(q) for q in wordings)
    return bool(wordings) and stating >= PRESUPPOSED_SHARE * len(wordings)
