"""Sizes named in a text (7升, 1500克, 3斤, 2斤半, 100W, 300-500ml), each in one unit per dimension.

A product is its sizes: 7升炸锅多少钱 is not answered by the shop's 5.5 L fryer, though every other
signal reads the two as the same question (a user test saw it at 0.99). `quantities` reads the
sizes a customer names and those a product's overview names; the ranker makes the overview unsure
when the message names a size in a dimension the product has sizes in and none of them holds it
(`calibration.OTHER_SIZE_CONFIDENCE`).

Only volume (mL), mass (g, 斤 = 500 g) and power (W) are read. Length is not: a customer names their
bed (1米8), their height or a distance as often as the product's size, and a bedding set comes in
bed sizes and cover sizes at once (a second reading capped right answers: 90cm的单人床电热毯用哪个,
我身高160cm浴巾能裹身吗). Nor are days, hours, prices, thread counts, model numbers, a network or a
memory's G (5G, 128G: a capital G is no gram), a 万 written w (300w像素), nor numbers written in
Chinese (两升). Of 3*15ml only 15 ml is a size (the 3 counts them). A range (300-500ml, 1到2升) and a
bound (500ml以内, 2000W以上) are read as the sizes between.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import NamedTuple


class Quantity(NamedTuple):
    """The sizes from `low` to `high` (one size when equal) of one dimension, in its unit (mL, g, W)."""

    dimension: str
    low: float
    high: float


_UNITS: dict[str, tuple[str, float]] = {
    "毫升": ("volume", 1.0),
    "ml": ("volume", 1.0),
    "升": ("volume", 1000.0),
    "公升": ("volume", 1000.0),
    "l": ("volume", 1000.0),
    "千克": ("mass", 1000.0),
    "公斤": ("mass", 1000.0),
    "kg": ("mass", 1000.0),
    "克": ("mass", 1.0),
    "g": ("mass", 1.0),
    "斤": ("mass", 500.0),
    "瓦": ("power", 1.0),
    "w": ("power", 1.0),
    "千瓦": ("power", 1000.0),
    "kw": ("power", 1000.0),
}
_NUMBER = r"(\d+(?:\.\d+)?)"
# A Latin unit ends its word; g only in lower case (5G, 128G are a network and a memory); w is no
# watt before 像素 or 毫安 (300w像素 is three million pixels).
_UNIT = r"(毫升|公升|升|千克|公斤|克|斤|千瓦|瓦|(?i:ml|kg|kw|l|w)|g)(?![a-zA-Z\d])(?<![wW](?=像素|毫安))"
_SIZE = re.compile(
    rf"(?<![\d.]){_NUMBER}(?:\s*(?:{_UNIT})?\s*(?:-|~|～|到|至)\s*{_NUMBER})?\s*{_UNIT}(半)?(以内|以下|以上)?"
)


def quantities(text: str) -> frozenset[Quantity]:
    """The sizes `text` names (see the module doc), after NFKC."""
    found: set[Quantity] = set()
    for first, first_unit, second, unit, half, bound in _SIZE.findall(unicodedata.normalize("NFKC", text)):
        dimension, scale = _unit(unit)
        first_dimension, first_scale = _unit(first_unit) if first_unit else (dimension, scale)
        if first_dimension != dimension:  # 5L-2000W: two sizes of two things, not a range
            found.add(Quantity(first_dimension, float(first) * first_scale, float(first) * first_scale))
            first, first_scale = second, scale
            second = ""
        low = float(first) * first_scale
        high = float(second) * scale if second else low
        if half and not second:  # 2斤半
            low = high = low + 0.5 * scale
        if bound in ("以内", "以下"):
            low = 0.0
        elif bound == "以上":
            high = math.inf
        found.add(Quantity(dimension, round(min(low, high), 6), round(max(low, high), 6)))
    return frozenset(found)


def _unit(written: str) -> tuple[str, float]:
    """The dimension and scale of a unit as written (g only in lower case reaches here)."""
    return _UNITS[written if written == "g" else written.lower()]


def other_size(asked: frozenset[Quantity], offered: frozenset[Quantity]) -> bool:
    """Whether a message naming the sizes `asked` asks for a size that a product naming the sizes
    `offered` does not come in: a size asked in a dimension the product has sizes in, which none
    of them holds (a range asked is held when one of its sizes is)."""
    dimensions = {q.dimension for q in offered}
    return any(
        q.dimension in dimensions and not any(o.dimension == q.dimension and _overlap(q, o) for o in offered)
        for q in asked
    )


def _overlap(a: Quantity, b: Quantity) -> bool:
    slack = 1e-6 * max(1.0, abs(a.high), abs(b.high)) if math.isfinite(max(a.high, b.high)) else 1e-6
    return a.low <= b.high + slack and b.low <= a.high + slack
