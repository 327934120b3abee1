"""Emotion-cue evaluation: Huashu's detector against cnsenti and snownlp on labelled JSONL.

A row is `{"text": ..., "context": [earlier turns, oldest first], "label": ...}` or
`{"text": ..., "cues": [cue names]}`. A `label` goes through a label map:

* `smp2020`: angry→anger, sad→disappointment, fear→anxiety, happy→satisfaction,
  neutral→none, surprise→none. Scored per cue over those four cues.
* `binary`: positive→satisfied, negative→dissatisfied. Scored as accuracy and macro-F1; a
  system that cannot decide (no cue, or a tie) counts as wrong.
* `auto` (default): `binary` when every label is positive/negative, else `smp2020`.

`cues` rows are scored per cue over all seven cues. Real-chat label rows
(`{"session", "turn", "cues": {cue: level}}`, see `emotion_chats`) are joined with the JDDC
sessions beside the repository and scored over all seven cues; `min_level="medium"` counts only
cues labelled, and detected, at medium or high (what the panel shows).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.types import CUE_NAMES, CueName, EmotionReading, Level
from assistant.evaluation import emotion_chats as chats
from assistant.evaluation.datasets import DatasetError, jsonl
from assistant.retrieval.types import Turn

Polarity = Literal["satisfied", "dissatisfied"]
Task = Literal["cues", "binary"]
NEGATIVE: tuple[CueName, ...] = ("anger", "disappointment", "complaint_risk")
SMP2020: dict[str, tuple[CueName, ...]] = {
    "angry": ("anger",),
    "sad": ("disappointment",),
    "fear": ("anxiety",),
    "happy": ("satisfaction",),
    "neutral": (),
    "surprise": (),
}
BINARY: dict[str, Polarity] = {"positive": "satisfied", "negative": "dissatisfied"}
LABEL_MAPS = ("auto", "smp2020", "binary")
CNSENTI_EMOTIONS: dict[str, CueName] = {
    "怒": "anger",
    "恶": "anger",
    "哀": "disappointment",
    "惧": "anxiety",
    "乐": "satisfaction",
    "好": "satisfaction",
}


DataError = DatasetError  # a bad data file; the message starts with `FILE:LINE:`


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    context: tuple[Turn, ...] = ()
    cues: frozenset[CueName] = frozenset()
    polarity: Polarity | None = None
    levels: Mapping[CueName, Level] = field(default_factory=dict)
    """Labelled level per cue; a cue without one (authored `cues` lists) counts at every level."""
    session: str = ""

    def gold(self, min_level: Level = "low") -> frozenset[CueName]:
        rank = chats.level_rank(min_level)
        return frozenset(c for c in self.cues if chats.level_rank(self.levels.get(c, "high")) >= rank)


@dataclass(frozen=True, slots=True)
class Prediction:
    cues: frozenset[CueName]
    polarity: Polarity | None
    levels: Mapping[CueName, Level] = field(default_factory=dict)
    """Detected level per cue; peers have none, so their cues count at every level."""
    scores: Mapping[CueName, float] = field(default_factory=dict)

    def shown(self, min_level: Level = "low") -> frozenset[CueName]:
        rank = chats.level_rank(min_level)
        return frozenset(c for c in self.cues if chats.level_rank(self.levels.get(c, "high")) >= rank)


@dataclass(slots=True)
class DataSet:
    path: Path
    task: Task
    label_map: str
    rows: list[Row] = field(default_factory=list)

    @property
    def scored_cues(self) -> tuple[CueName, ...]:
        if self.label_map == "smp2020":
            return tuple(c for c in CUE_NAMES if any(c in v for v in SMP2020.values()))
        return CUE_NAMES


def _turns(value: Any, where: str) -> tuple[Turn, ...]:
    """Strings alternate, the last one being the agent's; `{"role", "text"}` objects say so."""
    problem = f"{where}: `context` must be a list of strings or {{role, text}} objects"
    if not isinstance(value, list):
        raise DataError(problem)
    turns, n = [], len(value)
    for i, item in enumerate(value):
        if isinstance(item, str):
            turns.append(Turn("agent" if (n - i) % 2 == 1 else "customer", item))
        elif isinstance(item, dict) and item.get("role") in ("customer", "agent") and isinstance(item.get("text"), str):
            turns.append(Turn("customer" if item["role"] == "customer" else "agent", item["text"]))
        else:
            raise DataError(problem)
    return tuple(turns)


def load_chats(path: Path, sessions: Path | None = None, limit: int | None = None) -> DataSet:
    """Real-chat label rows joined with their chats, found beside the repo unless `sessions` names
    them: the JDDC sessions, or for `ecd:ROW` sessions the ECD sample. `sessions` serves the sets
    of its own kind (rows with `context` are the ECD sample), so one run can mix both kinds."""
    starts = (path.parent, Path.cwd(), Path(__file__).parent)
    given_ecd = sessions is not None and _is_ecd_sample(sessions)
    if _first_session(path).startswith(chats.ECD_PREFIX):
        ecd = sessions if given_ecd else chats.find_sessions(*starts, name=chats.ECD)
        if ecd is None:
            raise DataError(f"{path}: needs the ECD sample (../shared/data/ecd/dev.jsonl); give --sessions FILE")
        turns = chats.read_ecd(ecd)
    else:
        source = (None if given_ecd else sessions) or chats.find_sessions(*starts)
        if source is None:
            needs = "needs the JDDC sessions (../shared/data/jddc/sessions.jsonl); give --sessions FILE"
            raise DataError(f"{path}: {needs}")
        turns = chats.read_sessions(source)
    data = DataSet(path, "cues", "levels")
    for number, value in jsonl(path):
        text, context, levels, session = chats.joined(path, turns, number, value)
        data.rows.append(Row(text, context, frozenset(levels), levels=levels, session=session))
        if limit is not None and len(data.rows) >= limit:
            break
    if not data.rows:
        raise DataError(f"{path}: no rows")
    return data


def _is_ecd_sample(path: Path) -> bool:
    """Whether a chats file is in the ECD sample's format (rows of `context`), not JDDC sessions."""
    try:
        return any(isinstance(value, dict) and "context" in value for _, value in itertools.islice(jsonl(path), 1))
    except (DatasetError, OSError):
        return False  # read as sessions, whose reader names the bad line


def _first_session(path: Path) -> str:
    for _, value in jsonl(path):
        return str(value.get("session", ""))
    return ""


def is_chat_labels(path: Path) -> bool:
    """Whether the file's first row is a real-chat label row (`session`, `turn`)."""
    for _, value in jsonl(path):
        return "session" in value and "text" not in value
    return False


def load(path: Path, label_map: str = "auto", limit: int | None = None, sessions: Path | None = None) -> DataSet:
    """Read and validate a JSONL file; every problem names `FILE:LINE`."""
    if label_map not in LABEL_MAPS:
        raise DataError(f"{path}: unknown label map {label_map!r} (one of {', '.join(LABEL_MAPS)})")
    if is_chat_labels(path):
        return load_chats(path, sessions, limit)
    raw: list[tuple[int, dict[str, Any]]] = []
    for number, value in jsonl(path):
        if not isinstance(value.get("text"), str):
            raise DataError(f"{path}:{number}: each row needs a string `text`")
        if ("label" in value) == ("cues" in value):
            raise DataError(f"{path}:{number}: give exactly one of `label` or `cues`")
        raw.append((number, value))
        if limit is not None and len(raw) >= limit:
            break
    if not raw:
        raise DataError(f"{path}: no rows")
    labels = {str(v["label"]) for _, v in raw if "label" in v}
    chosen = label_map
    if chosen == "auto":
        chosen = "binary" if labels and labels <= set(BINARY) else "smp2020"
    task: Task = "binary" if chosen == "binary" else "cues"
    data = DataSet(path, task, chosen if labels else "cues")
    for number, value in raw:
        where = f"{path}:{number}"
        context = _turns(value.get("context", []), where)
        if "cues" in value:
            cues = value["cues"]
            if not isinstance(cues, list) or any(c not in CUE_NAMES for c in cues):
                raise DataError(f"{where}: `cues` must be a list of {', '.join(CUE_NAMES)}")
            if task == "binary":
                raise DataError(f"{where}: `cues` rows cannot be mixed with binary labels")
            data.rows.append(Row(value["text"], context, frozenset(cues)))
            continue
        label = str(value["label"])
        if task == "binary":
            if label not in BINARY:
                raise DataError(f"{where}: label {label!r} is not in the binary map (positive, negative)")
            data.rows.append(Row(value["text"], context, polarity=BINARY[label]))
        else:
            if label not in SMP2020:
                raise DataError(f"{where}: label {label!r} is not in the smp2020 map ({', '.join(SMP2020)})")
            data.rows.append(Row(value["text"], context, frozenset(SMP2020[label])))
    return data


def _strength(score: float) -> float:
    """Undo the score's saturation (`1 - exp(-w)`) so that strong cues stay comparable."""
    return -math.log(max(1.0 - score, 1e-9))


def _polarity(scores: Mapping[CueName, float]) -> Polarity | None:
    negative = _strength(max(scores.get(c, 0.0) for c in NEGATIVE))
    satisfied = _strength(scores.get("satisfaction", 0.0))
    if negative > satisfied:
        return "dissatisfied"
    if satisfied > negative:
        return "satisfied"
    return None


def huashu_prediction(reading: EmotionReading, raw_scores: Mapping[CueName, float] | None = None) -> Prediction:
    """Detected cues; dissatisfied when the strongest negative cue beats satisfaction.

    The binary task forces a choice, so when no cue reaches the reporting threshold the
    message's weaker lexicon evidence (`raw_scores`, below the threshold) decides; only a
    message with no evidence at all stays undecided.
    """
    polarity = _polarity({c.name: c.score for c in reading.cues})
    if polarity is None and raw_scores is not None:
        polarity = _polarity(raw_scores)
    return Prediction(
        frozenset(c.name for c in reading.cues),
        polarity,
        levels={c.name: c.level for c in reading.cues},
        scores={c.name: c.score for c in reading.cues},
    )


System = Callable[[Sequence[Row]], list[Prediction]]


def huashu_system(detector: EmotionDetector, embedder: Any | None = None) -> System:
    def run(rows: Sequence[Row]) -> list[Prediction]:
        vectors = embedder.encode_queries([r.text for r in rows]) if embedder is not None else None
        return [
            huashu_prediction(
                detector.read(r.text, r.context, vectors[i] if vectors is not None else None),
                detector.message_scores(r.text),
            )
            for i, r in enumerate(rows)
        ]

    return run


def cnsenti_system() -> System:
    from cnsenti import Emotion, Sentiment

    sentiment, emotion = Sentiment(), Emotion()

    def run(rows: Sequence[Row]) -> list[Prediction]:
        out = []
        for r in rows:
            counts = sentiment.sentiment_count(r.text)
            emotions = emotion.emotion_count(r.text)
            cues = frozenset(cue for key, cue in CNSENTI_EMOTIONS.items() if emotions.get(key, 0) > 0)
            pos, neg = counts["pos"], counts["neg"]
            polarity: Polarity | None = None
            if pos != neg:
                polarity = "satisfied" if pos > neg else "dissatisfied"
            out.append(Prediction(cues, polarity))
        return out

    return run


def snownlp_system() -> System:
    from snownlp import SnowNLP

    def run(rows: Sequence[Row]) -> list[Prediction]:
        out = []
        for r in rows:
            positive = SnowNLP(r.text).sentiments >= 0.5 if r.text.strip() else True
            cues: frozenset[CueName] = (
                frozenset({"satisfaction"}) if positive else frozenset({"anger", "disappointment"})
            )
            out.append(Prediction(cues, "satisfied" if positive else "dissatisfied"))
        return out

    return run


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def score_cues(
    data: DataSet, predictions: Sequence[Prediction], min_level: Level = "low", rows: Sequence[int] | None = None
) -> dict[str, Any]:
    """Per-cue P/R/F1 (with a 95 % Wilson interval on precision) over `rows` (default: all)."""
    chosen = range(len(data.rows)) if rows is None else rows
    pairs = [(data.rows[i].gold(min_level), predictions[i].shown(min_level)) for i in chosen]
    per_cue: dict[str, dict[str, Any]] = {}
    for cue in data.scored_cues:
        tp = sum(1 for gold, shown in pairs if cue in gold and cue in shown)
        fp = sum(1 for gold, shown in pairs if cue not in gold and cue in shown)
        fn = sum(1 for gold, shown in pairs if cue in gold and cue not in shown)
        per_cue[cue] = {
            **_prf(tp, fp, fn),
            "support": tp + fn,
            "shown": tp + fp,
            "precision_ci95": chats.wilson(tp, tp + fp),
        }
    # A cue neither labelled nor shown has no precision or recall to average (0/0): left out.
    defined = [v["f1"] for v in per_cue.values() if v["support"] or v["shown"]]
    macro = sum(defined) / len(defined) if defined else 0.0
    return {"macro_f1": round(macro, 4), "macro_cues": len(defined), "per_cue": per_cue}


RELIABILITY_EDGES = (0.3, 0.45, 0.6, 0.7, 0.8, 0.9, 1.0)


def reliability(data: DataSet, predictions: Sequence[Prediction]) -> dict[str, list[dict[str, float]]]:
    """Per cue: observed precision of shown cues by score bin (gold at any level counts as right)."""
    out: dict[str, list[dict[str, float]]] = {}
    for cue in data.scored_cues:
        pairs = [(p.scores[cue], cue in r.cues) for r, p in zip(data.rows, predictions, strict=True) if cue in p.scores]
        out[cue] = chats.reliability(pairs, RELIABILITY_EDGES)
    return out


def score_binary(data: DataSet, predictions: Sequence[Prediction]) -> dict[str, Any]:
    pairs = [(r.polarity, p.polarity) for r, p in zip(data.rows, predictions, strict=True)]
    per_class = {}
    for label in ("satisfied", "dissatisfied"):
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        per_class[label] = {**_prf(tp, fp, fn), "support": tp + fn}
    accuracy = sum(1 for g, p in pairs if g == p) / len(pairs)
    undecided = sum(1 for _, p in pairs if p is None) / len(pairs)
    macro = sum(v["f1"] for v in per_class.values()) / 2
    return {
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro, 4),
        "undecided": round(undecided, 4),
        "per_class": per_class,
    }


def evaluate(data: DataSet, systems: dict[str, System], min_level: Level = "low") -> dict[str, Any]:
    """Run every system over one data set; figures per system plus ms per message.

    Real-chat sets also get figures per fold (a fixed 2-fold split by session) and, for systems
    with scores, reliability bins per cue.
    """
    results: dict[str, Any] = {}
    for name, system in systems.items():
        started = time.perf_counter()
        predictions = system(data.rows)
        elapsed = time.perf_counter() - started
        if data.task == "binary":
            scored = score_binary(data, predictions)
        else:
            scored = score_cues(data, predictions, min_level)
            if data.label_map == "levels":
                folds = [[i for i, r in enumerate(data.rows) if chats.fold_of(r.session) == k] for k in (0, 1)]
                scored["folds"] = [score_cues(data, predictions, min_level, rows) for rows in folds]
            if any(p.scores for p in predictions):
                scored["reliability"] = reliability(data, predictions)
        scored["ms_per_message"] = round(1000 * elapsed / len(data.rows), 3)
        results[name] = scored
    return {
        "data": str(data.path),
        "rows": len(data.rows),
        "task": data.task,
        "label_map": data.label_map,
        "min_level": min_level,
        "cues": list(data.scored_cues) if data.task == "cues" else None,
        "systems": results,
    }
