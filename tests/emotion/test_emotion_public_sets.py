"""Huashu against cnsenti and snownlp on the public sets beside the repo (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.evaluation.emotion import evaluate, huashu_system, load, snownlp_system

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def dev_set(name: str) -> Path:
    path = DATA / name / "dev.jsonl"
    if not path.is_file():
        pytest.skip(f"public evaluation data not found at {path} (it lives beside the repo)")
    return path


@pytest.fixture(scope="module")
def detector() -> EmotionDetector:
    return EmotionDetector()


def test_smp2020_macro_f1_above_snownlp(detector: EmotionDetector) -> None:
    data = load(dev_set("smp2020_ewect"), limit=600)
    result = evaluate(data, {"huashu": huashu_system(detector), "snownlp": snownlp_system()})
    assert result["systems"]["huashu"]["macro_f1"] > result["systems"]["snownlp"]["macro_f1"]


def test_eprstmt_binary_is_reasonable(detector: EmotionDetector) -> None:
    data = load(dev_set("eprstmt"))
    result = evaluate(data, {"huashu": huashu_system(detector)})
    assert result["task"] == "binary"
    assert result["systems"]["huashu"]["macro_f1"] > 0.7
