"""Length-preserving normalisation, so that spans found on the normalised text index the original.

Traditional characters become simplified (OpenCC `t2s`, character by character), full-width ASCII
becomes ASCII, ASCII letters are lower-cased, and the ASCII marks `! ? ,` become their Chinese
full-width forms, which the lexicon uses.
"""

from __future__ import annotations

from opencc import OpenCC

_MARKS = {"!": "！", "?": "？", ",": "，", ";": "；"}


def _width_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):
        ascii_char = chr(code - 0xFEE0)
        if ascii_char not in _MARKS:
            table[code] = ascii_char.lower()
    table[0x3000] = " "
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    for ascii_mark, full in _MARKS.items():
        table[ord(ascii_mark)] = full
    return table


class TextNormaliser:
    """Callable: `normalise(text)` has the same length as `text`, character for character."""

    def __init__(self) -> None:
        self._t2s = OpenCC("t2s")
        self._table = _width_table()
        self._cache: dict[str, str] = {}

    def _char(self, char: str) -> str:
        simplified = self._cache.get(char)
        if simplified is None:
            converted = str(self._t2s.convert(char))
            simplified = converted if len(converted) == 1 else char
            self._cache[char] = simplified
        return simplified

    def __call__(self, text: str) -> str:
        widened = text.translate(self._table)
        converted = str(self._t2s.convert(widened))
        if len(converted) == len(widened):
            return converted
        return "".join(self._char(c) for c in widened)
