"""The shape of an emotion reading, shared by the detector, the ranker and the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CueName = Literal[
    "anger",
    "anxiety",
    "disappointment",
    "complaint_risk",
    "confusion",
    "hesitation",
    "satisfaction",
]
CUE_NAMES: tuple[CueName, ...] = (
    "anger",
    "anxiety",
    "disappointment",
    "complaint_risk",
    "confusion",
    "hesitation",
    "satisfaction",
)
Level = Literal["low", "medium", "high"]
LEVEL_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class Evidence:
    """A character span of the customer's message (`text[start:end]`) that triggered a cue."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Cue:
    """One detected emotion cue with its strength, evidence and a one-line tip for the agent."""

    name: CueName
    score: float
    level: Level
    evidence: tuple[Evidence, ...]
    tip: str


@dataclass(frozen=True, slots=True)
class EmotionReading:
    """Every cue detected in one customer message (with its conversation as context)."""

    cues: tuple[Cue, ...] = ()
    escalate: bool = False
    escalation_reasons: tuple[str, ...] = ()

    def score(self, name: CueName) -> float:
        """The cue's score, 0.0 when it was not detected."""
        return next((cue.score for cue in self.cues if cue.name == name), 0.0)

    def shown(self, min_level: Level = "medium") -> tuple[Cue, ...]:
        """The cues at `min_level` or above: what the panel shows (medium and high by default)."""
        floor = LEVEL_ORDER[min_level]
        return tuple(cue for cue in self.cues if LEVEL_ORDER[cue.level] >= floor)


NO_EMOTION = EmotionReading()
