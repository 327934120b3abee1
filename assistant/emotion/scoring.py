"""One message on its own: phrase and pattern matches, negation, intensity, contrast, punctuation.

The result is a weight and evidence spans per cue (`MessageSignals`); the detector turns weights
into scores (`1 - exp(-weight)`) and adds what the conversation says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.emotion.lexicon import Lexicon, Pattern, PhraseMatch, Term
from assistant.emotion.types import CueName

CLAUSE_BREAKS = frozenset("，。！？；、：,.;:!?~～…\n\r\t ")
FAULT_WEIGHT = 1.0
"""A disappointment phrase of at most this weight after modifiers names a fault (异味, 起球); the
let-down words (失望, 质量太差) weigh more and stay strong inside a question."""
SENTENCE_ENDS = frozenset("。！？；!?;\n")
NEGATIVE_CUES: tuple[CueName, ...] = ("anger", "disappointment", "complaint_risk")
STEADFAST_CUES = frozenset(NEGATIVE_CUES)  # a prohibitive (别再骗人了) does not cancel these
ACCUSING_CUES = frozenset({"anger", "complaint_risk"})
"""What a scam the customer suffered from someone else (lexicon `scams_suffered`), or being cheated
feared (`cheats_feared`), does not carry."""
QUESTION_ENDS = ("吗", "嘛", "么", "不？", "没？")
QUESTION_WORDS = (
    "哪个", "哪款", "哪种", "哪一", "吗", "嘛", "是否", "是不是", "有没有", "会不会", "能不能", "怎么样", "如何",
    "为什么", "为啥", "什么好",
)  # fmt: skip
CONFIRMING = ("吧？",)
"""这个是正品吧(？) asks for confirmation: with a quality word it is a product question, not praise."""
HYPOTHETICAL = ("万一", "如果", "要是", "假如", "会不会", "怕")
"""A complaint about quality inside a hypothetical (万一是假的) is a worry before buying, not a let-down."""
CIRCUMSTANCE = ("的时候", "时候")
"""A feeling word followed by 的时候 names a circumstance (生气的时候, 着急的时候), not what the customer feels."""
RHETORICAL_NEGATORS = frozenset({"不是", "不就是"})
RHETORICAL_REACH = 3
RHETORICAL_WEIGHT = 1.1
RHETORICAL_REMINDERS = ("说好",)
"""这不是骗人吗 / 不是坑人嘛 / 这不是敷衍吗: 不是 before an accusation (an anger term of at least this
weight) answered by 吗 within `RHETORICAL_REACH` characters affirms it; 不是说好的吗 stays a reminder,
not anger. A complaint or a let-down is affirmed only when 吗 follows it at once (这不是虚假宣传吗,
这不是假货吗), not when it names something (这不是投诉电话吗, 这个不是12315的号码吗)."""
RHETORICAL_CLOSE = frozenset("了的啊呢")
ASKED_QUALITY = 0.15
"""A quality word inside a question (保暖吗, 哪个更暖和) is a product question: a trace of hesitation."""
SARCASM_REACH = 12
"""Praise up to this many characters after a sarcastic opener (呵呵, 你们真行), in its sentence, mocks."""
MOCKED_PRAISE = 1.2
"""Anger weight of mocked praise: with 呵呵 (0.5) it reads high (0.82), as it did before 呵呵 alone was made weak."""
SARCASM_SHARE = 0.8
"""Praise read as sarcasm counts for anger at this share of its weight."""
PRESALE_WORRY = 0.5
"""A worry about fit or quality before buying (担心尺寸不合适) counts for hesitation at this share."""
_QUESTION_RUN = re.compile(r"[？]{2,}")
_EXCLAIM_RUN = re.compile(r"[！]{2,}")
_MIXED_RUN = re.compile(r"(?:[？！]*？！|！？)[？！]*")
PRESSING_CUES: frozenset[CueName] = frozenset({"anger", "anxiety", "complaint_risk", "disappointment", "confusion"})
_ACKNOWLEDGED = re.compile(
    r"(?:(?:好的?|好滴|好哒|好嘞|好吧|嗯+|恩+|哦+|噢+|ok|行|可以|是的?|对的?|没了|没有了|没事了|没问题|了解|明白|知道|收到|清楚)"
    r"|(?:^|[\s，。！？、,.!?])(?:没有|没|木有|不用))(?:了|的|啦|呢|哈|吧|呀)*$"
)
"""Words that accept what the agent said or close (好的, 嗯嗯 是的, 没了, 好的，没有): a thanks right after
them is a ritual closing (low satisfaction), not a courtesy closing a request."""
LISTING_CONTRAST = ("就是", "只是", "不过")
"""Besides `modifiers.contrast`, words after which a listing comparison is the last word (很满意，就是比图片上小很多):
for that check only, since 就是 is mostly no contrast (就是这个)."""
_SLIGHT = re.compile(r"了?(?:(?:一)?(?:点|些)|一丢丢|一丁点)")
"""A difference said to be slight (比图片上薄一点), right after the comparison."""
_OTHER_ASPECT = re.compile(r"物流|快递|发货|送货|配送|派送|客服|态度|服务|包装|速度|售后|商家|卖家|店家|老板|掌柜")
"""Praise in a clause naming these is of the service, not of the goods compared with their listing."""
REPEATED_CALL = 0.6
"""在吗…在吗 in one message: waiting (low); with waiting time or urgency it adds up."""
_REPEAT_CALL = re.compile(r"(在吗|在么|在不在|人呢|有人吗|回复|回话)(?:.{0,30}?\1)+")


@dataclass(slots=True)
class MessageSignals:
    """Cue weights and evidence spans of one message, plus what context analysis needs."""

    weights: dict[CueName, float] = field(default_factory=dict)
    spans: dict[CueName, list[tuple[int, int]]] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    marks: int = 0
    strong: set[CueName] = field(default_factory=set)
    """Cues with at least one piece of evidence that is not a weak sign (see `Lexicon.weak`)."""
    strong_spans: dict[CueName, list[tuple[int, int]]] = field(default_factory=dict)
    """The spans of that evidence."""

    def add(self, cue: CueName, weight: float, start: int, end: int, *, weak: bool = False) -> None:
        if weight <= 0:
            return
        self.weights[cue] = self.weights.get(cue, 0.0) + weight
        self.spans.setdefault(cue, []).append((start, end))
        if not weak:
            self.strong.add(cue)
            self.strong_spans.setdefault(cue, []).append((start, end))

    def negative_weight(self) -> float:
        return sum(self.weights.get(cue, 0.0) for cue in NEGATIVE_CUES)


def _is_symbol(phrase: str) -> bool:
    """An emoji, emoticon or chat-app [表情] code rather than a word."""
    return phrase.startswith("[") or not any(c.isalnum() for c in phrase)


_A_NOT_A = re.compile(r"(?<![不没])(?!动不动|时不时)((?![不没])[\u4e00-\u9fff]{1,4}?)[不没]\1")
"""The core of an A-not-A question (快不快, 好不好, 保暖不保暖, 漂不漂亮, 有没有): A, 不 or 没, A again.
Not after a negator (不满意不满意, 没有没有: said twice over), nor the idioms 动不动 / 时不时 (at every turn)."""
_TAG_QUESTION = re.compile(r"(?:不|没有|没)[啊呀呢哦吖嘛]?(?=[，。！？；、,.;:!?~～…\s]|$)")
"""A bare 不 / 没(有) closing a clause after a word (质量好不, 解决了没): the A-not-A question cut short."""
_ASKED_MORE = re.compile(r"(?:一)?点(?!儿?[了都也]|个?赞)")
"""A quality word asked for, more of it (态度好一点, 包装好点): a plea, not praise. Not 好一点了 (better
now), 好点赞 / 满意点个赞 (praise, then a like), nor 好一些 (a comparison: 这次的质量好一些 says it is better)."""
_ASKED_AFTER = re.compile(r"(?:一)?[点些]?儿?[啊呀吧呢嘛]?")
"""What may stand between a quality word and the A-not-A that asks about it (态度好一点好不好, 好看点行不行):
at most three characters of 一点 and a particle, so a question about something else later in the clause
(很喜欢就是不知道掉不掉色) leaves the praise before it alone."""
ASKED_CUES: frozenset[CueName] = frozenset({"satisfaction", "disappointment"})
"""What an A-not-A question asks about is neither praised nor a let-down (发货快不快, 保暖不保暖)."""


def _yes_no_question(text: str, at: int) -> bool:
    """Whether the sentence going on at `at` ends as a yes/no question (有异味正常吗, 收到有异味，这正常吗):
    a fault asked about is a fault report (weak, low), not a let-down voiced (emotion_guidelines.md)."""
    end = next((i for i in range(at, len(text)) if text[i] in SENTENCE_ENDS), len(text))
    if end <= at:
        return False
    last = text[end - 1]
    return last in "吗嘛" or (last == "么" and end - 2 >= 0 and text[end - 2] not in "什那这怎多")


def _exclaimed(text: str, m: PhraseMatch, clause_start: int) -> bool:
    """太好了吧 / 也太棒了吧 exclaim (as 也太好看了吧 does): 太 + a phrase ending in 了, then a closing 吧. Not
    the confirming 这个是正品吧, nor 已经够明白了吧 (clear enough, isn't it?)."""
    closes = text.startswith("吧", m.end) and (m.end + 1 == len(text) or text[m.end + 1] in CLAUSE_BREAKS)
    return closes and m.phrase.endswith("了") and "太" in text[max(clause_start, m.start - 3) : m.end]


def _clause_starts(text: str) -> list[int]:
    """Where the clause of each position starts. A space breaks a clause (Chinese chats use it as
    a comma), except between two ASCII letters: the words of an English sentence (i am not angry)."""
    starts, current = [], 0
    for i, char in enumerate(text):
        starts.append(current)
        if char in CLAUSE_BREAKS and not (char == " " and _between_letters(text, i)):
            current = i + 1
    return starts


def _between_letters(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and all(c.isascii() and c.isalpha() for c in (text[i - 1], text[i + 1]))


class MessageScorer:
    """Scores one normalised message against the lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._matcher = lexicon.matcher()
        self._mods = lexicon.modifiers
        self._weak = lexicon.weak

    def score(self, text: str) -> MessageSignals:
        signals = MessageSignals(marks=text.count("？") + text.count("！"))
        if not text:
            return signals
        matches = self._matcher.find(text)
        covered = bytearray(len(text))
        for m in matches:
            covered[m.start : m.end] = b"\x01" * (m.end - m.start)
        clause = _clause_starts(text)
        found_cores = list(_A_NOT_A.finditer(text))
        cores = [found.span() for found in found_cores]
        # the 不 (没) of each A-not-A: 够不够暖, 好不好用, 有没有 ask which and say neither (a user test:
        # 鹅绒被冬天盖够不够暖 read 不够, a let-down, and beside an angry exchange raised anger at medium)
        asking = frozenset(found.end(1) for found in found_cores)
        withdrawn = self._withdrawn(text)
        presale = [found.span() for regex in self._lexicon.presale_worries for found in regex.finditer(text)]
        unaccused = (*self._lexicon.scams_suffered, *self._lexicon.cheats_feared)
        suffered = [found.span() for regex in unaccused for found in regex.finditer(text)]
        amazed = [found.span() for regex in self._lexicon.amazement for found in regex.finditer(text)]
        # 气死人的冷天, 这鬼天气烦死了: anger at the weather is aimed at no one here, like a swear of surprise
        amazed += self._lexicon.elsewhere.spans(text, clause)
        arrived = min((found.start() for regex in self._lexicon.arrivals for found in regex.finditer(text)), default=-1)
        contrast_at = self._last_contrast(text, covered)
        courtesy_at = self._courtesy_start(text)
        courteous: list[tuple[float, int, int, bool]] = []
        mods = self._mods
        sarcastic: list[tuple[PhraseMatch, float]] = []
        awed: list[tuple[PhraseMatch, float]] = []
        exclaimed: list[tuple[float, int, int]] = []
        unless_praised: list[tuple[Pattern, int, int]] = []
        mocking_until = mocked = 0
        symbols: set[str] = set()
        for m in matches:
            if not m.terms or any(start <= m.start and m.end <= end for start, end in withdrawn):
                continue  # neutral, or a threat taken back (差评我已经改成好评了)
            symbol = _is_symbol(m.phrase)
            if symbol:
                if m.phrase in symbols:
                    continue  # 😭😭😭 is one crying face typed thrice, not three let-downs (a user test: high 0.98)
                symbols.add(m.phrase)
            # an emoji or a [表情] code is not negated by the words before it (不记得😁)
            negation = None if symbol else self._negator_before(text, m.start, clause[m.start], covered)
            factor = self._intensity(text, m.start, clause[m.start])
            if contrast_at is not None:
                factor *= mods.contrast_before if m.start < contrast_at else mods.contrast_after
            before_buying = any(start <= m.start and m.end <= end for start, end in presale)
            scammed = any(start <= m.start and m.end <= end for start, end in suffered)
            if text.startswith(CIRCUMSTANCE, m.end):
                continue  # 生气的时候想买点东西: a feeling as a circumstance, not felt at the shop now
            if not symbol and m.start in asking:
                continue  # 够不够暖: a question, not 不够
            # 发货快不快, 保暖不保暖, 喜不喜欢: the words of an A-not-A question (either side) are asked
            asked = not symbol and any(start < m.end and m.start < end for start, end in cores)
            for term in m.terms:
                weight = term.weight * factor
                if term.cue in ASKED_CUES and (
                    asked
                    or _TAG_QUESTION.match(text, m.end)
                    or (term.cue == "satisfaction" and _ASKED_MORE.match(text, m.end))
                ):
                    # 发货快不快 / 质量好不 / 态度好一点: asking about a quality, neither praise nor a let-down
                    if term.cue == "satisfaction" and negation is None:
                        signals.add("hesitation", weight * ASKED_QUALITY, m.start, m.end, weak=True)
                    continue
                if term.cue == "anger" and any(start <= m.start and m.end <= end for start, end in amazed):
                    continue  # 我靠，这么便宜: surprise at good news, said to no one
                if scammed and term.cue in ACCUSING_CUES:
                    continue  # 我被诈骗了 / 遇到骗子了 / 怕被坑: suffered elsewhere or feared, accuses no one here
                if before_buying and term.cue in ("anxiety", "disappointment"):
                    # 担心尺寸不合适: a worry before buying is hesitation (a trace), not anxiety
                    if term.cue == "anxiety":
                        signals.add("hesitation", weight * PRESALE_WORRY, m.start, m.end, weak=True)
                    continue
                if negation is not None and self._affirmed(text, m, term, negation[0]):
                    negation = None  # 这不是骗人吗: a rhetorical 不是…吗 affirms the accusation
                if negation is not None:
                    negator, at = negation
                    prohibitive = negator in mods.prohibitives
                    if prohibitive and term.cue in STEADFAST_CUES:
                        signals.add(term.cue, weight, m.start, m.end)
                    elif term.cue == "satisfaction" and not prohibitive:
                        signals.add("disappointment", weight * 0.8, at, m.end)
                    continue
                if term.cue == "satisfaction" and _exclaimed(text, m, clause[m.start]):
                    exclaimed.append((weight, m.start, m.end))  # 太好了吧: praise, unless it mocks (below)
                    continue
                if term.cue == "satisfaction" and self._in_question(text, m, clause[m.start], cores):
                    # 保暖吗 / 哪个更暖和: asking about a quality before buying, not praising it.
                    signals.add("hesitation", weight * ASKED_QUALITY, m.start, m.end, weak=True)
                    continue
                if term.cue == "disappointment" and (
                    self._hypothetical(text, m, clause[m.start]) or text.startswith(QUESTION_ENDS, m.end)
                ):
                    continue  # 万一是假的 / 掉色吗: a worry before buying, not a let-down
                if term.cue == "satisfaction" and m.phrase in mods.sarcasm:
                    sarcastic.append((m, weight))
                    continue
                if term.cue == "anger" and m.phrase in mods.admiration:
                    awed.append((m, weight))  # 我服了: awe or exasperation, decided below by the rest
                    continue
                if (
                    term.cue == "satisfaction"
                    and m.start < mocking_until
                    and not SENTENCE_ENDS & set(text[mocked : m.start])
                ):
                    # 呵呵，你们发货真快啊: praise right after a sarcastic opener, in its sentence, mocks:
                    # it counts for anger, not for satisfaction (呵呵 alone is weak)
                    signals.codes.add("sarcasm")
                    signals.add("anger", MOCKED_PRAISE, m.start, m.end)
                    continue
                if term.cue == "satisfaction" and courtesy_at is not None and m.start >= courtesy_at:
                    # counted below unless the words before it ask or press (then a courtesy, not satisfaction)
                    courteous.append((weight, m.start, m.end, m.phrase in self._weak[term.cue]))
                    continue
                weak = (
                    (
                        m.phrase in self._weak[term.cue]
                        and not (term.cue == "anxiety" and self._persistent(text, m.start, clause[m.start]))
                    )
                    or (term.cue == "disappointment" and weight <= FAULT_WEIGHT and _yes_no_question(text, m.end))
                    or (term.cue == "anxiety" and m.start < arrived)  # 等了好久才收到: the wait is over
                )
                signals.add(term.cue, weight, m.start, m.end, weak=weak)
                if term.cue == "anger" and m.phrase in mods.sarcasm:
                    mocked, mocking_until = m.end, m.end + SARCASM_REACH  # 呵呵, 你们真行: what follows mocks
        for pattern in self._lexicon.patterns:
            for found in pattern.regex.finditer(text):
                if self._negator_before(text, found.start(), clause[found.start()], covered):
                    continue
                if any(start <= found.start() < end for start, end in withdrawn):
                    continue
                at = found.start()
                if pattern.not_after is not None and pattern.not_after.search(text[clause[at] : at]):
                    continue  # 给孩子说了三遍: told someone else, not the agent
                if pattern.cue in ACCUSING_CUES and any(start <= found.start() < end for start, end in suffered):
                    continue
                if pattern.unless_praised:
                    unless_praised.append((pattern, found.start(), found.end()))  # decided below, beside the praise
                    continue
                over = pattern.cue == "anxiety" and found.start() < arrived
                signals.add(pattern.cue, pattern.weight, found.start(), found.end(), weak=pattern.weak or over)
                signals.codes.add(pattern.code)
        if courtesy_at is not None and not self._asks_or_presses(text[:courtesy_at], signals):
            for weight, start, end, weak in courteous:  # 我都知道 谢谢: a thanks that closes no request
                signals.add("satisfaction", weight, start, end, weak=weak)
        listing_contrast_at = self._last_contrast(text, covered, (*mods.contrast, *LISTING_CONTRAST))
        for pattern, start, end in unless_praised:
            if not self._difference_accepted(text, signals, clause, start, end, listing_contrast_at):
                signals.add(pattern.cue, pattern.weight, start, end, weak=pattern.weak)
                signals.codes.add(pattern.code)
        # 你们客服也太好了吧，一个小时都不回: beside no answer or a wait, an exclaimed praise or 我服了 mocks
        pressing = bool(signals.strong & PRESSING_CUES)
        for weight, start, end in exclaimed:
            # 这被子太好了吧 exclaims praise; beside a fault or a wait (连个赠品都没有！是生意太好了吧！) it mocks:
            # there it stays the trace of a question it was read as before
            if pressing or self._neglected_near(text, start, clause[start]):
                signals.add("hesitation", weight * ASKED_QUALITY, start, end, weak=True)
            else:
                signals.add("satisfaction", weight, start, end)
        near = [pressing or self._neglected_near(text, m.start, clause[m.start]) for m, _ in awed]
        self._admiration(awed, signals, contrast_at, near)
        self._punctuation(text, signals)
        self._sarcasm(sarcastic, signals)
        return signals

    @staticmethod
    def _admiration(
        awed: Sequence[tuple[PhraseMatch, float]],
        signals: MessageSignals,
        contrast_at: int | None,
        pressed: Sequence[bool],
    ) -> None:
        """我服了 beside praise and nothing negative or pressing (`pressed`, one per match: no answer or a wait
        complained of near it counts) is awe (这被子太好了吧，我服了，再买一条): it counts for satisfaction;
        otherwise, or after a contrast word (质量挺好的，但是客服我真服了), for anger."""
        praised = "satisfaction" in signals.strong
        for (m, weight), near in zip(awed, pressed, strict=True):
            if praised and not near and (contrast_at is None or m.start < contrast_at):
                signals.add("satisfaction", weight, m.start, m.end)
                signals.codes.add("admiration")
            else:
                signals.add("anger", weight, m.start, m.end)

    @staticmethod
    def _difference_accepted(
        text: str, signals: MessageSignals, clause: Sequence[int], start: int, end: int, contrast_at: int | None
    ) -> bool:
        """Whether a worse-than-listed comparison (`unlike_listing`) is one the customer is content with: a slight
        difference (比图片上薄一点) praised after it, of the goods, not the service (比图片上薄一点，很喜欢;
        比图片上小一点，但是很好用), and not after the last contrast word (很满意，就是比图片上小一点). Praise before
        it (东西很好，比图片上小很多), of something else (实物比图片小很多，物流很快) or of a large difference leaves
        the let-down; what is favourable in itself (小巧, 轻便, less noise) the pattern does not match."""
        if contrast_at is not None and start >= contrast_at:
            return False
        if not _SLIGHT.match(text, end):
            return False
        return any(
            at >= end and not _OTHER_ASPECT.search(text, clause[at], stop)
            for at, stop in signals.strong_spans.get("satisfaction", [])
        )

    def _neglected_near(self, text: str, at: int, clause_start: int) -> bool:
        """No answer or a wait for the service complained of (lexicon `neglect`) in the clause at `at` or the
        one right after it (你们客服也太好了吧，一个小时都不回); a wait told further off is another story."""
        end, n = at, len(text)
        for in_break in (False, True, False):  # the rest of this clause, the breaks, the next clause
            while end < n and (text[end] in CLAUSE_BREAKS) == in_break:
                end += 1
        window = text[clause_start:end]
        return any(regex.search(window) for regex in self._lexicon.neglect)

    def _courtesy_start(self, text: str) -> int | None:
        """Where a thanks that closes the message starts (`Lexicon.courtesies`), when something comes
        before it other than an acknowledgement (好的谢谢 and 没了 谢谢 are ritual closings)."""
        found = next((m for regex in self._lexicon.courtesies if (m := regex.search(text))), None)
        if found is None:
            return None
        before = text[: found.start()].rstrip("".join(CLAUSE_BREAKS))
        if not before or _ACKNOWLEDGED.search(before):
            return None
        return found.start()

    def _asks_or_presses(self, before: str, signals: MessageSignals) -> bool:
        """Whether the words before a closing thanks ask for something (`Lexicon.requests`) or press
        with strong evidence (a stated wait, a complaint; a weak sign such as 唉 or 🙏 does not): then the
        thanks is a courtesy said in advance, not satisfaction (…请帮助解决退款问题。谢谢!, 今天能发货吗？非常感谢)."""
        asks = any(regex.search(before) for regex in self._lexicon.requests)
        return asks or bool(signals.strong & PRESSING_CUES)

    def _withdrawn(self, text: str) -> list[tuple[int, int]]:
        """Spans where the customer takes a threat back (改成好评, 删了差评, 撤销投诉)."""
        return [found.span() for regex in self._lexicon.withdrawals for found in regex.finditer(text)]

    def _persistent(self, text: str, start: int, clause_start: int) -> bool:
        """一直不更新, 迟迟没收到: a status that has lasted is stated waiting, not a weak sign."""
        before = text[max(clause_start, start - self._mods.intensify_window) : start]
        return any(word in before for word in self._mods.persistent)

    @staticmethod
    def _affirmed(text: str, m: PhraseMatch, term: Term, negator: str) -> bool:
        """不是 + the phrase + 吗/嘛 (see `RHETORICAL_WEIGHT`): a rhetorical question affirming it."""
        if negator not in RHETORICAL_NEGATORS or term.cue not in STEADFAST_CUES:
            return False
        if term.cue == "anger":
            if term.weight < RHETORICAL_WEIGHT or m.phrase.startswith(RHETORICAL_REMINDERS):
                return False
            after = text[m.end : m.end + RHETORICAL_REACH + 1]
            cut = next((i for i, ch in enumerate(after) if ch in CLAUSE_BREAKS), len(after))
            return any(ch in "吗嘛" for ch in after[:cut])
        after = text[m.end : m.end + 2]
        return after[:1] in ("吗", "嘛") or (after[:1] in RHETORICAL_CLOSE and after[1:2] in ("吗", "嘛"))

    @staticmethod
    def _hypothetical(text: str, m: PhraseMatch, clause_start: int) -> bool:
        return any(word in text[clause_start : m.start] for word in HYPOTHETICAL)

    @staticmethod
    def _in_question(text: str, m: PhraseMatch, clause_start: int, cores: Sequence[tuple[int, int]] = ()) -> bool:
        """Whether the clause of `m` asks (吗, 哪个, a ？ after it, an A-not-A such as 态度好一点好不好)."""
        if text.startswith(QUESTION_ENDS, m.end) or text.startswith(CONFIRMING, m.end):
            return True
        if text.startswith("吧", m.end) and (m.end + 1 == len(text) or text[m.end + 1] in CLAUSE_BREAKS):
            return True
        end = next((i for i in range(m.end, len(text)) if text[i] in CLAUSE_BREAKS), len(text))
        clause = text[clause_start:end]
        if any(
            m.end <= start <= m.end + 3 and stop <= end and _ASKED_AFTER.fullmatch(text, m.end, start)
            for start, stop in cores
        ):
            return True  # 态度好一点好不好: the A-not-A right after the phrase asks about it
        return (end < len(text) and text[end] == "？") or any(word in clause for word in QUESTION_WORDS)

    def _negator_before(self, text: str, start: int, clause_start: int, covered: bytearray) -> tuple[str, int] | None:
        """The negator (and its position) governing a phrase at `start`, if any."""
        mods = self._mods
        lowest = max(clause_start, start - mods.negation_window)
        for j in range(start - 1, lowest - 1, -1):
            if covered[j]:
                continue
            if any(text.startswith(word, j) for word in mods.scope_breakers):
                return None
            if any(text.startswith(word, j) for word in mods.not_negators):
                continue
            for word in mods.negators:
                if text.startswith(word, j) and j + len(word) <= start:
                    prohibitive = next((p for p in mods.prohibitives if text.startswith(p, j)), None)
                    return (prohibitive or word), j
        return None

    def _intensity(self, text: str, start: int, clause_start: int) -> float:
        mods = self._mods
        before = text[max(clause_start, start - mods.intensify_window) : start]
        if not before:
            return 1.0
        factor = 1.0
        for word, multiplier in mods.intensifiers.items():
            if word in before:
                factor = max(factor, multiplier)
        for word, multiplier in mods.diminishers.items():
            if word in before:
                factor = min(factor, multiplier)
        return factor

    def _last_contrast(self, text: str, covered: bytearray, words: Sequence[str] | None = None) -> int | None:
        best: int | None = None
        for word in self._mods.contrast if words is None else words:
            at = text.rfind(word)
            while at > 0 and covered[at]:
                at = text.rfind(word, 0, at)
            if at > 0 and (best is None or at > best):
                best = at
        return best

    def _punctuation(self, text: str, signals: MessageSignals) -> None:
        hostile = signals.negative_weight() > 0
        negative = hostile or "anxiety" in signals.weights
        for run in _MIXED_RUN.finditer(text):
            signals.add("anger", 0.6, run.start(), run.end())
        # A run of ？ marks the feeling the words carry: worry when they wait, puzzlement when they
        # ask how or why, anger only in a complaint (the guidelines); on its own a little worry.
        waiting, puzzled = "anxiety" in signals.weights, "confusion" in signals.weights
        for run in _QUESTION_RUN.finditer(text):
            n = run.end() - run.start()
            weight = min(0.25 * (n - 1), 0.8)
            if puzzled and not waiting:
                signals.add("confusion", weight, run.start(), run.end())
            else:
                signals.add("anxiety", weight if waiting or hostile else min(weight, 0.3), run.start(), run.end())
            if n >= 3 and hostile:
                signals.add("anger", min(0.2 * (n - 1), 0.8), run.start(), run.end())
        for run in _EXCLAIM_RUN.finditer(text):
            # like a run of ？: anger in a complaint, more worry in a hurry (急！！！明天就要用 is no
            # anger: a user test saw 愤怒·中 beside the worry)
            n = run.end() - run.start()
            if hostile:
                signals.add("anger", min(0.3 * (n - 1), 0.9), run.start(), run.end())
            elif negative:
                signals.add("anxiety", min(0.2 * (n - 1), 0.6), run.start(), run.end())
            elif "satisfaction" in signals.weights:
                signals.add("satisfaction", min(0.15 * (n - 1), 0.5), run.start(), run.end())
        for call in _REPEAT_CALL.finditer(text):
            signals.add("anxiety", REPEATED_CALL, call.start(), call.end())
            signals.codes.add("repeated_call")

    def _sarcasm(self, sarcastic: Sequence[tuple[PhraseMatch, float]], signals: MessageSignals) -> None:
        if not sarcastic:
            return
        flip = signals.negative_weight() >= self._mods.sarcasm_trigger
        for m, weight in sarcastic:
            if flip:
                signals.add("anger", weight * SARCASM_SHARE, m.start, m.end)
                signals.codes.add("sarcasm")
            else:
                signals.add("satisfaction", weight, m.start, m.end)
