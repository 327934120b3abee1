"""Sizes named in a text (7升, 1500克, 3斤, 1米8, 150x200cm, 100W), each in one unit per dimension.

A product is its sizes: 7升炸锅多少钱 is not answered by the shop's 5.5 L fryer, though every other
signal reads the two as the same question (a user test saw it at 0.99). `quantities` reads the
sizes a customer names and those a product's wordings and reply name; the ranker makes a product
unsure when the message names a size in a dimension the product has sizes in and none of them is
that size (`calibration.OTHER_SIZE_CONFIDENCE`).

Only measures are read: volume (mL), mass (g), length (cm) and power (W). Days, hours, prices,
thread counts and model numbers are no size (48小时, 7天, ¥239, 60支, iphone 15). A Latin unit must
end the word (5g, not the 5 of 5 google); 米 followed by one digit is the spoken form (1米8 = 1.8 m).
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple


class Quantity(NamedTuple):
    """One size: its dimension and its value in that dimension's unit (mL, g, cm, W)."""

    dimension: str
    value: float


_UNITS: dict[str, tuple[str, float]] = {
    "毫升": ("volume", 1.0),
    "ml": ("volume", 1.0),
    "升": ("volume", 1000.0),
    "l": ("volume", 1000.0),
    "千克": ("mass", 1000.0),
    "公斤": ("mass", 1000.0),
    "kg": ("mass", 1000.0),
    "克": ("mass", 1.0),
    "g": ("mass", 1.0),
    "斤": ("mass", 500.0),
    "毫米": ("length", 0.1),
    "mm": ("length", 0.1),
    "厘米": ("length", 1.0),
    "cm": ("length", 1.0),
    "米": ("length", 100.0),
    "m": ("length", 100.0),
    "瓦": ("power", 1.0),
    "w": ("power", 1.0),
}
_NUMBER = r"(\d+(?:\.\d+)?)"
_SIZE = re.compile(
    rf"(?<![\d.]){_NUMBER}(?:\s*[x×*]\s*{_NUMBER})?\s*"
    r"(毫升|千克|公斤|毫米|厘米|升|克|斤|米|瓦|ml|kg|mm|cm|l|g|m|w)"
    r"(?:(?<=米)(\d))?(?![a-z\d])"
)


def quantities(text: str) -> frozenset[Quantity]:
    """The sizes `text` names (see the module doc), after NFKC and lower case."""
    found: set[Quantity] = set()
    for first, second, unit, spoken in _SIZE.findall(unicodedata.normalize("NFKC", text).lower()):
        dimension, scale = _UNITS[unit]
        if spoken:  # 1米8: one metre eight
            found.add(Quantity(dimension, round(float(f"{first}.{spoken}") * scale, 6)))
            continue
        for number in (first, second):
            if number:
                found.add(Quantity(dimension, round(float(number) * scale, 6)))
    return frozenset(found)


def other_size(asked: frozenset[Quantity], offered: frozenset[Quantity]) -> bool:
    """Whether a message naming the sizes `asked` asks for a size that an entry naming the sizes
    `offered` does not come in: a size asked in a dimension the entry has sizes in, and not one of them."""
    dimensions = {q.dimension for q in offered}
    return any(q.dimension in dimensions and q not in offered for q in asked)
