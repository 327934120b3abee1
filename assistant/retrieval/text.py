"""Cleaning customer noise and cutting Chinese text into tokens for the lexical index.

Customer messages carry emoticon codes (`/大哭`, `[微笑]`, `/:^_^`), emoji, runs of punctuation
(`？？？`), full-width characters, traditional characters and chat-log placeholders (`[订单x]`).
Two views of a text are made from one set of rules:

* `normalise` is what the embedder sees: the noise is removed but the sentence, including its
  punctuation, is kept (punctuation still tells the model a question from a statement);
* `clean` is what the lexical index sees: `normalise`, lower case, and every character that is
  not a letter, digit or CJK character becomes a space. `tokens` then gives jieba words plus
  character uni- and bi-grams, which keeps short and misspelt Chinese queries matchable.

Emoticon codes are recognised from a short authored list of the common chat-app emoticon names
rather than from any `/` followed by characters, so `29.9元/件` or `2件/套` keep their meaning.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache
from typing import Any

# Names of the emoticons that chat apps insert as text (`/大哭`, `[微笑]`): the stock WeChat/QQ
# set and the common Weibo/Taobao bracket ones. Authored from the apps' public emoticon panels.
EMOTICON_NAMES: tuple[str, ...] = tuple(
    """
    微笑 撇嘴 色 发呆 得意 流泪 害羞 闭嘴 睡 大哭 尴尬 发怒 调皮 呲牙 惊讶 难过 酷 冷汗 抓狂 吐
    偷笑 可爱 愉快 白眼 傲慢 饥饿 困 惊恐 流汗 憨笑 大兵 悠闲 奋斗 咒骂 疑问 嘘 晕 疯了 折磨 衰
    骷髅 敲打 再见 擦汗 抠鼻 鼓掌 糗大了 坏笑 左哼哼 右哼哼 哈欠 鄙视 委屈 快哭了 阴险 亲亲 吓
    可怜 菜刀 西瓜 啤酒 篮球 乒乓 咖啡 饭 猪头 玫瑰 凋谢 示爱 爱心 心碎 蛋糕 闪电 炸弹 刀 足球
    瓢虫 便便 月亮 太阳 礼物 拥抱 强 弱 握手 胜利 抱拳 勾引 拳头 差劲 爱你 捂脸 奸笑 机智 皱眉
    耶 吃瓜 加油 汗 天啊 社会社会 旺柴 好的 打脸 哇 翻白眼 让我看看 叹气 苦涩 裂开 嘿哈
    哈哈 嘻嘻 泪 怒 哼 心 赞 吃惊 抱抱 允悲 笑哭 笑cry 二哈 跪了 拜拜 思考 失望 悲伤 生病
    怒骂 太开心 馋嘴 钱 doge 喵喵 good ok 挖鼻 可怜 哭 呵呵 赞啊 威武 围观 给力 萌 微风
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_NAMES = "|".join(sorted({re.escape(n) for n in EMOTICON_NAMES}, key=len, reverse=True))
# `/大哭`, `[微笑]`, `【微笑】`, and Wangwang/QQ symbol codes such as `/:^_^`, `/:-(` or `/:068`.
_EMOTICON = re.compile(rf"/(?:{_NAMES})|\[(?:{_NAMES})\]|【(?:{_NAMES})】|/:[^\s\u4e00-\u9fff]{{1,4}}", re.I)
# Anonymisation placeholders in chat logs: `[订单x]`, `[数字x]`, `[地址x]`.
_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fff]{1,4}x\]")
# Markup pasted in or sent by a channel (an e-mail inbox's HTML, `<script>` from a prober): a
# script or style element whole, any other tag alone (its text stays). `<` then a letter, `/` or
# `!`, so 价格<100 and <3 are text.
_MARKUP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<[a-zA-Z/!][^<>]{0,200}>", re.S | re.I)
# Invisible characters inside words (zero-width space / non-joiner / joiner, word joiner, BOM,
# soft hyphen): removed, not spaced (a user test: 被\u200b子可以机洗吗 read 0.54 against 0.97).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# A run of punctuation (`？？？`, `!!!`, `。。。`, `~~`) is kept as its first mark.
_PUNCT_RUN = re.compile(r"([^\w\s])[^\w\s]+")
# Anything that is not a letter, digit or CJK character becomes a space (lexical view only).
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SPACE_BEFORE_MARK = re.compile(r"\s+([^\w\s])")
# Emoji and pictographs: symbol categories plus the joiners and selectors emoji are built with.
_DROP_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn"})
_DROP_CHARS = frozenset("\u200d\ufe0e\ufe0f\u20e3")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def to_simplified(text: str) -> str:
    """Traditional characters to simplified (same length for the characters we care about)."""
    return str(_t2s().convert(text))


def _drop_emoji(text: str) -> str:
    return "".join(" " if ch in _DROP_CHARS or unicodedata.category(ch) in _DROP_CATEGORIES else ch for ch in text)


def normalise(text: str) -> str:
    """A customer wording without its noise, as the embedder should see it.

    HTML entities decoded (&lt;, &nbsp;), invisible characters removed, NFKC (full-width →
    half-width), markup, placeholders, emoticon codes and emoji removed, traditional → simplified,
    a run of punctuation kept as its first mark, spaces collapsed. Words, case and single
    punctuation marks are kept. A text that is nothing but noise normalises to "".
    """
    text = _INVISIBLE.sub("", html.unescape(text) if "&" in text else text)
    text = unicodedata.normalize("NFKC", text)
    text = _MARKUP.sub(" ", text)
    text = _PLACEHOLDER.sub(" ", text)
    text = _EMOTICON.sub(" ", text)
    text = _drop_emoji(text)
    text = to_simplified(text)
    text = _PUNCT_RUN.sub(r"\1", _SPACE_BEFORE_MARK.sub(r"\1", text))
    return _SPACES.sub(" ", text).strip()


_IDENTIFIER = re.compile(r"\d{6,}")
"""Six digits or more: an order, phone or tracking number, one gram whole. Its inner grams would
match unrelated numbers (12315 inside the order number 4123153300187)."""


def plain_text(text: str) -> str:
    """A customer's message as an admin should read it and a knowledge wording should keep it:
    HTML entities decoded and markup left out, everything else as typed (a user test: closing a
    gap stored `<img src=x onerror=…>你们支持数字人民币付款吗` as the FAQ's question). A message that
    is only markup stays as it was."""
    decoded = html.unescape(text) if "&" in text else text
    return _SPACES.sub(" ", _MARKUP.sub(" ", decoded)).strip() or text.strip()


def embedding_text(text: str) -> str:
    """A customer wording as the embedder should see it (messages and index keys alike): its
    order, phone or tracking numbers (`_IDENTIFIER`) left out, as `coverage` and `known` leave
    them (a user test: 我的手机号13812315678，麻烦改下地址 read 0.30 against the address-change answer,
    0.71 without the number); a text that is only noise, or only a number, stays as it was."""
    said = normalise(text)
    unnumbered = _SPACE_BEFORE_MARK.sub(r"\1", _SPACES.sub(" ", _IDENTIFIER.sub(" ", said))).strip()
    return unnumbered or said or text.strip() or text


_ADDRESS_ENDINGS = ("省", "市", "区", "县", "镇", "乡", "村", "路", "街", "大道", "巷", "弄", "胡同", "小区")
"""How the parts of a postal address end (北京市, 朝阳区, 建国路, 幸福小区), whatever jieba tags them
(it reads 张江路 as a person's name). jieba's place tag alone is too loose (京东, 蓝牙, 香水, 入口):
a word it tags as a place is part of the address only beside such a part (广州 in 广州天河区)."""


@lru_cache(maxsize=1)
def _posseg() -> Any:
    import jieba.posseg

    _jieba()
    return jieba.posseg


def without_places(text: str, known: Collection[str]) -> str:
    """`text` without the postal address it holds, where the shop's words (`known`) do not name
    it: a customer's own address (北京市朝阳区, 建国路) says where, not what they ask, so
    帮我把地址改成北京市朝阳区 asks what 帮我改下地址 asks (a user test: 0.07 against 1.00). A place
    the shop's wordings name (新疆, 杭州, 偏远地区) is the question's topic and stays; a text that is
    only an address stays as it was."""
    if not _HAN.search(text):
        return text
    pairs = [(str(p.word), str(p.flag)) for p in _posseg().lcut(text)]
    address = [len(w) >= 3 and w.endswith(_ADDRESS_ENDINGS) and w not in known for w, _ in pairs]
    for _ in range(2):  # a place tag beside a part of the address joins it (广州 天河区)
        for i, (word, tag) in enumerate(pairs):
            beside = (i > 0 and address[i - 1]) or (i + 1 < len(pairs) and address[i + 1])
            if tag == "ns" and beside and word not in known:
                address[i] = True
    left = "".join(word for (word, _), drop in zip(pairs, address, strict=True) if not drop)
    return left if _HAN.search(left) else text


def clean(text: str) -> str:
    """The lexical view: `normalise`, lower case, and only letters, digits and CJK left."""
    return _SPACES.sub(" ", _NOISE.sub(" ", normalise(text).lower())).strip()


def compact(text: str) -> str:
    """`clean` without spaces: the letters, digits and CJK of a text in one run."""
    return clean(text).replace(" ", "")


def words(cleaned: str) -> list[str]:
    """jieba words of an already cleaned text (no spaces)."""
    return [w for w in _jieba().lcut(cleaned) if w.strip()]


def dictionary_word(text: str) -> bool:
    """A word of jieba's dictionary (it stores every word's prefixes too, at frequency 0)."""
    return int(_jieba().dt.FREQ.get(text, 0)) > 0


def char_ngrams(cleaned: str, sizes: tuple[int, ...] = (1, 2)) -> list[str]:
    """Character n-grams inside each space-separated chunk of a cleaned text; a long number
    (`_IDENTIFIER`) is one gram."""
    grams: list[str] = []
    for chunk in cleaned.split():
        grams.extend(_IDENTIFIER.findall(chunk))
        for part in _IDENTIFIER.split(chunk):
            for n in sizes:
                grams.extend(part[i : i + n] for i in range(len(part) - n + 1))
    return grams


def tokens(text: str) -> list[str]:
    """Lexical tokens of a raw text: jieba words plus character uni- and bi-grams (prefixed)."""
    cleaned = clean(text)
    return words(cleaned) + ["#" + g for g in char_ngrams(cleaned)]


_EDGE_PUNCT = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def cache_key(text: str) -> str:
    """The service's query-vector cache key: width, case, inner spaces and edge punctuation
    folded (texts this close embed alike)."""
    folded = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower())
    return _EDGE_PUNCT.sub("", folded) or folded.strip()


_PART_BREAK = re.compile(r"(?:[\s，,。！!？?；;～~…]|(?<!\d)\.|\.(?!\d))+")
"""Where a message's clauses end; a dot between two digits is a decimal point (1.2米), not a break."""
_FIELD = re.compile(r"[:：]")
_PREAMBLE = re.compile(r"(您好|你好|亲)?(我)?(想|要)?(请)?(问|咨询|打扰)(一)?下?(哈|啊|呀)?|请问")
"""A clause that only announces a question (我想问一下, 请问, 打扰一下): it asks nothing itself."""
PARTS_MAX = 4
"""The most parts of one message read on their own (`parts`): each is one more text to embed."""
PART_MIN = 2
"""The letters a part needs to be read on its own (吗 or 在 alone asks nothing)."""


def parts(text: str) -> tuple[str, ...]:
    """The clauses of a message that says more than one thing, each as typed: 拍什么照片！！你们就是
    卖假货的骗子，洗一次就掉色成这样 → its three clauses. A form field the platform pasted in
    (咨询订单号:[订单x], 下单时间:…), a clause that only announces a question (`_PREAMBLE`) and a
    clause said twice are left out, so 咨询订单号:[订单x] 你好 is one part, 你好. At most
    `PARTS_MAX`: the last clause, however short (a customer's question or demand usually ends the
    message: 到底能不能退货 after a long complaint), and the longest of the others, in their order
    (…… where a long message's middle was left out is a break like any other); none when the
    message is one clause."""
    found: list[str] = []
    for part in _PART_BREAK.split(_PLACEHOLDER.sub("", text)):
        said = compact(part)
        if _FIELD.search(part) or part in found or len(said) < PART_MIN or _PREAMBLE.fullmatch(said):
            continue
        found.append(part)
    if len(found) == 1 and compact(found[0]) == compact(text):
        return ()
    if len(found) <= PARTS_MAX:
        return tuple(found)
    *others, last = range(len(found))
    longest = sorted(others, key=lambda i: len(compact(found[i])), reverse=True)[: PARTS_MAX - 1]
    return tuple(found[i] for i in (*sorted(longest), last))
