"""Emotion cues an agent can act on: detection, evidence, tips, escalation and ranking bias."""
