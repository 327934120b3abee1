"""Plain data passed between the retrieval core and its callers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.knowledge.model import SourceKind

Role = Literal["customer", "agent"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier turn of the conversation."""

    role: Role
    text: str


@dataclass(frozen=True, slots=True)
class SuggestRequest:
    """A customer message to suggest replies for, with the conversation so far (oldest first)."""

    text: str
    context: tuple[Turn, ...] = ()
    k: int = 5


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ranked reply suggestion."""

    entry_id: str
    text: str
    score: float
    kind: SourceKind
    tags: tuple[str, ...]
    matched: str
    origin: str
    order: float = 0.0
    """The ranker's order value (fused relevance blended with the confidence, nudged by the
    emotion reading); what the learning layer adds its priors to. Not shown."""
