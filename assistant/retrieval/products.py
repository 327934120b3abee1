"""Which of the shop's products a message names, so that another product's answer is not sure.

A product's questions and answers are written without its name: the customer asks them on its
page (1.5米床买哪个, 能折叠吗). So they match the same question asked of any product: 这款鹅绒被有没有
1.5米床用的？ read the electric blanket's answer to 1.5米床买哪个 at 0.73 (a user test, 7 December 2026).
When a message names one of the shop's products, the entries of the products it does not name are
at most `calibration.OTHER_PRODUCT_CONFIDENCE` sure of it: still shown, never an answer.

A product is named by its name, an alias or its category, as the product's overview asks its price
under each (`knowledge.loader.product_keys`). Two products with one alias (四件套) or one category
(被子: the goose down and the silk duvet) are both named: 被子有股味道，正常吗 names no kettle, and the
kettle's 有味道正常吗 read 0.76 above the smell answer (a user test; the category named none before).
A category after a word that puts something in, on or with it (铺在被子下面, 和被子一起用) names
nothing: on the electric blanket's page the duvet is where the blanket goes, not what is asked about
(a second reading: the blanket's answer fell from 0.59 to 0.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistant.knowledge.loader import PRODUCT_ASKS, QA_MARK
from assistant.knowledge.model import KnowledgeEntry, SourceKind
from assistant.retrieval.text import compact

NAME_MIN = 2
"""Letters a name needs to be looked for in a message (one character names nothing)."""


def product_of(entry: KnowledgeEntry) -> str | None:
    """The product an entry belongs to (its overview's id), or None for any other entry."""
    if entry.kind is not SourceKind.PRODUCT:
        return None
    return entry.id.split(QA_MARK, 1)[0]


_PUT_WITH = ("在", "往", "进", "到", "和", "跟", "配", "给", "盖", "铺", "放", "套", "垫")
"""Words before a category that make it where something goes, or what it goes with (铺在被子下面)."""


@dataclass(frozen=True, slots=True)
class ProductNames:
    """What names one product in a message."""

    names: frozenset[str]  # its name and aliases
    category: str | None  # shared with the other products of the category


def product_names(entries: Iterable[KnowledgeEntry]) -> dict[str, ProductNames]:
    """Each product's names (its name and aliases, as its overview asks their price) and its
    category, by product id."""
    ask = PRODUCT_ASKS[0].format("")
    names: dict[str, ProductNames] = {}
    for entry in entries:
        if entry.kind is SourceKind.PRODUCT and QA_MARK not in entry.id:
            category = compact(entry.category)
            asked = (compact(key[: -len(ask)]) for key in entry.questions if key.endswith(ask))
            terms = frozenset(n for n in asked if len(n) >= NAME_MIN and n != category)
            names[entry.id] = ProductNames(terms, category if len(category) >= NAME_MIN else None)
    return names


def names_category(said: str, category: str) -> bool:
    """Whether the compacted message `said` names `category` as what it is about: once, not after
    a word that puts something in, on or with it (`_PUT_WITH`)."""
    at = said.find(category)
    while at >= 0:
        if not said[:at].endswith(_PUT_WITH):
            return True
        at = said.find(category, at + 1)
    return False


def named_products(text: str, names: Mapping[str, ProductNames]) -> frozenset[str]:
    """The products `text` names (by a name, an alias or their category)."""
    said = compact(text)
    return frozenset(
        product
        for product, named in names.items()
        if any(term in said for term in named.names)
        or (named.category is not None and names_category(said, named.category))
    )
