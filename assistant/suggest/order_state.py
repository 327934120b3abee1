"""Has the order shipped? What a conversation says, and what a reply takes for granted.

A reply written for one state of the order is wrong in the other: 亲，还没发货可以改的 answers
地址写错了，能改吗 only while the parcel is still in the warehouse; after the agent has said
已经发货了, the reply for a shipped order (联系快递改派) is the one to send. Both sides are read
from the text with authored patterns:

* `stated_state(text)`: the last statement of the order's state in a turn. 还没发货 / 未发出 /
  没发呢 say it has not shipped (发货前, *before* shipping, is a condition, not a statement: it
  counts only for what a reply takes for granted); 已经发货了 / 已发出 / 发出了 / 已揽收 say it has. A question
  (发货了吗, 发出了没) states nothing.
* `conversation_state(message, context)`: the latest statement, the message first, then the
  earlier turns from the newest (agent or customer).
* `presupposed_state(questions, reply)`: the state a knowledge entry's wordings and reply take for
  granted: only one of the two mentioned. A reply that covers both (还没发货的我马上备注；已经发出的
  我联系快递) takes nothing for granted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum


class OrderState(StrEnum):
    NOT_SHIPPED = "not_shipped"
    SHIPPED = "shipped"


# No question particle right after: 发货了吗 / 发出了没 / 还没发货吗 ask, they do not state.
_NOT_ASKED = r"(?![吗么嘛没不否?？]|了[吗么嘛没不?？])"
_BARE_SEND = r"发(?![货出现票错生信消短图链视过给])"  # 没发呢, not 没发现 / 发票没发 / 没发消息
_NOT_SHIPPED = re.compile(rf"(还没有?|没有?|未|尚未|还未)(发货|发出|寄出|{_BARE_SEND})(?!了){_NOT_ASKED}")
_BEFORE_SHIPPING = re.compile(r"发货前|发货之前")
_SHIPPED = re.compile(
    rf"(已经?|都)(发货|发出|寄出|发了|揽收|出库|签收){_NOT_ASKED}|(?<![没未])(发出|寄出|出库)了{_NOT_ASKED}"
    rf"|(?<![没未还])发货了{_NOT_ASKED}|快递(已经)?在路上"
)


def stated_state(text: str) -> OrderState | None:
    """The order state the last statement of `text` gives, or None when it states none."""
    last: tuple[int, OrderState] | None = None
    for pattern, state in ((_NOT_SHIPPED, OrderState.NOT_SHIPPED), (_SHIPPED, OrderState.SHIPPED)):
        for found in pattern.finditer(text):
            if last is None or found.start() > last[0]:
                last = (found.start(), state)
    return last[1] if last is not None else None


def conversation_state(message: str, earlier: Sequence[str]) -> OrderState | None:
    """The latest statement of the order's state: in the message, else the newest earlier turn."""
    for text in (message, *reversed(earlier)):
        state = stated_state(text)
        if state is not None:
            return state
    return None


def presupposed_state(questions: Iterable[str], reply: str) -> OrderState | None:
    """The state an entry's wordings and reply take for granted: one of the two, never both."""
    found: set[OrderState] = set()
    for text in (*questions, reply):
        if _NOT_SHIPPED.search(text) or _BEFORE_SHIPPING.search(text):
            found.add(OrderState.NOT_SHIPPED)
        if _SHIPPED.search(text):
            found.add(OrderState.SHIPPED)
    return next(iter(found)) if len(found) == 1 else None


_ONLY_PARTICLES = re.compile(r"^[\W_还都也呢啊呀的了亲哦吧嘛]*$")


def states_only(text: str) -> bool:
    """True for a clause that states the order's state and says nothing else (还没发货, 已经发出了呢):
    beside a question it is the question's condition (还没发货，能改地址吗), not a chase."""
    if stated_state(text) is None:
        return False
    rest = _SHIPPED.sub("", _NOT_SHIPPED.sub("", text))
    return _ONLY_PARTICLES.match(rest) is not None
