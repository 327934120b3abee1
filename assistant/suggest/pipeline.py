"""`Suggester`: encode → rank → read emotion for one shop's snapshot.

The service encodes on its model thread (batched, cached) and calls `rank` on its ranking
thread; the CLI and the evaluations call `suggest`, which encodes with the embedder it is given.
Both paths run the same ranking, calibration and emotion reading. An elliptical follow-up is ranked
as the question it asks (那加湿器呢 after 电热毯保修多久 → 加湿器保修多久, `restated`). Then the
situation is checked (`situated`): for a calm message, a reply matched through an upset customer's wording (a threat of
a bad review for 你们家有没有差评) goes last and is never sure; for a conversation's first message, a
past reply that answered a message in the middle of another conversation (查到了，少了一个枕套 for
怎么样了 查到没) goes last and is never sure; so does a reply written for the other state of the
order (还没发货可以改的 after the agent said 已经发货了, `order_state`), and so does a reply for a refused
request when no refusal is stated (被拒一般是因为… for 我想申请退货, `refusal`); for an upset customer (anger
or a complaint threat shown), a reply that only thanks goes last and is never sure, and the first
suggestion apologises when a relevant apology is among the candidates. A thanks said in passing
(…请帮助解决退款问题。谢谢!: a substantive message that thanks, with no satisfaction read) is no thanks
turn: a reply that only thanks or closes goes last and is never sure; and on a thanks or closing turn
(谢谢, 再见) a greeting (欢迎光临…请问有什么可以帮您) goes last and is never sure. A message that threatens
(complaint risk shown) reads the best of the shop's scripts for a threat (FAQ entries matched through a
wording that threatens by itself) at even odds at least (`THREAT_FLOOR`). In the first three places a sure
suggestion comes before an unsure one (`sure_first`), and `answerable` reads those places.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.ranking import tag_bias
from assistant.emotion.thresholds import DEFAULT_THRESHOLDS, CueThresholds
from assistant.emotion.types import NO_EMOTION, EmotionReading
from assistant.knowledge.calendar import Clock, out_of_season_ids, shop_day, wall_clock
from assistant.knowledge.model import SourceKind
from assistant.learning.reranking import QUICK_REPLY_TAG, ShopLearning
from assistant.learning.turns import (
    TurnKind,
    content,
    holds_order_number,
    is_follow_up,
    is_stock,
    says_thanks,
    turn_kind,
)
from assistant.retrieval.calibration import DEFAULT_THRESHOLD, answerable
from assistant.retrieval.embedders import Embedder, Vectors
from assistant.retrieval.follow_up import asks_nothing, resolve_pointing, restate
from assistant.retrieval.ranker import RankingWeights, SuggestionRanker
from assistant.retrieval.snapshot import Snapshot, load_snapshot
from assistant.retrieval.text import parts
from assistant.retrieval.types import Suggestion, SuggestRequest, Turn
from assistant.suggest.order_state import OrderState, conversation_state, presupposed_state, states_only
from assistant.suggest.refusal import conversation_refusal, presupposes_refusal

UPSET_CUES = frozenset({"complaint_risk", "anger"})
"""Cues that say a wording is an upset customer's (a threat, an outburst), not a question."""
UPSET_ONLY_CAP = 0.15
"""The most a reply matched only through an upset wording scores for a calm message: shown, never
sure (half the default threshold)."""
THANKS_CAP = 0.15
"""The most a reply that thanks (tag `thanks`, no `apology`) scores for an upset customer (anger or a
complaint threat shown): 我给你差评了 got 亲，太感谢您了 (the thanks for a bad review taken back,
matched through 我已经把差评改了) at 0.88 (a user test, 4 December 2026)."""
PASSING_THANKS_CAP = 0.15
"""The most a reply that only thanks or closes scores for a substantive message whose thanks is a
courtesy (no satisfaction read): 我拍的三件演出服，三天了仍然不发货…请帮助解决退款问题。谢谢! led with
不客气的亲…祝您睡个好觉, matched through its 谢谢 (a user test, 6 December 2026)."""
GREETING_CAP = 0.15
"""The most a greeting scores on a thanks or closing turn: 谢谢 had 欢迎光临…请问有什么可以帮您 second."""
PARTING_KINDS = frozenset({TurnKind.THANKS, TurnKind.CLOSING})
GREETED_THANKS_CAP = 0.15
"""The most a reply that only thanks scores on a greeting turn: 你好，在吗 had 不客气的亲～给您添麻烦了
second at 0.47 (a user test, 6 December 2026). One at or below it stays where it is, unsure already:
moving every one last reshuffled 你好's unsure places by `k` (`test_sure_first`)."""
UNHAPPY_CUES = frozenset({"anxiety", "disappointment"})
"""Cues that, shown (medium/high), say the customer is not calm either: 快递一个礼拜了还没到 gets the
complaint script for a late parcel, matched through 快递一个礼拜了还没到，到底怎么回事？."""
CONTEXT_ONLY_CAP = 0.15
"""The most a past reply given after earlier turns scores in a conversation about something else
(or for a conversation's first message)."""
OTHER_ORDER_STATE_CAP = 0.15
"""The most a reply written for the other state of the order scores (还没发货可以改的 after the agent
said 已经发货了): shown, never sure (`order_state`)."""
ORDER_GIVEN_CAP = 0.15
"""The most a reply asking for the order number scores when the message gives one and asks nothing
else (我的订单号是…, a pasted card: `TurnKind.ORDER_CARD`): a user test sent its number and was asked
for it again. Not beside a question: the replies that ask for it also answer (the late-parcel apology
with the dispatch rule for 我的订单2345678901234怎么还没发货, which led with the cancellation answer at
0.88 once they were capped; the price-protection answer for 能申请价保么? with the app's order card
pasted, a JDDC turn, 0.97 → 0.06), the agent leaving out what the customer already gave."""
_ASKS_ORDER = re.compile(
    r"(发|提供|告诉|给)(我|一下|下)*(您的)?订单号|订单号(和[^，。；！？]{0,12})?(发|告诉|给)(我|一下)"
)
"""A reply asking for the order number (麻烦您发一下订单号, 把订单号和具体情况告诉我)."""
_SOME_NUMBER = "1234567890123"
"""A number put after a wording to read whether it gives an order number (`Suggester._for_card`)."""
UNSTATED_REFUSAL_CAP = 0.15
"""The most a reply for a refused request scores when neither the message nor the recent turns state
a refusal (被拒一般是因为… at 0.94 for 我想申请退货, a user test): shown, never sure (`refusal`). One
that matches less is left where it is, unsure already: moving it last only reshuffled the unsure
runners-up (JDDC AUROC 0.862 → 0.860, one unanswerable message's best score 0.01 → 0.03)."""
CONTEXT_SHARED_MIN = 0.15
"""The share of a past reply's context (character pairs) a conversation's earlier turns must hold
for the reply to fit it."""
_SPEAKER = re.compile(r"^\s*(顾客|客服|客户|买家|卖家)\s*[:：]")


def turn_pairs(turns: Iterable[str]) -> frozenset[str]:
    """The character pairs of the content of some turns (a speaker label such as 顾客： left out)."""
    pairs: set[str] = set()
    for turn in turns:
        said = content(_SPEAKER.sub("", turn))
        pairs.update(said[i : i + 2] for i in range(len(said) - 1))
    return frozenset(pairs)


APOLOGY_FLOOR = 0.3
"""An apology moves first for an upset customer only if it matches the message at least this well."""
THREAT_FLOOR = 0.5
"""The least the best script of the shop for a threat (an FAQ entry whose matched wording threatens by
itself: 不给我解决我就给差评！) scores for a message that threatens (complaint risk shown): the script answers
the threat whatever else the message says, at even odds (it may be one of several such scripts). The
angriest messages read far from every wording: 垃圾店铺，骗子，再不退钱我天天给你们刷差评，还要去微博曝光你们 had
the bad-review script at 0.06, was not answerable and was listed among the gaps (a user test)."""
STOCK_FLOOR = 0.5
"""The least a knowledge entry for stock turns of one kind (each of its wordings a greeting, an
acknowledgement, thanks or a closing: 好的 / ok / 嗯嗯) scores for a turn of that kind: 好 and 哈哈哈好的
read 好的's entry at 0.01 and 0.27, and a shop without learned quick replies had no answer for them
(a user test). Even odds, as a keyword: the shop may hold several."""
_LAUGHS = re.compile(r"[哈呵嘿嘻h]+")
"""A turn that only laughs (哈哈哈哈哈哈) is chit-chat, not an acknowledgement the shop's reply for one
answers (the authored set labels it unanswerable); 哈哈哈好的 acknowledges."""
STOCK_ONLY_CAP = 0.15
"""The most an entry for stock turns scores for a substantive message (好用吗 read 好的's entry at 0.52:
好的亲～请问还有其他可以帮到您的吗 as a sure answer to a question). Not a greeting's: its reply (在的呢～请问
有什么可以帮您) answers 我 APP服务 在了吗 (a JDDC turn) as well as 在吗."""
SURE_WINDOW = 3
"""The first places, whatever `k` a caller asks for, in which the suggestions that reach the threshold
come before those that do not (`sure_first`), and in which `answerable` looks. Before, a 0.02 apology
nudged first by the emotion reading led the 0.79 refund answer (算了，退款吧), and `answerable`
read the `k` shown, so 你好 was unanswerable at k = 3 and answerable at k = 5 through a 0.48
runner-up at place 4 (a user test, 4 December 2026). Three, not the panel's five: moving a sure
answer up from place 4 or 5 cost bq_faq R@3 0.361 → 0.353 (a sure wrong one took the place of an
unsure right one); within three it is 0.361 (`benchmarks/retrieval_quality.py`, row `suggester`)."""
UNLIKELY = 0.05
"""A suggestion below this confidence is unlikely to be the answer: a sure one found below the first
places (`SURE_WINDOW`) is shown before it (`past_the_unlikely`). On bq_faq (the `suggester` row of
`benchmarks/retrieval_quality.py`) R@3 is 0.362 without it, 0.361 at 0.05, 0.355 at 0.1 and 0.356
at 0.2 (a sure wrong answer from place 4 or 5 pushing out an unlikely right one; 0.357 at 0.1 with
only answers at 0.8 or more moved): 0.05 moves the 0.00–0.03 cards of a user test (怎么退货, 好的谢谢,
算了，退款吧) and leaves a 0.07 one (鹅绒被会不会钻绒啊) where the ranker put it."""
PROMOTED_FROM = 5
"""The places, whatever `k`, from which a sure suggestion moves up past an unlikely one: the panel's
five (a larger `k` must not change the first three)."""
PART_SURE = 0.9
"""A clause of a message read alone raises the score of its best entry only when it is this sure
(`Suggester._by_parts`). With any score, clauses made a fifth of the unanswerable JDDC turns
answerable (precision at 0.3 0.946 → 0.778); at 0.9 precision is 0.909 and recall 0.714 → 0.816
(`benchmarks/answerable.py`). Keeping only clauses of four letters or more cost one real turn
(recall 0.796) and no wrong answer less."""
_DECLINED = re.compile(r"不是要|不是想|不想|不要|不用|不需要|不打算|没打算|并不是|不是说要")
"""A clause that declines what it names (我不是要退, 现在不想退了): read alone it would ask for it."""
PART_NEAREST = 5
"""The entries nearest a part read alone (its closest wordings) among which its best entry may be one the
whole message's pool lacks (`Suggester._by_parts`)."""
SHOWN = ("medium", "high")
LEANING_CAP = 0.15
"""The most a suggestion found only through the earlier turns scores: shown first, never sure
(the message alone does not say what it asks about)."""
LEANING_MAX = 8
"""Letters (and CJK) of a message short enough to lean on the turns before it (都三天了, 放正了也不行)."""

RESTATE_TURNS = 3
"""The customer's latest substantive turns a follow-up is restated through (那电水壶呢 after 那加湿器呢
after 电热毯保修多久)."""


def leans_on_context(request: SuggestRequest) -> bool:
    """A short substantive message after an earlier customer turn: 都三天了, 是换新还是维修."""
    said = content(request.text)
    earlier = any(t.role == "customer" and content(t.text) for t in request.context)
    return earlier and 0 < len(said) <= LEANING_MAX and not is_stock(request.text)


class EmotionReader(Protocol):
    """What the pipeline needs of the emotion detector."""

    def read(
        self, text: str, context: Sequence[Turn], query_vector: Any = None, *, thresholds: CueThresholds = ...
    ) -> EmotionReading: ...


def build_detector() -> EmotionReader:
    """The emotion detector: authored lexicon and context rules. Its optional embedding
    prototypes measured within noise and raised false cues on plain questions ("快递几天能到"),
    so nothing ships them (docs/emotion.md)."""
    return EmotionDetector()


@dataclass(frozen=True, slots=True)
class Situation:
    """What the situation checks read of one message and its conversation, once per message."""

    earlier: frozenset[str]
    """The character pairs of the conversation's earlier turns (`turn_pairs`)."""
    calm: bool
    upset: bool
    """Anger or a complaint threat shown (medium or high)."""
    order: OrderState | None
    """Has the order shipped, as the message or the latest earlier turn says (`conversation_state`)."""
    passing_thanks: bool = False
    """A substantive message that thanks in passing, with no satisfaction read (a courtesy closing a
    request or a complaint): not a thanks turn."""
    parting: bool = False
    """A thanks or closing turn (`turn_kind`: 谢谢, 没有了，谢谢, 再见)."""
    greeted: bool = False
    """A greeting turn (`turn_kind`: 你好, 在吗): nothing was given yet to be thanked for."""
    refusal: bool = False
    """The message or a recent turn states that a request was refused or failed (`conversation_refusal`:
    退款被拒了, 审核不成功, the agent's 申请被驳回了; not 我不想被拒)."""
    threatened: bool = False
    """The message threatens: complaint risk shown (a bad review, a complaint, going public)."""
    gives_order: bool = False
    """The message gives the order number and asks nothing else (`TurnKind.ORDER_CARD`)."""
    holds_order: bool = False
    """The message holds an order number, with or without a question (`holds_order_number`)."""
    stock: TurnKind | None = None
    """The message's stock kind (`turn_kind`: a greeting, an acknowledgement, thanks…), None when
    substantive or only laughter (`_LAUGHS`)."""

    @staticmethod
    def calm_reading(reading: EmotionReading) -> bool:
        """No anger or complaint read at all, and no worry or let-down shown."""
        return not any(
            cue.name in UPSET_CUES or (cue.name in UNHAPPY_CUES and cue.level in SHOWN) for cue in reading.cues
        )

    @classmethod
    def of(cls, request: SuggestRequest, reading: EmotionReading, *, read_emotion: bool = True) -> Situation:
        kind = turn_kind(request.text)
        satisfied = any(c.name == "satisfaction" for c in reading.cues)
        return cls(
            earlier=turn_pairs(t.text for t in request.context),
            calm=read_emotion and cls.calm_reading(reading),
            upset=any(c.name in UPSET_CUES and c.level in SHOWN for c in reading.cues),
            order=conversation_state(request.text, [t.text for t in request.context]),
            passing_thanks=read_emotion and kind is None and not satisfied and says_thanks(request.text),
            parting=kind in PARTING_KINDS,
            greeted=kind is TurnKind.GREETING,
            refusal=conversation_refusal(request.text, [t.text for t in request.context]),
            threatened=any(c.name == "complaint_risk" and c.level in SHOWN for c in reading.cues),
            gives_order=kind is TurnKind.ORDER_CARD,
            holds_order=holds_order_number(request.text),
            stock=None if _LAUGHS.fullmatch(content(request.text)) else kind,
        )


@dataclass(frozen=True, slots=True)
class Queries:
    """What one message embeds (`Suggester.queries`): the ranker's texts (the message, then the
    recent customer turns with it, if any), then the question an elliptical follow-up asks."""

    texts: tuple[str, ...]
    restated: str | None = None
    """The question the follow-up asks (`Suggester.restated`: 那加湿器呢 → 加湿器保修多久), or None."""
    restated_at: int | None = None
    """Where the restated question's text stands in `texts` (and its vector among theirs)."""
    parts: tuple[str, ...] = ()
    """The clauses of a message that says several things (`text.parts`), each read on its own."""
    parts_at: int | None = None
    """Where the parts' texts start in `texts`: they are its last ones. The parts are the restated
    question's when there is one (scored as typed in full, clauses and all)."""
    unnamed: str | None = None
    """The last part (or the message) with the products it names taken out, the last of `parts`
    (`ranker.without_products`: 电热毯能退吗 → 能退吗), or None."""


@dataclass(frozen=True, slots=True)
class SuggestOutcome:
    """What the pipeline answers for one message."""

    suggestions: tuple[Suggestion, ...]
    reading: EmotionReading
    answerable: bool
    index_version: str


class Suggester:
    """One shop's snapshot with the shipped ranker and emotion reader. Safe to share across calls."""

    def __init__(
        self,
        ranker: SuggestionRanker,
        detector: EmotionReader | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        learning: ShopLearning | None = None,
        clock: Clock = wall_clock,
    ) -> None:
        self.ranker = ranker
        self.detector = detector if detector is not None else build_detector()
        self.threshold = threshold
        self.learning = learning
        self.clock = clock
        self._off: tuple[dt.date, frozenset[str]] | None = None
        self._wording_cues: dict[str, frozenset[str]] = {}
        self._past_contexts: dict[str, frozenset[str]] | None = None
        self._presupposed_states: dict[str, OrderState] | None = None
        self._refused: frozenset[str] | None = None
        self._for_cards: frozenset[str] | None = None
        self._entry_stock_kinds: dict[str, frozenset[TurnKind]] | None = None
        self._product_wordings: str | None = None

    @classmethod
    def from_snapshot(
        cls,
        snapshot: Snapshot,
        detector: EmotionReader | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        weights: RankingWeights | None = None,
        learning: ShopLearning | None = None,
        clock: Clock = wall_clock,
    ) -> Suggester:
        """The shipped ranker over `snapshot`: emotion cues move apologies first for an angry customer;
        with `learning`, the shop's quick replies and priors (assistant/learning/reranking.py)."""
        ranker = SuggestionRanker(snapshot, weights=weights, tag_bias=tag_bias)
        return cls(ranker, detector, threshold, learning, clock)

    def with_learning(self, learning: ShopLearning | None) -> Suggester:
        """The same snapshot, reader and clock with another shop's learning (or none)."""
        return Suggester(self.ranker, self.detector, self.threshold, learning, self.clock)

    def with_threshold(self, threshold: float) -> Suggester:
        """The same suggester at another threshold (an admin changed the shop's)."""
        return Suggester(self.ranker, self.detector, threshold, self.learning, self.clock)

    def _current(
        self, request: SuggestRequest, vectors: Vectors, reading: EmotionReading, *, follow_up: bool = False
    ) -> list[Suggestion]:
        """The ranker's pool without what is out of season: a promotion before its `starts` or past
        its `ends` is stored and listed to admins, not suggested (a user test got an expired coupon
        first, and a promotion of next month as running)."""
        off = self.off_today()
        pool = self.ranker.rank(request, vectors, reading, follow_up=follow_up, off=off)
        return [s for s in pool if s.entry_id not in off] if off else pool

    def off_today(self) -> frozenset[str]:
        """The entries out of season today (`calendar.out_of_season`), not to be suggested."""
        today = shop_day(self.clock())
        if self._off is None or self._off[0] != today:
            self._off = (today, out_of_season_ids(self.ranker.snapshot.entries, today))
        return self._off[1]

    @property
    def index_version(self) -> str:
        return self.ranker.version

    def query_texts(self, request: SuggestRequest) -> list[str]:
        """What to embed (with `encode_queries`) for this request, in the order `rank` expects
        (`queries`)."""
        return list(self.queries(request).texts)

    def queries(self, request: SuggestRequest) -> Queries:
        """The texts to embed for this request and where the question a follow-up asks stands among
        them (`rank` reads the same again: a few jieba cuts, well under a millisecond)."""
        texts = self.ranker.query_texts(request)
        restated = self.restated(request)
        if restated is not None:
            texts += self.ranker.query_texts(SuggestRequest(restated))  # as if typed alone: the message only
        asked = restated if restated is not None else request.text
        said = self.asked_parts(asked)
        unnamed = self.ranker.without_products(said[-1] if said else asked)
        if unnamed is not None and unnamed not in said:
            said = (*said, unnamed)
        else:
            unnamed = None
        alone = [self.ranker.query_texts(SuggestRequest(part))[0] for part in said]
        at = len(texts) if said else None
        restated_at = len(texts) - 1 if restated is not None else None
        return Queries((*texts, *alone), restated, restated_at, said, at, unnamed)

    @staticmethod
    def asked_parts(text: str) -> tuple[str, ...]:
        """The clauses of `text` read alone (`text.parts`): a greeting clause (您好, 我要转人工) beside
        a question says hello, the question is what is answered; greetings alone are read. A clause
        that only states the order's state beside others is their condition (`states_only`)."""
        said = parts(text)
        asked = tuple(part for part in said if not is_stock(part))
        conditions = tuple(part for part in asked if states_only(part))
        if conditions and len(conditions) < len(asked):
            # 还没发货，能改地址吗: the order's state is the question's condition; read alone it chased
            # the late parcel (the not-dispatched apology at 1.00, second, a user test)
            asked = tuple(part for part in asked if part not in conditions)
        return asked if asked else said

    def restated(self, request: SuggestRequest) -> str | None:
        """The customer's previous question with its subject replaced by the follow-up's (那加湿器呢
        after 电热毯保修多久 → 加湿器保修多久; `follow_up.restate`), or a question pointing back asked
        about a product named before (那它多少钱 after 鹅绒被会不会钻绒啊 → 鹅绒被多少钱;
        `follow_up.resolve_pointing`), or None."""
        earlier = [t.text for t in request.context if t.role == "customer" and content(t.text) and not is_stock(t.text)]
        recent = earlier[-RESTATE_TURNS:]
        if self.ranker.named_products(request.text):  # 那个呢，加湿器能洗吗 asks about what it names
            return restate(request.text, recent)
        return restate(request.text, recent) or resolve_pointing(request.text, recent, self._names_a_product)

    def _names_a_product(self, word: str) -> bool:
        """Whether a customer wording of one of the shop's products holds `word`: what a question
        pointing back may be about (on real chats the first noun before was as often 问题 or 订单号)."""
        if self._product_wordings is None:
            entries = self.ranker.snapshot.entries
            wordings = (q for e in entries if e.kind is SourceKind.PRODUCT for q in e.questions)
            self._product_wordings = "\n".join(wordings)
        return word in self._product_wordings

    @staticmethod
    def pool_size(k: int) -> int:
        """How many ranked suggestions the learning layer and the situation checks choose `k` from."""
        return max(3 * k, 10)

    def rank(self, request: SuggestRequest, query_vectors: Vectors, *, read_emotion: bool = True) -> SuggestOutcome:
        """Rank with the vectors of `query_texts(request)`; no encoding here (CPU only)."""
        reading = NO_EMOTION
        if read_emotion:
            thresholds = self.learning.cue_thresholds if self.learning is not None else None
            reading = self.detector.read(
                request.text,
                request.context,
                query_vector=query_vectors[0],
                thresholds=thresholds or DEFAULT_THRESHOLDS,
            )
        pooled = replace(request, k=self.pool_size(request.k))
        queries = self.queries(request)
        vectors = np.asarray(query_vectors, dtype=np.float32)
        at = queries.restated_at
        if queries.restated is not None and at is not None and at < len(vectors):
            # the question it asks, scored as if the customer had typed it; the follow-up's own words
            # are the context signal (那西藏呢 keeps the remote-shipping answer first)
            asked = replace(pooled, text=queries.restated, context=())
            pool = self._by_parts(self._current(asked, vectors[[at, 0]], reading), queries, vectors, asked.text)
        else:
            own = vectors[: queries.parts_at] if queries.parts_at is not None else vectors
            pool = self._current(pooled, own, reading, follow_up=is_follow_up(request.text))
            pool = self._by_parts(pool, queries, vectors, request.text, request.context)
            if asks_nothing(request.text):
                pool = [s if s.score <= LEANING_CAP else replace(s, score=LEANING_CAP) for s in pool]
            if leans_on_context(request) and not answerable(pool[:SURE_WINDOW], self.threshold):
                pool = self._through_context(pooled, query_vectors, reading, pool)
        situation = Situation.of(request, reading, read_emotion=read_emotion)  # once per message
        pool = self._threat_floored(
            [self._capped(self._stock_floored(s, situation), situation) for s in pool], situation
        )
        if self.learning is not None:
            pool = list(self.learning.apply(pooled, pool, answerable(pool, self.threshold), self.threshold))
            if situation.upset and not self.learning.stock_turn(request):
                # 你们是骗子吧，12315投诉你们: no "有什么可以帮您" filler for an angry question (a user test)
                pool = [s for s in pool if QUICK_REPLY_TAG not in s.tags]
        ordered = self.situated(pool, situation)
        window = sure_first(ordered[:SURE_WINDOW], self.threshold)
        # the panel's places, whatever k, so that the first three do not depend on k
        promoted = past_the_unlikely((window + ordered[SURE_WINDOW:])[:PROMOTED_FROM], self.threshold)
        # a sure answer moved up into the first places comes before the unsure ones there too (怎么没人回复:
        # the 0.58 answer moved from place 4 past the 0.04 card stood below a 0.11 one)
        promoted = sure_first(promoted[:SURE_WINDOW], self.threshold) + promoted[SURE_WINDOW:]
        shown = (promoted + ordered[PROMOTED_FROM:])[: request.k]
        # answerable as the agent sees it, whatever k: a ranked suggestion in the first places
        # reaches the threshold (a quick reply's score is its share of the slot's replies, not a
        # match), or a stock turn
        ranked = [s for s in promoted[:SURE_WINDOW] if QUICK_REPLY_TAG not in s.tags]
        sure = answerable(ranked, self.threshold) or (self.learning is not None and self.learning.stock_turn(request))
        return SuggestOutcome(tuple(shown), reading, sure, self.index_version)

    def _by_parts(
        self, pool: list[Suggestion], queries: Queries, vectors: Vectors, text: str, context: Sequence[Turn] = ()
    ) -> list[Suggestion]:
        """Each suggestion scored the better of the message's and its best part's match, each part
        read as if typed alone, in the ranker's order: the clause 洗一次就掉色成这样 is answered
        whatever abuse comes before it (the whole message read the fade answer at 0.13, the clause
        alone at 0.97), and so is a question after a pasted order form. The last clause's best entry
        among its own nearest (`PART_NEAREST`) that the message's pool lacks joins it, second, when
        the clause is sure of it and does not decline it (`_DECLINED`: 我不是要退): a long complaint
        ending 到底能不能退货？ had only complaint scripts in its pool, and the return answer (0.96 for
        the question alone) was never shown (a user test).
        The message read without the products it names (`Queries.unnamed`: 电热毯能退吗 → 能退吗) joins
        its sure best entry the same way, when that entry is about no product, whether the pool lacked
        it or held it lower, and first when it is at least as sure as the first (the return policy at
        1.00 before the blanket's 能洗吗 at 0.97).
        A size the message names (`text`) holds for every part, and so does a product it, or the
        customer's turns before it (`context`), name (`ranker.whole_message_caps`): 我想要2升的，这个水壶
        多少钱 is not sure of the 1.7 L kettle for its second clause alone."""
        at = queries.parts_at
        if at is None or len(vectors) != at + len(queries.parts):
            return pool
        rows = self.ranker.entry_rows()
        known = [rows[s.entry_id] for s in pool if s.entry_id in rows]
        off = self.off_today()
        best: dict[int, float] = {}
        asked: dict[int, Vectors] = {}  # a row that joins: the vector of the part that found it
        unnamed: int | None = None  # the row the message read without its products is sure of
        said = parts(text)
        last = said[-1] if said else None
        for part, vector in zip(queries.parts, vectors[at:], strict=True):
            # only the message's last clause, the question a complaint ends with, brings an entry of
            # its own, and not when it declines (我不是要退: read alone, 退 asks for a return)
            joins = part in (last, queries.unnamed) and not _DECLINED.search(part)
            nearest = [r for r in self.ranker.nearest(vector, PART_NEAREST, off) if r not in known] if joins else []
            found = self.ranker.confidences(part, vector, known + nearest, off)
            if found:
                row = max(found, key=lambda r: found[r])
                if part == queries.unnamed and self.ranker.about(row):
                    # read without its products, the message speaks for the shop's general answers
                    # only: a product's own answers were read with its name (电热毯一边热一边不热怎么回事
                    # is no question of whether one side may stay off), and when its best reading is a
                    # product's answer it is that product's question (新水壶第一次用要注意啥)
                    continue
                if found[row] >= PART_SURE:
                    best[row] = max(best.get(row, 0.0), found[row])
                    if joins and (row not in known or part == queries.unnamed):
                        asked.setdefault(row, vector)
                    if part == queries.unnamed:
                        unnamed = row
        for row, cap in self.ranker.whole_message_caps(text, best, context).items():
            best[row] = min(best[row], cap)
        scored = [
            replace(s, score=round(best[rows[s.entry_id]], 4))
            if s.entry_id in rows and best.get(rows[s.entry_id], 0.0) > s.score
            else s
            for s in pool
        ]
        # a joining part's entry stands second (the message without its products': whether the pool
        # lacked it or held it lower), while it stays sure once the whole message's caps are read
        first = scored[0].entry_id if scored else None
        held = {s.entry_id: s for s in scored}
        entries = self.ranker.snapshot.entries
        joined = [
            held.get(entries[row].id) or self.ranker.suggestion_for(vector, row, best[row])
            for row, vector in asked.items()
            if entries[row].id != first and best[row] >= PART_SURE
        ]
        moved = {s.entry_id for s in joined}
        rest = [s for s in scored[1:] if s.entry_id not in moved]
        general = joined[0] if joined and unnamed is not None and joined[0].entry_id == entries[unnamed].id else None
        if general is not None and scored and general.score >= scored[0].score:
            # 电热毯能退吗: the return policy's 能退吗 (1.00) before the blanket's 能洗吗 (0.97), which
            # the product's name made near
            return [general, *scored[:1], *joined[1:], *rest]
        return scored[:1] + joined + rest

    def _through_context(
        self, pooled: SuggestRequest, query_vectors: Vectors, reading: EmotionReading, own: list[Suggestion]
    ) -> list[Suggestion]:
        """The suggestions for the recent customer turns and the message read as one (the
        ranker's context query, already embedded), shown first but never sure (`LEANING_CAP`):
        都三天了 after 怎么还没发货 asks about the late parcel, but only the earlier turn says so."""
        joined = self.ranker.context_text(pooled)
        vectors = np.asarray(query_vectors, dtype=np.float32)
        if joined is None or len(vectors) < 2:
            return own
        leaning = self._current(replace(pooled, text=joined, context=()), vectors[1:2], reading)
        capped = [s if s.score <= LEANING_CAP else replace(s, score=LEANING_CAP) for s in leaning]
        seen = {s.entry_id for s in capped}
        return capped + [s for s in own if s.entry_id not in seen]

    def situated(self, suggestions: list[Suggestion], situation: Situation) -> list[Suggestion]:
        """The suggestions in the order the situation asks for (see the module doc): replies for
        another situation last, and for an upset customer a relevant apology first."""
        away = [self._elsewhere(s, situation) for s in suggestions]
        fits = [s for s, elsewhere in zip(suggestions, away, strict=True) if not elsewhere]
        order = fits + [s for s, elsewhere in zip(suggestions, away, strict=True) if elsewhere]
        if situation.upset and order and "apology" not in order[0].tags:
            floor = max(APOLOGY_FLOOR, self.threshold)  # sure, so `sure_first` keeps it first
            apology = next((s for s in fits if "apology" in s.tags and s.score >= floor), None)
            if apology is not None:
                order = [apology] + [s for s in order if s is not apology]
        return order

    def _elsewhere(self, suggestion: Suggestion, situation: Situation) -> bool:
        """The suggestion answers another situation than this message's."""
        return self._cap(suggestion, situation) < 1.0

    def _cap(self, suggestion: Suggestion, situation: Situation) -> float:
        """The most `suggestion` may score in this situation (1 when it fits)."""
        cap = 1.0
        if situation.calm and self._upset(suggestion.matched):
            cap = UPSET_ONLY_CAP
        if situation.upset and _only_thanks(suggestion):
            cap = min(cap, THANKS_CAP)
        if situation.passing_thanks and _only_thanks(suggestion):
            cap = min(cap, PASSING_THANKS_CAP)
        if situation.parting and _only_greets(suggestion):
            cap = min(cap, GREETING_CAP)
        if situation.greeted and suggestion.score > GREETED_THANKS_CAP and _only_thanks(suggestion):
            cap = min(cap, GREETED_THANKS_CAP)
        if self._other_conversation(suggestion.entry_id, situation.earlier):
            cap = min(cap, CONTEXT_ONLY_CAP)
        if situation.order is not None and self._presupposed(suggestion.entry_id) not in (None, situation.order):
            cap = min(cap, OTHER_ORDER_STATE_CAP)
        kinds = self._stock_kinds(suggestion.entry_id)
        if situation.stock is None and kinds and not kinds <= {TurnKind.GREETING}:
            cap = min(cap, STOCK_ONLY_CAP)  # 好用吗 asks something: 好的's reply (0.52) is no answer
        if situation.gives_order and _ASKS_ORDER.search(suggestion.text):
            cap = min(cap, ORDER_GIVEN_CAP)
        if not (situation.gives_order or situation.holds_order) and self._for_card(suggestion.entry_id):
            cap = min(cap, ORDER_GIVEN_CAP)  # 收到，我马上帮您查 answers a number given, not 我的订单发货了吗
        if (
            not situation.refusal
            and suggestion.score >= UNSTATED_REFUSAL_CAP
            and self._for_refusal(suggestion.entry_id)
        ):
            cap = min(cap, UNSTATED_REFUSAL_CAP)
        return cap

    def _capped(self, suggestion: Suggestion, situation: Situation) -> Suggestion:
        """The suggestion scored within its situation's cap (`_cap`)."""
        cap = self._cap(suggestion, situation)
        return suggestion if suggestion.score <= cap else replace(suggestion, score=cap)

    def _stock_floored(self, suggestion: Suggestion, situation: Situation) -> Suggestion:
        """The suggestion at least `STOCK_FLOOR` sure when the message is a stock turn of a kind the
        entry is written for (`_stock_kinds`), before the situation's caps."""
        kind = situation.stock
        if kind is None or suggestion.score >= STOCK_FLOOR or kind not in self._stock_kinds(suggestion.entry_id):
            return suggestion
        return replace(suggestion, score=STOCK_FLOOR)

    def _stock_kinds(self, entry_id: str) -> frozenset[TurnKind]:
        """The stock kinds of turn entry `entry_id` is written for: those of its wordings when every
        one is a stock turn (好的, ok, 嗯嗯: acknowledgements), none otherwise."""
        if self._entry_stock_kinds is None:
            found: dict[str, frozenset[TurnKind]] = {}
            for entry in self.ranker.snapshot.entries:
                kinds = [turn_kind(q) for q in entry.questions]
                if kinds and None not in kinds:
                    found[entry.id] = frozenset(k for k in kinds if k is not None)
            self._entry_stock_kinds = found
        return self._entry_stock_kinds.get(entry_id, frozenset())

    def _threat_floored(self, pool: list[Suggestion], situation: Situation) -> list[Suggestion]:
        """The pool with the best of the shop's scripts for a threat (`_answers_threat`) at least
        `THREAT_FLOOR` sure, when the message threatens; only the best: flooring every script with a
        threatening wording made off-topic ones sure (再不退款我就投诉 for a late parcel, a second
        reading)."""
        if not situation.threatened:
            return pool
        fits = [s for s in pool if self._cap(s, situation) >= 1.0 and self._answers_threat(s)]
        if not fits:
            return pool
        script = max(fits, key=lambda s: s.score)  # the first of the best: the ranker's order
        if script.score >= THREAT_FLOOR:
            return pool
        return [replace(s, score=THREAT_FLOOR) if s is script else s for s in pool]

    def _answers_threat(self, suggestion: Suggestion) -> bool:
        """A written script (FAQ) matched through a wording that threatens by itself, for a message
        that threatens; not a past reply, which answered one customer's own case."""
        return suggestion.kind is SourceKind.FAQ and "complaint_risk" in self._shown_cues(suggestion.matched)

    def _presupposed(self, entry_id: str) -> OrderState | None:
        """The order state entry `entry_id` takes for granted (`order_state.presupposed_state`)."""
        if self._presupposed_states is None:
            self._presupposed_states = {
                e.id: state
                for e in self.ranker.snapshot.entries
                if (state := presupposed_state(e.questions, e.reply)) is not None
            }
        return self._presupposed_states.get(entry_id)

    def _for_card(self, entry_id: str) -> bool:
        """Entry `entry_id` answers an order number given and nothing else: each of its customer
        wordings, with a number after it, gives one (`TurnKind.ORDER_CARD`: 订单号发你了)."""
        if self._for_cards is None:
            entries = self.ranker.snapshot.entries
            self._for_cards = frozenset(
                e.id
                for e in entries
                if e.questions and all(turn_kind(f"{q} {_SOME_NUMBER}") is TurnKind.ORDER_CARD for q in e.questions)
            )
        return entry_id in self._for_cards

    def _for_refusal(self, entry_id: str) -> bool:
        """Entry `entry_id` answers a refused request: most of its customer wordings state one
        (`refusal.presupposes_refusal`: 退款被拒, 为啥驳回我的退款, 退货申请没通过)."""
        if self._refused is None:
            entries = self.ranker.snapshot.entries
            self._refused = frozenset(e.id for e in entries if presupposes_refusal(e.questions))
        return entry_id in self._refused

    def _other_conversation(self, entry_id: str, earlier: frozenset[str]) -> bool:
        """A past reply given after earlier turns of its conversation (its `context`) answers this
        message only in a conversation about the same thing: not as a first message, nor when the
        earlier turns share less than `CONTEXT_SHARED_MIN` of its context's character pairs
        (查到了，…少了一个枕套 after 已提交加急处理)."""
        if self._past_contexts is None:
            self._past_contexts = {
                e.id: turn_pairs(e.context)
                for e in self.ranker.snapshot.entries
                if e.kind is SourceKind.PAST_REPLY and e.context
            }
        theirs = self._past_contexts.get(entry_id)
        if not theirs:
            return False
        return sum(pair in earlier for pair in theirs) < CONTEXT_SHARED_MIN * len(theirs)

    def _upset(self, wording: str) -> bool:
        return bool(self._shown_cues(wording) & UPSET_CUES)

    def _shown_cues(self, wording: str) -> frozenset[str]:
        """The cues a wording of the knowledge shows by itself (medium or high), read once."""
        found = self._wording_cues.get(wording)
        if found is None:
            cues = self.detector.read(wording, ()).cues
            found = self._wording_cues[wording] = frozenset(c.name for c in cues if c.level in SHOWN)
        return found

    def suggest(self, request: SuggestRequest, embedder: Embedder) -> SuggestOutcome:
        """Encode with `embedder`, then rank: the synchronous path of the CLI and the evaluations."""
        return self.rank(request, embedder.encode_queries(self.query_texts(request)))


def _only_thanks(suggestion: Suggestion) -> bool:
    """A knowledge reply that thanks and does not apologise (a quick reply's `thanks` tag is its slot)."""
    tags = suggestion.tags
    return "thanks" in tags and "apology" not in tags and QUICK_REPLY_TAG not in tags


def _only_greets(suggestion: Suggestion) -> bool:
    """A knowledge reply that greets (or holds, 久等了…现在专门处理您的问题) and does not thank."""
    tags = suggestion.tags
    return "greeting" in tags and "thanks" not in tags and QUICK_REPLY_TAG not in tags


def sure_first(suggestions: Sequence[Suggestion], threshold: float) -> list[Suggestion]:
    """The ranked suggestions that reach `threshold` before those that do not, each group in its
    order; quick replies keep their places (their score is a share of replies, not a match).

    Within the sure ones, the ranker's order stands: putting one first when its confidence is more
    than 0.2 (or 0.3) above another's fixed 发票我从哪里可以收到 (0.30 before 0.59) and 没有货就帮我申请取消
    (0.41 before 0.63) but cost the demo wordings' top-1 0.889 → 0.867 (1米8的床四件套选哪个尺寸: a 0.95
    wrong answer moved above the 0.46 right one) and bq_faq R@1 0.175 → 0.174 (6 December 2026)."""
    places = [i for i, s in enumerate(suggestions) if QUICK_REPLY_TAG not in s.tags]
    ranked = [suggestions[i] for i in places]
    ordered = [s for s in ranked if s.score >= threshold] + [s for s in ranked if s.score < threshold]
    out = list(suggestions)
    for place, suggestion in zip(places, ordered, strict=True):
        out[place] = suggestion
    return out


def past_the_unlikely(suggestions: Sequence[Suggestion], threshold: float) -> list[Suggestion]:
    """Each sure ranked suggestion below the first places moved up to just before the first ranked
    one that is unlikely (under `UNLIKELY`), the rest keeping their order; quick replies keep their
    places. A 0.00 card above a 0.94 answer read as a bug to an agent (a user test, 7 December 2026:
    怎么退货 with 0.00 at places 2 and 3 above the 0.94 answer at place 4); the sure ones are not put
    above unsure ones that may be right (moving a sure answer up over any unsure one cost bq_faq
    R@3, see `SURE_WINDOW` and `UNLIKELY`)."""
    places = [i for i, s in enumerate(suggestions) if QUICK_REPLY_TAG not in s.tags]
    ranked = [suggestions[i] for i in places]
    for j, place in enumerate(places):
        if place < SURE_WINDOW or ranked[j].score < threshold:
            continue
        unlikely = next((i for i in range(j) if ranked[i].score < UNLIKELY), None)
        if unlikely is not None:
            ranked.insert(unlikely, ranked.pop(j))
    out = list(suggestions)
    for place, suggestion in zip(places, ranked, strict=True):
        out[place] = suggestion
    return out


def load_suggester(
    index_dir: Path, embedder: Embedder, detector: EmotionReader | None = None, threshold: float = DEFAULT_THRESHOLD
) -> Suggester:
    """The current snapshot of `index_dir` for `embedder`; `SnapshotError` says what is wrong."""
    snapshot = load_snapshot(index_dir, model=embedder.name, dimension=embedder.dim)
    return Suggester.from_snapshot(snapshot, detector, threshold)
