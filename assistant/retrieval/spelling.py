"""Mistyped homophones of the shop's own words, put right before a message is matched.

Customers type Chinese by pinyin, so a typo is mostly another character of the same sound:
电热谈 for 电热毯 (tan), 起求 for 起球 (qiu). The misspelt word is in none of the shop's wordings
and the small embedder cannot read it, so the right entry scored near 0 (电热谈安全吗 0.18, 起求
0.00; a user test). `HomophoneSpeller` puts back one character when all of these hold, so that a
real word the customer meant is never changed:

* a stretch of two to four characters of the message is one character away from a word of the
  shop's wordings that is also a dictionary word, and the two characters share their (toneless,
  first) pinyin reading;
* the stretch is no dictionary or shop word itself, the character it changes forms no dictionary
  or shop word with its neighbours (信号 in 信号不好, 尿不湿), and the stretch does not cut a word
  of the message in two (是个 in 现在是个人发票);
* in a stretch of two characters, the one kept is no function character (没, 不, 了, 个, 是 …):
  beside one, the customer's character is grammar, not a typo (没懂 is no 没动, 是个 no 十个, 补了 no
  不了, 不像 no 不想; a review of the corrections over JDDC's customer turns);
* exactly one shop word fits;
* all of this is read on the message simplified: 錯誤 is 错误, a dictionary word, and no typo of 五次
  (誤 and 五 sound alike). Only the character put right changes; the customer's traditional ones
  are simplified with the rest of the noise later (`text.normalise`), 电热谈安全嗎 → 电热毯安全嗎.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from functools import lru_cache

from assistant.retrieval.text import dictionary_word, to_simplified, words

_HAN = re.compile(r"[\u4e00-\u9fff]+")
WORD_SIZES = (4, 3, 2)
"""The lengths of the shop words a stretch is matched against, longest first."""
FUNCTION_CHARS = frozenset("没不了个是的得地着过吗呢吧啊呀么")
"""Negations, particles and a measure word that pair with any verb or noun: a two-character
stretch keeping one of them is read as written."""


@lru_cache(maxsize=8192)
def sound(char: str) -> str:
    """The first pinyin reading of a character, without tone (its only one for most)."""
    from pypinyin import Style, lazy_pinyin

    return str(lazy_pinyin(char, style=Style.NORMAL)[0])


class HomophoneSpeller:
    """Puts back mistyped homophones of one shop's words (see the module doc)."""

    def __init__(self, vocabulary: Collection[str]) -> None:
        """`vocabulary`: the lexical tokens of the shop's wordings (jieba words, and character
        grams prefixed with #)."""
        self._known = vocabulary
        # a request reads its message several times (each signal, the evidence): one correction each
        self._cached = lru_cache(maxsize=4096)(self._correct)
        self._words = frozenset(w for w in vocabulary if _HAN.fullmatch(w) and len(w) in WORD_SIZES)
        # each dictionary word, by itself with one character left out: (before, after) -> words
        self._by_gap: dict[tuple[str, str], list[str]] = defaultdict(list)
        for word in self._words:
            if dictionary_word(word):
                for i in range(len(word)):
                    self._by_gap[word[:i], word[i + 1 :]].append(word)

    def correct(self, text: str) -> str:
        """`text` with its mistyped homophones put right (the same length; unchanged when none)."""
        return self._cached(text)

    def _correct(self, text: str) -> str:
        return _HAN.sub(lambda run: self._correct_run(run.group()), text)

    def _correct_run(self, run: str) -> str:
        simple = to_simplified(run)
        if len(simple) != len(run):
            return run  # a phrase simplified to another length: its places no longer match
        spelled = self._correct_simplified(simple)
        # only the characters put right change, the customer's own are simplified later
        return "".join(o if s == c else s for o, c, s in zip(run, simple, spelled, strict=True))

    def _correct_simplified(self, run: str) -> str:
        chars = list(run)
        bounds = self._word_bounds(run)
        for size in WORD_SIZES:
            for start in range(len(chars) - size + 1):
                end = start + size
                if start not in bounds or end not in bounds:
                    continue
                stretch = "".join(chars[start:end])
                if self._a_word(stretch):
                    continue
                for i in range(size):
                    fix = self._fix(chars, start, end, i)
                    if fix is not None:
                        chars[start + i] = fix
                        break
        return "".join(chars)

    def _fix(self, chars: list[str], start: int, end: int, i: int) -> str | None:
        """The character that puts the stretch chars[start:end] right at its place i, or None."""
        at = start + i
        if end - start == 2 and chars[start + 1 - i] in FUNCTION_CHARS:
            return None  # 没懂, 是个, 补了: a word beside grammar, read as written
        if any(self._a_word(span) for span in _spans_over(chars, at)):
            return None
        stretch = "".join(chars[start:end])
        fits = {w for w in self._by_gap.get((stretch[:i], stretch[i + 1 :]), ()) if sound(w[i]) == sound(chars[at])}
        return fits.pop()[i] if len(fits) == 1 else None

    def _a_word(self, text: str) -> bool:
        return text in self._words or dictionary_word(text) or (len(text) == 2 and "#" + text in self._known)

    @staticmethod
    def _word_bounds(run: str) -> frozenset[int]:
        """Where jieba's words of a run of characters begin and end."""
        bounds, at = {0}, 0
        for word in words(run):
            at += len(word)
            bounds.add(at)
        return frozenset(bounds)


def _spans_over(chars: list[str], at: int) -> list[str]:
    """Every stretch of two to four characters holding position `at`."""
    return [
        "".join(chars[a:b])
        for a in range(max(0, at - 3), at + 1)
        for b in range(max(at + 1, a + 2), min(len(chars), a + 4) + 1)
    ]
