"""Readers for the public evaluation sets; a bad row is reported as `file:line: what`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.knowledge.harvest import turn_problem
from assistant.knowledge.rows import json_problem


class DatasetError(Exception):
    """A data set file is missing or has a bad row; the message names file and line."""


def jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not valid UTF-8") from exc
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not valid JSON ({json_problem(exc)})") from exc
            if not isinstance(value, dict):
                raise DatasetError(f"{path}:{number}: expected a JSON object")
            yield number, value


def _text(path: Path, number: int, row: dict[str, Any], field: str) -> str:
    value = row.get(field)
    if not isinstance(value, str):
        raise DatasetError(f"{path}:{number}: `{field}` must be a string")
    return value


@dataclass(frozen=True, slots=True)
class BeirSet:
    """A BEIR-layout retrieval set: corpus ids and texts, queries, and relevant ids per query."""

    corpus_ids: list[str]
    corpus_texts: list[str]
    query_ids: list[str]
    query_texts: list[str]
    relevant: dict[str, set[str]]


def read_beir(directory: Path, split: str = "test") -> BeirSet:
    corpus_ids, corpus_texts = [], []
    for number, row in jsonl(directory / "corpus.jsonl"):
        corpus_ids.append(_text(directory / "corpus.jsonl", number, row, "_id"))
        title = row.get("title") or ""
        corpus_texts.append(f"{title} {_text(directory / 'corpus.jsonl', number, row, 'text')}".strip())
    qrels_path = directory / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise DatasetError(f"{qrels_path}: no such file")
    relevant: dict[str, set[str]] = {}
    known = set(corpus_ids)
    for number, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if number == 1 and parts[0] == "query-id":
            continue
        if len(parts) < 3:
            raise DatasetError(f"{qrels_path}:{number}: expected query-id, corpus-id, score")
        if parts[1] not in known:
            raise DatasetError(f"{qrels_path}:{number}: unknown corpus id {parts[1]!r}")
        try:
            if float(parts[2]) > 0:
                relevant.setdefault(parts[0], set()).add(parts[1])
        except ValueError as exc:
            raise DatasetError(f"{qrels_path}:{number}: score {parts[2]!r} is not a number") from exc
    query_ids, query_texts = [], []
    for number, row in jsonl(directory / "queries.jsonl"):
        qid = _text(directory / "queries.jsonl", number, row, "_id")
        if qid in relevant:
            query_ids.append(qid)
            query_texts.append(_text(directory / "queries.jsonl", number, row, "text"))
    if not query_ids:
        raise DatasetError(f"{directory}: no query has a relevance judgement in {qrels_path.name}")
    return BeirSet(corpus_ids, corpus_texts, query_ids, query_texts, relevant)


@dataclass(frozen=True, slots=True)
class SelectionRow:
    """One response-selection item: earlier turns, candidate replies, which are right."""

    context: list[str]
    candidates: list[str]
    labels: list[int]


def read_selection(path: Path) -> list[SelectionRow]:
    rows = []
    for number, row in jsonl(path):
        context, candidates, labels = row.get("context"), row.get("candidates"), row.get("labels")
        if not (isinstance(context, list) and context and all(isinstance(t, str) for t in context)):
            raise DatasetError(f"{path}:{number}: `context` must be a non-empty list of strings")
        if not (isinstance(candidates, list) and candidates and all(isinstance(t, str) for t in candidates)):
            raise DatasetError(f"{path}:{number}: `candidates` must be a non-empty list of strings")
        if not (isinstance(labels, list) and len(labels) == len(candidates) and 1 in labels):
            raise DatasetError(f"{path}:{number}: `labels` must mark the right candidate(s) with 1")
        rows.append(SelectionRow(context, candidates, [int(x) for x in labels]))
    return rows


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One turn of a chat session; an agent turn may list other acceptable replies."""

    role: str
    text: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatSession:
    """A chat session of the JDDC sessions format, with the line it was read from."""

    session: str
    line: int
    turns: tuple[ChatTurn, ...]


def read_sessions(path: Path) -> list[ChatSession]:
    """Sessions (`session`, `turns` of `role` customer|agent and `text`, optional `alternatives`)."""
    out = []
    for number, row in jsonl(path):
        turns = row.get("turns")
        if not isinstance(turns, list):
            raise DatasetError(f"{path}:{number}: expected an object with a `turns` list")
        parsed = []
        for i, turn in enumerate(turns, start=1):
            if (problem := turn_problem(turn)) is not None:
                raise DatasetError(f"{path}:{number}: turn {i} {problem}")
            alternatives = turn.get("alternatives", [])
            if not (isinstance(alternatives, list) and all(isinstance(a, str) for a in alternatives)):
                raise DatasetError(f"{path}:{number}: turn {i}: `alternatives` must be a list of strings")
            parsed.append(ChatTurn(turn["role"], turn["text"], tuple(alternatives)))
        out.append(ChatSession(str(row.get("session", number)), number, tuple(parsed)))
    return out
