"""Measuring Huashu on public data: retrieval (BEIR, ECD) and emotion cues."""
