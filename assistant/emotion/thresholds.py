"""Per-cue level thresholds: where a cue's score becomes `medium` (shown in the panel) and `high`.

Every cue is reported (as `low`) from `DETECTION_THRESHOLD`; the panel and the escalation banner
use only `medium` and `high`. The medium and high cut-offs are the shared 0.45 / 0.7 moved by a
per-cue shift (`BASE_SHIFTS`, chosen for precision on the first fold of the JDDC development set;
docs/emotion.md) and by a shop's learned offset (`cue_thresholds`, see `feedback.py`), bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from assistant.emotion.types import CUE_NAMES, CueName, Level

DETECTION_THRESHOLD = 0.3
MEDIUM = 0.45
HIGH = 0.7
MIN_OFFSET = 0.0
MAX_OFFSET = 0.25
"""A shop's offset only ever raises a cut-off (agents can mark a shown cue wrong, not a missing one)."""
TOP = 0.97

BASE_SHIFTS: Mapping[CueName, float] = MappingProxyType(
    {
        "anger": 0.0,
        "anxiety": 0.05,
        "disappointment": 0.15,
        "complaint_risk": 0.0,
        "confusion": 0.1,
        "hesitation": 0.0,
        "satisfaction": 0.1,
    }
)


def bounded(offset: float) -> float:
    return max(MIN_OFFSET, min(MAX_OFFSET, float(offset)))


def valid_offsets(value: object) -> dict[CueName, float]:
    """A shop's `cue_thresholds` setting, cleaned: known cues, numbers, bounded; anything else dropped."""
    if not isinstance(value, Mapping):
        return {}
    out: dict[CueName, float] = {}
    for cue in CUE_NAMES:
        raw = value.get(cue)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            out[cue] = bounded(raw)
    return out


@dataclass(frozen=True, slots=True)
class CueThresholds:
    """Medium and high cut-offs per cue: base shift plus a shop's bounded offset."""

    offsets: Mapping[CueName, float] = field(default_factory=dict)

    @classmethod
    def for_shop(cls, cue_thresholds: object = None) -> CueThresholds:
        return cls(valid_offsets(cue_thresholds))

    def medium(self, cue: CueName) -> float:
        return min(MEDIUM + BASE_SHIFTS.get(cue, 0.0) + self.offsets.get(cue, 0.0), TOP)

    def high(self, cue: CueName) -> float:
        """The shop's offset raises the medium cut-off only: agents' marks on weak cues quiet them,
        never a clearly angry message's high level and its escalation (a review: 气死我了 lost it)."""
        medium = self.medium(cue)
        above = 0.0 if self.offsets.get(cue, 0.0) > 0 else 0.1  # a raised medium may meet the high cut-off
        return min(max(HIGH + BASE_SHIFTS.get(cue, 0.0), medium + above), TOP + 0.02)

    def level(self, cue: CueName, score: float) -> Level:
        if score >= self.high(cue):
            return "high"
        return "medium" if score >= self.medium(cue) else "low"


DEFAULT_THRESHOLDS = CueThresholds()
