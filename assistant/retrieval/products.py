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

An FAQ answer or a past reply most of whose wordings name a product is about the products they name
(`products_about`): 水壶漏了 不敢用 is the kettle's, and 加湿器漏水了 is not sure of it. One that names
two or more products of a category is about the whole category (水壶摔坏了 and 加湿器水箱裂了 are
wordings of the answer for any damaged appliance), and so is one filed under a product category
(`category: 小家电`: the humidifier's 声音大不大 is no answer to 乳胶枕味道大不大). Any other is about
anything: the return policy's 能退吗 answers for every product, and so does a reply that names
products as examples (被子拆开真空袋看看也没关系).

A message that names no product is about the products the customer named last (`products_in_view`):
漏水了 after 加湿器怎么用 asks about the humidifier (a user test had the kettle's leak answer first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
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


_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")

UNNAMED_MIN = 3
"""Letters a message needs left once its products are taken out to be read alone (能退吗, not 呢)."""

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


def products_about(wordings: Sequence[str], category: str, names: Mapping[str, ProductNames]) -> frozenset[str]:
    """The products an entry is about: those most of its customer `wordings` name, a category whole
    where two or more of its products are named; else those of its `category` when that is a product
    category; empty: the entry is about no product in particular."""
    by_category: dict[str, set[str]] = {}
    for product, named_by in names.items():
        if named_by.category is not None:
            by_category.setdefault(named_by.category, set()).add(product)
    each = [named_products(wording, names) for wording in wordings]
    if 2 * sum(1 for named in each if named) <= len(each):
        return frozenset(by_category.get(compact(category), ()))
    named = frozenset().union(*each)
    whole = {product for members in by_category.values() if len(members & named) >= 2 for product in members}
    return named | whole


def products_in_view(message: str, earlier: Sequence[str], names: Mapping[str, ProductNames]) -> frozenset[str]:
    """The products the message names, or else those the newest of the customer's `earlier` turns
    (oldest first) that names any names; none when the message holds part of another product's name
    (蚕丝的会不会起球 after 电热毯多少钱 asks about the silk duvet, in words the names do not hold)."""
    named = named_products(message, names)
    if named:
        return named
    said = compact(message)
    for text in reversed(earlier):
        named = named_products(text, names)
        if named:
            others = (term for product, named_by in names.items() if product not in named for term in _terms(named_by))
            return frozenset() if any(_shares_a_pair(said, term) for term in others) else named
    return frozenset()


def _terms(named_by: ProductNames) -> tuple[str, ...]:
    return (*named_by.names, *((named_by.category,) if named_by.category is not None else ()))


def _shares_a_pair(said: str, term: str) -> bool:
    """Whether the message holds two letters in a row of `term` (蚕丝 of 蚕丝被), CJK only."""
    return any(term[i : i + 2] in said for i in range(len(term) - 1) if _CJK_PAIR.fullmatch(term[i : i + 2]))


def without_products(text: str, names: Mapping[str, ProductNames]) -> str | None:
    """The message with the products it names taken out (电热毯能退吗 → 能退吗), or None when it names
    none or nothing of `UNNAMED_MIN` letters is left: what it asks of them, read as if asked on the
    product's page, where the shop's general answers (七天无理由, 运费) are worded without a name."""
    said = compact(text)
    named = named_products(said, names)
    if not named:
        return None
    terms = {term for product in named for term in names[product].names}
    terms |= {category for product in named if (category := names[product].category) is not None}
    for term in sorted(terms, key=len, reverse=True):
        said = said.replace(term, "")
    return said if len(said) >= UNNAMED_MIN else None


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
