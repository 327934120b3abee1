"""Per-shop cue thresholds learned from agents' "cue wrong" marks: bounded, slow to move, effective."""

from __future__ import annotations

import statistics

import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.feedback import MAX_RAISE, ShownCue, cue_offsets
from assistant.emotion.thresholds import MAX_OFFSET, CueThresholds, valid_offsets
from assistant.evaluation.cue_feedback import SimulatedCue, over_eager, simulate, well_calibrated
from assistant.storage.records import FeedbackRecord


def mark(message_id: str, cue: str, score: float) -> FeedbackRecord:
    return FeedbackRecord(f"f-{message_id}", "shop", "conv", message_id, "cue_wrong", "v1", cue=cue, score=score)


def shown_stream(n: int, wrong_below: float) -> tuple[list[ShownCue], list[FeedbackRecord]]:
    """`n` anger cues at scores spread over [0.45, 1); every one under `wrong_below` marked wrong."""
    shown = [ShownCue(f"m{i}", "anger", 0.45 + 0.55 * i / n) for i in range(n)]
    marks = [mark(s.message_id, "anger", s.score) for s in shown if s.score < wrong_below]
    return shown, marks


def test_two_stray_marks_change_nothing() -> None:
    shown, marks = shown_stream(50, wrong_below=0.0)
    marks = [mark("m1", "anger", 0.46), mark("m2", "anger", 0.47)]
    assert cue_offsets(shown, marks) == {}


def test_marks_at_low_scores_raise_that_cue_only_and_stay_bounded() -> None:
    shown, marks = shown_stream(100, wrong_below=0.6)
    first = cue_offsets(shown, marks)
    assert set(first) == {"anger"}
    assert 0 < first["anger"] <= MAX_RAISE  # one update moves at most MAX_RAISE
    settled: dict[str, float] = {}
    for _ in range(10):
        settled = dict(cue_offsets(shown, marks, settled))
    assert 0.1 <= settled["anger"] <= MAX_OFFSET
    # where it settled, at most one shown cue in ten is marked wrong
    cut = CueThresholds().medium("anger") + settled["anger"]
    above = [s for s in shown if s.score >= cut]
    wrong = {m.message_id for m in marks}
    assert sum(s.message_id in wrong for s in above) <= 0.1 * len(above)


def test_offsets_relax_slowly_once_marks_stop() -> None:
    shown, _ = shown_stream(100, wrong_below=0.0)
    relaxed = cue_offsets(shown, [], {"anger": 0.2})
    assert 0.17 <= relaxed["anger"] < 0.2


def test_shop_setting_is_cleaned_and_bounded() -> None:
    assert valid_offsets({"anger": 0.9, "joy": 0.1, "anxiety": "x", "confusion": -1, "hesitation": True}) == {
        "anger": MAX_OFFSET,
        "confusion": 0.0,
    }
    assert valid_offsets(["anger"]) == {}


def test_detector_applies_a_shop_offset() -> None:
    detector = EmotionDetector()
    text = "无语，怎么又这样"
    plain = detector.read(text)
    assert [c.name for c in plain.shown()] == ["anger"]
    shop = CueThresholds.for_shop({"anger": MAX_OFFSET})
    assert plain.score("anger") < shop.medium("anger")  # shown at the shipped cut-off, not at the shop's
    reticent = detector.read(text, thresholds=shop)
    assert reticent.score("anger") == plain.score("anger")
    assert [c.level for c in reticent.cues if c.name == "anger"] == ["low"]
    assert reticent.shown() == ()
    assert not reticent.escalate


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_simulated_stream_brings_an_over_eager_cue_to_precision(seed: int) -> None:
    blocks = simulate([SimulatedCue("anger", over_eager), SimulatedCue("satisfaction", well_calibrated)], seed=seed)
    before = blocks[0].precision("anger")
    late = [b for b in blocks if b.start >= 1000]
    after = sum(b.right.get("anger", 0) for b in late) / sum(b.shown.get("anger", 0) for b in late)
    assert before is not None and before < 0.75
    assert after >= 0.78
    assert all(b.offsets.get("satisfaction", 0.0) == 0.0 for b in blocks)  # a calibrated cue is left alone
    assert all(0.0 <= b.offsets.get("anger", 0.0) <= MAX_OFFSET for b in blocks)
    assert statistics.mean(b.shown.get("anger", 0) for b in late) > 0  # still shown, not silenced
