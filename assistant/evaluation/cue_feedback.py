"""A simulated shop stream for the "cue wrong" feedback loop (`assistant.emotion.feedback`).

Each message gives every simulated cue a score; the panel shows it from the cue's medium cut-off
(plus the shop's offset). Whether a shown cue is right depends on its score through the cue's
`right_at(score)` curve (an over-eager cue is right only at high scores); agents mark a wrong cue
with probability `mark_rate`, and now and then mark a right one by mistake. Every `update_every`
messages the offsets are recomputed from the last `window` messages. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from assistant.emotion.feedback import ShownCue, cue_offsets
from assistant.emotion.thresholds import DEFAULT_THRESHOLDS, valid_offsets
from assistant.emotion.types import CueName
from assistant.storage.records import FeedbackRecord


@dataclass(frozen=True, slots=True)
class SimulatedCue:
    name: CueName
    right_at: Callable[[float], float]
    """Probability that a cue shown at this score is right."""
    rate: float = 0.3
    """Share of messages that give this cue a score at or above the shipped medium cut-off."""


@dataclass(slots=True)
class Block:
    """What happened over `update_every` messages: offsets in force, cues shown, how many right."""

    start: int
    offsets: dict[CueName, float]
    shown: dict[CueName, int] = field(default_factory=dict)
    right: dict[CueName, int] = field(default_factory=dict)
    marked: dict[CueName, int] = field(default_factory=dict)

    def precision(self, cue: CueName) -> float | None:
        n = self.shown.get(cue, 0)
        return self.right.get(cue, 0) / n if n else None


def simulate(
    cues: list[SimulatedCue],
    *,
    messages: int = 3000,
    update_every: int = 200,
    window: int = 600,
    mark_rate: float = 0.5,
    false_mark_rate: float = 0.01,
    seed: int = 7,
    start: Mapping[str, float] | None = None,
) -> list[Block]:
    rng = random.Random(seed)
    offsets: dict[CueName, float] = valid_offsets(start or {})
    history: list[tuple[int, ShownCue, bool]] = []
    blocks: list[Block] = []
    block = Block(0, dict(offsets))
    for n in range(messages):
        if n and n % update_every == 0:
            recent = [(i, s, m) for i, s, m in history if i >= n - window]
            marks = [
                FeedbackRecord(f"f{i}", "sim", "c", s.message_id, "cue_wrong", "v", cue=s.cue, score=s.score)
                for i, s, marked in recent
                if marked
            ]
            offsets = cue_offsets([s for _, s, _ in recent], marks, offsets)
            blocks.append(block)
            block = Block(n, dict(offsets))
        for cue in cues:
            if rng.random() >= cue.rate:
                continue
            base = DEFAULT_THRESHOLDS.medium(cue.name)
            score = base + (1.0 - base) * rng.random()
            if score < base + offsets.get(cue.name, 0.0):
                continue
            right = rng.random() < cue.right_at(score)
            marked = rng.random() < (false_mark_rate if right else mark_rate)
            history.append((n, ShownCue(f"m{n}", cue.name, round(score, 4)), marked))
            block.shown[cue.name] = block.shown.get(cue.name, 0) + 1
            block.right[cue.name] = block.right.get(cue.name, 0) + int(right)
            block.marked[cue.name] = block.marked.get(cue.name, 0) + int(marked)
    blocks.append(block)
    return blocks


def over_eager(score: float) -> float:
    """A cue this shop's customers trigger too easily: right only at high scores (~70 % overall)."""
    return max(0.0, min(1.0, (score - 0.3) * 1.6))


def well_calibrated(score: float) -> float:
    return 0.92
