"""The authored cue lexicon (`lexicon.yaml`): phrases, patterns, modifiers and tips, and a matcher.

Loading is explicit (`Lexicon.load()`), never at import time. The matcher scans left to right and
takes the longest phrase at each position, so a neutral phrase masks the cue words inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml

from assistant.emotion.types import CUE_NAMES, CueName, Level

LEVELS: tuple[Level, ...] = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Term:
    """What one phrase contributes to one cue."""

    cue: CueName
    weight: float


@dataclass(frozen=True, slots=True)
class Pattern:
    """A regular-expression rule over the normalised text; `code` names it in reasons."""

    cue: CueName
    weight: float
    code: str
    regex: re.Pattern[str]
    weak: bool = False
    """A weak sign (a plain deadline question): alone it keeps its cue at `low`."""
    not_after: re.Pattern[str] | None = None
    """No match when this finds the end of the clause text before it (给孩子 + 说了三遍: said to someone else)."""
    unless_praised: bool = False
    """No match when a slight difference is praised after it, of the goods, and it is not after the last contrast
    word (比图片上薄一点，很喜欢 is content; 东西很好，比图片上小很多 and 实物比图片小很多，物流很快 are not)."""


@dataclass(frozen=True, slots=True)
class Modifiers:
    """Negation, intensity, contrast and sarcasm settings."""

    negation_window: int
    negators: tuple[str, ...]
    prohibitives: tuple[str, ...]
    not_negators: tuple[str, ...]
    scope_breakers: tuple[str, ...]
    intensify_window: int
    intensifiers: Mapping[str, float]
    persistent: tuple[str, ...]
    diminishers: Mapping[str, float]
    contrast: tuple[str, ...]
    contrast_before: float
    contrast_after: float
    sarcasm: frozenset[str]
    sarcasm_trigger: float
    admiration: frozenset[str] = frozenset()
    """Anger words that are also words of awe (我服了): beside praise and nothing negative, admiration."""


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """A phrase found at `text[start:end]`; `terms` is empty for a neutral (masking) phrase."""

    start: int
    end: int
    phrase: str
    terms: tuple[Term, ...]


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _whole(text: str, start: int, end: int) -> bool:
    """A phrase that begins or ends with an ASCII letter or digit must not run on into more of
    them: 12315 inside the order number 4123153300187, sb inside usb, are not those words."""
    if _alnum(text[start]) and start > 0 and _alnum(text[start - 1]):
        return False
    return not (_alnum(text[end - 1]) and end < len(text) and _alnum(text[end]))


class PhraseMatcher:
    """Leftmost-longest, non-overlapping phrase matching through a first-character index; a phrase
    with ASCII letters or digits at an edge matches only as a whole token there (`_whole`)."""

    def __init__(self, phrases: Mapping[str, tuple[Term, ...]]) -> None:
        by_first: dict[str, list[str]] = {}
        for phrase in phrases:
            by_first.setdefault(phrase[0], []).append(phrase)
        self._index = {first: tuple(sorted(group, key=len, reverse=True)) for first, group in by_first.items()}
        self._terms = dict(phrases)

    def find(self, text: str) -> list[PhraseMatch]:
        found: list[PhraseMatch] = []
        index, i, n = self._index, 0, len(text)
        while i < n:
            candidates = index.get(text[i])
            if candidates is not None:
                for phrase in candidates:
                    if text.startswith(phrase, i) and _whole(text, i, i + len(phrase)):
                        end = i + len(phrase)
                        found.append(PhraseMatch(i, end, phrase, self._terms[phrase]))
                        i = end
                        break
                else:
                    i += 1
            else:
                i += 1
        return found


def _strings(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise ValueError(f"lexicon: {where} must be a list")
    return tuple(str(v).lower() for v in values)


def _regexes(values: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(values, list):
        raise ValueError(f"lexicon: {where} must be a list")
    return tuple(re.compile(str(v)) for v in values)


def _weights(values: Any, where: str) -> dict[str, float]:
    if not isinstance(values, dict):
        raise ValueError(f"lexicon: {where} must be a mapping")
    return {str(k): float(v) for k, v in values.items()}


def _weak_phrases(data: Any, phrases: Mapping[str, list[Term]]) -> dict[CueName, frozenset[str]]:
    """The `weak` section: per cue, phrases of that cue's terms (a typo would silently do nothing)."""
    if not isinstance(data, dict) or not set(data) <= set(CUE_NAMES):
        raise ValueError(f"lexicon: weak must map cue names ({', '.join(CUE_NAMES)}) to phrase lists")
    weak: dict[CueName, frozenset[str]] = {}
    for name in CUE_NAMES:
        words = _strings(data.get(name, []), f"weak.{name}")
        unknown = [w for w in words if not any(t.cue == name for t in phrases.get(w, []))]
        if unknown:
            raise ValueError(f"lexicon: weak.{name} lists phrases that are not {name} terms: {', '.join(unknown)}")
        weak[name] = frozenset(words)
    return weak


@dataclass(frozen=True, slots=True)
class AimedElsewhere:
    """Anger said of the weather (lexicon `aimed_elsewhere`): aimed at no one here, unless its clause names
    someone or something here."""

    modifiers: tuple[re.Pattern[str], ...] = ()
    """The anger word modifies a weather noun (气死人的冷天): the goods in its clause are not what it is said of."""
    predicates: tuple[re.Pattern[str], ...] = ()
    """A weather noun is what the anger word is said of (这鬼天气烦死了): the goods in its clause may be."""
    here: re.Pattern[str] | None = None
    """The shop, the agent or an order (你们, 客服, 发货, 快递): anywhere in the clause, the anger is theirs."""
    goods: re.Pattern[str] | None = None
    """The goods (被子, 电热毯): anywhere in the clause of a predicate, the anger may be theirs."""

    @classmethod
    def from_mapping(cls, data: Any) -> AimedElsewhere:
        if not isinstance(data, dict) or not set(data) <= {"modifier", "predicate", "here", "goods"}:
            raise ValueError("lexicon: aimed_elsewhere must map modifier, predicate, here and goods")
        here, goods = data.get("here"), data.get("goods")
        return cls(
            _regexes(data.get("modifier", []), "aimed_elsewhere.modifier"),
            _regexes(data.get("predicate", []), "aimed_elsewhere.predicate"),
            None if here is None else re.compile(str(here)),
            None if goods is None else re.compile(str(goods)),
        )

    def spans(self, text: str, clause_of: Sequence[int]) -> list[tuple[int, int]]:
        """Where an anger word in `text` is said of the weather; `clause_of[i]` is where the clause of
        position i starts."""
        found: list[tuple[int, int]] = []
        for regexes, own in ((self.modifiers, (self.here,)), (self.predicates, (self.here, self.goods))):
            for regex in regexes:
                for hit in regex.finditer(text):
                    start = clause_of[hit.start()]
                    end = hit.end()
                    while end < len(text) and clause_of[end] == start:
                        end += 1
                    if not any(r is not None and r.search(text, start, end) for r in own):
                        found.append(hit.span())
        return found


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the detector reads from `lexicon.yaml`."""

    phrases: Mapping[str, tuple[Term, ...]]
    patterns: tuple[Pattern, ...]
    tips: Mapping[CueName, Mapping[Level, str]]
    modifiers: Modifiers
    weak: Mapping[CueName, frozenset[str]]
    """Per cue, phrases that are weak signs (a fault report, a ritual 谢谢, a status 还没到): a cue
    whose only evidence is weak stays `low` (emotion_guidelines.md: "low unless ...")."""
    withdrawals: tuple[re.Pattern[str], ...] = ()
    """A threat taken back (差评我已经改成好评了, 撤销投诉): the phrases inside carry no cue."""
    irony: tuple[re.Pattern[str], ...] = ()
    """Ironic praise (真是好服务呢, 谢谢你们哦): right after an angry turn it is sarcasm, not praise."""
    presale_worries: tuple[re.Pattern[str], ...] = ()
    """A worry about fit or quality before buying (担心尺寸不合适): hesitation, not anxiety."""
    arrivals: tuple[re.Pattern[str], ...] = ()
    """The parcel has arrived (等了好久才收到): anxiety words before it are weak signs."""
    scams_suffered: tuple[re.Pattern[str], ...] = ()
    """A scam the customer suffered at someone else's hands (我被诈骗了, 遇到骗子了): no anger, no threat."""
    cheats_feared: tuple[re.Pattern[str], ...] = ()
    """Being cheated feared, not suffered (怕被坑, 担心被你们忽悠): a worry, no anger, no threat."""
    amazement: tuple[re.Pattern[str], ...] = ()
    """A swear of surprise at good news (我靠，这么便宜, 卧槽太好看了): no anger inside it."""
    courtesies: tuple[re.Pattern[str], ...] = ()
    """A thanks at the very end of a message (…请帮助解决退款问题。谢谢!): a courtesy, not satisfaction,
    when what comes before it asks (`requests`) or presses."""
    requests: tuple[re.Pattern[str], ...] = ()
    """What asks for something (请, 麻烦帮我, 能不能, 什么时候, ？): a thanks after it is said in advance."""
    elsewhere: AimedElsewhere = AimedElsewhere()
    """Anger at the weather or the season (气死人的冷天, 这鬼天气烦死了): aimed at no one here, no anger inside it."""
    neglect: tuple[re.Pattern[str], ...] = ()
    """No answer or a wait complained of (一个小时都不回, 还没发): an exclaimed 太好了吧 or a 我服了 beside it mocks."""

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """Read the packaged lexicon (or another file of the same shape)."""
        if path is None:
            text = resources.files("assistant.emotion").joinpath("lexicon.yaml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls.from_mapping(yaml.safe_load(text))

    @classmethod
    def from_mapping(cls, data: Any) -> Lexicon:
        if not isinstance(data, dict):
            raise ValueError("lexicon: top level must be a mapping")
        cues = data.get("cues", {})
        if set(cues) != set(CUE_NAMES):
            raise ValueError(f"lexicon: cues must be exactly {', '.join(CUE_NAMES)}")
        phrases: dict[str, list[Term]] = {}
        tips: dict[CueName, dict[Level, str]] = {}
        for name in CUE_NAMES:
            spec = cues[name]
            tips[name] = {level: str(spec["tips"][level]) for level in LEVELS}
            for weight, words in spec["terms"].items():
                for phrase in _strings(words, f"cues.{name}.terms.{weight}"):
                    phrases.setdefault(phrase, []).append(Term(name, float(weight)))
        for phrase in _strings(data.get("neutral", []), "neutral"):
            phrases.setdefault(phrase, [])
        patterns = tuple(
            Pattern(
                cue=cast(CueName, str(p["cue"])),
                weight=float(p["weight"]),
                code=str(p["code"]),
                regex=re.compile(str(p["re"])),
                weak=bool(p.get("weak", False)),
                not_after=re.compile(str(p["not_after"])) if p.get("not_after") else None,
                unless_praised=bool(p.get("unless_praised", False)),
            )
            for p in data.get("patterns", [])
        )
        for pattern in patterns:
            if pattern.cue not in CUE_NAMES:
                raise ValueError(f"lexicon: pattern {pattern.code} names unknown cue {pattern.cue}")
        weak = _weak_phrases(data.get("weak", {}), phrases)
        m = data["modifiers"]
        modifiers = Modifiers(
            negation_window=int(m["negation_window"]),
            negators=tuple(sorted(_strings(m["negators"], "negators"), key=len, reverse=True)),
            prohibitives=_strings(m["prohibitives"], "prohibitives"),
            not_negators=_strings(m["not_negators"], "not_negators"),
            scope_breakers=_strings(m["scope_breakers"], "scope_breakers"),
            intensify_window=int(m["intensify_window"]),
            intensifiers=_weights(m["intensifiers"], "intensifiers"),
            persistent=_strings(m.get("persistent", []), "persistent"),
            diminishers=_weights(m["diminishers"], "diminishers"),
            contrast=_strings(m["contrast"], "contrast"),
            contrast_before=float(m["contrast_before"]),
            contrast_after=float(m["contrast_after"]),
            sarcasm=frozenset(_strings(m["sarcasm"], "sarcasm")),
            sarcasm_trigger=float(m["sarcasm_trigger"]),
            admiration=frozenset(_strings(m.get("admiration", []), "admiration")),
        )
        frozen = {phrase: tuple(terms) for phrase, terms in phrases.items()}
        withdrawals = tuple(re.compile(str(r)) for r in data.get("withdrawals", []))
        irony = tuple(re.compile(str(r)) for r in data.get("irony", []))
        presale = tuple(re.compile(str(r)) for r in data.get("presale_worries", []))
        arrivals = tuple(re.compile(str(r)) for r in data.get("arrivals", []))
        suffered = tuple(re.compile(str(r)) for r in data.get("scams_suffered", []))
        feared = tuple(re.compile(str(r)) for r in data.get("cheats_feared", []))
        amazed = tuple(re.compile(str(r)) for r in data.get("amazement", []))
        courtesies = tuple(re.compile(str(r)) for r in data.get("courtesies", []))
        requests = tuple(re.compile(str(r)) for r in data.get("requests", []))
        elsewhere = AimedElsewhere.from_mapping(data.get("aimed_elsewhere", {}))
        neglect = tuple(re.compile(str(r)) for r in data.get("neglect", []))
        return cls(
            frozen,
            patterns,
            tips,
            modifiers,
            weak,
            withdrawals,
            irony,
            presale,
            arrivals,
            suffered,
            feared,
            amazed,
            courtesies,
            requests,
            elsewhere,
            neglect,
        )

    def matcher(self) -> PhraseMatcher:
        return PhraseMatcher(self.phrases)
