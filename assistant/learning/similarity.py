"""Character-level similarity of two replies, the measure Smart Reply is scored with.

Both texts are compared as multisets of characters after NFKC, lower case, spaces and marks
dropped, and each anonymised placeholder (`[数字x]`, `[订单x]`) counted as one symbol: "亲，在的呢!"
and "亲 在的呢" are the same reply, and a reply full of `[订单x]` does not match every other such
reply on the letters of its placeholders.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}x\]")
_MARKS = re.compile(r"[\s\W_]+", re.UNICODE)
_SYMBOL = "\ue000"


def reply_chars(text: str) -> str:
    """The characters two replies are compared on (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SYMBOL.join(_MARKS.sub("", part) for part in _PLACEHOLDER.split(text))


def char_f1(suggestion: str, reply: str) -> float:
    """F1 of the characters two texts share (multiset overlap over each one's length); 0 if either is empty."""
    a, b = reply_chars(suggestion), reply_chars(reply)
    if not a or not b:
        return 0.0
    overlap = sum((Counter(a) & Counter(b)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(a), overlap / len(b)
    return 2 * precision * recall / (precision + recall)


def best_f1(suggestion: str, replies: tuple[str, ...] | list[str]) -> float:
    """The best `char_f1` of a suggestion against any acceptable reply."""
    return max((char_f1(suggestion, r) for r in replies), default=0.0)
