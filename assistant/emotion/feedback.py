"""A shop's "cue wrong" marks → bounded per-cue threshold offsets (the shop setting `cue_thresholds`).

Agents can mark a cue the panel showed as wrong (`FeedbackRecord(action="cue_wrong", cue=...)`).
`cue_offsets` is a pure function of what was shown in a recent window and which of those cues
were marked: for each cue it finds the smallest raise of the medium cut-off under which at most
`TARGET_WRONG` of the shown cues would have been marked wrong (a Beta prior keeps a few clicks from
moving anything), then moves the current offset towards it: up by at most `MAX_RAISE` per update,
down by at most `MAX_RELAX` and only once the marks are clearly rare (under half the target).
Offsets stay within [0, MAX_OFFSET]: feedback can only make a cue more reticent, never louder
than the shipped thresholds.

Where the shown cues come from: the panel (or the service) records, per customer message, the
cues it displayed with their scores; `cue_offsets` needs that window and the shop's marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistant.emotion.thresholds import DEFAULT_THRESHOLDS, MAX_OFFSET, CueThresholds, bounded, valid_offsets
from assistant.emotion.types import CUE_NAMES, CueName
from assistant.storage.records import FeedbackRecord

TARGET_WRONG = 0.1
"""Aim: at most one shown cue in ten marked wrong. Agents mark only some of the wrong cues they
see (about half, in the panel's pilot assumption), so this is roughly precision ≥ 0.8."""
PRIOR_SHOWN = 10.0
PRIOR_WRONG = 0.5
"""As if 10 shown cues with half a wrong mark had been seen before: stray clicks change nothing."""
MIN_MARKS = 3
STEP = 0.01
MAX_RAISE = 0.1
MAX_RELAX = 0.02


@dataclass(frozen=True, slots=True)
class ShownCue:
    """One cue the panel showed (at medium or high): which message, which cue, its score."""

    message_id: str
    cue: CueName
    score: float


def _wrong_rate(events: list[tuple[float, bool]], cut: float) -> float:
    above = [wrong for score, wrong in events if score >= cut]
    return (sum(above) + PRIOR_WRONG) / (len(above) + PRIOR_SHOWN)


def _target_offset(events: list[tuple[float, bool]], base: float) -> float:
    """Smallest offset (grid `STEP`) at which the prior-smoothed wrong rate is at most the target."""
    steps = round(MAX_OFFSET / STEP)
    for k in range(steps + 1):
        offset = k * STEP
        if _wrong_rate(events, base + offset) <= TARGET_WRONG:
            return round(offset, 4)
    return MAX_OFFSET


def cue_offsets(
    shown: Iterable[ShownCue],
    marks: Iterable[FeedbackRecord],
    current: Mapping[str, float] | Mapping[CueName, float] | None = None,
    thresholds: CueThresholds = DEFAULT_THRESHOLDS,
) -> dict[CueName, float]:
    """New `cue_thresholds` for one shop from a window of shown cues and the agents' marks.

    `thresholds` gives the shipped cut-offs (without the shop's offsets); `current` is the
    shop's present setting. A mark without a matching shown cue counts as shown at its score.
    """
    now = valid_offsets(current or {})
    wrong = {(m.message_id, m.cue): m.score for m in marks if m.action == "cue_wrong" and m.cue in CUE_NAMES}
    events: dict[CueName, list[tuple[float, bool]]] = {cue: [] for cue in CUE_NAMES}
    seen: set[tuple[str, CueName]] = set()
    for item in shown:
        key = (item.message_id, item.cue)
        if key in seen:
            continue
        seen.add(key)
        events[item.cue].append((item.score, key in wrong))
    for (message_id, cue), score in wrong.items():
        if (message_id, cue) not in seen:
            events[cue].append((score, True))
    offsets: dict[CueName, float] = {}
    for cue in CUE_NAMES:
        present = now.get(cue, 0.0)
        marked = sum(1 for _, is_wrong in events[cue] if is_wrong)
        base = thresholds.medium(cue)
        target = _target_offset(events[cue], base) if marked >= MIN_MARKS else 0.0
        if target > present:
            moved = min(target, present + MAX_RAISE)
        elif _wrong_rate(events[cue], base + present) < TARGET_WRONG / 2:
            moved = max(target, present - MAX_RELAX)  # clearly fine now: relax slowly
        else:
            moved = present
        offset = bounded(round(moved, 4))
        if offset > 0:
            offsets[cue] = offset
    return offsets
