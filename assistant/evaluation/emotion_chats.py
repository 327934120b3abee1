"""Real-chat cue labels (ids + levels only) joined at run time with the public chat sets.

A label row is `{"session": ID, "turn": INDEX, "cues": {"anger": "medium", ...}}`: the customer
turn `turns[INDEX]` of that session, read with every earlier turn as context. The text lives in
`../shared/data/jddc/sessions.jsonl` beside the repository and is never copied into it. A session
id `ecd:ROW` names row ROW (from 0) of the Taobao E-commerce Dialogue Corpus sample,
`../shared/data/ecd/dev.jsonl`, whose `context` turns alternate and end on the customer's.

Also here: the fold of a session (a fixed 2-fold split by session, for choosing thresholds on one
half and measuring on the other), Wilson intervals and reliability bins.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from assistant.emotion.types import CUE_NAMES, CueName, Level
from assistant.evaluation.datasets import DatasetError, jsonl
from assistant.retrieval.types import Turn

LEVELS: tuple[Level, ...] = ("low", "medium", "high")
SESSIONS = Path("jddc") / "sessions.jsonl"
ECD = Path("ecd") / "dev.jsonl"
ECD_PREFIX = "ecd:"


def level_rank(level: str) -> int:
    return LEVELS.index(cast(Level, level))


def find_sessions(*starts: Path, name: Path = SESSIONS) -> Path | None:
    """`shared/data/<name>` (the JDDC sessions unless told) in the nearest ancestor of any start folder, if any."""
    for start in starts:
        for folder in (start.resolve(), *start.resolve().parents):
            candidate = folder / "shared" / "data" / name
            if candidate.is_file():
                return candidate
    return None


def read_ecd(path: Path) -> dict[str, list[Turn]]:
    """The ECD sample's contexts as sessions `ecd:ROW`; the last turn of each is the customer's."""
    sessions: dict[str, list[Turn]] = {}
    for index, (number, row) in enumerate(jsonl(path)):
        context = row.get("context")
        if not isinstance(context, list) or not all(isinstance(t, str) for t in context):
            raise DatasetError(f"{path}:{number}: expected `context`, a list of strings")
        n = len(context)
        sessions[f"{ECD_PREFIX}{index}"] = [
            Turn("customer" if (n - 1 - i) % 2 == 0 else "agent", text) for i, text in enumerate(context)
        ]
    return sessions


def read_sessions(path: Path) -> dict[str, list[Turn]]:
    sessions: dict[str, list[Turn]] = {}
    for number, row in jsonl(path):
        turns = row.get("turns")
        if not isinstance(row.get("session"), str) or not isinstance(turns, list):
            raise DatasetError(f"{path}:{number}: expected `session` and a list of `turns`")
        sessions[row["session"]] = [
            Turn("customer" if t.get("role") == "customer" else "agent", str(t.get("text", ""))) for t in turns
        ]
    return sessions


def fold_of(session: str) -> int:
    """0 or 1, fixed per session (SHA-1 of the id), so no session is split across folds."""
    return hashlib.sha1(session.encode("utf-8")).digest()[0] % 2


def chat_label(path: Path, number: int, value: Mapping[str, Any]) -> tuple[str, int, dict[CueName, Level]]:
    """Validate one label row: (session, turn, levels)."""
    where = f"{path}:{number}"
    session, turn, cues = value.get("session"), value.get("turn"), value.get("cues")
    if not isinstance(session, str) or not isinstance(turn, int) or isinstance(turn, bool):
        raise DatasetError(f"{where}: each row needs a string `session` and an integer `turn`")
    if not isinstance(cues, dict) or any(c not in CUE_NAMES or v not in LEVELS for c, v in cues.items()):
        raise DatasetError(f"{where}: `cues` must map cue names ({', '.join(CUE_NAMES)}) to low/medium/high")
    return session, turn, {cast(CueName, c): cast(Level, v) for c, v in cues.items()}


def joined(
    path: Path, sessions: Mapping[str, Sequence[Turn]], number: int, value: Mapping[str, Any]
) -> tuple[str, tuple[Turn, ...], dict[CueName, Level], str]:
    """(text, earlier turns, levels, session) of one label row, or a `FILE:LINE` error."""
    session, turn, levels = chat_label(path, number, value)
    turns = sessions.get(session)
    if turns is None:
        source = "ECD sample" if session.startswith(ECD_PREFIX) else "JDDC sessions file"
        raise DatasetError(f"{path}:{number}: session {session} is not in the {source}")
    if not 0 <= turn < len(turns) or turns[turn].role != "customer":
        raise DatasetError(f"{path}:{number}: turn {turn} of session {session} is not a customer turn")
    return turns[turn].text, tuple(turns[:turn]), levels, session


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion; (0, 1) when there is nothing to measure."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def reliability(pairs: Sequence[tuple[float, bool]], edges: Sequence[float]) -> list[dict[str, float]]:
    """Observed precision per score bin: `pairs` are (score of a shown cue, whether it was right)."""
    bins = []
    for low, high in itertools.pairwise(edges):
        inside = [right for score, right in pairs if low <= score < high or (high == edges[-1] and score == high)]
        if inside:
            bins.append(
                {
                    "low": low,
                    "high": high,
                    "count": len(inside),
                    "precision": round(sum(inside) / len(inside), 4),
                    "mean_score": round(
                        sum(s for s, _ in pairs if low <= s < high or (high == edges[-1] and s == high)) / len(inside),
                        4,
                    ),
                }
            )
    return bins
