"""A shop's cue thresholds from its agents' "cue wrong" marks (issue 11: per-shop, bounded).

The service records, per customer message, the cues the panel showed with their scores
(`AnswerRecord.cue_details`); agents mark some of them wrong (`FeedbackRecord(action="cue_wrong")`).
`shop_cue_offsets` turns a window of both into the shop setting `cue_thresholds` with the pure
`emotion.feedback.cue_offsets` (raise a cue's medium cut-off until at most one shown cue in ten
would have been marked wrong; at most +0.10 per update, never above +0.25, relaxed slowly). A mark
counts only on a cue that was shown for that message: a stray or forged mark on a calm message
moves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from assistant.emotion.feedback import ShownCue, cue_offsets
from assistant.emotion.types import CUE_NAMES, CueName
from assistant.storage.records import AnswerRecord, FeedbackRecord, ShopHistory

SETTING = "cue_thresholds"
"""The shop setting that holds the offsets ({cue: offset}), read by every replica."""
MARKS_SETTING = "cue_marks_seen"
"""The shop setting that holds `marks_seen` of the last update."""

SHOWN_LEVELS = frozenset({"medium", "high"})


def shown_cues(answers: Iterable[AnswerRecord]) -> list[ShownCue]:
    """The cues shown (medium or high) for each answered message, with their scores."""
    shown = []
    for answer in answers:
        for cue in answer.cue_details:
            name, level, score = cue.get("name"), cue.get("level"), cue.get("score")
            if name in CUE_NAMES and level in SHOWN_LEVELS and isinstance(score, int | float):
                shown.append(ShownCue(answer.message_id, name, float(score)))
    return shown


def counted_marks(history: ShopHistory) -> tuple[list[ShownCue], list[FeedbackRecord]]:
    """The cues shown in `history` and the cue-wrong marks that count: those on a shown cue."""
    shown = shown_cues(history.answers)
    keys = {(s.message_id, s.cue) for s in shown}
    return shown, [m for m in history.feedback if m.action == "cue_wrong" and (m.message_id, m.cue) in keys]


def _seen(marks: Iterable[FeedbackRecord]) -> str:
    counted = list(marks)
    latest = max(((m.at, m.id) for m in counted), default=("", ""))
    return f"{len(counted)}|{latest[0]}|{latest[1]}"


def marks_seen(history: ShopHistory) -> str:
    """A mark of the cue-wrong marks that count in `history` (their number and the latest): an
    update steps only when it changes, so refreshes and replicas reading the same marks step once."""
    return _seen(counted_marks(history)[1])


def shop_cue_offsets(
    history: ShopHistory, current: Mapping[str, float] | Mapping[CueName, float] | None = None
) -> dict[CueName, float]:
    """The shop's new `cue_thresholds` from its records (`current`: the setting now)."""
    shown, marks = counted_marks(history)
    return cue_offsets(shown, marks, current)


def cue_update(
    history: ShopHistory, current: Mapping[CueName, float], seen_before: object
) -> tuple[dict[CueName, float], str] | None:
    """The new offsets and `marks_seen` in one pass over `history`, or None when these marks
    moved the offsets already (`seen_before`: the `marks_seen` of the last update)."""
    shown, marks = counted_marks(history)
    seen = _seen(marks)
    return None if seen == seen_before else (cue_offsets(shown, marks, current), seen)
