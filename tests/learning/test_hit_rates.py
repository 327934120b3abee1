"""Marginal match rates per slot and place: fitted from the replay's observations or from the
reply outcomes the service stored, and what the learning layer does with them."""

from __future__ import annotations

from assistant.learning.hit_rates import ANY_SLOT, Observation, fit_slot_rates, marginal
from assistant.learning.shop_learning import learn_shop, outcome_observations
from assistant.storage.records import MessageRecord, OutcomeRecord, ShopHistory, SuggestionRecord


def test_a_later_match_after_an_earlier_one_adds_nothing() -> None:
    assert marginal([False, True, True]) == [False, True, False]
    assert marginal([True, True, False]) == [True, False, False]
    assert marginal([]) == []


def test_rates_per_place_and_slot_with_a_fallback_for_thin_slots() -> None:
    seen = [Observation("substantive", 0, 0.95, i % 2 == 0) for i in range(60)]
    seen += [Observation("substantive", 1, 0.95, False) for _ in range(60)]
    seen += [Observation("thanks", 0, 0.95, True) for _ in range(5)]  # too few for a slot of its own
    rates = fit_slot_rates(seen)
    assert rates is not None
    first, second = rates.rate("substantive", 0, 0.95), rates.rate("substantive", 1, 0.95)
    assert 0.4 < first < 0.6 and second < 0.1
    assert rates.rate("substantive", 5, 0.95) == second  # places past the last fitted one: as the last
    assert "thanks" not in rates.by_slot and rates.rate("thanks", 0, 0.95) == rates.rate(ANY_SLOT, 0, 0.95)
    assert rates.rate("substantive", 0, 0.1) <= first  # non-decreasing in relevance
    assert rates.observations == 125
    assert fit_slot_rates(seen[:10]) is None  # too little evidence: no rates at all


def test_a_place_seen_a_few_times_promises_what_the_places_around_it_say() -> None:
    # place 0 over every slot matches one time in ten; the second place was shown once, and matched
    seen = [Observation("substantive", 0, 0.95, i % 10 == 0) for i in range(100)]
    seen.append(Observation("substantive", 1, 0.95, True))
    seen += [Observation("greeting", 0, 0.95, i % 10 == 0) for i in range(60)]
    seen += [Observation("greeting", 1, 0.95, True) for _ in range(2)]
    rates = fit_slot_rates(seen)
    assert rates is not None
    first = rates.rate(ANY_SLOT, 0, 0.95)
    assert 0.08 < first < 0.15
    # one or two lucky matches move the place a little, not to a coin toss
    assert rates.rate(ANY_SLOT, 1, 0.95) < 0.35  # three of three: was 0.83
    assert rates.rate("substantive", 1, 0.95) < 0.35  # one of one: was 0.67
    assert rates.rate("greeting", 1, 0.95) < 0.4  # two of two: was 0.77
    # a place never shown takes the place above's rate, not nothing and not more
    assert rates.rate(ANY_SLOT, 2, 0.95) == rates.rate(ANY_SLOT, 1, 0.95)
    # with plenty of evidence a slot's place says what it saw, whatever the other slots saw
    many = seen + [Observation("thanks", 1, 0.9, i % 2 == 0) for i in range(400)]
    many += [Observation("thanks", 0, 0.9, False) for _ in range(400)]
    fitted = fit_slot_rates(many)
    assert fitted is not None and 0.4 < fitted.rate("thanks", 1, 0.9) < 0.6


def _message(conversation: str, message_id: str, role: str, text: str) -> MessageRecord:
    return MessageRecord(
        "generic", "s", conversation, message_id, role, text, "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"
    )


def test_the_service_fits_rates_from_its_stored_outcomes() -> None:
    messages, outcomes = [], []
    for n in range(30):
        c = f"c{n}"
        messages += [_message(c, "m1", "customer", "在吗"), _message(c, "m2", "agent", "在的亲")]
        messages += [_message(c, "m3", "customer", "被子多重"), _message(c, "m4", "agent", "两公斤哦")]
        shown = (
            {"entry_id": "quick-1", "rank": 0, "score": 0.3, "similarity": 0.0},  # quick replies are not observed
            {"entry_id": "e1", "rank": 1, "score": 0.9, "similarity": 0.8 if n % 3 == 0 else 0.1},
            {"entry_id": "e2", "rank": 2, "score": 0.8, "similarity": 0.6},
        )
        outcomes.append(
            OutcomeRecord("generic", "s", c, "m4", "m3", "used", "e1", 0.8, "a", shown, "2026-12-01T10:00:01Z")
        )
    # an outcome whose customer message is not in the history is left out
    outcomes.append(OutcomeRecord("generic", "s", "gone", "x", "y", "used", "e1", 0.8, "a", (), "2026-12-01T10:00:01Z"))
    history = ShopHistory(messages=messages, outcomes=outcomes)
    seen = outcome_observations(history)
    assert len(seen) == 60 and {o.slot for o in seen} == {"substantive"}
    assert [o.place for o in seen[:2]] == [0, 1]
    assert sum(o.matched for o in seen if o.place == 0) == 10
    assert sum(o.matched for o in seen if o.place == 1) == 20  # only where the first did not match
    learning = learn_shop("s", history)
    assert learning is not None and learning.rates is not None
    assert learning.rates.rate("substantive", 1, 0.8) > learning.rates.rate("substantive", 0, 0.9) > 0.2


def test_the_service_learns_from_outcomes_settled_in_time_order_not_as_stored_on_arrival() -> None:
    """A reply that raced the suggestions of the message it answers was stored on arrival as
    passing over the earlier message's (e1); in time order it answers 被子多重, whose suggestion e2
    it used: the priors learn a use of e2, not a dismissal of e1."""

    def at(second: int) -> str:
        return f"2026-12-01T10:00:{second:02d}.000+00:00"

    def said(message_id: str, role: str, text: str, second: int) -> MessageRecord:
        return MessageRecord("generic", "s", "c1", message_id, role, text, at(second), at(second))

    messages = [
        said("m1", "customer", "在吗", 0),
        said("m3", "customer", "被子多重", 2),
        said("m4", "agent", "两公斤哦亲", 3),
    ]
    suggestions = [
        SuggestionRecord("generic", "s", "c1", "m1", 1, "e1", 0.9, "faq", "v1", at(0), "在的亲，请问有什么可以帮您"),
        SuggestionRecord("generic", "s", "c1", "m3", 1, "e2", 0.9, "faq", "v1", at(4), "两公斤哦亲"),
    ]
    raced = OutcomeRecord(
        "generic", "s", "c1", "m4", "m1", "not_used", "", 0.1, "a",
        ({"entry_id": "e1", "rank": 1, "score": 0.9, "similarity": 0.1},), at(3),
    )  # fmt: skip
    learning = learn_shop("s", ShopHistory(messages=messages, suggestions=suggestions, outcomes=[raced]))
    assert learning is not None and learning.priors is not None
    evidence = learning.priors.evidence
    assert evidence["e2"].uses == 1.0 and "e1" not in evidence
