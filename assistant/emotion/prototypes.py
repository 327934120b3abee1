"""Optional embedding prototypes: authored example messages per cue, embedded once.

A message's query vector is compared with every prototype; the mean of the best three
similarities per cue (and for the neutral examples) goes through a softmax with the embedder's
contrastive temperature, and a cue's probability becomes extra weight for that cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt
import yaml

from assistant.emotion.types import CUE_NAMES, CueName
from assistant.retrieval.embedders import Embedder

TEMPERATURE = 0.02
BLEND = 1.0
TOP = 3
MIN_PROBABILITY = 0.35


@dataclass(frozen=True, slots=True)
class PrototypeSet:
    """Prototype vectors per class (the seven cues, then `neutral`), computed at construction."""

    classes: tuple[str, ...]
    vectors: tuple[npt.NDArray[np.float32], ...]

    @classmethod
    def examples(cls) -> dict[str, list[str]]:
        text = resources.files("assistant.emotion").joinpath("prototypes.yaml").read_text("utf-8")
        data = yaml.safe_load(text)
        names = (*CUE_NAMES, "neutral")
        if set(data) != set(names):
            raise ValueError(f"prototypes.yaml: classes must be exactly {', '.join(names)}")
        return {name: [str(t) for t in data[name]] for name in names}

    @classmethod
    def build(cls, embedder: Embedder) -> PrototypeSet:
        examples = cls.examples()
        classes = tuple(examples)
        flat = [t for name in classes for t in examples[name]]
        matrix = embedder.encode_queries(flat)
        vectors, at = [], 0
        for name in classes:
            vectors.append(np.ascontiguousarray(matrix[at : at + len(examples[name])]))
            at += len(examples[name])
        return cls(classes, tuple(vectors))

    def probabilities(self, query: npt.NDArray[np.float32]) -> dict[str, float]:
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        means = []
        for block in self.vectors:
            sims = block @ vector
            top = np.sort(sims)[-TOP:]
            means.append(float(top.mean()))
        logits = np.array(means) / TEMPERATURE
        exp = np.exp(logits - logits.max())
        probs = exp / exp.sum()
        return {name: float(p) for name, p in zip(self.classes, probs, strict=True)}

    def weights(self, query: npt.NDArray[np.float32]) -> dict[CueName, float]:
        """Extra weight per cue for one message vector (only confident cues)."""
        probs = self.probabilities(query)
        return {cue: BLEND * probs[cue] for cue in CUE_NAMES if probs[cue] >= MIN_PROBABILITY}
