"""Cleaning customer noise and cutting Chinese text into tokens for the lexical index.

Customer messages carry emoticon codes (`/大哭`, `[微笑]`), emoji, stray punctuation, full-width
characters and traditional characters. Both indexes and every query go through `clean` first,
so the same wording always looks the same; `tokens` then gives words (jieba) plus character
uni- and bi-grams, which keeps short and misspelt Chinese queries matchable.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

# `/大哭`, `/:)`-style chat emoticon codes and bracketed ones such as `[微笑]` or `[怒]`.
_EMOTICON = re.compile(r"/[\u4e00-\u9fff]{1,3}|/:[^\s]{1,4}|\[[\u4e00-\u9fffA-Za-z]{1,4}\]")
# Anonymisation placeholders in chat logs: `[订单x]`, `[数字x]`, `[地址x]`.
_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fff]{1,4}x\]")
# Anything that is not a letter, digit or CJK character becomes a space.
_NOISE = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_SPACES = re.compile(r"\s+")


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


def clean(text: str) -> str:
    """Normalise a customer wording: width, case, traditional → simplified, no emoticons/emoji."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PLACEHOLDER.sub(" ", text)
    text = _EMOTICON.sub(" ", text)
    text = to_simplified(text)
    return _SPACES.sub(" ", _NOISE.sub(" ", text)).strip()


def words(cleaned: str) -> list[str]:
    """jieba words of an already cleaned text (no spaces)."""
    return [w for w in _jieba().lcut(cleaned) if w.strip()]


def char_ngrams(cleaned: str, sizes: tuple[int, ...] = (1, 2)) -> list[str]:
    """Character n-grams inside each space-separated chunk of a cleaned text."""
    grams: list[str] = []
    for chunk in cleaned.split():
        for n in sizes:
            grams.extend(chunk[i : i + n] for i in range(len(chunk) - n + 1))
    return grams


def tokens(text: str) -> list[str]:
    """Lexical tokens of a raw text: jieba words plus character uni- and bi-grams (prefixed)."""
    cleaned = clean(text)
    return words(cleaned) + ["#" + g for g in char_ngrams(cleaned)]
