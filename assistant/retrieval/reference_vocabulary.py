"""The everyday words of customers in any shop: what `known` reads beside the shop's own words.

`known` (`calibration.MatchEvidence`) is the share of a message's lexical tokens found in the
shop's question keys: junk, English and emoji-only lines know almost none. Read against the
shop's keys alone it also measured the shop's size: a three-entry tea shop does not hold 你们,
的是 or 呀, so 你们发的是什么快递呀 knew a third of its tokens where the demo shop's 350 entries
know most, and the right entry (茶叶发什么快递？) scored 0.12 (a user test, 7 December 2026:
an outsourcer's 12-entry shops listed well-answered questions as knowledge gaps).

So `known` also reads a fixed reference: the tokens found in the question keys of at least
`EVERYDAY_MIN_ENTRIES` of the demo shop's entries (knowledge/, the shop `CONFIDENCE_MODEL` was
fitted on), bundled as `reference_vocabulary.txt`: 吗, 怎么, 什么, 你们, 可以 and their grams,
words any shop's customers use whatever they ask. Not the demo shop's whole vocabulary: on
small shops made of 12 demo entries (`benchmarks/answerable.py`) that raised recall at the
threshold from 0.84 to 0.94 but dropped precision from 0.60 to 0.21, because its topic words
(退货, 鹅绒被) made a question the shop has no answer for read as known; everyday words kept
precision (0.58) and the tea shop's wording (0.12 → 0.45). For the demo shop nothing changes
(the reference is its own). Text the team wrote, not customer data: the public chat logs may not
be shipped as a lexicon (their licence).

Written by `python benchmarks/answerable.py --vocabulary` from knowledge/; a test fails when the
demo shop's keys change without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources

from assistant.retrieval.text import tokens

FILE = "reference_vocabulary.txt"
EVERYDAY_MIN_ENTRIES = 20
"""How many of the demo shop's entries a token's keys must appear in to be everyday: 20 keeps 139
tokens (吗, 怎么, 快递, #退); 8 keeps 514 and cost small shops precision (0.49), 50 keeps 34 and helps nothing."""


@cache
def reference_vocabulary() -> frozenset[str]:
    """The bundled reference tokens (read once per process; immutable)."""
    text = resources.files(__package__).joinpath(FILE).read_text(encoding="utf-8")
    return frozenset(line for line in text.split("\n") if line)


def vocabulary_text(entry_keys: Iterable[Sequence[str]]) -> str:
    """The file's text for these entries' question keys: the lexical tokens found in the keys of at
    least `EVERYDAY_MIN_ENTRIES` entries, one per line, sorted."""
    entries = Counter(token for keys in entry_keys for token in {t for key in keys for t in tokens(key)})
    return "".join(token + "\n" for token in sorted(t for t, n in entries.items() if n >= EVERYDAY_MIN_ENTRIES))
