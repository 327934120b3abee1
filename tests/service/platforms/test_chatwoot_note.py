"""The Chatwoot note shows what the panel shows: cues at medium or high, never a low one."""

from __future__ import annotations

from assistant.emotion.detector import EmotionDetector
from assistant.service.platforms.chatwoot.note import NOTE_MARK, format_note


def test_note_leaves_out_low_cues_and_keeps_shown_ones() -> None:
    detector = EmotionDetector()
    ritual = detector.read("好的谢谢")
    assert [c.level for c in ritual.cues] == ["low"]
    note = format_note([], ritual)
    assert note.startswith(NOTE_MARK) and "satisfaction" not in note and "⚠" not in note

    furious = detector.read("气死我了，什么态度！！！我要投诉")
    shown = furious.shown()
    assert shown and furious.escalate
    note = format_note([], furious)
    for cue in shown:
        assert f"⚠ {cue.name}（{cue.level}）" in note
    assert "建议升级处理" in note
