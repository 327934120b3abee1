"""`EmotionDetector`: the cues of one customer message, read with its conversation as context.

Loading happens in the constructor (lexicon, OpenCC table, optional embedding prototypes); `read`
is pure computation, a fraction of a millisecond for a chat message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.emotion.context import (
    EarlierTurn,
    assess_context,
    escalation,
    waiting_spans,
    weight_to_score,
)
from assistant.emotion.lexicon import Lexicon
from assistant.emotion.normalise import TextNormaliser
from assistant.emotion.prototypes import PrototypeSet
from assistant.emotion.scoring import MessageScorer, MessageSignals
from assistant.emotion.thresholds import DEFAULT_THRESHOLDS, DETECTION_THRESHOLD, MEDIUM, CueThresholds
from assistant.emotion.types import CUE_NAMES, Cue, CueName, EmotionReading, Evidence, Level
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.types import Turn

MAX_EVIDENCE = 6
WEAK_CEILING = MEDIUM - 0.01
"""A cue whose only evidence is weak signs (a ritual 谢谢, a fault report, a status 还没到) stays low."""
__all__ = ["DETECTION_THRESHOLD", "CueThresholds", "EmotionDetector"]


def _merged(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


PRESSING: tuple[CueName, ...] = ("anger", "complaint_risk", "anxiety", "disappointment", "confusion")


def _pressing_spans(signals: MessageSignals) -> list[tuple[int, int]]:
    """The spans of this message's own negative or pressing words (weak ones too): what carries anger on."""
    return [span for cue in PRESSING for span in signals.spans.get(cue, [])]


SARCASM_FACTOR = 0.8
"""Praise read as sarcasm counts for anger at this share of its weight (as in `MessageScorer`)."""


IRONY_WEIGHT = 1.1
"""Ironic praise (可真快啊, 真是好服务呢) in a message that also states a wait or a fault: anger, as
the lexicon's 1.1 words (敷衍, 呵呵)."""


def _praise_as_sarcasm(signals: MessageSignals) -> None:
    """Move the message's satisfaction (weight and spans) to anger: ironic praise after anger."""
    weight = signals.weights.pop("satisfaction", 0.0)
    spans = signals.spans.pop("satisfaction", [])
    signals.strong.discard("satisfaction")
    for start, end in spans:
        signals.add("anger", SARCASM_FACTOR * weight / len(spans), start, end)
    if spans:
        signals.codes.add("sarcasm")


_ACCEPTING = re.compile(
    r"^\s*(?:行吧|好吧|那好吧|那行吧|那行|那好|行|好的|好|嗯+|可以|ok)(?:[，,。.！!~～ ]|$)", re.IGNORECASE
)
"""A message that opens by accepting what the agent said: anger is not carried into it."""


HURRY = ("快点", "尽快", "赶紧", "快些", "赶快")
"""Asking to hurry: a polite 麻烦尽快 is a weak sign by itself (lexicon.yaml's weak list)."""


def _worried_before(earlier: Sequence[EarlierTurn]) -> bool:
    """Whether an earlier customer turn showed strong worry (a stated wait, a deadline)."""
    return any(t.signals is not None and "anxiety" in t.signals.strong for t in earlier)


class EmotionDetector:
    """Reads emotion cues from customer messages; see docs/emotion.md for how they are computed."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        lexicon_path: Path | None = None,
        context_turns: int = 6,
        threshold: float = DETECTION_THRESHOLD,
    ) -> None:
        self._lexicon = Lexicon.load(lexicon_path)
        self._normalise = TextNormaliser()
        self._scorer = MessageScorer(self._lexicon)
        self._prototypes = PrototypeSet.build(embedder) if embedder is not None else None
        self._context_turns = context_turns
        self._threshold = threshold

    @property
    def uses_prototypes(self) -> bool:
        return self._prototypes is not None

    def read(
        self,
        text: str,
        context: Sequence[Turn] = (),
        query_vector: npt.NDArray[np.float32] | None = None,
        *,
        thresholds: CueThresholds = DEFAULT_THRESHOLDS,
    ) -> EmotionReading:
        """The cues of `text` (a customer message); `context` is the earlier turns, oldest first.

        `query_vector` is the message's `encode_queries` vector from the same embedder the
        detector was built with; without it (or without an embedder) only the lexicon is used.
        `thresholds` places the medium/high cut-offs (a shop's `CueThresholds.for_shop(...)`).
        """
        norm = self._normalise(text)
        signals = self._scorer.score(norm)
        earlier = [
            EarlierTurn(t.role, n, self._scorer.score(n) if t.role == "customer" else None)
            for t in context[-self._context_turns :]
            for n in (self._normalise(t.text),)
        ]
        effect = assess_context(norm, signals, earlier)
        if "anxiety" in signals.weights and any(word in norm for word in HURRY) and _worried_before(earlier):
            # 好的 那麻烦快点 after 都三天了还没发货: a polite hurry is low alone, pressing after a stated wait
            signals.strong.add("anxiety")
        irony = next((found for r in self._lexicon.irony if (found := r.search(norm))), None)
        angry_before = effect.carried.get("anger", 0.0) >= self._threshold
        if irony is not None and angry_before:
            _praise_as_sarcasm(signals)  # 真是好服务呢，谢谢你们哦 right after an angry turn
        elif "admiration" in signals.codes and (angry_before or _worried_before(earlier)):
            _praise_as_sarcasm(signals)  # 质量太好了，我服了 after 都五天了还没到: mockery, not awe
        elif irony is not None and "anxiety" in signals.weights:
            # 你们发货可真快啊，等了五天还没到: ironic praise beside a wait or a fault mocks
            _praise_as_sarcasm(signals)
            signals.add("anger", IRONY_WEIGHT, irony.start(), irony.end())
            signals.codes.add("sarcasm")
        whole = (0, len(text))
        for cue, weight in effect.extra.items():
            signals.add(cue, weight, *whole, weak=cue not in effect.strong)
        if self._prototypes is not None and query_vector is not None and text.strip():
            for cue, weight in self._prototypes.weights(query_vector).items():
                signals.add(cue, weight, *whole)
        scores = {cue: weight_to_score(w) for cue, w in signals.weights.items()}
        self._carry(norm, scores, signals, effect.carried, effect.codes)
        for cue, score in scores.items():
            if cue not in signals.strong or not signals.spans.get(cue):
                scores[cue] = min(score, WEAK_CEILING)  # a shown cue has evidence to point at
        levels = {
            name: thresholds.level(name, scores[name]) for name in CUE_NAMES if scores.get(name, 0.0) >= self._threshold
        }
        escalate, reasons = escalation(scores, levels, effect)
        cues = tuple(self._cue(name, scores[name], level, signals, text) for name, level in levels.items())
        return EmotionReading(cues=cues, escalate=escalate, escalation_reasons=reasons)

    def message_scores(self, text: str) -> dict[CueName, float]:
        """Per-cue scores of one message on its own (lexicon only): for evaluations."""
        signals = self._scorer.score(self._normalise(text))
        return {cue: weight_to_score(w) for cue, w in signals.weights.items()}

    @staticmethod
    def _carry(
        text: str,
        scores: dict[CueName, float],
        signals: MessageSignals,
        carried: dict[CueName, float],
        codes: list[str],
    ) -> None:
        if scores.get("satisfaction", 0.0) >= MEDIUM:
            return
        for cue, floor in carried.items():
            if floor < DETECTION_THRESHOLD:
                continue
            own = scores.get(cue, 0.0)
            if own <= 0:
                # A feeling carried over must point at words of this message (我要投诉 after an
                # angry turn showed anger with no evidence): for worry, the words still about the
                # wait (今天需要发货的 after 急需); for anger, this message's own pressing words
                # (快点处理, 投诉). A neutral follow-up carries nothing new (the guidelines): low.
                carriers = waiting_spans(text) if cue == "anxiety" else _pressing_spans(signals)
                if cue in ("anger", "complaint_risk") and _ACCEPTING.match(text):
                    # 行吧，那你尽快 / 好的 那麻烦快点 谢谢 after an outburst and the agent's promise:
                    # the customer is calming down (a user test: the banner stayed up)
                    scores[cue] = min(floor, WEAK_CEILING)
                    signals.spans.setdefault(cue, [])
                    continue
                scores[cue] = floor
                signals.spans.setdefault(cue, []).extend(carriers)
            else:
                scores[cue] = weight_to_score(signals.weights[cue] - 0.5 * math.log(1.0 - floor))
            signals.strong.add(cue)  # carried from an earlier turn's strong evidence
            if cue != "anxiety" and "carried_anger" not in codes:
                codes.append("carried_anger")

    def _cue(self, name: CueName, score: float, level: Level, signals: MessageSignals, text: str) -> Cue:
        whole = (0, len(text))
        raw = signals.spans.get(name, [])
        specific = [span for span in raw if span != whole]
        spans = _merged(specific) if specific else ([whole] if raw and text else [])
        evidence = tuple(Evidence(s, e, text[s:e]) for s, e in spans[:MAX_EVIDENCE])
        return Cue(name, score, level, evidence, self._lexicon.tips[name][level])
