"""What kind of customer turn a message is: authored rules, not trained on any public text.

A turn is *stock* when it carries no question of its own: a greeting or a call for a human, an
order card pasted from the app, an acknowledgement (好的, 嗯, 对), thanks, or a closing
(没有了, 再见). Those are the turns whose right answer is a short stock reply (a quick reply);
everything else is *substantive* and goes to retrieval.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class TurnKind(StrEnum):
    """The stock kinds of customer turn; `None` from `turn_kind` means substantive."""

    GREETING = "greeting"
    ORDER_CARD = "order_card"
    ACKNOWLEDGEMENT = "acknowledgement"
    THANKS = "thanks"
    CLOSING = "closing"


_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}x\]")
# Order cards the chat apps paste: field names around anonymised or real numbers and dates.
_CARD_WORDS = re.compile(r"(咨询)?(订单号|订单编号|订单金额|下单时间|商品ID|商品编号|金额|时间|日期|链接)")
_NOT_CONTENT = re.compile(r"[\W_\d]+", re.UNICODE)
_ORDER_MARK = re.compile(r"\d|\[[\u4e00-\u9fffA-Za-z]{1,6}x\]")  # a number, or an anonymised one ([订单x])
# What a customer says around an order number they give (我的订单号是…, 这是单号, 订单号发你了): with
# the number, the turn answers the agent's request for it and asks nothing new.
_TRACKING = re.compile(r"(快递|物流|运)单号|(?<!订)单号")
_GIVING_WORDS = re.compile(
    r"^(我的|这是|这个是|这个|给你|给您|发你|发您|发给你|发给您|是|了|呢|哈|的|在这|在这里|亲|您|你|麻烦|查一下|查下|帮我查|帮忙查|一下|[a-z]{1,4})+$"
)

_POLITE = r"(亲|哈|啊|呀|哦|噢|呢|啦|了|的|吧|嘛|哈哈|嘿嘿|么|额|呃|那|您|你)*"
_ACK_WORDS = (
    r"(好|好的|haode|en|好滴|好哒|好嘞|好吧|好呀|好啊|可以|行|行吧|ok|okay|嗯|恩|嗯嗯|恩恩|哦|噢|喔|哦哦|噢噢|是|是的|对|对的|"
    r"没错|收到|知道|知道了|明白|明白了|了解|懂了|清楚了|那好|那行|那好吧|行的|中|哈哈|哈哈哈|嘿嘿|嘻嘻|呵呵|hh|hhh|hhhh)"
)
_THANK_WORDS = (
    r"(谢|谢谢|谢谢你|谢谢您|谢谢你们|谢啦|谢了|多谢|感谢|感谢你|感谢您|感谢你们|太感谢了|太谢谢了|非常感谢|十分感谢|"
    r"辛苦了|辛苦你了|辛苦你们了|麻烦了|麻烦你了|太好了|thanks|thx)"
)
_CLOSE_WORDS = (
    r"(没|木有|没有|没有了|不用|没了|没啦|没有啦|暂时没有|暂时没有了|暂时没了|不用了|没事了|没事|就这些|就这样|"
    r"下次还来|下次再来|有事再找你|有问题再找你|再联系|拜拜|再见|88|bye)"
)
_GREET_WORDS = (
    r"(你好|您好|在|在吗|在不|在不在|在么|在嘛|有人吗|hi|hello|哈喽|嗨|人工|人工客服|转人工|我要转人工|转人工客服|客服|"
    r"在线客服|京东客服|客服你好|客服您好|亲|京东快递|京东|移动端|网页端|pc端)"
)


def _sequence(*parts: str) -> re.Pattern[str]:
    """A whole-turn pattern: one or more of the given word groups, each with polite particles."""
    group = "|".join(parts)
    return re.compile(rf"^{_POLITE}((?:{group}){_POLITE})+$")


_ACK = _sequence(_ACK_WORDS)
_THANKS = _sequence(_ACK_WORDS, _THANK_WORDS)
_CLOSING = _sequence(_ACK_WORDS, _THANK_WORDS, _CLOSE_WORDS)
# A topic picked from the chat app's menu ("配送咨询", "请选择咨询订单") opens a chat like a greeting.
_MENU_WORDS = r"(请选择咨询订单|[\u4e00-\u9fff]{2,6}咨询)"
_GREETING = _sequence(_GREET_WORDS, _MENU_WORDS)
# The acknowledgement and thanks words as a whole turn says them: `agent_answer` takes them out of
# an agent's reply too (好的亲，稍等 / 嗯嗯，收到 / 谢谢亲).
_STOCK_WORDS = re.compile(rf"^{_POLITE}((?:{_ACK_WORDS}|{_THANK_WORDS}){_POLITE})+")


def content(text: str) -> str:
    """The letters and CJK of a turn, lower case: placeholders, marks, digits and spaces dropped."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOT_CONTENT.sub("", _PLACEHOLDER.sub("", text))


# Eight digits or more, not a mobile number (1[3-9] and nine more) nor a date (20261208).
_ORDER_NUMBER = re.compile(r"(?<!\d)(?!1[3-9]\d{9}(?!\d))(?!20\d\d[01]\d[0-3]\d(?!\d))\d{8,}|\[订单x\]")


def holds_order_number(text: str) -> bool:
    """True when the turn holds an order (or tracking) number: eight digits or more in a row (not a
    mobile number or a date), or the chat logs' anonymised `[订单x]`."""
    return _ORDER_NUMBER.search(unicodedata.normalize("NFKC", text)) is not None


def turn_kind(text: str) -> TurnKind | None:
    """The stock kind of a customer turn, or None when it is substantive (asks or says something)."""
    said = content(text)
    if not said:  # an order number or a pasted card; emoji or marks alone (😭😭😭, ？？？) ask nothing stock
        return TurnKind.ORDER_CARD if _ORDER_MARK.search(text) else None
    rest = _CARD_WORDS.sub("", said)
    if not rest:
        return TurnKind.ORDER_CARD
    # a number given in words (我的订单号是…, 快递单号…发你了); 快递单号？ with no number asks for one
    given = _TRACKING.sub("", rest)
    if _ORDER_MARK.search(text) and "单号" in said and (not given or _GIVING_WORDS.match(given)):
        return TurnKind.ORDER_CARD
    if _GREETING.match(said):
        return TurnKind.GREETING
    if _ACK.match(said):
        return TurnKind.ACKNOWLEDGEMENT
    if _THANKS.match(said):
        return TurnKind.THANKS
    if _CLOSING.match(said):
        return TurnKind.CLOSING
    return None


# What agents send to open a chat whatever it asks: a greeting, an offer to help, a hold while they
# look (您好，请问有什么可以帮您 / 亲爱的，小妹在的哦 / 还请您稍等，正在为您查询). Longer phrases first.
_OPENER_WORDS = re.compile(
    # JD agents' openers in whole phrases (a bare 号, 两, 看 or 京东 is part of many answers: 是三号,
    # 两天内发货, 京东物流哦): who is speaking (专员 8 号, 京东物流小红人, 妹子), what the agent asks
    # for to begin (提供下订单号, 这个商品吗, 简单描述下) and holds with a time (稍等两到三分钟)
    r"(稍等[一两三]?到?[两三]分钟|稍微等待一小会|耐心等待|让您久等|久等|不要离开|不要下线|"
    r"京东物流小红人|京东物流商家|京东服务|专员号|服务专员|专员|工号|妹子|妹纸|小蜜蜜|客官|私人|"
    r"方便提供一下|方便提供下|方便提供|提供一下|提供下|提供|订单号码|订单号|麻烦|辛苦|"
    r"(?:这个|这款)(?:订单|商品)?[吗么]|[早上中下晚][午上]好|遇到|出现|解答|"
    r"(?:方便)?(?:简单)?描述(?:一下|下)?|"
    r"看一下|看下|看看|可以帮助|能帮助|帮助|"
    r"您好|你好|亲爱的|亲爱哒|尊敬的|商家|卖家|客户|顾客|用户|朋友|小主|欢迎光临|欢迎|小妹|客服|在的|在呢|在哦|在线|"
    r"很高兴|服务|请问|有什么|有啥|什么|问题|这边|可以帮|可以为|能帮|能为|我可以|帮到|帮|效劳|处理中|处理|解决|"
    r"咨询|之前|还是|有其他|还有|其他|需要|请稍等|稍等|请稍|还请|稍后|马上|正在|为|查询|查看|核实|一下|"
    r"亲|您|你|我|的|呢|哦|吗|呀|哟|啊|吧|是|了|和|或|请|哈|嘛|呐|到)"
)


def is_agent_opener(reply: str) -> bool:
    """True for an agent's reply that opens a chat without answering anything: nothing is left of it
    once greetings, offers to help and holds are taken out. "亲，我们有实体店的" answers a question
    (们有实体店 is left), as do "有的亲" and "可以的亲"; an empty reply opens nothing."""
    said = content(reply)
    return bool(said) and not _OPENER_WORDS.sub("", said)


# What agents send to close a chat whatever it was about, in whole phrases: thanks (感谢您的支持),
# you're-welcomes (不客气), wishes (祝您生活愉快), goodbyes (欢迎下次光临) and the open door (有问题
# 随时联系). A bare 支持, 联系 or 愉快 is part of answers (支持七天无理由退货), so phrases only.
_CLOSER_WORDS = re.compile(
    r"(感谢|谢谢|多谢)(您|你|亲)?(的|对)?(京东|店铺|本店|我们)?(的)?(耐心等待|耐心|等待|支持|理解|信任|配合|光临|惠顾|关注|咨询)?|"
    r"(不用|不|别)客气|客气了|应该的|给您添麻烦了|添麻烦了|"
    r"祝(您|你)?(生活|购物|工作|周末|节日|新年|每天)?(愉快|开心|顺利|快乐)|(生活|购物)愉快|"
    r"欢迎(您)?(下次|再次)?(光临|再来)|下次再来|再见|拜拜|"
    r"(有|如有|若有)?(任何)?问题(可以|请|欢迎)?随时(联系|咨询|找)(我们|我|客服)?|随时(联系|咨询)(我们|我|客服)?"
)


# What agents send while a matter is handled elsewhere, whatever it is, in whole phrases: it was
# passed on (已经帮您反馈给仓库了, 这边帮您登记了), wait (请耐心等待) and word will come (有消息第一时间
# 通知您, 会尽快给您回复). A second reading saw one such reply, sent to 快递破损了, 少发了枕套 and 什么时候
# 发货, merge the three into one gap.
_PROMISE_WORDS = re.compile(
    r"(已经|已)?(帮|为|给)?(您|你)?(反馈|登记|记录|上报|报备|转交|催促|催)(一下|了)?(给|到)?"
    r"(仓库|快递|物流|相关部门|部门|主管|专员|售后|同事)?(了)?|"
    r"(请|还请)?(您)?(耐心)?(等待|等候)(一下)?|"
    r"(有|一有)?(消息|结果|进展|回复)(后)?(会|我们会|这边会)?(第一时间|马上|及时|尽快)(通知|联系|告知|回复)(您|你)?|"
    r"(会|我们会|这边会)?(尽快|及时|第一时间)(给您|为您)?(处理|回复|答复|联系)"
)


def agent_answer(reply: str) -> str:
    """What an agent's reply says beyond its stock phrases: its letters and CJK (`content`) less
    greetings, offers to help and holds (as `is_agent_opener` takes them out), acknowledgements
    and thanks (the words `turn_kind` knows a customer's by), the agents' closings (感谢您的支持,
    祝您生活愉快, 有问题随时联系) and promises (已经帮您反馈给仓库了, 请耐心等待, 有消息第一时间通知您).
    Empty for a stock reply; "我们暂时没有线下店哦，还有什么可以帮您" keeps 们暂时没有线下店."""
    said = _PROMISE_WORDS.sub("", _CLOSER_WORDS.sub("", content(reply)))
    return _OPENER_WORDS.sub("", _STOCK_WORDS.sub("", said))


_FOLLOW_LEAD = re.compile(r"^(那么|那如果|那|如果|要是|还有)")
_FOLLOW_END = re.compile(r"呢$")
FOLLOW_UP_MAX = 10  # letters and CJK: a longer turn says what it asks about


def is_follow_up(text: str) -> bool:
    """True for a short elliptical turn that leans on the one before it (那西藏呢 after 新疆能发货吗,
    XL的呢, 如果买两件呢): it asks about the same thing, so the earlier turns say what it means.
    Stock turns (好的呢) are not follow-ups."""
    said = content(text)
    if not said or len(said) > FOLLOW_UP_MAX or turn_kind(text) is not None:
        return False
    return bool(_FOLLOW_END.search(said) or _FOLLOW_LEAD.match(said))


_THANKED = re.compile(r"谢|感谢|辛苦了|辛苦你|thank|thx")


def says_thanks(text: str) -> bool:
    """True when the turn thanks anywhere in it (谢谢, 感谢, 辛苦了), as a whole turn (谢谢) or in
    passing (…请帮助解决退款问题。谢谢!); `turn_kind` says whether it is a thanks turn."""
    return bool(_THANKED.search(content(text)))


def is_stock(text: str) -> bool:
    """True when the turn carries no question of its own (see `turn_kind`)."""
    return turn_kind(text) is not None


# Latin letters typed without meaning: one letter held (jjjjj, qqqq, h) or four or more along one
# row of the keyboard (asdfgh, qwer, zxcv; not xl or pdf). Digits are no content already (123123
# is an empty turn).
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_LATIN = re.compile(r"[a-z]+")


def is_keyboard_junk(text: str) -> bool:
    """True for keyboard mashing that says nothing: no CJK, one Latin run that is one letter held
    or four or more letters from one keyboard row, or no content at all (only digits or marks).
    Not a stock turn (it gets no quick reply), but never a question either: no knowledge gap."""
    said = content(text)
    if not said:
        return True
    if not _LATIN.fullmatch(said):
        return False
    letters = set(said)
    return len(letters) == 1 or (len(said) >= 4 and any(letters <= set(row) for row in _KEYBOARD_ROWS))
