"""The private note an agent reads in Chatwoot: cues first (they change the tone), then
numbered replies. It starts with `NOTE_MARK`, so its own `message_created` echo is recognised."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.emotion.types import EmotionReading
from assistant.retrieval.types import Suggestion

NOTE_MARK = "【话术建议】"


def format_note(suggestions: Sequence[Suggestion], reading: EmotionReading) -> str:
    """The note's text: only cues at medium or high, like the panel (a low cue is not worth a glance)."""
    lines = [NOTE_MARK]
    for cue in reading.shown():
        lines.append(f"⚠ {cue.name}（{cue.level}）：{cue.tip}")
    if reading.escalate:
        lines.append("⚠ 建议升级处理：" + "；".join(reading.escalation_reasons))
    for i, s in enumerate(suggestions, start=1):
        lines.append(f"{i}. {s.text}  [{s.kind}·{s.score:.2f}]")
    if not suggestions:
        lines.append("（没有合适的建议）")
    return "\n".join(lines)
