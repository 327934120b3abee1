"""Reading an elliptical follow-up as the question it leans on.

那加湿器呢 after 电热毯保修多久 asks 加湿器保修多久; 那1.8米的呢 after 1.5米的四件套多少钱 asks
1.8米的四件套多少钱. Alone, such a message names a subject and no question, so it was answered by
whatever mentions that subject most (the humidifier's price; a complaint about a wrong size sent).
`restate` writes the previous question again with the follow-up's subject in place of the part of
the same kind:

* a quantity (digits and their unit: 1.5米, 200x230cm, 17号) takes the place of a quantity with
  the same unit (那3件呢 replaces 2件, not 1.5米; 那18号呢 after a question about a size is none),
  a bare number that of the first quantity, keeping its unit (那20呢 after 10块的呢 → 20块);
* Latin letters (XL, M, and a size with 码: L码, 2XL码) of Latin letters, a clothing size (S, M,
  XL, 2XL) of a size, keeping the question's 码 (那L码呢 after 这件T恤M码有货吗 → 这件T恤L码有货吗,
  not the T of T恤; 那XL的呢 after M码的多少钱 → XL码的多少钱; 那L码呢 after M的多少钱 → L的多少钱);
* a colour (白色) of a colour, never of the product (那白色呢 after 四件套多少钱 is none);
* a place of a place, a time of a time (jieba's part-of-speech tags: 新疆 → 西藏, 今天 → 明天);
* a thing (a run of nouns: 电热毯, 长绒棉四件套) of the thing the question is about, the first one
  before its verb (电热毯 in 电热毯保修多久; none in 新疆能发货吗, whose 发货 comes after 能).

When a part of the follow-up has no counterpart of its kind (那西藏呢 after 这个被子多重), or the
follow-up says more than a subject (那熄屏了呢, 如果买两件呢), there is no restatement: the ranker's
own reading of a follow-up applies (`ranker.FOLLOW_UP_FLOOR`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from assistant.retrieval.text import normalise

Kind = Literal["quantity", "latin", "place", "time", "colour", "thing"]

_ELLIPSIS = re.compile(r"^(?P<lead>那么|那(?:个|款|种)(?=..)|那)?(?P<subject>.+?)(?P<tail>的?呢)?$")
"""那X呢, X呢 or 那X (那个X呢, 那款X呢): a subject and nothing else (its edge punctuation already stripped)."""
_EDGE = re.compile(r"^[\s\W_]+|[\s\W_]+$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?(?:[x×*]\d+(?:\.\d+)?)*")
_QUANTITY = r"\d+(?:\.\d+)?(?:[x×*]\d+(?:\.\d+)?)*(?:%|[a-z]+|厘米|公分|公斤|毫升|[米码寸斤克号件个套条元块天升瓦度])?"
_SPANS = re.compile(rf"(?:\d+x+|x*)[sml]码|(?P<quantity>{_QUANTITY})|[a-z]+", re.IGNORECASE)
"""A size with 码 (L码, 2XL码: Latin, not a quantity of 2 in XL), a quantity, or Latin letters."""
_SIZE = re.compile(r"\d*x*[sml]码?", re.IGNORECASE)
"""A clothing size (S, M, XL, XXL, 2XL, L码): what a size in a follow-up replaces, not the T of T恤."""
_TAGS: dict[str, Kind] = {
    "ns": "place",
    "t": "time",
    "tg": "time",
    **dict.fromkeys(("n", "nr", "nrt", "nrfg", "nz", "ng", "nt", "l", "b", "vn", "j", "an"), "thing"),
}
"""jieba's part-of-speech tags of each kind of word (`l` holds fixed words such as 四件套)."""
_NOT_SUBJECTS = frozenset({"你好", "您好", "请问", "亲", "在吗", "麻烦", "谢谢", "客服", "老板", "掌柜"})
"""Words tagged as nouns that are never what a question is about: a greeting, a form of address."""
_BEFORE_SUBJECT = frozenset(
    {"这个", "那个", "这款", "那款", "这种", "这", "那", "你们", "你们家", "你家", "我", "我的"}
)
"""Words that may stand before a question's subject (这个电热毯, 我的四件套); any other word that is
not a subject ends the stretch where the subject of a question is looked for."""
_MODIFIER_TAGS = frozenset({"a", "uj"})
"""Adjectives and 的 stand inside a subject (白鹅绒被, 1.5米的四件套) without being one."""


@dataclass(frozen=True, slots=True)
class _Part:
    """A stretch of a text: of one `Kind`, or None for any other word or mark."""

    text: str
    kind: Kind | None
    tag: str = ""


@lru_cache(maxsize=1)
def _posseg() -> Any:
    """jieba's part-of-speech tagger, loaded on first use (it takes a second or two)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    return jieba.posseg


def _tagged(chunk: str) -> list[_Part]:
    """The words of a stretch without digits or Latin letters, each with its kind. A 被 that jieba
    reads as the passive marker right after a noun is the end of the noun (鹅绒被, 真丝被)."""
    parts: list[_Part] = []
    for pair in _posseg().lcut(chunk):
        word, tag = str(pair.word), str(pair.flag)
        kind = None if word in _NOT_SUBJECTS else _TAGS.get(tag)
        if kind == "thing" and len(word) >= 2 and word.endswith("色"):
            kind = "colour"  # 白色, 浅灰色: what a product looks like, not the product
        if parts and parts[-1].kind == "thing" and (kind == "thing" or word == "被"):
            parts[-1] = _Part(parts[-1].text + word, "thing", parts[-1].tag)  # 长绒棉 + 四件套: one thing
        else:
            parts.append(_Part(word, kind, tag))
    return parts


def _parts(text: str) -> list[_Part]:
    """The whole of `text` cut into parts (their texts join to `text`): quantities and Latin letters
    by pattern, the rest by jieba's tags."""
    parts: list[_Part] = []
    start = 0
    for found in _SPANS.finditer(text):
        if found.start() > start:
            parts.extend(_tagged(text[start : found.start()]))
        parts.append(_Part(found.group(), "quantity" if found.group("quantity") else "latin"))
        start = found.end()
    if start < len(text):
        parts.extend(_tagged(text[start:]))
    return parts


def _subject(message: str) -> list[_Part] | None:
    """The parts of the subject an elliptical follow-up names (那1.8米的呢 → 1.8米), or None when the
    message is not one: it leads with 那 or ends with 呢 and says nothing but its subject. A word of
    one character names nothing to put in a question's place (人呢 calls for a person)."""
    found = _ELLIPSIS.match(_EDGE.sub("", normalise(message)))
    if found is None or not (found.group("lead") or found.group("tail")):
        return None
    *parts, end = _parts(found.group("subject") + "呢")  # tagged as said: 中号 alone reads 中 + 号
    named = [p for p in parts if p.kind is not None]
    said_more = any(p.kind is None and p.tag not in _MODIFIER_TAGS for p in parts)
    too_short = any(len(p.text) < 2 and p.kind not in ("quantity", "latin") for p in named)
    return named if named and end.text == "呢" and not said_more and not too_short else None


def _before_subject(part: _Part) -> bool:
    """A word that may stand before a question's subject: 这个, 我的, an adjective, a greeting, a mark."""
    return part.text in _BEFORE_SUBJECT or part.text in _NOT_SUBJECTS or part.tag in _MODIFIER_TAGS or part.tag == "x"


def _counterpart(question: list[_Part], named: _Part, taken: set[int]) -> int | None:
    """Where in `question` the part stands that the follow-up's part `named` replaces: the first of
    its kind (a quantity: of its unit, when it has one), and for a thing the first before the
    question's verb (its subject)."""
    kind, unit = named.kind, _unit(named).lower()
    sized = kind == "latin" and _SIZE.fullmatch(named.text) is not None
    for i, part in enumerate(question):
        same_unit = kind != "quantity" or not unit or _unit(part).lower() == unit
        same_size = not sized or _SIZE.fullmatch(part.text) is not None
        if part.kind == kind and i not in taken and same_unit and same_size:
            return i
        if kind == "thing" and part.kind is None and not _before_subject(part):
            return None
    return None


def _unit(quantity: _Part) -> str:
    """The unit of a quantity (块 of 10块), which a follow-up's bare number keeps (那20呢 → 20块)."""
    return _NUMBER.sub("", quantity.text)


def _letters(latin: _Part) -> str:
    """Latin letters without their 码 (L of L码), which take the place of another's (M码 → L码)."""
    return latin.text.removesuffix("码")


def _substitute(question: str, named: list[_Part]) -> str | None:
    """`question` with each part of the follow-up's subject in place of its counterpart, or None
    when one of them has none."""
    parts = _parts(_EDGE.sub("", normalise(question)))
    taken: dict[int, str] = {}
    for part in named:
        assert part.kind is not None  # `_subject` keeps only parts of a kind
        at = _counterpart(parts, part, set(taken))
        if at is None:
            return None
        if part.kind == "latin":
            taken[at] = _letters(part) + ("码" if parts[at].text.endswith("码") else "")  # 码 as asked
        elif part.kind == "quantity" and not _unit(part):
            taken[at] = part.text + _unit(parts[at])
        else:
            taken[at] = part.text
    return "".join(taken.get(i, p.text) for i, p in enumerate(parts))


def restate(message: str, earlier: Sequence[str]) -> str | None:
    """The question an elliptical follow-up asks: the customer's previous question (the last of
    `earlier`, their substantive turns oldest first) with its subject replaced by the follow-up's,
    itself restated first when it was a follow-up too (那电水壶呢 after 那加湿器呢). None when the
    message is not such a follow-up or the question has no part of its subject's kind."""
    named = _subject(message)
    if named is None or not earlier:
        return None
    *before, previous = earlier
    asked = restate(previous, before) if _subject(previous) is not None else previous
    return None if asked is None else _substitute(asked, named)


_VAGUE = re.compile(
    r"^(?:那么|那|这|然后|还有|就是)?(?:它们|它|这个|那个|这款|那款|这种|那种|这件|那件|这样|那样)?的?[呢吗么啊呀哦嘛]*$"
)


def asks_nothing(message: str) -> bool:
    """True for a turn that only points (那个呢, 这个呢, 然后呢): what it asks is in the chat, not in
    its words (a user test saw 那个呢 after 四件套有几个颜色 read 人呢's answer at 0.91)."""
    said = re.sub(r"[\W_]+", "", normalise(message))
    return bool(said) and _VAGUE.fullmatch(said) is not None


_POINTING = re.compile(r"^(?:那么|那)?(?P<word>它们|它|这个|这款|这件|这种|那个|那款)(?P<rest>.+)$")
POINTING_MAX = 12
"""Letters and CJK of a question that points back (那它多少钱): a longer one says what it is about."""


def resolve_pointing(message: str, earlier: Sequence[str], known: Callable[[str], bool] = lambda _: True) -> str | None:
    """A short question that points back at the thing of an earlier turn, asked about it by name:
    那它多少钱 after 鹅绒被会不会钻绒啊 → 鹅绒被多少钱 (a user test saw the right answer capped as a
    guess from the context). `earlier`: the customer's substantive turns, oldest first; the latest
    that names a thing is the one pointed at. None when the message does not point back, names its
    own thing (这款四件套多少钱) or no earlier turn names one that is `known` (the service: one of the
    shop's products)."""
    said = _EDGE.sub("", normalise(message))
    found = _POINTING.match(said)
    if found is None or len(said) > POINTING_MAX:
        return None
    rest = found.group("rest")
    if not rest[:1].isalnum():  # 这个，我之前申请了换: a filler, not a subject
        return None
    parts = _parts(rest)
    if len(_EDGE.sub("", rest.rstrip("呢吗么啊呀"))) < 2:  # 这个呢 is an ellipsis (`restate`)
        return None
    if not found.group("word").startswith("它") and parts[0].kind == "thing":
        return None  # 这款四件套多少钱: 这款 points at the thing it names
    for turn in reversed(earlier):
        things = _things(_EDGE.sub("", normalise(turn)))
        if things:  # the latest turn that names anything is the one pointed at
            return next((thing + rest for thing in things if known(thing)), None)
    return None


def _things(text: str) -> list[str]:
    """The things a turn names, in order, each as one word (鹅绒被, 乳胶枕; not 加湿器声音 as the
    tagger's neighbouring things joined would be)."""
    words = [(str(pair.word), _TAGS.get(str(pair.flag))) for pair in _posseg().lcut(text)]
    found: list[str] = []
    for i, (word, kind) in enumerate(words):
        if kind != "thing" or word in _NOT_SUBJECTS or word.endswith("色"):
            continue
        after = words[i + 1] if i + 1 < len(words) else None
        if after is not None and len(after[0]) == 1 and (after[0] == "被" or after[1] == "thing"):
            word += after[0]  # 鹅绒 + 被, 乳胶 + 枕: the noun's end (see `_tagged`)
        if len(word) >= 2:
            found.append(word)
    return found
